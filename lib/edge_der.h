/* SPDX-License-Identifier: MIT */
#ifndef EDGE_DER_H
#define EDGE_DER_H

/*
 * A minimal, bounds-checked DER reader for the few structures the toolkit
 * walks itself (large CRLs, where a full ASN.1 tree would cost gigabytes).
 * Views point into the caller's buffer; nothing is allocated.  Never prints.
 */

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct edge_der {
	const unsigned char *p;
	size_t len;
};

#define EDGE_DER_INTEGER	0x02
#define EDGE_DER_BITSTRING	0x03
#define EDGE_DER_OCTETSTRING	0x04
#define EDGE_DER_OID		0x06
#define EDGE_DER_ENUMERATED	0x0a
#define EDGE_DER_UTCTIME	0x17
#define EDGE_DER_GENTIME	0x18
#define EDGE_DER_SEQUENCE	0x30
#define EDGE_DER_CONTEXT0	0xa0
#define EDGE_DER_BOOLEAN	0x01

/*
 * Take the next TLV off *in: its tag, its content and (if whole is non-NULL)
 * the whole TLV.  Only single-byte tags and definite lengths of up to four
 * bytes.  Returns 0, or -1 when *in is empty or malformed.
 */
int edge_der_next(struct edge_der *in, unsigned char *tag,
    struct edge_der *content, struct edge_der *whole);

/* Like edge_der_next, but the tag must be want. */
int edge_der_take(struct edge_der *in, unsigned char want,
    struct edge_der *content, struct edge_der *whole);

/* The tag of the next TLV, or -1 when *in is empty. */
int edge_der_peek(const struct edge_der *in);

/* UTCTime (tag 0x17) or GeneralizedTime (0x18) content to a time_t.  0 or -1. */
int edge_der_time(unsigned char tag, const struct edge_der *content, time_t *t);

/* An OID's content as dotted text ("2.5.29.20").  0 or -1. */
int edge_der_oid(const struct edge_der *content, char *buf, size_t len);

/* An INTEGER's magnitude without leading zero bytes (a view into content). */
struct edge_der edge_der_unsigned(const struct edge_der *content);

/* Whether an INTEGER's content is minimal (no redundant sign byte), as DER wants. */
bool edge_der_int_minimal(const struct edge_der *content);

/*
 * Compare two INTEGER contents as two's complement integers (0 when equal;
 * otherwise a consistent order, not the numeric one): redundant sign bytes
 * are dropped first, so -1 (ff) is never 255 (00 ff).
 */
int edge_der_int_cmp(const struct edge_der *a, const struct edge_der *b);

/*
 * Whether two Names are the same in the sense of RFC 5280 7.1 as OpenSSL
 * implements it (X509_NAME_cmp): string values compared as UTF-8 with ASCII
 * case folded and white space trimmed and collapsed, other values as bytes,
 * RDN by RDN.  a and b are whole Name TLVs.  False when either is malformed.
 */
bool edge_der_name_equal(const struct edge_der *a, const struct edge_der *b);

#endif
