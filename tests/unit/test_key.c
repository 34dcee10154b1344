/* SPDX-License-Identifier: MIT */
/*
 * lib/edge_key: the one locator of the state directory's key (key.uri else
 * key.pem: trimming, caps, refusals), PEM parsing and what it says about
 * files that are not keys, the hub's key rule, generated keys.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "edge_file.h"
#include "edge_key.h"

static char dir[64];
static int dirfd = -1;

static int
setup(void **state)
{
	struct edge_error err = { 0 };

	(void)state;
	strcpy(dir, "/tmp/edge-test-key.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	return edge_dir_open(dir, &dirfd, &err) == EDGE_OK ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	close(dirfd);
	dirfd = -1;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static void
put(const char *name, const char *data, size_t len)
{
	struct edge_error err = { 0 };

	assert_int_equal(edge_file_write_atomic(dirfd, name, data, len,
	    EDGE_MODE_PRIVATE, &err), EDGE_OK);
}

static void
puts_file(const char *name, const char *s)
{
	put(name, s, strlen(s));
}

/* A key of any algorithm and size GnuTLS makes, as PKCS#8 PEM. */
static char *
gen_pem(gnutls_pk_algorithm_t algo, unsigned bits)
{
	gnutls_x509_privkey_t x;
	gnutls_datum_t out = { NULL, 0 };
	char *pem;

	assert_int_equal(gnutls_x509_privkey_init(&x), 0);
	assert_int_equal(gnutls_x509_privkey_generate2(x, algo, bits, 0, NULL,
	    0), 0);
	assert_int_equal(gnutls_x509_privkey_export2_pkcs8(x,
	    GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN, &out), 0);
	pem = strndup((char *)out.data, out.size);
	assert_non_null(pem);
	gnutls_free(out.data);
	gnutls_x509_privkey_deinit(x);
	return pem;
}

static void
put_ec_key(void)
{
	char *pem;
	size_t len;
	struct edge_error err = { 0 };

	assert_int_equal(edge_key_generate_pem(EDGE_KEY_EC, 0, &pem, &len, &err),
	    EDGE_OK);
	put(EDGE_KEY_PEM, pem, len);
	edge_key_pem_free(&pem, len);
}

static void
test_locate_pem(void **state)
{
	struct edge_error err = { 0 };
	struct edge_key *key = NULL;
	char *uri = (char *)"x", desc[32];

	(void)state;
	put_ec_key();
	assert_int_equal(edge_key_locate(dirfd, &uri, &key, &err), EDGE_OK);
	assert_null(uri);
	assert_non_null(key);
	assert_false(key->token);
	assert_string_equal(key->where, EDGE_KEY_PEM);
	assert_int_equal(key->type, EDGE_KEY_EC);
	edge_key_describe(key, desc, sizeof(desc));
	assert_string_equal(desc, "EC P-256");
	assert_int_equal(strncmp(key->id, "sha256:", 7), 0);
	assert_int_equal(strlen(key->id), 7 + 64);
	assert_int_equal(edge_key_check(key, NULL, &err), EDGE_OK);
	edge_key_free(&key);
	assert_null(key);
	assert_false(edge_key_state_in_token(dirfd));

	/* edge_key_load_state gives the same key. */
	assert_int_equal(edge_key_load_state(dirfd, &key, &err), EDGE_OK);
	assert_int_equal(key->type, EDGE_KEY_EC);
	edge_key_free(&key);
}

static void
test_locate_uri_wins_and_trims(void **state)
{
	struct edge_error err = { 0 };
	struct edge_key *key = NULL;
	char *uri = NULL;

	(void)state;
	put_ec_key();
	puts_file(EDGE_KEY_URI, "pkcs11:token=edge;object=edge-key \t\r\n");
	assert_int_equal(edge_key_locate(dirfd, &uri, &key, &err), EDGE_OK);
	assert_null(key);
	assert_non_null(uri);
	assert_string_equal(uri, "pkcs11:token=edge;object=edge-key");
	assert_true(edge_key_state_in_token(dirfd));
	free(uri);
}

static void
expect_uri_refused(const char *content, size_t len, int code, const char *msg)
{
	struct edge_error err = { 0 };
	struct edge_key *key = NULL;
	char *uri = NULL;

	put(EDGE_KEY_URI, content, len);
	assert_int_equal(edge_key_locate(dirfd, &uri, &key, &err), code);
	assert_null(uri);
	assert_null(key);
	if (strstr(err.msg, msg) == NULL)
		fail_msg("'%s' does not say '%s'", err.msg, msg);
	/* The GnuTLS path refuses it the same way, before any token. */
	memset(&err, 0, sizeof(err));
	assert_int_equal(edge_key_load_state(dirfd, &key, &err), code);
	assert_null(key);
	assert_non_null(strstr(err.msg, msg));
}

