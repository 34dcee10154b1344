/* SPDX-License-Identifier: MIT */
#ifndef EDGE_DYNACT_H
#define EDGE_DYNACT_H

/*
 * EnOS dynamic activation (ENOS-PROTOCOL.md 6.3): a registered, not yet
 * activated device logs in over MQTT with securemode=3, signed with the
 * product secret; the hub answers on /ext/session/{pk}/{dk}/thing/activate/info
 * with the device's assetId and device secret, and the device acknowledges.
 * For gateways that must not hold application credentials.  Never prints.
 */

#include "edge_err.h"
#include "edge_secret.h"

struct edge_dynact_conf {
	const char *url;		/* mqtts://host[:port] of the activation broker */
	int dirfd;			/* state directory (CRL, trusted roots) */
	const char *ca_file;		/* roots for the broker's certificate */
	const char *hub_pin;		/* --hub-pin, NULL: none */
	const char *product_key;
	const char *device_key;
	const struct edge_secret *product_secret;
	long timeout;			/* seconds for the whole exchange */
	void (*on_subscribe)(int mid);	/* SUBACK (a -vv line); may be NULL */
};

/*
 * Activate; on success *asset_id (caller frees with free()) and *secret
 * (caller frees with edge_secret_free) hold what the hub sent.  Errors:
 * EDGE_ETEMP (unreachable, timed out), EDGE_EREFUSED (login refused: wrong
 * product secret, unknown or already activated device), EDGE_ETRUST (broker
 * certificate), EDGE_EINPUT (unusable answer).
 */
int edge_dynact_run(const struct edge_dynact_conf *c, char **asset_id,
    struct edge_secret **secret, struct edge_error *err);

/*
 * The hub's activation answer for device product_key/device_key:
 * {"id":ID,"params":{"assetId","productKey","deviceKey","deviceSecret"}}.
 * On success *id (its message id, for the acknowledgement) and *asset_id
 * (both free()) and *secret (edge_secret_free) are set; the parsed copy of
 * the secret is wiped.  Errors: EDGE_EINPUT (not JSON, a member missing or
 * not a string, another device's answer), EDGE_EFAIL.
 */
int edge_dynact_answer(const void *payload, size_t len,
    const char *product_key, const char *device_key, char **id,
    char **asset_id, struct edge_secret **secret, struct edge_error *err);

#endif
