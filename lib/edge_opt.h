/* SPDX-License-Identifier: MIT */
#ifndef EDGE_OPT_H
#define EDGE_OPT_H

/*
 * One option table per tool drives everything: getopt_long, --help,
 * --list-options (completion and drift tests) and the defaults read from
 * config files and the environment.
 *
 * Precedence, highest first (DESIGN.md):
 *	command line > EDGE_<NAME> environment > DIR/edge.conf (or --config FILE)
 *	> /etc/edge/edge.conf (or $EDGE_SYSTEM_CONFIG) > the table's default.
 * Config files hold "name = value" lines with the long option names ("_" and
 * "-" are the same), "#" comments and blank lines.  Keys a tool does not know
 * belong to other tools and are ignored.  Never prints.
 */

#include <stdbool.h>

#include "edge_err.h"

#define EDGE_OPT_SECRET	0x01	/* value names a secret source (edge_secret.h) */
#define EDGE_OPT_CLI	0x02	/* command line only: not from files or EDGE_* */
#define EDGE_OPT_COMMON	0x04	/* one of the options every tool has */

struct edge_opt {
	const char *name;	/* long name, also the config key and EDGE_NAME */
	int letter;		/* short option letter, 0 for none */
	const char *arg;	/* argument name; NULL for a flag; "a|b" lists choices */
	unsigned flags;		/* EDGE_OPT_* */
	const char *help;	/* one line */
	const char *def;	/* built-in default, or NULL */
};

enum edge_src {
	EDGE_SRC_NONE = 0,
	EDGE_SRC_DEFAULT,
	EDGE_SRC_SYSCONF,
	EDGE_SRC_CONF,
	EDGE_SRC_ENV,
	EDGE_SRC_ARGV,
};

#define EDGE_OPT_MAX	64

/* Resolved values, one slot per option of the merged table. */
struct edge_opts {
	const struct edge_opt *opt[EDGE_OPT_MAX];
	char *value[EDGE_OPT_MAX];	/* owned; "1" for a set flag */
	enum edge_src src[EDGE_OPT_MAX];
	char origin[EDGE_OPT_MAX][96];	/* "path:line" or "EDGE_X" for messages */
	int n;
	char **args;			/* positional arguments (borrowed argv) */
	int nargs;
};

/* The options every tool has, in --help order. */
extern const struct edge_opt edge_common_opts[];

/*
 * Build the merged table: common options, the tool's, then extra (a shared
 * group such as the hub options; may be NULL).  EDGE_EFAIL on a clash.
 */
int edge_opts_init(struct edge_opts *o, const struct edge_opt *tool_opts,
    const struct edge_opt *extra, struct edge_error *err);

/* Parse argv (getopt_long).  EDGE_EUSAGE with the reason on a bad option. */
int edge_opts_parse_argv(struct edge_opts *o, int argc, char **argv,
    struct edge_error *err);

/*
 * Fill the slots still unset from a config file at the given precedence.  A
 * missing file is not an error unless required.  Errors: EDGE_ESTORE
 * (unreadable), EDGE_EINPUT (syntax, "path:line: ...").
 */
int edge_opts_load_file(struct edge_opts *o, const char *path, enum edge_src src,
    bool required, struct edge_error *err);

/* Fill unset slots from EDGE_<NAME> variables, then from the defaults. */
void edge_opts_load_env(struct edge_opts *o);
void edge_opts_load_defaults(struct edge_opts *o);

/* Lookups by long name.  edge_opts_get returns NULL when unset. */
const char *edge_opts_get(const struct edge_opts *o, const char *name);
bool edge_opts_flag(const struct edge_opts *o, const char *name);
enum edge_src edge_opts_src(const struct edge_opts *o, const char *name);
/* Where a value came from, for messages: "--cn", "EDGE_CN", "edge.conf:3". */
const char *edge_opts_origin(const struct edge_opts *o, const char *name);

void edge_opts_free(struct edge_opts *o);

#endif
