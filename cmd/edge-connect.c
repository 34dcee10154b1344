/* SPDX-License-Identifier: MIT */
/*
 * edge-connect: the edge's MQTT session with the hub over mutual TLS.
 * Telemetry read as NDJSON goes up through the durable outbox (QoS 1,
 * removed only after PUBACK); commands and lifecycle messages come down and
 * are printed as JSON lines, answered automatically, or handed to --exec.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "edge_crlstore.h"
#include "edge_device.h"
#include "edge_exec.h"
#include "edge_hubcfg.h"
#include "edge_hubid.h"
#include "edge_json.h"
#include "edge_key.h"
#include "edge_lines.h"
#include "edge_log.h"
#include "edge_mqtt.h"
#include "edge_outbox.h"
#include "edge_session.h"
#include "edge_signal.h"
#include "edge_thing.h"
#include "edge_state.h"
#include "edge_time.h"
#include "edge_tls.h"
#include "edge_tool.h"

#define LINE_MAX_BYTES	EDGE_THING_MSG_MAX
#define EXEC_MAX_LIMIT	64	/* --exec-max upper bound */
#define FLUSH_EVERY_MS	200

static const struct edge_opt opts[] = {
	{ "mqtt", 0, "URL", 0, "hub MQTT broker, mqtts://host[:port] (default: the mqtt edge-provision recorded in DIR/device.json; port 18883)", NULL, EDGE_T_STRING, 0, 0 },
	{ "ca", 0, "FILE", 0, "root CA the hub's certificate must chain to (default: DIR/ca.pem)", NULL, EDGE_T_STRING, 0, 0 },
	{ "server-name", 0, "NAME", 0, "name or IP address the hub's certificate must carry (default: the host of the URL)", NULL, EDGE_T_STRING, 0, 0 },
	{ "no-verify-hostname", 0, NULL, 0, "do not check the hub's name (the chain is still verified); insecure", NULL, EDGE_T_FLAG, 0, 0 },
	{ "crl-grace", 0, "SECS", 0, "how long after its nextUpdate a CRL is still used, with a warning", "86400", EDGE_T_INT, 0, EDGE_NO_MAX },
	{ "hub-pin", 0, "PINS", 0, "pin the hub's key: sha256//BASE64 of its SubjectPublicKeyInfo, several separated by ';'", NULL, EDGE_T_STRING, 0, 0 },
	{ "pin", 0, "SECRET", EDGE_OPT_SECRET, "token PIN: " EDGE_SECRET_FORMS, NULL, EDGE_T_STRING, 0, 0 },
	{ "input", 'i', "FILE", EDGE_OPT_CLI, "read telemetry lines from FILE instead of standard input", NULL, EDGE_T_STRING, 0, 0 },
	{ "exit-on-eof", 0, NULL, EDGE_OPT_CLI, "exit once the input ended and everything was acknowledged", NULL, EDGE_T_FLAG, 0, 0 },
	{ "count", 'C', "N", EDGE_OPT_CLI, "exit after N downlink messages were received and answered", NULL, EDGE_T_INT, 1, 1000000000 },
	{ "timeout", 'W', "SECS", EDGE_OPT_CLI, "exit after SECS seconds in any case", NULL, EDGE_T_INT, 1, 100000000 },
	{ "exec", 0, "CMD", 0, "run CMD (by /bin/sh) for each command, with the message on its standard input", NULL, EDGE_T_STRING, 0, 0 },
	{ "exec-timeout", 0, "SECS", 0, "time limit for one --exec run, from start to exit", "30", EDGE_T_INT, 1, 86400 },
	{ "exec-max", 0, "N", 0, "most --exec runs at once; beyond it a command is answered 1102 (busy)", "4", EDGE_T_INT, 1, EXEC_MAX_LIMIT },
	{ "no-auto-reply", 0, NULL, 0, "do not answer commands (without --exec they are answered with code 200)", NULL, EDGE_T_FLAG, 0, 0 },
	{ "outbox-max", 0, "N", 0, "most messages kept in the outbox", "100000", EDGE_T_INT, 1, 100000000 },
	{ "outbox-full", 0, "block|drop-oldest", 0, "when the outbox is full: stop reading input, or drop the oldest message", "block", EDGE_T_CHOICE, 0, 0 },
	{ "keepalive", 0, "SECS", 0, "MQTT keep-alive interval", "60", EDGE_T_INT, 5, 65535 },
	{ "reconnect-min", 0, "SECS", 0, "first wait before reconnecting; doubled per failure", "1", EDGE_T_INT, 0, 3600 },
	{ "reconnect-max", 0, "SECS", 0, "longest wait before reconnecting", "60", EDGE_T_INT, 1, 86400 },
	{ "drain-timeout", 0, "SECS", 0, "at SIGTERM or the end, wait this long for outstanding acknowledgements", "10", EDGE_T_INT, 0, 3600 },
	{ "reply-wait", 0, "SECS", 0, "with --exit-on-eof, wait this long after the last acknowledgement for the hub's replies", "5", EDGE_T_INT, 0, 3600 },
	{ "no-replies", 0, NULL, EDGE_OPT_CLI, "do not subscribe to the hub's replies to our messages: done at the PUBACK, rejections unseen", NULL, EDGE_T_FLAG, 0, 0 },
	{ NULL, 0, NULL, 0, NULL, NULL, EDGE_T_STRING, 0, 0 }
};

