/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/gnutls.h>

#include "edge_file.h"
#include "edge_key.h"
#include "edge_x509.h"

#define MAX_CERTS 16

int
edge_certs_load(const char *pem, size_t len, const char *what,
    struct edge_certs *out, struct edge_error *err)
{
	gnutls_datum_t d = { (unsigned char *)pem, (unsigned)len };
	unsigned n = MAX_CERTS;
	int g;

	memset(out, 0, sizeof(*out));
	if (strstr(pem, "-----BEGIN CERTIFICATE-----") == NULL)
		return edge_err(err, EDGE_EINPUT, "%s: not a PEM certificate", what);
	g = gnutls_x509_crt_list_import2(&out->crt, &n, &d, GNUTLS_X509_FMT_PEM, 0);
	if (g < 0 || n == 0)
		return edge_err(err, EDGE_EINPUT, "%s: not a valid PEM certificate (%s)",
		    what, g < 0 ? gnutls_strerror(g) : "empty");
	out->n = n;
	return EDGE_OK;
}

int
edge_certs_read(int dirfd, const char *name, struct edge_certs *out,
    struct edge_error *err)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = edge_file_read(dirfd, name, EDGE_FILE_MAX, &buf, &len, err);
	if (rc == EDGE_OK)
		rc = edge_certs_load(buf, len, name, out, err);
	free(buf);
	return rc;
}

void
edge_certs_free(struct edge_certs *c)
{
	unsigned i;

	for (i = 0; i < c->n; i++)
		gnutls_x509_crt_deinit(c->crt[i]);
	gnutls_free(c->crt);
	c->crt = NULL;
	c->n = 0;
}

static const char *
reason(unsigned status)
{
	if (status & GNUTLS_CERT_REVOKED)
		return "revoked";
	if (status & GNUTLS_CERT_EXPIRED)
		return "expired";
	if (status & GNUTLS_CERT_NOT_ACTIVATED)
		return "not yet valid";
	if (status & GNUTLS_CERT_SIGNER_NOT_FOUND)
		return "signed by an unknown CA";
	if (status & GNUTLS_CERT_SIGNATURE_FAILURE)
		return "signature does not verify";
	if (status & GNUTLS_CERT_SIGNER_NOT_CA)
		return "signer is not a CA";
	if (status & GNUTLS_CERT_INSECURE_ALGORITHM)
		return "insecure algorithm";
	if (status & GNUTLS_CERT_REVOCATION_DATA_SUPERSEDED)
		return "CRL superseded";
	if (status & GNUTLS_CERT_REVOCATION_DATA_ISSUED_IN_FUTURE)
		return "CRL issued in the future";
	return "not trusted";
}

int
edge_x509_verify(gnutls_x509_crt_t cert, const struct edge_certs *roots,
    gnutls_x509_crl_t *crls, unsigned ncrls, time_t at, const char *what,
    struct edge_error *err)
{
	gnutls_x509_trust_list_t tl = NULL;
	gnutls_x509_crt_t *copies = NULL;
	gnutls_datum_t d;
	unsigned status = 0, i;
	int g, rc;

	if ((g = gnutls_x509_trust_list_init(&tl, 0)) < 0)
		return edge_err(err, EDGE_EFAIL, "trust list: %s",
		    gnutls_strerror(g));
	/* The trust list takes ownership of what it is given: pass copies. */
	if ((copies = calloc(roots->n, sizeof(*copies))) == NULL) {
		rc = edge_err(err, EDGE_EFAIL, "out of memory");
		goto out;
	}
	for (i = 0; i < roots->n; i++) {
		if ((g = gnutls_x509_crt_export2(roots->crt[i], GNUTLS_X509_FMT_DER,
		    &d)) < 0 || (g = gnutls_x509_crt_init(&copies[i])) < 0 ||
		    (g = gnutls_x509_crt_import(copies[i], &d,
		    GNUTLS_X509_FMT_DER)) < 0) {
			gnutls_free(d.data);
			rc = edge_err(err, EDGE_EFAIL, "trust list: %s",
			    gnutls_strerror(g));
			goto out;
		}
		gnutls_free(d.data);
	}
	if ((g = gnutls_x509_trust_list_add_cas(tl, copies, roots->n, 0)) < 0) {
		rc = edge_err(err, EDGE_EFAIL, "trust list: %s", gnutls_strerror(g));
		goto out;
	}
	free(copies);
	copies = NULL;
	if (ncrls > 0) {
		/* A forged or expired CRL must fail, not be silently dropped. */
		g = gnutls_x509_trust_list_add_crls(tl, crls, ncrls,
		    GNUTLS_TL_VERIFY_CRL | GNUTLS_TL_FAIL_ON_INVALID_CRL |
		    GNUTLS_TL_NO_DUPLICATES, 0);
		if (g < 0) {
			rc = edge_err(err, EDGE_ETRUST, "%s: CRL does not verify (%s)",
			    what, gnutls_strerror(g));
			goto out;
		}
	}
	g = gnutls_x509_trust_list_verify_crt2(tl, &cert, 1, NULL, 0,
	    at != 0 ? GNUTLS_VERIFY_DISABLE_TIME_CHECKS : 0, &status, NULL);
	if (g < 0) {
		rc = edge_err(err, EDGE_ETRUST, "%s: %s", what, gnutls_strerror(g));
		goto out;
	}
	/* GnuTLS checks against the system clock only: the caller's time by hand. */
	if (status == 0 && at != 0) {
		if (gnutls_x509_crt_get_expiration_time(cert) < at)
			status = GNUTLS_CERT_EXPIRED | GNUTLS_CERT_INVALID;
		else if (gnutls_x509_crt_get_activation_time(cert) > at)
			status = GNUTLS_CERT_NOT_ACTIVATED | GNUTLS_CERT_INVALID;
	}
	if (status != 0) {
		rc = edge_err(err, EDGE_ETRUST, "%s: %s", what, reason(status));
		goto out;
	}
	rc = EDGE_OK;
out:
	if (copies != NULL) {
		for (i = 0; i < roots->n; i++)
			if (copies[i] != NULL)
				gnutls_x509_crt_deinit(copies[i]);
		free(copies);
	}
	/* all=1 frees the copies the list owns; CRLs stay the caller's. */
	gnutls_x509_trust_list_deinit(tl, 1);
	return rc;
}

