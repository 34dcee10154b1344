/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "edge_file.h"
#include "edge_key.h"
#include "edge_p11.h"
#include "edge_secret.h"

int
edge_key_type_parse(const char *s, enum edge_key_type *type,
    struct edge_error *err)
{
	if (strcasecmp(s, "rsa") == 0)
		*type = EDGE_KEY_RSA;
	else if (strcasecmp(s, "ec") == 0 || strcasecmp(s, "ecc") == 0)
		*type = EDGE_KEY_EC;
	else
		return edge_err(err, EDGE_EUSAGE,
		    "key type '%s' is not supported (rsa or ec)", s);
	return EDGE_OK;
}

int
edge_key_generate_pem(enum edge_key_type type, unsigned bits, char **pem,
    size_t *len, struct edge_error *err)
{
	gnutls_x509_privkey_t x = NULL;
	gnutls_datum_t out = { NULL, 0 };
	int g, rc = EDGE_EFAIL;

	*pem = NULL;
	if (type == EDGE_KEY_RSA && (bits < 2048 || bits > 8192))
		return edge_err(err, EDGE_EUSAGE,
		    "RSA keys must have 2048 to 8192 bits (got %u)", bits);
	if ((g = gnutls_x509_privkey_init(&x)) < 0)
		goto gfail;
	if (type == EDGE_KEY_RSA)
		g = gnutls_x509_privkey_generate2(x, GNUTLS_PK_RSA, bits, 0,
		    NULL, 0);
	else
		g = gnutls_x509_privkey_generate2(x, GNUTLS_PK_ECDSA,
		    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0, NULL, 0);
	if (g < 0)
		goto gfail;
	g = gnutls_x509_privkey_export2_pkcs8(x, GNUTLS_X509_FMT_PEM, NULL,
	    GNUTLS_PKCS_PLAIN, &out);
	if (g < 0)
		goto gfail;
	rc = edge_key_pem_copy(&out, pem, len, err);
	goto out;
gfail:
	rc = edge_err(err, EDGE_EFAIL, "key generation: %s", gnutls_strerror(g));
out:
	if (out.data != NULL) {
		gnutls_memset(out.data, 0, out.size);
		gnutls_free(out.data);
	}
	gnutls_x509_privkey_deinit(x);
	return rc;
}

int
edge_key_pem_copy(const gnutls_datum_t *in, char **pem, size_t *len,
    struct edge_error *err)
{
	if ((*pem = malloc(in->size + 1)) == NULL)
		return edge_err(err, EDGE_EFAIL, "out of memory");
	memcpy(*pem, in->data, in->size);
	(*pem)[in->size] = '\0';
	*len = in->size;
	return EDGE_OK;
}

void
edge_key_pem_free(char **pem, size_t len)
{
	edge_file_free_private(pem, len);
}

/* Fill type, size, curve and key id from the public key. */
static int
describe(struct edge_key *key, struct edge_error *err)
{
	unsigned char id[64];
	size_t idlen = sizeof(id), i;
	unsigned bits = 0;
	gnutls_ecc_curve_t curve;
	int algo, g;

	algo = gnutls_pubkey_get_pk_algorithm(key->pub, &bits);
	key->bits = bits;
	key->curve[0] = '\0';
	if (algo == GNUTLS_PK_RSA) {
		key->type = EDGE_KEY_RSA;
	} else if (algo == GNUTLS_PK_ECDSA) {
		key->type = EDGE_KEY_EC;
		if (gnutls_pubkey_export_ecc_raw(key->pub, &curve, NULL, NULL) >= 0) {
			snprintf(key->curve, sizeof(key->curve), "%s",
			    curve == GNUTLS_ECC_CURVE_SECP256R1 ? "P-256" :
			    gnutls_ecc_curve_get_name(curve));
			/* Token keys report no size; the curve tells it. */
			key->bits = 8 * (unsigned)gnutls_ecc_curve_get_size(curve);
		}
	} else {
		return edge_err(err, EDGE_EINPUT, "%s: unsupported key algorithm %s",
		    key->where, gnutls_pk_algorithm_get_name(algo));
	}
	g = gnutls_pubkey_get_key_id(key->pub, GNUTLS_KEYID_USE_SHA256, id,
	    &idlen);
	if (g < 0)
		return edge_err(err, EDGE_EFAIL, "%s: key id: %s", key->where,
		    gnutls_strerror(g));
	memcpy(key->id, "sha256:", 8);
	for (i = 0; i < idlen && 7 + 2 * i + 2 < sizeof(key->id); i++)
		sprintf(key->id + 7 + 2 * i, "%02x", id[i]);
	return EDGE_OK;
}

