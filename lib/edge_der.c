/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "edge_der.h"

int
edge_der_next(struct edge_der *in, unsigned char *tag, struct edge_der *content,
    struct edge_der *whole)
{
	const unsigned char *p = in->p;
	size_t left = in->len, len, hdr = 2;

	if (left < 2 || (p[0] & 0x1f) == 0x1f)
		return -1;
	len = p[1];
	if (len & 0x80) {
		size_t n = len & 0x7f, i;

		/* Indefinite (0x80) is BER, not DER; more than 4 bytes is absurd here. */
		if (n == 0 || n > 4 || left < 2 + n)
			return -1;
		for (len = 0, i = 0; i < n; i++)
			len = len << 8 | p[2 + i];
		hdr += n;
	}
	if (len > left - hdr)
		return -1;
	*tag = p[0];
	content->p = p + hdr;
	content->len = len;
	if (whole != NULL) {
		whole->p = p;
		whole->len = hdr + len;
	}
	in->p = p + hdr + len;
	in->len = left - hdr - len;
	return 0;
}

int
edge_der_take(struct edge_der *in, unsigned char want, struct edge_der *content,
    struct edge_der *whole)
{
	struct edge_der save = *in;
	unsigned char tag;

	if (edge_der_next(in, &tag, content, whole) != 0 || tag != want) {
		*in = save;
		return -1;
	}
	return 0;
}

int
edge_der_peek(const struct edge_der *in)
{
	return in->len == 0 ? -1 : in->p[0];
}

static int
digits(const unsigned char *p, size_t n)
{
	int v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/*
 * Seconds since the epoch for a UTC date (H. Hinnant's days_from_civil):
 * timegm() goes through the time zone machinery, which dominated the parse
 * of a million CRL entries.
 */
static time_t
utc_seconds(int y, int m, int d, int hh, int mm, int ss)
{
	long long era, yoe, doy, doe, days, s, max;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153LL * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	days = era * 146097 + doe - 719468;
	s = days * 86400LL + hh * 3600LL + mm * 60LL + ss;
	/* A 32-bit time_t (Debian 12's armhf) ends in 2038: later dates are
	 * clamped to its last second, as GnuTLS does, so a notAfter of 2049
	 * stays in the future rather than wrapping into the past. */
	max = (long long)(((unsigned long long)1 << (sizeof(time_t) * CHAR_BIT - 1)) - 1);
	if (s > max)
		s = max;
	else if (s < -max - 1)
		s = -max - 1;
	return (time_t)s;
}

int
edge_der_time(unsigned char tag, const struct edge_der *c, time_t *t)
{
	struct tm tm;
	const unsigned char *p = c->p;
	int year;

	memset(&tm, 0, sizeof(tm));
	if (tag == EDGE_DER_UTCTIME && c->len == 13 && p[12] == 'Z') {
		if ((year = digits(p, 2)) < 0)
			return -1;
		/* RFC 5280: 50..99 are 19xx, 00..49 are 20xx. */
		year += year < 50 ? 2000 : 1900;
		p += 2;
	} else if (tag == EDGE_DER_GENTIME && c->len == 15 && p[14] == 'Z') {
		if ((year = digits(p, 4)) < 0)
			return -1;
		p += 4;
	} else {
		return -1;
	}
	tm.tm_year = year - 1900;
	tm.tm_mon = digits(p, 2) - 1;
	tm.tm_mday = digits(p + 2, 2);
	tm.tm_hour = digits(p + 4, 2);
	tm.tm_min = digits(p + 6, 2);
	tm.tm_sec = digits(p + 8, 2);
	if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour < 0 || tm.tm_hour > 23 || tm.tm_min < 0 || tm.tm_min > 59 ||
	    tm.tm_sec < 0 || tm.tm_sec > 60)
		return -1;
	*t = utc_seconds(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec);
	return 0;
}

int
edge_der_oid(const struct edge_der *c, char *buf, size_t len)
{
	unsigned long v = 0;
	size_t i, n = 0;
	bool first = true;
	int w;

	if (c->len == 0 || len == 0)
		return -1;
	for (i = 0; i < c->len; i++) {
		if (v > (~0ul >> 7))
			return -1;
		v = v << 7 | (c->p[i] & 0x7f);
		if (c->p[i] & 0x80)
			continue;
		if (first) {
			unsigned long a = v < 40 ? 0 : v < 80 ? 1 : 2;
			w = snprintf(buf + n, len - n, "%lu.%lu", a, v - 40 * a);
			first = false;
		} else {
			w = snprintf(buf + n, len - n, ".%lu", v);
		}
		if (w < 0 || (size_t)w >= len - n)
			return -1;
		n += (size_t)w;
		v = 0;
	}
	return (c->p[c->len - 1] & 0x80) ? -1 : 0;
}

struct edge_der
edge_der_unsigned(const struct edge_der *c)
{
	struct edge_der v = *c;

	while (v.len > 1 && v.p[0] == 0) {
		v.p++;
		v.len--;
	}
	return v;
}

bool
edge_der_int_minimal(const struct edge_der *c)
{
	if (c->len == 0)
		return false;
	if (c->len == 1)
		return true;
	return !((c->p[0] == 0x00 && !(c->p[1] & 0x80)) ||
	    (c->p[0] == 0xff && (c->p[1] & 0x80)));
}

/* Drop sign bytes that repeat the sign of the next byte. */
static struct edge_der
int_canon(const struct edge_der *c)
{
	struct edge_der v = *c;

	while (v.len > 1 && ((v.p[0] == 0x00 && !(v.p[1] & 0x80)) ||
	    (v.p[0] == 0xff && (v.p[1] & 0x80)))) {
		v.p++;
		v.len--;
	}
	return v;
}

