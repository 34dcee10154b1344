/* SPDX-License-Identifier: MIT */
#ifndef EDGE_THING_H
#define EDGE_THING_H

/*
 * EnOS thing messages (ENOS-PROTOCOL.md 9.3 and 9.4): what edge-connect
 * sends up, the topics it listens on and how it answers, apart from any
 * session.  Beside lib/edge_enos.c (the signatures) because these rules need
 * json-c, which the stand-in hub's broker plugin built from edge_enos.c does
 * not link.  Pure functions: no I/O, never print.  Returned strings are the
 * caller's to free().
 */

#include <stdbool.h>
#include <stddef.h>

#include "edge_err.h"
#include "edge_json.h"

#define EDGE_THING_MSG_MAX	(512 * 1024)	/* EnOS refuses larger messages */
#define EDGE_THING_METHOD_MAX	128	/* longest uplink method accepted */
#define EDGE_THING_NDOWN	5	/* downlink subscriptions */

/*
 * An uplink method the edge may send: "thing." and more, not "thing.service."
 * (those come down), only [A-Za-z0-9._-], no empty part, at most
 * EDGE_THING_METHOD_MAX characters.
 */
bool edge_thing_method_ok(const char *method);

/* "/sys/{pk}/{dk}/" and method with each '.' as '/'.  NULL: out of memory. */
char *edge_thing_topic(const char *pk, const char *dk, const char *method);

/*
 * The i-th (0 <= i < EDGE_THING_NDOWN) downlink subscription of pk/dk:
 * service calls, measure point settings, enable, disable, delete.  NULL when
 * i is out of range or out of memory.
 */
char *edge_thing_down_topic(const char *pk, const char *dk, size_t i);

/* The topic answers to topic arrive on: topic + "_reply".  NULL: no memory. */
char *edge_thing_reply_topic(const char *topic);

/* Whether topic is a reply topic (ends with "_reply"). */
bool edge_thing_is_reply(const char *topic);

/* One uplink message: where it goes and what is sent. */
struct edge_thing_msg {
	char *topic;
	char *text;
};

/*
 * One telemetry line (len bytes; trailing blanks, not NULs, are ignored) for device
 * pk/dk, as its EnOS message with id (decimal) and now_ms as the time of
 * measure points that carry none:
 * - {"point":value,...}: thing.measurepoint.post with the line, as it came,
 *   as params.measurepoints;
 * - {"measurepoints":{...}[,"time":MS]}: the same, rebuilt (MS from 0 to
 *   the end of year 9999);
 * - {"method":"thing....",...}: sent as it is, with id (a string),
 *   version "1.0" and params {} added when missing.
 * A blank line gives EDGE_OK and m->text NULL: nothing to send.  Errors:
 * EDGE_EINPUT (the line is skipped; err says why: not JSON, no measure
 * points, a method that is not an uplink method, a message above
 * EDGE_THING_MSG_MAX), EDGE_EFAIL (out of memory).  Free with
 * edge_thing_msg_free() in every case.
 */
int edge_thing_wrap(const char *pk, const char *dk, const char *line,
    size_t len, unsigned long long id, long long now_ms,
    struct edge_thing_msg *m, struct edge_error *err);
void edge_thing_msg_free(struct edge_thing_msg *m);

/*
 * The answer to a command: {"id":id,"code":code,"data":data[,"message":m]}.
 * data (may be NULL: {}) is taken over.  NULL: out of memory.
 */
char *edge_thing_answer(json_object *id, int code, json_object *data,
    const char *message);

/* The hub's reply to one of our messages, as text for the log. */
struct edge_thing_ack {
	bool ok;		/* code 200 */
	const char *id;		/* NULL when absent; borrowed from the reply */
	const char *code;
	const char *message;
};
void edge_thing_ack_parse(json_object *reply, struct edge_thing_ack *ack);

/*
 * True when payload is, for certain, a reply with code 200 (the number, in
 * one "code" member): its id (or "?") is copied to id.  Read without json-c,
 * for the reply to every message a stream sends; false means "read it with
 * edge_json_parse and edge_thing_ack_parse", not "rejected".
 */
bool edge_thing_ack_ok(const char *payload, size_t len, char *id,
    size_t idsize);

/*
 * A command from the hub (a JSON object) as edge-connect prints it and hands
 * it to --exec: {"topic","method","id","params"}, absent members null.
 */
json_object *edge_thing_command(const char *topic, json_object *msg);

/* The reply topics of the uplink topics used so far (we subscribe to them). */
struct edge_thing_replies {
	char **topic;
	size_t n;
};

/*
 * Remember the reply topic of uplink topic: 1 when new (the caller
 * subscribes to r->topic[r->n - 1]), 0 when known, EDGE_EFAIL: no memory.
 */
int edge_thing_replies_add(struct edge_thing_replies *r, const char *topic);
/* Whether reply_topic is one of r. */
bool edge_thing_replies_has(const struct edge_thing_replies *r,
    const char *reply_topic);
void edge_thing_replies_free(struct edge_thing_replies *r);

#endif
