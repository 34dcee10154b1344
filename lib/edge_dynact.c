/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "edge_dynact.h"
#include "edge_json.h"
#include "edge_time.h"
#include "edge_mqtt.h"
#include "edge_tls.h"

struct exchange {
	const struct edge_dynact_conf *c;
	struct edge_mqtt *mq;
	char topic[512];
	bool done;
	char *asset_id;
	struct edge_secret *secret;
	struct edge_error err;
	int rc;
};

static void
on_subscribe(void *user, int mid)
{
	const struct exchange *x = user;

	if (x->c->on_subscribe)
		x->c->on_subscribe(mid);
}

int
edge_dynact_answer(const void *payload, size_t len, const char *product_key,
    const char *device_key, char **id, char **asset_id,
    struct edge_secret **secret, struct edge_error *err)
{
	static const char what[] = "activation answer";
	json_object *o = NULL, *params;
	const char *mid, *asset, *pk, *dk, *sec = NULL;
	int rc;

	*id = *asset_id = NULL;
	*secret = NULL;
	if ((rc = edge_json_parse(payload, len, what, &o, err)) != EDGE_OK)
		return rc;
	if ((rc = edge_json_string(o, "id", what, &mid, err)) ||
	    (rc = edge_json_object(o, "params", what, &params, err)) ||
	    (rc = edge_json_string(params, "assetId", what, &asset, err)) ||
	    (rc = edge_json_string(params, "productKey", what, &pk, err)) ||
	    (rc = edge_json_string(params, "deviceKey", what, &dk, err)) ||
	    (rc = edge_json_string(params, "deviceSecret", what, &sec, err)))
		goto out;
	if (strcmp(pk, product_key) != 0 || strcmp(dk, device_key) != 0) {
		rc = edge_err(err, EDGE_EINPUT, "%s: names device %s/%s", what, pk,
		    dk);
		goto out;
	}
	if ((*id = strdup(mid)) == NULL || (*asset_id = strdup(asset)) == NULL) {
		rc = edge_err(err, EDGE_EFAIL, "out of memory");
		goto out;
	}
	rc = edge_secret_from_value(sec, secret, err);
out:
	if (rc != EDGE_OK) {
		free(*id);
		free(*asset_id);
		*id = *asset_id = NULL;
	}
	/*
	 * The parsed answer holds the device secret in a buffer json-c frees
	 * without wiping; the buffer is the object's own (json_object_get_string
	 * returns it), so wipe it in place before the object goes.
	 */
	if (sec != NULL)
		explicit_bzero((void *)(uintptr_t)sec, strlen(sec));
	json_object_put(o);
	return rc;
}

static void
on_message(void *user, const char *topic, const void *payload, size_t len)
{
	struct exchange *x = user;
	char reply_topic[sizeof(x->topic) + 8], reply[256], *id = NULL;

	if (strcmp(topic, x->topic) != 0 || x->done)
		return;
	x->done = true;
	if ((x->rc = edge_dynact_answer(payload, len, x->c->product_key,
	    x->c->device_key, &id, &x->asset_id, &x->secret, &x->err)) != EDGE_OK)
		return;
	/* Acknowledge as the SDKs do; the secret is stored either way. */
	snprintf(reply_topic, sizeof(reply_topic), "%s_reply", x->topic);
	snprintf(reply, sizeof(reply), "{\"id\":\"%.64s\",\"code\":200,\"message\":\"activated\"}",
	    id);
	(void)edge_mqtt_publish(x->mq, reply_topic, reply, strlen(reply), 0, NULL,
	    NULL);
	free(id);
}

#define REFUSED_WHY "wrong product secret, unknown device, device already activated, or dynamic activation off for the product"

/*
 * The session ended: EDGE_OK when after the answer, else a trust verdict,
 * a refusal (at CONNACK or a closed connection before it) or a loss.
 */
static int
ended(const struct exchange *x, const struct edge_tls_status *tst,
    const char *host, struct edge_error *err)
{
	int connack = edge_mqtt_connack(x->mq);

	if (edge_tls_explain(tst, host, err) != EDGE_OK)
		return EDGE_ETRUST;
	if (connack > 0 || (connack < 0 && !x->done))
		return edge_err(err, EDGE_EREFUSED,
		    "%s: activation refused (%s): " REFUSED_WHY, x->c->url,
		    connack > 0 ? edge_mqtt_connack_string(connack) :
		    "connection closed");
	if (!x->done)
		return edge_err(err, EDGE_ETEMP, "%s: connection lost", x->c->url);
	return EDGE_OK;
}

