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
#include "edge_device.h"
#include "edge_file.h"
#include "edge_hubcfg.h"
#include "edge_log.h"
#include "edge_time.h"
#include "edge_tool.h"
#include "edge_x509.h"

#define CRL_FILE	"crl.pem"
#define CA_FILE		"ca.pem"
#define CERT_FILE	"cert.pem"
#define CRL_PATH	"/enos/CA/crl"
#define CACERT_PATH	"/enos/CA/cacert"

static const struct edge_opt opts[] = {
	{ "portal", 0, "URL", 0, "hub portal serving /enos/CA/crl and /enos/CA/cacert (default: from DIR/device.json)", NULL },
	{ "url", 0, "URL", 0, "fetch the CRL from this URL instead of PORTAL/enos/CA/crl", NULL },
	{ "from", 0, "FILE", 0, "install the CRL from FILE (PEM or DER) instead of fetching it; '-' for stdin", NULL },
	{ "ca", 0, NULL, 0, "also update the root CA certificate from PORTAL/enos/CA/cacert", NULL },
	{ "trust-new-root", 0, "SHA256", 0, "accept a new root CA with this SHA-256 fingerprint", NULL },
	{ "check", 0, NULL, EDGE_OPT_CLI, "only tell whether CERT (default DIR/cert.pem) is revoked by DIR/crl.pem: exit 0 or 8", NULL },
	{ "hub-ca", 0, "FILE", 0, "CA bundle trusted for the portal's HTTPS (default: the system store)", NULL },
	{ "timeout", 0, "SECS", 0, "time limit for one request", "30" },
	{ "retries", 0, "N", 0, "retries of a request that failed temporarily", "3" },
	{ NULL, 0, NULL, 0, NULL, NULL }
};

static int
read_roots(struct edge_ctx *ctx, int dirfd, struct edge_certs *roots)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	if (!edge_file_exists(dirfd, CA_FILE))
		return edge_err(&ctx->err, EDGE_ETRUST,
		    CA_FILE ": no trusted root CA yet (run edge-activate, or edge-crl-update --ca --trust-new-root SHA256)");
	if ((rc = edge_file_read(dirfd, CA_FILE, EDGE_FILE_MAX, &buf, &len,
	    &ctx->err)) != EDGE_OK)
		return rc;
	rc = edge_certs_load(buf, len, CA_FILE, roots, &ctx->err);
	free(buf);
	return rc;
}

static int
read_installed(int dirfd, struct edge_crl *crl)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	if (edge_file_read(dirfd, CRL_FILE, 256 * 1024 * 1024, &buf, &len, NULL) !=
	    EDGE_OK)
		return EDGE_EINPUT;
	rc = edge_crl_parse(buf, len, CRL_FILE, crl, NULL);
	free(buf);
	return rc;
}

