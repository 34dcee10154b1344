/* SPDX-License-Identifier: MIT */
/*
 * lib/edge_hub: the envelope check as a pure function (hostile and
 * truncated answers, status and code mapping), and the REST client against
 * a real local HTTPS server (httpsd.h): the token request and its
 * "encryption", every call signed as ENOS-PROTOCOL.md 4.2 says (checked with
 * an independent SHA-256 over the bytes received, the oracle itself checked
 * against the document's test vector), the token cache, 401, retries of
 * 5xx only, and hostile token service answers.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdint.h>
#include <strings.h>
#include <sys/stat.h>

#include "httpsd.h"

#include "edge_file.h"
#include "edge_hub.h"
#include "edge_json.h"
#include "edge_time.h"

static struct edge_secret secret = { (char *)(uintptr_t)"yourAppSecret", 13 };

static int
setup(void **state)
{
	const struct httpsd_cert hub_w = {
		.cn = "hub", .server_auth = true, .ip = true,
		.key_usage = GNUTLS_KEY_DIGITAL_SIGNATURE,
	};
	(void)state;
	return httpsd_pki_start("/tmp/edge-test-hub.XXXXXX", &hub_w);
}

static int
teardown(void **state)
{
	(void)state;
	return httpsd_pki_stop();
}

/* No token cached before each test. */
static int
no_cache(void **state)
{
	(void)state;
	(void)unlinkat(dfd, EDGE_HUB_TOKEN_FILE, 0);
	return 0;
}

static void
hub_init(struct edge_hub *h, bool cache)
{
	edge_hub_init(h);
	h->api = pki.url;
	h->org_id = "o1";
	h->access_key = "ak";
	h->secret_key = &secret;
	h->http.ca_file = pki.ca_file;
	h->http.connect_timeout = 5;
	h->http.total_timeout = 10;
	h->retries = 2;
	h->cache_dirfd = cache ? dfd : -1;
}

/* A token cache file with text. */
static void
write_token(const char *text)
{
	struct edge_error err = { 0 };

	assert_int_equal(edge_file_write_atomic(dfd, EDGE_HUB_TOKEN_FILE, text,
	    strlen(text), EDGE_MODE_PRIVATE, &err), EDGE_OK);
}

/* GET /x under the n replies r succeeds, the server having read want requests. */
static void
get_ok(struct edge_hub *h, const struct httpsd_reply *r, int n, int want)
{
	struct edge_error err = { 0 };
	json_object *data = NULL;

	httpsd_script(r, n);
	assert_int_equal(edge_hub_call(h, "GET", "/x", NULL, 0, NULL, &data, NULL,
	    &err), EDGE_OK);
	json_object_put(data);
	assert_int_equal(httpsd_nreq(), want);
}

