/* SPDX-License-Identifier: MIT */
/*
 * lib/edge_certsvc against a real local HTTPS server (httpsd.h): List
 * Certificate parsed (serials, status, reason, time) and hostile lists
 * refused; Revoke Certificate's request as ENOS-PROTOCOL.md 8 writes it;
 * supersede revokes exactly the other valid certificates, with reason 4,
 * and reports what it revoked even when a revocation fails part way.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdint.h>

#include "httpsd.h"

#include "edge_certsvc.h"
#include "edge_json.h"

static struct edge_secret secret = { (char *)(uintptr_t)"s3cret", 6 };

static int
setup(void **state)
{
	const struct httpsd_cert hub_w = {
		.cn = "hub", .server_auth = true, .ip = true,
		.key_usage = GNUTLS_KEY_DIGITAL_SIGNATURE,
	};
	(void)state;
	return httpsd_pki_start("/tmp/edge-test-certsvc.XXXXXX", &hub_w);
}

static int
teardown(void **state)
{
	(void)state;
	return httpsd_pki_stop();
}

static void
hub_init(struct edge_hub *h)
{
	edge_hub_init(h);
	h->api = pki.url;
	h->org_id = "o1";
	h->access_key = "ak";
	h->secret_key = &secret;
	h->http.ca_file = pki.ca_file;
	h->http.connect_timeout = 5;
	h->http.total_timeout = 10;
	h->retries = 0;
	/* Cached: one token for the calls that follow, none before. */
	h->cache_dirfd = dfd;
	(void)unlinkat(dfd, EDGE_HUB_TOKEN_FILE, 0);
}

#define TOKEN_OK \
	{ 200, "Content-Type: application/json\r\n", \
	  "{\"status\":0,\"msg\":\"SUCCESS\",\"data\":{\"accessToken\":\"t\",\"expire\":7200}}", NULL, 0 }
#define ANSWER(data) \
	{ 200, NULL, "{\"code\":0,\"msg\":\"OK\",\"requestId\":\"r\",\"data\":" data "}", NULL, 0 }
#define REFUSED \
	{ 200, NULL, "{\"code\":99400,\"msg\":\"cert not bound\",\"requestId\":\"r\",\"data\":null}", NULL, 0 }

/* Three certificates: 11 kept, 12 valid, 13 revoked, 14 valid. */
#define LIST ANSWER("[" \
	"{\"certSN\":\"11\",\"certStatus\":0}," \
	"{\"certSN\":\"12\",\"certStatus\":0}," \
	"{\"certSN\":\"13\",\"certStatus\":1,\"revokerReason\":\"KEY COMPROMISE\",\"audit\":{\"updateTime\":1700000000123}}," \
	"{\"certSN\":\"14\",\"certStatus\":0}]")

static void
test_list(void **state)
{
	static const struct httpsd_reply r[] = { TOKEN_OK, LIST };
	struct edge_error err = { 0 };
	struct edge_hub h;
	struct edge_hubcert *c = NULL;
	size_t n = 0;

	(void)state;
	hub_init(&h);
	httpsd_script(r, 2);
	assert_int_equal(edge_certsvc_list(&h, "pk1", "dk1", &c, &n, &err), EDGE_OK);
	assert_int_equal(n, 4);
	assert_string_equal(c[0].sn, "11");
	assert_int_equal(c[0].status, EDGE_HUBCERT_VALID);
	assert_string_equal(c[2].sn, "13");
	assert_int_equal(c[2].status, EDGE_HUBCERT_REVOKED);
	assert_string_equal(c[2].reason, "KEY COMPROMISE");
	assert_true(c[2].updated_ms == 1700000000123LL);
	assert_string_equal(c[1].reason, "");
	free(c);
	assert_int_equal(httpsd_nreq(), 2);
	assert_string_equal(srv.req[1].method, "GET");
	assert_non_null(strstr(srv.req[1].target, "/connect-service/v2.0/certificates?"));
	assert_non_null(strstr(srv.req[1].target, "action=list"));
	assert_non_null(strstr(srv.req[1].target, "productKey=pk1"));
	assert_non_null(strstr(srv.req[1].target, "deviceKey=dk1"));
	{
		char tok[64];
		/* A signed call, with the token the service gave. */
		assert_string_equal(httpsd_header(&srv.req[1], "apim-accesstoken",
		    tok, sizeof(tok)), "t");
	}
}

static void
test_list_hostile(void **state)
{
	static const struct httpsd_reply bad[][2] = {
		{ TOKEN_OK, ANSWER("{\"certSN\":\"1\"}") },
		{ TOKEN_OK, ANSWER("[{\"certStatus\":0}]") },
		{ TOKEN_OK, ANSWER("[{\"certSN\":\"1\"}]") },
		{ TOKEN_OK, ANSWER("[{\"certSN\":\"-1\",\"certStatus\":0}]") },
		{ TOKEN_OK, ANSWER("[{\"certSN\":\"123456789012345678901234567890123456789012345678901234567890123456789\",\"certStatus\":0}]") },
		{ TOKEN_OK, ANSWER("null") },
	};
	struct edge_error err = { 0 };
	struct edge_hub h;
	struct edge_hubcert *c = NULL;
	size_t i, n = 7;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		hub_init(&h);
		httpsd_script(bad[i], 2);
		assert_int_equal(edge_certsvc_list(&h, "pk", "dk", &c, &n, &err),
		    EDGE_EINPUT);
		assert_null(c);
		assert_int_equal(n, 0);
	}
}