/* Until the answer arrived and our acknowledgement left, or time is up. */
static int
await_answer(struct exchange *x, const struct edge_tls_status *tst,
    const char *host, long long deadline, struct edge_error *err)
{
	while (!(x->done && !edge_mqtt_want_write(x->mq))) {
		struct pollfd p = { -1, 0, 0 };
		long long left = deadline - edge_time_mono_ms();
		enum edge_mqtt_event ev;

		if (left <= 0)
			return edge_err(err, EDGE_ETEMP,
			    "%s: no activation answer within %ld s", x->c->url,
			    x->c->timeout);
		(void)edge_mqtt_pollfd(x->mq, &p);
		if (!edge_mqtt_pending(x->mq) &&
		    poll(&p, 1, left > 200 ? 200 : (int)left) < 0 && errno != EINTR)
			return edge_err(err, EDGE_ETEMP, "poll: %s", strerror(errno));
		ev = edge_mqtt_step(x->mq, err);
		if (ev == EDGE_MQTT_ENDED)
			return ended(x, tst, host, err);
		if (ev == EDGE_MQTT_REFUSED)
			return edge_err(err, EDGE_EREFUSED,
			    "%s: activation refused (CONNACK %d: %s): " REFUSED_WHY,
			    x->c->url, edge_mqtt_connack(x->mq),
			    edge_mqtt_connack_string(edge_mqtt_connack(x->mq)));
		/* The hub may send before the SUBACK; subscribing still documents intent. */
		if (ev == EDGE_MQTT_ACCEPTED)
			(void)edge_mqtt_subscribe(x->mq, x->topic, 1, NULL);
	}
	return EDGE_OK;
}

int
edge_dynact_run(const struct edge_dynact_conf *c, char **asset_id,
    struct edge_secret **secret, struct edge_error *err)
{
	struct edge_tls_conf tconf;
	struct edge_tls_status tst;
	struct edge_mqtt_conf mconf;
	struct ssl_ctx_st *tls = NULL;
	struct exchange x;
	char *host = NULL;
	int port, rc;
	long long deadline = edge_time_mono_ms() + c->timeout * 1000;

	*asset_id = NULL;
	*secret = NULL;
	memset(&x, 0, sizeof(x));
	x.c = c;
	x.rc = EDGE_ETEMP;
	if ((size_t)snprintf(x.topic, sizeof(x.topic),
	    "/ext/session/%s/%s/thing/activate/info", c->product_key,
	    c->device_key) >= sizeof(x.topic))
		return edge_err(err, EDGE_EINPUT, "product key or device key too long");
	if ((rc = edge_mqtt_url_parse(c->url, &host, &port, err)) != EDGE_OK)
		return rc;
	memset(&tconf, 0, sizeof(tconf));
	memset(&tst, 0, sizeof(tst));
	tconf.dirfd = c->dirfd;
	tconf.ca_file = c->ca_file;
	tconf.hub_pin = c->hub_pin;
	tconf.server_name = host;
	tconf.verify_hostname = true;
	tconf.server_only = true;
	if ((rc = edge_tls_ctx_new(&tconf, &tst, &tls, err)) != EDGE_OK)
		goto out;
	memset(&mconf, 0, sizeof(mconf));
	mconf.host = host;
	mconf.port = port;
	mconf.product_key = c->product_key;
	mconf.device_key = c->device_key;
	mconf.secret = c->product_secret;
	mconf.securemode = 3;
	mconf.keepalive = 60;
	mconf.max_inflight = 10;
	mconf.tls = tls;
	mconf.user = &x;
	mconf.on_subscribe = on_subscribe;
	mconf.on_message = on_message;
	if ((rc = edge_mqtt_start(&mconf, &x.mq, err)) != EDGE_OK) {
		if (edge_tls_explain(&tst, host, err) != EDGE_OK)
			rc = EDGE_ETRUST;
		goto out;
	}
	if ((rc = await_answer(&x, &tst, host, deadline, err)) != EDGE_OK)
		goto out;
	if ((rc = x.rc) != EDGE_OK) {
		if (err != NULL)
			*err = x.err;
		goto out;
	}
	*asset_id = x.asset_id;
	*secret = x.secret;
	x.asset_id = NULL;
	x.secret = NULL;
out:
	if (x.mq != NULL) {
		edge_mqtt_disconnect(x.mq);
		edge_mqtt_free(&x.mq);
	}
	edge_tls_ctx_free(&tls);
	free(x.asset_id);
	edge_secret_free(&x.secret);
	free(host);
	return rc;
}
