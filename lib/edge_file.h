/* SPDX-License-Identifier: MIT */
#ifndef EDGE_FILE_H
#define EDGE_FILE_H

/*
 * The state directory and secure, atomic files.
 *
 * Every file of the state directory is reached through a directory fd opened
 * once (edge_dir_open), so a path cannot be swapped under a tool by a symlink
 * race, and every stored file is replaced atomically: temporary file in the
 * same directory created O_EXCL|O_NOFOLLOW with its final mode (never wider,
 * not even for an instant), write, fsync, renameat, fsync of the directory.
 * A reader therefore sees the old file or the new one, never a mix.
 * Never prints.
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "edge_err.h"

#define EDGE_FILE_MAX		(1024 * 1024)	/* default read cap for PEM/JSON */
#define EDGE_MODE_PRIVATE	0600
#define EDGE_MODE_PUBLIC	0644

/*
 * Open the directory at path: it must exist and be a directory; a symlink as
 * the last component is refused.  On success *dirfd is an O_DIRECTORY fd the
 * caller closes.  Errors: EDGE_ESTORE.
 */
int edge_dir_open(const char *path, int *dirfd, struct edge_error *err);

/*
 * Take an exclusive flock() on the state directory dirfd itself, so that one
 * tool at a time reads, changes and rewrites its shared files (crl.pem with
 * ca.pem, the revocation queue).  The lock is on the directory, not on a
 * file in it: nothing is created (it works on a full or read-only disk and
 * leaves the directory as it was), and a script takes the same lock with
 * flock(1) DIR.  Waits up to wait seconds for another holder (0: not at all),
 * then EDGE_ETEMP.  Held until dirfd is closed.  Errors: EDGE_ETEMP,
 * EDGE_ESTORE (flock failed otherwise).
 */
int edge_dir_lock(int dirfd, unsigned wait, struct edge_error *err);

/*
 * Remove the temporary files that writers killed mid-write left in dirfd:
 * names ".NAME.PID.XXXXXXXX.tmp" exactly as edge_file_atomic_begin() makes
 * them, regular files owned by this user, whose writer PID no longer exists
 * (kill(PID, 0) fails with ESRCH) and whose writer's lock is not held.
 * Nothing else is touched: no other name, no symlink (never followed; the
 * unlink is relative to dirfd), no file of a live writer.  *removed (may be
 * NULL) receives the count.  Best effort; errors: EDGE_ESTORE when dirfd
 * cannot be listed.
 */
int edge_dir_clean_stale(int dirfd, unsigned *removed);

/*
 * True when name is a temporary file of edge_file_atomic_begin(),
 * ".NAME.PID.XXXXXXXX.tmp"; *pid receives PID.
 */
bool edge_file_is_tmp(const char *name, pid_t *pid);

/*
 * Replace (or create) name inside dirfd with len bytes of data, atomically,
 * with the given mode (EDGE_MODE_PRIVATE or EDGE_MODE_PUBLIC).  On any
 * failure the old file, if any, is untouched and no temporary file remains.
 * Errors: EDGE_ESTORE (message names the file and the errno text).
 */
int edge_file_write_atomic(int dirfd, const char *name, const void *data,
    size_t len, mode_t mode, struct edge_error *err);

/*
 * The same, written in pieces (for large files): begin creates the hidden
 * temporary file, write appends, commit fsyncs, renames and fsyncs the
 * directory, abort removes the temporary file.  After an error from write or
 * commit the file is already aborted.  Abort may always be called again: it
 * does nothing after a commit, a failed begin or an earlier abort (so a
 * struct edge_atomic initialised with .fd = -1 can be aborted on any path).
 * The temporary file is ".NAME.PID.XXXXXXXX.tmp" (random part from
 * getrandom()), flock()ed while open.
 *
 * Only a regular file (or a symlink, which is replaced, never followed) is
 * renamed over.  An existing character device or FIFO (-o /dev/null, a pipe
 * to a reader) is opened and written directly, with no temporary file and
 * no atomicity (a FIFO's open waits for a reader); private data is never
 * written to a terminal.  A directory, socket or block device is refused
 * with EDGE_ESTORE "NAME: is a ...; refusing to replace it".  The same holds
 * for edge_file_write_atomic() and edge_file_write_path().
 */
struct edge_atomic {
	int dirfd;
	int fd;
	bool direct;	/* writing into an existing device or FIFO */
	char name[256];
	char tmp[300];
};
int edge_file_atomic_begin(int dirfd, const char *name, mode_t mode,
    struct edge_atomic *a, struct edge_error *err);
int edge_file_atomic_write(struct edge_atomic *a, const void *data, size_t len,
    struct edge_error *err);
int edge_file_atomic_commit(struct edge_atomic *a, struct edge_error *err);
void edge_file_atomic_abort(struct edge_atomic *a);

/*
 * Like edge_file_write_atomic but for a path given by the user: the file is
 * written in the directory part of path.  path "-" writes to stdout (only for
 * public data: the caller refuses "-" for private keys).
 */
int edge_file_write_path(const char *path, const void *data, size_t len,
    mode_t mode, struct edge_error *err);

/*
 * Read the whole regular file name (relative to dirfd; dirfd may be
 * AT_FDCWD) without following a final symlink, at most max bytes (more is
 * EDGE_EINPUT "too large").  name "-" reads stdin.  *data is NUL-terminated
 * and the caller frees it with free() (or edge_file_free_private() when it
 * holds secret material).  Errors: EDGE_ESTORE (cannot open/read),
 * EDGE_EINPUT (not a regular file, too large, or a missing state file that
 * another step makes: "ca.pem: missing; run edge-activate first").
 */
int edge_file_read(int dirfd, const char *name, size_t max, char **data,
    size_t *len, struct edge_error *err);

/* Wipe and free a buffer from edge_file_read; accepts NULL, sets *data NULL. */
void edge_file_free_private(char **data, size_t len);

/* True when name exists in dirfd (without following a final symlink). */
bool edge_file_exists(int dirfd, const char *name);

/*
 * Remove name from dirfd.  With shred, a regular file is first overwritten
 * with zeros and fsynced (best effort on flash, see the man page).  A missing
 * file is not an error.  The directory is fsynced.  Errors: EDGE_ESTORE.
 */
int edge_file_remove(int dirfd, const char *name, bool shred,
    struct edge_error *err);

#endif
