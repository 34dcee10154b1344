/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for lib/edge_thing.c: the EnOS thing-message rules of
 * ENOS-PROTOCOL.md 9.3 (payloads, replies) and 9.4 (topics), including
 * oversized keys and ids and hostile input.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "edge_thing.h"

#define PK	"pk1"
#define DK	"dk1"
#define NOW	1700000000123LL

static char *
repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void
method_ok_accepts_uplink_methods(void **state)
{
	/* Every uplink method of ENOS-PROTOCOL.md 9.4 that the edge may send. */
	static const char *const ok[] = {
		"thing.measurepoint.post", "thing.measurepoint.post.batch",
		"thing.event.alarm_1.post", "thing.attribute.update",
		"thing.device.register", "thing.topo.add", "thing.topo.get",
		"thing.topo.delete", "thing.A-b_9.x",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		assert_true(edge_thing_method_ok(ok[i]));
}

static void
method_ok_refuses_hostile_methods(void **state)
{
	static const char *const bad[] = {
		"", "thing", "thing.", "thingx.post", "combine.login",
		"thing.service.reboot", "thing.service.measurepoint.set",
		"thing..post", "thing.post.", "thing.a/b", "thing.+", "thing.#",
		"thing.a b", "thing.a\nb", "thing.\xc3\xa9", "Thing.post",
		"thing.a..b.c",
	};
	char *m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(edge_thing_method_ok(bad[i]));
	/* Bounded: exactly EDGE_THING_METHOD_MAX is the longest. */
	m = repeat('a', EDGE_THING_METHOD_MAX);
	memcpy(m, "thing.", 6);
	assert_true(edge_thing_method_ok(m));
	free(m);
	m = repeat('a', EDGE_THING_METHOD_MAX + 1);
	memcpy(m, "thing.", 6);
	assert_false(edge_thing_method_ok(m));
	free(m);
}

static void
method_to_topic(void **state)
{
	static const char *const v[][2] = {
		{ "thing.measurepoint.post", "/sys/pk1/dk1/thing/measurepoint/post" },
		{ "thing.measurepoint.post.batch", "/sys/pk1/dk1/thing/measurepoint/post/batch" },
		{ "thing.event.alarm.post", "/sys/pk1/dk1/thing/event/alarm/post" },
		{ "thing.attribute.update", "/sys/pk1/dk1/thing/attribute/update" },
		{ "thing.device.register", "/sys/pk1/dk1/thing/device/register" },
		{ "thing.topo.add", "/sys/pk1/dk1/thing/topo/add" },
		{ "thing.topo.get", "/sys/pk1/dk1/thing/topo/get" },
		{ "thing.topo.delete", "/sys/pk1/dk1/thing/topo/delete" },
	};
	size_t i;
	char *t;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		t = edge_thing_topic(PK, DK, v[i][0]);
		assert_non_null(t);
		assert_string_equal(t, v[i][1]);
		free(t);
	}
	/* Only the method's dots turn into slashes, not the keys'. */
	t = edge_thing_topic("p.k", "d.k", "thing.a.b");
	assert_string_equal(t, "/sys/p.k/d.k/thing/a/b");
	free(t);
}

static void
topic_with_oversized_keys(void **state)
{
	char *pk = repeat('p', 5000), *dk = repeat('d', 70000), *t, *r;

	(void)state;
	t = edge_thing_topic(pk, dk, "thing.measurepoint.post");
	assert_non_null(t);
	assert_int_equal(strlen(t), 5 + 5000 + 1 + 70000 + 1 +
	    strlen("thing/measurepoint/post"));
	assert_string_equal(t + strlen(t) - 24, "/thing/measurepoint/post");
	/* Not cut at any fixed size. */
	r = edge_thing_reply_topic(t);
	assert_int_equal(strlen(r), strlen(t) + 6);
	assert_true(edge_thing_is_reply(r));
	free(r);
	free(t);
	t = edge_thing_down_topic(pk, dk, 0);
	assert_int_equal(strlen(t), 5 + 5000 + 1 + 70000 + 1 +
	    strlen("thing/service/+"));
	free(t);
	free(pk);
	free(dk);
}

