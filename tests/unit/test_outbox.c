/* SPDX-License-Identifier: MIT */
/* lib/edge_outbox: append, ack out of order, reload after a "crash", torn records, drop-oldest, batched writes, one user at a time, payloads read back from disk and checked (changed, swapped, a FIFO or another file at a segment's name). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "edge_outbox.h"

#include "testdir.h"

static int
setup(void **state)
{
	(void)state;
	return testdir_make("/tmp/edge-test-outbox.XXXXXX");
}

static int
teardown(void **state)
{
	(void)state;
	return testdir_remove();
}

static void
put(struct edge_outbox *ob, int i, unsigned long long *seq)
{
	char p[32];

	snprintf(p, sizeof(p), "{\"i\":%d}", i);
	assert_int_equal(edge_outbox_append(ob, "/sys/p/d/thing/measurepoint/post",
	    p, strlen(p), seq, NULL), 0);
}

static void
test_append_ack_reload(void **state)
{
	struct edge_outbox *ob = NULL;
	unsigned long long s[5];
	int i;

	(void)state;
	assert_int_equal(edge_outbox_open(dfd, "outbox", &ob, NULL), 0);
	for (i = 0; i < 5; i++)
		put(ob, i, &s[i]);
	assert_int_equal(edge_outbox_sync(ob, NULL), 0);
	assert_int_equal(edge_outbox_pending(ob), 5);
	/* Acknowledged out of order: 0 and 2; the mark stops at 1. */
	assert_true(edge_outbox_ack(ob, s[0]));
	assert_true(edge_outbox_ack(ob, s[2]));
	assert_false(edge_outbox_ack(ob, s[2]));
	assert_int_equal(edge_outbox_pending(ob), 3);
	assert_int_equal(edge_outbox_flush(ob, NULL), 0);
	edge_outbox_close(&ob);	/* as if killed: no more flushes */

	assert_int_equal(edge_outbox_open(dfd, "outbox", &ob, NULL), 0);
	/* 1, 2 (acked above the mark: at least once), 3, 4, in order. */
	assert_int_equal(edge_outbox_pending(ob), 4);
	assert_string_equal(edge_outbox_at(ob, 0)->payload, "{\"i\":1}");
	assert_string_equal(edge_outbox_at(ob, 3)->payload, "{\"i\":4}");
	assert_int_equal(edge_outbox_at(ob, 0)->mid, 0);
	/* New messages continue the numbering. */
	put(ob, 5, &s[0]);
	assert_true(s[0] > s[4]);
	for (i = 0; i < (int)edge_outbox_count(ob); i++)
		edge_outbox_ack(ob, edge_outbox_at(ob, (size_t)i)->seq);
	while (edge_outbox_count(ob) > 0)
		edge_outbox_ack(ob, edge_outbox_at(ob, 0)->seq);
	assert_int_equal(edge_outbox_pending(ob), 0);
	assert_int_equal(edge_outbox_flush(ob, NULL), 0);
	edge_outbox_close(&ob);

	assert_int_equal(edge_outbox_open(dfd, "outbox", &ob, NULL), 0);
	assert_int_equal(edge_outbox_pending(ob), 0);
	edge_outbox_close(&ob);
}

static void
test_torn_record(void **state)
{
	struct edge_outbox *ob = NULL;
	char name[160];
	int fd;

	(void)state;
	assert_int_equal(edge_outbox_open(dfd, "torn", &ob, NULL), 0);
	put(ob, 1, NULL);
	put(ob, 2, NULL);
	edge_outbox_close(&ob);
	/* A crash in the middle of writing the third record. */
	snprintf(name, sizeof(name), "%s/torn/%016llx.seg", dir, 0ULL);
	fd = open(name, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "/sys/x\t{\"i\":", 12), 12);
	close(fd);
	assert_int_equal(edge_outbox_open(dfd, "torn", &ob, NULL), 0);
	assert_int_equal(edge_outbox_pending(ob), 2);
	put(ob, 3, NULL);
	edge_outbox_close(&ob);
	assert_int_equal(edge_outbox_open(dfd, "torn", &ob, NULL), 0);
	assert_int_equal(edge_outbox_pending(ob), 3);
	assert_string_equal(edge_outbox_at(ob, 2)->payload, "{\"i\":3}");
	edge_outbox_close(&ob);
}

