/* SPDX-License-Identifier: MIT */
#include "hub_json.h"

/* o's member key if it is of type t, else NULL (json-c's getters take NULL). */
static json_object *
field(json_object *o, const char *key, json_type t)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, t))
		return NULL;
	return v;
}

const char *
hub_jstr(json_object *o, const char *key)
{
	return json_object_get_string(field(o, key, json_type_string));
}

int64_t
hub_jint(json_object *o, const char *key)
{
	return json_object_get_int64(field(o, key, json_type_int));
}

bool
hub_jbool(json_object *o, const char *key)
{
	return json_object_get_boolean(field(o, key, json_type_boolean)) != 0;
}
