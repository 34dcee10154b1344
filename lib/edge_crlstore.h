/* SPDX-License-Identifier: MIT */
#ifndef EDGE_CRLSTORE_H
#define EDGE_CRLSTORE_H

/*
 * The CRLs an edge keeps (DIR/crl.pem): one per trusted root, several PEM
 * "X509 CRL" blocks in one file, each after a comment line "# edgecert-crl
 * number=N this-update=T sha256=H next-update=T" that PEM readers skip.  A
 * file holding one CRL (what older versions wrote) is the same format.
 * Rollback state is kept per issuer: a CRL is compared only with the stored
 * CRL of the same root (subject name and key), so a root change, or a CRL
 * with a huge number from another issuer, never makes a root's real CRLs
 * look "older".  Also the revocation policy for missing and stale CRLs,
 * shared by edge-connect and edge-crl-update.  Never prints.
 */

#include <stdbool.h>
#include <time.h>

#include "edge_crl.h"
#include "edge_err.h"
#include "edge_x509.h"

/* Default grace after a CRL's nextUpdate before it is refused (seconds). */
#define EDGE_CRL_GRACE_DEFAULT	86400L

struct edge_crls {
	struct edge_crl *c;
	int *root;		/* per CRL: index of the verifying root, -1: none */
	unsigned n;
	unsigned others;	/* CRLs of another root, see edge_crls_verify */
	unsigned dropped;	/* stored CRLs left out, see edge_crls_load */
	struct edge_error bad;	/* why the first of them was */
};

/*
 * Read every CRL of dirfd/name and find the root of roots (may be NULL:
 * none) that verifies each (edge_crls_verify, lenient).  A missing file is
 * an empty set.  Each CRL stands on its own: a block that is not a CRL this
 * reader takes (edge_crl_adopt: EDGE_EINPUT or EDGE_ETRUST), or a forged
 * one, is left out of *out, counted in out->dropped with the first reason
 * in out->bad; the others stay, those of another root with root -1.
 * Errors: storage, a PEM block without its end line, a file with no CRL.
 */
int edge_crls_load(int dirfd, const char *name, const struct edge_certs *roots,
    struct edge_crls *out, struct edge_error *err);

/*
 * Every CRL in buf (PEM "X509 CRL" blocks, or one DER CRL), taking
 * ownership of buf; what names it in errors.  Roots are not looked at
 * (out->root[i] is -1).  Errors: any block that is not a CRL this reader
 * takes (edge_crl_adopt), none at all (EDGE_EINPUT).
 */
int edge_crls_parse(char *buf, size_t len, const char *what,
    struct edge_crls *out, struct edge_error *err);

/*
 * The one rule for whose CRLs a set holds, for the stored file and for
 * edge-crl-update's input alike: s->root[i] gets the root of roots that
 * verifies each CRL (edge_crl_verify_root).  A CRL of another root, one
 * that claims no trusted root (its authorityKeyIdentifier names a key no
 * root has; without one, no root has its issuer name: a rotation's other
 * root), stays with root -1, counted in s->others; it never speaks for a
 * certificate and is not installed.  A CRL that claims a trusted root that
 * does not verify it is forged: EDGE_ETRUST naming what and why, or when
 * lenient (a stored file) it is left out, counted in s->dropped, for
 * edge_crls_strict.  Not lenient, a set with no CRL of a trusted root is
 * EDGE_ETRUST too, naming the key ids (edge_crl_issuer_id) it holds.
 */
int edge_crls_verify(struct edge_crls *s, const struct edge_certs *roots,
    const char *what, bool lenient, struct edge_error *err);

/* Take the CRLs of other roots (root -1) out of s. */
void edge_crls_drop_others(struct edge_crls *s);

/*
 * For readers, which answer nothing from a tampered file: out->bad (its
 * code) when a stored CRL was dropped, else EDGE_OK.
 */
int edge_crls_strict(const struct edge_crls *s, struct edge_error *err);
void edge_crls_free(struct edge_crls *s);

/*
 * The newest (edge_crl_facts_compare) stored CRL of the root of index r, or
 * NULL.  A hand-made crl.pem may hold several of one root; rollback is
 * judged against the newest.
 */
const struct edge_crl *edge_crls_of_root(const struct edge_crls *s, int r);

/*
 * Whether cert is revoked by the stored CRLs that speak for it
 * (edge_crl_cert_status: its issuer's, verified by the root that also
 * signed cert).  With several of one root (a hand-made crl.pem), cert is
 * revoked when any of them lists it: never less strict than OpenSSL, which
 * picks one of them by thisUpdate.  *newest gets the newest CRL that speaks
 * for cert (its freshness is the one that counts), NULL when none does;
 * *when and *reason (may be NULL) come from the newest CRL listing it.
 * Returns EDGE_OK: a CRL whose lookup fails does not speak for cert.
 */
