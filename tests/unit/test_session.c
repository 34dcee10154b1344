/* SPDX-License-Identifier: MIT */
/*
 * lib/edge_session: the reconnect schedule and state transitions, driven by
 * a fake clock (no broker, no network): due at once, CONNECT given up after
 * EDGE_SESSION_CONNACK_MS, the backoff doubling per failure and starting
 * over after a login or a restart, flights forgotten when a connection ends,
 * the uplink into the outbox (block and drop-oldest), and what is told
 * through on_event.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "edge_lines.h"
#include "edge_outbox.h"
#include "edge_session.h"
#include "edge_tls.h"
#include "testdir.h"

#define T0	1000000LL	/* the fake clock's start, ms */

/* What on_event told, the last one kept. */
struct seen {
	int n;
	enum edge_session_ev ev;
	char text[EDGE_ERR_MSG_MAX];
	long long num;
};

static struct edge_tls_status tst;

static void
on_event(void *user, enum edge_session_ev ev, const char *text, long long n)
{
	struct seen *w = user;

	w->n++;
	w->ev = ev;
	snprintf(w->text, sizeof(w->text), "%s", text != NULL ? text : "");
	w->num = n;
}

static void
start(struct edge_session *s, struct seen *w, struct edge_outbox *ob)
{
	struct edge_session_conf c = {
		.dirfd = -1, .host = "127.0.0.1", .port = 18883,
		.product_key = "pk", .device_key = "dk", .tst = &tst, .ob = ob,
		.min_ms = 1000, .max_ms = 8000, .user = w, .on_event = on_event,
	};

	memset(w, 0, sizeof(*w));
	edge_tls_status_reset(&tst);
	edge_session_init(s, &c);
}

/* A failure at now: down, told why and the wait, due exactly after it. */
static long long
fail_at(struct edge_session *s, struct seen *w, long long now, long long lo,
    long long hi)
{
	int told = w->n;

	edge_session_retry(s, now, "connection lost");
	assert_int_equal(s->state, EDGE_SESSION_DOWN);
	assert_int_equal(w->n, told + 1);
	assert_int_equal(w->ev, EDGE_SESSION_EV_RETRY);
	assert_string_equal(w->text, "connection lost");
	assert_string_equal(s->lasterr, "connection lost");
	assert_in_range(w->num, lo, hi);
	assert_true(s->next_try == now + w->num);
	assert_false(edge_session_due(s, s->next_try - 1));
	assert_true(edge_session_due(s, s->next_try));
	assert_true(edge_session_wait(s, now, false) == w->num);
	return s->next_try;
}

/* A new session failing twice: the first two steps of the backoff. */
static long long
failed_twice(struct edge_session *s, struct seen *w)
{
	start(s, w, NULL);
	return fail_at(s, w, fail_at(s, w, T0, 1000, 1250), 2000, 2500);
}

static void
due_at_once(void **state)
{
	struct edge_session s;
	struct seen w;

	(void)state;
	start(&s, &w, NULL);
	assert_int_equal(s.state, EDGE_SESSION_DOWN);
	assert_true(edge_session_due(&s, T0));
	assert_true(edge_session_wait(&s, T0, false) <= 0);
	/* Stopping: no new connection, and no reason to wake up for one. */
	assert_true(edge_session_wait(&s, T0, true) == LLONG_MAX);
	assert_int_equal(edge_session_tick(&s, T0, true, NULL), EDGE_OK);
	assert_int_equal(s.state, EDGE_SESSION_DOWN);
	assert_int_equal(w.n, 0);
}

static void
connack_overdue(void **state)
{
	struct edge_session s;
	struct seen w;
	long long at = T0 + EDGE_SESSION_CONNACK_MS;

	(void)state;
	start(&s, &w, NULL);
	edge_session_started(&s, T0);
	assert_int_equal(s.state, EDGE_SESSION_CONNECTING);
	assert_false(edge_session_due(&s, T0 + 1));
	assert_false(edge_session_overdue(&s, at - 1));
	assert_true(edge_session_overdue(&s, at));
	/* Nothing in the TLS status explains it: a retry, not the end. */
	assert_int_equal(edge_session_tick(&s, at, false, NULL), EDGE_OK);
	assert_int_equal(s.state, EDGE_SESSION_DOWN);
	assert_int_equal(w.ev, EDGE_SESSION_EV_RETRY);
	assert_string_equal(w.text, "no answer to CONNECT");
	assert_in_range(w.num, 1000, 1250);
	assert_int_equal(s.attempt, 1);
}