static const char *
portal(struct edge_ctx *ctx, int dirfd, struct edge_device *dev)
{
	if (edge_arg(ctx, "portal") != NULL)
		return edge_arg(ctx, "portal");
	if (edge_device_exists(dirfd) &&
	    edge_device_load(dirfd, dev, NULL) == EDGE_OK &&
	    edge_device_get(dev, EDGE_DEV_PORTAL) != NULL)
		return edge_device_get(dev, EDGE_DEV_PORTAL);
	return NULL;
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

/* "AB:cd:..." or "abcd..." to bare lowercase hex. */
static void
normalize_fp(const char *in, char *out, size_t len)
{
	size_t n = 0;

	for (; *in && n + 1 < len; in++)
		if (isxdigit((unsigned char)*in))
			out[n++] = (char)tolower((unsigned char)*in);
	out[n] = '\0';
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

static int
update_root(struct edge_ctx *ctx, struct edge_hub *hub, int dirfd,
    const char *base, struct edge_certs *roots, bool *changed)
{
	struct edge_http_response resp = { 0 };
	struct edge_certs got = { 0 };
	struct edge_hub pinned = *hub;
	char url[1024], ca_path[4096], fp[80], want[80];
	const char *how = NULL;
	gnutls_datum_t pem;
	char *bundle = NULL;
	size_t blen = 0;
	unsigned i;
	int rc;

	*changed = false;
	snprintf(url, sizeof(url), "%s%s", base, CACERT_PATH);
	/* First try a TLS connection verified with the current roots only. */
	snprintf(ca_path, sizeof(ca_path), "%s/" CA_FILE, ctx->dir);
	pinned.http.ca_file = ca_path;
	rc = edge_hub_get(&pinned, url, &resp, NULL);
	if (rc == EDGE_OK) {
		how = "fetched over TLS verified with the current root";
	} else if ((rc = edge_hub_get(hub, url, &resp, &ctx->err)) != EDGE_OK) {
		return rc;
	}
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
	fingerprint(got.crt[0], fp, sizeof(fp));
	if (edge_arg(ctx, "trust-new-root") != NULL) {
		normalize_fp(edge_arg(ctx, "trust-new-root"), want, sizeof(want));
		if (strcmp(want, fp) != 0) {
			rc = edge_err(&ctx->err, EDGE_ETRUST,
			    "new root CA: fingerprint sha256:%s is not the one given with --trust-new-root",
			    fp);
			goto out;
		}
		how = "fingerprint confirmed by the operator";
	} else if (how == NULL) {
		/* A cross-certificate: the new root's key signed by a current root. */
		if (edge_x509_verify(got.crt[0], roots, NULL, 0, 0, "new root CA",
		    NULL) == EDGE_OK)
			how = "signed by the current root";
	}
	if (how == NULL) {
		rc = edge_err(&ctx->err, EDGE_ETRUST,
		    "new root CA sha256:%s comes from an unverified source; confirm it with --trust-new-root",
		    fp);
		goto out;
	}
	/* New root first; the old ones stay until they expire. */
	for (i = 0; i <= roots->n; i++) {
		gnutls_x509_crt_t c = i == 0 ? got.crt[0] : roots->crt[i - 1];
		char *nb;

		if (i > 0 && gnutls_x509_crt_get_expiration_time(c) < time(NULL))
			continue;
		if (gnutls_x509_crt_export2(c, GNUTLS_X509_FMT_PEM, &pem) < 0 ||
		    (nb = realloc(bundle, blen + pem.size)) == NULL) {
			gnutls_free(pem.data);
			rc = edge_err(&ctx->err, EDGE_EFAIL, "cannot encode the roots");
			goto out;
		}
		bundle = nb;
		memcpy(bundle + blen, pem.data, pem.size);
		blen += pem.size;
		gnutls_free(pem.data);
	}
	if ((rc = edge_file_write_atomic(dirfd, CA_FILE, bundle, blen,
	    EDGE_MODE_PUBLIC, &ctx->err)) != EDGE_OK)
		goto out;
	edge_note("installed new root CA sha256:%s (%s)", fp, how);
	*changed = true;
	edge_certs_free(roots);
	rc = edge_certs_load(bundle, blen, CA_FILE, roots, &ctx->err);
out:
	free(bundle);
	edge_certs_free(&got);
	return rc;
}

/* ---- --check ------------------------------------------------------------ */

static int
check(struct edge_ctx *ctx, int dirfd)
{
	const char *name = ctx->opts.nargs > 0 ? ctx->opts.args[0] : CERT_FILE;
	struct edge_certs roots = { 0 }, cert = { 0 };
	struct edge_crl crl = { 0 };
	char *buf = NULL, sn[128], at[32] = "";
	size_t len = 0;
	time_t when;
	bool revoked;
	int rc;

	if (ctx->opts.nargs > 1)
		return edge_usage(ctx, "--check takes one certificate");
	if ((rc = read_roots(ctx, dirfd, &roots)) != EDGE_OK)
		return rc;
	if (!edge_file_exists(dirfd, CRL_FILE)) {
		rc = edge_err(&ctx->err, EDGE_ETRUST,
		    CRL_FILE ": no CRL installed yet; run edge-crl-update");
		goto out;
	}
	if ((rc = read_installed(dirfd, &crl)) != EDGE_OK) {
		rc = edge_err(&ctx->err, EDGE_EINPUT, CRL_FILE ": not a valid CRL");
		goto out;
	}
	if ((rc = edge_crl_verify(&crl, &roots, CRL_FILE, &ctx->err)) != EDGE_OK)
		goto out;
	if ((rc = edge_file_read(ctx->opts.nargs > 0 ? AT_FDCWD : dirfd, name,
	    EDGE_FILE_MAX, &buf, &len, &ctx->err)) != EDGE_OK ||
	    (rc = edge_certs_load(buf, len, name, &cert, &ctx->err)) != EDGE_OK)
		goto out;
	if (edge_x509_serial_dec(cert.crt[0], sn, sizeof(sn)) != EDGE_OK) {
		rc = edge_err(&ctx->err, EDGE_EINPUT, "%s: unreadable serial", name);
		goto out;
	}
	if (!gnutls_x509_crl_check_issuer(crl.crl, cert.crt[0]) &&
	    gnutls_x509_crt_check_issuer(cert.crt[0], roots.crt[0]) == 0) {
		/* The CRL speaks only for certificates of its own issuer. */
		rc = edge_err(&ctx->err, EDGE_EINPUT,
		    "%s: not issued by the CA of %s", name, CRL_FILE);
		goto out;
	}
	if ((rc = edge_crl_lookup(&crl, sn, &revoked, &when, &ctx->err)) != EDGE_OK)
		goto out;
	if (revoked)
		edge_x509_time(when, at, sizeof(at));
	if (crl.next_update != 0 && crl.next_update < edge_time_now())
		edge_warn("%s is stale (nextUpdate passed); run edge-crl-update", CRL_FILE);
	edge_result_str(ctx, "serial", sn);
	edge_result_bool(ctx, "revoked", revoked);
	edge_result_str(ctx, "revoked_at", revoked ? at : NULL);
	/* The stand-in and EnOS CRLs carry no reason codes. */
	edge_result_str(ctx, "reason", NULL);
	edge_result_str(ctx, "crl_number", crl.number[0] ? crl.number : NULL);
	edge_out(ctx, "%s serial %s: %s%s\n", name, sn,
	    revoked ? "REVOKED at " : "not revoked", at);
	if (revoked)
		rc = edge_err(&ctx->err, EDGE_EREVOKED, "%s: serial %s is revoked (since %s)",
		    name, sn, at);
	/* The JSON result stands even for exit 8: it is the answer asked for. */
	ctx->keep_result = true;
out:
	free(buf);
	edge_certs_free(&cert);
	edge_certs_free(&roots);
	edge_crl_free(&crl);
	return rc;
}

/* ---- install ------------------------------------------------------------- */

static int
obtain(struct edge_ctx *ctx, struct edge_hub *hub, const char *base,
    char **buf, size_t *len, char *source, size_t srclen)
{
	struct edge_http_response resp = { 0 };
	const char *from = edge_arg(ctx, "from");
	int rc;

	if (from != NULL) {
		snprintf(source, srclen, "%s", from);
		return edge_file_read(AT_FDCWD, from, 256 * 1024 * 1024, buf, len,
		    &ctx->err);
	}
	if (edge_arg(ctx, "url") != NULL)
		snprintf(source, srclen, "%s", edge_arg(ctx, "url"));
	else
		snprintf(source, srclen, "%s%s", base, CRL_PATH);
	hub->http.max_response = 256 * 1024 * 1024;
	if ((rc = edge_hub_get(hub, source, &resp, &ctx->err)) != EDGE_OK)
		return rc;
	*buf = resp.body;
	*len = resp.len;
	return EDGE_OK;
}

static void
report(struct edge_ctx *ctx, const struct edge_crl *c, const char *source,
    bool changed, bool ca_changed)
{
	char tu[32], nu[32] = "";

	edge_x509_time(c->this_update, tu, sizeof(tu));
	if (c->next_update != 0)
		edge_x509_time(c->next_update, nu, sizeof(nu));
	edge_result_str(ctx, "crl_number", c->number[0] ? c->number : NULL);
	edge_result_str(ctx, "this_update", tu);
	edge_result_str(ctx, "next_update", nu[0] ? nu : NULL);
	edge_result_int(ctx, "revoked", c->count);
	edge_result_str(ctx, "source", source);
	edge_result_bool(ctx, "ca_changed", ca_changed);
	edge_result_bool(ctx, "changed", changed || ca_changed);
	edge_out(ctx, "%s number %s, %u revoked, this update %s%s\n", CRL_FILE,
	    c->number[0] ? c->number : "-", c->count, tu,
	    changed ? "" : " (unchanged)");
}

static int
run(struct edge_ctx *ctx)
{
	struct edge_device dev = { { 0 } };
	struct edge_certs roots = { 0 };
	struct edge_crl got = { 0 }, have = { 0 };
	struct edge_hub hub;
	const char *base = NULL;
	char *buf = NULL, source[1024];
	size_t len = 0;
	bool have_old, ca_changed = false, changed = false;
	time_t now = edge_time_now();
	int dirfd, rc;
	gnutls_datum_t pem = { NULL, 0 };

	if ((rc = edge_ctx_dirfd(ctx, &dirfd)) != EDGE_OK)
		return rc;
	if (edge_flag(ctx, "check"))
		return check(ctx, dirfd);
	if (ctx->opts.nargs > 0)
		return edge_usage(ctx, "unexpected argument '%s'", ctx->opts.args[0]);
	if ((rc = edge_time_check(dirfd, now, EDGE_TIME_TOLERANCE, NULL,
	    &ctx->err)) != EDGE_OK)
		return rc;
	if ((rc = edge_hubcfg_transport(ctx, &hub)) != EDGE_OK)
		return rc;
	base = portal(ctx, dirfd, &dev);
	if (base == NULL && (edge_flag(ctx, "ca") || (edge_arg(ctx, "from") ==
	    NULL && edge_arg(ctx, "url") == NULL))) {
		rc = edge_usage(ctx, "no portal: give --portal URL (or --url / --from)");
		goto out;
	}
	if (edge_flag(ctx, "ca") && edge_arg(ctx, "from") != NULL) {
		rc = edge_usage(ctx, "--ca fetches from the portal; it cannot be combined with --from");
		goto out;
	}
	if (edge_flag(ctx, "ca") && !edge_file_exists(dirfd, CA_FILE) &&
	    edge_arg(ctx, "trust-new-root") == NULL) {
		rc = edge_err(&ctx->err, EDGE_ETRUST,
		    CA_FILE ": no root CA to verify a new one with; confirm the first root with --trust-new-root SHA256");
		goto out;
	}
	if (edge_file_exists(dirfd, CA_FILE) &&
	    (rc = read_roots(ctx, dirfd, &roots)) != EDGE_OK)
		goto out;
	if (edge_flag(ctx, "ca") &&
	    (rc = update_root(ctx, &hub, dirfd, base, &roots, &ca_changed)) != EDGE_OK)
		goto out;
	if (roots.n == 0 && (rc = read_roots(ctx, dirfd, &roots)) != EDGE_OK)
		goto out;

	if ((rc = obtain(ctx, &hub, base, &buf, &len, source, sizeof(source))) !=
	    EDGE_OK)
		goto out;
	if ((rc = edge_crl_parse(buf, len, source, &got, &ctx->err)) != EDGE_OK ||
	    (rc = edge_crl_verify(&got, &roots, source, &ctx->err)) != EDGE_OK)
		goto out;
	if (got.this_update > now + EDGE_TIME_TOLERANCE) {
		char tu[32];
		edge_x509_time(got.this_update, tu, sizeof(tu));
		rc = edge_err(&ctx->err, EDGE_ETRUST,
		    "%s: issued in the future (thisUpdate %s); check the clocks",
		    source, tu);
		goto out;
	}
	have_old = read_installed(dirfd, &have) == EDGE_OK;
	if (have_old && edge_crl_same(&got, &have)) {
		changed = false;
	} else if (have_old && edge_crl_compare(&got, &have) < 0) {
		/* No rollback: an old CRL would un-revoke certificates. */
		rc = edge_err(&ctx->err, EDGE_ETRUST,
		    "%s: older than the installed CRL (number %s < %s); not installed",
		    source, got.number[0] ? got.number : "-",
		    have.number[0] ? have.number : "-");
		goto out;
	} else {
		if ((rc = edge_crl_pem(&got, &pem)) != EDGE_OK) {
			rc = edge_err(&ctx->err, EDGE_EFAIL, "cannot encode the CRL");
			goto out;
		}
		if ((rc = edge_file_write_atomic(dirfd, CRL_FILE, pem.data, pem.size,
		    EDGE_MODE_PUBLIC, &ctx->err)) != EDGE_OK)
			goto out;
		changed = true;
	}
	/* A verified CRL proves that time has reached its thisUpdate. */
	if ((rc = edge_time_witness(dirfd, got.this_update, "crl thisUpdate",
	    &ctx->err)) != EDGE_OK)
		goto out;
	report(ctx, &got, source, changed, ca_changed);
	if (got.next_update != 0 && got.next_update < now) {
		char nu[32];
		edge_x509_time(got.next_update, nu, sizeof(nu));
		edge_warn("the newest CRL available is stale (nextUpdate %s passed)",
		    nu);
		rc = edge_err(&ctx->err, EDGE_ETRUST,
		    "%s: stale CRL installed (nextUpdate %s passed)", CRL_FILE, nu);
		ctx->keep_result = true;
	}
out:
	gnutls_free(pem.data);
	free(buf);
	edge_crl_free(&got);
	edge_crl_free(&have);
	edge_certs_free(&roots);
	edge_device_free(&dev);
	return rc;
}

static const struct edge_tool tool = {
	.name = "edge-crl-update",
	.summary = "Fetch, verify and install the hub's CRL (and root CA); --check tells whether a certificate is revoked.",
	.synopsis = "[--portal URL | --url URL | --from FILE] [--ca [--trust-new-root SHA256]] [--json] | --check [CERT]",
	.options = opts,
	.flags = EDGE_TOOL_ARGS,
	.run = run,
};

int
main(int argc, char **argv)
{
	return edge_tool_main(&tool, argc, argv);
}
