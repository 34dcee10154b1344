/* SPDX-License-Identifier: MIT */
/* Unit tests for lib/edge_enos.c: every vector of ENOS-PROTOCOL.md 4.1, 4.2, 9.2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "edge_enos.h"

#define TS	"1572574909697"
#define SECRET	"yourAppSecret"
#define APPLY_BODY \
	"{\"csr\":\"-----BEGIN CERTIFICATE REQUEST-----\\nMIIB\\n" \
	"-----END CERTIFICATE REQUEST-----\\n\",\"validDay\":365," \
	"\"issueAuthority\":\"RSA\"}"
#define APPLY_SIG "e543ab6e0a5b6e384cc52d6e8a403e83730978abf535085a6bf1bcf8e7759a61"
#define LIST_SIG  "dfdc8be5e8dec54a7000d954d424f281ef08d726eaaf379117ecd481ea084c31"
#define PW_SHA256 "c2a8d4dd2bfae73ae0f52df974dd6f5dbb22635c78cd8c62676f04d971d5f6f9"
#define PW_SHA1   "DCF3F4B8D77D78B6598BDCC65A0A65C8BB3C1B08"
#define PW_MD5    "b75f8029284920664ec9ff6b0b680ce6"

static void
token_encryption_vector(void **state)
{
	char out[EDGE_ENOS_HEX256];

	(void)state;
	assert_int_equal(edge_enos_token_encryption(
	    "5acb82e7-a11e-4300-9164-c8b20b638e8b", TS, SECRET, out), 0);
	assert_string_equal(out,
	    "e92092449e6009e4fff1faa9e3988d1ce59f268035e76d101213054013221f6e");
	assert_int_equal(edge_enos_token_encryption(NULL, TS, SECRET, out),
	    EDGE_EINPUT);
}

static void
api_signature_apply_vector(void **state)
{
	/* In URL order, not sorted: the function must sort. */
	const struct edge_enos_param p[] = {
		{ "action", "apply" }, { "orgId", "o15427722038191" },
		{ "productKey", "pk1" }, { "deviceKey", "dk1" },
	};
	char out[EDGE_ENOS_HEX256];

	(void)state;
	assert_int_equal(edge_enos_api_signature("tok123", p, 4, APPLY_BODY,
	    strlen(APPLY_BODY), TS, SECRET, out), 0);
	assert_string_equal(out, APPLY_SIG);
	/* The caller's array is left as it was. */
	assert_string_equal(p[1].name, "orgId");
	assert_string_equal(p[3].name, "deviceKey");
}

static void
api_signature_list_vector(void **state)
{
	const struct edge_enos_param p[] = {
		{ "action", "list" }, { "orgId", "o1" }, { "assetId", "a1" },
	};
	char out[EDGE_ENOS_HEX256];

	(void)state;
	assert_int_equal(edge_enos_api_signature("tok123", p, 3, NULL, 0, TS,
	    SECRET, out), 0);
	assert_string_equal(out, LIST_SIG);
}

static void
api_signature_negative(void **state)
{
	const struct edge_enos_param p[] = {
		{ "action", "list" }, { "orgId", "o1" }, { "assetId", "a1" },
	};
	const struct edge_enos_param bad[] = { { "action", NULL } };
	char out[EDGE_ENOS_HEX256];

	(void)state;
	/* Any change of input changes the signature. */
	assert_int_equal(edge_enos_api_signature("tok124", p, 3, NULL, 0, TS,
	    SECRET, out), 0);
	assert_string_not_equal(out, LIST_SIG);
	assert_int_equal(edge_enos_api_signature("tok123", p, 2, NULL, 0, TS,
	    SECRET, out), 0);
	assert_string_not_equal(out, LIST_SIG);
	assert_int_equal(edge_enos_api_signature("tok123", p, 3, "{}", 2, TS,
	    SECRET, out), 0);
	assert_string_not_equal(out, LIST_SIG);
	assert_int_equal(edge_enos_api_signature("tok123", p, 3, NULL, 0, TS,
	    "yourAppSecreT", out), 0);
	assert_string_not_equal(out, LIST_SIG);
	/* Invalid arguments. */
	assert_int_equal(edge_enos_api_signature(NULL, p, 3, NULL, 0, TS,
	    SECRET, out), EDGE_EINPUT);
	assert_int_equal(edge_enos_api_signature("tok123", NULL, 3, NULL, 0, TS,
	    SECRET, out), EDGE_EINPUT);
	assert_int_equal(edge_enos_api_signature("tok123", p, 3, NULL, 5, TS,
	    SECRET, out), EDGE_EINPUT);
	assert_int_equal(edge_enos_api_signature("tok123", bad, 1, NULL, 0, TS,
	    SECRET, out), EDGE_EINPUT);
	/* No parameters, no body is valid: token + ts + secret. */
	assert_int_equal(edge_enos_api_signature("t", NULL, 0, NULL, 0, TS,
	    SECRET, out), 0);
	assert_int_equal(strlen(out), 64);
}