static int
key_new(const char *where, struct edge_key **out, struct edge_error *err)
{
	struct edge_key *key;

	if ((key = calloc(1, sizeof(*key))) == NULL ||
	    (key->where = strdup(where)) == NULL ||
	    gnutls_privkey_init(&key->priv) < 0 ||
	    gnutls_pubkey_init(&key->pub) < 0) {
		edge_key_free(&key);
		return edge_err(err, EDGE_EFAIL, "out of memory");
	}
	*out = key;
	return EDGE_OK;
}

/* Say what a PEM file holds instead of a key, if it is something else. */
static const char *
not_a_key(const char *pem)
{
	if (strstr(pem, "-----BEGIN") == NULL)
		return "not a PEM file";
	if (strstr(pem, "ENCRYPTED") != NULL)
		return "encrypted private keys are not supported";
	if (strstr(pem, "PRIVATE KEY-----") == NULL) {
		if (strstr(pem, "CERTIFICATE REQUEST-----") != NULL)
			return "holds a certificate request, not a private key";
		if (strstr(pem, "CERTIFICATE-----") != NULL)
			return "holds a certificate, not a private key";
		if (strstr(pem, "PUBLIC KEY-----") != NULL)
			return "holds a public key, not a private key";
		return "no private key in this PEM file";
	}
	return NULL;
}

int
edge_key_from_pem(const char *pem, size_t len, const char *where,
    struct edge_key **out, struct edge_error *err)
{
	gnutls_x509_privkey_t x = NULL;
	gnutls_datum_t d = { (unsigned char *)pem, (unsigned)len };
	struct edge_key *key = NULL;
	const char *why;
	int g, rc;

	*out = NULL;
	if ((why = not_a_key(pem)) != NULL)
		return edge_err(err, EDGE_EINPUT, "%s: %s", where, why);
	if ((rc = key_new(where, &key, err)) != EDGE_OK)
		return rc;
	if ((g = gnutls_x509_privkey_init(&x)) < 0 ||
	    (g = gnutls_x509_privkey_import2(x, &d, GNUTLS_X509_FMT_PEM, NULL,
	    GNUTLS_PKCS_PLAIN)) < 0) {
		rc = edge_err(err, EDGE_EINPUT, "%s: not a valid private key (%s)",
		    where, gnutls_strerror(g));
		goto fail;
	}
	if ((g = gnutls_x509_privkey_verify_params(x)) < 0) {
		rc = edge_err(err, EDGE_EINPUT, "%s: inconsistent key (%s)", where,
		    gnutls_strerror(g));
		goto fail;
	}
	if ((g = gnutls_privkey_import_x509(key->priv, x,
	    GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE)) < 0) {
		rc = edge_err(err, EDGE_EINPUT, "%s: %s", where,
		    gnutls_strerror(g));
		goto fail;
	}
	x = NULL;	/* owned by key->priv now */
	if ((g = gnutls_pubkey_import_privkey(key->pub, key->priv, 0, 0)) < 0) {
		rc = edge_err(err, EDGE_EINPUT, "%s: %s", where,
		    gnutls_strerror(g));
		goto fail;
	}
	if ((rc = describe(key, err)) != EDGE_OK)
		goto fail;
	*out = key;
	edge_secret_wipe_registers();	/* memcpy's leftover key bytes */
	return EDGE_OK;
fail:
	gnutls_x509_privkey_deinit(x);
	edge_key_free(&key);
	edge_secret_wipe_registers();
	return rc;
}

static int
key_from_uri(const char *uri, struct edge_key **out,
    struct edge_error *err)
{
	gnutls_pkcs11_obj_t *objs = NULL;
	struct edge_key *key = NULL;
	char *url = NULL, *token = NULL;
	unsigned n = 0, i;
	int g, rc;

