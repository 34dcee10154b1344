/* SPDX-License-Identifier: MIT */
/*
 * edge-crl-update: fetch the hub's CRL (and with --ca its root CA), verify it
 * against the trusted roots, refuse rollbacks and CRLs from the future, and
 * install it atomically as DIR/crl.pem; --check tells whether a certificate
 * is revoked, offline.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "edge_crl.h"
#include "edge_crlstore.h"
#include "edge_file.h"
#include "edge_hubcfg.h"
#include "edge_log.h"
#include "edge_state.h"
#include "edge_time.h"
#include "edge_tool.h"
#include "edge_x509.h"

#define CRL_PATH	"/enos/CA/crl"
#define CACERT_PATH	"/enos/CA/cacert"

static const struct edge_opt opts[] = {
	{ "portal", 0, "URL", 0, "hub portal serving /enos/CA/crl and /enos/CA/cacert (default: the portal edge-provision recorded in DIR/device.json)", NULL, EDGE_T_STRING, 0, 0 },
	{ "url", 0, "URL", 0, "fetch the CRL from this URL instead of PORTAL/enos/CA/crl", NULL, EDGE_T_STRING, 0, 0 },
	{ "from", 0, "FILE", 0, "install the CRL from FILE (PEM or DER) instead of fetching it; '-' for stdin", NULL, EDGE_T_STRING, 0, 0 },
	/* Command line only: in a shared edge.conf "ca" names the root CA file. */
	{ "ca", 0, NULL, EDGE_OPT_CLI, "also update the root CA certificate from PORTAL/enos/CA/cacert", NULL, EDGE_T_FLAG, 0, 0 },
	{ "trust-new-root", 0, "SHA256", 0, "accept a new root CA with this SHA-256 fingerprint (sha256:HEX, as printed)", NULL, EDGE_T_STRING, 0, 0 },
	{ "check", 0, NULL, EDGE_OPT_CLI, "only tell whether CERT (default DIR/cert.pem) is revoked by DIR/crl.pem: exit 0 or 8", NULL, EDGE_T_FLAG, 0, 0 },
	{ "hub-ca", 0, "FILE", 0, "CA bundle trusted for the portal's HTTPS (default: the system store)", NULL, EDGE_T_STRING, 0, 0 },
	{ "max-crl-size", 0, "BYTES", 0, "largest CRL accepted, downloaded or read with --from", "67108864", EDGE_T_INT, 1, EDGE_NO_MAX },
	{ "crl-grace", 0, "SECS", 0, "how long after its nextUpdate a CRL is still used, with a warning", "86400", EDGE_T_INT, 0, EDGE_NO_MAX },
	{ "hub-pin", 0, "PINS", 0, "pin the portal's key: sha256//BASE64 of its SubjectPublicKeyInfo, several separated by ';'", NULL, EDGE_T_STRING, 0, 0 },
	{ "timeout", 0, "SECS", 0, "time limit for one request", "30", EDGE_T_INT, 1, 3600 },
	{ "retries", 0, "N", 0, "retries of a request that failed temporarily", "3", EDGE_T_INT, 0, 100 },
	{ NULL, 0, NULL, 0, NULL, NULL, EDGE_T_STRING, 0, 0 }
};

static int
read_roots(struct edge_ctx *ctx, int dirfd, struct edge_certs *roots)
{
	/* Missing input: the step that makes it (exit 3), and the other way in. */
	if (!edge_file_exists(dirfd, EDGE_CA_FILE))
		return edge_err(&ctx->err, EDGE_EINPUT,
		    "%s: missing; run %s first, or edge-crl-update --ca --trust-new-root SHA256",
		    EDGE_CA_FILE, edge_state_maker(EDGE_CA_FILE));
	return edge_certs_read(dirfd, EDGE_CA_FILE, roots, &ctx->err);
}

/* ---- root CA update --------------------------------------------------- */

static void
fingerprint(gnutls_x509_crt_t crt, char *hex, size_t len)
{
	unsigned char fp[32];
	size_t n = sizeof(fp), i;

	hex[0] = '\0';
	if (gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, fp, &n) < 0)
		return;
	for (i = 0; i < n && 2 * i + 2 < len; i++)
		sprintf(hex + 2 * i, "%02x", fp[i]);
}

