/* SPDX-License-Identifier: MIT */
/* lib/edge_lines: whole lines across reads, overlong lines skipped once, the unterminated last line, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "edge_lines.h"

struct got {
	char text[1024];	/* lines joined by '|', an overlong one as "#" */
	int calls, stop_at;
};

static int
collect(void *user, char *line, size_t len)
{
	struct got *g = user;
	size_t n = strlen(g->text);

	if (line != NULL)
		assert_int_equal(strlen(line), len);
	snprintf(g->text + n, sizeof(g->text) - n, "%s%s", n ? "|" : "",
	    line != NULL ? line : "#");
	return ++g->calls == g->stop_at ? -42 : 0;
}

/* Feed each chunk through a pipe, one edge_lines_read per chunk, then EOF. */
static void
feed(size_t max, const char *const *chunks, struct got *g,
    unsigned long long *lineno)
{
	struct edge_lines l;
	int p[2], i;

	assert_int_equal(pipe(p), 0);
	assert_int_equal(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(edge_lines_init(&l, p[0], max, NULL), EDGE_OK);
	for (; *chunks != NULL; chunks++) {
		assert_int_equal(write(p[1], *chunks, strlen(*chunks)),
		    (ssize_t)strlen(*chunks));
		/* A read takes at most max + 1 bytes; the rest: EAGAIN, no-op. */
		for (i = 0; i < 8; i++)
			assert_int_equal(edge_lines_read(&l, collect, g, NULL),
			    EDGE_OK);
		assert_false(l.eof);
	}
	close(p[1]);
	assert_int_equal(edge_lines_read(&l, collect, g, NULL), EDGE_OK);
	assert_true(l.eof);
	*lineno = l.lineno;
	edge_lines_free(&l);
	close(p[0]);
}

static void
lines_across_reads(void **state)
{
	const char *const c[] = { "ab\ncd", "e\n\nf", "g\nh", NULL };
	struct got g = { 0 };
	unsigned long long n;

	(void)state;
	feed(16, c, &g, &n);
	/* The empty line is handed over too; the last needs no '\n'. */
	assert_string_equal(g.text, "ab|cde||fg|h");
	assert_int_equal(n, 5);
}

static void
overlong_lines(void **state)
{
	/* max 4: "12345" is too long (told once), then skipped to its end. */
	const char *const c[] = { "abcd\n12345", "6789", "0\nok\n", "toolong", NULL };
	struct got g = { 0 };
	unsigned long long n;

	(void)state;
	feed(4, c, &g, &n);
	assert_string_equal(g.text, "abcd|#|ok|#");
	assert_int_equal(n, 4);
}

static void
overlong_in_one_read(void **state)
{
	const char *const c[] = { "x\n123456\ny\n", NULL };
	struct got g = { 0 };
	unsigned long long n;

	(void)state;
	/* A read of at most max + 1 bytes: the long line fills the buffer. */
	feed(4, c, &g, &n);
	assert_string_equal(g.text, "x|#|y");
	assert_int_equal(n, 3);
}

static void
callback_stops(void **state)
{
	struct edge_lines l;
	struct got g = { .stop_at = 2 };
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(edge_lines_init(&l, p[0], 64, NULL), EDGE_OK);
	assert_int_equal(write(p[1], "a\nb\nc\n", 6), 6);
	assert_int_equal(edge_lines_read(&l, collect, &g, NULL), -42);
	assert_string_equal(g.text, "a|b");
	edge_lines_free(&l);
	close(p[0]);
	close(p[1]);
}

static void
nothing_yet_and_errors(void **state)
{
	struct edge_lines l;
	struct edge_error err = { 0 };
	struct got g = { 0 };
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(edge_lines_init(&l, p[0], 64, NULL), EDGE_OK);
	assert_int_equal(edge_lines_read(&l, collect, &g, NULL), EDGE_OK);
	assert_false(l.eof);
	assert_int_equal(g.calls, 0);
	close(p[0]);
	close(p[1]);
	/* A closed descriptor: EBADF. */
	assert_int_equal(edge_lines_read(&l, collect, &g, &err), EDGE_ESTORE);
	assert_string_equal(err.msg, "input: Bad file descriptor");
	edge_lines_free(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lines_across_reads),
		cmocka_unit_test(overlong_lines),
		cmocka_unit_test(overlong_in_one_read),
		cmocka_unit_test(callback_stops),
		cmocka_unit_test(nothing_yet_and_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
