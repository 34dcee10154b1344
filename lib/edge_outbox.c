/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "edge_file.h"
#include "edge_outbox.h"

#define ACKED_FILE	"acked"
#define WBUF_MAX	(64 * 1024)	/* appended bytes gathered per write() */
#define RBUF_MIN	(64 * 1024)	/* bytes read back from a segment at once */

struct segment {
	unsigned long long start;
	unsigned long long end;		/* one past its last record */
	dev_t dev;			/* the file created or loaded: read back */
	ino_t ino;			/* from it only, not whatever has its name */
};

struct edge_outbox {
	int dirfd;			/* the outbox directory */
	struct edge_outbox_msg *msg;	/* msg[head .. head+n) are held */
	size_t head, n, cap;
	size_t pending;
	struct segment *seg;		/* oldest first; the last may be open */
	size_t nseg, segcap;
	int fd;				/* open segment (the last), -1: none */
	bool fd_dirty, dir_dirty;
	char *wbuf;			/* records appended, not yet written */
	size_t wlen, wcap;
	unsigned long long wfirst;	/* sequence number of wbuf's first */
	unsigned long long fsize;	/* bytes of the open segment in its file */
	/*
	 * Read-back cache: a message's topic and payload are not held in memory
	 * (only where its record is) until edge_outbox_load() wants them, then
	 * read from its segment in blocks of RBUF_MIN, oldest first.
	 */
	int rfd;			/* segment rstart open for reading, or -1 */
	unsigned long long rstart;
	char *rbuf;			/* bytes [rboff, rboff + rblen) of it */
	size_t rblen, rbcap;
	unsigned long long rboff;
	unsigned long long next_seq;
	unsigned long long mark;	/* persisted "acked" value */
	size_t damaged;			/* records skipped at open */
};

static int
store_err(struct edge_error *err, const char *what, const char *name)
{
	return edge_err(err, EDGE_ESTORE, "%s/%s: %s: %s", EDGE_OUTBOX_DIR, name,
	    what, strerror(errno));
}

/*
 * Checksum of a record's TOPIC<TAB>PAYLOAD, kept with the held message and
 * checked when the record is read back, so a record changed on disk (in place,
 * or swapped with another of the same length) is not published as if sent.
 * FNV-1a with a 64-bit state, taken four bytes at a time (bench/results
 * R4.2: a byte at a time was 8 % of a stream's user CPU).  Each step is a
 * bijection of the state for a given word and of the word for a given state,
 * so any change confined to one word (any one changed byte) always changes
 * the sum; and as a product never carries bits down, a change in one word
 * leaves a difference above bit 31 that a change in the next word cannot
 * cancel (a 32-bit state with h ^= h >> 15 missed bit 31 of a word with bits
 * 16 and 31 of the next, whatever the data: found by the red team).  The sum
 * is never stored: only compared in this process with the file's bytes as
 * read at open or append.  It detects damage and mistakes, not an attacker
 * who can write the outbox (that one can also write the sums' inputs: the
 * outbox is 0700).
 */
static uint64_t
rec_sum(const char *p, size_t n)
{
	uint64_t h = 14695981039346656037u;
	uint32_t w;

	for (; n >= 4; p += 4, n -= 4) {
		memcpy(&w, p, sizeof(w));
		h = (h ^ w) * 1099511628211u;
	}
	for (; n > 0; n--)
		h = (h ^ (unsigned char)*p++) * 1099511628211u;
	return h;
}

static int
push_msg(struct edge_outbox *ob, unsigned long long seq, unsigned long long off,
    uint32_t tlen, size_t len, uint64_t sum)
{
	struct edge_outbox_msg *m;

	if (ob->head > 0 && ob->head + ob->n == ob->cap) {
		memmove(ob->msg, ob->msg + ob->head, ob->n * sizeof(*ob->msg));
		ob->head = 0;
	}
	if (ob->head + ob->n == ob->cap) {
		size_t cap = ob->cap ? ob->cap * 2 : 256;
		void *p = realloc(ob->msg, cap * sizeof(*ob->msg));
		if (p == NULL)
			return -1;
		ob->msg = p;
		ob->cap = cap;
	}
	m = &ob->msg[ob->head + ob->n];
	memset(m, 0, sizeof(*m));
	m->seq = seq;
	m->len = len;
	m->off = off;
	m->tlen = tlen;
	m->sum = sum;
	ob->n++;
	ob->pending++;
	return 0;
}

