/* SPDX-License-Identifier: MIT */
/* lib/edge_opt: argv parsing, config files, environment, precedence, types. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
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

static const struct edge_opt typed_opts[] = {
	{ "timeout", 'W', "SECS", 0, "time limit", "30", EDGE_T_INT, 1, 3600 },
	{ "retries", 0, "N", 0, "retries", NULL, EDGE_T_INT, 0, 100 },
	{ "grace", 0, "SECS", 0, "grace", NULL, EDGE_T_INT, 0, EDGE_NO_MAX },
	{ "offset", 0, "N", 0, "offset", NULL, EDGE_T_INT, -10, 10 },
	{ "full", 0, "block|drop-oldest|fail", 0, "policy", "block", EDGE_T_CHOICE, 0, 0 },
	{ "name", 0, "NAME", 0, "name", NULL, EDGE_T_STRING, 0, 0 },
	{ NULL, 0, NULL, 0, NULL, NULL, EDGE_T_STRING, 0, 0 }
};

static char conf[64];

static void
write_conf_n(const char *text, size_t len)
{
	FILE *f;

	strcpy(conf, "/tmp/edge-test-opt.XXXXXX");
	close(mkstemp(conf));
	f = fopen(conf, "w");
	fwrite(text, 1, len, f);
	fclose(f);
}

static void
write_conf(const char *text)
{
	write_conf_n(text, strlen(text));
}

/* Load conf as DIR/edge.conf (after env) into o; the result of the load. */
static int
load_conf(struct edge_opts *o, struct edge_error *err)
{
	assert_int_equal(edge_opts_init(o, tool_opts, NULL, err), EDGE_OK);
	assert_int_equal(edge_opts_load_env(o, err), EDGE_OK);
	return edge_opts_load_file(o, conf, EDGE_SRC_CONF, true, err);
}

/* The file (len 0: a string) fails to load: EDGE_EINPUT, "conf:" + msg. */
static void
conf_refused(const char *text, size_t len, const char *msg)
{
	struct edge_opts o;
	struct edge_error err = { 0 };
	char want[256];

	write_conf_n(text, len ? len : strlen(text));
	assert_int_equal(load_conf(&o, &err), EDGE_EINPUT);
	snprintf(want, sizeof(want), "%s:%s", conf, msg);
	assert_string_equal(err.msg, want);
	edge_opts_free(&o);
	unlink(conf);
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
	assert_int_equal(edge_opts_load_env(&o, &err), EDGE_OK);
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
	assert_non_null(strstr(err.msg, ":1: json perhaps: expected yes or no"));
	edge_opts_free(&o);
	unlink(conf);

	assert_int_equal(edge_opts_init(&o, tool_opts, NULL, &err), EDGE_OK);
	assert_int_equal(edge_opts_load_file(&o, "/nonexistent/edge.conf",
	    EDGE_SRC_CONF, false, &err), EDGE_OK);
	assert_int_equal(edge_opts_load_file(&o, "/nonexistent/edge.conf",
	    EDGE_SRC_CONF, true, &err), EDGE_ESTORE);
	edge_opts_free(&o);
}

