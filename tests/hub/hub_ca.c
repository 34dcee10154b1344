/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/x509-ext.h>

#include "edge_file.h"
#include "hub_ca.h"

#define CA_DN	"CN=EnOS CA (stand-in),OU=EnOS CA,O=EnOS,L=Shanghai,ST=Shanghai,C=CN"
#define CA_DAYS	3650
#define NETSCAPE_COMMENT	"2.16.840.1.113730.1.13"
#define NETSCAPE_CA_REVOCATION	"2.16.840.1.113730.1.4"

#define FAIL(...) do { snprintf(msg, msglen, __VA_ARGS__); goto out; } while (0)

int
hub_sn_to_bytes(const char *sn, unsigned char out[8])
{
	uint64_t v = 0;
	const char *p;
	int i;

	if (sn == NULL || *sn == '\0' || strlen(sn) > 19)
		return -1;
	for (p = sn; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v == 0 || v > INT64_MAX)
		return -1;
	for (i = 7; i >= 0; i--, v >>= 8)
		out[i] = (unsigned char)(v & 0xff);
	return 0;
}

/* A random serial in [2^56, 2^63): positive, eight DER bytes, no leading 0. */
static int
new_serial(unsigned char s[8], char sn[HUB_SN_MAX])
{
	uint64_t v = 0;
	int i;

	if (gnutls_rnd(GNUTLS_RND_NONCE, s, 8) < 0)
		return -1;
	s[0] &= 0x7f;
	if (s[0] == 0)
		s[0] = 1;
	for (i = 0; i < 8; i++)
		v = (v << 8) | s[i];
	snprintf(sn, HUB_SN_MAX, "%llu", (unsigned long long)v);
	return 0;
}

/* DER IA5String, for the Netscape extensions. */
static int
ia5(const char *s, unsigned char *out, size_t outlen, size_t *len)
{
	size_t n = strlen(s), h;

	if (n < 128) {
		h = 2;
		out[1] = (unsigned char)n;
	} else if (n < 65536) {
		h = 4;
		out[1] = 0x82;
		out[2] = (unsigned char)(n >> 8);
		out[3] = (unsigned char)n;
	} else
		return -1;
	if (h + n > outlen)
		return -1;
	out[0] = 0x16;
	memcpy(out + h, s, n);
	*len = h + n;
	return 0;
}

/* This root alone as PEM, NUL-terminated, in ca->pem. */
static int
keep_pem(struct hub_ca *ca)
{
	gnutls_datum_t d = { NULL, 0 };

	if (gnutls_x509_crt_export2(ca->crt, GNUTLS_X509_FMT_PEM, &d) < 0 ||
	    (ca->pem = malloc(d.size + 1)) == NULL) {
		gnutls_free(d.data);
		return -1;
	}
	memcpy(ca->pem, d.data, d.size);
	ca->pem[d.size] = '\0';
	ca->pem_len = d.size;
	gnutls_free(d.data);
	return 0;
}

/* The certificate file may be a bundle: its first certificate is the root. */
static int
load_pair(int dirfd, const char *cname, const char *kname, struct hub_ca *ca,
    char *msg, size_t msglen)
{
	char *cert = NULL, *key = NULL;
	size_t clen = 0, klen = 0, size;
	gnutls_datum_t d;
	struct edge_error e;
	int rc = -1, r;

	if (edge_file_read(dirfd, cname, EDGE_FILE_MAX, &cert, &clen, &e) ||
	    edge_file_read(dirfd, kname, EDGE_FILE_MAX, &key, &klen, &e))
		FAIL("%s", e.msg);
	d.data = (unsigned char *)cert;
	d.size = (unsigned)clen;
	if ((r = gnutls_x509_crt_import(ca->crt, &d, GNUTLS_X509_FMT_PEM)) < 0)
		FAIL("%s: %s", cname, gnutls_strerror(r));
	d.data = (unsigned char *)key;
	d.size = (unsigned)klen;
	if ((r = gnutls_privkey_import_x509_raw(ca->key, &d,
	    GNUTLS_X509_FMT_PEM, NULL, 0)) < 0)
		FAIL("%s: %s", kname, gnutls_strerror(r));
	if (keep_pem(ca) < 0)
		FAIL("%s: cannot export", cname);
	size = sizeof(ca->ski);
	if (gnutls_x509_crt_get_subject_key_id(ca->crt, ca->ski, &size,
	    NULL) < 0)
		FAIL("%s: no subject key identifier", cname);
	ca->ski_len = size;
	rc = 0;
out:
	free(cert);
	edge_file_free_private(&key, klen);
	return rc;
}

/* The PEM of a certificate and of its key (plain PKCS #8). */
static int
export_pair(gnutls_x509_crt_t crt, gnutls_x509_privkey_t xk,
    gnutls_datum_t *cpem, gnutls_datum_t *kpem)
{
	int r;

	if ((r = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, cpem)) < 0)
		return r;
	return gnutls_x509_privkey_export2_pkcs8(xk, GNUTLS_X509_FMT_PEM, NULL,
	    GNUTLS_PKCS_PLAIN, kpem);
}

/* Both PEMs freed, the key's wiped first. */
static void
free_pair(gnutls_datum_t *cpem, gnutls_datum_t *kpem)
{
	if (kpem->data != NULL) {
		gnutls_memset(kpem->data, 0, kpem->size);
		gnutls_free(kpem->data);
	}
	gnutls_free(cpem->data);
}

/*
 * A fresh self-signed root in ca (crt and key initialised), valid days from
 * now; *xk receives its key for export (gnutls_x509_privkey_deinit).
 */