static void
downlink_topics(void **state)
{
	static const char *const want[EDGE_THING_NDOWN] = {
		"/sys/pk1/dk1/thing/service/+",
		"/sys/pk1/dk1/thing/service/measurepoint/set",
		"/sys/pk1/dk1/thing/enable", "/sys/pk1/dk1/thing/disable",
		"/sys/pk1/dk1/thing/delete",
	};
	size_t i;
	char *t;

	(void)state;
	for (i = 0; i < EDGE_THING_NDOWN; i++) {
		t = edge_thing_down_topic(PK, DK, i);
		assert_non_null(t);
		assert_string_equal(t, want[i]);
		free(t);
	}
	assert_null(edge_thing_down_topic(PK, DK, EDGE_THING_NDOWN));
	assert_null(edge_thing_down_topic(PK, DK, (size_t)-1));
}

static void
reply_topics(void **state)
{
	char *r;

	(void)state;
	r = edge_thing_reply_topic("/sys/pk1/dk1/thing/service/reboot");
	assert_string_equal(r, "/sys/pk1/dk1/thing/service/reboot_reply");
	free(r);
	assert_true(edge_thing_is_reply("/sys/pk1/dk1/thing/enable_reply"));
	assert_true(edge_thing_is_reply("_reply"));
	assert_false(edge_thing_is_reply("/sys/pk1/dk1/thing/enable"));
	assert_false(edge_thing_is_reply("/x/_reply/y"));
	assert_false(edge_thing_is_reply("reply"));
	assert_false(edge_thing_is_reply(""));
}

/* Wrap line, expect EDGE_OK, compare topic and text. */
static void
wrap_ok(const char *line, unsigned long long id, const char *topic,
    const char *text)
{
	struct edge_thing_msg m;
	struct edge_error err = { 0 };

	assert_int_equal(edge_thing_wrap(PK, DK, line, strlen(line), id, NOW,
	    &m, &err), EDGE_OK);
	assert_non_null(m.topic);
	assert_string_equal(m.topic, topic);
	assert_string_equal(m.text, text);
	edge_thing_msg_free(&m);
	assert_null(m.text);
}

/* Wrap line, expect EDGE_EINPUT with why. */
static void
wrap_bad(const char *line, size_t len, const char *why)
{
	struct edge_thing_msg m;
	struct edge_error err = { 0 };

	assert_int_equal(edge_thing_wrap(PK, DK, line, len, 1, NOW, &m, &err),
	    EDGE_EINPUT);
	assert_string_equal(err.msg, why);
	edge_thing_msg_free(&m);
}

static void
wrap_plain_points(void **state)
{
	(void)state;
	/* As it came (number formatting and member order kept), with the time. */
	wrap_ok("{\"temp\":21.50,\"b\":{\"value\":1,\"quality\":9}}", 7,
	    "/sys/pk1/dk1/thing/measurepoint/post",
	    "{\"id\":\"7\",\"version\":\"1.0\",\"method\":\"thing.measurepoint.post\","
	    "\"params\":{\"measurepoints\":{\"temp\":21.50,\"b\":{\"value\":1,\"quality\":9}},"
	    "\"time\":1700000000123}}");
	/* Trailing CR, blanks and tabs are not part of the message. */
	wrap_ok("{\"t\":1} \t\r", 18446744073709551615ULL,
	    "/sys/pk1/dk1/thing/measurepoint/post",
	    "{\"id\":\"18446744073709551615\",\"version\":\"1.0\","
	    "\"method\":\"thing.measurepoint.post\",\"params\":{\"measurepoints\":"
	    "{\"t\":1},\"time\":1700000000123}}");
}