/*
 * The forms a fingerprint is printed in: "sha256:" (any case, optional)
 * then 64 hex digits, bare or as 32 colon-separated pairs (openssl's
 * -fingerprint).  To bare lowercase hex in out[65]; -1 for anything else.
 */
static int
parse_fp(const char *in, char *out)
{
	const char *p = in;
	bool colons;
	size_t n = 0;

	if (strncasecmp(p, "sha256:", 7) == 0)
		p += 7;
	colons = strchr(p, ':') != NULL;
	while (*p != '\0') {
		if (n == 64 || !isxdigit((unsigned char)*p))
			return -1;
		out[n++] = (char)tolower((unsigned char)*p++);
		if (colons && n % 2 == 0 && n < 64 && *p++ != ':')
			return -1;
	}
	out[n] = '\0';
	return n == 64 ? 0 : -1;
}

static bool
is_root_in(gnutls_x509_crt_t c, const struct edge_certs *roots)
{
	unsigned i;

	for (i = 0; i < roots->n; i++)
		if (gnutls_x509_crt_equals(c, roots->crt[i]))
			return true;
	return false;
}

/* Same subject name and same public key. */
static bool
same_subject_key(gnutls_x509_crt_t a, gnutls_x509_crt_t b)
{
	unsigned char ka[32], kb[32];
	size_t na = sizeof(ka), nb = sizeof(kb);
	gnutls_datum_t da = { NULL, 0 }, db = { NULL, 0 };
	bool same;

	same = gnutls_x509_crt_get_raw_dn(a, &da) >= 0 &&
	    gnutls_x509_crt_get_raw_dn(b, &db) >= 0 && da.size == db.size &&
	    memcmp(da.data, db.data, da.size) == 0 &&
	    gnutls_x509_crt_get_key_id(a, GNUTLS_KEYID_USE_SHA256, ka, &na) >= 0 &&
	    gnutls_x509_crt_get_key_id(b, GNUTLS_KEYID_USE_SHA256, kb, &nb) >= 0 &&
	    na == nb && memcmp(ka, kb, na) == 0;
	gnutls_free(da.data);
	gnutls_free(db.data);
	return same;
}

/*
 * A link certificate for root: a CA certificate with the new root's
 * subject name and key, issued by a current root and valid now.
 */
static bool
linked(gnutls_x509_crt_t root, const struct edge_certs *got,
    const struct edge_certs *roots)
{
	unsigned i;

	for (i = 1; i < got->n; i++)
		if (same_subject_key(got->crt[i], root) &&
		    gnutls_x509_crt_get_ca_status(got->crt[i], NULL) > 0 &&
		    edge_x509_verify(got->crt[i], roots, NULL, 0, 0, "link",
		    NULL) == EDGE_OK)
			return true;
	return false;
}

/* ca.pem's PEM bundle: new root first; the old ones stay until they expire. */
static int
root_bundle(struct edge_ctx *ctx, gnutls_x509_crt_t newroot,
    const struct edge_certs *roots, char **bundle, size_t *blen)
{
	gnutls_datum_t pem;
	unsigned i;

	for (i = 0; i <= roots->n; i++) {
		gnutls_x509_crt_t c = i == 0 ? newroot : roots->crt[i - 1];
		char *nb;

		if (i > 0 && gnutls_x509_crt_get_expiration_time(c) < time(NULL))
			continue;
		if (gnutls_x509_crt_export2(c, GNUTLS_X509_FMT_PEM, &pem) < 0 ||
		    (nb = realloc(*bundle, *blen + pem.size)) == NULL) {
			gnutls_free(pem.data);
			return edge_err(&ctx->err, EDGE_EFAIL, "cannot encode the roots");
		}
		*bundle = nb;
		memcpy(*bundle + *blen, pem.data, pem.size);
		*blen += pem.size;
		gnutls_free(pem.data);
	}
	return EDGE_OK;
}

/*
 * Fetch the portal's root CA and, when it is new and trusted, write the new
 * bundle to a temporary file in *ca (begun, not committed: *changed true).
 * The caller commits it once the CRL is stored, so that a full disk or any
 * later failure leaves both files as they were.
 *
 * The answer is the new self-signed root, optionally followed by link
 * certificates.  The root is taken only when a link certificate signed by
 * a current root vouches for its name and key, or when the operator gave
 * its fingerprint: never because of the TLS connection it came over (any
 * certificate the hub's CA issued, a device's too, can serve that).
 */
