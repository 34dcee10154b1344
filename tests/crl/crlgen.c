/* SPDX-License-Identifier: MIT */
/*
 * crlgen: one small CRL with exactly the features a test asks for, written
 * as DER by hand (RFC 5280 5.1) so that it can also be wrong in the ways
 * GnuTLS and openssl ca refuse to be: negative or non-minimal serials,
 * critical extensions of any kind, an inner algorithm that is not the outer.
 *
 *   crlgen --ca CA.pem --ca-key KEY.pem --out FILE [--v1] [--no-next]
 *          [--number N] [--no-akid] [--issuer-variant] [--inner-alg ALG]
 *          [--ext OID:CRIT:HEX]... [--entry HEX[/OPT]...]...
 *
 * --entry takes the serial's INTEGER content in hex (ff is -1, 00ff is 255,
 * 00 is zero); options: r=N reason code, gen (GeneralizedTime date), inv
 * (invalidityDate), crit=OID (a critical entry extension), cert-issuer.
 * --ext adds a CRL extension, HEX the DER of its extnValue.  --inner-alg:
 * sha1, sha384 or noparams (sha256WithRSA without the NULL).
 * --issuer-variant swaps UTF8String and PrintableString in the issuer name
 * and upper-cases it (the same name under RFC 5280 7.1, other bytes).  Signs with SHA-256.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "../../bench/der-write.h"

/* TAG LEN bytes from a hex string; exits on bad hex. */
static void
hex_tlv(struct buf *out, unsigned tag, const char *hex)
{
	struct buf v = { 0 };
	size_t i, n = strlen(hex);

	if (n % 2) {
		fprintf(stderr, "crlgen: odd hex '%s'\n", hex);
		exit(2);
	}
	for (i = 0; i < n; i += 2) {
		unsigned x;
		if (sscanf(hex + i, "%2x", &x) != 1) {
			fprintf(stderr, "crlgen: bad hex '%s'\n", hex);
			exit(2);
		}
		put_byte(&v, x);
	}
	if (tag != 0)
		tlv(out, tag, &v);
	else
		put(out, v.p, v.len);
	free(v.p);
}

static void
entry(struct buf *list, char *spec, int v1, time_t now)
{
	struct buf e = { 0 }, exts = { 0 }, x = { 0 };
	char *opt = strchr(spec, '/');
	int gen = 0;

	if (opt != NULL)
		*opt++ = '\0';
	hex_tlv(&e, 0x02, spec);
	for (char *o = opt; o != NULL && *o; ) {
		char *next = strchr(o, '/');
		if (next != NULL)
			*next++ = '\0';
		x.len = 0;
		if (!strncmp(o, "r=", 2)) {
			put(&x, "\x0a\x01", 2);
			put_byte(&x, (unsigned)atoi(o + 2));
			extension(&exts, "2.5.29.21", 0, &x);
		} else if (!strcmp(o, "gen")) {
			gen = 1;
		} else if (!strcmp(o, "inv")) {
			timeval(&x, now - 86400, 1);
			extension(&exts, "2.5.29.24", 0, &x);
		} else if (!strncmp(o, "crit=", 5)) {
			put(&x, "\x05\x00", 2);
			extension(&exts, o + 5, 1, &x);
		} else if (!strcmp(o, "cert-issuer")) {
			put(&x, "\x30\x00", 2);
			extension(&exts, "2.5.29.29", 1, &x);
		} else {
			fprintf(stderr, "crlgen: unknown entry option '%s'\n", o);
			exit(2);
		}
		o = next;
	}
	timeval(&e, now - 3600, gen);
	if (exts.len > 0 && !v1)
		tlv(&e, 0x30, &exts);
	tlv(list, 0x30, &e);
	free(e.p);
	free(exts.p);
	free(x.p);
}