static void
backoff_doubles_to_max(void **state)
{
	struct edge_session s;
	struct seen w;
	long long now;

	(void)state;
	now = failed_twice(&s, &w);
	now = fail_at(&s, &w, now, 4000, 5000);
	now = fail_at(&s, &w, now, 6000, 8000);	/* at max: never past it */
	(void)fail_at(&s, &w, now, 6000, 8000);
	assert_int_equal(s.attempt, 5);
	assert_int_equal(s.connections, 0);
}

static void
login_starts_backoff_over(void **state)
{
	struct edge_session s;
	struct seen w;
	long long now;

	(void)state;
	now = failed_twice(&s, &w);
	edge_session_started(&s, now);
	edge_session_accepted(&s);
	assert_int_equal(s.state, EDGE_SESSION_UP);
	assert_int_equal(s.connections, 1);
	assert_false(edge_session_due(&s, now + 100000));
	assert_false(edge_session_overdue(&s, now + EDGE_SESSION_CONNACK_MS));
	assert_true(edge_session_wait(&s, now, false) == LLONG_MAX);
	(void)fail_at(&s, &w, now + 5, 1000, 1250);
}

static void
restart_connects_at_once(void **state)
{
	struct edge_session s;
	struct seen w;
	long long now;
	int told;

	(void)state;
	now = failed_twice(&s, &w);
	told = w.n;
	edge_session_restart(&s, (struct ssl_ctx_st *)&tst, now + 10);
	assert_int_equal(s.state, EDGE_SESSION_DOWN);
	assert_ptr_equal(s.c.tls, &tst);
	assert_false(edge_session_due(&s, now + 9));
	assert_true(edge_session_due(&s, now + 10));
	assert_int_equal(w.n, told);	/* the caller tells about SIGHUP */
	(void)fail_at(&s, &w, now + 10, 1000, 1250);
}

/* Messages in flight on a connection that ended are published again. */
static void
flights_forgotten(void **state)
{
	struct edge_session s;
	struct seen w;
	struct edge_outbox *ob = NULL;
	struct edge_error err = { 0 };

	(void)state;
	assert_int_equal(testdir_make("/tmp/test_session.XXXXXX"), 0);
	assert_int_equal(edge_outbox_open(dfd, "outbox", &ob, &err), EDGE_OK);
	assert_int_equal(edge_outbox_append(ob, "t/a", "{}", 2, NULL, &err),
	    EDGE_OK);
	assert_int_equal(edge_outbox_append(ob, "t/b", "{}", 2, NULL, &err),
	    EDGE_OK);
	start(&s, &w, ob);
	edge_outbox_at(ob, 0)->mid = 7;
	edge_outbox_at(ob, 1)->mid = 8;
	edge_session_retry(&s, T0, "connection lost");
	assert_int_equal(edge_outbox_at(ob, 0)->mid, 0);
	assert_int_equal(edge_outbox_at(ob, 1)->mid, 0);
	assert_int_equal(edge_outbox_pending(ob), 2);
	edge_outbox_close(&ob);
	assert_int_equal(testdir_remove(), 0);
}

/* Down: replies are refused, reply topics remembered for the next login. */
static void
down_replies_and_topics(void **state)
{
	struct edge_session s;
	struct seen w;
	struct edge_error err = { 0 };

	(void)state;
	start(&s, &w, NULL);
	assert_int_equal(edge_session_reply(&s, "t_reply", "{}", &err),
	    EDGE_ETEMP);
	assert_string_equal(err.msg, "not connected");
	assert_int_equal(edge_session_want_reply(&s, "/sys/pk/dk/thing/event/x/post"),
	    EDGE_OK);
	assert_int_equal(edge_session_want_reply(&s, "/sys/pk/dk/thing/event/x/post"),
	    EDGE_OK);
	assert_int_equal(s.replies.n, 1);
	assert_true(edge_thing_replies_has(&s.replies,
	    "/sys/pk/dk/thing/event/x/post_reply"));
	assert_int_equal(w.n, 0);	/* not subscribed while down */
	edge_session_end(&s);
	assert_int_equal(s.replies.n, 0);
}

/* min_ms 0 (--reconnect-min 0): no reconnecting in a tight loop. */
static void
min_wait_floor(void **state)
{
	struct edge_session s;
	struct edge_session_conf c = { .dirfd = -1, .min_ms = 0, .max_ms = 1000 };

	(void)state;
	edge_session_init(&s, &c);
	assert_int_equal(s.c.min_ms, EDGE_SESSION_MIN_MS);
	assert_int_equal(s.c.max_ms, 1000);
	edge_session_end(&s);
}

