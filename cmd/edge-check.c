/* SPDX-License-Identifier: MIT */
/*
 * edge-check: the seed's edge security best practices, checked now on this
 * gateway: key, certificate, CRL and roots, clock, state directory (and with
 * --online the hub's transport).  One line per check for a person, --json
 * for machines; exit 0 when nothing fails, 9 when something does (with
 * --strict, also when something warns).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "edge_check.h"
#include "edge_crlstore.h"
#include "edge_hubcfg.h"
#include "edge_log.h"
#include "edge_p11.h"
#include "edge_time.h"
#include "edge_tool.h"

static const struct edge_opt opts[] = {
	{ "pin", 0, "SECRET", EDGE_OPT_SECRET, "token PIN, to read a token key's attributes: " EDGE_SECRET_FORMS, NULL, EDGE_T_STRING, 0, 0 },
	{ "api", 0, "URL", 0, "hub API gateway for --online (default: the api edge-provision recorded in DIR/device.json)", NULL, EDGE_T_STRING, 0, 0 },
	{ "mqtt", 0, "URL", 0, "hub MQTT broker for --online (default: the mqtt edge-provision recorded in DIR/device.json)", NULL, EDGE_T_STRING, 0, 0 },
	{ "ca", 0, "FILE", 0, "root CA the broker's certificate must chain to, as edge-connect's (default: DIR/ca.pem)", NULL, EDGE_T_STRING, 0, 0 },
	{ "server-name", 0, "NAME", 0, "name or IP address the broker's certificate must carry, as edge-connect's (default: the host of the URL)", NULL, EDGE_T_STRING, 0, 0 },
	{ "no-verify-hostname", 0, NULL, 0, "as edge-connect's: the broker's name is not checked (tls.broker warns)", NULL, EDGE_T_FLAG, 0, 0 },
	{ "hub-pin", 0, "PINS", 0, "as edge-connect's: the broker's key pinned, sha256//BASE64 of its SubjectPublicKeyInfo, several separated by ';'", NULL, EDGE_T_STRING, 0, 0 },
	{ "hub-ca", 0, "FILE", 0, "CA bundle trusted for the hub's HTTPS endpoints (default: the system store)", NULL, EDGE_T_STRING, 0, 0 },
	{ "scan", 0, "DIRS", 0, "where key.purpose looks for the edge key in other use, ':'-separated; the state directory's siblings are always looked at", "/etc/ssh:/etc/ssl", EDGE_T_STRING, 0, 0 },
	{ "online", 0, NULL, 0, "also check what needs the hub: the broker's and the API's TLS, the clock against the hub's", NULL, EDGE_T_FLAG, 0, 0 },
	{ "strict", 0, NULL, 0, "exit 9 when a check warns, not only when one fails", NULL, EDGE_T_FLAG, 0, 0 },
	{ "renew-within", 0, "DAYS", 0, "the renewal window: a certificate expiring within DAYS warns", "30", EDGE_T_INT, 0, 3650 },
	{ "crl-grace", 0, "SECS", 0, "how long after its nextUpdate a CRL is still used, with a warning", "86400", EDGE_T_INT, 0, EDGE_NO_MAX },
	{ "color", 0, "auto|always|never", EDGE_OPT_CLI, "colour the table: on a terminal without NO_COLOR, always, never", "auto", EDGE_T_CHOICE, 0, 0 },
	{ NULL, 0, NULL, 0, NULL, NULL, EDGE_T_STRING, 0, 0 }
};

/* The subjects, in the order they are checked and printed. */
static void (*const checks[])(const struct edge_check_env *,
    struct edge_findings *) = {
	edge_check_key,
	edge_check_cert,
	edge_check_crl,
	edge_check_clock,
	edge_check_state,
	edge_check_reset,
	edge_check_transport,
	edge_check_host,
};

static bool
use_color(const struct edge_ctx *ctx)
{
	switch (edge_arg_choice(ctx, "color")) {
	case 1:		return true;
	case 2:		return false;
	default:	return isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;
	}
}

/* One line per check: verdict, id, what was found; the fix below it. */
static void
print_table(struct edge_ctx *ctx, const struct edge_findings *f)
{
	static const char *const color[] = {
		[EDGE_V_OK] = "\033[32m", [EDGE_V_SKIP] = "\033[2m",
		[EDGE_V_WARN] = "\033[33m", [EDGE_V_FAIL] = "\033[1;31m",
	};
	bool c = use_color(ctx);
	size_t i, n[4];

	for (i = 0; i < f->n; i++) {
		const struct edge_finding *x = &f->v[i];

		edge_out(ctx, "%s%-4s%s  %-22s %s\n", c ? color[x->verdict] : "",
		    edge_verdict_name(x->verdict), c ? "\033[0m" : "", x->id,
		    x->what);
		if (x->fix[0] != '\0' && x->verdict != EDGE_V_OK)
			edge_out(ctx, "      %-22s -> %s\n", "", x->fix);
	}
	edge_findings_count(f, n);
	edge_out(ctx, "%zu ok, %zu warn, %zu fail, %zu skipped\n",
	    n[EDGE_V_OK], n[EDGE_V_WARN], n[EDGE_V_FAIL], n[EDGE_V_SKIP]);
}

