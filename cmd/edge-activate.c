/* SPDX-License-Identifier: MIT */
/*
 * edge-activate: send the edge's CSR to the hub (EnOS Apply or Renew
 * Certificate), check the certificate that comes back against the edge's key
 * and the root CA, and store it; or install a certificate received by file.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "edge_certsvc.h"
#include "edge_crlstore.h"
#include "edge_csr.h"
#include "edge_device.h"
#include "edge_file.h"
#include "edge_hubcfg.h"
#include "edge_json.h"
#include "edge_key.h"
#include "edge_log.h"
#include "edge_p11.h"
#include "edge_state.h"
#include "edge_tool.h"
#include "edge_x509.h"

#define CERTS_PATH	EDGE_CERTSVC_PATH

static const struct edge_opt opts[] = {
	{ "csr", 0, "FILE", 0, "certificate request to send, '-' for stdin (default: DIR/csr.pem)", NULL, EDGE_T_STRING, 0, 0 },
	{ "valid-days", 0, "DAYS", 0, "validity asked for, in days; without it the product's", NULL, EDGE_T_INT, 1, 3650 },
	{ "issue-authority", 0, "RSA|ECC", 0, "issuing CA; follows the key type", NULL, EDGE_T_CHOICE, 0, 0 },
	{ "ca", 0, "FILE", 0, "pinned root CA the certificate must chain to (default: DIR/ca.pem if present, else the hub's caCert)", NULL, EDGE_T_STRING, 0, 0 },
	{ "output", 'o', "FILE", EDGE_OPT_CLI, "also write the certificate and its CA to FILE, '-' for stdout", NULL, EDGE_T_STRING, 0, 0 },
	{ "install", 0, "FILE", EDGE_OPT_CLI, "install a certificate received by file or pipe ('-') after the same checks; no hub call", NULL, EDGE_T_STRING, 0, 0 },
	{ "renew", 0, NULL, EDGE_OPT_CLI, "renew the current certificate (Renew Certificate)", NULL, EDGE_T_FLAG, 0, 0 },
	{ "renew-within", 0, "DAYS", 0, "renew only when the certificate expires within DAYS, else do nothing", NULL, EDGE_T_INT, 0, 3650 },
	{ "product-key", 0, "PRODUCT_KEY", 0, "device's product key (default: from DIR/device.json)", NULL, EDGE_T_STRING, 0, 0 },
	{ "device-key", 0, "DEVICE_KEY", 0, "device key (default: from DIR/device.json)", NULL, EDGE_T_STRING, 0, 0 },
	{ "pin", 0, "SECRET", EDGE_OPT_SECRET, "token PIN: " EDGE_SECRET_FORMS, NULL, EDGE_T_STRING, 0, 0 },
	{ "force", 'f', NULL, EDGE_OPT_CLI, "apply for a new certificate even if a valid one is present", NULL, EDGE_T_FLAG, 0, 0 },
	{ "rekey", 0, NULL, 0, "with a renewal, make a new key of the same type in the same place and renew with it", NULL, EDGE_T_FLAG, 0, 0 },
	{ NULL, 0, NULL, 0, NULL, NULL, EDGE_T_STRING, 0, 0 }
};

struct activation {
	struct edge_ctx *ctx;
	int dirfd;
	struct edge_key *key;		/* the edge's own key, when on the edge */
	gnutls_pubkey_t csr_pub;	/* key the certificate must carry */
	char *csr;			/* PEM */
	size_t csr_len;
	struct edge_device dev;
	bool have_dev;
	struct edge_certs pinned;	/* --ca or DIR/ca.pem */
	const char *pinned_from;
	struct edge_hubcfg cfg;		/* loaded once, by hub() */
	int cfg_rc;			/* 1: not loaded yet */
	struct edge_error cfg_err;	/* why not, when cfg_rc failed */
	bool rekeying;			/* a->key is the new key of --rekey */
	bool stored;			/* cert.pem was written by this run */
};

/*
 * The hub with application credentials, from the configuration: EDGE_OK,
 * or EDGE_EUSAGE (ctx->err says what is missing) when this gateway cannot
 * call the hub itself.  Loaded once.
 */
static int
hub(struct activation *a)
{
	struct edge_ctx *ctx = a->ctx;

	if (a->cfg_rc == 1) {
		a->cfg_rc = edge_hubcfg_load(ctx, &a->cfg, true);
		if (a->cfg_rc != EDGE_OK)
			a->cfg_err = ctx->err;
		return a->cfg_rc;
	}
	if (a->cfg_rc != EDGE_OK)
		ctx->err = a->cfg_err;
	return a->cfg_rc;
}

/* The device the hub knows the edge as: options, else device.json. */
static bool
device_keys(const struct activation *a, const char **pk, const char **dk)
{
	*pk = edge_arg(a->ctx, "product-key");
	*dk = edge_arg(a->ctx, "device-key");
	if (*pk == NULL && a->have_dev)
		*pk = edge_device_get(&a->dev, EDGE_DEV_PRODUCT_KEY);
	if (*dk == NULL && a->have_dev)
		*dk = edge_device_get(&a->dev, EDGE_DEV_DEVICE_KEY);
	return *pk != NULL && *dk != NULL;
}

/* Parse the CSR, check its signature, and keep its public key. */
static int
load_csr(struct activation *a)
{
	struct edge_ctx *ctx = a->ctx;
	const char *name = edge_arg(ctx, "csr");
	int rc;

	if ((rc = edge_file_read(name ? AT_FDCWD : a->dirfd,
	    name ? name : EDGE_CSR_FILE, EDGE_FILE_MAX, &a->csr, &a->csr_len,
	    &ctx->err)) != EDGE_OK)
		return rc;
	if (name == NULL)
		name = EDGE_CSR_FILE;
	if ((rc = edge_csr_pubkey(a->csr, a->csr_len, name, &a->csr_pub,
	    &ctx->err)) != EDGE_OK)
		return rc;
	if (a->key != NULL && !edge_key_pub_equal(a->key->pub, a->csr_pub))
		return edge_err(&ctx->err, EDGE_EINPUT,
		    "%s: made for another key than %s (run edge-csr again)", name,
		    a->key->where);
	return EDGE_OK;
}