static void
mqtt_password_vectors(void **state)
{
	char out[EDGE_ENOS_HEX256];

	(void)state;
	assert_int_equal(edge_enos_mqtt_password("sha256", "123", "test", "123",
	    "1524448722000", "deviceSecretxxx", false, out, sizeof(out)), 0);
	assert_string_equal(out, PW_SHA256);
	assert_int_equal(edge_enos_mqtt_password("sha1", "123", "test", "123",
	    "1524448722000", "deviceSecretxxx", true, out, sizeof(out)), 0);
	assert_string_equal(out, PW_SHA1);
	assert_int_equal(edge_enos_mqtt_password("md5", "123", "test", "123",
	    "1524448722000", "deviceSecretxxx", false, out, sizeof(out)), 0);
	assert_string_equal(out, PW_MD5);
}

static void
mqtt_password_aliases(void **state)
{
	char out[EDGE_ENOS_HEX256];

	(void)state;
	/* The hmac* names are plain digests, not HMAC. */
	assert_int_equal(edge_enos_mqtt_password("hmacsha256", "123", "test",
	    "123", "1524448722000", "deviceSecretxxx", false, out,
	    sizeof(out)), 0);
	assert_string_equal(out, PW_SHA256);
	assert_int_equal(edge_enos_mqtt_password("HmacSHA1", "123", "test",
	    "123", "1524448722000", "deviceSecretxxx", true, out,
	    sizeof(out)), 0);
	assert_string_equal(out, PW_SHA1);
	assert_int_equal(edge_enos_mqtt_password("hmacmd5", "123", "test",
	    "123", "1524448722000", "deviceSecretxxx", true, out,
	    sizeof(out)), 0);
	assert_true(edge_enos_hex_equal(out, PW_MD5));
	assert_string_not_equal(out, PW_MD5);	/* really uppercase */
}

static void
mqtt_password_negative(void **state)
{
	char out[EDGE_ENOS_HEX256], small[41];

	(void)state;
	assert_int_equal(edge_enos_mqtt_password("sha512", "123", "test", "123",
	    "1524448722000", "deviceSecretxxx", false, out, sizeof(out)),
	    EDGE_EINPUT);
	assert_int_equal(edge_enos_mqtt_password("", "123", "test", "123",
	    "1524448722000", "deviceSecretxxx", false, out, sizeof(out)),
	    EDGE_EINPUT);
	assert_int_equal(edge_enos_mqtt_password("sha256", NULL, "test", "123",
	    "1524448722000", "deviceSecretxxx", false, out, sizeof(out)),
	    EDGE_EINPUT);
	/* 41 bytes hold a SHA-1 hex and its NUL but not a SHA-256 one. */
	assert_int_equal(edge_enos_mqtt_password("sha256", "123", "test", "123",
	    "1524448722000", "deviceSecretxxx", false, small, sizeof(small)),
	    EDGE_EINPUT);
	assert_int_equal(edge_enos_mqtt_password("sha1", "123", "test", "123",
	    "1524448722000", "deviceSecretxxx", true, small, sizeof(small)), 0);
	assert_string_equal(small, PW_SHA1);
	/* Wrong secret, wrong timestamp: different password. */
	assert_int_equal(edge_enos_mqtt_password("sha256", "123", "test", "123",
	    "1524448722000", "deviceSecretxxy", false, out, sizeof(out)), 0);
	assert_false(edge_enos_hex_equal(out, PW_SHA256));
	assert_int_equal(edge_enos_mqtt_password("sha256", "123", "test", "123",
	    "1524448722001", "deviceSecretxxx", false, out, sizeof(out)), 0);
	assert_false(edge_enos_hex_equal(out, PW_SHA256));
}

static void
hex_equal(void **state)
{
	(void)state;
	assert_true(edge_enos_hex_equal(PW_SHA1,
	    "dcf3f4b8d77d78b6598bdcc65a0a65c8bb3c1b08"));
	assert_true(edge_enos_hex_equal("aBcD", "AbCd"));
	assert_false(edge_enos_hex_equal("abcd", "abce"));
	assert_false(edge_enos_hex_equal("abcd", "abc"));
	assert_false(edge_enos_hex_equal("", ""));
	assert_false(edge_enos_hex_equal(NULL, "ab"));
	assert_false(edge_enos_hex_equal("ab", NULL));
	/* Only letters fold: '@' (0x40) is not '`' (0x60). */
	assert_false(edge_enos_hex_equal("@", "`"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(token_encryption_vector),
		cmocka_unit_test(api_signature_apply_vector),
		cmocka_unit_test(api_signature_list_vector),
		cmocka_unit_test(api_signature_negative),
		cmocka_unit_test(mqtt_password_vectors),
		cmocka_unit_test(mqtt_password_aliases),
		cmocka_unit_test(mqtt_password_negative),
		cmocka_unit_test(hex_equal),
	};

	return cmocka_run_group_tests_name("edge_enos", tests, NULL, NULL);
}
