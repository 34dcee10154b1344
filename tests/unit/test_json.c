/* SPDX-License-Identifier: MIT */
/*
 * lib/edge_json: strict parsing of outside JSON (hub answers, device.json):
 * truncation, trailing data, depth, non-strict syntax; typed member access
 * with its messages.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "edge_json.h"

/* Parse a C string; returns the code, *msg the message (may be NULL). */
static int
parse(const char *s, json_object **o, struct edge_error *err)
{
	memset(err, 0, sizeof(*err));
	return edge_json_parse(s, strlen(s), "answer", o, err);
}

static void
test_parse_ok(void **state)
{
	struct edge_error err;
	json_object *o = (json_object *)(uintptr_t)1;
	const char *s;
	long long n;

	(void)state;
	assert_int_equal(parse(" {\"a\":\"x\",\"n\":-7}\r\n\t ", &o, &err), EDGE_OK);
	assert_non_null(o);
	assert_int_equal(edge_json_string(o, "a", "answer", &s, &err), EDGE_OK);
	assert_string_equal(s, "x");
	assert_int_equal(edge_json_int(o, "n", "answer", &n, &err), EDGE_OK);
	assert_int_equal(n, -7);
	json_object_put(o);
	/* Only len bytes are read: what follows in the buffer does not count. */
	assert_int_equal(edge_json_parse("{}garbage", 2, "answer", &o, &err), EDGE_OK);
	assert_true(json_object_is_type(o, json_type_object));
	json_object_put(o);
	/* A scalar is a JSON value too; the members then say "not an object". */
	assert_int_equal(parse("42 ", &o, &err), EDGE_OK);
	assert_int_equal(edge_json_int(o, "n", "answer", &n, &err), EDGE_EINPUT);
	assert_string_equal(err.msg, "answer: not a JSON object");
	json_object_put(o);
}

static void
expect_bad(const char *text, size_t len, const char *msg)
{
	struct edge_error err = { 0 };
	json_object *o = (json_object *)(uintptr_t)1;

	assert_int_equal(edge_json_parse(text, len, "answer", &o, &err), EDGE_EINPUT);
	assert_null(o);
	assert_int_equal(err.code, EDGE_EINPUT);
	if (msg != NULL)
		assert_string_equal(err.msg, msg);
	else
		assert_non_null(strstr(err.msg, "answer: not valid JSON ("));
}

static void
test_parse_hostile(void **state)
{
	static const char full[] = "{\"code\":0,\"msg\":\"ok\",\"data\":{\"k\":[1,2]}}";
	size_t i;

	(void)state;
	/* Every truncation of a valid answer is refused, never half taken. */
	for (i = 0; i < sizeof(full) - 1; i++)
		expect_bad(full, i, NULL);
	expect_bad(full, 10, "answer: not valid JSON (truncated)");
	expect_bad("", 0, "answer: not valid JSON (truncated)");
	/* A second value or junk after the first (json-c's strict mode). */
	expect_bad("{} {}", 5, NULL);
	expect_bad("{}x", 3, NULL);
	/* A NUL after the value is data, not white space or the end. */
	expect_bad("{}\0{}", 5, "answer: not valid JSON (trailing data)");
	expect_bad("{} \0", 4, "answer: not valid JSON (trailing data)");
	expect_bad("{}\0\0", 4, "answer: not valid JSON (trailing data)");
	/* Strict mode: no trailing commas, comments, bare words, leading zeros. */
	expect_bad("[01]", 4, NULL);
	expect_bad("{\"a\":1,}", 8, NULL);
	expect_bad("[1,2,]", 6, NULL);
	expect_bad("{\"a\":1}/*x*/", 12, NULL);
	expect_bad("{a:1}", 5, NULL);
	expect_bad("nan", 3, NULL);
	/* Lengths beyond int are refused before the parser sees them. */
	expect_bad("{}", (size_t)0x80000000UL, "answer: too large");
}

/* Nesting deeper than the limit (16) is refused, at the limit it is taken. */
static void
test_depth(void **state)
{
	struct edge_error err = { 0 };
	json_object *o;
	char buf[256];
	int depth;

	(void)state;
	for (depth = 1; depth <= 40; depth++) {
		int i, rc;

		for (i = 0; i < depth; i++)
			buf[i] = '[';
		for (i = 0; i < depth; i++)
			buf[depth + i] = ']';
		rc = edge_json_parse(buf, (size_t)depth * 2, "answer", &o, &err);
		if (depth <= 15) {
			assert_int_equal(rc, EDGE_OK);
			json_object_put(o);
		} else if (depth > 16) {
			assert_int_equal(rc, EDGE_EINPUT);
			assert_non_null(strstr(err.msg, "not valid JSON"));
		} else if (rc == EDGE_OK) {
			json_object_put(o);
		}
	}
}