struct app {
	struct edge_ctx *ctx;
	int dirfd;
	struct edge_device dev;
	const char *pk, *dk;
	struct edge_secret *secret, *pin;
	char *host;
	int port;
	struct edge_tls_conf tconf;
	struct edge_tls_status tst;
	struct ssl_ctx_st *tls;
	struct edge_outbox *ob;
	struct edge_session s;
	/* input */
	const char *input;	/* NULL: standard input */
	struct edge_lines in;	/* fd -1: none */
	/* options */
	long count, timeout, exec_timeout, outbox_max, keepalive;
	long rmin_ms, rmax_ms, drain_ms, reply_wait_ms;
	bool drop_oldest, exit_on_eof, auto_reply, no_replies;
	const char *exec;
	char **exec_env;
	long exec_max;
	struct edge_exec_pool jobs;
	/* progress */
	unsigned long long rejected, received;
	char codes[64];		/* the distinct codes of the rejections, "900, 800" */
	bool stopping, stdout_broken;
	long long stop_deadline, reply_by;	/* reply_by -1: not waiting yet */
};

/* ---- options and inputs --------------------------------------------- */

/* The options that are not about the hub. */
static int
read_options(struct app *a)
{
	struct edge_ctx *ctx = a->ctx;
	const char *in;

	/* Checked against the option table's ranges before run(). */
	a->count = edge_arg_long(ctx, "count", -1);
	a->timeout = edge_arg_long(ctx, "timeout", -1);
	a->exec_timeout = edge_arg_long(ctx, "exec-timeout", 30);
	a->exec_max = edge_arg_long(ctx, "exec-max", 4);
	a->outbox_max = edge_arg_long(ctx, "outbox-max", 100000);
	a->keepalive = edge_arg_long(ctx, "keepalive", 60);
	a->rmin_ms = edge_arg_long(ctx, "reconnect-min", 1) * 1000;
	a->rmax_ms = edge_arg_long(ctx, "reconnect-max", 60) * 1000;
	a->drain_ms = edge_arg_long(ctx, "drain-timeout", 10) * 1000;
	a->reply_wait_ms = edge_arg_long(ctx, "reply-wait", 5) * 1000;
	if (a->rmax_ms < a->rmin_ms)
		return edge_usage(ctx, "--reconnect-max is below --reconnect-min");
	a->drop_oldest = edge_arg_choice(ctx, "outbox-full") == 1;
	a->exit_on_eof = edge_flag(ctx, "exit-on-eof");
	a->auto_reply = !edge_flag(ctx, "no-auto-reply");
	a->no_replies = edge_flag(ctx, "no-replies");
	a->exec = edge_arg(ctx, "exec");
	if (a->exec != NULL && *a->exec == '\0')
		return edge_usage(ctx, "--exec: empty command");
	/* Built once: the handler never sees our secrets nor their env:VAR sources. */
	if (a->exec != NULL && ((a->exec_env = edge_ctx_child_env(ctx)) == NULL ||
	    edge_exec_pool_init(&a->jobs, (size_t)a->exec_max, NULL) != EDGE_OK))
		return edge_err(&ctx->err, EDGE_EFAIL, "out of memory");
	in = edge_arg(ctx, "input");
	if ((in == NULL || strcmp(in, "-") == 0) &&
	    edge_secret_reads_stdin(edge_arg(ctx, "pin")))
		return edge_usage(ctx,
		    "standard input cannot carry both the telemetry and the PIN");
	a->input = in != NULL && strcmp(in, "-") != 0 ? in : NULL;
	return EDGE_OK;
}

