/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edge_thing.h"

#define POST	"thing.measurepoint.post"
#define TIME_MAX_MS	253402300799999LL	/* 9999-12-31T23:59:59.999Z */

bool
edge_thing_method_ok(const char *m)
{
	size_t n = strlen(m);

	if (strncmp(m, "thing.", 6) != 0 || strncmp(m, "thing.service.", 14) == 0 ||
	    n > EDGE_THING_METHOD_MAX)
		return false;
	return m[strspn(m, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")] == '\0' &&
	    strstr(m, "..") == NULL && m[n - 1] != '.';
}

char *
edge_thing_topic(const char *pk, const char *dk, const char *method)
{
	size_t np = strlen(pk), nd = strlen(dk), nm = strlen(method);
	char *t, *p;

	/* Sized from the keys and the method, which come from outside. */
	if ((t = malloc(5 + np + 1 + nd + 1 + nm + 1)) == NULL)
		return NULL;
	p = t;
	memcpy(p, "/sys/", 5);
	memcpy(p += 5, pk, np);
	*(p += np) = '/';
	memcpy(++p, dk, nd);
	*(p += nd) = '/';
	memcpy(++p, method, nm + 1);
	for (; *p != '\0'; p++)
		if (*p == '.')
			*p = '/';
	return t;
}

char *
edge_thing_down_topic(const char *pk, const char *dk, size_t i)
{
	static const char *const down[EDGE_THING_NDOWN] = {
		"thing/service/+", "thing/service/measurepoint/set",
		"thing/enable", "thing/disable", "thing/delete",
	};
	char *t;

	if (i >= EDGE_THING_NDOWN ||
	    asprintf(&t, "/sys/%s/%s/%s", pk, dk, down[i]) < 0)
		return NULL;
	return t;
}

char *
edge_thing_reply_topic(const char *topic)
{
	char *r;

	/* Sized to the topic: the cloud's topic may be of any length. */
	return asprintf(&r, "%s_reply", topic) < 0 ? NULL : r;
}

bool
edge_thing_is_reply(const char *topic)
{
	size_t n = strlen(topic), m = strlen("_reply");

	return n >= m && strcmp(topic + n - m, "_reply") == 0;
}

/* {"method":...}: the caller's own message, completed. */
static int
own_message(json_object *o, const char *id,
    json_object **msg, const char **name, struct edge_error *err)
{
	json_object *v;

	/* Through edge_json: a method with a NUL would pass on its prefix. */
	if (edge_json_string(o, "method", "line", name, NULL) != EDGE_OK ||
	    !edge_thing_method_ok(*name))
		return edge_err(err, EDGE_EINPUT,
		    "\"method\" is not an uplink method thing.*");
	*msg = json_object_get(o);
	/* A JSON null is a NULL v: no id given. */
	if (!json_object_object_get_ex(*msg, "id", &v) || v == NULL)
		json_object_object_add(*msg, "id", json_object_new_string(id));
	else if (!json_object_is_type(v, json_type_string))
		json_object_object_add(*msg, "id", json_object_new_string(
		    json_object_get_string(v)));
	if (!json_object_object_get_ex(*msg, "version", NULL))
		json_object_object_add(*msg, "version", json_object_new_string("1.0"));
	if (!json_object_object_get_ex(*msg, "params", NULL))
		json_object_object_add(*msg, "params", json_object_new_object());
	return EDGE_OK;
}

/* {"measurepoints":{...},"time":MS}: rebuilt as a post. */
static int
given_points(json_object *o, json_object *mp, const char *id, long long now_ms,
    json_object **msg, struct edge_error *err)
{
	json_object *t = NULL, *params;

	if (!json_object_is_type(mp, json_type_object))
		return edge_err(err, EDGE_EINPUT, "\"measurepoints\" is not an object");
	if (json_object_object_get_ex(o, "time", &t) &&
	    (!json_object_is_type(t, json_type_int) ||
	    json_object_get_int64(t) < 0 ||
	    json_object_get_int64(t) > TIME_MAX_MS))
		return edge_err(err, EDGE_EINPUT, "\"time\" is not milliseconds");
	if (json_object_object_length(mp) == 0)
		return edge_err(err, EDGE_EINPUT, "no measurepoints");
	params = json_object_new_object();
	json_object_object_add(params, "measurepoints", json_object_get(mp));
	json_object_object_add(params, "time", t ? json_object_get(t) :
	    json_object_new_int64(now_ms));
	*msg = json_object_new_object();
	json_object_object_add(*msg, "id", json_object_new_string(id));
	json_object_object_add(*msg, "version", json_object_new_string("1.0"));
	json_object_object_add(*msg, "method", json_object_new_string(POST));
	json_object_object_add(*msg, "params", params);
	return EDGE_OK;
}

static bool
key_is(const char *k, size_t n, const char *name)
{
	return n == strlen(name) && memcmp(k, name, n) == 0;
}

/* A line's top-level keys, as edge_json_check shows them. */
struct line_keys {
	size_t n;
	bool other;	/* an escaped key, "method" or "measurepoints" */
};

static void
line_key(void *user, const char *k, size_t n, const char *v, size_t vn)
{
	struct line_keys *lk = user;

	(void)v;
	(void)vn;
	lk->n++;
	if (memchr(k, '\\', n) != NULL || key_is(k, n, "method") ||
	    key_is(k, n, "measurepoints"))
		lk->other = true;
}

/*
 * The common line, {"point":value,...}: checked as strict JSON and wrapped
 * as it came, without json-c (whose parse was most of edge-connect's CPU per
 * message: bench/results R3.2).  Lines this cannot tell apart go to json-c.
 */
static bool
plain_points(const char *line, size_t len, bool *valid)
{
	struct line_keys lk = { 0, false };
	size_t i = 0;

	*valid = edge_json_check(line, len, line_key, &lk) == NULL;
	while (i < len && (line[i] == ' ' || line[i] == '\t' ||
	    line[i] == '\r' || line[i] == '\n'))
		i++;
	return *valid && i < len && line[i] == '{' && lk.n > 0 && !lk.other;
}

/* v in decimal at out (21 bytes): snprintf's cost showed per message. */
static size_t
decimal(char *out, unsigned long long v)
{
	char tmp[20];
	size_t n = 0, i;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = '\0';
	return n;
}

/*
 * {"id":ID,"version":"1.0","method":POST,"params":{"measurepoints":POINTS,
 * "time":MS}}, put together with memcpy: vasprintf of a line took as long as
 * checking it.
 */
static char *
envelope(const char *id, const char *points, size_t len, long long now_ms)
{
	static const char head[] = "{\"id\":\"";
	static const char mid[] = "\",\"version\":\"1.0\",\"method\":\"" POST
	    "\",\"params\":{\"measurepoints\":";
	static const char at[] = ",\"time\":";
	char ms[24], *t, *p;
	size_t ni = strlen(id), nms;

	/* now_ms is edge_time_ms(): not negative. */
	nms = decimal(ms, (unsigned long long)(now_ms > 0 ? now_ms : 0));
	memcpy(ms + nms, "}}", 3);
	nms += 2;
	if ((t = malloc(sizeof(head) - 1 + ni + sizeof(mid) - 1 + len +
	    sizeof(at) - 1 + nms + 1)) == NULL)
		return NULL;
	p = t;
	memcpy(p, head, sizeof(head) - 1);
	memcpy(p += sizeof(head) - 1, id, ni);
	memcpy(p += ni, mid, sizeof(mid) - 1);
	memcpy(p += sizeof(mid) - 1, points, len);
	memcpy(p += len, at, sizeof(at) - 1);
	memcpy(p + sizeof(at) - 1, ms, nms + 1);
	return t;
}

/* Everything but the topic: *text, or *msg to be written as text. */
static int
wrap_body(const char *line, size_t len, const char *id, long long now_ms,
    json_object **msg, char **text, const char **method,
    struct edge_error *err)
{
	json_object *o = NULL, *v;
	int rc = EDGE_OK;
	bool valid;

	if (plain_points(line, len, &valid))
		goto plain;
	if (!valid || edge_json_parse(line, len, "line", &o, NULL) != EDGE_OK)
		return edge_err(err, EDGE_EINPUT, "not JSON");
	if (!json_object_is_type(o, json_type_object))
		rc = edge_err(err, EDGE_EINPUT, "not a JSON object");
	else if (json_object_object_get_ex(o, "method", &v))
		rc = own_message(o, id, msg, method, err);
	else if (json_object_object_get_ex(o, "measurepoints", &v))
		rc = given_points(o, v, id, now_ms, msg, err);
	else if (json_object_object_length(o) == 0)
		rc = edge_err(err, EDGE_EINPUT, "no measurepoints");
	else
		goto plain;	/* points under escaped keys: as they came too */
	json_object_put(o);
	return rc;
plain:
	json_object_put(o);
	if ((*text = envelope(id, line, len, now_ms)) == NULL)
		return edge_err(err, EDGE_EFAIL, "out of memory");
	return EDGE_OK;
}

int
edge_thing_wrap(const char *pk, const char *dk, const char *line,
    size_t len, unsigned long long id, long long now_ms,
    struct edge_thing_msg *m, struct edge_error *err)
{
	json_object *msg = NULL;
	const char *method = POST;
	char sid[32];
	int rc;

	m->topic = m->text = NULL;
	/* Not strchr(" ...", c): it finds a NUL byte too (the terminator). */
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t' ||
	    line[len - 1] == '\r'))
		len--;
	if (len == 0)
		return EDGE_OK;
	(void)decimal(sid, id);
	if ((rc = wrap_body(line, len, sid, now_ms, &msg, &m->text, &method,
	    err)) != EDGE_OK)
		goto out;
	if (m->text == NULL && (m->text = strdup(edge_json_text(msg))) == NULL) {
		rc = edge_err(err, EDGE_EFAIL, "out of memory");
		goto out;
	}
	if ((m->topic = edge_thing_topic(pk, dk, method)) == NULL) {
		rc = edge_err(err, EDGE_EFAIL, "out of memory");
		goto out;
	}
	if (strlen(m->text) > EDGE_THING_MSG_MAX)
		rc = edge_err(err, EDGE_EINPUT, "message above 512 KB");
out:
	json_object_put(msg);
	return rc;
}

