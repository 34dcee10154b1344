/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "edge_crl.h"
#include "edge_file.h"
#include "edge_pem.h"

#define OID_CRL_NUMBER	"2.5.29.20"
#define OID_REASON	"2.5.29.21"
#define HEADER		"# edgecert-crl "

/* Decimal text of an unsigned big-endian number. */
static void
number_dec(const struct edge_der *v, char *out, size_t len)
{
	struct edge_der u = edge_der_unsigned(v);

	if (u.len == 0 || edge_x509_bytes_dec(u.p, u.len, out, len) != EDGE_OK)
		out[0] = '\0';
}

/* Walk one entry: serial (view), date, and the reason code if any. */
static int
entry(struct edge_der *in, struct edge_der *serial, time_t *when, int *reason)
{
	struct edge_der e, v, exts, ext, oid, val;
	unsigned char tag;
	char o[32];

	if (edge_der_take(in, EDGE_DER_SEQUENCE, &e, NULL) != 0 ||
	    edge_der_take(&e, EDGE_DER_INTEGER, serial, NULL) != 0 ||
	    serial->len == 0 || edge_der_next(&e, &tag, &v, NULL) != 0 ||
	    edge_der_time(tag, &v, when) != 0)
		return -1;
	if (reason != NULL)
		*reason = -1;
	if (e.len == 0)
		return 0;
	if (edge_der_take(&e, EDGE_DER_SEQUENCE, &exts, NULL) != 0 || e.len != 0)
		return -1;
	while (exts.len > 0) {
		if (edge_der_take(&exts, EDGE_DER_SEQUENCE, &ext, NULL) != 0 ||
		    edge_der_take(&ext, EDGE_DER_OID, &oid, NULL) != 0)
			return -1;
		if (edge_der_peek(&ext) == EDGE_DER_BOOLEAN &&
		    edge_der_next(&ext, &tag, &v, NULL) != 0)
			return -1;
		if (edge_der_take(&ext, EDGE_DER_OCTETSTRING, &val, NULL) != 0)
			return -1;
		if (reason != NULL && edge_der_oid(&oid, o, sizeof(o)) == 0 &&
		    strcmp(o, OID_REASON) == 0 &&
		    edge_der_take(&val, EDGE_DER_ENUMERATED, &v, NULL) == 0 &&
		    v.len == 1)
			*reason = v.p[0];
	}
	return 0;
}

