/* SPDX-License-Identifier: MIT */
/*
 * lib/edge_file: atomic writes, modes, read caps, symlink refusal, stale temp
 * cleanup, devices and FIFOs written in place, random temporary names.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "edge_file.h"

#include "testdir.h"

static int
setup(void **state)
{
	(void)state;
	return testdir_make("/tmp/edge-test-file.XXXXXX");
}

static int
teardown(void **state)
{
	(void)state;
	return testdir_remove();
}

/* The test directory, opened. */
static int
open_dir(void)
{
	struct edge_error err = { 0 };
	int fd;

	assert_int_equal(edge_dir_open(dir, &fd, &err), EDGE_OK);
	return fd;
}

/* name in fd replaced by text, with mode. */
static void
write_ok(int fd, const char *name, const char *text, int mode)
{
	struct edge_error err = { 0 };

	assert_int_equal(edge_file_write_atomic(fd, name, text, strlen(text),
	    mode, &err), EDGE_OK);
}

/* name in fd holds exactly text. */
static void
expect_text(int fd, const char *name, const char *text)
{
	struct edge_error err = { 0 };
	char *data;
	size_t len;

	assert_int_equal(edge_file_read(fd, name, 100, &data, &len, &err),
	    EDGE_OK);
	assert_int_equal(len, strlen(text));
	assert_string_equal(data, text);
	free(data);
}