static int
load_pinned_ca(struct activation *a)
{
	struct edge_ctx *ctx = a->ctx;
	const char *ca = edge_arg(ctx, "ca");

	if (ca == NULL && !edge_file_exists(a->dirfd, EDGE_CA_FILE))
		return EDGE_OK;
	a->pinned_from = ca ? ca : EDGE_CA_FILE;
	return edge_certs_read(ca ? AT_FDCWD : a->dirfd, a->pinned_from,
	    &a->pinned, &ctx->err);
}

/* The first CN of crt, or "" when it has none. */
static void
cert_cn(gnutls_x509_crt_t crt, char *cn, size_t len)
{
	if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0,
	    0, cn, &len) < 0)
		cn[0] = '\0';
}

/*
 * Expiry of DIR/cert.pem if it is a valid certificate for our key and for
 * the device device.json (or the options) name, else 0.  A cert.pem whose
 * CN is another device (--force to another serial) is not current: the new
 * device gets its own certificate.
 */
static time_t
current_cert(struct activation *a, char *sn, size_t snlen)
{
	struct edge_certs have = { 0 };
	const char *pk, *dk;
	char cn[256];
	time_t exp = 0;

	if (a->key == NULL)
		return 0;
	if (edge_certs_read(a->dirfd, EDGE_CERT_FILE, &have, NULL) == EDGE_OK &&
	    edge_x509_has_key(have.crt[0], a->key->pub) &&
	    (a->pinned.n == 0 || edge_x509_verify(have.crt[0], &a->pinned, NULL,
	    0, 0, EDGE_CERT_FILE, NULL) == EDGE_OK) &&
	    edge_x509_serial_dec(have.crt[0], sn, snlen) == EDGE_OK) {
		cert_cn(have.crt[0], cn, sizeof(cn));
		if (device_keys(a, &pk, &dk) && strcmp(cn, dk) != 0)
			edge_note("%s is a certificate of %s, not of %s (device.json): applying for %s",
			    EDGE_CERT_FILE, cn, dk, dk);
		else
			exp = gnutls_x509_crt_get_expiration_time(have.crt[0]);
	}
	edge_certs_free(&have);
	return exp;
}

/*
 * Beside this device's current cert.pem, the request must be for its CN
 * (other subject fields may change): a request for another CN, another
 * gateway's csr.pem, would get certificates of that CN for this device, and
 * as they are not current either, one more at every timer run, each
 * revoking the last.  EDGE_EINPUT naming both CNs and the fix.
 */
static int
check_csr_cn(struct activation *a)
{
	struct edge_ctx *ctx = a->ctx;
	struct edge_certs have = { 0 };
	struct edge_subject subj;
	const char *name = edge_arg(ctx, "csr") ? edge_arg(ctx, "csr") :
	    EDGE_CSR_FILE, *want;
	char cn[256];
	int rc;

	if ((rc = edge_certs_read(a->dirfd, EDGE_CERT_FILE, &have,
	    &ctx->err)) != EDGE_OK)
		return rc;
	cert_cn(have.crt[0], cn, sizeof(cn));
	edge_certs_free(&have);
	if ((rc = edge_csr_subject(a->csr, a->csr_len, name, &subj,
	    &ctx->err)) != EDGE_OK)
		return rc;
	want = subj.v[EDGE_SUBJ_CN] ? subj.v[EDGE_SUBJ_CN] : "";
	if (strcmp(want, cn) != 0)
		rc = edge_err(&ctx->err, EDGE_EINPUT,
		    "%s: a request for CN %s, but %s is this device's certificate for CN %s; refusing to apply for a certificate of another CN (it would replace this one at every run). Make this device's request: edge-csr --force --cn %s",
		    strcmp(name, "-") == 0 ? "the request on standard input" :
		    name, want, EDGE_CERT_FILE, cn, cn);
	edge_subject_free_values(&subj);
	return rc;
}

/*
 * A cert.pem (serial sn) that crl.pem lists, or the hub lists as revoked,
 * is not current either, and is never replaced on its own: after a
 * takeover another gateway holds the identity, and an old gateway applying
 * every day would take it back every day.  EDGE_EREVOKED saying what to
 * do; *mine is false when the hub (asked) does not list sn as a
 * certificate of the device at all.  A hub out of reach decides nothing.
 */
static int
check_revoked(struct activation *a, const char *sn, bool *mine)
{
	struct edge_ctx *ctx = a->ctx;
	struct edge_hubcert *c = NULL;
	const struct edge_hubcert *e;
	const char *pk, *dk, *by = NULL;
	char crl_sn[128], reason[80] = "";
	bool revoked = false;
	time_t when = 0;
	size_t n = 0;

	*mine = true;
	if (!device_keys(a, &pk, &dk))
		return EDGE_OK;
	if (edge_file_exists(a->dirfd, EDGE_CRL_FILE) &&
	    edge_crl_cert_revoked(a->dirfd, EDGE_CERT_FILE, &revoked, crl_sn,
	    sizeof(crl_sn), &when, NULL) == EDGE_OK && revoked)
		by = EDGE_CRL_FILE;
	if (by == NULL && hub(a) == EDGE_OK &&
	    edge_certsvc_list(&a->cfg.hub, pk, dk, &c, &n, NULL) == EDGE_OK) {
		e = edge_certsvc_find(c, n, sn);
		if (e == NULL)
			*mine = false;
		else if (e->status == EDGE_HUBCERT_REVOKED) {
			by = "the hub";
			if (e->reason[0] != '\0')
				snprintf(reason, sizeof(reason), ", reason %s",
				    e->reason);
		}
	}
	free(c);
	memset(&ctx->err, 0, sizeof(ctx->err));
	if (by == NULL)
		return EDGE_OK;
	edge_result_str(ctx, "cert_sn", sn);
	edge_result_str(ctx, "action", "none");
	edge_result_bool(ctx, "revoked", true);
	return edge_err(&ctx->err, EDGE_EREVOKED,
	    "%s (serial %s) is revoked (%s%s): another gateway may hold %s's identity now (superseded after its --takeover), or the operator revoked it; nothing done. After a takeover reset this gateway (edge-revoke --reset); else edge-activate --force applies anew",
	    EDGE_CERT_FILE, sn, by, reason, dk);
}

static bool
to_stdout(const struct edge_ctx *ctx)
{
	const char *out = edge_arg(ctx, "output");

	return out != NULL && strcmp(out, "-") == 0;
}

