/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "edge_file.h"
#include "edge_state.h"

int
edge_dir_open(const char *path, int *dirfd, struct edge_error *err)
{
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP || (errno == ENOTDIR &&
		    lstat(path, &st) == 0 && S_ISLNK(st.st_mode)))
			return edge_err(err, EDGE_ESTORE,
			    "%s: state directory is a symbolic link; refusing to follow it",
			    path);
		return edge_err(err, EDGE_ESTORE, "%s: %s", path,
		    strerror(errno));
	}
	*dirfd = fd;
	return EDGE_OK;
}

int
edge_dir_lock(int dirfd, unsigned wait, struct edge_error *err)
{
	const struct timespec step = { 0, 100 * 1000 * 1000 };
	unsigned long tries = (unsigned long)wait * 10;

	/* Polled, not blocking: a bounded wait needs no signal handler. */
	while (flock(dirfd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK)
			return edge_err(err, EDGE_ESTORE,
			    "cannot lock the state directory: %s", strerror(errno));
		if (tries-- == 0)
			return edge_err(err, EDGE_ETEMP,
			    "the state directory is locked by another edge tool");
		(void)nanosleep(&step, NULL);
	}
	return EDGE_OK;
}

static int
write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A temporary name's random part, from the kernel: never predictable. */
static unsigned long
tmp_random(void)
{
	uint32_t r = 0;

	while (getrandom(&r, sizeof(r), 0) < 0 && errno == EINTR)
		;
	return r;
}

/*
 * An existing character device or FIFO (say -o /dev/null, or a pipe to a
 * reader) is written in place: renaming over it would replace the node
 * with a regular file (as root, breaking /dev/null for the whole machine).
 * A private file never goes to a terminal.
 */
static int
begin_direct(struct edge_atomic *a, mode_t mode, struct edge_error *err)
{
	struct stat st;
	int fd, e;

	fd = openat(a->dirfd, a->name, O_WRONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NOCTTY);
	if (fd < 0) {
		e = errno;
		return edge_err(err, EDGE_ESTORE, "%s: cannot write: %s", a->name,
		    strerror(e));
	}
	/* Checked again on the open file: the name may have changed since. */
	if (fstat(fd, &st) != 0 || !(S_ISCHR(st.st_mode) ||
	    S_ISFIFO(st.st_mode))) {
		close(fd);
		return edge_err(err, EDGE_ESTORE,
		    "%s: changed while being opened; not written", a->name);
	}
	if (mode == EDGE_MODE_PRIVATE && isatty(fd)) {
		close(fd);
		return edge_err(err, EDGE_ESTORE,
		    "%s: is a terminal; refusing to write private data to it",
		    a->name);
	}
	a->fd = fd;
	a->direct = true;
	return EDGE_OK;
}

int
edge_file_atomic_begin(int dirfd, const char *name, mode_t mode,
    struct edge_atomic *a, struct edge_error *err)
{
	struct stat st;
	unsigned attempt;

	memset(a, 0, sizeof(*a));
	a->dirfd = dirfd;
	a->fd = -1;
	if (strlen(name) >= sizeof(a->name))
		return edge_err(err, EDGE_ESTORE, "%s: name too long", name);
	memcpy(a->name, name, strlen(name) + 1);
	/* Only a regular file (or a symlink, itself) is replaced by rename. */
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))
			return begin_direct(a, mode, err);
		if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
			return edge_err(err, EDGE_ESTORE,
			    "%s: is a %s; refusing to replace it", name,
			    S_ISDIR(st.st_mode) ? "directory" :
			    S_ISSOCK(st.st_mode) ? "socket" :
			    S_ISBLK(st.st_mode) ? "block device" :
			    "special file");
	}
	for (attempt = 0; attempt < 16; attempt++) {
		/*
		 * ".NAME.PID.RANDOM.tmp": the PID lets edge_dir_clean_stale()
		 * tell a dead writer's leftover from a live writer's file; the
		 * random part and O_EXCL make a collision an error, not a race.
		 */
		snprintf(a->tmp, sizeof(a->tmp), ".%s.%ld.%08lx.tmp", name,
		    (long)getpid(), tmp_random());
		a->fd = openat(dirfd, a->tmp, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, mode);
		if (a->fd >= 0 || errno != EEXIST)
			break;
	}
	if (a->fd < 0) {
		int e = errno;
		a->tmp[0] = '\0';	/* not ours: abort must not remove it */
		return edge_err(err, EDGE_ESTORE, "%s: cannot create: %s", name,
		    strerror(e));
	}
	/*
	 * Held until the file is closed: a cleaner in another PID namespace,
	 * where our PID means nothing, still sees that the writer is alive.
	 * Best effort (a file system without flock has the PID check only).
	 */
	(void)flock(a->fd, LOCK_EX | LOCK_NB);
	/* The umask may have narrowed the mode; public files must stay readable. */
	if (fchmod(a->fd, mode) != 0) {
		int e = errno;
		edge_file_atomic_abort(a);
		return edge_err(err, EDGE_ESTORE, "%s: cannot write: %s", name,
		    strerror(e));
	}
	return EDGE_OK;
}

