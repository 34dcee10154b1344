/* SPDX-License-Identifier: MIT */
/*
 * lib/edge_der: the DER walker under the CRL reader: TLV headers (short and
 * long lengths, what BER allows and DER does not, truncation), times (the
 * UTCTime century rule, checked against timegm), OIDs, INTEGER views and
 * order, Name comparison the way OpenSSL does it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "edge_der.h"

#define D(s)	((struct edge_der){ (const unsigned char *)(s), sizeof(s) - 1 })

static void
tlv_headers(void **state)
{
	struct edge_der in = D("\x02\x01\x05\x04\x00\x30\x81\x80"), c, w;
	static unsigned char longer[4 + 300];
	unsigned char tag = 0;

	(void)state;
	assert_int_equal(edge_der_peek(&in), 0x02);
	assert_int_equal(edge_der_next(&in, &tag, &c, &w), 0);
	assert_int_equal(tag, EDGE_DER_INTEGER);
	assert_int_equal(c.len, 1);
	assert_int_equal(c.p[0], 5);
	assert_int_equal(w.len, 3);
	/* take: the wrong tag leaves the input where it was */
	assert_int_equal(edge_der_take(&in, EDGE_DER_SEQUENCE, &c, NULL), -1);
	assert_int_equal(edge_der_peek(&in), EDGE_DER_OCTETSTRING);
	assert_int_equal(edge_der_take(&in, EDGE_DER_OCTETSTRING, &c, NULL), 0);
	assert_int_equal(c.len, 0);
	/* 0x81 0x80: 128 bytes announced, 0 there: refused, input kept */
	assert_int_equal(edge_der_next(&in, &tag, &c, NULL), -1);
	assert_int_equal(in.len, 3);
	in.len = 0;
	assert_int_equal(edge_der_peek(&in), -1);
	assert_int_equal(edge_der_next(&in, &tag, &c, NULL), -1);

	/* Long form: 0x82 0x01 0x2c is 300 bytes. */
	memcpy(longer, "\x04\x82\x01\x2c", 4);
	in = (struct edge_der){ longer, sizeof(longer) };
	assert_int_equal(edge_der_next(&in, &tag, &c, &w), 0);
	assert_int_equal(c.len, 300);
	assert_ptr_equal(c.p, longer + 4);
	assert_int_equal(w.len, 304);
	assert_int_equal(in.len, 0);
	in = (struct edge_der){ longer, sizeof(longer) - 1 };
	assert_int_equal(edge_der_next(&in, &tag, &c, NULL), -1);

	/* Indefinite length (BER), over 4 length bytes, multi-byte tags. */
	in = D("\x30\x80\x00\x00");
	assert_int_equal(edge_der_next(&in, &tag, &c, NULL), -1);
	in = D("\x04\x85\x00\x00\x00\x00\x01\x00");
	assert_int_equal(edge_der_next(&in, &tag, &c, NULL), -1);
	in = D("\x1f\x81\x01\x00");
	assert_int_equal(edge_der_next(&in, &tag, &c, NULL), -1);
	in = D("\x04\x82\x01");	/* length bytes cut */
	assert_int_equal(edge_der_next(&in, &tag, &c, NULL), -1);
	in = D("\x04");
	assert_int_equal(edge_der_next(&in, &tag, &c, NULL), -1);
}

static time_t
gm(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
	    .tm_hour = h, .tm_min = mi, .tm_sec = s };
	time_t t = timegm(&tm);

	/* A 32-bit time_t (armhf on Debian 12) ends in January 2038: there
	 * edge_der_time gives its last second. */
	if (t == (time_t)-1 && y >= 2038)
		return (time_t)INT32_MAX;
	return t;
}

static void
times(void **state)
{
	struct edge_der c;
	time_t t = 0;

	(void)state;
	c = D("491231235959Z");
	assert_int_equal(edge_der_time(EDGE_DER_UTCTIME, &c, &t), 0);
	assert_int_equal(t, gm(2049, 12, 31, 23, 59, 59));
	c = D("500101000000Z");
	assert_int_equal(edge_der_time(EDGE_DER_UTCTIME, &c, &t), 0);
	assert_int_equal(t, gm(1950, 1, 1, 0, 0, 0));
	c = D("000229120000Z");
	assert_int_equal(edge_der_time(EDGE_DER_UTCTIME, &c, &t), 0);
	assert_int_equal(t, gm(2000, 2, 29, 12, 0, 0));
	c = D("20500101000000Z");
	assert_int_equal(edge_der_time(EDGE_DER_GENTIME, &c, &t), 0);
	assert_int_equal(t, gm(2050, 1, 1, 0, 0, 0));
	c = D("19691231235959Z");
	assert_int_equal(edge_der_time(EDGE_DER_GENTIME, &c, &t), 0);
	assert_int_equal(t, -1);
	c = D("21060207062816Z");
	assert_int_equal(edge_der_time(EDGE_DER_GENTIME, &c, &t), 0);
	assert_int_equal(t, gm(2106, 2, 7, 6, 28, 16));

	/* The tag decides the form; DER wants Z and seconds. */
	c = D("20500101000000Z");
	assert_int_equal(edge_der_time(EDGE_DER_UTCTIME, &c, &t), -1);
	c = D("500101000000Z");
	assert_int_equal(edge_der_time(EDGE_DER_GENTIME, &c, &t), -1);
	c = D("5001010000Z");
	assert_int_equal(edge_der_time(EDGE_DER_UTCTIME, &c, &t), -1);
	c = D("500101000000+");
	assert_int_equal(edge_der_time(EDGE_DER_UTCTIME, &c, &t), -1);
	c = D("501301000000Z");	/* month 13 */
	assert_int_equal(edge_der_time(EDGE_DER_UTCTIME, &c, &t), -1);
	c = D("500100000000Z");	/* day 0 */
	assert_int_equal(edge_der_time(EDGE_DER_UTCTIME, &c, &t), -1);
	c = D("500101240000Z");	/* hour 24 */
	assert_int_equal(edge_der_time(EDGE_DER_UTCTIME, &c, &t), -1);
	c = D("5a0101000000Z");
	assert_int_equal(edge_der_time(EDGE_DER_UTCTIME, &c, &t), -1);
	c = D("500101000000Z");
	assert_int_equal(edge_der_time(EDGE_DER_INTEGER, &c, &t), -1);
}