static void
wrap_given_points(void **state)
{
	(void)state;
	wrap_ok("{\"measurepoints\":{\"power\":{\"value\":1.5,\"quality\":9}},"
	    "\"time\":1600000000000}", 2, "/sys/pk1/dk1/thing/measurepoint/post",
	    "{\"id\":\"2\",\"version\":\"1.0\",\"method\":\"thing.measurepoint.post\","
	    "\"params\":{\"measurepoints\":{\"power\":{\"value\":1.5,\"quality\":9}},"
	    "\"time\":1600000000000}}");
	/* Without a time: now. Other members are dropped. */
	wrap_ok("{\"measurepoints\":{\"a\":1},\"time\":253402300799999}", 4,
	    "/sys/pk1/dk1/thing/measurepoint/post",
	    "{\"id\":\"4\",\"version\":\"1.0\",\"method\":\"thing.measurepoint.post\","
	    "\"params\":{\"measurepoints\":{\"a\":1},\"time\":253402300799999}}");
	wrap_ok("{\"measurepoints\":{\"a\":1},\"time\":0}", 4,
	    "/sys/pk1/dk1/thing/measurepoint/post",
	    "{\"id\":\"4\",\"version\":\"1.0\",\"method\":\"thing.measurepoint.post\","
	    "\"params\":{\"measurepoints\":{\"a\":1},\"time\":0}}");
	wrap_ok("{\"measurepoints\":{\"a\":1},\"x\":true}", 3,
	    "/sys/pk1/dk1/thing/measurepoint/post",
	    "{\"id\":\"3\",\"version\":\"1.0\",\"method\":\"thing.measurepoint.post\","
	    "\"params\":{\"measurepoints\":{\"a\":1},\"time\":1700000000123}}");
}

static void
wrap_own_method(void **state)
{
	(void)state;
	/* id, version and params added when missing. */
	wrap_ok("{\"method\":\"thing.event.alarm.post\"}", 5,
	    "/sys/pk1/dk1/thing/event/alarm/post",
	    "{\"method\":\"thing.event.alarm.post\",\"id\":\"5\",\"version\":\"1.0\","
	    "\"params\":{}}");
	/* Given ones kept; a number id becomes a string. */
	wrap_ok("{\"method\":\"thing.attribute.update\",\"id\":42,\"version\":\"1.1\","
	    "\"params\":{\"a\":[1,2]}}", 5, "/sys/pk1/dk1/thing/attribute/update",
	    "{\"method\":\"thing.attribute.update\",\"id\":\"42\",\"version\":\"1.1\","
	    "\"params\":{\"a\":[1,2]}}");
	wrap_ok("{\"method\":\"thing.measurepoint.post.batch\",\"id\":\"x\"}", 1,
	    "/sys/pk1/dk1/thing/measurepoint/post/batch",
	    "{\"method\":\"thing.measurepoint.post.batch\",\"id\":\"x\","
	    "\"version\":\"1.0\",\"params\":{}}");
	/* A null id is no id (it crashed: json_object_new_string(NULL)). */
	wrap_ok("{\"method\":\"thing.event.x.post\",\"id\":null}", 9,
	    "/sys/pk1/dk1/thing/event/x/post",
	    "{\"method\":\"thing.event.x.post\",\"id\":\"9\",\"version\":\"1.0\","
	    "\"params\":{}}");
	/* A key written with escapes is what json-c reads: still the method. */
	wrap_ok(" {\"m\\u0065thod\":\"thing.event.alarm.post\"}", 5,
	    "/sys/pk1/dk1/thing/event/alarm/post",
	    "{\"method\":\"thing.event.alarm.post\",\"id\":\"5\",\"version\":\"1.0\","
	    "\"params\":{}}");
	/* Points under escaped keys: as they came, like the plain line. */
	wrap_ok("{\"t\\u00e9\":1}", 2, "/sys/pk1/dk1/thing/measurepoint/post",
	    "{\"id\":\"2\",\"version\":\"1.0\",\"method\":\"thing.measurepoint.post\","
	    "\"params\":{\"measurepoints\":{\"t\\u00e9\":1},\"time\":1700000000123}}");
	/* "method" or "measurepoints" below the top is a point like any other. */
	wrap_ok("{\"a\":{\"method\":1,\"measurepoints\":2}}", 3,
	    "/sys/pk1/dk1/thing/measurepoint/post",
	    "{\"id\":\"3\",\"version\":\"1.0\",\"method\":\"thing.measurepoint.post\","
	    "\"params\":{\"measurepoints\":{\"a\":{\"method\":1,\"measurepoints\":2}},"
	    "\"time\":1700000000123}}");
}

