/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "edge_json.h"

#define MAX_DEPTH 16

int
edge_json_parse(const char *buf, size_t len, const char *what,
    json_object **out, struct edge_error *err)
{
	json_tokener *tok;
	json_object *obj;
	enum json_tokener_error jerr;
	size_t used;

	*out = NULL;
	if (len > 0x7fffffff)
		return edge_err(err, EDGE_EINPUT, "%s: too large", what);
	if ((tok = json_tokener_new_ex(MAX_DEPTH)) == NULL)
		return edge_err(err, EDGE_EFAIL, "out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, buf, (int)len);
	jerr = json_tokener_get_error(tok);
	used = (size_t)json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (obj == NULL || jerr != json_tokener_success) {
		json_object_put(obj);
		return edge_err(err, EDGE_EINPUT, "%s: not valid JSON (%s)", what,
		    jerr == json_tokener_continue ? "truncated" :
		    json_tokener_error_desc(jerr));
	}
	/* Only white space may follow the value (strchr finds a NUL too). */
	for (; used < len; used++)
		if (buf[used] == '\0' || strchr(" \t\r\n", buf[used]) == NULL) {
			json_object_put(obj);
			return edge_err(err, EDGE_EINPUT,
			    "%s: not valid JSON (trailing data)", what);
		}
	*out = obj;
	return EDGE_OK;
}

static int
member(json_object *obj, const char *key, const char *what, json_type type,
    const char *tname, json_object **out, struct edge_error *err)
{
	json_object *v = NULL;

	if (obj == NULL || !json_object_is_type(obj, json_type_object))
		return edge_err(err, EDGE_EINPUT, "%s: not a JSON object", what);
	if (!json_object_object_get_ex(obj, key, &v) || v == NULL)
		return edge_err(err, EDGE_EINPUT, "%s: field %s is missing", what,
		    key);
	if (!json_object_is_type(v, type))
		return edge_err(err, EDGE_EINPUT, "%s: field %s is not %s", what,
		    key, tname);
	*out = v;
	return EDGE_OK;
}

int
edge_json_string(json_object *obj, const char *key, const char *what,
    const char **out, struct edge_error *err)
{
	json_object *v;
	int rc = member(obj, key, what, json_type_string, "a string", &v, err);

	if (rc == EDGE_OK)
		*out = json_object_get_string(v);
	return rc;
}

int
edge_json_int(json_object *obj, const char *key, const char *what,
    long long *out, struct edge_error *err)
{
	json_object *v;
	int rc = member(obj, key, what, json_type_int, "an integer", &v, err);

	if (rc == EDGE_OK)
		*out = json_object_get_int64(v);
	return rc;
}

int
edge_json_object(json_object *obj, const char *key, const char *what,
    json_object **out, struct edge_error *err)
{
	return member(obj, key, what, json_type_object, "an object", out, err);
}

int
edge_json_opt_string(json_object *obj, const char *key, const char *what,
    const char **out, struct edge_error *err)
{
	json_object *v = NULL;

	*out = NULL;
	if (!json_object_object_get_ex(obj, key, &v) || v == NULL)
		return EDGE_OK;
	if (!json_object_is_type(v, json_type_string))
		return edge_err(err, EDGE_EINPUT, "%s: field %s is not a string",
		    what, key);
	*out = json_object_get_string(v);
	return EDGE_OK;
}

const char *
edge_json_text(json_object *obj)
{
	return json_object_to_json_string_ext(obj,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}