static int
make_root(struct hub_ca *ca, long days, gnutls_x509_privkey_t *xkp,
    char *msg, size_t msglen)
{
	gnutls_x509_privkey_t xk = NULL;
	unsigned char serial[8];
	char sn[HUB_SN_MAX];
	const char *errp;
	size_t size;
	time_t now = time(NULL);
	int rc = -1, r;

	if ((r = gnutls_x509_privkey_init(&xk)) < 0 ||
	    (r = gnutls_x509_privkey_generate(xk, GNUTLS_PK_RSA, 2048, 0)) < 0)
		FAIL("CA key: %s", gnutls_strerror(r));
	if ((r = gnutls_privkey_import_x509(ca->key, xk,
	    GNUTLS_PRIVKEY_IMPORT_COPY)) < 0)
		FAIL("CA key: %s", gnutls_strerror(r));
	size = sizeof(ca->ski);
	if ((r = gnutls_x509_privkey_get_key_id(xk, GNUTLS_KEYID_USE_SHA1,
	    ca->ski, &size)) < 0)
		FAIL("CA key id: %s", gnutls_strerror(r));
	ca->ski_len = size;
	if (new_serial(serial, sn) < 0)
		FAIL("CA serial: no randomness");
	if ((r = gnutls_x509_crt_set_version(ca->crt, 3)) < 0 ||
	    (r = gnutls_x509_crt_set_dn(ca->crt, CA_DN, &errp)) < 0 ||
	    (r = gnutls_x509_crt_set_issuer_dn(ca->crt, CA_DN, &errp)) < 0 ||
	    (r = gnutls_x509_crt_set_serial(ca->crt, serial, 8)) < 0 ||
	    (r = gnutls_x509_crt_set_key(ca->crt, xk)) < 0 ||
	    (r = gnutls_x509_crt_set_activation_time(ca->crt, now - 60)) < 0 ||
	    (r = gnutls_x509_crt_set_expiration_time(ca->crt,
	    now + (time_t)days * 86400)) < 0 ||
	    (r = gnutls_x509_crt_set_basic_constraints(ca->crt, 1, -1)) < 0 ||
	    (r = gnutls_x509_crt_set_key_usage(ca->crt,
	    GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN)) < 0 ||
	    (r = gnutls_x509_crt_set_subject_key_id(ca->crt, ca->ski,
	    ca->ski_len)) < 0 ||
	    (r = gnutls_x509_crt_set_authority_key_id(ca->crt, ca->ski,
	    ca->ski_len)) < 0 ||
	    (r = gnutls_x509_crt_privkey_sign(ca->crt, ca->crt, ca->key,
	    GNUTLS_DIG_SHA256, 0)) < 0)
		FAIL("CA certificate: %s", gnutls_strerror(r));
	if (keep_pem(ca) < 0)
		FAIL("CA export: out of memory");
	ca->not_after = gnutls_x509_crt_get_expiration_time(ca->crt);
	*xkp = xk;
	xk = NULL;
	rc = 0;
out:
	gnutls_x509_privkey_deinit(xk);
	return rc;
}

/* The key as unencrypted PKCS#8 PEM into name (0600). */
static int
write_key(int dirfd, const char *name, gnutls_x509_privkey_t xk, char *msg,
    size_t msglen)
{
	gnutls_datum_t cpem = { NULL, 0 }, kpem = { NULL, 0 };
	struct edge_error e;
	int rc = -1, r;

	if ((r = gnutls_x509_privkey_export2_pkcs8(xk, GNUTLS_X509_FMT_PEM,
	    NULL, GNUTLS_PKCS_PLAIN, &kpem)) < 0)
		FAIL("CA key export: %s", gnutls_strerror(r));
	if (edge_file_write_atomic(dirfd, name, kpem.data, kpem.size,
	    EDGE_MODE_PRIVATE, &e))
		FAIL("%s", e.msg);
	rc = 0;
out:
	free_pair(&cpem, &kpem);
	return rc;
}

static int
create_pair(int dirfd, struct hub_ca *ca, char *msg, size_t msglen)
{
	gnutls_x509_privkey_t xk = NULL;
	struct edge_error e;
	int rc = -1;

	if (make_root(ca, CA_DAYS, &xk, msg, msglen) < 0)
		return -1;
	/* The key first: a ca.pem without its key would be useless. */
	if (write_key(dirfd, "ca-key.pem", xk, msg, msglen) < 0)
		goto out;
	if (edge_file_write_atomic(dirfd, "ca.pem", ca->pem, ca->pem_len,
	    EDGE_MODE_PUBLIC, &e))
		FAIL("%s", e.msg);
	rc = 0;
out:
	gnutls_x509_privkey_deinit(xk);
	return rc;
}

static int open_pair(int dirfd, const char *cname, const char *kname,
    struct hub_ca *ca, bool create, bool *created, char *msg, size_t msglen);

int
hub_ca_open(int dirfd, struct hub_ca *ca, bool *created, char *msg,
    size_t msglen)
{
	return open_pair(dirfd, "ca.pem", "ca-key.pem", ca, true, created, msg,
	    msglen);
}

int
hub_ca_load(int dirfd, const char *cname, const char *kname,
    struct hub_ca *ca, char *msg, size_t msglen)
{
	bool created;

	return open_pair(dirfd, cname, kname, ca, false, &created, msg,
	    msglen);
}

