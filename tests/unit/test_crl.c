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

/* edge_crl_lookup_der with the serial's INTEGER content in hex. */
static int
lookup(const struct edge_crl *c, const char *hex, bool *revoked, time_t *when,
    int *reason, struct edge_error *err)
{
	unsigned char b[32];
	struct edge_der s = { b, strlen(hex) / 2 };
	size_t i;

	for (i = 0; i < s.len; i++) {
		unsigned v;
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		b[i] = (unsigned char)v;
	}
	return edge_crl_lookup_der(c, &s, revoked, when, reason, err);
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
	assert_int_equal(edge_crl_verify_root(&c, &roots, "t", NULL, &err), EDGE_OK);
	assert_int_equal(lookup(&c, "11", &revoked, &when, &reason, &err), EDGE_OK);
	assert_true(revoked);
	assert_int_equal(lookup(&c, "0100", &revoked, &when, &reason, &err), EDGE_OK);
	assert_true(revoked);
	assert_int_equal(lookup(&c, "7fffffffffffffff", &revoked, &when,
	    &reason, &err), EDGE_OK);
	assert_true(revoked);
	assert_int_equal(lookup(&c, "12", &revoked, &when, &reason, &err), EDGE_OK);
	assert_false(revoked);
	/* The index must give the same answers. */
	assert_int_equal(edge_crl_index(&c, &err), EDGE_OK);
	assert_int_equal(lookup(&c, "0100", &revoked, &when, &reason, &err), EDGE_OK);
	assert_true(revoked);
	assert_int_equal(lookup(&c, "00ff", &revoked, &when, &reason, &err), EDGE_OK);
	assert_false(revoked);
	/* A flipped bit in the signed part must not verify. */
	c.buf[c.tbs.p - c.buf + 40] ^= 1;
	assert_int_equal(edge_crl_verify_root(&c, &roots, "t", NULL, &err), EDGE_ETRUST);
	edge_crl_free(&c);
	gnutls_free(der.data);
}

