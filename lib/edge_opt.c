/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "edge_file.h"
#include "edge_opt.h"

const struct edge_opt edge_common_opts[] = {
	{ "dir", 'd', "DIR", EDGE_OPT_COMMON, "state directory (the edge's local repository)", "/var/lib/edge", EDGE_T_STRING, 0, 0 },
	{ "config", 'c', "FILE", EDGE_OPT_COMMON | EDGE_OPT_CLI, "config file read instead of DIR/edge.conf", NULL, EDGE_T_STRING, 0, 0 },
	{ "json", 0, NULL, EDGE_OPT_COMMON, "print one JSON object describing the result on stdout", NULL, EDGE_T_FLAG, 0, 0 },
	{ "quiet", 'q', NULL, EDGE_OPT_COMMON, "no informational messages (errors are still printed)", NULL, EDGE_T_FLAG, 0, 0 },
	{ "verbose", 'v', NULL, EDGE_OPT_COMMON | EDGE_OPT_CLI, "more detail on stderr; repeat for more", NULL, EDGE_T_FLAG, 0, 0 },
	{ "help", 'h', NULL, EDGE_OPT_COMMON | EDGE_OPT_CLI, "show this help and exit", NULL, EDGE_T_FLAG, 0, 0 },
	{ "version", 'V', NULL, EDGE_OPT_COMMON | EDGE_OPT_CLI, "show the version and exit", NULL, EDGE_T_FLAG, 0, 0 },
	{ "list-options", 0, NULL, EDGE_OPT_COMMON | EDGE_OPT_CLI, NULL, NULL, EDGE_T_FLAG, 0, 0 },
	{ NULL, 0, NULL, 0, NULL, NULL, EDGE_T_STRING, 0, 0 }
};

/* A table entry whose type does not fit its argument is a bug of the tool. */
static bool
entry_ok(const struct edge_opt *p)
{
	switch (p->type) {
	case EDGE_T_FLAG:
		return p->arg == NULL;
	case EDGE_T_STRING:
		return p->arg != NULL;
	case EDGE_T_INT:
		return p->arg != NULL && p->min <= p->max;
	case EDGE_T_CHOICE:
		return p->arg != NULL && strchr(p->arg, '|') != NULL;
	}
	return false;
}

static int
add_table(struct edge_opts *o, const struct edge_opt *table,
    struct edge_error *err)
{
	const struct edge_opt *p;
	int i;

	for (p = table; p != NULL && p->name != NULL; p++) {
		if (o->n == EDGE_OPT_MAX)
			return edge_err(err, EDGE_EFAIL, "too many options");
		if (!entry_ok(p))
			return edge_err(err, EDGE_EFAIL,
			    "option --%s: its type does not fit its argument",
			    p->name);
		for (i = 0; i < o->n; i++)
			if (strcmp(o->opt[i]->name, p->name) == 0 ||
			    (p->letter && o->opt[i]->letter == p->letter))
				return edge_err(err, EDGE_EFAIL,
				    "option --%s defined twice", p->name);
		o->opt[o->n++] = p;
	}
	return EDGE_OK;
}

int
edge_opts_init(struct edge_opts *o, const struct edge_opt *tool_opts,
    const struct edge_opt *extra, struct edge_error *err)
{
	int rc;

	memset(o, 0, sizeof(*o));
	if ((rc = add_table(o, edge_common_opts, err)) != EDGE_OK ||
	    (rc = add_table(o, tool_opts, err)) != EDGE_OK)
		return rc;
	return add_table(o, extra, err);
}

static int
find(const struct edge_opts *o, const char *name)
{
	int i;

	for (i = 0; i < o->n; i++)
		if (strcmp(o->opt[i]->name, name) == 0)
			return i;
	return -1;
}

/*
 * value NULL: a flag switched off ("no" in a file or EDGE_*); the slot is
 * taken, so a lower source cannot switch it on again.
 */
static int
set(struct edge_opts *o, int i, const char *value, enum edge_src src,
    const char *origin, struct edge_error *err)
{
	char *v = value != NULL ? strdup(value) : NULL;

	if (value != NULL && v == NULL)
		return edge_err(err, EDGE_EFAIL, "out of memory");
	if (o->value[i] != NULL) {
		explicit_bzero(o->value[i], strlen(o->value[i]));
		free(o->value[i]);
	}
	o->value[i] = v;
	o->src[i] = src;
	snprintf(o->origin[i], sizeof(o->origin[i]), "%s", origin);
	return EDGE_OK;
}

