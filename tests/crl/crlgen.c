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

static void
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
static void
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
	int a, i, g;
	unsigned long number = 1;
	struct buf list = { 0 }, exts = { 0 }, body = { 0 }, tbs = { 0 };
	struct buf crl = { 0 }, tmp = { 0 }, x = { 0 }, all = { 0 };
	gnutls_x509_crt_t crt;
	gnutls_privkey_t priv;
	gnutls_datum_t d, dn, sig, enc;
	unsigned char ski[64];
	size_t skilen = sizeof(ski);
	time_t now = time(NULL);
	static const unsigned char sha256rsa[] = {
		0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01,
		0x01, 0x0b, 0x05, 0x00
	};
	FILE *f;

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
	d = load(ca);
	if (gnutls_x509_crt_init(&crt) < 0 ||
	    gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM) < 0 ||
	    gnutls_x509_crt_get_raw_dn(crt, &dn) < 0) {
		fprintf(stderr, "crlgen: %s: not a certificate\n", ca);
		return 1;
	}
	gnutls_free(d.data);
	d = load(key);
	if (gnutls_privkey_init(&priv) < 0 ||
	    gnutls_privkey_import_x509_raw(priv, &d, GNUTLS_X509_FMT_PEM, NULL, 0) < 0) {
		fprintf(stderr, "crlgen: %s: not a private key\n", key);
		return 1;
	}
	gnutls_free(d.data);
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
	if (!no_akid &&
	    gnutls_x509_crt_get_subject_key_id(crt, ski, &skilen, NULL) >= 0) {
		struct buf kid = { 0 }, seq = { 0 };
		put_byte(&kid, 0x80);
		put_byte(&kid, (unsigned)skilen);
		put(&kid, ski, skilen);
		tlv(&seq, 0x30, &kid);
		extension(&exts, "2.5.29.35", 0, &seq);
		free(kid.p);
		free(seq.p);
	}
	if (number > 0) {
		unsigned char num[9];
		int k = 0;
		x.len = 0;
		do {
			num[8 - k++] = (unsigned char)number;
			number >>= 8;
		} while (number);
		if (num[9 - k] & 0x80)
			num[8 - k++] = 0;
		put(&x, "\x02", 1);
		put_byte(&x, (unsigned)k);
		put(&x, num + 9 - k, (size_t)k);
		extension(&exts, "2.5.29.20", 0, &x);
	}
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

	d.data = tbs.p;
	d.size = (unsigned)tbs.len;
	if ((g = gnutls_privkey_sign_data(priv, GNUTLS_DIG_SHA256, 0, &d, &sig)) < 0) {
		fprintf(stderr, "crlgen: signing: %s\n", gnutls_strerror(g));
		return 1;
	}
	put(&all, tbs.p, tbs.len);
	put(&all, sha256rsa, sizeof(sha256rsa));
	x.len = 0;
	put_byte(&x, 0);
	put(&x, sig.data, sig.size);
	tlv(&all, 0x03, &x);
	tlv(&crl, 0x30, &all);
	d.data = crl.p;
	d.size = (unsigned)crl.len;
	if (gnutls_pem_base64_encode2("X509 CRL", &d, &enc) < 0 ||
	    (f = fopen(out, "wb")) == NULL) {
		perror(out);
		return 1;
	}
	fwrite(enc.data, 1, enc.size, f);
	if (fclose(f) != 0) {
		perror(out);
		return 1;
	}
	gnutls_free(enc.data);
	gnutls_free(sig.data);
	gnutls_free(dn.data);
	free(list.p); free(exts.p); free(body.p); free(tbs.p);
	free(crl.p); free(tmp.p); free(x.p); free(all.p);
	gnutls_privkey_deinit(priv);
	gnutls_x509_crt_deinit(crt);
	return 0;
}
