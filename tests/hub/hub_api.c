/* SPDX-License-Identifier: MIT */
/*
 * Devices (ENOS-PROTOCOL.md 6.2, v2.1) and certificates (7, 8; v2.0).
 * Business errors are HTTP 200 with the EnOS envelope and code (3.2).
 */
#include <ctype.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <gnutls/gnutls.h>

#include "hub.h"

#define DEVICE_LIMIT	10000	/* per product, error 11739 beyond */

static void
fail(struct hub_resp *rs, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
fail(struct hub_resp *rs, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	hub_reply(rs, 200, code, msg, NULL);
}

static void
ok(struct hub_resp *rs, json_object *data)
{
	hub_reply(rs, 200, ENOS_OK, "OK", data);
}

static bool
save(struct hub *h, struct hub_resp *rs)
{
	char msg[512];

	if (hub_store_save(&h->store, msg, sizeof(msg)) == 0)
		return true;
	hub_log("state: %s", msg);
	fail(rs, ENOS_EINTERNAL, "Internal error: cannot store the change");
	return false;
}

const char *
hub_api_action(const struct hub_req *rq, const char *org_id, int *code,
    char *msg, size_t msglen)
{
	const char *action = hub_param(rq, "action");
	const char *org = hub_param(rq, "orgId");

	*code = ENOS_EARG;
	if (action == NULL || *action == '\0') {
		snprintf(msg, msglen, "Invalid Argument action:action is missing");
		return NULL;
	}
	if (org == NULL || *org == '\0') {
		snprintf(msg, msglen, "Invalid Argument orgId:orgId is missing");
		return NULL;
	}
	if (strcmp(org, org_id) != 0) {
		*code = ENOS_EDENIED;
		snprintf(msg, msglen, "Denied resource: orgId %s", org);
		return NULL;
	}
	return action;
}

/* action and orgId are required on every call; orgId must be ours. */
static const char *
common(struct hub *h, const struct hub_req *rq, struct hub_resp *rs)
{
	const char *action;
	char msg[512];
	int code;

	if ((action = hub_api_action(rq, h->org_id, &code, msg,
	    sizeof(msg))) == NULL)
		fail(rs, code, "%s", msg);
	return action;
}

static bool
method_is(const struct hub_req *rq, struct hub_resp *rs, const char *want)
{
	if (strcmp(rq->method, want) == 0)
		return true;
	hub_reply(rs, 405, ENOS_EARG, "Method Not Allowed", NULL);
	return false;
}

/* A key the hub makes part of file names and topics: keep it tame. */
bool
hub_valid_key(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!isalnum((unsigned char)s[n]) && s[n] != '_' &&
		    s[n] != '-' && s[n] != '.')
			return false;
	return n > 0 && n <= 64;
}

/* The device named by assetId or productKey+deviceKey in the query. */
static json_object *
device_of(struct hub *h, const struct hub_req *rq, struct hub_resp *rs)
{
	const char *asset = hub_param(rq, "assetId");
	const char *pk = hub_param(rq, "productKey");
	const char *dk = hub_param(rq, "deviceKey");
	json_object *d;

	if ((asset == NULL || *asset == '\0') &&
	    (pk == NULL || *pk == '\0' || dk == NULL || *dk == '\0')) {
		fail(rs, ENOS_EARG,
		    "invalid argument: Device identifier is invalid");
		return NULL;
	}
	d = hub_store_device(&h->store, asset && *asset ? asset : NULL, pk, dk);
	if (d == NULL)
		fail(rs, ENOS_ENODEVICE, "Device cannot be found");
	return d;
}

static json_object *
jcopy(json_object *o)
{
	json_object *c = NULL;

	if (o == NULL || json_object_deep_copy(o, &c, NULL) != 0)
		return NULL;
	return c;
}

int
hub_api_device_args(json_object *body, const struct hub_conf *conf,
    struct hub_device_args *a, char *msg, size_t msglen)
{
	json_object *v;