static int
open_pair(int dirfd, const char *cname, const char *kname, struct hub_ca *ca,
    bool create, bool *created, char *msg, size_t msglen)
{
	bool have_crt = edge_file_exists(dirfd, cname);
	bool have_key = edge_file_exists(dirfd, kname);
	gnutls_datum_t der = { NULL, 0 };
	size_t size, i;
	int rc = -1, r;

	memset(ca, 0, sizeof(*ca));
	*created = false;
	if (gnutls_x509_crt_init(&ca->crt) < 0 ||
	    gnutls_privkey_init(&ca->key) < 0)
		FAIL("out of memory");
	if (have_crt != have_key || (!have_crt && !create))
		FAIL("%s and %s must both exist%s", cname, kname,
		    create ? " or both be absent" : "");
	if (have_crt) {
		if (load_pair(dirfd, cname, kname, ca, msg, msglen) < 0)
			goto out;
	} else {
		if (create_pair(dirfd, ca, msg, msglen) < 0)
			goto out;
		*created = true;
	}
	for (i = 0; i < ca->ski_len && i < 64; i++)
		snprintf(ca->id + 2 * i, 3, "%02x", ca->ski[i]);
	if ((r = gnutls_x509_crt_export2(ca->crt, GNUTLS_X509_FMT_DER,
	    &der)) < 0)
		FAIL("CA export: %s", gnutls_strerror(r));
	if ((ca->der = malloc(der.size)) == NULL)
		FAIL("out of memory");
	memcpy(ca->der, der.data, der.size);
	ca->der_len = der.size;
	ca->not_after = gnutls_x509_crt_get_expiration_time(ca->crt);
	size = sizeof(ca->c);
	if (gnutls_x509_crt_get_dn_by_oid(ca->crt, GNUTLS_OID_X520_COUNTRY_NAME,
	    0, 0, ca->c, &size) < 0)
		FAIL("%s: no C in the subject", cname);
	size = sizeof(ca->st);
	if (gnutls_x509_crt_get_dn_by_oid(ca->crt,
	    GNUTLS_OID_X520_STATE_OR_PROVINCE_NAME, 0, 0, ca->st, &size) < 0)
		FAIL("%s: no ST in the subject", cname);
	size = sizeof(ca->o);
	if (gnutls_x509_crt_get_dn_by_oid(ca->crt,
	    GNUTLS_OID_X520_ORGANIZATION_NAME, 0, 0, ca->o, &size) < 0)
		FAIL("%s: no O in the subject", cname);
	rc = 0;
out:
	gnutls_free(der.data);
	if (rc < 0)
		hub_ca_close(ca);
	return rc;
}

void
hub_ca_close(struct hub_ca *ca)
{
	if (ca->crt != NULL)
		gnutls_x509_crt_deinit(ca->crt);
	if (ca->key != NULL)
		gnutls_privkey_deinit(ca->key);
	free(ca->pem);
	free(ca->der);
	memset(ca, 0, sizeof(*ca));
}

/* Serial, issuer, validity, AKI and SHA-256 signature: common to all. */
static int
finish_and_sign(struct hub_ca *ca, gnutls_x509_crt_t crt, long days,
    char sn[HUB_SN_MAX], time_t *nb, time_t *na, char *msg, size_t msglen)
{
	unsigned char serial[8];
	time_t now = time(NULL), end;
	int r;

	end = now + (time_t)days * 86400;
	if (end > ca->not_after)
		end = ca->not_after;	/* never outlive the root */
	if (new_serial(serial, sn) < 0) {
		snprintf(msg, msglen, "no randomness for the serial");
		return -1;
	}
	if ((r = gnutls_x509_crt_set_version(crt, 3)) < 0 ||
	    (r = gnutls_x509_crt_set_serial(crt, serial, 8)) < 0 ||
	    (r = gnutls_x509_crt_set_activation_time(crt, now)) < 0 ||
	    (r = gnutls_x509_crt_set_expiration_time(crt, end)) < 0 ||
	    (r = gnutls_x509_crt_set_authority_key_id(crt, ca->ski,
	    ca->ski_len)) < 0 ||
	    (r = gnutls_x509_crt_privkey_sign(crt, ca->crt, ca->key,
	    GNUTLS_DIG_SHA256, 0)) < 0) {
		snprintf(msg, msglen, "Call ca error!: %s", gnutls_strerror(r));
		return -1;
	}
	if (nb != NULL)
		*nb = now;
	if (na != NULL)
		*na = end;
	return 0;
}

/*
 * A fresh RSA-2048 key for crt (subject and extensions already set), its
 * SKI, then signed by ca; both PEMs NUL-terminated, freed with gnutls_free().
 */
static int
local_pair(struct hub_ca *ca, gnutls_x509_crt_t crt, long days,
    char sn[HUB_SN_MAX], char **cert_pem, char **key_pem, char *msg,
    size_t msglen)
{
	gnutls_x509_privkey_t xk = NULL;
	gnutls_datum_t kpem = { NULL, 0 }, cpem = { NULL, 0 };
	unsigned char kid[64];
	size_t size = sizeof(kid);
	int rc = -1, r;

	if ((r = gnutls_x509_privkey_init(&xk)) < 0 ||
	    (r = gnutls_x509_privkey_generate(xk, GNUTLS_PK_RSA, 2048, 0)) < 0 ||
	    (r = gnutls_x509_privkey_get_key_id(xk, GNUTLS_KEYID_USE_SHA1, kid,
	    &size)) < 0 ||
	    (r = gnutls_x509_crt_set_key(crt, xk)) < 0 ||
	    (r = gnutls_x509_crt_set_subject_key_id(crt, kid, size)) < 0)
		FAIL("key: %s", gnutls_strerror(r));
	if (finish_and_sign(ca, crt, days, sn, NULL, NULL, msg, msglen) < 0)
		goto out;
	if ((r = export_pair(crt, xk, &cpem, &kpem)) < 0)
		FAIL("export: %s", gnutls_strerror(r));
	/* export2 does not promise a NUL; add one. */
	*cert_pem = gnutls_malloc(cpem.size + 1);
	*key_pem = gnutls_malloc(kpem.size + 1);
	if (*cert_pem == NULL || *key_pem == NULL) {
		gnutls_free(*cert_pem);
		gnutls_free(*key_pem);
		*cert_pem = *key_pem = NULL;
		FAIL("out of memory");
	}
	memcpy(*cert_pem, cpem.data, cpem.size);
	(*cert_pem)[cpem.size] = '\0';
	memcpy(*key_pem, kpem.data, kpem.size);
	(*key_pem)[kpem.size] = '\0';
	rc = 0;
out:
	free_pair(&cpem, &kpem);
	gnutls_x509_privkey_deinit(xk);
	return rc;
}

