/* SPDX-License-Identifier: MIT */
/* lib/edge_secret: the accepted secret sources, and literals refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "edge_secret.h"

static void
test_sources(void **state)
{
	struct edge_secret *s = NULL;
	struct edge_error err = { 0 };
	char path[] = "/tmp/edge-test-secret.XXXXXX", spec[64];
	int fd, p[2];

	(void)state;
	fd = mkstemp(path);
	assert_int_equal(write(fd, "s3cret\n", 7), 7);
	close(fd);
	snprintf(spec, sizeof(spec), "file:%s", path);
	assert_int_equal(edge_secret_read(spec, &s, &err), EDGE_OK);
	assert_string_equal(s->data, "s3cret");
	assert_int_equal(s->len, 6);
	edge_secret_free(&s);
	assert_null(s);
	unlink(path);

	setenv("EDGE_TEST_SECRET", "from-env", 1);
	assert_int_equal(edge_secret_read("env:EDGE_TEST_SECRET", &s, &err),
	    EDGE_OK);
	assert_string_equal(s->data, "from-env");
	edge_secret_free(&s);

	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "piped\r\n", 7), 7);
	close(p[1]);
	snprintf(spec, sizeof(spec), "fd:%d", p[0]);
	assert_int_equal(edge_secret_read(spec, &s, &err), EDGE_OK);
	assert_string_equal(s->data, "piped");
	edge_secret_free(&s);
	close(p[0]);
}

static void
test_refusals(void **state)
{
	struct edge_secret *s = NULL;
	struct edge_error err = { 0 };

	(void)state;
	assert_int_equal(edge_secret_read("hunter2", &s, &err), EDGE_EUSAGE);
	assert_non_null(strstr(err.msg, EDGE_SECRET_FORMS));
	assert_null(s);
	unsetenv("EDGE_TEST_NOPE");
	assert_int_equal(edge_secret_read("env:EDGE_TEST_NOPE", &s, &err),
	    EDGE_EUSAGE);
	assert_int_equal(edge_secret_read("fd:x1", &s, &err), EDGE_EUSAGE);
	assert_int_equal(edge_secret_read("file:/nonexistent/pin", &s, &err),
	    EDGE_ESTORE);
	setenv("EDGE_TEST_EMPTY", "", 1);
	assert_int_equal(edge_secret_read("env:EDGE_TEST_EMPTY", &s, &err),
	    EDGE_EINPUT);
	assert_non_null(strstr(err.msg, "empty"));
	edge_secret_free(&s);	/* NULL is fine */
}

/*
 * Decision 7 of issue 18: one rule for secret files.  Group or other access,
 * or an owner that is neither this user nor root, is refused (exit 7).
 */
