/* SPDX-License-Identifier: MIT */
/*
 * edge-check: the edge certificate (cert.chain, cert.expiry, cert.revoked,
 * cert.renewal) and whether edge-revoke --reset could do its work now
 * (reset.ready).  Read-only: nothing here writes, locks or asks the hub.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "edge_check.h"
#include "edge_crlstore.h"
#include "edge_device.h"
#include "edge_file.h"
#include "edge_hubcfg.h"
#include "edge_state.h"
#include "edge_x509.h"

extern char **environ;

/* Where credentials are when no credentials file names them. */
#define CRED_DIRECT	"org-id, access-key and secret-key options"

/* Whole days from now to t, rounded down (negative once t has passed). */
static long long
days_to(time_t t, time_t now)
{
	long long d = (long long)t - (long long)now;

	return d >= 0 ? d / 86400 : -((-d + 86399) / 86400);
}

/*
 * Read a state file this subject needs: EDGE_OK, or a finding-ready reason
 * in err (edge_state_missing's "NAME: missing; run TOOL first" when it is
 * not there).
 */
static int
read_certs(const struct edge_check_env *e, const char *name,
    struct edge_certs *out, struct edge_error *err)
{
	if (!edge_file_exists(e->dirfd, name))
		return edge_state_missing(name, err);
	return edge_certs_read(e->dirfd, name, out, err);
}

/* The command that makes name, for a fix: "edge-activate". */
static const char *
maker_fix(const char *name)
{
	const char *m = edge_state_maker(name);

	return m != NULL ? m : "";
}

/*
 * Whether this gateway can call the hub itself: edge-activate's and
 * edge-revoke's own decision (edge_hubcfg_load with credentials required),
 * made on the options those tools would see here: EDGE_* variables,
 * DIR/edge.conf, DIR/device.json's api, /etc/edge/edge.conf (the order of
 * edge_tool.c).  EDGE_OK; EDGE_EUSAGE when credentials (or the hub
 * address) are missing; another code when they are named but cannot be
 * read.  why gets the tools' message, origin where "credentials" was set
 * ("" when not).  The secret read is dropped at once.
 */
static int
hub_credentials(const struct edge_check_env *e, char *why, size_t whylen,
    char *origin, size_t originlen, char *file, size_t filelen)
{
	static const struct edge_tool tool = { .name = "edge-check" };
	struct edge_ctx ctx;
	struct edge_hubcfg cfg;
	struct edge_device d;
	const char *sys, *v;
	char path[4096];
	int rc;

	memset(&ctx, 0, sizeof(ctx));
	ctx.tool = &tool;
	ctx.dir = e->dir;
	ctx.dirfd = e->dirfd;
	why[0] = origin[0] = file[0] = '\0';
	if ((rc = edge_opts_init(&ctx.opts, NULL, edge_hub_opts,
	    &ctx.err)) != EDGE_OK)
		goto out;
	if (e->api != NULL && (rc = edge_opts_offer(&ctx.opts, "api", e->api,
	    EDGE_SRC_ARGV, "--api", &ctx.err)) != EDGE_OK)
		goto out;
	if (e->hub_ca != NULL && (rc = edge_opts_offer(&ctx.opts, "hub-ca",
	    e->hub_ca, EDGE_SRC_ARGV, "--hub-ca", &ctx.err)) != EDGE_OK)
		goto out;
	if ((rc = edge_opts_load_env(&ctx.opts, &ctx.err)) != EDGE_OK)
		goto out;
	snprintf(path, sizeof(path), "%s/" EDGE_CONF_FILE, e->dir);
	if ((rc = edge_opts_load_file(&ctx.opts, path, EDGE_SRC_CONF, false,
	    &ctx.err)) != EDGE_OK)
		goto out;
	if (edge_device_exists(e->dirfd) &&
	    edge_device_load(e->dirfd, &d, NULL) == EDGE_OK) {
		v = edge_device_get(&d, EDGE_DEV_API);
		rc = v == NULL ? EDGE_OK : edge_opts_offer(&ctx.opts, "api", v,
		    EDGE_SRC_DEVICE, EDGE_DEVICE_FILE, &ctx.err);
		edge_device_free(&d);
		if (rc != EDGE_OK)
			goto out;
	}
	sys = getenv("EDGE_SYSTEM_CONFIG");
	if (sys == NULL)
		sys = "/etc/edge/" EDGE_CONF_FILE;
	if (*sys != '\0' && (rc = edge_opts_load_file(&ctx.opts, sys,
	    EDGE_SRC_SYSCONF, false, &ctx.err)) != EDGE_OK)
		goto out;
	edge_opts_load_defaults(&ctx.opts);
	if ((v = edge_opts_get(&ctx.opts, "credentials")) != NULL) {
		snprintf(origin, originlen, "%s (%s)", v,
		    edge_opts_origin(&ctx.opts, "credentials"));
		snprintf(file, filelen, "%s", v);
	}
	rc = edge_hubcfg_load(&ctx, &cfg, true);
	edge_hubcfg_free(&cfg);
out:
	if (rc != EDGE_OK)
		snprintf(why, whylen, "%s", ctx.err.msg);
	edge_opts_free(&ctx.opts);
	return rc;
}