int
hub_ca_issue_local(struct hub_ca *ca, enum hub_role role, const char *dn,
    long days, char sn[HUB_SN_MAX], char **cert_pem, char **key_pem,
    char *msg, size_t msglen)
{
	static const unsigned char loopback[4] = { 127, 0, 0, 1 };
	gnutls_x509_crt_t crt = NULL;
	const char *errp;
	int rc = -1, r;

	if ((r = gnutls_x509_crt_init(&crt)) < 0 ||
	    (r = gnutls_x509_crt_set_dn(crt, dn, &errp)) < 0 ||
	    (r = gnutls_x509_crt_set_basic_constraints(crt, 0, -1)) < 0 ||
	    (r = gnutls_x509_crt_set_key_usage(crt,
	    GNUTLS_KEY_DIGITAL_SIGNATURE | GNUTLS_KEY_KEY_ENCIPHERMENT)) < 0 ||
	    (r = gnutls_x509_crt_set_key_purpose_oid(crt,
	    role == HUB_ROLE_SERVER ? GNUTLS_KP_TLS_WWW_SERVER :
	    GNUTLS_KP_TLS_WWW_CLIENT, 0)) < 0)
		FAIL("%s: %s", dn, gnutls_strerror(r));
	if (role == HUB_ROLE_SERVER &&
	    ((r = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME,
	    "localhost", 9, GNUTLS_FSAN_APPEND)) < 0 ||
	    (r = gnutls_x509_crt_set_subject_alt_name(crt,
	    GNUTLS_SAN_IPADDRESS, loopback, 4, GNUTLS_FSAN_APPEND)) < 0))
		FAIL("%s: %s", dn, gnutls_strerror(r));
	rc = local_pair(ca, crt, days, sn, cert_pem, key_pem, msg, msglen);
out:
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	return rc;
}

/* The PEM's first certificate, or NULL. */
static gnutls_x509_crt_t
pem_crt(const char *pem)
{
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t d;

	if (pem == NULL || gnutls_x509_crt_init(&crt) < 0)
		return NULL;
	d.data = (unsigned char *)(uintptr_t)pem;
	d.size = (unsigned)strlen(pem);
	if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM) < 0) {
		gnutls_x509_crt_deinit(crt);
		return NULL;
	}
	return crt;
}

bool
hub_ca_local_due(const struct hub_ca *ca, const char *cert_pem,
    time_t margin)
{
	gnutls_x509_crt_t crt = pem_crt(cert_pem);
	time_t end;

	if (crt == NULL)
		return true;
	end = gnutls_x509_crt_get_expiration_time(crt);
	gnutls_x509_crt_deinit(crt);
	return !hub_ca_issued(ca, cert_pem) || end == (time_t)-1 ||
	    end - margin <= time(NULL);
}

int
hub_ca_reissue_local(struct hub_ca *ca, const char *old_pem, long days,
    char sn[HUB_SN_MAX], char **cert_pem, char **key_pem, char *msg,
    size_t msglen)
{
	/* What the hub's own profiles carry besides key ids (issue_local). */
	static const char *const kept[] = {
		"2.5.29.19",	/* basicConstraints */
		"2.5.29.15",	/* keyUsage */
		"2.5.29.37",	/* extendedKeyUsage */
		"2.5.29.17",	/* subjectAltName */
	};
	gnutls_x509_crt_t old = pem_crt(old_pem), crt = NULL;
	gnutls_datum_t dn = { NULL, 0 }, ext;
	unsigned crit;
	size_t i;
	int rc = -1, r;

	if (old == NULL)
		FAIL("the certificate to reissue does not parse");
	if ((r = gnutls_x509_crt_init(&crt)) < 0 ||
	    (r = gnutls_x509_crt_get_dn3(old, &dn, 0)) < 0 ||
	    (r = gnutls_x509_crt_set_dn(crt, (const char *)dn.data, NULL)) < 0)
		FAIL("reissue: %s", gnutls_strerror(r));
	for (i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
		r = gnutls_x509_crt_get_extension_by_oid2(old, kept[i], 0, &ext,
		    &crit);
		if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			continue;
		if (r >= 0) {
			r = gnutls_x509_crt_set_extension_by_oid(crt, kept[i],
			    ext.data, ext.size, crit);
			gnutls_free(ext.data);
		}
		if (r < 0)
			FAIL("reissue: %s: %s", kept[i], gnutls_strerror(r));
	}
	rc = local_pair(ca, crt, days, sn, cert_pem, key_pem, msg, msglen);
out:
	gnutls_free(dn.data);
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	if (old != NULL)
		gnutls_x509_crt_deinit(old);
	return rc;
}

