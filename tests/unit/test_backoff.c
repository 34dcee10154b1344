/* SPDX-License-Identifier: MIT */
/*
 * lib/edge_time: the one retry backoff (hub requests and broker reconnects):
 * doubling from min, jitter of up to a quarter, never outside [min, max].
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>

#include "edge_time.h"

#define ROUNDS	2000

/* Every delay of ROUNDS draws lies in [lo, hi]; returns the spread seen. */
static long
range(unsigned attempt, long min, long max, long lo, long hi)
{
	long seen_lo = hi, seen_hi = lo;
	int i;

	for (i = 0; i < ROUNDS; i++) {
		long d = edge_time_backoff(attempt, min, max);

		assert_in_range(d, lo, hi);
		if (d < seen_lo)
			seen_lo = d;
		if (d > seen_hi)
			seen_hi = d;
	}
	return seen_hi - seen_lo;
}

static void
doubles_with_a_quarter_of_jitter(void **state)
{
	(void)state;
	assert_true(range(0, 1000, 60000, 1000, 1250) > 100);
	assert_true(range(1, 1000, 60000, 2000, 2500) > 200);
	assert_true(range(3, 1000, 60000, 8000, 10000) > 1000);
}

/* Issue 18: the jitter never carries a delay past max (window below it). */
static void
never_past_max(void **state)
{
	(void)state;
	assert_true(range(6, 1000, 60000, 45000, 60000) > 5000);
	assert_true(range(40, 1000, 60000, 45000, 60000) > 5000);
	assert_true(range(UINT32_MAX, 500, 32000, 24000, 32000) > 1000);
	/* max not a power-of-two multiple of min */
	assert_true(range(2, 1000, 3000, 2250, 3000) > 100);
}

static void
degenerate_bounds(void **state)
{
	(void)state;
	range(0, 1000, 1000, 1000, 1000);
	range(5, 1000, 1000, 1000, 1000);
	range(0, 1000, 10, 1000, 1000);	/* max below min: min wins */
	range(0, 0, 0, 1, 1);
	range(3, 1, 1000, 8, 10);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(doubles_with_a_quarter_of_jitter),
		cmocka_unit_test(never_past_max),
		cmocka_unit_test(degenerate_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
