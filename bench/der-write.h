/* SPDX-License-Identifier: MIT */
/*
 * The DER writing shared by the CRL generators, bench/gen-crl and
 * tests/crl/crlgen (test and benchmark tools, not the library, which only
 * reads DER): a growing buffer, TAG LENGTH VALUE, a file into memory.  They
 * exit on failure.  Include after defining _GNU_SOURCE.
 */
#ifndef DER_WRITE_H
#define DER_WRITE_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>

struct buf {
	unsigned char *p;
	size_t len, cap;
};

static inline void
put(struct buf *b, const void *data, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n)
			cap *= 2;
		if ((b->p = realloc(b->p, cap)) == NULL) {
			perror(program_invocation_short_name);
			exit(1);
		}
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

static inline void
put_byte(struct buf *b, unsigned v)
{
	unsigned char c = (unsigned char)v;

	put(b, &c, 1);
}

/* A DER length, in the fewest bytes. */
static inline void
put_len(struct buf *b, size_t n)
{
	unsigned char l[5];

	if (n < 0x80) {
		l[0] = (unsigned char)n;
		put(b, l, 1);
	} else if (n < 0x100) {
		l[0] = 0x81; l[1] = (unsigned char)n;
		put(b, l, 2);
	} else if (n < 0x10000) {
		l[0] = 0x82; l[1] = (unsigned char)(n >> 8); l[2] = (unsigned char)n;
		put(b, l, 3);
	} else {
		l[0] = 0x84; l[1] = (unsigned char)(n >> 24);
		l[2] = (unsigned char)(n >> 16); l[3] = (unsigned char)(n >> 8);
		l[4] = (unsigned char)n;
		put(b, l, 5);
	}
}

/* Wrap inner as TAG LEN inner into out. */
static inline void
tlv(struct buf *out, unsigned tag, const struct buf *inner)
{
	put_byte(out, tag);
	put_len(out, inner->len);
	put(out, inner->p, inner->len);
}

static inline gnutls_datum_t
load(const char *path)
{
	gnutls_datum_t d;

	if (gnutls_load_file(path, &d) < 0) {
		fprintf(stderr, "%s: cannot read %s\n",
		    program_invocation_short_name, path);
		exit(1);
	}
	return d;
}

#endif
