/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <mosquitto.h>

#include "edge_enos.h"
#include "edge_mqtt.h"
#include "edge_time.h"
#include "edge_tls.h"

struct edge_mqtt {
	struct mosquitto *mosq;
	struct edge_mqtt_conf conf;
	int connack;		/* -1 until CONNACK */
	bool told;		/* edge_mqtt_step reported the CONNACK */
	bool lost;
	struct flight {
		int mid;
		unsigned long long tag;
	} *fl;			/* published, not acknowledged */
	size_t nfl, maxfl;
};

static int lib_ready;

static void
cb_connect(struct mosquitto *mosq, void *obj, int rc)
{
	struct edge_mqtt *m = obj;

	(void)mosq;
	m->connack = rc;
}

static void
cb_disconnect(struct mosquitto *mosq, void *obj, int rc)
{
	struct edge_mqtt *m = obj;

	(void)mosq;
	(void)rc;
	m->lost = true;
}

static void
cb_publish(struct mosquitto *mosq, void *obj, int mid)
{
	struct edge_mqtt *m = obj;
	size_t i;

	(void)mosq;
	for (i = 0; i < m->nfl; i++) {
		unsigned long long tag = m->fl[i].tag;

		if (m->fl[i].mid != mid)
			continue;
		m->fl[i] = m->fl[--m->nfl];
		if (tag != 0 && m->conf.on_publish)
			m->conf.on_publish(m->conf.user, tag);
		return;
	}
}

/* Keep a published message in flight (without memory: not counted). */
static void
track(struct edge_mqtt *m, int mid, unsigned long long tag)
{
	if (m->nfl == m->maxfl) {
		size_t cap = m->maxfl ? m->maxfl * 2 : 64;
		void *p = realloc(m->fl, cap * sizeof(*m->fl));

		if (p == NULL)
			return;
		m->fl = p;
		m->maxfl = cap;
	}
	m->fl[m->nfl].mid = mid;
	m->fl[m->nfl++].tag = tag;
}

size_t
edge_mqtt_inflight(const struct edge_mqtt *m)
{
	return m != NULL ? m->nfl : 0;
}

static void
cb_subscribe(struct mosquitto *mosq, void *obj, int mid, int qos_count,
    const int *granted_qos)
{
	struct edge_mqtt *m = obj;

	(void)mosq;
	(void)qos_count;
	(void)granted_qos;
	if (m->conf.on_subscribe)
		m->conf.on_subscribe(m->conf.user, mid);
}

static void
cb_message(struct mosquitto *mosq, void *obj,
    const struct mosquitto_message *msg)
{
	struct edge_mqtt *m = obj;
	size_t len = (size_t)(msg->payloadlen > 0 ? msg->payloadlen : 0);

	(void)mosq;
	if (m->conf.on_message)
		m->conf.on_message(m->conf.user, msg->topic, msg->payload, len);
	/* libmosquitto frees the payload unwiped; an answer may hold a secret. */
	if (msg->payload != NULL)
		explicit_bzero(msg->payload, len);
}

static int
mosq_error(struct edge_error *err, int mrc, const char *what)
{
	if (mrc == MOSQ_ERR_ERRNO)
		return edge_err(err, EDGE_ETEMP, "%s: %s", what, strerror(errno));
	if (mrc == MOSQ_ERR_NOMEM)
		return edge_err(err, EDGE_EFAIL, "%s: out of memory", what);
	return edge_err(err, EDGE_ETEMP, "%s: %s", what, mosquitto_strerror(mrc));
}

int
edge_mqtt_start(const struct edge_mqtt_conf *conf, struct edge_mqtt **out,
    struct edge_error *err)
{
	struct edge_mqtt *m;
	char cid[256], user[256], ts[32], pw[EDGE_ENOS_HEX256];
	int rc, mrc;

