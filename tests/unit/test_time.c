/* SPDX-License-Identifier: MIT */
/* lib/edge_time: trusted time (witness, trusted, check) in a temp dir, the clocks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "edge_time.h"

static char dir[64];
static int dfd = -1;

static int
setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/edge-test-time.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	return dfd >= 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	(void)unlinkat(dfd, EDGE_TIME_FILE, 0);
	close(dfd);
	return rmdir(dir);
}

static void
put(const char *text)
{
	int fd = openat(dfd, EDGE_TIME_FILE, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* The record as the file holds it: time and source. */
static long long
recorded(char *src, size_t srclen)
{
	char buf[512] = "", s[256] = "";
	long long t = 0;
	int fd = openat(dfd, EDGE_TIME_FILE, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n > 0);
	assert_true(sscanf(buf, "%lld %255[^\n]", &t, s) >= 1);
	if (src != NULL)
		snprintf(src, srclen, "%s", s);
	return t;
}

static void
no_record(void **state)
{
	bool far = true;

	(void)state;
	assert_int_equal(recorded(NULL, 0), 0);
	/* Nothing to compare with: any clock passes, none is "far ahead". */
	assert_int_equal(edge_time_check(dfd, 0, EDGE_TIME_TOLERANCE, &far, NULL),
	    EDGE_OK);
	assert_false(far);
}

static void
witness_moves_forward_only(void **state)
{
	time_t now = edge_time_now();
	char src[128];

	(void)state;
	assert_int_equal(edge_time_witness(dfd, now - 1000, "crl thisUpdate",
	    NULL), EDGE_OK);
	assert_int_equal(recorded(src, sizeof(src)), now - 1000);
	assert_string_equal(src, "crl thisUpdate");
	/* Older evidence changes nothing. */
	assert_int_equal(edge_time_witness(dfd, now - 5000, "older", NULL),
	    EDGE_OK);
	assert_int_equal(recorded(src, sizeof(src)), now - 1000);
	assert_string_equal(src, "crl thisUpdate");
	assert_int_equal(edge_time_witness(dfd, now - 10, "hub certificate notBefore",
	    NULL), EDGE_OK);
	assert_int_equal(recorded(NULL, 0), now - 10);
}

static void
witness_from_the_future(void **state)
{
	struct edge_error err = { 0 };
	time_t now = edge_time_now();

	(void)state;
	/* Within the tolerance: recorded. */
	assert_int_equal(edge_time_witness(dfd, now + EDGE_TIME_TOLERANCE / 2,
	    "a", &err), EDGE_OK);
	/* Beyond it: refused (it would lock the edge out), not recorded. */
	assert_int_equal(edge_time_witness(dfd, now + 2 * EDGE_TIME_TOLERANCE,
	    "Date header", &err), EDGE_ETRUST);
	assert_non_null(strstr(err.msg, "Date header"));
	assert_non_null(strstr(err.msg, "ahead of the system clock"));
	assert_int_equal(recorded(NULL, 0),
	    now + EDGE_TIME_TOLERANCE / 2);
}

static void
check_clock_set_back(void **state)
{
	struct edge_error err = { 0 };
	bool far = true;

	(void)state;
	put("2000000000 crl thisUpdate\n");
	assert_int_equal(edge_time_check(dfd, 2000000000 - EDGE_TIME_TOLERANCE,
	    EDGE_TIME_TOLERANCE, &far, &err), EDGE_OK);
	assert_false(far);
	assert_int_equal(edge_time_check(dfd, 2000000000 - EDGE_TIME_TOLERANCE - 1,
	    EDGE_TIME_TOLERANCE, &far, &err), EDGE_ETRUST);
	assert_non_null(strstr(err.msg, "system clock is earlier than trusted time"));
	assert_non_null(strstr(err.msg, "(from crl thisUpdate)"));
	/* Far ahead is only a warning. */
	assert_int_equal(edge_time_check(dfd, 2000000000 + EDGE_TIME_AHEAD + 1,
	    EDGE_TIME_TOLERANCE, &far, &err), EDGE_OK);
	assert_true(far);
	assert_int_equal(edge_time_check(dfd, 2000000000 + EDGE_TIME_AHEAD,
	    EDGE_TIME_TOLERANCE, &far, &err), EDGE_OK);
	assert_false(far);
}

static void
hostile_records(void **state)
{
	struct edge_error err = { 0 };

	(void)state;
	/* An unreadable record is no record: nothing is refused. */
	put("garbage\n");
	assert_int_equal(edge_time_check(dfd, 1, EDGE_TIME_TOLERANCE, NULL, &err),
	    EDGE_OK);
	put("-5 negative\n");
	assert_int_equal(edge_time_check(dfd, 1, EDGE_TIME_TOLERANCE, NULL, &err),
	    EDGE_OK);
	/* No source: "a verified source" in the message. */
	put("2000000000\n");
	assert_int_equal(edge_time_check(dfd, 1, EDGE_TIME_TOLERANCE, NULL, &err),
	    EDGE_ETRUST);
	assert_non_null(strstr(err.msg, "(from a verified source)"));
	/* Evidence older than a hostile record changes nothing. */
	assert_int_equal(edge_time_witness(dfd, 1000, "x", &err), EDGE_OK);
	assert_int_equal(recorded(NULL, 0), 2000000000);
}

static void
clocks(void **state)
{
	struct timespec ts = { 0, 20 * 1000000 };
	long long m0 = edge_time_mono_ms(), m1, w = edge_time_ms();

	(void)state;
	/* The wall clock in ms agrees with time(); the monotonic one moves on. */
	assert_true(w / 1000 >= (long long)edge_time_now() - 1 &&
	    w / 1000 <= (long long)edge_time_now());
	nanosleep(&ts, NULL);
	m1 = edge_time_mono_ms();
	assert_true(m1 - m0 >= 20);
	assert_true(m1 - m0 < 5000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(no_record, setup, teardown),
		cmocka_unit_test_setup_teardown(witness_moves_forward_only, setup, teardown),
		cmocka_unit_test_setup_teardown(witness_from_the_future, setup, teardown),
		cmocka_unit_test_setup_teardown(check_clock_set_back, setup, teardown),
		cmocka_unit_test_setup_teardown(hostile_records, setup, teardown),
		cmocka_unit_test(clocks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
