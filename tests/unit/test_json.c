/* SPDX-License-Identifier: MIT */
/*
 * lib/edge_json: strict parsing of outside JSON (hub answers, device.json,
 * telemetry lines): truncation, trailing data, depth, RFC 8259 syntax (a
 * table, checked against Python's json too); typed member access with its
 * messages.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/*
 * RFC 8259 verdicts (json-c's strict mode alone took single quotes, NaN,
 * Infinity, raw control characters and lone surrogates, and called a bare
 * top-level number "truncated").  Lengths are strlen.
 */
static const struct {
	const char *text;
	bool ok;
} rfc8259[] = {
	{ "{}", true }, { "[]", true }, { "0", true }, { "-0", true },
	{ "42", true }, { "-1.5e+10", true }, { "1E-2", true }, { "0.0", true },
	{ "-0.0e-0", true }, { "true", true }, { "false", true },
	{ "null", true }, { "\"\"", true }, { " [1 , 2 ]\r\n\t", true },
	{ "{\"a\":[true,false,null,{},[]],\"b\":{\"c\":\"d\"}}", true },
	{ "\"\\u00e9\\ud83d\\ude00\\\"\\\\\\/\\b\\f\\n\\r\\t\\uFFFF\"", true },
	{ "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\x7f\"", true },
	{ "\"\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf\xf4\x8f\xbf\xbf\"", true },
	/* Single quotes, NaN, Infinity: not JSON. */
	{ "{'a':1}", false }, { "['a']", false }, { "'a'", false },
	{ "NaN", false }, { "nan", false }, { "[NaN]", false },
	{ "Infinity", false }, { "-Infinity", false },
	{ "{\"a\":Infinity}", false }, { "{\"a\":-Infinity}", false },
	/* Raw control characters inside strings. */
	{ "\"a\tb\"", false }, { "\"a\nb\"", false }, { "\"\x01\"", false },
	{ "{\"a\x1f\":1}", false },
	/* Escapes. */
	{ "\"\\x41\"", false }, { "\"\\a\"", false }, { "\"\\'\"", false },
	{ "\"\\U0041\"", false }, { "\"\\u12\"", false },
	{ "\"\\u12G4\"", false }, { "\"\\\"", false },
	/* Lone or reversed surrogates. */
	{ "\"\\ud800\"", false }, { "\"\\udc00\"", false },
	{ "\"\\ud800\\u0041\"", false }, { "\"\\ud800x\"", false },
	{ "\"\\ude00\\ud83d\"", false }, { "\"\\ud800\\ud800\"", false },
	/* Invalid, overlong, surrogate or out-of-range UTF-8. */
	{ "\"\x80\"", false }, { "\"\xc3\"", false }, { "\"\xc3(\"", false },
	{ "\"\xff\"", false }, { "\"\xfe\"", false }, { "\"\xc0\xaf\"", false },
	{ "\"\xc1\xbf\"", false }, { "\"\xe0\x80\xaf\"", false },
	{ "\"\xe0\x9f\xbf\"", false }, { "\"\xf0\x80\x80\xaf\"", false },
	{ "\"\xf0\x8f\xbf\xbf\"", false }, { "\"\xed\xa0\x80\"", false },
	{ "\"\xed\xbf\xbf\"", false }, { "\"\xf4\x90\x80\x80\"", false },
	{ "\"\xf5\x80\x80\x80\"", false }, { "\"\xe2\x82\"", false },
	{ "\xc3\xa9", false },
	/* Numbers: the grammar exactly. */
	{ "01", false }, { "[01]", false }, { "-01", false }, { "00", false },
	{ "1.", false }, { "1.e5", false }, { ".5", false }, { "+1", false },
	{ "-", false }, { "1e", false }, { "1e+", false }, { "--1", false },
	{ "0x10", false }, { "1 2", false }, { "- 1", false }, { "1.5.", false },
	/* Structure: trailing or missing commas, colons, keys. */
	{ "[1,]", false }, { "{\"a\":1,}", false }, { "[,1]", false },
	{ "{,}", false }, { "[1,,2]", false }, { "{\"a\" 1}", false },
	{ "{\"a\":}", false }, { "{1:2}", false }, { "{a:1}", false },
	{ "[1 2]", false }, { "{\"a\":1 \"b\":2}", false },
	{ "{\"a\":1}}", false }, { "]", false }, { "[}", false },
	{ "{]", false }, { "[1}", false },
	/* Comments, other white space, a byte order mark. */
	{ "/*c*/{}", false }, { "{}//c", false }, { "{}#", false },
	{ "# c\n{}", false }, { "\xef\xbb\xbf{}", false }, { "\f{}", false },
	{ "{}\v", false }, { "\xc2\xa0{}", false },
	/* Bare words, wrong case, cut literals. */
	{ "True", false }, { "NULL", false }, { "nul", false }, { "tru", false },
	{ "nulll", false }, { "[true false]", false }, { "undefined", false },
	/* Truncated. */
	{ "", false }, { " ", false }, { "\"abc", false }, { "[", false },
	{ "{", false }, { "{\"a\"", false }, { "{\"a\":", false }, { "[1", false },
	{ "\"\\u00", false }, { "\"\\ud83d\\", false },
};

