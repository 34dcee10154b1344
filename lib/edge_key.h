/* SPDX-License-Identifier: MIT */
#ifndef EDGE_KEY_H
#define EDGE_KEY_H

/*
 * The edge's key pair, wherever it lives: a PEM file or a PKCS#11 token
 * named by a pkcs11: URI.  Every tool that signs or compares keys goes
 * through struct edge_key.  Never prints.
 */

#include <stdbool.h>
#include <stddef.h>

#include <gnutls/abstract.h>

#include "edge_err.h"
#include "edge_state.h"

#define EDGE_KEY_PEM_MAX	(64 * 1024)	/* read cap of a PEM key file */
#define EDGE_KEY_URI_MAX	4096		/* read cap of key.uri */

enum edge_key_type { EDGE_KEY_RSA, EDGE_KEY_EC };

struct edge_key {
	gnutls_privkey_t priv;
	gnutls_pubkey_t pub;
	bool token;		/* the private key is inside a PKCS#11 token */
	char *where;		/* file name or URI, for messages and --json */
	enum edge_key_type type;
	unsigned bits;		/* RSA modulus bits; 256 for P-256 */
	char curve[16];		/* "P-256" for EC keys, "" otherwise */
	char id[80];		/* "sha256:<hex of the public key's SHA-256 key id>" */
};

/* Parse "rsa" / "ec".  Errors: EDGE_EUSAGE. */
int edge_key_type_parse(const char *s, enum edge_key_type *type,
    struct edge_error *err);

/*
 * Generate a key pair in memory and return the private key as PKCS#8 PEM in
 * *pem (caller wipes and frees with edge_key_pem_free).  RSA bits must be at
 * least 2048; EC is P-256.  Errors: EDGE_EUSAGE (size), EDGE_EFAIL.
 */
int edge_key_generate_pem(enum edge_key_type type, unsigned bits, char **pem,
    size_t *len, struct edge_error *err);
void edge_key_pem_free(char **pem, size_t len);

/*
 * Copy PEM text made by GnuTLS into *pem, NUL-terminated (*len without the
 * NUL), malloc'd: free() it, or edge_key_pem_free() for a private key.
 * Errors: EDGE_EFAIL (memory).
 */
int edge_key_pem_copy(const gnutls_datum_t *in, char **pem, size_t *len,
    struct edge_error *err);

/* Parse a PEM private key; where names it in messages.  Errors: EDGE_EINPUT. */
int edge_key_from_pem(const char *pem, size_t len, const char *where,
    struct edge_key **key, struct edge_error *err);

/*
 * Open the private key named by a pkcs11: URI, which must match exactly one
 * private key.  The PIN comes from edge_p11_set_pin().  Errors: EDGE_ESTORE.
 */
int edge_key_from_uri(const char *uri, struct edge_key **key,
    struct edge_error *err);

/*
 * Where the state directory's key is, decided here only (the GnuTLS tools
 * and the OpenSSL context of edge_sslkey.h both ask): key.uri if present,
 * else key.pem.  A token key sets *uri (caller frees): the file's one line,
 * trailing blanks trimmed, a pkcs11: URI that parses and holds no pin-value;
 * no token is opened.  A file key sets *key: key.pem (at most
 * EDGE_KEY_PEM_MAX bytes, one PEM block, PKCS#8 or the traditional RSA/EC
 * form) parsed as by edge_key_from_pem.  Errors: EDGE_EINPUT (no key, too
 * large, not a key, more than one PEM block, not one line, URI syntax,
 * pin-value), EDGE_ESTORE (unreadable).
 */
int edge_key_locate(int dirfd, char **uri, struct edge_key **key,
    struct edge_error *err);

/*
 * Load the edge's key from the state directory (edge_key_locate, then the
 * token key opened through GnuTLS).  Errors: as edge_key_locate, and
 * edge_key_from_uri's.
 */
int edge_key_load_state(int dirfd, struct edge_key **key,
    struct edge_error *err);

/* True when the state directory's key lives in a token (key.uri). */
bool edge_key_state_in_token(int dirfd);

/*
 * Load a key named by the user: a pkcs11: URI or a PEM file path (one PEM
 * block, as key.pem).
 */
int edge_key_load(const char *name, struct edge_key **key,
    struct edge_error *err);

/*
 * Check the key against what the hub accepts: RSA of at least 2048 bits or
 * EC P-256; with want non-NULL, also that type.  Errors: EDGE_EINPUT
 * "where: not an RSA-2048 key (found EC P-384)".
 */
int edge_key_check(const struct edge_key *key, const enum edge_key_type *want,
    struct edge_error *err);

/*
 * A struct edge_key holding a copy of pub and no private key (priv NULL),
 * for edge_key_check, edge_key_describe and the key id: a token key's public
 * object read without its PIN, a certificate's key.  token as in struct
 * edge_key.  Errors: EDGE_EINPUT (unsupported algorithm), EDGE_EFAIL.
 */
int edge_key_from_pubkey(gnutls_pubkey_t pub, const char *where, bool token,
    struct edge_key **key, struct edge_error *err);

/* "RSA-2048" or "EC P-256". */
void edge_key_describe(const struct edge_key *key, char *buf, size_t len);

/* True when the two public keys are the same. */
bool edge_key_pub_equal(gnutls_pubkey_t a, gnutls_pubkey_t b);

void edge_key_free(struct edge_key **key);

#endif