static void
test_file_rule(void **state)
{
	struct edge_secret *s = NULL;
	struct edge_error err = { 0 };
	char path[] = "/tmp/edge-test-secret.XXXXXX", spec[64], want[160];
	static const mode_t wide[] = { 0644, 0640, 0604, 0620, 0601, 0610 };
	size_t i;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_int_equal(write(fd, "1234\n", 5), 5);
	close(fd);
	snprintf(spec, sizeof(spec), "file:%s", path);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(edge_secret_file_check(path, &err), EDGE_OK);
	assert_int_equal(chmod(path, 0400), 0);
	assert_int_equal(edge_secret_read(spec, &s, &err), EDGE_OK);
	assert_string_equal(s->data, "1234");
	edge_secret_free(&s);
	snprintf(want, sizeof(want),
	    "%s: readable by others; it holds a secret (chmod 600)", path);
	for (i = 0; i < sizeof(wide) / sizeof(wide[0]); i++) {
		assert_int_equal(chmod(path, wide[i]), 0);
		assert_int_equal(edge_secret_read(spec, &s, &err), EDGE_ESTORE);
		assert_string_equal(err.msg, want);
		assert_null(s);
	}
	assert_int_equal(chmod(path, 0600), 0);
	if (geteuid() == 0) {
		/* Root may read another user's file: the rule refuses it. */
		assert_int_equal(chown(path, 65534, 65534), 0);
		assert_int_equal(edge_secret_read(spec, &s, &err), EDGE_ESTORE);
		snprintf(want, sizeof(want),
		    "%s: owned by uid 65534, neither this user nor root; it holds a secret (chown, chmod 600)",
		    path);
		assert_string_equal(err.msg, want);
		assert_int_equal(chown(path, 0, 0), 0);
		assert_int_equal(edge_secret_file_check(path, &err), EDGE_OK);
	}
	/*
	 * Through a symbolic link: refused (exit 3), naming the link; the rule
	 * is checked on the descriptor that is read, never on the path again.
	 */
	{
		char link[sizeof(path) + 4], lspec[80];

		snprintf(link, sizeof(link), "%s.ln", path);
		assert_int_equal(symlink(path, link), 0);
		snprintf(lspec, sizeof(lspec), "file:%s", link);
		assert_int_equal(edge_secret_read(lspec, &s, &err), EDGE_EINPUT);
		snprintf(want, sizeof(want),
		    "%s: is a symbolic link; a secret file is read only as itself, not through a link",
		    link);
		assert_string_equal(err.msg, want);
		assert_null(s);
		unlink(link);
	}
	assert_int_equal(edge_secret_read("file:/tmp", &s, &err), EDGE_EINPUT);
	assert_string_equal(err.msg, "/tmp: not a regular file");
	unlink(path);
	assert_int_equal(edge_secret_file_check(path, &err), EDGE_ESTORE);
}

/*
 * cred:NAME (issue 19): $CREDENTIALS_DIRECTORY/NAME, as systemd's
 * LoadCredential= gives it, under the secret-file rule; a name that leaves
 * the directory, and an unset variable, are usage errors saying so.
 */
static void
test_cred(void **state)
{
	struct edge_secret *s = NULL;
	struct edge_error err = { 0 };
	char dir[] = "/tmp/edge-test-cred.XXXXXX", path[128], got[PATH_MAX];
	static const char *const bad[] = { "cred:", "cred:.", "cred:..",
	    "cred:../pin", "cred:a/b", "cred:/etc/shadow" };
	size_t i;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/pin", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0400);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "4711\n", 5), 5);
	close(fd);

	unsetenv("CREDENTIALS_DIRECTORY");
	assert_true(edge_secret_is_source("cred:pin"));
	assert_int_equal(edge_secret_read("cred:pin", &s, &err), EDGE_EUSAGE);
	assert_null(s);
	assert_string_equal(err.msg,
	    "cred:pin: $CREDENTIALS_DIRECTORY is not set (cred: reads a credential of a systemd service, LoadCredential=; elsewhere use file:PATH)");
	setenv("CREDENTIALS_DIRECTORY", "", 1);
	assert_int_equal(edge_secret_read("cred:pin", &s, &err), EDGE_EUSAGE);

	setenv("CREDENTIALS_DIRECTORY", dir, 1);
	assert_int_equal(edge_secret_read("cred:pin", &s, &err), EDGE_OK);
	assert_string_equal(s->data, "4711");
	assert_int_equal(s->len, 4);
	edge_secret_free(&s);
	assert_int_equal(edge_secret_cred_path("cred:pin", got, sizeof(got),
	    &err), EDGE_OK);
	assert_string_equal(got, path);
	assert_int_equal(edge_secret_cred_path("cred:pin", got, 8, &err),
	    EDGE_EUSAGE);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(edge_secret_read(bad[i], &s, &err), EDGE_EUSAGE);
		assert_null(s);
		assert_non_null(strstr(err.msg, "not a credential name"));
	}

	/* The secret-file rule, as for file:. */
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(edge_secret_read("cred:pin", &s, &err), EDGE_ESTORE);
	assert_non_null(strstr(err.msg, "readable by others"));
	assert_null(s);
	assert_int_equal(edge_secret_read("cred:missing", &s, &err),
	    EDGE_ESTORE);
	assert_non_null(strstr(err.msg, "/missing"));
	unsetenv("CREDENTIALS_DIRECTORY");
	unlink(path);
	rmdir(dir);
}

