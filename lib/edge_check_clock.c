/* SPDX-License-Identifier: MIT */
/*
 * edge-check's clock: the system clock against DIR/trusted-time
 * (clock.trusted) and the kernel's synchronisation state (clock.ntp).
 * Reads only: trusted-time is never moved.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/timex.h>
#include <sys/wait.h>
#include <unistd.h>

#include "edge_check.h"
#include "edge_check_host.h"
#include "edge_exec.h"
#include "edge_time.h"
#include "edge_x509.h"

static void
check_trusted(const struct edge_check_env *e, struct edge_findings *f)
{
	struct edge_error err = { 0 };
	char source[128] = "", when[32], clock[32];
	struct stat st;
	time_t trusted;
	bool far = false;
	json_object *d;
	long long delta;

	if (fstatat(e->dirfd, EDGE_TIME_FILE, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		if (errno == ENOENT)
			edge_check_add(f, "clock.trusted", EDGE_V_SKIP, NULL, NULL,
			    "no trusted-time yet: nothing verified has proven a time (edge-activate, edge-crl-update or edge-connect record it)");
		else
			edge_check_add(f, "clock.trusted", EDGE_V_FAIL, NULL,
			    "check the state directory's permissions",
			    "trusted-time: %s", strerror(errno));
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		edge_check_add(f, "clock.trusted", EDGE_V_FAIL, NULL,
		    "remove it; the tools record it again from verified evidence",
		    "trusted-time: not a regular file (%s)",
		    S_ISLNK(st.st_mode) ? "a symbolic link" : "a special file");
		return;
	}
	if ((trusted = edge_time_trusted(e->dirfd, source, sizeof(source))) == 0) {
		edge_check_add(f, "clock.trusted", EDGE_V_WARN, NULL,
		    "edge-crl-update records it again from a verified CRL",
		    "trusted-time: unreadable or not a time; the clock cannot be checked against it");
		return;
	}
	edge_x509_time(trusted, when, sizeof(when));
	edge_x509_time(e->now, clock, sizeof(clock));
	delta = (long long)e->now - (long long)trusted;
	d = json_object_new_object();
	json_object_object_add(d, "trusted_time", json_object_new_int64(trusted));
	json_object_object_add(d, "trusted_source", json_object_new_string(source));
	json_object_object_add(d, "system_time", json_object_new_int64(e->now));
	json_object_object_add(d, "ahead_seconds", json_object_new_int64(delta));
	json_object_object_add(d, "tolerance", json_object_new_int64(EDGE_TIME_TOLERANCE));
	if (edge_time_check(e->dirfd, e->now, EDGE_TIME_TOLERANCE, &far, &err) != EDGE_OK)
		edge_check_add(f, "clock.trusted", EDGE_V_FAIL, d,
		    "set the clock (enable NTP: systemd-timesyncd or chrony); the edge refuses certificates and CRLs until it is right",
		    "%s (%lld s behind, tolerance %d s)", err.msg, -delta,
		    EDGE_TIME_TOLERANCE);
	else if (far)
		edge_check_add(f, "clock.trusted", EDGE_V_WARN, d,
		    "check the clock (NTP); a clock far ahead makes certificates and CRLs look expired",
		    "system clock %s is %lld days ahead of trusted time %s (from %s)",
		    clock, delta / 86400, when, source[0] ? source : "a verified source");
	else if (delta < 0)
		edge_check_add(f, "clock.trusted", EDGE_V_OK, d, NULL,
		    "system clock %s is %lld s behind trusted time %s (from %s), within the tolerance of %d s",
		    clock, -delta, when, source[0] ? source : "a verified source",
		    EDGE_TIME_TOLERANCE);
	else
		edge_check_add(f, "clock.trusted", EDGE_V_OK, d, NULL,
		    "system clock %s is not behind trusted time %s (from %s)",
		    clock, when, source[0] ? source : "a verified source");
}

/* timedatectl's NTPSynchronized where systemd runs: 1 yes, 0 no, -1 unknown. */
static int
timedatectl_synced(char *prog, size_t len)
{
	static const char *const dirs[] = { "/usr/bin", "/bin", NULL };
	const char *const argv[] = { "timedatectl", "show", "--property=NTPSynchronized",
	    "--value", NULL };
	const char *const env[] = { "LC_ALL=C", "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
	    "SYSTEMD_PAGER=", NULL };
	char *out = NULL;
	int status, r = -1;

	if (access("/run/systemd/system", F_OK) != 0 ||
	    !edge_check_find_prog("timedatectl", dirs, prog, len))
		return -1;
	if (edge_exec_argv(prog, argv, env, 4096, 5000, &out, NULL, &status,
	    NULL) != EDGE_OK)
		return -1;
	if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		r = strncmp(out, "yes", 3) == 0 ? 1 : strncmp(out, "no", 2) == 0 ?
		    0 : -1;
	free(out);
	return r;
}

static void
check_ntp(struct edge_findings *f)
{
	struct timex tx;
	char prog[256];
	json_object *d = json_object_new_object();
	int state, td, e;
	bool unsync;

	memset(&tx, 0, sizeof(tx));	/* modes 0: read only, no privilege */
	state = adjtimex(&tx);
	e = errno;
	td = timedatectl_synced(prog, sizeof(prog));
	if (td >= 0)
		json_object_object_add(d, "ntp_synchronized",
		    json_object_new_boolean(td == 1));
	if (state < 0) {
		edge_check_add(f, "clock.ntp", td == 1 ? EDGE_V_OK : EDGE_V_WARN, d,
		    td == 1 ? NULL : "enable time synchronisation: systemd-timesyncd or chrony",
		    "adjtimex: %s%s", strerror(e), td < 0 ? "" : td == 1 ?
		    "; timedatectl: synchronised" : "; timedatectl: not synchronised");
		return;
	}
	unsync = (tx.status & STA_UNSYNC) != 0 || state == TIME_ERROR;
	json_object_object_add(d, "synchronized", json_object_new_boolean(!unsync));
	json_object_object_add(d, "clock_state", json_object_new_int(state));
	json_object_object_add(d, "sta_unsync",
	    json_object_new_boolean((tx.status & STA_UNSYNC) != 0));
	json_object_object_add(d, "maxerror_us", json_object_new_int64(tx.maxerror));
	json_object_object_add(d, "esterror_us", json_object_new_int64(tx.esterror));
	if (unsync)
		edge_check_add(f, "clock.ntp", EDGE_V_WARN, d,
		    "enable time synchronisation: systemctl enable --now systemd-timesyncd (or install chrony)",
		    "the kernel clock is not synchronised (adjtimex: %s%s, max error %ld us)%s",
		    (tx.status & STA_UNSYNC) ? "STA_UNSYNC" : "",
		    state == TIME_ERROR ? ((tx.status & STA_UNSYNC) ?
		    ", TIME_ERROR" : "TIME_ERROR") : "", (long)tx.maxerror,
		    td == 0 ? "; timedatectl: NTPSynchronized=no" : "");
	else
		edge_check_add(f, "clock.ntp", EDGE_V_OK, d, NULL,
		    "the kernel clock is synchronised (adjtimex: estimated error %ld us, max %ld us)%s",
		    (long)tx.esterror, (long)tx.maxerror,
		    td == 1 ? "; timedatectl: NTPSynchronized=yes" : "");
}

void
edge_check_clock(const struct edge_check_env *e, struct edge_findings *f)
{
	check_trusted(e, f);
	check_ntp(f);
}
