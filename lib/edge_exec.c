/* SPDX-License-Identifier: MIT */
/*
 * lib/edge_exec: one command handler run beside a poll() loop.  See
 * edge_exec.h for the contract.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EXEC_DRAIN_MS	200	/* after the child ended (edge_exec_argv) */
#define EXEC_POLL_MS	100

#include "edge_exec.h"
#include "edge_json.h"
#include "edge_time.h"

struct edge_exec {
	pid_t pid;
	int pidfd;		/* readable when the handler exited; -1 without pidfd_open */
	int in, out;		/* our ends of its stdin and stdout, -1 once closed */
	char *input;
	size_t inlen, off;
	char *obuf;
	size_t olen;
	bool truncated;
	long timeout_ms;
	long long deadline, kill_at;
	bool timed_out, killed;
	bool exited;		/* the handler exited, still a zombie: its pid (and
				 * so its process group id) cannot be reused yet */
	bool reaped;
	int status;
};

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/*
 * In the child, between fork and exec: only async-signal-safe calls.  Every
 * descriptor above 2 is closed (the broker's TLS socket, libmosquitto's
 * socket pair, an fd:N secret), whether or not it was marked close-on-exec.
 */
static void __attribute__((noreturn))
child(const char *cmd, char *const *env, int in, int out)
{
	struct sigaction sa;
	struct rlimit rl;
	int i0, o1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(SIGPIPE, &sa, NULL);
	setpgid(0, 0);
	/* Moved above 2 first, so that dup2 never lands on its own source. */
	if ((i0 = fcntl(in, F_DUPFD, 3)) < 0 || (o1 = fcntl(out, F_DUPFD, 3)) < 0 ||
	    dup2(i0, 0) < 0 || dup2(o1, 1) < 0)
		_exit(126);
	/* With our fd 2 closed, a pipe may sit there: the handler gets /dev/null. */
	if (in == 2 || out == 2) {
		int n = open("/dev/null", O_WRONLY);
		if (n < 0 || dup2(n, 2) < 0)
			_exit(126);
	}
	if (close_range(3, ~0U, 0) != 0) {
		unsigned fd, max = 65536;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < max)
			max = (unsigned)rl.rlim_cur;
		for (fd = 3; fd < max; fd++)
			close((int)fd);
	}
	execle("/bin/sh", "sh", "-c", cmd, (char *)NULL, env);
	_exit(127);
}

int
edge_exec_start(const char *cmd, char *const *env, const char *input,
    size_t inlen, long timeout_ms, struct edge_exec **out,
    struct edge_error *err)
{
	struct edge_exec *x;
	int in[2] = { -1, -1 }, op[2] = { -1, -1 }, rc;

	*out = NULL;
	if ((x = calloc(1, sizeof(*x))) == NULL ||
	    (x->input = malloc(inlen + 1)) == NULL ||
	    (x->obuf = malloc(EDGE_EXEC_OUT_MAX + 1)) == NULL) {
		rc = edge_err(err, EDGE_EFAIL, "cannot run the command: out of memory");
		goto fail;
	}
	memcpy(x->input, input, inlen);
	x->inlen = inlen;
	x->in = x->out = x->pidfd = -1;
	x->timeout_ms = timeout_ms;
	if (pipe2(in, O_CLOEXEC) != 0 || pipe2(op, O_CLOEXEC) != 0) {
		rc = edge_err(err, EDGE_EFAIL, "cannot run the command: %s",
		    strerror(errno));
		goto fail;
	}
	x->pid = fork();
	if (x->pid < 0) {
		rc = edge_err(err, EDGE_EFAIL, "cannot run the command: %s",
		    strerror(errno));
		goto fail;
	}
	if (x->pid == 0)
		child(cmd, env, in[0], op[1]);
	/* Also here, so that killing the group works before the child ran. */
	(void)setpgid(x->pid, x->pid);
	close(in[0]);
	close(op[1]);
	x->in = in[1];
	x->out = op[0];
	(void)fcntl(x->in, F_SETFL, O_NONBLOCK);
	(void)fcntl(x->out, F_SETFL, O_NONBLOCK);
	x->pidfd = (int)syscall(SYS_pidfd_open, x->pid, 0);
	if (x->pidfd >= 0)
		(void)fcntl(x->pidfd, F_SETFD, FD_CLOEXEC);
	x->deadline = edge_time_mono_ms() + timeout_ms;
	if (inlen == 0)
		close_fd(&x->in);
	*out = x;
	return EDGE_OK;
fail:
	close_fd(&in[0]);
	close_fd(&in[1]);
	close_fd(&op[0]);
	close_fd(&op[1]);
	if (x != NULL) {
		free(x->input);
		free(x->obuf);
		free(x);
	}
	return rc;
}

