/* SPDX-License-Identifier: MIT */
/* lib/edge_file: atomic writes, modes, read caps, symlink refusal. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "edge_file.h"

static char dir[64];

static int
setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/edge-test-file.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static int
count_entries(int dirfd)
{
	DIR *d = fdopendir(dup(dirfd));
	struct dirent *e;
	int n = 0;

	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void
test_write_read_modes(void **state)
{
	struct edge_error err = { 0 };
	struct stat st;
	char *data;
	size_t len;
	int fd;

	(void)state;
	assert_int_equal(edge_dir_open(dir, &fd, &err), EDGE_OK);
	assert_int_equal(edge_file_write_atomic(fd, "secret", "abc", 3,
	    EDGE_MODE_PRIVATE, &err), EDGE_OK);
	assert_int_equal(fstatat(fd, "secret", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* A public file stays 0644 even under umask 077. */
	umask(077);
	assert_int_equal(edge_file_write_atomic(fd, "pub", "xyz\n", 4,
	    EDGE_MODE_PUBLIC, &err), EDGE_OK);
	assert_int_equal(fstatat(fd, "pub", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	/* Replacement is whole, and no temporary file is left behind. */
	assert_int_equal(edge_file_write_atomic(fd, "secret", "defg", 4,
	    EDGE_MODE_PRIVATE, &err), EDGE_OK);
	assert_int_equal(edge_file_read(fd, "secret", 100, &data, &len, &err),
	    EDGE_OK);
	assert_int_equal(len, 4);
	assert_string_equal(data, "defg");
	free(data);
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
	assert_int_equal(edge_dir_open(dir, &fd, &err), EDGE_OK);
	assert_int_equal(edge_file_write_atomic(fd, "big", "0123456789", 10,
	    EDGE_MODE_PUBLIC, &err), EDGE_OK);
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
	assert_int_equal(edge_dir_open(dir, &fd, &err), EDGE_OK);
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
	char *data;
	size_t len;
	int fd;

	(void)state;
	assert_int_equal(edge_dir_open(dir, &fd, &err), EDGE_OK);
	assert_int_equal(edge_file_write_atomic(fd, "keep", "old", 3,
	    EDGE_MODE_PUBLIC, &err), EDGE_OK);
	/* Renaming onto a non-empty directory fails: the old file must stay. */
	assert_int_equal(mkdirat(fd, "adir", 0700), 0);
	assert_int_equal(mkdirat(fd, "adir/x", 0700), 0);
	assert_int_equal(edge_file_write_atomic(fd, "adir", "new", 3,
	    EDGE_MODE_PUBLIC, &err), EDGE_ESTORE);
	assert_non_null(strstr(err.msg, "adir"));
	assert_int_equal(edge_file_read(fd, "keep", 10, &data, &len, &err),
	    EDGE_OK);
	assert_string_equal(data, "old");
	free(data);
	assert_int_equal(count_entries(fd), 2);	/* keep, adir: no temp left */
	close(fd);
}

static void
test_remove(void **state)
{
	struct edge_error err = { 0 };
	int fd;

	(void)state;
	assert_int_equal(edge_dir_open(dir, &fd, &err), EDGE_OK);
	assert_int_equal(edge_file_write_atomic(fd, "k", "key", 3,
	    EDGE_MODE_PRIVATE, &err), EDGE_OK);
	assert_true(edge_file_exists(fd, "k"));
	assert_int_equal(edge_file_remove(fd, "k", true, &err), EDGE_OK);
	assert_false(edge_file_exists(fd, "k"));
	assert_int_equal(edge_file_remove(fd, "k", true, &err), EDGE_OK);
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
	};
	return cmocka_run_group_tests_name("edge_file", tests, NULL, NULL);
}
