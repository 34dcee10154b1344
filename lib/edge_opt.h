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
 *	> DIR/device.json (the hub addresses edge-provision recorded)
 *	> /etc/edge/edge.conf (or $EDGE_SYSTEM_CONFIG) > the table's default.
 * Config files hold "name = value" lines with the long option names ("_" and
 * "-" are the same), "#" comments and blank lines.  Keys a tool does not know
 * belong to other tools and are ignored; a key that is no option name (not
 * lowercase a-z, 0-9, "-", "_"), a key given twice, or a NUL byte is an
 * error.  A flag's "no" counts like any value: the first source that sets a
 * flag wins, so EDGE_JSON=no switches off "json = yes" in a file.  Never prints.
 */

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "edge_err.h"

#define EDGE_OPT_SECRET	0x01	/* value names a secret source (edge_secret.h) */
#define EDGE_OPT_CLI	0x02	/* command line only: not from files or EDGE_* */
#define EDGE_OPT_COMMON	0x04	/* one of the options every tool has */

/*
 * The type of an option's value, checked for every source once all are read
 * (edge_opts_check), so a tool reads numbers and choices with the typed
 * getters below and never parses them itself.
 */
enum edge_opt_type {
	EDGE_T_STRING = 0,	/* any text; arg names it (FILE, URL, ...) */
	EDGE_T_FLAG,		/* no argument (arg NULL) */
	EDGE_T_INT,		/* decimal integer from min to max */
	EDGE_T_CHOICE,		/* one of the words of arg, "a|b|c", exactly */
};

struct edge_opt {
	const char *name;	/* long name, also the config key and EDGE_NAME */
	int letter;		/* short option letter, 0 for none */
	const char *arg;	/* argument name; NULL for a flag; "a|b" lists choices */
	unsigned flags;		/* EDGE_OPT_* */
	const char *help;	/* one line */
	const char *def;	/* built-in default, or NULL */
	enum edge_opt_type type;
	long min, max;		/* EDGE_T_INT range */
};

#define EDGE_NO_MAX	LONG_MAX	/* an EDGE_T_INT max: no upper bound */

enum edge_src {
	EDGE_SRC_NONE = 0,
	EDGE_SRC_DEFAULT,
	EDGE_SRC_SYSCONF,
	EDGE_SRC_DEVICE,	/* DIR/device.json's api, portal, mqtt */
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

/*
 * Check every value set against its option's type (defaults included):
 * EDGE_EUSAGE naming where the value came from, "--count 0: expected a
 * number from 1 to 100", "EDGE_RETRIES x: ...", "edge.conf:3: via x: ...".
 */
int edge_opts_check(const struct edge_opts *o, struct edge_error *err);

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

/*
 * Set one option from a source such as device.json, unless the tool has no
 * such option, it is command line only, or a source of equal or higher
 * precedence set it.  origin names the source for messages.
 */
int edge_opts_offer(struct edge_opts *o, const char *name, const char *value,
    enum edge_src src, const char *origin, struct edge_error *err);

/*
 * Fill unset slots from EDGE_<NAME> variables (EDGE_EUSAGE for a flag that
 * is neither yes nor no), then from the defaults.
 */
int edge_opts_load_env(struct edge_opts *o, struct edge_error *err);
void edge_opts_load_defaults(struct edge_opts *o);

/* Lookups by long name.  edge_opts_get returns NULL when unset or off. */
const char *edge_opts_get(const struct edge_opts *o, const char *name);
bool edge_opts_flag(const struct edge_opts *o, const char *name);
enum edge_src edge_opts_src(const struct edge_opts *o, const char *name);
/*
 * Typed getters for checked values: an EDGE_T_INT option's value, or unset
 * when it has none; the index of an EDGE_T_CHOICE option's value in its arg
 * list ("block|drop-oldest": 0 or 1), -1 when it has none.
 */
long edge_opts_long(const struct edge_opts *o, const char *name, long unset);
int edge_opts_choice(const struct edge_opts *o, const char *name);
/*
 * A strict decimal integer: digits with at most a leading '-', nothing
 * before or after, no overflow, from min to max.  -1 when not.
 */
int edge_opt_parse_long(const char *s, long min, long max, long *out);
/* An EDGE_T_INT option's range for people, "1 to 3600", "0 or more"; else "". */
void edge_opt_range(const struct edge_opt *p, char *buf, size_t len);
/*
 * For --help and man pages: "command line only" for an EDGE_OPT_CLI option,
 * "command line or EDGE_CONFIG only" for --config, NULL for any other.
 */
const char *edge_opt_cli_note(const struct edge_opt *p);
/* Where a value came from, for messages: "--cn", "EDGE_CN", "edge.conf:3". */
const char *edge_opts_origin(const struct edge_opts *o, const char *name);

void edge_opts_free(struct edge_opts *o);

#endif