static int
count_entries(int dirfd)
{
	DIR *d = fdopendir(dup(dirfd));
	struct dirent *e;
	int n = 0;

	/* The dup shares the offset of dirfd: start from the top every time. */
	rewinddir(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void
test_write_read_modes(void **state)
{
	struct stat st;
	int fd;

	(void)state;
	fd = open_dir();
	write_ok(fd, "secret", "abc", EDGE_MODE_PRIVATE);
	assert_int_equal(fstatat(fd, "secret", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* A public file stays 0644 even under umask 077. */
	umask(077);
	write_ok(fd, "pub", "xyz\n", EDGE_MODE_PUBLIC);
	assert_int_equal(fstatat(fd, "pub", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	/* Replacement is whole, and no temporary file is left behind. */
	write_ok(fd, "secret", "defg", EDGE_MODE_PRIVATE);
	expect_text(fd, "secret", "defg");
	assert_int_equal(count_entries(fd), 2);
	close(fd);
}

static void
test_read_limits(void **state)
{
	struct edge_error err = { 0 };
	char *data = NULL;
	size_t len;
	int fd;

	(void)state;
	fd = open_dir();
	write_ok(fd, "big", "0123456789", EDGE_MODE_PUBLIC);
	assert_int_equal(edge_file_read(fd, "big", 9, &data, &len, &err),
	    EDGE_EINPUT);
	assert_null(data);
	assert_non_null(strstr(err.msg, "too large"));
	assert_int_equal(edge_file_read(fd, "missing", 9, &data, &len, &err),
	    EDGE_ESTORE);
	assert_non_null(strstr(err.msg, "No such file"));
	assert_int_equal(mkdirat(fd, "sub", 0700), 0);
	assert_int_equal(edge_file_read(fd, "sub", 9, &data, &len, &err),
	    EDGE_EINPUT);
	assert_non_null(strstr(err.msg, "not a regular file"));
	close(fd);
}

static void
test_symlinks_refused(void **state)
{
	struct edge_error err = { 0 };
	char link[128], *data = NULL;
	size_t len;
	int fd, fd2;

	(void)state;
	fd = open_dir();
	assert_int_equal(symlinkat("/etc/passwd", fd, "evil"), 0);
	assert_int_equal(edge_file_read(fd, "evil", 1 << 20, &data, &len, &err),
	    EDGE_EINPUT);
	assert_non_null(strstr(err.msg, "symbolic link"));
	snprintf(link, sizeof(link), "%s/dirlink", dir);
	assert_int_equal(symlink("/tmp", link), 0);
	assert_int_equal(edge_dir_open(link, &fd2, &err), EDGE_ESTORE);
	assert_non_null(strstr(err.msg, "symbolic link"));
	close(fd);
}

static void
test_write_failure_keeps_old(void **state)
{
	struct edge_error err = { 0 };
	int fd;

	(void)state;
	fd = open_dir();
	write_ok(fd, "keep", "old", EDGE_MODE_PUBLIC);
	/* Renaming onto a non-empty directory fails: the old file must stay. */
	assert_int_equal(mkdirat(fd, "adir", 0700), 0);
	assert_int_equal(mkdirat(fd, "adir/x", 0700), 0);
	assert_int_equal(edge_file_write_atomic(fd, "adir", "new", 3,
	    EDGE_MODE_PUBLIC, &err), EDGE_ESTORE);
	assert_non_null(strstr(err.msg, "adir"));
	expect_text(fd, "keep", "old");
	assert_int_equal(count_entries(fd), 2);	/* keep, adir: no temp left */
	close(fd);
}

static void
test_remove(void **state)
{
	struct edge_error err = { 0 };
	int fd;

	(void)state;
	fd = open_dir();
	write_ok(fd, "k", "key", EDGE_MODE_PRIVATE);
	assert_true(edge_file_exists(fd, "k"));
	assert_int_equal(edge_file_remove(fd, "k", true, &err), EDGE_OK);
	assert_false(edge_file_exists(fd, "k"));
	assert_int_equal(edge_file_remove(fd, "k", true, &err), EDGE_OK);
	close(fd);
}

/* Make an empty file name in fd (mode 0600). */
static void
touch(int fd, const char *name)
{
	int f = openat(fd, name, O_WRONLY | O_CREAT | O_EXCL, 0600);

	assert_true(f >= 0);
	assert_int_equal(write(f, "x", 1), 1);
	close(f);
}

/* A PID that existed and no longer does (a reaped child). */
static pid_t
dead_pid(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	return pid;
}

static void
test_clean_stale(void **state)
{
	struct edge_error err = { 0 };
	struct edge_atomic a;
	char dead[128], live[128], locked[128], dlink[128], ddir[128];
	char target[128], name[160];
	unsigned n = 99;
	pid_t gone = dead_pid();
	int fd, lfd;

	(void)state;
	fd = open_dir();
	/* The temporary name carries the writer's PID. */
	assert_int_equal(edge_file_atomic_begin(fd, "cert.pem", EDGE_MODE_PUBLIC,
	    &a, &err), EDGE_OK);
	snprintf(name, sizeof(name), ".cert.pem.%ld.", (long)getpid());
	assert_memory_equal(a.tmp, name, strlen(name));
	assert_int_equal(strlen(a.tmp), strlen(name) + 8 + 4);
	assert_string_equal(a.tmp + strlen(a.tmp) - 4, ".tmp");
	/* An open writer of ours is live: its file stays. */
	assert_int_equal(edge_dir_clean_stale(fd, &n), EDGE_OK);
	assert_int_equal(n, 0);
	assert_true(edge_file_exists(fd, a.tmp));

	snprintf(dead, sizeof(dead), ".key.pem.%ld.0badc0de.tmp", (long)gone);
	snprintf(live, sizeof(live), ".csr.pem.%ld.00000001.tmp", (long)getpid());
	/* A dead PID whose lock is held: a live writer in another PID namespace. */
	snprintf(locked, sizeof(locked), ".crl.pem.%ld.0000abcd.tmp", (long)gone);
	snprintf(dlink, sizeof(dlink), ".ca.pem.%ld.12345678.tmp", (long)gone);
	snprintf(ddir, sizeof(ddir), ".outbox.%ld.12345678.tmp", (long)gone);
	snprintf(target, sizeof(target), "%s/target", dir);
	touch(fd, dead);
	touch(fd, live);
	touch(fd, locked);
	touch(fd, "target");
	assert_int_equal(symlinkat(target, fd, dlink), 0);
	assert_int_equal(mkdirat(fd, ddir, 0700), 0);
	lfd = openat(fd, locked, O_RDONLY);
	assert_true(lfd >= 0);
	assert_int_equal(flock(lfd, LOCK_EX), 0);
	/* Near misses of the pattern are never touched, whatever their PID. */
	snprintf(name, sizeof(name), "key.pem.%ld.0badc0de.tmp", (long)gone);
	touch(fd, name);	/* no leading dot */
	snprintf(name, sizeof(name), ".key.pem.%ld.0badc0d.tmp", (long)gone);
	touch(fd, name);	/* 7 hex digits */
	snprintf(name, sizeof(name), ".key.pem.%ld.0BADC0DE.tmp", (long)gone);
	touch(fd, name);	/* upper case */
	snprintf(name, sizeof(name), ".key.pem.0%ld.0badc0de.tmp", (long)gone);
	touch(fd, name);	/* leading zero */
	snprintf(name, sizeof(name), "..%ld.0badc0de.tmp", (long)gone);
	touch(fd, name);	/* empty NAME */
	snprintf(name, sizeof(name), ".key.pem.%ld.0badc0de.tmp~", (long)gone);
	touch(fd, name);
	snprintf(name, sizeof(name), ".key.pem.%ld.0badc0de.TMP", (long)gone);
	touch(fd, name);
	touch(fd, ".key.pem.0badc0de.tmp");	/* the old format: no PID */
	touch(fd, ".key.pem.0.0badc0de.tmp");	/* PID 0 */
	touch(fd, ".key.pem.99999999999.0badc0de.tmp");	/* beyond any PID */
	touch(fd, ".tmp");
	assert_int_equal(count_entries(fd), 1 + 5 + 1 + 11);

	assert_int_equal(edge_dir_clean_stale(fd, &n), EDGE_OK);
	assert_int_equal(n, 1);
	assert_false(edge_file_exists(fd, dead));
	assert_true(edge_file_exists(fd, live));
	assert_true(edge_file_exists(fd, locked));
	assert_true(edge_file_exists(fd, dlink));	/* a symlink: not ours */
	assert_true(edge_file_exists(fd, "target"));
	assert_true(edge_file_exists(fd, ddir));
	assert_int_equal(count_entries(fd), 1 + 4 + 1 + 11);
	/* Once the lock is gone the dead writer's file goes too. */
	close(lfd);
	assert_int_equal(edge_dir_clean_stale(fd, NULL), EDGE_OK);
	assert_false(edge_file_exists(fd, locked));
	/* The writer still open completes normally. */
	assert_int_equal(edge_file_atomic_write(&a, "c\n", 2, &err), EDGE_OK);
	assert_int_equal(edge_file_atomic_commit(&a, &err), EDGE_OK);
	assert_true(edge_file_exists(fd, "cert.pem"));
	close(fd);
}

/*
 * Only regular files are renamed over: a character device or FIFO is written
 * into and stays what it was; a directory or socket is refused; private data
 * never goes to a terminal.
 */
static void
test_special_targets(void **state)
{
	struct edge_error err = { 0 };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	char path[128], got[16] = "", *pts;
	int fd, p[2], sock, ptm;
	pid_t pid;
	ssize_t n;

	(void)state;
	fd = open_dir();
	/* A FIFO with a reader: the reader gets the data. */
	assert_int_equal(mkfifoat(fd, "fifo", 0600), 0);
	assert_int_equal(pipe(p), 0);
	if ((pid = fork()) == 0) {
		char buf[16] = "";
		ssize_t k;
		int r;

		alarm(5);	/* never wait for ever (a replaced FIFO) */
		r = openat(fd, "fifo", O_RDONLY);
		k = r >= 0 ? read(r, buf, sizeof(buf) - 1) : -1;
		_exit(k > 0 && write(p[1], buf, (size_t)k) == k ? 0 : 1);
	}
	close(p[1]);
	write_ok(fd, "fifo", "hello\n", EDGE_MODE_PUBLIC);
	n = read(p[0], got, sizeof(got) - 1);
	assert_int_equal(n, 6);
	assert_string_equal(got, "hello\n");
	close(p[0]);
	waitpid(pid, NULL, 0);
	assert_int_equal(fstatat(fd, "fifo", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISFIFO(st.st_mode));
	assert_int_equal(count_entries(fd), 1);	/* no temporary file left */

	/* A character device (a private /dev/null; needs root to make). */
	if (mknodat(fd, "null", S_IFCHR | 0666, makedev(1, 3)) == 0) {
		snprintf(path, sizeof(path), "%s/null", dir);
		assert_int_equal(edge_file_write_path(path, "x", 1,
		    EDGE_MODE_PRIVATE, &err), EDGE_OK);
		assert_int_equal(fstatat(fd, "null", &st, AT_SYMLINK_NOFOLLOW), 0);
		assert_true(S_ISCHR(st.st_mode));
		unlinkat(fd, "null", 0);
	}

	/* A directory and a socket are refused and left alone. */
	assert_int_equal(mkdirat(fd, "d", 0700), 0);
	assert_int_equal(edge_file_write_atomic(fd, "d", "x", 1,
	    EDGE_MODE_PUBLIC, &err), EDGE_ESTORE);
	assert_string_equal(err.msg, "d: is a directory; refusing to replace it");
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/sock", dir);
	sock = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(sock >= 0);
	assert_int_equal(bind(sock, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(edge_file_write_atomic(fd, "sock", "x", 1,
	    EDGE_MODE_PUBLIC, &err), EDGE_ESTORE);
	assert_string_equal(err.msg, "sock: is a socket; refusing to replace it");
	assert_int_equal(fstatat(fd, "sock", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISSOCK(st.st_mode));
	close(sock);

	/* A terminal gets public data but never private data. */
	ptm = posix_openpt(O_RDWR | O_NOCTTY);
	if (ptm >= 0 && grantpt(ptm) == 0 && unlockpt(ptm) == 0 &&
	    (pts = ptsname(ptm)) != NULL) {
		assert_int_equal(edge_file_write_path(pts, "k", 1,
		    EDGE_MODE_PRIVATE, &err), EDGE_ESTORE);
		assert_non_null(strstr(err.msg, "is a terminal"));
		assert_int_equal(stat(pts, &st), 0);
		assert_true(S_ISCHR(st.st_mode));
	}
	if (ptm >= 0)
		close(ptm);
	close(fd);
}

/*
 * The random part of a temporary name comes from getrandom(): two processes
 * that never seeded random() (forked from one that did not either) still
 * pick different names.
 */
static void
test_tmp_names_random(void **state)
{
	char part[2][9];
	int fd, i, p[2];

	(void)state;
	fd = open_dir();
	for (i = 0; i < 2; i++) {
		pid_t pid;

		assert_int_equal(pipe(p), 0);
		if ((pid = fork()) == 0) {
			struct edge_atomic a;
			const char *r;

			if (edge_file_atomic_begin(fd, "x", EDGE_MODE_PUBLIC, &a,
			    NULL) != EDGE_OK)
				_exit(1);
			r = strrchr(a.tmp, '.') - 8;
			edge_file_atomic_abort(&a);
			_exit(write(p[1], r, 8) == 8 ? 0 : 1);
		}
		close(p[1]);
		memset(part[i], 0, sizeof(part[i]));
		assert_int_equal(read(p[0], part[i], 8), 8);
		close(p[0]);
		waitpid(pid, NULL, 0);
	}
	assert_string_not_equal(part[0], part[1]);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_read_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlinks_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_failure_keeps_old, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clean_stale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_special_targets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tmp_names_random, setup, teardown),
	};
	return cmocka_run_group_tests_name("edge_file", tests, NULL, NULL);
}