static int
push_seg(struct edge_outbox *ob, unsigned long long start, unsigned long long end,
    const struct stat *st)
{
	if (ob->nseg == ob->segcap) {
		size_t cap = ob->segcap ? ob->segcap * 2 : 16;
		void *p = realloc(ob->seg, cap * sizeof(*ob->seg));
		if (p == NULL)
			return -1;
		ob->seg = p;
		ob->segcap = cap;
	}
	ob->seg[ob->nseg].start = start;
	ob->seg[ob->nseg].end = end;
	ob->seg[ob->nseg].dev = st->st_dev;
	ob->seg[ob->nseg].ino = st->st_ino;
	ob->nseg++;
	return 0;
}

static int
cmp_ull(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a;
	unsigned long long y = *(const unsigned long long *)b;

	return x < y ? -1 : x > y;
}

/* How much of one segment file is read: 16 GiB, or half the address space
 * where size_t has 32 bits (armhf), where 1 << 34 does not fit. */
#define SEG_READ_MAX \
	((size_t)(SIZE_MAX / 2 < (1ULL << 34) ? SIZE_MAX / 2 : (1ULL << 34)))

/* Load one segment's records at or above the mark. */
static int
load_segment(struct edge_outbox *ob, unsigned long long start,
    struct edge_error *err)
{
	char name[32], *data = NULL, *p, *nl, *tab;
	size_t len = 0, tlen;
	unsigned long long seq = start;
	struct stat st;
	int rc;

	snprintf(name, sizeof(name), "%016llx.seg", start);
	rc = edge_file_read(ob->dirfd, name, SEG_READ_MAX, &data, &len, err);
	if (rc != EDGE_OK)
		return rc;
	/*
	 * The file read is the one read back from.  Replaced between the read
	 * and this: its records fail their checksums when read back.
	 */
	if (fstatat(ob->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		free(data);
		return store_err(err, "cannot stat", name);
	}
	for (p = data; (nl = memchr(p, '\n', len - (size_t)(p - data))) != NULL;
	    p = nl + 1, seq++) {
		if (seq < ob->mark)
			continue;
		/*
		 * Not a record, or one damaged before this open (a zeroed block
		 * after a power cut): no TAB, no topic, or a NUL that would cut
		 * the topic or payload short.  Its checksum is computed from
		 * these bytes, so only this can tell; skipped, never sent.
		 */
		tab = memchr(p, '\t', (size_t)(nl - p));
		tlen = tab != NULL ? (size_t)(tab - p) : 0;
		if (tab == NULL || tlen == 0 || tlen > UINT32_MAX ||
		    memchr(p, '\0', (size_t)(nl - p)) != NULL) {
			ob->damaged++;
			continue;
		}
		if (push_msg(ob, seq, (unsigned long long)(p - data),
		    (uint32_t)tlen, (size_t)(nl - tab - 1),
		    rec_sum(p, (size_t)(nl - p))) != 0) {
			free(data);
			return edge_err(err, EDGE_EFAIL, "out of memory");
		}
	}
	/* A last record without its LF was cut short: ignored. */
	free(data);
	if (push_seg(ob, start, seq, &st) != 0)
		return edge_err(err, EDGE_EFAIL, "out of memory");
	if (seq > ob->next_seq)
		ob->next_seq = seq;
	return EDGE_OK;
}

int
edge_outbox_open(int dirfd, const char *name, struct edge_outbox **out,
    struct edge_error *err)
{
	struct edge_outbox *ob;
	unsigned long long *starts = NULL;
	size_t nstarts = 0, cap = 0, i;
	struct dirent *de;
	DIR *d = NULL;
	char *mark = NULL;
	size_t marklen = 0;
	int fd, rc;

