/* SPDX-License-Identifier: MIT */
/*
 * gen-crl: make a large, correctly signed CRL fast, for benchmarks.
 *
 *   gen-crl --ca CA.pem --ca-key KEY.pem --count N [--number K]
 *           [--include-serial DEC]... [--seed S] [--pem] --out FILE
 *
 * GnuTLS builds CRLs through an ASN.1 tree, which takes minutes and
 * gigabytes for a million entries; this writes the DER directly (RFC 5280
 * section 5.1) and signs the TBSCertList with the CA's RSA key (SHA-256).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "der-write.h"

static void
utctime(struct buf *b, time_t t)
{
	char s[64];
	struct tm tm;

	gmtime_r(&t, &tm);
	/* UTCTime has two-digit years by definition (RFC 5280 4.1.2.5.1). */
	snprintf(s, sizeof(s), "%02d%02d%02d%02d%02d%02dZ", tm.tm_year % 100,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	put(b, "\x17\x0d", 2);
	put(b, s, 13);
}

/* A positive DER INTEGER from big-endian bytes. */
static void
integer(struct buf *b, const unsigned char *v, size_t n)
{
	unsigned char z = 0;

	while (n > 1 && v[0] == 0) {
		v++;
		n--;
	}
	put(b, "\x02", 1);
	put_len(b, n + (v[0] & 0x80 ? 1 : 0));
	if (v[0] & 0x80)
		put(b, &z, 1);
	put(b, v, n);
}

