/* SPDX-License-Identifier: MIT */
#ifndef EDGE_CSR_H
#define EDGE_CSR_H

/*
 * PKCS#10 certificate requests with the EnOS subject rules
 * (ENOS-PROTOCOL.md section 5): C, ST, L, O, OU and CN mandatory, each at most
 * 64 characters (C exactly two letters), emailAddress optional; signed with
 * SHA-256 by the edge's key, wherever it lives.  Never prints.
 */

#include <stdbool.h>
#include <stddef.h>

#include "edge_err.h"
#include "edge_key.h"

enum edge_subject_field {
	EDGE_SUBJ_C, EDGE_SUBJ_ST, EDGE_SUBJ_L, EDGE_SUBJ_O, EDGE_SUBJ_OU,
	EDGE_SUBJ_CN, EDGE_SUBJ_EMAIL, EDGE_SUBJ_N
};

/* Field values in DN order; NULL when absent.  Strings are borrowed. */
struct edge_subject {
	const char *v[EDGE_SUBJ_N];
};

/* Short attribute name ("C", "ST", ..., "emailAddress"). */
const char *edge_subject_attr(enum edge_subject_field f);

/*
 * Check every field: mandatory ones present, lengths, UTF-8 without control
 * characters.  The message names the attribute; `option` maps a field to the
 * name the user typed (may be NULL).  Errors: EDGE_EUSAGE.
 */
int edge_subject_check(const struct edge_subject *s,
    const char *(*option)(enum edge_subject_field), struct edge_error *err);

/*
 * Copy C, ST and O of a CA certificate (PEM) into *out, as strings the
 * caller frees with edge_subject_free_values().  Errors: EDGE_EINPUT.
 */
int edge_subject_from_ca(const char *pem, size_t len, const char *where,
    struct edge_subject *out, struct edge_error *err);
void edge_subject_free_values(struct edge_subject *s);

/*
 * Every subject field of a PEM request (either PEM label), as strings the
 * caller frees with edge_subject_free_values(): a new request for the same
 * subject.  Errors: EDGE_EINPUT, EDGE_EFAIL.
 */
int edge_csr_subject(const char *pem, size_t len, const char *what,
    struct edge_subject *out, struct edge_error *err);

/*
 * Build and sign a CSR, then verify its self-signature.  *pem (caller frees
 * with free()) holds "-----BEGIN CERTIFICATE REQUEST-----".  Errors:
 * EDGE_ESTORE (token signing), EDGE_EFAIL.
 */
int edge_csr_create(const struct edge_key *key, const struct edge_subject *s,
    char **pem, size_t *len, struct edge_error *err);

/*
 * Parse a PEM request (either PEM label), check its self-signature and
 * return its public key in *pub (caller frees with gnutls_pubkey_deinit).
 * Errors: EDGE_EINPUT naming what.
 */
int edge_csr_pubkey(const char *pem, size_t len, const char *what,
    gnutls_pubkey_t *pub, struct edge_error *err);

/*
 * True when the PEM CSR is well formed, its signature verifies, its public
 * key is key's and its subject is exactly s: the wanted CSR already exists.
 */
bool edge_csr_matches(const char *pem, size_t len, const struct edge_key *key,
    const struct edge_subject *s);

#endif