/* The device, its secrets and the hub's address. */
static int
load_device(struct app *a)
{
	struct edge_ctx *ctx = a->ctx;
	const char *url;
	int rc;

	if ((rc = edge_ctx_dirfd(ctx, &a->dirfd)) != EDGE_OK)
		return rc;
	if ((rc = edge_device_load(a->dirfd, &a->dev, &ctx->err)) != EDGE_OK)
		return rc;
	a->pk = edge_device_get(&a->dev, EDGE_DEV_PRODUCT_KEY);
	a->dk = edge_device_get(&a->dev, EDGE_DEV_DEVICE_KEY);
	url = edge_arg(ctx, "mqtt");	/* device.json's is a config layer */
	if ((rc = edge_mqtt_url_parse(url, &a->host, &a->port, &ctx->err)) !=
	    EDGE_OK)
		return rc;
	if ((rc = edge_device_secret_load(a->dirfd, &a->secret, &ctx->err)) !=
	    EDGE_OK)
		return rc;
	if (edge_key_state_in_token(a->dirfd) &&
	    (rc = edge_ctx_secret(ctx, "pin", &a->pin)) != EDGE_OK)
		return rc;
	return EDGE_OK;
}

static int
reload_tls(struct app *a, bool first)
{
	struct ssl_ctx_st *ctx = NULL;
	struct edge_error err = { 0 };
	int rc;

	rc = edge_tls_ctx_new(&a->tconf, &a->tst, &ctx, first ? &a->ctx->err : &err);
	if (rc != EDGE_OK) {
		if (!first)
			edge_warn("SIGHUP: reload failed, keeping the old certificate: %s",
			    err.msg);
		return rc;
	}
	if (!first)	/* a new connection at once, on the new context */
		edge_session_restart(&a->s, ctx, edge_time_mono_ms());
	edge_tls_ctx_free(&a->tls);
	a->tls = ctx;
	return EDGE_OK;
}

/* How the hub is trusted, and our TLS context. */
static int
tls_setup(struct app *a)
{
	struct edge_ctx *ctx = a->ctx;
	int rc;

	a->tconf.dirfd = a->dirfd;
	a->tconf.ca_file = edge_arg(ctx, "ca");
	a->tconf.server_name = edge_arg(ctx, "server-name") ?
	    edge_arg(ctx, "server-name") : a->host;
	a->tconf.verify_hostname = !edge_flag(ctx, "no-verify-hostname");
	a->tconf.pin = a->pin;
	a->tconf.crl_grace = edge_arg_long(ctx, "crl-grace",
	    EDGE_CRL_GRACE_DEFAULT);
	if ((rc = edge_hubcfg_pin(ctx, &a->tconf.hub_pin)) != EDGE_OK)
		return rc;
	if (!a->tconf.verify_hostname)
		edge_warn("--no-verify-hostname: the hub's name is NOT checked; any server certificate (serverAuth) from the pinned CA is accepted as the hub%s",
		    a->tconf.hub_pin != NULL ? " if its key matches --hub-pin" : "");
	if ((rc = reload_tls(a, true)) != EDGE_OK)
		return rc;
	/* The revocation policy: no CRL at all is a warning, not a refusal. */
	if (!a->tst.have_crl)
		edge_warn("no CRL installed (crl.pem): the hub's certificate is not checked for revocation; run edge-crl-update");
	return EDGE_OK;
}