/* The uplink with room for two: lines in order, then blocked or dropping. */
static void
uplink(struct edge_session *s, struct seen *w, struct edge_outbox **ob,
    bool drop_oldest)
{
	struct edge_session_conf c = {
		.dirfd = -1, .product_key = "pk", .device_key = "dk", .tst = &tst,
		.min_ms = 1000, .max_ms = 8000, .outbox_max = 2,
		.drop_oldest = drop_oldest, .user = w, .on_event = on_event,
	};
	struct edge_error err = { 0 };

	assert_int_equal(testdir_make("/tmp/test_session.XXXXXX"), 0);
	assert_int_equal(edge_outbox_open(dfd, "outbox", ob, &err), EDGE_OK);
	c.ob = *ob;
	memset(w, 0, sizeof(*w));
	edge_session_init(s, &c);
}

static void
uplink_end(struct edge_session *s, struct edge_outbox **ob)
{
	edge_session_end(s);
	edge_outbox_close(ob);
	assert_int_equal(testdir_remove(), 0);
}

static void
enqueue_lines(void **state)
{
	struct edge_session s;
	struct seen w;
	struct edge_outbox *ob = NULL;
	struct edge_error err = { 0 };
	char line[] = "{\"temp\":1}", bad[] = "{temp", blank[] = "  ";

	(void)state;
	uplink(&s, &w, &ob, false);
	assert_true(edge_session_room(&s));
	assert_int_equal(edge_session_enqueue(&s, line, strlen(line), &err),
	    EDGE_OK);
	assert_int_equal(edge_outbox_pending(ob), 1);
	assert_string_equal(edge_outbox_at(ob, 0)->topic,
	    "/sys/pk/dk/thing/measurepoint/post");
	assert_non_null(strstr(edge_outbox_at(ob, 0)->payload, "\"id\":\"1\""));
	/* Its _reply topic is wanted (subscribed at the next login). */
	assert_int_equal(s.replies.n, 1);
	assert_true(edge_thing_replies_has(&s.replies,
	    "/sys/pk/dk/thing/measurepoint/post_reply"));
	/* A blank line: nothing, said nothing. */
	assert_int_equal(edge_session_enqueue(&s, blank, strlen(blank), &err),
	    EDGE_OK);
	assert_int_equal(edge_outbox_pending(ob), 1);
	assert_int_equal(w.n, 0);
	/* Not a message: skipped, counted, told why. */
	assert_int_equal(edge_session_enqueue(&s, bad, strlen(bad), &err),
	    EDGE_OK);
	assert_int_equal(w.n, 1);
	assert_int_equal(w.ev, EDGE_SESSION_EV_INVALID);
	assert_true(w.text[0] != '\0');
	assert_int_equal(edge_session_enqueue(&s, NULL, 0, &err), EDGE_OK);
	assert_int_equal(w.n, 2);
	assert_int_equal(w.ev, EDGE_SESSION_EV_INVALID);
	assert_string_equal(w.text, "line longer than 512 KB");
	assert_int_equal(s.invalid, 2);
	assert_int_equal(edge_outbox_pending(ob), 1);
	/* Full: block (no more input wanted), nothing dropped. */
	assert_int_equal(edge_session_enqueue(&s, line, strlen(line), &err),
	    EDGE_OK);
	assert_int_equal(edge_outbox_pending(ob), 2);
	assert_non_null(strstr(edge_outbox_at(ob, 1)->payload, "\"id\":\"2\""));
	assert_false(edge_session_room(&s));
	assert_int_equal(s.dropped, 0);
	uplink_end(&s, &ob);
}

static void
enqueue_drops_oldest(void **state)
{
	struct edge_session s;
	struct seen w;
	struct edge_outbox *ob = NULL;
	struct edge_error err = { 0 };
	char a[] = "{\"a\":1}", b[] = "{\"b\":2}", c[] = "{\"c\":3}";

	(void)state;
	uplink(&s, &w, &ob, true);
	assert_int_equal(edge_session_enqueue(&s, a, strlen(a), &err), EDGE_OK);
	assert_int_equal(edge_session_enqueue(&s, b, strlen(b), &err), EDGE_OK);
	assert_int_equal(w.n, 0);
	assert_true(edge_session_room(&s));	/* full, but it drops */
	assert_int_equal(edge_session_enqueue(&s, c, strlen(c), &err), EDGE_OK);
	assert_int_equal(w.n, 1);
	assert_int_equal(w.ev, EDGE_SESSION_EV_DROPPED);
	assert_int_equal(w.num, 1);
	assert_int_equal(s.dropped, 1);
	assert_int_equal(edge_outbox_pending(ob), 2);
	assert_non_null(strstr(edge_outbox_at(ob, 0)->payload, "\"b\":2"));
	assert_non_null(strstr(edge_outbox_at(ob, 1)->payload, "\"c\":3"));
	uplink_end(&s, &ob);
}

