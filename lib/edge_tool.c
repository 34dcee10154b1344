/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "edge_device.h"
#include "edge_json.h"
#include "edge_log.h"
#include "edge_outbox.h"
#include "edge_state.h"
#include "edge_tool.h"

#define SYSTEM_CONFIG "/etc/edge/" EDGE_CONF_FILE

static void
usage_line(const struct edge_tool *t, FILE *f)
{
	fprintf(f, "usage: %s %s\n", t->name, t->synopsis);
}

/* Append "; text" (or text, when first) to the parenthesis of a help line. */
static void
add_note(char *buf, size_t len, const char *text)
{
	size_t n = strlen(buf);

	if (text != NULL && *text != '\0')
		snprintf(buf + n, len - n, "%s%s", n ? "; " : "", text);
}

static void
help_block(FILE *f, const struct edge_opt *p)
{
	char lhs[64], range[64], def[128], note[256] = "";
	int n;

	if (p->help == NULL)
		return;
	if (p->letter)
		n = snprintf(lhs, sizeof(lhs), "-%c, --%s", p->letter, p->name);
	else
		n = snprintf(lhs, sizeof(lhs), "    --%s", p->name);
	if (p->arg && n > 0 && (size_t)n < sizeof(lhs))
		snprintf(lhs + n, sizeof(lhs) - (size_t)n, " %s", p->arg);
	fprintf(f, "  %-28s %s", lhs, p->help);
	edge_opt_range(p, range, sizeof(range));
	add_note(note, sizeof(note), range);
	if (p->def != NULL) {
		snprintf(def, sizeof(def), "default: %s", p->def);
		add_note(note, sizeof(note), def);
	}
	add_note(note, sizeof(note), edge_opt_cli_note(p));
	if (*note != '\0')
		fprintf(f, " (%s)", note);
	fputc('\n', f);
}

static void
print_help(const struct edge_tool *t)
{
	const struct edge_opt *p;

	usage_line(t, stdout);
	printf("%s\n\nOptions:\n", t->summary);
	for (p = t->options; p != NULL && p->name != NULL; p++)
		help_block(stdout, p);
	for (p = t->more_options; p != NULL && p->name != NULL; p++)
		help_block(stdout, p);
	printf("\nCommon options:\n");
	for (p = edge_common_opts; p->name != NULL; p++)
		help_block(stdout, p);
	printf("\nSecrets are read from " EDGE_SECRET_FORMS
	    ", never from the command line.\n"
	    "Exit status: 0 ok, 1 failure, 2 usage, 3 invalid input, 4 temporary,\n"
	    "5 refused by the hub, 6 trust failure, 7 storage or key store, 8 revoked%s.\n"
	    "See %s(1) and edge-toolkit(7).\n", (t->flags & EDGE_TOOL_CHECKS) ?
	    ",\n9 a check failed (with --strict: or warned)" : "", t->name);
}

/*
 * "--name<TAB>ARG<TAB>help<TAB>range" lines, for completion scripts and drift
 * tests; range ("1 to 3600") is empty but for numbers.
 */
static void
list_options(const struct edge_opts *o)
{
	char range[64];
	int i;

	for (i = 0; i < o->n; i++) {
		const struct edge_opt *p = o->opt[i];

		if (p->help == NULL)
			continue;
		edge_opt_range(p, range, sizeof(range));
		printf("--%s\t%s\t%s\t%s\n", p->name, p->arg ? p->arg : "",
		    p->help, range);
		if (p->letter)
			printf("-%c\t%s\t%s\t%s\n", p->letter,
			    p->arg ? p->arg : "", p->help, range);
	}
}

/*
 * DIR/device.json's hub addresses, recorded by edge-provision, as a source of
 * options below DIR/edge.conf and above /etc/edge/edge.conf.  A device.json
 * that cannot be read adds nothing here: the tools that need the device load
 * it themselves and say what is wrong with it.
 */
