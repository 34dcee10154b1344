/* SPDX-License-Identifier: MIT */
#ifndef EDGE_CERTSVC_H
#define EDGE_CERTSVC_H

/*
 * The hub's certificate calls on a device's certificates (ENOS-PROTOCOL.md
 * 7.3 List Certificate, 8 Revoke Certificate), in one place for
 * edge-activate and edge-revoke; and "supersede": revoke every valid
 * certificate of the device but one.  Never prints.
 */

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

#include "edge_err.h"
#include "edge_hub.h"

#define EDGE_CERTSVC_PATH	"/connect-service/v2.0/certificates"
#define EDGE_CERT_SN_MAX	64

/* List Certificate's certStatus. */
enum { EDGE_HUBCERT_VALID = 0, EDGE_HUBCERT_REVOKED = 1, EDGE_HUBCERT_EXPIRED = 2 };

struct edge_hubcert {
	char sn[EDGE_CERT_SN_MAX];	/* decimal certSN */
	int status;			/* EDGE_HUBCERT_* */
	char reason[48];		/* revokerReason as the hub writes it, or "" */
	long long updated_ms;		/* audit.updateTime, 0 when absent */
};

/*
 * List the device's certificates: *certs (caller frees with free()) holds
 * *n entries.  EDGE_EINPUT for an answer that is not a list of entries with
 * certSN and certStatus; hub errors as edge_hub_call.
 */
int edge_certsvc_list(struct edge_hub *hub, const char *pk, const char *dk,
    struct edge_hubcert **certs, size_t *n, struct edge_error *err);

/* Two decimal serials are the same number (leading zeros aside). */
bool edge_certsvc_sn_equal(const char *a, const char *b);

/* The entry of certs with serial sn (as a number), or NULL. */
const struct edge_hubcert *edge_certsvc_find(const struct edge_hubcert *certs,
    size_t n, const char *sn);

/*
 * Revoke serial sn (decimal, at most 2^63-1: EDGE_EINPUT above) of the
 * device with an RFC 5280 reason code.
 */
int edge_certsvc_revoke(struct edge_hub *hub, const char *pk, const char *dk,
    const char *sn, int reason, struct edge_error *err);

/*
 * Revoke, with reason superseded, every valid certificate of the device
 * except keep_sn, and only when the hub lists keep_sn as a valid
 * certificate of that device: else nothing is revoked, EDGE_EREVOKED when
 * it is listed revoked, EDGE_EINPUT when it is not listed or expired.  Each serial revoked is appended (a string) to revoked
 * when it is not NULL, so a caller learns what was done even on a failure
 * part way.  EDGE_OK when no other valid certificate is left.
 */
int edge_certsvc_supersede(struct edge_hub *hub, const char *pk,
    const char *dk, const char *keep_sn, json_object *revoked,
    struct edge_error *err);

#endif