/* Why a CRL is not verified is told by code, never by the message's text. */
static void
test_verify_root_codes(void **state)
{
	gnutls_datum_t der = make_crl(7, GNUTLS_X509_FMT_DER);
	struct edge_error err = { 0 };
	struct edge_certs other_roots;
	gnutls_x509_crt_t other;
	struct edge_crl c;
	int which = 99;

	(void)state;
	/* The same key under another name: not this CRL's issuer. */
	assert_int_equal(gnutls_x509_crt_init(&other), 0);
	gnutls_x509_crt_set_version(other, 3);
	gnutls_x509_crt_set_serial(other, "\x02", 1);
	gnutls_x509_crt_set_dn(other, "CN=Other CA,O=EnOS,C=CN", NULL);
	gnutls_x509_crt_set_key(other, ca_key);
	gnutls_x509_crt_set_basic_constraints(other, 1, -1);
	gnutls_x509_crt_set_activation_time(other, time(NULL) - 60);
	gnutls_x509_crt_set_expiration_time(other, time(NULL) + 86400);
	assert_int_equal(gnutls_x509_crt_sign2(other, other, ca_key, GNUTLS_DIG_SHA256, 0), 0);
	other_roots.crt = &other;
	other_roots.n = 1;

	assert_int_equal(edge_crl_parse(der.data, der.size, "t", &c, &err), EDGE_OK);
	assert_int_equal(edge_crl_verify_root(&c, &roots, "t", &which, &err), EDGE_OK);
	assert_int_equal(which, 0);
	assert_int_equal(edge_crl_verify_root(&c, &other_roots, "t", &which, &err),
	    EDGE_ETRUST);
	assert_int_equal(which, EDGE_CRL_NO_ROOT);
	/* A root of the issuer's name whose key does not verify it: forged. */
	c.buf[c.sig.p - c.buf + 5] ^= 1;
	assert_int_equal(edge_crl_verify_root(&c, &roots, "t", &which, &err),
	    EDGE_ETRUST);
	assert_int_equal(which, EDGE_CRL_FORGED);
	edge_crl_free(&c);
	gnutls_free(der.data);
	gnutls_x509_crt_deinit(other);
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
	assert_int_equal(edge_crl_verify_root(&a, &roots, "p", NULL, &err), EDGE_OK);
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

/* ---- hand-built CRLs: the parser's semantic checks (no signature needed) ---- */

struct b {
	unsigned char p[2048];
	size_t n;
};

static void
add(struct b *o, const void *data, size_t n)
{
	assert_true(o->n + n <= sizeof(o->p));
	memcpy(o->p + o->n, data, n);
	o->n += n;
}

/* TAG LEN inner appended to o (lengths below 256). */
static void
wrap(struct b *o, unsigned tag, const struct b *in)
{
	unsigned char h[3] = { (unsigned char)tag, 0x81, (unsigned char)in->n };

	if (in->n < 0x80) {
		h[1] = (unsigned char)in->n;
		add(o, h, 2);
	} else {
		add(o, h, 3);
	}
	add(o, in->p, in->n);
}

#define ALG_SHA256	"\x30\x0d\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0b\x05\x00"
#define ALG_NOPARAMS	"\x30\x0b\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0b"
#define ISSUER		"\x30\x0e\x31\x0c\x30\x0a\x06\x03\x55\x04\x03\x0c\x03" "abc"
#define DATE		"\x17\x0d" "260101000000Z"

/*
 * A CRL whose entries are given raw (each a whole entry SEQUENCE, or "") and
 * whose extensions list is exts (raw Extension SEQUENCEs, or "").
 */
static struct b
hand_crl(const char *inner_alg, size_t inner_len, const void *entries,
    size_t elen, const void *exts, size_t xlen)
{
	struct b tbs = { .n = 0 }, t = { .n = 0 }, x = { .n = 0 }, y = { .n = 0 };
	struct b all = { .n = 0 }, out = { .n = 0 }, e = { .n = 0 };

	add(&t, "\x02\x01\x01", 3);
	add(&t, inner_alg, inner_len);
	add(&t, ISSUER, sizeof(ISSUER) - 1);
	add(&t, DATE, sizeof(DATE) - 1);
	if (elen > 0) {
		add(&e, entries, elen);
		wrap(&t, 0x30, &e);
	}
	if (xlen > 0) {
		add(&x, exts, xlen);
		wrap(&y, 0x30, &x);
		wrap(&t, 0xa0, &y);
	}
	wrap(&tbs, 0x30, &t);
	add(&all, tbs.p, tbs.n);
	add(&all, ALG_SHA256, sizeof(ALG_SHA256) - 1);
	add(&all, "\x03\x02\x00\x00", 4);
	wrap(&out, 0x30, &all);
	return out;
}

#define ENTRY(serial)	"\x30\x12\x02\x01" serial DATE
#define ENTRY2(serial)	"\x30\x13\x02\x02" serial DATE
/* An entry of serial 255 with reasonCode r. */
#define ENTRY_REASON(r)	"\x30\x21\x02\x02\x00\xff" DATE "\x30\x0c\x30\x0a\x06\x03\x55\x1d\x15\x04\x03\x0a\x01" r

static int
parse_hand(const struct b *crl, struct edge_crl *c, struct edge_error *err)
{
	return edge_crl_parse(crl->p, crl->n, "h", c, err);
}

static void
test_refusals(void **state)
{
	static const struct {
		const char *ext;
		size_t len;
		int rc;
		const char *msg;
	} cases[] = {
#define X(s, rc, msg) { s, sizeof(s) - 1, rc, msg }
		X("\x30\x0d\x06\x03\x55\x1d\x1b\x01\x01\xff\x04\x03\x02\x01\x05", EDGE_ETRUST, "delta CRL"),
		X("\x30\x0f\x06\x03\x55\x1d\x1c\x01\x01\xff\x04\x05\x30\x03\x81\x01\xff", EDGE_ETRUST, "onlyContainsUserCerts"),
		X("\x30\x0f\x06\x03\x55\x1d\x1c\x01\x01\xff\x04\x05\x30\x03\x84\x01\xff", EDGE_ETRUST, "indirectCRL"),
		X("\x30\x0f\x06\x03\x55\x1d\x1c\x01\x01\xff\x04\x05\x30\x03\x85\x01\xff", EDGE_ETRUST, "onlyContainsAttributeCerts"),
		X("\x30\x0f\x06\x03\x55\x1d\x1c\x01\x01\xff\x04\x05\x30\x03\x82\x01\xff", EDGE_ETRUST, "onlyContainsCACerts"),
		X("\x30\x10\x06\x03\x55\x1d\x1c\x01\x01\xff\x04\x06\x30\x04\x83\x02\x05\xa0", EDGE_ETRUST, "onlySomeReasons"),
		X("\x30\x0f\x06\x03\x55\x1d\x1c\x01\x01\xff\x04\x05\x30\x03\xa0\x01\x00", EDGE_ETRUST, "distributionPoint"),
		X("\x30\x0a\x06\x03\x2a\x03\x04\x01\x01\xff\x04\x00", EDGE_ETRUST, "unsupported critical extension 1.2.3.4"),
		X("\x30\x0b\x06\x03\x55\x1d\x14\x01\x01\xff\x04\x01\x02", EDGE_ETRUST, "unsupported critical extension 2.5.29.20"),
		X("\x30\x0a\x06\x03\x55\x1d\x14\x04\x03\x02\x01\x05\x30\x0a\x06\x03\x55\x1d\x14\x04\x03\x02\x01\x05", EDGE_EINPUT, "twice"),
		/* Accepted: an empty IDP, an unknown non-critical extension. */
		X("\x30\x0c\x06\x03\x55\x1d\x1c\x01\x01\xff\x04\x02\x30\x00", EDGE_OK, NULL),
		X("\x30\x07\x06\x03\x2a\x03\x04\x04\x00", EDGE_OK, NULL),
#undef X
	};
	struct edge_error err = { 0 };
	struct edge_crl c;
	struct b crl;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		crl = hand_crl(ALG_SHA256, sizeof(ALG_SHA256) - 1, "", 0,
		    cases[i].ext, cases[i].len);
		memset(&err, 0, sizeof(err));
		assert_int_equal(parse_hand(&crl, &c, &err), cases[i].rc);
		if (cases[i].msg != NULL)
			assert_non_null(strstr(err.msg, cases[i].msg));
		else
			edge_crl_free(&c);
	}
	/* Inner and outer algorithm differ only by the NULL parameters. */
	crl = hand_crl(ALG_NOPARAMS, sizeof(ALG_NOPARAMS) - 1, "", 0, "", 0);
	assert_int_equal(parse_hand(&crl, &c, &err), EDGE_ETRUST);
	assert_non_null(strstr(err.msg, "differs from the outer one"));
	/* Entries: critical extensions, certificateIssuer, non-minimal serials. */
	crl = hand_crl(ALG_SHA256, sizeof(ALG_SHA256) - 1,
	    "\x30\x20\x02\x01\x05" DATE "\x30\x0c\x30\x0a\x06\x03\x2a\x03\x05\x01\x01\xff\x04\x00", 34, "", 0);
	assert_int_equal(parse_hand(&crl, &c, &err), EDGE_ETRUST);
	assert_non_null(strstr(err.msg, "critical extension 1.2.3.5 in a revoked entry"));
	crl = hand_crl(ALG_SHA256, sizeof(ALG_SHA256) - 1,
	    "\x30\x22\x02\x01\x05" DATE "\x30\x0e\x30\x0c\x06\x03\x55\x1d\x1d\x01\x01\xff\x04\x02\x30\x00", 36, "", 0);
	assert_int_equal(parse_hand(&crl, &c, &err), EDGE_ETRUST);
	assert_non_null(strstr(err.msg, "indirect CRL"));
	crl = hand_crl(ALG_SHA256, sizeof(ALG_SHA256) - 1, ENTRY2("\x00\x05"), 21, "", 0);
	assert_int_equal(parse_hand(&crl, &c, &err), EDGE_EINPUT);
	assert_non_null(strstr(err.msg, "minimal"));
	crl = hand_crl(ALG_SHA256, sizeof(ALG_SHA256) - 1, ENTRY2("\xff\x80"), 21, "", 0);
	assert_int_equal(parse_hand(&crl, &c, &err), EDGE_EINPUT);
}

