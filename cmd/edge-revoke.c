/* SPDX-License-Identifier: MIT */
/*
 * edge-revoke: revoke a certificate by serial number at the hub (EnOS Revoke
 * Certificate); with --reset, on the edge itself, revoke the edge's own
 * certificate and then destroy its key, device secret, certificate and
 * cached token, ready for a new edge-keygen.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

#include "edge_certsvc.h"
#include "edge_crl.h"
#include "edge_device.h"
#include "edge_file.h"
#include "edge_hubcfg.h"
#include "edge_json.h"
#include "edge_key.h"
#include "edge_log.h"
#include "edge_p11.h"
#include "edge_state.h"
#include "edge_time.h"
#include "edge_tool.h"
#include "edge_x509.h"

#define SN_MAX		EDGE_CERT_SN_MAX
/* Cap on the queue file: about 10,000 queued revocations. */
#define EDGE_PENDING_MAX	(1024 * 1024)

static const struct edge_opt opts[] = {
	{ "serial", 's', "SERIAL", 0, "serial of the certificate to revoke, decimal (EnOS certSN) or 0x-hex", NULL, EDGE_T_STRING, 0, 0 },
	{ "cert", 0, "FILE", 0, "take the serial (and the device key from its CN) from this certificate", NULL, EDGE_T_STRING, 0, 0 },
	{ "reason", 'r', "REASON", 0, "RFC 5280 reason: unspecified, keyCompromise, affiliationChanged, superseded, cessationOfOperation, certificateHold, privilegeWithdrawn", NULL, EDGE_T_STRING, 0, 0 },
	{ "product-key", 0, "PRODUCT_KEY", 0, "device's product key (default: from DIR/device.json)", NULL, EDGE_T_STRING, 0, 0 },
	{ "device-key", 0, "DEVICE_KEY", 0, "device key (default: from DIR/device.json or the certificate's CN)", NULL, EDGE_T_STRING, 0, 0 },
	{ "superseded", 0, NULL, EDGE_OPT_CLI, "revoke every other valid certificate of the device, keeping --cert FILE's (default: DIR/cert.pem)", NULL, EDGE_T_FLAG, 0, 0 },
	{ "reset", 0, NULL, EDGE_OPT_CLI, "on the edge: revoke its own certificate, then destroy key, device secret, certificate and cached token", NULL, EDGE_T_FLAG, 0, 0 },
	{ "offline", 0, NULL, EDGE_OPT_CLI, "with --reset: destroy even if the hub cannot be reached, and queue the revocation for the next run", NULL, EDGE_T_FLAG, 0, 0 },
	{ "pin", 0, "SECRET", EDGE_OPT_SECRET, "token PIN, to delete a token key on --reset: " EDGE_SECRET_FORMS, NULL, EDGE_T_STRING, 0, 0 },
	{ NULL, 0, NULL, 0, NULL, NULL, EDGE_T_STRING, 0, 0 }
};

/* The reasons an edge gives for its own certificate: not the CA's ones. */
static bool
own_reason(int code)
{
	return edge_crl_reason_name(code) != NULL &&
	    code != EDGE_REASON_CA_COMPROMISE &&
	    code != EDGE_REASON_REMOVE_FROM_CRL &&
	    code != EDGE_REASON_AA_COMPROMISE;
}

static int
parse_reason(struct edge_ctx *ctx, const char *name, int *code)
{
	*code = edge_crl_reason_code(name, false);
	if (own_reason(*code))
		return EDGE_OK;
	return edge_usage(ctx, "--reason %s: not an RFC 5280 reason (keyCompromise, superseded, cessationOfOperation, ...)",
	    name);
}

static const char *
reason_name(int code)
{
	return own_reason(code) ? edge_crl_reason_name(code) : "unspecified";
}

struct target {
	char serial[SN_MAX];
	const char *pk, *dk;
	char cn[128];		/* device key taken from a certificate's CN */
	int reason;
};

