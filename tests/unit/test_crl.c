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
#include "edge_crlstore.h"
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

/*
 * A CRL listing serials 0x11, 0x0100 and 0x7fff...; number n, signed by k
 * under issuer's name, with a key id of aki repeated (0: GnuTLS's default).
 */
static gnutls_datum_t
crl_signed(gnutls_x509_crt_t issuer, gnutls_x509_privkey_t k, unsigned char aki,
    unsigned n, gnutls_x509_crt_fmt_t fmt)
{
	gnutls_x509_crl_t crl;
	gnutls_datum_t out;
	unsigned char num[2] = { 0, (unsigned char)n }, id[20];
	time_t now = time(NULL);

	memset(id, aki, sizeof(id));
	assert_int_equal(gnutls_x509_crl_init(&crl), 0);
	gnutls_x509_crl_set_version(crl, 2);
	gnutls_x509_crl_set_this_update(crl, now - 30);
	gnutls_x509_crl_set_next_update(crl, now + 3600);
	gnutls_x509_crl_set_crt_serial(crl, "\x11", 1, now - 100);
	gnutls_x509_crl_set_crt_serial(crl, "\x01\x00", 2, now - 200);
	gnutls_x509_crl_set_crt_serial(crl, "\x7f\xff\xff\xff\xff\xff\xff\xff", 8, now - 300);
	gnutls_x509_crl_set_number(crl, num, sizeof(num));
	if (aki != 0)
		gnutls_x509_crl_set_authority_key_id(crl, id, sizeof(id));
	assert_int_equal(gnutls_x509_crl_sign2(crl, issuer, k, GNUTLS_DIG_SHA256, 0), 0);
	assert_int_equal(gnutls_x509_crl_export2(crl, fmt, &out), 0);
	gnutls_x509_crl_deinit(crl);
	return out;
}

