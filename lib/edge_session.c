/* SPDX-License-Identifier: MIT */
/*
 * edge-connect's session with the hub across connections (edge_session.h).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edge_crlstore.h"
#include "edge_file.h"
#include "edge_lines.h"
#include "edge_mqtt.h"
#include "edge_outbox.h"
#include "edge_session.h"
#include "edge_state.h"
#include "edge_time.h"
#include "edge_tls.h"
#include "edge_x509.h"

static void
tell(struct edge_session *s, enum edge_session_ev ev, const char *text,
    long long n)
{
	if (s->c.on_event != NULL)
		s->c.on_event(s->c.user, ev, text, n);
}

void
edge_session_init(struct edge_session *s, const struct edge_session_conf *c)
{
	memset(s, 0, sizeof(*s));
	s->c = *c;
	if (s->c.min_ms <= 0)	/* no reconnecting in a tight loop */
		s->c.min_ms = EDGE_SESSION_MIN_MS;
	s->state = EDGE_SESSION_DOWN;
}

/* ---- the schedule ---------------------------------------------------- */

bool
edge_session_due(const struct edge_session *s, long long now)
{
	return s->state == EDGE_SESSION_DOWN && now >= s->next_try;
}

void
edge_session_started(struct edge_session *s, long long now)
{
	s->state = EDGE_SESSION_CONNECTING;
	s->connack_by = now + EDGE_SESSION_CONNACK_MS;
}

bool
edge_session_overdue(const struct edge_session *s, long long now)
{
	return s->state == EDGE_SESSION_CONNECTING &&
	    (s->mq == NULL || edge_mqtt_connack(s->mq) < 0) && now >= s->connack_by;
}

void
edge_session_accepted(struct edge_session *s)
{
	s->state = EDGE_SESSION_UP;
	s->attempt = 0;
	s->connections++;
}

/* Messages in flight on a closed connection go again on the next. */
static void
forget_flights(struct edge_session *s)
{
	size_t i;

	for (i = 0; s->c.ob != NULL && i < edge_outbox_count(s->c.ob); i++)
		edge_outbox_peek(s->c.ob, i)->mid = 0;
}

static void
drop(struct edge_session *s)
{
	edge_mqtt_free(&s->mq);
	forget_flights(s);
	s->state = EDGE_SESSION_DOWN;
	s->lost = false;
}

void
edge_session_retry(struct edge_session *s, long long now, const char *why)
{
	long d = edge_time_backoff(s->attempt++, s->c.min_ms, s->c.max_ms);

	if (why != s->lasterr)
		snprintf(s->lasterr, sizeof(s->lasterr), "%s", why);
	drop(s);
	s->next_try = now + d;
	tell(s, EDGE_SESSION_EV_RETRY, s->lasterr, d);
}

void
edge_session_restart(struct edge_session *s, struct ssl_ctx_st *tls,
    long long now)
{
	drop(s);	/* the connection borrows the old context */
	s->c.tls = tls;
	s->next_try = now;
	s->attempt = 0;
}

long long
edge_session_wait(const struct edge_session *s, long long now, bool stopping)
{
	if (edge_mqtt_pending(s->mq))
		return 0;	/* TLS holds input already */
	if (s->state == EDGE_SESSION_DOWN && !stopping)
		return s->next_try - now;
	return LLONG_MAX;
}

/* ---- connecting ------------------------------------------------------ */

/*
 * A connection failed or ended: a verdict about certificates or the login
 * ends the run (returned), anything else is retried later.
 */
static int
failed(struct edge_session *s, long long now, const char *why,
    struct edge_error *err)
{
	int rc = edge_tls_explain(s->c.tst, s->c.server_name, err);
	char own[sizeof(s->lasterr)];