int
edge_file_atomic_write(struct edge_atomic *a, const void *data, size_t len,
    struct edge_error *err)
{
	if (write_all(a->fd, data, len) != 0) {
		int e = errno;
		edge_err(err, EDGE_ESTORE, "%s: cannot write: %s", a->name,
		    strerror(e));
		edge_file_atomic_abort(a);
		return EDGE_ESTORE;
	}
	return EDGE_OK;
}

int
edge_file_atomic_commit(struct edge_atomic *a, struct edge_error *err)
{
	int e;

	if (a->direct) {
		/* A device or FIFO: nothing to sync or rename. */
		e = close(a->fd) != 0 ? errno : 0;
		a->fd = -1;
		a->direct = false;
		if (e != 0)
			return edge_err(err, EDGE_ESTORE, "%s: cannot write: %s",
			    a->name, strerror(e));
		return EDGE_OK;
	}
	if (fsync(a->fd) != 0 || close(a->fd) != 0) {
		e = errno;
		a->fd = -1;
		edge_file_atomic_abort(a);
		return edge_err(err, EDGE_ESTORE, "%s: cannot write: %s", a->name,
		    strerror(e));
	}
	a->fd = -1;
	if (renameat(a->dirfd, a->tmp, a->dirfd, a->name) != 0) {
		e = errno;
		edge_file_atomic_abort(a);
		return edge_err(err, EDGE_ESTORE, "%s: cannot replace: %s", a->name,
		    strerror(e));
	}
	a->tmp[0] = '\0';	/* renamed: a later abort has nothing to remove */
	(void)fsync(a->dirfd);
	return EDGE_OK;
}

void
edge_file_atomic_abort(struct edge_atomic *a)
{
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
	a->direct = false;
	if (a->tmp[0] != '\0')
		(void)unlinkat(a->dirfd, a->tmp, 0);
	a->tmp[0] = '\0';
}

int
edge_file_write_atomic(int dirfd, const char *name, const void *data,
    size_t len, mode_t mode, struct edge_error *err)
{
	struct edge_atomic a;
	int rc;

	if ((rc = edge_file_atomic_begin(dirfd, name, mode, &a, err)) != EDGE_OK ||
	    (rc = edge_file_atomic_write(&a, data, len, err)) != EDGE_OK)
		return rc;
	return edge_file_atomic_commit(&a, err);
}

int
edge_file_write_path(const char *path, const void *data, size_t len,
    mode_t mode, struct edge_error *err)
{
	char dbuf[PATH_MAX], bbuf[PATH_MAX];
	int dirfd, rc;

	if (strcmp(path, "-") == 0) {
		if (write_all(STDOUT_FILENO, data, len) != 0)
			return edge_err(err, EDGE_ESTORE,
			    "standard output: %s", strerror(errno));
		return EDGE_OK;
	}
	if (strlen(path) >= sizeof(dbuf))
		return edge_err(err, EDGE_ESTORE, "%s: path too long", path);
	memcpy(dbuf, path, strlen(path) + 1);
	memcpy(bbuf, path, strlen(path) + 1);
	rc = edge_dir_open(dirname(dbuf), &dirfd, err);
	if (rc != EDGE_OK)
		return rc;
	rc = edge_file_write_atomic(dirfd, basename(bbuf), data, len, mode,
	    err);
	if (rc != EDGE_OK && err != NULL && strcmp(path, basename(bbuf)) != 0) {
		/* Name the file as the user gave it. */
		char msg[EDGE_ERR_MSG_MAX];
		const char *cause = strchr(err->msg, ':');
		snprintf(msg, sizeof(msg), "%s%s", path, cause ? cause : "");
		memcpy(err->msg, msg, sizeof(msg));
	}
	close(dirfd);
	return rc;
}