static void
test_rfc8259(void **state)
{
	struct edge_error err;
	json_object *o;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(rfc8259) / sizeof(rfc8259[0]); i++) {
		memset(&err, 0, sizeof(err));
		o = (json_object *)(uintptr_t)1;
		rc = edge_json_parse(rfc8259[i].text, strlen(rfc8259[i].text),
		    "answer", &o, &err);
		if (rc != (rfc8259[i].ok ? EDGE_OK : EDGE_EINPUT))
			fail_msg("case %zu, %s: got %d (%s)", i, rfc8259[i].text,
			    rc, err.msg);
		if (rc == EDGE_OK) {
			json_object_put(o);
			continue;
		}
		assert_null(o);
		assert_non_null(strstr(err.msg, "answer: not valid JSON ("));
	}
}

/*
 * The same table through an independent parser, Python's json (NaN and
 * Infinity refused, strings encoded back to strict UTF-8 to refuse lone
 * surrogates), when python3 is there: the verdicts must agree.
 */
static void
test_rfc8259_python(void **state)
{
	static const char prog[] = "python3 -c '\n"
	    "import json, sys\n"
	    "def no(c): raise ValueError(c)\n"
	    "for h in open(sys.argv[1]):\n"
	    "    try:\n"
	    "        v = json.loads(bytes.fromhex(h.strip()).decode(), parse_constant=no)\n"
	    "        json.dumps(v, ensure_ascii=False).encode()\n"
	    "        print(1)\n"
	    "    except Exception:\n"
	    "        print(0)\n' ";
	char path[] = "/tmp/test_json.XXXXXX", cmd[sizeof(prog) + 32], line[8];
	const unsigned char *p;
	size_t i, n = 0;
	FILE *f, *py;
	int fd;

	(void)state;
	assert_true((fd = mkstemp(path)) >= 0);
	assert_non_null(f = fdopen(fd, "w"));
	for (i = 0; i < sizeof(rfc8259) / sizeof(rfc8259[0]); i++) {
		for (p = (const unsigned char *)rfc8259[i].text; *p; p++)
			fprintf(f, "%02x", *p);
		fputc('\n', f);
	}
	assert_int_equal(fclose(f), 0);
	snprintf(cmd, sizeof(cmd), "%s%s 2>/dev/null", prog, path);
	assert_non_null(py = popen(cmd, "r"));
	for (; n < i && fgets(line, sizeof(line), py) != NULL; n++)
		if ((line[0] == '1') != rfc8259[n].ok)
			fail_msg("case %zu, %s: Python says %c", n,
			    rfc8259[n].text, line[0]);
	(void)pclose(py);
	(void)unlink(path);
	if (n == 0)
		skip();	/* no python3 */
	assert_int_equal(n, i);
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
		/* edge_json_check (no json-c) draws the line at the same depth. */
		if (depth <= 15) {
			assert_int_equal(rc, EDGE_OK);
			json_object_put(o);
			assert_null(edge_json_check(buf, (size_t)depth * 2, NULL,
			    NULL));
		} else {
			assert_int_equal(rc, EDGE_EINPUT);
			assert_non_null(strstr(err.msg, "nesting too deep"));
			assert_string_equal(edge_json_check(buf, (size_t)depth * 2,
			    NULL, NULL), "nesting too deep");
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
	/*
	 * UTF-8 as it is, not escaped: json-c 0.18 (Debian 13) refuses every
	 * byte above 0x7f in strict mode ("invalid string sequence"); what
	 * edge_json_text writes must parse again (tests/fuzz/fuzz_mqtt.c).
	 */
	assert_int_equal(parse("{\"u\":\"\xc3\xa9 \xe4\xb8\xad \xed\x9e\x99 \xf0\x9f\x98\x80\"}",
	    &o, &err), EDGE_OK);
	assert_int_equal(edge_json_string(o, "u", "w", &s, &err), EDGE_OK);
	assert_string_equal(s, "\xc3\xa9 \xe4\xb8\xad \xed\x9e\x99 \xf0\x9f\x98\x80");
	json_object_put(o);
	/* An escaped NUL is valid JSON, but C would see the string cut there
	 * ("ab\0X" stored or compared as "ab"): the getters refuse it. */
	assert_int_equal(parse("{\"k\":\"ab\\u0000IFDUKF9w\",\"e\":\"\\u0000\"}",
	    &o, &err), EDGE_OK);
	s = "x";
	assert_int_equal(edge_json_string(o, "k", "w", &s, &err), EDGE_EINPUT);
	assert_string_equal(err.msg, "w: field k contains a NUL character");
	assert_string_equal(s, "x");
	assert_int_equal(edge_json_opt_string(o, "k", "w", &s, &err), EDGE_EINPUT);
	assert_string_equal(err.msg, "w: field k contains a NUL character");
	assert_null(s);
	assert_int_equal(edge_json_string(o, "e", "w", &s, &err), EDGE_EINPUT);
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

/* edge_json_check's members, written as KEY=VALUE; (a container: KEY=*). */
static void
collect(void *user, const char *k, size_t kn, const char *v, size_t vn)
{
	char *out = user;
	size_t n = strlen(out);

	snprintf(out + n, 256 - n, "%s%.*s=%.*s", n ? ";" : "", (int)kn, k,
	    v ? (int)vn : 1, v ? v : "*");
}

static void
check_members(const char *json, const char *want)
{
	char got[256] = "";

	assert_null(edge_json_check(json, strlen(json), collect, got));
	assert_string_equal(got, want);
}

static void
test_check_members(void **state)
{
	char got[256] = "";

	(void)state;
	check_members("{\"a\":1,\"b\":\"x\\\"y\",\"c\":{\"d\":2},\"e\":[3],\"f\":null}",
	    "a=1;b=\"x\\\"y\";c=*;e=*;f=null");
	check_members(" { \"\" : -1.5e3 , \"k\\u0041\" :true } ",
	    "=-1.5e3;k\\u0041=true");
	check_members("{}", "");
	/* Only a top-level object has members. */
	check_members("[{\"a\":1}]", "");
	check_members("\"a\"", "");
	/* The same verdict as edge_json_parse, and no callback needed. */
	assert_string_equal(edge_json_check("{\"a\":1", 6, NULL, NULL),
	    "truncated");
	assert_string_equal(edge_json_check("{\"a\":1}\0", 8, collect, got),
	    "trailing data");
	assert_string_equal(edge_json_check("{'a':1}", 7, NULL, NULL),
	    "unexpected character");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_hostile),
		cmocka_unit_test(test_rfc8259),
		cmocka_unit_test(test_rfc8259_python),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_members),
		cmocka_unit_test(test_duplicate_and_unicode),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_check_members),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