static void
oids(void **state)
{
	struct edge_der c;
	char buf[64];

	(void)state;
	c = D("\x55\x1d\x14");
	assert_int_equal(edge_der_oid(&c, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2.5.29.20");
	c = D("\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0b");
	assert_int_equal(edge_der_oid(&c, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1.2.840.113549.1.1.11");
	c = D("\x00");
	assert_int_equal(edge_der_oid(&c, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "0.0");
	c = D("\x88\x37");	/* first arc 2, second 999: 2.999 */
	assert_int_equal(edge_der_oid(&c, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2.999");

	c = D("\x55\x1d\x94");	/* last byte continues */
	assert_int_equal(edge_der_oid(&c, buf, sizeof(buf)), -1);
	c = D("");
	assert_int_equal(edge_der_oid(&c, buf, sizeof(buf)), -1);
	c = D("\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0b");
	assert_int_equal(edge_der_oid(&c, buf, 8), -1);	/* does not fit */
	c = D("\x2a\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f");
	assert_int_equal(edge_der_oid(&c, buf, sizeof(buf)), -1);	/* overflow */
}

static void
integers(void **state)
{
	struct edge_der v, a, b;

	(void)state;
	a = D("\x00\x00\x80");
	v = edge_der_unsigned(&a);
	assert_int_equal(v.len, 1);
	assert_int_equal(v.p[0], 0x80);
	a = D("\x00");
	v = edge_der_unsigned(&a);
	assert_int_equal(v.len, 1);

	a = D("");
	assert_false(edge_der_int_minimal(&a));
	a = D("\x00\x80");
	assert_true(edge_der_int_minimal(&a));
	a = D("\x00\x7f");
	assert_false(edge_der_int_minimal(&a));
	a = D("\xff\x7f");
	assert_true(edge_der_int_minimal(&a));
	a = D("\xff\x80");
	assert_false(edge_der_int_minimal(&a));

	/* Redundant sign bytes do not change the value; the sign does. */
	a = D("\x00\x00\x01\x00");
	b = D("\x01\x00");
	assert_int_equal(edge_der_int_cmp(&a, &b), 0);
	a = D("\xff\xff\xff");
	b = D("\xff");
	assert_int_equal(edge_der_int_cmp(&a, &b), 0);
	a = D("\x01");
	b = D("\x02");
	assert_int_not_equal(edge_der_int_cmp(&a, &b), 0);
	assert_true((edge_der_int_cmp(&a, &b) < 0) ==
	    (edge_der_int_cmp(&b, &a) > 0));
}

/* Name { SET { SEQUENCE { OID 2.5.4.3, <tag> value } } } */
static struct edge_der
cn_name(unsigned char *buf, unsigned char tag, const char *value)
{
	size_t n = strlen(value);

	buf[0] = 0x30;
	buf[1] = (unsigned char)(n + 11);
	buf[2] = 0x31;
	buf[3] = (unsigned char)(n + 9);
	buf[4] = 0x30;
	buf[5] = (unsigned char)(n + 7);
	memcpy(buf + 6, "\x06\x03\x55\x04\x03", 5);
	buf[11] = tag;
	buf[12] = (unsigned char)n;
	memcpy(buf + 13, value, n);
	return (struct edge_der){ buf, n + 13 };
}

static void
names(void **state)
{
	unsigned char b1[64], b2[64];
	struct edge_der a, b;

	(void)state;
	a = cn_name(b1, 0x0c, "Edge Root");
	b = cn_name(b2, 0x13, "  edge   ROOT ");
	assert_true(edge_der_name_equal(&a, &b));
	b = cn_name(b2, 0x0c, "Edge Root 2");
	assert_false(edge_der_name_equal(&a, &b));
	b = cn_name(b2, 0x0c, "EdgeRoot");
	assert_false(edge_der_name_equal(&a, &b));
	b = cn_name(b2, 0x0c, "Edge Root");
	b.len--;	/* truncated */
	assert_false(edge_der_name_equal(&a, &b));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tlv_headers),
		cmocka_unit_test(times),
		cmocka_unit_test(oids),
		cmocka_unit_test(integers),
		cmocka_unit_test(names),
	};

	return cmocka_run_group_tests_name("edge_der", tests, NULL, NULL);
}