/* The outbox and the telemetry input. */
static int
open_io(struct app *a)
{
	struct edge_ctx *ctx = a->ctx;
	int fd = 0, rc;

	rc = edge_outbox_open(a->dirfd, EDGE_OUTBOX_DIR, &a->ob, &ctx->err);
	if (rc == EDGE_ETEMP)	/* another edge-connect: say which directory */
		return edge_err(&ctx->err, rc,
		    EDGE_OUTBOX_DIR ": in use by another edge-connect (%s/"
		    EDGE_OUTBOX_DIR ")", ctx->dir);
	if (rc != EDGE_OK)
		return rc;
	if (edge_outbox_damaged(a->ob) > 0)
		edge_warn(EDGE_OUTBOX_DIR ": %zu damaged record%s skipped, not sent",
		    edge_outbox_damaged(a->ob),
		    edge_outbox_damaged(a->ob) == 1 ? "" : "s");
	if (edge_outbox_pending(a->ob) > 0)
		edge_note("outbox holds %zu messages from before; they are sent first",
		    edge_outbox_pending(a->ob));
	if (a->input != NULL && (fd = open(a->input, O_RDONLY | O_CLOEXEC)) < 0)
		return edge_err(&ctx->err, EDGE_ESTORE, "%s: %s", a->input,
		    strerror(errno));
	return edge_lines_init(&a->in, fd, LINE_MAX_BYTES, &ctx->err);
}

static int
setup(struct app *a)
{
	int rc;

	a->in.fd = -1;
	if ((rc = read_options(a)) != EDGE_OK || (rc = load_device(a)) != EDGE_OK ||
	    (rc = tls_setup(a)) != EDGE_OK)
		return rc;
	return open_io(a);
}

/* ---- downlink ------------------------------------------------------- */

static void
print_line(struct app *a, json_object *o)
{
	if (a->stdout_broken)
		return;
	if (puts(edge_json_text(o)) < 0 || fflush(stdout) != 0) {
		a->stdout_broken = true;
		edge_warn("standard output: %s; downlink messages are no longer printed",
		    strerror(errno));
	}
}

static void
send_reply(struct app *a, const char *topic, json_object *id, int code,
    json_object *data, const char *message)
{
	struct edge_error err = { 0 };

	/* The reply topic is topic_reply (edge_thing_reply_topic). */
	if (edge_session_answer(&a->s, topic, id, code, data, message, &err) ==
	    EDGE_OK)
		edge_verbose(1, "reply %s_reply code %d", topic, code);
	else
		edge_warn("cannot reply on %s_reply: %s", topic, err.msg);
}

/* ---- --exec handlers, run beside the MQTT loop ------------------------ */

/* A handler finished: answer the cloud with its outcome. */
static void
finish_job(void *user, struct edge_exec_job *j)
{
	struct app *a = user;
	json_object *data = NULL;
	char msg[256];
	int code = edge_exec_reply(j->x, &data, msg, sizeof(msg));

	if (code != 200)
		edge_warn("%s: %s (reply code %d)", j->topic, msg, code);
	if (a->auto_reply)
		send_reply(a, j->topic, j->id, code, data, code == 200 ? NULL : msg);
	else
		json_object_put(data);
}

/* Start --exec for one command; busy or failing, it is answered 1102. */
static void
start_job(struct app *a, const char *topic, json_object *id, const char *input)
{
	struct edge_error err = { 0 };
	struct edge_exec_job *j;

	if (edge_exec_pool_start(&a->jobs, a->exec, a->exec_env, input,
	    a->exec_timeout * 1000, topic, id, &j, &err) == EDGE_OK) {
		edge_verbose(1, "%s: handler %d started", topic, edge_exec_pid(j->x));
		return;
	}
	edge_warn("%s: %s (reply code 1102)", topic, err.msg);
	if (a->auto_reply)
		send_reply(a, topic, id, 1102, NULL, err.msg);
}

/* Add code to the list codes ("900, 800") unless it is there or it is full. */
static void
add_code(char *codes, size_t size, const char *code)
{
	size_t len = strlen(codes), n = strlen(code);
	const char *p;

	for (p = codes; (p = strstr(p, code)) != NULL; p += n)
		if ((p == codes || p[-1] == ' ') && (p[n] == ',' || p[n] == '\0'))
			return;
	if (len + n + 3 < size)
		snprintf(codes + len, size - len, "%s%s", len ? ", " : "", code);
}