/* A POSIX access ACL: version 2, then (tag, perm, id) little-endian. */
static int
set_acl(const char *path, unsigned user, unsigned group_obj, unsigned other,
    unsigned long uid)
{
	const unsigned ent[5][2] = { { 0x01, 4 }, { 0x02, user },
	    { 0x04, group_obj }, { 0x10, 4 | group_obj | user }, { 0x20, other } };
	unsigned char b[4 + 8 * 5] = { 2, 0, 0, 0 };
	unsigned i;

	for (i = 0; i < 5; i++) {
		unsigned char *e = b + 4 + 8 * i;
		unsigned long id = ent[i][0] == 0x02 ? uid : 0xffffffffUL;
		e[0] = (unsigned char)ent[i][0];
		e[2] = (unsigned char)ent[i][1];
		e[4] = (unsigned char)id; e[5] = (unsigned char)(id >> 8);
		e[6] = (unsigned char)(id >> 16); e[7] = (unsigned char)(id >> 24);
	}
	return setxattr(path, "system.posix_acl_access", b, sizeof(b), 0);
}

/*
 * systemd on a tmpfs with ACLs gives a service's user its credential as
 * root's 0400 file with user:NAME:r, which shows as mode 0440 (the group
 * bits are the ACL mask): accepted when the ACL grants this user alone,
 * refused when it grants another user, the group or others.
 */
static void
test_file_rule_acl(void **state)
{
	struct edge_error err = { 0 };
	char path[] = "/tmp/edge-test-acl.XXXXXX";
	struct stat st;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(chmod(path, 0400), 0);
	if (set_acl(path, 4, 0, 0, (unsigned long)geteuid()) != 0) {
		unlink(path);
		skip();	/* no ACLs on this file system */
	}
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0440);
	assert_int_equal(edge_secret_file_check(path, &err), EDGE_OK);
	assert_int_equal(set_acl(path, 4, 0, 0, 65534), 0);
	assert_int_equal(edge_secret_file_check(path, &err), EDGE_ESTORE);
	assert_non_null(strstr(err.msg, "readable by others"));
	assert_int_equal(set_acl(path, 4, 4, 0, (unsigned long)geteuid()), 0);
	assert_int_equal(edge_secret_file_check(path, &err), EDGE_ESTORE);
	assert_int_equal(set_acl(path, 4, 0, 4, (unsigned long)geteuid()), 0);
	assert_int_equal(edge_secret_file_check(path, &err), EDGE_ESTORE);
	/* A user entry without permissions grants nothing. */
	assert_int_equal(set_acl(path, 0, 0, 0, 65534), 0);
	assert_int_equal(edge_secret_file_check(path, &err), EDGE_OK);
	unlink(path);
}

/* The sources that take standard input (a tool cannot give it to two). */
static void
test_reads_stdin(void **state)
{
	(void)state;
	assert_true(edge_secret_reads_stdin("-"));
	assert_true(edge_secret_reads_stdin("file:-"));
	assert_false(edge_secret_reads_stdin(NULL));
	assert_true(edge_secret_reads_stdin("fd:0"));
	assert_true(edge_secret_reads_stdin("fd:00"));
	assert_true(edge_secret_reads_stdin("file:/dev/stdin"));
	assert_true(edge_secret_reads_stdin("file:/dev/fd/0"));
	assert_true(edge_secret_reads_stdin("file:/proc/self/fd/0"));
	assert_false(edge_secret_reads_stdin("fd:x"));
	assert_false(edge_secret_reads_stdin("file:-x"));
	assert_false(edge_secret_reads_stdin("env:-"));
}

