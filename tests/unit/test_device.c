/* SPDX-License-Identifier: MIT */
/*
 * lib/edge_device: device.json and device.secret in a real state directory:
 * round trip, modes, hostile or truncated device.json, key rules, and that a
 * refused or failed write leaves both files as they were.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "edge_device.h"
#include "edge_file.h"

#include "testdir.h"

static int
setup(void **state)
{
	(void)state;
	return testdir_make("/tmp/edge-test-device.XXXXXX");
}

static int
teardown(void **state)
{
	(void)state;
	return testdir_remove();
}

/* Each test starts with an empty directory. */
static int
clean(void **state)
{
	(void)state;
	(void)unlinkat(dfd, EDGE_DEVICE_FILE, 0);
	(void)unlinkat(dfd, EDGE_DEVICE_FILE, AT_REMOVEDIR);
	(void)unlinkat(dfd, EDGE_DEVICE_SECRET, 0);
	return 0;
}

static void
put(const char *name, const char *text)
{
	struct edge_error err = { 0 };

	assert_int_equal(edge_file_write_atomic(dfd, name, text, strlen(text),
	    EDGE_MODE_PUBLIC, &err), EDGE_OK);
}

/* The file's content (caller frees), NULL when missing. */
static char *
get(const char *name)
{
	char *buf = NULL;
	size_t len;

	if (edge_file_read(dfd, name, EDGE_FILE_MAX, &buf, &len, NULL) != EDGE_OK)
		return NULL;
	return buf;
}

static mode_t
mode_of(const char *name)
{
	struct stat st;

	assert_int_equal(fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW), 0);
	return st.st_mode & 07777;
}

static void
fill(struct edge_device *d)
{
	memset(d, 0, sizeof(*d));
	assert_int_equal(edge_device_set(d, EDGE_DEV_PRODUCT_KEY, "pk_1.a:b-c"), EDGE_OK);
	assert_int_equal(edge_device_set(d, EDGE_DEV_DEVICE_KEY, "dev01"), EDGE_OK);
	assert_int_equal(edge_device_set(d, EDGE_DEV_ASSET_ID, "asset/1"), EDGE_OK);
	assert_int_equal(edge_device_set(d, EDGE_DEV_NAME, "Pump \"north\" \xc3\xa9"), EDGE_OK);
	assert_int_equal(edge_device_set(d, EDGE_DEV_API, "https://api.example:8443"), EDGE_OK);
	assert_int_equal(edge_device_set(d, EDGE_DEV_CERT_SN, "1234567890"), EDGE_OK);
}

static void
test_round_trip(void **state)
{
	struct edge_error err = { 0 };
	struct edge_device d, back;
	json_object *j, *v;
	char *text;
	int f;

	(void)state;
	assert_false(edge_device_exists(dfd));
	fill(&d);
	assert_int_equal(edge_device_save(dfd, &d, &err), EDGE_OK);
	assert_true(edge_device_exists(dfd));
	assert_int_equal(mode_of(EDGE_DEVICE_FILE), 0644);
	/* EnOS spelling in the file, pretty, slashes unescaped, final newline. */
	text = get(EDGE_DEVICE_FILE);
	assert_non_null(text);
	assert_non_null(strstr(text, "\n  \"productKey\":\"pk_1.a:b-c\",\n"));
	assert_non_null(strstr(text, "\"certSN\":\"1234567890\""));
	assert_non_null(strstr(text, "\"api\":\"https://api.example:8443\""));
	assert_null(strstr(text, "timezone"));	/* unknown fields not written */
	assert_int_equal(text[strlen(text) - 1], '\n');
	free(text);

	assert_int_equal(edge_device_load(dfd, &back, &err), EDGE_OK);
	for (f = 0; f < EDGE_DEV_N; f++) {
		if (d.v[f] == NULL)
			assert_null(edge_device_get(&back, f));
		else
			assert_string_equal(edge_device_get(&back, f), d.v[f]);
	}
	/* --json: snake_case, null for what is unknown. */
	j = edge_device_json(&back);
	assert_true(json_object_object_get_ex(j, "product_key", &v));
	assert_string_equal(json_object_get_string(v), "pk_1.a:b-c");
	assert_true(json_object_object_get_ex(j, "cert_sn", &v));
	assert_string_equal(json_object_get_string(v), "1234567890");
	assert_true(json_object_object_get_ex(j, "timezone", &v));
	assert_null(v);
	assert_false(json_object_object_get_ex(j, "productKey", &v));
	assert_int_equal(json_object_object_length(j), EDGE_DEV_N);
	json_object_put(j);

	/* set NULL clears; set replaces. */
	assert_int_equal(edge_device_set(&back, EDGE_DEV_NAME, NULL), EDGE_OK);
	assert_null(edge_device_get(&back, EDGE_DEV_NAME));
	assert_int_equal(edge_device_set(&back, EDGE_DEV_SERIAL, "S2"), EDGE_OK);
	assert_string_equal(edge_device_get(&back, EDGE_DEV_SERIAL), "S2");
	edge_device_free(&back);
	for (f = 0; f < EDGE_DEV_N; f++)
		assert_null(back.v[f]);
	edge_device_free(&d);
}