/* Whole days from now until t, rounded down (negative once past). */
static long long
days_until(time_t t)
{
	long long d = (long long)t - (long long)time(NULL);

	return d >= 0 ? d / 86400 : -((-d + 86399) / 86400);
}

/*
 * Revoke, as superseded, every other valid certificate of the device at the
 * hub once cert.pem holds sn: when stored is true it has just been stored,
 * and a failure is exit 4 (a rerun finds cert.pem current and finishes);
 * else cert.pem was current already, and pruning is a courtesy that a hub
 * out of reach does not fail.  Without application credentials there is no
 * hub to ask (edge-revoke --superseded on the control node does it).
 */
static int
prune(struct activation *a, const char *sn, bool stored)
{
	struct edge_ctx *ctx = a->ctx;
	json_object *gone;
	const char *pk, *dk;
	int rc;

	if (a->key == NULL || !device_keys(a, &pk, &dk))
		return EDGE_OK;
	if ((rc = hub(a)) == EDGE_EUSAGE) {
		memset(&ctx->err, 0, sizeof(ctx->err));
		return EDGE_OK;
	}
	gone = json_object_new_array();
	if (rc == EDGE_OK)
		rc = edge_certsvc_supersede(&a->cfg.hub, pk, dk, sn, gone,
		    &ctx->err);
	if (json_object_array_length(gone) > 0)
		edge_note("revoked %zu superseded certificate(s) of %s: %s",
		    json_object_array_length(gone), dk,
		    json_object_to_json_string_ext(gone, JSON_C_TO_STRING_PLAIN));
	json_object_object_add(ctx->result, "superseded", gone);
	if (rc == EDGE_OK)
		return EDGE_OK;
	if (stored) {
		struct edge_error why = ctx->err;

		return edge_err(&ctx->err, EDGE_ETEMP,
		    "%s stored; revoking superseded certificates failed: %s; run again",
		    EDGE_CERT_FILE, why.msg);
	}
	edge_warn("revoking superseded certificates failed: %s; the next run tries again",
	    ctx->err.msg);
	memset(&ctx->err, 0, sizeof(ctx->err));
	return EDGE_OK;
}

/*
 * The result, and the renewal report: days left, and who renews.  On the
 * edge without application credentials that is the control node, said
 * once, loudly.
 */
static void
report(struct activation *a, gnutls_x509_crt_t crt, const char *sn,
    const char *action, const char *out, bool changed)
{
	struct edge_ctx *ctx = a->ctx;
	char subj[512], nb[32], na[32];
	time_t exp = gnutls_x509_crt_get_expiration_time(crt);
	bool self = a->key != NULL && hub(a) == EDGE_OK;

	memset(&ctx->err, 0, sizeof(ctx->err));
	edge_x509_subject(crt, subj, sizeof(subj));
	edge_x509_time(gnutls_x509_crt_get_activation_time(crt), nb, sizeof(nb));
	edge_x509_time(exp, na, sizeof(na));
	edge_result_str(ctx, "cert_sn", sn);
	edge_result_str(ctx, "subject", subj);
	edge_result_str(ctx, "not_before", nb);
	edge_result_str(ctx, "not_after", na);
	edge_result_int(ctx, "days_left", days_until(exp));
	edge_result_str(ctx, "renewal", self ? "gateway" : "control-node");
	edge_result_str(ctx, "action", action);
	edge_result_str(ctx, "cert", out);
	edge_result_bool(ctx, "changed", changed);
	/* With -o - stdout carries the certificate and nothing else. */
	if (!to_stdout(ctx))
		edge_out(ctx, "%s serial %s valid until %s\n", out, sn, na);
	if (a->key != NULL && !self)
		edge_warn("%s expires %s (in %lld days); this gateway holds no application credentials, so it cannot renew itself: the control node must renew it (see README, Renewal)",
		    EDGE_CERT_FILE, na, days_until(exp));
}

/* The stored certificate is what is wanted: say so, change nothing. */
static int
keep_current(struct activation *a, const char *why)
{
	struct edge_certs have = { 0 };
	char sn[128];
	int rc;

	if ((rc = edge_certs_read(a->dirfd, EDGE_CERT_FILE, &have,
	    &a->ctx->err)) == EDGE_OK &&
	    (rc = edge_x509_serial_dec(have.crt[0], sn, sizeof(sn))) ==
	    EDGE_OK) {
		edge_note("%s %s; nothing to do", EDGE_CERT_FILE, why);
		report(a, have.crt[0], sn, "none", EDGE_CERT_FILE, false);
		rc = prune(a, sn, false);
	}
	edge_certs_free(&have);
	return rc;
}

/*
 * The checks every certificate passes before it is stored or handed on: it
 * carries the key the request was made with, chains to the trusted root,
 * is valid now, and (when the hub said so) has the serial the hub named.
 */
static int
check_cert(struct activation *a, gnutls_x509_crt_t crt,
    const struct edge_certs *roots, const char *want_sn, char *sn, size_t snlen)
{
	struct edge_ctx *ctx = a->ctx;
	gnutls_pubkey_t pub = a->key ? a->key->pub : a->csr_pub;
	int rc;

	if (!edge_x509_has_key(crt, pub))
		return edge_err(&ctx->err, EDGE_ETRUST,
		    "certificate: issued for a different key than %s",
		    a->key ? a->key->where : "the request's");
	if ((rc = edge_x509_verify(crt, roots, NULL, 0, 0, "certificate",
	    &ctx->err)) != EDGE_OK)
		return rc;
	if (edge_x509_serial_dec(crt, sn, snlen) != EDGE_OK)
		return edge_err(&ctx->err, EDGE_EINPUT, "certificate: unreadable serial");
	if (want_sn != NULL && strcmp(want_sn, sn) != 0)
		return edge_err(&ctx->err, EDGE_ETRUST,
		    "certificate: serial %s differs from the hub's certSN %s", sn,
		    want_sn);
	return EDGE_OK;
}

/*
 * ca.pem's content: the certificates of roots that crt chains through, up
 * to the self-signed root at the top (check_cert made sure crt verifies).
 * A bundle given with --ca may hold unrelated roots, or an intermediate
 * that verifies crt on its own: the root above it is what is trusted.
 */
