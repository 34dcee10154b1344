/* SPDX-License-Identifier: MIT */
/*
 * edge-provision: register the edge at the hub (EnOS Create Device) with its
 * product key and serial number, and store the device id (assetId) and the
 * device secret in the state directory.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "edge_certsvc.h"
#include "edge_device.h"
#include "edge_dynact.h"
#include "edge_hubcfg.h"
#include "edge_json.h"
#include "edge_key.h"
#include "edge_log.h"
#include "edge_state.h"
#include "edge_tool.h"
#include "edge_x509.h"

#define DEVICES_PATH "/connect-service/v2.1/devices"
#define ENOS_DEVICE_KEY_EXISTS 11702

static const struct edge_opt opts[] = {
	{ "product-key", 0, "PRODUCT_KEY", 0, "product key of the gateway's product", NULL, EDGE_T_STRING, 0, 0 },
	{ "serial", 's', "SN", 0, "serial number; becomes the device key", NULL, EDGE_T_STRING, 0, 0 },
	{ "license", 'l', "LICENSE", 0, "license, stored with the device as its 'license' tag", NULL, EDGE_T_STRING, 0, 0 },
	{ "via", 0, "api|mqtt", 0, "register with the API and application credentials, or activate over MQTT with the product secret (device registered beforehand)", "api", EDGE_T_CHOICE, 0, 0 },
	{ "product-secret", 0, "SECRET", EDGE_OPT_SECRET, "product secret for --via mqtt: " EDGE_SECRET_FORMS, NULL, EDGE_T_STRING, 0, 0 },
	{ "activation-url", 0, "URL", 0, "MQTT broker for --via mqtt, mqtts://host:port (default: --mqtt)", NULL, EDGE_T_STRING, 0, 0 },
	{ "device-name", 0, "NAME", 0, "device name at the hub (default: the serial number)", NULL, EDGE_T_STRING, 0, 0 },
	{ "timezone", 0, "+HH:MM", 0, "device time zone (default: this machine's offset)", NULL, EDGE_T_STRING, 0, 0 },
	{ "portal", 0, "URL", 0, "hub portal (CA and CRL host), recorded in DIR/device.json for the other tools", NULL, EDGE_T_STRING, 0, 0 },
	{ "mqtt", 0, "URL", 0, "hub MQTT broker, mqtts://host:port, recorded in DIR/device.json for edge-connect", NULL, EDGE_T_STRING, 0, 0 },
	{ "force", 'f', NULL, EDGE_OPT_CLI, "provision again, replacing the stored device", NULL, EDGE_T_FLAG, 0, 0 },
	{ "takeover", 0, NULL, EDGE_OPT_CLI, "fetch the secret of a device another gateway activated, moving its identity here (replacing hardware)", NULL, EDGE_T_FLAG, 0, 0 },
	{ NULL, 0, NULL, 0, NULL, NULL, EDGE_T_STRING, 0, 0 }
};

static void
local_timezone(char *buf, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;
	int off;

	localtime_r(&now, &tm);
	off = (int)(tm.tm_gmtoff / 60) % (24 * 60);
	snprintf(buf, len, "%c%02d:%02d", off < 0 ? '-' : '+',
	    abs(off) / 60, abs(off) % 60);
}

static bool
valid_timezone(const char *s)
{
	return strlen(s) == 6 && (s[0] == '+' || s[0] == '-') &&
	    isdigit((unsigned char)s[1]) && isdigit((unsigned char)s[2]) &&
	    s[3] == ':' && isdigit((unsigned char)s[4]) &&
	    isdigit((unsigned char)s[5]);
}

static void
report(struct edge_ctx *ctx, const struct edge_device *d, bool changed,
    bool takeover)
{
	json_object *rec = edge_device_json(d);

	json_object_object_foreach(rec, k, v)
		json_object_object_add(ctx->result, k, json_object_get(v));
	json_object_put(rec);
	edge_result_bool(ctx, "changed", changed);
	edge_result_bool(ctx, "takeover", takeover);
	if (!changed)
		edge_note("already provisioned as %s (device key %s); nothing to do",
		    edge_device_get(d, EDGE_DEV_ASSET_ID),
		    edge_device_get(d, EDGE_DEV_DEVICE_KEY));
	edge_out(ctx, "%s %s\n", edge_device_get(d, EDGE_DEV_ASSET_ID),
	    edge_device_get(d, EDGE_DEV_DEVICE_KEY));
}

/* Check the hub's device record and take assetId and deviceSecret from it. */
static int
take_answer(struct edge_ctx *ctx, json_object *data, struct edge_device *d,
    const char **secret)
{
	static const char what[] = "hub device answer";
	const char *asset, *pk, *dk;
	int rc;

	if ((rc = edge_json_string(data, "assetId", what, &asset, &ctx->err)) ||
	    (rc = edge_json_string(data, "productKey", what, &pk, &ctx->err)) ||
	    (rc = edge_json_string(data, "deviceKey", what, &dk, &ctx->err)) ||
	    (rc = edge_json_string(data, "deviceSecret", what, secret, &ctx->err)))
		return rc;
	if (strcmp(pk, edge_device_get(d, EDGE_DEV_PRODUCT_KEY)) != 0 ||
	    strcmp(dk, edge_device_get(d, EDGE_DEV_DEVICE_KEY)) != 0)
		return edge_err(&ctx->err, EDGE_EINPUT,
		    "%s: names device %s/%s, not the one asked for", what, pk, dk);
	if (!edge_device_key_valid(asset) || strlen(*secret) < 8 ||
	    strpbrk(*secret, "\r\n") != NULL)
		return edge_err(&ctx->err, EDGE_EINPUT,
		    "%s: unusable assetId or deviceSecret", what);
	return edge_device_set(d, EDGE_DEV_ASSET_ID, asset);
}

