/* SPDX-License-Identifier: MIT */
/*
 * Stop and reload signals for a poll() loop (edge_signal.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "edge_signal.h"

static int sig_pipe[2] = { -1, -1 };
static volatile sig_atomic_t got_term, got_hup;

static void
on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;

	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
	(void)!write(sig_pipe[1], &c, 1);
	errno = saved;
}

int
edge_signals_catch(struct edge_error *err)
{
	struct sigaction sa;

	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
		return edge_err(err, EDGE_EFAIL, "pipe: %s", strerror(errno));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return EDGE_OK;
}

int
edge_signals_fd(void)
{
	return sig_pipe[0];
}

void
edge_signals_drain(void)
{
	char drain[64];

	(void)!read(sig_pipe[0], drain, sizeof(drain));
}

bool
edge_signals_stop(void)
{
	return got_term != 0;
}

bool
edge_signals_reload(void)
{
	if (!got_hup)
		return false;
	got_hup = 0;
	return true;
}

void
edge_signals_close(void)
{
	close(sig_pipe[0]);
	close(sig_pipe[1]);
	sig_pipe[0] = sig_pipe[1] = -1;
}
