/* SPDX-License-Identifier: MIT */
#ifndef EDGE_JSON_H
#define EDGE_JSON_H

/*
 * Strict reading of JSON from outside (hub answers, device.json, telemetry
 * lines): RFC 8259 syntax checked first, parsed with a depth limit, then
 * fields fetched with their type checked, so a hostile or truncated answer
 * is a clear EDGE_EINPUT, never a crash or a wrong value.
 * Never prints.
 */

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

#include "edge_err.h"

/*
 * Parse exactly one RFC 8259 JSON value from buf (any value: callers that
 * want an object get "not a JSON object" from the members below; a JSON null
 * is *out NULL); what names it in messages.
 */
int edge_json_parse(const char *buf, size_t len, const char *what,
    json_object **out, struct edge_error *err);

/*
 * Check that buf is exactly one RFC 8259 value, as edge_json_parse does,
 * without building it: NULL when it is, else why not.  For a top-level
 * object, member (when not NULL) is called for each of its members in order,
 * with the key as written between its quotes (escapes not decoded) and the
 * value as written (a string with its quotes; NULL and 0 for an object or an
 * array).  What member saw counts only when the result is NULL.  For hot
 * paths that need one fact of a small message, not the message.
 */
typedef void edge_json_member_fn(void *user, const char *key, size_t klen,
    const char *val, size_t vlen);
const char *edge_json_check(const char *buf, size_t len,
    edge_json_member_fn *member, void *user);

/*
 * A member of obj with the wanted type.  Missing or of another type:
 * EDGE_EINPUT "what: field KEY is missing" / "... is not a string"; a
 * string with an embedded NUL ("\u0000") is refused too ("... contains a NUL
 * character"), as C would see it truncated.  The returned string is borrowed
 * from obj.
 */
int edge_json_string(json_object *obj, const char *key, const char *what,
    const char **out, struct edge_error *err);
int edge_json_int(json_object *obj, const char *key, const char *what,
    long long *out, struct edge_error *err);
int edge_json_object(json_object *obj, const char *key, const char *what,
    json_object **out, struct edge_error *err);

/*
 * Optional string member: NULL when absent or null; EDGE_EINPUT on a wrong
 * type or an embedded NUL.
 */
int edge_json_opt_string(json_object *obj, const char *key, const char *what,
    const char **out, struct edge_error *err);

/* Serialize compactly (no slash escaping), for bodies and --json output. */
const char *edge_json_text(json_object *obj);

#endif