/* The hub writes reasons as "KEY_COMPROMISE" or "KEY COMPROMISE". */
static int
reason_from_hub(const char *s, int fallback)
{
	int code = edge_crl_reason_code(s, true);

	return own_reason(code) ? code : fallback;
}

/* The certificate's status at the hub: revoked or not (with the time). */
static int
hub_status(struct edge_ctx *ctx, struct edge_hub *hub, struct target *t,
    bool *revoked, long long *when)
{
	struct edge_hubcert *c = NULL;
	size_t i, n = 0;
	int rc;

	*revoked = false;
	*when = 0;
	if ((rc = edge_certsvc_list(hub, t->pk, t->dk, &c, &n, &ctx->err)) !=
	    EDGE_OK)
		return rc;
	for (i = 0; i < n; i++) {
		if (strcmp(c[i].sn, t->serial) != 0)
			continue;
		*revoked = c[i].status == EDGE_HUBCERT_REVOKED;
		if (*revoked) {
			*when = c[i].updated_ms / 1000;
			if (c[i].reason[0] != '\0')
				t->reason = reason_from_hub(c[i].reason, t->reason);
		}
		break;
	}
	free(c);
	return EDGE_OK;
}

/* Revoke unless already revoked; *changed tells which. */
static int
revoke_one(struct edge_ctx *ctx, struct edge_hub *hub, struct target *t,
    bool *changed, time_t *when)
{
	long long at;
	bool revoked;
	int rc;

	*changed = false;
	if ((rc = hub_status(ctx, hub, t, &revoked, &at)) != EDGE_OK)
		return rc;
	if (revoked) {
		*when = (time_t)at;
		return EDGE_OK;
	}
	if ((rc = edge_certsvc_revoke(hub, t->pk, t->dk, t->serial, t->reason,
	    &ctx->err)) != EDGE_OK)
		return rc;
	*changed = true;
	*when = time(NULL);
	return EDGE_OK;
}

/*
 * One queued line "serial reason productKey deviceKey", split in place.
 * false for a line that is not one (it stays in the queue as it was).
 */
static bool
parse_pending(char *line, struct target *t)
{
	char *f[4], *save = NULL, *end;
	long r;
	int i;

	for (i = 0; i < 4; i++)
		if ((f[i] = strtok_r(i ? NULL : line, " \t\r", &save)) == NULL)
			return false;
	if (strtok_r(NULL, " \t\r", &save) != NULL ||
	    strlen(f[0]) >= sizeof(t->serial))
		return false;
	r = strtol(f[1], &end, 10);
	if (*end != '\0' || r < 0 || r > 10)
		return false;
	memcpy(t->serial, f[0], strlen(f[0]) + 1);
	t->reason = (int)r;
	t->pk = f[2];
	t->dk = f[3];
	return true;
}

/*
 * Send the revocations queued by --reset --offline.  Every line not sent
 * (failed, not tried because the hub is down, or unreadable) is written back
 * as it was: a queued revocation is never dropped.  Lines are copied into a
 * buffer as large as the file, so no length is assumed.  EDGE_OK when the
 * queue was emptied; otherwise the first failure, with the count of lines
 * kept in the message.
 */
