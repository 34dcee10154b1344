/* SPDX-License-Identifier: MIT */
/*
 * lib/edge_x509: certificates made here with GnuTLS (a CA, a leaf it signed,
 * a stranger), loaded from PEM and from state files (edge_certs_read),
 * verified at given times, serials shown and parsed the EnOS way, key match,
 * PEM export, times and subjects.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "edge_file.h"
#include "edge_x509.h"

#define NOW	((time_t)1800000000)	/* 2027-01-15 */
#define DAY	86400

static gnutls_x509_privkey_t ca_key, leaf_key, other_key;
static char *ca_pem, *leaf_pem, *other_pem, *neg_pem;
static char dir[64];
static int dirfd = -1;

static gnutls_x509_privkey_t
ec_key(void)
{
	gnutls_x509_privkey_t k;

	assert_int_equal(gnutls_x509_privkey_init(&k), 0);
	assert_int_equal(gnutls_x509_privkey_generate(k, GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0), 0);
	return k;
}

/* A certificate for key, signed by signer (NULL: self-signed), as PEM. */
static char *
make(gnutls_x509_privkey_t key, const char *cn, const void *serial,
    size_t slen, bool ca, gnutls_x509_crt_t signer,
    gnutls_x509_privkey_t signer_key, gnutls_x509_crt_t *keep)
{
	gnutls_x509_crt_t crt;
	gnutls_datum_t pem = { NULL, 0 };
	static const char org[] = "Edge Test";
	char *out;

	assert_int_equal(gnutls_x509_crt_init(&crt), 0);
	assert_int_equal(gnutls_x509_crt_set_version(crt, 3), 0);
	assert_int_equal(gnutls_x509_crt_set_serial(crt, serial, slen), 0);
	assert_int_equal(gnutls_x509_crt_set_activation_time(crt, NOW - DAY), 0);
	assert_int_equal(gnutls_x509_crt_set_expiration_time(crt,
	    NOW + 30 * DAY), 0);
	assert_int_equal(gnutls_x509_crt_set_dn_by_oid(crt,
	    GNUTLS_OID_X520_ORGANIZATION_NAME, 0, org, sizeof(org) - 1), 0);
	assert_int_equal(gnutls_x509_crt_set_dn_by_oid(crt,
	    GNUTLS_OID_X520_COMMON_NAME, 0, cn, (unsigned)strlen(cn)), 0);
	assert_int_equal(gnutls_x509_crt_set_key(crt, key), 0);
	assert_int_equal(gnutls_x509_crt_set_basic_constraints(crt, ca, -1), 0);
	if (ca)
		assert_int_equal(gnutls_x509_crt_set_key_usage(crt,
		    GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN), 0);
	assert_int_equal(gnutls_x509_crt_sign2(crt, signer ? signer : crt,
	    signer_key ? signer_key : key, GNUTLS_DIG_SHA256, 0), 0);
	assert_int_equal(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM,
	    &pem), 0);
	out = strndup((const char *)pem.data, pem.size);
	assert_non_null(out);
	gnutls_free(pem.data);
	if (keep != NULL)
		*keep = crt;
	else
		gnutls_x509_crt_deinit(crt);
	return out;
}

static void
put(const char *name, const char *text)
{
	assert_int_equal(edge_file_write_atomic(dirfd, name, text, strlen(text),
	    EDGE_MODE_PUBLIC, NULL), EDGE_OK);
}

static int
setup(void **state)
{
	gnutls_x509_crt_t ca;

	(void)state;
	ca_key = ec_key();
	leaf_key = ec_key();
	other_key = ec_key();
	ca_pem = make(ca_key, "Test Root", "\x01", 1, true, NULL, NULL, &ca);
	leaf_pem = make(leaf_key, "leaf", "\x01\x00", 2, false, ca, ca_key, NULL);
	other_pem = make(other_key, "Stranger", "\x02", 1, true, NULL, NULL, NULL);
	/* An INTEGER with its top bit set: a negative serial (-1). */
	neg_pem = make(leaf_key, "neg", "\xff", 1, false, ca, ca_key, NULL);
	gnutls_x509_crt_deinit(ca);
	snprintf(dir, sizeof(dir), "/tmp/test_x509.XXXXXX");
	assert_non_null(mkdtemp(dir));
	dirfd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(dirfd >= 0);
	return 0;
}