static int
device_layer(struct edge_ctx *ctx, const char *dir)
{
	static const struct {
		const char *name;
		enum edge_device_field field;
	} addr[] = {
		{ "api", EDGE_DEV_API }, { "portal", EDGE_DEV_PORTAL },
		{ "mqtt", EDGE_DEV_MQTT },
	};
	struct edge_device d;
	char origin[96];
	size_t k;
	int fd, rc = EDGE_OK;

	for (k = 0; k < sizeof(addr) / sizeof(addr[0]); k++)
		if (edge_opts_src(&ctx->opts, addr[k].name) == EDGE_SRC_NONE)
			break;
	if (k == sizeof(addr) / sizeof(addr[0]))
		return EDGE_OK;	/* no such option unset: nothing to read */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return EDGE_OK;
	if (edge_device_load(fd, &d, NULL) == EDGE_OK) {
		snprintf(origin, sizeof(origin), "%s/" EDGE_DEVICE_FILE, dir);
		for (k = 0; k < sizeof(addr) / sizeof(addr[0]) && rc == EDGE_OK;
		    k++)
			rc = edge_opts_offer(&ctx->opts, addr[k].name,
			    edge_device_get(&d, addr[k].field), EDGE_SRC_DEVICE,
			    origin, &ctx->err);
		edge_device_free(&d);
	}
	close(fd);
	return rc;
}

static int
resolve(struct edge_ctx *ctx, int argc, char **argv)
{
	struct edge_opts *o = &ctx->opts;
	const char *sys, *conf;
	char path[4096];
	int i, rc;

	if ((rc = edge_opts_init(o, ctx->tool->options,
	    ctx->tool->more_options, &ctx->err)) != EDGE_OK)
		return rc;
	if ((rc = edge_opts_parse_argv(o, argc, argv, &ctx->err)) != EDGE_OK)
		return rc;
	if (edge_opts_flag(o, "help") || edge_opts_flag(o, "version") ||
	    edge_opts_flag(o, "list-options"))
		return EDGE_OK;
	if (o->nargs > 0 && !(ctx->tool->flags & EDGE_TOOL_ARGS))
		return edge_err(&ctx->err, EDGE_EUSAGE, "unexpected argument '%s'",
		    o->args[0]);
	/*
	 * The environment is read before the files only to learn DIR and
	 * --config; edge_opts_load_file() never overrides a value of higher
	 * precedence, so the order of loading does not change the result.
	 */
	if ((rc = edge_opts_load_env(o, &ctx->err)) != EDGE_OK)
		return rc;
	sys = getenv("EDGE_SYSTEM_CONFIG");
	if (sys == NULL)
		sys = SYSTEM_CONFIG;
	/* /etc may set dir, so it is read before DIR/edge.conf is located. */
	if (*sys != '\0' && (rc = edge_opts_load_file(o, sys, EDGE_SRC_SYSCONF,
	    false, &ctx->err)) != EDGE_OK)
		return rc;
	conf = edge_opts_get(o, "config");
	if (conf != NULL) {
		rc = edge_opts_load_file(o, conf, EDGE_SRC_CONF, true, &ctx->err);
	} else {
		const char *dir = edge_opts_get(o, "dir");
		snprintf(path, sizeof(path), "%s/" EDGE_CONF_FILE,
		    dir ? dir : "/var/lib/edge");
		rc = edge_opts_load_file(o, path, EDGE_SRC_CONF, false,
		    &ctx->err);
	}
	if (rc != EDGE_OK)
		return rc;
	/* DIR as edge.conf may have set it. */
	if ((rc = device_layer(ctx, edge_opts_get(o, "dir") ?
	    edge_opts_get(o, "dir") : "/var/lib/edge")) != EDGE_OK)
		return rc;
	edge_opts_load_defaults(o);
	/* Known first: a bad value below is answered as JSON too. */
	ctx->dir = edge_opts_get(o, "dir");
	ctx->json = edge_opts_flag(o, "json");
	if ((rc = edge_opts_check(o, &ctx->err)) != EDGE_OK)
		return rc;
	/*
	 * A secret given literally is refused even by a tool that ends up not
	 * reading it: it is already in argv or a config file, and the user
	 * must learn that at once.  EDGE_* variables hold the secret itself.
	 */
	for (i = 0; i < o->n; i++)
		if ((o->opt[i]->flags & EDGE_OPT_SECRET) && o->value[i] != NULL &&
		    o->src[i] != EDGE_SRC_ENV &&
		    !edge_secret_is_source(o->value[i]))
			return edge_err(&ctx->err, EDGE_EUSAGE,
			    "%s%s%s: secrets are not taken literally; use "
			    EDGE_SECRET_FORMS, o->origin[i],
			    o->src[i] == EDGE_SRC_ARGV ? "" : ": ",
			    o->src[i] == EDGE_SRC_ARGV ? "" : o->opt[i]->name);
	return EDGE_OK;
}

