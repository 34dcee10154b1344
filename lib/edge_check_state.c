/* SPDX-License-Identifier: MIT */
/*
 * edge-check's state.dir: the state directory's owner and mode, and each
 * state file's type, owner and mode, read with fstatat on the directory's
 * descriptor without following links.  Reads only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "edge_check.h"
#include "edge_state.h"

enum kind { PRIVATE, PUBLIC, SUBDIR };

/* Every name a tool keeps in DIR (edge_state.h), with what it must be. */
static const struct {
	const char *name;
	enum kind kind;
} files[] = {
	{ EDGE_KEY_PEM, PRIVATE },
	{ EDGE_DEVICE_SECRET, PRIVATE },
	{ EDGE_RENEW_CREDENTIALS, PRIVATE },
	{ EDGE_HUB_TOKEN_FILE, PRIVATE },
	{ EDGE_PENDING_FILE, PRIVATE },
	{ EDGE_KEY_PEM_NEW, PRIVATE },
	{ EDGE_CONF_FILE, PUBLIC },
	{ EDGE_KEY_URI, PUBLIC },
	{ EDGE_CSR_FILE, PUBLIC },
	{ EDGE_DEVICE_FILE, PUBLIC },
	{ EDGE_CERT_FILE, PUBLIC },
	{ EDGE_CA_FILE, PUBLIC },
	{ EDGE_CRL_FILE, PUBLIC },
	{ EDGE_TIME_FILE, PUBLIC },
	{ EDGE_KEY_URI_NEW, PUBLIC },
	{ EDGE_CSR_NEW, PUBLIC },
	{ EDGE_OUTBOX_DIR, SUBDIR },
};

struct state {
	enum edge_verdict v;
	char what[EDGE_CHECK_WHAT_MAX];
	char fix[EDGE_CHECK_FIX_MAX];
	json_object *problems;
};

static void __attribute__((format(printf, 4, 5)))
problem(struct state *s, enum edge_verdict v, const char *fix,
    const char *fmt, ...)
{
	char line[256];
	va_list ap;
	size_t n = strlen(s->what);

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	json_object_array_add(s->problems, json_object_new_string(line));
	/* The worst problems first in the one-line summary and the fix. */
	if (v > s->v) {
		s->v = v;
		snprintf(s->fix, sizeof(s->fix), "%s", fix);
		snprintf(s->what, sizeof(s->what), "%s", line);
	} else if (v == s->v && n + 2 < sizeof(s->what)) {
		snprintf(s->what + n, sizeof(s->what) - n, "; %s", line);
	}
}

/* A mode as scripts and stat(1) spell it: "0600". */
static json_object *
octal(unsigned mode)
{
	char buf[8];

	snprintf(buf, sizeof(buf), "%04o", mode);
	return json_object_new_string(buf);
}

static const char *
type_name(mode_t m)
{
	return S_ISREG(m) ? "file" : S_ISDIR(m) ? "directory" :
	    S_ISLNK(m) ? "symlink" : "other";
}