/*
 * Does this directory prove it holds the device's identity?  DIR/device.secret
 * is the secret the hub returns (compared in constant time), or DIR/cert.pem,
 * with the key in DIR, is one of the device's valid certificates.  A
 * device.json proves nothing: anyone can write one.
 */
static bool
proves_holder(int dirfd, const char *secret, const struct edge_hubcert *c,
    size_t n)
{
	struct edge_secret *mine = NULL;
	struct edge_certs have = { 0 };
	struct edge_key *key = NULL;
	const struct edge_hubcert *e;
	char sn[128];
	bool yes = false;

	if (edge_file_exists(dirfd, EDGE_DEVICE_SECRET) &&
	    edge_device_secret_load(dirfd, &mine, NULL) == EDGE_OK)
		yes = edge_secret_equal(mine, secret, strlen(secret));
	edge_secret_free(&mine);
	if (!yes && edge_file_exists(dirfd, EDGE_CERT_FILE) &&
	    edge_certs_read(dirfd, EDGE_CERT_FILE, &have, NULL) == EDGE_OK &&
	    edge_x509_serial_dec(have.crt[0], sn, sizeof(sn)) == EDGE_OK &&
	    (e = edge_certsvc_find(c, n, sn)) != NULL &&
	    e->status == EDGE_HUBCERT_VALID &&
	    edge_key_load_state(dirfd, &key, NULL) == EDGE_OK)
		yes = edge_x509_has_key(have.crt[0], key->pub);
	edge_key_free(&key);
	edge_certs_free(&have);
	return yes;
}

/*
 * One identity, one gateway.  The identity is held when the hub lists a
 * valid certificate of the device (List Certificate), or reports it
 * activated (Get Device status other than "inactive") while it has no
 * certificate at all (a secret-only device).  A held identity is fetched
 * only by a directory that proves it holds it (proves_holder), or with
 * --takeover (*took).  Nobody holds the identity of a reset gateway (key,
 * secret, certificate destroyed, certificate revoked): it re-enrols.
 */
