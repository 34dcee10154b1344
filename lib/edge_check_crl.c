/* SPDX-License-Identifier: MIT */
/*
 * edge-check: the stored CRLs (crl.verified, crl.fresh) and the trusted
 * roots (root.expiry).  The rules are edge_crlstore.h's: edge_crls_load
 * (which root verifies each CRL) and edge_crl_fresh (usable until
 * nextUpdate plus the grace), the same edge-connect and edge-crl-update use.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "edge_check.h"
#include "edge_crlstore.h"
#include "edge_file.h"
#include "edge_state.h"
#include "edge_x509.h"

/* A root ending within this many days warns even when it outlives cert.pem. */
#define ROOT_WARN_DAYS	365

static long long
days_to(time_t t, time_t now)
{
	long long d = (long long)t - (long long)now;

	return d >= 0 ? d / 86400 : -((-d + 86399) / 86400);
}

static void
check_verified(const struct edge_check_env *e, struct edge_findings *f,
    int lrc, const struct edge_crls *crls, const struct edge_error *err)
{
	json_object *d;
	unsigned verified = 0, i;

	if (lrc != EDGE_OK) {
		edge_check_add(f, "crl.verified", EDGE_V_FAIL, NULL,
		    "edge-crl-update (replaces crl.pem with the hub's verified CRLs)",
		    "%s: %s", EDGE_CRL_FILE, err->msg);
		return;
	}
	for (i = 0; i < crls->n; i++)
		if (crls->root[i] >= 0)
			verified++;
	d = json_object_new_object();
	json_object_object_add(d, "verified", json_object_new_int64(verified));
	json_object_object_add(d, "dropped",
	    json_object_new_int64(crls->dropped));
	json_object_object_add(d, "others", json_object_new_int64(crls->others));
	if (crls->dropped > 0)
		edge_check_add(f, "crl.verified", EDGE_V_FAIL, d,
		    "edge-crl-update (replaces crl.pem with the hub's verified CRLs)",
		    "%u CRL(s) in %s not verified by a root in %s: %s (%u verified)",
		    crls->dropped, EDGE_CRL_FILE, EDGE_CA_FILE, crls->bad.msg,
		    verified);
	else if (crls->others > 0)
		edge_check_add(f, "crl.verified", EDGE_V_WARN, d,
		    "edge-crl-update (keeps only the CRLs of the roots in ca.pem)",
		    "%u CRL(s) in %s of no root in %s: they are ignored (%u verified)",
		    crls->others, EDGE_CRL_FILE, EDGE_CA_FILE, verified);
	else if (verified == 0)
		edge_check_add(f, "crl.verified", EDGE_V_WARN, d,
		    "edge-crl-update", "%s holds no CRL", EDGE_CRL_FILE);
	else
		edge_check_add(f, "crl.verified", EDGE_V_OK, d, NULL,
		    "%u CRL(s) in %s, each verified by a root in %s",
		    verified, EDGE_CRL_FILE, EDGE_CA_FILE);
	(void)e;
}

/* The verified CRL that is least fresh decides. */
static void
check_fresh(const struct edge_check_env *e, struct edge_findings *f,
    const struct edge_crls *crls)
{
	const struct edge_crl *worst = NULL;
	struct edge_error err = { 0 }, werr = { 0 };
	bool stale = false, wstale = false;
	int wrc = EDGE_OK;
	unsigned i;
	char nu[32], fix[EDGE_CHECK_FIX_MAX];
	json_object *d;
	long long left;

	for (i = 0; i < crls->n; i++) {
		const struct edge_crl *c = &crls->c[i];
		int rc;

		if (crls->root[i] < 0)
			continue;
		memset(&err, 0, sizeof(err));
		rc = edge_crl_fresh(c, e->now, e->crl_grace, EDGE_CRL_FILE,
		    &stale, &err);
		/* failed, then stale, then the earliest nextUpdate */
		if (worst == NULL || (rc != EDGE_OK && wrc == EDGE_OK) ||
		    (rc == wrc && stale && !wstale) ||
		    (rc == wrc && stale == wstale && c->next_update != 0 &&
		    (worst->next_update == 0 ||
		    c->next_update < worst->next_update))) {
			worst = c;
			wrc = rc;
			wstale = stale;
			werr = err;
		}
	}
	if (worst == NULL) {
		edge_check_add(f, "crl.fresh", EDGE_V_SKIP, NULL, NULL,
		    "no verified CRL (see crl.verified)");
		return;
	}
	d = json_object_new_object();
	if (worst->next_update != 0)
		edge_x509_time(worst->next_update, nu, sizeof(nu));
	else
		snprintf(nu, sizeof(nu), "none");
	json_object_object_add(d, "next_update", worst->next_update != 0 ?
	    json_object_new_string(nu) : NULL);
	json_object_object_add(d, "grace", json_object_new_int64(e->crl_grace));
	left = worst->next_update != 0 ?
	    ((long long)worst->next_update - (long long)e->now) : 0;
	json_object_object_add(d, "seconds_left", worst->next_update != 0 ?
	    json_object_new_int64(left) : NULL);
	snprintf(fix, sizeof(fix),
	    "edge-crl-update (and check that edge-crl-update.timer runs)");
	if (wrc != EDGE_OK)
		edge_check_add(f, "crl.fresh", EDGE_V_FAIL, d, fix,
		    "%s (next update %s, grace %lds): edge-connect refuses it",
		    werr.msg, nu, e->crl_grace);
	else if (wstale)
		edge_check_add(f, "crl.fresh", EDGE_V_WARN, d, fix,
		    "%s: past its next update %s by %lld hour(s), within the grace of %lds",
		    EDGE_CRL_FILE, nu, -left / 3600, e->crl_grace);
	else if (worst->next_update == 0)
		edge_check_add(f, "crl.fresh", EDGE_V_OK, d, NULL,
		    "%s: no next update given", EDGE_CRL_FILE);
	else
		edge_check_add(f, "crl.fresh", EDGE_V_OK, d, NULL,
		    "%s: next update %s, in %lld hour(s)", EDGE_CRL_FILE, nu,
		    left / 3600);
}