/* One mandatory subject field of the CSR, at most 64 characters. */
static int
csr_field(gnutls_x509_crq_t crq, const char *oid, const char *name,
    char out[HUB_FIELD_MAX], char *msg, size_t msglen)
{
	size_t size = HUB_FIELD_MAX;
	int r;

	r = gnutls_x509_crq_get_dn_by_oid(crq, oid, 0, 0, out, &size);
	if (r == GNUTLS_E_SHORT_MEMORY_BUFFER) {
		snprintf(msg, msglen,
		    "Invalid cert request!subject field %s is longer than 64 "
		    "characters", name);
		return -1;
	}
	if (r < 0 || out[0] == '\0') {
		snprintf(msg, msglen,
		    "Invalid cert request!subject field %s is missing", name);
		return -1;
	}
	return 0;
}

void
hub_csr_free(struct hub_csr *csr)
{
	if (csr->crq != NULL)
		gnutls_x509_crq_deinit(csr->crq);
	csr->crq = NULL;
}

int
hub_ca_check_csr(const struct hub_ca *ca, const char *pem, bool ecc,
    struct hub_csr *csr, char *msg, size_t msglen)
{
	char field[HUB_FIELD_MAX], *copy = NULL, *p;
	gnutls_pubkey_t pub = NULL;
	gnutls_ecc_curve_t curve;
	gnutls_datum_t d, dn = { NULL, 0 };
	unsigned char kid[64];
	unsigned bits = 0;
	size_t size, i;
	int rc = -1, r, alg, sig;

	memset(csr, 0, sizeof(*csr));
	if (gnutls_x509_crq_init(&csr->crq) < 0)
		FAIL("out of memory");
	/* Both PEM labels appear in EnOS samples; GnuTLS knows only one. */
	if ((copy = strdup(pem)) == NULL)
		FAIL("out of memory");
	while ((p = strstr(copy, "NEW CERTIFICATE REQUEST-----")) != NULL &&
	    p >= copy + 11 && (strncmp(p - 11, "-----BEGIN ", 11) == 0 ||
	    (p >= copy + 9 && strncmp(p - 9, "-----END ", 9) == 0)))
		memmove(p, p + 4, strlen(p + 4) + 1);
	d.data = (unsigned char *)copy;
	d.size = (unsigned)strlen(copy);
	if (gnutls_x509_crq_import(csr->crq, &d, GNUTLS_X509_FMT_PEM) < 0)
		FAIL("Invalid cert request!not a PEM certificate request");
	if ((r = gnutls_x509_crq_verify(csr->crq, 0)) < 0)
		FAIL("Invalid cert request!signature does not verify: %s",
		    gnutls_strerror(r));
	alg = gnutls_x509_crq_get_pk_algorithm(csr->crq, &bits);
	sig = gnutls_x509_crq_get_signature_algorithm(csr->crq);
	if (!ecc) {
		if (alg != GNUTLS_PK_RSA || bits != 2048)
			FAIL("Invalid cert request!issueAuthority RSA needs an "
			    "RSA-2048 key, found %s-%u",
			    gnutls_pk_get_name((gnutls_pk_algorithm_t)alg), bits);
		if (sig != GNUTLS_SIGN_RSA_SHA256)
			FAIL("Invalid cert request!signature algorithm must be "
			    "sha256WithRSAEncryption, found %s",
			    gnutls_sign_get_name((gnutls_sign_algorithm_t)sig));
	} else {
		if (alg != GNUTLS_PK_ECDSA ||
		    gnutls_pubkey_init(&pub) < 0 ||
		    gnutls_pubkey_import_x509_crq(pub, csr->crq, 0) < 0 ||
		    gnutls_pubkey_export_ecc_raw2(pub, &curve, NULL, NULL, 0) < 0 ||
		    curve != GNUTLS_ECC_CURVE_SECP256R1)
			FAIL("Invalid cert request!issueAuthority ECC needs an "
			    "EC P-256 key, found %s-%u",
			    gnutls_pk_get_name((gnutls_pk_algorithm_t)alg), bits);
		if (sig != GNUTLS_SIGN_ECDSA_SHA256)
			FAIL("Invalid cert request!signature algorithm must be "
			    "ecdsa-with-SHA256, found %s",
			    gnutls_sign_get_name((gnutls_sign_algorithm_t)sig));
	}
	if (csr_field(csr->crq, GNUTLS_OID_X520_COUNTRY_NAME, "C", field, msg,
	    msglen) < 0)
		goto out;
	if (strcmp(field, ca->c) != 0)
		FAIL("Invalid cert request!C must be %s like the CA, found %s",
		    ca->c, field);
	if (csr_field(csr->crq, GNUTLS_OID_X520_STATE_OR_PROVINCE_NAME, "ST",
	    field, msg, msglen) < 0)
		goto out;
	if (strcmp(field, ca->st) != 0)
		FAIL("Invalid cert request!ST must be %s like the CA, found %s",
		    ca->st, field);
	if (csr_field(csr->crq, GNUTLS_OID_X520_ORGANIZATION_NAME, "O", field,
	    msg, msglen) < 0)
		goto out;
	if (strcmp(field, ca->o) != 0)
		FAIL("Invalid cert request!O must be %s like the CA, found %s",
		    ca->o, field);
	if (csr_field(csr->crq, GNUTLS_OID_X520_LOCALITY_NAME, "L", field, msg,
	    msglen) < 0 ||
	    csr_field(csr->crq, GNUTLS_OID_X520_ORGANIZATIONAL_UNIT_NAME, "OU",
	    field, msg, msglen) < 0 ||
	    csr_field(csr->crq, GNUTLS_OID_X520_COMMON_NAME, "CN", csr->cn, msg,
	    msglen) < 0)
		goto out;
	size = sizeof(field);
	if (gnutls_x509_crq_get_dn_by_oid(csr->crq,
	    GNUTLS_OID_X520_COUNTRY_NAME, 0, 0, field, &size) == 0 &&
	    strlen(field) != 2)
		FAIL("Invalid cert request!C must be two letters");
	size = sizeof(kid);
	if ((r = gnutls_x509_crq_get_key_id(csr->crq, GNUTLS_KEYID_USE_SHA256,
	    kid, &size)) < 0)
		FAIL("Invalid cert request!%s", gnutls_strerror(r));
	for (i = 0; i < size && i < 32; i++)
		snprintf(csr->key_id + 2 * i, 3, "%02x", kid[i]);
	if (gnutls_x509_crq_get_dn2(csr->crq, &dn) < 0)
		FAIL("Invalid cert request!unreadable subject");
	snprintf(csr->subject, sizeof(csr->subject), "%.*s", (int)dn.size,
	    (const char *)dn.data);
	csr->ecc = ecc;
	rc = 0;
out:
	gnutls_free(dn.data);
	if (pub != NULL)
		gnutls_pubkey_deinit(pub);
	free(copy);
	if (rc < 0)
		hub_csr_free(csr);
	return rc;
}

