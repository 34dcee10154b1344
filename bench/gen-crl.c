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
	int nincl = 0, pem = 0, a;
	struct buf entries = { 0 }, tbs = { 0 }, body = { 0 };
	struct buf tmp = { 0 }, exts = { 0 }, crl = { 0 };
	struct signer s;
	unsigned char sn[40];
	size_t n;
	time_t now = time(NULL);

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
	signer_load(&s, ca, key);
	if (gnutls_privkey_get_pk_algorithm(s.key, NULL) != GNUTLS_PK_RSA) {
		fprintf(stderr, "gen-crl: %s: not an RSA private key\n", key);
		return 1;
	}

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
		timeval(&e, now - 3600, 0);
		tlv(&entries, 0x30, &e);
		free(e.p);
	}
	ext_akid(&exts, s.crt);
	ext_crl_number(&exts, number);
	put(&body, "\x02\x01\x01", 3);		/* version v2 */
	put(&body, sha256rsa, sizeof(sha256rsa));
	put(&body, s.dn.data, s.dn.size);
	timeval(&body, now - 60, 0);
	timeval(&body, now + 86400, 0);
	if (entries.len > 0)
		tlv(&body, 0x30, &entries);
	tlv(&tmp, 0x30, &exts);
	tlv(&body, 0xa0, &tmp);
	tlv(&tbs, 0x30, &body);
	sign_crl(&crl, &s, &tbs);
	write_crl(out, &crl, pem);
	fprintf(stderr, "gen-crl: %lu entries, %zu bytes DER -> %s\n",
	    count + (unsigned long)nincl, crl.len, out);
	/* Freed so that sanitizer builds (make check-asan) stay quiet. */
	free(entries.p); free(tbs.p); free(body.p);
	free(tmp.p); free(exts.p); free(crl.p);
	signer_free(&s);
	return 0;
}
