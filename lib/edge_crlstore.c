/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "edge_crlstore.h"
#include "edge_file.h"
#include "edge_pem.h"
#include "edge_state.h"
#include "edge_time.h"

#define BEGIN_CRL	"-----BEGIN X509 CRL-----"
#define END_CRL		"-----END X509 CRL-----"
/* The stored file may hold a CRL of a million entries per root. */
#define STORE_MAX	(1024UL * 1024 * 1024)

/* Note the first CRL dropped from the stored set, and count them. */
static void
drop(struct edge_crls *s, const struct edge_error *why)
{
	if (s->dropped++ == 0)
		s->bad = *why;
}

/*
 * Add the CRL in buf (owned, freed on error).  Stored (lenient): a block
 * that is not a CRL this reader takes is dropped, noted in s->bad, and the
 * others stay; otherwise it is an error.
 */
static int
add(struct edge_crls *s, unsigned char *buf, size_t len, const char *what,
    bool lenient, struct edge_error *err)
{
	struct edge_error e = { 0 };
	struct edge_crl *c;
	int *r, rc;

	if ((c = realloc(s->c, (s->n + 1) * sizeof(*c))) == NULL) {
		free(buf);
		return edge_err(err, EDGE_EFAIL, "out of memory");
	}
	s->c = c;
	if ((r = realloc(s->root, (s->n + 1) * sizeof(*r))) == NULL) {
		free(buf);
		return edge_err(err, EDGE_EFAIL, "out of memory");
	}
	s->root = r;
	s->root[s->n] = -1;
	/* Malformed (3), or a CRL the reader cannot stand behind (6). */
	if ((rc = edge_crl_adopt(buf, len, what, &s->c[s->n], &e)) != EDGE_OK) {
		if (!lenient || rc == EDGE_EFAIL) {
			*err = e;
			return rc;
		}
		drop(s, &e);
		return EDGE_OK;
	}
	s->n++;
	return EDGE_OK;
}

/* Every CRL in buf (PEM blocks, or one DER CRL), buf freed. */
static int
parse_all(char *buf, size_t len, const char *name, bool lenient,
    struct edge_crls *out, struct edge_error *err)
{
	char *p, *end;
	int rc = EDGE_OK;

	if (!edge_pem_has(buf, len, "X509 CRL")) {
		/* A DER file, as some tools write it. */
		return add(out, (unsigned char *)buf, len, name, false, err);
	}
	for (p = buf; rc == EDGE_OK && p != NULL &&
	    (p = memmem(p, len - (size_t)(p - buf), BEGIN_CRL,
	    strlen(BEGIN_CRL))) != NULL; p = end) {
		unsigned char *one;
		size_t n;

		end = memmem(p, len - (size_t)(p - buf), END_CRL, strlen(END_CRL));
		if (end == NULL) {
			rc = edge_err(err, EDGE_EINPUT, "%s: PEM block without an end line",
			    name);
			break;
		}
		end += strlen(END_CRL);
		n = (size_t)(end - p);
		if ((one = malloc(n)) == NULL) {
			rc = edge_err(err, EDGE_EFAIL, "out of memory");
			break;
		}
		memcpy(one, p, n);
		rc = add(out, one, n, name, lenient, err);
	}
	free(buf);
	return rc;
}

int
edge_crls_parse(char *buf, size_t len, const char *what,
    struct edge_crls *out, struct edge_error *err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = parse_all(buf, len, what, false, out, err)) == EDGE_OK &&
	    out->n == 0)
		rc = edge_err(err, EDGE_EINPUT, "%s: no CRL", what);
	if (rc != EDGE_OK)
		edge_crls_free(out);
	return rc;
}

int
edge_crls_load(int dirfd, const char *name, const struct edge_certs *roots,
    struct edge_crls *out, struct edge_error *err)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!edge_file_exists(dirfd, name))
		return EDGE_OK;
	if ((rc = edge_file_read(dirfd, name, STORE_MAX, &buf, &len, err)) !=
	    EDGE_OK)
		return rc;
	if ((rc = parse_all(buf, len, name, true, out, err)) != EDGE_OK)
		goto out;
	if (out->n == 0 && out->dropped == 0) {
		rc = edge_err(err, EDGE_EINPUT, "%s: no CRL", name);
		goto out;
	}
	rc = edge_crls_verify(out, roots, name, true, err);
