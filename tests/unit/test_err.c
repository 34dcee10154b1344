/* SPDX-License-Identifier: MIT */
/*
 * lib/edge_err: a code is its own exit status (DESIGN.md's table), messages
 * are cut, never overrun, and a prefix keeps the code.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "edge_err.h"

static void
exit_statuses(void **state)
{
	(void)state;
	assert_int_equal(edge_exit_status(EDGE_OK), 0);
	assert_int_equal(edge_exit_status(EDGE_EFAIL), 1);
	assert_int_equal(edge_exit_status(EDGE_EUSAGE), 2);
	assert_int_equal(edge_exit_status(EDGE_EINPUT), 3);
	assert_int_equal(edge_exit_status(EDGE_ETEMP), 4);
	assert_int_equal(edge_exit_status(EDGE_EREFUSED), 5);
	assert_int_equal(edge_exit_status(EDGE_ETRUST), 6);
	assert_int_equal(edge_exit_status(EDGE_ESTORE), 7);
	assert_int_equal(edge_exit_status(EDGE_EREVOKED), 8);
	assert_int_equal(edge_exit_status(EDGE_ECHECK), 9);
	/* Anything else is a plain failure, never a borrowed meaning. */
	assert_int_equal(edge_exit_status(-10), 1);
	assert_int_equal(edge_exit_status(3), 1);
	assert_string_equal(edge_strerror(EDGE_ETRUST), "trust failure");
	assert_string_equal(edge_strerror(EDGE_EREVOKED), "certificate revoked");
	assert_string_equal(edge_strerror(EDGE_ECHECK), "a check failed");
	assert_string_equal(edge_strerror(-42), "failure");
}

static void
messages(void **state)
{
	struct edge_error err = { 0, "" };
	char big[2 * EDGE_ERR_MSG_MAX];

	(void)state;
	assert_int_equal(edge_err(&err, EDGE_EINPUT, "%s: not a PEM key",
	    "key.pem"), EDGE_EINPUT);
	assert_int_equal(err.code, EDGE_EINPUT);
	assert_string_equal(err.msg, "key.pem: not a PEM key");
	assert_int_equal(edge_err_prefix(&err, "--key %s", "x"), EDGE_EINPUT);
	assert_string_equal(err.msg, "--key x: key.pem: not a PEM key");
	/* No error to fill: the code still comes back. */
	assert_int_equal(edge_err(NULL, EDGE_ETEMP, "x"), EDGE_ETEMP);
	assert_int_equal(edge_err_prefix(NULL, "x"), EDGE_EFAIL);

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	edge_err(&err, EDGE_ESTORE, "%s", big);
	assert_int_equal(strlen(err.msg), EDGE_ERR_MSG_MAX - 1);
	edge_err_prefix(&err, "%s", "p");
	assert_int_equal(strlen(err.msg), EDGE_ERR_MSG_MAX - 1);
	assert_memory_equal(err.msg, "p: aaa", 6);
	edge_err_prefix(&err, "%s", big);
	assert_int_equal(strlen(err.msg), EDGE_ERR_MSG_MAX - 1);
	assert_int_equal(err.code, EDGE_ESTORE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exit_statuses),
		cmocka_unit_test(messages),
	};

	return cmocka_run_group_tests_name("edge_err", tests, NULL, NULL);
}
