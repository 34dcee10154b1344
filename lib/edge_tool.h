/* SPDX-License-Identifier: MIT */
#ifndef EDGE_TOOL_H
#define EDGE_TOOL_H

/*
 * The shared tool framework.  Each cmd/edge-*.c defines its option table and
 * a run() function and ends with
 *
 *	int main(int argc, char **argv) { return edge_tool_main(&tool, argc, argv); }
 *
 * edge_tool_main() sets umask 077, resolves options (argv, EDGE_*, config
 * files, defaults), handles --help, --version and --list-options, calls run,
 * prints the one error line (and {"error":...} under --json) or the JSON
 * result, and maps the return code to the documented exit status.
 */

#include <stdbool.h>
#include <json-c/json.h>

#include "edge_err.h"
#include "edge_file.h"
#include "edge_opt.h"
#include "edge_secret.h"

#define EDGE_TOOL_ARGS	0x01	/* the tool takes positional arguments */
#define EDGE_TOOL_CHECKS 0x02	/* exit status 9 (a check failed) is this tool's */

struct edge_ctx;

struct edge_tool {
	const char *name;
	const char *summary;	/* one line, for --help and NAME */
	const char *synopsis;	/* after the name, for usage lines */
	const struct edge_opt *options;
	const struct edge_opt *more_options; /* a shared group (hub options) or NULL */
	unsigned flags;		/* EDGE_TOOL_* */
	int (*run)(struct edge_ctx *ctx);
};

struct edge_ctx {
	const struct edge_tool *tool;
	struct edge_opts opts;
	const char *dir;	/* state directory path */
	int dirfd;		/* -1 until edge_ctx_dirfd() */
	bool json;
	json_object *result;	/* run() adds keys in the documented order */
	bool keep_result;	/* on failure, print result plus "error" (an answer, e.g. "revoked") */
	struct edge_error err;
};

int edge_tool_main(const struct edge_tool *tool, int argc, char **argv);

/*
 * Option value or NULL; flag test; and whether the user asked for the value
 * in this run (command line or EDGE_* variable) rather than it being a
 * default from a config file or the table.
 */
const char *edge_arg(const struct edge_ctx *ctx, const char *name);
bool edge_flag(const struct edge_ctx *ctx, const char *name);
bool edge_arg_given(const struct edge_ctx *ctx, const char *name);
/*
 * Typed values, checked against the option table before run() (exit 2 with
 * where the value came from): a number (unset when the option has none) and
 * the index of a choice in its "a|b" list (-1 when none).
 */
long edge_arg_long(const struct edge_ctx *ctx, const char *name, long unset);
int edge_arg_choice(const struct edge_ctx *ctx, const char *name);

/*
 * The state directory as an fd, opened on first use (DESIGN.md: must exist,
 * no symlink).  Errors: EDGE_ESTORE.
 */
int edge_ctx_dirfd(struct edge_ctx *ctx, int *dirfd);

/*
 * Lock the state directory (edge_dir_lock) until the tool exits, for a
 * read-modify-write of its shared files.  When another tool holds it, says
 * so once (a note) and waits up to EDGE_LOCK_WAIT seconds, then EDGE_ETEMP
 * (exit 4) naming the directory.
 */
#define EDGE_LOCK_WAIT	300
int edge_ctx_lock(struct edge_ctx *ctx);

/*
 * Read the secret of a secret option.  From the command line or a config file
 * the value must be a source (file:, env:, fd:, -); from its EDGE_* variable
 * it is the secret itself.  *out is NULL when the option is unset.  Errors
 * name the option.  Caller frees with edge_secret_free().
 */
int edge_ctx_secret(struct edge_ctx *ctx, const char *name,
    struct edge_secret **out);

/*
 * The environment for a child process: edge_secret_child_env() less every
 * variable a secret option of this run names as its source (env:VAR),
 * whether or not that secret was read.  Caller frees the array with free().
 * NULL when out of memory.
 */
char **edge_ctx_child_env(const struct edge_ctx *ctx);

/*
 * Report an argument error: sets ctx->err and returns EDGE_EUSAGE.  Its
 * arguments must not point into ctx->err (a lib error that is a usage error
 * is returned as it is, with its code).
 */
int edge_usage(struct edge_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Print the result line for people on stdout; nothing under --json, and
 * nothing under -q (only errors and warnings: the exit status tells).
 */
void edge_out(struct edge_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Small helpers for the JSON result. */
void edge_result_str(struct edge_ctx *ctx, const char *key, const char *value);
void edge_result_int(struct edge_ctx *ctx, const char *key, long long value);
void edge_result_bool(struct edge_ctx *ctx, const char *key, bool value);

#endif
