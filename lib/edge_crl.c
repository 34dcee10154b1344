/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "edge_crl.h"
#include "edge_file.h"
#include "edge_pem.h"


/* Extension OIDs (content bytes) this reader acts on; all are 2.5.29.x. */
#define ID_CE(x)	{ 0x55, 0x1d, x }
static const unsigned char OID_CRL_NUMBER[] = ID_CE(20);
static const unsigned char OID_REASON[] = ID_CE(21);
static const unsigned char OID_CERT_ISSUER[] = ID_CE(29);
static const unsigned char OID_DELTA[] = ID_CE(27);
static const unsigned char OID_IDP[] = ID_CE(28);
static const unsigned char OID_AKID[] = ID_CE(35);

static const char *const reason_names[] = {
	"unspecified", "keyCompromise", "cACompromise", "affiliationChanged",
	"superseded", "cessationOfOperation", "certificateHold", NULL,
	"removeFromCRL", "privilegeWithdrawn", "aACompromise",
};
#define NREASONS	(int)(sizeof(reason_names) / sizeof(reason_names[0]))

const char *
edge_crl_reason_name(int code)
{
	return code >= 0 && code < NREASONS ? reason_names[code] : NULL;
}

int
edge_crl_reason_code(const char *name, bool loose)
{
	int code;

	for (code = 0; code < NREASONS; code++) {
		const char *r = reason_names[code], *s;

		if (r == NULL)
			continue;
		for (s = name; *s != '\0'; s++) {
			if (loose && (*s == '_' || *s == ' '))
				continue;
			if (*r == '\0' || tolower((unsigned char)*s) !=
			    tolower((unsigned char)*r))
				break;
			r++;
		}
		if (*s == '\0' && *r == '\0')
			return code;
	}
	return -1;
}

static bool
oid_is(const struct edge_der *oid, const unsigned char *want)
{
	return oid->len == 3 && memcmp(oid->p, want, 3) == 0;
}

/* Decimal text of an unsigned big-endian number. */
static void
number_dec(const struct edge_der *v, char *out, size_t len)
{
	struct edge_der u = edge_der_unsigned(v);

	if (u.len == 0 || edge_x509_bytes_dec(u.p, u.len, out, len) != EDGE_OK)
		out[0] = '\0';
}

/* One Extension: its OID, whether critical, and the extnValue content. */
static int
extension(struct edge_der *in, struct edge_der *oid, bool *critical,
    struct edge_der *val)
{
	struct edge_der ext, b;

	*critical = false;
	if (edge_der_take(in, EDGE_DER_SEQUENCE, &ext, NULL) != 0 ||
	    edge_der_take(&ext, EDGE_DER_OID, oid, NULL) != 0 || oid->len == 0)
		return -1;
	if (edge_der_take(&ext, EDGE_DER_BOOLEAN, &b, NULL) == 0) {
		if (b.len != 1)
			return -1;
		*critical = b.p[0] != 0;
	}
	if (edge_der_take(&ext, EDGE_DER_OCTETSTRING, val, NULL) != 0 ||
	    ext.len != 0)
		return -1;
	return 0;
}

/* What entry() can find wrong besides malformed DER (-1). */
#define ENTRY_NONMINIMAL	1	/* serial not minimally encoded */
#define ENTRY_CRITICAL		2	/* a critical entry extension (*bad) */
#define ENTRY_INDIRECT		3	/* certificateIssuer: an indirect CRL */

/*
 * Walk one entry: serial (view), date, and the reason code (-1 when none).
 * Every critical entry extension is refused, as OpenSSL refuses them (its
 * one exception, certificateIssuer, belongs to indirect CRLs, refused here).
 * *bad (may be NULL) gets the offending extension's OID.
 */
static int
entry(struct edge_der *in, struct edge_der *serial, time_t *when, int *reason,
    struct edge_der *bad)
{
	struct edge_der e, v, exts, oid, val;
	unsigned char tag;
	bool critical;