static int
send_pending(struct edge_ctx *ctx, struct edge_hub *hub, int dirfd)
{
	char *buf = NULL, *copy = NULL, *keep = NULL, *line, *next;
	size_t len = 0, kept = 0, nkept = 0, lineno = 0, llen;
	struct edge_error first = { 0 };
	bool hub_down = false;
	int rc;

	if (!edge_file_exists(dirfd, EDGE_PENDING_FILE))
		return EDGE_OK;
	if ((rc = edge_file_read(dirfd, EDGE_PENDING_FILE, EDGE_PENDING_MAX,
	    &buf, &len, &ctx->err)) != EDGE_OK)
		return rc;
	if ((keep = malloc(len + 2)) == NULL ||
	    (copy = malloc(len + 1)) == NULL) {
		rc = edge_err(&ctx->err, EDGE_EFAIL, "out of memory");
		goto out;
	}
	for (line = buf; line < buf + len; line = next) {
		struct target t = { .reason = 0 };
		time_t when;
		bool changed;

		next = memchr(line, '\n', (size_t)(buf + len - line));
		llen = next ? (size_t)(next - line) : (size_t)(buf + len - line);
		next = next ? next + 1 : buf + len;
		lineno++;
		if (llen == 0 || strspn(line, " \t\r") >= llen)
			continue;
		memcpy(copy, line, llen);
		copy[llen] = '\0';
		if (hub_down) {
			/* Not tried: the hub cannot be reached. */
		} else if (memchr(copy, '\0', llen) != NULL ||
		    !parse_pending(copy, &t)) {
			edge_warn("%s line %zu: not \"serial reason productKey deviceKey\"; kept in the queue",
			    EDGE_PENDING_FILE, lineno);
			if (first.code == 0)
				edge_err(&first, EDGE_EINPUT,
				    "%s line %zu: unreadable queued revocation",
				    EDGE_PENDING_FILE, lineno);
		} else if (revoke_one(ctx, hub, &t, &changed, &when) == EDGE_OK) {
			edge_note("sent the queued revocation of serial %s",
			    t.serial);
			continue;
		} else {
			edge_warn("queued revocation of serial %s: %s; kept in the queue",
			    t.serial, ctx->err.msg);
			if (first.code == 0)
				first = ctx->err;
			/* Stop asking a hub that cannot be reached. */
			hub_down = ctx->err.code == EDGE_ETEMP;
		}
		memcpy(keep + kept, line, llen);
		kept += llen;
		keep[kept++] = '\n';
		nkept++;
	}
	memset(&ctx->err, 0, sizeof(ctx->err));
	if (kept == 0) {
		rc = edge_file_remove(dirfd, EDGE_PENDING_FILE, false,
		    &ctx->err);
		goto out;
	}
	if (kept != len || memcmp(keep, buf, len) != 0) {
		if ((rc = edge_file_write_atomic(dirfd, EDGE_PENDING_FILE, keep,
		    kept, EDGE_MODE_PRIVATE, &ctx->err)) != EDGE_OK)
			goto out;
	}
	rc = edge_err(&ctx->err, first.code ? first.code : EDGE_EFAIL,
	    "%zu queued revocation(s) still in %s: %s", nkept, EDGE_PENDING_FILE,
	    first.msg);
out:
	free(buf);
	free(copy);
	free(keep);
	return rc;
}

static int
queue_pending(struct edge_ctx *ctx, int dirfd, const struct target *t)
{
	char *buf = NULL, *all;
	size_t len = 0;
	int rc, n;

	if (edge_file_exists(dirfd, EDGE_PENDING_FILE) &&
	    (rc = edge_file_read(dirfd, EDGE_PENDING_FILE, EDGE_PENDING_MAX,
	    &buf, &len, &ctx->err)) != EDGE_OK)
		return rc;
	n = asprintf(&all, "%s%s %d %s %s\n", buf ? buf : "", t->serial,
	    t->reason, t->pk, t->dk);
	free(buf);
	if (n < 0)
		return edge_err(&ctx->err, EDGE_EFAIL, "out of memory");
	rc = edge_file_write_atomic(dirfd, EDGE_PENDING_FILE, all, (size_t)n,
	    EDGE_MODE_PRIVATE, &ctx->err);
	free(all);
	return rc;
}

