/* SPDX-License-Identifier: MIT */
/*
 * lib/edge_log: every line starts with the tool name, -q silences notes but
 * never warnings or errors, -v levels gate detail, long lines are cut whole,
 * and the progress spinner stays off when stderr is not a terminal.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "edge_log.h"

static char out[8192];

/* Run fn with stderr going to a temporary file; its text lands in out. */
static void
capture(void (*fn)(void))
{
	FILE *f = tmpfile();
	int saved;
	size_t n;

	assert_non_null(f);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(f), STDERR_FILENO) >= 0);
	fn();
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	rewind(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	fclose(f);
}

static void
talk(void)
{
	edge_log_error("cert.pem: expired");
	edge_warn("crl.pem is %s", "stale");
	edge_note("nothing to do");
	edge_verbose(1, "detail %d", 1);
	edge_verbose(2, "detail %d", 2);
	edge_progress_start("generating");	/* not a terminal: silent */
	edge_progress_stop(true);
}

static void
levels(void **state)
{
	(void)state;
	edge_log_init("edge-x", 0, false);
	capture(talk);
	assert_string_equal(out, "edge-x: cert.pem: expired\n"
	    "edge-x: warning: crl.pem is stale\n"
	    "edge-x: nothing to do\n");

	edge_log_init("edge-x", 2, false);
	capture(talk);
	assert_string_equal(out, "edge-x: cert.pem: expired\n"
	    "edge-x: warning: crl.pem is stale\n"
	    "edge-x: nothing to do\n"
	    "edge-x: detail 1\n"
	    "edge-x: detail 2\n");

	/* -q: notes go, warnings and errors stay (-v still adds detail). */
	edge_log_init("edge-y", 1, true);
	capture(talk);
	assert_string_equal(out, "edge-y: cert.pem: expired\n"
	    "edge-y: warning: crl.pem is stale\n"
	    "edge-y: detail 1\n");
}

static void
long_line(void)
{
	static char big[3000];

	memset(big, 'x', sizeof(big) - 1);
	edge_warn("%s", big);
}

static void
cut_whole(void **state)
{
	(void)state;
	edge_log_init("edge-z", 0, false);
	capture(long_line);
	/* One line, cut at the 1 KiB formatting buffer, still ending in \n. */
	assert_int_equal(strlen(out), strlen("edge-z: warning: ") + 1023 + 1);
	assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(levels),
		cmocka_unit_test(cut_whole),
	};

	return cmocka_run_group_tests_name("edge_log", tests, NULL, NULL);
}