static int
update_root(struct edge_ctx *ctx, struct edge_hub *hub, int dirfd,
    const char *base, const char *want, struct edge_certs *roots,
    struct edge_atomic *ca, bool *changed, char *note, size_t notelen)
{
	struct edge_http_response resp = { 0 };
	struct edge_certs got = { 0 };
	char url[1024], fp[80];
	const char *how = NULL;
	char *bundle = NULL;
	size_t blen = 0;
	unsigned status = 0;
	int rc;

	*changed = false;
	snprintf(url, sizeof(url), "%s%s", base, CACERT_PATH);
	if ((rc = edge_hub_get(hub, url, &resp, &ctx->err)) != EDGE_OK)
		return rc;
	rc = edge_certs_load(resp.body, resp.len, url, &got, &ctx->err);
	edge_http_response_free(&resp);
	if (rc != EDGE_OK)
		return rc;
	if (is_root_in(got.crt[0], roots)) {
		edge_certs_free(&got);
		return EDGE_OK;
	}
	if (gnutls_x509_crt_get_ca_status(got.crt[0], NULL) <= 0) {
		rc = edge_err(&ctx->err, EDGE_ETRUST, "%s: not a CA certificate", url);
		goto out;
	}
	/* A trust anchor signs itself; a cross-signed copy is a link, not a root. */
	if (gnutls_x509_crt_verify(got.crt[0], &got.crt[0], 1,
	    GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
	    GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS, &status) < 0 ||
	    status != 0) {
		rc = edge_err(&ctx->err, EDGE_ETRUST,
		    "%s: the first certificate is not a self-signed root CA", url);
		goto out;
	}
	fingerprint(got.crt[0], fp, sizeof(fp));
	if (want != NULL) {
		if (strcmp(want, fp) != 0) {
			rc = edge_err(&ctx->err, EDGE_ETRUST,
			    "new root CA sha256:%s is not the one given with --trust-new-root",
			    fp);
			goto out;
		}
		how = "fingerprint confirmed by the operator";
	} else if (roots->n > 0 && linked(got.crt[0], &got, roots)) {
		how = "link certificate signed by the current root";
	}
	if (how == NULL) {
		rc = edge_err(&ctx->err, EDGE_ETRUST,
		    "new root CA sha256:%s has no link certificate signed by a root in " EDGE_CA_FILE "; check its fingerprint out of band and confirm it with --trust-new-root",
		    fp);
		goto out;
	}
	if ((rc = root_bundle(ctx, got.crt[0], roots, &bundle, &blen)) !=
	    EDGE_OK)
		goto out;
	if ((rc = edge_file_atomic_begin(dirfd, EDGE_CA_FILE, EDGE_MODE_PUBLIC,
	    ca, &ctx->err)) != EDGE_OK ||
	    (rc = edge_file_atomic_write(ca, bundle, blen, &ctx->err)) != EDGE_OK)
		goto out;
	/* Said once it is committed (install()): a later failure installs nothing. */
	snprintf(note, notelen, "sha256:%s (%s)", fp, how);
	*changed = true;
	edge_certs_free(roots);
	rc = edge_certs_load(bundle, blen, EDGE_CA_FILE, roots, &ctx->err);
out:
	free(bundle);
	edge_certs_free(&got);
	return rc;
}

/* ---- --check ------------------------------------------------------------ */