/*
 * systemctl is-enabled UNIT, where systemd runs: 1 enabled, 0 not, -1 not
 * judged here (no systemctl, systemd not running, cannot run it).
 */
static int
unit_enabled(const char *unit)
{
	static const char *const dirs[] = { "/usr/bin/systemctl",
	    "/bin/systemctl" };
	posix_spawn_file_actions_t fa;
	const char *sc = NULL;
	char *argv[4];
	size_t i;
	pid_t pid;
	int st;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && sc == NULL; i++)
		if (access(dirs[i], X_OK) == 0)
			sc = dirs[i];
	if (sc == NULL || access("/run/systemd/system", F_OK) != 0)
		return -1;
	if (posix_spawn_file_actions_init(&fa) != 0)
		return -1;
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	argv[0] = (char *)"systemctl";
	argv[1] = (char *)"is-enabled";
	argv[2] = (char *)unit;
	argv[3] = NULL;
	st = posix_spawn(&pid, sc, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (st != 0)
		return -1;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 1 : 0;
}

static void
check_chain(const struct edge_check_env *e, struct edge_findings *f,
    const struct edge_certs *cert, int crc, const struct edge_error *cerr,
    const struct edge_certs *roots, int rrc, const struct edge_error *rerr)
{
	struct edge_error err = { 0 };
	char subj[256];

	if (crc != EDGE_OK || cert->n == 0) {
		edge_check_add(f, "cert.chain", EDGE_V_FAIL, NULL,
		    maker_fix(EDGE_CERT_FILE), "%s", cerr->msg);
		return;
	}
	if (rrc != EDGE_OK) {
		edge_check_add(f, "cert.chain", EDGE_V_FAIL, NULL,
		    maker_fix(EDGE_CA_FILE), "%s", rerr->msg);
		return;
	}
	edge_x509_subject(cert->crt[0], subj, sizeof(subj));
	if (edge_x509_verify(cert->crt[0], roots, NULL, 0, e->now,
	    EDGE_CERT_FILE, &err) != EDGE_OK) {
		edge_check_add(f, "cert.chain", EDGE_V_FAIL,
		    json_object_new_object(),
		    "edge-crl-update --ca (the hub's roots) or edge-activate --force (a certificate of the hub's CA)",
		    "%s does not chain to %s: %s", EDGE_CERT_FILE, EDGE_CA_FILE,
		    err.msg);
		return;
	}
	edge_check_add(f, "cert.chain", EDGE_V_OK, NULL, NULL,
	    "%s (%s) chains to %s (%u root(s))", EDGE_CERT_FILE, subj,
	    EDGE_CA_FILE, roots->n);
}