/* A flag's "no" wins over a "yes" of a lower source, like any value. */
static void
test_flag_no_wins(void **state)
{
	struct edge_opts o;
	struct edge_error err = { 0 };
	char sys[64];
	char *argv[] = { (char *)"t", (char *)"--json", NULL };

	(void)state;
	write_conf("json = yes\nquiet = on\n");
	strcpy(sys, conf);
	/* DIR/edge.conf says no to the system file's yes. */
	write_conf("json = no\n");
	assert_int_equal(load_conf(&o, &err), EDGE_OK);
	assert_int_equal(edge_opts_load_file(&o, sys, EDGE_SRC_SYSCONF, true,
	    &err), EDGE_OK);
	assert_false(edge_opts_flag(&o, "json"));
	assert_int_equal(edge_opts_src(&o, "json"), EDGE_SRC_CONF);
	assert_true(edge_opts_flag(&o, "quiet"));
	edge_opts_free(&o);
	unlink(conf);
	/* EDGE_JSON=no says no to both files. */
	write_conf("json = yes\n");
	setenv("EDGE_JSON", "no", 1);
	assert_int_equal(load_conf(&o, &err), EDGE_OK);
	assert_int_equal(edge_opts_load_file(&o, sys, EDGE_SRC_SYSCONF, true,
	    &err), EDGE_OK);
	assert_false(edge_opts_flag(&o, "json"));
	assert_string_equal(edge_opts_origin(&o, "json"), "EDGE_JSON");
	edge_opts_free(&o);
	/* The command line says yes to EDGE_JSON=no. */
	assert_int_equal(edge_opts_init(&o, tool_opts, NULL, &err), EDGE_OK);
	assert_int_equal(edge_opts_parse_argv(&o, 2, argv, &err), EDGE_OK);
	assert_int_equal(edge_opts_load_env(&o, &err), EDGE_OK);
	assert_true(edge_opts_flag(&o, "json"));
	edge_opts_free(&o);
	unsetenv("EDGE_JSON");
	unlink(conf);
	unlink(sys);
}

/* device.json's layer: below edge.conf and EDGE_*, above /etc/edge/edge.conf. */
static void
test_offer_precedence(void **state)
{
	struct edge_opts o;
	struct edge_error err = { 0 };
	char sys[64];

	(void)state;
	write_conf("cn = from-sys\norg-unit = from-sys\n");
	strcpy(sys, conf);
	write_conf("cn = from-conf\n");
	setenv("EDGE_TYPE", "ec", 1);
	assert_int_equal(load_conf(&o, &err), EDGE_OK);
	assert_int_equal(edge_opts_offer(&o, "cn", "from-device", EDGE_SRC_DEVICE,
	    "d/device.json", &err), EDGE_OK);
	assert_int_equal(edge_opts_offer(&o, "type", "rsa", EDGE_SRC_DEVICE,
	    "d/device.json", &err), EDGE_OK);
	assert_int_equal(edge_opts_offer(&o, "org-unit", "from-device", EDGE_SRC_DEVICE,
	    "d/device.json", &err), EDGE_OK);
	/* No such option, or no value: nothing happens. */
	assert_int_equal(edge_opts_offer(&o, "nosuch", "x", EDGE_SRC_DEVICE,
	    "d/device.json", &err), EDGE_OK);
	assert_int_equal(edge_opts_offer(&o, "pin", NULL, EDGE_SRC_DEVICE,
	    "d/device.json", &err), EDGE_OK);
	assert_null(edge_opts_get(&o, "pin"));
	assert_int_equal(edge_opts_load_file(&o, sys, EDGE_SRC_SYSCONF, true,
	    &err), EDGE_OK);
	assert_string_equal(edge_opts_get(&o, "cn"), "from-conf");
	assert_string_equal(edge_opts_get(&o, "type"), "ec");
	assert_string_equal(edge_opts_get(&o, "org-unit"), "from-device");
	assert_int_equal(edge_opts_src(&o, "org-unit"), EDGE_SRC_DEVICE);
	assert_string_equal(edge_opts_origin(&o, "org-unit"), "d/device.json");
	/* A command-line-only option is never offered a value. */
	assert_int_equal(edge_opts_offer(&o, "force", "1", EDGE_SRC_DEVICE,
	    "d/device.json", &err), EDGE_OK);
	assert_false(edge_opts_flag(&o, "force"));
	edge_opts_free(&o);
	unsetenv("EDGE_TYPE");
	unlink(conf);
	unlink(sys);
}

