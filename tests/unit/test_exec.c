/* SPDX-License-Identifier: MIT */
/* lib/edge_exec: reply codes, inherited descriptors, environment, the time limit, the output cap. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "edge_exec.h"
#include "edge_secret.h"

static char env_path[] = "PATH=/usr/bin:/bin", env_foo[] = "FOO=bar";
static char *plain_env[] = { env_path, env_foo, NULL };

/* Run cmd to the end the way edge-connect does; returns the reply code. */
static int
run(const char *cmd, const char *input, long timeout_ms, json_object **data,
    char *msg, size_t msglen, double *secs)
{
	struct edge_exec *x = NULL;
	struct timespec t0, t1;
	int code;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(edge_exec_start(cmd, plain_env, input, strlen(input),
	    timeout_ms, &x, NULL), 0);
	while (!edge_exec_step(x)) {
		struct pollfd p[EDGE_EXEC_POLLFDS];
		size_t n = edge_exec_pollfds(x, p);

		(void)poll(p, (nfds_t)n, 50);
	}
	code = edge_exec_reply(x, data, msg, msglen);
	edge_exec_free(&x);
	assert_null(x);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (secs != NULL)
		*secs = (double)(t1.tv_sec - t0.tv_sec) +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	return code;
}

static void
test_codes(void **state)
{
	json_object *d = NULL, *v;
	char msg[256];

	(void)state;
	assert_int_equal(run("cat", "{\"a\":1}", 5000, &d, msg, sizeof(msg), NULL), 200);
	assert_non_null(d);
	assert_true(json_object_object_get_ex(d, "a", &v));
	assert_int_equal(json_object_get_int(v), 1);
	json_object_put(d);
	assert_int_equal(run("echo '{\"ok\":false}'; exit 3", "x", 5000, &d, msg,
	    sizeof(msg), NULL), 2003);
	assert_string_equal(msg, "command exited with status 3");
	assert_non_null(d);
	json_object_put(d);
	assert_int_equal(run("echo not json", "x", 5000, &d, msg, sizeof(msg), NULL), 1102);
	assert_string_equal(msg, "command output is not JSON");
	assert_null(d);
	assert_int_equal(run("kill -9 $$", "x", 5000, &d, msg, sizeof(msg), NULL), 1102);
	assert_string_equal(msg, "command killed by signal 9");
	/* Nothing printed: 200 with no data. */
	assert_int_equal(run("exit 0", "", 5000, &d, msg, sizeof(msg), NULL), 200);
	assert_null(d);
}

static void
test_only_fds_0_to_2(void **state)
{
	json_object *d = NULL;
	char msg[256];
	int fd = open("/dev/null", O_RDONLY);	/* not close-on-exec, like a --pin fd:N */

	(void)state;
	assert_true(fd > 2);
	/* The shell's own view: 0, 1 and 2 open, our fd closed. */
	{
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "cat >/dev/null; [ -e /proc/$$/fd/0 ] && "
		    "[ -e /proc/$$/fd/1 ] && [ -e /proc/$$/fd/2 ] && "
		    "[ ! -e /proc/$$/fd/%d ]", fd);
		assert_int_equal(run(cmd, "x", 5000, &d, msg, sizeof(msg), NULL), 200);
	}
	json_object_put(d);
	close(fd);
}

static void
test_env(void **state)
{
	json_object *d = NULL;
	char msg[256], **env;
	const char *hide[] = { "MY_PIN_SOURCE", NULL };
	bool pin = false, src = false, other = false;

	(void)state;
	assert_int_equal(run("[ \"$FOO\" = bar ] && [ -z \"$HOME\" ]", "", 5000, &d,
	    msg, sizeof(msg), NULL), 200);
	setenv("MY_PIN_SOURCE", "1234", 1);
	setenv("EDGE_PIN", "1234", 1);
	setenv("MY_OTHER", "x", 1);
	setenv("MY_PIN_SOURCE_NOT", "x", 1);
	assert_non_null(env = edge_secret_child_env(hide));
	for (char **e = env; *e != NULL; e++) {
		pin |= strncmp(*e, "EDGE_PIN=", 9) == 0;
		src |= strncmp(*e, "MY_PIN_SOURCE=", 14) == 0;
		other |= strncmp(*e, "MY_OTHER=", 9) == 0 ||
		    strncmp(*e, "MY_PIN_SOURCE_NOT=", 18) == 0;
	}
	free(env);
	assert_false(pin);
	assert_false(src);
	assert_true(other);
}

