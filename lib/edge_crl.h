/* SPDX-License-Identifier: MIT */
#ifndef EDGE_CRL_H
#define EDGE_CRL_H

/*
 * Certificate revocation lists: parse (PEM or DER), verify against the
 * trusted roots, compare for rollback, look a serial up.  Never prints.
 */

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <gnutls/x509.h>

#include "edge_err.h"
#include "edge_x509.h"

struct edge_crl {
	gnutls_x509_crl_t crl;
	time_t this_update;
	time_t next_update;	/* 0 when absent */
	char number[64];	/* CRL number in decimal, "" when absent */
	unsigned count;		/* revoked entries */
};

/* Parse a CRL, PEM ("X509 CRL") or DER.  Errors: EDGE_EINPUT. */
int edge_crl_parse(const void *buf, size_t len, const char *what,
    struct edge_crl *out, struct edge_error *err);

/* The CRL's signature verifies with one of the roots.  Errors: EDGE_ETRUST. */
int edge_crl_verify(const struct edge_crl *c, const struct edge_certs *roots,
    const char *what, struct edge_error *err);

/* -1, 0 or 1 as a is older than, as old as, or newer than b (number, then thisUpdate). */
int edge_crl_compare(const struct edge_crl *a, const struct edge_crl *b);

/* True when both hold the same DER bytes. */
bool edge_crl_same(const struct edge_crl *a, const struct edge_crl *b);

/* PEM of the CRL; caller frees pem->data with gnutls_free(). */
int edge_crl_pem(const struct edge_crl *c, gnutls_datum_t *pem);

/*
 * Whether the decimal serial is listed; *when gets its revocation date.
 * Errors: EDGE_EINPUT (unreadable entries).
 */
int edge_crl_lookup(const struct edge_crl *c, const char *serial_dec,
    bool *revoked, time_t *when, struct edge_error *err);

void edge_crl_free(struct edge_crl *c);

#endif