static int
chain_pem(gnutls_x509_crt_t crt, const struct edge_certs *roots,
    gnutls_datum_t *out)
{
	gnutls_x509_crt_t cur = crt;
	unsigned depth, i;
	char *p;

	out->data = NULL;
	out->size = 0;
	for (depth = 0; depth < roots->n; depth++) {
		gnutls_x509_crt_t up = NULL;
		gnutls_datum_t pem = { NULL, 0 };

		for (i = 0; i < roots->n && up == NULL; i++) {
			struct edge_certs one = { &roots->crt[i], 1 };

			if (roots->crt[i] != cur &&
			    gnutls_x509_crt_check_issuer(cur, roots->crt[i]) &&
			    edge_x509_verify(cur, &one, NULL, 0, 0, "certificate",
			    NULL) == EDGE_OK)
				up = roots->crt[i];
		}
		if (up == NULL)
			break;
		if (edge_x509_pem(up, &pem) != EDGE_OK ||
		    (p = realloc(out->data, out->size + pem.size)) == NULL) {
			gnutls_free(pem.data);
			return EDGE_EFAIL;
		}
		memcpy(p + out->size, pem.data, pem.size);
		out->data = (unsigned char *)p;
		out->size += pem.size;
		gnutls_free(pem.data);
		/* Self-signed: the top. */
		if (gnutls_x509_crt_check_issuer(up, up))
			break;
		cur = up;
	}
	return out->size > 0 ? EDGE_OK : EDGE_EFAIL;
}

/* Store cert.pem, ca.pem (the chain up to the root that verified) and certSN; then -o. */
static int
store(struct activation *a, gnutls_x509_crt_t crt, const struct edge_certs *roots,
    const char *sn, bool store_ca)
{
	struct edge_ctx *ctx = a->ctx;
	const char *out = edge_arg(ctx, "output");
	gnutls_datum_t leaf = { NULL, 0 }, ca = { NULL, 0 };
	char *bundle = NULL;
	int rc;

	if (edge_x509_pem(crt, &leaf) != EDGE_OK ||
	    chain_pem(crt, roots, &ca) != EDGE_OK ||
	    (bundle = malloc(leaf.size + ca.size)) == NULL) {
		rc = edge_err(&ctx->err, EDGE_EFAIL, "cannot encode the certificate");
		goto out;
	}
	memcpy(bundle, leaf.data, leaf.size);
	memcpy(bundle + leaf.size, ca.data, ca.size);
	if (a->key != NULL) {
		/* The root first: a cert.pem never waits for a CA it needs. */
		if (store_ca && (rc = edge_file_write_atomic(a->dirfd,
		    EDGE_CA_FILE, ca.data, ca.size, EDGE_MODE_PUBLIC,
		    &ctx->err)) != EDGE_OK)
			goto out;
		if ((rc = edge_file_write_atomic(a->dirfd, EDGE_CERT_FILE,
		    leaf.data, leaf.size, EDGE_MODE_PUBLIC, &ctx->err)) != EDGE_OK)
			goto out;
		if (a->have_dev) {
			edge_device_set(&a->dev, EDGE_DEV_CERT_SN, sn);
			if ((rc = edge_device_save(a->dirfd, &a->dev, &ctx->err)) !=
			    EDGE_OK)
				goto out;
		}
	}
	rc = EDGE_OK;
	if (out != NULL)
		rc = edge_file_write_path(out, bundle, leaf.size + ca.size,
		    EDGE_MODE_PUBLIC, &ctx->err);
out:
	free(bundle);
	gnutls_free(leaf.data);
	free(ca.data);
	return rc;
}

static int
install(struct activation *a)
{
	struct edge_ctx *ctx = a->ctx;
	const char *from = edge_arg(ctx, "install");
	struct edge_certs got = { 0 }, bundled = { 0 };
	const struct edge_certs *roots;
	char sn[128], have_sn[128];
	int rc;

	if (a->key == NULL)
		return edge_err(&ctx->err, EDGE_EINPUT,
		    "--install needs the edge's key in the state directory");
	if ((rc = edge_certs_read(AT_FDCWD, from, &got, &ctx->err)) != EDGE_OK)
		goto out;
	/* The bundle's own CA is trusted only when nothing is pinned yet. */
	if (a->pinned.n > 0) {
		roots = &a->pinned;
	} else if (got.n > 1) {
		bundled.crt = got.crt + 1;
		bundled.n = got.n - 1;
		roots = &bundled;
		edge_note("no root CA pinned yet; trusting the CA that came with the certificate");
	} else {
		rc = edge_err(&ctx->err, EDGE_ETRUST,
		    "%s: holds no CA certificate and no root is pinned (--ca FILE)",
		    from);
		goto out;
	}
	if ((rc = check_cert(a, got.crt[0], roots, NULL, sn, sizeof(sn))) != EDGE_OK)
		goto out;
	if (!edge_flag(ctx, "force") && current_cert(a, have_sn, sizeof(have_sn)) &&
	    strcmp(have_sn, sn) == 0) {
		edge_note("%s already holds this certificate; nothing to do", EDGE_CERT_FILE);
		report(a, got.crt[0], sn, "install", EDGE_CERT_FILE, false);
		rc = prune(a, sn, false);
		goto out;
	}
	if ((rc = store(a, got.crt[0], roots, sn, roots != &a->pinned ||
	    edge_arg(ctx, "ca") != NULL)) != EDGE_OK)
		goto out;
	report(a, got.crt[0], sn, "install", EDGE_CERT_FILE, true);
	rc = prune(a, sn, true);
out:
	edge_certs_free(&got);
	return rc;
}

/* ---- key rotation (--rekey) ------------------------------------------ */

/*
 * The order, so that a crash anywhere leaves a state the next run settles:
 * the new key is made beside the old one (.key.pem.rekey, or a new object
 * in the same token named by .key.uri.rekey) with its request
 * (.csr.pem.rekey); the renewal stores cert.pem for the new key; then
 * csr.pem and key.pem/key.uri switch to the new ones (atomic renames) and
 * the old key is destroyed; the pending names go last.  At start a pending
 * rotation is finished when cert.pem carries the new key, else undone.
 */