int
edge_file_read(int dirfd, const char *name, size_t max, char **data,
    size_t *len, struct edge_error *err)
{
	struct stat st;
	char *buf = NULL;
	size_t used = 0, cap = 0;
	int fd, rc = EDGE_ESTORE;
	bool is_stdin = strcmp(name, "-") == 0;

	*data = NULL;
	if (len != NULL)
		*len = 0;
	if (is_stdin)
		fd = STDIN_FILENO;
	else
		fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
		    O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ELOOP)
			return edge_err(err, EDGE_EINPUT,
			    "%s: is a symbolic link; refusing to follow it", name);
		/* A state file another step makes: name the step (exit 3). */
		if (errno == ENOENT && dirfd != AT_FDCWD &&
		    edge_state_maker(name) != NULL)
			return edge_state_missing(name, err);
		return edge_err(err, EDGE_ESTORE, "%s: %s", name,
		    strerror(errno));
	}
	if (!is_stdin) {
		if (fstat(fd, &st) != 0) {
			edge_err(err, EDGE_ESTORE, "%s: %s", name,
			    strerror(errno));
			goto out;
		}
		if (!S_ISREG(st.st_mode)) {
			rc = edge_err(err, EDGE_EINPUT, "%s: not a regular file",
			    name);
			goto out;
		}
		/* Opened non-blocking only to avoid hanging on a FIFO. */
		(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
		/* One buffer of the file's size: large CRLs are read without slack. */
		if ((size_t)st.st_size > max) {
			rc = edge_err(err, EDGE_EINPUT,
			    "%s: too large (more than %zu bytes)", name, max);
			goto out;
		}
		cap = (size_t)st.st_size + 4096;
		if ((buf = malloc(cap + 1)) == NULL) {
			rc = edge_err(err, EDGE_EFAIL, "%s: out of memory", name);
			goto out;
		}
	}
	for (;;) {
		ssize_t n;

		if (cap - used < 4096) {
			size_t ncap = cap ? cap * 2 : 8192;
			char *nbuf;

			if (ncap > max + 1)
				ncap = max + 1;
			if (ncap <= used) {
				rc = edge_err(err, EDGE_EINPUT,
				    "%s: too large (more than %zu bytes)",
				    name, max);
				goto out;
			}
			nbuf = malloc(ncap + 1);
			if (nbuf == NULL) {
				rc = edge_err(err, EDGE_EFAIL, "%s: out of memory",
				    name);
				goto out;
			}
			if (buf != NULL) {
				memcpy(nbuf, buf, used);
				explicit_bzero(buf, cap);
				free(buf);
			}
			buf = nbuf;
			cap = ncap;
		}
		n = read(fd, buf + used, cap - used);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			edge_err(err, EDGE_ESTORE, "%s: %s", name,
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used > max) {
			rc = edge_err(err, EDGE_EINPUT,
			    "%s: too large (more than %zu bytes)", name, max);
			goto out;
		}
	}
	if (buf == NULL && (buf = malloc(1)) == NULL) {
		rc = edge_err(err, EDGE_EFAIL, "%s: out of memory", name);
		goto out;
	}
	buf[used] = '\0';
	*data = buf;
	buf = NULL;
	if (len != NULL)
		*len = used;
	rc = EDGE_OK;
out:
	if (buf != NULL) {
		explicit_bzero(buf, cap);
		free(buf);
	}
	if (!is_stdin)
		close(fd);
	return rc;
}

void
edge_file_free_private(char **data, size_t len)
{
	if (data == NULL || *data == NULL)
		return;
	explicit_bzero(*data, len);
	free(*data);
	*data = NULL;
}