	if (rc != EDGE_OK) {
		edge_mqtt_free(&s->mq);
		s->state = EDGE_SESSION_DOWN;
		return rc;
	}
	/*
	 * Our OpenSSL ended the handshake (a DH group below its security
	 * level): say why, from its own error, not libmosquitto's text for
	 * it ("A TLS error occurred" or, from 2.0.16 on when the handshake
	 * ends inside a read, strerror(EPROTO) "Protocol error").
	 */
	if (s->c.tst->refused[0] != '\0') {
		snprintf(own, sizeof(own), "TLS handshake with the hub refused here: %s",
		    s->c.tst->refused);
		why = own;
	}
	edge_session_retry(s, now, why);
	return EDGE_OK;
}

/*
 * EDGE_EREVOKED when our own verified CRL lists the edge certificate (the
 * message between before and after), else EDGE_OK: no CRL, or one that
 * cannot be read, proves nothing here.
 */
static int
refuse_if_revoked(struct edge_session *s, const char *before,
    const char *after, struct edge_error *err)
{
	char sn[128], at[32];
	time_t when;
	bool revoked;

	if (!edge_file_exists(s->c.dirfd, EDGE_CRL_FILE) ||
	    edge_crl_cert_revoked(s->c.dirfd, EDGE_CERT_FILE, &revoked, sn,
	    sizeof(sn), &when, NULL) != EDGE_OK || !revoked)
		return EDGE_OK;
	edge_x509_time(when, at, sizeof(at));
	return edge_err(err, EDGE_EREVOKED,
	    "%sthe edge certificate (serial %s) is revoked since %s (crl.pem)%s",
	    before, sn, at, after);
}

/* PUBACK of an outbox message (tag: its seq + 1; replies have none). */
static void
on_publish(void *user, unsigned long long tag)
{
	struct edge_session *s = user;

	if (s->c.ob != NULL && edge_outbox_ack(s->c.ob, tag - 1))
		s->acked++;
}

/* SUBACK: the broker has the subscription. */
static void
on_subscribe(void *user, int mid)
{
	tell(user, EDGE_SESSION_EV_SUBSCRIBED, NULL, mid);
}

void
edge_session_message(struct edge_session *s, const char *topic,
    const void *payload, size_t len)
{
	bool reply = edge_thing_is_reply(topic);

	/* Only replies to our uplink; our own replies to commands echo back. */
	if (reply && !edge_thing_replies_has(&s->replies, topic)) {
		tell(s, EDGE_SESSION_EV_IGNORED, topic, 0);
		return;
	}
	if (reply)
		s->answered++;
	if (s->c.on_message != NULL)
		s->c.on_message(s->c.user, topic, payload, len);
}

static void
on_message(void *user, const char *topic, const void *payload, size_t len)
{
	edge_session_message(user, topic, payload, len);
}

unsigned long long
edge_session_unanswered(const struct edge_session *s)
{
	if (s->c.no_replies)
		return 0;
	return s->acked > s->answered ? s->acked - s->answered : 0;
}

static int
try_connect(struct edge_session *s, long long now, struct edge_error *err)
{
	struct edge_error e = { 0 };
	struct edge_mqtt_conf c;
	bool far = false;
	int rc;

	/* The clock must not have been set back (before every connection). */
	if ((rc = edge_time_check(s->c.dirfd, edge_time_now(),
	    EDGE_TIME_TOLERANCE, &far, err)) != EDGE_OK)
		return rc;
	if (far && !s->told_clock) {
		tell(s, EDGE_SESSION_EV_CLOCK_AHEAD, NULL, 0);
		s->told_clock = true;
	}
	/*
	 * An edge whose own verified CRL lists its certificate does not try:
	 * the answer is known, and how the broker's refusal shows (TLS alert,
	 * CONNACK, a dropped connection) depends on timing.
	 */
	if ((rc = refuse_if_revoked(s, "", "; not connecting", err)) != EDGE_OK)
		return rc;
	edge_tls_status_reset(s->c.tst);
	memset(&c, 0, sizeof(c));
	c.host = s->c.host;
	c.port = s->c.port;
	c.product_key = s->c.product_key;
	c.device_key = s->c.device_key;
	c.secret = s->c.secret;
	c.keepalive = s->c.keepalive;
	c.max_inflight = EDGE_SESSION_INFLIGHT;
	c.tls = s->c.tls;
	c.user = s;
	c.on_publish = on_publish;
	c.on_subscribe = on_subscribe;
	c.on_message = on_message;
	s->lost = false;
	tell(s, EDGE_SESSION_EV_CONNECTING, NULL, 0);
	rc = edge_mqtt_start(&c, &s->mq, &e);
	now = edge_time_mono_ms();	/* the start may have waited for DNS and TCP */
	if (rc != EDGE_OK)
		return failed(s, now, e.msg, err);
	edge_session_started(s, now);
	return EDGE_OK;
}