	*out = NULL;
	if ((ob = calloc(1, sizeof(*ob))) == NULL)
		return edge_err(err, EDGE_EFAIL, "out of memory");
	ob->fd = -1;
	ob->dirfd = -1;
	ob->rfd = -1;
	if (mkdirat(dirfd, name, 0700) != 0 && errno != EEXIST) {
		rc = edge_err(err, EDGE_ESTORE, "%s: cannot create: %s", name,
		    strerror(errno));
		goto fail;
	}
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		rc = edge_err(err, EDGE_ESTORE, "%s: %s", name, strerror(errno));
		goto fail;
	}
	ob->dirfd = fd;
	/*
	 * One edge-connect per outbox, or both would send (and ack) the same
	 * messages.  Its own lock, not the state directory's: edge-connect runs
	 * for days and must not hold off the tools that lock that briefly.
	 */
	while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK)
			rc = edge_err(err, EDGE_ETEMP,
			    "%s: in use by another edge-connect", name);
		else
			rc = store_err(err, "cannot lock", ".");
		goto fail;
	}
	if (edge_file_exists(fd, ACKED_FILE)) {
		if ((rc = edge_file_read(fd, ACKED_FILE, 64, &mark, &marklen, err)) !=
		    EDGE_OK)
			goto fail;
		ob->mark = strtoull(mark, NULL, 10);
		free(mark);
	}
	ob->next_seq = ob->mark;
	if ((fd = dup(ob->dirfd)) < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		rc = store_err(err, "cannot list", ".");
		goto fail;
	}
	while ((de = readdir(d)) != NULL) {
		char *end;
		unsigned long long s;

		if (strlen(de->d_name) != 20 || strcmp(de->d_name + 16, ".seg") != 0)
			continue;
		s = strtoull(de->d_name, &end, 16);
		if (end != de->d_name + 16)
			continue;
		if (nstarts == cap) {
			void *p;
			cap = cap ? cap * 2 : 16;
			if ((p = realloc(starts, cap * sizeof(*starts))) == NULL) {
				rc = edge_err(err, EDGE_EFAIL, "out of memory");
				goto fail;
			}
			starts = p;
		}
		starts[nstarts++] = s;
	}
	closedir(d);
	d = NULL;
	if (nstarts > 1)
		qsort(starts, nstarts, sizeof(*starts), cmp_ull);
	for (i = 0; i < nstarts; i++)
		if ((rc = load_segment(ob, starts[i], err)) != EDGE_OK)
			goto fail;
	free(starts);
	*out = ob;
	return EDGE_OK;
fail:
	if (d != NULL)
		closedir(d);
	free(starts);
	edge_outbox_close(&ob);
	return rc;
}

static void forget_reader(struct edge_outbox *ob, unsigned long long start);

static int
open_segment(struct edge_outbox *ob, struct edge_error *err)
{
	char name[32];
	struct stat st;
	bool reuse = ob->nseg > 0 && ob->seg[ob->nseg - 1].start == ob->next_seq;

	/*
	 * A segment already named by this number holds no whole record (it was
	 * created, or its first record cut short, just before a crash): reuse it.
	 */
	snprintf(name, sizeof(name), "%016llx.seg", ob->next_seq);
	ob->fsize = 0;
	ob->rblen = 0;		/* a reused segment's old bytes are not read back */
	ob->fd = openat(ob->dirfd, name, O_WRONLY | O_CREAT | O_APPEND |
	    O_NOFOLLOW | O_CLOEXEC | (reuse ? O_TRUNC : O_EXCL), 0600);
	if (ob->fd < 0)
		return store_err(err, "cannot create", name);
	if (fstat(ob->fd, &st) != 0) {
		close(ob->fd);
		ob->fd = -1;
		return store_err(err, "cannot stat", name);
	}
	if (reuse) {
		/* The name is opened again: the file read back is this one. */
		forget_reader(ob, ob->next_seq);
		ob->seg[ob->nseg - 1].dev = st.st_dev;
		ob->seg[ob->nseg - 1].ino = st.st_ino;
		return EDGE_OK;
	}
	if (push_seg(ob, ob->next_seq, ob->next_seq, &st) != 0) {
		close(ob->fd);
		ob->fd = -1;
		return edge_err(err, EDGE_EFAIL, "out of memory");
	}
	ob->dir_dirty = true;
	return EDGE_OK;
}