static void
test_serials_and_reasons(void **state)
{
	struct edge_error err = { 0 };
	struct edge_crl c;
	struct edge_der s;
	struct b crl;
	bool revoked;
	time_t when;
	int reason, pass;

	(void)state;
	/* -1 (ff), zero (00) and -255 (ff 01) are listed; 255 and 1 are not. */
	crl = hand_crl(ALG_SHA256, sizeof(ALG_SHA256) - 1,
	    ENTRY("\xff") ENTRY("\x00") ENTRY2("\xff\x01"), 20 + 20 + 21, "", 0);
	assert_int_equal(parse_hand(&crl, &c, &err), EDGE_OK);
	for (pass = 0; pass < 2; pass++) {
		if (pass == 1)
			assert_int_equal(edge_crl_index(&c, &err), EDGE_OK);
		assert_int_equal(lookup(&c, "00ff", &revoked, &when, &reason, &err), EDGE_OK);
		assert_false(revoked);
		assert_int_equal(lookup(&c, "00", &revoked, &when, &reason, &err), EDGE_OK);
		assert_true(revoked);
		assert_int_equal(lookup(&c, "01", &revoked, &when, &reason, &err), EDGE_OK);
		assert_false(revoked);
		s.p = (const unsigned char *)"\xff";
		s.len = 1;
		assert_int_equal(edge_crl_lookup_der(&c, &s, &revoked, &when, &reason, &err), EDGE_OK);
		assert_true(revoked);
		/* A certificate's non-minimal ff ff is still -1. */
		s.p = (const unsigned char *)"\xff\xff";
		s.len = 2;
		assert_int_equal(edge_crl_lookup_der(&c, &s, &revoked, &when, &reason, &err), EDGE_OK);
		assert_true(revoked);
		s.p = (const unsigned char *)"\x00\xff";
		s.len = 2;
		assert_int_equal(edge_crl_lookup_der(&c, &s, &revoked, &when, &reason, &err), EDGE_OK);
		assert_false(revoked);
	}
	edge_crl_free(&c);
	/* removeFromCRL (8) is not a revocation; keyCompromise (1) is. */
	crl = hand_crl(ALG_SHA256, sizeof(ALG_SHA256) - 1, ENTRY_REASON("\x08"), 35, "", 0);
	assert_int_equal(parse_hand(&crl, &c, &err), EDGE_OK);
	assert_int_equal(lookup(&c, "00ff", &revoked, &when, &reason, &err), EDGE_OK);
	assert_false(revoked);
	edge_crl_free(&c);
	crl = hand_crl(ALG_SHA256, sizeof(ALG_SHA256) - 1, ENTRY_REASON("\x01"), 35, "", 0);
	assert_int_equal(parse_hand(&crl, &c, &err), EDGE_OK);
	assert_int_equal(lookup(&c, "00ff", &revoked, &when, &reason, &err), EDGE_OK);
	assert_true(revoked);
	assert_int_equal(reason, 1);
	edge_crl_free(&c);
}