static int
subscribe(struct edge_session *s, const char *topic)
{
	struct edge_error err = { 0 };

	/*
	 * Replies at QoS 0: the session is clean, so a reply the connection
	 * loses is lost at QoS 1 too, and a broker whose queue for us is full
	 * drops either (mosquitto: max_queued_messages); both are counted
	 * unanswered.  A PUBACK for each cost a stream 12 % of its CPU and a
	 * third of its wall time (bench/results R3.1).  Commands stay at QoS 1.
	 */
	tell(s, EDGE_SESSION_EV_SUBSCRIBE, topic, 0);
	if (edge_mqtt_subscribe(s->mq, topic, edge_thing_is_reply(topic) ? 0 : 1,
	    &err) != EDGE_OK) {
		snprintf(s->lasterr, sizeof(s->lasterr), "%s", err.msg);
		return -1;
	}
	return 0;
}

/* The downlink topics, then the _reply topics of our uplink so far. */
static int
subscribe_all(struct edge_session *s)
{
	size_t i;

	for (i = 0; i < EDGE_THING_NDOWN; i++) {
		char *topic = edge_thing_down_topic(s->c.product_key,
		    s->c.device_key, i);
		int rc = topic != NULL ? subscribe(s, topic) :
		    (snprintf(s->lasterr, sizeof(s->lasterr), "out of memory"), -1);

		free(topic);
		if (rc != 0)
			return -1;
	}
	for (i = 0; i < s->replies.n; i++)
		if (subscribe(s, s->replies.topic[i]) != 0)
			return -1;
	return 0;
}

/* The login was refused (CONNACK n > 0): why, and whether to retry. */
static int
refused(struct edge_session *s, long long now, int connack,
    struct edge_error *err)
{
	int rc;

	if (connack == 3) {	/* server unavailable: worth retrying */
		edge_session_retry(s, now,
		    "the hub refused the login for now (CONNACK 3: server unavailable)");
		return EDGE_OK;
	}
	if ((rc = edge_tls_explain(s->c.tst, s->c.server_name, err)) != EDGE_OK)
		return rc;
	/*
	 * The broker may refuse at the MQTT level before its CRL makes the TLS
	 * layer say so: our own CRL can tell the revoked case apart.
	 */
	if ((rc = refuse_if_revoked(s, "the hub refused the login: ", "",
	    err)) != EDGE_OK)
		return rc;
	/* A refused identity is final: retrying would not change it. */
	return edge_err(err, EDGE_EREFUSED,
	    "the hub refused the login of %s (CONNACK %d: %s): wrong device secret, or the certificate is revoked or not bound to this device",
	    s->c.device_key, connack, edge_mqtt_connack_string(connack));
}

/* The hub answered CONNECT. */
static int
connected(struct edge_session *s, long long now, struct edge_error *err)
{
	struct edge_error e = { 0 };
	int connack = edge_mqtt_connack(s->mq);

	if (connack != 0)
		return refused(s, now, connack, err);
	edge_session_accepted(s);
	if (s->c.tst->peer_not_before != 0 && edge_time_witness(s->c.dirfd,
	    s->c.tst->peer_not_before, "hub certificate notBefore", &e) != EDGE_OK)
		tell(s, EDGE_SESSION_EV_WITNESS, e.msg, 0);
	if (s->c.tst->crl_stale && !s->told_stale) {
		tell(s, EDGE_SESSION_EV_CRL_STALE, NULL, 0);
		s->told_stale = true;
	}
	tell(s, EDGE_SESSION_EV_CONNECTED, NULL, 0);
	if (subscribe_all(s) != 0)
		return failed(s, now, s->lasterr, err);
	return EDGE_OK;
}