size_t
edge_exec_pollfds(const struct edge_exec *x, struct pollfd *p)
{
	size_t n = 0;

	if (x->reaped)
		return 0;
	if (x->out >= 0) {
		p[n].fd = x->out;
		p[n].events = POLLIN;
		p[n++].revents = 0;
	}
	if (x->in >= 0) {
		p[n].fd = x->in;
		p[n].events = POLLOUT;
		p[n++].revents = 0;
	}
	if (x->pidfd >= 0) {
		p[n].fd = x->pidfd;
		p[n].events = POLLIN;
		p[n++].revents = 0;
	}
	return n;
}

long long
edge_exec_next_ms(const struct edge_exec *x)
{
	long long t = !x->timed_out ? x->deadline :
	    !x->killed || x->exited ? x->kill_at : edge_time_mono_ms() + 100;

	/* Without a pidfd nothing wakes the loop when the handler exits. */
	if (x->pidfd < 0 && t > edge_time_mono_ms() + 200)
		t = edge_time_mono_ms() + 200;
	return t;
}

static void
write_input(struct edge_exec *x)
{
	while (x->in >= 0) {
		ssize_t w = write(x->in, x->input + x->off, x->inlen - x->off);

		if (w > 0)
			x->off += (size_t)w;
		else if (w < 0 && errno == EINTR)
			continue;
		else if (w < 0 && errno == EAGAIN)
			return;
		/* All written, or the handler stopped reading: close its input. */
		if (w <= 0 || x->off == x->inlen)
			close_fd(&x->in);
	}
}

static void
read_output(struct edge_exec *x)
{
	char tmp[4096];

	while (x->out >= 0) {
		ssize_t r = read(x->out, tmp, sizeof(tmp));
		size_t room = EDGE_EXEC_OUT_MAX - x->olen, n;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return;
		if (r <= 0) {
			close_fd(&x->out);
			return;
		}
		/* Over the cap the rest is read and dropped: it must not block. */
		n = (size_t)r < room ? (size_t)r : room;
		if (n < (size_t)r)
			x->truncated = true;
		memcpy(x->obuf + x->olen, tmp, n);
		x->olen += n;
	}
}

/*
 * Whether the handler exited; it is left a zombie (WNOWAIT), reaped by
 * finish().  ECHILD (reaped elsewhere, SIGCHLD ignored): it is gone, and its
 * id no longer safe to signal.
 */
static bool
leader_exited(struct edge_exec *x)
{
	siginfo_t si;
	int r;

	memset(&si, 0, sizeof(si));
	while ((r = waitid(P_PID, (id_t)x->pid, &si, WEXITED | WNOHANG |
	    WNOWAIT)) < 0 && errno == EINTR)
		;
	if (r < 0 && errno == ECHILD)
		x->reaped = true;
	return x->reaped || (r == 0 && si.si_pid == x->pid);
}

/*
 * Whether a process other than the handler (a zombie now) is still in its
 * process group, as far as /proc shows; a zombie member counts as gone.
 * Lets a group that ended at SIGTERM finish before the grace is over.
 * Not kill(-pgid, 0): the handler's zombie, kept so that the group's id
 * cannot be reused before reap() kills the group, makes it always succeed,
 * and it counts zombie members too.  Only runs within the grace.
 */
static bool
group_left(pid_t pgid)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	bool left = false;

	if (d == NULL)
		return true;	/* cannot tell: the grace runs out */
	while (!left && (e = readdir(d)) != NULL) {
		char path[288], st[256], *p, *end, state;
		long pid = strtol(e->d_name, &end, 10), pgrp;
		ssize_t n;
		int fd;

		if (*end != '\0' || pid <= 0 || pid == (long)pgid)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		n = read(fd, st, sizeof(st) - 1);
		close(fd);
		if (n <= 0)
			continue;
		st[n] = '\0';
		/* "pid (comm) state ppid pgrp ...": comm may hold anything. */
		if ((p = strrchr(st, ')')) != NULL &&
		    sscanf(p + 1, " %c %*d %ld", &state, &pgrp) == 2 &&
		    pgrp == (long)pgid && state != 'Z')
			left = true;
	}
	closedir(d);
	return left;
}