static int
read_line(int dirfd, const char *name, char **line, struct edge_error *err)
{
	size_t len = 0;
	int rc;

	if ((rc = edge_file_read(dirfd, name, EDGE_KEY_URI_MAX, line, &len,
	    err)) == EDGE_OK)
		(*line)[strcspn(*line, "\r\n")] = '\0';
	return rc;
}

static int
write_line(int dirfd, const char *name, const char *text, struct edge_error *err)
{
	char *line = NULL;
	int n = asprintf(&line, "%s\n", text), rc;

	if (n < 0)
		return edge_err(err, EDGE_EFAIL, "out of memory");
	rc = edge_file_write_atomic(dirfd, name, line, (size_t)n,
	    EDGE_MODE_PRIVATE, err);
	free(line);
	return rc;
}

/* Copy file from to name to (atomically, with mode). */
static int
copy_file(int dirfd, const char *from, const char *to, mode_t mode,
    struct edge_error *err)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	if ((rc = edge_file_read(dirfd, from, EDGE_KEY_PEM_MAX, &buf, &len,
	    err)) != EDGE_OK)
		return rc;
	rc = edge_file_write_atomic(dirfd, to, buf, len, mode, err);
	edge_key_pem_free(&buf, len);
	return rc;
}

/* The new key of a rotation under way, or NULL when it cannot be opened. */
static struct edge_key *
new_key(int dirfd)
{
	struct edge_key *key = NULL;
	char *text = NULL;
	size_t len = 0;

	if (edge_file_exists(dirfd, EDGE_KEY_URI_NEW)) {
		if (read_line(dirfd, EDGE_KEY_URI_NEW, &text, NULL) == EDGE_OK)
			(void)edge_key_from_uri(text, &key, NULL);
		free(text);
	} else if (edge_file_read(dirfd, EDGE_KEY_PEM_NEW, EDGE_KEY_PEM_MAX,
	    &text, &len, NULL) == EDGE_OK) {
		(void)edge_key_from_pem(text, len, EDGE_KEY_PEM, &key, NULL);
		edge_key_pem_free(&text, len);
	}
	return key;
}

/*
 * The pending token key URI names objects to delete: it must name one key
 * by its id, in the token key.uri (cur) names.  A URI without an id would
 * match every object of the token, and another token is none of ours: such
 * a file is not one this tool wrote.
 */
static int
pending_uri_check(const char *uri, const char *cur, struct edge_error *err)
{
	char *tok = NULL, *cur_tok = NULL;
	const char *p = uri + strlen("pkcs11:");
	size_t len;
	bool id = false;
	int rc;

	if (strncmp(uri, "pkcs11:", 7) != 0)
		return edge_err(err, EDGE_EINPUT, "%s: not a pkcs11: URI",
		    EDGE_KEY_URI_NEW);
	len = strcspn(p, "?");
	while (len > 0) {
		size_t n = strcspn(p, ";?");

		if (n > 3 && strncmp(p, "id=", 3) == 0)
			id = true;
		if (n >= len)
			break;
		p += n + 1;
		len -= n + 1;
	}
	if (!id)
		return edge_err(err, EDGE_EINPUT,
		    "%s: names no object id, so it would match every object of the token; refusing to delete by it (check the token, then remove the file)",
		    EDGE_KEY_URI_NEW);
	if (cur == NULL)
		return edge_err(err, EDGE_EINPUT,
		    "%s: pending beside no readable %s; refusing to delete by it",
		    EDGE_KEY_URI_NEW, EDGE_KEY_URI);
	if ((rc = edge_p11_find_token(uri, &tok, NULL, err)) == EDGE_OK &&
	    (rc = edge_p11_find_token(cur, &cur_tok, NULL, err)) == EDGE_OK &&
	    strcmp(tok, cur_tok) != 0)
		rc = edge_err(err, EDGE_EINPUT,
		    "%s: names another token than %s; refusing to delete by it",
		    EDGE_KEY_URI_NEW, EDGE_KEY_URI);
	else if (rc != EDGE_OK)
		edge_err_prefix(err, "%s", EDGE_KEY_URI_NEW);
	free(tok);
	free(cur_tok);
	return rc;
}

/* Is the pending request .csr.pem.rekey for the new key? */
static bool
pending_csr_ok(int dirfd)
{
	struct edge_key *key = new_key(dirfd);
	gnutls_pubkey_t pub = NULL;
	char *csr = NULL;
	size_t len = 0;
	bool ok = false;

	if (key != NULL && edge_file_read(dirfd, EDGE_CSR_NEW, EDGE_FILE_MAX,
	    &csr, &len, NULL) == EDGE_OK &&
	    edge_csr_pubkey(csr, len, EDGE_CSR_NEW, &pub, NULL) == EDGE_OK)
		ok = edge_key_pub_equal(key->pub, pub);
	if (pub != NULL)
		gnutls_pubkey_deinit(pub);
	free(csr);
	edge_key_free(&key);
	return ok;
}

/* Switch csr.pem and key.pem/key.uri to the new ones; destroy the old key. */
static int
rekey_switch(struct edge_ctx *ctx, int dirfd)
{
	char *old_uri = NULL, *new_uri = NULL;
	unsigned n = 0;
	int rc;

	if (edge_file_exists(dirfd, EDGE_CSR_NEW) &&
	    (rc = copy_file(dirfd, EDGE_CSR_NEW, EDGE_CSR_FILE,
	    EDGE_MODE_PUBLIC, &ctx->err)) != EDGE_OK)
		return rc;
	if (edge_file_exists(dirfd, EDGE_KEY_URI_NEW)) {
		if ((rc = read_line(dirfd, EDGE_KEY_URI_NEW, &new_uri,
		    &ctx->err)) != EDGE_OK ||
		    (rc = read_line(dirfd, EDGE_KEY_URI, &old_uri, &ctx->err)) !=
		    EDGE_OK ||
		    (rc = pending_uri_check(new_uri, old_uri, &ctx->err)) !=
		    EDGE_OK)
			goto out;
		/* The old objects go first: key.uri never names a deleted key after the switch. */
		if (strcmp(old_uri, new_uri) != 0 &&
		    (rc = edge_p11_delete(old_uri, new_uri, &n, &ctx->err)) !=
		    EDGE_OK)
			goto out;
		edge_verbose(1, "deleted %u object(s) of the old key", n);
		if ((rc = write_line(dirfd, EDGE_KEY_URI, new_uri, &ctx->err)) !=
		    EDGE_OK)
			goto out;
	} else if ((rc = copy_file(dirfd, EDGE_KEY_PEM_NEW, EDGE_KEY_PEM,
	    EDGE_MODE_PRIVATE, &ctx->err)) != EDGE_OK) {
		goto out;
	}
	if ((rc = edge_file_remove(dirfd, EDGE_CSR_NEW, false, &ctx->err)) ==
	    EDGE_OK &&
	    (rc = edge_file_remove(dirfd, EDGE_KEY_URI_NEW, false, &ctx->err)) ==
	    EDGE_OK)
		rc = edge_file_remove(dirfd, EDGE_KEY_PEM_NEW, true, &ctx->err);
out:
	free(old_uri);
	free(new_uri);
	return rc;
}

