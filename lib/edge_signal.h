/* SPDX-License-Identifier: MIT */
#ifndef EDGE_SIGNAL_H
#define EDGE_SIGNAL_H

/*
 * The stop and reload signals of a long-running tool, for a poll() loop:
 * SIGTERM and SIGINT ask to stop, SIGHUP to reload; each is remembered in a
 * flag and wakes poll() through a pipe (the self-pipe trick), so that no
 * signal is lost between a check and the wait.  SIGPIPE is ignored (a
 * closed peer shows as EPIPE).  One set per process.  Never prints.
 */

#include <stdbool.h>

#include "edge_err.h"

/* Install the handlers.  Errors: EDGE_EFAIL "pipe: ...". */
int edge_signals_catch(struct edge_error *err);

/* The descriptor to poll for POLLIN: readable after a signal came. */
int edge_signals_fd(void);

/* Empty the pipe after poll() said it is readable. */
void edge_signals_drain(void);

/* SIGTERM or SIGINT came (it stays so). */
bool edge_signals_stop(void);

/* SIGHUP came since the last call (taken: false until the next one). */
bool edge_signals_reload(void);

/* Close the pipe (the handlers stay). */
void edge_signals_close(void);

#endif
