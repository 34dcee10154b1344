/* SPDX-License-Identifier: MIT */
#ifndef EDGE_DEVICE_H
#define EDGE_DEVICE_H

/*
 * The device record in the state directory: device.json (productKey,
 * deviceKey, assetId, serial, license, name, timezone, hub addresses and the
 * serial of the current certificate) and device.secret (0600).  Never prints.
 */

#include <stdbool.h>
#include <json-c/json.h>

#include "edge_err.h"
#include "edge_secret.h"
#include "edge_state.h"

enum edge_device_field {
	EDGE_DEV_PRODUCT_KEY, EDGE_DEV_DEVICE_KEY, EDGE_DEV_ASSET_ID,
	EDGE_DEV_SERIAL, EDGE_DEV_LICENSE, EDGE_DEV_NAME, EDGE_DEV_TIMEZONE,
	EDGE_DEV_API, EDGE_DEV_PORTAL, EDGE_DEV_MQTT, EDGE_DEV_CERT_SN,
	EDGE_DEV_N
};

struct edge_device {
	char *v[EDGE_DEV_N];	/* owned strings, NULL when unknown */
};

/* Set a field (copies value; NULL clears it). */
int edge_device_set(struct edge_device *d, enum edge_device_field f,
    const char *value);
const char *edge_device_get(const struct edge_device *d,
    enum edge_device_field f);

bool edge_device_exists(int dirfd);

/* Longest productKey or deviceKey (EnOS keys are 1 to 64 characters). */
#define EDGE_DEVICE_KEY_MAX	64
/*
 * Whether s is a productKey or deviceKey as EnOS makes them: 1 to
 * EDGE_DEVICE_KEY_MAX letters, digits, '_', '-', '.' or ':'.  Keys become
 * MQTT topic levels and names, so device.json is refused (EDGE_EINPUT) by
 * edge_device_load() and never written by edge_device_save() with another.
 */
bool edge_device_key_valid(const char *s);

/*
 * Read device.json.  Missing: EDGE_EINPUT "not provisioned (no device.json);
 * run edge-provision".  productKey and deviceKey are required and must pass
 * edge_device_key_valid().
 */
int edge_device_load(int dirfd, struct edge_device *d, struct edge_error *err);

/* Write device.json atomically (0644). */
int edge_device_save(int dirfd, const struct edge_device *d,
    struct edge_error *err);

/* The record with snake_case keys for --json output (never the secret). */
json_object *edge_device_json(const struct edge_device *d);

void edge_device_free(struct edge_device *d);

/*
 * Provisioning's result: device.secret (0600) and device.json, the mark of a
 * finished provisioning, renamed into place in that order once both are
 * written, so a full disk or any write error leaves both as they were.
 */
int edge_device_store(int dirfd, const struct edge_device *d,
    const char *secret, struct edge_error *err);
/* device.secret read back as a secret. */
int edge_device_secret_load(int dirfd, struct edge_secret **out,
    struct edge_error *err);

#endif
