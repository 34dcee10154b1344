/* SPDX-License-Identifier: MIT */
/*
 * lib/edge_signal: SIGHUP taken once as a reload, SIGTERM and SIGINT kept
 * as a stop, each waking poll() through the pipe until it is drained.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <poll.h>
#include <signal.h>

#include "edge_signal.h"

/* Whether the pipe is readable now. */
static bool
woken(void)
{
	struct pollfd p = { .fd = edge_signals_fd(), .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static void
reload_and_stop(void **state)
{
	struct edge_error err = { 0 };

	(void)state;
	assert_int_equal(edge_signals_catch(&err), EDGE_OK);
	assert_true(edge_signals_fd() >= 0);
	assert_false(woken());
	assert_false(edge_signals_reload());
	assert_false(edge_signals_stop());

	assert_int_equal(raise(SIGHUP), 0);
	assert_true(woken());
	edge_signals_drain();
	assert_false(woken());
	assert_true(edge_signals_reload());
	assert_false(edge_signals_reload());	/* taken */
	assert_false(edge_signals_stop());

	assert_int_equal(raise(SIGTERM), 0);
	assert_true(woken());
	assert_true(edge_signals_stop());
	assert_true(edge_signals_stop());	/* it stays */
	assert_false(edge_signals_reload());
	edge_signals_drain();

	assert_int_equal(raise(SIGPIPE), 0);	/* ignored: we are still here */
	assert_false(woken());
	edge_signals_close();
	assert_int_equal(edge_signals_fd(), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reload_and_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