/* Destroy the new key and its request: the rotation did not happen. */
static int
rekey_undo(struct edge_ctx *ctx, int dirfd)
{
	char *new_uri = NULL, *cur = NULL;
	unsigned n = 0;
	int rc;

	if ((rc = edge_file_remove(dirfd, EDGE_CSR_NEW, false, &ctx->err)) !=
	    EDGE_OK)
		return rc;
	if (edge_file_exists(dirfd, EDGE_KEY_URI_NEW)) {
		if ((rc = read_line(dirfd, EDGE_KEY_URI_NEW, &new_uri,
		    &ctx->err)) != EDGE_OK)
			goto out;
		/* Never the current key, whatever the pending file says. */
		if (read_line(dirfd, EDGE_KEY_URI, &cur, NULL) != EDGE_OK) {
			free(cur);
			cur = NULL;
		}
		if ((cur == NULL || strcmp(cur, new_uri) != 0) &&
		    ((rc = pending_uri_check(new_uri, cur, &ctx->err)) !=
		    EDGE_OK ||
		    (rc = edge_p11_delete(new_uri, cur, &n, &ctx->err)) != EDGE_OK))
			goto out;
		if ((rc = edge_file_remove(dirfd, EDGE_KEY_URI_NEW, false,
		    &ctx->err)) != EDGE_OK)
			goto out;
	}
	rc = edge_file_remove(dirfd, EDGE_KEY_PEM_NEW, true, &ctx->err);
out:
	free(new_uri);
	free(cur);
	return rc;
}

/* A rotation an earlier run left half done: finished or undone. */
static int
rekey_recover(struct edge_ctx *ctx, int dirfd)
{
	struct edge_certs have = { 0 };
	struct edge_key *key;
	bool done;

	static const char *const pending[] = {
		EDGE_KEY_PEM_NEW, EDGE_KEY_URI_NEW, EDGE_CSR_NEW,
	};
	struct stat st;
	size_t i;

	/* This tool writes its pending files itself: never a link. */
	for (i = 0; i < sizeof(pending) / sizeof(pending[0]); i++)
		if (fstatat(dirfd, pending[i], &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    !S_ISREG(st.st_mode))
			return edge_err(&ctx->err, EDGE_ESTORE,
			    "%s: the pending file of a key rotation is %s, not a file this tool wrote; refusing to use or overwrite it (check it, then remove it)",
			    pending[i], S_ISLNK(st.st_mode) ? "a symbolic link" :
			    "not a regular file");
	if (!edge_file_exists(dirfd, EDGE_KEY_URI_NEW) &&
	    !edge_file_exists(dirfd, EDGE_KEY_PEM_NEW)) {
		/* A request without its key is a leftover of the same kind. */
		return edge_file_remove(dirfd, EDGE_CSR_NEW, false, &ctx->err);
	}
	key = new_key(dirfd);
	done = key != NULL &&
	    edge_certs_read(dirfd, EDGE_CERT_FILE, &have, NULL) == EDGE_OK &&
	    edge_x509_has_key(have.crt[0], key->pub);
	edge_certs_free(&have);
	edge_key_free(&key);
	/* The request that becomes csr.pem must be the new key's too. */
	if (done && edge_file_exists(dirfd, EDGE_CSR_NEW) &&
	    !pending_csr_ok(dirfd)) {
		edge_warn("%s is not a request for the new key; undoing the key rotation instead of finishing it",
		    EDGE_CSR_NEW);
		return rekey_undo(ctx, dirfd);
	}
	edge_note(done ? "finishing the key rotation an earlier run left: cert.pem is for the new key" :
	    "undoing the key rotation an earlier run left: cert.pem is not for the new key");
	return done ? rekey_switch(ctx, dirfd) : rekey_undo(ctx, dirfd);
}

/* Make the new key beside the old one, of the same type, in the same place. */
static int
make_new_key(struct activation *a, struct edge_key **key)
{
	struct edge_ctx *ctx = a->ctx;
	const struct edge_key *old = a->key;
	char *pem = NULL, *old_uri = NULL, *token = NULL, *label = NULL;
	char *new_uri = NULL, *ps = NULL;
	size_t len = 0;
	int rc;

	if (!old->token) {
		if ((rc = edge_key_generate_pem(old->type, old->bits, &pem, &len,
		    &ctx->err)) == EDGE_OK &&
		    (rc = edge_file_write_atomic(a->dirfd, EDGE_KEY_PEM_NEW, pem,
		    len, EDGE_MODE_PRIVATE, &ctx->err)) == EDGE_OK)
			rc = edge_key_from_pem(pem, len, EDGE_KEY_PEM, key,
			    &ctx->err);
		edge_key_pem_free(&pem, len);
		return rc;
	}
	if ((rc = read_line(a->dirfd, EDGE_KEY_URI, &old_uri, &ctx->err)) !=
	    EDGE_OK ||
	    (rc = edge_p11_find_token(old_uri, &token, &label, &ctx->err)) !=
	    EDGE_OK)
		goto out;
	if ((ps = strstr(old_uri, "pin-source=")) != NULL &&
	    (ps = strdup(ps + 11)) != NULL)
		ps[strcspn(ps, ";&")] = '\0';
	/* Same label, a fresh id: the new key is its own object. */
	if ((rc = edge_p11_generate(token, label ? label : "edge-key",
	    old->type == EDGE_KEY_RSA ? GNUTLS_PK_RSA : GNUTLS_PK_ECDSA,
	    old->type == EDGE_KEY_RSA ? old->bits :
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), ps, &new_uri,
	    &ctx->err)) != EDGE_OK)
		goto out;
	if ((rc = write_line(a->dirfd, EDGE_KEY_URI_NEW, new_uri, &ctx->err)) ==
	    EDGE_OK)
		rc = edge_key_from_uri(new_uri, key, &ctx->err);
out:
	free(old_uri);
	free(token);
	free(label);
	free(new_uri);
	free(ps);
	return rc;
}

