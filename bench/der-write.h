/* SPDX-License-Identifier: MIT */
/*
 * The DER writing shared by the CRL generators, bench/gen-crl and
 * tests/crl/crlgen (test and benchmark tools, not the library, which only
 * reads DER): a growing buffer, TAG LENGTH VALUE, INTEGER, OID, times,
 * extensions, and the CRL's frame (the CA and its key in, the issuer's
 * authorityKeyIdentifier and the cRLNumber, the signed CRL out).  They exit
 * on failure.  Include after defining _GNU_SOURCE.
 */
#ifndef DER_WRITE_H
#define DER_WRITE_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

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

/* sha256WithRSAEncryption, with its NULL parameters. */
static const unsigned char sha256rsa[] = {
	0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01,
	0x01, 0x0b, 0x05, 0x00
};

/* A positive DER INTEGER from big-endian bytes, in the fewest bytes. */
static inline void
integer(struct buf *b, const unsigned char *v, size_t n)
{
	while (n > 1 && v[0] == 0) {
		v++;
		n--;
	}
	put_byte(b, 0x02);
	put_len(b, n + (v[0] & 0x80 ? 1 : 0));
	if (v[0] & 0x80)
		put_byte(b, 0);
	put(b, v, n);
}

static inline void
oid(struct buf *out, const char *dotted)
{
	struct buf v = { 0 };
	unsigned long arc[32], first;
	int n = 0, i;
	const char *p = dotted;
	char *end;

	while (n < 32) {
		arc[n++] = strtoul(p, &end, 10);
		if (*end != '.')
			break;
		p = end + 1;
	}
	first = arc[0] * 40 + arc[1];
	for (i = 1; i < n; i++) {
		unsigned long a = i == 1 ? first : arc[i];
		unsigned char tmp[10];
		int k = 0;
		do {
			tmp[k++] = (unsigned char)(a & 0x7f);
			a >>= 7;
		} while (a);
		while (k-- > 0)
			put_byte(&v, tmp[k] | (k ? 0x80u : 0));
	}
	tlv(out, 0x06, &v);
	free(v.p);
}

/* UTCTime (two-digit year, RFC 5280 4.1.2.5.1) or, gen, GeneralizedTime. */
static inline void
timeval(struct buf *b, time_t t, int gen)
{
	char s[32];
	struct tm tm;

	gmtime_r(&t, &tm);
	if (gen)
		snprintf(s, sizeof(s), "%04d%02d%02d%02d%02d%02dZ", tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	else
		snprintf(s, sizeof(s), "%02d%02d%02d%02d%02d%02dZ", tm.tm_year % 100,
		    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	put_byte(b, gen ? 0x18 : 0x17);
	put_byte(b, (unsigned)strlen(s));
	put(b, s, strlen(s));
}

/* Extension { oid, critical?, OCTET STRING { der } } appended to exts. */
static inline void
extension(struct buf *exts, const char *o, int crit, const struct buf *der)
{
	struct buf e = { 0 };

	oid(&e, o);
	if (crit)
		put(&e, "\x01\x01\xff", 3);
	tlv(&e, 0x04, der);
	tlv(exts, 0x30, &e);
	free(e.p);
}

/* authorityKeyIdentifier: the CA's subjectKeyIdentifier, if it has one. */
static inline void
ext_akid(struct buf *exts, gnutls_x509_crt_t ca)
{
	struct buf kid = { 0 }, seq = { 0 };
	unsigned char ski[64];
	size_t skilen = sizeof(ski);

	if (gnutls_x509_crt_get_subject_key_id(ca, ski, &skilen, NULL) < 0)
		return;
	put_byte(&kid, 0x80);
	put_len(&kid, skilen);
	put(&kid, ski, skilen);
	tlv(&seq, 0x30, &kid);
	extension(exts, "2.5.29.35", 0, &seq);
	free(kid.p);
	free(seq.p);
}

static inline void
ext_crl_number(struct buf *exts, unsigned long number)
{
	struct buf iv = { 0 };
	unsigned char num[8];
	size_t n;

	for (n = 0; n < 8; n++)
		num[n] = (unsigned char)((unsigned long long)number >> (56 - 8 * n));
	integer(&iv, num, 8);
	extension(exts, "2.5.29.20", 0, &iv);
	free(iv.p);
}

/* The CA certificate, its issuer name as DER, and its private key. */
struct signer {
	gnutls_x509_crt_t crt;
	gnutls_datum_t dn;
	gnutls_privkey_t key;
};

static inline void
signer_load(struct signer *s, const char *ca, const char *key)
{
	const char *prog = program_invocation_short_name;
	gnutls_datum_t d = load(ca);

	if (gnutls_x509_crt_init(&s->crt) < 0 ||
	    gnutls_x509_crt_import(s->crt, &d, GNUTLS_X509_FMT_PEM) < 0 ||
	    gnutls_x509_crt_get_raw_dn(s->crt, &s->dn) < 0) {
		fprintf(stderr, "%s: %s: not a certificate\n", prog, ca);
		exit(1);
	}
	gnutls_free(d.data);
	d = load(key);
	if (gnutls_privkey_init(&s->key) < 0 ||
	    gnutls_privkey_import_x509_raw(s->key, &d, GNUTLS_X509_FMT_PEM,
	    NULL, 0) < 0) {
		fprintf(stderr, "%s: %s: not a private key\n", prog, key);
		exit(1);
	}
	gnutls_free(d.data);
}

static inline void
signer_free(struct signer *s)
{
	gnutls_free(s->dn.data);
	gnutls_privkey_deinit(s->key);
	gnutls_x509_crt_deinit(s->crt);
}

/*
 * CertificateList { tbs, sha256WithRSAEncryption, BIT STRING { signature } }
 * into crl, the TBSCertList signed with SHA-256.
 */
static inline void
sign_crl(struct buf *crl, const struct signer *s, const struct buf *tbs)
{
	struct buf all = { 0 }, bits = { 0 };
	gnutls_datum_t d = { tbs->p, (unsigned)tbs->len }, sig;
	int g;

	if ((g = gnutls_privkey_sign_data(s->key, GNUTLS_DIG_SHA256, 0, &d,
	    &sig)) < 0) {
		fprintf(stderr, "%s: signing: %s\n",
		    program_invocation_short_name, gnutls_strerror(g));
		exit(1);
	}
	put(&all, tbs->p, tbs->len);
	put(&all, sha256rsa, sizeof(sha256rsa));
	put_byte(&bits, 0);	/* no unused bits */
	put(&bits, sig.data, sig.size);
	tlv(&all, 0x03, &bits);
	tlv(crl, 0x30, &all);
	gnutls_free(sig.data);
	free(all.p);
	free(bits.p);
}

/* crl to path, as PEM ("X509 CRL") or DER. */
static inline void
write_crl(const char *path, const struct buf *crl, int pem)
{
	gnutls_datum_t d = { crl->p, (unsigned)crl->len }, enc = { NULL, 0 };
	FILE *f;

	if (pem && gnutls_pem_base64_encode2("X509 CRL", &d, &enc) < 0) {
		fprintf(stderr, "%s: cannot encode PEM\n",
		    program_invocation_short_name);
		exit(1);
	}
	if (pem)
		d = enc;
	int ok;

	if ((f = fopen(path, "wb")) == NULL) {
		perror(path);
		exit(1);
	}
	ok = fwrite(d.data, 1, d.size, f) == d.size;
	if (fclose(f) != 0 || !ok) {
		perror(path);
		exit(1);
	}
	gnutls_free(enc.data);
}

#endif
