/* SPDX-License-Identifier: MIT */
#ifndef EDGE_LINES_H
#define EDGE_LINES_H

/*
 * Lines from a descriptor (edge-connect's NDJSON input), read as they come
 * without blocking the caller's poll() loop: each whole line is handed over
 * once; a line longer than max is reported once and skipped to its end.
 * Never prints.
 */

#include <stdbool.h>
#include <stddef.h>

#include "edge_err.h"

struct edge_lines {
	int fd;
	size_t max;		/* longest line, without its '\n' */
	char *buf;		/* max + 2 bytes */
	size_t len;
	bool skipping;		/* inside an overlong line */
	bool eof;
	unsigned long long lineno;	/* of the line handed over last */
};

/*
 * Called for each line: NUL-terminated at len, without its '\n' (the last
 * line of the input may have none); line is NULL for a line above max.
 * A non-zero return stops edge_lines_read, which returns it.
 */
typedef int (*edge_lines_fn)(void *user, char *line, size_t len);

/* Start reading fd.  Errors: EDGE_EFAIL (out of memory). */
int edge_lines_init(struct edge_lines *l, int fd, size_t max,
    struct edge_error *err);

/*
 * One read(): hand over every line it completed (at the end of the input,
 * the unterminated rest too, and l->eof becomes true).  Nothing to read yet
 * (EINTR, EAGAIN) is EDGE_OK.  Errors: a callback's, EDGE_ESTORE "input: ...".
 */
int edge_lines_read(struct edge_lines *l, edge_lines_fn fn, void *user,
    struct edge_error *err);

/* Free the buffer (the descriptor stays the caller's). */
void edge_lines_free(struct edge_lines *l);

#endif