/* A reply from the hub to one of our messages. */
static void
hub_reply(struct app *a, const char *topic, json_object *o)
{
	struct edge_thing_ack ack;

	edge_thing_ack_parse(o, &ack);
	if (ack.ok) {
		edge_verbose(1, "hub accepted message %s", ack.id ? ack.id : "?");
		return;
	}
	a->rejected++;
	add_code(a->codes, sizeof(a->codes), ack.code ? ack.code : "none");
	edge_warn("hub rejected message %s on %s: code %s%s%s",
	    ack.id ? ack.id : "(no id)", topic, ack.code ? ack.code : "(none)",
	    ack.message ? ": " : "", ack.message ? ack.message : "");
}

static void
on_message(void *user, const char *topic, const void *payload, size_t len)
{
	struct app *a = user;
	json_object *o = NULL, *line, *id = NULL;
	bool reply = edge_thing_is_reply(topic);	/* ours: edge_session filters */

	if (!reply)
		a->received++;
	else {
		char ackid[128];

		if (edge_thing_ack_ok(payload, len, ackid, sizeof(ackid))) {
			edge_verbose(1, "hub accepted message %s", ackid);
			return;
		}
	}
	if (edge_json_parse(payload, len, topic, &o, NULL) != EDGE_OK ||
	    !json_object_is_type(o, json_type_object)) {
		edge_warn(reply ? "%s: reply is not a JSON object" :
		    "%s: message is not a JSON object; ignored", topic);
		json_object_put(o);
		return;
	}
	if (reply) {
		hub_reply(a, topic, o);
		json_object_put(o);
		return;
	}
	line = edge_thing_command(topic, o);
	print_line(a, line);
	edge_verbose(1, "received %s", topic);
	json_object_object_get_ex(o, "id", &id);
	if (a->exec != NULL)
		start_job(a, topic, id, edge_json_text(line));
	else if (a->auto_reply)
		send_reply(a, topic, id, 200, NULL, NULL);
	json_object_put(line);
	json_object_put(o);
}

/* ---- the session ---------------------------------------------------- */

/* What the session did, worded as edge-connect always worded it. */
static void
on_session(void *user, enum edge_session_ev ev, const char *text, long long n)
{
	struct app *a = user;

	switch (ev) {
	case EDGE_SESSION_EV_CONNECTING:
		edge_verbose(1, "connecting to %s:%d", a->host, a->port);
		break;
	case EDGE_SESSION_EV_RETRY:
		edge_note("%s; reconnecting in %.1f s", text, (double)n / 1000);
		break;
	case EDGE_SESSION_EV_CONNECTED:
		edge_note("connected to %s:%d as %s", a->host, a->port, a->dk);
		break;
	case EDGE_SESSION_EV_CLOCK_AHEAD:
		edge_warn("the system clock is more than a year ahead of the last trusted time");
		break;
	case EDGE_SESSION_EV_CRL_STALE:
		edge_warn("crl.pem is stale (nextUpdate passed, within --crl-grace); run edge-crl-update");
		break;
	case EDGE_SESSION_EV_WITNESS:
		edge_warn("trusted time: %s", text);
		break;
	case EDGE_SESSION_EV_SUBSCRIBE:
		edge_verbose(2, "subscribe %s", text);
		break;
	case EDGE_SESSION_EV_SUBSCRIBED:	/* -vv: the tests wait for this line */
		edge_verbose(2, "subscribed (message id %lld)", n);
		break;
	case EDGE_SESSION_EV_IGNORED:
		edge_verbose(2, "ignored %s", text);
		break;
	case EDGE_SESSION_EV_INVALID:
		edge_warn("input line %llu: %s; skipped", a->in.lineno, text);
		break;
	case EDGE_SESSION_EV_UNSENDABLE:
		edge_warn(EDGE_OUTBOX_DIR ": message %lld cannot be published (%s); dropped",
		    n, text);
		break;
	case EDGE_SESSION_EV_DROPPED:
		if (n == 1 || n % 1000 == 0)
			edge_warn("outbox full (%ld messages): dropped the oldest (%lld so far)",
			    a->outbox_max, n);
		break;
	}
}

/* The session with the hub, across connections. */
static void
session_setup(struct app *a)
{
	struct edge_session_conf c = {
		.dirfd = a->dirfd, .host = a->host, .port = a->port,
		.product_key = a->pk, .device_key = a->dk, .secret = a->secret,
		.keepalive = (int)a->keepalive, .server_name = a->tconf.server_name,
		.tst = &a->tst, .tls = a->tls, .ob = a->ob,
		.min_ms = a->rmin_ms, .max_ms = a->rmax_ms,
		.outbox_max = (size_t)a->outbox_max, .drop_oldest = a->drop_oldest,
		.no_replies = a->no_replies,
		.user = a, .on_event = on_session, .on_message = on_message,
	};

	edge_session_init(&a->s, &c);
}