/* A pipe's batch: every whole line queued; the end of input seen. */
static void
read_batch(void **state)
{
	struct edge_session s;
	struct seen w;
	struct edge_outbox *ob = NULL;
	struct edge_error err = { 0 };
	struct edge_lines in;
	static const char data[] = "{\"a\":1}\nnot json\n{\"b\":2}";
	int p[2];

	(void)state;
	uplink(&s, &w, &ob, false);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], data, strlen(data)), (ssize_t)strlen(data));
	close(p[1]);
	assert_int_equal(edge_lines_init(&in, p[0], 1024, &err), EDGE_OK);
	while (!in.eof)
		assert_int_equal(edge_session_read(&s, &in, &err), EDGE_OK);
	assert_int_equal(edge_outbox_pending(ob), 2);
	assert_int_equal(s.invalid, 1);
	assert_false(edge_session_room(&s));
	edge_lines_free(&in);
	close(p[0]);
	uplink_end(&s, &ob);
}

/* Replies: only ours pass and are counted; commands pass uncounted. */
static int passed;

static void
on_msg(void *user, const char *topic, const void *payload, size_t len)
{
	(void)user;
	(void)topic;
	(void)payload;
	(void)len;
	passed++;
}

static void
replies_counted(void **state)
{
	struct edge_session s;
	struct seen w;

	(void)state;
	start(&s, &w, NULL);
	s.c.on_message = on_msg;
	passed = 0;
	assert_int_equal(edge_session_want_reply(&s, "/sys/pk/dk/thing/event/x/post"),
	    EDGE_OK);
	edge_session_message(&s, "/sys/pk/dk/thing/service/y_reply", "{}", 2);
	assert_int_equal(passed, 0);
	assert_int_equal(w.ev, EDGE_SESSION_EV_IGNORED);
	assert_string_equal(w.text, "/sys/pk/dk/thing/service/y_reply");
	edge_session_message(&s, "/sys/pk/dk/thing/event/x/post_reply", "{}", 2);
	assert_int_equal(passed, 1);
	assert_int_equal(s.answered, 1);
	edge_session_message(&s, "/sys/pk/dk/thing/service/y", "{}", 2);
	assert_int_equal(passed, 2);
	assert_int_equal(s.answered, 1);
	assert_int_equal(w.n, 1);
	s.acked = 3;
	assert_int_equal(edge_session_unanswered(&s), 2);
	s.answered = 4;	/* answered twice after a reconnection */
	assert_int_equal(edge_session_unanswered(&s), 0);
	edge_session_end(&s);
}

/* no_replies: no _reply topic is taken, a reply is not ours, none unanswered. */
static void
no_replies(void **state)
{
	struct edge_session s;
	struct seen w;

	(void)state;
	start(&s, &w, NULL);
	s.c.no_replies = true;
	s.c.on_message = on_msg;
	passed = 0;
	assert_int_equal(edge_session_want_reply(&s, "/sys/pk/dk/thing/event/x/post"),
	    EDGE_OK);
	assert_int_equal(s.replies.n, 0);
	edge_session_message(&s, "/sys/pk/dk/thing/event/x/post_reply", "{}", 2);
	assert_int_equal(passed, 0);
	assert_int_equal(w.ev, EDGE_SESSION_EV_IGNORED);
	s.acked = 3;
	assert_int_equal(edge_session_unanswered(&s), 0);
	edge_session_end(&s);
}

/* Answering while down: refused like a reply, data taken over. */
static void
answer_down(void **state)
{
	struct edge_session s;
	struct seen w;
	struct edge_error err = { 0 };

	(void)state;
	start(&s, &w, NULL);
	assert_int_equal(edge_session_answer(&s, "/sys/pk/dk/thing/service/y",
	    NULL, 200, json_object_new_object(), NULL, &err), EDGE_ETEMP);
	assert_string_equal(err.msg, "not connected");
	edge_session_end(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(due_at_once),
		cmocka_unit_test(connack_overdue),
		cmocka_unit_test(backoff_doubles_to_max),
		cmocka_unit_test(login_starts_backoff_over),
		cmocka_unit_test(restart_connects_at_once),
		cmocka_unit_test(flights_forgotten),
		cmocka_unit_test(down_replies_and_topics),
		cmocka_unit_test(min_wait_floor),
		cmocka_unit_test(enqueue_lines),
		cmocka_unit_test(enqueue_drops_oldest),
		cmocka_unit_test(read_batch),
		cmocka_unit_test(replies_counted),
		cmocka_unit_test(no_replies),
		cmocka_unit_test(answer_down),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
