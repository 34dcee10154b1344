/* SPDX-License-Identifier: MIT */
#ifndef EDGE_HTTP_H
#define EDGE_HTTP_H

/*
 * HTTPS requests (libcurl): peer verification always on, TLS >= 1.2, plain
 * http refused, connect and total timeouts, and a cap on the response size.  The server's certificate must also pass the
 * hub identity rule (edge_hubid.h: serverAuth, the host in a subjectAltName,
 * the pin), checked before any part of the request is sent.  Never prints.
 */

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "edge_err.h"

struct edge_http_opts {
	const char *ca_file;	/* trust only this bundle; NULL: system store */
	long connect_timeout;	/* seconds */
	long total_timeout;	/* seconds */
	size_t max_response;	/* bytes; larger answers are EDGE_EINPUT */
	const char *hub_pin;	/* --hub-pin: sha256//BASE64[;...], NULL: none */
};

struct edge_http_response {
	long status;		/* HTTP status */
	char *body;		/* NUL-terminated; caller frees with edge_http_response_free */
	size_t len;
	char content_type[128];
	time_t date;		/* the Date header, 0 if absent */
};

/*
 * One request.  headers is a NULL-terminated list of "Name: value" lines (may
 * be NULL).  A transport failure (DNS, connect, timeout, reset) is EDGE_ETEMP;
 * a TLS verification failure EDGE_ETRUST; an oversized answer EDGE_EINPUT.
 * Any HTTP status is returned in resp (the caller decides what it means).
 */
int edge_http_request(const struct edge_http_opts *o, const char *method,
    const char *url, const char *const *headers, const void *body, size_t len,
    struct edge_http_response *resp, struct edge_error *err);

void edge_http_response_free(struct edge_http_response *resp);

/* Percent-encode s for a URL query; caller frees with free(). */
char *edge_http_escape(const char *s);

#endif
