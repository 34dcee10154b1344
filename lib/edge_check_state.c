/* SPDX-License-Identifier: MIT */
/*
 * edge-check's state.dir: the state directory's owner and mode, and each
 * state file's type, owner and mode, read with fstatat on the directory's
 * descriptor without following links.  Reads only.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "edge_check.h"
#include "edge_file.h"
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

/* A fix naming a file: cut when the path is long (no truncation warning). */
static void __attribute__((format(printf, 3, 4)))
fix_fmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* Entries looked at in DIR and in outbox/, at most. */
#define STATE_ENTRIES_MAX 10000

/* A name of the table (a dotfile the tools make: a rotation under way). */
static bool
known(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (strcmp(files[i].name, name) == 0)
			return true;
	return false;
}

static DIR *
open_list(int dirfd, const char *name, int flags)
{
	DIR *d;
	int fd;

	/* Its own open file: never moves the offset of e->dirfd. */
	if ((fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
	    flags)) < 0)
		return NULL;
	if ((d = fdopendir(fd)) == NULL)
		close(fd);
	return d;
}

static void
leftover(const struct edge_check_env *e, struct state *s, const char *sub,
    const char *name, json_object *list)
{
	char fix[EDGE_CHECK_FIX_MAX];
	const char *slash = *sub ? "/" : "";

	json_object_array_add(list, json_object_new_string(name));
	fix_fmt(fix, sizeof(fix),
	    "remove it when no tool runs (the next run of a tool removes it too): rm %s/%s%s%s",
	    e->dir, sub, slash, name);
	problem(s, EDGE_V_WARN, fix,
	    "%s%s%s: left over, a tool was killed mid-write", sub, slash, name);
}

/*
 * DIR's dotfiles: a tool's leftover temporary file (".NAME.PID.XXXXXXXX.tmp")
 * or a name no tool makes; both are listed (warn).
 */
static void
check_dotfiles(const struct edge_check_env *e, struct state *s,
    json_object *leftovers, json_object *unknown)
{
	struct dirent *de;
	char fix[EDGE_CHECK_FIX_MAX];
	unsigned n = 0;
	pid_t pid;
	DIR *d;

	if ((d = open_list(e->dirfd, ".", 0)) == NULL)
		return;
	while ((de = readdir(d)) != NULL && n++ < STATE_ENTRIES_MAX) {
		const char *nm = de->d_name;

		if (nm[0] != '.' || strcmp(nm, ".") == 0 ||
		    strcmp(nm, "..") == 0 || known(nm))
			continue;
		if (edge_file_is_tmp(nm, &pid)) {
			leftover(e, s, "", nm, leftovers);
			continue;
		}
		json_object_array_add(unknown, json_object_new_string(nm));
		fix_fmt(fix, sizeof(fix), "look at %s/%s: no edgecert tool makes it",
		    e->dir, nm);
		problem(s, EDGE_V_WARN, fix, "%s: a dotfile the tools do not make",
		    nm);
	}
	closedir(d);
}

/* outbox/'s files: private ones (telemetry), 0600 and the directory's owner's. */
static unsigned
check_outbox(const struct edge_check_env *e, struct state *s, uid_t owner,
    json_object *leftovers)
{
	char fix[EDGE_CHECK_FIX_MAX];
	struct dirent *de;
	struct stat st;
	unsigned n = 0, mode;
	pid_t pid;
	DIR *d;
	int dfd;

	if ((d = open_list(e->dirfd, EDGE_OUTBOX_DIR, O_NOFOLLOW)) == NULL)
		return 0;
	dfd = dirfd(d);
	while ((de = readdir(d)) != NULL && n < STATE_ENTRIES_MAX) {
		const char *nm = de->d_name;

		if (strcmp(nm, ".") == 0 || strcmp(nm, "..") == 0)
			continue;
		n++;
		if (edge_file_is_tmp(nm, &pid)) {
			leftover(e, s, EDGE_OUTBOX_DIR, nm, leftovers);
			continue;
		}
		if (dfd < 0 || fstatat(dfd, nm, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		mode = (unsigned)(st.st_mode & 07777);
		if (!S_ISREG(st.st_mode)) {
			fix_fmt(fix, sizeof(fix), "remove %s/" EDGE_OUTBOX_DIR "/%s",
			    e->dir, nm);
			problem(s, EDGE_V_FAIL, fix, EDGE_OUTBOX_DIR "/%s: a %s, not a regular file",
			    nm, type_name(st.st_mode));
			continue;
		}
		if (st.st_uid != owner) {
			fix_fmt(fix, sizeof(fix), "chown %u %s/" EDGE_OUTBOX_DIR "/%s",
			    (unsigned)owner, e->dir, nm);
			problem(s, EDGE_V_FAIL, fix,
			    EDGE_OUTBOX_DIR "/%s: owned by uid %u, not by the directory's owner (uid %u)",
			    nm, (unsigned)st.st_uid, (unsigned)owner);
		}
		if ((mode & 077) != 0) {
			fix_fmt(fix, sizeof(fix), "chmod 0600 %s/" EDGE_OUTBOX_DIR "/%s",
			    e->dir, nm);
			problem(s, EDGE_V_FAIL, fix,
			    EDGE_OUTBOX_DIR "/%s: mode %04o, a private file must be 0600",
			    nm, mode);
		}
	}
	closedir(d);
	return n;
}

void
edge_check_state(const struct edge_check_env *e, struct edge_findings *f)
{
	struct state s = { .v = EDGE_V_OK };
	char fix[EDGE_CHECK_FIX_MAX];
	json_object *d, *list, *leftovers, *unknown;
	struct stat st;
	unsigned nout;
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
	leftovers = json_object_new_array();
	unknown = json_object_new_array();
	check_dotfiles(e, &s, leftovers, unknown);
	nout = check_outbox(e, &s, st.st_uid, leftovers);
	json_object_object_add(d, "outbox_files", json_object_new_int64(nout));
	json_object_object_add(d, "leftovers", leftovers);
	json_object_object_add(d, "unknown_dotfiles", unknown);
	json_object_object_add(d, "problems", s.problems);
	if (s.v == EDGE_V_OK)
		edge_check_add(f, "state.dir", EDGE_V_OK, d, NULL,
		    "%s: mode %04o, owner uid %u; %d state file(s) with right owner and modes, private ones 0600",
		    e->dir, mode, (unsigned)st.st_uid, json_object_object_length(list));
	else
		edge_check_add(f, "state.dir", s.v, d, s.fix, "%s", s.what);
}