	memset(a, 0, sizeof(*a));
	a->pk = hub_jstr(body, "productKey");
	a->tz = hub_jstr(body, "timezone");
	a->dk = hub_jstr(body, "deviceKey");
	if (a->pk == NULL || *a->pk == '\0') {
		snprintf(msg, msglen, "Invalid Argument productKey:productKey "
		    "is missing");
		return -1;
	}
	if (hub_conf_product(conf, a->pk) == NULL) {
		snprintf(msg, msglen, "Invalid Argument productKey:product %s "
		    "does not exist", a->pk);
		return -1;
	}
	if (a->tz == NULL || *a->tz == '\0') {
		snprintf(msg, msglen, "Invalid Argument timezone:timezone is "
		    "missing");
		return -1;
	}
	if (json_object_object_get_ex(body, "deviceName", &v)) {
		if (json_object_is_type(v, json_type_string) &&
		    *json_object_get_string(v)) {
			a->name = json_object_new_object();
			json_object_object_add(a->name, "defaultValue",
			    json_object_new_string(json_object_get_string(v)));
		} else if (hub_jstr(v, "defaultValue") != NULL &&
		    *hub_jstr(v, "defaultValue"))
			a->name = jcopy(v);
	}
	if (a->name == NULL) {
		snprintf(msg, msglen, "Invalid Argument deviceName:deviceName "
		    "(StringI18n with defaultValue) is missing");
		return -1;
	}
	if (json_object_object_get_ex(body, "deviceKey", &v) &&
	    (a->dk == NULL || !hub_valid_key(a->dk))) {
		json_object_put(a->name);
		a->name = NULL;
		snprintf(msg, msglen, "Invalid Argument deviceKey:must be 1 to "
		    "64 letters, digits, '_', '-' or '.'");
		return -1;
	}
	return 0;
}

static void
device_create(struct hub *h, json_object *body, struct hub_resp *rs)
{
	struct hub_device_args a;
	json_object *name, *v, *d, *data, *devs;
	const char *pk, *tz, *dk;
	char gen_dk[11], asset[9], secret[21], msg[512];
	size_t i, n, count = 0;

	if (hub_api_device_args(body, &h->conf, &a, msg, sizeof(msg)) < 0) {
		fail(rs, ENOS_EARG, "%s", msg);
		return;
	}
	pk = a.pk;
	tz = a.tz;
	dk = a.dk;
	name = a.name;
	devs = hub_store_array(&h->store, "devices");
	n = json_object_array_length(devs);
	for (i = 0; i < n; i++)
		count += strcmp(hub_jstr(json_object_array_get_idx(devs, i),
		    "productKey") ?: "", pk) == 0;
	if (count >= DEVICE_LIMIT) {
		json_object_put(name);
		fail(rs, ENOS_EDEVLIMIT, "The number of devices exceeds the "
		    "product limit");
		return;
	}
	if (dk == NULL) {
		do
			hub_random_alnum(gen_dk, sizeof(gen_dk));
		while (hub_store_device(&h->store, NULL, pk, gen_dk) != NULL);
		dk = gen_dk;
	} else if (hub_store_device(&h->store, NULL, pk, dk) != NULL) {
		json_object_put(name);
		fail(rs, ENOS_EDKEXISTS, "deviceKey %s already exists", dk);
		return;
	}
	do
		hub_random_alnum(asset, sizeof(asset));
	while (hub_store_device(&h->store, asset, NULL, NULL) != NULL);
	hub_random_alnum(secret, sizeof(secret));

	d = json_object_new_object();
	json_object_object_add(d, "assetId", json_object_new_string(asset));
	json_object_object_add(d, "productKey", json_object_new_string(pk));
	json_object_object_add(d, "deviceKey", json_object_new_string(dk));
	json_object_object_add(d, "deviceSecret", json_object_new_string(secret));
	json_object_object_add(d, "deviceName", name);
	json_object_object_add(d, "timezone", json_object_new_string(tz));
	if (hub_jstr(body, "deviceDesc") != NULL)
		json_object_object_add(d, "deviceDesc",
		    json_object_new_string(hub_jstr(body, "deviceDesc")));
	if (json_object_object_get_ex(body, "deviceAttributes", &v) &&
	    json_object_is_type(v, json_type_object))
		json_object_object_add(d, "deviceAttributes", jcopy(v));
	if (json_object_object_get_ex(body, "deviceTags", &v) &&
	    json_object_is_type(v, json_type_object))
		json_object_object_add(d, "deviceTags", jcopy(v));
	json_object_object_add(d, "createTime",
	    json_object_new_int64(hub_now_ms()));
	json_object_array_add(devs, d);
	if (!save(h, rs))
		return;
	data = json_object_new_object();
	json_object_object_add(data, "assetId", json_object_new_string(asset));
	json_object_object_add(data, "productKey", json_object_new_string(pk));
	json_object_object_add(data, "deviceKey", json_object_new_string(dk));
	json_object_object_add(data, "deviceSecret",
	    json_object_new_string(secret));
	ok(rs, data);
}

