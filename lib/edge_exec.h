/* SPDX-License-Identifier: MIT */
#ifndef EDGE_EXEC_H
#define EDGE_EXEC_H

/*
 * A command handler run beside the caller's poll() loop: "/bin/sh -c CMD"
 * with a message on its standard input (never in argv, never parsed by the
 * shell), its standard output read back up to a cap, and a time limit on
 * its whole life.  The handler gets descriptors 0, 1 and 2 only (0 and 1
 * are our pipes, 2 is our standard error), the environment it is given, and
 * its own process group, which the time limit bounds as a whole: then the
 * group gets SIGTERM, and SIGKILL after the grace (also when the handler
 * itself ended at SIGTERM).  When the handler exits, what is left of its
 * group (a child it put in the background) is killed (SIGKILL) before the
 * handler counts as finished.  A process that leaves the group (setsid)
 * escapes both.
 *
 * Nothing blocks: the caller polls the descriptors of edge_exec_pollfds(),
 * calls edge_exec_step() after every poll (and by edge_exec_next_ms()), and
 * takes the outcome once step says it finished.  Never prints.
 */

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "edge_err.h"

#define EDGE_EXEC_POLLFDS	3	/* most descriptors one handler needs polled */
#define EDGE_EXEC_OUT_MAX	(256 * 1024)	/* output kept; the rest is read and dropped */
#define EDGE_EXEC_KILL_GRACE_MS	2000	/* from SIGTERM to SIGKILL */

struct edge_exec;

/*
 * Start "/bin/sh -c cmd" with env (NULL-terminated, borrowed until this
 * returns) and input[0..inlen) for its standard input (copied).  timeout_ms
 * bounds the handler's life.  Errors: EDGE_EFAIL (pipe, fork, memory).
 * Free with edge_exec_free().
 */
int edge_exec_start(const char *cmd, char *const *env, const char *input,
    size_t inlen, long timeout_ms, struct edge_exec **out,
    struct edge_error *err);

/* Fill p (room for EDGE_EXEC_POLLFDS) with what to poll; returns the count. */
size_t edge_exec_pollfds(const struct edge_exec *x, struct pollfd *p);

/* Monotonic milliseconds by which edge_exec_step() must run again. */
long long edge_exec_next_ms(const struct edge_exec *x);

/*
 * Move input and output as far as they go without blocking, enforce the
 * time limit, reap the handler.  True once the handler was reaped and the
 * rest of its process group killed (its output read as far as it was
 * written).
 */
bool edge_exec_step(struct edge_exec *x);

/*
 * The EnOS reply for a finished handler (ENOS-PROTOCOL.md 9.3): 200 for exit
 * status 0, 2000+status for another status, 1102 (handler failed) when it
 * could not run, timed out, was killed or printed something that is not
 * JSON.  *data gets the JSON it printed (caller puts) or NULL; msg says why
 * when the code is not 200.
 */
int edge_exec_reply(const struct edge_exec *x, json_object **data, char *msg,
    size_t msglen);

/* The handler's process id (its process group too). */
int edge_exec_pid(const struct edge_exec *x);

/*
 * Free; a handler still running has its process group killed (SIGKILL) and
 * is reaped first.  NULL accepted; *x set to NULL.
 */
void edge_exec_free(struct edge_exec **x);

/*
 * Up to max handlers at once, each with what its answer needs: the
 * command's topic and id.
 */
struct edge_exec_job {
	struct edge_exec *x;	/* NULL: a free slot */
	char *topic;
	json_object *id;
};

struct edge_exec_pool {
	struct edge_exec_job *job;	/* max slots */
	size_t max, running;
};

/* Errors: EDGE_EFAIL (out of memory). */
int edge_exec_pool_init(struct edge_exec_pool *p, size_t max,
    struct edge_error *err);

/*
 * Start cmd (as edge_exec_start) for the command (topic, id; both kept).
 * With max handlers running it is refused, EDGE_ETEMP "busy: N commands
 * already running", not queued: a queued command could run long after its
 * caller gave up.  *job (may be NULL) gets its slot.  Errors: EDGE_EFAIL.
 */
int edge_exec_pool_start(struct edge_exec_pool *p, const char *cmd,
    char *const *env, const char *input, long timeout_ms, const char *topic,
    json_object *id, struct edge_exec_job **job, struct edge_error *err);

/*
 * Fill fds (room for max * EDGE_EXEC_POLLFDS) for the running handlers;
 * returns the count.  *wait_ms is lowered to when the next one must step
 * (now: edge_time_mono_ms()).
 */
size_t edge_exec_pool_pollfds(const struct edge_exec_pool *p,
    struct pollfd *fds, long long now, long long *wait_ms);

/* Step every handler; each that finished goes to done, then its slot is freed. */
void edge_exec_pool_step(struct edge_exec_pool *p,
    void (*done)(void *user, struct edge_exec_job *job), void *user);

/* Kill (edge_exec_free) what still runs and free the slots. */
void edge_exec_pool_free(struct edge_exec_pool *p);

/*
 * Run a program without a shell and wait for it (edge-check's probes: nft,
 * iptables, systemd-analyze): path is absolute, argv and env are fixed
 * NULL-terminated lists.  Standard input is /dev/null; standard output and
 * standard error are read back, each up to max bytes (the rest is read and
 * dropped); no other descriptor is inherited.  It runs in a process group of
 * its own: still running after timeout_ms, the group is killed (SIGKILL),
 * what it started too.  Once it has ended, output that something it left
 * behind holds open is read for at most 200 ms more.  *out and *errout (NUL-terminated; caller
 * frees; errout may be NULL to drop it) get what it printed, *status its
 * wait status, or -1 when it was killed at the time limit.  Errors:
 * EDGE_EFAIL (it could not be started: "PATH: cause").  Never prints.
 */
int edge_exec_argv(const char *path, const char *const argv[],
    const char *const env[],
    size_t max, long timeout_ms, char **out, char **errout, int *status,
    struct edge_error *err);

#endif