static int
parse(struct edge_crl *c, const char *what, struct edge_error *err)
{
	struct edge_der all = { c->buf, c->len }, cl, tbs, alg, oid, v, exts;
	struct edge_der list;
	unsigned char tag;
	time_t when;
	unsigned char digest[32];
	size_t i;

#define BAD(why) return edge_err(err, EDGE_EINPUT, "%s: not a valid CRL (%s)", what, why)
	if (edge_der_take(&all, EDGE_DER_SEQUENCE, &cl, NULL) != 0 || all.len != 0)
		BAD("not a DER CertificateList");
	if (edge_der_take(&cl, EDGE_DER_SEQUENCE, &tbs, &c->tbs) != 0)
		BAD("no TBSCertList");
	if (edge_der_take(&cl, EDGE_DER_SEQUENCE, &alg, NULL) != 0 ||
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
	if (edge_der_take(&tbs, EDGE_DER_SEQUENCE, &alg, NULL) != 0)
		BAD("no signature algorithm in TBSCertList");
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
		for (list = c->entries; list.len > 0; c->count++)
			if (entry(&list, &v, &when, NULL) != 0)
				BAD("bad revoked entry");
	}
	if (edge_der_peek(&tbs) == EDGE_DER_CONTEXT0) {
		if (edge_der_take(&tbs, EDGE_DER_CONTEXT0, &v, NULL) != 0 ||
		    edge_der_take(&v, EDGE_DER_SEQUENCE, &exts, NULL) != 0)
			BAD("bad extensions");
		while (exts.len > 0) {
			struct edge_der ext, val;
			char o[32];

			if (edge_der_take(&exts, EDGE_DER_SEQUENCE, &ext, NULL) != 0 ||
			    edge_der_take(&ext, EDGE_DER_OID, &oid, NULL) != 0)
				BAD("bad extension");
			if (edge_der_peek(&ext) == EDGE_DER_BOOLEAN &&
			    edge_der_next(&ext, &tag, &v, NULL) != 0)
				BAD("bad extension");
			if (edge_der_take(&ext, EDGE_DER_OCTETSTRING, &val, NULL) != 0)
				BAD("bad extension");
			if (edge_der_oid(&oid, o, sizeof(o)) == 0 &&
			    strcmp(o, OID_CRL_NUMBER) == 0) {
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

int
edge_crl_load(int dirfd, const char *name, struct edge_crl *out,
    struct edge_error *err)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	/* The file is read once into a buffer of its own size. */
	if ((rc = edge_file_read(dirfd, name, 1024UL * 1024 * 1024, &buf, &len,
	    err)) != EDGE_OK)
		return rc;
	return edge_crl_adopt((unsigned char *)buf, len, name, out, err);
}

int
edge_crl_verify(const struct edge_crl *c, const struct edge_certs *roots,
    const char *what, struct edge_error *err)
{
	gnutls_datum_t tbs = { (unsigned char *)c->tbs.p, (unsigned)c->tbs.len };
	gnutls_datum_t sig = { (unsigned char *)c->sig.p, (unsigned)c->sig.len };
	gnutls_sign_algorithm_t algo = gnutls_oid_to_sign(c->sig_oid);
	unsigned i, usage = 0;
	int g;

	if (algo == GNUTLS_SIGN_UNKNOWN)
		return edge_err(err, EDGE_ETRUST, "%s: unknown signature algorithm %s",
		    what, c->sig_oid);
	for (i = 0; i < roots->n; i++) {
		gnutls_datum_t dn;
		gnutls_pubkey_t pub;

		if (gnutls_x509_crt_get_raw_dn(roots->crt[i], &dn) < 0)
			continue;
		if (dn.size == 0 || dn.size != c->issuer.len ||
		    c->issuer.p == NULL ||
		    memcmp(dn.data, c->issuer.p, dn.size) != 0) {
			gnutls_free(dn.data);
			continue;
		}
		gnutls_free(dn.data);
		/* A CA whose key usage is given must allow CRL signing. */
		if (gnutls_x509_crt_get_key_usage(roots->crt[i], &usage, NULL) >= 0 &&
		    !(usage & GNUTLS_KEY_CRL_SIGN))
			continue;
		if (gnutls_pubkey_init(&pub) < 0)
			return edge_err(err, EDGE_EFAIL, "out of memory");
		g = gnutls_pubkey_import_x509(pub, roots->crt[i], 0);
		if (g >= 0)
			g = gnutls_pubkey_verify_data2(pub, algo, 0, &tbs, &sig);
		gnutls_pubkey_deinit(pub);
		if (g >= 0)
			return EDGE_OK;
		return edge_err(err, EDGE_ETRUST, "%s: signature does not verify",
		    what);
	}
	return edge_err(err, EDGE_ETRUST, "%s: not signed by a trusted root CA",
	    what);
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

int
edge_crl_store(int dirfd, const char *name, const struct edge_crl *c,
    struct edge_error *err)
{
	struct edge_atomic a;
	char head[256];
	int n, rc;

	n = snprintf(head, sizeof(head), HEADER "number=%s this-update=%lld sha256=%s\n",
	    c->facts.number[0] ? c->facts.number : "-",
	    (long long)c->facts.this_update, c->facts.sha256);
	if ((rc = edge_file_atomic_begin(dirfd, name, EDGE_MODE_PUBLIC, &a,
	    err)) != EDGE_OK ||
	    (rc = edge_file_atomic_write(&a, head, (size_t)n, err)) != EDGE_OK ||
	    (rc = edge_pem_write(&a, "X509 CRL", c->buf, c->len, err)) != EDGE_OK)
		return rc;
	return edge_file_atomic_commit(&a, err);
}

int
edge_crl_stored_facts(int dirfd, const char *name, struct edge_crl_facts *f)
{
	char line[256], num[64], sha[65];
	long long tu;
	ssize_t n;
	int fd;

	memset(f, 0, sizeof(*f));
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, line, sizeof(line) - 1);
	close(fd);
	if (n > 0) {
		line[n] = '\0';
		if (sscanf(line, HEADER "number=%63s this-update=%lld sha256=%64s",
		    num, &tu, sha) == 3 && strlen(sha) == 64) {
			snprintf(f->number, sizeof(f->number), "%s",
			    strcmp(num, "-") ? num : "");
			f->this_update = (time_t)tu;
			memcpy(f->sha256, sha, sizeof(f->sha256));
			return 0;
		}
	}
	{
		/* Written by something else: parse it once. */
		struct edge_crl c;
		if (edge_crl_load(dirfd, name, &c, NULL) != EDGE_OK)
			return -1;
		*f = c.facts;
		edge_crl_free(&c);
	}
	return 0;
}

static int
cmp_serial(const struct edge_der *a, const struct edge_der *b)
{
	struct edge_der x = edge_der_unsigned(a), y = edge_der_unsigned(b);

	if (x.len != y.len)
		return x.len < y.len ? -1 : 1;
	return memcmp(x.p, y.p, x.len);
}

/* The serial of the entry at offset off of entries. */
static struct edge_der
serial_at(const struct edge_crl *c, uint32_t off)
{
	struct edge_der in = { c->entries.p + off, c->entries.len - off }, s;
	time_t when;

	if (entry(&in, &s, &when, NULL) != 0)
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
		if (entry(&list, &s, &when, NULL) != 0)
			return edge_err(err, EDGE_EINPUT, "CRL: bad entry");
	}
	qsort_r(c->index, c->count, sizeof(*c->index), cmp_index, c);
	return EDGE_OK;
}

/* Decimal text to big-endian bytes; the length, or 0 when not a number. */
static size_t
dec_bytes(const char *dec, unsigned char *out, size_t cap)
{
	size_t n = 1, i;

	if (*dec == '\0')
		return 0;
	memset(out, 0, cap);
	for (; *dec; dec++) {
		unsigned carry;

		if (*dec < '0' || *dec > '9')
			return 0;
		carry = (unsigned)(*dec - '0');
		for (i = cap; i-- > cap - n;) {
			unsigned v = out[i] * 10u + carry;
			out[i] = (unsigned char)v;
			carry = v >> 8;
		}
		if (carry) {
			if (n == cap)
				return 0;
			out[cap - ++n] = (unsigned char)carry;
		}
	}
	memmove(out, out + cap - n, n);
	return n;
}

int
edge_crl_lookup(const struct edge_crl *c, const char *serial_dec,
    bool *revoked, time_t *when, int *reason, struct edge_error *err)
{
	unsigned char want[64];
	struct edge_der w, s, list = c->entries, e;
	size_t n = dec_bytes(serial_dec, want, sizeof(want));
	time_t t;

	*revoked = false;
	*when = 0;
	if (reason != NULL)
		*reason = -1;
	if (n == 0)
		return edge_err(err, EDGE_EINPUT, "%s: not a serial number", serial_dec);
	w.p = want;
	w.len = n;
	if (c->index != NULL) {
		size_t lo = 0, hi = c->count;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			int d;

			s = serial_at(c, c->index[mid]);
			d = cmp_serial(&s, &w);
			if (d == 0) {
				e.p = c->entries.p + c->index[mid];
				e.len = c->entries.len - c->index[mid];
				(void)entry(&e, &s, when, reason);
				*revoked = true;
				return EDGE_OK;
			}
			if (d < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		return EDGE_OK;
	}
	while (list.len > 0) {
		int r;

		if (entry(&list, &s, &t, &r) != 0)
			return edge_err(err, EDGE_EINPUT, "CRL: bad entry");
		if (cmp_serial(&s, &w) == 0) {
			*revoked = true;
			*when = t;
			if (reason != NULL)
				*reason = r;
			return EDGE_OK;
		}
	}
	return EDGE_OK;
}

int
edge_crl_cert_revoked(int dirfd, const char *cert, bool *revoked, char *sn,
    size_t snlen, time_t *when, struct edge_error *err)
{
	struct edge_certs roots = { 0 }, c = { 0 };
	struct edge_crl crl = { 0 };
	char *buf = NULL;
	size_t len = 0;
	int rc;

	*revoked = false;
	if ((rc = edge_file_read(dirfd, "ca.pem", EDGE_FILE_MAX, &buf, &len,
	    err)) != EDGE_OK)
		return rc;
	rc = edge_certs_load(buf, len, "ca.pem", &roots, err);
	free(buf);
	buf = NULL;
	if (rc != EDGE_OK)
		return rc;
	if ((rc = edge_crl_load(dirfd, "crl.pem", &crl, err)) != EDGE_OK ||
	    (rc = edge_crl_verify(&crl, &roots, "crl.pem", err)) != EDGE_OK ||
	    (rc = edge_file_read(dirfd, cert, EDGE_FILE_MAX, &buf, &len, err)) !=
	    EDGE_OK || (rc = edge_certs_load(buf, len, cert, &c, err)) != EDGE_OK)
		goto out;
	if (edge_x509_serial_dec(c.crt[0], sn, snlen) != EDGE_OK) {
		rc = edge_err(err, EDGE_EINPUT, "%s: unreadable serial", cert);
		goto out;
	}
	rc = edge_crl_lookup(&crl, sn, revoked, when, NULL, err);
out:
	free(buf);
	edge_certs_free(&c);
	edge_certs_free(&roots);
	edge_crl_free(&crl);
	return rc;
}

void
edge_crl_free(struct edge_crl *c)
{
	free(c->buf);
	free(c->index);
	memset(c, 0, sizeof(*c));
}
