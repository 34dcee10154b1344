/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>

#include "edge_crl.h"

int
edge_crl_parse(const void *buf, size_t len, const char *what,
    struct edge_crl *out, struct edge_error *err)
{
	gnutls_datum_t d = { (unsigned char *)buf, (unsigned)len };
	unsigned char num[64];
	size_t nlen = sizeof(num);
	unsigned int critical;
	bool pem = len > 10 && memmem(buf, len, "-----BEGIN X509 CRL-----", 24);
	int g;

	memset(out, 0, sizeof(*out));
	if ((g = gnutls_x509_crl_init(&out->crl)) < 0 ||
	    (g = gnutls_x509_crl_import(out->crl, &d, pem ? GNUTLS_X509_FMT_PEM :
	    GNUTLS_X509_FMT_DER)) < 0) {
		edge_crl_free(out);
		return edge_err(err, EDGE_EINPUT, "%s: not a valid CRL (%s)", what,
		    gnutls_strerror(g));
	}
	out->this_update = gnutls_x509_crl_get_this_update(out->crl);
	out->next_update = gnutls_x509_crl_get_next_update(out->crl);
	if (out->next_update == (time_t)-1)
		out->next_update = 0;
	if ((g = gnutls_x509_crl_get_crt_count(out->crl)) < 0) {
		edge_crl_free(out);
		return edge_err(err, EDGE_EINPUT, "%s: unreadable entries", what);
	}
	out->count = (unsigned)g;
	if (gnutls_x509_crl_get_number(out->crl, num, &nlen, &critical) >= 0 &&
	    nlen > 0)
		(void)edge_x509_bytes_dec(num, nlen, out->number,
		    sizeof(out->number));
	return EDGE_OK;
}

int
edge_crl_verify(const struct edge_crl *c, const struct edge_certs *roots,
    const char *what, struct edge_error *err)
{
	unsigned status = 0;
	int g;

	g = gnutls_x509_crl_verify(c->crl, roots->crt, roots->n, 0, &status);
	if (g < 0)
		return edge_err(err, EDGE_ETRUST, "%s: %s", what, gnutls_strerror(g));
	if (status != 0)
		return edge_err(err, EDGE_ETRUST, "%s: %s", what,
		    (status & GNUTLS_CERT_SIGNER_NOT_FOUND) ?
		    "not signed by a trusted root CA" :
		    "signature does not verify");
	return EDGE_OK;
}

/* Decimal strings without leading zeros: longer is larger. */
static int
cmp_dec(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int c;

	if (la != lb)
		return la < lb ? -1 : 1;
	c = strcmp(a, b);
	return c < 0 ? -1 : c > 0;
}

int
edge_crl_compare(const struct edge_crl *a, const struct edge_crl *b)
{
	int c = 0;

	if (a->number[0] && b->number[0])
		c = cmp_dec(a->number, b->number);
	if (c != 0)
		return c;
	return a->this_update < b->this_update ? -1 :
	    a->this_update > b->this_update;
}

bool
edge_crl_same(const struct edge_crl *a, const struct edge_crl *b)
{
	gnutls_datum_t da = { NULL, 0 }, db = { NULL, 0 };
	bool same;

	same = gnutls_x509_crl_export2(a->crl, GNUTLS_X509_FMT_DER, &da) >= 0 &&
	    gnutls_x509_crl_export2(b->crl, GNUTLS_X509_FMT_DER, &db) >= 0 &&
	    da.size == db.size && memcmp(da.data, db.data, da.size) == 0;
	gnutls_free(da.data);
	gnutls_free(db.data);
	return same;
}

int
edge_crl_pem(const struct edge_crl *c, gnutls_datum_t *pem)
{
	return gnutls_x509_crl_export2(c->crl, GNUTLS_X509_FMT_PEM, pem) < 0 ?
	    EDGE_EFAIL : EDGE_OK;
}

int
edge_crl_lookup(const struct edge_crl *c, const char *serial_dec,
    bool *revoked, time_t *when, struct edge_error *err)
{
	gnutls_x509_crl_iter_t it = NULL;
	unsigned char sn[64];
	char dec[160];
	size_t len;
	time_t t;
	int g;

	*revoked = false;
	*when = 0;
	for (;;) {
		len = sizeof(sn);
		g = gnutls_x509_crl_iter_crt_serial(c->crl, &it, sn, &len, &t);
		if (g == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (g < 0) {
			gnutls_x509_crl_iter_deinit(it);
			return edge_err(err, EDGE_EINPUT, "CRL: unreadable entry (%s)",
			    gnutls_strerror(g));
		}
		if (edge_x509_bytes_dec(sn, len, dec, sizeof(dec)) == EDGE_OK &&
		    strcmp(dec, serial_dec) == 0) {
			*revoked = true;
			*when = t;
			break;
		}
	}
	gnutls_x509_crl_iter_deinit(it);
	return EDGE_OK;
}

void
edge_crl_free(struct edge_crl *c)
{
	if (c->crl != NULL)
		gnutls_x509_crl_deinit(c->crl);
	c->crl = NULL;
}
