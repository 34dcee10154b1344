/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "edge_csr.h"

static const struct {
	const char *attr;
	const char *oid;
	bool mandatory;
	size_t min, max;
} fields[EDGE_SUBJ_N] = {
	[EDGE_SUBJ_C]     = { "C", GNUTLS_OID_X520_COUNTRY_NAME, true, 2, 2 },
	[EDGE_SUBJ_ST]    = { "ST", GNUTLS_OID_X520_STATE_OR_PROVINCE_NAME, true, 1, 64 },
	[EDGE_SUBJ_L]     = { "L", GNUTLS_OID_X520_LOCALITY_NAME, true, 1, 64 },
	[EDGE_SUBJ_O]     = { "O", GNUTLS_OID_X520_ORGANIZATION_NAME, true, 1, 64 },
	[EDGE_SUBJ_OU]    = { "OU", GNUTLS_OID_X520_ORGANIZATIONAL_UNIT_NAME, true, 1, 64 },
	[EDGE_SUBJ_CN]    = { "CN", GNUTLS_OID_X520_COMMON_NAME, true, 1, 64 },
	[EDGE_SUBJ_EMAIL] = { "emailAddress", GNUTLS_OID_PKCS9_EMAIL, false, 3, 64 },
};

const char *
edge_subject_attr(enum edge_subject_field f)
{
	return fields[f].attr;
}

/* Number of UTF-8 characters, or -1 if not UTF-8 or a control character. */
static long
utf8_chars(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	long n = 0;

	while (*p) {
		unsigned c = *p, len, i;

		if (c < 0x20 || c == 0x7f)
			return -1;
		if (c < 0x80)
			len = 1;
		else if ((c & 0xe0) == 0xc0 && c >= 0xc2)
			len = 2;
		else if ((c & 0xf0) == 0xe0)
			len = 3;
		else if ((c & 0xf8) == 0xf0 && c <= 0xf4)
			len = 4;
		else
			return -1;
		for (i = 1; i < len; i++)
			if ((p[i] & 0xc0) != 0x80)
				return -1;
		/* C1 controls (U+0080..U+009F) are as unwelcome as C0 ones. */
		if (len == 2 && c == 0xc2 && p[1] < 0xa0)
			return -1;
		p += len;
		n++;
	}
	return n;
}

int
edge_subject_check(const struct edge_subject *s,
    const char *(*option)(enum edge_subject_field), struct edge_error *err)
{
	int f;

	for (f = 0; f < EDGE_SUBJ_N; f++) {
		const char *v = s->v[f];
		const char *name = option ? option((enum edge_subject_field)f) :
		    fields[f].attr;
		long n;

		if (v == NULL || *v == '\0') {
			if (fields[f].mandatory)
				return edge_err(err, EDGE_EUSAGE,
				    "missing subject field %s (%s)",
				    fields[f].attr, name);
			continue;
		}
		if ((n = utf8_chars(v)) < 0)
			return edge_err(err, EDGE_EUSAGE,
			    "%s: subject field %s contains control characters or invalid UTF-8",
			    name, fields[f].attr);
		if ((size_t)n < fields[f].min || (size_t)n > fields[f].max) {
			if (fields[f].min == fields[f].max)
				return edge_err(err, EDGE_EUSAGE,
				    "%s: subject field %s must be exactly %zu characters (got %ld)",
				    name, fields[f].attr, fields[f].min, n);
			return edge_err(err, EDGE_EUSAGE,
			    "%s: subject field %s must be %zu to %zu characters (got %ld)",
			    name, fields[f].attr, fields[f].min, fields[f].max, n);
		}
		if (f == EDGE_SUBJ_C && !(v[0] >= 'A' && v[0] <= 'Z' &&
		    v[1] >= 'A' && v[1] <= 'Z'))
			return edge_err(err, EDGE_EUSAGE,
			    "%s: subject field C must be a two-letter upper-case country code",
			    name);
		if (f == EDGE_SUBJ_EMAIL && strchr(v, '@') == NULL)
			return edge_err(err, EDGE_EUSAGE,
			    "%s: not an e-mail address", name);
	}
	return EDGE_OK;
}