/* Serial and CN of a PEM certificate file (relative to dirfd). */
static int
cert_identity(struct edge_ctx *ctx, int dirfd, const char *name, char *sn,
    size_t snlen, char *cn, size_t cnlen)
{
	struct edge_certs c = { 0 };
	int rc;

	if ((rc = edge_certs_read(dirfd, name, &c, &ctx->err)) == EDGE_OK) {
		size_t n = cnlen;
		if (edge_x509_serial_dec(c.crt[0], sn, snlen) != EDGE_OK)
			rc = edge_err(&ctx->err, EDGE_EINPUT, "%s: unreadable serial",
			    name);
		else if (gnutls_x509_crt_get_dn_by_oid(c.crt[0],
		    GNUTLS_OID_X520_COMMON_NAME, 0, 0, cn, &n) < 0)
			cn[0] = '\0';
	}
	edge_certs_free(&c);
	return rc;
}

/* Destroy the edge's identity; keeps device.json (minus certSN), ca.pem, crl.pem. */
static int
destroy(struct edge_ctx *ctx, int dirfd, struct edge_device *dev,
    json_object *gone)
{
	static const char *const files[] = {
		EDGE_KEY_PEM, EDGE_DEVICE_SECRET, EDGE_CERT_FILE, EDGE_CSR_FILE,
		EDGE_HUB_TOKEN_FILE, EDGE_KEY_URI, EDGE_KEY_PEM_NEW, EDGE_CSR_NEW,
		EDGE_KEY_URI_NEW, EDGE_RENEW_CREDENTIALS,
	};
	static const char *const uris[] = { EDGE_KEY_URI, EDGE_KEY_URI_NEW };
	size_t i;
	int rc;

	/* The token key, and the new one of a key rotation under way. */
	for (i = 0; i < sizeof(uris) / sizeof(uris[0]); i++) {
		char *uri = NULL;
		size_t len = 0;
		unsigned n = 0;

		if (!edge_file_exists(dirfd, uris[i]))
			continue;
		if ((rc = edge_file_read(dirfd, uris[i], 4096, &uri, &len,
		    &ctx->err)) != EDGE_OK)
			return rc;
		uri[strcspn(uri, "\r\n")] = '\0';
		/* Private and public key objects share the label and the id. */
		rc = edge_p11_delete(uri, NULL, &n, &ctx->err);
		free(uri);
		if (rc != EDGE_OK)
			return rc;
		if (i == 0)
			json_object_array_add(gone, json_object_new_string("token key"));
		edge_verbose(1, "deleted %u object(s) from the token", n);
	}
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (!edge_file_exists(dirfd, files[i]))
			continue;
		/* Overwrite secrets before unlinking (best effort on flash). */
		if ((rc = edge_file_remove(dirfd, files[i], true, &ctx->err)) !=
		    EDGE_OK)
			return rc;
		json_object_array_add(gone, json_object_new_string(files[i]));
	}
	if (dev != NULL && edge_device_get(dev, EDGE_DEV_CERT_SN) != NULL) {
		edge_device_set(dev, EDGE_DEV_CERT_SN, NULL);
		if ((rc = edge_device_save(dirfd, dev, &ctx->err)) != EDGE_OK)
			return rc;
	}
	return EDGE_OK;
}

/*
 * After a reset: application credentials that DIR/edge.conf names and the
 * reset did not destroy (a file outside DIR, a systemd credential) remain
 * on this gateway; say so.
 */
static void
warn_credentials(struct edge_ctx *ctx, int dirfd)
{
	struct edge_opts o;
	struct stat in, d;
	char path[PATH_MAX], *where = NULL, *slash;
	const char *v;

	if (edge_opts_init(&o, opts, edge_hub_opts, NULL) != EDGE_OK)
		return;
	snprintf(path, sizeof(path), "%s/%s", ctx->dir, EDGE_CONF_FILE);
	if (edge_opts_load_file(&o, path, EDGE_SRC_CONF, false, NULL) !=
	    EDGE_OK || (v = edge_opts_get(&o, "credentials")) == NULL ||
	    (where = strdup(v)) == NULL)
		goto out;
	/* DIR/renew.credentials is gone: anything else remains. */
	if ((slash = strrchr(where, '/')) != NULL &&
	    strcmp(slash + 1, EDGE_RENEW_CREDENTIALS) == 0 &&
	    strncmp(where, "cred:", 5) != 0) {
		*slash = '\0';
		if (stat(where[0] ? where : "/", &in) == 0 &&
		    fstat(dirfd, &d) == 0 && in.st_dev == d.st_dev &&
		    in.st_ino == d.st_ino)
			goto out;
	}
	edge_warn("the application credentials %s (credentials in %s) remain on this gateway: they can apply for and revoke certificates of every device they reach; remove them if the gateway leaves service",
	    v, EDGE_CONF_FILE);
out:
	free(where);
	edge_opts_free(&o);
}

