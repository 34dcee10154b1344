/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
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
	long era, yoe, doy, doe, days;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153L * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	days = era * 146097 + doe - 719468;
	return (time_t)(days * 86400L + hh * 3600L + mm * 60L + ss);
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