static void
check_expiry(const struct edge_check_env *e, struct edge_findings *f,
    const struct edge_certs *cert, int crc)
{
	time_t na, nb;
	char nas[32], nbs[32], fix[EDGE_CHECK_FIX_MAX];
	long long days;
	json_object *d;

	if (crc != EDGE_OK || cert->n == 0) {
		edge_check_add(f, "cert.expiry", EDGE_V_SKIP, NULL, NULL,
		    "no readable %s (see cert.chain)", EDGE_CERT_FILE);
		return;
	}
	na = gnutls_x509_crt_get_expiration_time(cert->crt[0]);
	nb = gnutls_x509_crt_get_activation_time(cert->crt[0]);
	edge_x509_time(na, nas, sizeof(nas));
	edge_x509_time(nb, nbs, sizeof(nbs));
	days = days_to(na, e->now);
	d = json_object_new_object();
	json_object_object_add(d, "not_before", json_object_new_string(nbs));
	json_object_object_add(d, "not_after", json_object_new_string(nas));
	json_object_object_add(d, "days_left", json_object_new_int64(days));
	json_object_object_add(d, "renew_within",
	    json_object_new_int64(e->renew_days));
	if (e->now < nb) {
		edge_check_add(f, "cert.expiry", EDGE_V_FAIL, d,
		    "check the clock (clock.trusted), or edge-activate --force for a certificate valid now",
		    "%s not valid yet: from %s (the clock says earlier)",
		    EDGE_CERT_FILE, nbs);
	} else if (na <= e->now) {
		edge_check_add(f, "cert.expiry", EDGE_V_FAIL, d,
		    "apply for a new one: edge-activate --force (on the control node: edge-activate -o -)",
		    "%s expired %s (%lld day(s) ago)", EDGE_CERT_FILE, nas,
		    -days);
	} else if (days < e->renew_days) {
		snprintf(fix, sizeof(fix),
		    "renew: edge-activate --renew-within %ld (see cert.renewal: who renews)",
		    e->renew_days);
		edge_check_add(f, "cert.expiry", EDGE_V_WARN, d, fix,
		    "%s expires %s, in %lld day(s): within the renewal window (--renew-within %ld)",
		    EDGE_CERT_FILE, nas, days, e->renew_days);
	} else {
		edge_check_add(f, "cert.expiry", EDGE_V_OK, d, NULL,
		    "%s valid until %s (%lld days left)", EDGE_CERT_FILE, nas,
		    days);
	}
}

/* The policy edge-connect and edge-crl-update --check use (edge_crlstore.h). */
static void
check_revoked(const struct edge_check_env *e, struct edge_findings *f,
    const struct edge_certs *cert, int crc, const struct edge_certs *roots,
    int rrc)
{
	struct edge_crls crls = { 0 };
	struct edge_error err = { 0 };
	const struct edge_crl *newest = NULL;
	bool revoked = false;
	time_t when = 0;
	int reason = -1;
	char sn[128] = "", ws[32];
	json_object *d;

	if (crc != EDGE_OK || rrc != EDGE_OK || cert->n == 0) {
		edge_check_add(f, "cert.revoked", EDGE_V_SKIP, NULL, NULL,
		    "no readable %s and %s (see cert.chain)", EDGE_CERT_FILE,
		    EDGE_CA_FILE);
		return;
	}
	edge_x509_serial_dec(cert->crt[0], sn, sizeof(sn));
	if (!edge_file_exists(e->dirfd, EDGE_CRL_FILE)) {
		edge_check_add(f, "cert.revoked", EDGE_V_WARN, NULL,
		    "edge-crl-update",
		    "no %s: whether %s (serial %s) is revoked is not known here",
		    EDGE_CRL_FILE, EDGE_CERT_FILE, sn);
		return;
	}
	if (edge_crls_load(e->dirfd, EDGE_CRL_FILE, roots, &crls, &err) !=
	    EDGE_OK || edge_crls_strict(&crls, &err) != EDGE_OK ||
	    edge_crls_cert_status(&crls, roots, cert->crt[0], EDGE_CERT_FILE,
	    &newest, &revoked, &when, &reason, &err) != EDGE_OK) {
		edge_check_add(f, "cert.revoked", EDGE_V_FAIL, NULL,
		    "edge-crl-update (replaces crl.pem with the hub's verified CRLs)",
		    "%s cannot be judged: %s", EDGE_CERT_FILE, err.msg);
		goto out;
	}
	d = json_object_new_object();
	json_object_object_add(d, "serial", json_object_new_string(sn));
	json_object_object_add(d, "revoked", json_object_new_boolean(revoked));
	if (newest == NULL) {
		edge_check_add(f, "cert.revoked", EDGE_V_WARN, d,
		    "edge-crl-update",
		    "%s holds no CRL of the issuer of %s (serial %s): not checked",
		    EDGE_CRL_FILE, EDGE_CERT_FILE, sn);
	} else if (revoked) {
		const char *rn = reason >= 0 ? edge_crl_reason_name(reason) : NULL;

		edge_x509_time(when, ws, sizeof(ws));
		json_object_object_add(d, "revoked_at",
		    json_object_new_string(ws));
		json_object_object_add(d, "reason",
		    rn ? json_object_new_string(rn) : NULL);
		edge_check_add(f, "cert.revoked", EDGE_V_FAIL, d,
		    "the hub refuses this certificate: edge-revoke --reset, then enrol again (edge-keygen, edge-csr, edge-activate)",
		    "%s (serial %s) is revoked since %s%s%s%s", EDGE_CERT_FILE,
		    sn, ws, rn ? " (" : "", rn ? rn : "", rn ? ")" : "");
	} else {
		edge_check_add(f, "cert.revoked", EDGE_V_OK, d, NULL,
		    "%s (serial %s) is not on its issuer's CRL (number %s)",
		    EDGE_CERT_FILE, sn, newest->facts.number[0] ?
		    newest->facts.number : "none");
	}
out:
	edge_crls_free(&crls);
}