/* Flags in files and the environment: yes/no words, so a typo is an error. */
static int
parse_bool(const char *v, bool *out)
{
	static const char *yes[] = { "1", "yes", "true", "on" };
	static const char *no[] = { "0", "no", "false", "off", "" };
	size_t k;

	for (k = 0; k < sizeof(yes) / sizeof(yes[0]); k++)
		if (strcasecmp(v, yes[k]) == 0)
			return *out = true, 0;
	for (k = 0; k < sizeof(no) / sizeof(no[0]); k++)
		if (strcasecmp(v, no[k]) == 0)
			return *out = false, 0;
	return -1;
}

int
edge_opts_parse_argv(struct edge_opts *o, int argc, char **argv,
    struct edge_error *err)
{
	struct option lopts[EDGE_OPT_MAX + 1];
	char shorts[3 * EDGE_OPT_MAX + 2], origin[96];
	size_t sn = 0;
	int i, c, idx, rc, verbose = 0;

	memset(lopts, 0, sizeof(lopts));
	shorts[sn++] = ':';	/* report a missing argument as ':' */
	for (i = 0; i < o->n; i++) {
		lopts[i].name = o->opt[i]->name;
		lopts[i].has_arg = o->opt[i]->arg ? required_argument : no_argument;
		lopts[i].val = 256 + i;
		if (o->opt[i]->letter) {
			shorts[sn++] = (char)o->opt[i]->letter;
			if (o->opt[i]->arg)
				shorts[sn++] = ':';
		}
	}
	shorts[sn] = '\0';
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, lopts, &idx)) != -1) {
		if (c == '?') {
			/* A long flag given "=value": getopt_long's optopt is its val. */
			if (optopt >= 256)
				return edge_err(err, EDGE_EUSAGE,
				    "option --%s takes no argument",
				    o->opt[optopt - 256]->name);
			if (optopt)
				return edge_err(err, EDGE_EUSAGE,
				    "unknown option -%c", optopt);
			return edge_err(err, EDGE_EUSAGE, "unknown option %s",
			    argv[optind - 1]);
		}
		if (c == ':') {
			if (optopt >= 256)
				return edge_err(err, EDGE_EUSAGE,
				    "option --%s needs an argument",
				    o->opt[optopt - 256]->name);
			return edge_err(err, EDGE_EUSAGE,
			    "option -%c needs an argument", optopt);
		}
		if (c >= 256)
			i = c - 256;
		else
			for (i = 0; i < o->n && o->opt[i]->letter != c; i++)
				;
		if (i >= o->n)
			return edge_err(err, EDGE_EUSAGE, "unknown option -%c", c);
		snprintf(origin, sizeof(origin), "--%s", o->opt[i]->name);
		if (strcmp(o->opt[i]->name, "verbose") == 0) {
			char n[16];
			snprintf(n, sizeof(n), "%d", ++verbose);
			rc = set(o, i, n, EDGE_SRC_ARGV, origin, err);
		} else {
			rc = set(o, i, o->opt[i]->arg ? optarg : "1",
			    EDGE_SRC_ARGV, origin, err);
		}
		if (rc != EDGE_OK)
			return rc;
	}
	o->args = argv + optind;
	o->nargs = argc - optind;
	return EDGE_OK;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Every tool's option names are lowercase: "TYPE" is a typo, not another tool's. */