static void
test_key_valid(void **state)
{
	char k[EDGE_DEVICE_KEY_MAX + 2];

	(void)state;
	assert_true(edge_device_key_valid("a"));
	assert_true(edge_device_key_valid("AZaz09_-.:"));
	assert_false(edge_device_key_valid(""));
	assert_false(edge_device_key_valid("a/b"));
	assert_false(edge_device_key_valid("a+"));
	assert_false(edge_device_key_valid("#"));
	assert_false(edge_device_key_valid("a b"));
	assert_false(edge_device_key_valid("\xc3\xa9"));
	memset(k, 'k', sizeof(k));
	k[EDGE_DEVICE_KEY_MAX] = '\0';
	assert_true(edge_device_key_valid(k));
	k[EDGE_DEVICE_KEY_MAX] = 'k';
	k[EDGE_DEVICE_KEY_MAX + 1] = '\0';
	assert_false(edge_device_key_valid(k));
}

/* Load device.json text; returns the code, the message in msg. */
static int
load_text(const char *text, char *msg)
{
	struct edge_error err = { 0 };
	struct edge_device d;
	int rc, f;

	put(EDGE_DEVICE_FILE, text);
	memset(&d, 0x5a, sizeof(d));
	rc = edge_device_load(dfd, &d, &err);
	snprintf(msg, EDGE_ERR_MSG_MAX, "%s", err.msg);
	if (rc != EDGE_OK)
		for (f = 0; f < EDGE_DEV_N; f++)
			assert_null(d.v[f]);	/* nothing half loaded */
	edge_device_free(&d);
	return rc;
}

static void
test_load_hostile(void **state)
{
	struct edge_error err = { 0 };
	struct edge_device d;
	char msg[EDGE_ERR_MSG_MAX], *big;
	static const char good[] = "{\"productKey\":\"pk\",\"deviceKey\":\"dk\",\"serial\":\"s\"}";
	size_t i;

	(void)state;
	assert_int_equal(edge_device_load(dfd, &d, &err), EDGE_EINPUT);
	assert_string_equal(err.msg,
	    "not provisioned (no device.json); run edge-provision first");

	assert_int_equal(load_text(good, msg), EDGE_OK);
	/* Every truncation is refused. */
	for (i = 0; i < sizeof(good) - 1; i++) {
		char cut[sizeof(good)];

		memcpy(cut, good, i);
		cut[i] = '\0';
		assert_int_equal(load_text(cut, msg), EDGE_EINPUT);
	}
	assert_int_equal(load_text("{\"productKey\":\"pk\"}", msg), EDGE_EINPUT);
	assert_string_equal(msg, "device.json: productKey or deviceKey is missing");
	assert_int_equal(load_text("{\"productKey\":\"pk\",\"deviceKey\":null}", msg),
	    EDGE_EINPUT);
	assert_string_equal(msg, "device.json: productKey or deviceKey is missing");
	assert_int_equal(load_text("{\"productKey\":7,\"deviceKey\":\"dk\"}", msg),
	    EDGE_EINPUT);
	assert_string_equal(msg, "device.json: field productKey is not a string");
	/* Any field of the wrong type, not only the keys. */
	assert_int_equal(load_text("{\"productKey\":\"pk\",\"deviceKey\":\"dk\","
	    "\"mqtt\":[\"x\"]}", msg), EDGE_EINPUT);
	assert_string_equal(msg, "device.json: field mqtt is not a string");
	/* Keys that would be MQTT wildcards or extra topic levels. */
	assert_int_equal(load_text("{\"productKey\":\"pk/#\",\"deviceKey\":\"dk\"}",
	    msg), EDGE_EINPUT);
	assert_non_null(strstr(msg, "device.json: productKey: not a key"));
	assert_int_equal(load_text("{\"productKey\":\"pk\",\"deviceKey\":\"+\"}",
	    msg), EDGE_EINPUT);
	assert_non_null(strstr(msg, "device.json: deviceKey: not a key"));
	assert_int_equal(load_text("{\"productKey\":\"\",\"deviceKey\":\"dk\"}",
	    msg), EDGE_EINPUT);
	/* A key with a NUL is not logged in with as its prefix ("SN"). */
	assert_int_equal(load_text("{\"productKey\":\"pk\",\"deviceKey\":"
	    "\"SN\\u0000A\"}", msg), EDGE_EINPUT);
	assert_string_equal(msg, "device.json: field deviceKey contains a NUL character");
	assert_int_equal(load_text("{\"productKey\":\"pk\",\"deviceKey\":\"dk\","
	    "\"assetId\":\"ab\\u0000IFDUKF9w\"}", msg), EDGE_EINPUT);
	assert_string_equal(msg, "device.json: field assetId contains a NUL character");
	assert_int_equal(load_text("[]", msg), EDGE_EINPUT);
	assert_int_equal(load_text("{\"productKey\":\"pk\",\"deviceKey\":\"dk\"} x",
	    msg), EDGE_EINPUT);
	/* Larger than 64 KiB: refused before parsing. */
	big = malloc(70 * 1024);
	assert_non_null(big);
	memset(big, ' ', 70 * 1024 - 1);
	memcpy(big, good, sizeof(good) - 1);
	big[70 * 1024 - 1] = '\0';
	assert_int_equal(load_text(big, msg), EDGE_EINPUT);
	assert_non_null(strstr(msg, "too large"));
	free(big);
	/* A symlink in place of device.json is not followed. */
	assert_int_equal(unlinkat(dfd, EDGE_DEVICE_FILE, 0), 0);
	assert_int_equal(symlinkat("/etc/passwd", dfd, EDGE_DEVICE_FILE), 0);
	assert_int_not_equal(edge_device_load(dfd, &d, &err), EDGE_OK);
}

