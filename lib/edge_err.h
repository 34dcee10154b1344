/* SPDX-License-Identifier: MIT */
#ifndef EDGE_ERR_H
#define EDGE_ERR_H

/*
 * Error reporting shared by every lib/ module.
 *
 * A library function returns 0 or a negative EDGE_E* code and, when given a
 * struct edge_error, fills it with one human line "object: cause".  The code is
 * chosen so that -code is the documented exit status (DESIGN.md, man/common/
 * exit-status.md): a tool never needs a second mapping table.  The library
 * never prints and never exits.
 */

#include <stdarg.h>

enum {
	EDGE_OK = 0,
	EDGE_EFAIL = -1,	/* failure not covered below */
	EDGE_EUSAGE = -2,	/* usage error */
	EDGE_EINPUT = -3,	/* malformed or wrong input, unacceptable hub answer */
	EDGE_ETEMP = -4,	/* temporary: unreachable, timeout, 5xx; worth retrying */
	EDGE_EREFUSED = -5,	/* refused by the hub: auth, permission, business error */
	EDGE_ETRUST = -6,	/* trust failure: certificate, CRL, clock */
	EDGE_ESTORE = -7,	/* local storage or key store (PKCS#11) error */
	EDGE_EREVOKED = -8,	/* the certificate in question is revoked */
	EDGE_ECHECK = -9,	/* edge-check: a check failed (--strict: or warned) */
};

#define EDGE_ERR_MSG_MAX 512

struct edge_error {
	int code;			/* one of EDGE_E*, 0 when unset */
	char msg[EDGE_ERR_MSG_MAX];	/* "object: cause", no tool name, no newline */
};

/*
 * Record an error and return code, so callers can write
 *	return edge_err(err, EDGE_EINPUT, "%s: not a PEM key", path);
 * err may be NULL.  Never prints.
 */
int edge_err_set(struct edge_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A macro so that static analysis sees that the call yields code itself. */
static inline int
edge_err_yield(int code)
{
	return code;
}
#define edge_err(err, code, ...) \
	edge_err_yield((edge_err_set((err), (code), __VA_ARGS__), (code)))

/* Prefix an existing message with "prefix: " (e.g. the option name). */
int edge_err_prefix(struct edge_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Exit status for a return code: 0 for EDGE_OK, -code otherwise (1 if unknown). */
int edge_exit_status(int code);

/* Short name of a code ("invalid input", "temporary failure", ...). */
const char *edge_strerror(int code);

#endif