static void
test_locate_uri_refused(void **state)
{
	char big[EDGE_KEY_URI_MAX + 2];

	(void)state;
	/* A second line is not cut away (the OpenSSL path used to). */
	expect_uri_refused("pkcs11:token=a\npkcs11:token=b\n", 30, EDGE_EINPUT,
	    "not one pkcs11: URI on one line");
	expect_uri_refused("pkcs11:token=a\001\n", 16, EDGE_EINPUT,
	    "not one pkcs11: URI on one line");
	/* key.uri is a file, not an argument: its content is input (exit 3). */
	expect_uri_refused("pkcs11:token=edge;pin-value=1234\n", 33, EDGE_EINPUT,
	    "key.uri: pin-value");
	expect_uri_refused("pkcs11:token=edge?PIN-VALUE=1234\n", 33, EDGE_EINPUT,
	    "key.uri: pin-value");
	expect_uri_refused("file:///etc/key.pem\n", 20, EDGE_EINPUT,
	    "key.uri: not a pkcs11: URI");
	expect_uri_refused("", 0, EDGE_EINPUT, "key.uri: not a pkcs11: URI");
	expect_uri_refused("pkcs11:token=%zz\n", 17, EDGE_EINPUT, "key.uri: pkcs11:");
	memset(big, 'a', sizeof(big));
	memcpy(big, "pkcs11:object=", 14);
	expect_uri_refused(big, EDGE_KEY_URI_MAX + 1, EDGE_EINPUT, "too large");
}

static void
test_locate_uri_cap(void **state)
{
	char big[EDGE_KEY_URI_MAX + 1];
	struct edge_error err = { 0 };
	struct edge_key *key = NULL;
	char *uri = NULL;

	(void)state;
	/* Exactly the cap is read. */
	memset(big, 'a', sizeof(big));
	memcpy(big, "pkcs11:object=", 14);
	put(EDGE_KEY_URI, big, EDGE_KEY_URI_MAX);
	assert_int_equal(edge_key_locate(dirfd, &uri, &key, &err), EDGE_OK);
	assert_int_equal(strlen(uri), EDGE_KEY_URI_MAX);
	free(uri);
}

static void
expect_pem_refused(const char *content, size_t len, int code, const char *msg)
{
	struct edge_error err = { 0 };
	struct edge_key *key = NULL;
	char *uri = NULL;

	put(EDGE_KEY_PEM, content, len);
	assert_int_equal(edge_key_locate(dirfd, &uri, &key, &err), code);
	assert_null(uri);
	assert_null(key);
	if (strstr(err.msg, msg) == NULL)
		fail_msg("'%s' does not say '%s'", err.msg, msg);
}

static void
test_locate_pem_refused(void **state)
{
	static const char cert[] =
	    "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
	static const char enc[] =
	    "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n"
	    "-----END ENCRYPTED PRIVATE KEY-----\n";
	static const char bad[] =
	    "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n";
	struct edge_error err = { 0 };
	struct edge_key *key = NULL;
	char *uri = NULL, *pem, *big;
	size_t len;

	(void)state;
	/* No key at all. */
	assert_int_equal(edge_key_locate(dirfd, &uri, &key, &err), EDGE_EINPUT);
	assert_non_null(strstr(err.msg, "run edge-keygen first"));
	expect_pem_refused("garbage\n", 8, EDGE_EINPUT, "key.pem: not a PEM file");
	expect_pem_refused(cert, sizeof(cert) - 1, EDGE_EINPUT,
	    "holds a certificate, not a private key");
	expect_pem_refused(enc, sizeof(enc) - 1, EDGE_EINPUT,
	    "encrypted private keys are not supported");
	expect_pem_refused(bad, sizeof(bad) - 1, EDGE_EINPUT,
	    "key.pem: not a valid private key");

	/* The cap is 64 KiB, for both paths now (the OpenSSL one took 1 MiB). */
	pem = gen_pem(GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1));
	len = strlen(pem);
	big = calloc(1, EDGE_KEY_PEM_MAX + 1);
	assert_non_null(big);
	memset(big, '\n', EDGE_KEY_PEM_MAX + 1);
	memcpy(big, pem, len);
	expect_pem_refused(big, EDGE_KEY_PEM_MAX + 1, EDGE_EINPUT, "too large");
	put(EDGE_KEY_PEM, big, EDGE_KEY_PEM_MAX);
	assert_int_equal(edge_key_locate(dirfd, &uri, &key, &err), EDGE_OK);
	edge_key_free(&key);
	free(big);
	free(pem);

	/* A symbolic link is not followed. */
	assert_int_equal(unlinkat(dirfd, EDGE_KEY_PEM, 0), 0);
	assert_int_equal(symlinkat("/etc/passwd", dirfd, EDGE_KEY_PEM), 0);
	assert_int_equal(edge_key_locate(dirfd, &uri, &key, &err), EDGE_EINPUT);
	assert_non_null(strstr(err.msg, "symbolic link"));
}

