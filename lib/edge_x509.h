/* SPDX-License-Identifier: MIT */
#ifndef EDGE_X509_H
#define EDGE_X509_H

/*
 * Certificates and chains (GnuTLS): load PEM bundles, verify a certificate
 * against trusted roots at a given time, compare its key, print its serial
 * the EnOS way (decimal).  Never prints.
 */

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <gnutls/abstract.h>
#include <gnutls/x509.h>

#include "edge_err.h"

struct edge_certs {
	gnutls_x509_crt_t *crt;
	unsigned n;
};

/*
 * Load every certificate of a PEM bundle (at least one).  what names the
 * source in messages.  Errors: EDGE_EINPUT ("what: not a PEM certificate").
 * Free with edge_certs_free().
 */
int edge_certs_load(const char *pem, size_t len, const char *what,
    struct edge_certs *out, struct edge_error *err);
void edge_certs_free(struct edge_certs *c);

/*
 * Read the file name relative to dirfd (AT_FDCWD: a path the user gave; "-":
 * stdin), at most EDGE_FILE_MAX bytes, and load its certificates as
 * edge_certs_load() does, named name in messages.  Errors: those of
 * edge_file_read() (EDGE_ESTORE, EDGE_EINPUT) and edge_certs_load().
 */
int edge_certs_read(int dirfd, const char *name, struct edge_certs *out,
    struct edge_error *err);

/*
 * Verify cert against the trusted roots (and intermediates in extra, may be
 * NULL) at time at (0: now), with crls (may be NULL) checked and a bad CRL
 * an error.  Errors: EDGE_ETRUST "what: <reason>" (expired, not yet
 * activated, signed by an unknown CA, signature invalid, revoked...).
 */
int edge_x509_verify(gnutls_x509_crt_t cert, const struct edge_certs *roots,
    gnutls_x509_crl_t *crls, unsigned ncrls, time_t at, const char *what,
    struct edge_error *err);

/*
 * The serial number as a decimal string (EnOS certSN); a negative serial
 * (its INTEGER's top bit set) as its signed value, "-1" for ff, never 255.
 */
int edge_x509_serial_dec(gnutls_x509_crt_t cert, char *out, size_t len);

/* A big-endian serial as a decimal string. */
int edge_x509_bytes_dec(const unsigned char *serial, size_t n, char *out,
    size_t len);

/*
 * A serial typed by a user, decimal or 0x-hex, as the canonical decimal
 * string (no leading zeros).  Errors: EDGE_EUSAGE "not a serial number".
 */
int edge_x509_serial_parse(const char *in, char *out, size_t len,
    struct edge_error *err);

/* True when the certificate carries this public key. */
bool edge_x509_has_key(gnutls_x509_crt_t cert, gnutls_pubkey_t pub);

/* Export one certificate as PEM; caller frees *pem with gnutls_free(). */
int edge_x509_pem(gnutls_x509_crt_t cert, gnutls_datum_t *pem);

/* "2028-11-25T10:00:00Z" */
void edge_x509_time(time_t t, char *buf, size_t len);

/* The subject DN (RFC 4514) into buf. */
void edge_x509_subject(gnutls_x509_crt_t cert, char *buf, size_t len);

#endif