/*
 * Start a rotation: the new key, a request for it with the current
 * request's subject, and the activation switched over to both.
 */
static int
rekey_begin(struct activation *a)
{
	struct edge_ctx *ctx = a->ctx;
	struct edge_subject subj;
	struct edge_key *key = NULL;
	gnutls_pubkey_t pub = NULL;
	char *csr = NULL;
	size_t len = 0;
	int rc;

	if ((rc = edge_csr_subject(a->csr, a->csr_len, EDGE_CSR_FILE, &subj,
	    &ctx->err)) != EDGE_OK)
		return rc;
	edge_progress_start("making the new key");
	rc = make_new_key(a, &key);
	edge_progress_stop(rc == EDGE_OK);
	if (rc == EDGE_OK &&
	    (rc = edge_csr_create(key, &subj, &csr, &len, &ctx->err)) == EDGE_OK &&
	    (rc = edge_file_write_atomic(a->dirfd, EDGE_CSR_NEW, csr, len,
	    EDGE_MODE_PUBLIC, &ctx->err)) == EDGE_OK)
		rc = edge_csr_pubkey(csr, len, EDGE_CSR_NEW, &pub, &ctx->err);
	edge_subject_free_values(&subj);
	if (rc != EDGE_OK) {
		edge_key_free(&key);
		free(csr);
		return rc;
	}
	edge_key_free(&a->key);
	a->key = key;
	free(a->csr);
	a->csr = csr;
	a->csr_len = len;
	gnutls_pubkey_deinit(a->csr_pub);
	a->csr_pub = pub;
	a->rekeying = true;
	return EDGE_OK;
}

static int
from_hub(struct activation *a, const char *action, const char *old_sn)
{
	struct edge_ctx *ctx = a->ctx;
	struct edge_certs got = { 0 }, answered_ca = { 0 };
	const struct edge_certs *roots;
	const char *pk, *dk, *cert, *cert_sn, *ca_pem, *auth;
	json_object *body, *data = NULL;
	char sn[128], what[64];
	long ndays = edge_arg_long(ctx, "valid-days", 0);
	int rc, algo;

	if (!device_keys(a, &pk, &dk))
		return edge_usage(ctx,
		    "which device? run edge-provision first or give --product-key and --device-key");
	algo = gnutls_pubkey_get_pk_algorithm(a->csr_pub, NULL);
	auth = algo == GNUTLS_PK_ECDSA ? "ECC" : "RSA";
	/* Its choices are "RSA|ECC": index 1 is ECC. */
	if (edge_arg_choice(ctx, "issue-authority") >= 0 &&
	    edge_arg_choice(ctx, "issue-authority") != (algo == GNUTLS_PK_ECDSA))
		return edge_usage(ctx, "--issue-authority %s does not match the %s key",
		    edge_arg(ctx, "issue-authority"), auth);
	if ((rc = hub(a)) != EDGE_OK)
		return rc;

	body = json_object_new_object();
	if (old_sn != NULL)
		json_object_object_add(body, "certSn",
		    json_object_new_int64(strtoll(old_sn, NULL, 10)));
	json_object_object_add(body, "csr", json_object_new_string(a->csr));
	if (ndays > 0)
		json_object_object_add(body, "validDay", json_object_new_int64(ndays));
	json_object_object_add(body, "issueAuthority", json_object_new_string(auth));
	{
		struct edge_enos_param q[] = {
			{ "action", action }, { "productKey", pk }, { "deviceKey", dk },
		};
		rc = edge_hub_call(&a->cfg.hub, "POST", CERTS_PATH, q, 3, body, &data,
		    NULL, &ctx->err);
	}
	json_object_put(body);
	if (rc != EDGE_OK)
		goto out;
	snprintf(what, sizeof(what), "hub %s answer", action);
	if ((rc = edge_json_string(data, "cert", what, &cert, &ctx->err)) ||
	    (rc = edge_json_string(data, "certSN", what, &cert_sn, &ctx->err)) ||
	    (rc = edge_json_string(data, "caCert", what, &ca_pem, &ctx->err)))
		goto out;
	if ((rc = edge_certs_load(cert, strlen(cert), what, &got, &ctx->err)) ||
	    (rc = edge_certs_load(ca_pem, strlen(ca_pem), what, &answered_ca,
	    &ctx->err)))
		goto out;
	roots = a->pinned.n > 0 ? &a->pinned : &answered_ca;
	if ((rc = check_cert(a, got.crt[0], roots, cert_sn, sn, sizeof(sn))) != EDGE_OK)
		goto out;
	if ((rc = store(a, got.crt[0], roots, sn, a->pinned.n == 0 ||
	    edge_arg(ctx, "ca") != NULL)) != EDGE_OK)
		goto out;
	a->stored = true;
	if (a->rekeying) {
		if ((rc = rekey_switch(ctx, a->dirfd)) != EDGE_OK)
			goto out;
		edge_note("new key %s in use; the old key is destroyed", a->key->id);
	}
	report(a, got.crt[0], sn, action,
	    a->key ? EDGE_CERT_FILE : edge_arg(ctx, "output"), true);
	if (a->rekeying)
		edge_result_str(ctx, "key_id", a->key->id);
	rc = prune(a, sn, true);
out:
	json_object_put(data);
	edge_certs_free(&got);
	edge_certs_free(&answered_ca);
	return rc;
}