static void
test_revoke(void **state)
{
	static const struct httpsd_reply r[] = { TOKEN_OK, ANSWER("null") };
	struct edge_error err = { 0 };
	struct edge_hub h;
	json_object *o = NULL, *v;

	(void)state;
	hub_init(&h);
	httpsd_script(r, 2);
	assert_int_equal(edge_certsvc_revoke(&h, "pk", "dk", "9223372036854775807",
	    5, &err), EDGE_OK);
	assert_string_equal(srv.req[1].method, "POST");
	assert_non_null(strstr(srv.req[1].target, "action=revoke"));
	assert_int_equal(edge_json_parse(srv.req[1].body, srv.req[1].body_len,
	    "t", &o, NULL), EDGE_OK);
	assert_true(json_object_object_get_ex(o, "certSn", &v));
	assert_true(json_object_get_int64(v) == INT64_MAX);
	assert_true(json_object_object_get_ex(o, "reason", &v));
	assert_int_equal(json_object_get_int(v), 5);
	json_object_put(o);
	/* Too large for the hub's 64-bit certSn: not sent. */
	httpsd_script(r, 2);
	assert_int_equal(edge_certsvc_revoke(&h, "pk", "dk", "9223372036854775808000",
	    5, &err), EDGE_EINPUT);
	assert_int_equal(httpsd_nreq(), 0);
	/* 2^63 has 19 digits too: an error, not strtoll's LLONG_MAX (2^63-1). */
	httpsd_script(r, 2);
	assert_int_equal(edge_certsvc_revoke(&h, "pk", "dk", "9223372036854775808",
	    5, &err), EDGE_EINPUT);
	assert_int_equal(httpsd_nreq(), 0);
	assert_non_null(strstr(err.msg, "too large"));
}

/* The certSn of request i's body. */
static long long
revoked_sn(int i)
{
	json_object *o = NULL, *v;
	long long sn;

	assert_int_equal(edge_json_parse(srv.req[i].body, srv.req[i].body_len,
	    "t", &o, NULL), EDGE_OK);
	assert_true(json_object_object_get_ex(o, "reason", &v));
	assert_int_equal(json_object_get_int(v), 4);
	assert_true(json_object_object_get_ex(o, "certSn", &v));
	sn = json_object_get_int64(v);
	json_object_put(o);
	return sn;
}

static void
test_supersede(void **state)
{
	static const struct httpsd_reply r[] = {
		TOKEN_OK, LIST, ANSWER("null"), ANSWER("null"),
	};
	static const struct httpsd_reply fail[] = {
		TOKEN_OK, LIST, ANSWER("null"), REFUSED,
	};
	struct edge_error err = { 0 };
	struct edge_hub h;
	json_object *done = json_object_new_array();

	(void)state;
	hub_init(&h);
	httpsd_script(r, 4);
	assert_int_equal(edge_certsvc_supersede(&h, "pk", "dk", "11", done, &err),
	    EDGE_OK);
	assert_int_equal(httpsd_nreq(), 4);
	assert_true(revoked_sn(2) == 12);
	assert_true(revoked_sn(3) == 14);
	assert_string_equal(json_object_to_json_string_ext(done,
	    JSON_C_TO_STRING_PLAIN), "[\"12\",\"14\"]");
	json_object_put(done);

	/* The second revocation refused: the first is reported all the same. */
	done = json_object_new_array();
	hub_init(&h);
	httpsd_script(fail, 4);
	assert_int_equal(edge_certsvc_supersede(&h, "pk", "dk", "11", done, &err),
	    EDGE_EREFUSED);
	assert_non_null(strstr(err.msg, "99400"));
	assert_string_equal(json_object_to_json_string_ext(done,
	    JSON_C_TO_STRING_PLAIN), "[\"12\"]");
	json_object_put(done);

	/*
	 * Keeping one the hub does not list as valid for the device (another
	 * device's, a revoked one): nothing is revoked, and the reason is said.
	 */
	{
		static const struct httpsd_reply r3[] = { TOKEN_OK, LIST };
		static const struct { const char *keep; int rc; const char *why; } k[] = {
			{ "99", EDGE_EINPUT, "serial 99 is not a certificate of dk at the hub; nothing revoked" },
			{ "13", EDGE_EREVOKED, "serial 13 of dk is revoked at the hub (KEY COMPROMISE); nothing revoked" },
		};
		size_t i;

		for (i = 0; i < 2; i++) {
			done = json_object_new_array();
			hub_init(&h);
			httpsd_script(r3, 2);
			assert_int_equal(edge_certsvc_supersede(&h, "pk", "dk", k[i].keep,
			    done, &err), k[i].rc);
			assert_string_equal(err.msg, k[i].why);
			/* The token and the list: no revocation was asked for. */
			assert_int_equal(httpsd_nreq(), 2);
			assert_int_equal(json_object_array_length(done), 0);
			json_object_put(done);
		}
	}

	/* Serials compare as numbers: "0011" keeps 11, revokes 12 and 14. */
	done = json_object_new_array();
	hub_init(&h);
	httpsd_script(r, 4);
	assert_int_equal(edge_certsvc_supersede(&h, "pk", "dk", "0011", done, &err),
	    EDGE_OK);
	assert_string_equal(json_object_to_json_string_ext(done,
	    JSON_C_TO_STRING_PLAIN), "[\"12\",\"14\"]");
	json_object_put(done);
}

static void
test_sn_equal(void **state)
{
	(void)state;
	assert_true(edge_certsvc_sn_equal("0011", "11"));
	assert_true(edge_certsvc_sn_equal("0", "000"));
	assert_false(edge_certsvc_sn_equal("110", "11"));
	assert_false(edge_certsvc_sn_equal("11", "12"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_list_hostile),
		cmocka_unit_test(test_revoke),
		cmocka_unit_test(test_supersede),
		cmocka_unit_test(test_sn_equal),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