static void
test_drop_and_refuse(void **state)
{
	struct edge_outbox *ob = NULL;
	int i;

	(void)state;
	assert_int_equal(edge_outbox_open(dfd, "drop", &ob, NULL), 0);
	for (i = 0; i < 4; i++)
		put(ob, i, NULL);
	assert_int_equal(edge_outbox_drop_oldest(ob, 2), 2);
	assert_int_equal(edge_outbox_pending(ob), 2);
	assert_string_equal(edge_outbox_at(ob, 0)->payload, "{\"i\":2}");
	assert_int_not_equal(edge_outbox_append(ob, "t", "a\nb", 3, NULL, NULL), 0);
	assert_int_not_equal(edge_outbox_append(ob, "t\tx", "ab", 2, NULL, NULL), 0);
	assert_int_equal(edge_outbox_flush(ob, NULL), 0);
	edge_outbox_close(&ob);
	assert_int_equal(edge_outbox_open(dfd, "drop", &ob, NULL), 0);
	assert_int_equal(edge_outbox_pending(ob), 2);
	edge_outbox_close(&ob);
}

/* Appends are gathered and reach the segment with the batch's sync (or close). */
static void
test_batched_write(void **state)
{
	struct edge_outbox *ob = NULL;
	char name[160];
	struct stat st;
	int i;

	(void)state;
	snprintf(name, sizeof(name), "%s/batch/%016llx.seg", dir, 0ULL);
	assert_int_equal(edge_outbox_open(dfd, "batch", &ob, NULL), 0);
	for (i = 0; i < 3; i++)
		put(ob, i, NULL);
	assert_int_equal(stat(name, &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(edge_outbox_sync(ob, NULL), 0);
	assert_int_equal(stat(name, &st), 0);
	assert_int_equal(st.st_size, 3 * (int)strlen("/sys/p/d/thing/measurepoint/post\t{\"i\":0}\n"));
	put(ob, 3, NULL);
	edge_outbox_close(&ob);
	assert_int_equal(edge_outbox_open(dfd, "batch", &ob, NULL), 0);
	assert_int_equal(edge_outbox_pending(ob), 4);
	assert_string_equal(edge_outbox_at(ob, 3)->payload, "{\"i\":3}");
	edge_outbox_close(&ob);
}

/*
 * One outbox, one user: a second open (another open file description, as
 * another edge-connect would have) fails at once while the first is open.
 */
static void
test_second_open_refused(void **state)
{
	struct edge_outbox *ob = NULL, *ob2 = NULL;
	struct edge_error err = { 0 };

	(void)state;
	assert_int_equal(edge_outbox_open(dfd, "busy", &ob, NULL), 0);
	put(ob, 1, NULL);
	assert_int_equal(edge_outbox_sync(ob, NULL), 0);
	assert_int_equal(edge_outbox_open(dfd, "busy", &ob2, &err), EDGE_ETEMP);
	assert_null(ob2);
	assert_string_equal(err.msg, "busy: in use by another edge-connect");
	/* The first is unaffected, and the lock goes with it. */
	put(ob, 2, NULL);
	assert_int_equal(edge_outbox_sync(ob, NULL), 0);
	assert_int_equal(edge_outbox_pending(ob), 2);
	edge_outbox_close(&ob);
	assert_int_equal(edge_outbox_open(dfd, "busy", &ob2, NULL), 0);
	assert_int_equal(edge_outbox_pending(ob2), 2);
	edge_outbox_close(&ob2);
}

/*
 * Payloads are not held in memory: they are read back from the segments
 * (across a segment change, after a reopen, from what is appended but not
 * yet written), released and read again; a record changed on disk is an
 * error, not a wrong message.
 */
static void
test_read_back(void **state)
{
	struct edge_outbox *ob = NULL;
	struct edge_outbox_msg *m;
	struct edge_error err = { 0 };
	char want[32];
	int i, n = EDGE_OUTBOX_SEG_MAX + 10, fd;

	(void)state;
	assert_int_equal(edge_outbox_open(dfd, "back", &ob, NULL), 0);
	for (i = 0; i < n; i++)
		put(ob, i, NULL);
	/* The newest are still in the write buffer. */
	assert_string_equal(edge_outbox_at(ob, (size_t)n - 1)->payload, "{\"i\":4105}");
	edge_outbox_release(edge_outbox_peek(ob, (size_t)n - 1));
	assert_int_equal(edge_outbox_sync(ob, NULL), 0);
	for (i = n - 1; i >= 0; i -= 7) {
		m = edge_outbox_peek(ob, (size_t)i);
		assert_null(m->payload);
		assert_int_equal(edge_outbox_load(ob, m, NULL), 0);
		snprintf(want, sizeof(want), "{\"i\":%d}", i);
		assert_string_equal(m->payload, want);
		assert_string_equal(m->topic, "/sys/p/d/thing/measurepoint/post");
		assert_int_equal(m->len, strlen(want));
		edge_outbox_release(m);
		assert_null(m->payload);
	}
	edge_outbox_close(&ob);
	assert_int_equal(edge_outbox_open(dfd, "back", &ob, NULL), 0);
	assert_int_equal(edge_outbox_pending(ob), (size_t)n);
	assert_null(edge_outbox_peek(ob, 5)->payload);
	assert_string_equal(edge_outbox_at(ob, 5)->payload, "{\"i\":5}");
	assert_string_equal(edge_outbox_at(ob, (size_t)n - 1)->payload, "{\"i\":4105}");
	/* The first segment cut short behind the outbox's back. */
	fd = openat(dfd, "back/0000000000000000.seg", O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 100), 0);
	close(fd);
	m = edge_outbox_peek(ob, 4000);
	assert_int_equal(edge_outbox_load(ob, m, &err), EDGE_ESTORE);
	assert_non_null(strstr(err.msg, "cannot read back message 4000"));
	assert_null(m->payload);
	assert_null(edge_outbox_at(ob, 4000));
	edge_outbox_close(&ob);
}

/*
 * Red team (t22): a record read back must be the one appended.  A same-length
 * change of its payload on disk is published as if the edge had sent it
 * (only the TAB and LF positions are checked), although the error "changed
 * on disk" and test_read_back promise otherwise.
 */
static void
test_changed_payload_detected(void **state)
{
	struct edge_outbox *ob = NULL;
	struct edge_outbox_msg *m;
	struct edge_error err = { 0 };
	int fd;
	off_t off;

	(void)state;
	assert_int_equal(edge_outbox_open(dfd, "chg", &ob, NULL), 0);
	put(ob, 1, NULL);
	put(ob, 2, NULL);
	put(ob, 3, NULL);
	assert_int_equal(edge_outbox_sync(ob, NULL), 0);
	/* '{"i":2}' -> '{"i":7}': the second record's digit, in place. */
	m = edge_outbox_peek(ob, 1);
	off = (off_t)(m->off + m->tlen + 1 + 5);
	fd = openat(dfd, "chg/0000000000000000.seg", O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "7", 1, off), 1);
	close(fd);
	if (edge_outbox_load(ob, m, &err) == 0)
		assert_string_equal(m->payload, "{\"i\":2}");
	else
		assert_non_null(strstr(err.msg, "changed on disk"));
	edge_outbox_close(&ob);
}

