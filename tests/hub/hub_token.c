/* SPDX-License-Identifier: MIT */
/* Token service (ENOS-PROTOCOL.md 4.1) and apim-* signature checks (4.2). */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub.h"

#define BUSINESS	"apim-token-service"
#define MAX_SEEN	10000	/* encryptions remembered when no window */

static void
token_reply(struct hub_resp *rs, int status, const char *msg,
    json_object *data)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "status", json_object_new_int(status));
	json_object_object_add(o, "msg", json_object_new_string(msg));
	json_object_object_add(o, "business", json_object_new_string(BUSINESS));
	json_object_object_add(o, "data", data);
	hub_reply_json(rs, 200, o);
}

bool
hub_ms_timestamp(const char *s)
{
	if (s == NULL || *s == '\0' || strlen(s) > 19)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* Is a millisecond timestamp within the configured window of now? */
static bool
fresh(const struct hub *h, int64_t ts_ms)
{
	int64_t d = hub_now_ms() - ts_ms;

	if (h->conf.timestamp_window == 0)
		return true;
	if (d < 0)
		d = -d;
	return d <= h->conf.timestamp_window * 1000;
}

/* Forget encryptions too old to be replayed (the window rejects them). */
static void
prune_seen(struct hub *h, json_object *seen)
{
	int64_t limit = hub_now_ms() - 2 * h->conf.timestamp_window * 1000;
	size_t i = 0;

	while (i < json_object_array_length(seen)) {
		json_object *e = json_object_array_get_idx(seen, i);

		if ((h->conf.timestamp_window > 0 && hub_jint(e, "time") < limit) ||
		    json_object_array_length(seen) > MAX_SEEN)
			json_object_array_del_idx(seen, i, 1);
		else
			i++;
	}
}

/* The live token of the app, dropping expired ones unless keep_expired. */
static json_object *
find_token(struct hub *h, const char *token, const char *app)
{
	json_object *toks = hub_store_array(&h->store, "tokens"), *t;
	size_t i, n = json_object_array_length(toks);

	for (i = 0; i < n; i++) {
		t = json_object_array_get_idx(toks, i);
		if (token != NULL && strcmp(hub_jstr(t, "token") ?
		    hub_jstr(t, "token") : "", token) != 0)
			continue;
		if (app != NULL && strcmp(hub_jstr(t, "appKey") ?
		    hub_jstr(t, "appKey") : "", app) != 0)
			continue;
		return t;
	}
	return NULL;
}

static void
drop_token(struct hub *h, json_object *tok)
{
	json_object *toks = hub_store_array(&h->store, "tokens");
	size_t i, n = json_object_array_length(toks);

	for (i = 0; i < n; i++)
		if (json_object_array_get_idx(toks, i) == tok) {
			json_object_array_del_idx(toks, i, 1);
			return;
		}
}

int
hub_token_req_parse(const char *body, size_t len, bool refresh,
    struct hub_token_req *t, const char **msg)
{
	json_object *v;

	memset(t, 0, sizeof(*t));
	/* The router has checked the body; anything else lacks the fields. */
	if (hub_req_body(body, len, &t->body) < 0)
		t->body = NULL;
	t->app = hub_jstr(t->body, "appKey");
	t->enc = hub_jstr(t->body, "encryption");
	if (refresh)
		t->old = hub_jstr(t->body, "accessToken");
	if (t->app == NULL || *t->app == '\0' || t->enc == NULL ||
	    *t->enc == '\0' ||
	    !json_object_object_get_ex(t->body, "timestamp", &v) ||
	    (refresh && (t->old == NULL || *t->old == '\0'))) {
		*msg = "empty parameter: appKey, encryption, timestamp and "
		    "(refresh) accessToken are required";
		return 1202;
	}
	/* A JSON long per the docs; a string of digits is tolerated. */
	if (json_object_is_type(v, json_type_int) &&
	    json_object_get_int64(v) > 0)
		snprintf(t->ts, sizeof(t->ts), "%" PRId64,
		    json_object_get_int64(v));
	else if (json_object_is_type(v, json_type_string) &&
	    hub_ms_timestamp(json_object_get_string(v)))
		snprintf(t->ts, sizeof(t->ts), "%s", json_object_get_string(v));
	else {
		*msg = "bad parameter: timestamp must be milliseconds since "
		    "the epoch";
		return 1004;
	}
	t->ts_ms = strtoll(t->ts, NULL, 10);
	return 0;
}

void
hub_token_req_free(struct hub_token_req *t)
{
	json_object_put(t->body);
	memset(t, 0, sizeof(*t));
}

void
hub_token_get(struct hub *h, const struct hub_req *rq, struct hub_resp *rs,
    bool refresh)
{
	struct hub_token_req tr;
	json_object *tok, *seen, *e, *data;
	const char *app, *enc, *old, *why;
	char want[EDGE_ENOS_HEX256], token[37], msg[256];
	int64_t now = hub_now_ms(), ts_ms, expires;
	size_t i, n;
	int st;

	if ((st = hub_token_req_parse(rq->body, rq->body_len, refresh, &tr,
	    &why)) != 0) {
		token_reply(rs, st, why, NULL);
		goto out;
	}
	app = tr.app;
	enc = tr.enc;
	old = tr.old;
	ts_ms = tr.ts_ms;
	if (strcmp(app, h->access_key) != 0) {
		token_reply(rs, 1002, "appKey does not exist", NULL);
		goto out;
	}
	if (edge_enos_token_encryption(app, tr.ts, h->secret_key, want) != 0 ||
	    !edge_enos_hex_equal(enc, want)) {
		token_reply(rs, 1003, "encryption is invalid", NULL);
		goto out;
	}
	seen = hub_store_array(&h->store, "encryptions");
	prune_seen(h, seen);
	n = json_object_array_length(seen);
	for (i = 0; i < n; i++)
		if (strcasecmp(hub_jstr(json_object_array_get_idx(seen, i),
		    "value") ? hub_jstr(json_object_array_get_idx(seen, i),
		    "value") : "", enc) == 0) {
			token_reply(rs, 1001, "duplicated encryption", NULL);
			goto out;
		}
	if (!fresh(h, ts_ms)) {
		token_reply(rs, 1004, "bad parameter: timestamp is out of the "
		    "accepted window", NULL);
		goto out;
	}
	e = json_object_new_object();
	json_object_object_add(e, "value", json_object_new_string(want));
	json_object_object_add(e, "time", json_object_new_int64(ts_ms));
	json_object_array_add(seen, e);

	tok = find_token(h, NULL, app);
	if (refresh) {
		tok = find_token(h, old, app);
		if (tok == NULL) {
			(void)hub_store_save(&h->store, msg, sizeof(msg));
			token_reply(rs, 1204, "refresh failed: unknown "
			    "accessToken", NULL);
			goto out;
		}
		drop_token(h, tok);
		tok = NULL;
	} else if (tok != NULL && hub_jint(tok, "expires") <= now) {
		drop_token(h, tok);
		tok = NULL;
	}
	/* While a token is valid, get returns it again. */
	if (tok == NULL) {
		hub_uuid(token);
		tok = json_object_new_object();
		json_object_object_add(tok, "token", json_object_new_string(token));
		json_object_object_add(tok, "appKey", json_object_new_string(app));
		json_object_object_add(tok, "expires",
		    json_object_new_int64(now + h->conf.token_ttl * 1000));
		json_object_array_add(hub_store_array(&h->store, "tokens"), tok);
	}
	expires = hub_jint(tok, "expires");
	data = json_object_new_object();
	json_object_object_add(data, "accessToken",
	    json_object_new_string(hub_jstr(tok, "token")));
	json_object_object_add(data, "expire",
	    json_object_new_int64((expires - now + 999) / 1000));
	if (hub_store_save(&h->store, msg, sizeof(msg)) < 0) {
		hub_log("token: %s", msg);
		json_object_put(data);
		token_reply(rs, 1005, "internal error", NULL);
		goto out;
	}
	token_reply(rs, 0, "SUCCESS", data);
out:
	hub_token_req_free(&tr);
}

static int
deny(struct hub_resp *rs, const char *msg)
{
	hub_reply(rs, 401, ENOS_EAUTH, msg, NULL);
	return -1;
}

int
hub_apim_verify(const struct hub_req *rq, const char *secret,
    const char **msg)
{
	char want[EDGE_ENOS_HEX256];

	if (rq->signature == NULL || *rq->signature == '\0') {
		*msg = "Unauthorized: apim-signature is missing";
		return -1;
	}
	if (edge_enos_api_signature(rq->token, rq->params, rq->nparams,
	    rq->body, rq->body_len, rq->timestamp, secret, want) != 0) {
		*msg = "Unauthorized: cannot compute the signature";
		return -1;
	}
	/* 4.2 says lowercase; compare case-insensitively like the broker. */
	if (!edge_enos_hex_equal(rq->signature, want)) {
		*msg = "Unauthorized: apim-signature is invalid";
		return -1;
	}
	return 0;
}

int
hub_token_check(struct hub *h, const struct hub_req *rq, struct hub_resp *rs)
{
	const char *why;
	json_object *tok;

	if (rq->token == NULL || *rq->token == '\0')
		return deny(rs, "Unauthorized: apim-accesstoken is missing");
	if ((tok = find_token(h, rq->token, NULL)) == NULL)
		return deny(rs, "Unauthorized: apim-accesstoken is invalid");
	if (hub_jint(tok, "expires") <= hub_now_ms())
		return deny(rs, "Unauthorized: apim-accesstoken has expired");
	if (!hub_ms_timestamp(rq->timestamp))
		return deny(rs, "Unauthorized: apim-timestamp is missing or "
		    "not milliseconds");
	if (!fresh(h, strtoll(rq->timestamp, NULL, 10)))
		return deny(rs, "Unauthorized: apim-timestamp is out of the "
		    "accepted window");
	if (hub_apim_verify(rq, h->secret_key, &why) < 0)
		return deny(rs, why);
	return 0;
}