/* The test root's CRL, number n. */
static gnutls_datum_t
make_crl(unsigned n, gnutls_x509_crt_fmt_t fmt)
{
	return crl_signed(ca, ca_key, 0, n, fmt);
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

/*
 * A root of name dn with key k and subjectKeyIdentifier ski (one byte
 * repeated; 0: none), keyUsage certSign plus cRLSign when crl_sign.
 */
static gnutls_x509_crt_t
make_root(const char *dn, gnutls_x509_privkey_t k, unsigned char ski,
    bool crl_sign)
{
	unsigned char id[20];
	gnutls_x509_crt_t r;

	memset(id, ski, sizeof(id));
	assert_int_equal(gnutls_x509_crt_init(&r), 0);
	gnutls_x509_crt_set_version(r, 3);
	gnutls_x509_crt_set_serial(r, "\x03", 1);
	gnutls_x509_crt_set_dn(r, dn, NULL);
	gnutls_x509_crt_set_key(r, k);
	gnutls_x509_crt_set_basic_constraints(r, 1, -1);
	gnutls_x509_crt_set_key_usage(r, GNUTLS_KEY_KEY_CERT_SIGN |
	    (crl_sign ? GNUTLS_KEY_CRL_SIGN : 0));
	if (ski != 0)
		gnutls_x509_crt_set_subject_key_id(r, id, sizeof(id));
	gnutls_x509_crt_set_activation_time(r, time(NULL) - 60);
	gnutls_x509_crt_set_expiration_time(r, time(NULL) + 86400);
	assert_int_equal(gnutls_x509_crt_sign2(r, r, k, GNUTLS_DIG_SHA256, 0), 0);
	return r;
}

/* A PEM CRL naming issuer (and key id aki when not 0), signed by k. */
static gnutls_datum_t
crl_of(gnutls_x509_crt_t issuer, gnutls_x509_privkey_t k, unsigned char aki)
{
	return crl_signed(issuer, k, aki, 1, GNUTLS_X509_FMT_PEM);
}

/* The CRLs of d1 (and d2 when given) as one set, no root assigned yet. */
static void
set_of(struct edge_crls *s, gnutls_datum_t d1, const gnutls_datum_t *d2)
{
	struct edge_error err = { 0 };
	size_t n = d1.size + (d2 != NULL ? d2->size : 0);
	char *buf = malloc(n);

	assert_non_null(buf);
	memcpy(buf, d1.data, d1.size);
	if (d2 != NULL)
		memcpy(buf + d1.size, d2->data, d2->size);
	assert_int_equal(edge_crls_parse(buf, n, "in", s, &err), EDGE_OK);
}

/*
 * A rotation: two roots of one name, told apart by key id.  The other
 * root's CRL claims no trusted root (skipped); one that claims a trusted
 * root, by key id or without one by name, must verify under it (forged).
 */
static void
test_claims(void **state)
{
	const char *dn = "CN=Rotating CA,O=EnOS,C=CN";
	gnutls_x509_privkey_t k1, k2;
	gnutls_x509_crt_t r1, r2, other, nosign;
	gnutls_datum_t c1, c2, c2noaki, forged, renamed, c1nosign;
	struct edge_error err = { 0 };
	struct edge_certs only1 = { &r1, 1 }, only2 = { &r2, 1 }, both;
	gnutls_x509_crt_t pair[2];
	struct edge_crls s;
	struct edge_crl c;
	char id[160];
	int which = 99;

	(void)state;
	assert_int_equal(gnutls_x509_privkey_init(&k1), 0);
	assert_int_equal(gnutls_x509_privkey_generate(k1, GNUTLS_PK_EC, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0), 0);
	assert_int_equal(gnutls_x509_privkey_init(&k2), 0);
	assert_int_equal(gnutls_x509_privkey_generate(k2, GNUTLS_PK_EC, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0), 0);
	r1 = make_root(dn, k1, 0x11, true);
	r2 = make_root(dn, k2, 0x22, true);
	other = make_root("CN=Renamed CA,O=EnOS,C=CN", k2, 0x22, true);
	nosign = make_root(dn, k1, 0x11, false);
	pair[0] = r2;
	pair[1] = r1;
	both.crt = pair;
	both.n = 2;
	c1 = crl_of(r1, k1, 0x11);
	c2 = crl_of(r2, k2, 0x22);
	c2noaki = crl_of(r2, k2, 0);
	forged = crl_of(r2, k1, 0x22);	/* r2's name and key id, k1's signature */
	renamed = crl_of(other, k2, 0x22);	/* r2's key id under another name */
	c1nosign = crl_of(nosign, k1, 0x11);

	/* Each root's CRL verifies under it, whichever comes first. */
	assert_int_equal(edge_crl_parse(c1.data, c1.size, "c1", &c, &err), EDGE_OK);
	assert_int_equal(edge_crl_verify_root(&c, &both, "c1", &which, &err), EDGE_OK);
	assert_int_equal(which, 1);
	/* The other root's CRL under the new root alone: another root's, by key. */
	assert_int_equal(edge_crl_verify_root(&c, &only2, "c1", &which, &err), EDGE_ETRUST);
	assert_int_equal(which, EDGE_CRL_NO_ROOT);
	assert_non_null(strstr(err.msg, "CRL of another root, AKI 1111111111111111111111111111111111111111"));
	edge_crl_issuer_id(&c, id, sizeof(id));
	assert_string_equal(id, "AKI 1111111111111111111111111111111111111111");
	/* A root whose keyUsage lacks cRLSign does not verify the CRL it is named by. */
	edge_crl_free(&c);
	assert_int_equal(edge_crl_parse(c1nosign.data, c1nosign.size, "n", &c, &err), EDGE_OK);
	{
		struct edge_certs ns = { &nosign, 1 };

		assert_int_equal(edge_crl_verify_root(&c, &ns, "n", &which, &err), EDGE_ETRUST);
		assert_int_equal(which, EDGE_CRL_FORGED);
		assert_non_null(strstr(err.msg, "may not sign CRLs"));
	}
	edge_crl_free(&c);
	/* Without a key id the name decides: r1 has it, and does not verify. */
	assert_int_equal(edge_crl_parse(c2noaki.data, c2noaki.size, "n", &c, &err), EDGE_OK);
	assert_int_equal(edge_crl_verify_root(&c, &only1, "n", &which, &err), EDGE_ETRUST);
	assert_int_equal(which, EDGE_CRL_FORGED);
	assert_string_equal(err.msg, "n: signature does not verify");
	assert_int_equal(edge_crl_verify_root(&c, &both, "n", &which, &err), EDGE_OK);
	assert_int_equal(which, 0);
	edge_crl_issuer_id(&c, id, sizeof(id));
	assert_string_equal(id, "no AKI, issuer CN=Rotating CA,O=EnOS,C=CN");
	edge_crl_free(&c);
	/* r2's name and key id, not r2's signature: forged, never skipped. */
	assert_int_equal(edge_crl_parse(forged.data, forged.size, "f", &c, &err), EDGE_OK);
	assert_int_equal(edge_crl_verify_root(&c, &both, "f", &which, &err), EDGE_ETRUST);
	assert_int_equal(which, EDGE_CRL_FORGED);
	assert_int_equal(edge_crl_verify_root(&c, &only1, "f", &which, &err), EDGE_ETRUST);
	assert_int_equal(which, EDGE_CRL_NO_ROOT);
	edge_crl_free(&c);
	/* It claims r1 but its signature algorithm is unknown: refused, not skipped. */
	assert_int_equal(edge_crl_parse(c1.data, c1.size, "u", &c, &err), EDGE_OK);
	strcpy(c.sig_oid, "1.2.3.4.5");
	assert_int_equal(edge_crl_verify_root(&c, &only1, "u", &which, &err), EDGE_ETRUST);
	assert_int_equal(which, EDGE_CRL_FORGED);
	assert_string_equal(err.msg, "u: unknown signature algorithm 1.2.3.4.5");
	/* Claiming no trusted root, it is another root's CRL as any other. */
	assert_int_equal(edge_crl_verify_root(&c, &only2, "u", &which, &err), EDGE_ETRUST);
	assert_int_equal(which, EDGE_CRL_NO_ROOT);
	edge_crl_free(&c);
	/* r2's key id under another name: it claims r2, and r2 is not its issuer. */
	assert_int_equal(edge_crl_parse(renamed.data, renamed.size, "r", &c, &err), EDGE_OK);
	assert_int_equal(edge_crl_verify_root(&c, &only2, "r", &which, &err), EDGE_ETRUST);
	assert_int_equal(which, EDGE_CRL_FORGED);
	assert_non_null(strstr(err.msg, "under another issuer name"));
	edge_crl_free(&c);

	/* The set rule (edge_crlstore), strict as for edge-crl-update's input. */
	set_of(&s, c1, &c2);
	assert_int_equal(edge_crls_verify(&s, &only2, "in", false, &err), EDGE_OK);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.others, 1);
	assert_int_equal(s.root[0], EDGE_CRL_NO_ROOT);
	assert_int_equal(s.root[1], 0);
	edge_crls_drop_others(&s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.root[0], 0);
	assert_int_equal(s.others, 0);
	edge_crls_free(&s);
	set_of(&s, c1, &forged);
	assert_int_equal(edge_crls_verify(&s, &only2, "in", false, &err), EDGE_ETRUST);
	assert_string_equal(err.msg, "in: signature does not verify");
	edge_crls_free(&s);
	set_of(&s, c1, NULL);
	assert_int_equal(edge_crls_verify(&s, &only2, "in", false, &err), EDGE_ETRUST);
	assert_string_equal(err.msg,
	    "in: not signed by a trusted root CA: no CRL of a root in ca.pem (skipped 1 CRL of another root: AKI 1111111111111111111111111111111111111111)");
	edge_crls_free(&s);
	/* Lenient (a stored file): the forged one is left out for edge_crls_strict. */
	set_of(&s, c1, &forged);
	assert_int_equal(edge_crls_verify(&s, &only2, "crl.pem", true, &err), EDGE_OK);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.others, 1);
	assert_int_equal(s.dropped, 1);
	assert_int_equal(edge_crls_strict(&s, &err), EDGE_ETRUST);
	edge_crls_free(&s);

	gnutls_free(c1.data);
	gnutls_free(c2.data);
	gnutls_free(c2noaki.data);
	gnutls_free(forged.data);
	gnutls_free(renamed.data);
	gnutls_free(c1nosign.data);
	gnutls_x509_crt_deinit(r1);
	gnutls_x509_crt_deinit(r2);
	gnutls_x509_crt_deinit(other);
	gnutls_x509_crt_deinit(nosign);
	gnutls_x509_privkey_deinit(k1);
	gnutls_x509_privkey_deinit(k2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_verify_lookup),
		cmocka_unit_test(test_verify_root_codes),
		cmocka_unit_test(test_claims),
		cmocka_unit_test(test_pem_and_facts),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_serials_and_reasons),
		cmocka_unit_test(test_der_integers_and_names),
		cmocka_unit_test(test_reason_table),
	};
	return cmocka_run_group_tests_name("edge_crl", tests, setup, teardown);
}