int
hub_ca_issue_csr(struct hub_ca *ca, const struct hub_csr *csr, long days,
    const char *crl_url, const char *cdp_url, char sn[HUB_SN_MAX],
    char **cert_pem,
    time_t *not_before, time_t *not_after, char issuer[HUB_DN_MAX],
    char *msg, size_t msglen)
{
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t bc = { NULL, 0 }, cpem = { NULL, 0 }, idn = { NULL, 0 };
	unsigned char ext[1024], kid[64];
	size_t extlen, size = sizeof(kid);
	int rc = -1, r;

	*cert_pem = NULL;
	if ((r = gnutls_x509_crt_init(&crt)) < 0 ||
	    (r = gnutls_x509_crt_set_crq(crt, csr->crq)) < 0 ||
	    (r = gnutls_x509_crq_get_key_id(csr->crq, GNUTLS_KEYID_USE_SHA1, kid,
	    &size)) < 0 ||
	    (r = gnutls_x509_crt_set_subject_key_id(crt, kid, size)) < 0 ||
	    /* CA:FALSE, not critical, as in the EnOS samples. */
	    (r = gnutls_x509_ext_export_basic_constraints(0, -1, &bc)) < 0 ||
	    (r = gnutls_x509_crt_set_extension_by_oid(crt, "2.5.29.19", bc.data,
	    bc.size, 0)) < 0 ||
	    (cdp_url != NULL &&
	    (r = gnutls_x509_crt_set_crl_dist_points2(crt, GNUTLS_SAN_URI,
	    cdp_url, (unsigned)strlen(cdp_url), 0)) < 0))
		FAIL("Call ca error!: %s", gnutls_strerror(r));
	if (ia5("Enos Generated Certificate", ext, sizeof(ext), &extlen) < 0 ||
	    gnutls_x509_crt_set_extension_by_oid(crt, NETSCAPE_COMMENT, ext,
	    extlen, 0) < 0)
		FAIL("Call ca error!: Netscape comment");
	if (ia5(crl_url, ext, sizeof(ext), &extlen) < 0 ||
	    gnutls_x509_crt_set_extension_by_oid(crt, NETSCAPE_CA_REVOCATION,
	    ext, extlen, 0) < 0)
		FAIL("Call ca error!: Netscape CA revocation URL");
	if (finish_and_sign(ca, crt, days, sn, not_before, not_after, msg,
	    msglen) < 0)
		goto out;
	if ((r = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &cpem)) < 0 ||
	    (r = gnutls_x509_crt_get_issuer_dn2(crt, &idn)) < 0)
		FAIL("Call ca error!: %s", gnutls_strerror(r));
	snprintf(issuer, HUB_DN_MAX, "%.*s", (int)idn.size,
	    (const char *)idn.data);
	if ((*cert_pem = gnutls_malloc(cpem.size + 1)) == NULL)
		FAIL("out of memory");
	memcpy(*cert_pem, cpem.data, cpem.size);
	(*cert_pem)[cpem.size] = '\0';
	rc = 0;
out:
	gnutls_free(bc.data);
	gnutls_free(cpem.data);
	gnutls_free(idn.data);
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	return rc;
}

/* One DER element at p (len bytes): header and total length; -1 if malformed. */
static int
der_elem(const unsigned char *p, size_t len, size_t *hdr, size_t *total)
{
	size_t n, i, clen = 0;

	if (len < 2)
		return -1;
	if (p[1] < 0x80) {
		*hdr = 2;
		clen = p[1];
	} else {
		n = p[1] & 0x7f;
		if (n == 0 || n > 4 || len < 2 + n)
			return -1;
		for (i = 0; i < n; i++)
			clen = clen << 8 | p[2 + i];
		*hdr = 2 + n;
	}
	if (clen > len - *hdr)
		return -1;
	*total = *hdr + clen;
	return 0;
}

/* Tag and DER length of n content bytes into out (6 at most); the count. */
static size_t
der_head(unsigned char tag, size_t n, unsigned char *out)
{
	size_t k = 0, m, i;

	out[0] = tag;
	if (n < 0x80) {
		out[1] = (unsigned char)n;
		return 2;
	}
	for (m = n; m > 0; m >>= 8)
		k++;
	out[1] = (unsigned char)(0x80 | k);
	for (i = 0; i < k; i++)
		out[2 + i] = (unsigned char)(n >> (8 * (k - 1 - i)));
	return 2 + k;
}

/*
 * GnuTLS writes an empty revokedCertificates SEQUENCE into a CRL without
 * entries; RFC 5280 5.1.2.6 wants it omitted.  Take it out of TBSCertList
 * and sign that again with the CA key (the algorithm stays the same).
 */