/*
 * Whatever is left of the handler's process group (a child it put in the
 * background) is killed, so that nothing of a finished handler outlives its
 * --exec-max slot, and the handler is reaped.  Killed before the reap,
 * while the handler (or its zombie) still holds the group's id: it cannot
 * name another process group.
 */
static void
reap(struct edge_exec *x)
{
	if (x->reaped)
		return;
	(void)kill(-x->pid, SIGKILL);
	(void)kill(x->pid, SIGKILL);	/* in case it is not its group's leader yet */
	while (waitpid(x->pid, &x->status, 0) < 0 && errno == EINTR)
		;
	x->reaped = true;
}

static void
close_all(struct edge_exec *x)
{
	close_fd(&x->out);
	close_fd(&x->in);
	close_fd(&x->pidfd);
}

/* The handler exited: its group killed, reaped, what it wrote read. */
static void
finish(struct edge_exec *x)
{
	reap(x);
	/* What it wrote before it exited is in the pipe. */
	read_output(x);
	close_all(x);
}

bool
edge_exec_step(struct edge_exec *x)
{
	long long now;

	if (x->reaped)
		return true;
	write_input(x);
	read_output(x);
	if (!x->exited && leader_exited(x)) {
		x->exited = true;
		close_fd(&x->pidfd);	/* stays readable: no longer polled */
	}
	now = edge_time_mono_ms();
	/* After a timeout the rest of the group keeps its grace from SIGTERM
	 * to SIGKILL even when the handler itself ended at SIGTERM. */
	if (x->reaped || (x->exited && (!x->timed_out || now >= x->kill_at ||
	    !group_left(x->pid)))) {
		finish(x);
		return true;
	}
	if (!x->timed_out && now >= x->deadline) {
		x->timed_out = true;
		x->kill_at = now + EDGE_EXEC_KILL_GRACE_MS;
		(void)kill(-x->pid, SIGTERM);
	} else if (x->timed_out && !x->killed && now >= x->kill_at) {
		x->killed = true;
		(void)kill(-x->pid, SIGKILL);
	}
	return false;
}

int
edge_exec_reply(const struct edge_exec *x, json_object **data, char *msg,
    size_t msglen)
{
	int code;

	*data = NULL;
	msg[0] = '\0';
	if (x->timed_out) {
		snprintf(msg, msglen, "command timed out after %ld s",
		    x->timeout_ms / 1000);
		return 1102;
	}
	if (WIFSIGNALED(x->status)) {
		snprintf(msg, msglen, "command killed by signal %d",
		    WTERMSIG(x->status));
		return 1102;
	}
	if (WEXITSTATUS(x->status) != 0) {
		snprintf(msg, msglen, "command exited with status %d",
		    WEXITSTATUS(x->status));
		code = 2000 + WEXITSTATUS(x->status);
	} else {
		code = 200;
	}
	if (x->truncated) {
		snprintf(msg, msglen, "command output above %d KiB",
		    EDGE_EXEC_OUT_MAX / 1024);
		return 1102;
	}
	x->obuf[x->olen] = '\0';
	if (x->olen > 0 && strspn(x->obuf, " \t\r\n") != x->olen) {
		json_object *d = NULL;

		if (edge_json_parse(x->obuf, x->olen, "command output", &d,
		    NULL) == EDGE_OK) {
			*data = d;
		} else if (code == 200) {
			snprintf(msg, msglen, "command output is not JSON");
			code = 1102;
		}
	}
	return code;
}

int
edge_exec_pid(const struct edge_exec *x)
{
	return (int)x->pid;
}

void
edge_exec_free(struct edge_exec **xp)
{
	struct edge_exec *x;

	if (xp == NULL || (x = *xp) == NULL)
		return;
	reap(x);
	close_all(x);
	free(x->input);
	free(x->obuf);
	free(x);
	*xp = NULL;
}