static void
wrap_oversized_id(void **state)
{
	size_t n = 100000;
	char *id = repeat('i', n), *line;
	struct edge_thing_msg m;
	struct edge_error err = { 0 };

	(void)state;
	assert_true(asprintf(&line, "{\"method\":\"thing.a\",\"id\":\"%s\"}", id) > 0);
	assert_int_equal(edge_thing_wrap(PK, DK, line, strlen(line), 1, NOW, &m,
	    &err), EDGE_OK);
	assert_non_null(strstr(m.text, id));
	assert_string_equal(m.topic, "/sys/pk1/dk1/thing/a");
	edge_thing_msg_free(&m);
	free(line);
	free(id);
}

static void
wrap_blank(void **state)
{
	static const char *const blank[] = { "", " ", "\t \r", "\r" };
	struct edge_thing_msg m;
	struct edge_error err = { 0 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(blank) / sizeof(blank[0]); i++) {
		assert_int_equal(edge_thing_wrap(PK, DK, blank[i],
		    strlen(blank[i]), 1, NOW, &m, &err), EDGE_OK);
		assert_null(m.text);
		assert_null(m.topic);
	}
}

static void
wrap_refuses(void **state)
{
	static const char nul[] = "{\"a\":1}\0{\"b\":2}";

	(void)state;
	wrap_bad("not json", 8, "not JSON");
	wrap_bad("{\"a\":1", 6, "not JSON");
	wrap_bad("{\"a\":1}{\"b\":2}", 14, "not JSON");
	wrap_bad(nul, sizeof(nul) - 1, "not JSON");
	wrap_bad("[1,2]", 5, "not a JSON object");
	wrap_bad("\"s\"", 3, "not a JSON object");
	wrap_bad("42", 2, "not a JSON object");	/* JSON, but not an object */
	wrap_bad("null", 4, "not a JSON object");
	/* What json-c's strict mode alone let through, forwarded as it came. */
	wrap_bad("{'a':1}", 7, "not JSON");
	wrap_bad("{\"t\":NaN}", 9, "not JSON");
	wrap_bad("{\"t\":-Infinity}", 15, "not JSON");
	wrap_bad("{\"t\":\"a\tb\"}", 11, "not JSON");
	wrap_bad("{\"t\":\"\xc0\xaf\"}", 10, "not JSON");
	wrap_bad("{}", 2, "no measurepoints");
	wrap_bad("{\"measurepoints\":{}}", 20, "no measurepoints");
	wrap_bad("{\"measurepoints\":[1]}", 21, "\"measurepoints\" is not an object");
	wrap_bad("{\"measurepoints\":{\"a\":1},\"time\":\"now\"}", 38,
	    "\"time\" is not milliseconds");
	wrap_bad("{\"measurepoints\":{\"a\":1},\"time\":1.5}", 36,
	    "\"time\" is not milliseconds");
	wrap_bad("{\"method\":\"thing.service.reboot\"}", 33,
	    "\"method\" is not an uplink method thing.*");
	wrap_bad("{\"method\":\"thing.#\"}", 20,
	    "\"method\" is not an uplink method thing.*");
	wrap_bad("{\"method\":\"thing.a/../b\"}", 25,
	    "\"method\" is not an uplink method thing.*");
	wrap_bad("{\"method\":7}", 12, "\"method\" is not an uplink method thing.*");
	wrap_bad("{\"method\":null}", 15, "\"method\" is not an uplink method thing.*");
	/* A NUL would pass the method check on its prefix (thing.event.a). */
	wrap_bad("{\"method\":\"thing.event.a\\u0000b.post\",\"params\":{}}", 50,
	    "\"method\" is not an uplink method thing.*");
	/* A trailing NUL is not a blank: strchr(" \t\r", 0) matches. */
	wrap_bad("{\"t\":2}", 8, "not JSON");
	/* time: milliseconds from 1970 to the end of year 9999. */
	wrap_bad("{\"measurepoints\":{\"t\":1},\"time\":-5}", 35,
	    "\"time\" is not milliseconds");
	wrap_bad("{\"measurepoints\":{\"t\":1},\"time\":253402300800000}", 48,
	    "\"time\" is not milliseconds");
	wrap_bad("{\"measurepoints\":{\"t\":1},\"time\":99999999999999999999}", 53,
	    "\"time\" is not milliseconds");
}

