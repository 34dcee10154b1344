/* SPDX-License-Identifier: MIT */
/* lib/edge_dynact: the activation answer (ENOS-PROTOCOL.md 6.3), good and hostile. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "edge_dynact.h"

#define GOOD "{\"id\":\"9\",\"method\":\"thing.activate.info\",\"params\":" \
	"{\"assetId\":\"A1\",\"productKey\":\"pk1\",\"deviceKey\":\"dk1\"," \
	"\"deviceSecret\":\"s3cr3t\"}}"

static int
answer(const char *text, char **id, char **asset, struct edge_secret **s,
    struct edge_error *err)
{
	return edge_dynact_answer(text, strlen(text), "pk1", "dk1", id, asset, s,
	    err);
}

static void
good_answer(void **state)
{
	struct edge_secret *s = NULL;
	char *id = NULL, *asset = NULL;

	(void)state;
	assert_int_equal(answer(GOOD, &id, &asset, &s, NULL), EDGE_OK);
	assert_string_equal(id, "9");
	assert_string_equal(asset, "A1");
	assert_non_null(s);
	assert_string_equal(s->data, "s3cr3t");
	free(id);
	free(asset);
	edge_secret_free(&s);
}

static void
bad(const char *text, const char *why)
{
	struct edge_secret *s = (struct edge_secret *)1;
	struct edge_error err = { 0 };
	char *id = (char *)"x", *asset = (char *)"x";

	assert_int_equal(answer(text, &id, &asset, &s, &err), EDGE_EINPUT);
	assert_null(id);
	assert_null(asset);
	assert_null(s);
	if (strstr(err.msg, why) == NULL)
		fail_msg("%s: %s", text, err.msg);
}

static void
hostile_answers(void **state)
{
	(void)state;
	bad("", "activation answer: not valid JSON");
	bad("{\"id\":\"9\"", "not valid JSON");
	bad("[]", "not a JSON object");
	bad("{\"params\":{}}", "field id is missing");
	bad("{\"id\":9,\"params\":{}}", "field id is not");
	bad("{\"id\":\"9\"}", "field params is missing");
	bad("{\"id\":\"9\",\"params\":[]}", "field params is not");
	bad("{\"id\":\"9\",\"params\":{\"productKey\":\"pk1\",\"deviceKey\":\"dk1\","
	    "\"deviceSecret\":\"s\"}}", "field assetId is missing");
	bad("{\"id\":\"9\",\"params\":{\"assetId\":\"A\",\"productKey\":\"pk1\","
	    "\"deviceKey\":\"dk1\"}}", "field deviceSecret is missing");
	bad("{\"id\":\"9\",\"params\":{\"assetId\":\"A\",\"productKey\":\"pk1\","
	    "\"deviceKey\":\"dk1\",\"deviceSecret\":null}}", "field deviceSecret is missing");
	bad("{\"id\":\"9\",\"params\":{\"assetId\":\"A\",\"productKey\":\"pk1\","
	    "\"deviceKey\":\"dk1\",\"deviceSecret\":7}}", "field deviceSecret is not");
	/* Another device's answer is not ours to store. */
	bad("{\"id\":\"9\",\"params\":{\"assetId\":\"A\",\"productKey\":\"pk1\","
	    "\"deviceKey\":\"dk2\",\"deviceSecret\":\"s\"}}",
	    "activation answer: names device pk1/dk2");
	bad("{\"id\":\"9\",\"params\":{\"assetId\":\"A\",\"productKey\":\"PK1\","
	    "\"deviceKey\":\"dk1\",\"deviceSecret\":\"s\"}}", "names device PK1/dk1");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(good_answer),
		cmocka_unit_test(hostile_answers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