int
edge_exec_pool_init(struct edge_exec_pool *p, size_t max,
    struct edge_error *err)
{
	p->max = max;
	p->running = 0;
	if ((p->job = calloc(max, sizeof(*p->job))) == NULL)
		return edge_err(err, EDGE_EFAIL, "out of memory");
	return EDGE_OK;
}

static void
job_free(struct edge_exec_job *j)
{
	edge_exec_free(&j->x);
	free(j->topic);
	json_object_put(j->id);
	memset(j, 0, sizeof(*j));
}

int
edge_exec_pool_start(struct edge_exec_pool *p, const char *cmd,
    char *const *env, const char *input, long timeout_ms, const char *topic,
    json_object *id, struct edge_exec_job **job, struct edge_error *err)
{
	struct edge_exec_job *j = NULL;
	size_t i;
	int rc;

	for (i = 0; i < p->max && j == NULL; i++)
		if (p->job[i].x == NULL)
			j = &p->job[i];
	if (j == NULL)
		return edge_err(err, EDGE_ETEMP, "busy: %zu commands already running",
		    p->max);
	if ((rc = edge_exec_start(cmd, env, input, strlen(input), timeout_ms,
	    &j->x, err)) != EDGE_OK || (j->topic = strdup(topic)) == NULL) {
		job_free(j);
		return rc != EDGE_OK ? rc : edge_err(err, EDGE_EFAIL, "out of memory");
	}
	j->id = json_object_get(id);
	p->running++;
	if (job != NULL)
		*job = j;
	return EDGE_OK;
}

size_t
edge_exec_pool_pollfds(const struct edge_exec_pool *p, struct pollfd *fds,
    long long now, long long *wait_ms)
{
	size_t i, n = 0;

	for (i = 0; p->running > 0 && i < p->max; i++) {
		long long t;

		if (p->job[i].x == NULL)
			continue;
		n += edge_exec_pollfds(p->job[i].x, fds + n);
		if ((t = edge_exec_next_ms(p->job[i].x) - now) < *wait_ms)
			*wait_ms = t;
	}
	return n;
}

void
edge_exec_pool_step(struct edge_exec_pool *p,
    void (*done)(void *user, struct edge_exec_job *job), void *user)
{
	size_t i;

	for (i = 0; p->running > 0 && i < p->max; i++) {
		if (p->job[i].x == NULL || !edge_exec_step(p->job[i].x))
			continue;
		done(user, &p->job[i]);
		job_free(&p->job[i]);
		p->running--;
	}
}

void
edge_exec_pool_free(struct edge_exec_pool *p)
{
	size_t i;

	for (i = 0; p->job != NULL && i < p->max; i++)
		job_free(&p->job[i]);
	free(p->job);
	p->job = NULL;
	p->running = 0;
}

/* One captured stream of edge_exec_argv: kept up to max, the rest dropped. */
struct capture {
	int fd;
	char *buf;
	size_t len, max;
};

static void
capture_read(struct capture *c)
{
	char tmp[4096];
	ssize_t n = read(c->fd, tmp, sizeof(tmp));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		close_fd(&c->fd);
		return;
	}
	if (c->buf != NULL && c->len < c->max) {
		size_t k = (size_t)n < c->max - c->len ? (size_t)n : c->max - c->len;

		memcpy(c->buf + c->len, tmp, k);
		c->len += k;
		c->buf[c->len] = '\0';
	}
}

int
edge_exec_argv(const char *path, const char *const argv[],
    const char *const env[], size_t max, long timeout_ms, char **out, char **errout, int *status,
    struct edge_error *err)
{
	struct capture c[2] = { { -1, NULL, 0, max }, { -1, NULL, 0, max } };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int po[2] = { -1, -1 }, pe[2] = { -1, -1 }, rc = EDGE_EFAIL, e, st = 0;
	long long deadline = edge_time_mono_ms() + timeout_ms;
	sigset_t none, def;
	pid_t pid = -1;
	long long drain_end = 0;
	bool fa_init = false, attr_init = false, killed = false, exited = false;