static void
wrap_refuses_deep_nesting(void **state)
{
	char line[256];
	size_t i, n = 0;

	(void)state;
	n += (size_t)snprintf(line, sizeof(line), "{\"a\":");
	for (i = 0; i < 40; i++)
		line[n++] = '[';
	for (i = 0; i < 40; i++)
		line[n++] = ']';
	line[n++] = '}';
	line[n] = '\0';
	wrap_bad(line, n, "not JSON");
	/* 16 levels: json-c refuses them, and so does the plain line's check. */
	wrap_bad("{\"t\":[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]}", 37, "not JSON");
	wrap_ok("{\"t\":[[[[[[[[[[[[[[1]]]]]]]]]]]]]]}", 1,
	    "/sys/pk1/dk1/thing/measurepoint/post",
	    "{\"id\":\"1\",\"version\":\"1.0\",\"method\":\"thing.measurepoint.post\","
	    "\"params\":{\"measurepoints\":{\"t\":[[[[[[[[[[[[[[1]]]]]]]]]]]]]]},"
	    "\"time\":1700000000123}}");
}

static void
wrap_oversized_message(void **state)
{
	/* A line that fits, whose envelope does not. */
	size_t n = EDGE_THING_MSG_MAX - 20;
	char *line = repeat('x', n);
	struct edge_thing_msg m;
	struct edge_error err = { 0 };

	(void)state;
	memcpy(line, "{\"a\":\"", 6);
	memcpy(line + n - 2, "\"}", 2);
	assert_int_equal(edge_thing_wrap(PK, DK, line, n, 1, NOW, &m, &err),
	    EDGE_EINPUT);
	assert_string_equal(err.msg, "message above 512 KB");
	edge_thing_msg_free(&m);
	/* One that fits with its envelope. */
	n = EDGE_THING_MSG_MAX - 200;
	memcpy(line + n - 2, "\"}", 2);
	assert_int_equal(edge_thing_wrap(PK, DK, line, n, 1, NOW, &m, &err),
	    EDGE_OK);
	assert_true(strlen(m.text) <= EDGE_THING_MSG_MAX);
	edge_thing_msg_free(&m);
	free(line);
}

