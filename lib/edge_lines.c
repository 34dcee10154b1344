/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "edge_lines.h"

int
edge_lines_init(struct edge_lines *l, int fd, size_t max,
    struct edge_error *err)
{
	memset(l, 0, sizeof(*l));
	l->fd = fd;
	l->max = max;
	if ((l->buf = malloc(max + 2)) == NULL)
		return edge_err(err, EDGE_EFAIL, "out of memory");
	return EDGE_OK;
}

/* Hand over the line at s (its '\n' already replaced by NUL). */
static int
one(struct edge_lines *l, char *s, size_t len, edge_lines_fn fn, void *user)
{
	l->lineno++;
	return fn(user, len > l->max ? NULL : s, len > l->max ? 0 : len);
}

int
edge_lines_read(struct edge_lines *l, edge_lines_fn fn, void *user,
    struct edge_error *err)
{
	size_t start = 0, i;
	ssize_t r;
	int rc;

	if (l->len == l->max + 1) {
		/* An overlong line (told already): skip to its end. */
		l->len = 0;
		l->skipping = true;
	}
	r = read(l->fd, l->buf + l->len, l->max + 1 - l->len);
	if (r < 0)
		return errno == EINTR || errno == EAGAIN ? EDGE_OK :
		    edge_err(err, EDGE_ESTORE, "input: %s", strerror(errno));
	if (r == 0) {
		l->eof = true;
		rc = EDGE_OK;
		if (l->len > 0 && !l->skipping) {
			l->buf[l->len] = '\0';
			rc = one(l, l->buf, l->len, fn, user);
		}
		l->len = 0;
		return rc;
	}
	l->len += (size_t)r;
	for (i = 0; i < l->len; i++) {
		if (l->buf[i] != '\n')
			continue;
		l->buf[i] = '\0';
		if (l->skipping)
			l->skipping = false;
		else if ((rc = one(l, l->buf + start, i - start, fn, user)) != 0)
			return rc;
		start = i + 1;
	}
	if (l->skipping) {
		start = l->len;
	} else if (start == 0 && l->len == l->max + 1 &&
	    (rc = one(l, l->buf, l->len, fn, user)) != 0) {
		return rc;
	}
	memmove(l->buf, l->buf + start, l->len - start);
	l->len -= start;
	return EDGE_OK;
}

void
edge_lines_free(struct edge_lines *l)
{
	free(l->buf);
	l->buf = NULL;
	l->len = 0;
}
