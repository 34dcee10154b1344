/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "edge_err.h"

int
edge_err_set(struct edge_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

int
edge_err_prefix(struct edge_error *err, const char *fmt, ...)
{
	char prefix[EDGE_ERR_MSG_MAX], old[EDGE_ERR_MSG_MAX];
	char joined[2 * EDGE_ERR_MSG_MAX + 2];
	va_list ap;

	if (err == NULL)
		return EDGE_EFAIL;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	snprintf(joined, sizeof(joined), "%s: %s", prefix, old);
	snprintf(err->msg, sizeof(err->msg), "%.*s", EDGE_ERR_MSG_MAX - 1, joined);
	return err->code;
}

int
edge_exit_status(int code)
{
	if (code == EDGE_OK)
		return 0;
	if (code <= EDGE_EFAIL && code >= EDGE_ECHECK)
		return -code;
	return 1;
}

const char *
edge_strerror(int code)
{
	switch (code) {
	case EDGE_OK:		return "success";
	case EDGE_EUSAGE:	return "usage error";
	case EDGE_EINPUT:	return "invalid input";
	case EDGE_ETEMP:	return "temporary failure";
	case EDGE_EREFUSED:	return "refused by the hub";
	case EDGE_ETRUST:	return "trust failure";
	case EDGE_ESTORE:	return "local storage or key store error";
	case EDGE_EREVOKED:	return "certificate revoked";
	case EDGE_ECHECK:	return "a check failed";
	default:		return "failure";
	}
}