void
edge_thing_msg_free(struct edge_thing_msg *m)
{
	free(m->topic);
	free(m->text);
	m->topic = m->text = NULL;
}

char *
edge_thing_answer(json_object *id, int code, json_object *data,
    const char *message)
{
	json_object *r = json_object_new_object();
	char *text;

	json_object_object_add(r, "id", json_object_get(id));
	json_object_object_add(r, "code", json_object_new_int(code));
	json_object_object_add(r, "data", data ? data : json_object_new_object());
	if (message != NULL)
		json_object_object_add(r, "message", json_object_new_string(message));
	text = strdup(edge_json_text(r));
	json_object_put(r);
	return text;
}

/* A reply's members, as edge_json_check shows them. */
struct reply_keys {
	int codes, ids;
	bool ok;	/* the code is the number 200 */
	bool other;	/* an escaped key, or an id that is not a plain string */
	const char *id;
	size_t idlen;
};

static void
reply_key(void *user, const char *k, size_t n, const char *v, size_t vn)
{
	struct reply_keys *r = user;

	if (memchr(k, '\\', n) != NULL) {
		r->other = true;
	} else if (key_is(k, n, "code")) {
		r->codes++;
		r->ok = vn == 3 && memcmp(v, "200", 3) == 0;
	} else if (key_is(k, n, "id")) {
		r->ids++;
		if (v == NULL || *v != '"' || memchr(v, '\\', vn) != NULL)
			r->other = true;
		else {
			r->id = v + 1;
			r->idlen = vn - 2;
		}
	}
}