/* A key in the traditional (not PKCS#8) PEM form: "RSA/EC PRIVATE KEY". */
static char *
gen_pem_traditional(gnutls_pk_algorithm_t algo, unsigned bits)
{
	gnutls_x509_privkey_t x;
	gnutls_datum_t out = { NULL, 0 };
	char *pem;

	assert_int_equal(gnutls_x509_privkey_init(&x), 0);
	assert_int_equal(gnutls_x509_privkey_generate2(x, algo, bits, 0, NULL,
	    0), 0);
	assert_int_equal(gnutls_x509_privkey_export2(x, GNUTLS_X509_FMT_PEM,
	    &out), 0);
	pem = strndup((char *)out.data, out.size);
	assert_non_null(pem);
	gnutls_free(out.data);
	gnutls_x509_privkey_deinit(x);
	return pem;
}

/*
 * key.pem holds one PEM block: a second key, or a certificate before the
 * key, would leave which key is used to the parser.  The traditional forms
 * are accepted.
 */
static void
test_locate_pem_one_block(void **state)
{
	static const char cert[] =
	    "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
	struct edge_error err = { 0 };
	struct edge_key *key = NULL;
	char *uri = NULL, *a, *b, *two, path[128];
	size_t la, lb;

	(void)state;
	a = gen_pem(GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1));
	b = gen_pem(GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1));
	la = strlen(a);
	lb = strlen(b);
	two = malloc(sizeof(cert) + la + lb);
	assert_non_null(two);

	memcpy(two, a, la);
	memcpy(two + la, b, lb);
	expect_pem_refused(two, la + lb, EDGE_EINPUT,
	    "key.pem: holds 2 PEM blocks; expected one private key");
	memcpy(two, cert, sizeof(cert) - 1);
	memcpy(two + sizeof(cert) - 1, a, la);
	expect_pem_refused(two, sizeof(cert) - 1 + la, EDGE_EINPUT,
	    "key.pem: holds 2 PEM blocks; expected one private key");
	/* A file named by the user is held to the same rule. */
	snprintf(path, sizeof(path), "%s/" EDGE_KEY_PEM, dir);
	assert_int_equal(edge_key_load(path, &key, &err), EDGE_EINPUT);
	assert_non_null(strstr(err.msg, "holds 2 PEM blocks"));
	assert_null(key);

	/* Text around the one block is no block. */
	memcpy(two, "comment\n", 8);
	memcpy(two + 8, a, la);
	memcpy(two + 8 + la, "x -----BEGIN \n", 14);
	put(EDGE_KEY_PEM, two, 8 + la + 14);
	assert_int_equal(edge_key_locate(dirfd, &uri, &key, &err), EDGE_OK);
	edge_key_free(&key);
	free(two);
	free(a);
	free(b);

	/* The traditional forms. */
	a = gen_pem_traditional(GNUTLS_PK_RSA, 2048);
	assert_non_null(strstr(a, "-----BEGIN RSA PRIVATE KEY-----"));
	puts_file(EDGE_KEY_PEM, a);
	assert_int_equal(edge_key_locate(dirfd, &uri, &key, &err), EDGE_OK);
	assert_int_equal(key->type, EDGE_KEY_RSA);
	edge_key_free(&key);
	free(a);
	a = gen_pem_traditional(GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1));
	assert_non_null(strstr(a, "-----BEGIN EC PRIVATE KEY-----"));
	puts_file(EDGE_KEY_PEM, a);
	assert_int_equal(edge_key_locate(dirfd, &uri, &key, &err), EDGE_OK);
	assert_int_equal(key->type, EDGE_KEY_EC);
	edge_key_free(&key);
	free(a);
}

