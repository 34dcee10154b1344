/* SPDX-License-Identifier: MIT */
#ifndef EDGE_HUB_H
#define EDGE_HUB_H

/*
 * The EnOS REST client (ENOS-PROTOCOL.md sections 3 and 4): access token from
 * the token service, cached in the state directory for its lifetime; every
 * call signed (apim-accesstoken, apim-timestamp, apim-signature) over the
 * query and the body exactly as sent; the {code,msg,requestId,data} envelope
 * checked.  Network errors, timeouts and 5xx are retried with exponential
 * backoff and jitter; business errors never are.  Never prints.
 */

#include <stdbool.h>
#include <json-c/json.h>

#include "edge_enos.h"
#include "edge_err.h"
#include "edge_http.h"
#include "edge_secret.h"
#include "edge_state.h"

struct edge_hub {
	const char *api;		/* https://apigw[:port], no trailing path */
	const char *org_id;
	const char *access_key;
	const struct edge_secret *secret_key;
	struct edge_http_opts http;
	int retries;			/* extra attempts for temporary failures */
	int cache_dirfd;		/* token cache directory, -1 for none */
	time_t last_date;		/* Date header of the last verified answer */
	bool token_replayed;		/* the last token request met error 1001 */
};

/* Defaults: 10 s connect, 30 s total, 1 MiB answers, 3 retries. */
void edge_hub_init(struct edge_hub *h);

/*
 * One signed API call: method on api + path with orgId plus query (nquery
 * entries, NULL when none), and body (serialized once, signed and sent byte
 * for byte) when non-NULL.  On success *data (caller frees with
 * json_object_put; may be NULL for a null data) is the envelope's data.
 * Errors: EDGE_EREFUSED for a business error (*hub_code is the hub's code,
 * the message carries code and msg), EDGE_ETEMP after the retries,
 * EDGE_EINPUT for an answer that is not the envelope, EDGE_ETRUST for TLS
 * verification.  hub_code may be NULL.
 */
int edge_hub_call(struct edge_hub *h, const char *method, const char *path,
    const struct edge_enos_param *query, size_t nquery, json_object *body,
    json_object **data, int *hub_code, struct edge_error *err);

/*
 * Check an API answer: JSON with the {code,msg,requestId,data} envelope,
 * code 0 and HTTP 200.  *data as for edge_hub_call.  Separate from the
 * transport so that it can be tested (and fuzzed) on its own.
 */
int edge_hub_envelope(const char *body, size_t len, long status,
    const char *path, json_object **data, int *hub_code,
    struct edge_error *err);

/*
 * An unauthenticated GET (the portal's public CA and CRL endpoints) with the
 * same transport rules and retries.  Any status but 200 is an error:
 * EDGE_EREFUSED for 4xx, EDGE_ETEMP for 5xx after the retries.  On success
 * the caller frees resp with edge_http_response_free().
 */
int edge_hub_get(struct edge_hub *h, const char *url,
    struct edge_http_response *resp, struct edge_error *err);


#endif