/*
 * Red team (t22): a segment's name is opened again when a message is read
 * back; a FIFO put there must be refused (as edge_file_read refuses one: not
 * a regular file), not waited on for a writer (edge-connect stops serving its
 * session until a signal arrives).  SIGALRM fails the test instead of a hang.
 */
static void
test_fifo_segment_not_waited(void **state)
{
	struct edge_outbox *ob = NULL;
	struct edge_error err = { 0 };

	(void)state;
	assert_int_equal(edge_outbox_open(dfd, "fifo", &ob, NULL), 0);
	put(ob, 1, NULL);
	assert_int_equal(edge_outbox_sync(ob, NULL), 0);
	edge_outbox_close(&ob);
	assert_int_equal(edge_outbox_open(dfd, "fifo", &ob, NULL), 0);
	assert_int_equal(unlinkat(dfd, "fifo/0000000000000000.seg", 0), 0);
	assert_int_equal(mkfifoat(dfd, "fifo/0000000000000000.seg", 0600), 0);
	alarm(5);
	assert_int_equal(edge_outbox_load(ob, edge_outbox_peek(ob, 0), &err),
	    EDGE_ESTORE);
	alarm(0);
	edge_outbox_close(&ob);
}

/*
 * Two records of the same length swapped in place: each is at its offset with
 * its TAB and LF, so only its checksum tells it is not the one appended.
 */