/* The oracle: lowercase hex SHA-256 of the pieces, NULL-terminated. */
static void
sha256_hex(char out[65], ...)
{
	gnutls_hash_hd_t hd;
	unsigned char d[32];
	const char *p;
	va_list ap;
	int i;

	assert_int_equal(gnutls_hash_init(&hd, GNUTLS_DIG_SHA256), 0);
	va_start(ap, out);
	while ((p = va_arg(ap, const char *)) != NULL)
		gnutls_hash(hd, p, strlen(p));
	va_end(ap);
	gnutls_hash_deinit(hd, d);
	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void
test_oracle_vectors(void **state)
{
	char h[65];

	(void)state;
	sha256_hex(h, "5acb82e7-a11e-4300-9164-c8b20b638e8b", "1572574909697",
	    "yourAppSecret", NULL);
	assert_string_equal(h,
	    "e92092449e6009e4fff1faa9e3988d1ce59f268035e76d101213054013221f6e");
	sha256_hex(h, "tok123",
	    "actionapplydeviceKeydk1orgIdo15427722038191productKeypk1",
	    "{\"csr\":\"-----BEGIN CERTIFICATE REQUEST-----\\nMIIB\\n-----END "
	    "CERTIFICATE REQUEST-----\\n\",\"validDay\":365,\"issueAuthority\":\"RSA\"}",
	    "1572574909697", "yourAppSecret", NULL);
	assert_string_equal(h,
	    "e543ab6e0a5b6e384cc52d6e8a403e83730978abf535085a6bf1bcf8e7759a61");
	sha256_hex(h, "tok123", "actionlistassetIda1orgIdo1", "1572574909697",
	    "yourAppSecret", NULL);
	assert_string_equal(h,
	    "dfdc8be5e8dec54a7000d954d424f281ef08d726eaaf379117ecd481ea084c31");
}

/* ---- the envelope ------------------------------------------------------ */

static int
envelope(const char *body, long status, json_object **data, int *code,
    char *msg)
{
	struct edge_error err = { 0 };
	int rc;

	*code = 12345;
	rc = edge_hub_envelope(body, strlen(body), status, "/p", data, code, &err);
	snprintf(msg, EDGE_ERR_MSG_MAX, "%s", err.msg);
	if (rc != EDGE_OK)
		assert_null(*data);
	return rc;
}

static void
test_envelope(void **state)
{
	static const char ok[] =
	    "{\"code\":0,\"msg\":\"OK\",\"requestId\":\"r\",\"data\":{\"cert\":\"x\"}}";
	char msg[EDGE_ERR_MSG_MAX];
	json_object *d;
	const char *s;
	size_t i;
	int code;

	(void)state;
	assert_int_equal(envelope(ok, 200, &d, &code, msg), EDGE_OK);
	assert_int_equal(edge_json_string(d, "cert", "t", &s, NULL), EDGE_OK);
	assert_string_equal(s, "x");
	assert_int_equal(code, 12345);	/* untouched on success */
	json_object_put(d);
	/* data null or absent: no data, still success. */
	assert_int_equal(envelope("{\"code\":0,\"data\":null}", 200, &d, &code, msg),
	    EDGE_OK);
	assert_null(d);
	assert_int_equal(envelope("{\"code\":0}", 200, &d, &code, msg), EDGE_OK);
	assert_null(d);
	/* data of any JSON type is handed over. */
	assert_int_equal(envelope("{\"code\":0,\"data\":[1,2]}", 200, &d, &code,
	    msg), EDGE_OK);
	assert_true(json_object_is_type(d, json_type_array));
	json_object_put(d);

	/* Business errors: refused, the hub's code kept, whatever the status. */
	assert_int_equal(envelope("{\"code\":99400,\"msg\":\"Invalid Argument csr\"}",
	    200, &d, &code, msg), EDGE_EREFUSED);
	assert_int_equal(code, 99400);
	assert_string_equal(msg, "hub refused /p: 99400 Invalid Argument csr");
	assert_int_equal(envelope("{\"code\":11404}", 404, &d, &code, msg),
	    EDGE_EREFUSED);
	assert_int_equal(code, 11404);
	assert_string_equal(msg, "hub refused /p: 11404 (no message)");
	/* A msg of another type is no message, not an error. */
	assert_int_equal(envelope("{\"code\":5,\"msg\":{\"x\":1}}", 200, &d, &code,
	    msg), EDGE_EREFUSED);
	assert_string_equal(msg, "hub refused /p: 5 (no message)");
	/* Codes that do not fit an int (or are negative) are -1. */
	assert_int_equal(envelope("{\"code\":-3}", 200, &d, &code, msg), EDGE_EREFUSED);
	assert_int_equal(code, -1);
	assert_int_equal(envelope("{\"code\":99999999999}", 200, &d, &code, msg),
	    EDGE_EREFUSED);
	assert_int_equal(code, -1);
	assert_int_equal(envelope("{\"code\":18446744073709551616}", 200, &d,
	    &code, msg), EDGE_EREFUSED);
	assert_int_equal(code, -1);

	/* Code 0 with a status other than 200 is not a success. */
	assert_int_equal(envelope(ok, 201, &d, &code, msg), EDGE_EINPUT);
	assert_string_equal(msg, "hub answer to /p: HTTP 201 with code 0");
	assert_int_equal(envelope(ok, 500, &d, &code, msg), EDGE_EINPUT);

	/* Not the envelope. */
	assert_int_equal(envelope("{\"status\":0,\"data\":{}}", 200, &d, &code, msg),
	    EDGE_EINPUT);
	assert_string_equal(msg, "hub answer to /p: field code is missing");
	assert_int_equal(envelope("{\"code\":\"0\"}", 200, &d, &code, msg), EDGE_EINPUT);
	assert_string_equal(msg, "hub answer to /p: field code is not an integer");
	assert_int_equal(envelope("{\"code\":0.0}", 200, &d, &code, msg), EDGE_EINPUT);
	assert_int_equal(envelope("{\"code\":null}", 200, &d, &code, msg), EDGE_EINPUT);
	assert_int_equal(envelope("[0]", 200, &d, &code, msg), EDGE_EINPUT);
	assert_int_equal(envelope("<html>502</html>", 200, &d, &code, msg), EDGE_EINPUT);
	assert_int_equal(envelope("", 200, &d, &code, msg), EDGE_EINPUT);
	assert_int_equal(envelope(ok, 200, &d, &code, msg), EDGE_OK);
	json_object_put(d);
	/* Every truncation of a good answer is refused. */
	for (i = 0; i < sizeof(ok) - 1; i++) {
		struct edge_error err = { 0 };

		assert_int_equal(edge_hub_envelope(ok, i, 200, "/p", &d, NULL, &err),
		    EDGE_EINPUT);
		assert_null(d);
	}
	/* hub_code may be NULL. */
	{
		struct edge_error err = { 0 };

		assert_int_equal(edge_hub_envelope("{\"code\":7}", 10, 200, "/p", &d,
		    NULL, &err), EDGE_EREFUSED);
	}
}

/* ---- the client against the local hub -------------------------------- */

#define TOKEN_OK(tok) \
	{ 200, "Content-Type: application/json\r\n", \
	  "{\"status\":0,\"msg\":\"SUCCESS\",\"data\":{\"accessToken\":\"" tok \
	  "\",\"expire\":7200}}", NULL, 0 }
#define CALL_OK	\
	{ 200, "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n", \
	  "{\"code\":0,\"msg\":\"OK\",\"requestId\":\"r\",\"data\":{\"x\":1}}", NULL, 0 }

/* Check a token request: its path and its "encryption". */
static void
check_token_request(const struct httpsd_req *r, const char *path,
    const char *old)
{
	json_object *o;
	const char *ak, *enc, *tok;
	long long ts;
	char tss[32], want[65];

	assert_string_equal(r->method, "POST");
	assert_string_equal(r->target, path);
	assert_int_equal(edge_json_parse(r->body, r->body_len, "t", &o, NULL), EDGE_OK);
	assert_int_equal(edge_json_string(o, "appKey", "t", &ak, NULL), EDGE_OK);
	assert_string_equal(ak, "ak");
	assert_int_equal(edge_json_int(o, "timestamp", "t", &ts, NULL), EDGE_OK);
	assert_true(ts > edge_time_ms() - 60000 && ts <= edge_time_ms());
	snprintf(tss, sizeof(tss), "%lld", ts);
	assert_int_equal(edge_json_string(o, "encryption", "t", &enc, NULL), EDGE_OK);
	sha256_hex(want, "ak", tss, "yourAppSecret", NULL);
	assert_string_equal(enc, want);
	if (old != NULL) {
		assert_int_equal(edge_json_string(o, "accessToken", "t", &tok, NULL),
		    EDGE_OK);
		assert_string_equal(tok, old);
	} else {
		assert_false(json_object_object_get_ex(o, "accessToken", NULL));
	}
	json_object_put(o);
}

/* Check a signed call: token header and signature over what was received. */
static void
check_signed(const struct httpsd_req *r, const char *token, const char *params)
{
	char tok[600], ts[64], sig[100], want[65];

	assert_string_equal(httpsd_header(r, "apim-accesstoken", tok, sizeof(tok)),
	    token);
	httpsd_header(r, "apim-timestamp", ts, sizeof(ts));
	assert_true(strlen(ts) >= 13 && strspn(ts, "0123456789") == strlen(ts));
	httpsd_header(r, "apim-signature", sig, sizeof(sig));
	sha256_hex(want, token, params, r->body, ts, "yourAppSecret", NULL);
	assert_string_equal(sig, want);
	assert_string_equal(httpsd_header(r, "Content-Type", tok, sizeof(tok)),
	    "application/json;charset=UTF-8");
}

static void
test_call_signed_and_cached(void **state)
{
	static const struct httpsd_reply r[] = { TOKEN_OK("tokA"), CALL_OK, CALL_OK };
	const struct edge_enos_param q[] = {
		{ "productKey", "pk1" }, { "action", "apply" }, { "deviceKey", "dk1" },
		{ "assetId", "a b/&=\xc3\xa9" },
	};
	struct edge_error err = { 0 };
	struct edge_hub h;
	json_object *body = json_object_new_object(), *data;
	long long x;
	int code = 7;
	char *cache;
	size_t len;
	struct stat st;

	(void)state;
	hub_init(&h, true);
	json_object_object_add(body, "csr", json_object_new_string(
	    "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n"));
	json_object_object_add(body, "validDay", json_object_new_int(365));
	httpsd_script(r, 3);
	assert_int_equal(edge_hub_call(&h, "POST", "/connect-service/v2.0/certificates",
	    q, 4, body, &data, &code, &err), EDGE_OK);
	assert_int_equal(code, 0);
	assert_int_equal(edge_json_int(data, "x", "t", &x, NULL), EDGE_OK);
	assert_int_equal(x, 1);
	json_object_put(data);
	assert_int_equal(h.last_date, 784111777);

	assert_int_equal(httpsd_nreq(), 2);
	check_token_request(&srv.req[0], "/apim-token-service/v2.0/token/get", NULL);
	/* Sorted query, values escaped in the URL, decoded in the signature. */
	assert_string_equal(srv.req[1].method, "POST");
	assert_string_equal(srv.req[1].target,
	    "/connect-service/v2.0/certificates?action=apply&assetId=a%20b%2F%26%3D%C3%A9"
	    "&deviceKey=dk1&orgId=o1&productKey=pk1");
	/* The body exactly as serialized once (slashes unescaped). */
	assert_string_equal(srv.req[1].body, edge_json_text(body));
	assert_non_null(strstr(srv.req[1].body, "-----BEGIN CERTIFICATE REQUEST-----\\n"));
	check_signed(&srv.req[1], "tokA",
	    "actionapplyassetIda b/&=\xc3\xa9" "deviceKeydk1orgIdo1productKeypk1");

	/* The token is cached, private, for this api and key only. */
	assert_int_equal(fstatat(dfd, EDGE_HUB_TOKEN_FILE, &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(edge_file_read(dfd, EDGE_HUB_TOKEN_FILE, 4096, &cache,
	    &len, NULL), EDGE_OK);
	assert_non_null(strstr(cache, "\"token\":\"tokA\""));
	free(cache);

	/* Second call: no token request; GET without a body. */
	get_ok(&h, r + 1, 1, 1);
	assert_string_equal(srv.req[0].method, "GET");
	assert_string_equal(srv.req[0].target, "/x?orgId=o1");
	assert_int_equal(srv.req[0].body_len, 0);
	check_signed(&srv.req[0], "tokA", "orgIdo1");

	/* Another access key does not take this cache. */
	h.access_key = "ak2";
	{
		static const struct httpsd_reply r2[] = { TOKEN_OK("tokB"), CALL_OK };

		get_ok(&h, r2, 2, 2);
		assert_string_equal(srv.req[0].target,
		    "/apim-token-service/v2.0/token/get");
	}
	json_object_put(body);
}

/* A cache that is hostile or truncated is ignored: a new token is asked. */
static void
test_cache_hostile(void **state)
{
	static const struct httpsd_reply r[] = { TOKEN_OK("tokC"), CALL_OK };
	/* After {"api":API,"access_key":"ak", */
	static const char *const bad[] = {
		"\"token\":\"old\",\"expires_ms\":",
		"\"token\":7,\"expires_ms\":99999999999999}",
		"\"token\":\"old\",\"expires_ms\":\"9\"}",
		"\"expires_ms\":99999999999999}",
		"\"token\":\"old\",\"expires_ms\":99999999999999} x",
		"\"token\":\"old\",\"expires_ms\":99999999999999}",	/* other api */
	};
	struct edge_hub h;
	size_t i;

	(void)state;
	hub_init(&h, true);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[512];

		snprintf(text, sizeof(text), "{\"api\":\"%s\",\"access_key\":\"ak\",%s",
		    i < 5 ? pki.url : "https://elsewhere", bad[i]);
		write_token(text);
		get_ok(&h, r, 2, 2);
		check_token_request(&srv.req[0], "/apim-token-service/v2.0/token/get",
		    NULL);
		check_signed(&srv.req[1], "tokC", "orgIdo1");
		assert_int_equal(unlinkat(dfd, EDGE_HUB_TOKEN_FILE, 0), 0);
	}
}

/* A cached token about to expire is refreshed; refresh refused: a new one. */
static void
test_refresh(void **state)
{
	static const struct httpsd_reply r[] = { TOKEN_OK("tokR"), CALL_OK };
	static const struct httpsd_reply r2[] = {
		{ 200, NULL, "{\"status\":1204,\"msg\":\"refresh failed\"}", NULL, 0 },
		TOKEN_OK("tokN"), CALL_OK,
	};
	struct edge_hub h;
	char text[512];

	(void)state;
	hub_init(&h, true);
	snprintf(text, sizeof(text), "{\"api\":\"%s\",\"access_key\":\"ak\","
	    "\"token\":\"tokOld\",\"expires_ms\":%lld}", pki.url,
	    edge_time_ms() + 30000);
	write_token(text);
	get_ok(&h, r, 2, 2);
	check_token_request(&srv.req[0], "/apim-token-service/v2.0/token/refresh",
	    "tokOld");
	check_signed(&srv.req[1], "tokR", "orgIdo1");

	write_token(text);
	get_ok(&h, r2, 3, 3);
	check_token_request(&srv.req[1], "/apim-token-service/v2.0/token/get", NULL);
	check_signed(&srv.req[2], "tokN", "orgIdo1");
}

/* 401 to a cached token: one new token, one retry, no more. */
static void
test_401(void **state)
{
	static const struct httpsd_reply r[] = {
		TOKEN_OK("tok1"), { 401, NULL, "", NULL, 0 }, TOKEN_OK("tok2"), CALL_OK,
	};
	static const struct httpsd_reply r2[] = {
		TOKEN_OK("tok1"), { 401, NULL, "", NULL, 0 }, TOKEN_OK("tok2"),
		{ 401, NULL, "{\"code\":401,\"msg\":\"bad token\"}", NULL, 0 },
	};
	struct edge_error err = { 0 };
	struct edge_hub h;
	json_object *data;
	int code;

	(void)state;
	hub_init(&h, false);
	get_ok(&h, r, 4, 4);
	check_signed(&srv.req[1], "tok1", "orgIdo1");
	check_signed(&srv.req[3], "tok2", "orgIdo1");

	httpsd_script(r2, 4);
	assert_int_equal(edge_hub_call(&h, "GET", "/x", NULL, 0, NULL, &data, &code,
	    &err), EDGE_EREFUSED);
	assert_null(data);
	assert_int_equal(code, 401);
	assert_int_equal(httpsd_nreq(), 4);
}

/* 5xx and transport errors are retried, business errors never. */
static void
test_retries(void **state)
{
	static const struct httpsd_reply r[] = {
		TOKEN_OK("tok"), { 503, NULL, "busy", NULL, 0 },
		{ 502, NULL, "", NULL, 0 }, { 500, NULL, "", NULL, 0 },
	};
	static const struct httpsd_reply r2[] = {
		TOKEN_OK("tok"), { 503, NULL, "busy", NULL, 0 }, CALL_OK,
	};
	static const struct httpsd_reply r3[] = {
		TOKEN_OK("tok"),
		{ 200, NULL, "{\"code\":99500,\"msg\":\"Internal error\"}", NULL, 0 },
		CALL_OK,
	};
	struct edge_error err = { 0 };
	struct edge_hub h;
	json_object *data;
	int code;

	(void)state;
	hub_init(&h, false);
	httpsd_script(r, 4);
	assert_int_equal(edge_hub_call(&h, "GET", "/x", NULL, 0, NULL, &data, &code,
	    &err), EDGE_ETEMP);
	assert_null(data);
	assert_int_equal(httpsd_nreq(), 4);
	assert_non_null(strstr(err.msg, "gave up after 3 attempts"));
	assert_non_null(strstr(err.msg, "hub answered HTTP 500"));

	get_ok(&h, r2, 3, 3);

	httpsd_script(r3, 3);
	assert_int_equal(edge_hub_call(&h, "GET", "/x", NULL, 0, NULL, &data, &code,
	    &err), EDGE_EREFUSED);
	assert_int_equal(code, 99500);
	assert_int_equal(httpsd_nreq(), 2);
	assert_string_equal(err.msg, "hub refused /x: 99500 Internal error");

	/* A truncated answer to the call: not the envelope. */
	{
		static const struct httpsd_reply r4[] = {
			TOKEN_OK("tok"), { 200, NULL, "{\"code\":0,\"data\":{\"x\"", NULL, 0 },
		};

		httpsd_script(r4, 2);
		assert_int_equal(edge_hub_call(&h, "GET", "/x", NULL, 0, NULL, &data,
		    &code, &err), EDGE_EINPUT);
		assert_string_equal(err.msg,
		    "hub answer to /x: not valid JSON (truncated)");
	}
}

/* One token service answer; the code of the call, err's message in msg. */
static int
token_answer(const char *answer, char *msg)
{
	const struct httpsd_reply r[] = { { 200, NULL, answer, NULL, 0 }, CALL_OK };
	struct edge_error err = { 0 };
	struct edge_hub h;
	json_object *data = NULL;
	int rc;

	hub_init(&h, true);
	httpsd_script(r, 2);
	rc = edge_hub_call(&h, "GET", "/x", NULL, 0, NULL, &data, NULL, &err);
	json_object_put(data);
	snprintf(msg, EDGE_ERR_MSG_MAX, "%s", err.msg);
	return rc;
}

static void
test_token_hostile(void **state)
{
	char msg[EDGE_ERR_MSG_MAX];

	(void)state;
	assert_int_equal(token_answer("{\"status\":1002,\"msg\":\"unknown appKey\"}",
	    msg), EDGE_EREFUSED);
	assert_string_equal(msg, "hub token service: refused (1002: unknown appKey)");
	assert_int_equal(httpsd_nreq(), 1);	/* no call without a token */
	assert_int_equal(token_answer("{\"status\":1003}", msg), EDGE_EREFUSED);
	assert_string_equal(msg, "hub token service: refused (1003: no message)");
	assert_int_equal(token_answer("{\"code\":0,\"data\":{\"accessToken\":\"t\","
	    "\"expire\":7200}}", msg), EDGE_EINPUT);
	assert_string_equal(msg, "token service answer: field status is missing");
	assert_int_equal(token_answer("{\"status\":0}", msg), EDGE_EINPUT);
	assert_string_equal(msg, "token service answer: field data is missing");
	assert_int_equal(token_answer("{\"status\":0,\"data\":{\"accessToken\":\"\","
	    "\"expire\":7200}}", msg), EDGE_EINPUT);
	assert_string_equal(msg, "token service answer: unusable token or lifetime");
	assert_int_equal(token_answer("{\"status\":0,\"data\":{\"accessToken\":\"t\","
	    "\"expire\":0}}", msg), EDGE_EINPUT);
	assert_int_equal(token_answer("{\"status\":0,\"data\":{\"accessToken\":\"t\","
	    "\"expire\":-5}}", msg), EDGE_EINPUT);
	assert_int_equal(token_answer("{\"status\":0,\"data\":{\"accessToken\":\"t\","
	    "\"expire\":\"7200\"}}", msg), EDGE_EINPUT);
	assert_string_equal(msg, "token service answer: field expire is not an integer");
	assert_int_equal(token_answer("{\"status\":0,\"data\":{\"accessToken\":\"t\","
	    "\"expire\":7200", msg), EDGE_EINPUT);
	assert_string_equal(msg, "token service answer: not valid JSON (truncated)");
	/* No token is cached from a refused answer. */
	assert_false(edge_file_exists(dfd, EDGE_HUB_TOKEN_FILE));
	/* A lifetime that overflows the expiry time is not a lifetime. */
	assert_int_equal(token_answer("{\"status\":0,\"data\":{\"accessToken\":\"t\","
	    "\"expire\":9223372036854775807}}", msg), EDGE_EINPUT);
	assert_string_equal(msg, "token service answer: unusable token or lifetime");
	assert_int_equal(token_answer("{\"status\":0,\"data\":{\"accessToken\":\"t\","
	    "\"expire\":99999999999999999}}", msg), EDGE_EINPUT);
	assert_false(edge_file_exists(dfd, EDGE_HUB_TOKEN_FILE));
	/* An oversized token is refused too. */
	{
		char answer[1024], big[600];

		memset(big, 't', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		snprintf(answer, sizeof(answer), "{\"status\":0,\"data\":{\"accessToken\":"
		    "\"%s\",\"expire\":7200}}", big);
		assert_int_equal(token_answer(answer, msg), EDGE_EINPUT);
	}
}

/* Two gateways in the same millisecond: 1001 (replay) is asked again. */
static void
test_token_replay(void **state)
{
	static const struct httpsd_reply r[] = {
		{ 200, NULL, "{\"status\":1001,\"msg\":\"duplicated\"}", NULL, 0 },
		TOKEN_OK("tokR"), CALL_OK,
	};
	struct edge_hub h;

	(void)state;
	hub_init(&h, false);
	get_ok(&h, r, 3, 3);
	check_token_request(&srv.req[1], "/apim-token-service/v2.0/token/get", NULL);
	check_signed(&srv.req[2], "tokR", "orgIdo1");
}

static void
test_get(void **state)
{
	static const struct httpsd_reply r[] = {
		{ 200, NULL, "-----BEGIN X509 CRL-----", NULL, 0 },
		{ 404, NULL, "no", NULL, 0 },
		{ 302, "Location: https://elsewhere/\r\n", "", NULL, 0 },
		{ 500, NULL, "", NULL, 0 }, { 503, NULL, "", NULL, 0 },
		{ 500, NULL, "", NULL, 0 },
	};
	struct edge_error err = { 0 };
	struct edge_http_response resp;
	struct edge_hub h;
	char u[200], want[300];

	(void)state;
	hub_init(&h, false);
	/* edge-crl-update knows a portal, no API address. */
	h.api = NULL;
	httpsd_script(r, 6);
	snprintf(u, sizeof(u), "%s/crl/ca.crl", pki.url);
	assert_int_equal(edge_hub_get(&h, u, &resp, &err), EDGE_OK);
	assert_string_equal(resp.body, "-----BEGIN X509 CRL-----");
	edge_http_response_free(&resp);
	/* Unauthenticated: no token request, no signature. */
	assert_string_equal(srv.req[0].target, "/crl/ca.crl");
	assert_string_equal(httpsd_header(&srv.req[0], "apim-signature", want,
	    sizeof(want)), "");
	assert_int_equal(edge_hub_get(&h, u, &resp, &err), EDGE_EREFUSED);
	snprintf(want, sizeof(want), "%s: HTTP 404", u);
	assert_string_equal(err.msg, want);
	assert_null(resp.body);
	/* Redirects are not followed. */
	assert_int_equal(edge_hub_get(&h, u, &resp, &err), EDGE_EINPUT);
	assert_int_equal(edge_hub_get(&h, u, &resp, &err), EDGE_ETEMP);
	assert_null(resp.body);
	/* The 5xx names the URL asked (it said "(null)"). */
	snprintf(want, sizeof(want),
	    "gave up after 3 attempts: %s: hub answered HTTP 500", u);
	assert_string_equal(err.msg, want);
	assert_int_equal(httpsd_nreq(), 6);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oracle_vectors),
		cmocka_unit_test(test_envelope),
		cmocka_unit_test_setup(test_call_signed_and_cached, no_cache),
		cmocka_unit_test_setup(test_cache_hostile, no_cache),
		cmocka_unit_test_setup(test_refresh, no_cache),
		cmocka_unit_test_setup(test_401, no_cache),
		cmocka_unit_test_setup(test_retries, no_cache),
		cmocka_unit_test_setup(test_token_hostile, no_cache),
		cmocka_unit_test_setup(test_token_replay, no_cache),
		cmocka_unit_test_setup(test_get, no_cache),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