/* Topic and payload share one allocation (edge_outbox_load). */
static void
free_msg(struct edge_outbox_msg *m)
{
	free(m->topic);
	m->topic = m->payload = NULL;
}

/*
 * Forget the records from seq on: they never reached the segment whole.  They
 * are the newest, at the end of the queue and of the open segment.
 */
static void
unappend(struct edge_outbox *ob, unsigned long long seq)
{
	while (ob->n > 0 && ob->msg[ob->head + ob->n - 1].seq >= seq) {
		free_msg(&ob->msg[ob->head + ob->n - 1]);
		ob->n--;
		ob->pending--;
	}
	ob->next_seq = seq;
	ob->seg[ob->nseg - 1].end = seq;
}

/*
 * Write the gathered records to the open segment.  On a failure (a full
 * disk) the records written whole stay; the rest, and any record cut short,
 * are taken back, so the segment and the queue agree; an empty segment is
 * removed.
 */
static int
write_pending(struct edge_outbox *ob, struct edge_error *err)
{
	struct segment *s = &ob->seg[ob->nseg - 1];
	unsigned long long seq = ob->wfirst;
	size_t done = 0, keep = 0, i;
	char name[32];
	ssize_t w;
	int rc;

	errno = 0;
	while (done < ob->wlen) {
		w = write(ob->fd, ob->wbuf + done, ob->wlen - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	if (done == ob->wlen) {
		ob->fsize += ob->wlen;
		ob->wlen = 0;
		return EDGE_OK;
	}
	if (errno == 0)
		errno = ENOSPC;
	snprintf(name, sizeof(name), "%016llx.seg", s->start);
	rc = store_err(err, "cannot write", name);
	/* Whole records written stay; a record cut short would shift the next. */
	for (i = 0; i < done; i++)
		if (ob->wbuf[i] == '\n') {
			keep = i + 1;
			seq++;
		}
	if (done > keep) {
		struct stat st;
		if (fstat(ob->fd, &st) == 0 &&
		    ftruncate(ob->fd, st.st_size - (off_t)(done - keep)) != 0)
			(void)0;	/* the segment is closed below anyway */
	}
	ob->wlen = 0;
	ob->fsize += keep;
	ob->rblen = 0;		/* bytes past keep are rewritten by later appends */
	unappend(ob, seq);
	close(ob->fd);
	ob->fd = -1;
	/* A segment without a record is not left behind. */
	if (s->end == s->start && unlinkat(ob->dirfd, name, 0) == 0) {
		forget_reader(ob, s->start);
		ob->nseg--;
		ob->dir_dirty = true;
	}
	return rc;
}

int
edge_outbox_append(struct edge_outbox *ob, const char *topic,
    const char *payload, size_t len, unsigned long long *seq,
    struct edge_error *err)
{
	struct segment *s;
	size_t tlen = strlen(topic), want;
	int rc;

	if (memchr(payload, '\n', len) != NULL || strpbrk(topic, "\t\n") != NULL)
		return edge_err(err, EDGE_EINPUT,
		    "outbox: a message may not contain a line break");
	if (tlen > UINT32_MAX)
		return edge_err(err, EDGE_EINPUT, "outbox: topic too long");
	if (ob->fd >= 0) {
		s = &ob->seg[ob->nseg - 1];
		if (s->end - s->start >= EDGE_OUTBOX_SEG_MAX) {
			if ((rc = edge_outbox_sync(ob, err)) != EDGE_OK)
				return rc;
			close(ob->fd);
			ob->fd = -1;
		}
	}
	if (ob->fd < 0 && (rc = open_segment(ob, err)) != EDGE_OK)
		return rc;
	want = tlen + len + 2;
	if (ob->wcap - ob->wlen < want) {
		size_t cap = ob->wcap ? ob->wcap : WBUF_MAX;
		char *p;

		while (cap - ob->wlen < want)
			cap *= 2;
		if ((p = realloc(ob->wbuf, cap)) == NULL)
			return edge_err(err, EDGE_EFAIL, "out of memory");
		ob->wbuf = p;
		ob->wcap = cap;
	}
	/* "TOPIC<TAB>PAYLOAD<LF>", gathered: one write() per batch, not per record. */
	memcpy(ob->wbuf + ob->wlen, topic, tlen);
	ob->wbuf[ob->wlen + tlen] = '\t';
	memcpy(ob->wbuf + ob->wlen + tlen + 1, payload, len);
	ob->wbuf[ob->wlen + want - 1] = '\n';
	if (push_msg(ob, ob->next_seq, ob->fsize + ob->wlen, (uint32_t)tlen, len,
	    rec_sum(ob->wbuf + ob->wlen, want - 1)) != 0)
		return edge_err(err, EDGE_EFAIL, "out of memory");
	if (ob->wlen == 0)
		ob->wfirst = ob->next_seq;
	ob->wlen += want;
	if (seq != NULL)
		*seq = ob->next_seq;
	ob->next_seq++;
	ob->seg[ob->nseg - 1].end = ob->next_seq;
	ob->fd_dirty = true;
	return ob->wlen >= WBUF_MAX ? write_pending(ob, err) : EDGE_OK;
}

int
edge_outbox_sync(struct edge_outbox *ob, struct edge_error *err)
{
	int rc;

	if (ob->wlen > 0 && (rc = write_pending(ob, err)) != EDGE_OK)
		return rc;
	if (ob->fd >= 0 && ob->fd_dirty && fdatasync(ob->fd) != 0)
		return store_err(err, "cannot sync", "segment");
	ob->fd_dirty = false;
	if (ob->dir_dirty && fsync(ob->dirfd) != 0)
		return store_err(err, "cannot sync", ".");
	ob->dir_dirty = false;
	return EDGE_OK;
}

unsigned long long
edge_outbox_next_seq(const struct edge_outbox *ob)
{
	return ob->next_seq;
}

size_t
edge_outbox_pending(const struct edge_outbox *ob)
{
	return ob->pending;
}

size_t
edge_outbox_count(const struct edge_outbox *ob)
{
	return ob->n;
}

struct edge_outbox_msg *
edge_outbox_peek(struct edge_outbox *ob, size_t i)
{
	return i < ob->n ? &ob->msg[ob->head + i] : NULL;
}

struct edge_outbox_msg *
edge_outbox_at(struct edge_outbox *ob, size_t i)
{
	struct edge_outbox_msg *m = edge_outbox_peek(ob, i);

	return m != NULL && edge_outbox_load(ob, m, NULL) == EDGE_OK ? m : NULL;
}

/* The segment holding seq (the last whose start is at or below it). */
static const struct segment *
seg_of(const struct edge_outbox *ob, unsigned long long seq)
{
	size_t lo = 0, hi = ob->nseg;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (ob->seg[mid].start <= seq)
			lo = mid;
		else
			hi = mid;
	}
	return ob->nseg > 0 ? &ob->seg[lo] : NULL;
}

/* A segment removed: its name may be made again, never read from the old file. */
static void
forget_reader(struct edge_outbox *ob, unsigned long long start)
{
	if (ob->rfd >= 0 && ob->rstart == start) {
		close(ob->rfd);
		ob->rfd = -1;
		ob->rblen = 0;
	}
}

/*
 * Bring bytes [off, off + n) of segment s into rbuf.  The segment is opened
 * by name only here, and only the file created or loaded as it is read: not
 * a FIFO (opened non-blocking, never waited on), device or symbolic link, nor
 * another file put in its place.
 */
static int
read_back(struct edge_outbox *ob, const struct segment *s,
    unsigned long long off, size_t n, unsigned long long seq,
    struct edge_error *err)
{
	char name[32];
	size_t want = n > RBUF_MIN ? n : RBUF_MIN, got = 0;
	struct stat st;
	ssize_t r;

	if (ob->rfd >= 0 && ob->rstart == s->start && off >= ob->rboff &&
	    off + n <= ob->rboff + ob->rblen)
		return EDGE_OK;
	snprintf(name, sizeof(name), "%016llx.seg", s->start);
	if (ob->rfd < 0 || ob->rstart != s->start) {
		if (ob->rfd >= 0)
			close(ob->rfd);
		ob->rblen = 0;
		ob->rfd = openat(ob->dirfd, name, O_RDONLY | O_NOFOLLOW |
		    O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (ob->rfd < 0)
			return edge_err(err, EDGE_ESTORE, "%s/%s: cannot read back "
			    "message %llu: %s", EDGE_OUTBOX_DIR, name, seq,
			    strerror(errno));
		if (fstat(ob->rfd, &st) != 0 || !S_ISREG(st.st_mode) ||
		    st.st_dev != s->dev || st.st_ino != s->ino) {
			close(ob->rfd);
			ob->rfd = -1;
			return edge_err(err, EDGE_ESTORE, "%s/%s: cannot read back "
			    "message %llu: not the segment written",
			    EDGE_OUTBOX_DIR, name, seq);
		}
		ob->rstart = s->start;
	}
	if (ob->rbcap < want) {
		char *p = realloc(ob->rbuf, want);
		if (p == NULL)
			return edge_err(err, EDGE_EFAIL, "out of memory");
		ob->rbuf = p;
		ob->rbcap = want;
	}
	ob->rblen = 0;
	errno = 0;
	while (got < want) {
		r = pread(ob->rfd, ob->rbuf + got, want - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	ob->rboff = off;
	ob->rblen = got;
	if (got >= n)
		return EDGE_OK;
	return edge_err(err, EDGE_ESTORE, "%s/%s: cannot read back message %llu: %s",
	    EDGE_OUTBOX_DIR, name, seq, errno ? strerror(errno) : "cut short");
}

int
edge_outbox_load(struct edge_outbox *ob, struct edge_outbox_msg *m,
    struct edge_error *err)
{
	const struct segment *s = seg_of(ob, m->seq);
	size_t n = m->tlen + 1 + m->len + 1;	/* TOPIC<TAB>PAYLOAD<LF> */
	const char *rec;
	char *buf;
	int rc;

	if (m->topic != NULL)
		return EDGE_OK;
	if (s == NULL || n < 2)
		return edge_err(err, EDGE_ESTORE, "%s: message %llu: no record",
		    EDGE_OUTBOX_DIR, m->seq);
	if (s == &ob->seg[ob->nseg - 1] && ob->fd >= 0 && m->off >= ob->fsize) {
		rec = ob->wbuf + (m->off - ob->fsize);	/* appended, not written */
	} else {
		if ((rc = read_back(ob, s, m->off, n, m->seq, err)) != EDGE_OK)
			return rc;
		rec = ob->rbuf + (m->off - ob->rboff);
	}
	if (rec[m->tlen] != '\t' || rec[n - 1] != '\n' ||
	    rec_sum(rec, n - 1) != m->sum)
		return edge_err(err, EDGE_ESTORE,
		    "%s/%016llx.seg: message %llu changed on disk",
		    EDGE_OUTBOX_DIR, s->start, m->seq);
	if ((buf = malloc(n)) == NULL)
		return edge_err(err, EDGE_EFAIL, "out of memory");
	memcpy(buf, rec, n);
	buf[m->tlen] = '\0';
	buf[n - 1] = '\0';
	m->topic = buf;
	m->payload = buf + m->tlen + 1;
	return EDGE_OK;
}

void
edge_outbox_release(struct edge_outbox_msg *m)
{
	free_msg(m);
}

/* Drop done messages from the front. */
static void
pop_done(struct edge_outbox *ob)
{
	while (ob->n > 0 && ob->msg[ob->head].done) {
		free_msg(&ob->msg[ob->head]);
		ob->head++;
		ob->n--;
	}
	if (ob->n == 0)
		ob->head = 0;
}

bool
edge_outbox_ack(struct edge_outbox *ob, unsigned long long seq)
{
	size_t lo = 0, hi = ob->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		unsigned long long s = ob->msg[ob->head + mid].seq;

		if (s == seq) {
			struct edge_outbox_msg *m = &ob->msg[ob->head + mid];
			if (m->done)
				return false;
			m->done = true;
			ob->pending--;
			pop_done(ob);
			return true;
		}
		if (s < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

size_t
edge_outbox_damaged(const struct edge_outbox *ob)
{
	return ob->damaged;
}

size_t
edge_outbox_drop_oldest(struct edge_outbox *ob, size_t n)
{
	size_t i, dropped = 0;

	for (i = 0; i < ob->n && dropped < n; i++) {
		struct edge_outbox_msg *m = &ob->msg[ob->head + i];
		if (!m->done) {
			m->done = true;
			ob->pending--;
			dropped++;
		}
	}
	pop_done(ob);
	return dropped;
}

int
edge_outbox_flush(struct edge_outbox *ob, struct edge_error *err)
{
	unsigned long long mark;
	char buf[32], name[32];
	size_t keep;
	int n;

	/* Gathered records go to their segment before it may be removed. */
	if (ob->wlen > 0 && (n = write_pending(ob, err)) != EDGE_OK)
		return n;
	mark = ob->n > 0 ? ob->msg[ob->head].seq : ob->next_seq;

	if (mark != ob->mark) {
		n = snprintf(buf, sizeof(buf), "%llu\n", mark);
		if (edge_file_write_atomic(ob->dirfd, ACKED_FILE, buf,
		    (size_t)n, EDGE_MODE_PRIVATE, err) != EDGE_OK)
			return edge_err_prefix(err, EDGE_OUTBOX_DIR);
		ob->mark = mark;
	}
	/* Segments wholly below the mark are done; the open one included. */
	for (keep = 0; keep < ob->nseg && ob->seg[keep].end <= mark &&
	    ob->seg[keep].end > ob->seg[keep].start; keep++) {
		if (keep == ob->nseg - 1 && ob->fd >= 0) {
			close(ob->fd);
			ob->fd = -1;
			ob->fd_dirty = false;
		}
		snprintf(name, sizeof(name), "%016llx.seg", ob->seg[keep].start);
		if (unlinkat(ob->dirfd, name, 0) != 0 && errno != ENOENT)
			return store_err(err, "cannot remove", name);
		forget_reader(ob, ob->seg[keep].start);
		ob->dir_dirty = true;
	}
	if (keep > 0) {
		memmove(ob->seg, ob->seg + keep, (ob->nseg - keep) * sizeof(*ob->seg));
		ob->nseg -= keep;
	}
	return EDGE_OK;
}

void
edge_outbox_close(struct edge_outbox **ob)
{
	size_t i;

	if (ob == NULL || *ob == NULL)
		return;
	/* Appended but not synced: written (not made durable) as before. */
	if ((*ob)->wlen > 0 && (*ob)->fd >= 0) {
		struct edge_error ignored;
		(void)write_pending(*ob, &ignored);
	}
	for (i = 0; i < (*ob)->n; i++)
		free_msg(&(*ob)->msg[(*ob)->head + i]);
	free((*ob)->msg);
	free((*ob)->wbuf);
	free((*ob)->rbuf);
	free((*ob)->seg);
	if ((*ob)->fd >= 0)
		close((*ob)->fd);
	if ((*ob)->rfd >= 0)
		close((*ob)->rfd);
	if ((*ob)->dirfd >= 0)
		close((*ob)->dirfd);
	free(*ob);
	*ob = NULL;
}