	*out = NULL;
	/* Names the token problem (none, several, pin-value) precisely. */
	if ((rc = edge_p11_find_token(uri, &token, NULL, err)) != EDGE_OK)
		return rc;
	free(token);
	g = gnutls_pkcs11_obj_list_import_url4(&objs, &n, uri,
	    GNUTLS_PKCS11_OBJ_FLAG_PRIVKEY | GNUTLS_PKCS11_OBJ_FLAG_LOGIN);
	if (g < 0 && g != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
		rc = edge_p11_error(err, g, uri);
		goto out;
	}
	if (n == 0) {
		rc = edge_err(err, EDGE_ESTORE, "%s: no private key matches", uri);
		goto out;
	}
	if (n > 1) {
		rc = edge_err(err, EDGE_ESTORE,
		    "%s: %u private keys match; name one with object= or id=",
		    uri, n);
		goto out;
	}
	if ((g = gnutls_pkcs11_obj_export_url(objs[0], GNUTLS_PKCS11_URL_GENERIC,
	    &url)) < 0) {
		rc = edge_p11_error(err, g, uri);
		goto out;
	}
	if ((rc = key_new(uri, &key, err)) != EDGE_OK)
		goto out;
	key->token = true;
	if ((g = gnutls_privkey_import_url(key->priv, url, 0)) < 0 ||
	    (g = gnutls_pubkey_import_privkey(key->pub, key->priv, 0, 0)) < 0) {
		rc = edge_p11_error(err, g, uri);
		goto out;
	}
	if ((rc = describe(key, err)) != EDGE_OK)
		goto out;
	*out = key;
	key = NULL;
	rc = EDGE_OK;
out:
	for (i = 0; i < n; i++)
		gnutls_pkcs11_obj_deinit(objs[i]);
	gnutls_free(objs);
	gnutls_free(url);
	edge_key_free(&key);
	return rc;
}

int
edge_key_from_uri(const char *uri, struct edge_key **out,
    struct edge_error *err)
{
	int rc;

	edge_p11_quiet(true);
	rc = key_from_uri(uri, out, err);
	edge_p11_quiet(false);
	return rc;
}

/* The PEM blocks in data: "-----BEGIN " lines. */
static unsigned
pem_blocks(const char *data, size_t len)
{
	static const char begin[] = "-----BEGIN ";
	const char *p = data, *q;
	unsigned n = 0;

	while ((q = memmem(p, len - (size_t)(p - data), begin,
	    sizeof(begin) - 1)) != NULL) {
		if (q == data || q[-1] == '\n')
			n++;
		p = q + sizeof(begin) - 1;
	}
	return n;
}

/*
 * A PEM key file (at most EDGE_KEY_PEM_MAX bytes), wiped once parsed.  It
 * holds one PEM block: with a second key, or a certificate before the key,
 * which key is used would depend on the parser (GnuTLS and OpenSSL take the
 * first key).  The block may be PKCS#8 or the traditional RSA/EC form.
 */
static int
pem_file(int dirfd, const char *name, struct edge_key **key,
    struct edge_error *err)
{
	char *data = NULL;
	size_t len = 0;
	unsigned n;
	int rc;

	if ((rc = edge_file_read(dirfd, name, EDGE_KEY_PEM_MAX, &data, &len,
	    err)) != EDGE_OK)
		return rc;
	if ((n = pem_blocks(data, len)) > 1)
		rc = edge_err(err, EDGE_EINPUT,
		    "%s: holds %u PEM blocks; expected one private key", name, n);
	else
		rc = edge_key_from_pem(data, len, name, key, err);
	edge_file_free_private(&data, len);
	return rc;
}

/*
 * key.uri: one line.  Trailing blanks and the line end are trimmed (the GnuTLS
 * path did; the OpenSSL path cut at the first newline instead); a second
 * line or a control character left inside is refused, as is a URI that
 * would not parse or holds a pin-value (the GnuTLS path's checks, now made
 * for the OpenSSL path too).
 */
static int
read_key_uri(int dirfd, char **uri, struct edge_error *err)
{
	char *data = NULL;
	size_t len = 0, i;
	int rc;

	if ((rc = edge_file_read(dirfd, EDGE_KEY_URI, EDGE_KEY_URI_MAX, &data,
	    &len, err)) != EDGE_OK)
		return rc;
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r' ||
	    data[len - 1] == ' ' || data[len - 1] == '\t'))
		data[--len] = '\0';
	for (i = 0; i < len; i++)
		if ((unsigned char)data[i] < 0x20 || data[i] == 0x7f) {
			free(data);
			return edge_err(err, EDGE_EINPUT,
			    EDGE_KEY_URI ": not one pkcs11: URI on one line");
		}
	/* The file's content is input, not a usage error (exit 3, not 2). */
	if ((rc = edge_p11_check_uri(data, EDGE_KEY_URI, err)) != EDGE_OK) {
		free(data);
		return rc;
	}
	*uri = data;
	return EDGE_OK;
}