static void
test_save_refuses_bad_keys(void **state)
{
	struct edge_error err = { 0 };
	struct edge_device d;
	char *before, *after;

	(void)state;
	fill(&d);
	assert_int_equal(edge_device_save(dfd, &d, &err), EDGE_OK);
	before = get(EDGE_DEVICE_FILE);
	assert_int_equal(edge_device_set(&d, EDGE_DEV_DEVICE_KEY, "dev/01"), EDGE_OK);
	assert_int_equal(edge_device_save(dfd, &d, &err), EDGE_EINPUT);
	assert_non_null(strstr(err.msg, "deviceKey: not a key"));
	assert_int_equal(edge_device_store(dfd, &d, "s3cret", &err), EDGE_EINPUT);
	after = get(EDGE_DEVICE_FILE);
	assert_string_equal(before, after);
	assert_false(edge_file_exists(dfd, EDGE_DEVICE_SECRET));
	free(before);
	free(after);
	edge_device_free(&d);
}

static void
test_store_and_secret(void **state)
{
	struct edge_error err = { 0 };
	struct edge_secret *s = NULL;
	struct edge_device d, back;
	char *text;

	(void)state;
	fill(&d);
	/* Missing: exit 3 naming the step that makes it. */
	assert_int_equal(edge_device_secret_load(dfd, &s, &err), EDGE_EINPUT);
	assert_string_equal(err.msg,
	    "device.secret: missing; run edge-provision first");
	assert_null(s);
	assert_int_equal(edge_device_store(dfd, &d, "s3cret-value", &err), EDGE_OK);
	assert_int_equal(mode_of(EDGE_DEVICE_SECRET), 0600);
	assert_int_equal(mode_of(EDGE_DEVICE_FILE), 0644);
	text = get(EDGE_DEVICE_SECRET);
	assert_string_equal(text, "s3cret-value");
	free(text);
	/* The secret never appears in device.json. */
	text = get(EDGE_DEVICE_FILE);
	assert_null(strstr(text, "s3cret"));
	free(text);
	assert_int_equal(edge_device_secret_load(dfd, &s, &err), EDGE_OK);
	assert_string_equal(s->data, "s3cret-value");
	assert_int_equal(s->len, strlen("s3cret-value"));
	edge_secret_free(&s);
	assert_int_equal(edge_device_load(dfd, &back, &err), EDGE_OK);
	assert_string_equal(edge_device_get(&back, EDGE_DEV_DEVICE_KEY), "dev01");
	edge_device_free(&back);

	/* An empty device.secret is refused, named. */
	put(EDGE_DEVICE_SECRET, "");
	assert_int_equal(edge_device_secret_load(dfd, &s, &err), EDGE_EINPUT);
	assert_null(s);
	assert_non_null(strstr(err.msg, "device.secret: "));
	edge_device_free(&d);
}

/*
 * device.json cannot be replaced (a directory in its place): neither file
 * changes, the new secret is not renamed into place alone.
 */
static void
test_store_all_or_nothing(void **state)
{
	struct edge_error err = { 0 };
	struct edge_device d;
	char *text;

	(void)state;
	fill(&d);
	put(EDGE_DEVICE_SECRET, "old-secret");
	assert_int_equal(mkdirat(dfd, EDGE_DEVICE_FILE, 0755), 0);
	assert_int_equal(edge_device_store(dfd, &d, "new-secret", &err), EDGE_ESTORE);
	assert_non_null(strstr(err.msg, EDGE_DEVICE_FILE));
	text = get(EDGE_DEVICE_SECRET);
	assert_string_equal(text, "old-secret");
	free(text);
	/* And no temporary file is left behind. */
	{
		char cmd[160];

		snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A %s | grep tmp)\"", dir);
		assert_int_equal(system(cmd), 0);
	}
	edge_device_free(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_round_trip, clean),
		cmocka_unit_test(test_key_valid),
		cmocka_unit_test_setup(test_load_hostile, clean),
		cmocka_unit_test_setup(test_save_refuses_bad_keys, clean),
		cmocka_unit_test_setup(test_store_and_secret, clean),
		cmocka_unit_test_setup(test_store_all_or_nothing, clean),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