/* One certificate against the CRL: 0, or EDGE_EREVOKED. */
static int
check_one(struct edge_ctx *ctx, const struct edge_crls *crls,
    const struct edge_certs *roots, const char *name, bool in_state, int dirfd,
    json_object *answers, const struct edge_crl **used)
{
	struct edge_certs cert = { 0 };
	const struct edge_crl *crl;
	json_object *o;
	char sn[128], at[32] = "";
	time_t when;
	bool revoked, stale;
	int rc, reason;

	if ((rc = edge_certs_read(in_state ? dirfd : AT_FDCWD, name, &cert,
	    &ctx->err)) != EDGE_OK)
		goto out;
	if (edge_x509_serial_dec(cert.crt[0], sn, sizeof(sn)) != EDGE_OK) {
		rc = edge_err(&ctx->err, EDGE_EINPUT, "%s: unreadable serial", name);
		goto out;
	}
	/*
	 * A CRL speaks only for certificates of its own issuer; of several of
	 * one root, any that lists the certificate revokes it.
	 */
	if ((rc = edge_crls_cert_status(crls, roots, cert.crt[0], name, &crl,
	    &revoked, &when, &reason, &ctx->err)) != EDGE_OK)
		goto out;
	if (crl == NULL) {
		rc = edge_err(&ctx->err, EDGE_EINPUT,
		    "%s: not issued by the CA of the CRL (no CRL in %s speaks for it)",
		    name, EDGE_CRL_FILE);
		goto out;
	}
	*used = crl;
	if ((rc = edge_crl_fresh(crl, edge_time_now(),
	    edge_arg_long(ctx, "crl-grace", EDGE_CRL_GRACE_DEFAULT),
	    EDGE_CRL_FILE, &stale, &ctx->err)) != EDGE_OK)
		goto out;
	if (stale)
		edge_warn("%s is stale (nextUpdate passed, within the grace of --crl-grace); run edge-crl-update",
		    EDGE_CRL_FILE);
	if (revoked)
		edge_x509_time(when, at, sizeof(at));
	o = json_object_new_object();
	json_object_object_add(o, "cert", json_object_new_string(name));
	json_object_object_add(o, "serial", json_object_new_string(sn));
	json_object_object_add(o, "revoked", json_object_new_boolean(revoked));
	json_object_object_add(o, "revoked_at",
	    revoked ? json_object_new_string(at) : NULL);
	json_object_object_add(o, "reason", edge_crl_reason_name(reason) ?
	    json_object_new_string(edge_crl_reason_name(reason)) : NULL);
	json_object_array_add(answers, o);
	edge_out(ctx, "%s serial %s: %s%s%s%s\n", name, sn,
	    revoked ? "REVOKED at " : "not revoked", at,
	    edge_crl_reason_name(reason) ? ", " : "",
	    edge_crl_reason_name(reason) ? edge_crl_reason_name(reason) : "");
	if (revoked)
		rc = edge_err(&ctx->err, EDGE_EREVOKED, "%s: serial %s is revoked (since %s)",
		    name, sn, at);
out:
	edge_certs_free(&cert);
	return rc;
}

static int
check(struct edge_ctx *ctx, int dirfd)
{
	struct edge_certs roots = { 0 };
	struct edge_crls crls = { 0 };
	const struct edge_crl *used = NULL;
	json_object *answers = json_object_new_array();
	int rc, i, worst = EDGE_OK;
	unsigned ci;

	if ((rc = read_roots(ctx, dirfd, &roots)) != EDGE_OK)
		goto out;
	/* Without any CRL nothing can be answered: the policy's exit 6. */
	if (!edge_file_exists(dirfd, EDGE_CRL_FILE)) {
		rc = edge_err(&ctx->err, EDGE_ETRUST,
		    EDGE_CRL_FILE ": no CRL installed yet; run edge-crl-update");
		goto out;
	}
	if ((rc = edge_crls_load(dirfd, EDGE_CRL_FILE, &roots, &crls,
	    &ctx->err)) != EDGE_OK ||
	    (rc = edge_crls_strict(&crls, &ctx->err)) != EDGE_OK)
		goto out;
	/* Several certificates: sort each CRL once, then binary searches. */
	for (ci = 0; ctx->opts.nargs > 1 && ci < crls.n; ci++)
		if ((rc = edge_crl_index(&crls.c[ci], &ctx->err)) != EDGE_OK)
			goto out;
	for (i = 0; i < (ctx->opts.nargs ? ctx->opts.nargs : 1); i++) {
		rc = ctx->opts.nargs ? check_one(ctx, &crls, &roots,
		    ctx->opts.args[i], false, dirfd, answers, &used) :
		    check_one(ctx, &crls, &roots, EDGE_CERT_FILE, true, dirfd,
		    answers, &used);
		/* Revoked is an answer (exit 8 at the end); anything else stops. */
		if (rc == EDGE_EREVOKED)
			worst = rc;
		else if (rc != EDGE_OK)
			goto out;
	}
	rc = worst;
	if (rc == EDGE_EREVOKED && ctx->opts.nargs > 1)
		edge_err(&ctx->err, EDGE_EREVOKED, "%s", "one or more certificates are revoked");
	if (json_object_array_length(answers) == 1) {
		json_object_object_foreach(json_object_array_get_idx(answers, 0), k, v)
			if (strcmp(k, "cert") != 0)
				json_object_object_add(ctx->result, k, json_object_get(v));
	} else {
		json_object_object_add(ctx->result, "certs", json_object_get(answers));
	}
	edge_result_str(ctx, "crl_number", used != NULL && used->facts.number[0] ?
	    used->facts.number : NULL);
	/* The JSON result stands even for exit 8: it is the answer asked for. */
	ctx->keep_result = true;
out:
	json_object_put(answers);
	edge_certs_free(&roots);
	edge_crls_free(&crls);
	return rc;
}