static char *
dn_field(gnutls_x509_crt_t crt, const char *oid)
{
	char buf[256];
	size_t len = sizeof(buf);

	if (gnutls_x509_crt_get_dn_by_oid(crt, oid, 0, 0, buf, &len) < 0)
		return NULL;
	return strndup(buf, len);
}

int
edge_subject_from_ca(const char *pem, size_t len, const char *where,
    struct edge_subject *out, struct edge_error *err)
{
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t d = { (unsigned char *)pem, (unsigned)len };
	int g;

	memset(out, 0, sizeof(*out));
	if ((g = gnutls_x509_crt_init(&crt)) < 0 ||
	    (g = gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM)) < 0) {
		gnutls_x509_crt_deinit(crt);
		return edge_err(err, EDGE_EINPUT, "%s: not a PEM certificate (%s)",
		    where, gnutls_strerror(g));
	}
	out->v[EDGE_SUBJ_C] = dn_field(crt, fields[EDGE_SUBJ_C].oid);
	out->v[EDGE_SUBJ_ST] = dn_field(crt, fields[EDGE_SUBJ_ST].oid);
	out->v[EDGE_SUBJ_O] = dn_field(crt, fields[EDGE_SUBJ_O].oid);
	gnutls_x509_crt_deinit(crt);
	return EDGE_OK;
}

int
edge_csr_subject(const char *pem, size_t len, const char *what,
    struct edge_subject *out, struct edge_error *err)
{
	gnutls_x509_crq_t crq = NULL;
	gnutls_datum_t d = { (unsigned char *)pem, (unsigned)len };
	int f, g;

	memset(out, 0, sizeof(*out));
	if ((g = gnutls_x509_crq_init(&crq)) < 0 ||
	    (g = gnutls_x509_crq_import(crq, &d, GNUTLS_X509_FMT_PEM)) < 0) {
		gnutls_x509_crq_deinit(crq);
		return edge_err(err, EDGE_EINPUT,
		    "%s: not a PEM certificate request (%s)", what,
		    gnutls_strerror(g));
	}
	for (f = 0; f < EDGE_SUBJ_N; f++) {
		char buf[256];
		size_t n = sizeof(buf);

		if (gnutls_x509_crq_get_dn_by_oid(crq, fields[f].oid, 0, 0, buf,
		    &n) >= 0 && (out->v[f] = strndup(buf, n)) == NULL) {
			gnutls_x509_crq_deinit(crq);
			edge_subject_free_values(out);
			return edge_err(err, EDGE_EFAIL, "out of memory");
		}
	}
	gnutls_x509_crq_deinit(crq);
	return EDGE_OK;
}

void
edge_subject_free_values(struct edge_subject *s)
{
	int f;

	for (f = 0; f < EDGE_SUBJ_N; f++) {
		free((char *)s->v[f]);
		s->v[f] = NULL;
	}
}

int
edge_csr_create(const struct edge_key *key, const struct edge_subject *s,
    char **pem, size_t *len, struct edge_error *err)
{
	gnutls_x509_crq_t crq = NULL;
	gnutls_datum_t out = { NULL, 0 }, der = { NULL, 0 };
	int f, g, rc;

	*pem = NULL;
	if ((g = gnutls_x509_crq_init(&crq)) < 0)
		goto gfail;
	for (f = 0; f < EDGE_SUBJ_N; f++) {
		if (s->v[f] == NULL || *s->v[f] == '\0')
			continue;
		g = gnutls_x509_crq_set_dn_by_oid(crq, fields[f].oid, 0, s->v[f],
		    (unsigned)strlen(s->v[f]));
		if (g < 0)
			goto gfail;
	}
	if ((g = gnutls_x509_crq_set_version(crq, 1)) < 0 ||
	    (g = gnutls_x509_crq_set_pubkey(crq, key->pub)) < 0)
		goto gfail;
	g = gnutls_x509_crq_privkey_sign(crq, key->priv, GNUTLS_DIG_SHA256, 0);
	if (g < 0) {
		rc = edge_err(err, key->token ? EDGE_ESTORE : EDGE_EFAIL,
		    "%s: signing the request: %s", key->where,
		    gnutls_strerror(g));
		goto out;
	}
	/* Check our own work: a token can sign with the wrong key or badly. */
	if ((g = gnutls_x509_crq_verify(crq, 0)) < 0) {
		rc = edge_err(err, EDGE_EFAIL,
		    "%s: the new request does not verify (%s)", key->where,
		    gnutls_strerror(g));
		goto out;
	}
	/* RFC 7468 label; GnuTLS's own PEM export says "NEW CERTIFICATE REQUEST". */
	if ((g = gnutls_x509_crq_export2(crq, GNUTLS_X509_FMT_DER, &der)) < 0 ||
	    (g = gnutls_pem_base64_encode2("CERTIFICATE REQUEST", &der, &out)) < 0)
		goto gfail;
	rc = edge_key_pem_copy(&out, pem, len, err);
	goto out;
gfail:
	rc = edge_err(err, EDGE_EFAIL, "certificate request: %s",
	    gnutls_strerror(g));
out:
	gnutls_free(der.data);
	gnutls_free(out.data);
	gnutls_x509_crq_deinit(crq);
	return rc;
}

