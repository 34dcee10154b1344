/* SPDX-License-Identifier: MIT */
/*
 * The broker plugin's parsers of client data (hub_mqtt.h): kept apart from
 * enos-auth-plugin.c so the fuzz target links them without a broker.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edge_enos.h"
#include "edge_json.h"
#include "hub_mqtt.h"

bool
hub_mqtt_client_id(const char *id, struct hub_mqtt_cid *f)
{
	const char *bar = strchr(id, '|'), *end;
	char params[256], *tok, *save = NULL, *eq;
	size_t n;

	memset(f, 0, sizeof(*f));
	if (bar == NULL || (n = (size_t)(bar - id)) == 0 || n >= sizeof(f->cid))
		return false;
	memcpy(f->cid, id, n);
	end = strchr(bar + 1, '|');
	if (end == NULL || end[1] != '\0' ||
	    (n = (size_t)(end - bar - 1)) >= sizeof(params))
		return false;
	memcpy(params, bar + 1, n);
	params[n] = '\0';
	for (tok = strtok_r(params, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if ((eq = strchr(tok, '=')) == NULL)
			continue;
		*eq++ = '\0';
		if (strcmp(tok, "securemode") == 0)
			snprintf(f->mode, sizeof(f->mode), "%s", eq);
		else if (strcmp(tok, "signmethod") == 0)
			snprintf(f->method, sizeof(f->method), "%s", eq);
		else if (strcmp(tok, "timestamp") == 0)
			snprintf(f->ts, sizeof(f->ts), "%s", eq);
	}
	return f->mode[0] && f->method[0] && f->ts[0];
}

bool
hub_mqtt_username(const char *username, char user[HUB_MQTT_USER_MAX],
    char **pk)
{
	if (snprintf(user, HUB_MQTT_USER_MAX, "%s", username) >=
	    HUB_MQTT_USER_MAX || (*pk = strchr(user, '&')) == NULL)
		return false;
	*(*pk)++ = '\0';
	return true;
}

bool
hub_mqtt_password_ok(const struct hub_mqtt_cid *f, const char *dk,
    const char *pk, const char *secret, const char *password)
{
	char want[EDGE_ENOS_HEX256];
	bool ok;

	ok = password != NULL && edge_enos_mqtt_password(f->method, f->cid, dk,
	    pk, f->ts, secret, false, want, sizeof(want)) == 0 &&
	    edge_enos_hex_equal(password, want);
	explicit_bzero(want, sizeof(want));
	return ok;
}

static bool
has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The levels after /sys/{pk}/{dk}/, or NULL (keys empty or wildcards). */
static const char *
sys_rest(const char *topic)
{
	const char *p;
	int level;

	if (!has_prefix(topic, "/sys/") || strpbrk(topic, "+#") != NULL)
		return NULL;
	p = topic + 5;
	for (level = 0; level < 2; level++) {
		if (*p == '/' || (p = strchr(p, '/')) == NULL)
			return NULL;
		p++;
	}
	return p;
}

bool
hub_mqtt_service_topic(const char *t)
{
	const char *rest = sys_rest(t);

	return rest != NULL && has_prefix(rest, "thing/service/") &&
	    strlen(rest) > strlen("thing/service/");
}

bool
hub_mqtt_device_topic(const char *topic, const char *pk, const char *dk,
    bool activation)
{
	char own[2][256];

	/*
	 * A key with '/' would name another device's levels ("a/b" is under
	 * "a"), '+' or '#' would make a subscription a wildcard over other
	 * devices.  The hub never registers such keys (hub_valid_key); an
	 * edited state.json or hub.conf must not open them either.
	 */
	if (*pk == '\0' || *dk == '\0' || strpbrk(pk, "/+#") != NULL ||
	    strpbrk(dk, "/+#") != NULL)
		return false;
	if (activation) {
		if ((size_t)snprintf(own[0], sizeof(own[0]),
		    "/ext/session/%s/%s/thing/activate/info", pk, dk) >=
		    sizeof(own[0]))
			return false;
		return has_prefix(topic, own[0]);
	}
	if ((size_t)snprintf(own[0], sizeof(own[0]), "/sys/%s/%s/", pk, dk) >=
	    sizeof(own[0]) ||
	    (size_t)snprintf(own[1], sizeof(own[1]), "/ext/session/%s/%s/", pk,
	    dk) >= sizeof(own[1]))
		return false;
	return has_prefix(topic, own[0]) || has_prefix(topic, own[1]);
}

