/* SPDX-License-Identifier: MIT */
#ifndef EDGE_SESSION_H
#define EDGE_SESSION_H

/*
 * edge-connect's session with the hub across connections: when to connect
 * (the backoff after a failure), the checks before each connection (the
 * clock not set back, our own certificate not revoked), how the login went,
 * the subscriptions (downlink topics and the _reply topics of our uplink),
 * the uplink into the outbox (block or drop-oldest when full), the outbox
 * published oldest first, which replies are ours, and the end of a
 * connection.  A verdict
 * about certificates or the login ends the run (an error returned); anything
 * else is retried after the backoff.
 *
 * The clock is the caller's (now: monotonic ms), so the schedule is testable
 * without a network.  Never prints: what the user may want to hear comes
 * through on_event, and the caller words it.
 */

#include <stdbool.h>
#include <stddef.h>

#include "edge_err.h"
#include "edge_secret.h"
#include "edge_thing.h"

struct ssl_ctx_st;
struct edge_mqtt;
struct edge_outbox;
struct edge_lines;
struct edge_tls_status;

#define EDGE_SESSION_CONNACK_MS	30000	/* how long CONNECT may stay unanswered */
#define EDGE_SESSION_INFLIGHT	100	/* QoS 1 messages unacknowledged */

enum edge_session_state {
	EDGE_SESSION_DOWN,
	EDGE_SESSION_CONNECTING,
	EDGE_SESSION_UP,
};

/* What on_event tells (text and n as noted; text may be NULL otherwise). */
enum edge_session_ev {
	EDGE_SESSION_EV_CONNECTING,	/* a connection attempt starts */
	EDGE_SESSION_EV_RETRY,		/* text: why it ended; n: ms until the next */
	EDGE_SESSION_EV_CONNECTED,	/* the hub accepted the login */
	EDGE_SESSION_EV_CLOCK_AHEAD,	/* the clock is a year past trusted time (once) */
	EDGE_SESSION_EV_CRL_STALE,	/* crl.pem is used within its grace (once) */
	EDGE_SESSION_EV_WITNESS,	/* text: why trusted time was not moved */
	EDGE_SESSION_EV_SUBSCRIBE,	/* text: the topic */
	EDGE_SESSION_EV_SUBSCRIBED,	/* n: the message id the broker confirmed */
	EDGE_SESSION_EV_IGNORED,	/* text: a _reply topic not of our uplink */
	EDGE_SESSION_EV_INVALID,	/* text: why an input line was skipped */
	EDGE_SESSION_EV_DROPPED,	/* n: oldest messages dropped for room, in all */
	EDGE_SESSION_EV_UNSENDABLE,	/* text: why; n: the outbox message's seq */
};

#define EDGE_SESSION_MIN_MS	100	/* shortest reconnect wait (min_ms 0) */

struct edge_session_conf {
	int dirfd;			/* the state directory */
	const char *host;
	int port;
	const char *product_key, *device_key;
	const struct edge_secret *secret;	/* device secret, borrowed */
	int keepalive;			/* seconds */
	const char *server_name;	/* for edge_tls_explain */
	struct edge_tls_status *tst;	/* filled by the TLS context's checks */
	struct ssl_ctx_st *tls;		/* borrowed; see edge_session_restart */
	struct edge_outbox *ob;		/* published from; may be NULL */
	long min_ms, max_ms;		/* the reconnect backoff; min_ms 0: 100 */
	size_t outbox_max;		/* most messages kept in ob */
	bool drop_oldest;		/* ob full: drop its oldest, else block */
	bool no_replies;		/* not subscribed to the _reply topics */
	void *user;
	void (*on_event)(void *user, enum edge_session_ev ev, const char *text,
	    long long n);
	/* Commands, and the hub's replies to our uplink (not other _reply). */
	void (*on_message)(void *user, const char *topic, const void *payload,
	    size_t len);
};

/* Read its members; change them only through the functions below. */
struct edge_session {
	struct edge_session_conf c;
	struct edge_mqtt *mq;		/* NULL while down */
	enum edge_session_state state;
	bool lost;			/* a publish failed: end the connection */
	bool told_clock, told_stale;
	unsigned attempt;		/* failures since the last login */
	long long next_try, connack_by;
	struct edge_thing_replies replies;	/* subscribed while up */
	unsigned long long sent, acked, connections;
	unsigned long long answered;	/* hub replies to our uplink */
	unsigned long long invalid, dropped;	/* input lines skipped, dropped */
	char lasterr[EDGE_ERR_MSG_MAX];	/* why the last connection ended */
};

/* Down, due at once.  c is copied; its pointers are borrowed. */
void edge_session_init(struct edge_session *s,
    const struct edge_session_conf *c);

