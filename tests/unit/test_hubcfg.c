/* SPDX-License-Identifier: MIT */
/*
 * lib/edge_hubcfg: the hub option group resolved into a struct edge_hub:
 * typed --timeout and --retries (ranges from the table, the connect timeout
 * capped at 10 s), --api without trailing slashes, application credentials
 * from options, EDGE_* or a --credentials file, and the usage errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "edge_hubcfg.h"

static const struct edge_opt no_opts[] = {
	{ NULL, 0, NULL, 0, NULL, NULL, EDGE_T_STRING, 0, 0 }
};

/* What run() saw, copied before the configuration is released. */
static struct {
	int rc;
	long total, connect;
	int retries;
	char api[128], org[64], access[64], secret[64], msg[512], pin[128];
} got;
static bool full;	/* edge_hubcfg_load() with credentials, else transport */

static void
copy(char *dst, size_t len, const char *src)
{
	if (src == NULL)
		src = "(null)";
	len = strnlen(src, len - 1);
	memcpy(dst, src, len);
	dst[len] = '\0';
}

static int
run(struct edge_ctx *ctx)
{
	struct edge_hubcfg cfg;
	struct edge_hub *h = &cfg.hub;

	memset(&got, 0, sizeof(got));
	if (full)
		got.rc = edge_hubcfg_load(ctx, &cfg, true);
	else
		got.rc = edge_hubcfg_transport(ctx, h);
	copy(got.msg, sizeof(got.msg), ctx->err.msg);
	got.total = h->http.total_timeout;
	got.connect = h->http.connect_timeout;
	got.retries = h->retries;
	copy(got.pin, sizeof(got.pin), h->http.hub_pin);
	if (full) {
		copy(got.api, sizeof(got.api), h->api);
		copy(got.org, sizeof(got.org), h->org_id);
		copy(got.access, sizeof(got.access), h->access_key);
		copy(got.secret, sizeof(got.secret),
		    h->secret_key ? h->secret_key->data : NULL);
		edge_hubcfg_free(&cfg);
	}
	return got.rc;
}

static const struct edge_tool tool = {
	.name = "edge-test",
	.summary = "A test tool.",
	.synopsis = "",
	.options = no_opts,
	.more_options = edge_hub_opts,
	.run = run,
};

static char dir[64];

/* edge_tool_main() with "-d DIR" and the arguments up to NULL, quietly. */
static int
main_of(const char *a, ...)
{
	char *argv[16] = { (char *)"edge-test", (char *)"-d", dir };
	int argc = 3, so, se, null, status;
	va_list ap;

	va_start(ap, a);
	for (; a != NULL && argc < 15; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	fflush(stdout);
	fflush(stderr);
	so = dup(1);
	se = dup(2);
	null = open("/dev/null", O_WRONLY);
	dup2(null, 1);
	dup2(null, 2);
	got.rc = 99;
	status = edge_tool_main(&tool, argc, argv);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	close(null);
	return status;
}

static int
setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/edge-test-hubcfg.XXXXXX");
	assert_non_null(mkdtemp(dir));
	setenv("EDGE_SYSTEM_CONFIG", "", 1);
	full = false;
	return 0;
}

static int
teardown(void **state)
{
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/creds", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/edge.conf", dir);
	unlink(path);
	rmdir(dir);
	unsetenv("EDGE_RETRIES");
	unsetenv("EDGE_SECRET_KEY");
	return 0;
}

