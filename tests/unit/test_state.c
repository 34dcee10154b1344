/* SPDX-License-Identifier: MIT */
/*
 * lib/edge_state: every state file another step makes names that step, and a
 * missing one read from the state directory is exit 3 with the step
 * (DESIGN.md), while a missing user path or a file no step makes stays 7.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "edge_state.h"
#include "testdir.h"

static void
makers(void **state)
{
	(void)state;
	assert_string_equal(edge_state_maker(EDGE_KEY_PEM), "edge-keygen");
	assert_string_equal(edge_state_maker(EDGE_KEY_URI), "edge-keygen");
	assert_string_equal(edge_state_maker(EDGE_CSR_FILE), "edge-csr");
	assert_string_equal(edge_state_maker(EDGE_DEVICE_FILE), "edge-provision");
	assert_string_equal(edge_state_maker(EDGE_DEVICE_SECRET), "edge-provision");
	assert_string_equal(edge_state_maker(EDGE_CERT_FILE), "edge-activate");
	assert_string_equal(edge_state_maker(EDGE_CA_FILE), "edge-activate");
	assert_string_equal(edge_state_maker(EDGE_CRL_FILE), "edge-crl-update");
	assert_null(edge_state_maker(EDGE_CONF_FILE));
	assert_null(edge_state_maker(EDGE_TIME_FILE));
	assert_null(edge_state_maker(EDGE_HUB_TOKEN_FILE));
	assert_null(edge_state_maker("/tmp/ca.pem"));
}

static void
missing(void **state)
{
	struct edge_error err = { 0 };

	(void)state;
	assert_int_equal(edge_state_missing(EDGE_CA_FILE, &err), EDGE_EINPUT);
	assert_string_equal(err.msg, "ca.pem: missing; run edge-activate first");
	assert_int_equal(edge_state_missing(EDGE_CSR_FILE, &err), EDGE_EINPUT);
	assert_string_equal(err.msg, "csr.pem: missing; run edge-csr first");
	assert_int_equal(edge_state_missing("other", &err), EDGE_ESTORE);
	assert_string_equal(err.msg, "other: No such file or directory");
	assert_int_equal(edge_state_missing(EDGE_CERT_FILE, NULL), EDGE_EINPUT);
}

static void
file_read(void **state)
{
	struct edge_error err = { 0 };
	char *data = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(testdir_make("/tmp/test_state.XXXXXX"), 0);
	/* In the state directory: the step. */
	assert_int_equal(edge_file_read(dfd, EDGE_CERT_FILE, 4096, &data, &len,
	    &err), EDGE_EINPUT);
	assert_string_equal(err.msg, "cert.pem: missing; run edge-activate first");
	assert_null(data);
	/* A file no step makes, or a user's path: storage, as before. */
	assert_int_equal(edge_file_read(dfd, EDGE_TIME_FILE, 4096, &data, &len,
	    &err), EDGE_ESTORE);
	assert_string_equal(err.msg, "trusted-time: No such file or directory");
	assert_int_equal(chdir(dir), 0);
	assert_int_equal(edge_file_read(AT_FDCWD, EDGE_CA_FILE, 4096, &data,
	    &len, &err), EDGE_ESTORE);
	assert_string_equal(err.msg, "ca.pem: No such file or directory");
	assert_int_equal(chdir("/"), 0);
	assert_int_equal(testdir_remove(), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(makers),
		cmocka_unit_test(missing),
		cmocka_unit_test(file_read),
	};

	return cmocka_run_group_tests_name("edge_state", tests, NULL, NULL);
}
