/* SPDX-License-Identifier: MIT */
#ifndef EDGE_SSLKEY_H
#define EDGE_SSLKEY_H

/*
 * The edge's key as an OpenSSL key, for the TLS context libmosquitto takes
 * (edge_tls.h).  Which key is decided by edge_key_locate (edge_key.h), as
 * for the GnuTLS tools: a token key (key.uri) is opened through the OpenSSL
 * pkcs11 engine or pkcs11-provider (chosen at build time), a file key (key.pem, parsed by GnuTLS) is handed to OpenSSL
 * as numbers.  With edge_tls.c, the only module that calls OpenSSL; only the
 * MQTT tools link it.  Never prints.
 */

#include <stddef.h>

#include "edge_err.h"
#include "edge_secret.h"

struct evp_pkey_st;	/* OpenSSL's EVP_PKEY */
struct edge_key;

/*
 * The state directory's key (key.uri, else key.pem).  pin is for a token key
 * (NULL: the URI's pin-source, or no login).  Caller frees *out with
 * EVP_PKEY_free().  Errors: edge_key_locate's, and those below.
 */
int edge_sslkey_load_state(int dirfd, const struct edge_secret *pin,
    struct evp_pkey_st **out, struct edge_error *err);

/*
 * A file key (RSA, or EC P-256/P-384/P-521) converted through secure BIGNUMs.
 * Errors: EDGE_EINPUT (curve, numbers OpenSSL refuses), EDGE_EFAIL.
 */
int edge_sslkey_from_key(const struct edge_key *key, struct evp_pkey_st **out,
    struct edge_error *err);

/*
 * Open the private key named by a pkcs11: URI in a token, through
 * pkcs11-provider and the STORE API (built with EDGE_P11_PROVIDER=1: OpenSSL
 * >= 3.2) or else the OpenSSL pkcs11 engine, either loaded with p11-kit's
 * proxy module (so every registered token module is reachable, none is
 * hard-coded).  pin may be NULL (the URI's pin-source, or no login).  The
 * modules' stderr is kept quiet (edge_p11_quiet).  Errors: EDGE_ESTORE with
 * OpenSSL's reason.
 */
int edge_sslkey_token(const char *uri, const struct edge_secret *pin,
    struct evp_pkey_st **out, struct edge_error *err);

/* The oldest OpenSSL error queued on this thread, as text, and clear the queue. */
void edge_sslkey_last_error(char *buf, size_t len);

#endif