/*
 * Before the caller's poll(): connect when due (unless stopping), give up on
 * a CONNECT unanswered for EDGE_SESSION_CONNACK_MS, publish what the window
 * allows (unless stopping).  Errors (the run ends): the clock was set back,
 * our certificate is revoked, a trust failure from edge_tls_explain, an
 * outbox message that cannot be read back (EDGE_ESTORE).
 */
int edge_session_tick(struct edge_session *s, long long now, bool stopping,
    struct edge_error *err);

/*
 * After poll(): the network work, and what the hub said.  Errors: the hub
 * refused the login (EDGE_EREFUSED, EDGE_EREVOKED), a trust failure.
 */
int edge_session_io(struct edge_session *s, long long now,
    struct edge_error *err);

/* How long the caller may wait in poll() for the session's sake (ms). */
long long edge_session_wait(const struct edge_session *s, long long now,
    bool stopping);

/*
 * Subscribe, now when up, else at the next login, to the _reply topic of
 * uplink topic.  EDGE_EFAIL: out of memory.
 */
int edge_session_want_reply(struct edge_session *s, const char *topic);

/*
 * The uplink: one input line (NULL: longer than EDGE_THING_MSG_MAX) checked
 * and wrapped by edge_thing_wrap (the next outbox sequence number as its id),
 * its _reply topic wanted, appended to the outbox; with drop_oldest and the
 * outbox full, its oldest message dropped first (told as
 * EDGE_SESSION_EV_DROPPED).  A line that is not a message is counted and
 * told as EDGE_SESSION_EV_INVALID, and 0 returned.  Errors: the outbox's,
 * EDGE_EFAIL (out of memory).  Not synced: edge_outbox_sync after a batch.
 */
int edge_session_enqueue(struct edge_session *s, const char *line,
    size_t len, struct edge_error *err);

/*
 * Read what is there (one edge_lines_read), enqueue every whole line, and
 * make the batch durable with one edge_outbox_sync before any of it is
 * published.  Errors: edge_lines_read's, edge_session_enqueue's, the sync's.
 */
int edge_session_read(struct edge_session *s, struct edge_lines *in,
    struct edge_error *err);

/* Whether the outbox takes more input now (the block policy waits). */
bool edge_session_room(const struct edge_session *s);

/*
 * A message from the broker: a _reply topic not among ours is told as
 * EDGE_SESSION_EV_IGNORED and dropped (our own replies to commands echo
 * back), a reply of ours is counted in answered; on to on_message.
 */
void edge_session_message(struct edge_session *s, const char *topic,
    const void *payload, size_t len);

/*
 * Messages the hub acknowledged in this session and has not answered yet.
 * The hub answers each uplink once; a message sent again after a
 * reconnection may be answered twice, hence the floor at 0.
 */
unsigned long long edge_session_unanswered(const struct edge_session *s);

/* Publish a reply to a command.  EDGE_ETEMP "not connected" while not up. */
int edge_session_reply(struct edge_session *s, const char *topic,
    const char *text, struct edge_error *err);

/*
 * Answer the command that came on topic, on topic_reply, with
 * edge_thing_answer(id, code, data, message); data is taken over.  Errors:
 * edge_session_reply's, EDGE_EFAIL "out of memory".
 */
int edge_session_answer(struct edge_session *s, const char *topic,
    json_object *id, int code, json_object *data, const char *message,
    struct edge_error *err);

/*
 * Drop the connection and connect again at once with a new TLS context
 * (SIGHUP), the backoff started over.  The old context may be freed after.
 */
void edge_session_restart(struct edge_session *s, struct ssl_ctx_st *tls,
    long long now);

/*
 * The schedule alone, used by the functions above and driven by the tests
 * with a fake clock (no network).  due: down, and its next try has come.
 * started: CONNECT went out at now, its answer is expected by now +
 * EDGE_SESSION_CONNACK_MS.  overdue: it did not come.  accepted: up, the
 * backoff starts over, one more connection counted.
 */
bool edge_session_due(const struct edge_session *s, long long now);
void edge_session_started(struct edge_session *s, long long now);
bool edge_session_overdue(const struct edge_session *s, long long now);
void edge_session_accepted(struct edge_session *s);
/*
 * The connection ended (why, kept in lasterr): closed, its flights to be
 * published again, down until now plus the next backoff; told as
 * EDGE_SESSION_EV_RETRY.
 */
void edge_session_retry(struct edge_session *s, long long now,
    const char *why);

/* Say goodbye when up, close, forget the subscriptions. */
void edge_session_end(struct edge_session *s);

#endif