int
edge_x509_bytes_dec(const unsigned char *in, size_t n, char *out, size_t len)
{
	unsigned char serial[64], digits[160];
	size_t i, nd = 0, k;

	if (n == 0 || n > sizeof(serial))
		return EDGE_EFAIL;
	memcpy(serial, in, n);
	/* Base-256 to base-10 by repeated division of the byte string. */
	for (;;) {
		unsigned rem = 0;
		bool zero = true;

		for (i = 0; i < n; i++) {
			unsigned cur = rem * 256 + serial[i];
			serial[i] = (unsigned char)(cur / 10);
			rem = cur % 10;
			if (serial[i] != 0)
				zero = false;
		}
		digits[nd++] = (unsigned char)('0' + rem);
		if (zero || nd == sizeof(digits))
			break;
	}
	if (nd + 1 > len)
		return EDGE_EFAIL;
	for (k = 0; k < nd; k++)
		out[k] = (char)digits[nd - 1 - k];
	out[nd] = '\0';
	return EDGE_OK;
}

int
edge_x509_serial_dec(gnutls_x509_crt_t cert, char *out, size_t len)
{
	unsigned char serial[64];
	size_t n = sizeof(serial);

	size_t i;

	if (gnutls_x509_crt_get_serial(cert, serial, &n) < 0 || n == 0)
		return EDGE_EFAIL;
	if (!(serial[0] & 0x80))
		return edge_x509_bytes_dec(serial, n, out, len);
	/*
	 * Negative (RFC 5280 forbids it; some CAs issued them): the two's
	 * complement value, so that -1 is never shown (or revoked) as 255.
	 */
	for (i = n; i-- > 0;)
		serial[i] = (unsigned char)~serial[i];
	for (i = n; i-- > 0 && ++serial[i] == 0;)
		;
	if (len < 2)
		return EDGE_EFAIL;
	out[0] = '-';
	return edge_x509_bytes_dec(serial, n, out + 1, len - 1);
}

int
edge_x509_serial_parse(const char *in, char *out, size_t len,
    struct edge_error *err)
{
	unsigned char bytes[40];
	size_t n = 0, i, digits;
	const char *p = in;

	if (strncasecmp(in, "0x", 2) == 0) {
		p = in + 2;
		digits = strlen(p);
		if (digits == 0 || digits > 2 * sizeof(bytes) ||
		    strspn(p, "0123456789abcdefABCDEF") != digits)
			goto bad;
		/* Right-align odd digit counts: "abc" is 0x0abc. */
		memset(bytes, 0, sizeof(bytes));
		n = (digits + 1) / 2;
		for (i = 0; i < digits; i++) {
			char c = p[digits - 1 - i];
			unsigned v = (unsigned)(c <= '9' ? c - '0' :
			    (c | 0x20) - 'a' + 10);
			bytes[n - 1 - i / 2] |= (unsigned char)(i % 2 ? v << 4 : v);
		}
		if (edge_x509_bytes_dec(bytes, n, out, len) != EDGE_OK)
			goto bad;
		return EDGE_OK;
	}
	digits = strlen(p);
	if (digits == 0 || strspn(p, "0123456789") != digits)
		goto bad;
	while (p[0] == '0' && p[1] != '\0')
		p++;
	if (strlen(p) + 1 > len)
		goto bad;
	memcpy(out, p, strlen(p) + 1);
	return EDGE_OK;
bad:
	return edge_err(err, EDGE_EUSAGE,
	    "%s: not a serial number (decimal, or hexadecimal with 0x)", in);
}

bool
edge_x509_has_key(gnutls_x509_crt_t cert, gnutls_pubkey_t pub)
{
	gnutls_pubkey_t cp;
	bool same;

	if (gnutls_pubkey_init(&cp) < 0)
		return false;
	same = gnutls_pubkey_import_x509(cp, cert, 0) >= 0 &&
	    edge_key_pub_equal(cp, pub);
	gnutls_pubkey_deinit(cp);
	return same;
}

int
edge_x509_pem(gnutls_x509_crt_t cert, gnutls_datum_t *pem)
{
	return gnutls_x509_crt_export2(cert, GNUTLS_X509_FMT_PEM, pem) < 0 ?
	    EDGE_EFAIL : EDGE_OK;
}

void
edge_x509_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
edge_x509_subject(gnutls_x509_crt_t cert, char *buf, size_t len)
{
	gnutls_datum_t dn = { NULL, 0 };

	if (gnutls_x509_crt_get_dn3(cert, &dn, 0) >= 0)
		snprintf(buf, len, "%.*s", (int)dn.size, dn.data);
	else
		snprintf(buf, len, "?");
	gnutls_free(dn.data);
}