static int
teardown(void **state)
{
	static const char *const names[] = {
		"ca.pem", "cert.pem", "bundle.pem", "junk.pem", "big.pem",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		(void)unlinkat(dirfd, names[i], 0);
	close(dirfd);
	rmdir(dir);
	free(ca_pem);
	free(leaf_pem);
	free(other_pem);
	free(neg_pem);
	gnutls_x509_privkey_deinit(ca_key);
	gnutls_x509_privkey_deinit(leaf_key);
	gnutls_x509_privkey_deinit(other_key);
	return 0;
}

static void
load_bundles(void **state)
{
	struct edge_certs c = { 0 };
	struct edge_error err = { 0, "" };
	char both[8192];

	(void)state;
	assert_int_equal(edge_certs_load(leaf_pem, strlen(leaf_pem), "x", &c,
	    &err), EDGE_OK);
	assert_int_equal(c.n, 1);
	edge_certs_free(&c);
	assert_null(c.crt);
	assert_int_equal(c.n, 0);

	snprintf(both, sizeof(both), "%s%s", leaf_pem, ca_pem);
	assert_int_equal(edge_certs_load(both, strlen(both), "x", &c, &err),
	    EDGE_OK);
	assert_int_equal(c.n, 2);
	edge_certs_free(&c);

	assert_int_equal(edge_certs_load("hello", 5, "in.pem", &c, &err),
	    EDGE_EINPUT);
	assert_string_equal(err.msg, "in.pem: not a PEM certificate");
	assert_int_equal(c.n, 0);

	snprintf(both, sizeof(both),
	    "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
	assert_int_equal(edge_certs_load(both, strlen(both), "in.pem", &c, &err),
	    EDGE_EINPUT);
	assert_non_null(strstr(err.msg, "in.pem: not a valid PEM certificate"));
	edge_certs_free(&c);	/* harmless after a failure */
}

/* The one "read a state file, parse its certificates" helper. */
static void
read_from_state(void **state)
{
	struct edge_certs c = { 0 };
	struct edge_error err = { 0, "" };
	char path[128], sn[64], *big;
	size_t n;

	(void)state;
	put("cert.pem", leaf_pem);
	assert_int_equal(edge_certs_read(dirfd, "cert.pem", &c, &err), EDGE_OK);
	assert_int_equal(c.n, 1);
	assert_int_equal(edge_x509_serial_dec(c.crt[0], sn, sizeof(sn)), EDGE_OK);
	assert_string_equal(sn, "256");
	edge_certs_free(&c);

	/* AT_FDCWD: a path the user gave. */
	snprintf(path, sizeof(path), "%s/cert.pem", dir);
	assert_int_equal(edge_certs_read(AT_FDCWD, path, &c, &err), EDGE_OK);
	assert_int_equal(c.n, 1);
	edge_certs_free(&c);

	/*
	 * A missing state file is an input error naming it and the step that
	 * makes it; nothing is left held.
	 */
	assert_int_equal(edge_certs_read(dirfd, "ca.pem", &c, &err),
	    EDGE_EINPUT);
	assert_non_null(strstr(err.msg, "ca.pem"));
	assert_non_null(strstr(err.msg, "edge-activate"));
	assert_int_equal(c.n, 0);
	assert_null(c.crt);

	/* Not a certificate: invalid input, named by the file name. */
	put("junk.pem", "-----BEGIN PRIVATE KEY-----\n");
	assert_int_equal(edge_certs_read(dirfd, "junk.pem", &c, &err),
	    EDGE_EINPUT);
	assert_string_equal(err.msg, "junk.pem: not a PEM certificate");

	/* Over EDGE_FILE_MAX: refused before parsing. */
	n = EDGE_FILE_MAX + 1;
	big = malloc(n + 1);
	assert_non_null(big);
	memset(big, '\n', n);
	big[n] = '\0';
	memcpy(big, leaf_pem, strlen(leaf_pem));
	put("big.pem", big);
	free(big);
	assert_int_equal(edge_certs_read(dirfd, "big.pem", &c, &err),
	    EDGE_EINPUT);
	assert_int_equal(c.n, 0);
}

static void
verify_at_times(void **state)
{
	struct edge_certs roots = { 0 }, leaf = { 0 }, other = { 0 };
	struct edge_error err = { 0, "" };

	(void)state;
	assert_int_equal(edge_certs_load(ca_pem, strlen(ca_pem), "ca", &roots,
	    NULL), EDGE_OK);
	assert_int_equal(edge_certs_load(leaf_pem, strlen(leaf_pem), "leaf",
	    &leaf, NULL), EDGE_OK);
	assert_int_equal(edge_certs_load(other_pem, strlen(other_pem), "other",
	    &other, NULL), EDGE_OK);

	assert_int_equal(edge_x509_verify(leaf.crt[0], &roots, NULL, 0, NOW,
	    "cert.pem", &err), EDGE_OK);
	assert_int_equal(edge_x509_verify(leaf.crt[0], &roots, NULL, 0,
	    NOW + 31 * DAY, "cert.pem", &err), EDGE_ETRUST);
	assert_string_equal(err.msg, "cert.pem: expired");
	assert_int_equal(edge_x509_verify(leaf.crt[0], &roots, NULL, 0,
	    NOW - 2 * DAY, "cert.pem", &err), EDGE_ETRUST);
	assert_string_equal(err.msg, "cert.pem: not yet valid");
	/* Chained to another root: refused whatever the time. */
	assert_int_equal(edge_x509_verify(leaf.crt[0], &other, NULL, 0, NOW,
	    "cert.pem", &err), EDGE_ETRUST);
	assert_string_equal(err.msg, "cert.pem: signed by an unknown CA");

	edge_certs_free(&roots);
	edge_certs_free(&leaf);
	edge_certs_free(&other);
}

static void
serials(void **state)
{
	struct edge_certs c = { 0 };
	struct edge_error err = { 0, "" };
	char out[128];
	static const unsigned char big[] = {
		0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};

	(void)state;
	/* A negative serial is its signed value: -1, never 255. */
	assert_int_equal(edge_certs_load(neg_pem, strlen(neg_pem), "neg", &c,
	    NULL), EDGE_OK);
	assert_int_equal(edge_x509_serial_dec(c.crt[0], out, sizeof(out)),
	    EDGE_OK);
	assert_string_equal(out, "-1");
	assert_int_equal(edge_x509_serial_dec(c.crt[0], out, 2), EDGE_EFAIL);
	edge_certs_free(&c);

	assert_int_equal(edge_x509_bytes_dec((const unsigned char *)"\x00", 1,
	    out, sizeof(out)), EDGE_OK);
	assert_string_equal(out, "0");
	assert_int_equal(edge_x509_bytes_dec(big, sizeof(big), out,
	    sizeof(out)), EDGE_OK);
	assert_string_equal(out, "18446744073709551616");	/* 2^64 */
	assert_int_equal(edge_x509_bytes_dec(big, sizeof(big), out, 20),
	    EDGE_EFAIL);	/* 20 digits need 21 bytes */
	assert_int_equal(edge_x509_bytes_dec(big, 0, out, sizeof(out)),
	    EDGE_EFAIL);

	assert_int_equal(edge_x509_serial_parse("0x100", out, sizeof(out),
	    &err), EDGE_OK);
	assert_string_equal(out, "256");
	assert_int_equal(edge_x509_serial_parse("0XfF", out, sizeof(out),
	    &err), EDGE_OK);
	assert_string_equal(out, "255");
	assert_int_equal(edge_x509_serial_parse("000123", out, sizeof(out),
	    &err), EDGE_OK);
	assert_string_equal(out, "123");
	assert_int_equal(edge_x509_serial_parse("0", out, sizeof(out), &err),
	    EDGE_OK);
	assert_string_equal(out, "0");
	assert_int_equal(edge_x509_serial_parse("12a", out, sizeof(out), &err),
	    EDGE_EUSAGE);
	assert_string_equal(err.msg,
	    "12a: not a serial number (decimal, or hexadecimal with 0x)");
	assert_int_equal(edge_x509_serial_parse("0x", out, sizeof(out), &err),
	    EDGE_EUSAGE);
	assert_int_equal(edge_x509_serial_parse("", out, sizeof(out), &err),
	    EDGE_EUSAGE);
	assert_int_equal(edge_x509_serial_parse("-1", out, sizeof(out), &err),
	    EDGE_EUSAGE);
	assert_int_equal(edge_x509_serial_parse("12345", out, 5, &err),
	    EDGE_EUSAGE);
}

static void
key_pem_time_subject(void **state)
{
	struct edge_certs c = { 0 }, again = { 0 };
	gnutls_pubkey_t mine, theirs;
	gnutls_datum_t pem = { NULL, 0 };
	char buf[128];

	(void)state;
	assert_int_equal(edge_certs_load(leaf_pem, strlen(leaf_pem), "leaf", &c,
	    NULL), EDGE_OK);
	assert_int_equal(gnutls_pubkey_init(&mine), 0);
	assert_int_equal(gnutls_pubkey_init(&theirs), 0);
	assert_int_equal(gnutls_pubkey_import_x509_raw(mine,
	    &(gnutls_datum_t){ (unsigned char *)leaf_pem,
	    (unsigned)strlen(leaf_pem) }, GNUTLS_X509_FMT_PEM, 0), 0);
	assert_int_equal(gnutls_pubkey_import_x509_raw(theirs,
	    &(gnutls_datum_t){ (unsigned char *)other_pem,
	    (unsigned)strlen(other_pem) }, GNUTLS_X509_FMT_PEM, 0), 0);
	assert_true(edge_x509_has_key(c.crt[0], mine));
	assert_false(edge_x509_has_key(c.crt[0], theirs));
	gnutls_pubkey_deinit(mine);
	gnutls_pubkey_deinit(theirs);

	assert_int_equal(edge_x509_pem(c.crt[0], &pem), EDGE_OK);
	assert_int_equal(pem.size, strlen(leaf_pem));
	assert_memory_equal(pem.data, leaf_pem, pem.size);
	assert_int_equal(edge_certs_load((const char *)pem.data, pem.size, "pem",
	    &again, NULL), EDGE_OK);
	gnutls_free(pem.data);
	edge_certs_free(&again);

	edge_x509_subject(c.crt[0], buf, sizeof(buf));
	assert_string_equal(buf, "CN=leaf,O=Edge Test");
	edge_x509_subject(c.crt[0], buf, 5);
	assert_string_equal(buf, "CN=l");
	edge_certs_free(&c);

	edge_x509_time(0, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T00:00:00Z");
	edge_x509_time(NOW, buf, sizeof(buf));
	assert_string_equal(buf, "2027-01-15T08:00:00Z");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(load_bundles),
		cmocka_unit_test(read_from_state),
		cmocka_unit_test(verify_at_times),
		cmocka_unit_test(serials),
		cmocka_unit_test(key_pem_time_subject),
	};

	return cmocka_run_group_tests_name("edge_x509", tests, setup, teardown);
}
