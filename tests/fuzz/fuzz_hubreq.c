/* SPDX-License-Identifier: MIT */
/*
 * The stand-in hub's request parsing (tests/hub, hub.h "Request parsing").
 * An input is an HTTP request as text:
 *
 *	METHOD TARGET [VERSION]\r\n
 *	Name: value\r\n ...
 *	\r\n
 *	body
 *
 * The harness splits it the way libmicrohttpd hands a request to the hub
 * (query split on '&' and '=', '+' and %XX decoded; the apim-*, Accept and
 * Content-Type headers), then runs every pure parser on it: query parameters,
 * Content-Type, the JSON body, the token-service body, the apim-* headers and
 * signature, the device and certificate arguments and the CSR checks.  Seeds
 * are the requests edge-provision, edge-activate and edge-revoke send
 * (lib/edge_hub.c) and the malformed ones of tests/cli/hub.t.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "edge_enos.h"
#include "fuzz.h"
#include "hub.h"

#define SECRET		"fuzz-app-secret"
#define ORG_ID		"o15724268424841"
#define PRODUCT_KEY	"prodKey01"

/* enos-hub.c holds main(); the parsers never log, the rest is not run. */
void
hub_log(const char *fmt, ...)
{
	(void)fmt;
}

static void
check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_hubreq: invariant broken: %s\n", what);
		abort();
	}
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* In place, as libmicrohttpd does for GET arguments: '+' and %XX. */
static void
unescape(char *s)
{
	char *w = s;
	int hi, lo;

	for (; *s; s++) {
		if (*s == '+')
			*w++ = ' ';
		else if (*s == '%' && (hi = hexval((unsigned char)s[1])) >= 0 &&
		    (lo = hexval((unsigned char)s[2])) >= 0) {
			*w++ = (char)(hi * 16 + lo);
			s += 2;
		} else
			*w++ = *s;
	}
	*w = '\0';
}

static void
query(char *q, struct hub_req *rq)
{
	char *item, *save = NULL, *eq;

	for (item = strtok_r(q, "&", &save); item != NULL;
	    item = strtok_r(NULL, "&", &save)) {
		if ((eq = strchr(item, '=')) != NULL) {
			*eq++ = '\0';
			unescape(eq);
		}
		unescape(item);
		/* The hub answers 400 "too many parameters" here. */
		if (!hub_req_add_param(rq, item, eq))
			break;
	}
	check(rq->nparams <= HUB_MAX_PARAMS, "parameter count");
}

