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
lines_as_fed(void **state)
{
	static const struct {
		size_t max;
		const char *chunks[5];
		const char *want;
		unsigned long long lines;
	} v[] = {
		/* The empty line is handed over too; the last needs no '\n'. */
		{ 16, { "ab\ncd", "e\n\nf", "g\nh", NULL }, "ab|cde||fg|h", 5 },
		/* max 4: "1234567890" is told once, then skipped to its end. */
		{ 4, { "abcd\n12345", "6789", "0\nok\n", "toolong", NULL },
		    "abcd|#|ok|#", 4 },
		/* A read of at most max + 1 bytes: the long line fills the buffer. */
		{ 4, { "x\n123456\ny\n", NULL }, "x|#|y", 3 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct got g = { 0 };
		unsigned long long n;

		feed(v[i].max, v[i].chunks, &g, &n);
		assert_string_equal(g.text, v[i].want);
		assert_int_equal(n, v[i].lines);
	}
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
		cmocka_unit_test(lines_as_fed),
		cmocka_unit_test(callback_stops),
		cmocka_unit_test(nothing_yet_and_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