static void
test_members(void **state)
{
	struct edge_error err;
	json_object *o, *sub;
	const char *s;
	long long n;

	(void)state;
	assert_int_equal(parse("{\"s\":\"v\",\"i\":9223372036854775807,\"d\":1.5,"
	    "\"si\":\"5\",\"z\":null,\"o\":{\"x\":1},\"a\":[],\"b\":true,"
	    "\"e\":\"\"}", &o, &err), EDGE_OK);

	assert_int_equal(edge_json_int(o, "i", "w", &n, &err), EDGE_OK);
	assert_true(n == INT64_MAX);
	assert_int_equal(edge_json_string(o, "e", "w", &s, &err), EDGE_OK);
	assert_string_equal(s, "");
	assert_int_equal(edge_json_object(o, "o", "w", &sub, &err), EDGE_OK);
	assert_int_equal(edge_json_int(sub, "x", "w", &n, &err), EDGE_OK);
	assert_int_equal(n, 1);

	/* Wrong types: the message names the field and the wanted type. */
	assert_int_equal(edge_json_int(o, "d", "w", &n, &err), EDGE_EINPUT);
	assert_string_equal(err.msg, "w: field d is not an integer");
	assert_int_equal(edge_json_int(o, "si", "w", &n, &err), EDGE_EINPUT);
	assert_string_equal(err.msg, "w: field si is not an integer");
	assert_int_equal(edge_json_int(o, "b", "w", &n, &err), EDGE_EINPUT);
	assert_int_equal(edge_json_string(o, "i", "w", &s, &err), EDGE_EINPUT);
	assert_string_equal(err.msg, "w: field i is not a string");
	assert_int_equal(edge_json_string(o, "a", "w", &s, &err), EDGE_EINPUT);
	assert_int_equal(edge_json_object(o, "a", "w", &sub, &err), EDGE_EINPUT);
	assert_string_equal(err.msg, "w: field a is not an object");
	assert_int_equal(edge_json_object(o, "s", "w", &sub, &err), EDGE_EINPUT);
	/* null counts as missing. */
	assert_int_equal(edge_json_string(o, "z", "w", &s, &err), EDGE_EINPUT);
	assert_string_equal(err.msg, "w: field z is missing");
	assert_int_equal(edge_json_string(o, "nope", "w", &s, &err), EDGE_EINPUT);
	assert_string_equal(err.msg, "w: field nope is missing");
	/* Keys are matched exactly. */
	assert_int_equal(edge_json_string(o, "S", "w", &s, &err), EDGE_EINPUT);
	/* Not an object at all (NULL too). */
	assert_int_equal(edge_json_string(NULL, "s", "w", &s, &err), EDGE_EINPUT);
	assert_string_equal(err.msg, "w: not a JSON object");
	assert_int_equal(edge_json_object(o, "s", "w", &sub, NULL), EDGE_EINPUT);

	/* Optional strings: absent and null are NULL, a wrong type an error. */
	s = "x";
	assert_int_equal(edge_json_opt_string(o, "nope", "w", &s, &err), EDGE_OK);
	assert_null(s);
	s = "x";
	assert_int_equal(edge_json_opt_string(o, "z", "w", &s, &err), EDGE_OK);
	assert_null(s);
	assert_int_equal(edge_json_opt_string(o, "s", "w", &s, &err), EDGE_OK);
	assert_string_equal(s, "v");
	s = "x";
	assert_int_equal(edge_json_opt_string(o, "i", "w", &s, &err), EDGE_EINPUT);
	assert_string_equal(err.msg, "w: field i is not a string");
	assert_null(s);
	assert_int_equal(edge_json_opt_string(o, "o", "w", &s, &err), EDGE_EINPUT);
	json_object_put(o);
}

/* Duplicate keys: the last one wins (json-c), never a mix of both. */
static void
test_duplicate_and_unicode(void **state)
{
	struct edge_error err;
	json_object *o;
	const char *s;

	(void)state;
	assert_int_equal(parse("{\"k\":\"a\",\"k\":\"b\",\"u\":\"\\u00e9\\/x\"}",
	    &o, &err), EDGE_OK);
	assert_int_equal(edge_json_string(o, "k", "w", &s, &err), EDGE_OK);
	assert_string_equal(s, "b");
	assert_int_equal(edge_json_string(o, "u", "w", &s, &err), EDGE_OK);
	assert_string_equal(s, "\xc3\xa9/x");
	json_object_put(o);
	/* An escaped NUL inside a string is kept, so the string is cut there
	 * for C: callers that check keys see the short one, never past it. */
	assert_int_equal(parse("{\"k\":\"a\\u0000b\"}", &o, &err), EDGE_OK);
	assert_int_equal(edge_json_string(o, "k", "w", &s, &err), EDGE_OK);
	assert_string_equal(s, "a");
	json_object_put(o);
}

static void
test_text(void **state)
{
	json_object *o = json_object_new_object();

	(void)state;
	json_object_object_add(o, "url", json_object_new_string("https://a/b"));
	json_object_object_add(o, "n", json_object_new_int(3));
	json_object_object_add(o, "q", json_object_new_string("\"\n"));
	/* Compact, slashes as they are (the bytes are signed as sent). */
	assert_string_equal(edge_json_text(o),
	    "{\"url\":\"https://a/b\",\"n\":3,\"q\":\"\\\"\\n\"}");
	json_object_put(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_hostile),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_members),
		cmocka_unit_test(test_duplicate_and_unicode),
		cmocka_unit_test(test_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
