/* SPDX-License-Identifier: MIT */
/*
 * lib/edge_p11 without a token: which URIs name a key (scheme, syntax,
 * pin-value), the URIs it formats (labels percent-encoded by p11-kit), and
 * GnuTLS PKCS#11 errors mapped to store errors.  Token work is covered by
 * test_tls (SoftHSM2) and the CLI tests.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>

#include "edge_p11.h"

static void
test_is_uri(void **state)
{
	(void)state;
	assert_true(edge_p11_is_uri("pkcs11:"));
	assert_true(edge_p11_is_uri("pkcs11:token=edge;object=k"));
	assert_false(edge_p11_is_uri("PKCS11:token=edge"));
	assert_false(edge_p11_is_uri("key.pem"));
	assert_false(edge_p11_is_uri("pkcs11"));
	assert_false(edge_p11_is_uri(NULL));
}

static void
check_in(const char *uri, const char *file, int code, const char *msg)
{
	struct edge_error err = { 0 };

	assert_int_equal(edge_p11_check_uri(uri, file, &err), code);
	if (msg != NULL && strstr(err.msg, msg) == NULL)
		fail_msg("%s: '%s' does not say '%s'", uri, err.msg, msg);
	/* No message repeats a PIN (every one below is 1234). */
	if (strstr(err.msg, "1234") != NULL)
		fail_msg("%s: '%s' shows the PIN", uri, err.msg);
}

static void
check(const char *uri, int code, const char *msg)
{
	check_in(uri, NULL, code, msg);
}

static void
test_check_uri(void **state)
{
	(void)state;
	check("pkcs11:token=edge;object=edge-key;type=private", EDGE_OK, NULL);
	check("pkcs11:token=edge;id=%01%02?pin-source=file:/run/pin", EDGE_OK,
	    NULL);
	check("pkcs11:", EDGE_OK, NULL);
	check("key.pem", EDGE_EUSAGE, "key.pem: not a pkcs11: URI");
	check("", EDGE_EUSAGE, "not a pkcs11: URI");
	check("pkcs11:token=edge?pin-value=1234", EDGE_EUSAGE,
	    "pin-value would put the PIN on the command line");
	check("pkcs11:token=edge;pin-value=1234", EDGE_EUSAGE, "pin-value");
	check("pkcs11:token=%zz", EDGE_EUSAGE, "pkcs11:token=%zz: ");
	/* A value that merely mentions pin-value is no PIN. */
	check("pkcs11:token=edge;object=pin-value", EDGE_OK, NULL);
	check("pkcs11:token=edge;object=pin-values=1", EDGE_OK, NULL);
}

/* pin-value however spelled (p11-kit ignores these): refused, never shown. */
static void
test_pin_value_variants(void **state)
{
	static const char *const uris[] = {
		"pkcs11:token=edge?PIN-VALUE=1234",
		"pkcs11:token=edge?pin-v%61lue=1234",
		"pkcs11:token=edge?Pin-V%41LUE=1234",
		"pkcs11:token=edge?pin-source=file:/p&PIN-value=1234",
		"pkcs11:token=edge;%70in-value=1234",
		"pkcs11:token=edge;Pin-Value=1234;object=k",
		"PKCS11:token=edge?pin-value=1234",
		"pkcs11:token=%zz?pin-value=1234",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(uris) / sizeof(uris[0]); i++) {
		check(uris[i], EDGE_EUSAGE, "pin-value");
		check_in(uris[i], "key.uri", EDGE_EINPUT, "key.uri: pin-value");
	}
	/* Other errors do not echo the query either. */
	check("pkcs11:token=%zz?pin-source=1234", EDGE_EUSAGE, "pkcs11:token=%zz: ");
	check("file:/k?x=1234", EDGE_EUSAGE, "file:/k: not a pkcs11: URI");
	/* The content of a file: invalid input, named by the file. */
	check_in("", "key.uri", EDGE_EINPUT, "key.uri: not a pkcs11: URI");
	check_in("/etc/key.pem", "key.uri", EDGE_EINPUT,
	    "key.uri: not a pkcs11: URI");
	check_in("pkcs11:token=%zz", "key.uri", EDGE_EINPUT,
	    "key.uri: pkcs11:token=%zz: ");
	check_in("pkcs11:token=edge", "key.uri", EDGE_OK, NULL);
}

static void
test_label_uri(void **state)
{
	struct edge_error err = { 0 };
	char *uri = NULL;

	(void)state;
	assert_int_equal(edge_p11_label_uri("pkcs11:token=edge%20gw;serial=42",
	    "edge key;1", &uri, &err), EDGE_OK);
	assert_non_null(strstr(uri, "token=edge%20gw"));
	assert_non_null(strstr(uri, "serial=42"));
	assert_non_null(strstr(uri, "object=edge%20key%3B1"));
	assert_null(strstr(uri, "pin-"));
	check(uri, EDGE_OK, NULL);
	free(uri);
	uri = NULL;
	assert_int_equal(edge_p11_label_uri("not a token", "k", &uri, &err),
	    EDGE_EFAIL);
	assert_null(uri);
}

static void
test_error_map(void **state)
{
	struct edge_error err = { 0 };

	(void)state;
	assert_int_equal(edge_p11_error(&err, GNUTLS_E_PKCS11_PIN_ERROR, "k"),
	    EDGE_ESTORE);
	assert_string_equal(err.msg, "k: wrong or missing token PIN");
	assert_int_equal(edge_p11_error(&err, GNUTLS_E_PKCS11_PIN_LOCKED, "k"),
	    EDGE_ESTORE);
	assert_string_equal(err.msg, "k: token PIN is locked");
	assert_int_equal(edge_p11_error(&err,
	    GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE, "k"), EDGE_ESTORE);
	assert_string_equal(err.msg, "k: no such object in the token");
	assert_int_equal(edge_p11_error(&err, GNUTLS_E_MEMORY_ERROR, "k"),
	    EDGE_ESTORE);
	assert_non_null(strstr(err.msg, "k: "));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_is_uri),
		cmocka_unit_test(test_check_uri),
		cmocka_unit_test(test_pin_value_variants),
		cmocka_unit_test(test_label_uri),
		cmocka_unit_test(test_error_map),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