enum hub_uplink
hub_mqtt_uplink_kind(const char *topic)
{
	static const struct {
		const char *rest;
		enum hub_uplink kind;
	} fixed[] = {
		{ "thing/measurepoint/post", HUB_UP_POST },
		{ "thing/measurepoint/post/batch", HUB_UP_BATCH },
		{ "thing/attribute/update", HUB_UP_ATTR_UPDATE },
		{ "thing/attribute/query", HUB_UP_ATTR_QUERY },
		{ "thing/attribute/delete", HUB_UP_ATTR_DELETE },
	};
	const char *rest = sys_rest(topic), *id, *end;
	size_t i;

	if (rest == NULL)
		return HUB_UP_NONE;
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (strcmp(rest, fixed[i].rest) == 0)
			return fixed[i].kind;
	/* thing/event/{identifier}/post */
	if (!has_prefix(rest, "thing/event/"))
		return HUB_UP_NONE;
	id = rest + strlen("thing/event/");
	end = strchr(id, '/');
	return end != NULL && end > id && strcmp(end, "/post") == 0 ?
	    HUB_UP_EVENT : HUB_UP_NONE;
}

bool
hub_mqtt_answer_topic(const char *topic)
{
	size_t n = strlen(topic), m = strlen("_reply");
	char *req;
	bool yes;

	if (n <= m || strcmp(topic + n - m, "_reply") != 0 ||
	    (req = strndup(topic, n - m)) == NULL)
		return false;
	yes = hub_mqtt_uplink_kind(req) != HUB_UP_NONE;
	free(req);
	return yes;
}

/*
 * The whole payload as one JSON object, or NULL.  Judged by lib's
 * edge_json_parse, RFC 8259 as the tools judge it: json-c alone took single
 * quotes, NaN, trailing commas, comments and lone surrogates, which EnOS
 * answers with 1220.
 */
static json_object *
parse_object(const void *payload, size_t len)
{
	json_object *o = NULL;

	if (len > 16 * 1024 * 1024 ||
	    edge_json_parse(payload, len, "payload", &o, NULL) != EDGE_OK)
		return NULL;
	if (json_object_is_type(o, json_type_object))
		return o;
	json_object_put(o);
	return NULL;
}

/* Is the request's method the topic's levels after the keys, '/' as '.'? */
static bool
method_matches(json_object *req, const char *topic)
{
	const char *rest = sys_rest(topic), *m;
	json_object *v;
	size_t i;

	if (!json_object_object_get_ex(req, "method", &v) ||
	    !json_object_is_type(v, json_type_string))
		return false;
	m = json_object_get_string(v);
	/* The JSON length: a "\u0000" would end m early for strlen. */
	if ((size_t)json_object_get_string_len(v) != strlen(rest))
		return false;
	for (i = 0; rest[i] != '\0'; i++)
		if (m[i] != (rest[i] == '/' ? '.' : rest[i]))
			return false;
	return true;
}

/* Does v (bare, or {"value":v,"quality":q}) have the point's type? */
static bool
value_ok(const struct hub_point *pt, json_object *v)
{
	json_object *inner, *q;

	if (pt->type != HUB_POINT_STRUCT &&
	    json_object_is_type(v, json_type_object) &&
	    json_object_object_get_ex(v, "value", &inner)) {
		if (json_object_object_get_ex(v, "quality", &q) &&
		    !json_object_is_type(q, json_type_int))
			return false;
		v = inner;
	}
	switch (pt->type) {
	case HUB_POINT_INT:
		return json_object_is_type(v, json_type_int);
	case HUB_POINT_FLOAT:
		return json_object_is_type(v, json_type_int) ||
		    json_object_is_type(v, json_type_double);
	case HUB_POINT_STRING:
		return json_object_is_type(v, json_type_string);
	case HUB_POINT_BOOL:
		return json_object_is_type(v, json_type_boolean);
	case HUB_POINT_ARRAY:
		return json_object_is_type(v, json_type_array);
	case HUB_POINT_STRUCT:
		return json_object_is_type(v, json_type_object);
	}
	return false;
}

