/* SPDX-License-Identifier: MIT */
#ifndef EDGE_TIME_H
#define EDGE_TIME_H

/*
 * Trusted time: the latest moment the edge has proof of, kept in
 * DIR/trusted-time and only ever moved forward by evidence (a verified CRL's
 * thisUpdate, the notBefore of a verified certificate, the Date header of a
 * verified hub answer).  A system clock set back behind it - to make an
 * expired or revoked certificate look good - is refused.  Never prints.
 */

#include <stdbool.h>
#include <time.h>

#include "edge_err.h"
#include "edge_state.h"

#define EDGE_TIME_TOLERANCE	3600	/* seconds the clock may lag the record */
#define EDGE_TIME_AHEAD		(366L * 86400)	/* "far ahead" for warnings */

/*
 * Record that time has reached at least t (source names the evidence, e.g.
 * "crl thisUpdate").  An older t changes nothing.  A t in the future beyond
 * the tolerance is not recorded (it would lock the edge out) and returns
 * EDGE_ETRUST.  Errors: EDGE_ESTORE.
 */
int edge_time_witness(int dirfd, time_t t, const char *source,
    struct edge_error *err);

/*
 * Check the system clock now against the record: behind it by more than
 * tolerance is EDGE_ETRUST "system clock is earlier than trusted time ...".
 * *far_ahead (may be NULL) tells that the clock is more than EDGE_TIME_AHEAD
 * ahead of the record, for a warning.
 */
int edge_time_check(int dirfd, time_t now, long tolerance, bool *far_ahead,
    struct edge_error *err);

/*
 * The recorded trusted time, 0 when there is none (or it is unreadable);
 * source (may be NULL) gets the evidence it came from.  Reads only.
 */
time_t edge_time_trusted(int dirfd, char *source, size_t srclen);

/*
 * The current time for this edge: the system clock.  No variable moves it:
 * expiry, CRL and clock checks must not be borrowable from the environment
 * (tests travel in time with libfaketime, tests/lib.sh at_time).
 */
time_t edge_time_now(void);

/* Milliseconds since the epoch from the system clock (EnOS timestamps). */
long long edge_time_ms(void);

/*
 * The wait before the attempt-th retry (0-based), in milliseconds, for every
 * retry loop (hub requests, broker reconnects): min_ms doubled per attempt up
 * to max_ms, plus a random jitter of up to a quarter of it so that a fleet
 * does not retry in step.  Always within [min_ms, max_ms]: at the cap the
 * jitter window lies below max_ms instead of above it.
 */
long edge_time_backoff(unsigned attempt, long min_ms, long max_ms);

/*
 * Milliseconds on the monotonic clock, for timeouts and intervals: it does
 * not jump when the system clock is set.
 */
long long edge_time_mono_ms(void);

#endif