static void
test_der_integers_and_names(void **state)
{
	static const struct edge_der m1 = { (const unsigned char *)"\xff", 1 };
	static const struct edge_der p255 = { (const unsigned char *)"\x00\xff", 2 };
	static const struct edge_der p255b = { (const unsigned char *)"\x00\x00\xff", 3 };
	static const struct edge_der zero = { (const unsigned char *)"\x00", 1 };
	/* CN=Test  Root as UTF8String; as PrintableString " TEST ROOT "; as BMPString. */
	static const unsigned char u8[] = "\x30\x15\x31\x13\x30\x11\x06\x03\x55\x04\x03\x0c\x0a" "Test  Root";
	static const unsigned char pr[] = "\x30\x16\x31\x14\x30\x12\x06\x03\x55\x04\x03\x13\x0b" " TEST ROOT ";
	static const unsigned char bmp[] = "\x30\x1f\x31\x1d\x30\x1b\x06\x03\x55\x04\x03\x1e\x14"
	    "\x00t\x00""e\x00s\x00t\x00 \x00r\x00o\x00o\x00t\x00 ";
	static const unsigned char other[] = "\x30\x15\x31\x13\x30\x11\x06\x03\x55\x04\x03\x0c\x0a" "Test Rooty";
	struct edge_der a = { u8, sizeof(u8) - 1 }, b = { pr, sizeof(pr) - 1 };
	struct edge_der c = { bmp, sizeof(bmp) - 1 }, d = { other, sizeof(other) - 1 };

	(void)state;
	assert_true(edge_der_int_minimal(&m1));
	assert_true(edge_der_int_minimal(&p255));
	assert_false(edge_der_int_minimal(&p255b));
	assert_true(edge_der_int_minimal(&zero));
	assert_int_not_equal(edge_der_int_cmp(&m1, &p255), 0);
	assert_int_equal(edge_der_int_cmp(&p255, &p255b), 0);
	assert_true(edge_der_name_equal(&a, &b));
	assert_true(edge_der_name_equal(&a, &c));
	assert_false(edge_der_name_equal(&a, &d));
}