/* {"measurepoints":{...},"time":...} against the product's thing model. */
static int
check_points(json_object *params, const struct hub_product *p, char *msg,
    size_t msglen)
{
	const struct hub_point *pt;
	json_object *mps;

	if (!json_object_is_type(params, json_type_object) ||
	    !json_object_object_get_ex(params, "measurepoints", &mps) ||
	    !json_object_is_type(mps, json_type_object)) {
		snprintf(msg, msglen, "measurepoints is not an object");
		return HUB_MQTT_E_DATA;
	}
	if (p == NULL || p->npoints == 0)
		return HUB_MQTT_OK;
	json_object_object_foreach(mps, name, v) {
		if ((pt = hub_conf_point(p, name)) == NULL) {
			snprintf(msg, msglen, "measurepoint %.64s is not in the "
			    "thing model", name);
			return HUB_MQTT_E_MODEL;
		}
		if (!value_ok(pt, v)) {
			snprintf(msg, msglen, "measurepoint %s: value is not %s",
			    pt->name, hub_point_type_name(pt->type));
			return HUB_MQTT_E_DATA;
		}
	}
	return HUB_MQTT_OK;
}

/* A batch: an array of posts, all checked (the first error answers). */
static int
check_batch(json_object *params, const struct hub_product *p, char *msg,
    size_t msglen)
{
	json_object *e, *pk;
	size_t i;
	int code;

	if (!json_object_is_type(params, json_type_array) ||
	    json_object_array_length(params) == 0) {
		snprintf(msg, msglen, "params is not a non-empty array");
		return HUB_MQTT_E_DATA;
	}
	for (i = 0; i < json_object_array_length(params); i++) {
		e = json_object_array_get_idx(params, i);
		/* A sub-device of another product: not our model. */
		if (json_object_is_type(e, json_type_object) &&
		    json_object_object_get_ex(e, "productKey", &pk) &&
		    p != NULL && strcmp(json_object_get_string(pk), p->key) != 0)
			continue;
		if ((code = check_points(e, p, msg, msglen)) != HUB_MQTT_OK)
			return code;
	}
	return HUB_MQTT_OK;
}

#define HUB_ATTR_MAX	200	/* per request (EnOS), and kept per device */

/* params.attributes of an attribute request, NULL when absent. */
static int
attr_list(json_object *params, json_type want, json_object **list, char *msg,
    size_t msglen)
{
	*list = NULL;
	if (json_object_is_type(params, json_type_object) &&
	    json_object_object_get_ex(params, "attributes", list) &&
	    !json_object_is_type(*list, want)) {
		snprintf(msg, msglen, "attributes is not an %s",
		    want == json_type_array ? "array" : "object");
		return HUB_MQTT_E_DATA;
	}
	if (*list != NULL && (want == json_type_array ?
	    json_object_array_length(*list) :
	    (size_t)json_object_object_length(*list)) > HUB_ATTR_MAX) {
		snprintf(msg, msglen, "more than %d attributes", HUB_ATTR_MAX);
		return HUB_MQTT_E_DATA;
	}
	return HUB_MQTT_OK;
}