	if (reason != NULL)
		*reason = -1;
	if (edge_der_take(in, EDGE_DER_SEQUENCE, &e, NULL) != 0 ||
	    edge_der_take(&e, EDGE_DER_INTEGER, serial, NULL) != 0 ||
	    serial->len == 0 || edge_der_next(&e, &tag, &v, NULL) != 0 ||
	    edge_der_time(tag, &v, when) != 0)
		return -1;
	if (!edge_der_int_minimal(serial))
		return ENTRY_NONMINIMAL;
	if (e.len == 0)
		return 0;
	if (edge_der_take(&e, EDGE_DER_SEQUENCE, &exts, NULL) != 0 || e.len != 0)
		return -1;
	while (exts.len > 0) {
		if (extension(&exts, &oid, &critical, &val) != 0)
			return -1;
		if (bad != NULL)
			*bad = oid;
		if (oid_is(&oid, OID_CERT_ISSUER))
			return ENTRY_INDIRECT;
		if (critical)
			return ENTRY_CRITICAL;
		if (reason != NULL && oid_is(&oid, OID_REASON) &&
		    edge_der_take(&val, EDGE_DER_ENUMERATED, &v, NULL) == 0 &&
		    v.len == 1)
			*reason = v.p[0];
	}
	return 0;
}

/*
 * IssuingDistributionPoint: only the empty form (nothing scoped) is taken.
 * A distributionPoint may be one partition of several (this reader does not
 * match it against the certificate's cRLDistributionPoints), and the
 * only*, onlySomeReasons and indirectCRL fields all narrow or widen what the
 * CRL speaks for; any of them would make "not listed" mean less than "not
 * revoked".  Returns the name of the first field found, or NULL.
 */
static const char *
idp_scope(const struct edge_der *val)
{
	static const char *const fields[] = {
		"distributionPoint", "onlyContainsUserCerts", "onlyContainsCACerts",
		"onlySomeReasons", "indirectCRL", "onlyContainsAttributeCerts",
	};
	struct edge_der in = *val, seq;
	int t;

	if (edge_der_take(&in, EDGE_DER_SEQUENCE, &seq, NULL) != 0 || in.len != 0)
		return "malformed";
	if ((t = edge_der_peek(&seq)) < 0)
		return NULL;
	t &= 0x1f;
	return t < 6 ? fields[t] : "unknown field";
}