static void
test_timeout_kills_the_group(void **state)
{
	json_object *d = NULL;
	char msg[256];
	double secs;

	(void)state;
	/* Closes stdout, ignores SIGTERM, and so does its child: SIGKILL ends both. */
	assert_int_equal(run("trap '' TERM; exec >&-; sleep 100 & wait", "x", 300, &d,
	    msg, sizeof(msg), &secs), 1102);
	assert_string_equal(msg, "command timed out after 0 s");
	assert_true(secs < 0.3 + EDGE_EXEC_KILL_GRACE_MS / 1000.0 + 2);
	/* A handler that stops at SIGTERM ends at once. */
	assert_int_equal(run("sleep 100", "x", 300, &d, msg, sizeof(msg), &secs), 1102);
	assert_true(secs < 1.5);
}

/* The pid written to path by a handler's child (0: none). */
static pid_t
pid_in(const char *path)
{
	FILE *f = fopen(path, "r");
	int pid = 0;

	if (f != NULL) {
		if (fscanf(f, "%d", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	return (pid_t)pid;
}

/*
 * Whether pid ended within a second (orphaned, it may stay a zombie until
 * init reaps it: that counts).  One still running is killed: no strays.
 */
static bool
gone(pid_t pid)
{
	char path[64], st[512];

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	for (int i = 0; i < 20; i++) {
		FILE *f = fopen(path, "r");
		char *p = NULL;

		if (f != NULL) {
			if (fgets(st, sizeof(st), f) != NULL)
				p = strrchr(st, ')');
			fclose(f);
		}
		if ((f == NULL && errno == ENOENT) || (p != NULL && p[1] == ' ' &&
		    p[2] == 'Z'))
			return true;
		usleep(50000);
	}
	(void)kill(pid, SIGKILL);
	return false;
}

static void
test_timeout_kills_the_group_after_the_shell(void **state)
{
	json_object *d = NULL;
	char msg[256], cmd[512], pidf[] = "/tmp/test_exec_pid.XXXXXX";
	int fd = mkstemp(pidf);
	pid_t pid;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	/* The shell dies at SIGTERM, its background child ignores it: SIGKILL
	 * after the grace must still reach the child through the group. */
	snprintf(cmd, sizeof(cmd), "sh -c \"trap '' TERM; echo \\$\\$ > %s; "
	    "exec sleep 100\" </dev/null >/dev/null 2>&1 & sleep 100", pidf);
	assert_int_equal(run(cmd, "x", 1000, &d, msg, sizeof(msg), NULL), 1102);
	assert_string_equal(msg, "command timed out after 1 s");
	pid = pid_in(pidf);
	unlink(pidf);
	assert_true(pid > 0);
	assert_true(gone(pid));
}

static void
test_exit_kills_the_rest_of_the_group(void **state)
{
	json_object *d = NULL, *v;
	char msg[256];
	pid_t pid;

	(void)state;
	/* Answers at once, leaving a child behind in its process group. */
	assert_int_equal(run("sleep 100 </dev/null >/dev/null 2>&1 & "
	    "echo \"{\\\"pid\\\":$!}\"", "x", 5000, &d, msg, sizeof(msg),
	    NULL), 200);
	assert_non_null(d);
	assert_true(json_object_object_get_ex(d, "pid", &v));
	pid = (pid_t)json_object_get_int(v);
	json_object_put(d);
	assert_true(pid > 0);
	assert_true(gone(pid));
}

static void
test_output_cap(void **state)
{
	json_object *d = NULL;
	char msg[256];

	(void)state;
	assert_int_equal(run("head -c 300000 /dev/zero | tr '\\0' ' '; echo '{}'", "x",
	    10000, &d, msg, sizeof(msg), NULL), 1102);
	assert_string_equal(msg, "command output above 256 KiB");
	assert_null(d);
}

static void
test_free_running(void **state)
{
	struct edge_exec *x = NULL;
	struct timespec t0, t1;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(edge_exec_start("sleep 100", plain_env, "", 0, 60000, &x,
	    NULL), 0);
	assert_false(edge_exec_step(x));
	edge_exec_free(&x);	/* killed and reaped, not waited for */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 5);
	edge_exec_free(&x);
}

struct seen {
	int n;
	char topics[256];
};

static void
pool_done(void *user, struct edge_exec_job *j)
{
	struct seen *s = user;
	json_object *d = NULL;
	char msg[64];
	size_t n = strlen(s->topics);

	assert_int_equal(edge_exec_reply(j->x, &d, msg, sizeof(msg)), 200);
	json_object_put(d);
	snprintf(s->topics + n, sizeof(s->topics) - n, "%s%s=%s", n ? "," : "",
	    j->topic, json_object_get_string(j->id));
	s->n++;
}

/* Two slots: a third command is refused as busy, a free slot is reused. */
static void
test_pool(void **state)
{
	struct edge_exec_pool p;
	struct edge_exec_job *j = NULL;
	struct edge_error err = { 0 };
	struct seen s = { 0 };
	json_object *id = json_object_new_string("7");
	int i;

	(void)state;
	assert_int_equal(edge_exec_pool_init(&p, 2, NULL), EDGE_OK);
	assert_int_equal(edge_exec_pool_start(&p, "cat", plain_env, "{}", 5000,
	    "t/a", id, &j, &err), EDGE_OK);
	assert_non_null(j);
	assert_string_equal(j->topic, "t/a");
	assert_int_equal(edge_exec_pool_start(&p, "cat", plain_env, "{}", 5000,
	    "t/b", id, NULL, &err), EDGE_OK);
	assert_int_equal(p.running, 2);
	assert_int_equal(edge_exec_pool_start(&p, "cat", plain_env, "{}", 5000,
	    "t/c", id, NULL, &err), EDGE_ETEMP);
	assert_string_equal(err.msg, "busy: 2 commands already running");
	for (i = 0; i < 200 && p.running > 0; i++) {
		struct pollfd fds[2 * EDGE_EXEC_POLLFDS];
		long long wait = 50;
		size_t n = edge_exec_pool_pollfds(&p, fds, 0, &wait);

		assert_true(n > 0);
		(void)poll(fds, (nfds_t)n, 50);
		edge_exec_pool_step(&p, pool_done, &s);
	}
	assert_int_equal(s.n, 2);
	assert_int_equal(p.running, 0);
	assert_true(strcmp(s.topics, "t/a=7,t/b=7") == 0 ||
	    strcmp(s.topics, "t/b=7,t/a=7") == 0);
	assert_null(p.job[0].x);
	/* The freed slots serve again; what still runs at the end is killed. */
	assert_int_equal(edge_exec_pool_start(&p, "sleep 30", plain_env, "", 60000,
	    "t/d", id, NULL, &err), EDGE_OK);
	assert_int_equal(p.running, 1);
	edge_exec_pool_free(&p);
	assert_null(p.job);
	assert_int_equal(p.running, 0);
	/* The pool took its own references: ours is still good. */
	assert_string_equal(json_object_get_string(id), "7");
	json_object_put(id);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codes),
		cmocka_unit_test(test_only_fds_0_to_2),
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_timeout_kills_the_group),
		cmocka_unit_test(test_timeout_kills_the_group_after_the_shell),
		cmocka_unit_test(test_exit_kills_the_rest_of_the_group),
		cmocka_unit_test(test_output_cap),
		cmocka_unit_test(test_free_running),
		cmocka_unit_test(test_pool),
	};

	signal(SIGPIPE, SIG_IGN);	/* as in edge-connect: a handler may not read its input */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