int
main(int argc, char **argv)
{
	const char *ca = NULL, *key = NULL, *out = NULL, *inner = NULL;
	char *ents[64], *exts_spec[16];
	int nent = 0, next = 0, v1 = 0, no_next = 0, no_akid = 0, variant = 0;
	int a, i;
	unsigned long number = 1;
	struct buf list = { 0 }, exts = { 0 }, body = { 0 }, tbs = { 0 };
	struct buf crl = { 0 }, tmp = { 0 }, x = { 0 };
	struct signer ca_s;
	gnutls_datum_t dn;
	time_t now = time(NULL);

	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--ca") && a + 1 < argc)
			ca = argv[++a];
		else if (!strcmp(argv[a], "--ca-key") && a + 1 < argc)
			key = argv[++a];
		else if (!strcmp(argv[a], "--out") && a + 1 < argc)
			out = argv[++a];
		else if (!strcmp(argv[a], "--number") && a + 1 < argc)
			number = strtoul(argv[++a], NULL, 10);
		else if (!strcmp(argv[a], "--inner-alg") && a + 1 < argc)
			inner = argv[++a];
		else if (!strcmp(argv[a], "--entry") && a + 1 < argc && nent < 64)
			ents[nent++] = argv[++a];
		else if (!strcmp(argv[a], "--ext") && a + 1 < argc && next < 16)
			exts_spec[next++] = argv[++a];
		else if (!strcmp(argv[a], "--v1"))
			v1 = 1;
		else if (!strcmp(argv[a], "--no-next"))
			no_next = 1;
		else if (!strcmp(argv[a], "--no-akid"))
			no_akid = 1;
		else if (!strcmp(argv[a], "--issuer-variant"))
			variant = 1;
		else {
			fprintf(stderr, "crlgen: bad argument '%s' (see the comment in tests/crl/crlgen.c)\n",
			    argv[a]);
			return 2;
		}
	}
	if (ca == NULL || key == NULL || out == NULL) {
		fprintf(stderr, "crlgen: --ca, --ca-key and --out are required\n");
		return 2;
	}
	signer_load(&ca_s, ca, key);
	dn = ca_s.dn;
	if (variant) {
		/* PrintableString (13) and UTF8String (0c) swapped, letters upper-cased. */
		for (size_t k = 0; k + 1 < dn.size; k++)
			if ((dn.data[k] == 0x13 || dn.data[k] == 0x0c) &&
			    dn.data[k + 1] < 0x80 && k + 2 + dn.data[k + 1] <= dn.size) {
				size_t l = dn.data[k + 1], j;
				dn.data[k] = dn.data[k] == 0x13 ? 0x0c : 0x13;
				for (j = 0; j < l; j++)
					if (dn.data[k + 2 + j] >= 'a' && dn.data[k + 2 + j] <= 'z')
						dn.data[k + 2 + j] -= 32;
				k += 1 + l;
			}
	}

	for (i = 0; i < nent; i++)
		entry(&list, ents[i], v1, now);
	if (!no_akid)
		ext_akid(&exts, ca_s.crt);
	if (number > 0)
		ext_crl_number(&exts, number);
	for (i = 0; i < next; i++) {
		char *s = exts_spec[i], *c1 = strchr(s, ':'), *c2;
		if (c1 == NULL || (c2 = strchr(c1 + 1, ':')) == NULL) {
			fprintf(stderr, "crlgen: --ext OID:CRIT:HEX\n");
			return 2;
		}
		*c1 = *c2 = '\0';
		x.len = 0;
		hex_tlv(&x, 0, c2 + 1);
		extension(&exts, s, atoi(c1 + 1), &x);
	}

	if (!v1)
		put(&body, "\x02\x01\x01", 3);
	if (inner == NULL)
		put(&body, sha256rsa, sizeof(sha256rsa));
	else if (!strcmp(inner, "noparams"))
		put(&body, "\x30\x0b\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0b", 13);
	else if (!strcmp(inner, "sha384"))
		put(&body, "\x30\x0d\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0c\x05\x00", 15);
	else if (!strcmp(inner, "sha1"))
		put(&body, "\x30\x0d\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x01\x05\x05\x00", 15);
	else {
		fprintf(stderr, "crlgen: --inner-alg sha1|sha384|noparams\n");
		return 2;
	}
	put(&body, dn.data, dn.size);
	timeval(&body, now - 60, 0);
	if (!no_next)
		timeval(&body, now + 86400, 0);
	if (list.len > 0)
		tlv(&body, 0x30, &list);
	if (!v1 && exts.len > 0) {
		tlv(&tmp, 0x30, &exts);
		tlv(&body, 0xa0, &tmp);
	}
	tlv(&tbs, 0x30, &body);
	sign_crl(&crl, &ca_s, &tbs);
	write_crl(out, &crl, 1);
	free(list.p); free(exts.p); free(body.p); free(tbs.p);
	free(crl.p); free(tmp.p); free(x.p);
	signer_free(&ca_s);
	return 0;
}