/* queued: --reset --offline could not revoke now and queued the serial. */
static void
report(struct edge_ctx *ctx, const struct target *t, time_t when, bool changed,
    bool queued)
{
	char at[32] = "";

	if (when != 0)
		edge_x509_time(when, at, sizeof(at));
	edge_result_str(ctx, "serial", t->serial[0] ? t->serial : NULL);
	edge_result_str(ctx, "reason", reason_name(t->reason));
	edge_result_str(ctx, "revoked_at", at[0] ? at : NULL);
	edge_result_bool(ctx, "changed", changed);
	if (t->serial[0] && queued)
		edge_out(ctx, "serial %s not revoked yet: queued in %s for the next edge-revoke run\n",
		    t->serial, EDGE_PENDING_FILE);
	else if (t->serial[0])
		edge_out(ctx, "serial %s revoked%s%s (%s)%s\n", t->serial,
		    at[0] ? " at " : "", at, reason_name(t->reason),
		    changed ? "" : ", already");
}

static int
reset(struct edge_ctx *ctx, int dirfd, struct edge_hubcfg *cfg,
    struct target *t)
{
	struct edge_device dev = { { 0 } };
	json_object *gone = json_object_new_array();
	bool have_dev = false, changed = false, pending = false;
	time_t when = 0;
	int rc;

	if (edge_device_exists(dirfd)) {
		if ((rc = edge_device_load(dirfd, &dev, &ctx->err)) != EDGE_OK)
			goto out;
		have_dev = true;
		t->pk = edge_device_get(&dev, EDGE_DEV_PRODUCT_KEY);
		t->dk = edge_device_get(&dev, EDGE_DEV_DEVICE_KEY);
	}
	if (edge_file_exists(dirfd, EDGE_CERT_FILE) &&
	    (rc = cert_identity(ctx, dirfd, EDGE_CERT_FILE, t->serial,
	    sizeof(t->serial), t->cn, sizeof(t->cn))) != EDGE_OK)
		goto out;
	if (t->serial[0] != '\0') {
		if (!have_dev) {
			rc = edge_err(&ctx->err, EDGE_EINPUT,
			    "cert.pem present but no device.json: cannot name the device to the hub");
			goto out;
		}
		rc = edge_hubcfg_load(ctx, cfg, true);
		if (rc == EDGE_OK)
			rc = revoke_one(ctx, &cfg->hub, t, &changed, &when);
		if (rc != EDGE_OK) {
			/* Without --offline the key stays: the edge can try again. */
			if (!edge_flag(ctx, "offline") || rc == EDGE_EUSAGE)
				goto out;
			edge_warn("could not revoke serial %s now (%s); queued in %s for the next edge-revoke",
			    t->serial, ctx->err.msg, EDGE_PENDING_FILE);
			memset(&ctx->err, 0, sizeof(ctx->err));
			if ((rc = queue_pending(ctx, dirfd, t)) != EDGE_OK)
				goto out;
			pending = true;
		}
	}
	if ((rc = destroy(ctx, dirfd, have_dev ? &dev : NULL, gone)) != EDGE_OK)
		goto out;
	warn_credentials(ctx, dirfd);
	report(ctx, t, when, changed || json_object_array_length(gone) > 0,
	    pending);
	json_object_object_add(ctx->result, "pending", json_object_new_boolean(pending));
	json_object_object_add(ctx->result, "destroyed", json_object_get(gone));
	edge_note("reset: destroyed %zu item(s); the state directory is ready for edge-keygen",
	    json_object_array_length(gone));
out:
	json_object_put(gone);
	edge_device_free(&dev);
	return rc;
}

