/* SPDX-License-Identifier: MIT */
#ifndef EDGE_CRL_H
#define EDGE_CRL_H

/*
 * Certificate revocation lists, read by a DER walker of our own: a CRL of a
 * million entries costs its own size in memory (a full ASN.1 tree would
 * cost fifty times that) and parses in milliseconds.  Parse (PEM or DER),
 * verify against the trusted roots, compare for rollback, store, look
 * serials up (linearly, or through a sorted index for many lookups).
 * Never prints.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "edge_der.h"
#include "edge_err.h"
#include "edge_x509.h"

/* RFC 5280 CRLReason codes (7 is unused). */
enum edge_crl_reason {
	EDGE_REASON_UNSPECIFIED = 0, EDGE_REASON_KEY_COMPROMISE = 1,
	EDGE_REASON_CA_COMPROMISE = 2, EDGE_REASON_AFFILIATION_CHANGED = 3,
	EDGE_REASON_SUPERSEDED = 4, EDGE_REASON_CESSATION = 5,
	EDGE_REASON_HOLD = 6, EDGE_REASON_REMOVE_FROM_CRL = 8,
	EDGE_REASON_PRIVILEGE_WITHDRAWN = 9, EDGE_REASON_AA_COMPROMISE = 10,
};

/* The RFC 5280 name of a reason ("keyCompromise"), NULL for no reason. */
const char *edge_crl_reason_name(int code);

/*
 * The code of a reason name, case-insensitive; loose also ignores '_' and
 * ' ' (the hub writes "KEY_COMPROMISE").  -1 when name is no reason.
 */
int edge_crl_reason_code(const char *name, bool loose);

/* What identifies a CRL's place in time, also kept beside a stored one. */
struct edge_crl_facts {
	char number[64];	/* CRL number in decimal, "" when absent */
	time_t this_update;
	char sha256[65];	/* of the DER */
};

struct edge_crl {
	unsigned char *buf;	/* the DER, owned */
	size_t len;
	struct edge_der tbs;	/* the signed TBSCertList, whole */
	struct edge_der issuer;	/* the issuer Name, whole */
	struct edge_der entries;/* content of revokedCertificates */
	struct edge_der alg;	/* the outer signatureAlgorithm, whole */
	struct edge_der akid;	/* authorityKeyIdentifier's keyIdentifier, or empty */
	struct edge_der sig;	/* signature bytes */
	char sig_oid[64];
	time_t next_update;	/* 0 when absent */
	unsigned count;		/* revoked entries */
	struct edge_crl_facts facts;
	uint32_t *index;	/* entry offsets sorted by serial, or NULL */
};

/*
 * Parse a CRL held in buf (PEM "X509 CRL" or DER), taking ownership of buf
 * (malloc'd; freed on error too).  Errors: EDGE_EINPUT naming what when it
 * is malformed (serials must be minimal DER, as OpenSSL also requires);
 * EDGE_ETRUST when it is well formed but not a CRL this reader can stand
 * behind: a critical extension it does not process (CRL or entry), a delta
 * CRL, an IssuingDistributionPoint with any field (scoped; only the empty
 * one is taken), an indirect CRL, or an inner signature algorithm that is
 * not the outer one.
 */
int edge_crl_adopt(unsigned char *buf, size_t len, const char *what,
    struct edge_crl *out, struct edge_error *err);

/* The same on a copy of the caller's bytes. */
int edge_crl_parse(const void *buf, size_t len, const char *what,
    struct edge_crl *out, struct edge_error *err);

/*
 * The root of roots that verifies the CRL.  A CRL claims a root by key when
 * both carry a key id (its authorityKeyIdentifier is the root's
 * subjectKeyIdentifier), else by name (compared canonically, RFC 5280 7.1);
 * a root it claims verifies it when its subject is the CRL's issuer, its
 * keyUsage (when given) allows cRLSign and its key the signature.  Every
 * root it claims is tried.  *which (may be NULL) gets that root's index, or
 * on EDGE_ETRUST EDGE_CRL_FORGED when it claims a root that does not verify
 * it, else EDGE_CRL_NO_ROOT: a CRL of another root (a key, or without a key
 * id a name, that no root here has).
 */
#define EDGE_CRL_NO_ROOT	(-1)
#define EDGE_CRL_FORGED		(-2)
int edge_crl_verify_root(const struct edge_crl *c,
    const struct edge_certs *roots, const char *what, int *which,
    struct edge_error *err);

/*
 * Who issued the CRL, for messages: "AKI HEX" (its authorityKeyIdentifier),
 * or without one "no AKI, issuer DN".
 */
void edge_crl_issuer_id(const struct edge_crl *c, char *buf, size_t len);

/* -1, 0, 1: a older than, as old as, newer than b (number, then thisUpdate). */
int edge_crl_facts_compare(const struct edge_crl_facts *a,
    const struct edge_crl_facts *b);

/* Sort the entries by serial so that lookups are binary searches. */
int edge_crl_index(struct edge_crl *c, struct edge_error *err);

/*
 * Whether the serial, given as INTEGER content (two's complement, as in the
 * certificate), is listed; *when gets the revocation date and *reason (may
 * be NULL) the RFC 5280 reason code, -1 when the entry has none.  Compared
 * as integers, so ff (-1) is not 00 ff (255).
 * An entry with reason removeFromCRL is not a revocation.
 */
int edge_crl_lookup_der(const struct edge_crl *c, const struct edge_der *serial,
    bool *revoked, time_t *when, int *reason, struct edge_error *err);

/*
 * Whether cert is revoked according to c, which root (the one
 * edge_crl_verify_root found) verified.  The CRL speaks only for certificates
 * whose issuer is its issuer (canonically) and that root's key signed:
 * otherwise EDGE_EINPUT "not issued by the CA of the CRL".
 */
int edge_crl_cert_status(const struct edge_crl *c, gnutls_x509_crt_t root,
    gnutls_x509_crt_t cert, const char *what, bool *revoked, time_t *when,
    int *reason, struct edge_error *err);

void edge_crl_free(struct edge_crl *c);

#endif