static int
run(struct edge_ctx *ctx)
{
	struct edge_findings f = { 0 };
	struct edge_check_env e = { 0 };
	struct edge_secret *pin = NULL;
	char pin_why[EDGE_ERR_MSG_MAX];
	enum edge_verdict worst;
	size_t i, n[4];
	struct stat st;
	int rc;

	/*
	 * edge_dir_open, not edge_ctx_dirfd: a directory another user owns or
	 * others can write to is state.dir's finding, not a refusal, and
	 * edge-check sweeps no stale temporary files (it changes nothing).
	 * edge_tool_main closes it.
	 */
	if (ctx->dirfd < 0 && edge_dir_open(ctx->dir, &ctx->dirfd,
	    &ctx->err) != EDGE_OK)
		return edge_err_prefix(&ctx->err, "state directory");
	e.dirfd = ctx->dirfd;
	e.dir = ctx->dir;
	/* Another user's key.uri does not choose what this process loads. */
	if (fstat(ctx->dirfd, &st) != 0 || st.st_uid != geteuid())
		edge_p11_follow_module_path(false);
	e.now = edge_time_now();
	e.renew_days = edge_arg_long(ctx, "renew-within", 30);
	e.crl_grace = edge_arg_long(ctx, "crl-grace", EDGE_CRL_GRACE_DEFAULT);
	e.online = edge_flag(ctx, "online");
	e.api = edge_arg(ctx, "api");
	e.mqtt = edge_arg(ctx, "mqtt");
	e.hub_ca = edge_arg(ctx, "hub-ca");
	e.scan = edge_arg(ctx, "scan");
	e.ca = edge_arg(ctx, "ca");
	e.server_name = edge_arg(ctx, "server-name");
	e.no_verify_hostname = edge_flag(ctx, "no-verify-hostname");
	/* A malformed hub-pin is tls.broker's finding, not a refusal. */
	if (edge_hubcfg_pin(ctx, &e.hub_pin) != EDGE_OK) {
		snprintf(pin_why, sizeof(pin_why), "%s", ctx->err.msg);
		e.hub_pin_error = pin_why;
		e.hub_pin = NULL;
		ctx->err.code = 0;
		ctx->err.msg[0] = '\0';
	}
	if ((rc = edge_ctx_secret(ctx, "pin", &pin)) != EDGE_OK)
		return rc;
	e.have_pin = pin != NULL;
	edge_p11_set_pin(pin);
	for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++)
		checks[i](&e, &f);

	edge_check_identity(&e, ctx->result);
	worst = edge_findings_worst(&f);
	edge_findings_count(&f, n);
	json_object_object_add(ctx->result, "checks", edge_findings_json(&f));
	edge_result_int(ctx, "ok", (long long)n[EDGE_V_OK]);
	edge_result_int(ctx, "warn", (long long)n[EDGE_V_WARN]);
	edge_result_int(ctx, "fail", (long long)n[EDGE_V_FAIL]);
	edge_result_int(ctx, "skipped", (long long)n[EDGE_V_SKIP]);
	edge_result_str(ctx, "verdict", edge_verdict_name(worst));
	print_table(ctx, &f);
	if (worst == EDGE_V_FAIL || (worst == EDGE_V_WARN &&
	    edge_flag(ctx, "strict"))) {
		ctx->keep_result = true;
		rc = edge_err(&ctx->err, EDGE_ECHECK, "%s: %zu check(s) failed%s",
		    ctx->dir, n[EDGE_V_FAIL], edge_flag(ctx, "strict") && n[EDGE_V_WARN] ?
		    ", warnings count as failures (--strict)" : "");
	}
	edge_p11_set_pin(NULL);
	edge_secret_free(&pin);
	edge_findings_free(&f);
	return rc;
}

static const struct edge_tool tool = {
	.name = "edge-check",
	.summary = "Check the edge security best practices on this gateway now: key, certificate, CRL and roots, clock, state directory.",
	.synopsis = "[--online] [--strict] [--renew-within DAYS] [--json]",
	.options = opts,
	.flags = EDGE_TOOL_CHECKS,
	.run = run,
};

int
main(int argc, char **argv)
{
	return edge_tool_main(&tool, argc, argv);
}