static int
parse(struct edge_crl *c, const char *what, struct edge_error *err)
{
	struct edge_der all = { c->buf, c->len }, cl, tbs, alg, inner, oid, v, exts;
	struct edge_der list, bad;
	unsigned char tag;
	time_t when;
	unsigned char digest[32];
	unsigned seen = 0;
	size_t i;
	int e;

#define BAD(why) return edge_err(err, EDGE_EINPUT, "%s: not a valid CRL (%s)", what, why)
	if (edge_der_take(&all, EDGE_DER_SEQUENCE, &cl, NULL) != 0 || all.len != 0)
		BAD("not a DER CertificateList");
	if (edge_der_take(&cl, EDGE_DER_SEQUENCE, &tbs, &c->tbs) != 0)
		BAD("no TBSCertList");
	if (edge_der_take(&cl, EDGE_DER_SEQUENCE, &alg, &c->alg) != 0 ||
	    edge_der_take(&alg, EDGE_DER_OID, &oid, NULL) != 0 ||
	    edge_der_oid(&oid, c->sig_oid, sizeof(c->sig_oid)) != 0)
		BAD("no signature algorithm");
	if (edge_der_take(&cl, EDGE_DER_BITSTRING, &v, NULL) != 0 || v.len < 2 ||
	    v.p[0] != 0 || cl.len != 0)
		BAD("no signature");
	c->sig.p = v.p + 1;
	c->sig.len = v.len - 1;

	if (edge_der_peek(&tbs) == EDGE_DER_INTEGER &&
	    (edge_der_take(&tbs, EDGE_DER_INTEGER, &v, NULL) != 0 || v.len != 1 ||
	    v.p[0] != 1))
		BAD("unknown version");
	if (edge_der_take(&tbs, EDGE_DER_SEQUENCE, &alg, &inner) != 0)
		BAD("no signature algorithm in TBSCertList");
	/* RFC 5280 5.1.1.2: the signed copy must name the same algorithm. */
	if (inner.len != c->alg.len || memcmp(inner.p, c->alg.p, inner.len) != 0)
		return edge_err(err, EDGE_ETRUST,
		    "%s: signature algorithm in TBSCertList differs from the outer one",
		    what);
	if (edge_der_take(&tbs, EDGE_DER_SEQUENCE, &v, &c->issuer) != 0)
		BAD("no issuer");
	if (edge_der_next(&tbs, &tag, &v, NULL) != 0 ||
	    edge_der_time(tag, &v, &c->facts.this_update) != 0)
		BAD("bad thisUpdate");
	if ((edge_der_peek(&tbs) == EDGE_DER_UTCTIME ||
	    edge_der_peek(&tbs) == EDGE_DER_GENTIME) &&
	    (edge_der_next(&tbs, &tag, &v, NULL) != 0 ||
	    edge_der_time(tag, &v, &c->next_update) != 0))
		BAD("bad nextUpdate");
	if (edge_der_peek(&tbs) == EDGE_DER_SEQUENCE) {
		if (edge_der_take(&tbs, EDGE_DER_SEQUENCE, &c->entries, NULL) != 0)
			BAD("bad revokedCertificates");
		/* Walk every entry once: a CRL that parses is whole. */
		for (list = c->entries; list.len > 0; c->count++) {
			char o[64] = "?";

			if ((e = entry(&list, &v, &when, NULL, &bad)) == 0)
				continue;
			if (e == ENTRY_NONMINIMAL)
				BAD("serial number not in minimal DER");
			if (e < 0)
				BAD("bad revoked entry");
			(void)edge_der_oid(&bad, o, sizeof(o));
			return edge_err(err, EDGE_ETRUST, e == ENTRY_INDIRECT ?
			    "%s: indirect CRL (certificateIssuer %s in an entry) not supported" :
			    "%s: unsupported critical extension %s in a revoked entry",
			    what, o);
		}
	}
	if (edge_der_peek(&tbs) == EDGE_DER_CONTEXT0) {
		if (edge_der_take(&tbs, EDGE_DER_CONTEXT0, &v, NULL) != 0 ||
		    edge_der_take(&v, EDGE_DER_SEQUENCE, &exts, NULL) != 0 ||
		    v.len != 0)
			BAD("bad extensions");
		while (exts.len > 0) {
			struct edge_der val;
			const char *scope;
			char o[64] = "?";
			bool critical;
			unsigned bit;

			if (extension(&exts, &oid, &critical, &val) != 0)
				BAD("bad extension");
			(void)edge_der_oid(&oid, o, sizeof(o));
			bit = oid_is(&oid, OID_CRL_NUMBER) ? 1 : oid_is(&oid, OID_AKID) ?
			    2 : oid_is(&oid, OID_IDP) ? 4 : oid_is(&oid, OID_DELTA) ? 8 : 0;
			if (bit != 0 && (seen & bit))
				return edge_err(err, EDGE_EINPUT,
				    "%s: not a valid CRL (extension %s twice)", what, o);
			seen |= bit;
			if (oid_is(&oid, OID_DELTA))
				return edge_err(err, EDGE_ETRUST,
				    "%s: a delta CRL (deltaCRLIndicator), not a full CRL", what);
			if (oid_is(&oid, OID_IDP)) {
				if ((scope = idp_scope(&val)) != NULL)
					return edge_err(err, EDGE_ETRUST,
					    "%s: a scoped CRL (issuingDistributionPoint with %s), not a full CRL",
					    what, scope);
			} else if (oid_is(&oid, OID_AKID)) {
				struct edge_der a;

				if (edge_der_take(&val, EDGE_DER_SEQUENCE, &a, NULL) != 0)
					BAD("bad authorityKeyIdentifier");
				if (edge_der_take(&a, 0x80, &c->akid, NULL) != 0)
					c->akid.len = 0;
			} else if (critical) {
				/* What OpenSSL handles critical: AKID, IDP, delta. */
				return edge_err(err, EDGE_ETRUST,
				    "%s: unsupported critical extension %s", what, o);
			} else if (oid_is(&oid, OID_CRL_NUMBER)) {
				if (edge_der_take(&val, EDGE_DER_INTEGER, &v, NULL) != 0)
					BAD("bad CRL number");
				number_dec(&v, c->facts.number,
				    sizeof(c->facts.number));
			}
		}
	}
	if (tbs.len != 0)
		BAD("trailing data in TBSCertList");
#undef BAD
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, c->buf, c->len, digest) < 0)
		return edge_err(err, EDGE_EFAIL, "%s: cannot hash", what);
	for (i = 0; i < sizeof(digest); i++)
		sprintf(c->facts.sha256 + 2 * i, "%02x", digest[i]);
	return EDGE_OK;
}