	*out = NULL;
	if (!lib_ready) {
		mosquitto_lib_init();
		lib_ready = 1;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return edge_err(err, EDGE_EFAIL, "out of memory");
	*out = m;
	m->conf = *conf;
	m->connack = -1;
	if (m->conf.timestamp_ms == 0)
		m->conf.timestamp_ms = edge_time_ms();
	snprintf(ts, sizeof(ts), "%lld", m->conf.timestamp_ms);
	if ((size_t)snprintf(cid, sizeof(cid), "%s|securemode=%d,signmethod=sha256,timestamp=%s|",
	    conf->device_key, conf->securemode ? conf->securemode : 2, ts) >=
	    sizeof(cid) ||
	    (size_t)snprintf(user, sizeof(user), "%s&%s", conf->device_key,
	    conf->product_key) >= sizeof(user))
		return edge_err(err, EDGE_EINPUT, "device key or product key too long");
	/* The signature's clientId is the device key, as in every EnOS SDK. */
	if ((rc = edge_enos_mqtt_password("sha256", conf->device_key,
	    conf->device_key, conf->product_key, ts, conf->secret->data, true, pw,
	    sizeof(pw))) != EDGE_OK)
		return edge_err(err, rc, "cannot sign the MQTT login");
	m->mosq = mosquitto_new(cid, true, m);
	if (m->mosq == NULL) {
		explicit_bzero(pw, sizeof(pw));
		return edge_err(err, EDGE_EFAIL, "mosquitto_new: %s", strerror(errno));
	}
	mosquitto_int_option(m->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
	mosquitto_int_option(m->mosq, MOSQ_OPT_SSL_CTX_WITH_DEFAULTS, 0);
	mosquitto_void_option(m->mosq, MOSQ_OPT_SSL_CTX, conf->tls);
	mosquitto_max_inflight_messages_set(m->mosq, conf->max_inflight);
	mrc = mosquitto_username_pw_set(m->mosq, user, pw);
	explicit_bzero(pw, sizeof(pw));
	if (mrc != MOSQ_ERR_SUCCESS)
		return mosq_error(err, mrc, "MQTT login");
	mosquitto_connect_callback_set(m->mosq, cb_connect);
	mosquitto_disconnect_callback_set(m->mosq, cb_disconnect);
	mosquitto_publish_callback_set(m->mosq, cb_publish);
	mosquitto_message_callback_set(m->mosq, cb_message);
	mosquitto_subscribe_callback_set(m->mosq, cb_subscribe);
	mrc = mosquitto_connect(m->mosq, conf->host, conf->port, conf->keepalive);
	if (mrc != MOSQ_ERR_SUCCESS) {
		char what[300];
		snprintf(what, sizeof(what), "cannot connect to %s:%d", conf->host,
		    conf->port);
		return mosq_error(err, mrc, what);
	}
	return EDGE_OK;
}

int
edge_mqtt_socket(struct edge_mqtt *m)
{
	return m && m->mosq ? mosquitto_socket(m->mosq) : -1;
}

bool
edge_mqtt_pollfd(struct edge_mqtt *m, struct pollfd *p)
{
	int fd = edge_mqtt_socket(m);

	if (fd < 0)
		return false;
	p->fd = fd;
	p->events = POLLIN | (edge_mqtt_want_write(m) ? POLLOUT : 0);
	p->revents = 0;
	return true;
}

bool
edge_mqtt_want_write(struct edge_mqtt *m)
{
	return m && m->mosq && mosquitto_want_write(m->mosq);
}

bool
edge_mqtt_pending(struct edge_mqtt *m)
{
	void *ssl = m && m->mosq ? mosquitto_ssl_get(m->mosq) : NULL;

	return ssl != NULL && edge_tls_pending(ssl);
}

int
edge_mqtt_loop(struct edge_mqtt *m, struct edge_error *err)
{
	int mrc;

	if (m == NULL || m->mosq == NULL)
		return edge_err(err, EDGE_ETEMP, "not connected");
	mrc = mosquitto_loop(m->mosq, 0, 1);
	if (mrc != MOSQ_ERR_SUCCESS)
		return mosq_error(err, mrc, "connection lost");
	/*
	 * Acknowledge at once what we read.  A broker with Nagle on (mosquitto's
	 * default) holds its second small answer (CONNACK after the handshake,
	 * PUBACK after a SUBACK) until our ACK of the first, and Linux delays
	 * that ACK by 40 ms: two such stalls made "one message, exit" take
	 * 100 ms instead of 15 (bench/results).  The kernel clears the flag
	 * again by itself, so it is set after every read.
	 */
	{
		int one = 1, fd = mosquitto_socket(m->mosq);

		if (fd >= 0)
			(void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one,
			    sizeof(one));
	}
	return EDGE_OK;
}

enum edge_mqtt_event
edge_mqtt_step(struct edge_mqtt *m, struct edge_error *err)
{
	if (edge_mqtt_loop(m, err) != EDGE_OK || m->lost) {
		if (err != NULL && err->msg[0] == '\0')
			(void)edge_err(err, EDGE_ETEMP, "connection lost");
		return EDGE_MQTT_ENDED;
	}
	if (m->connack < 0 || m->told)
		return EDGE_MQTT_NONE;
	m->told = true;
	return m->connack == 0 ? EDGE_MQTT_ACCEPTED : EDGE_MQTT_REFUSED;
}

int
edge_mqtt_connack(const struct edge_mqtt *m)
{
	return m != NULL ? m->connack : -1;
}

int
edge_mqtt_publish(struct edge_mqtt *m, const char *topic, const void *payload,
    size_t len, unsigned long long tag, int *mid, struct edge_error *err)
{
	int mrc, id = 0;

	if (len > 512 * 1024)
		return edge_err(err, EDGE_EINPUT, "message of %zu bytes is above 512 KB",
		    len);
	mrc = mosquitto_publish(m->mosq, &id, topic, (int)len, payload, 1, false);
	/* Refused for what it is: no retry will send it. */
	if (mrc == MOSQ_ERR_INVAL)
		return edge_err(err, EDGE_EINPUT, "not a valid topic name");
	if (mrc == MOSQ_ERR_MALFORMED_UTF8)
		return edge_err(err, EDGE_EINPUT, "topic not valid UTF-8");
	if (mrc == MOSQ_ERR_PAYLOAD_SIZE)
		return edge_err(err, EDGE_EINPUT, "payload too large for MQTT");
	if (mrc != MOSQ_ERR_SUCCESS)
		return mosq_error(err, mrc, "publish");
	track(m, id, tag);
	if (mid != NULL)
		*mid = id;
	return EDGE_OK;
}

int
edge_mqtt_subscribe(struct edge_mqtt *m, const char *topic, int qos,
    struct edge_error *err)
{
	int mrc = mosquitto_subscribe(m->mosq, NULL, topic, qos);

	if (mrc != MOSQ_ERR_SUCCESS)
		return mosq_error(err, mrc, "subscribe");
	return EDGE_OK;
}

void
edge_mqtt_disconnect(struct edge_mqtt *m)
{
	if (m != NULL && m->mosq != NULL)
		(void)mosquitto_disconnect(m->mosq);
}

void
edge_mqtt_free(struct edge_mqtt **m)
{
	if (m == NULL || *m == NULL)
		return;
	if ((*m)->mosq != NULL)
		mosquitto_destroy((*m)->mosq);
	free((*m)->fl);
	free(*m);
	*m = NULL;
}

const char *
edge_mqtt_connack_string(int rc)
{
	switch (rc) {
	case 1: return "unacceptable protocol version";
	case 2: return "identifier rejected";
	case 3: return "server unavailable";
	case 4: return "bad user name or password";
	case 5: return "not authorized";
	default: return "unknown refusal";
	}
}

