/* SPDX-License-Identifier: MIT */
#ifndef HUB_JSON_H
#define HUB_JSON_H

/*
 * Field helpers for the hub registry (state.json), shared by enos-hub and
 * the broker plugin: NULL / 0 / false when the field is absent or of
 * another type.
 */

#include <stdbool.h>
#include <stdint.h>

#include <json.h>

const char *hub_jstr(json_object *o, const char *key);
int64_t hub_jint(json_object *o, const char *key);
bool hub_jbool(json_object *o, const char *key);

#endif
