/* SPDX-License-Identifier: MIT */
#ifndef EDGE_OUTBOX_H
#define EDGE_OUTBOX_H

/*
 * The durable outbox of edge-connect (DIR/outbox/): every message accepted
 * for the hub is appended here before it is published and stays until the
 * hub acknowledged it, so killing the tool or losing the broker at any
 * moment loses nothing.
 *
 * On disk: segment files "%016llx.seg" (named by the sequence number of
 * their first record, created 0600 with O_EXCL) holding one record per line,
 * "TOPIC<TAB>PAYLOAD<LF>", record k of segment S having sequence number S+k;
 * and "acked", the decimal sequence number below which every message is
 * done (acknowledged or dropped), replaced atomically.  A segment wholly
 * below that mark is deleted.  A record cut short by a crash (no final LF)
 * was never acknowledged as accepted and is ignored.  Messages acknowledged
 * out of order above the mark are sent again after a restart: delivery is at
 * least once.
 *
 * Appends are gathered in memory and written with one write() when the
 * caller runs edge_outbox_sync() once per batch (or every 64 KiB), which also
 * makes them durable against power loss; nothing may be published before
 * that.  If the write fails (a full disk), the records that did not reach
 * the segment whole are taken back (no longer held) and sync reports the
 * error.  Not thread-safe.  Never prints.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edge_err.h"
#include "edge_state.h"

#define EDGE_OUTBOX_SEG_MAX	4096	/* records per segment file */

/*
 * A message held: its sequence number and where its record is.  Topic and
 * payload are not kept in memory (a full outbox of 100,000 messages would
 * hold them all): they are NULL until edge_outbox_load() (or
 * edge_outbox_at()) reads them back, and stay until edge_outbox_release(),
 * done, or close.
 */
struct edge_outbox_msg {
	unsigned long long seq;
	char *topic;		/* owned, loaded or NULL (one allocation with payload) */
	char *payload;		/* NUL-terminated, no LF, loaded or NULL */
	size_t len;		/* payload bytes, always set */
	bool done;		/* acknowledged or dropped */
	int mid;		/* free for the caller (publish id), 0 after open */
	unsigned long long off;	/* private: the record's offset in its segment */
	uint32_t tlen;		/* private: topic bytes */
	uint64_t sum;		/* private: checksum of TOPIC<TAB>PAYLOAD */
};

struct edge_outbox;

/*
 * Open (creating it 0700 if needed) the outbox directory name inside dirfd,
 * and load the messages not yet done, oldest first.  The outbox stays
 * locked (an exclusive flock() on its directory) until closed, so a second
 * opener, in this process or another, fails at once.  Errors: EDGE_ETEMP
 * "NAME: in use by another edge-connect", EDGE_ESTORE.  Close with
 * edge_outbox_close().
 */
int edge_outbox_open(int dirfd, const char *name, struct edge_outbox **out,
    struct edge_error *err);

/*
 * Append a message (payload of len bytes without LF; topic without TAB or
 * LF).  *seq (may be NULL) receives its sequence number.  Errors:
 * EDGE_EINPUT (LF or TAB where they cannot be), EDGE_ESTORE (disk full...).
 */
int edge_outbox_append(struct edge_outbox *ob, const char *topic,
    const char *payload, size_t len, unsigned long long *seq,
    struct edge_error *err);

/* Write and fdatasync what was appended since the last call (and the directory). */
int edge_outbox_sync(struct edge_outbox *ob, struct edge_error *err);

/* The sequence number the next append will get (unique, never reused). */
unsigned long long edge_outbox_next_seq(const struct edge_outbox *ob);

/* Messages not yet done. */
size_t edge_outbox_pending(const struct edge_outbox *ob);

/*
 * The i-th message still held, oldest first, for i < edge_outbox_count()
 * (done messages between pending ones are included; skip them).  The
 * pointer is valid until the next append, ack, drop or close.
 * edge_outbox_peek: topic and payload as they are (NULL unless loaded);
 * edge_outbox_at: loaded (NULL when i is out of range or the record cannot
 * be read back).
 */
size_t edge_outbox_count(const struct edge_outbox *ob);
struct edge_outbox_msg *edge_outbox_peek(struct edge_outbox *ob, size_t i);
struct edge_outbox_msg *edge_outbox_at(struct edge_outbox *ob, size_t i);

/*
 * Read m's topic and payload back (from the segment file, or from what was
 * appended and not yet written).  Errors: EDGE_ESTORE (the record cannot be
 * read, or is not what was written), EDGE_EFAIL (out of memory).
 */
int edge_outbox_load(struct edge_outbox *ob, struct edge_outbox_msg *m,
    struct edge_error *err);

/* Free m's loaded topic and payload (it stays held; load again when needed). */
void edge_outbox_release(struct edge_outbox_msg *m);

/* Mark message seq done.  False when it is unknown or already done. */
bool edge_outbox_ack(struct edge_outbox *ob, unsigned long long seq);

/* Mark the n oldest pending messages done; returns how many were. */
size_t edge_outbox_drop_oldest(struct edge_outbox *ob, size_t n);

/* Lines of the segments that were not records, or damaged ones, skipped at open. */
size_t edge_outbox_damaged(const struct edge_outbox *ob);

/*
 * Persist the done mark and delete finished segments.  Cheap when nothing
 * changed.  Errors: EDGE_ESTORE.
 */
int edge_outbox_flush(struct edge_outbox *ob, struct edge_error *err);

/* Close (without flushing; NULL accepted; *ob set to NULL). */
void edge_outbox_close(struct edge_outbox **ob);

#endif
