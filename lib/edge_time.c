/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "edge_file.h"
#include "edge_time.h"
#include "edge_x509.h"

time_t
edge_time_now(void)
{
	return time(NULL);
}

long long
edge_time_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long
edge_time_backoff(unsigned attempt, long min_ms, long max_ms)
{
	long d, lo, hi;
	unsigned r = 0;

	if (min_ms < 1)
		min_ms = 1;
	if (max_ms < min_ms)
		max_ms = min_ms;
	d = min_ms;
	while (attempt-- > 0 && d < max_ms)
		d = d > max_ms / 2 ? max_ms : d * 2;
	lo = d + d / 4 > max_ms ? max_ms - d / 4 : d;
	if (lo < min_ms)
		lo = min_ms;
	hi = lo + d / 4 < max_ms ? lo + d / 4 : max_ms;
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
		r = (unsigned)rand();
	return lo + (long)(r % (unsigned long)(hi - lo + 1));
}

long long
edge_time_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

time_t
edge_time_trusted(int dirfd, char *source, size_t srclen)
{
	char *buf = NULL, src[128] = "";
	long long t = 0;
	size_t len;

	if (edge_file_read(dirfd, EDGE_TIME_FILE, 4096, &buf, &len, NULL) != EDGE_OK)
		return 0;
	if (sscanf(buf, "%lld %127[^\n]", &t, src) < 1 || t < 0)
		t = 0;
	free(buf);
	if (source != NULL)
		snprintf(source, srclen, "%s", src);
	return (time_t)t;
}

int
edge_time_witness(int dirfd, time_t t, const char *source,
    struct edge_error *err)
{
	char line[256], when[32];
	time_t now = edge_time_now();
	int n;

	if (t <= edge_time_trusted(dirfd, NULL, 0))
		return EDGE_OK;
	if (t > now + EDGE_TIME_TOLERANCE) {
		/* Evidence from the future means a wrong clock on one side. */
		edge_x509_time(t, when, sizeof(when));
		return edge_err(err, EDGE_ETRUST,
		    "%s %s is ahead of the system clock; check the clock", source,
		    when);
	}
	n = snprintf(line, sizeof(line), "%lld %s\n", (long long)t, source);
	return edge_file_write_atomic(dirfd, EDGE_TIME_FILE, line, (size_t)n,
	    EDGE_MODE_PUBLIC, err);
}

int
edge_time_check(int dirfd, time_t now, long tolerance, bool *far_ahead,
    struct edge_error *err)
{
	char source[128], when[32], clock[32];
	time_t trusted = edge_time_trusted(dirfd, source, sizeof(source));

	if (far_ahead != NULL)
		*far_ahead = trusted != 0 && now > trusted + EDGE_TIME_AHEAD;
	if (trusted == 0 || now + tolerance >= trusted)
		return EDGE_OK;
	edge_x509_time(trusted, when, sizeof(when));
	edge_x509_time(now, clock, sizeof(clock));
	return edge_err(err, EDGE_ETRUST,
	    "system clock is earlier than trusted time %s (from %s); clock says %s",
	    when, source[0] ? source : "a verified source", clock);
}