static void
check_renewal(const struct edge_check_env *e, struct edge_findings *f,
    int hrc, const char *why, const char *origin, const char *file)
{
	json_object *d = json_object_new_object();
	bool unreadable = false;
	int timer;

	if (hrc == EDGE_EUSAGE) {
		json_object_object_add(d, "renewal",
		    json_object_new_string("control-node"));
		edge_check_add(f, "cert.renewal", EDGE_V_WARN, d,
		    "the control node must renew before cert.expiry's date (see README, Renewal); or credentials = FILE in edge.conf and systemctl enable --now edge-renew.timer",
		    "renewal belongs to the control node; nothing here renews (%s)",
		    why);
		return;
	}
	if (hrc != EDGE_OK) {
		/*
		 * Named but unreadable by this user: edge-renew.service loads
		 * root's /etc/edge/renew.credentials as a systemd credential.
		 */
		if (file[0] != '\0' && strncmp(file, "cred:", 5) != 0 &&
		    access(file, F_OK) == 0 && access(file, R_OK) != 0) {
			unreadable = true;
		} else {
			json_object_object_add(d, "renewal",
			    json_object_new_string("gateway"));
			edge_check_add(f, "cert.renewal", EDGE_V_FAIL, d,
			    "give edge.conf's credentials = FILE a readable 0600 file of org_id, access_key, secret_key",
			    "renewal by this gateway will fail: %s", why);
			return;
		}
	}
	json_object_object_add(d, "renewal", json_object_new_string("gateway"));
	json_object_object_add(d, "credentials", file[0] ?
	    json_object_new_string(file) : NULL);
	timer = unit_enabled("edge-renew.timer");
	json_object_object_add(d, "timer", timer < 0 ? NULL :
	    json_object_new_string(timer ? "enabled" : "disabled"));
	if (timer == 0)
		edge_check_add(f, "cert.renewal", EDGE_V_WARN, d,
		    "systemctl enable --now edge-renew.timer",
		    "gateway renews (application credentials: %s), but edge-renew.timer is not enabled: nothing runs the renewal",
		    origin[0] ? origin : CRED_DIRECT);
	else
		edge_check_add(f, "cert.renewal", EDGE_V_OK, d, NULL,
		    "gateway renews (application credentials: %s%s)%s",
		    origin[0] ? origin : CRED_DIRECT, unreadable ?
		    ", not readable by this user: edge-renew.service loads it" :
		    "", timer > 0 ? "; edge-renew.timer enabled" :
		    "; no systemd here: edge-renew.timer not checked");
	(void)e;
}

void
edge_check_cert(const struct edge_check_env *e, struct edge_findings *f)
{
	struct edge_certs cert = { 0 }, roots = { 0 };
	struct edge_error cerr = { 0 }, rerr = { 0 };
	char why[EDGE_ERR_MSG_MAX], origin[1200], file[1024];
	int crc, rrc, hrc;

	crc = read_certs(e, EDGE_CERT_FILE, &cert, &cerr);
	if (crc == EDGE_OK && cert.n == 0)
		crc = edge_err(&cerr, EDGE_EINPUT, "%s: no certificate",
		    EDGE_CERT_FILE);
	rrc = read_certs(e, EDGE_CA_FILE, &roots, &rerr);
	check_chain(e, f, &cert, crc, &cerr, &roots, rrc, &rerr);
	check_expiry(e, f, &cert, crc);
	check_revoked(e, f, &cert, crc, &roots, rrc);
	hrc = hub_credentials(e, why, sizeof(why), origin, sizeof(origin),
	    file, sizeof(file));
	check_renewal(e, f, hrc, why, origin, file);
	edge_certs_free(&cert);
	edge_certs_free(&roots);
}