/* ---- install ------------------------------------------------------------- */

/* The CRLs of the download or of --from: several when roots rotate. */
static int
obtain(struct edge_ctx *ctx, struct edge_hub *hub, const char *base,
    size_t max_size, struct edge_crls *crls, char *source, size_t srclen)
{
	struct edge_http_response resp = { 0 };
	const char *from = edge_arg(ctx, "from");
	char *body;
	size_t len = 0;
	int rc;

	if (from != NULL) {
		snprintf(source, srclen, "%s", from);
		/* A file is capped like a download. */
		if ((rc = edge_file_read(AT_FDCWD, from, max_size, &body, &len,
		    &ctx->err)) != EDGE_OK)
			return rc;
		return edge_crls_parse(body, len, source, crls, &ctx->err);
	}
	if (edge_arg(ctx, "url") != NULL)
		snprintf(source, srclen, "%s", edge_arg(ctx, "url"));
	else
		snprintf(source, srclen, "%s%s", base, CRL_PATH);
	/* Capped like every hub answer; large CRLs need a larger --max-crl-size. */
	hub->http.max_response = max_size;
	if ((rc = edge_hub_get(hub, source, &resp, &ctx->err)) != EDGE_OK) {
		if (rc == EDGE_EINPUT && strstr(ctx->err.msg, "larger than") != NULL)
			edge_err(&ctx->err, EDGE_EINPUT,
			    "%s: CRL larger than --max-crl-size (%zu bytes); nothing installed",
			    source, max_size);
		return rc;
	}
	/* Give back the slack of the growing download buffer before parsing. */
	body = realloc(resp.body, resp.len ? resp.len : 1);
	if (body == NULL)
		body = (char *)resp.body;
	return edge_crls_parse(body, resp.len, source, crls, &ctx->err);
}

/* One installed CRL: a line of text and, for JSON, an object. */
static json_object *
report_one(struct edge_ctx *ctx, const struct edge_crl *c, bool changed)
{
	json_object *o = json_object_new_object();
	char tu[32], nu[32] = "";

	edge_x509_time(c->facts.this_update, tu, sizeof(tu));
	if (c->next_update != 0)
		edge_x509_time(c->next_update, nu, sizeof(nu));
	json_object_object_add(o, "crl_number", c->facts.number[0] ?
	    json_object_new_string(c->facts.number) : NULL);
	json_object_object_add(o, "this_update", json_object_new_string(tu));
	json_object_object_add(o, "next_update", nu[0] ?
	    json_object_new_string(nu) : NULL);
	json_object_object_add(o, "revoked", json_object_new_int64(c->count));
	edge_out(ctx, "%s number %s, %u revoked, this update %s%s\n", EDGE_CRL_FILE,
	    c->facts.number[0] ? c->facts.number : "-", c->count, tu,
	    changed ? "" : " (unchanged)");
	return o;
}

/*
 * The keys of the first CRL, then source, ca_changed, changed, skipped
 * (CRLs of other roots); with several CRLs also "crls", one object per CRL
 * (with its "changed").
 */