static int
crl_omit_empty_list(struct hub_ca *ca, gnutls_datum_t *der)
{
	const unsigned char *p = der->data, *tbs, *alg;
	gnutls_datum_t body, sig = { NULL, 0 };
	unsigned char *out = NULL, head[8];
	size_t len = der->size, h, t, th, tt, at, off, e, n, hl, blen;
	int rc = -1;

	if (der_elem(p, len, &h, &t) < 0)
		return -1;
	tbs = p + h;
	len = t - h;
	if (der_elem(tbs, len, &th, &tt) < 0)
		return -1;
	alg = tbs + tt;
	if (der_elem(alg, len - tt, &h, &at) < 0)
		return -1;
	/* version, signature, issuer, thisUpdate, nextUpdate: then the list */
	for (off = th, n = 0; off < tt; off += e, n++) {
		if (der_elem(tbs + off, tt - off, &h, &e) < 0)
			return -1;
		if (n >= 3 && tbs[off] != 0x17 && tbs[off] != 0x18)
			break;
	}
	if (off + 2 > tt || tbs[off] != 0x30 || tbs[off + 1] != 0)
		return 0;	/* no empty list: nothing to do */
	/* new TBSCertList, signed, then the outer SEQUENCE around it */
	blen = tt - th - 2;
	if ((out = gnutls_malloc(der->size + 16)) == NULL)
		return -1;
	hl = der_head(0x30, blen, out + 16);
	memmove(out + 16 + hl, tbs + th, off - th);
	memmove(out + 16 + hl + (off - th), tbs + off + 2, tt - off - 2);
	body.data = out + 16;
	body.size = (unsigned)(hl + blen);
	if (gnutls_privkey_sign_data(ca->key, GNUTLS_DIG_SHA256, 0, &body,
	    &sig) < 0)
		goto out;
	n = body.size + at;
	hl = der_head(0x03, sig.size + 1, head);
	n += hl + 1 + sig.size;
	t = der_head(0x30, n, out);
	if (t + n > der->size + 16)
		goto out;
	memmove(out + t, body.data, body.size);
	memcpy(out + t + body.size, alg, at);
	memcpy(out + t + body.size + at, head, hl);
	out[t + body.size + at + hl] = 0;	/* no unused bits */
	memcpy(out + t + body.size + at + hl + 1, sig.data, sig.size);
	gnutls_free(der->data);
	der->data = out;
	der->size = (unsigned)(t + n);
	out = NULL;
	rc = 0;
out:
	gnutls_free(out);
	gnutls_free(sig.data);
	return rc;
}

int
hub_ca_make_crl(struct hub_ca *ca, const struct hub_revoked *revoked,
    size_t n, uint64_t number, time_t this_update, time_t next_update,
    gnutls_datum_t *pem, gnutls_datum_t *der, char *msg, size_t msglen)
{
	gnutls_x509_crl_t crl = NULL;
	unsigned char serial[8], num[9];
	size_t i, off;
	int rc = -1, r;

	pem->data = der->data = NULL;
	/* CRL number as a positive DER INTEGER content, minimal length. */
	num[0] = 0;
	for (i = 0; i < 8; i++)
		num[i + 1] = (unsigned char)(number >> (8 * (7 - i)));
	for (off = 0; off < 8 && num[off] == 0 && num[off + 1] < 0x80; off++)
		;
	if ((r = gnutls_x509_crl_init(&crl)) < 0 ||
	    (r = gnutls_x509_crl_set_version(crl, 2)) < 0 ||
	    (r = gnutls_x509_crl_set_this_update(crl, this_update)) < 0 ||
	    (r = gnutls_x509_crl_set_next_update(crl, next_update)) < 0 ||
	    (r = gnutls_x509_crl_set_number(crl, num + off, 9 - off)) < 0 ||
	    (r = gnutls_x509_crl_set_authority_key_id(crl, ca->ski,
	    ca->ski_len)) < 0)
		FAIL("CRL: %s", gnutls_strerror(r));
	for (i = 0; i < n; i++) {
		if (hub_sn_to_bytes(revoked[i].sn, serial) < 0)
			FAIL("CRL: bad serial %s in the state", revoked[i].sn);
		if ((r = gnutls_x509_crl_set_crt_serial(crl, serial, 8,
		    revoked[i].when)) < 0)
			FAIL("CRL: %s", gnutls_strerror(r));
	}
	if ((r = gnutls_x509_crl_privkey_sign(crl, ca->crt, ca->key,
	    GNUTLS_DIG_SHA256, 0)) < 0 ||
	    (r = gnutls_x509_crl_export2(crl, GNUTLS_X509_FMT_DER, der)) < 0)
		FAIL("CRL: %s", gnutls_strerror(r));
	if (n == 0 && crl_omit_empty_list(ca, der) < 0)
		FAIL("CRL: cannot omit the empty revokedCertificates");
	if ((r = gnutls_pem_base64_encode2("X509 CRL", der, pem)) < 0)
		FAIL("CRL: %s", gnutls_strerror(r));
	rc = 0;
out:
	if (rc < 0) {
		gnutls_free(pem->data);
		gnutls_free(der->data);
		pem->data = der->data = NULL;
	}
	if (crl != NULL)
		gnutls_x509_crl_deinit(crl);
	return rc;
}

bool
hub_ca_issued(const struct hub_ca *ca, const char *cert_pem)
{
	gnutls_x509_crt_t crt = pem_crt(cert_pem);
	unsigned char aki[64];
	size_t size = sizeof(aki);
	bool yes = false;

	if (crt == NULL)
		return false;
	if (gnutls_x509_crt_get_authority_key_id(crt, aki, &size, NULL) >= 0)
		yes = size == ca->ski_len && memcmp(aki, ca->ski, size) == 0;
	gnutls_x509_crt_deinit(crt);
	return yes;
}