out:
	if (rc != EDGE_OK)
		edge_crls_free(out);
	return rc;
}

int
edge_crls_verify(struct edge_crls *s, const struct edge_certs *roots,
    const char *what, bool lenient, struct edge_error *err)
{
	char ids[400] = "", id[160];
	unsigned i, j;

	s->others = 0;
	for (i = j = 0; i < s->n; i++) {
		struct edge_error e = { 0 };
		int r;

		(void)edge_crl_verify_root(&s->c[i], roots, what, &r, &e);
		if (r == EDGE_CRL_FORGED) {
			/* It claims a trusted root that does not verify it. */
			if (!lenient) {
				*err = e;
				return e.code;
			}
			edge_err(&e, EDGE_ETRUST,
			    "%s: a CRL of a trusted root's name does not verify (signature)",
			    what);
			drop(s, &e);
			edge_crl_free(&s->c[i]);
			continue;
		}
		if (r == EDGE_CRL_NO_ROOT) {
			edge_crl_issuer_id(&s->c[i], id, sizeof(id));
			snprintf(ids + strlen(ids), sizeof(ids) - strlen(ids), "%s%s",
			    s->others++ ? "; " : "", id);
		}
		s->c[j] = s->c[i];
		s->root[j++] = r;
	}
	s->n = j;
	if (!lenient && s->n == s->others)
		return edge_err(err, EDGE_ETRUST,
		    "%s: not signed by a trusted root CA: no CRL of a root in " EDGE_CA_FILE " (skipped %u CRL%s of another root: %s)",
		    what, s->others, s->others > 1 ? "s" : "", ids);
	return EDGE_OK;
}

void
edge_crls_drop_others(struct edge_crls *s)
{
	unsigned i, j;

	for (i = j = 0; i < s->n; i++) {
		if (s->root[i] < 0) {
			edge_crl_free(&s->c[i]);
			continue;
		}
		s->c[j] = s->c[i];
		s->root[j++] = s->root[i];
	}
	s->n = j;
	s->others = 0;
}

int
edge_crls_strict(const struct edge_crls *s, struct edge_error *err)
{
	if (s->dropped == 0)
		return EDGE_OK;
	if (err != NULL)
		*err = s->bad;
	return s->bad.code;
}

void
edge_crls_free(struct edge_crls *s)
{
	unsigned i;

	for (i = 0; i < s->n; i++)
		edge_crl_free(&s->c[i]);
	free(s->c);
	free(s->root);
	memset(s, 0, sizeof(*s));
}

/* The newer of a and b (edge_crl_facts_compare: number, then thisUpdate). */
static const struct edge_crl *
newer(const struct edge_crl *a, const struct edge_crl *b)
{
	if (a == NULL)
		return b;
	return edge_crl_facts_compare(&b->facts, &a->facts) > 0 ? b : a;
}

const struct edge_crl *
edge_crls_of_root(const struct edge_crls *s, int r)
{
	const struct edge_crl *best = NULL;
	unsigned i;

	for (i = 0; r >= 0 && i < s->n; i++)
		if (s->root[i] == r)
			best = newer(best, &s->c[i]);
	return best;
}

int
edge_crls_cert_status(const struct edge_crls *s,
    const struct edge_certs *roots, gnutls_x509_crt_t cert, const char *what,
    const struct edge_crl **newest, bool *revoked, time_t *when, int *reason,
    struct edge_error *err)
{
	const struct edge_crl *lister = NULL;
	unsigned i;

	(void)err;	/* a CRL that cannot judge cert does not speak: no error */
	*newest = NULL;
	*revoked = false;
	*when = 0;
	if (reason != NULL)
		*reason = -1;
	for (i = 0; i < s->n; i++) {
		time_t w;
		bool rv;
		int rs;

		if (s->root[i] < 0)
			continue;
		/* Not its issuer's (or not that root's) CRL: it does not speak. */
		if (edge_crl_cert_status(&s->c[i], roots->crt[s->root[i]], cert,
		    what, &rv, &w, &rs, NULL) != EDGE_OK)
			continue;
		*newest = newer(*newest, &s->c[i]);
		if (!rv || newer(lister, &s->c[i]) == lister)
			continue;
		/* Listed: report the newest CRL that lists it. */
		lister = &s->c[i];
		*revoked = true;
		*when = w;
		if (reason != NULL)
			*reason = rs;
	}
	return EDGE_OK;
}