static void
report(struct edge_ctx *ctx, const struct edge_crls *got, const bool *changed,
    const char *source, bool ca_changed, unsigned skipped)
{
	json_object *list = json_object_new_array();
	bool any = false;
	unsigned i;

	for (i = 0; i < got->n; i++) {
		json_object *o = report_one(ctx, &got->c[i], changed[i]);

		if (i == 0) {
			json_object_object_foreach(o, k, v)
				json_object_object_add(ctx->result, k, json_object_get(v));
		}
		json_object_object_add(o, "changed",
		    json_object_new_boolean(changed[i]));
		json_object_array_add(list, o);
		any = any || changed[i];
	}
	edge_result_str(ctx, "source", source);
	edge_result_bool(ctx, "ca_changed", ca_changed);
	edge_result_bool(ctx, "changed", any || ca_changed);
	edge_result_int(ctx, "skipped", skipped);
	if (got->n > 1)
		json_object_object_add(ctx->result, "crls", json_object_get(list));
	json_object_put(list);
}

/* One update, from the options to the result. */
struct update {
	struct edge_certs roots;
	struct edge_crls got, have;
	struct edge_atomic ca;
	struct edge_hub hub;
	const char *base, *want;
	char source[1024], fpbuf[80], newroot[256];
	bool ca_changed, install, *changed;
	unsigned skipped;
	time_t now, newest;
	size_t max_size;
	long grace;
	int dirfd;
};

static int
read_options(struct edge_ctx *ctx, struct update *u)
{
	u->now = edge_time_now();
	/* Both checked against the option table before run(). */
	u->max_size = (size_t)edge_arg_long(ctx, "max-crl-size", 0);
	u->grace = edge_arg_long(ctx, "crl-grace", EDGE_CRL_GRACE_DEFAULT);
	u->want = edge_arg(ctx, "trust-new-root");
	if (u->want != NULL && parse_fp(u->want, u->fpbuf) != 0)
		return edge_usage(ctx,
		    "--trust-new-root %s: expected a SHA-256 fingerprint as printed: sha256:HEX (64 hex digits, colons allowed)",
		    u->want);
	return edge_ctx_dirfd(ctx, &u->dirfd);
}

/* The portal, the trusted roots and with --ca a new root (not yet committed). */
static int
read_roots_and_ca(struct edge_ctx *ctx, struct update *u)
{
	int rc;

	u->base = edge_arg(ctx, "portal");
	if (u->base == NULL && (edge_flag(ctx, "ca") || (edge_arg(ctx, "from") ==
	    NULL && edge_arg(ctx, "url") == NULL)))
		return edge_usage(ctx, "no portal: give --portal URL (or --url / --from)");
	if (edge_flag(ctx, "ca") && edge_arg(ctx, "from") != NULL)
		return edge_usage(ctx, "--ca fetches from the portal; it cannot be combined with --from");
	if (edge_flag(ctx, "ca") && !edge_file_exists(u->dirfd, EDGE_CA_FILE) &&
	    edge_arg(ctx, "trust-new-root") == NULL)
		return edge_err(&ctx->err, EDGE_ETRUST,
		    EDGE_CA_FILE ": no root CA to verify a new one with; confirm the first root with --trust-new-root SHA256");
	if (edge_file_exists(u->dirfd, EDGE_CA_FILE) &&
	    (rc = read_roots(ctx, u->dirfd, &u->roots)) != EDGE_OK)
		return rc;
	if (edge_flag(ctx, "ca") &&
	    (rc = update_root(ctx, &u->hub, u->dirfd, u->base,
	    u->want ? u->fpbuf : NULL, &u->roots, &u->ca, &u->ca_changed,
	    u->newroot, sizeof(u->newroot))) != EDGE_OK)
		return rc;
	if (u->roots.n == 0 && (rc = read_roots(ctx, u->dirfd, &u->roots)) !=
	    EDGE_OK)
		return rc;
	return EDGE_OK;
}

/*
 * Several CRLs in one input (both roots' during a rotation): each is
 * verified by its own root and checked on its own; one refused
 * refuses them all, so that nothing is installed half.  The CRL of a
 * root this edge does not trust (the other key of a rotation) is
 * skipped; one claiming a trusted root that does not verify it is not.
 */
