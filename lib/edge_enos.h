/* SPDX-License-Identifier: MIT */
#ifndef EDGE_ENOS_H
#define EDGE_ENOS_H

/*
 * EnOS signatures (ENOS-PROTOCOL.md sections 4.1, 4.2 and 9.2), shared by the
 * hub client and the stand-in hub.  Pure functions: no I/O, never print.
 * Every function returns 0 or a negative EDGE_E* code (lib/edge_err.h).
 */

#include <stdbool.h>
#include <stddef.h>

#include "edge_err.h"

/* Size of a lowercase hex SHA-256 digest plus its NUL. */
#define EDGE_ENOS_HEX256	65

/*
 * Token service `encryption` (4.1): lowercase hex SHA-256 of
 * app_key + timestamp_ms + app_secret, written to out (65 bytes).
 * Errors: EDGE_EINPUT (NULL argument), EDGE_EFAIL (digest failure).
 */
int edge_enos_token_encryption(const char *app_key, const char *timestamp_ms,
    const char *app_secret, char out[EDGE_ENOS_HEX256]);

/* One decoded URL query parameter. */
struct edge_enos_param {
	const char *name;
	const char *value;
};

/*
 * apim-signature (4.2): lowercase hex SHA-256 of
 *   token + sorted(name value ...) + body + timestamp_ms + app_secret.
 * params (nparams entries, may be NULL when nparams is 0) are sorted by name
 * in ASCII (byte) order inside; equal names keep their given order.  The
 * caller's array is not modified.  body may be NULL when body_len is 0; it is
 * hashed byte for byte as sent.  out receives 65 bytes.
 * Errors: EDGE_EINPUT (NULL argument), EDGE_EFAIL (memory, digest).
 */
int edge_enos_api_signature(const char *token,
    const struct edge_enos_param *params, size_t nparams,
    const void *body, size_t body_len, const char *timestamp_ms,
    const char *app_secret, char out[EDGE_ENOS_HEX256]);

/*
 * MQTT CONNECT password (9.2): hex digest of
 *   "clientId" cid "deviceKey" dk "productKey" pk "timestamp" ts secret
 * with signmethod sha256, sha1 or md5 (case-insensitive) or the aliases
 * hmacsha256, hmacsha1, hmacmd5, which are the same plain digests.  Hex is
 * uppercase when uppercase is true.  outlen must hold the hex and its NUL
 * (65 is always enough).
 * Errors: EDGE_EINPUT (unknown method, NULL argument, outlen too small),
 * EDGE_EFAIL (memory, digest).
 */
int edge_enos_mqtt_password(const char *signmethod, const char *client_id,
    const char *device_key, const char *product_key, const char *timestamp,
    const char *secret, bool uppercase, char *out, size_t outlen);

/*
 * Compare two hex strings case-insensitively in time that depends only on
 * their lengths.  False when either is NULL or empty or the lengths differ.
 */
bool edge_enos_hex_equal(const char *a, const char *b);

#endif
