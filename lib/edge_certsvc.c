/* SPDX-License-Identifier: MIT */
/*
 * The hub's List and Revoke Certificate calls, and supersede on top of them.
 */
#include <stdlib.h>
#include <string.h>

#include "edge_certsvc.h"
#include "edge_crl.h"
#include "edge_json.h"

#define WHAT	"hub list answer"
#define SN_INT64_MAX	"9223372036854775807"

/* A decimal serial without its leading zeros ("0" stays "0"). */
static const char *
digits(const char *sn)
{
	while (sn[0] == '0' && sn[1] != '\0')
		sn++;
	return sn;
}

bool
edge_certsvc_sn_equal(const char *a, const char *b)
{
	return strcmp(digits(a), digits(b)) == 0;
}

const struct edge_hubcert *
edge_certsvc_find(const struct edge_hubcert *certs, size_t n, const char *sn)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (edge_certsvc_sn_equal(certs[i].sn, sn))
			return &certs[i];
	return NULL;
}

static void
copy(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);

	if (n >= len)
		n = len - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

int
edge_certsvc_list(struct edge_hub *hub, const char *pk, const char *dk,
    struct edge_hubcert **certs, size_t *n, struct edge_error *err)
{
	struct edge_enos_param q[] = {
		{ "action", "list" }, { "productKey", pk }, { "deviceKey", dk },
	};
	json_object *data = NULL;
	struct edge_hubcert *c = NULL;
	size_t i, len;
	int rc;

	*certs = NULL;
	*n = 0;
	if ((rc = edge_hub_call(hub, "GET", EDGE_CERTSVC_PATH, q, 3, NULL, &data,
	    NULL, err)) != EDGE_OK)
		return rc;
	if (data == NULL || !json_object_is_type(data, json_type_array)) {
		json_object_put(data);
		return edge_err(err, EDGE_EINPUT, WHAT ": data is not a list");
	}
	len = json_object_array_length(data);
	if (len > 0 && (c = calloc(len, sizeof(*c))) == NULL) {
		json_object_put(data);
		return edge_err(err, EDGE_EFAIL, "out of memory");
	}
	for (i = 0; i < len; i++) {
		json_object *e = json_object_array_get_idx(data, i), *audit;
		const char *sn, *why = NULL;
		long long status, t;

		if ((rc = edge_json_string(e, "certSN", WHAT, &sn, err)) !=
		    EDGE_OK ||
		    (rc = edge_json_int(e, "certStatus", WHAT, &status, err)) !=
		    EDGE_OK) {
			free(c);
			json_object_put(data);
			return rc;
		}
		if (strlen(sn) >= sizeof(c[i].sn) || sn[0] == '\0' ||
		    strspn(sn, "0123456789") != strlen(sn)) {
			free(c);
			json_object_put(data);
			return edge_err(err, EDGE_EINPUT,
			    WHAT ": certSN is not a decimal serial");
		}
		copy(c[i].sn, sizeof(c[i].sn), sn);
		c[i].status = (int)status;
		if (edge_json_opt_string(e, "revokerReason", "", &why, NULL) ==
		    EDGE_OK && why != NULL)
			copy(c[i].reason, sizeof(c[i].reason), why);
		if (json_object_object_get_ex(e, "audit", &audit) &&
		    edge_json_int(audit, "updateTime", "", &t, NULL) == EDGE_OK)
			c[i].updated_ms = t;
	}
	json_object_put(data);
	*certs = c;
	*n = len;
	return EDGE_OK;
}

int
edge_certsvc_revoke(struct edge_hub *hub, const char *pk, const char *dk,
    const char *sn, int reason, struct edge_error *err)
{
	struct edge_enos_param q[] = {
		{ "action", "revoke" }, { "productKey", pk }, { "deviceKey", dk },
	};
	json_object *body, *data = NULL;
	const char *d = digits(sn);
	long long v;
	int rc;

	if (d[0] == '\0' || strspn(d, "0123456789") != strlen(d))
		return edge_err(err, EDGE_EINPUT, "serial %s: not a decimal serial",
		    sn);
	/* Above 2^63-1 is an error, never strtoll's LLONG_MAX: another serial. */
	if (strlen(d) > strlen(SN_INT64_MAX) || (strlen(d) ==
	    strlen(SN_INT64_MAX) && strcmp(d, SN_INT64_MAX) > 0))
		return edge_err(err, EDGE_EINPUT,
		    "serial %s is too large for the hub's certSn (a 64-bit number)",
		    sn);
	v = strtoll(d, NULL, 10);
	body = json_object_new_object();
	json_object_object_add(body, "certSn", json_object_new_int64(v));
	json_object_object_add(body, "reason", json_object_new_int(reason));
	rc = edge_hub_call(hub, "POST", EDGE_CERTSVC_PATH, q, 3, body, &data,
	    NULL, err);
	json_object_put(body);
	json_object_put(data);
	return rc;
}

int
edge_certsvc_supersede(struct edge_hub *hub, const char *pk,
    const char *dk, const char *keep_sn, json_object *revoked,
    struct edge_error *err)
{
	struct edge_hubcert *c = NULL;
	const struct edge_hubcert *keep;
	size_t i, n = 0;
	int rc;

	if ((rc = edge_certsvc_list(hub, pk, dk, &c, &n, err)) != EDGE_OK)
		return rc;
	/*
	 * Only the holder of a valid certificate of the device prunes: a
	 * certificate revoked, expired or of another device keeps nothing.
	 */
	keep = edge_certsvc_find(c, n, keep_sn);
	if (keep == NULL || keep->status != EDGE_HUBCERT_VALID) {
		rc = keep == NULL ? edge_err(err, EDGE_EINPUT,
		    "serial %s is not a certificate of %s at the hub; nothing revoked",
		    keep_sn, dk) : keep->status == EDGE_HUBCERT_REVOKED ?
		    edge_err(err, EDGE_EREVOKED,
		    "serial %s of %s is revoked at the hub%s%s%s; nothing revoked",
		    keep_sn, dk, keep->reason[0] ? " (" : "", keep->reason,
		    keep->reason[0] ? ")" : "") : edge_err(err, EDGE_EINPUT,
		    "serial %s of %s is not valid at the hub (expired); nothing revoked",
		    keep_sn, dk);
		free(c);
		return rc;
	}
	for (i = 0; i < n; i++) {
		if (c[i].status != EDGE_HUBCERT_VALID || &c[i] == keep ||
		    edge_certsvc_sn_equal(c[i].sn, keep_sn))
			continue;
		if ((rc = edge_certsvc_revoke(hub, pk, dk, c[i].sn,
		    EDGE_REASON_SUPERSEDED, err)) != EDGE_OK)
			break;
		if (revoked != NULL)
			json_object_array_add(revoked,
			    json_object_new_string(c[i].sn));
	}
	free(c);
	return rc;
}