/* By what the source opens: a path or a descriptor that is standard input. */
static void
test_reads_stdin_file(void **state)
{
	char path[] = "/tmp/test_secret.XXXXXX", other[] = "/tmp/test_secret.XXXXXX";
	char link[sizeof(path) + 4], spec[64];
	int fd, ofd, saved, dup0;

	(void)state;
	assert_true((fd = mkstemp(path)) >= 0);
	assert_true((ofd = mkstemp(other)) >= 0);
	snprintf(link, sizeof(link), "%s.ln", path);
	assert_int_equal(symlink(path, link), 0);
	assert_true((saved = dup(STDIN_FILENO)) >= 0);
	assert_int_equal(dup2(fd, STDIN_FILENO), STDIN_FILENO);
	snprintf(spec, sizeof(spec), "file:%s", path);
	assert_true(edge_secret_reads_stdin(spec));
	snprintf(spec, sizeof(spec), "file:%s", link);
	assert_true(edge_secret_reads_stdin(spec));
	snprintf(spec, sizeof(spec), "file:%s", other);
	assert_false(edge_secret_reads_stdin(spec));
	assert_true((dup0 = dup(STDIN_FILENO)) >= 0);
	snprintf(spec, sizeof(spec), "fd:%d", dup0);
	assert_true(edge_secret_reads_stdin(spec));
	snprintf(spec, sizeof(spec), "fd:%d", ofd);
	assert_false(edge_secret_reads_stdin(spec));
	assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
	snprintf(spec, sizeof(spec), "file:%s", path);
	assert_false(edge_secret_reads_stdin(spec));
	close(saved);
	close(dup0);
	close(fd);
	close(ofd);
	unlink(link);
	unlink(path);
	unlink(other);
}

static void
test_equal(void **state)
{
	struct edge_secret *s = NULL;

	(void)state;
	assert_int_equal(edge_secret_from_value("s3cret-value", &s, NULL), EDGE_OK);
	assert_true(edge_secret_equal(s, "s3cret-value", 12));
	assert_false(edge_secret_equal(s, "s3cret-valuE", 12));
	assert_false(edge_secret_equal(s, "s3cret-valu", 11));
	assert_false(edge_secret_equal(s, "s3cret-value!", 13));
	assert_false(edge_secret_equal(s, "", 0));
	assert_false(edge_secret_equal(NULL, "s3cret-value", 12));
	edge_secret_free(&s);
}

/*
 * edge_secret_wipe_registers zeroes what memcpy leaves in the vector
 * registers: a pattern loaded into the highest one the CPU has (zmm31 with
 * AVX-512, where glibc's memcpy works; else xmm15) reads back as zeros.
 */
static void
test_wipe_registers(void **state)
{
	unsigned char pat[64], out[64];
	size_t n = 16, i;

	(void)state;
	memset(pat, 0xa5, sizeof(pat));
	memset(out, 0xff, sizeof(out));
#if defined(__x86_64__)
	if (__builtin_cpu_supports("avx512f")) {
		__asm__ volatile("vmovdqu64 %0, %%zmm31" : : "m"(pat));
		edge_secret_wipe_registers();
		__asm__ volatile("vmovdqu64 %%zmm31, %0" : "=m"(out));
		n = 64;
	} else {
		__asm__ volatile("movdqu %0, %%xmm15" : : "m"(pat) : "xmm15");
		edge_secret_wipe_registers();
		__asm__ volatile("movdqu %%xmm15, %0" : "=m"(out));
	}
#elif defined(__aarch64__)
	__asm__ volatile("ldr q31, %0" : : "m"(pat) : "v31");
	edge_secret_wipe_registers();
	__asm__ volatile("str q31, %0" : "=m"(out));
#else
	memset(out, 0, sizeof(out));	/* nothing to wipe on this CPU */
#endif
	for (i = 0; i < n; i++)
		assert_int_equal(out[i], 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sources),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_file_rule),
		cmocka_unit_test(test_cred),
		cmocka_unit_test(test_file_rule_acl),
		cmocka_unit_test(test_reads_stdin),
		cmocka_unit_test(test_reads_stdin_file),
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_wipe_registers),
	};
	return cmocka_run_group_tests_name("edge_secret", tests, NULL, NULL);
}