bool
edge_thing_ack_ok(const char *payload, size_t len, char *id, size_t idsize)
{
	struct reply_keys r = { 0, 0, false, false, NULL, 0 };

	if (edge_json_check(payload, len, reply_key, &r) != NULL || r.other ||
	    r.codes != 1 || !r.ok || r.ids > 1 || r.idlen >= idsize)
		return false;
	snprintf(id, idsize, "%.*s", r.id ? (int)r.idlen : 1, r.id ? r.id : "?");
	return true;
}

void
edge_thing_ack_parse(json_object *reply, struct edge_thing_ack *ack)
{
	json_object *code = NULL, *id = NULL, *m = NULL;

	json_object_object_get_ex(reply, "code", &code);
	json_object_object_get_ex(reply, "id", &id);
	json_object_object_get_ex(reply, "message", &m);
	ack->ok = code != NULL && json_object_get_int(code) == 200;
	ack->id = id ? json_object_get_string(id) : NULL;
	ack->code = code ? json_object_get_string(code) : NULL;
	ack->message = m ? json_object_get_string(m) : NULL;
}

json_object *
edge_thing_command(const char *topic, json_object *msg)
{
	static const char *const keep[] = { "method", "id", "params" };
	json_object *line = json_object_new_object(), *v;
	size_t i;

	json_object_object_add(line, "topic", json_object_new_string(topic));
	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		json_object_object_add(line, keep[i], json_object_object_get_ex(
		    msg, keep[i], &v) ? json_object_get(v) : NULL);
	return line;
}

int
edge_thing_replies_add(struct edge_thing_replies *r, const char *topic)
{
	size_t i, n = strlen(topic);
	char *rt;
	void *p;

	/* Asked once per message sent: compared in place, not built first. */
	for (i = 0; i < r->n; i++)
		if (strncmp(r->topic[i], topic, n) == 0 &&
		    strcmp(r->topic[i] + n, "_reply") == 0)
			return 0;
	if ((rt = edge_thing_reply_topic(topic)) == NULL)
		return EDGE_EFAIL;
	if ((p = realloc(r->topic, (r->n + 1) * sizeof(*r->topic))) == NULL) {
		free(rt);
		return EDGE_EFAIL;
	}
	r->topic = p;
	r->topic[r->n++] = rt;
	return 1;
}

bool
edge_thing_replies_has(const struct edge_thing_replies *r,
    const char *reply_topic)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->topic[i], reply_topic) == 0)
			return true;
	return false;
}

void
edge_thing_replies_free(struct edge_thing_replies *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->topic[i]);
	free(r->topic);
	r->topic = NULL;
	r->n = 0;
}