static void
test_swapped_records_detected(void **state)
{
	struct edge_outbox *ob = NULL;
	struct edge_outbox_msg *a, *b;
	struct edge_error err = { 0 };
	char ra[128], rb[128];
	size_t n;
	int fd;

	(void)state;
	assert_int_equal(edge_outbox_open(dfd, "swap", &ob, NULL), 0);
	put(ob, 1, NULL);
	put(ob, 2, NULL);
	put(ob, 3, NULL);
	assert_int_equal(edge_outbox_sync(ob, NULL), 0);
	a = edge_outbox_peek(ob, 0);
	b = edge_outbox_peek(ob, 1);
	n = a->tlen + 1 + a->len + 1;
	assert_int_equal(n, b->tlen + 1 + b->len + 1);
	assert_true(n <= sizeof(ra));
	fd = openat(dfd, "swap/0000000000000000.seg", O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, ra, n, (off_t)a->off), (ssize_t)n);
	assert_int_equal(pread(fd, rb, n, (off_t)b->off), (ssize_t)n);
	assert_int_equal(pwrite(fd, rb, n, (off_t)a->off), (ssize_t)n);
	assert_int_equal(pwrite(fd, ra, n, (off_t)b->off), (ssize_t)n);
	close(fd);
	assert_int_equal(edge_outbox_load(ob, a, &err), EDGE_ESTORE);
	assert_non_null(strstr(err.msg, "message 0 changed on disk"));
	assert_int_equal(edge_outbox_load(ob, b, &err), EDGE_ESTORE);
	assert_non_null(strstr(err.msg, "message 1 changed on disk"));
	assert_int_equal(edge_outbox_load(ob, edge_outbox_peek(ob, 2), NULL), 0);
	edge_outbox_close(&ob);
}

/*
 * One record {"i":1234567} in outbox NAME, closed again: its segment open for
 * writing (returned), where the record starts, its checksummed bytes
 * (TOPIC<TAB>PAYLOAD, LF excluded) and its TAB's place.
 */
static int
one_record(const char *name, unsigned long long *off, size_t *n, size_t *tab)
{
	struct edge_outbox *ob = NULL;
	struct edge_outbox_msg *m;
	char seg[64];
	int fd;

	assert_int_equal(edge_outbox_open(dfd, name, &ob, NULL), 0);
	put(ob, 1234567, NULL);
	assert_int_equal(edge_outbox_sync(ob, NULL), 0);
	m = edge_outbox_peek(ob, 0);
	*n = m->tlen + 1 + m->len;
	*tab = m->tlen;
	*off = m->off;
	edge_outbox_close(&ob);
	snprintf(seg, sizeof(seg), "%s/0000000000000000.seg", name);
	fd = openat(dfd, seg, O_RDWR);
	assert_true(fd >= 0);
	return fd;
}

/* XOR the byte at AT in fd with x (again: as it was). */
static void
xor_byte(int fd, unsigned long long at, unsigned char x)
{
	unsigned char c;

	assert_int_equal(pread(fd, &c, 1, (off_t)at), 1);
	c ^= x;
	assert_int_equal(pwrite(fd, &c, 1, (off_t)at), 1);
}

/*
 * Any one byte of a record's TOPIC<TAB>PAYLOAD changed on disk, at every
 * position and by several patterns (one low bit, the high bit, all bits),
 * fails its read-back: the checksum's promise, whatever its step width.
 * Each change is made after the open (the open takes the sums).
 */
static void
test_any_changed_byte_detected(void **state)
{
	static const unsigned char flips[] = { 0x01, 0x80, 0xff, 0x20 };
	struct edge_outbox *ob = NULL;
	unsigned long long off;
	size_t n, tab, i, f;
	int fd;

	(void)state;
	fd = one_record("flip", &off, &n, &tab);
	for (i = 0; i < n; i++) {
		for (f = 0; f < sizeof(flips); f++) {
			assert_int_equal(edge_outbox_open(dfd, "flip", &ob, NULL), 0);
			xor_byte(fd, off + i, flips[f]);
			if (edge_outbox_load(ob, edge_outbox_peek(ob, 0), NULL) !=
			    EDGE_ESTORE)
				fail_msg("byte %zu ^ 0x%02x not detected", i, flips[f]);
			xor_byte(fd, off + i, flips[f]);
			edge_outbox_close(&ob);
		}
	}
	assert_int_equal(edge_outbox_open(dfd, "flip", &ob, NULL), 0);
	assert_int_equal(edge_outbox_load(ob, edge_outbox_peek(ob, 0), NULL), 0);
	edge_outbox_close(&ob);
	close(fd);
}

/*
 * Three bits in two neighbouring 4-byte words (bit 7 of the word's last byte,
 * bits 0 and 7 of the next word's last two bytes, little-endian): the pattern
 * a 32-bit word-wise FNV with h ^= h >> 15 missed whatever the data.
 */