/*
 * --superseded: every valid certificate of the device but t's is revoked as
 * superseded (the control node's half of edge-activate's pruning, after
 * the gateway installed the certificate it was sent).
 */
static int
superseded(struct edge_ctx *ctx, struct edge_hub *hub, const struct target *t)
{
	json_object *gone = json_object_new_array();
	size_t n;
	int rc;

	rc = edge_certsvc_supersede(hub, t->pk, t->dk, t->serial, gone,
	    &ctx->err);
	/* Keeping a certificate that is not the device's valid one: input. */
	if (rc == EDGE_EREVOKED)
		ctx->err.code = rc = EDGE_EINPUT;
	n = json_object_array_length(gone);
	edge_result_str(ctx, "serial", t->serial);
	edge_result_str(ctx, "reason", reason_name(t->reason));
	edge_result_bool(ctx, "changed", n > 0);
	json_object_object_add(ctx->result, "superseded", gone);
	if (n > 0 || rc == EDGE_OK)
		edge_out(ctx, "revoked %zu superseded certificate(s) of %s%s%s; kept serial %s\n",
		    n, t->dk, n ? ": " : "", n ? json_object_to_json_string_ext(gone,
		    JSON_C_TO_STRING_PLAIN) : "", t->serial);
	return rc;
}

/* The options: which certificate, why, and --reset / --offline. */
static int
read_options(struct edge_ctx *ctx, struct target *t)
{
	int rc;

	t->reason = edge_flag(ctx, "reset") ? EDGE_REASON_CESSATION :
	    EDGE_REASON_UNSPECIFIED;
	if (edge_arg(ctx, "reason") != NULL &&
	    (rc = parse_reason(ctx, edge_arg(ctx, "reason"), &t->reason)) !=
	    EDGE_OK)
		return rc;
	if (edge_flag(ctx, "superseded")) {
		if (edge_flag(ctx, "reset") || edge_arg(ctx, "serial") ||
		    edge_arg(ctx, "reason") || edge_flag(ctx, "offline"))
			return edge_usage(ctx, "--superseded keeps one certificate (--cert FILE, default cert.pem) and revokes the others as superseded; it takes no --serial, --reason, --reset or --offline");
		t->reason = EDGE_REASON_SUPERSEDED;
		return EDGE_OK;
	}
	if (edge_flag(ctx, "offline") && !edge_flag(ctx, "reset"))
		return edge_usage(ctx, "--offline applies to --reset only");
	if (edge_flag(ctx, "reset") && (edge_arg(ctx, "serial") ||
	    edge_arg(ctx, "cert")))
		return edge_usage(ctx, "--reset revokes the edge's own certificate; it takes no --serial or --cert");
	if (!edge_flag(ctx, "reset") && !edge_arg(ctx, "serial") &&
	    !edge_arg(ctx, "cert"))
		return edge_usage(ctx, "which certificate? give --serial N or --cert FILE (or --reset on the edge)");
	if (edge_arg(ctx, "serial") && edge_arg(ctx, "cert"))
		return edge_usage(ctx, "give --serial or --cert, not both");
	if (edge_arg(ctx, "serial") &&
	    (rc = edge_x509_serial_parse(edge_arg(ctx, "serial"), t->serial,
	    sizeof(t->serial), &ctx->err)) != EDGE_OK)
		return rc;
	return EDGE_OK;
}

