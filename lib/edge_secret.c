/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <termios.h>
#include <unistd.h>

#include "edge_file.h"
#include "edge_secret.h"

static int
wrap(char *buf, size_t len, struct edge_secret **out, const char *what,
    struct edge_error *err)
{
	struct edge_secret *s;

	/* Drop one trailing newline: `echo secret > file` is the common case. */
	if (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	if (len > 0 && buf[len - 1] == '\r')
		buf[--len] = '\0';
	if (len == 0) {
		edge_file_free_private(&buf, 1);
		return edge_err(err, EDGE_EINPUT, "%s: secret is empty", what);
	}
	if (memchr(buf, '\0', len) != NULL) {
		edge_file_free_private(&buf, len);
		return edge_err(err, EDGE_EINPUT, "%s: secret contains a NUL byte",
		    what);
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		edge_file_free_private(&buf, len);
		return edge_err(err, EDGE_EFAIL, "out of memory");
	}
	s->data = buf;
	s->len = len;
	*out = s;
	return EDGE_OK;
}

static int
read_fd(int fd, const char *what, struct edge_secret **out,
    struct edge_error *err)
{
	char *buf;
	size_t len = 0;

	if ((buf = malloc(EDGE_SECRET_MAX + 1)) == NULL)
		return edge_err(err, EDGE_EFAIL, "out of memory");
	for (;;) {
		ssize_t n = read(fd, buf + len, EDGE_SECRET_MAX + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			edge_file_free_private(&buf, EDGE_SECRET_MAX + 1);
			return edge_err(err, EDGE_ESTORE, "%s: %s", what,
			    strerror(e));
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > EDGE_SECRET_MAX) {
			edge_file_free_private(&buf, EDGE_SECRET_MAX + 1);
			return edge_err(err, EDGE_EINPUT,
			    "%s: secret longer than %d bytes", what,
			    EDGE_SECRET_MAX);
		}
	}
	buf[len] = '\0';
	return wrap(buf, len, out, what, err);
}

/* The literal forms for standard input, which edge_secret_read reads as fd 0. */
static bool
names_stdin(const char *spec)
{
	return strcmp(spec, "-") == 0 || strcmp(spec, "file:-") == 0;
}

/* N of "fd:N", or -1 when it is not a descriptor number. */
static int
fd_number(const char *spec)
{
	char *end;
	long fd;

	errno = 0;
	fd = strtol(spec + 3, &end, 10);
	if (spec[3] == '\0' || *end != '\0' || errno != 0 || fd < 0 ||
	    fd > INT_MAX)
		return -1;
	return (int)fd;
}

static bool
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* Little-endian 16 and 32 bits of the ACL xattr (linux/posix_acl_xattr.h). */
static unsigned
le16(const unsigned char *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static unsigned long
le32(const unsigned char *p)
{
	return (unsigned long)le16(p) | (unsigned long)le16(p + 2) << 16;
}

/*
 * True when path has a POSIX access ACL that lets nobody but its owner and
 * this user (the effective uid) read or write it.  Then the mode's group
 * bits are the ACL's mask, not a group's access: systemd gives a service's
 * credential to its user that way (root's 0400 file, user:NAME:r, on a
 * tmpfs with ACLs; on ramfs it chowns the file instead).
 */
static bool
acl_private(const char *path, int fd)
{
	unsigned char acl[4 + 8 * 32];
	unsigned mask = 7, tag, perm, i, n, group = 0;
	ssize_t len = fd >= 0 ?
	    fgetxattr(fd, "system.posix_acl_access", acl, sizeof(acl)) :
	    lgetxattr(path, "system.posix_acl_access", acl, sizeof(acl));

	if (len < 4 || (len - 4) % 8 != 0 || le16(acl) != 2)
		return false;
	n = (unsigned)(len - 4) / 8;
	for (i = 0; i < n; i++)
		if (le16(acl + 4 + 8 * i) == 0x10)	/* ACL_MASK */
			mask = le16(acl + 6 + 8 * i);
	for (i = 0; i < n; i++) {
		tag = le16(acl + 4 + 8 * i);
		perm = le16(acl + 6 + 8 * i);
		if (tag == 0x20 && perm != 0)		/* ACL_OTHER */
			return false;
		if ((tag == 0x04 || tag == 0x08) && (perm & mask) != 0)
			group = 1;			/* ACL_GROUP_OBJ, ACL_GROUP */
		if (tag == 0x02 && (perm & mask) != 0 &&	/* ACL_USER */
		    le32(acl + 8 + 8 * i) != (unsigned long)geteuid())
			return false;
	}
	return group == 0;
}

/* The secret-file rule on st, the file path names (fd open on it, or -1). */
static int
file_rule(const char *path, const struct stat *st, int fd,
    struct edge_error *err)
{
	if ((st->st_mode & 077) != 0 && !acl_private(path, fd))
		return edge_err(err, EDGE_ESTORE,
		    "%s: readable by others; it holds a secret (chmod 600)", path);
	if (st->st_uid != geteuid() && st->st_uid != 0)
		return edge_err(err, EDGE_ESTORE,
		    "%s: owned by uid %lu, neither this user nor root; it holds a secret (chown, chmod 600)",
		    path, (unsigned long)st->st_uid);
	return EDGE_OK;
}

int
edge_secret_file_check(const char *path, struct edge_error *err)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return edge_err(err, EDGE_ESTORE, "%s: %s", path, strerror(errno));
	return file_rule(path, &st, -1, err);
}

int
edge_secret_cred_path(const char *spec, char *path, size_t size,
    struct edge_error *err)
{
	const char *name = spec + 5, *dir = getenv("CREDENTIALS_DIRECTORY");