/*
 * Each root: fail when expired; warn when it ends before cert.pem does
 * (the chain breaks first) or within ROOT_WARN_DAYS.
 */
static void
check_roots(const struct edge_check_env *e, struct edge_findings *f,
    const struct edge_certs *roots, time_t cert_end)
{
	json_object *d = json_object_new_object(), *a = json_object_new_array();
	enum edge_verdict v = EDGE_V_OK;
	char subj[256] = "", na[32] = "", ce[32] = "";
	long long wdays = 0;
	time_t first = 0;
	unsigned i;

	for (i = 0; i < roots->n; i++) {
		time_t end = gnutls_x509_crt_get_expiration_time(roots->crt[i]);
		long long days = days_to(end, e->now);
		enum edge_verdict rv = EDGE_V_OK;
		json_object *r = json_object_new_object();
		char s[256], t[32];

		edge_x509_subject(roots->crt[i], s, sizeof(s));
		edge_x509_time(end, t, sizeof(t));
		json_object_object_add(r, "subject", json_object_new_string(s));
		json_object_object_add(r, "not_after", json_object_new_string(t));
		json_object_object_add(r, "days_left",
		    json_object_new_int64(days));
		json_object_array_add(a, r);
		if (end <= e->now)
			rv = EDGE_V_FAIL;
		else if ((cert_end != 0 && end < cert_end) ||
		    days < ROOT_WARN_DAYS)
			rv = EDGE_V_WARN;
		if (rv > v || (rv == v && (first == 0 || end < first))) {
			v = rv;
			first = end;
			wdays = days;
			snprintf(subj, sizeof(subj), "%s", s);
			snprintf(na, sizeof(na), "%s", t);
		}
	}
	json_object_object_add(d, "roots", a);
	if (cert_end != 0)
		edge_x509_time(cert_end, ce, sizeof(ce));
	if (v == EDGE_V_FAIL)
		edge_check_add(f, "root.expiry", v, d,
		    "edge-crl-update --ca (the hub's current roots)",
		    "root %s in %s expired %s (%lld day(s) ago)", subj,
		    EDGE_CA_FILE, na, -wdays);
	else if (v == EDGE_V_WARN && cert_end != 0 && first < cert_end)
		edge_check_add(f, "root.expiry", v, d,
		    "edge-crl-update --ca (the hub's new root) before it ends; the hub rotates its root (enos-hub --rotate-root)",
		    "root %s in %s ends %s (in %lld days), before %s does (%s)",
		    subj, EDGE_CA_FILE, na, wdays, EDGE_CERT_FILE, ce);
	else if (v == EDGE_V_WARN)
		edge_check_add(f, "root.expiry", v, d,
		    "edge-crl-update --ca (the hub's new root) before it ends",
		    "root %s in %s ends %s, within a year (in %lld days)",
		    subj, EDGE_CA_FILE, na, wdays);
	else
		edge_check_add(f, "root.expiry", v, d, NULL,
		    "%u root(s) in %s; the first to end: %s on %s (in %lld days)",
		    roots->n, EDGE_CA_FILE, subj, na, wdays);
}

void
edge_check_crl(const struct edge_check_env *e, struct edge_findings *f)
{
	struct edge_certs roots = { 0 }, cert = { 0 };
	struct edge_crls crls = { 0 };
	struct edge_error err = { 0 };
	time_t cert_end = 0;
	int rc;

	if (!edge_file_exists(e->dirfd, EDGE_CA_FILE))
		rc = edge_state_missing(EDGE_CA_FILE, &err);
	else
		rc = edge_certs_read(e->dirfd, EDGE_CA_FILE, &roots, &err);
	if (rc != EDGE_OK) {
		const char *m = edge_state_maker(EDGE_CA_FILE);

		edge_check_add(f, "crl.verified", EDGE_V_FAIL, NULL, m ? m : "",
		    "CRLs cannot be verified: %s", err.msg);
		edge_check_add(f, "crl.fresh", EDGE_V_SKIP, NULL, NULL,
		    "no readable %s (see crl.verified)", EDGE_CA_FILE);
		edge_check_add(f, "root.expiry", EDGE_V_FAIL, NULL, m ? m : "",
		    "%s", err.msg);
		return;
	}
	if (!edge_file_exists(e->dirfd, EDGE_CRL_FILE)) {
		edge_check_add(f, "crl.verified", EDGE_V_WARN, NULL,
		    "edge-crl-update",
		    "no %s: revocation is not checked (edge-connect warns)",
		    EDGE_CRL_FILE);
		edge_check_add(f, "crl.fresh", EDGE_V_SKIP, NULL, NULL,
		    "no %s (see crl.verified)", EDGE_CRL_FILE);
	} else {
		rc = edge_crls_load(e->dirfd, EDGE_CRL_FILE, &roots, &crls, &err);
		check_verified(e, f, rc, &crls, &err);
		check_fresh(e, f, &crls);
	}
	if (edge_file_exists(e->dirfd, EDGE_CERT_FILE) &&
	    edge_certs_read(e->dirfd, EDGE_CERT_FILE, &cert, NULL) == EDGE_OK &&
	    cert.n > 0)
		cert_end = gnutls_x509_crt_get_expiration_time(cert.crt[0]);
	check_roots(e, f, &roots, cert_end);
	edge_certs_free(&cert);
	edge_certs_free(&roots);
	edge_crls_free(&crls);
}