bool
edge_file_exists(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static int
shred_file(int dirfd, const char *name)
{
	static const char zeros[4096];
	struct stat st;
	off_t left;
	int fd;

	fd = openat(dirfd, name, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return 0;
	}
	for (left = st.st_size; left > 0;) {
		size_t n = left > (off_t)sizeof(zeros) ? sizeof(zeros) :
		    (size_t)left;
		if (write_all(fd, zeros, n) != 0)
			break;
		left -= (off_t)n;
	}
	(void)fsync(fd);
	close(fd);
	return 0;
}

int
edge_file_remove(int dirfd, const char *name, bool shred,
    struct edge_error *err)
{
	if (shred && shred_file(dirfd, name) != 0)
		return edge_err(err, EDGE_ESTORE, "%s: cannot overwrite: %s",
		    name, strerror(errno));
	if (unlinkat(dirfd, name, 0) != 0 && errno != ENOENT)
		return edge_err(err, EDGE_ESTORE, "%s: cannot remove: %s",
		    name, strerror(errno));
	(void)fsync(dirfd);
	return EDGE_OK;
}

/*
 * True when name is ".NAME.PID.XXXXXXXX.tmp" as edge_file_atomic_begin()
 * makes it (NAME not empty, PID decimal without a leading zero, eight
 * lower-case hex digits); *pid receives PID.
 */
bool
edge_file_is_tmp(const char *name, pid_t *pid)
{
	size_t len = strlen(name), i, p;
	long long v = 0;

	/* "." + NAME + "." + PID + "." + 8 hex + ".tmp" */
	if (len < 1 + 1 + 1 + 1 + 1 + 8 + 4 || name[0] != '.' ||
	    strcmp(name + len - 4, ".tmp") != 0)
		return false;
	i = len - 4 - 8;
	if (name[i - 1] != '.')
		return false;
	for (p = i; p < len - 4; p++)
		if (!((name[p] >= '0' && name[p] <= '9') ||
		    (name[p] >= 'a' && name[p] <= 'f')))
			return false;
	/* The PID: digits back from the dot before the hex part. */
	p = i - 1;
	while (p > 0 && name[p - 1] >= '0' && name[p - 1] <= '9')
		p--;
	if (p == i - 1 || i - 1 - p > 10 || name[p] == '0' || p < 3 ||
	    name[p - 1] != '.')
		return false;
	for (; p < i - 1; p++)
		v = v * 10 + (name[p] - '0');
	if (v <= 0 || v > 0x7fffffffLL)
		return false;
	*pid = (pid_t)v;
	return true;
}

/* Remove one stale temporary file, if it still is one: 1 removed, else 0. */
static int
remove_stale(int dirfd, const char *name, pid_t pid)
{
	struct stat st, now;
	int fd, removed = 0;

	/* A live writer (or a PID now reused by someone else) keeps its file. */
	if (kill(pid, 0) == 0 || errno != ESRCH)
		return 0;
	/* Only regular files: a symlink or anything else is not ours. */
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
	    !S_ISREG(st.st_mode) || st.st_uid != geteuid())
		return 0;
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	/*
	 * The writer holds the lock while it writes: a held lock means a live
	 * writer whose PID we cannot see.  Our lock, held until the unlink,
	 * also keeps two cleaners from racing on the same file.
	 */
	if (fstat(fd, &now) == 0 && now.st_dev == st.st_dev &&
	    now.st_ino == st.st_ino && S_ISREG(now.st_mode) &&
	    flock(fd, LOCK_EX | LOCK_NB) == 0 &&
	    fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    st.st_dev == now.st_dev && st.st_ino == now.st_ino &&
	    unlinkat(dirfd, name, 0) == 0)
		removed = 1;
	close(fd);
	return removed;
}

int
edge_dir_clean_stale(int dirfd, unsigned *removed)
{
	struct dirent *de;
	unsigned n = 0;
	DIR *d;
	int fd;

	if (removed != NULL)
		*removed = 0;
	if ((fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return EDGE_ESTORE;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return EDGE_ESTORE;
	}
	while ((de = readdir(d)) != NULL) {
		pid_t pid;

		if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN)
			continue;
		if (edge_file_is_tmp(de->d_name, &pid))
			n += (unsigned)remove_stale(dirfd, de->d_name, pid);
	}
	closedir(d);
	if (n > 0)
		(void)fsync(dirfd);
	if (removed != NULL)
		*removed = n;
	return EDGE_OK;
}