static int
run(struct edge_ctx *ctx)
{
	struct edge_hubcfg cfg;
	struct edge_device dev = { { 0 } };
	struct edge_secret *pin = NULL;
	struct edge_error pending = { 0 };
	struct target t;
	bool changed = false;
	time_t when = 0;
	int dirfd = -1, rc, prc;

	memset(&cfg, 0, sizeof(cfg));
	memset(&t, 0, sizeof(t));
	if ((rc = read_options(ctx, &t)) != EDGE_OK)
		return rc;
	if ((rc = edge_ctx_dirfd(ctx, &dirfd)) != EDGE_OK)
		return rc;
	/* The queue of pending revocations is read, changed and rewritten. */
	if ((rc = edge_ctx_lock(ctx)) != EDGE_OK)
		return rc;

	if (edge_flag(ctx, "reset")) {
		if (edge_key_state_in_token(dirfd) &&
		    (rc = edge_ctx_secret(ctx, "pin", &pin)) != EDGE_OK)
			goto out;
		edge_p11_set_pin(pin);
		rc = reset(ctx, dirfd, &cfg, &t);
		goto out;
	}

	if (edge_arg(ctx, "cert") != NULL &&
	    (rc = cert_identity(ctx, AT_FDCWD, edge_arg(ctx, "cert"), t.serial,
	    sizeof(t.serial), t.cn, sizeof(t.cn))) != EDGE_OK)
		goto out;
	if (edge_arg(ctx, "cert") == NULL && edge_flag(ctx, "superseded") &&
	    (rc = cert_identity(ctx, dirfd, EDGE_CERT_FILE, t.serial,
	    sizeof(t.serial), t.cn, sizeof(t.cn))) != EDGE_OK)
		goto out;
	if (edge_device_exists(dirfd) &&
	    (rc = edge_device_load(dirfd, &dev, &ctx->err)) != EDGE_OK)
		goto out;
	t.pk = edge_arg(ctx, "product-key") ? edge_arg(ctx, "product-key") :
	    edge_device_get(&dev, EDGE_DEV_PRODUCT_KEY);
	t.dk = edge_arg(ctx, "device-key") ? edge_arg(ctx, "device-key") :
	    t.cn[0] ? t.cn : edge_device_get(&dev, EDGE_DEV_DEVICE_KEY);
	if (t.pk == NULL || t.dk == NULL) {
		rc = edge_usage(ctx, "which device? give --product-key and --device-key");
		goto out;
	}
	if ((rc = edge_hubcfg_load(ctx, &cfg, true)) != EDGE_OK)
		goto out;
	/*
	 * The queue is sent first, but a line the hub refuses does not stop
	 * this revocation; what stays queued makes the exit status non-zero.
	 */
	if ((prc = send_pending(ctx, &cfg.hub, dirfd)) != EDGE_OK) {
		pending = ctx->err;
		memset(&ctx->err, 0, sizeof(ctx->err));
	}
	if (edge_flag(ctx, "superseded")) {
		rc = superseded(ctx, &cfg.hub, &t);
	} else if ((rc = revoke_one(ctx, &cfg.hub, &t, &changed, &when)) ==
	    EDGE_OK) {
		if (!changed)
			edge_note("serial %s is already revoked; nothing to do",
			    t.serial);
		report(ctx, &t, when, changed, false);
	}
	if (rc != EDGE_OK)
		goto out;
	if (prc != EDGE_OK) {
		ctx->err = pending;
		rc = prc;
	}
out:
	edge_p11_set_pin(NULL);
	edge_secret_free(&pin);
	edge_device_free(&dev);
	edge_hubcfg_free(&cfg);
	return rc;
}

static const struct edge_tool tool = {
	.name = "edge-revoke",
	.summary = "Revoke a certificate by serial number at the hub; --reset also destroys the edge's key and secrets.",
	.synopsis = "(--serial N | --cert FILE) [--reason REASON] [--product-key PK --device-key DK] [--json] | --superseded [--cert FILE] | --reset [--offline]",
	.options = opts,
	.more_options = edge_hub_opts,
	.run = run,
};

int
main(int argc, char **argv)
{
	return edge_tool_main(&tool, argc, argv);
}