static void
answer_shapes(void **state)
{
	json_object *id = json_object_new_string("41"), *data;
	char *t;

	(void)state;
	t = edge_thing_answer(id, 200, NULL, NULL);
	assert_string_equal(t, "{\"id\":\"41\",\"code\":200,\"data\":{}}");
	free(t);
	data = json_object_new_object();
	json_object_object_add(data, "ok", json_object_new_boolean(1));
	t = edge_thing_answer(id, 1102, data, "busy: 4 commands already running");
	assert_string_equal(t, "{\"id\":\"41\",\"code\":1102,\"data\":{\"ok\":true},"
	    "\"message\":\"busy: 4 commands already running\"}");
	free(t);
	/* The id is echoed whatever it is; a message is escaped. */
	t = edge_thing_answer(NULL, 200, NULL, "a\"b\n");
	assert_string_equal(t, "{\"id\":null,\"code\":200,\"data\":{},"
	    "\"message\":\"a\\\"b\\n\"}");
	free(t);
	/* The id stays the caller's. */
	assert_string_equal(json_object_get_string(id), "41");
	json_object_put(id);
}

static json_object *
parse(const char *s)
{
	json_object *o = NULL;

	assert_int_equal(edge_json_parse(s, strlen(s), "test", &o, NULL), EDGE_OK);
	return o;
}

static void
ack_shapes(void **state)
{
	struct edge_thing_ack a;
	json_object *o;

	(void)state;
	o = parse("{\"id\":\"3\",\"code\":200,\"data\":{}}");
	edge_thing_ack_parse(o, &a);
	assert_true(a.ok);
	assert_string_equal(a.id, "3");
	assert_string_equal(a.code, "200");
	assert_null(a.message);
	json_object_put(o);
	o = parse("{\"id\":\"4\",\"code\":1102,\"message\":\"bad point\"}");
	edge_thing_ack_parse(o, &a);
	assert_false(a.ok);
	assert_string_equal(a.code, "1102");
	assert_string_equal(a.message, "bad point");
	json_object_put(o);
	/* No code is not success; a code "200" as a string is (json-c reads it). */
	o = parse("{\"data\":{}}");
	edge_thing_ack_parse(o, &a);
	assert_false(a.ok);
	assert_null(a.id);
	assert_null(a.code);
	json_object_put(o);
	o = parse("{\"code\":\"200\"}");
	edge_thing_ack_parse(o, &a);
	assert_true(a.ok);
	json_object_put(o);
	o = parse("{\"code\":[200]}");
	edge_thing_ack_parse(o, &a);
	assert_false(a.ok);
	json_object_put(o);
}

/* edge_thing_ack_ok: yes only where ack_parse says ok; no sends it there. */
static void
ack_fast(const char *reply, bool ok, const char *id)
{
	char got[16] = "unchanged";
	struct edge_thing_ack a;
	json_object *o;

	assert_int_equal(edge_thing_ack_ok(reply, strlen(reply), got,
	    sizeof(got)), ok);
	if (!ok)
		return;
	assert_string_equal(got, id);
	o = parse(reply);
	edge_thing_ack_parse(o, &a);
	assert_true(a.ok);
	assert_string_equal(a.id ? a.id : "?", id);
	json_object_put(o);
}

static void
ack_ok_without_json_c(void **state)
{
	(void)state;
	ack_fast("{\"id\":\"3\",\"code\":200,\"data\":{}}", true, "3");
	ack_fast(" { \"code\" : 200 , \"data\":{\"code\":1}, \"id\":\"x\"} ", true,
	    "x");
	ack_fast("{\"code\":200}", true, "?");
	/* Rejections, and all it is not sure of, go to json-c. */
	ack_fast("{\"id\":\"4\",\"code\":1102,\"message\":\"bad\"}", false, NULL);
	ack_fast("{\"code\":200,\"code\":1102}", false, NULL);	/* json-c: last */
	ack_fast("{\"code\":1102,\"code\":200}", false, NULL);
	ack_fast("{\"c\\u006fde\":1102,\"code\":200}", false, NULL);
	ack_fast("{\"code\":\"200\"}", false, NULL);
	ack_fast("{\"code\":200.0}", false, NULL);
	ack_fast("{\"code\":2000}", false, NULL);
	ack_fast("{\"code\":[200]}", false, NULL);
	ack_fast("{\"data\":{\"code\":200}}", false, NULL);
	ack_fast("[{\"code\":200}]", false, NULL);
	ack_fast("{\"code\":200", false, NULL);
	ack_fast("{\"code\":200}x", false, NULL);
	ack_fast("{\"id\":7,\"code\":200}", false, NULL);
	ack_fast("{\"id\":\"a\\\"b\",\"code\":200}", false, NULL);
	ack_fast("{\"id\":\"1\",\"id\":\"2\",\"code\":200}", false, NULL);
	ack_fast("{\"id\":\"0123456789abcdef\",\"code\":200}", false, NULL);
	assert_false(edge_thing_ack_ok("{\"code\":200}\0", 14, (char[8]){ 0 }, 8));
}

