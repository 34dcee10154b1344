/* SPDX-License-Identifier: MIT */
#ifndef EDGE_P11_H
#define EDGE_P11_H

/*
 * PKCS#11 tokens (SoftHSM2, tpm2-pkcs11, HSMs) through GnuTLS and the modules
 * p11-kit registers.  Keys are named by RFC 7512 URIs; token matching and URI
 * rewriting use p11-kit's URI parser, never string surgery.  Never prints.
 */

#include <stdbool.h>
#include <stddef.h>

#include "edge_err.h"
#include "edge_secret.h"

/*
 * That silencing alone (without overriding what the user set), for whoever
 * loads the modules: this module, and the OpenSSL engine (edge_sslkey.h).
 */
void edge_p11_quiet_modules(void);

/*
 * Keep the modules' own stderr output away while PKCS#11 work runs, through
 * GnuTLS or the OpenSSL engine (nests; every true needs a false).
 * EDGE_P11_DEBUG in the environment lets it through.
 */
void edge_p11_quiet(bool on);

/*
 * The PIN for the next logins.  pin may be NULL: then a URI's pin-source is
 * used, or the user is asked on the terminal, or the login fails.  The
 * secret is borrowed and must outlive the PKCS#11 operations.
 */
void edge_p11_set_pin(const struct edge_secret *pin);

/*
 * Whether a key URI's module-path may choose the module to load (default:
 * yes, when the file passes the ownership checks).  edge-check turns it off
 * for a state directory another user owns: root auditing it must not load a
 * library that user named.
 */
void edge_p11_follow_module_path(bool follow);

/* True when s is a "pkcs11:" URI. */
bool edge_p11_is_uri(const char *s);

/*
 * Check a key's URI without touching a token: a pkcs11: URI that parses and
 * holds no pin-value attribute, however spelled (any case, percent-escapes).
 * No message repeats the URI's query.  file NULL: the user gave the URI,
 * errors are EDGE_EUSAGE; else it is the content of file (key.uri), errors
 * are EDGE_EINPUT starting "file: ".
 */
int edge_p11_check_uri(const char *uri, const char *file,
    struct edge_error *err);

/*
 * Check a user's URI: it parses, holds no pin-value however spelled (a PIN
 * in argv), and names exactly one token.  On success *token_url (caller frees with free())
 * is GnuTLS's URL of that token and, if label is non-NULL, *label (caller
 * frees) is the URI's object= or NULL.  Errors: EDGE_EUSAGE (syntax,
 * pin-value), EDGE_ESTORE (no token, several tokens).
 */
int edge_p11_find_token(const char *uri, char **token_url, char **label,
    struct edge_error *err);

/*
 * Generate a key pair inside the token (sensitive, never extractable, for
 * signing only), labelled label with a fresh random CKA_ID.  pk_bits is the
 * GnuTLS bits value (RSA bits or GNUTLS_CURVE_TO_BITS).  On success
 * *key_uri (caller frees) names exactly the new private key, without any PIN.
 * Errors: EDGE_ESTORE with the token's reason.
 */
int edge_p11_generate(const char *token_url, const char *label, int pk_algo,
    unsigned pk_bits, const char *pin_source, char **key_uri,
    struct edge_error *err);

/*
 * The URI of the objects labelled label on the token token_url, percent-encoded
 * by p11-kit.  Caller frees *uri with free().
 */
int edge_p11_label_uri(const char *token_url, const char *label, char **uri,
    struct edge_error *err);

/*
 * Count the private keys the URI matches (with login).  Errors: EDGE_ESTORE
 * (token errors, wrong PIN).
 */
int edge_p11_count_privkeys(const char *uri, unsigned *count,
    struct edge_error *err);

/*
 * Delete every object (private key, public key, certificate) that matches
 * uri (after login).  With keep_id non-NULL, objects whose id= equals that of
 * keep_id's URI are kept.  *deleted gets the count.  Errors: EDGE_ESTORE.
 */
int edge_p11_delete(const char *uri, const char *keep_uri, unsigned *deleted,
    struct edge_error *err);

/* Map a GnuTLS PKCS#11 error to an EDGE_E* code and a message about what. */
int edge_p11_error(struct edge_error *err, int gnutls_rc, const char *what);

#endif