static void
test_conf_file_strict(void **state)
{
	struct edge_opts o;
	struct edge_error err = { 0 };
	static const char nul[] = "cn = a\nx = 1\0junk\ntype = ec\n";
	char want[96];

	(void)state;
	/* A NUL byte would hide the rest of the file. */
	conf_refused(nul, sizeof(nul) - 1, "2: NUL byte");
	/* A key twice: which one counts would be a guess. */
	conf_refused("type = rsa\ncn = a\ntype = bogus\n", 0,
	    "3: type given again (first at line 1)");
	conf_refused("org_unit = a\n\norg-unit = b\n", 0,
	    "3: org-unit given again (first at line 1)");
	/* Also another tool's key, so one file is the same for every tool. */
	conf_refused("hub-pin = a\nhub_pin = b\n", 0,
	    "2: hub-pin given again (first at line 1)");
	/* A key that is no option name is a typo, not another tool's key. */
	conf_refused("TYPE = ec\n", 0,
	    "1: \"TYPE\" is not an option name (names are lowercase: a-z, 0-9, - and _)");
	conf_refused("cn = a\nHUB-PIN = x\n", 0,
	    "2: \"HUB-PIN\" is not an option name (names are lowercase: a-z, 0-9, - and _)");
	conf_refused("org unit = x\n", 0,
	    "1: \"org unit\" is not an option name (names are lowercase: a-z, 0-9, - and _)");
	conf_refused(" = x\n", 0,
	    "1: \"\" is not an option name (names are lowercase: a-z, 0-9, - and _)");
	/* A UTF-8 byte order mark (Windows editors) is skipped. */
	write_conf("\xef\xbb\xbftype = ec\nother-tool = 1\n");
	assert_int_equal(load_conf(&o, &err), EDGE_OK);
	assert_string_equal(edge_opts_get(&o, "type"), "ec");
	snprintf(want, sizeof(want), "%s:1", conf);
	assert_string_equal(edge_opts_origin(&o, "type"), want);
	edge_opts_free(&o);
	unlink(conf);
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

static void
test_parse_long(void **state)
{
	long n = 7;
	char max[32];

	(void)state;
	snprintf(max, sizeof(max), "%ld", LONG_MAX);	/* 2^31 - 1 on armhf */
	assert_int_equal(edge_opt_parse_long("0", 0, 10, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(edge_opt_parse_long("3600", 1, 3600, &n), 0);
	assert_int_equal(n, 3600);
	assert_int_equal(edge_opt_parse_long("-10", -10, 10, &n), 0);
	assert_int_equal(n, -10);
	assert_int_equal(edge_opt_parse_long(max, 0, EDGE_NO_MAX, &n), 0);
	assert_true(n == LONG_MAX);
	n = 7;
	/* Range, both ends. */
	assert_int_equal(edge_opt_parse_long("3601", 1, 3600, &n), -1);
	assert_int_equal(edge_opt_parse_long("0", 1, 3600, &n), -1);
	assert_int_equal(edge_opt_parse_long("-1", 0, EDGE_NO_MAX, &n), -1);
	/* Overflow, either sign: errno, not a wrapped value. */
	assert_int_equal(edge_opt_parse_long("9223372036854775808", 0,
	    EDGE_NO_MAX, &n), -1);
	assert_int_equal(edge_opt_parse_long("99999999999999999999", 0,
	    EDGE_NO_MAX, &n), -1);
	assert_int_equal(edge_opt_parse_long("-99999999999999999999",
	    LONG_MIN, 0, &n), -1);
	/* Junk, blanks and signs strtol would take. */
	assert_int_equal(edge_opt_parse_long("", 0, 10, &n), -1);
	assert_int_equal(edge_opt_parse_long("5s", 0, 10, &n), -1);
	assert_int_equal(edge_opt_parse_long("5 ", 0, 10, &n), -1);
	assert_int_equal(edge_opt_parse_long(" 5", 0, 10, &n), -1);
	assert_int_equal(edge_opt_parse_long("+5", 0, 10, &n), -1);
	assert_int_equal(edge_opt_parse_long("-", -10, 10, &n), -1);
	assert_int_equal(edge_opt_parse_long("--5", -10, 10, &n), -1);
	assert_int_equal(edge_opt_parse_long("0x10", 0, 100, &n), -1);
	assert_int_equal(edge_opt_parse_long("1e3", 0, 10000, &n), -1);
	/* A failure leaves the output alone. */
	assert_int_equal(n, 7);
}

/* Init, argv, env, one config file, defaults, check: as edge_tool does. */
static int
resolve(struct edge_opts *o, int argc, char **argv, const char *file,
    struct edge_error *err)
{
	int rc;

	if ((rc = edge_opts_init(o, typed_opts, NULL, err)) != EDGE_OK ||
	    (rc = edge_opts_parse_argv(o, argc, argv, err)) != EDGE_OK)
		return rc;
	if ((rc = edge_opts_load_env(o, err)) != EDGE_OK)
		return rc;
	if (file != NULL && (rc = edge_opts_load_file(o, file, EDGE_SRC_CONF,
	    true, err)) != EDGE_OK)
		return rc;
	edge_opts_load_defaults(o);
	return edge_opts_check(o, err);
}

static void
test_typed_values(void **state)
{
	struct edge_opts o;
	struct edge_error err = { 0 };
	char *argv[] = { (char *)"t", (char *)"-W", (char *)"3600",
	    (char *)"--offset", (char *)"-3", (char *)"--full",
	    (char *)"drop-oldest", NULL };
	char *none[] = { (char *)"t", NULL };

	(void)state;
	assert_int_equal(resolve(&o, 7, argv, NULL, &err), EDGE_OK);
	assert_int_equal(edge_opts_long(&o, "timeout", -1), 3600);
	assert_int_equal(edge_opts_long(&o, "offset", 99), -3);
	assert_int_equal(edge_opts_choice(&o, "full"), 1);
	/* Unset: the caller's value; no such option or wrong type: the same. */
	assert_int_equal(edge_opts_long(&o, "retries", -1), -1);
	assert_int_equal(edge_opts_long(&o, "nope", -2), -2);
	assert_int_equal(edge_opts_long(&o, "full", -3), -3);
	assert_int_equal(edge_opts_choice(&o, "timeout"), -1);
	assert_int_equal(edge_opts_choice(&o, "nope"), -1);
	edge_opts_free(&o);

	/* Defaults are typed too. */
	assert_int_equal(resolve(&o, 1, none, NULL, &err), EDGE_OK);
	assert_int_equal(edge_opts_long(&o, "timeout", -1), 30);
	assert_int_equal(edge_opts_choice(&o, "full"), 0);
	assert_int_equal(edge_opts_choice(&o, "name"), -1);
	edge_opts_free(&o);
}

/* resolve() with one argument after the program name; returns the error. */
static int
resolve1(const char *a1, const char *a2, const char *file,
    struct edge_error *err)
{
	struct edge_opts o;
	char *argv[] = { (char *)"t", (char *)a1, (char *)a2, NULL };
	int rc;

	rc = resolve(&o, a1 == NULL ? 1 : a2 == NULL ? 2 : 3, argv, file, err);
	edge_opts_free(&o);
	return rc;
}

static void
test_typed_errors(void **state)
{
	struct edge_error err = { 0 };
	char want[256];

	(void)state;
	/* The command line: the option as typed. */
	assert_int_equal(resolve1("--timeout", "0", NULL, &err), EDGE_EUSAGE);
	assert_string_equal(err.msg, "--timeout 0: expected a number from 1 to 3600");
	assert_int_equal(resolve1("-W", "3601", NULL, &err), EDGE_EUSAGE);
	assert_string_equal(err.msg,
	    "--timeout 3601: expected a number from 1 to 3600");
	assert_int_equal(resolve1("--timeout=30s", NULL, NULL, &err), EDGE_EUSAGE);
	assert_string_equal(err.msg,
	    "--timeout 30s: expected a number from 1 to 3600");
	assert_int_equal(resolve1("--grace", "-1", NULL, &err), EDGE_EUSAGE);
	assert_string_equal(err.msg, "--grace -1: expected a number of at least 0");
	assert_int_equal(resolve1("--grace", "99999999999999999999", NULL, &err),
	    EDGE_EUSAGE);
	assert_int_equal(resolve1("--offset", "+1", NULL, &err), EDGE_EUSAGE);
	assert_int_equal(resolve1("--full", "drop", NULL, &err), EDGE_EUSAGE);
	assert_string_equal(err.msg,
	    "--full drop: expected block, drop-oldest or fail");
	/* Choices match exactly. */
	assert_int_equal(resolve1("--full", "BLOCK", NULL, &err), EDGE_EUSAGE);
	assert_int_equal(resolve1("--full", "", NULL, &err), EDGE_EUSAGE);
	assert_int_equal(resolve1("--full", "block|fail", NULL, &err),
	    EDGE_EUSAGE);
	assert_int_equal(resolve1("--full", "fail", NULL, &err), EDGE_OK);

	/* The environment: the variable. */
	setenv("EDGE_RETRIES", "101", 1);
	assert_int_equal(resolve1(NULL, NULL, NULL, &err), EDGE_EUSAGE);
	assert_string_equal(err.msg,
	    "EDGE_RETRIES 101: expected a number from 0 to 100");
	/* The command line wins, and a good value there is no error. */
	assert_int_equal(resolve1("--retries", "100", NULL, &err), EDGE_OK);
	unsetenv("EDGE_RETRIES");
	setenv("EDGE_FULL", "drop_oldest", 1);
	assert_int_equal(resolve1(NULL, NULL, NULL, &err), EDGE_EUSAGE);
	assert_string_equal(err.msg,
	    "EDGE_FULL drop_oldest: expected block, drop-oldest or fail");
	unsetenv("EDGE_FULL");
	/* A flag in the environment: yes or no, as in a file. */
	setenv("EDGE_JSON", "perhaps", 1);
	assert_int_equal(resolve1(NULL, NULL, NULL, &err), EDGE_EUSAGE);
	assert_string_equal(err.msg, "EDGE_JSON perhaps: expected yes or no");
	setenv("EDGE_JSON", "off", 1);
	assert_int_equal(resolve1(NULL, NULL, NULL, &err), EDGE_OK);
	unsetenv("EDGE_JSON");

	/* A config file: its path and line, then the key. */
	write_conf("# timeouts\nname = x\ntimeout = 0x10\n");
	assert_int_equal(resolve1(NULL, NULL, conf, &err), EDGE_EUSAGE);
	snprintf(want, sizeof(want),
	    "%s:3: timeout 0x10: expected a number from 1 to 3600", conf);
	assert_string_equal(err.msg, want);
	unlink(conf);
	write_conf("full = \"fail \"\n");
	assert_int_equal(resolve1(NULL, NULL, conf, &err), EDGE_EUSAGE);
	snprintf(want, sizeof(want),
	    "%s:1: full fail : expected block, drop-oldest or fail", conf);
	assert_string_equal(err.msg, want);
	unlink(conf);
	snprintf(want, sizeof(want), "retries = 0\ngrace=%ld\n", LONG_MAX);
	write_conf(want);
	assert_int_equal(resolve1(NULL, NULL, conf, &err), EDGE_OK);
	unlink(conf);
}

static void
test_table_types(void **state)
{
	static const struct edge_opt int_flag[] = {
		{ "n", 0, NULL, 0, "n", NULL, EDGE_T_INT, 0, 1 },
		{ NULL, 0, NULL, 0, NULL, NULL, EDGE_T_STRING, 0, 0 }
	};
	static const struct edge_opt bad_range[] = {
		{ "n", 0, "N", 0, "n", NULL, EDGE_T_INT, 5, 1 },
		{ NULL, 0, NULL, 0, NULL, NULL, EDGE_T_STRING, 0, 0 }
	};
	static const struct edge_opt one_choice[] = {
		{ "n", 0, "N", 0, "n", NULL, EDGE_T_CHOICE, 0, 0 },
		{ NULL, 0, NULL, 0, NULL, NULL, EDGE_T_STRING, 0, 0 }
	};
	static const struct edge_opt flag_arg[] = {
		{ "n", 0, "N", 0, "n", NULL, EDGE_T_FLAG, 0, 0 },
		{ NULL, 0, NULL, 0, NULL, NULL, EDGE_T_STRING, 0, 0 }
	};
	static const struct edge_opt string_noarg[] = {
		{ "n", 0, NULL, 0, "n", NULL, EDGE_T_STRING, 0, 0 },
		{ NULL, 0, NULL, 0, NULL, NULL, EDGE_T_STRING, 0, 0 }
	};
	static const struct edge_opt bad_default[] = {
		{ "n", 0, "N", 0, "n", "0", EDGE_T_INT, 1, 9 },
		{ NULL, 0, NULL, 0, NULL, NULL, EDGE_T_STRING, 0, 0 }
	};
	struct edge_opts o;
	struct edge_error err = { 0 };
	char buf[64];

	(void)state;
	assert_int_equal(edge_opts_init(&o, int_flag, NULL, &err), EDGE_EFAIL);
	assert_non_null(strstr(err.msg, "--n"));
	assert_int_equal(edge_opts_init(&o, bad_range, NULL, &err), EDGE_EFAIL);
	assert_int_equal(edge_opts_init(&o, one_choice, NULL, &err), EDGE_EFAIL);
	assert_int_equal(edge_opts_init(&o, flag_arg, NULL, &err), EDGE_EFAIL);
	assert_int_equal(edge_opts_init(&o, string_noarg, NULL, &err), EDGE_EFAIL);
	/* The common options are typed as well. */
	assert_int_equal(edge_opts_init(&o, typed_opts, NULL, &err), EDGE_OK);
	/* A default outside its range is a bug of the table, found at once. */
	assert_int_equal(edge_opts_init(&o, bad_default, NULL, &err), EDGE_OK);
	edge_opts_load_defaults(&o);
	assert_int_equal(edge_opts_check(&o, &err), EDGE_EUSAGE);
	assert_string_equal(err.msg, "default 0: expected a number from 1 to 9");
	edge_opts_free(&o);

	edge_opt_range(&typed_opts[0], buf, sizeof(buf));
	assert_string_equal(buf, "1 to 3600");
	edge_opt_range(&typed_opts[2], buf, sizeof(buf));
	assert_string_equal(buf, "0 or more");
	edge_opt_range(&typed_opts[3], buf, sizeof(buf));
	assert_string_equal(buf, "-10 to 10");
	edge_opt_range(&typed_opts[4], buf, sizeof(buf));
	assert_string_equal(buf, "");
	/* --help's mark of options the environment and files cannot set. */
	assert_string_equal(edge_opt_cli_note(&tool_opts[2]), "command line only");
	assert_null(edge_opt_cli_note(&tool_opts[0]));
	assert_string_equal(edge_opt_cli_note(&edge_common_opts[1]),
	    "command line or EDGE_CONFIG only");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_flag_no_wins),
		cmocka_unit_test(test_conf_file_strict),
		cmocka_unit_test(test_duplicate_option_rejected),
		cmocka_unit_test(test_parse_long),
		cmocka_unit_test(test_typed_values),
		cmocka_unit_test(test_typed_errors),
		cmocka_unit_test(test_table_types),
		cmocka_unit_test(test_offer_precedence),
	};
	return cmocka_run_group_tests_name("edge_opt", tests, NULL, NULL);
}
