/* SPDX-License-Identifier: MIT */
/*
 * Fault injection for tests: faults the real hub cannot be made to produce on
 * demand.  DIR/faults holds lines "PATH-PART KIND COUNT": the next COUNT API
 * answers (-1: all) whose path contains PATH-PART ("*" for any) get KIND:
 *
 *	http500		HTTP 500 with the EnOS internal-error envelope
 *	garbage		a body that is not JSON
 *	truncated	the real answer cut in half
 *	wrongtype	the real answer with every field of data turned into 42
 *	otherkey	Apply/Renew: the certificate (and certSN) of another key,
 *			issued by the same CA (the cloud client's certificate)
 *	slow		the real answer after a 5 s delay
 *
 * PATH-PART is matched against the path followed by "?action=ACTION" when
 * the request has an action parameter, so "certificates?action=list" hits
 * List Certificate only (the answer is replaced after the hub acted: a
 * fault on a revoke still revokes).
 *
 * The file is rewritten as counts run down; the token endpoint is never
 * affected, and the CA endpoints only by a line whose PATH-PART starts with
 * "/enos/CA/", so "*" leaves tests able to fetch the root.  The caller holds
 * h->lock.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "edge_file.h"
#include "edge_x509.h"
#include "hub.h"

#define MAX_FAULTS 16

struct fault {
	char part[128];
	char kind[32];
	long count;
};

static int
load(struct hub *h, struct fault *f)
{
	char *buf = NULL, *line, *next;
	size_t len;
	int n = 0;

	if (edge_file_read(h->dirfd, "faults", 64 * 1024, &buf, &len, NULL) != EDGE_OK)
		return 0;
	for (line = buf; line != NULL && n < MAX_FAULTS; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (sscanf(line, "%127s %31s %ld", f[n].part, f[n].kind,
		    &f[n].count) == 3 && f[n].count != 0)
			n++;
	}
	free(buf);
	return n;
}

static void
save(struct hub *h, const struct fault *f, int n)
{
	char buf[MAX_FAULTS * 200];
	size_t len = 0;
	int i;

	for (i = 0; i < n; i++) {
		int w;

		if (f[i].count == 0)
			continue;
		/* Checked: part and kind came from the faults file. */
		w = snprintf(buf + len, sizeof(buf) - len, "%s %s %ld\n",
		    f[i].part, f[i].kind, f[i].count);
		if (w < 0 || (size_t)w >= sizeof(buf) - len)
			break;
		len += (size_t)w;
	}
	(void)edge_file_write_atomic(h->dirfd, "faults", buf, len, 0600, NULL);
}

/* Replace data.cert/certSN with the cloud client's certificate. */
static void
other_key(struct hub *h, struct hub_resp *rs)
{
	json_object *o = json_tokener_parse(rs->body), *data;
	struct edge_certs c = { 0 };
	char *pem = NULL, sn[128];
	size_t len;

	if (o == NULL || !json_object_object_get_ex(o, "data", &data) ||
	    !json_object_is_type(data, json_type_object) ||
	    edge_file_read(h->dirfd, "cloud.pem", 64 * 1024, &pem, &len, NULL) !=
	    EDGE_OK || edge_certs_load(pem, len, "cloud.pem", &c, NULL) != EDGE_OK ||
	    edge_x509_serial_dec(c.crt[0], sn, sizeof(sn)) != EDGE_OK)
		goto out;
	json_object_object_add(data, "cert", json_object_new_string(pem));
	json_object_object_add(data, "certSN", json_object_new_string(sn));
	free(rs->body);
	rs->body = NULL;
	hub_reply_json(rs, rs->status, json_object_get(o));
out:
	edge_certs_free(&c);
	free(pem);
	json_object_put(o);
}

static void
wrong_types(struct hub_resp *rs)
{
	json_object *o = json_tokener_parse(rs->body), *data;

	if (o != NULL && json_object_object_get_ex(o, "data", &data) &&
	    json_object_is_type(data, json_type_object)) {
		json_object_object_foreach(data, k, v) {
			(void)v;
			json_object_object_add(data, k, json_object_new_int(42));
		}
		free(rs->body);
		rs->body = NULL;
		hub_reply_json(rs, rs->status, json_object_get(o));
	}
	json_object_put(o);
}

void
hub_fault_apply(struct hub *h, const struct hub_req *rq, struct hub_resp *rs)
{
	struct fault f[MAX_FAULTS];
	const char *action = hub_param(rq, "action");
	char where[512];
	int n = load(h, f), i;
	bool api = strncmp(rq->path, "/connect-service/", 17) == 0;

	if (n == 0)
		return;
	/* "certificates?action=list" names one action of an endpoint. */
	snprintf(where, sizeof(where), "%s%s%s", rq->path,
	    action ? "?action=" : "", action ? action : "");
	/* The CA endpoints only for a line that names them ("/enos/CA/crl"). */
	for (i = 0; i < n; i++)
		if (api ? strcmp(f[i].part, "*") == 0 ||
		    strstr(where, f[i].part) != NULL :
		    strncmp(f[i].part, "/enos/CA/", 9) == 0 &&
		    strstr(rq->path, f[i].part) != NULL)
			break;
	if (i == n)
		return;
	hub_log("fault: %s on %s", f[i].kind, rq->path);
	if (strcmp(f[i].kind, "http500") == 0) {
		free(rs->body);
		rs->body = NULL;
		hub_reply(rs, 500, ENOS_EINTERNAL, "Internal error (injected)", NULL);
	} else if (strcmp(f[i].kind, "garbage") == 0) {
		free(rs->body);
		rs->body = strdup("<html>502 Bad Gateway</html>");
		rs->len = rs->body ? strlen(rs->body) : 0;
	} else if (strcmp(f[i].kind, "truncated") == 0 && rs->body != NULL) {
		rs->len /= 2;
	} else if (strcmp(f[i].kind, "wrongtype") == 0 && rs->body != NULL) {
		wrong_types(rs);
	} else if (strcmp(f[i].kind, "otherkey") == 0 && rs->body != NULL) {
		other_key(h, rs);
	} else if (strcmp(f[i].kind, "slow") == 0) {
		sleep(5);
	}
	if (f[i].count > 0)
		f[i].count--;
	save(h, f, n);
}