/* ---- uplink --------------------------------------------------------- */

static bool
input_wanted(const struct app *a)
{
	if (a->in.fd < 0 || a->in.eof || a->stopping)
		return false;
	return edge_session_room(&a->s);
}

/* Read what is there: edge_session checks, wraps, queues and syncs it. */
static int
read_input(struct app *a)
{
	int rc = edge_session_read(&a->s, &a->in, &a->ctx->err);

	if (rc == EDGE_OK && a->in.eof)
		edge_verbose(1, "end of input after %llu lines", a->in.lineno);
	return rc;
}

/* ---- outputs -------------------------------------------------------- */

static void
summary(struct app *a)
{
	size_t queued = a->ob ? edge_outbox_pending(a->ob) : 0;
	unsigned long long unanswered = edge_session_unanswered(&a->s);
	char replies[64] = "replies not asked for";

	if (!a->no_replies)
		snprintf(replies, sizeof(replies), "rejected %llu, unanswered %llu",
		    a->rejected, unanswered);
	edge_note("sent %llu, acknowledged %llu, %s, invalid %llu, dropped %llu, queued %zu, received %llu",
	    a->s.sent, a->s.acked, replies, a->s.invalid, a->s.dropped, queued,
	    a->received);
	edge_result_int(a->ctx, "sent", (long long)a->s.sent);
	edge_result_int(a->ctx, "acknowledged", (long long)a->s.acked);
	/* --no-replies: not known, so null rather than a reassuring 0. */
	if (a->no_replies) {
		edge_result_str(a->ctx, "rejected", NULL);
		edge_result_str(a->ctx, "unanswered", NULL);
	} else {
		edge_result_int(a->ctx, "rejected", (long long)a->rejected);
		edge_result_int(a->ctx, "unanswered", (long long)unanswered);
	}
	edge_result_int(a->ctx, "invalid", (long long)a->s.invalid);
	edge_result_int(a->ctx, "dropped", (long long)a->s.dropped);
	edge_result_int(a->ctx, "queued", (long long)queued);
	edge_result_int(a->ctx, "received", (long long)a->received);
	edge_result_int(a->ctx, "connections", (long long)a->s.connections);
	edge_result_bool(a->ctx, "changed", a->s.sent > 0 || a->received > 0);
}

/* -W ran out: a failure when what was asked for did not happen. */
static int
timed_out(struct app *a)
{
	if (a->count > 0 && a->received < (unsigned long long)a->count)
		return edge_err(&a->ctx->err, EDGE_ETEMP,
		    "timed out after %ld s with %llu of %ld messages received%s%s",
		    a->timeout, a->received, a->count,
		    a->s.connections ? "" : "; ",
		    a->s.connections ? "" : a->s.lasterr);
	/* Never connected: the smoke test must see a failure. */
	if (a->exit_on_eof && a->s.connections == 0)
		return edge_err(&a->ctx->err, EDGE_ETEMP,
		    "timed out after %ld s without a session with the hub%s%s",
		    a->timeout, a->s.lasterr[0] ? ": " : "", a->s.lasterr);
	if (a->exit_on_eof && (!a->in.eof || edge_outbox_pending(a->ob) > 0))
		return edge_err(&a->ctx->err, EDGE_ETEMP,
		    "timed out after %ld s with %zu messages queued%s%s",
		    a->timeout, edge_outbox_pending(a->ob),
		    a->s.lasterr[0] && a->s.state != EDGE_SESSION_UP ? "; " : "",
		    a->s.lasterr[0] && a->s.state != EDGE_SESSION_UP ? a->s.lasterr : "");
	return EDGE_OK;
}

/*
 * A bounded run (--exit-on-eof, --count) whose messages the hub rejected
 * fails with exit 5 (the counts are kept in --json): a smoke test or a batch
 * must not pass when the hub refused what it sent.
 */