/* Keys that parse but the hub does not take: located, then refused by the rule. */
static void
test_key_rule(void **state)
{
	static const struct {
		gnutls_pk_algorithm_t algo;
		unsigned bits;
		const char *desc;
		int any, rsa, ec;
	} cases[] = {
		{ GNUTLS_PK_RSA, 2048, "RSA-2048", EDGE_OK, EDGE_OK, EDGE_EINPUT },
		{ GNUTLS_PK_RSA, 1024, "RSA-1024", EDGE_EINPUT, EDGE_EINPUT,
		    EDGE_EINPUT },
		{ GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP384R1),
		    "EC SECP384R1", EDGE_EINPUT, EDGE_EINPUT, EDGE_EINPUT },
	};
	enum edge_key_type rsa = EDGE_KEY_RSA, ec = EDGE_KEY_EC;
	struct edge_error err = { 0 };
	struct edge_key *key = NULL;
	char *uri = NULL, *pem, desc[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pem = gen_pem(cases[i].algo, cases[i].bits);
		puts_file(EDGE_KEY_PEM, pem);
		free(pem);
		assert_int_equal(edge_key_locate(dirfd, &uri, &key, &err),
		    EDGE_OK);
		edge_key_describe(key, desc, sizeof(desc));
		assert_string_equal(desc, cases[i].desc);
		assert_int_equal(edge_key_check(key, NULL, &err), cases[i].any);
		assert_int_equal(edge_key_check(key, &rsa, &err), cases[i].rsa);
		assert_int_equal(edge_key_check(key, &ec, &err), cases[i].ec);
		edge_key_free(&key);
	}
	assert_non_null(strstr(err.msg, "key.pem: not an EC P-256 key (found EC SECP384R1)"));

	/* Ed25519 parses with GnuTLS but is neither RSA nor EC. */
	pem = gen_pem(GNUTLS_PK_EDDSA_ED25519, 256);
	puts_file(EDGE_KEY_PEM, pem);
	free(pem);
	assert_int_equal(edge_key_locate(dirfd, &uri, &key, &err), EDGE_EINPUT);
	assert_non_null(strstr(err.msg, "unsupported key algorithm"));
}

/* A key named by the user: a path (same cap and checks) or "-" refused. */
static void
test_load_named(void **state)
{
	struct edge_error err = { 0 };
	struct edge_key *key = NULL;
	char path[128];

	(void)state;
	put_ec_key();
	snprintf(path, sizeof(path), "%s/" EDGE_KEY_PEM, dir);
	assert_int_equal(edge_key_load(path, &key, &err), EDGE_OK);
	assert_string_equal(key->where, path);
	assert_int_equal(key->type, EDGE_KEY_EC);
	edge_key_free(&key);
	assert_int_equal(edge_key_load("-", &key, &err), EDGE_EUSAGE);
	assert_non_null(strstr(err.msg, "standard input"));
	snprintf(path, sizeof(path), "%s/none.pem", dir);
	assert_int_equal(edge_key_load(path, &key, &err), EDGE_ESTORE);
	assert_null(key);
	/* A URI with pin-value is refused before any token is looked at. */
	assert_int_equal(edge_key_load("pkcs11:token=x;pin-value=1", &key, &err),
	    EDGE_EUSAGE);
}

static void
test_generate_and_types(void **state)
{
	struct edge_error err = { 0 };
	enum edge_key_type t;
	char *pem = NULL;
	size_t len = 0;
	struct edge_key *a = NULL, *b = NULL;

	(void)state;
	assert_int_equal(edge_key_type_parse("RSA", &t, &err), EDGE_OK);
	assert_int_equal(t, EDGE_KEY_RSA);
	assert_int_equal(edge_key_type_parse("ecc", &t, &err), EDGE_OK);
	assert_int_equal(t, EDGE_KEY_EC);
	assert_int_equal(edge_key_type_parse("dsa", &t, &err), EDGE_EUSAGE);
	assert_int_equal(edge_key_generate_pem(EDGE_KEY_RSA, 1024, &pem, &len,
	    &err), EDGE_EUSAGE);
	assert_null(pem);
	assert_int_equal(edge_key_generate_pem(EDGE_KEY_EC, 0, &pem, &len, &err),
	    EDGE_OK);
	assert_int_equal(edge_key_from_pem(pem, len, "a", &a, &err), EDGE_OK);
	assert_int_equal(edge_key_from_pem(pem, len, "b", &b, &err), EDGE_OK);
	assert_true(edge_key_pub_equal(a->pub, b->pub));
	assert_string_equal(a->id, b->id);
	edge_key_free(&b);
	edge_key_pem_free(&pem, len);
	assert_null(pem);
	assert_int_equal(edge_key_generate_pem(EDGE_KEY_EC, 0, &pem, &len, &err),
	    EDGE_OK);
	assert_int_equal(edge_key_from_pem(pem, len, "b", &b, &err), EDGE_OK);
	assert_false(edge_key_pub_equal(a->pub, b->pub));
	edge_key_pem_free(&pem, len);
	edge_key_free(&a);
	edge_key_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_locate_pem, setup, teardown),
		cmocka_unit_test_setup_teardown(test_locate_uri_wins_and_trims,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_locate_uri_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_locate_uri_cap, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_locate_pem_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_locate_pem_one_block, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_key_rule, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_named, setup, teardown),
		cmocka_unit_test(test_generate_and_types),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