static void
check_file(const struct edge_check_env *e, struct state *s, uid_t owner,
    const char *name, enum kind kind, json_object *list)
{
	char fix[EDGE_CHECK_FIX_MAX];
	unsigned mode;
	struct stat st;
	json_object *o;

	if (fstatat(e->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		if (errno != ENOENT)
			problem(s, EDGE_V_FAIL, "check the state directory's permissions",
			    "%s: %s", name, strerror(errno));
		return;
	}
	mode = (unsigned)(st.st_mode & 07777);
	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string(type_name(st.st_mode)));
	json_object_object_add(o, "mode", octal(mode));
	json_object_object_add(o, "owner", json_object_new_int64(st.st_uid));
	json_object_object_add(o, "private", json_object_new_boolean(kind == PRIVATE));
	json_object_object_add(list, name, o);
	if (S_ISLNK(st.st_mode)) {
		snprintf(fix, sizeof(fix), "replace %s/%s with the file itself (the tools refuse a link)",
		    e->dir, name);
		problem(s, EDGE_V_FAIL, fix, "%s: a symbolic link", name);
		return;
	}
	if (kind == SUBDIR ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) {
		snprintf(fix, sizeof(fix), "remove %s/%s; the tools make it again",
		    e->dir, name);
		problem(s, EDGE_V_FAIL, fix, "%s: a %s, not a %s", name,
		    type_name(st.st_mode), kind == SUBDIR ? "directory" : "regular file");
		return;
	}
	if (st.st_uid != owner) {
		snprintf(fix, sizeof(fix), "chown %u %s/%s", (unsigned)owner, e->dir,
		    name);
		problem(s, EDGE_V_FAIL, fix, "%s: owned by uid %u, not by the directory's owner (uid %u)",
		    name, (unsigned)st.st_uid, (unsigned)owner);
	}
	if (kind == PRIVATE && (mode & 077) != 0) {
		snprintf(fix, sizeof(fix), "chmod 0600 %s/%s", e->dir, name);
		problem(s, EDGE_V_FAIL, fix, "%s: mode %04o, a private file must be 0600",
		    name, mode);
	} else if (kind != PRIVATE && (mode & 022) != 0) {
		snprintf(fix, sizeof(fix), "chmod go-w %s/%s", e->dir, name);
		problem(s, EDGE_V_FAIL, fix, "%s: mode %04o, writable by group or others",
		    name, mode);
	} else if (kind == SUBDIR && (mode & 077) != 0) {
		snprintf(fix, sizeof(fix), "chmod 0700 %s/%s", e->dir, name);
		problem(s, EDGE_V_WARN, fix, "%s: mode %04o, readable by group or others (0700 recommended)",
		    name, mode);
	}
}

void
edge_check_state(const struct edge_check_env *e, struct edge_findings *f)
{
	struct state s = { .v = EDGE_V_OK };
	char fix[EDGE_CHECK_FIX_MAX];
	json_object *d, *list;
	struct stat st;
	uid_t euid = geteuid();
	unsigned mode;
	size_t i;

	if (fstat(e->dirfd, &st) != 0) {
		edge_check_add(f, "state.dir", EDGE_V_FAIL, NULL, NULL, "%s: %s",
		    e->dir, strerror(errno));
		return;
	}
	mode = (unsigned)(st.st_mode & 07777);
	d = json_object_new_object();
	list = json_object_new_object();
	s.problems = json_object_new_array();
	json_object_object_add(d, "dir", json_object_new_string(e->dir));
	json_object_object_add(d, "mode", octal(mode));
	json_object_object_add(d, "owner", json_object_new_int64(st.st_uid));
	json_object_object_add(d, "euid", json_object_new_int64(euid));
	/*
	 * The tools refuse a directory another user owns; root may audit the
	 * edge user's directory, whose files are then judged against its owner.
	 */
	if (st.st_uid != euid && euid != 0) {
		snprintf(fix, sizeof(fix), "run edge-check as the edge user, or chown it to that user");
		problem(&s, EDGE_V_FAIL, fix,
		    "%s: owned by uid %u, not by this user (uid %u); the tools refuse it",
		    e->dir, (unsigned)st.st_uid, (unsigned)euid);
	}
	if (mode & 022) {
		snprintf(fix, sizeof(fix), "chmod 0700 %s", e->dir);
		problem(&s, EDGE_V_FAIL, fix,
		    "%s: mode %04o, writable by group or others (the tools refuse it)",
		    e->dir, mode);
	} else if (mode & 077) {
		snprintf(fix, sizeof(fix), "chmod 0700 %s", e->dir);
		problem(&s, EDGE_V_WARN, fix,
		    "%s: mode %04o, readable by group or others (0700 recommended)",
		    e->dir, mode);
	}
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		check_file(e, &s, st.st_uid, files[i].name, files[i].kind, list);
	json_object_object_add(d, "files", list);
	json_object_object_add(d, "problems", s.problems);
	if (s.v == EDGE_V_OK)
		edge_check_add(f, "state.dir", EDGE_V_OK, d, NULL,
		    "%s: mode %04o, owner uid %u; %d state file(s) with right owner and modes, private ones 0600",
		    e->dir, mode, (unsigned)st.st_uid, json_object_object_length(list));
	else
		edge_check_add(f, "state.dir", s.v, d, s.fix, "%s", s.what);
}