static int
rejections(struct app *a)
{
	if (a->rejected == 0 || (!a->exit_on_eof && a->count <= 0))
		return EDGE_OK;
	a->ctx->keep_result = true;
	return edge_err(&a->ctx->err, EDGE_EREFUSED,
	    "the hub rejected %llu of %llu message%s (code%s %s)", a->rejected,
	    a->s.sent, a->s.sent == 1 ? "" : "s",
	    strchr(a->codes, ',') ? "s" : "", a->codes);
}

/* The outbox's done mark kept, the counts told: how the run ended (rc). */
static int
report(struct app *a, int rc)
{
	int frc;

	if (a->ob != NULL && (frc = edge_outbox_flush(a->ob, rc == EDGE_OK ?
	    &a->ctx->err : NULL)) != EDGE_OK && rc == EDGE_OK)
		rc = frc;
	if (a->ob != NULL && (rc == EDGE_OK || a->s.sent > 0 || a->received > 0 ||
	    a->s.invalid > 0))
		summary(a);
	if (a->jobs.running > 0)
		edge_warn("stopping: killing %zu running --exec handlers",
		    a->jobs.running);
	return rc;
}

/* ---- the loop ------------------------------------------------------- */

/*
 * Everything acknowledged: the hub's replies come after the PUBACKs, so wait
 * up to --reply-wait for them (a refusal is only known from its reply).
 */
static bool
replies_in(struct app *a, long long now)
{
	unsigned long long n = edge_session_unanswered(&a->s);

	if (n == 0)
		return true;
	if (a->reply_by < 0) {
		a->reply_by = now + a->reply_wait_ms;
		edge_verbose(1, "waiting up to %ld s for %llu hub replies",
		    a->reply_wait_ms / 1000, n);
	}
	if (now < a->reply_by)
		return false;
	edge_note("%llu message%s not answered by the hub within %ld s", n,
	    n == 1 ? "" : "s", a->reply_wait_ms / 1000);
	return true;
}

static bool
finished(struct app *a, long long now)
{
	if (a->jobs.running > 0)
		return false;	/* answered means the handler's reply went out */
	if (a->count > 0 && a->received >= (unsigned long long)a->count)
		return true;
	/* At least one session: "< /dev/null --exit-on-eof" checks the connection. */
	return a->exit_on_eof && a->in.eof && edge_outbox_pending(a->ob) == 0 &&
	    a->s.connections > 0 && replies_in(a, now);
}

/* SIGHUP reloads the certificate, key and CRL; SIGTERM starts the drain. */
static void
handle_signals(struct app *a, long long now)
{
	if (edge_signals_reload()) {
		edge_note("SIGHUP: reloading certificate, key and CRL");
		(void)reload_tls(a, false);
	}
	if (edge_signals_stop() && !a->stopping) {
		a->stopping = true;
		a->stop_deadline = now + a->drain_ms;
		edge_note("stopping: waiting up to %ld s for %zu acknowledgements",
		    a->drain_ms / 1000, edge_mqtt_inflight(a->s.mq));
	}
}

/* Whether the run is over (*rc: how it ended): drained, or past -W. */
static bool
run_over(struct app *a, long long now, long long deadline, int *rc)
{
	*rc = EDGE_OK;
	if (!a->stopping && finished(a, now)) {
		/* Let replies and the last PUBACKs go out, briefly. */
		a->stopping = true;
		a->stop_deadline = now + a->drain_ms;
	}
	if (a->stopping && ((edge_mqtt_inflight(a->s.mq) == 0 && a->jobs.running == 0) ||
	    a->s.state != EDGE_SESSION_UP || now >= a->stop_deadline))
		return true;
	if (deadline >= 0 && now >= deadline) {
		*rc = timed_out(a);
		return true;
	}
	return false;
}

/* What one poll() waits for, and for how long. */
struct waitset {
	struct pollfd p[3 + EXEC_MAX_LIMIT * EDGE_EXEC_POLLFDS];
	nfds_t np;
	int ip, sp;		/* the input's and the signal pipe's entries */
	long long wait;		/* ms */
};