	if (*name == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
	    strchr(name, '/') != NULL)
		return edge_err(err, EDGE_EUSAGE,
		    "%s: not a credential name (a file name in $CREDENTIALS_DIRECTORY, without '/')",
		    spec);
	if (dir == NULL || *dir == '\0')
		return edge_err(err, EDGE_EUSAGE,
		    "%s: $CREDENTIALS_DIRECTORY is not set (cred: reads a credential of a systemd service, LoadCredential=; elsewhere use file:PATH)",
		    spec);
	if ((size_t)snprintf(path, size, "%s/%s", dir, name) >= size)
		return edge_err(err, EDGE_EUSAGE, "%s: path too long", spec);
	return EDGE_OK;
}

/*
 * The content of a secret file, under the secret-file rule checked on the
 * descriptor read (never the path again: it could name another file by
 * then), and never through a symbolic link.
 */
static int
read_file(const char *path, struct edge_secret **out, struct edge_error *err)
{
	struct stat st;
	int fd, rc;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK);
	if (fd < 0) {
		if (errno == ELOOP)
			return edge_err(err, EDGE_EINPUT,
			    "%s: is a symbolic link; a secret file is read only as itself, not through a link",
			    path);
		return edge_err(err, EDGE_ESTORE, "%s: %s", path,
		    strerror(errno));
	}
	if (fstat(fd, &st) != 0)
		rc = edge_err(err, EDGE_ESTORE, "%s: %s", path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		rc = edge_err(err, EDGE_EINPUT, "%s: not a regular file", path);
	else if ((rc = file_rule(path, &st, fd, err)) == EDGE_OK) {
		/* Opened non-blocking only to avoid hanging on a FIFO. */
		(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
		rc = read_fd(fd, path, out, err);
	}
	(void)close(fd);
	return rc;
}

int
edge_secret_read(const char *spec, struct edge_secret **out,
    struct edge_error *err)
{
	char path[PATH_MAX];
	int fd, rc;

	*out = NULL;
	if (names_stdin(spec))
		return read_fd(STDIN_FILENO, "standard input", out, err);
	if (strncmp(spec, "file:", 5) == 0)
		return read_file(spec + 5, out, err);
	if (strncmp(spec, "cred:", 5) == 0) {
		if ((rc = edge_secret_cred_path(spec, path, sizeof(path), err)) !=
		    EDGE_OK)
			return rc;
		return read_file(path, out, err);
	}
	if (strncmp(spec, "env:", 4) == 0) {
		const char *v = getenv(spec + 4);
		if (v == NULL)
			return edge_err(err, EDGE_EUSAGE,
			    "environment variable %s is not set", spec + 4);
		return edge_secret_from_value(v, out, err);
	}
	if (strncmp(spec, "fd:", 3) == 0) {
		if ((fd = fd_number(spec)) < 0)
			return edge_err(err, EDGE_EUSAGE,
			    "%s: not a file descriptor number", spec);
		return read_fd(fd, spec, out, err);
	}
	return edge_err(err, EDGE_EUSAGE,
	    "secrets are not taken from the command line; use "
	    EDGE_SECRET_FORMS);
}

bool
edge_secret_equal(const struct edge_secret *s, const char *value, size_t len)
{
	volatile unsigned char diff;
	size_t i;

	if (s == NULL || value == NULL)
		return false;
	diff = (unsigned char)(s->len != len);
	for (i = 0; i < len; i++)
		diff |= (unsigned char)(value[i] ^ (i < s->len ? s->data[i] : 0));
	return diff == 0;
}

bool
edge_secret_reads_stdin(const char *spec)
{
	struct stat in, st;
	int fd;

	if (spec == NULL)
		return false;
	if (names_stdin(spec))
		return true;
	if (strncmp(spec, "fd:", 3) == 0) {
		if ((fd = fd_number(spec)) < 0)
			return false;	/* refused when read */
		if (fd == STDIN_FILENO)
			return true;
		/* A descriptor that is a dup of 0 (3<&0) reads it too. */
		return fstat(STDIN_FILENO, &in) == 0 && fstat(fd, &st) == 0 &&
		    same_file(&in, &st);
	}
	if (strncmp(spec, "file:", 5) != 0)
		return false;
	/* By name, even with stdin closed; else by what the path opens. */
	if (strcmp(spec + 5, "/dev/stdin") == 0 ||
	    strcmp(spec + 5, "/dev/fd/0") == 0 ||
	    strcmp(spec + 5, "/proc/self/fd/0") == 0)
		return true;
	return fstat(STDIN_FILENO, &in) == 0 && stat(spec + 5, &st) == 0 &&
	    same_file(&in, &st);
}

bool
edge_secret_is_source(const char *spec)
{
	return strcmp(spec, "-") == 0 || strncmp(spec, "file:", 5) == 0 ||
	    strncmp(spec, "cred:", 5) == 0 || strncmp(spec, "env:", 4) == 0 ||
	    strncmp(spec, "fd:", 3) == 0;
}

int
edge_secret_from_value(const char *value, struct edge_secret **out,
    struct edge_error *err)
{
	size_t len = strlen(value);
	char *buf;

	if (len > EDGE_SECRET_MAX)
		return edge_err(err, EDGE_EINPUT, "secret longer than %d bytes",
		    EDGE_SECRET_MAX);
	if ((buf = malloc(len + 1)) == NULL)
		return edge_err(err, EDGE_EFAIL, "out of memory");
	memcpy(buf, value, len + 1);
	return wrap(buf, len, out, "secret", err);
}

int
edge_secret_prompt(const char *prompt, struct edge_secret **out,
    struct edge_error *err)
{
	struct termios old, quiet;
	char *buf;
	size_t len;
	int fd, rc;

	*out = NULL;
	fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 || tcgetattr(fd, &old) != 0) {
		if (fd >= 0)
			close(fd);
		return edge_err(err, EDGE_EUSAGE, "no terminal to ask for %s",
		    prompt);
	}
	quiet = old;
	quiet.c_lflag &= (tcflag_t)~(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	(void)!write(fd, prompt, strlen(prompt));
	(void)!write(fd, ": ", 2);
	tcsetattr(fd, TCSAFLUSH, &quiet);
	if ((buf = malloc(EDGE_SECRET_MAX + 1)) == NULL) {
		rc = edge_err(err, EDGE_EFAIL, "out of memory");
		goto out;
	}
	{
		ssize_t n = read(fd, buf, EDGE_SECRET_MAX);
		len = n > 0 ? (size_t)n : 0;
	}
	buf[len] = '\0';
	rc = wrap(buf, len, out, "terminal", err);
out:
	tcsetattr(fd, TCSAFLUSH, &old);
	(void)!write(fd, "\n", 1);
	close(fd);
	return rc;
}

extern char **environ;

/* EDGE_PIN, EDGE_*_PIN, EDGE_*SECRET*: the variables that hold secrets. */
static bool
secret_var(const char *kv)
{
	const char *eq = strchr(kv, '=');
	size_t n = eq ? (size_t)(eq - kv) : strlen(kv);

	if (strncmp(kv, "EDGE_", 5) != 0)
		return false;
	return memmem(kv, n, "SECRET", 6) != NULL ||
	    (n >= 8 && memcmp(kv + n - 4, "_PIN", 4) == 0);
}

static bool
hidden(const char *kv, const char *const *hide)
{
	size_t n = strcspn(kv, "=");

	for (; hide != NULL && *hide != NULL; hide++)
		if (strlen(*hide) == n && strncmp(kv, *hide, n) == 0)
			return true;
	return false;
}

char **
edge_secret_child_env(const char *const *hide)
{
	size_t n = 0, i, j = 0;
	char **env;

	while (environ != NULL && environ[n] != NULL)
		n++;
	if ((env = calloc(n + 1, sizeof(*env))) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (!secret_var(environ[i]) && !hidden(environ[i], hide))
			env[j++] = environ[i];
	return env;
}

void
edge_secret_free(struct edge_secret **s)
{
	if (s == NULL || *s == NULL)
		return;
	if ((*s)->data != NULL) {
		explicit_bzero((*s)->data, (*s)->len);
		free((*s)->data);
	}
	free(*s);
	*s = NULL;
	edge_secret_wipe_registers();	/* memcpy's leftovers */
}

void
edge_secret_wipe_registers(void)
{
#if defined(__x86_64__)
	if (__builtin_cpu_supports("avx512f"))
		__asm__ volatile("vzeroall\n\t"
		    "vpxord %%zmm16, %%zmm16, %%zmm16\n\t"
		    "vpxord %%zmm17, %%zmm17, %%zmm17\n\t"
		    "vpxord %%zmm18, %%zmm18, %%zmm18\n\t"
		    "vpxord %%zmm19, %%zmm19, %%zmm19\n\t"
		    "vpxord %%zmm20, %%zmm20, %%zmm20\n\t"
		    "vpxord %%zmm21, %%zmm21, %%zmm21\n\t"
		    "vpxord %%zmm22, %%zmm22, %%zmm22\n\t"
		    "vpxord %%zmm23, %%zmm23, %%zmm23\n\t"
		    "vpxord %%zmm24, %%zmm24, %%zmm24\n\t"
		    "vpxord %%zmm25, %%zmm25, %%zmm25\n\t"
		    "vpxord %%zmm26, %%zmm26, %%zmm26\n\t"
		    "vpxord %%zmm27, %%zmm27, %%zmm27\n\t"
		    "vpxord %%zmm28, %%zmm28, %%zmm28\n\t"
		    "vpxord %%zmm29, %%zmm29, %%zmm29\n\t"
		    "vpxord %%zmm30, %%zmm30, %%zmm30\n\t"
		    "vpxord %%zmm31, %%zmm31, %%zmm31"
		    ::: "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6",
		    "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13",
		    "xmm14", "xmm15", "memory");
	else if (__builtin_cpu_supports("avx"))
		__asm__ volatile("vzeroall"
		    ::: "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6",
		    "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13",
		    "xmm14", "xmm15", "memory");
	else
		__asm__ volatile("xorps %%xmm0, %%xmm0\n\t"
		    "xorps %%xmm1, %%xmm1\n\txorps %%xmm2, %%xmm2\n\t"
		    "xorps %%xmm3, %%xmm3\n\txorps %%xmm4, %%xmm4\n\t"
		    "xorps %%xmm5, %%xmm5\n\txorps %%xmm6, %%xmm6\n\t"
		    "xorps %%xmm7, %%xmm7\n\txorps %%xmm8, %%xmm8\n\t"
		    "xorps %%xmm9, %%xmm9\n\txorps %%xmm10, %%xmm10\n\t"
		    "xorps %%xmm11, %%xmm11\n\txorps %%xmm12, %%xmm12\n\t"
		    "xorps %%xmm13, %%xmm13\n\txorps %%xmm14, %%xmm14\n\t"
		    "xorps %%xmm15, %%xmm15"
		    ::: "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6",
		    "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13",
		    "xmm14", "xmm15", "memory");
#elif defined(__aarch64__)
	__asm__ volatile(
	    "movi v0.2d, #0\n\tmovi v1.2d, #0\n\tmovi v2.2d, #0\n\t"
	    "movi v3.2d, #0\n\tmovi v4.2d, #0\n\tmovi v5.2d, #0\n\t"
	    "movi v6.2d, #0\n\tmovi v7.2d, #0\n\tmovi v8.2d, #0\n\t"
	    "movi v9.2d, #0\n\tmovi v10.2d, #0\n\tmovi v11.2d, #0\n\t"
	    "movi v12.2d, #0\n\tmovi v13.2d, #0\n\tmovi v14.2d, #0\n\t"
	    "movi v15.2d, #0\n\tmovi v16.2d, #0\n\tmovi v17.2d, #0\n\t"
	    "movi v18.2d, #0\n\tmovi v19.2d, #0\n\tmovi v20.2d, #0\n\t"
	    "movi v21.2d, #0\n\tmovi v22.2d, #0\n\tmovi v23.2d, #0\n\t"
	    "movi v24.2d, #0\n\tmovi v25.2d, #0\n\tmovi v26.2d, #0\n\t"
	    "movi v27.2d, #0\n\tmovi v28.2d, #0\n\tmovi v29.2d, #0\n\t"
	    "movi v30.2d, #0\n\tmovi v31.2d, #0"
	    ::: "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9",
	    "v10", "v11", "v12", "v13", "v14", "v15", "v16", "v17", "v18",
	    "v19", "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27",
	    "v28", "v29", "v30", "v31", "memory");
#endif
}
