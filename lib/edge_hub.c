/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "edge_file.h"
#include "edge_hub.h"
#include "edge_json.h"
#include "edge_time.h"

#define TOKEN_PATH	"/apim-token-service/v2.0/token/get"
#define REFRESH_PATH	"/apim-token-service/v2.0/token/refresh"
#define TOKEN_MARGIN	60	/* seconds of validity a cached token must keep */
#define TOKEN_REPLAYED	1001	/* token service: duplicated "encryption" */
#define BACKOFF_MIN_MS	500	/* first retry wait, doubled per attempt */
#define BACKOFF_MAX_MS	32000

void
edge_hub_init(struct edge_hub *h)
{
	memset(h, 0, sizeof(*h));
	h->http.connect_timeout = 10;
	h->http.total_timeout = 30;
	h->http.max_response = 1024 * 1024;
	h->retries = 3;
	h->cache_dirfd = -1;
}

/* Wait before the retry after the attempt-th failure (0-based). */
static void
backoff(unsigned attempt)
{
	long ms = edge_time_backoff(attempt, BACKOFF_MIN_MS, BACKOFF_MAX_MS);
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/*
 * One HTTP exchange with retries on temporary failures (transport errors and
 * 5xx).  On success resp holds a non-5xx answer.
 */
static int
exchange(struct edge_hub *h, const char *method, const char *url,
    const char *const *headers, const char *body, size_t len,
    struct edge_http_response *resp, struct edge_error *err)
{
	int attempt, rc = EDGE_ETEMP;

	for (attempt = 0; attempt <= h->retries; attempt++) {
		if (attempt > 0)
			backoff((unsigned)attempt - 1);
		rc = edge_http_request(&h->http, method, url, headers, body, len,
		    resp, err);
		if (rc == EDGE_OK && resp->status >= 500) {
			/* url, not h->api: a portal call has no API address. */
			rc = edge_err(err, EDGE_ETEMP, "%s: hub answered HTTP %ld",
			    url, resp->status);
			edge_http_response_free(resp);
		}
		if (rc != EDGE_ETEMP)
			break;
	}
	if (rc == EDGE_ETEMP && h->retries > 0)
		edge_err_prefix(err, "gave up after %d attempts", h->retries + 1);
	if (rc == EDGE_OK && resp->date != 0)
		h->last_date = resp->date;
	return rc;
}

int
edge_hub_get(struct edge_hub *h, const char *url,
    struct edge_http_response *resp, struct edge_error *err)
{
	int rc = exchange(h, "GET", url, NULL, NULL, 0, resp, err);

	if (rc == EDGE_OK && resp->status != 200) {
		rc = edge_err(err, resp->status >= 400 && resp->status < 500 ?
		    EDGE_EREFUSED : EDGE_EINPUT, "%s: HTTP %ld", url, resp->status);
		edge_http_response_free(resp);
	}
	return rc;
}

/* ---- token ---------------------------------------------------------- */

struct token {
	char value[512];
	long long expires_ms;
};

static int
cache_load(struct edge_hub *h, struct token *t)
{
	json_object *o = NULL;
	const char *api, *key, *tok;
	long long exp;
	char *buf = NULL;
	size_t len;
	int ok = -1;

	if (h->cache_dirfd < 0 ||
	    edge_file_read(h->cache_dirfd, EDGE_HUB_TOKEN_FILE, 64 * 1024, &buf,
	    &len, NULL) != EDGE_OK)
		return -1;
	if (edge_json_parse(buf, len, "token cache", &o, NULL) == EDGE_OK &&
	    edge_json_string(o, "api", "", &api, NULL) == EDGE_OK &&
	    edge_json_string(o, "access_key", "", &key, NULL) == EDGE_OK &&
	    edge_json_string(o, "token", "", &tok, NULL) == EDGE_OK &&
	    edge_json_int(o, "expires_ms", "", &exp, NULL) == EDGE_OK &&
	    strcmp(api, h->api) == 0 && strcmp(key, h->access_key) == 0 &&
	    strlen(tok) < sizeof(t->value)) {
		memcpy(t->value, tok, strlen(tok) + 1);
		t->expires_ms = exp;
		ok = 0;
	}
	json_object_put(o);
	edge_file_free_private(&buf, len);
	return ok;
}

static void
cache_store(struct edge_hub *h, const struct token *t)
{
	json_object *o;
	const char *s;

	if (h->cache_dirfd < 0)
		return;
	o = json_object_new_object();
	json_object_object_add(o, "api", json_object_new_string(h->api));
	json_object_object_add(o, "access_key",
	    json_object_new_string(h->access_key));
	json_object_object_add(o, "token", json_object_new_string(t->value));
	json_object_object_add(o, "expires_ms", json_object_new_int64(t->expires_ms));
	s = edge_json_text(o);
	/* A cache: failing to write it only costs a token request next time. */
	(void)edge_file_write_atomic(h->cache_dirfd, EDGE_HUB_TOKEN_FILE, s,
	    strlen(s), EDGE_MODE_PRIVATE, NULL);
	json_object_put(o);
}

/* Token service call: get, or refresh when old is non-NULL. */
static int
token_request(struct edge_hub *h, const struct token *old, struct token *t,
    struct edge_error *err)
{
	static const char *const headers[] = {
		"Content-Type: application/json;charset=UTF-8", NULL
	};
	char url[1024], ts[32], enc[EDGE_ENOS_HEX256];
	struct edge_http_response resp;
	json_object *req, *ans = NULL, *data;
	const char *body, *tok;
	long long status, expire;
	int rc;

	snprintf(ts, sizeof(ts), "%lld", edge_time_ms());
	if ((rc = edge_enos_token_encryption(h->access_key, ts,
	    h->secret_key->data, enc)) != EDGE_OK)
		return edge_err(err, rc, "token request: cannot sign");
	req = json_object_new_object();
	json_object_object_add(req, "appKey", json_object_new_string(h->access_key));
	json_object_object_add(req, "encryption", json_object_new_string(enc));
	json_object_object_add(req, "timestamp", json_object_new_int64(atoll(ts)));
	if (old != NULL)
		json_object_object_add(req, "accessToken",
		    json_object_new_string(old->value));
	body = edge_json_text(req);
	if ((size_t)snprintf(url, sizeof(url), "%s%s", h->api, old ?
	    REFRESH_PATH : TOKEN_PATH) >= sizeof(url)) {
		json_object_put(req);
		return edge_err(err, EDGE_EUSAGE, "--api: URL too long");
	}
	rc = exchange(h, "POST", url, headers, body, strlen(body), &resp, err);
	json_object_put(req);
	if (rc != EDGE_OK)
		return rc;
	if ((rc = edge_json_parse(resp.body, resp.len, "token service answer",
	    &ans, err)) != EDGE_OK)
		goto out;
	/* The token service says "status", not "code" (4.1). */
	if ((rc = edge_json_int(ans, "status", "token service answer", &status,
	    err)) != EDGE_OK)
		goto out;
	if (status != 0) {
		const char *msg = NULL;
		(void)edge_json_opt_string(ans, "msg", "", &msg, NULL);
		h->token_replayed = status == TOKEN_REPLAYED;
		rc = edge_err(err, EDGE_EREFUSED,
		    "hub token service: refused (%lld: %s)", status,
		    msg ? msg : "no message");
		goto out;
	}
	if ((rc = edge_json_object(ans, "data", "token service answer", &data,
	    err)) != EDGE_OK ||
	    (rc = edge_json_string(data, "accessToken", "token service answer",
	    &tok, err)) != EDGE_OK ||
	    (rc = edge_json_int(data, "expire", "token service answer", &expire,
	    err)) != EDGE_OK)
		goto out;
	/* A lifetime beyond INT32_MAX seconds would overflow expires_ms. */
	if (*tok == '\0' || strlen(tok) >= sizeof(t->value) || expire <= 0 ||
	    expire > INT32_MAX) {
		rc = edge_err(err, EDGE_EINPUT,
		    "token service answer: unusable token or lifetime");
		goto out;
	}
	memcpy(t->value, tok, strlen(tok) + 1);
	t->expires_ms = edge_time_ms() + expire * 1000;
	cache_store(h, t);
	rc = EDGE_OK;
out:
	json_object_put(ans);
	edge_http_response_free(&resp);
	return rc;
}

static int
get_token(struct edge_hub *h, bool fresh, struct token *t,
    struct edge_error *err)
{
	struct token old;
	int attempt;

	if (!fresh && cache_load(h, t) == 0) {
		if (t->expires_ms > edge_time_ms() + TOKEN_MARGIN * 1000)
			return EDGE_OK;
		old = *t;
		if (old.expires_ms > edge_time_ms() &&
		    token_request(h, &old, t, NULL) == EDGE_OK)
			return EDGE_OK;
	}
	/*
	 * Two gateways asking in the same millisecond send the same
	 * "encryption" and the second is refused as a replay (1001, reported
	 * as temporary): ask again with a new timestamp.
	 */
	for (attempt = 0;; attempt++) {
		int rc;

		h->token_replayed = false;
		rc = token_request(h, NULL, t, err);
		if (rc == EDGE_OK || !h->token_replayed || attempt == 3)
			return rc;
		backoff(0);
	}
}

/* ---- signed calls ----------------------------------------------------- */

int
edge_hub_envelope(const char *body, size_t len, long status, const char *path,
    json_object **data, int *hub_code, struct edge_error *err)
{
	json_object *ans = NULL, *d = NULL;
	const char *msg = NULL;
	long long code;
	char what[256];
	int rc;

	*data = NULL;
	snprintf(what, sizeof(what), "hub answer to %s", path);
	if ((rc = edge_json_parse(body, len, what, &ans, err)) != EDGE_OK)
		return rc;
	if ((rc = edge_json_int(ans, "code", what, &code, err)) != EDGE_OK)
		goto out;
	(void)edge_json_opt_string(ans, "msg", what, &msg, NULL);
	if (code != 0) {
		if (hub_code != NULL)
			*hub_code = code > 0 && code < 0x7fffffff ? (int)code : -1;
		rc = edge_err(err, EDGE_EREFUSED, "hub refused %s: %lld %s", path,
		    code, msg ? msg : "(no message)");
		goto out;
	}
	if (status != 200) {
		rc = edge_err(err, EDGE_EINPUT, "%s: HTTP %ld with code 0", what,
		    status);
		goto out;
	}
	if (json_object_object_get_ex(ans, "data", &d) && d != NULL)
		*data = json_object_get(d);
	rc = EDGE_OK;
out:
	json_object_put(ans);
	return rc;
}

static int
cmp_param(const void *a, const void *b)
{
	return strcmp(((const struct edge_enos_param *)a)->name,
	    ((const struct edge_enos_param *)b)->name);
}

static int
signed_call(struct edge_hub *h, const struct token *t, const char *method,
    const char *path, const struct edge_enos_param *q, size_t nq,
    const char *body, struct edge_http_response *resp, struct edge_error *err)
{
	char *url = NULL, ts[32], sig[EDGE_ENOS_HEX256];
	char h_tok[600], h_ts[64], h_sig[100];
	const char *headers[] = {
		"Content-Type: application/json;charset=UTF-8", h_tok, h_ts, h_sig,
		NULL
	};
	size_t i, n = 0;
	FILE *f;
	int rc;

	/* Query values (keys, serials) come from files and options: no cap. */
	if ((f = open_memstream(&url, &n)) == NULL)
		return edge_err(err, EDGE_EFAIL, "out of memory");
	fprintf(f, "%s%s", h->api, path);
	for (i = 0; i < nq; i++) {
		char *v = edge_http_escape(q[i].value);
		if (v == NULL)
			break;
		fprintf(f, "%c%s=%s", i ? '&' : '?', q[i].name, v);
		free(v);
	}
	if (fclose(f) != 0 || i < nq) {
		free(url);
		return edge_err(err, EDGE_EFAIL, "out of memory");
	}
	snprintf(ts, sizeof(ts), "%lld", edge_time_ms());
	rc = edge_enos_api_signature(t->value, q, nq, body,
	    body ? strlen(body) : 0, ts, h->secret_key->data, sig);
	if (rc != EDGE_OK) {
		free(url);
		return edge_err(err, rc, "cannot sign the request");
	}
	snprintf(h_tok, sizeof(h_tok), "apim-accesstoken: %s", t->value);
	snprintf(h_ts, sizeof(h_ts), "apim-timestamp: %s", ts);
	snprintf(h_sig, sizeof(h_sig), "apim-signature: %s", sig);
	rc = exchange(h, method, url, headers, body, body ? strlen(body) : 0,
	    resp, err);
	free(url);
	return rc;
}

int
edge_hub_call(struct edge_hub *h, const char *method, const char *path,
    const struct edge_enos_param *query, size_t nquery, json_object *body,
    json_object **data, int *hub_code, struct edge_error *err)
{
	struct edge_enos_param q[32];
	struct edge_http_response resp = { 0 };
	struct token t;
	const char *text = NULL;
	int rc, attempt;

	*data = NULL;
	if (hub_code != NULL)
		*hub_code = 0;
	if (nquery + 1 > sizeof(q) / sizeof(q[0]))
		return edge_err(err, EDGE_EFAIL, "too many query parameters");
	q[0].name = "orgId";
	q[0].value = h->org_id;
	if (nquery > 0)		/* query may be NULL when empty */
		memcpy(q + 1, query, nquery * sizeof(*q));
	/* Sorted in the URL too, so the request reads like the signature. */
	qsort(q, nquery + 1, sizeof(*q), cmp_param);
	/* Serialized once: these exact bytes are signed and sent. */
	if (body != NULL)
		text = edge_json_text(body);
	for (attempt = 0; attempt < 2; attempt++) {
		if ((rc = get_token(h, attempt > 0, &t, err)) != EDGE_OK)
			return rc;
		rc = signed_call(h, &t, method, path, q, nquery + 1, text, &resp,
		    err);
		if (rc != EDGE_OK)
			return rc;
		/* A cached token the hub no longer knows: get a new one once. */
		if (resp.status != 401 || attempt > 0)
			break;
		edge_http_response_free(&resp);
	}
	rc = edge_hub_envelope(resp.body, resp.len, resp.status, path, data,
	    hub_code, err);
	edge_http_response_free(&resp);
	return rc;
}