	*out = NULL;
	if (errout != NULL)
		*errout = NULL;
	*status = -1;
	/* Said here too: under valgrind posix_spawn cannot report exec's errors. */
	if (access(path, X_OK) != 0)
		return edge_err(err, EDGE_EFAIL, "%s: %s", path, strerror(errno));
	if ((c[0].buf = malloc(max + 1)) == NULL ||
	    (errout != NULL && (c[1].buf = malloc(max + 1)) == NULL)) {
		rc = edge_err(err, EDGE_EFAIL, "%s: out of memory", path);
		goto out;
	}
	c[0].buf[0] = '\0';
	if (c[1].buf != NULL)
		c[1].buf[0] = '\0';
	if (pipe2(po, O_CLOEXEC) != 0 || pipe2(pe, O_CLOEXEC) != 0) {
		rc = edge_err(err, EDGE_EFAIL, "%s: pipe: %s", path, strerror(errno));
		goto out;
	}
	fa_init = posix_spawn_file_actions_init(&fa) == 0;
	attr_init = posix_spawnattr_init(&attr) == 0;
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGTERM);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGCHLD);
	if (!fa_init || !attr_init ||
	    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0) != 0 ||
	    posix_spawn_file_actions_adddup2(&fa, po[1], 1) != 0 ||
	    posix_spawn_file_actions_adddup2(&fa, pe[1], 2) != 0 ||
	    posix_spawn_file_actions_addclosefrom_np(&fa, 3) != 0 ||
	    posix_spawnattr_setsigmask(&attr, &none) != 0 ||
	    posix_spawnattr_setsigdefault(&attr, &def) != 0 ||
	    posix_spawnattr_setpgroup(&attr, 0) != 0 ||
	    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP) != 0) {
		rc = edge_err(err, EDGE_EFAIL, "%s: cannot set up the run", path);
		goto out;
	}
	if ((e = posix_spawn(&pid, path, &fa, &attr, (char *const *)argv,
	    (char *const *)env)) != 0) {
		pid = -1;
		rc = edge_err(err, EDGE_EFAIL, "%s: %s", path, strerror(e));
		goto out;
	}
	close_fd(&po[1]);
	close_fd(&pe[1]);
	c[0].fd = po[0];
	c[1].fd = pe[0];
	po[0] = pe[0] = -1;
	/*
	 * The child runs in a process group of its own (pgid = pid): on
	 * timeout the whole group is killed, grandchildren too.  Once the
	 * child has ended, what it left behind holding stdout or stderr open
	 * is not waited for beyond EXEC_DRAIN_MS.
	 */
	while (c[0].fd >= 0 || c[1].fd >= 0) {
		struct pollfd p[2];
		long long now = edge_time_mono_ms(), left = deadline - now;
		nfds_t n = 0, i;

		if (!exited && waitpid(pid, &st, WNOHANG) == pid) {
			exited = true;
			drain_end = now + EXEC_DRAIN_MS;
		}
		if (exited && now >= drain_end)
			break;
		if (left <= 0) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			killed = true;
			break;
		}
		if (exited && drain_end - now < left)
			left = drain_end - now;
		for (i = 0; i < 2; i++)
			if (c[i].fd >= 0)
				p[n++] = (struct pollfd){ .fd = c[i].fd, .events = POLLIN };
		if (poll(p, n, (int)(left > EXEC_POLL_MS ? EXEC_POLL_MS : left)) < 0 &&
		    errno != EINTR)
			break;
		for (i = 0; i < n; i++)
			if (p[i].revents != 0)
				capture_read(p[i].fd == c[0].fd ? &c[0] : &c[1]);
	}
	/* Output closed: the program has ended or is about to; bounded too. */
	while (!exited && waitpid(pid, &st, WNOHANG) == 0) {
		if (edge_time_mono_ms() >= deadline && !killed) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			killed = true;
		}
		if (killed) {
			(void)waitpid(pid, &st, 0);
			break;
		}
		(void)poll(NULL, 0, 10);
	}
	*status = killed ? -1 : st;
	*out = c[0].buf;
	c[0].buf = NULL;
	if (errout != NULL) {
		*errout = c[1].buf;
		c[1].buf = NULL;
	}
	rc = EDGE_OK;
out:
	if (fa_init)
		posix_spawn_file_actions_destroy(&fa);
	if (attr_init)
		posix_spawnattr_destroy(&attr);
	close_fd(&po[0]);
	close_fd(&po[1]);
	close_fd(&pe[0]);
	close_fd(&pe[1]);
	close_fd(&c[0].fd);
	close_fd(&c[1].fd);
	free(c[0].buf);
	free(c[1].buf);
	return rc;
}