static size_t
dec_to_bytes(const char *dec, unsigned char *out, size_t cap)
{
	size_t n = 1, i;

	memset(out, 0, cap);
	for (; *dec; dec++) {
		unsigned carry = (unsigned)(*dec - '0');
		for (i = cap; i-- > cap - n;) {
			unsigned v = out[i] * 10u + carry;
			out[i] = (unsigned char)v;
			carry = v >> 8;
		}
		if (carry && n < cap)
			out[cap - ++n] = (unsigned char)carry;
	}
	memmove(out, out + cap - n, n);
	return n;
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint64_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

int
main(int argc, char **argv)
{
	const char *ca = NULL, *key = NULL, *out = NULL, *incl[64];
	unsigned long count = 0, number = 1, i;
	int nincl = 0, pem = 0, a, g;
	struct buf entries = { 0 }, list = { 0 }, tbs = { 0 }, body = { 0 };
	struct buf tmp = { 0 }, ext = { 0 }, exts = { 0 }, crl = { 0 };
	gnutls_x509_crt_t crt;
	gnutls_privkey_t priv;
	gnutls_datum_t d, dn, sig, enc;
	unsigned char ski[64], sn[40];
	size_t skilen = sizeof(ski), n;
	time_t now = time(NULL);
	static const unsigned char alg[] = {
		0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01,
		0x01, 0x0b, 0x05, 0x00
	};
	FILE *f;

	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--ca") && a + 1 < argc)
			ca = argv[++a];
		else if (!strcmp(argv[a], "--ca-key") && a + 1 < argc)
			key = argv[++a];
		else if (!strcmp(argv[a], "--count") && a + 1 < argc)
			count = strtoul(argv[++a], NULL, 10);
		else if (!strcmp(argv[a], "--number") && a + 1 < argc)
			number = strtoul(argv[++a], NULL, 10);
		else if (!strcmp(argv[a], "--seed") && a + 1 < argc)
			rng ^= strtoull(argv[++a], NULL, 10) * 0x2545F4914F6CDD1Dull;
		else if (!strcmp(argv[a], "--include-serial") && a + 1 < argc &&
		    nincl < 64)
			incl[nincl++] = argv[++a];
		else if (!strcmp(argv[a], "--pem"))
			pem = 1;
		else if (!strcmp(argv[a], "--out") && a + 1 < argc)
			out = argv[++a];
		else {
			fprintf(stderr, "usage: gen-crl --ca CA.pem --ca-key KEY.pem --count N [--number K] [--include-serial DEC]... [--seed S] [--pem] --out FILE\n");
			return 2;
		}
	}
	if (ca == NULL || key == NULL || out == NULL) {
		fprintf(stderr, "gen-crl: --ca, --ca-key and --out are required\n");
		return 2;
	}
	d = load(ca);
	if (gnutls_x509_crt_init(&crt) < 0 ||
	    gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM) < 0 ||
	    gnutls_x509_crt_get_raw_dn(crt, &dn) < 0) {
		fprintf(stderr, "gen-crl: %s: not a certificate\n", ca);
		return 1;
	}
	gnutls_free(d.data);
	d = load(key);
	if (gnutls_privkey_init(&priv) < 0 ||
	    gnutls_privkey_import_x509_raw(priv, &d, GNUTLS_X509_FMT_PEM, NULL,
	    0) < 0 || gnutls_privkey_get_pk_algorithm(priv, NULL) != GNUTLS_PK_RSA) {
		fprintf(stderr, "gen-crl: %s: not an RSA private key\n", key);
		return 1;
	}
	gnutls_free(d.data);

	/* revokedCertificates */
	for (i = 0; i < count + (unsigned long)nincl; i++) {
		struct buf e = { 0 };
		if (i < (unsigned long)nincl) {
			n = dec_to_bytes(incl[i], sn, sizeof(sn));
		} else {
			uint64_t v = next() & 0x7fffffffffffffffull;
			for (n = 0; n < 8; n++)
				sn[n] = (unsigned char)(v >> (56 - 8 * n));
			sn[0] |= 0x01;	/* eight significant bytes, like the hub's */
			n = 8;
		}
		integer(&e, sn, n);
		utctime(&e, now - 3600);
		tlv(&entries, 0x30, &e);
		free(e.p);
	}
	/* Extensions: authorityKeyIdentifier, cRLNumber. */
	if (gnutls_x509_crt_get_subject_key_id(crt, ski, &skilen, NULL) >= 0) {
		struct buf kid = { 0 }, seq = { 0 }, oct = { 0 };
		put(&kid, "\x80", 1);
		put_len(&kid, skilen);
		put(&kid, ski, skilen);
		tlv(&seq, 0x30, &kid);
		tlv(&oct, 0x04, &seq);
		put(&ext, "\x06\x03\x55\x1d\x23", 5);
		put(&ext, oct.p, oct.len);
		tlv(&exts, 0x30, &ext);
		free(kid.p); free(seq.p); free(oct.p);
		ext.len = 0;
	}
	{
		unsigned char num[8];
		struct buf iv = { 0 }, oct = { 0 };
		for (n = 0; n < 8; n++)
			num[n] = (unsigned char)(number >> (56 - 8 * n));
		integer(&iv, num, 8);
		tlv(&oct, 0x04, &iv);
		put(&ext, "\x06\x03\x55\x1d\x14", 5);
		put(&ext, oct.p, oct.len);
		tlv(&exts, 0x30, &ext);
		free(iv.p); free(oct.p);
	}
	put(&body, "\x02\x01\x01", 3);		/* version v2 */
	put(&body, alg, sizeof(alg));
	put(&body, dn.data, dn.size);
	utctime(&body, now - 60);
	utctime(&body, now + 86400);
	if (entries.len > 0)
		tlv(&body, 0x30, &entries);
	tlv(&tmp, 0x30, &exts);
	tlv(&body, 0xa0, &tmp);
	tlv(&tbs, 0x30, &body);

	d.data = tbs.p;
	d.size = (unsigned)tbs.len;
	if ((g = gnutls_privkey_sign_data(priv, GNUTLS_DIG_SHA256, 0, &d, &sig)) < 0) {
		fprintf(stderr, "gen-crl: signing: %s\n", gnutls_strerror(g));
		return 1;
	}
	put(&list, tbs.p, tbs.len);
	put(&list, alg, sizeof(alg));
	{
		unsigned char z = 0;
		put(&list, "\x03", 1);
		put_len(&list, sig.size + 1);
		put(&list, &z, 1);
		put(&list, sig.data, sig.size);
	}
	tlv(&crl, 0x30, &list);
	if ((f = fopen(out, "wb")) == NULL) {
		perror(out);
		return 1;
	}
	if (pem) {
		d.data = crl.p;
		d.size = (unsigned)crl.len;
		if (gnutls_pem_base64_encode2("X509 CRL", &d, &enc) < 0)
			return 1;
		fwrite(enc.data, 1, enc.size, f);
		gnutls_free(enc.data);
	} else {
		fwrite(crl.p, 1, crl.len, f);
	}
	if (fclose(f) != 0) {
		perror(out);
		return 1;
	}
	fprintf(stderr, "gen-crl: %lu entries, %zu bytes DER -> %s\n",
	    count + (unsigned long)nincl, crl.len, out);
	/* Freed so that sanitizer builds (make check-asan) stay quiet. */
	free(entries.p); free(list.p); free(tbs.p); free(body.p);
	free(tmp.p); free(ext.p); free(exts.p); free(crl.p);
	gnutls_free(sig.data);
	gnutls_free(dn.data);
	gnutls_privkey_deinit(priv);
	gnutls_x509_crt_deinit(crt);
	return 0;
}