int
edge_crl_adopt(unsigned char *buf, size_t len, const char *what,
    struct edge_crl *out, struct edge_error *err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if (edge_pem_has(buf, len, "X509 CRL") &&
	    edge_pem_decode_inplace(buf, len, "X509 CRL", &len, err) != EDGE_OK) {
		free(buf);
		return edge_err_prefix(err, "%s", what);
	}
	out->buf = buf;
	out->len = len;
	if ((rc = parse(out, what, err)) != EDGE_OK)
		edge_crl_free(out);
	return rc;
}

int
edge_crl_parse(const void *buf, size_t len, const char *what,
    struct edge_crl *out, struct edge_error *err)
{
	unsigned char *copy = malloc(len ? len : 1);

	memset(out, 0, sizeof(*out));
	if (copy == NULL)
		return edge_err(err, EDGE_EFAIL, "out of memory");
	memcpy(copy, buf, len);
	return edge_crl_adopt(copy, len, what, out, err);
}

/* Whether issuer's key made sig over tbs with the algorithm named by oid. */
static int
signed_by(gnutls_x509_crt_t issuer, const char *oid, const struct edge_der *tbs,
    const struct edge_der *sig)
{
	gnutls_datum_t t = { (unsigned char *)tbs->p, (unsigned)tbs->len };
	gnutls_datum_t s = { (unsigned char *)sig->p, (unsigned)sig->len };
	gnutls_sign_algorithm_t algo = gnutls_oid_to_sign(oid);
	gnutls_pubkey_t pub;
	int g;

	if (algo == GNUTLS_SIGN_UNKNOWN || gnutls_pubkey_init(&pub) < 0)
		return -1;
	g = gnutls_pubkey_import_x509(pub, issuer, 0);
	if (g >= 0)
		g = gnutls_pubkey_verify_data2(pub, algo, 0, &t, &s);
	gnutls_pubkey_deinit(pub);
	return g >= 0 ? 0 : -1;
}

/* Whether root's subject is the CRL's issuer (canonically, RFC 5280 7.1). */
static bool
issuer_is(const struct edge_crl *c, gnutls_x509_crt_t root)
{
	gnutls_datum_t dn;
	struct edge_der name;
	bool same;

	if (c->issuer.p == NULL || gnutls_x509_crt_get_raw_dn(root, &dn) < 0)
		return false;
	name.p = dn.data;
	name.len = dn.size;
	same = edge_der_name_equal(&name, &c->issuer);
	gnutls_free(dn.data);
	return same;
}

/*
 * Whether the CRL claims root as its issuer: by key when both carry a key
 * id (its authorityKeyIdentifier is the root's subjectKeyIdentifier, as
 * OpenSSL's X509_check_akid), else by name.  Two roots of one name (a
 * rotation) are told apart by key: the other one's CRL claims no root here.
 */
static bool
claims(const struct edge_crl *c, gnutls_x509_crt_t root)
{
	unsigned char ski[64];
	size_t skilen = sizeof(ski);

	if (c->akid.len > 0 &&
	    gnutls_x509_crt_get_subject_key_id(root, ski, &skilen, NULL) >= 0)
		return skilen == c->akid.len && memcmp(ski, c->akid.p, skilen) == 0;
	return issuer_is(c, root);
}

/* Why a root the CRL claims does not verify it, or NULL when it does. */
static const char *
not_verified(const struct edge_crl *c, gnutls_x509_crt_t root)
{
	unsigned usage = 0;

	if (!issuer_is(c, root))
		return "the key id of a trusted root CA under another issuer name";
	if (gnutls_x509_crt_get_key_usage(root, &usage, NULL) >= 0 &&
	    !(usage & GNUTLS_KEY_CRL_SIGN))
		return "its trusted root CA may not sign CRLs (keyUsage)";
	if (signed_by(root, c->sig_oid, &c->tbs, &c->sig) != 0)
		return "signature does not verify";
	return NULL;
}