static int
check_holder(struct edge_ctx *ctx, struct edge_hub *hub, json_object *data,
    const char *pk, const char *dk, int dirfd, bool *took)
{
	struct edge_hubcert *c = NULL;
	const char *status = NULL, *secret = NULL, *valid = NULL;
	char when[64] = "", hint[256] = "";
	bool activated;
	long long ms;
	time_t t;
	struct tm tm;
	size_t i, n = 0;
	int rc;

	if ((rc = edge_json_opt_string(data, "status", "hub device answer",
	    &status, &ctx->err)) != EDGE_OK ||
	    (rc = edge_json_string(data, "deviceSecret", "hub device answer",
	    &secret, &ctx->err)) != EDGE_OK ||
	    (rc = edge_certsvc_list(hub, pk, dk, &c, &n, &ctx->err)) != EDGE_OK)
		return rc;
	activated = status != NULL && strcmp(status, "inactive") != 0;
	for (i = 0; i < n && valid == NULL; i++)
		if (c[i].status == EDGE_HUBCERT_VALID)
			valid = c[i].sn;
	if ((valid == NULL && (n > 0 || !activated)) ||
	    proves_holder(dirfd, secret, c, n))
		goto out;
	if (edge_flag(ctx, "takeover")) {
		*took = true;
		edge_note("%s: taking over the identity of the gateway that holds it; edge-activate revokes that gateway's certificates when it installs this one's",
		    dk);
		goto out;
	}
	if (edge_json_int(data, "activeTime", "", &ms, NULL) == EDGE_OK &&
	    ms > 0) {
		t = (time_t)(ms / 1000);
		if (gmtime_r(&t, &tm) != NULL)
			strftime(when, sizeof(when), " (activated %Y-%m-%dT%H:%M:%SZ)",
			    &tm);
	}
	if (edge_file_exists(dirfd, EDGE_PENDING_FILE))
		snprintf(hint, sizeof(hint),
		    "; if this directory was reset with --offline, its revocation is still queued in %s: send it (edge-revoke --serial %s --device-key %s) and provision again, or",
		    EDGE_PENDING_FILE, valid ? valid : "SN", dk);
	rc = activated ? edge_err(&ctx->err, EDGE_EREFUSED,
	    "%s: device already activated by another gateway%s%s; --takeover moves its identity here",
	    dk, when, hint) : edge_err(&ctx->err, EDGE_EREFUSED,
	    "%s: another gateway holds the device's valid certificate (serial %s)%s; --takeover moves its identity here",
	    dk, valid, hint);
out:
	free(c);
	return rc;
}

static int
register_device(struct edge_ctx *ctx, struct edge_hub *hub,
    struct edge_device *d, int dirfd, bool *took)
{
	const char *pk = edge_device_get(d, EDGE_DEV_PRODUCT_KEY);
	const char *dk = edge_device_get(d, EDGE_DEV_DEVICE_KEY);
	const char *license = edge_device_get(d, EDGE_DEV_LICENSE);
	struct edge_enos_param create[] = { { "action", "create" } };
	struct edge_enos_param get[] = {
		{ "action", "get" }, { "productKey", pk }, { "deviceKey", dk },
	};
	json_object *body, *name, *data = NULL;
	const char *secret = NULL;
	int rc, code = 0;

	body = json_object_new_object();
	json_object_object_add(body, "productKey", json_object_new_string(pk));
	json_object_object_add(body, "timezone",
	    json_object_new_string(edge_device_get(d, EDGE_DEV_TIMEZONE)));
	name = json_object_new_object();
	json_object_object_add(name, "defaultValue",
	    json_object_new_string(edge_device_get(d, EDGE_DEV_NAME)));
	json_object_object_add(body, "deviceName", name);
	json_object_object_add(body, "deviceKey", json_object_new_string(dk));
	if (license != NULL) {
		/* EnOS has no license field; a device tag keeps it at the hub. */
		json_object *tags = json_object_new_object();
		json_object_object_add(tags, "license",
		    json_object_new_string(license));
		json_object_object_add(body, "deviceTags", tags);
	}
	rc = edge_hub_call(hub, "POST", DEVICES_PATH, create, 1, body, &data,
	    &code, &ctx->err);
	json_object_put(body);
	if (rc == EDGE_EREFUSED && code == ENOS_DEVICE_KEY_EXISTS) {
		/* Registered before (a re-run after a crash): fetch it instead. */
		edge_verbose(1, "device %s already exists at the hub; fetching it",
		    dk);
		rc = edge_hub_call(hub, "GET", DEVICES_PATH, get, 3, NULL, &data,
		    NULL, &ctx->err);
		if (rc == EDGE_OK)
			rc = check_holder(ctx, hub, data, pk, dk, dirfd, took);
	}
	if (rc != EDGE_OK)
		goto out;
	if ((rc = take_answer(ctx, data, d, &secret)) != EDGE_OK)
		goto out;
	rc = edge_device_store(dirfd, d, secret, &ctx->err);
out:
	json_object_put(data);
	return rc;
}

/* -vv: the activation broker has the subscription. */
static void
subscribed(int mid)
{
	edge_verbose(2, "subscribed (message id %d)", mid);
}

/* EnOS dynamic activation: the product secret, not application credentials. */
static int
activate_device(struct edge_ctx *ctx, struct edge_hub *hub,
    struct edge_device *d, int dirfd)
{
	struct edge_dynact_conf c;
	struct edge_secret *product_secret = NULL, *secret = NULL;
	char *asset = NULL;
	int rc;

