/* SPDX-License-Identifier: MIT */
#ifndef EDGE_MQTT_H
#define EDGE_MQTT_H

/*
 * One MQTT 3.1.1 session with the EnOS hub (libmosquitto), logged in as in
 * ENOS-PROTOCOL.md 9.2: client id "{deviceKey}|securemode=2,signmethod=sha256,
 * timestamp={ms}|", username "{deviceKey}&{productKey}", password the
 * uppercase hex SHA-256 signature with the device secret; clean session;
 * TLS from a ready SSL_CTX (lib/edge_tls.h).  A session is made for one
 * connection attempt: reconnecting means a new session (a new timestamp and
 * signature, and a reloaded TLS context when the files changed).
 *
 * The caller drives the network from its own poll() loop (edge_mqtt_pollfd,
 * edge_mqtt_step) and learns how the login went from edge_mqtt_step, of
 * messages through callbacks run inside it.  This bring-up is shared by
 * edge-connect and dynamic activation (lib/edge_dynact.c).  Never prints;
 * never logs the secret.
 */

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

#include "edge_err.h"
#include "edge_secret.h"

struct ssl_ctx_st;

#define EDGE_MQTT_PORT	18883

struct edge_mqtt_conf {
	const char *host;
	int port;
	const char *product_key;
	const char *device_key;
	const struct edge_secret *secret;	/* device secret, borrowed */
	int securemode;		/* 2 (default when 0): device secret;
				   3: dynamic activation with the product secret */
	long long timestamp_ms;	/* for the client id and signature; 0: now */
	int keepalive;				/* seconds */
	unsigned max_inflight;			/* QoS 1 messages unacknowledged */
	struct ssl_ctx_st *tls;			/* borrowed; must outlive the session */
	void *user;
	/* PUBACK for a message published with a tag; may be NULL. */
	void (*on_publish)(void *user, unsigned long long tag);
	/* SUBACK for message id mid; may be NULL. */
	void (*on_subscribe)(void *user, int mid);
	void (*on_message)(void *user, const char *topic, const void *payload,
	    size_t len);
};

struct edge_mqtt;

/*
 * Parse "mqtts://host[:port]" (also "ssl://", "tls://", or a bare
 * "host[:port]"; "[v6addr]:port" allowed).  The default port is 18883.
 * Plain "mqtt://" and "tcp://" are refused: the hub requires TLS.  Caller
 * frees *host.  Errors: EDGE_EUSAGE.
 */
int edge_mqtt_url_parse(const char *url, char **host, int *port,
    struct edge_error *err);

/*
 * Start a session: TCP connection and TLS handshake begin, CONNECT is sent.
 * The outcome arrives through edge_mqtt_step.
 * Errors: EDGE_ETEMP (host unreachable, connection refused, TLS handshake
 * failure; the caller asks edge_tls_explain whether it is really a trust
 * failure), EDGE_EFAIL.  Free with edge_mqtt_free() in every case.
 */
int edge_mqtt_start(const struct edge_mqtt_conf *conf, struct edge_mqtt **out,
    struct edge_error *err);

/* The socket to poll, -1 when not connected. */
int edge_mqtt_socket(struct edge_mqtt *m);
/*
 * Fill *p to poll the session's socket (POLLIN, and POLLOUT when data is
 * queued).  False when there is no socket (p untouched).
 */
bool edge_mqtt_pollfd(struct edge_mqtt *m, struct pollfd *p);
/* True when the session has data queued for the socket (poll for POLLOUT). */
bool edge_mqtt_want_write(struct edge_mqtt *m);
/* True when TLS holds already decrypted input (do not wait in poll). */
bool edge_mqtt_pending(struct edge_mqtt *m);

/*
 * Do the network work that is ready (read, write, keep-alive) without
 * blocking.  Errors: EDGE_ETEMP "connection lost: <reason>" (the session is
 * over; the caller may ask edge_tls_explain why).
 */
int edge_mqtt_loop(struct edge_mqtt *m, struct edge_error *err);

/* What edge_mqtt_step saw. */
enum edge_mqtt_event {
	EDGE_MQTT_NONE,		/* nothing new */
	EDGE_MQTT_ACCEPTED,	/* CONNACK 0 arrived */
	EDGE_MQTT_REFUSED,	/* CONNACK n > 0 arrived (edge_mqtt_connack) */
	EDGE_MQTT_ENDED,	/* the connection is over (err says why, else
				   "connection lost"; edge_tls_explain may know
				   more); the CONNACK may have come before it */
};

/* edge_mqtt_loop, then what happened (each CONNACK is told once). */
enum edge_mqtt_event edge_mqtt_step(struct edge_mqtt *m,
    struct edge_error *err);

/* The CONNACK code, -1 while none came. */
int edge_mqtt_connack(const struct edge_mqtt *m);

/*
 * Publish at QoS 1; the session keeps it in flight until its PUBACK, which
 * brings tag (when not 0) to on_publish.  *mid (may be NULL): its message
 * id.  Errors: EDGE_ETEMP, EDGE_EINPUT (above 512 KB).
 */
int edge_mqtt_publish(struct edge_mqtt *m, const char *topic,
    const void *payload, size_t len, unsigned long long tag, int *mid,
    struct edge_error *err);

/* Messages published and not acknowledged yet (0 without a session). */
size_t edge_mqtt_inflight(const struct edge_mqtt *m);

/* Subscribe at QoS qos (0 or 1).  EDGE_ETEMP. */
int edge_mqtt_subscribe(struct edge_mqtt *m, const char *topic, int qos,
    struct edge_error *err);

/* Send DISCONNECT (best effort). */
void edge_mqtt_disconnect(struct edge_mqtt *m);

/* Close and free (NULL accepted; *m set to NULL). */
void edge_mqtt_free(struct edge_mqtt **m);

/* "not authorized" for CONNACK code 5, and so on. */
const char *edge_mqtt_connack_string(int rc);

#endif