/* One certificate of the hub's chain (edge_crls_hub_chain). */
static enum edge_crl_hub
hub_status(const struct edge_crls *s, const struct edge_certs *roots,
    gnutls_x509_crt_t crt, time_t now, long grace, bool *stale)
{
	const struct edge_crl *crl = NULL;
	bool revoked = false, st = false;
	time_t when;

	if (crt == NULL || edge_crls_cert_status(s, roots, crt,
	    "hub certificate", &crl, &revoked, &when, NULL, NULL) != EDGE_OK)
		return EDGE_CRL_HUB_UNKNOWN;
	if (crl == NULL)
		return EDGE_CRL_HUB_NO_CRL;
	if (edge_crl_started(crl, now, EDGE_CRL_FILE, NULL) != EDGE_OK)
		return EDGE_CRL_HUB_NOT_YET;
	if (edge_crl_fresh(crl, now, grace, EDGE_CRL_FILE, &st, NULL) !=
	    EDGE_OK)
		return EDGE_CRL_HUB_STALE;
	if (st)
		*stale = true;
	return revoked ? EDGE_CRL_HUB_REVOKED : EDGE_CRL_HUB_GOOD;
}

enum edge_crl_hub
edge_crls_hub_chain(const struct edge_crls *s, const struct edge_certs *roots,
    const gnutls_x509_crt_t *chain, size_t n, time_t now, long grace,
    size_t *depth, bool *stale)
{
	enum edge_crl_hub v;
	size_t i;

	*depth = 0;
	if (n == 0 || chain == NULL)
		return EDGE_CRL_HUB_UNKNOWN;
	/* The last is the trusted root itself, unless it is all there is. */
	for (i = 0; i == 0 || i < n - 1; i++) {
		v = hub_status(s, roots, chain[i], now, grace, stale);
		if (v != EDGE_CRL_HUB_GOOD) {
			*depth = i;
			return v;
		}
	}
	return EDGE_CRL_HUB_GOOD;
}

const char *
edge_crl_hub_reason(enum edge_crl_hub v)
{
	switch (v) {
	case EDGE_CRL_HUB_GOOD:
		return "not revoked";
	case EDGE_CRL_HUB_REVOKED:
		return "revoked (listed in crl.pem)";
	case EDGE_CRL_HUB_NO_CRL:
		return "crl.pem holds no CRL of its issuer";
	case EDGE_CRL_HUB_NOT_YET:
		return "crl.pem is not yet valid (or the clock is wrong)";
	case EDGE_CRL_HUB_STALE:
		return "crl.pem is stale (past its nextUpdate and --crl-grace; run edge-crl-update)";
	case EDGE_CRL_HUB_UNKNOWN:
	default:
		return "its revocation cannot be judged";
	}
}

int
edge_crls_load_hub(int dirfd, int cadirfd, const char *ca,
    struct edge_certs *roots, struct edge_crls *crls, bool *have,
    struct edge_error *err)
{
	int rc;

	*have = false;
	if (!edge_file_exists(dirfd, EDGE_CRL_FILE))
		return EDGE_OK;
	if ((rc = edge_certs_read(cadirfd, ca, roots, err)) != EDGE_OK ||
	    (rc = edge_crls_load(dirfd, EDGE_CRL_FILE, roots, crls, err)) !=
	    EDGE_OK || (rc = edge_crls_strict(crls, err)) != EDGE_OK)
		return rc;
	*have = true;
	return EDGE_OK;
}

static int
write_one(struct edge_atomic *a, const struct edge_crl *c,
    struct edge_error *err)
{
	char head[256];
	int n, rc;

	n = snprintf(head, sizeof(head),
	    "# edgecert-crl number=%s this-update=%lld sha256=%s next-update=%lld\n",
	    c->facts.number[0] ? c->facts.number : "-",
	    (long long)c->facts.this_update, c->facts.sha256,
	    (long long)c->next_update);
	if ((rc = edge_file_atomic_write(a, head, (size_t)n, err)) != EDGE_OK)
		return rc;
	return edge_pem_write(a, "X509 CRL", c->buf, c->len, err);
}