void
edge_crl_issuer_id(const struct edge_crl *c, char *buf, size_t len)
{
	gnutls_datum_t dn = { (unsigned char *)c->issuer.p,
	    (unsigned)c->issuer.len }, str = { NULL, 0 };
	size_t i, n;

	if (len == 0)
		return;
	if (c->akid.len > 0) {
		n = (size_t)snprintf(buf, len, "AKI ");
		for (i = 0; i < c->akid.len && n + 3 <= len; i++, n += 2)
			sprintf(buf + n, "%02x", c->akid.p[i]);
		return;
	}
	if (c->issuer.p != NULL && gnutls_x509_rdn_get2(&dn, &str, 0) >= 0)
		snprintf(buf, len, "no AKI, issuer %s", (char *)str.data);
	else
		snprintf(buf, len, "no AKI");
	gnutls_free(str.data);
}

int
edge_crl_verify_root(const struct edge_crl *c, const struct edge_certs *roots,
    const char *what, int *which, struct edge_error *err)
{
	const char *why = NULL, *w;
	char id[160];
	unsigned i;

	if (which != NULL)
		*which = EDGE_CRL_NO_ROOT;
	/* Every root it claims is tried: a bundle may hold an old and a new key. */
	for (i = 0; roots != NULL && i < roots->n; i++) {
		if (!claims(c, roots->crt[i]))
			continue;
		/* No root can verify it: a claim it cannot back is a forgery. */
		if (gnutls_oid_to_sign(c->sig_oid) == GNUTLS_SIGN_UNKNOWN) {
			if (which != NULL)
				*which = EDGE_CRL_FORGED;
			return edge_err(err, EDGE_ETRUST,
			    "%s: unknown signature algorithm %s", what, c->sig_oid);
		}
		if ((w = not_verified(c, roots->crt[i])) == NULL) {
			if (which != NULL)
				*which = (int)i;
			return EDGE_OK;
		}
		if (why == NULL)
			why = w;
	}
	if (why != NULL) {
		if (which != NULL)
			*which = EDGE_CRL_FORGED;
		return edge_err(err, EDGE_ETRUST, "%s: %s", what, why);
	}
	edge_crl_issuer_id(c, id, sizeof(id));
	return edge_err(err, EDGE_ETRUST,
	    "%s: not signed by a trusted root CA (CRL of another root, %s)", what, id);
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
edge_crl_facts_compare(const struct edge_crl_facts *a,
    const struct edge_crl_facts *b)
{
	int c = 0;

	if (a->number[0] && b->number[0])
		c = cmp_dec(a->number, b->number);
	if (c != 0)
		return c;
	return a->this_update < b->this_update ? -1 :
	    a->this_update > b->this_update;
}

static int
cmp_serial(const struct edge_der *a, const struct edge_der *b)
{
	return edge_der_int_cmp(a, b);
}

/* The serial of the entry at offset off of entries. */
static struct edge_der
serial_at(const struct edge_crl *c, uint32_t off)
{
	struct edge_der in = { c->entries.p + off, c->entries.len - off }, s;
	time_t when;

	if (entry(&in, &s, &when, NULL, NULL) != 0)
		s.len = 0;
	return s;
}

static int
cmp_index(const void *a, const void *b, void *arg)
{
	struct edge_der x = serial_at(arg, *(const uint32_t *)a);
	struct edge_der y = serial_at(arg, *(const uint32_t *)b);

	return cmp_serial(&x, &y);
}

int
edge_crl_index(struct edge_crl *c, struct edge_error *err)
{
	struct edge_der list = c->entries, s;
	time_t when;
	unsigned i;

	if (c->index != NULL || c->count == 0)
		return EDGE_OK;
	if ((c->index = malloc(c->count * sizeof(*c->index))) == NULL)
		return edge_err(err, EDGE_EFAIL, "out of memory");
	for (i = 0; i < c->count; i++) {
		c->index[i] = (uint32_t)(list.p - c->entries.p);
		if (entry(&list, &s, &when, NULL, NULL) != 0)
			return edge_err(err, EDGE_EINPUT, "CRL: bad entry");
	}
	qsort_r(c->index, c->count, sizeof(*c->index), cmp_index, c);
	return EDGE_OK;
}

int
edge_crl_lookup_der(const struct edge_crl *c, const struct edge_der *serial,
    bool *revoked, time_t *when, int *reason, struct edge_error *err)
{
	struct edge_der s, list = c->entries, e;
	time_t t = 0;
	int r = -1;

	*revoked = false;
	*when = 0;
	if (reason != NULL)
		*reason = -1;
	if (serial->len == 0)
		return edge_err(err, EDGE_EINPUT, "empty serial number");
	if (c->index != NULL) {
		size_t lo = 0, hi = c->count;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			int d;

			s = serial_at(c, c->index[mid]);
			d = cmp_serial(&s, serial);
			if (d == 0) {
				e.p = c->entries.p + c->index[mid];
				e.len = c->entries.len - c->index[mid];
				(void)entry(&e, &s, &t, &r, NULL);
				goto found;
			}
			if (d < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		return EDGE_OK;
	}
	while (list.len > 0) {
		if (entry(&list, &s, &t, &r, NULL) != 0)
			return edge_err(err, EDGE_EINPUT, "CRL: bad entry");
		if (cmp_serial(&s, serial) == 0)
			goto found;
	}
	return EDGE_OK;
found:
	/* removeFromCRL (delta CRLs) takes an entry back: not revoked. */
	if (r == EDGE_REASON_REMOVE_FROM_CRL)
		return EDGE_OK;
	*revoked = true;
	*when = t;
	if (reason != NULL)
		*reason = r;
	return EDGE_OK;
}

int
edge_crl_cert_status(const struct edge_crl *c, gnutls_x509_crt_t root,
    gnutls_x509_crt_t cert, const char *what, bool *revoked, time_t *when,
    int *reason, struct edge_error *err)
{
	gnutls_datum_t idn = { NULL, 0 }, der = { NULL, 0 };
	struct edge_der in, all, tbs, alg, oid, sig, name;
	unsigned char serial[64];
	size_t n = sizeof(serial);
	char o[64];
	int rc;

	*revoked = false;
	*when = 0;
	if (reason != NULL)
		*reason = -1;
	if (gnutls_x509_crt_get_raw_issuer_dn(cert, &idn) < 0 ||
	    gnutls_x509_crt_export2(cert, GNUTLS_X509_FMT_DER, &der) < 0 ||
	    gnutls_x509_crt_get_serial(cert, serial, &n) < 0 || n == 0) {
		rc = edge_err(err, EDGE_EINPUT, "%s: unreadable certificate", what);
		goto out;
	}
	name.p = idn.data;
	name.len = idn.size;
	in.p = der.data;
	in.len = der.size;
	/*
	 * The CRL speaks only for certificates of its own issuer: the same name
	 * and the key that signed the CRL (a second root of the same name has
	 * CRLs of its own).
	 */
	if (!edge_der_name_equal(&name, &c->issuer) ||
	    edge_der_take(&in, EDGE_DER_SEQUENCE, &all, NULL) != 0 ||
	    edge_der_take(&all, EDGE_DER_SEQUENCE, &alg, &tbs) != 0 ||
	    edge_der_take(&all, EDGE_DER_SEQUENCE, &alg, NULL) != 0 ||
	    edge_der_take(&alg, EDGE_DER_OID, &oid, NULL) != 0 ||
	    edge_der_oid(&oid, o, sizeof(o)) != 0 ||
	    edge_der_take(&all, EDGE_DER_BITSTRING, &sig, NULL) != 0 ||
	    sig.len < 2 || sig.p[0] != 0) {
		rc = edge_err(err, EDGE_EINPUT, "%s: not issued by the CA of the CRL",
		    what);
		goto out;
	}
	sig.p++;
	sig.len--;
	if (signed_by(root, o, &tbs, &sig) != 0) {
		rc = edge_err(err, EDGE_EINPUT,
		    "%s: not issued by the CA of the CRL (another key of that name)",
		    what);
		goto out;
	}
	in.p = serial;
	in.len = n;
	rc = edge_crl_lookup_der(c, &in, revoked, when, reason, err);
out:
	gnutls_free(idn.data);
	gnutls_free(der.data);
	return rc;
}

void
edge_crl_free(struct edge_crl *c)
{
	free(c->buf);
	free(c->index);
	memset(c, 0, sizeof(*c));
}