/*
 * What edge-revoke --reset needs (cmd/edge-revoke.c reset()): with a
 * cert.pem, device.json to name the device and application credentials to
 * revoke it (a hub out of reach: --offline queues it in DIR, which must be
 * writable), and a writable DIR to destroy the key and secrets.
 */
void
edge_check_reset(const struct edge_check_env *e, struct edge_findings *f)
{
	struct edge_certs cert = { 0 };
	struct edge_error err = { 0 };
	char why[EDGE_ERR_MSG_MAX], origin[1200], file[1024], sn[128] = "";
	bool writable = faccessat(e->dirfd, ".", W_OK, AT_EACCESS) == 0;
	int werr = errno, hrc;
	json_object *d = json_object_new_object();

	json_object_object_add(d, "dir_writable",
	    json_object_new_boolean(writable));
	if (!writable) {
		edge_check_add(f, "reset.ready", EDGE_V_FAIL, d,
		    "run edge-revoke --reset as the state directory's owner, on a writable file system",
		    "%s is not writable here (%s): edge-revoke --reset could neither destroy the key and secrets nor queue the revocation in %s",
		    e->dir, strerror(werr), EDGE_PENDING_FILE);
		return;
	}
	if (!edge_file_exists(e->dirfd, EDGE_CERT_FILE)) {
		edge_check_add(f, "reset.ready", EDGE_V_OK, d, NULL,
		    "no %s: edge-revoke --reset has nothing to revoke and would destroy the key and secrets",
		    EDGE_CERT_FILE);
		return;
	}
	if (edge_certs_read(e->dirfd, EDGE_CERT_FILE, &cert, &err) != EDGE_OK ||
	    cert.n == 0 || edge_x509_serial_dec(cert.crt[0], sn, sizeof(sn)) != EDGE_OK) {
		edge_certs_free(&cert);
		edge_check_add(f, "reset.ready", EDGE_V_FAIL, d, NULL,
		    "edge-revoke --reset cannot read the serial to revoke: %s",
		    err.msg[0] ? err.msg : "unreadable serial");
		return;
	}
	edge_certs_free(&cert);
	json_object_object_add(d, "serial", json_object_new_string(sn));
	if (!edge_device_exists(e->dirfd)) {
		edge_check_add(f, "reset.ready", EDGE_V_FAIL, d,
		    "revoke from the control node: edge-revoke --serial SN --product-key PK --device-key DK",
		    "%s present but no %s: edge-revoke --reset cannot name the device to the hub",
		    EDGE_CERT_FILE, EDGE_DEVICE_FILE);
		return;
	}
	hrc = hub_credentials(e, why, sizeof(why), origin, sizeof(origin),
	    file, sizeof(file));
	json_object_object_add(d, "credentials",
	    json_object_new_boolean(hrc == EDGE_OK));
	if (hrc == EDGE_EUSAGE) {
		edge_check_add(f, "reset.ready", EDGE_V_WARN, d,
		    "the control node revokes: edge-revoke --serial SN there; or give this gateway credentials = FILE in edge.conf",
		    "edge-revoke --reset would refuse: no application credentials to revoke serial %s (%s)",
		    sn, why);
	} else if (hrc != EDGE_OK) {
		edge_check_add(f, "reset.ready", EDGE_V_FAIL, d,
		    "give edge.conf's credentials = FILE a readable 0600 file",
		    "edge-revoke --reset would fail: %s", why);
	} else {
		edge_check_add(f, "reset.ready", EDGE_V_OK, d, NULL,
		    "edge-revoke --reset can revoke serial %s (application credentials: %s; hub reachable: see tls.api) or, with --offline, queue it in %s",
		    sn, origin[0] ? origin : CRED_DIRECT, EDGE_PENDING_FILE);
	}
}