/* The one RFC 5280 reason table (edge-revoke, edge-crl-update --check). */
static void
test_reason_table(void **state)
{
	(void)state;
	assert_string_equal(edge_crl_reason_name(0), "unspecified");
	assert_string_equal(edge_crl_reason_name(1), "keyCompromise");
	assert_string_equal(edge_crl_reason_name(5), "cessationOfOperation");
	assert_string_equal(edge_crl_reason_name(8), "removeFromCRL");
	assert_string_equal(edge_crl_reason_name(10), "aACompromise");
	assert_null(edge_crl_reason_name(7));
	assert_null(edge_crl_reason_name(-1));
	assert_null(edge_crl_reason_name(11));
	assert_int_equal(edge_crl_reason_code("keyCompromise", false), 1);
	assert_int_equal(edge_crl_reason_code("KEYCOMPROMISE", false), 1);
	assert_int_equal(edge_crl_reason_code("privilegeWithdrawn", false), 9);
	assert_int_equal(edge_crl_reason_code("KEY_COMPROMISE", false), -1);
	assert_int_equal(edge_crl_reason_code("KEY_COMPROMISE", true), 1);
	assert_int_equal(edge_crl_reason_code("Cessation Of Operation", true), 5);
	assert_int_equal(edge_crl_reason_code("key", true), -1);
	assert_int_equal(edge_crl_reason_code("keyCompromised", true), -1);
	assert_int_equal(edge_crl_reason_code("", true), -1);
	assert_int_equal(edge_crl_reason_code("___", true), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_verify_lookup),
		cmocka_unit_test(test_verify_root_codes),
		cmocka_unit_test(test_pem_and_facts),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_serials_and_reasons),
		cmocka_unit_test(test_der_integers_and_names),
		cmocka_unit_test(test_reason_table),
	};
	return cmocka_run_group_tests_name("edge_crl", tests, setup, teardown);
}