int
edge_tool_main(const struct edge_tool *tool, int argc, char **argv)
{
	struct edge_ctx ctx;
	struct rlimit nocore = { 0, 0 };
	const char *verbose;
	int rc, status;

	/* Private files are never created wider than 0600, not even briefly. */
	umask(077);
	/* A core dump would carry secrets and key material. */
	(void)setrlimit(RLIMIT_CORE, &nocore);
	/*
	 * Every tool may hold a secret (PIN, product or device secret, key),
	 * from here on: not dumpable, so other processes of the same user
	 * cannot ptrace it or read /proc/PID/mem, and no core is written even
	 * where RLIMIT_CORE is raised again.  An --exec child is dumpable
	 * again after its execve().
	 */
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	memset(&ctx, 0, sizeof(ctx));
	ctx.tool = tool;
	ctx.dirfd = -1;
	edge_log_init(tool->name, 0, false);

	rc = resolve(&ctx, argc, argv);
	if (rc == EDGE_OK && edge_opts_flag(&ctx.opts, "help")) {
		print_help(tool);
		goto out;
	}
	if (rc == EDGE_OK && edge_opts_flag(&ctx.opts, "version")) {
		printf("%s (edgecert) %s\nGnuTLS %s\n", tool->name,
		    EDGE_VERSION, gnutls_check_version(NULL));
		goto out;
	}
	if (rc == EDGE_OK && edge_opts_flag(&ctx.opts, "list-options")) {
		list_options(&ctx.opts);
		goto out;
	}
	if (rc == EDGE_OK) {
		verbose = edge_opts_get(&ctx.opts, "verbose");
		edge_log_init(tool->name, verbose ? atoi(verbose) : 0,
		    edge_opts_flag(&ctx.opts, "quiet"));
		ctx.result = json_object_new_object();
		rc = tool->run(&ctx);
	}
	if (rc != EDGE_OK) {
		if (ctx.err.code == 0)
			snprintf(ctx.err.msg, sizeof(ctx.err.msg), "%s",
			    edge_strerror(rc));
		edge_log_error(ctx.err.msg);
		if (rc == EDGE_EUSAGE)
			usage_line(tool, stderr);
		if (ctx.json) {
			json_object *e = ctx.keep_result && ctx.result ?
			    json_object_get(ctx.result) : json_object_new_object();
			json_object *body = json_object_new_object();
			json_object_object_add(body, "code",
			    json_object_new_int(edge_exit_status(rc)));
			json_object_object_add(body, "message",
			    json_object_new_string(ctx.err.msg));
			json_object_object_add(e, "error", body);
			puts(edge_json_text(e));
			json_object_put(e);
		}
	} else if (ctx.json && ctx.result != NULL) {
		puts(edge_json_text(ctx.result));
	}
out:
	status = edge_exit_status(rc);
	if (fflush(stdout) != 0 && status == 0) {
		edge_log_error("standard output: write failed");
		status = 1;
	}
	json_object_put(ctx.result);
	if (ctx.dirfd >= 0)
		close(ctx.dirfd);
	edge_opts_free(&ctx.opts);
	return status;
}

const char *
edge_arg(const struct edge_ctx *ctx, const char *name)
{
	return edge_opts_get(&ctx->opts, name);
}

bool
edge_flag(const struct edge_ctx *ctx, const char *name)
{
	return edge_opts_flag(&ctx->opts, name);
}

long
edge_arg_long(const struct edge_ctx *ctx, const char *name, long unset)
{
	return edge_opts_long(&ctx->opts, name, unset);
}

int
edge_arg_choice(const struct edge_ctx *ctx, const char *name)
{
	return edge_opts_choice(&ctx->opts, name);
}

bool
edge_arg_given(const struct edge_ctx *ctx, const char *name)
{
	enum edge_src s = edge_opts_src(&ctx->opts, name);

	/* Config files hold defaults; only these two say "asked for now". */
	return s == EDGE_SRC_ARGV || s == EDGE_SRC_ENV;
}

/*
 * Temporary files of writers killed mid-write (SIGKILL, power loss) are
 * removed once the directory is known to be ours: in the state directory
 * and in its outbox.  Best effort; a live writer's file is never touched.
 */
static void
clean_stale(int dirfd)
{
	unsigned n = 0, m = 0;
	int fd;

	(void)edge_dir_clean_stale(dirfd, &n);
	fd = openat(dirfd, EDGE_OUTBOX_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd >= 0) {
		(void)edge_dir_clean_stale(fd, &m);
		close(fd);
	}
	if (n + m > 0)
		edge_verbose(1, "removed %u temporary file(s) left by killed writers",
		    n + m);
}