int
edge_csr_pubkey(const char *pem, size_t len, const char *what,
    gnutls_pubkey_t *pub, struct edge_error *err)
{
	gnutls_x509_crq_t crq = NULL;
	gnutls_datum_t d = { (unsigned char *)pem, (unsigned)len };
	int g, rc;

	*pub = NULL;
	if ((g = gnutls_x509_crq_init(&crq)) < 0 ||
	    (g = gnutls_x509_crq_import(crq, &d, GNUTLS_X509_FMT_PEM)) < 0) {
		rc = edge_err(err, EDGE_EINPUT,
		    "%s: not a PEM certificate request (%s)", what,
		    gnutls_strerror(g));
		goto out;
	}
	if (gnutls_x509_crq_verify(crq, 0) < 0) {
		rc = edge_err(err, EDGE_EINPUT,
		    "%s: the request's signature does not verify", what);
		goto out;
	}
	if ((g = gnutls_pubkey_init(pub)) < 0 ||
	    (g = gnutls_pubkey_import_x509_crq(*pub, crq, 0)) < 0) {
		rc = edge_err(err, EDGE_EINPUT, "%s: %s", what, gnutls_strerror(g));
		goto out;
	}
	rc = EDGE_OK;
out:
	if (rc != EDGE_OK && *pub != NULL) {
		gnutls_pubkey_deinit(*pub);
		*pub = NULL;
	}
	gnutls_x509_crq_deinit(crq);
	return rc;
}

bool
edge_csr_matches(const char *pem, size_t len, const struct edge_key *key,
    const struct edge_subject *s)
{
	gnutls_x509_crq_t have = NULL, want = NULL;
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t d = { (unsigned char *)pem, (unsigned)len };
	gnutls_datum_t dn_have = { NULL, 0 }, dn_want = { NULL, 0 };
	bool same = false;
	int f;

	if (gnutls_x509_crq_init(&have) < 0 || gnutls_x509_crq_init(&want) < 0 ||
	    gnutls_pubkey_init(&pub) < 0)
		goto out;
	if (gnutls_x509_crq_import(have, &d, GNUTLS_X509_FMT_PEM) < 0 ||
	    gnutls_x509_crq_verify(have, 0) < 0 ||
	    gnutls_pubkey_import_x509_crq(pub, have, 0) < 0 ||
	    !edge_key_pub_equal(pub, key->pub))
		goto out;
	/* Compare DNs as encoded by the same code path, not as strings. */
	for (f = 0; f < EDGE_SUBJ_N; f++)
		if (s->v[f] != NULL && *s->v[f] != '\0' &&
		    gnutls_x509_crq_set_dn_by_oid(want, fields[f].oid, 0, s->v[f],
		    (unsigned)strlen(s->v[f])) < 0)
			goto out;
	if (gnutls_x509_crq_get_dn3(have, &dn_have, 0) < 0 ||
	    gnutls_x509_crq_get_dn3(want, &dn_want, 0) < 0)
		goto out;
	same = dn_have.size == dn_want.size &&
	    memcmp(dn_have.data, dn_want.data, dn_have.size) == 0;
out:
	gnutls_free(dn_have.data);
	gnutls_free(dn_want.data);
	gnutls_pubkey_deinit(pub);
	gnutls_x509_crq_deinit(have);
	gnutls_x509_crq_deinit(want);
	return same;
}