static int
attributes(enum hub_uplink kind, json_object *params, json_object *attrs,
    json_object **data, char *msg, size_t msglen)
{
	json_object *list, *name, *v;
	size_t i;
	int code;

	code = attr_list(params, kind == HUB_UP_ATTR_UPDATE ? json_type_object :
	    json_type_array, &list, msg, msglen);
	if (code != HUB_MQTT_OK)
		return code;
	if (kind == HUB_UP_ATTR_UPDATE) {
		if (list == NULL) {
			snprintf(msg, msglen, "attributes is missing");
			return HUB_MQTT_E_DATA;
		}
		json_object_object_foreach(list, k, val) {
			if (json_object_object_length(attrs) >= HUB_ATTR_MAX &&
			    !json_object_object_get_ex(attrs, k, NULL)) {
				snprintf(msg, msglen, "more than %d attributes",
				    HUB_ATTR_MAX);
				return HUB_MQTT_E_DATA;
			}
			json_object_object_add(attrs, k, json_object_get(val));
		}
		return HUB_MQTT_OK;
	}
	for (i = 0; list != NULL && i < json_object_array_length(list); i++)
		if (!json_object_is_type(json_object_array_get_idx(list, i),
		    json_type_string)) {
			snprintf(msg, msglen, "attributes holds a non-string");
			return HUB_MQTT_E_DATA;
		}
	if (kind == HUB_UP_ATTR_DELETE) {
		for (i = 0; list != NULL && i < json_object_array_length(list);
		    i++)
			json_object_object_del(attrs, json_object_get_string(
			    json_object_array_get_idx(list, i)));
		return HUB_MQTT_OK;
	}
	/* Query: the named attributes that are set; none named: all. */
	*data = json_object_new_object();
	if (list == NULL || json_object_array_length(list) == 0) {
		json_object_object_foreach(attrs, k, val)
			json_object_object_add(*data, k, json_object_get(val));
		return HUB_MQTT_OK;
	}
	for (i = 0; i < json_object_array_length(list); i++) {
		name = json_object_array_get_idx(list, i);
		if (json_object_object_get_ex(attrs,
		    json_object_get_string(name), &v))
			json_object_object_add(*data,
			    json_object_get_string(name), json_object_get(v));
	}
	return HUB_MQTT_OK;
}

int
hub_mqtt_uplink(const char *topic, const void *payload, size_t len,
    const struct hub_product *p, json_object *attrs,
    struct hub_mqtt_answer *a)
{
	enum hub_uplink kind = hub_mqtt_uplink_kind(topic);
	json_object *req = NULL, *id = NULL, *params = NULL, *data = NULL, *r;
	char msg[192] = "";
	int code;

	memset(a, 0, sizeof(*a));
	if (kind == HUB_UP_NONE)
		return 0;
	if (len == 0) {
		code = HUB_MQTT_E_EMPTY;
		snprintf(msg, sizeof(msg), "Payload is empty");
	} else if ((req = parse_object(payload, len)) == NULL) {
		code = HUB_MQTT_E_FORMAT;
		snprintf(msg, sizeof(msg), "Payload format error");
	} else if (json_object_object_get_ex(req, "id", &id),
	    !method_matches(req, topic)) {
		code = HUB_MQTT_E_METHOD;
		snprintf(msg, sizeof(msg), "Methods not consistent");
	} else {
		json_object_object_get_ex(req, "params", &params);
		if (kind == HUB_UP_POST)
			code = check_points(params, p, msg, sizeof(msg));
		else if (kind == HUB_UP_BATCH)
			code = check_batch(params, p, msg, sizeof(msg));
		else if (kind == HUB_UP_EVENT)
			code = HUB_MQTT_OK;
		else
			code = attributes(kind, params, attrs, &data, msg,
			    sizeof(msg));
	}
	r = json_object_new_object();
	json_object_object_add(r, "id", json_object_get(id));
	json_object_object_add(r, "code", json_object_new_int(code));
	if (code == HUB_MQTT_OK)
		json_object_object_add(r, "data",
		    data != NULL ? data : json_object_new_object());
	else {
		json_object_put(data);
		json_object_object_add(r, "message",
		    json_object_new_string(msg));
	}
	a->code = code;
	a->text = strdup(json_object_to_json_string_ext(r,
	    JSON_C_TO_STRING_PLAIN));
	if (asprintf(&a->topic, "%s_reply", topic) < 0)
		a->topic = NULL;
	json_object_put(r);
	json_object_put(req);
	if (a->text == NULL || a->topic == NULL) {
		hub_mqtt_answer_free(a);
		return -1;
	}
	return 1;
}

void
hub_mqtt_answer_free(struct hub_mqtt_answer *a)
{
	free(a->topic);
	free(a->text);
	a->topic = a->text = NULL;
}
