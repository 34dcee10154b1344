/* SPDX-License-Identifier: MIT */
/* lib/edge_crl, edge_der, edge_pem: our own CRL reader against GnuTLS-made CRLs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "edge_crl.h"
#include "edge_pem.h"

static gnutls_x509_crt_t ca;
static gnutls_x509_privkey_t ca_key;
static struct edge_certs roots;

static int
setup(void **state)
{
	time_t now = time(NULL);

	(void)state;
	assert_int_equal(gnutls_x509_privkey_init(&ca_key), 0);
	assert_int_equal(gnutls_x509_privkey_generate(ca_key, GNUTLS_PK_RSA, 2048, 0), 0);
	assert_int_equal(gnutls_x509_crt_init(&ca), 0);
	gnutls_x509_crt_set_version(ca, 3);
	gnutls_x509_crt_set_serial(ca, "\x01", 1);
	gnutls_x509_crt_set_dn(ca, "CN=Test CA,O=EnOS,C=CN", NULL);
	gnutls_x509_crt_set_key(ca, ca_key);
	gnutls_x509_crt_set_basic_constraints(ca, 1, -1);
	gnutls_x509_crt_set_key_usage(ca, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN);
	gnutls_x509_crt_set_activation_time(ca, now - 60);
	gnutls_x509_crt_set_expiration_time(ca, now + 86400);
	assert_int_equal(gnutls_x509_crt_sign2(ca, ca, ca_key, GNUTLS_DIG_SHA256, 0), 0);
	roots.crt = &ca;
	roots.n = 1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	gnutls_x509_crt_deinit(ca);
	gnutls_x509_privkey_deinit(ca_key);
	return 0;
}

/* A CRL listing serials 0x11, 0x0100 and 0x7fff...; number n. */
static gnutls_datum_t
make_crl(unsigned n, gnutls_x509_crt_fmt_t fmt)
{
	gnutls_x509_crl_t crl;
	gnutls_datum_t out;
	unsigned char num[2] = { 0, (unsigned char)n };
	time_t now = time(NULL);

	assert_int_equal(gnutls_x509_crl_init(&crl), 0);
	gnutls_x509_crl_set_version(crl, 2);
	gnutls_x509_crl_set_this_update(crl, now - 30);
	gnutls_x509_crl_set_next_update(crl, now + 3600);
	gnutls_x509_crl_set_crt_serial(crl, "\x11", 1, now - 100);
	gnutls_x509_crl_set_crt_serial(crl, "\x01\x00", 2, now - 200);
	gnutls_x509_crl_set_crt_serial(crl, "\x7f\xff\xff\xff\xff\xff\xff\xff", 8, now - 300);
	gnutls_x509_crl_set_number(crl, num, sizeof(num));
	assert_int_equal(gnutls_x509_crl_sign2(crl, ca, ca_key, GNUTLS_DIG_SHA256, 0), 0);
	assert_int_equal(gnutls_x509_crl_export2(crl, fmt, &out), 0);
	gnutls_x509_crl_deinit(crl);
	return out;
}

static void
test_parse_verify_lookup(void **state)
{
	gnutls_datum_t der = make_crl(7, GNUTLS_X509_FMT_DER);
	struct edge_error err = { 0 };
	struct edge_crl c;
	bool revoked;
	time_t when;
	int reason;

	(void)state;
	assert_int_equal(edge_crl_parse(der.data, der.size, "t", &c, &err), EDGE_OK);
	assert_int_equal(c.count, 3);
	assert_string_equal(c.facts.number, "7");
	assert_int_equal(edge_crl_verify(&c, &roots, "t", &err), EDGE_OK);
	assert_int_equal(edge_crl_lookup(&c, "17", &revoked, &when, &reason, &err), EDGE_OK);
	assert_true(revoked);
	assert_int_equal(edge_crl_lookup(&c, "256", &revoked, &when, &reason, &err), EDGE_OK);
	assert_true(revoked);
	assert_int_equal(edge_crl_lookup(&c, "9223372036854775807", &revoked, &when,
	    &reason, &err), EDGE_OK);
	assert_true(revoked);
	assert_int_equal(edge_crl_lookup(&c, "18", &revoked, &when, &reason, &err), EDGE_OK);
	assert_false(revoked);
	/* The index must give the same answers. */
	assert_int_equal(edge_crl_index(&c, &err), EDGE_OK);
	assert_int_equal(edge_crl_lookup(&c, "256", &revoked, &when, &reason, &err), EDGE_OK);
	assert_true(revoked);
	assert_int_equal(edge_crl_lookup(&c, "255", &revoked, &when, &reason, &err), EDGE_OK);
	assert_false(revoked);
	assert_int_equal(edge_crl_lookup(&c, "12x", &revoked, &when, &reason, &err),
	    EDGE_EINPUT);
	/* A flipped bit in the signed part must not verify. */
	c.buf[c.tbs.p - c.buf + 40] ^= 1;
	assert_int_equal(edge_crl_verify(&c, &roots, "t", &err), EDGE_ETRUST);
	edge_crl_free(&c);
	gnutls_free(der.data);
}

static void
test_pem_and_facts(void **state)
{
	gnutls_datum_t pem = make_crl(9, GNUTLS_X509_FMT_PEM);
	gnutls_datum_t der = make_crl(8, GNUTLS_X509_FMT_DER);
	struct edge_error err = { 0 };
	struct edge_crl a, b;

	(void)state;
	assert_int_equal(edge_crl_parse(pem.data, pem.size, "p", &a, &err), EDGE_OK);
	assert_int_equal(edge_crl_parse(der.data, der.size, "d", &b, &err), EDGE_OK);
	assert_int_equal(edge_crl_verify(&a, &roots, "p", &err), EDGE_OK);
	assert_int_equal(edge_crl_facts_compare(&a.facts, &b.facts), 1);
	assert_int_equal(edge_crl_facts_compare(&b.facts, &a.facts), -1);
	assert_int_equal(edge_crl_facts_compare(&a.facts, &a.facts), 0);
	edge_crl_free(&a);
	edge_crl_free(&b);
	/* Truncations of the PEM and of the DER are refused, never crash. */
	assert_int_equal(edge_crl_parse(pem.data, pem.size / 2, "p", &a, &err), EDGE_EINPUT);
	assert_non_null(strstr(err.msg, "truncated"));
	assert_int_equal(edge_crl_parse(der.data, der.size - 1, "d", &a, &err), EDGE_EINPUT);
	assert_int_equal(edge_crl_parse("junk", 4, "j", &a, &err), EDGE_EINPUT);
	gnutls_free(pem.data);
	gnutls_free(der.data);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_verify_lookup),
		cmocka_unit_test(test_pem_and_facts),
	};
	return cmocka_run_group_tests_name("edge_crl", tests, setup, teardown);
}