/* ---- while up -------------------------------------------------------- */

/*
 * Publish outbox messages not in flight, oldest first, while the window
 * allows.  A message that cannot be read back from the outbox is a storage
 * error (returned, like a failed append); a failed publish ends the connection.
 */
static int
pump(struct edge_session *s, struct edge_error *errp)
{
	struct edge_error err = { 0 };
	size_t i, n = s->c.ob != NULL ? edge_outbox_count(s->c.ob) : 0;
	int rc;

	if (s->state != EDGE_SESSION_UP)
		return EDGE_OK;
	for (i = 0; i < n && edge_mqtt_inflight(s->mq) < EDGE_SESSION_INFLIGHT;
	    i++) {
		struct edge_outbox_msg *m = edge_outbox_peek(s->c.ob, i);
		int mid = 0;

		if (m->done || m->mid != 0)
			continue;
		/* Read back from the segment; libmosquitto keeps its own copy. */
		if ((rc = edge_outbox_load(s->c.ob, m, errp)) != EDGE_OK)
			return rc;
		rc = edge_mqtt_publish(s->mq, m->topic, m->payload, m->len,
		    m->seq + 1, &mid, &err);
		if (rc == EDGE_EINPUT) {
			/*
			 * A record damaged on disk that no retry can send: left
			 * in the outbox it would hold back everything behind it.
			 * The held messages move when it goes: the rest of them
			 * are published at the next pass.
			 */
			unsigned long long seq = m->seq;

			edge_outbox_release(m);
			(void)edge_outbox_ack(s->c.ob, seq);
			s->dropped++;
			tell(s, EDGE_SESSION_EV_UNSENDABLE, err.msg, (long long)seq);
			return EDGE_OK;
		}
		if (rc != EDGE_OK) {
			edge_outbox_release(m);
			snprintf(s->lasterr, sizeof(s->lasterr), "%s", err.msg);
			s->lost = true;
			return EDGE_OK;
		}
		edge_outbox_release(m);
		m->mid = mid;
		s->sent++;
	}
	return EDGE_OK;
}

int
edge_session_tick(struct edge_session *s, long long now, bool stopping,
    struct edge_error *err)
{
	int rc;

	if (!stopping && edge_session_due(s, now) &&
	    (rc = try_connect(s, now, err)) != EDGE_OK)
		return rc;
	if (edge_session_overdue(s, now))
		return failed(s, now, "no answer to CONNECT", err);
	if (!stopping)
		return pump(s, err);
	return EDGE_OK;
}

int
edge_session_io(struct edge_session *s, long long now, struct edge_error *err)
{
	struct edge_error e = { 0 };
	enum edge_mqtt_event ev;

	if (s->mq == NULL || s->state == EDGE_SESSION_DOWN)
		return EDGE_OK;
	ev = edge_mqtt_step(s->mq, &e);
	if (s->lost)
		ev = EDGE_MQTT_ENDED;
	/* A refusal may come with the end of the connection: it is the news. */
	if (ev == EDGE_MQTT_ENDED && !(s->state == EDGE_SESSION_CONNECTING &&
	    edge_mqtt_connack(s->mq) > 0))
		return failed(s, now, e.msg[0] ? e.msg : "connection lost", err);
	if (ev != EDGE_MQTT_NONE && s->state == EDGE_SESSION_CONNECTING)
		return connected(s, now, err);
	return EDGE_OK;
}

int
edge_session_want_reply(struct edge_session *s, const char *topic)
{
	int rc;

	if (s->c.no_replies)
		return EDGE_OK;
	rc = edge_thing_replies_add(&s->replies, topic);

	if (rc == 1 && s->state == EDGE_SESSION_UP)
		(void)subscribe(s, s->replies.topic[s->replies.n - 1]);
	return rc < 0 ? rc : EDGE_OK;
}