	if ((rc = edge_ctx_secret(ctx, "product-secret", &product_secret)) !=
	    EDGE_OK)
		return rc;
	memset(&c, 0, sizeof(c));
	c.url = edge_arg(ctx, "activation-url") ? edge_arg(ctx, "activation-url") :
	    edge_arg(ctx, "mqtt");
	c.dirfd = dirfd;
	c.ca_file = hub->http.ca_file;
	c.hub_pin = hub->http.hub_pin;
	c.product_key = edge_device_get(d, EDGE_DEV_PRODUCT_KEY);
	c.device_key = edge_device_get(d, EDGE_DEV_DEVICE_KEY);
	c.product_secret = product_secret;
	c.timeout = hub->http.total_timeout;
	c.on_subscribe = subscribed;
	rc = edge_dynact_run(&c, &asset, &secret, &ctx->err);
	edge_secret_free(&product_secret);
	if (rc != EDGE_OK)
		return rc;
	if (strlen(secret->data) < 8 || strpbrk(secret->data, "\r\n") != NULL ||
	    !edge_device_key_valid(asset)) {
		rc = edge_err(&ctx->err, EDGE_EINPUT,
		    "activation answer: unusable assetId or deviceSecret");
		goto out;
	}
	if ((rc = edge_device_set(d, EDGE_DEV_ASSET_ID, asset)) != EDGE_OK)
		goto out;
	rc = edge_device_store(dirfd, d, secret->data, &ctx->err);
out:
	free(asset);
	edge_secret_free(&secret);
	return rc;
}

/* The options, checked. */
static int
check_options(struct edge_ctx *ctx, const char *pk, const char *sn,
    bool via_mqtt)
{
	const char *tz = edge_arg(ctx, "timezone");

	if (pk == NULL)
		return edge_usage(ctx, "missing --product-key");
	if (sn == NULL)
		return edge_usage(ctx, "missing --serial");
	if (!edge_device_key_valid(pk))
		return edge_usage(ctx, "--product-key %s: not a valid product key", pk);
	if (!edge_device_key_valid(sn))
		return edge_usage(ctx,
		    "--serial %s: use 1 to 64 letters, digits, '_', '-', '.' or ':'", sn);
	if (tz != NULL && !valid_timezone(tz))
		return edge_usage(ctx, "--timezone %s: expected +HH:MM or -HH:MM",
		    tz);
	if (via_mqtt && edge_arg(ctx, "product-secret") == NULL)
		return edge_usage(ctx, "--via mqtt needs --product-secret");
	if (via_mqtt && edge_arg(ctx, "activation-url") == NULL &&
	    edge_arg(ctx, "mqtt") == NULL)
		return edge_usage(ctx, "--via mqtt needs --activation-url or --mqtt");
	if (via_mqtt && edge_flag(ctx, "takeover"))
		return edge_usage(ctx,
		    "--takeover needs --via api: the hub refuses to activate an activated device over MQTT");
	return EDGE_OK;
}

/*
 * The record to store: the options given over what device.json records.
 * For the same device (re-provisioning after edge-revoke --reset, or with
 * --force) every field not given is kept; for another device (--force) only
 * the gateway's time zone.  The hub addresses are options resolved with
 * device.json's as a layer (edge_tool.c), so they are kept either way.
 */
static int
new_record(struct edge_ctx *ctx, struct edge_device *d,
    const struct edge_device *old, bool same, const char *api)
{
	const char *pk = edge_arg(ctx, "product-key"), *sn = edge_arg(ctx, "serial");
	const char *name = edge_arg(ctx, "device-name");
	const char *license = edge_arg(ctx, "license");
	const char *tz = edge_arg(ctx, "timezone");
	char tzbuf[16];
	int f, rc = EDGE_OK;

	for (f = 0; f < EDGE_DEV_N && rc == EDGE_OK; f++)
		if (same || f == EDGE_DEV_TIMEZONE)
			rc = edge_device_set(d, f, edge_device_get(old, f));
	if (name == NULL)
		name = same && edge_device_get(d, EDGE_DEV_NAME) != NULL ?
		    edge_device_get(d, EDGE_DEV_NAME) : sn;
	if (tz == NULL && edge_device_get(d, EDGE_DEV_TIMEZONE) == NULL) {
		local_timezone(tzbuf, sizeof(tzbuf));
		tz = tzbuf;
	}
	if (rc != EDGE_OK ||
	    edge_device_set(d, EDGE_DEV_PRODUCT_KEY, pk) ||
	    edge_device_set(d, EDGE_DEV_DEVICE_KEY, sn) ||
	    edge_device_set(d, EDGE_DEV_SERIAL, sn) ||
	    (license != NULL && edge_device_set(d, EDGE_DEV_LICENSE, license)) ||
	    edge_device_set(d, EDGE_DEV_NAME, name) ||
	    (tz != NULL && edge_device_set(d, EDGE_DEV_TIMEZONE, tz)) ||
	    edge_device_set(d, EDGE_DEV_API, api) ||
	    edge_device_set(d, EDGE_DEV_PORTAL, edge_arg(ctx, "portal")) ||
	    edge_device_set(d, EDGE_DEV_MQTT, edge_arg(ctx, "mqtt")))
		return edge_err(&ctx->err, EDGE_EFAIL, "out of memory");
	return EDGE_OK;
}

