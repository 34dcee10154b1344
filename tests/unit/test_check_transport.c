/* SPDX-License-Identifier: MIT */
/*
 * lib/edge_check_transport: clock.hub's Date, an RFC 7231 IMF-fixdate
 * exactly; the obsolete forms, a negative or out-of-range year, an
 * impossible day and trailing text refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <time.h>

#include "edge_check.h"

static void
fixdate(void **state)
{
	(void)state;
	assert_int_equal(edge_check_imf_fixdate("Sun, 06 Nov 1994 08:49:37 GMT"),
	    784111777);
	assert_int_equal(edge_check_imf_fixdate("Mon, 07 Dec 2026 12:00:00 GMT"),
	    1796644800);
	assert_int_equal(edge_check_imf_fixdate("Thu, 01 Jan 1970 00:00:01 GMT"), 1);
	/* what curl_getdate accepted and clock.hub took for a time */
	assert_int_equal(edge_check_imf_fixdate("Mon, 07 Dec -2026 12:00:00 GMT"), 0);
	assert_int_equal(edge_check_imf_fixdate("Mon, 07 Dec 1969 12:00:00 GMT"), 0);
	assert_int_equal(edge_check_imf_fixdate("Sunday, 06-Nov-94 08:49:37 GMT"), 0);
	assert_int_equal(edge_check_imf_fixdate("Sun Nov  6 08:49:37 1994"), 0);
	assert_int_equal(edge_check_imf_fixdate("Sun, 06 Nov 1994 08:49:37 UTC"), 0);
	assert_int_equal(edge_check_imf_fixdate("Sun, 06 Nov 1994 08:49:37 GMT "), 0);
	assert_int_equal(edge_check_imf_fixdate("Xyz, 06 Nov 1994 08:49:37 GMT"), 0);
	assert_int_equal(edge_check_imf_fixdate("Sun, 06 Noe 1994 08:49:37 GMT"), 0);
	assert_int_equal(edge_check_imf_fixdate("Sun, 31 Feb 1994 08:49:37 GMT"), 0);
	assert_int_equal(edge_check_imf_fixdate("Sun, 06 Nov 1994 24:49:37 GMT"), 0);
	assert_int_equal(edge_check_imf_fixdate("Sun, 06 Nov 1994 08:4a:37 GMT"), 0);
	assert_int_equal(edge_check_imf_fixdate("garbage"), 0);
	assert_int_equal(edge_check_imf_fixdate(""), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fixdate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