/* ---- the uplink ------------------------------------------------------ */

static void
invalid(struct edge_session *s, const char *why)
{
	s->invalid++;
	tell(s, EDGE_SESSION_EV_INVALID, why, (long long)s->invalid);
}

/* drop_oldest: make room for one. */
static void
drop_oldest(struct edge_session *s)
{
	size_t d = edge_outbox_drop_oldest(s->c.ob, 1);

	s->dropped += d;
	if (d > 0)
		tell(s, EDGE_SESSION_EV_DROPPED, NULL, (long long)s->dropped);
}

int
edge_session_enqueue(struct edge_session *s, const char *line, size_t len,
    struct edge_error *err)
{
	struct edge_thing_msg m;
	struct edge_error e = { 0 };
	int rc;

	if (line == NULL) {
		invalid(s, "line longer than 512 KB");
		return EDGE_OK;
	}
	rc = edge_thing_wrap(s->c.product_key, s->c.device_key, line, len,
	    edge_outbox_next_seq(s->c.ob) + 1, edge_time_ms(), &m, &e);
	if (rc == EDGE_EINPUT) {
		invalid(s, e.msg);
		rc = EDGE_OK;
	} else if (rc != EDGE_OK) {
		rc = edge_err(err, rc, "%s", e.msg);
	} else if (m.text != NULL) {
		if (s->c.drop_oldest &&
		    edge_outbox_pending(s->c.ob) >= s->c.outbox_max)
			drop_oldest(s);
		(void)edge_session_want_reply(s, m.topic);
		rc = edge_outbox_append(s->c.ob, m.topic, m.text, strlen(m.text),
		    NULL, err);
	}
	edge_thing_msg_free(&m);
	return rc;
}

/* edge_lines_read's callback: the session and where errors go. */
struct reader {
	struct edge_session *s;
	struct edge_error *err;
};

static int
take_line(void *user, char *line, size_t len)
{
	struct reader *r = user;

	return edge_session_enqueue(r->s, line, len, r->err);
}

int
edge_session_read(struct edge_session *s, struct edge_lines *in,
    struct edge_error *err)
{
	struct reader r = { s, err };
	int rc = edge_lines_read(in, take_line, &r, err);

	if (rc != EDGE_OK)
		return rc;
	/* One fdatasync per batch, before any of it is published. */
	return edge_outbox_sync(s->c.ob, err);
}

bool
edge_session_room(const struct edge_session *s)
{
	return s->c.drop_oldest || edge_outbox_pending(s->c.ob) < s->c.outbox_max;
}

int
edge_session_reply(struct edge_session *s, const char *topic,
    const char *text, struct edge_error *err)
{
	if (s->state != EDGE_SESSION_UP)
		return edge_err(err, EDGE_ETEMP, "not connected");
	return edge_mqtt_publish(s->mq, topic, text, strlen(text), 0, NULL, err);
}

int
edge_session_answer(struct edge_session *s, const char *topic,
    json_object *id, int code, json_object *data, const char *message,
    struct edge_error *err)
{
	char *rtopic = edge_thing_reply_topic(topic);
	char *text = edge_thing_answer(id, code, data, message);
	int rc;

	if (rtopic == NULL || text == NULL)
		rc = edge_err(err, EDGE_EFAIL, "out of memory");
	else
		rc = edge_session_reply(s, rtopic, text, err);
	free(text);
	free(rtopic);
	return rc;
}

void
edge_session_end(struct edge_session *s)
{
	if (s->mq != NULL && s->state == EDGE_SESSION_UP) {
		struct edge_error err = { 0 };

		edge_mqtt_disconnect(s->mq);
		(void)edge_mqtt_loop(s->mq, &err);
	}
	edge_mqtt_free(&s->mq);
	edge_thing_replies_free(&s->replies);
}