static void
command_shape(void **state)
{
	json_object *o, *line;

	(void)state;
	o = parse("{\"id\":\"41\",\"version\":\"1.0\",\"method\":"
	    "\"thing.service.measurepoint.set\",\"params\":{\"temperature\":30.5},"
	    "\"extra\":1}");
	line = edge_thing_command("/sys/pk1/dk1/thing/service/measurepoint/set", o);
	assert_string_equal(edge_json_text(line),
	    "{\"topic\":\"/sys/pk1/dk1/thing/service/measurepoint/set\","
	    "\"method\":\"thing.service.measurepoint.set\",\"id\":\"41\","
	    "\"params\":{\"temperature\":30.5}}");
	json_object_put(line);
	json_object_put(o);
	o = parse("{}");
	line = edge_thing_command("t", o);
	assert_string_equal(edge_json_text(line),
	    "{\"topic\":\"t\",\"method\":null,\"id\":null,\"params\":null}");
	json_object_put(line);
	json_object_put(o);
}

static void
replies_set(void **state)
{
	struct edge_thing_replies r = { 0 };
	char *big = repeat('t', 3000);

	(void)state;
	assert_int_equal(edge_thing_replies_add(&r, "/a/post"), 1);
	assert_string_equal(r.topic[r.n - 1], "/a/post_reply");
	assert_int_equal(edge_thing_replies_add(&r, "/a/post"), 0);
	assert_int_equal(edge_thing_replies_add(&r, "/a/update"), 1);
	assert_int_equal(r.n, 2);
	assert_true(edge_thing_replies_has(&r, "/a/post_reply"));
	assert_true(edge_thing_replies_has(&r, "/a/update_reply"));
	assert_false(edge_thing_replies_has(&r, "/a/post"));
	assert_false(edge_thing_replies_has(&r, "/a/other_reply"));
	/* A long topic is kept whole: a cut one would never match. */
	assert_int_equal(edge_thing_replies_add(&r, big), 1);
	assert_int_equal(strlen(r.topic[2]), 3006);
	edge_thing_replies_free(&r);
	assert_int_equal(r.n, 0);
	assert_null(r.topic);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(method_ok_accepts_uplink_methods),
		cmocka_unit_test(method_ok_refuses_hostile_methods),
		cmocka_unit_test(method_to_topic),
		cmocka_unit_test(topic_with_oversized_keys),
		cmocka_unit_test(downlink_topics),
		cmocka_unit_test(reply_topics),
		cmocka_unit_test(wrap_plain_points),
		cmocka_unit_test(wrap_given_points),
		cmocka_unit_test(wrap_own_method),
		cmocka_unit_test(wrap_oversized_id),
		cmocka_unit_test(wrap_blank),
		cmocka_unit_test(wrap_refuses),
		cmocka_unit_test(wrap_refuses_deep_nesting),
		cmocka_unit_test(wrap_oversized_message),
		cmocka_unit_test(answer_shapes),
		cmocka_unit_test(ack_shapes),
		cmocka_unit_test(ack_ok_without_json_c),
		cmocka_unit_test(command_shape),
		cmocka_unit_test(replies_set),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