/* The broker plugin marks a device activated by its first MQTT login. */
static bool
activated(struct hub *h, json_object *d, int64_t *when)
{
	char name[256];
	struct stat st;

	snprintf(name, sizeof(name), "activated/%s&%s",
	    hub_jstr(d, "productKey"), hub_jstr(d, "deviceKey"));
	if (fstatat(h->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return false;
	*when = (int64_t)st.st_mtime * 1000;
	return true;
}

static void
device_get(struct hub *h, json_object *d, struct hub_resp *rs)
{
	json_object *data = jcopy(d);
	int64_t when = 0;
	bool act = activated(h, d, &when);

	json_object_object_add(data, "orgId", json_object_new_string(h->org_id));
	/*
	 * EnOS V2.1 Get Device: status "inactive" until the first MQTT login,
	 * then "online" or "offline" (the stand-in hub does not track sessions:
	 * "offline"), and activeTime in ms since the epoch.
	 */
	json_object_object_add(data, "status",
	    json_object_new_string(act ? "offline" : "inactive"));
	if (act)
		json_object_object_add(data, "activeTime",
		    json_object_new_int64(when));
	ok(rs, data);
}

void
hub_api_devices(struct hub *h, const struct hub_req *rq, json_object *body,
    struct hub_resp *rs)
{
	const char *action = common(h, rq, rs);
	json_object *d;

	if (action == NULL)
		return;
	if (strcmp(action, "create") == 0) {
		if (method_is(rq, rs, "POST"))
			device_create(h, body, rs);
	} else if (strcmp(action, "get") == 0) {
		if ((d = device_of(h, rq, rs)) != NULL)
			device_get(h, d, rs);
	} else
		fail(rs, ENOS_EARG, "Invalid Argument action:unsupported "
		    "action %s", action);
}

/* ---- certificates ---- */

/* certSn as a JSON number or a decimal string, from the body or query. */
int
hub_api_cert_sn(const struct hub_req *rq, json_object *body,
    char sn[HUB_SN_MAX], char *msg, size_t msglen)
{
	unsigned char bytes[8];
	json_object *v;
	const char *q;

	if (json_object_object_get_ex(body, "certSn", &v) ||
	    json_object_object_get_ex(body, "certSN", &v)) {
		if (json_object_is_type(v, json_type_int))
			snprintf(sn, HUB_SN_MAX, "%" PRId64,
			    json_object_get_int64(v));
		else if (json_object_is_type(v, json_type_string))
			snprintf(sn, HUB_SN_MAX, "%s", json_object_get_string(v));
		else
			sn[0] = '\0';
	} else if ((q = hub_param(rq, "certSn")) != NULL ||
	    (q = hub_param(rq, "certSN")) != NULL)
		snprintf(sn, HUB_SN_MAX, "%s", q);
	else {
		snprintf(msg, msglen, "Invalid Argument certSn:certSn is missing");
		return -1;
	}
	if (hub_sn_to_bytes(sn, bytes) < 0) {
		snprintf(msg, msglen, "Invalid Argument certSn:certSn is invalid");
		return -1;
	}
	return 0;
}

static bool
same_device(json_object *a, json_object *b)
{
	const char *pa = hub_jstr(a, "productKey"), *pb = hub_jstr(b, "productKey");
	const char *da = hub_jstr(a, "deviceKey"), *db = hub_jstr(b, "deviceKey");

	return pa && pb && da && db && strcmp(pa, pb) == 0 &&
	    strcmp(da, db) == 0;
}

/* 0 valid, 1 revoked, 2 expired (7.3 certStatus). */
static int
cert_status(json_object *c)
{
	const char *s = hub_jstr(c, "status");

	if (s != NULL && strcmp(s, "revoked") == 0)
		return 1;
	if (hub_jint(c, "expireDate") <= hub_now_ms())
		return 2;
	return 0;
}

static const char *
reason_name(int64_t r)
{
	switch (r) {
	case 0: return "UNSPECIFIED";
	case 1: return "KEY COMPROMISE";
	case 3: return "AFFILIATION CHANGED";
	case 4: return "SUPERSEDED";
	case 5: return "CESSATION OF OPERATION";
	case 6: return "CERTIFICATE HOLD";
	case 9: return "PRIVILEGE WITHDRAWN";
	default: return NULL;
	}
}

int
hub_api_issue_args(json_object *body, const struct hub_product *p,
    const char *old_csr, const char *old_authority, struct hub_issue_args *a,
    char *msg, size_t msglen)
{
	const char *auth;
	json_object *v;

	memset(a, 0, sizeof(*a));
	a->csr_pem = hub_jstr(body, "csr");
	if (json_object_object_get_ex(body, "csr", &v) && (a->csr_pem == NULL ||
	    *a->csr_pem == '\0')) {
		snprintf(msg, msglen, "Invalid Argument csr:csr is missing");
		return -1;
	}
	if (a->csr_pem == NULL)
		a->csr_pem = old_csr;
	if (a->csr_pem == NULL) {
		snprintf(msg, msglen, "Invalid Argument csr:csr is missing");
		return -1;
	}
	auth = old_authority ? old_authority : "RSA";
	if (json_object_object_get_ex(body, "issueAuthority", &v)) {
		auth = json_object_is_type(v, json_type_string) ?
		    json_object_get_string(v) : "";
		if (strcasecmp(auth, "RSA") != 0 && strcasecmp(auth, "ECC") != 0) {
			snprintf(msg, msglen, "Invalid Argument issueAuthority:"
			    "must be RSA or ECC");
			return -1;
		}
	}
	a->ecc = strcasecmp(auth, "ECC") == 0;
	a->days = p->default_valid_day;
	if (json_object_object_get_ex(body, "validDay", &v)) {
		if (!json_object_is_type(v, json_type_int) ||
		    (a->days = json_object_get_int64(v)) < 1) {
			snprintf(msg, msglen, "Invalid Argument validDay:must be "
			    "a positive number of days");
			return -1;
		}
		if (a->days > p->max_valid_day) {
			snprintf(msg, msglen, "Invalid Argument validDay:%" PRId64
			    " exceeds the product maximum of %ld days", a->days,
			    p->max_valid_day);
			return -1;
		}
	}
	return 0;
}

/* validDay / issueAuthority / csr checks, then issue and bind to d. */
static void
issue(struct hub *h, json_object *d, json_object *body, const char *old_csr,
    const char *old_authority, struct hub_resp *rs)
{
	const struct hub_product *p;
	struct hub_issue_args a;
	json_object *certs, *c, *data, *sys;
	const char *csr_pem;
	struct hub_csr csr = { 0 };
	char msg[512], sn[HUB_SN_MAX], issuer[HUB_DN_MAX], url[256], cdp[320];
	char *cert_pem = NULL;
	time_t nb, na;
	int64_t days;
	size_t i, n;
	bool ecc;

	p = hub_conf_product(&h->conf, hub_jstr(d, "productKey"));
	if (p == NULL || !p->bidir) {
		fail(rs, ENOS_EARG, "Invalid Argument: product %s does not "
		    "enable bi-directional authentication",
		    hub_jstr(d, "productKey"));
		return;
	}
	if (hub_api_issue_args(body, p, old_csr, old_authority, &a, msg,
	    sizeof(msg)) < 0) {
		fail(rs, ENOS_EARG, "%s", msg);
		return;
	}
	csr_pem = a.csr_pem;
	ecc = a.ecc;
	days = a.days;
	if (hub_ca_check_csr(&h->ca, csr_pem, ecc, &csr, msg, sizeof(msg)) < 0) {
		fail(rs, ENOS_EARG, "%s", msg);
		return;
	}
	certs = hub_store_array(&h->store, "certs");
	n = json_object_array_length(certs);
	for (i = 0; i < n; i++) {
		c = json_object_array_get_idx(certs, i);
		if (same_device(c, d))
			continue;
		if (strcmp(hub_jstr(c, "cn") ?: "", csr.cn) == 0) {
			fail(rs, ENOS_EARG, "Duplicate subject by certificate "
			    "request!CN=%s belongs to another device", csr.cn);
			goto out;
		}
		if (strcmp(hub_jstr(c, "keyId") ?: "", csr.key_id) == 0) {
			fail(rs, ENOS_EBOUND, "Certificate is already bound to "
			    "another device: the public key is in use");
			goto out;
		}
	}
	sys = hub_store_array(&h->store, "system_certs");
	for (i = 0; i < json_object_array_length(sys); i++)
		if (strcmp(hub_jstr(json_object_array_get_idx(sys, i), "cn") ?:
		    "", csr.cn) == 0) {
			fail(rs, ENOS_EARG, "Duplicate subject by certificate "
			    "request!CN=%s is reserved", csr.cn);
			goto out;
		}
	snprintf(url, sizeof(url), "%s/enos/CA/crl/%s", h->portal,
	    ecc ? "ECC" : "RSA");
	snprintf(cdp, sizeof(cdp), "%s/crl/%s.crl", h->crl_base, h->ca.id);
	if (hub_ca_issue_csr(&h->ca, &csr, (long)days, url,
	    h->crl_base[0] ? cdp : NULL, sn, &cert_pem, &nb, &na, issuer, msg,
	    sizeof(msg)) < 0) {
		fail(rs, ENOS_EINTERNAL, "%s", msg);
		goto out;
	}
	c = json_object_new_object();
	json_object_object_add(c, "certSN", json_object_new_string(sn));
	json_object_object_add(c, "assetId",
	    json_object_new_string(hub_jstr(d, "assetId")));
	json_object_object_add(c, "productKey",
	    json_object_new_string(hub_jstr(d, "productKey")));
	json_object_object_add(c, "deviceKey",
	    json_object_new_string(hub_jstr(d, "deviceKey")));
	json_object_object_add(c, "cn", json_object_new_string(csr.cn));
	json_object_object_add(c, "subject", json_object_new_string(csr.subject));
	json_object_object_add(c, "issuer", json_object_new_string(issuer));
	json_object_object_add(c, "keyId", json_object_new_string(csr.key_id));
	json_object_object_add(c, "issueAuthority",
	    json_object_new_string(ecc ? "ECC" : "RSA"));
	json_object_object_add(c, "signDate",
	    json_object_new_int64((int64_t)nb * 1000));
	json_object_object_add(c, "effectiveDate",
	    json_object_new_int64((int64_t)nb * 1000));
	json_object_object_add(c, "expireDate",
	    json_object_new_int64((int64_t)na * 1000));
	json_object_object_add(c, "status", json_object_new_string("valid"));
	json_object_object_add(c, "cert", json_object_new_string(cert_pem));
	json_object_object_add(c, "csr", json_object_new_string(csr_pem));
	json_object_array_add(certs, c);
	if (!save(h, rs))
		goto out;
	data = json_object_new_object();
	json_object_object_add(data, "cert", json_object_new_string(cert_pem));
	json_object_object_add(data, "certSN", json_object_new_string(sn));
	json_object_object_add(data, "caCert", json_object_new_string(h->ca.pem));
	snprintf(url, sizeof(url), "%s/enos/CA/cacert/%s", h->portal,
	    ecc ? "ECC" : "RSA");
	json_object_object_add(data, "certChainURL", json_object_new_string(url));
	json_object_object_add(data, "issueAuthority",
	    json_object_new_string(ecc ? "ECC" : "RSA"));
	ok(rs, data);
out:
	gnutls_free(cert_pem);
	hub_csr_free(&csr);
}

/* The certificate certSn of the body/query, bound to d and usable. */
static json_object *
bound_cert(struct hub *h, const struct hub_req *rq, json_object *d,
    json_object *body, struct hub_resp *rs)
{
	char sn[HUB_SN_MAX], msg[512];
	json_object *c;

	if (hub_api_cert_sn(rq, body, sn, msg, sizeof(msg)) < 0) {
		fail(rs, ENOS_EARG, "%s", msg);
		return NULL;
	}
	c = hub_store_cert(&h->store, sn);
	if (c == NULL || !same_device(c, d)) {
		fail(rs, ENOS_EARG, "Invalid Argument certSn:certificate %s is "
		    "not bound to this device", sn);
		return NULL;
	}
	switch (cert_status(c)) {
	case 1:
		fail(rs, ENOS_EARG, "Invalid Argument certSn:certificate %s is "
		    "revoked", sn);
		return NULL;
	case 2:
		fail(rs, ENOS_EARG, "Invalid Argument certSn:certificate %s is "
		    "expired", sn);
		return NULL;
	}
	return c;
}

int
hub_api_reason(const struct hub_req *rq, json_object *body, int64_t *reason)
{
	json_object *v;
	const char *q;
	char *end;

	*reason = 0;
	if (json_object_object_get_ex(body, "reason", &v)) {
		if (!json_object_is_type(v, json_type_int) ||
		    reason_name(*reason = json_object_get_int64(v)) == NULL)
			return -1;
	} else if ((q = hub_param(rq, "reason")) != NULL) {
		*reason = strtoll(q, &end, 10);
		if (*q == '\0' || *end != '\0' || reason_name(*reason) == NULL)
			return -1;
	}
	return 0;
}

static void
cert_revoke(struct hub *h, const struct hub_req *rq, json_object *d,
    json_object *body, struct hub_resp *rs)
{
	json_object *c;
	int64_t reason;
	char msg[512];

	if (hub_api_reason(rq, body, &reason) < 0) {
		fail(rs, ENOS_EARG, "Invalid Argument reason:unknown "
		    "revocation reason");
		return;
	}
	if ((c = bound_cert(h, rq, d, body, rs)) == NULL)
		return;
	json_object_object_add(c, "status", json_object_new_string("revoked"));
	json_object_object_add(c, "revokeTime",
	    json_object_new_int64(hub_now_ms()));
	json_object_object_add(c, "revokeReason", json_object_new_int64(reason));
	json_object_object_add(c, "revoker", json_object_new_string("IoT_Hub"));
	hub_store_changed(&h->store, c);
	/* hub_crl_issue saves the registry together with the new CRL number. */
	if (hub_crl_issue(h, msg, sizeof(msg)) < 0) {
		hub_log("revoke: %s", msg);
		fail(rs, ENOS_EINTERNAL, "Call ca error!: cannot reissue the CRL");
		return;
	}
	ok(rs, NULL);
}

static json_object *
list_entry(json_object *c)
{
	json_object *e = json_object_new_object(), *audit;
	int64_t reason;

	json_object_object_add(e, "certSN",
	    json_object_new_string(hub_jstr(c, "certSN")));
	json_object_object_add(e, "cert",
	    json_object_new_string(hub_jstr(c, "cert") ?: ""));
	json_object_object_add(e, "certStatus",
	    json_object_new_int(cert_status(c)));
	json_object_object_add(e, "issuer",
	    json_object_new_string(hub_jstr(c, "issuer") ?: ""));
	json_object_object_add(e, "subject",
	    json_object_new_string(hub_jstr(c, "subject") ?: ""));
	json_object_object_add(e, "signDate",
	    json_object_new_int64(hub_jint(c, "signDate")));
	json_object_object_add(e, "effetiveDate",	/* sic, as EnOS */
	    json_object_new_int64(hub_jint(c, "effectiveDate")));
	json_object_object_add(e, "expireDate",
	    json_object_new_int64(hub_jint(c, "expireDate")));
	if (cert_status(c) == 1) {
		reason = hub_jint(c, "revokeReason");
		json_object_object_add(e, "revoker",
		    json_object_new_string(hub_jstr(c, "revoker") ?: "IoT_Hub"));
		json_object_object_add(e, "revokerReason",
		    json_object_new_string(reason_name(reason) ?: "UNSPECIFIED"));
	}
	json_object_object_add(e, "isEnosCert", json_object_new_boolean(1));
	json_object_object_add(e, "issueAuthority",
	    json_object_new_string(hub_jstr(c, "issueAuthority") ?: "RSA"));
	audit = json_object_new_object();
	json_object_object_add(audit, "createBy", json_object_new_string("apim"));
	json_object_object_add(audit, "createTime",
	    json_object_new_int64(hub_jint(c, "signDate")));
	json_object_object_add(audit, "updateBy", json_object_new_string("apim"));
	json_object_object_add(audit, "updateTime", json_object_new_int64(
	    hub_jint(c, "revokeTime") ?: hub_jint(c, "signDate")));
	json_object_object_add(e, "audit", audit);
	return e;
}

static void
cert_list(struct hub *h, json_object *d, struct hub_resp *rs)
{
	json_object *certs = hub_store_array(&h->store, "certs");
	json_object *data = json_object_new_array(), *c;
	size_t i, n = json_object_array_length(certs);

	for (i = 0; i < n; i++) {
		c = json_object_array_get_idx(certs, i);
		if (same_device(c, d))
			json_object_array_add(data, list_entry(c));
	}
	ok(rs, data);
}

void
hub_api_certificates(struct hub *h, const struct hub_req *rq,
    json_object *body, struct hub_resp *rs)
{
	const char *action = common(h, rq, rs);
	json_object *d, *c;

	if (action == NULL)
		return;
	if (strcmp(action, "apply") != 0 && strcmp(action, "renew") != 0 &&
	    strcmp(action, "revoke") != 0 && strcmp(action, "list") != 0) {
		fail(rs, ENOS_EARG, "Invalid Argument action:unsupported "
		    "action %s", action);
		return;
	}
	if (strcmp(action, "list") != 0 && !method_is(rq, rs, "POST"))
		return;
	if ((d = device_of(h, rq, rs)) == NULL)
		return;
	if (strcmp(action, "apply") == 0)
		issue(h, d, body, NULL, NULL, rs);
	else if (strcmp(action, "renew") == 0) {
		if ((c = bound_cert(h, rq, d, body, rs)) != NULL)
			issue(h, d, body, hub_jstr(c, "csr"),
			    hub_jstr(c, "issueAuthority"), rs);
	} else if (strcmp(action, "revoke") == 0)
		cert_revoke(h, rq, d, body, rs);
	else
		cert_list(h, d, rs);
}