/*
 * DIR/device.json as it is: *old loaded (empty when there is none, or with
 * --force when it cannot be read: it is replaced), *same when it records
 * this product key and serial.
 */
static int
load_old(struct edge_ctx *ctx, int dirfd, struct edge_device *old, bool *same)
{
	const char *pk = edge_arg(ctx, "product-key"), *sn = edge_arg(ctx, "serial");
	int rc;

	*same = false;
	if (!edge_device_exists(dirfd))
		return EDGE_OK;
	if ((rc = edge_device_load(dirfd, old, &ctx->err)) != EDGE_OK) {
		if (!edge_flag(ctx, "force"))
			return rc;
		memset(&ctx->err, 0, sizeof(ctx->err));
		return EDGE_OK;
	}
	*same = strcmp(edge_device_get(old, EDGE_DEV_PRODUCT_KEY), pk) == 0 &&
	    strcmp(edge_device_get(old, EDGE_DEV_DEVICE_KEY), sn) == 0;
	return EDGE_OK;
}

static int
run(struct edge_ctx *ctx)
{
	struct edge_hubcfg cfg;
	struct edge_device d = { { 0 } }, old = { { 0 } };
	const char *pk = edge_arg(ctx, "product-key");
	const char *sn = edge_arg(ctx, "serial");
	bool via_mqtt = edge_arg_choice(ctx, "via") == 1;	/* "api|mqtt" */
	bool same, took = false;
	int dirfd, rc;

	memset(&cfg, 0, sizeof(cfg));
	if ((rc = check_options(ctx, pk, sn, via_mqtt)) != EDGE_OK)
		return rc;
	if ((rc = edge_ctx_dirfd(ctx, &dirfd)) != EDGE_OK)
		return rc;
	if ((rc = load_old(ctx, dirfd, &old, &same)) != EDGE_OK)
		goto out;

	/* Idempotent: the same product and serial are already provisioned. */
	if (edge_device_get(&old, EDGE_DEV_PRODUCT_KEY) != NULL &&
	    !edge_flag(ctx, "force")) {
		if (same && edge_file_exists(dirfd, EDGE_DEVICE_SECRET)) {
			report(ctx, &old, false, false);
			goto out;
		}
		/* Same device without its secret (after a reset): fetch it again. */
		if (!same) {
			rc = edge_err(&ctx->err, EDGE_EFAIL,
			    "%s: already provisioned as %s/%s; --force provisions %s/%s instead",
			    EDGE_DEVICE_FILE,
			    edge_device_get(&old, EDGE_DEV_PRODUCT_KEY),
			    edge_device_get(&old, EDGE_DEV_DEVICE_KEY), pk, sn);
			goto out;
		}
	}
	if ((rc = edge_hubcfg_load(ctx, &cfg, !via_mqtt)) != EDGE_OK ||
	    (rc = new_record(ctx, &d, &old, same, cfg.hub.api)) != EDGE_OK)
		goto out;
	if (via_mqtt)
		rc = activate_device(ctx, &cfg.hub, &d, dirfd);
	else
		rc = register_device(ctx, &cfg.hub, &d, dirfd, &took);
	if (rc != EDGE_OK)
		goto out;
	report(ctx, &d, true, took);
out:
	edge_device_free(&d);
	edge_device_free(&old);
	edge_hubcfg_free(&cfg);
	return rc;
}

static const struct edge_tool tool = {
	.name = "edge-provision",
	.summary = "Register the edge at the hub and store its device id and device secret.",
	.synopsis = "--product-key PRODUCT_KEY --serial SN [--license L] [--api URL --credentials FILE | --via mqtt --product-secret SECRET --activation-url URL] [--json]",
	.options = opts,
	.more_options = edge_hub_opts,
	.run = run,
};

int
main(int argc, char **argv)
{
	return edge_tool_main(&tool, argc, argv);
}