static bool
key_ok(const char *k)
{
	if (*k == '\0')
		return false;
	for (; *k != '\0'; k++)
		if (!((*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') ||
		    *k == '-' || *k == '_'))
			return false;
	return true;
}

struct seen_key {
	const char *key;	/* into the file's text, "_" made "-" */
	int line;
};

int
edge_opts_load_file(struct edge_opts *o, const char *path, enum edge_src src,
    bool required, struct edge_error *err)
{
	struct seen_key *seen = NULL, *grown;
	char *data, *line, *next, *nul, origin[96];
	size_t len, vlen, nseen = 0, j;
	int lineno = 0, rc;

	if (!required && access(path, F_OK) != 0)
		return EDGE_OK;
	rc = edge_file_read(AT_FDCWD, path, 64 * 1024, &data, &len, err);
	if (rc != EDGE_OK)
		return rc;
	/* A NUL would silently end the text here: the rest would be lost. */
	if ((nul = memchr(data, '\0', len)) != NULL) {
		for (line = data, lineno = 1; line < nul; line++)
			lineno += *line == '\n';
		rc = edge_err(err, EDGE_EINPUT, "%s:%d: NUL byte", path, lineno);
		goto out;
	}
	line = data;
	/* The UTF-8 byte order mark some Windows editors write. */
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		line += 3;
	for (; line != NULL; line = next) {
		char *eq, *key, *val, *k;
		int i;
		bool b;

		lineno++;
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		line = trim(line);
		if (*line == '\0' || *line == '#')
			continue;
		if ((eq = strchr(line, '=')) == NULL) {
			rc = edge_err(err, EDGE_EINPUT,
			    "%s:%d: expected \"name = value\"", path, lineno);
			goto out;
		}
		*eq = '\0';
		key = trim(line);
		val = trim(eq + 1);
		if (!key_ok(key)) {
			rc = edge_err(err, EDGE_EINPUT,
			    "%s:%d: \"%s\" is not an option name (names are lowercase: a-z, 0-9, - and _)",
			    path, lineno, key);
			goto out;
		}
		vlen = strlen(val);
		if (vlen >= 2 && val[0] == '"' && val[vlen - 1] == '"') {
			val[vlen - 1] = '\0';
			val++;
		}
		for (k = key; *k; k++)
			if (*k == '_')
				*k = '-';
		/* Which of two lines counts would be a guess: refuse both. */
		for (j = 0; j < nseen; j++)
			if (strcmp(seen[j].key, key) == 0) {
				rc = edge_err(err, EDGE_EINPUT,
				    "%s:%d: %s given again (first at line %d)",
				    path, lineno, key, seen[j].line);
				goto out;
			}
		if (nseen % 32 == 0) {
			grown = realloc(seen, (nseen + 32) * sizeof(*seen));
			if (grown == NULL) {
				rc = edge_err(err, EDGE_EFAIL, "out of memory");
				goto out;
			}
			seen = grown;
		}
		seen[nseen].key = key;
		seen[nseen++].line = lineno;
		if ((i = find(o, key)) < 0 || (o->opt[i]->flags & EDGE_OPT_CLI))
			continue;	/* another tool's key */
		if (o->src[i] >= src)
			continue;	/* already set with higher precedence */
		snprintf(origin, sizeof(origin), "%s:%d", path, lineno);
		if (o->opt[i]->arg == NULL) {
			if (parse_bool(val, &b) != 0) {
				rc = edge_err(err, EDGE_EINPUT,
				    "%s: %s %s: expected yes or no", origin, key,
				    val);
				goto out;
			}
			val = b ? (char *)"1" : NULL;
		}
		if ((rc = set(o, i, val, src, origin, err)) != EDGE_OK)
			goto out;
	}
	rc = EDGE_OK;
out:
	free(seen);
	edge_file_free_private(&data, len);
	return rc;
}

int
edge_opts_offer(struct edge_opts *o, const char *name, const char *value,
    enum edge_src src, const char *origin, struct edge_error *err)
{
	int i = find(o, name);

	if (i < 0 || (o->opt[i]->flags & EDGE_OPT_CLI) || o->src[i] >= src ||
	    value == NULL)
		return EDGE_OK;
	return set(o, i, value, src, origin, err);
}

/* EDGE_CONFIG names the file as --config does: it is read before any file. */
static bool
from_env(const struct edge_opt *p)
{
	return !(p->flags & EDGE_OPT_CLI) || strcmp(p->name, "config") == 0;
}

const char *
edge_opt_cli_note(const struct edge_opt *p)
{
	if (!(p->flags & EDGE_OPT_CLI))
		return NULL;
	return from_env(p) ? "command line or EDGE_CONFIG only" :
	    "command line only";
}

int
edge_opts_load_env(struct edge_opts *o, struct edge_error *err)
{
	char name[96];
	const char *v;
	size_t k;
	int i;
	bool b;

	for (i = 0; i < o->n; i++) {
		if (o->src[i] >= EDGE_SRC_ENV || o->opt[i]->help == NULL ||
		    !from_env(o->opt[i]))
			continue;
		snprintf(name, sizeof(name), "EDGE_%s", o->opt[i]->name);
		for (k = 5; name[k]; k++)
			name[k] = (char)(name[k] == '-' ? '_' :
			    toupper((unsigned char)name[k]));
		if ((v = getenv(name)) == NULL)
			continue;
		if (o->opt[i]->arg == NULL) {
			/* As in a config file: a typo is an error, not "no". */
			if (parse_bool(v, &b) != 0)
				return edge_err(err, EDGE_EUSAGE,
				    "%s %s: expected yes or no", name, v);
			v = b ? "1" : NULL;
		}
		if (set(o, i, v, EDGE_SRC_ENV, name, err) != EDGE_OK)
			return EDGE_EFAIL;
	}
	return EDGE_OK;
}

void
edge_opts_load_defaults(struct edge_opts *o)
{
	int i;

	for (i = 0; i < o->n; i++)
		if (o->src[i] == EDGE_SRC_NONE && o->opt[i]->def != NULL)
			(void)set(o, i, o->opt[i]->def, EDGE_SRC_DEFAULT,
			    "default", NULL);
}

int
edge_opt_parse_long(const char *s, long min, long max, long *out)
{
	const char *d = *s == '-' ? s + 1 : s;
	char *end;
	long n;

	/* strtol would skip blanks and take a '+'; a value is digits only. */
	if (!isdigit((unsigned char)*d))
		return -1;
	errno = 0;
	n = strtol(s, &end, 10);
	if (*end != '\0' || errno != 0 || n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

/* Index of word v in "a|b|c", or -1. */
static int
choice_index(const char *list, const char *v)
{
	size_t len = strlen(v);
	const char *w;
	int k;

	for (w = list, k = 0; w != NULL; k++) {
		const char *bar = strchr(w, '|');
		size_t wl = bar ? (size_t)(bar - w) : strlen(w);

		if (wl == len && strncmp(w, v, len) == 0)
			return k;
		w = bar ? bar + 1 : NULL;
	}
	return -1;
}

void
edge_opt_range(const struct edge_opt *p, char *buf, size_t len)
{
	if (p->type != EDGE_T_INT)
		snprintf(buf, len, "%s", "");
	else if (p->max == EDGE_NO_MAX)
		snprintf(buf, len, "%ld or more", p->min);
	else
		snprintf(buf, len, "%ld to %ld", p->min, p->max);
}

/* "a|b|c" as "a, b or c". */
static void
choice_words(const char *list, char *buf, size_t len)
{
	const char *last = strrchr(list, '|');
	size_t n = 0;
	const char *c;

	for (c = list; *c != '\0' && n + 4 < len; c++) {
		if (*c != '|') {
			buf[n++] = *c;
		} else if (c == last) {
			memcpy(buf + n, " or ", 4);
			n += 4;
		} else {
			buf[n++] = ',';
			buf[n++] = ' ';
		}
	}
	buf[n] = '\0';
}

int
edge_opts_check(const struct edge_opts *o, struct edge_error *err)
{
	char where[160], want[160];
	long n;
	int i;

	for (i = 0; i < o->n; i++) {
		const struct edge_opt *p = o->opt[i];
		const char *v = o->value[i];

		if (v == NULL)
			continue;
		if (p->type == EDGE_T_INT &&
		    edge_opt_parse_long(v, p->min, p->max, &n) != 0) {
			if (p->max == EDGE_NO_MAX)
				snprintf(want, sizeof(want),
				    "a number of at least %ld", p->min);
			else
				snprintf(want, sizeof(want),
				    "a number from %ld to %ld", p->min, p->max);
		} else if (p->type == EDGE_T_CHOICE && choice_index(p->arg, v) < 0) {
			choice_words(p->arg, want, sizeof(want));
		} else {
			continue;
		}
		/* One format for every source; a file line also names the key. */
		if (o->src[i] == EDGE_SRC_CONF || o->src[i] == EDGE_SRC_SYSCONF ||
		    o->src[i] == EDGE_SRC_DEVICE)
			snprintf(where, sizeof(where), "%s: %s", o->origin[i],
			    p->name);
		else
			snprintf(where, sizeof(where), "%s", o->origin[i]);
		return edge_err(err, EDGE_EUSAGE, "%s %s: expected %s", where,
		    v, want);
	}
	return EDGE_OK;
}

const char *
edge_opts_get(const struct edge_opts *o, const char *name)
{
	int i = find(o, name);

	return i < 0 ? NULL : o->value[i];
}

bool
edge_opts_flag(const struct edge_opts *o, const char *name)
{
	return edge_opts_get(o, name) != NULL;
}

enum edge_src
edge_opts_src(const struct edge_opts *o, const char *name)
{
	int i = find(o, name);

	return i < 0 ? EDGE_SRC_NONE : o->src[i];
}

long
edge_opts_long(const struct edge_opts *o, const char *name, long unset)
{
	int i = find(o, name);
	long n;

	if (i < 0 || o->value[i] == NULL || o->opt[i]->type != EDGE_T_INT ||
	    edge_opt_parse_long(o->value[i], o->opt[i]->min, o->opt[i]->max,
	    &n) != 0)
		return unset;
	return n;
}

int
edge_opts_choice(const struct edge_opts *o, const char *name)
{
	int i = find(o, name);

	if (i < 0 || o->value[i] == NULL || o->opt[i]->type != EDGE_T_CHOICE)
		return -1;
	return choice_index(o->opt[i]->arg, o->value[i]);
}

const char *
edge_opts_origin(const struct edge_opts *o, const char *name)
{
	int i = find(o, name);

	return i < 0 ? "" : o->origin[i];
}

void
edge_opts_free(struct edge_opts *o)
{
	int i;

	for (i = 0; i < o->n; i++) {
		if (o->value[i] != NULL) {
			explicit_bzero(o->value[i], strlen(o->value[i]));
			free(o->value[i]);
			o->value[i] = NULL;
		}
	}
}