static int
verify_got(struct edge_ctx *ctx, struct update *u)
{
	struct edge_crls *got = &u->got;
	unsigned i;
	int rc;

	if ((rc = edge_crls_verify(got, &u->roots, u->source, false,
	    &ctx->err)) != EDGE_OK)
		return rc;
	for (i = 0; i < got->n; i++)
		if (got->root[i] < 0) {
			char id[160];

			edge_crl_issuer_id(&got->c[i], id, sizeof(id));
			edge_verbose(1, "%s: CRL of another root (%s): skipped",
			    u->source, id);
		}
	u->skipped = got->others;
	edge_crls_drop_others(got);
	if ((u->changed = calloc(got->n, sizeof(*u->changed))) == NULL)
		return edge_err(&ctx->err, EDGE_EFAIL, "out of memory");
	for (i = 0; i < got->n; i++) {
		struct edge_crl *c = &got->c[i];
		unsigned j;

		for (j = 0; j < i; j++)
			if (got->root[j] == got->root[i])
				return edge_err(&ctx->err, EDGE_EINPUT,
				    "%s: two CRLs of one root (numbers %s and %s); not installed",
				    u->source, got->c[j].facts.number[0] ?
				    got->c[j].facts.number : "-", c->facts.number[0] ?
				    c->facts.number : "-");
		/* One not usable yet would replace a usable one. */
		if ((rc = edge_crl_started(c, u->now, u->source, &ctx->err)) !=
		    EDGE_OK)
			return rc;
		if (c->facts.this_update > u->newest)
			u->newest = c->facts.this_update;
	}
	return EDGE_OK;
}

/*
 * Rollback state is per root: each CRL is compared with the stored
 * CRL of the root that verified it, never with another issuer's.  A
 * stored CRL that is unreadable, or that no current root verifies,
 * is dropped on its own: the other roots' CRLs keep their rollback
 * state.  Only a crl.pem that is not CRLs at all is replaced whole; one
 * that cannot be read now (I/O, permissions, memory) stops the update,
 * which would otherwise skip every rollback check.
 */
static int
compare_installed(struct edge_ctx *ctx, struct update *u)
{
	struct edge_crls *got = &u->got, *have = &u->have;
	struct edge_error lerr = { 0 };
	int lrc = edge_crls_load(u->dirfd, EDGE_CRL_FILE, &u->roots, have,
	    &lerr);
	unsigned i;

	if (lrc == EDGE_EINPUT) {
		edge_warn("%s (replaced)", lerr.msg);
	} else if (lrc != EDGE_OK) {
		ctx->err = lerr;
		return lrc;
	} else if (have->dropped > 0)
		edge_warn("%s (dropped%s)", have->bad.msg, have->dropped > 1 ?
		    ", with others" : "");
	if (have->others > 0)
		edge_verbose(1, "%s: %u CRL%s of another root: dropped at the next install",
		    EDGE_CRL_FILE, have->others, have->others > 1 ? "s" : "");
	for (i = 0; i < got->n; i++) {
		const struct edge_crl *old = edge_crls_of_root(have, got->root[i]);

		if (old != NULL && edge_crl_facts_compare(&got->c[i].facts,
		    &old->facts) < 0) {
			/* No rollback: an old CRL would un-revoke certificates. */
			return edge_err(&ctx->err, EDGE_ETRUST,
			    "%s: older than the installed CRL of its issuer (number %s < %s); not installed",
			    u->source, got->c[i].facts.number[0] ?
			    got->c[i].facts.number : "-",
			    old->facts.number[0] ? old->facts.number : "-");
		}
		u->changed[i] = old == NULL || strcmp(got->c[i].facts.sha256,
		    old->facts.sha256) != 0;
		u->install = u->install || u->changed[i];
	}
	return EDGE_OK;
}