static int
activate(struct activation *a)
{
	struct edge_ctx *ctx = a->ctx;
	char sn[128] = "";
	time_t expires;
	long days = edge_arg_long(ctx, "renew-within", -1);
	bool renew = edge_flag(ctx, "renew");

	if (a->key == NULL && edge_arg(ctx, "output") == NULL)
		return edge_usage(ctx,
		    "no key in the state directory: this is not the edge; give -o FILE|- and install the result on the edge with --install");
	expires = current_cert(a, sn, sizeof(sn));
	if (expires != 0) {
		int rc = check_csr_cn(a);

		if (rc != EDGE_OK)
			return rc;
	}
	if (expires != 0 && !edge_flag(ctx, "force")) {
		bool mine;
		int rc;

		if ((rc = check_revoked(a, sn, &mine)) != EDGE_OK)
			return rc;
		if (!mine) {
			const char *pk, *dk;

			(void)device_keys(a, &pk, &dk);
			edge_note("the hub lists no certificate %s for %s: applying for one",
			    sn, dk);
			expires = 0;
		}
	}
	if (days >= 0) {
		if (expires != 0 && expires > time(NULL) + days * 86400) {
			char why[96];
			snprintf(why, sizeof(why), "expires in more than %ld days",
			    days);
			return keep_current(a, why);
		}
		renew = expires != 0;
		if (renew && hub(a) == EDGE_EUSAGE) {
			char na[32], why[sizeof(ctx->err.msg)];

			snprintf(why, sizeof(why), "%s", ctx->err.msg);
			edge_x509_time(expires, na, sizeof(na));
			return edge_err(&ctx->err, EDGE_EUSAGE,
			    "%s expires %s (in %lld days), within --renew-within %ld, but this gateway holds no application credentials (%s), so it cannot renew itself: the control node must renew it (see README, Renewal)",
			    EDGE_CERT_FILE, na, days_until(expires), days, why);
		}
	} else if (expires > time(NULL) && !renew && !edge_flag(ctx, "force") &&
	    edge_arg(ctx, "output") == NULL) {
		return keep_current(a,
		    "is a valid certificate for this key (--force applies again)");
	}
	if (renew && expires == 0)
		return edge_err(&ctx->err, EDGE_EINPUT,
		    "--renew: no valid %s for this key to renew", EDGE_CERT_FILE);
	if (renew && edge_flag(ctx, "rekey")) {
		struct edge_error why;
		int rc;

		if (edge_arg(ctx, "csr") != NULL)
			return edge_usage(ctx, "--rekey makes its own request; it takes no --csr");
		if ((rc = rekey_begin(a)) != EDGE_OK)
			return rc;
		if ((rc = from_hub(a, "renew", sn)) == EDGE_OK || a->stored)
			return rc;
		/* Not renewed: the new key goes (a next run would undo it too). */
		why = ctx->err;
		if (rekey_undo(ctx, a->dirfd) != EDGE_OK)
			edge_warn("undoing the key rotation: %s; the next run undoes it",
			    ctx->err.msg);
		ctx->err = why;
		return rc;
	}
	return from_hub(a, renew ? "renew" : "apply", renew ? sn : NULL);
}

static int
run(struct edge_ctx *ctx)
{
	struct activation a;
	struct edge_secret *pin = NULL;
	int rc;

	memset(&a, 0, sizeof(a));
	a.ctx = ctx;
	a.cfg_rc = 1;
	if (edge_arg(ctx, "install") && (edge_flag(ctx, "renew") ||
	    edge_arg(ctx, "renew-within") || edge_arg(ctx, "csr")))
		return edge_usage(ctx, "--install takes no --csr, --renew or --renew-within");
	{
		const char *in = edge_arg(ctx, "csr") ? edge_arg(ctx, "csr") :
		    edge_arg(ctx, "install");
		if (in != NULL && strcmp(in, "-") == 0 &&
		    edge_secret_reads_stdin(edge_arg(ctx, "pin")))
			return edge_usage(ctx,
			    "standard input cannot carry both the input and the PIN");
	}
	if ((rc = edge_ctx_dirfd(ctx, &a.dirfd)) != EDGE_OK)
		return rc;
	if (edge_key_state_in_token(a.dirfd) &&
	    (rc = edge_ctx_secret(ctx, "pin", &pin)) != EDGE_OK)
		return rc;
	edge_p11_set_pin(pin);
	/*
	 * One run at a time, for the whole of apply, renew or install, store
	 * and prune (the lock every tool takes on DIR): two runs at once would
	 * each revoke the other's certificate as superseded.
	 */
	if ((rc = edge_ctx_lock(ctx)) != EDGE_OK)
		goto out;
	if ((edge_file_exists(a.dirfd, EDGE_KEY_PEM_NEW) ||
	    edge_file_exists(a.dirfd, EDGE_KEY_URI_NEW) ||
	    edge_file_exists(a.dirfd, EDGE_CSR_NEW)) &&
	    (rc = rekey_recover(ctx, a.dirfd)) != EDGE_OK)
		goto out;
	if (edge_file_exists(a.dirfd, EDGE_KEY_URI) ||
	    edge_file_exists(a.dirfd, EDGE_KEY_PEM)) {
		if ((rc = edge_key_load_state(a.dirfd, &a.key, &ctx->err)) != EDGE_OK)
			goto out;
	}
	if (edge_device_exists(a.dirfd)) {
		if ((rc = edge_device_load(a.dirfd, &a.dev, &ctx->err)) != EDGE_OK)
			goto out;
		a.have_dev = true;
	}
	if ((rc = load_pinned_ca(&a)) != EDGE_OK)
		goto out;
	if (edge_arg(ctx, "install") != NULL) {
		rc = install(&a);
		goto out;
	}
	if ((rc = load_csr(&a)) != EDGE_OK)
		goto out;
	rc = activate(&a);
out:
	edge_p11_set_pin(NULL);
	edge_secret_free(&pin);
	edge_key_free(&a.key);
	if (a.csr_pub != NULL)
		gnutls_pubkey_deinit(a.csr_pub);
	free(a.csr);
	edge_device_free(&a.dev);
	edge_certs_free(&a.pinned);
	if (a.cfg_rc != 1)
		edge_hubcfg_free(&a.cfg);
	return rc;
}

static const struct edge_tool tool = {
	.name = "edge-activate",
	.summary = "Obtain the edge's certificate from the hub (or install one), after checking it against the edge's key and root CA.",
	.synopsis = "[--csr FILE|-] [--valid-days N] [--renew | --renew-within DAYS] [--rekey] [-o FILE|-] [--install FILE|-] [--json]",
	.options = opts,
	.more_options = edge_hub_opts,
	.run = run,
};

int
main(int argc, char **argv)
{
	return edge_tool_main(&tool, argc, argv);
}
