/* SPDX-License-Identifier: MIT */
/* lib/edge_opt: argv parsing, config files, environment, precedence. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "edge_opt.h"

static const struct edge_opt tool_opts[] = {
	{ "cn", 0, "NAME", 0, "common name", NULL, EDGE_T_STRING, 0, 0 },
	{ "org-unit", 0, "NAME", 0, "unit", "Edge", EDGE_T_STRING, 0, 0 },
	{ "force", 'f', NULL, EDGE_OPT_CLI, "force", NULL, EDGE_T_FLAG, 0, 0 },
	{ "pin", 0, "SECRET", EDGE_OPT_SECRET, "pin", NULL, EDGE_T_STRING, 0, 0 },
	{ "type", 't', "rsa|ec", 0, "type", "rsa", EDGE_T_CHOICE, 0, 0 },
	{ NULL, 0, NULL, 0, NULL, NULL, EDGE_T_STRING, 0, 0 }
};

static char conf[64];

static void
write_conf(const char *text)
{
	FILE *f;

	strcpy(conf, "/tmp/edge-test-opt.XXXXXX");
	close(mkstemp(conf));
	f = fopen(conf, "w");
	fputs(text, f);
	fclose(f);
}

static void
test_precedence(void **state)
{
	struct edge_opts o;
	struct edge_error err = { 0 };
	char *argv[] = { (char *)"t", (char *)"--cn", (char *)"from-argv", NULL };

	(void)state;
	write_conf("# comment\n\ncn = from-file\norg_unit = \"Field Unit\"\ntype=ec\nforce = yes\n");
	setenv("EDGE_TYPE", "rsa", 1);
	assert_int_equal(edge_opts_init(&o, tool_opts, NULL, &err), EDGE_OK);
	assert_int_equal(edge_opts_parse_argv(&o, 3, argv, &err), EDGE_OK);
	edge_opts_load_env(&o);
	assert_int_equal(edge_opts_load_file(&o, conf, EDGE_SRC_CONF, true, &err),
	    EDGE_OK);
	edge_opts_load_defaults(&o);
	assert_string_equal(edge_opts_get(&o, "cn"), "from-argv");
	assert_string_equal(edge_opts_origin(&o, "cn"), "--cn");
	/* "_" and "-" are the same; quotes are stripped. */
	assert_string_equal(edge_opts_get(&o, "org-unit"), "Field Unit");
	/* The environment beats the file. */
	assert_string_equal(edge_opts_get(&o, "type"), "rsa");
	assert_string_equal(edge_opts_origin(&o, "type"), "EDGE_TYPE");
	/* Command-line-only options are ignored in files. */
	assert_false(edge_opts_flag(&o, "force"));
	assert_string_equal(edge_opts_get(&o, "dir"), "/var/lib/edge");
	edge_opts_free(&o);
	unsetenv("EDGE_TYPE");
	unlink(conf);
}

static void
test_bad_input(void **state)
{
	struct edge_opts o;
	struct edge_error err = { 0 };
	char *argv1[] = { (char *)"t", (char *)"--nope", NULL };
	char *argv2[] = { (char *)"t", (char *)"--cn", NULL };
	char *argv3[] = { (char *)"t", (char *)"-z", NULL };

	(void)state;
	assert_int_equal(edge_opts_init(&o, tool_opts, NULL, &err), EDGE_OK);
	assert_int_equal(edge_opts_parse_argv(&o, 2, argv1, &err), EDGE_EUSAGE);
	assert_non_null(strstr(err.msg, "--nope"));
	assert_int_equal(edge_opts_parse_argv(&o, 2, argv2, &err), EDGE_EUSAGE);
	assert_non_null(strstr(err.msg, "--cn needs an argument"));
	assert_int_equal(edge_opts_parse_argv(&o, 2, argv3, &err), EDGE_EUSAGE);
	assert_non_null(strstr(err.msg, "-z"));
	edge_opts_free(&o);

	write_conf("cn = a\njust words\n");
	assert_int_equal(edge_opts_init(&o, tool_opts, NULL, &err), EDGE_OK);
	assert_int_equal(edge_opts_load_file(&o, conf, EDGE_SRC_CONF, true, &err),
	    EDGE_EINPUT);
	assert_non_null(strstr(err.msg, ":2: expected"));
	edge_opts_free(&o);
	unlink(conf);

	write_conf("json = perhaps\n");
	assert_int_equal(edge_opts_init(&o, tool_opts, NULL, &err), EDGE_OK);
	assert_int_equal(edge_opts_load_file(&o, conf, EDGE_SRC_CONF, true, &err),
	    EDGE_EINPUT);
	assert_non_null(strstr(err.msg, "yes or no"));
	edge_opts_free(&o);
	unlink(conf);

	assert_int_equal(edge_opts_init(&o, tool_opts, NULL, &err), EDGE_OK);
	assert_int_equal(edge_opts_load_file(&o, "/nonexistent/edge.conf",
	    EDGE_SRC_CONF, false, &err), EDGE_OK);
	assert_int_equal(edge_opts_load_file(&o, "/nonexistent/edge.conf",
	    EDGE_SRC_CONF, true, &err), EDGE_ESTORE);
	edge_opts_free(&o);
}

static void
test_duplicate_option_rejected(void **state)
{
	static const struct edge_opt clash[] = {
		{ "json", 0, NULL, 0, "again", NULL, EDGE_T_FLAG, 0, 0 },
		{ NULL, 0, NULL, 0, NULL, NULL, EDGE_T_STRING, 0, 0 }
	};
	struct edge_opts o;
	struct edge_error err = { 0 };

	(void)state;
	assert_int_equal(edge_opts_init(&o, clash, NULL, &err), EDGE_EFAIL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_duplicate_option_rejected),
	};
	return cmocka_run_group_tests_name("edge_opt", tests, NULL, NULL);
}