/* The broker's socket, the input when wanted, the signal pipe, the handlers. */
static void
poll_set(struct app *a, long long now, long long deadline, struct waitset *w)
{
	w->np = 0;
	w->ip = -1;
	w->wait = edge_session_wait(&a->s, now, a->stopping);
	if (edge_mqtt_pollfd(a->s.mq, &w->p[w->np]))
		w->np++;
	if (input_wanted(a)) {
		w->ip = (int)w->np;
		w->p[w->np].fd = a->in.fd;
		w->p[w->np++].events = POLLIN;
	}
	w->sp = (int)w->np;
	w->p[w->np].fd = edge_signals_fd();
	w->p[w->np++].events = POLLIN;
	w->np += edge_exec_pool_pollfds(&a->jobs, w->p + w->np, now, &w->wait);
	if (deadline >= 0 && deadline - now < w->wait)
		w->wait = deadline - now;
	if (a->stopping && a->stop_deadline - now < w->wait)
		w->wait = a->stop_deadline - now;
	if (w->wait < 0)
		w->wait = 0;
	if (w->wait > 200)
		w->wait = 200;
}

static int
loop(struct app *a)
{
	long long deadline = -1, last_flush = 0, now = edge_time_mono_ms();
	struct waitset w;
	int rc;

	if (a->timeout > 0)
		deadline = now + a->timeout * 1000;
	for (;;) {
		now = edge_time_mono_ms();
		handle_signals(a, now);
		if (run_over(a, now, deadline, &rc))
			return rc;
		if ((rc = edge_session_tick(&a->s, now, a->stopping,
		    &a->ctx->err)) != EDGE_OK)
			return rc;
		poll_set(a, now, deadline, &w);
		if (poll(w.p, w.np, (int)w.wait) < 0 && errno != EINTR)
			return edge_err(&a->ctx->err, EDGE_EFAIL, "poll: %s",
			    strerror(errno));
		if (w.p[w.sp].revents & POLLIN)
			edge_signals_drain();
		if (w.ip >= 0 && (w.p[w.ip].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    (rc = read_input(a)) != EDGE_OK)
			return rc;
		edge_exec_pool_step(&a->jobs, finish_job, a);
		if ((rc = edge_session_io(&a->s, edge_time_mono_ms(),
		    &a->ctx->err)) != EDGE_OK)
			return rc;
		now = edge_time_mono_ms();
		if (now - last_flush >= FLUSH_EVERY_MS) {
			if ((rc = edge_outbox_flush(a->ob, &a->ctx->err)) != EDGE_OK)
				return rc;
			last_flush = now;
		}
	}
}

/* ---- the run -------------------------------------------------------- */

static void
teardown(struct app *a)
{
	edge_exec_pool_free(&a->jobs);
	free(a->exec_env);
	edge_session_end(&a->s);
	edge_tls_ctx_free(&a->tls);
	edge_outbox_close(&a->ob);
	/* An --input file may have been given descriptor 0 (stdin closed). */
	if (a->input != NULL && a->in.fd >= 0)
		close(a->in.fd);
	edge_lines_free(&a->in);
	free(a->host);
	edge_secret_free(&a->secret);
	edge_secret_free(&a->pin);
	edge_device_free(&a->dev);
	edge_signals_close();
}

static int
run(struct edge_ctx *ctx)
{
	struct app a;
	int rc;

	memset(&a, 0, sizeof(a));
	a.ctx = ctx;
	a.dirfd = -1;
	a.reply_by = -1;
	/* SIGTERM and SIGINT drain, SIGHUP reloads; each wakes poll(). */
	if ((rc = edge_signals_catch(&ctx->err)) != EDGE_OK)
		return rc;
	if ((rc = setup(&a)) == EDGE_OK) {
		session_setup(&a);
		rc = loop(&a);
		edge_session_end(&a.s);	/* DISCONNECT while up */
		if (rc == EDGE_OK)
			rc = rejections(&a);
	}
	rc = report(&a, rc);
	teardown(&a);
	return rc;
}

static const struct edge_tool tool = {
	.name = "edge-connect",
	.summary = "Connect the edge to the hub over MQTT with mutual TLS: telemetry up from NDJSON through a durable outbox, commands down as JSON lines.",
	.synopsis = "[--mqtt URL] [-i FILE] [--exit-on-eof] [-C N] [-W SECS] [--exec CMD] [--json]",
	.options = opts,
	.run = run,
};

int
main(int argc, char **argv)
{
	return edge_tool_main(&tool, argc, argv);
}