int edge_crls_cert_status(const struct edge_crls *s,
    const struct edge_certs *roots, gnutls_x509_crt_t cert, const char *what,
    const struct edge_crl **newest, bool *revoked, time_t *when, int *reason,
    struct edge_error *err);

/*
 * The revocation policy (man/common/revocation.md) on one certificate of
 * the hub's chain, one rule for edge-connect (OpenSSL) and edge-check
 * (GnuTLS): a CRL of its issuer must speak for it (edge_crls_cert_status;
 * the newest counts) and be usable at now (edge_crl_started, then
 * edge_crl_fresh with grace: *stale true when it is past nextUpdate within
 * the grace), and cert is revoked when any stored CRL of its root lists it.
 */
enum edge_crl_hub {
	EDGE_CRL_HUB_GOOD,	/* not listed by a usable CRL of its issuer */
	EDGE_CRL_HUB_REVOKED,	/* listed */
	EDGE_CRL_HUB_NO_CRL,	/* no stored CRL of its issuer */
	EDGE_CRL_HUB_NOT_YET,	/* that CRL is not yet valid */
	EDGE_CRL_HUB_STALE,	/* past its nextUpdate and the grace */
	EDGE_CRL_HUB_UNKNOWN,	/* the certificate cannot be judged */
};

/*
 * The rule above on the hub's verified chain (chain[0] the hub's
 * certificate, its CAs after it, the trusted root last; an entry NULL:
 * one that could not be parsed): every certificate below the root is
 * judged, the root itself only when it is all there is (none: UNKNOWN).
 * Returns the verdict on the first that is not GOOD, *depth its index.
 */
enum edge_crl_hub edge_crls_hub_chain(const struct edge_crls *s,
    const struct edge_certs *roots, const gnutls_x509_crt_t *chain, size_t n,
    time_t now, long grace, size_t *depth, bool *stale);

/* What a verdict means, as edge-connect says it ("revoked (listed in crl.pem)"). */
const char *edge_crl_hub_reason(enum edge_crl_hub v);

/*
 * The CRLs for judging the hub's chain, as edge-connect loads them: when
 * dirfd holds crl.pem (*have true), the roots of cadirfd/ca and every CRL
 * of crl.pem (edge_crls_load), and nothing is answered from a tampered file
 * (edge_crls_strict).  No crl.pem: *have false, nothing loaded, EDGE_OK
 * (edge-connect warns and connects).  Free both with edge_certs_free and
 * edge_crls_free on success and failure alike.
 */
int edge_crls_load_hub(int dirfd, int cadirfd, const char *ca,
    struct edge_certs *roots, struct edge_crls *crls, bool *have,
    struct edge_error *err);

/*
 * Install the CRLs of add, each verified by roots->crt[add->root[i]] (one
 * CRL per root), into dirfd/name atomically: each replaces the stored CRLs
 * of its root; the CRLs of other current roots stay; those no current root
 * verifies are dropped.
 */
int edge_crls_install(int dirfd, const char *name, const struct edge_crls *have,
    const struct edge_crls *add, struct edge_error *err);

/*
 * The one rule for when a CRL is usable (man/common/revocation.md), for
 * edge-crl-update's install and --check and for edge-connect: from its
 * thisUpdate less EDGE_TIME_TOLERANCE (a clock a little behind the hub's)
 * until its nextUpdate plus grace.  edge_crl_started: not before that
 * start, else EDGE_ETRUST naming what ("not yet valid").  edge_crl_fresh:
 * started, and fresh or past nextUpdate by at most grace seconds (*stale
 * true: warn and go on), else EDGE_ETRUST naming what (exit 6).
 */
int edge_crl_started(const struct edge_crl *c, time_t now, const char *what,
    struct edge_error *err);
int edge_crl_fresh(const struct edge_crl *c, time_t now, long grace,
    const char *what, bool *stale, struct edge_error *err);

/*
 * Is the certificate file cert (in dirfd) listed in the CRL of its issuer
 * in dirfd's crl.pem, verified with dirfd's ca.pem?  *sn (decimal) and
 * *when are filled when revoked.  Errors: any problem reading or verifying,
 * no CRL of its issuer (then *revoked is false).
 */
int edge_crl_cert_revoked(int dirfd, const char *cert, bool *revoked,
    char *sn, size_t snlen, time_t *when, struct edge_error *err);

#endif
