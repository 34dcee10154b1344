/* SPDX-License-Identifier: MIT */
#ifndef EDGE_LOG_H
#define EDGE_LOG_H

/*
 * Diagnostics on stderr, the one lib/ module that prints.  Library modules
 * report through struct edge_error; these functions are for cmd/ and the tool
 * framework.  Lines start with the tool name so that they can be told apart
 * in a pipeline and in the journal.
 */

#include <stdbool.h>

/* Set by edge_tool_main() before the tool runs. */
void edge_log_init(const char *tool_name, int verbosity, bool quiet);

/* The error line, always printed: "tool: msg". */
void edge_log_error(const char *msg);

/* A warning, always printed ("tool: warning: ..."). */
void edge_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* An informational note; suppressed by -q. */
void edge_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Detail shown with -v (level 1) or -vv (level 2); never secrets. */
void edge_verbose(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Progress for slow steps (key generation in a token): on a terminal, and not
 * with -q, a spinner with the elapsed time runs on stderr until
 * edge_progress_stop().  Elsewhere nothing is printed.
 */
void edge_progress_start(const char *what);
void edge_progress_stop(bool ok);

#endif