/* crl.pem, then the new root, then the trusted-time witness. */
static int
install(struct edge_ctx *ctx, struct update *u)
{
	struct edge_error werr = { 0 };
	int rc;

	/* A new root rewrites crl.pem too: CRLs no root verifies then go. */
	if ((u->install || u->ca_changed) && (rc = edge_crls_install(u->dirfd,
	    EDGE_CRL_FILE, &u->have, &u->got, &ctx->err)) != EDGE_OK)
		return rc;
	/*
	 * The new root goes in last: its bytes are already on disk, so only
	 * the rename is left, and the CRL stored above is still verified by
	 * the old roots, which the new bundle keeps.
	 */
	if (u->ca_changed) {
		if ((rc = edge_file_atomic_commit(&u->ca, &ctx->err)) != EDGE_OK)
			return rc;
		edge_note("installed the new root CA %s in %s", u->newroot,
		    EDGE_CA_FILE);
	}
	/*
	 * A verified CRL proves that time has reached its thisUpdate.  The CRL
	 * is installed by now: failing to record that proof (a full disk) only
	 * forgoes it, as in every tool, and is a warning.  thisUpdate was
	 * checked above not to be ahead of the clock by more than
	 * EDGE_TIME_TOLERANCE (edge_crl_started).
	 */
	if ((rc = edge_time_witness(u->dirfd, u->newest,
	    "crl thisUpdate", &werr)) == EDGE_ESTORE) {
		edge_warn("trusted time: %s", werr.msg);
	} else if (rc != EDGE_OK) {
		ctx->err = werr;
		return rc;
	}
	return EDGE_OK;
}

/*
 * The report, then the freshness policy: the newest CRL available is
 * installed even when stale.
 */
static int
result(struct edge_ctx *ctx, struct update *u)
{
	int rc = EDGE_OK;
	unsigned i;
	bool stale;

	report(ctx, &u->got, u->changed, u->source, u->ca_changed, u->skipped);
	for (i = 0; i < u->got.n; i++) {
		struct edge_error ferr = { 0 };

		if (edge_crl_fresh(&u->got.c[i], u->now, u->grace, u->source,
		    &stale, &ferr) != EDGE_OK) {
			edge_warn("the newest CRL available is stale");
			if (rc == EDGE_OK)
				ctx->err = ferr;
			rc = EDGE_ETRUST;
			ctx->keep_result = true;
		} else if (stale) {
			edge_warn("the newest CRL available is stale (nextUpdate passed, within --crl-grace)");
		}
	}
	return rc;
}

static int
run(struct edge_ctx *ctx)
{
	struct update u = { .ca = { .fd = -1 } };
	int rc;

	if ((rc = read_options(ctx, &u)) != EDGE_OK)
		return rc;
	if (edge_flag(ctx, "check"))
		return check(ctx, u.dirfd);
	if (ctx->opts.nargs > 0)
		return edge_usage(ctx, "unexpected argument '%s' (certificates are for --check)",
		    ctx->opts.args[0]);
	/*
	 * One update at a time, from reading crl.pem and ca.pem to the last
	 * rename: a concurrent run would rewrite this one's stale snapshot
	 * and undo the other's CRL (a revocation).
	 */
	if ((rc = edge_ctx_lock(ctx)) != EDGE_OK)
		return rc;
	if ((rc = edge_time_check(u.dirfd, u.now, EDGE_TIME_TOLERANCE, NULL,
	    &ctx->err)) != EDGE_OK)
		return rc;
	if ((rc = edge_hubcfg_transport(ctx, &u.hub)) != EDGE_OK)
		return rc;
	if ((rc = read_roots_and_ca(ctx, &u)) == EDGE_OK &&
	    (rc = obtain(ctx, &u.hub, u.base, u.max_size, &u.got, u.source,
	    sizeof(u.source))) == EDGE_OK &&
	    (rc = verify_got(ctx, &u)) == EDGE_OK &&
	    (rc = compare_installed(ctx, &u)) == EDGE_OK &&
	    (rc = install(ctx, &u)) == EDGE_OK)
		rc = result(ctx, &u);
	/* Any failure before the commit leaves the old ca.pem in place. */
	edge_file_atomic_abort(&u.ca);
	free(u.changed);
	edge_crls_free(&u.got);
	edge_crls_free(&u.have);
	edge_certs_free(&u.roots);
	return rc;
}

static const struct edge_tool tool = {
	.name = "edge-crl-update",
	.summary = "Fetch, verify and install the hub's CRL (and root CA); --check tells whether a certificate is revoked.",
	.synopsis = "[--portal URL | --url URL | --from FILE] [--ca [--trust-new-root SHA256]] [--json] | --check [CERT...]",
	.options = opts,
	.flags = EDGE_TOOL_ARGS,
	.run = run,
};

int
main(int argc, char **argv)
{
	return edge_tool_main(&tool, argc, argv);
}
