/* SPDX-License-Identifier: MIT */
#ifndef EDGE_CHECK_H
#define EDGE_CHECK_H

/*
 * edge-check's findings: the seed's edge security best practices, each
 * checked now on this gateway and given a verdict (ok, warn, fail, or skip
 * when it cannot be judged here), what was found and what to do.  The checks
 * live in edge_check_<subject>.c, one function per subject, each adding its
 * findings in a fixed order; cmd/edge-check.c runs them and prints.  Never
 * prints.
 */

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <json-c/json.h>

#include "edge_err.h"

enum edge_verdict {
	EDGE_V_OK,
	EDGE_V_SKIP,	/* cannot be judged here (no systemd, --online not given) */
	EDGE_V_WARN,
	EDGE_V_FAIL,
};

#define EDGE_CHECK_WHAT_MAX	384
#define EDGE_CHECK_FIX_MAX	256

struct edge_finding {
	char id[40];			/* stable name for scripts: "key.storage" */
	enum edge_verdict verdict;
	char what[EDGE_CHECK_WHAT_MAX];	/* what was found, one line */
	char fix[EDGE_CHECK_FIX_MAX];	/* what to do; "" when nothing */
	json_object *data;		/* typed values for --json, or NULL */
};

struct edge_findings {
	struct edge_finding *v;
	size_t n, cap;
	bool lost;		/* a finding could not be stored: the set fails */
};

/* What every check may look at; filled once by edge-check. */
struct edge_check_env {
	int dirfd;		/* the state directory */
	const char *dir;	/* its path, for messages */
	time_t now;		/* the system clock, read once */
	long renew_days;	/* the renewal window (--renew-within) */
	long crl_grace;		/* seconds after nextUpdate (--crl-grace) */
	bool online;		/* --online: the hub may be contacted */
	bool have_pin;		/* a token PIN was given (edge_p11_set_pin) */
	const char *api;	/* the hub API URL (--api, device.json), or NULL */
	const char *mqtt;	/* the broker URL (--mqtt, device.json), or NULL */
	const char *hub_ca;	/* CA bundle for the hub's HTTPS (--hub-ca), or NULL */
	const char *scan;	/* ':'-separated places for key.purpose (--scan) */
	/* edge-connect's trust options, from the same config layers */
	const char *ca;		/* --ca: the broker's roots, NULL: DIR/ca.pem */
	const char *server_name; /* --server-name, NULL: the broker's host */
	bool no_verify_hostname; /* --no-verify-hostname */
	const char *hub_pin;	/* --hub-pin, NULL: none */
	const char *hub_pin_error; /* --hub-pin malformed: why, else NULL */
};

/*
 * Add a finding.  data (may be NULL) is owned by the set from here on; fix
 * may be NULL or "" (nothing to do).  Out of memory: the finding is lost and
 * the set remembers it (edge_findings_worst then says fail).
 */
void edge_check_add(struct edge_findings *f, const char *id,
    enum edge_verdict v, json_object *data, const char *fix,
    const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/*
 * The set's verdict: fail, else warn, else ok; skip only when every check
 * was skipped (ok for an empty set).
 */
enum edge_verdict edge_findings_worst(const struct edge_findings *f);

/* Counts per verdict, indexed by enum edge_verdict. */
void edge_findings_count(const struct edge_findings *f, size_t count[4]);

/* "ok", "skip", "warn", "fail". */
const char *edge_verdict_name(enum edge_verdict v);

/*
 * The findings as a JSON array of {"id","verdict","what","fix"?, "data"?},
 * in the order they were added.  NULL when out of memory.
 */
json_object *edge_findings_json(const struct edge_findings *f);

void edge_findings_free(struct edge_findings *f);

/*
 * Who this gateway is, for a fleet view (examples/ansible/audit.yml): adds
 * to out what can be read without a PIN or the hub: "device_key" and
 * "serial" (device.json), "cert_sn" (decimal) and "cert_sha256" (the
 * certificate's fingerprint), "key_id" (sha256:... of the public key, from
 * the key or else cert.pem).  Missing items are left out.
 */
void edge_check_identity(const struct edge_check_env *e, json_object *out);

/*
 * The checks, one function per subject (edge_check_<subject>.c).  Each adds
 * its findings to f and never fails as a whole: what it cannot read becomes
 * a finding that says so.
 */
void edge_check_key(const struct edge_check_env *e, struct edge_findings *f);
void edge_check_cert(const struct edge_check_env *e, struct edge_findings *f);
void edge_check_crl(const struct edge_check_env *e, struct edge_findings *f);
void edge_check_clock(const struct edge_check_env *e, struct edge_findings *f);
void edge_check_state(const struct edge_check_env *e, struct edge_findings *f);
void edge_check_reset(const struct edge_check_env *e, struct edge_findings *f);
void edge_check_transport(const struct edge_check_env *e, struct edge_findings *f);
void edge_check_host(const struct edge_check_env *e, struct edge_findings *f);

/*
 * clock.hub's Date: an RFC 7231 IMF-fixdate exactly ("Sun, 06 Nov 1994
 * 08:49:37 GMT"), years 1970 to 9999; 0 when it does not parse.
 */
time_t edge_check_imf_fixdate(const char *v);

#endif