int
edge_key_locate(int dirfd, char **uri, struct edge_key **key,
    struct edge_error *err)
{
	*uri = NULL;
	*key = NULL;
	if (edge_file_exists(dirfd, EDGE_KEY_URI))
		return read_key_uri(dirfd, uri, err);
	if (!edge_file_exists(dirfd, EDGE_KEY_PEM))
		return edge_err(err, EDGE_EINPUT,
		    "no key in the state directory (" EDGE_KEY_PEM " or "
		    EDGE_KEY_URI "); run %s first",
		    edge_state_maker(EDGE_KEY_PEM));
	return pem_file(dirfd, EDGE_KEY_PEM, key, err);
}

int
edge_key_load_state(int dirfd, struct edge_key **key, struct edge_error *err)
{
	char *uri = NULL;
	int rc = edge_key_locate(dirfd, &uri, key, err);

	if (rc == EDGE_OK && uri != NULL) {
		rc = edge_key_from_uri(uri, key, err);
		free(uri);
	}
	return rc;
}

bool
edge_key_state_in_token(int dirfd)
{
	return edge_file_exists(dirfd, EDGE_KEY_URI);
}

int
edge_key_load(const char *name, struct edge_key **key, struct edge_error *err)
{
	if (edge_p11_is_uri(name))
		return edge_key_from_uri(name, key, err);
	if (strcmp(name, "-") == 0)
		return edge_err(err, EDGE_EUSAGE,
		    "private keys are not read from standard input");
	return pem_file(AT_FDCWD, name, key, err);
}

int
edge_key_from_pubkey(gnutls_pubkey_t pub, const char *where, bool token,
    struct edge_key **out, struct edge_error *err)
{
	struct edge_key *key;
	gnutls_datum_t der = { NULL, 0 };
	int g, rc;

	*out = NULL;
	if ((key = calloc(1, sizeof(*key))) == NULL ||
	    (key->where = strdup(where)) == NULL ||
	    gnutls_pubkey_init(&key->pub) < 0) {
		edge_key_free(&key);
		return edge_err(err, EDGE_EFAIL, "out of memory");
	}
	key->token = token;
	if ((g = gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &der)) < 0 ||
	    (g = gnutls_pubkey_import(key->pub, &der, GNUTLS_X509_FMT_DER)) < 0) {
		rc = edge_err(err, EDGE_EINPUT, "%s: %s", where,
		    gnutls_strerror(g));
		goto fail;
	}
	if ((rc = describe(key, err)) != EDGE_OK)
		goto fail;
	gnutls_free(der.data);
	*out = key;
	return EDGE_OK;
fail:
	gnutls_free(der.data);
	edge_key_free(&key);
	return rc;
}

void
edge_key_describe(const struct edge_key *key, char *buf, size_t len)
{
	if (key->type == EDGE_KEY_RSA)
		snprintf(buf, len, "RSA-%u", key->bits);
	else
		snprintf(buf, len, "EC %s", key->curve[0] ? key->curve : "?");
}

int
edge_key_check(const struct edge_key *key, const enum edge_key_type *want,
    struct edge_error *err)
{
	char found[32];
	bool rsa_ok = key->type == EDGE_KEY_RSA && key->bits >= 2048;
	bool ec_ok = key->type == EDGE_KEY_EC && strcmp(key->curve, "P-256") == 0;

	edge_key_describe(key, found, sizeof(found));
	if (want != NULL && *want == EDGE_KEY_EC && !ec_ok)
		return edge_err(err, EDGE_EINPUT, "%s: not an EC P-256 key (found %s)",
		    key->where, found);
	if ((want != NULL && *want == EDGE_KEY_RSA && !rsa_ok) ||
	    (!rsa_ok && !ec_ok))
		return edge_err(err, EDGE_EINPUT,
		    "%s: not an RSA-2048 key (found %s)", key->where, found);
	return EDGE_OK;
}

bool
edge_key_pub_equal(gnutls_pubkey_t a, gnutls_pubkey_t b)
{
	unsigned char ia[64], ib[64];
	size_t la = sizeof(ia), lb = sizeof(ib);

	if (gnutls_pubkey_get_key_id(a, GNUTLS_KEYID_USE_SHA256, ia, &la) < 0 ||
	    gnutls_pubkey_get_key_id(b, GNUTLS_KEYID_USE_SHA256, ib, &lb) < 0)
		return false;
	return la == lb && memcmp(ia, ib, la) == 0;
}

void
edge_key_free(struct edge_key **key)
{
	if (key == NULL || *key == NULL)
		return;
	if ((*key)->priv != NULL)
		gnutls_privkey_deinit((*key)->priv);
	if ((*key)->pub != NULL)
		gnutls_pubkey_deinit((*key)->pub);
	free((*key)->where);
	free(*key);
	*key = NULL;
}