/*
 * The link certificate: the new root's subject and key, issued and signed
 * by the old root, a CA like the root, valid as long as both roots are.
 */
static int
make_link(struct hub_ca *old, struct hub_ca *nu, gnutls_datum_t *pem,
    char *msg, size_t msglen)
{
	gnutls_x509_crt_t crt = NULL;
	gnutls_pubkey_t pub = NULL;
	unsigned char serial[8];
	char sn[HUB_SN_MAX];
	time_t now = time(NULL), end = old->not_after;
	int rc = -1, r;

	if (nu->not_after < end)
		end = nu->not_after;
	if (new_serial(serial, sn) < 0)
		FAIL("link serial: no randomness");
	if ((r = gnutls_x509_crt_init(&crt)) < 0 ||
	    (r = gnutls_pubkey_init(&pub)) < 0 ||
	    (r = gnutls_pubkey_import_x509(pub, nu->crt, 0)) < 0 ||
	    (r = gnutls_x509_crt_set_version(crt, 3)) < 0 ||
	    /* make_root's subject, encoded the same way */
	    (r = gnutls_x509_crt_set_dn(crt, CA_DN, NULL)) < 0 ||
	    (r = gnutls_x509_crt_set_pubkey(crt, pub)) < 0 ||
	    (r = gnutls_x509_crt_set_serial(crt, serial, 8)) < 0 ||
	    (r = gnutls_x509_crt_set_activation_time(crt, now - 60)) < 0 ||
	    (r = gnutls_x509_crt_set_expiration_time(crt, end)) < 0 ||
	    (r = gnutls_x509_crt_set_basic_constraints(crt, 1, -1)) < 0 ||
	    (r = gnutls_x509_crt_set_key_usage(crt,
	    GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN)) < 0 ||
	    (r = gnutls_x509_crt_set_subject_key_id(crt, nu->ski,
	    nu->ski_len)) < 0 ||
	    (r = gnutls_x509_crt_set_authority_key_id(crt, old->ski,
	    old->ski_len)) < 0 ||
	    (r = gnutls_x509_crt_privkey_sign(crt, old->crt, old->key,
	    GNUTLS_DIG_SHA256, 0)) < 0 ||
	    (r = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, pem)) < 0)
		FAIL("link certificate: %s", gnutls_strerror(r));
	rc = 0;
out:
	if (pub != NULL)
		gnutls_pubkey_deinit(pub);
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	return rc;
}

int
hub_ca_rotate(int dirfd, long days, char *msg, size_t msglen)
{
	struct hub_ca old, prev, nu;
	gnutls_x509_privkey_t xk = NULL;
	gnutls_datum_t link = { NULL, 0 };
	char *key = NULL, *bundle = NULL;
	size_t klen = 0;
	struct edge_error e;
	int rc = -1;

	memset(&nu, 0, sizeof(nu));
	memset(&prev, 0, sizeof(prev));
	if (hub_ca_load(dirfd, "ca.pem", "ca-key.pem", &old, msg, msglen) < 0)
		return -1;
	/* One rotation at a time: the previous root must have expired. */
	if (edge_file_exists(dirfd, "ca-prev.pem")) {
		if (hub_ca_load(dirfd, "ca-prev.pem", "ca-prev-key.pem", &prev,
		    msg, msglen) < 0)
			goto out;
		if (prev.not_after > time(NULL))
			FAIL("the previous root is still valid (until %lld); "
			    "rotate after it expired",
			    (long long)prev.not_after);
	}
	if (days < 1 || days > 36500)
		FAIL("root validity %ld days: 1 to 36500", days);
	if (gnutls_x509_crt_init(&nu.crt) < 0 ||
	    gnutls_privkey_init(&nu.key) < 0)
		FAIL("out of memory");
	if (make_root(&nu, days, &xk, msg, msglen) < 0 ||
	    make_link(&old, &nu, &link, msg, msglen) < 0)
		goto out;
	if ((bundle = malloc(nu.pem_len + old.pem_len + 1)) == NULL)
		FAIL("out of memory");
	memcpy(bundle, nu.pem, nu.pem_len);
	memcpy(bundle + nu.pem_len, old.pem, old.pem_len);
	/*
	 * The old pair moves aside first, then the link, then the new pair:
	 * ca-key.pem last but one, ca.pem (new root first, old one after it:
	 * the broker's cafile) last.
	 */
	if (edge_file_read(dirfd, "ca-key.pem", EDGE_FILE_MAX, &key, &klen,
	    &e) ||
	    edge_file_write_atomic(dirfd, "ca-prev-key.pem", key, klen,
	    EDGE_MODE_PRIVATE, &e) ||
	    edge_file_write_atomic(dirfd, "ca-prev.pem", old.pem, old.pem_len,
	    EDGE_MODE_PUBLIC, &e) ||
	    edge_file_write_atomic(dirfd, "ca-link.pem", link.data, link.size,
	    EDGE_MODE_PUBLIC, &e))
		FAIL("%s", e.msg);
	if (write_key(dirfd, "ca-key.pem", xk, msg, msglen) < 0)
		goto out;
	if (edge_file_write_atomic(dirfd, "ca.pem", bundle,
	    nu.pem_len + old.pem_len, EDGE_MODE_PUBLIC, &e))
		FAIL("%s", e.msg);
	rc = 0;
out:
	free(bundle);
	edge_file_free_private(&key, klen);
	gnutls_free(link.data);
	gnutls_x509_privkey_deinit(xk);
	hub_ca_close(&nu);
	hub_ca_close(&prev);
	hub_ca_close(&old);
	return rc;
}