static void
test_word_pattern_detected(void **state)
{
	static const struct { size_t at; unsigned char x; } f[3] = {
		{ 3, 0x80 }, { 6, 0x01 }, { 7, 0x80 } };
	struct edge_outbox *ob = NULL;
	unsigned long long off;
	size_t n, tab, k;
	int fd, i;

	(void)state;
	fd = one_record("pat", &off, &n, &tab);
	for (k = 0; 4 * k + 8 <= n; k++) {
		if (4 * k <= tab && tab < 4 * k + 8)
			continue;	/* the TAB is checked on its own */
		assert_int_equal(edge_outbox_open(dfd, "pat", &ob, NULL), 0);
		for (i = 0; i < 3; i++)
			xor_byte(fd, off + 4 * k + f[i].at, f[i].x);
		if (edge_outbox_load(ob, edge_outbox_peek(ob, 0), NULL) != EDGE_ESTORE)
			fail_msg("3-bit pattern at word %zu not detected", k);
		for (i = 0; i < 3; i++)
			xor_byte(fd, off + 4 * k + f[i].at, f[i].x);
		edge_outbox_close(&ob);
	}
	close(fd);
}

/*
 * Lines damaged before the open (no TAB, an empty topic, a NUL as a zeroed
 * block leaves): skipped and counted, the intact records around them kept.
 */
static void
test_damaged_at_open_skipped(void **state)
{
	static const char bad[] = "no tab here\n\t{\"empty\":1}\n/sys/p\0d\t{}\n"
	    "/sys/p/d/t\t{\"n\0\":1}\n";
	struct edge_outbox *ob = NULL;
	struct edge_outbox_msg *m;
	char *seg = NULL;
	size_t len = 0;
	int fd;

	(void)state;
	assert_int_equal(edge_outbox_open(dfd, "dmg", &ob, NULL), 0);
	put(ob, 1, NULL);
	put(ob, 2, NULL);
	assert_int_equal(edge_outbox_sync(ob, NULL), 0);
	assert_int_equal(edge_outbox_damaged(ob), 0);
	edge_outbox_close(&ob);
	/* The damaged lines between the two records. */
	assert_int_equal(edge_file_read(dfd, "dmg/0000000000000000.seg", 1 << 20,
	    &seg, &len, NULL), 0);
	fd = openat(dfd, "dmg/0000000000000000.seg", O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	{
		char *second = memchr(seg, '\n', len) + 1;
		size_t first = (size_t)(second - seg);

		assert_int_equal(write(fd, seg, first), (ssize_t)first);
		assert_int_equal(write(fd, bad, sizeof(bad) - 1),
		    (ssize_t)(sizeof(bad) - 1));
		assert_int_equal(write(fd, second, len - first),
		    (ssize_t)(len - first));
	}
	close(fd);
	free(seg);
	assert_int_equal(edge_outbox_open(dfd, "dmg", &ob, NULL), 0);
	assert_int_equal(edge_outbox_damaged(ob), 4);
	assert_int_equal(edge_outbox_pending(ob), 2);
	m = edge_outbox_at(ob, 0);
	assert_non_null(m);
	assert_string_equal(m->payload, "{\"i\":1}");
	m = edge_outbox_at(ob, 1);
	assert_non_null(m);
	assert_string_equal(m->payload, "{\"i\":2}");
	edge_outbox_close(&ob);
}

/*
 * A segment replaced by another regular file (here of the very same bytes) is
 * not read back: only the file the outbox created or loaded is.
 */
static void
test_replaced_segment_refused(void **state)
{
	struct edge_outbox *ob = NULL;
	struct edge_error err = { 0 };
	char buf[4096];
	ssize_t n;
	int fd, nfd;

	(void)state;
	assert_int_equal(edge_outbox_open(dfd, "repl", &ob, NULL), 0);
	put(ob, 1, NULL);
	put(ob, 2, NULL);
	assert_int_equal(edge_outbox_sync(ob, NULL), 0);
	fd = openat(dfd, "repl/0000000000000000.seg", O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf));
	assert_true(n > 0);
	close(fd);
	nfd = openat(dfd, "repl/other", O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(nfd >= 0);
	assert_int_equal(write(nfd, buf, (size_t)n), n);
	close(nfd);
	assert_int_equal(renameat(dfd, "repl/other", dfd,
	    "repl/0000000000000000.seg"), 0);
	assert_int_equal(edge_outbox_load(ob, edge_outbox_peek(ob, 0), &err),
	    EDGE_ESTORE);
	assert_non_null(strstr(err.msg, "not the segment written"));
	edge_outbox_close(&ob);
	/* Loaded again, the file now there is the segment. */
	assert_int_equal(edge_outbox_open(dfd, "repl", &ob, NULL), 0);
	assert_string_equal(edge_outbox_at(ob, 1)->payload, "{\"i\":2}");
	edge_outbox_close(&ob);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_append_ack_reload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drop_and_refuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batched_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_open_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changed_payload_detected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fifo_segment_not_waited, setup, teardown),
		cmocka_unit_test_setup_teardown(test_swapped_records_detected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_any_changed_byte_detected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_at_open_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_word_pattern_detected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replaced_segment_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