int
edge_ctx_dirfd(struct edge_ctx *ctx, int *dirfd)
{
	int rc;

	if (ctx->dirfd < 0) {
		struct stat st;

		rc = edge_dir_open(ctx->dir, &ctx->dirfd, &ctx->err);
		if (rc != EDGE_OK)
			return edge_err_prefix(&ctx->err, "state directory");
		/*
		 * Like ssh's StrictModes: a directory someone else owns or can
		 * write to could have its files swapped under us.
		 */
		if (fstat(ctx->dirfd, &st) != 0)
			rc = edge_err(&ctx->err, EDGE_ESTORE, "state directory %s: %s",
			    ctx->dir, strerror(errno));
		else if (st.st_uid != geteuid())
			rc = edge_err(&ctx->err, EDGE_ESTORE,
			    "state directory %s: owned by uid %u, not by this user (uid %u); refusing to use it",
			    ctx->dir, (unsigned)st.st_uid, (unsigned)geteuid());
		else if (st.st_mode & 022)
			rc = edge_err(&ctx->err, EDGE_ESTORE,
			    "state directory %s: writable by group or others (mode %03o); chmod go-w",
			    ctx->dir, (unsigned)(st.st_mode & 0777));
		if (rc != EDGE_OK) {
			close(ctx->dirfd);
			ctx->dirfd = -1;
			return rc;
		}
		clean_stale(ctx->dirfd);
	}
	*dirfd = ctx->dirfd;
	return EDGE_OK;
}

int
edge_ctx_lock(struct edge_ctx *ctx)
{
	int dirfd = -1, rc;

	if ((rc = edge_ctx_dirfd(ctx, &dirfd)) != EDGE_OK)
		return rc;
	if ((rc = edge_dir_lock(dirfd, 0, &ctx->err)) != EDGE_ETEMP)
		return rc == EDGE_OK ? rc : edge_err_prefix(&ctx->err, "%s", ctx->dir);
	memset(&ctx->err, 0, sizeof(ctx->err));
	edge_note("waiting for another edge tool to finish with %s (it holds the state directory's lock)",
	    ctx->dir);
	if ((rc = edge_dir_lock(dirfd, EDGE_LOCK_WAIT, &ctx->err)) == EDGE_ETEMP)
		rc = edge_err(&ctx->err, EDGE_ETEMP,
		    "%s: another edge tool held the state directory's lock for %ds; try again later",
		    ctx->dir, EDGE_LOCK_WAIT);
	return rc;
}

char **
edge_ctx_child_env(const struct edge_ctx *ctx)
{
	const struct edge_opts *o = &ctx->opts;
	const char *hide[EDGE_OPT_MAX + 1];
	size_t n = 0;
	int i;

	for (i = 0; i < o->n; i++)
		if ((o->opt[i]->flags & EDGE_OPT_SECRET) && o->value[i] != NULL &&
		    o->src[i] != EDGE_SRC_ENV &&
		    strncmp(o->value[i], "env:", 4) == 0)
			hide[n++] = o->value[i] + 4;
	hide[n] = NULL;
	return edge_secret_child_env(hide);
}

int
edge_ctx_secret(struct edge_ctx *ctx, const char *name, struct edge_secret **out)
{
	const char *v = edge_arg(ctx, name);
	int rc;

	*out = NULL;
	if (v == NULL)
		return EDGE_OK;
	if (edge_opts_src(&ctx->opts, name) == EDGE_SRC_ENV)
		rc = edge_secret_from_value(v, out, &ctx->err);
	else
		rc = edge_secret_read(v, out, &ctx->err);
	if (rc != EDGE_OK)
		edge_err_prefix(&ctx->err, "%s",
		    edge_opts_origin(&ctx->opts, name));
	return rc;
}

int
edge_usage(struct edge_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx->err.msg, sizeof(ctx->err.msg), fmt, ap);
	va_end(ap);
	ctx->err.code = EDGE_EUSAGE;
	return EDGE_EUSAGE;
}

void
edge_out(struct edge_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (ctx->json || edge_flag(ctx, "quiet"))
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

void
edge_result_str(struct edge_ctx *ctx, const char *key, const char *value)
{
	json_object_object_add(ctx->result, key,
	    value ? json_object_new_string(value) : NULL);
}

void
edge_result_int(struct edge_ctx *ctx, const char *key, long long value)
{
	json_object_object_add(ctx->result, key, json_object_new_int64(value));
}

void
edge_result_bool(struct edge_ctx *ctx, const char *key, bool value)
{
	json_object_object_add(ctx->result, key, json_object_new_boolean(value));
}
