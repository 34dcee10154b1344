/* SPDX-License-Identifier: MIT */
/*
 * lib/edge_pem: PEM written 64 columns a line (checked byte for byte against
 * GnuTLS's encoder), decoded in place back to the same bytes, and refused
 * when the block is missing, truncated or its base64 is bad.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "edge_pem.h"

static char dir[64];
static int dirfd = -1;

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_pem.XXXXXX");
	assert_non_null(mkdtemp(dir));
	dirfd = open(dir, O_RDONLY | O_DIRECTORY);
	return dirfd >= 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	(void)unlinkat(dirfd, "x.pem", 0);
	close(dirfd);
	return rmdir(dir);
}

/* edge_pem_write of n random bytes; returns the file (caller frees). */
static char *
write_pem(const unsigned char *der, size_t n, size_t *len)
{
	struct edge_atomic a = { .fd = -1 };
	char *text = NULL;

	assert_int_equal(edge_file_atomic_begin(dirfd, "x.pem", EDGE_MODE_PUBLIC,
	    &a, NULL), EDGE_OK);
	assert_int_equal(edge_pem_write(&a, "TEST DATA", der, n, NULL), EDGE_OK);
	assert_int_equal(edge_file_atomic_commit(&a, NULL), EDGE_OK);
	assert_int_equal(edge_file_read(dirfd, "x.pem", (size_t)1 << 24, &text,
	    len, NULL), EDGE_OK);
	return text;
}

static void
round_trip(void **state)
{
	/* Around a line (48 bytes) and past the writer's chunk (256 lines). */
	static const size_t sizes[] = { 1, 2, 3, 47, 48, 49, 96, 12288, 12289,
	    100000 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i], len = 0, der_len = 0;
		unsigned char *der = malloc(n);
		gnutls_datum_t want = { NULL, 0 };
		char *text;

		assert_non_null(der);
		assert_int_equal(gnutls_rnd(GNUTLS_RND_NONCE, der, n), 0);
		text = write_pem(der, n, &len);
		assert_int_equal(gnutls_pem_base64_encode2("TEST DATA",
		    &(gnutls_datum_t){ der, (unsigned)n }, &want), 0);
		assert_int_equal(len, want.size);
		assert_memory_equal(text, want.data, len);
		gnutls_free(want.data);

		assert_true(edge_pem_has(text, len, "TEST DATA"));
		assert_false(edge_pem_has(text, len, "CERTIFICATE"));
		assert_int_equal(edge_pem_decode_inplace((unsigned char *)text,
		    len, "TEST DATA", &der_len, NULL), EDGE_OK);
		assert_int_equal(der_len, n);
		assert_memory_equal(text, der, n);
		free(text);
		free(der);
	}
}

static int
decode(const char *pem, char *out, size_t *n, struct edge_error *err)
{
	size_t len = strlen(pem);

	memcpy(out, pem, len + 1);
	return edge_pem_decode_inplace((unsigned char *)out, len, "X", n, err);
}

static void
decode_rules(void **state)
{
	struct edge_error err = { 0, "" };
	char buf[256];
	size_t n = 0;

	(void)state;
	/* Text around the block, CRLF and blanks inside it are fine. */
	assert_int_equal(decode("junk\n-----BEGIN X-----\r\nTW Fu\r\n"
	    "-----END X-----\ntrailer", buf, &n, &err), EDGE_OK);
	assert_int_equal(n, 3);
	assert_memory_equal(buf, "Man", 3);
	assert_int_equal(decode("-----BEGIN X-----\nTWE=\n-----END X-----\n",
	    buf, &n, &err), EDGE_OK);
	assert_int_equal(n, 2);
	assert_memory_equal(buf, "Ma", 2);
	assert_int_equal(decode("-----BEGIN X-----\nTQ==\n-----END X-----\n",
	    buf, &n, &err), EDGE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(decode("-----BEGIN X-----\n-----END X-----\n", buf, &n,
	    &err), EDGE_OK);
	assert_int_equal(n, 0);

	assert_int_equal(decode("-----BEGIN Y-----\nTWFu\n-----END Y-----\n",
	    buf, &n, &err), EDGE_EINPUT);
	assert_string_equal(err.msg, "no X PEM block");
	assert_int_equal(decode("-----BEGIN X-----\nTWFu\n", buf, &n, &err),
	    EDGE_EINPUT);
	assert_string_equal(err.msg, "X PEM block has no end line (truncated)");
	assert_int_equal(decode("-----BEGIN X-----\nTW*u\n-----END X-----\n",
	    buf, &n, &err), EDGE_EINPUT);
	assert_string_equal(err.msg, "X PEM block: bad base64");
	/* Data after padding, too much padding, a dangling sextet. */
	assert_int_equal(decode("-----BEGIN X-----\nTQ==TWFu\n-----END X-----\n",
	    buf, &n, &err), EDGE_EINPUT);
	assert_int_equal(decode("-----BEGIN X-----\nT===\n-----END X-----\n",
	    buf, &n, &err), EDGE_EINPUT);
	assert_int_equal(decode("-----BEGIN X-----\nTWFuT\n-----END X-----\n",
	    buf, &n, &err), EDGE_EINPUT);
	assert_string_equal(err.msg, "X PEM block: bad base64");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(decode_rules),
	};

	return cmocka_run_group_tests_name("edge_pem", tests, setup, teardown);
}