static void
test_transport(void **state)
{
	(void)state;
	assert_int_equal(main_of(NULL), 0);
	assert_int_equal(got.total, 30);
	assert_int_equal(got.connect, 10);
	assert_int_equal(got.retries, 3);
	/* Connecting never takes longer than the whole request. */
	assert_int_equal(main_of("--timeout", "5", "--retries", "0", NULL), 0);
	assert_int_equal(got.total, 5);
	assert_int_equal(got.connect, 5);
	assert_int_equal(got.retries, 0);
	assert_int_equal(main_of("--timeout", "3600", "--retries", "100", NULL),
	    0);
	assert_int_equal(got.total, 3600);
	assert_int_equal(got.connect, 10);
	assert_int_equal(got.retries, 100);
	assert_string_equal(got.pin, "(null)");
	/* --hub-pin, checked: several separated by ';'. */
	assert_int_equal(main_of("--hub-pin", "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=;sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", NULL), 0);
	assert_string_equal(got.pin, "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=;sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
}

static void
test_transport_refused(void **state)
{
	(void)state;
	/* Out of range, junk or overflow: exit 2 before run(). */
	assert_int_equal(main_of("--timeout", "0", NULL), 2);
	assert_int_equal(got.rc, 99);
	assert_int_equal(main_of("--timeout", "3601", NULL), 2);
	assert_int_equal(main_of("--timeout", "18446744073709551646", NULL),
	    2);
	assert_int_equal(main_of("--timeout", " 30", NULL), 2);
	setenv("EDGE_RETRIES", "101", 1);
	assert_int_equal(main_of(NULL), 2);
	assert_int_equal(got.rc, 99);
	unsetenv("EDGE_RETRIES");
	/* A malformed pin is a usage error of run(). */
	assert_int_equal(main_of("--hub-pin", "md5//x", NULL), 2);
	assert_non_null(strstr(got.msg,
	    "--hub-pin md5//x: expected sha256//BASE64"));
	assert_int_equal(main_of("--hub-pin",
	    "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=;sha256//x", NULL), 2);
	assert_non_null(strstr(got.msg, "expected sha256//BASE64"));
	assert_int_equal(main_of("--hub-pin",
	    "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA-AA=", NULL), 2);
	assert_non_null(strstr(got.msg, ": not base64"));
	assert_int_equal(got.rc, EDGE_EUSAGE);
}

static void
test_credentials(void **state)
{
	char creds[128];
	FILE *f;

	(void)state;
	full = true;
	assert_int_equal(main_of(NULL), 2);
	assert_non_null(strstr(got.msg, "no hub address"));
	assert_int_equal(main_of("--api", "https://h.example", NULL), 2);
	assert_string_equal(got.msg,
	    "missing application credentials (org id access key secret key): give --credentials FILE or --org-id, --access-key and --secret-key");

	snprintf(creds, sizeof(creds), "%s/creds", dir);
	assert_non_null(f = fopen(creds, "w"));
	fputs("org_id = o1\naccess_key = \"ak1\"\nsecret_key = sk1\n", f);
	fclose(f);
	assert_int_equal(main_of("--api", "https://h.example//",
	    "--credentials", creds, NULL), 0);
	assert_string_equal(got.api, "https://h.example");
	assert_string_equal(got.org, "o1");
	assert_string_equal(got.access, "ak1");
	assert_string_equal(got.secret, "sk1");
	/* Options and EDGE_* (the secret itself) beat the file. */
	setenv("EDGE_SECRET_KEY", "sk-env", 1);
	assert_int_equal(main_of("--api", "https://h.example", "--org-id", "o2",
	    "--credentials", creds, NULL), 0);
	assert_string_equal(got.org, "o2");
	assert_string_equal(got.access, "ak1");
	assert_string_equal(got.secret, "sk-env");
	/* Without the file only the access key is missing. */
	assert_int_equal(main_of("--api", "https://h.example", "--org-id", "o2",
	    NULL), 2);
	assert_string_equal(got.msg,
	    "missing application credentials (access key ): give --credentials FILE or --org-id, --access-key and --secret-key");
	unsetenv("EDGE_SECRET_KEY");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_transport, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transport_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_credentials, setup,
		    teardown),
	};
	return cmocka_run_group_tests_name("edge_hubcfg", tests, NULL, NULL);
}