/* Whether root r is one of the roots of the CRLs in s. */
static bool
has_root(const struct edge_crls *s, int r)
{
	unsigned i;

	for (i = 0; i < s->n; i++)
		if (s->root[i] == r)
			return true;
	return false;
}

int
edge_crls_install(int dirfd, const char *name, const struct edge_crls *have,
    const struct edge_crls *add, struct edge_error *err)
{
	struct edge_atomic a = { .fd = -1 };
	unsigned i;
	int rc;

	if ((rc = edge_file_atomic_begin(dirfd, name, EDGE_MODE_PUBLIC, &a,
	    err)) != EDGE_OK)
		return rc;
	/* The other roots' CRLs stay; a CRL no current root verifies is dropped. */
	for (i = 0; have != NULL && i < have->n; i++)
		if (have->root[i] >= 0 && !has_root(add, have->root[i]) &&
		    (rc = write_one(&a, &have->c[i], err)) != EDGE_OK)
			goto out;
	for (i = 0; i < add->n; i++)
		if ((rc = write_one(&a, &add->c[i], err)) != EDGE_OK)
			goto out;
	rc = edge_file_atomic_commit(&a, err);
out:
	edge_file_atomic_abort(&a);
	return rc;
}

int
edge_crl_started(const struct edge_crl *c, time_t now, const char *what,
    struct edge_error *err)
{
	char tu[32];

	/* A clock a little behind the hub's must not make a new CRL useless. */
	if (c->facts.this_update <= now + EDGE_TIME_TOLERANCE)
		return EDGE_OK;
	edge_x509_time(c->facts.this_update, tu, sizeof(tu));
	return edge_err(err, EDGE_ETRUST,
	    "%s: not yet valid: issued in the future (thisUpdate %s, more than %ds ahead of the clock); check the clocks",
	    what, tu, EDGE_TIME_TOLERANCE);
}

int
edge_crl_fresh(const struct edge_crl *c, time_t now, long grace,
    const char *what, bool *stale, struct edge_error *err)
{
	char nu[32];
	int rc;

	*stale = false;
	if ((rc = edge_crl_started(c, now, what, err)) != EDGE_OK)
		return rc;
	if (c->next_update == 0 || now <= c->next_update)
		return EDGE_OK;
	edge_x509_time(c->next_update, nu, sizeof(nu));
	if (now - c->next_update <= grace) {
		*stale = true;
		return EDGE_OK;
	}
	return edge_err(err, EDGE_ETRUST,
	    "%s: stale CRL: nextUpdate %s passed more than the grace of %lds ago; run edge-crl-update",
	    what, nu, grace);
}

int
edge_crl_cert_revoked(int dirfd, const char *cert, bool *revoked, char *sn,
    size_t snlen, time_t *when, struct edge_error *err)
{
	struct edge_certs roots = { 0 }, c = { 0 };
	struct edge_crls crls = { 0 };
	const struct edge_crl *crl;
	int rc;

	*revoked = false;
	if ((rc = edge_certs_read(dirfd, EDGE_CA_FILE, &roots, err)) != EDGE_OK)
		return rc;
	if ((rc = edge_crls_load(dirfd, EDGE_CRL_FILE, &roots, &crls, err)) !=
	    EDGE_OK || (rc = edge_crls_strict(&crls, err)) != EDGE_OK ||
	    (rc = edge_certs_read(dirfd, cert, &c, err)) != EDGE_OK)
		goto out;
	if ((rc = edge_crls_cert_status(&crls, &roots, c.crt[0], cert, &crl,
	    revoked, when, NULL, err)) != EDGE_OK)
		goto out;
	if (crl == NULL) {
		rc = edge_err(err, EDGE_ETRUST, "crl.pem: no CRL of the issuer of %s",
		    cert);
		goto out;
	}
	if (edge_x509_serial_dec(c.crt[0], sn, snlen) != EDGE_OK)
		rc = edge_err(err, EDGE_EINPUT, "%s: unreadable serial", cert);
out:
	edge_certs_free(&c);
	edge_certs_free(&roots);
	edge_crls_free(&crls);
	return rc;
}