int
edge_der_int_cmp(const struct edge_der *a, const struct edge_der *b)
{
	struct edge_der x = int_canon(a), y = int_canon(b);

	if (x.len != y.len)
		return x.len < y.len ? -1 : 1;
	return memcmp(x.p, y.p, x.len);
}

/* Append one code point as UTF-8; false when out is full. */
static bool
put_utf8(unsigned long cp, unsigned char *out, size_t cap, size_t *n)
{
	unsigned char b[4];
	size_t k, i;

	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		k = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xc0 | cp >> 6);
		b[1] = (unsigned char)(0x80 | (cp & 0x3f));
		k = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xe0 | cp >> 12);
		b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp & 0x3f));
		k = 3;
	} else if (cp < 0x110000) {
		b[0] = (unsigned char)(0xf0 | cp >> 18);
		b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (unsigned char)(0x80 | (cp & 0x3f));
		k = 4;
	} else {
		return false;
	}
	if (cap - *n < k)
		return false;
	for (i = 0; i < k; i++)
		out[(*n)++] = b[i];
	return true;
}

static bool
is_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/*
 * One attribute value in canonical form (OpenSSL's asn1_string_canon): the
 * string types to UTF-8, white space trimmed and runs of it made one space,
 * ASCII folded to lower case; other types verbatim, tag first.
 */
static bool
value_canon(unsigned char tag, const struct edge_der *v, unsigned char *out,
    size_t cap, size_t *n)
{
	unsigned char u[1024];
	size_t un = 0, i, start, end, lenpos;
	bool space = false;

	switch (tag) {
	case 0x0c: case 0x13: case 0x16: case 0x1a:	/* UTF8, Printable, IA5, Visible */
		if (v->len > sizeof(u))
			return false;
		memcpy(u, v->p, v->len);
		un = v->len;
		break;
	case 0x14:					/* T61: read as Latin-1, as OpenSSL does */
		for (i = 0; i < v->len; i++)
			if (!put_utf8(v->p[i], u, sizeof(u), &un))
				return false;
		break;
	case 0x1e:					/* BMP: UCS-2 */
		if (v->len % 2)
			return false;
		for (i = 0; i < v->len; i += 2)
			if (!put_utf8((unsigned long)v->p[i] << 8 | v->p[i + 1], u,
			    sizeof(u), &un))
				return false;
		break;
	case 0x1c:					/* Universal: UCS-4 */
		if (v->len % 4)
			return false;
		for (i = 0; i < v->len; i += 4)
			if (!put_utf8((unsigned long)v->p[i] << 24 |
			    (unsigned long)v->p[i + 1] << 16 |
			    (unsigned long)v->p[i + 2] << 8 | v->p[i + 3], u,
			    sizeof(u), &un))
				return false;
		break;
	default:
		if (v->len > 0xffff || cap - *n < v->len + 3)
			return false;
		out[(*n)++] = tag;
		out[(*n)++] = (unsigned char)(v->len >> 8);
		out[(*n)++] = (unsigned char)v->len;
		memcpy(out + *n, v->p, v->len);
		*n += v->len;
		return true;
	}
	for (start = 0; start < un && is_space(u[start]); start++)
		;
	for (end = un; end > start && is_space(u[end - 1]); end--)
		;
	/* Tag and a two-byte length (filled in below) keep AVAs apart. */
	if (cap - *n < end - start + 3)
		return false;
	out[(*n)++] = 0x0c;
	lenpos = *n;
	*n += 2;
	for (i = start; i < end; i++) {
		if (is_space(u[i])) {
			if (!space)
				out[(*n)++] = ' ';
			space = true;
			continue;
		}
		space = false;
		out[(*n)++] = (unsigned char)(u[i] >= 'A' && u[i] <= 'Z' ?
		    u[i] + 32 : u[i]);
	}
	out[lenpos] = (unsigned char)((*n - lenpos - 2) >> 8);
	out[lenpos + 1] = (unsigned char)(*n - lenpos - 2);
	return true;
}

/* A Name as a canonical byte string: per RDN a separator, per AVA the OID and value. */
static bool
name_canon(const struct edge_der *name, unsigned char *out, size_t cap,
    size_t *n)
{
	struct edge_der in = *name, seq, rdn, ava, oid, v;
	unsigned char tag;

	*n = 0;
	if (edge_der_take(&in, EDGE_DER_SEQUENCE, &seq, NULL) != 0 || in.len != 0)
		return false;
	while (seq.len > 0) {
		if (edge_der_take(&seq, 0x31, &rdn, NULL) != 0 || rdn.len == 0 ||
		    cap - *n < 1)
			return false;
		out[(*n)++] = 0x31;
		while (rdn.len > 0) {
			if (edge_der_take(&rdn, EDGE_DER_SEQUENCE, &ava, NULL) != 0 ||
			    edge_der_take(&ava, EDGE_DER_OID, &oid, NULL) != 0 ||
			    edge_der_next(&ava, &tag, &v, NULL) != 0 || ava.len != 0 ||
			    oid.len > 255 || cap - *n < oid.len + 2)
				return false;
			out[(*n)++] = (unsigned char)oid.len;
			memcpy(out + *n, oid.p, oid.len);
			*n += oid.len;
			if (!value_canon(tag, &v, out, cap, n))
				return false;
		}
	}
	return true;
}

bool
edge_der_name_equal(const struct edge_der *a, const struct edge_der *b)
{
	unsigned char x[4096], y[4096];
	size_t nx, ny;

	if (a->len == b->len && a->len > 0 && memcmp(a->p, b->p, a->len) == 0)
		return true;
	return name_canon(a, x, sizeof(x), &nx) && name_canon(b, y, sizeof(y), &ny) &&
	    nx == ny && memcmp(x, y, nx) == 0;
}