/* The request line and headers; returns the Content-Type or NULL. */
static const char *
head(char *h, struct hub_req *rq)
{
	const char *ctype = NULL;
	char *line, *save = NULL, *colon, *v, *sp;
	bool first = true;

	for (line = strtok_r(h, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		line[strcspn(line, "\r")] = '\0';
		if (first) {
			first = false;
			rq->method = line;
			if ((sp = strchr(line, ' ')) == NULL)
				continue;
			*sp++ = '\0';
			rq->path = sp;
			sp[strcspn(sp, " ")] = '\0';
			if ((v = strchr(sp, '?')) != NULL) {
				*v++ = '\0';
				query(v, rq);
			}
			continue;
		}
		if ((colon = strchr(line, ':')) == NULL)
			continue;
		*colon = '\0';
		for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
			;
		if (strcasecmp(line, "Content-Type") == 0)
			ctype = v;
		else if (strcasecmp(line, "Accept") == 0)
			rq->accept = v;
		else if (strcasecmp(line, "apim-accesstoken") == 0)
			rq->token = v;
		else if (strcasecmp(line, "apim-timestamp") == 0)
			rq->timestamp = v;
		else if (strcasecmp(line, "apim-signature") == 0)
			rq->signature = v;
	}
	return ctype;
}

static bool
all_digits(const char *s, size_t max)
{
	size_t n = strlen(s), i;

	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return n > 0 && n <= max;
}

static void
token_body(const struct hub_req *rq, bool refresh)
{
	struct hub_token_req t;
	const char *msg = NULL;
	char want[EDGE_ENOS_HEX256];
	int st;

	st = hub_token_req_parse(rq->body, rq->body_len, refresh, &t, &msg);
	check(st == 0 || st == 1202 || st == 1004, "token status");
	check(st == 0 || msg != NULL, "token message");
	if (st == 0) {
		check(t.app != NULL && *t.app && t.enc != NULL && *t.enc,
		    "token fields");
		check(!refresh || (t.old != NULL && *t.old), "refresh token");
		check(all_digits(t.ts, 19), "token timestamp");
		if (edge_enos_token_encryption(t.app, t.ts, SECRET, want) == 0)
			(void)edge_enos_hex_equal(t.enc, want);
	}
	hub_token_req_free(&t);
}

static void
api_args(const struct hub_req *rq, json_object *body,
    const struct hub_conf *conf, const struct hub_ca *ca)
{
	const struct hub_product *p = &conf->products[0];
	struct hub_device_args da;
	struct hub_issue_args ia;
	struct hub_csr csr;
	char msg[512], sn[HUB_SN_MAX];
	const char *action, *why;
	int64_t reason;
	int code, i;

	if (rq->token != NULL && *rq->token != '\0' &&
	    hub_ms_timestamp(rq->timestamp))
		(void)hub_apim_verify(rq, SECRET, &why);
	action = hub_api_action(rq, ORG_ID, &code, msg, sizeof(msg));
	check(action != NULL || code == ENOS_EARG || code == ENOS_EDENIED,
	    "action code");
	(void)hub_param(rq, "assetId");
	if (hub_api_device_args(body, conf, &da, msg, sizeof(msg)) == 0) {
		check(da.name != NULL && da.pk != NULL && da.tz != NULL,
		    "device fields");
		check(da.dk == NULL || hub_valid_key(da.dk), "device key");
		json_object_put(da.name);
	} else
		check(da.name == NULL, "device name freed");
	if (hub_api_cert_sn(rq, body, sn, msg, sizeof(msg)) == 0)
		check(all_digits(sn, 19), "certSn");
	if (hub_api_reason(rq, body, &reason) == 0)
		check(reason >= 0 && reason <= 9 && reason != 2 && reason != 7 &&
		    reason != 8, "reason");
	/* Apply, then renew of an RSA and of an ECC certificate. */
	for (i = 0; i < 3; i++) {
		if (hub_api_issue_args(body, p, i ? "old csr" : NULL,
		    i == 2 ? "ECC" : NULL, &ia, msg, sizeof(msg)) < 0)
			continue;
		check(ia.csr_pem != NULL && ia.days >= 1 &&
		    ia.days <= p->max_valid_day, "issue fields");
		if (i == 0 && hub_ca_check_csr(ca, ia.csr_pem, ia.ecc, &csr, msg,
		    sizeof(msg)) == 0) {
			check(strlen(csr.cn) > 0 && strlen(csr.key_id) == 64,
			    "csr fields");
			hub_csr_free(&csr);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hub_conf conf;
	static struct hub_ca ca;
	struct hub_req rq;
	const uint8_t *sep;
	const char *ctype;
	json_object *body;
	char *h, *b;
	size_t hlen, skip;

	if (conf.nproducts == 0) {
		hub_conf_defaults(&conf);
		snprintf(conf.products[0].key, HUB_KEY_MAX, "%s", PRODUCT_KEY);
		snprintf(conf.products[0].secret, HUB_SECRET_MAX, "fuzz-product");
		conf.products[0].bidir = conf.products[0].dynamic = true;
		conf.products[0].default_valid_day = 365;
		conf.products[0].max_valid_day = 3650;
		conf.nproducts = 1;
		/* hub_ca_check_csr compares C, ST and O with the root's. */
		snprintf(ca.c, sizeof(ca.c), "CN");
		snprintf(ca.st, sizeof(ca.st), "Shanghai");
		snprintf(ca.o, sizeof(ca.o), "EnOS");
	}
	if ((sep = memmem(data, size, "\r\n\r\n", 4)) != NULL)
		skip = 4;
	else if ((sep = memmem(data, size, "\n\n", 2)) != NULL)
		skip = 2;
	else {
		sep = data + size;
		skip = 0;
	}
	hlen = (size_t)(sep - data);
	h = fuzz_cstr(data, hlen);
	/* The hub keeps the body NUL-terminated (it may hold NULs too). */
	b = fuzz_cstr(sep + skip, size - hlen - skip);

	memset(&rq, 0, sizeof(rq));
	rq.method = "GET";
	rq.path = "/";
	rq.body = b;
	rq.body_len = size - hlen - skip;
	ctype = head(h, &rq);

	(void)hub_req_wants_der(&rq, "application/pkix-cert");
	(void)hub_req_wants_der(&rq, "application/pkix-crl");
	(void)hub_req_json_ctype(ctype);
	if (hub_req_body(rq.body, rq.body_len, &body) == 0) {
		check(json_object_is_type(body, json_type_object), "body object");
		token_body(&rq, false);
		token_body(&rq, true);
		api_args(&rq, body, &conf, &ca);
		json_object_put(body);
	} else
		check(body == NULL, "no body on error");
	free(h);
	free(b);
	return 0;
}
