/* SPDX-License-Identifier: MIT */
/*
 * lib/edge_tool: what edge_tool_main() makes of the option table: typed
 * values checked for every source before run() (exit 2, the source named,
 * JSON under --json), the typed getters, and ranges in --help and
 * --list-options.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "edge_tool.h"

static const struct edge_opt opts[] = {
	{ "count", 'C', "N", 0, "how many", "3", EDGE_T_INT, 1, 9 },
	{ "mode", 0, "fast|safe", 0, "how", NULL, EDGE_T_CHOICE, 0, 0 },
	{ "name", 0, "NAME", 0, "what", NULL, EDGE_T_STRING, 0, 0 },
	{ NULL, 0, NULL, 0, NULL, NULL, EDGE_T_STRING, 0, 0 }
};

static int runs;
static long seen_count;
static int seen_mode;

static int
run(struct edge_ctx *ctx)
{
	runs++;
	seen_count = edge_arg_long(ctx, "count", -1);
	seen_mode = edge_arg_choice(ctx, "mode");
	return EDGE_OK;
}

static const struct edge_tool tool = {
	.name = "edge-test",
	.summary = "A test tool.",
	.synopsis = "[-C N]",
	.options = opts,
	.run = run,
};

static char dir[64], out[8192], err[8192];

/* Read what fd wrote to the temporary file f, into buf. */
static void
slurp(FILE *f, char *buf, size_t len)
{
	size_t n;

	rewind(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* edge_tool_main() with stdout and stderr captured in out and err. */
static int
main_of(int argc, char **argv)
{
	FILE *fo = tmpfile(), *fe = tmpfile();
	int so, se, status;

	assert_non_null(fo);
	assert_non_null(fe);
	fflush(stdout);
	fflush(stderr);
	so = dup(1);
	se = dup(2);
	dup2(fileno(fo), 1);
	dup2(fileno(fe), 2);
	status = edge_tool_main(&tool, argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	slurp(fo, out, sizeof(out));
	slurp(fe, err, sizeof(err));
	return status;
}

static int
setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/edge-test-tool.XXXXXX");
	assert_non_null(mkdtemp(dir));
	setenv("EDGE_SYSTEM_CONFIG", "", 1);
	unsetenv("EDGE_COUNT");
	unsetenv("EDGE_MODE");
	runs = 0;
	return 0;
}

static int
teardown(void **state)
{
	char conf[128];

	(void)state;
	snprintf(conf, sizeof(conf), "%s/edge.conf", dir);
	unlink(conf);
	rmdir(dir);
	unsetenv("EDGE_COUNT");
	unsetenv("EDGE_MODE");
	return 0;
}

static void
test_values_reach_run(void **state)
{
	char *argv[] = { (char *)"edge-test", (char *)"-d", dir, (char *)"-C",
	    (char *)"9", (char *)"--mode=safe", NULL };
	char *plain[] = { (char *)"edge-test", (char *)"-d", dir, NULL };

	(void)state;
	assert_int_equal(main_of(6, argv), 0);
	assert_int_equal(runs, 1);
	assert_int_equal(seen_count, 9);
	assert_int_equal(seen_mode, 1);
	/* The table's default; a choice without one is -1. */
	assert_int_equal(main_of(3, plain), 0);
	assert_int_equal(seen_count, 3);
	assert_int_equal(seen_mode, -1);
}

static void
test_bad_values_stop_before_run(void **state)
{
	char *argv[] = { (char *)"edge-test", (char *)"-d", dir, (char *)"-C",
	    (char *)"10", NULL };
	char *json[] = { (char *)"edge-test", (char *)"-d", dir, (char *)"--json",
	    (char *)"--mode", (char *)"quick", NULL };
	char *plain[] = { (char *)"edge-test", (char *)"-d", dir, NULL };
	char conf[128], want[256];
	FILE *f;

	(void)state;
	assert_int_equal(main_of(5, argv), 2);
	assert_int_equal(runs, 0);
	assert_string_equal(err,
	    "edge-test: --count 10: expected a number from 1 to 9\n"
	    "usage: edge-test [-C N]\n");
	assert_string_equal(out, "");

	/* Under --json the error is an object on stdout as well. */
	assert_int_equal(main_of(6, json), 2);
	assert_non_null(strstr(out, "\"code\":2"));
	assert_non_null(strstr(out,
	    "--mode quick: expected fast or safe"));

	setenv("EDGE_COUNT", "4x", 1);
	assert_int_equal(main_of(3, plain), 2);
	assert_non_null(strstr(err,
	    "edge-test: EDGE_COUNT 4x: expected a number from 1 to 9\n"));
	unsetenv("EDGE_COUNT");

	snprintf(conf, sizeof(conf), "%s/edge.conf", dir);
	assert_non_null(f = fopen(conf, "w"));
	fputs("# a comment\nmode = Fast\n", f);
	fclose(f);
	assert_int_equal(main_of(3, plain), 2);
	snprintf(want, sizeof(want),
	    "edge-test: %s:2: mode Fast: expected fast or safe\n", conf);
	assert_non_null(strstr(err, want));
	assert_int_equal(runs, 0);
}

static void
test_help_and_list_show_ranges(void **state)
{
	char *help[] = { (char *)"edge-test", (char *)"--help", NULL };
	char *list[] = { (char *)"edge-test", (char *)"--list-options", NULL };

	(void)state;
	assert_int_equal(main_of(2, help), 0);
	assert_non_null(strstr(out,
	    "  -C, --count N                how many (1 to 9; default: 3)\n"));
	assert_non_null(strstr(out,
	    "      --mode fast|safe         how\n"));
	assert_int_equal(main_of(2, list), 0);
	assert_non_null(strstr(out, "--count\tN\thow many\t1 to 9\n"));
	assert_non_null(strstr(out, "-C\tN\thow many\t1 to 9\n"));
	assert_non_null(strstr(out, "--mode\tfast|safe\thow\t\n"));
	assert_non_null(strstr(out, "--json\t\tprint one JSON object"));
	assert_int_equal(runs, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_values_reach_run, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bad_values_stop_before_run,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_help_and_list_show_ranges,
		    setup, teardown),
	};
	return cmocka_run_group_tests_name("edge_tool", tests, NULL, NULL);
}
