/* SPDX-License-Identifier: MIT */
/*
 * The edge key as an OpenSSL EVP_PKEY.  A token key is opened, as the
 * Makefile chose when it probed the build machine (EDGE_P11_PROVIDER):
 * through pkcs11-provider and the OpenSSL 3 STORE API (OpenSSL >= 3.2:
 * Debian 13), else through the pkcs11 ENGINE of libp11 (Debian 12's OpenSSL
 * 3.0).  The ENGINE API is deprecated in OpenSSL 3; the Makefile allows it
 * for this object (and edge_tls.o) only, and it is confined to token_key().
 *
 * key.pem is parsed by GnuTLS (edge_key_locate), not by OpenSSL's PEM/DER
 * decoders: those free copies of the key's DER without cleansing them
 * (PEM_read_bio_ex's base64 output, asn1_d2i_read_bio's buffer in the der2key
 * decoder), and nothing outside OpenSSL can reach them.  GnuTLS wipes what
 * it decodes; its numbers go to OpenSSL through secure BIGNUMs and a secure
 * parameter block, which OpenSSL cleanses when it frees them even without a
 * secure heap.
 */
#define _GNU_SOURCE
#ifndef EDGE_P11_PROVIDER
#define EDGE_P11_PROVIDER	0
#endif
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#if EDGE_P11_PROVIDER
#include <openssl/provider.h>
#include <openssl/store.h>
#include <openssl/ui.h>
#else
#include <openssl/engine.h>
#endif
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>

#include "edge_key.h"
#include "edge_p11.h"
#include "edge_secret.h"
#include "edge_sslkey.h"

#ifndef EDGE_P11_PROXY
#define EDGE_P11_PROXY	"p11-kit-proxy.so"
#endif

void
edge_sslkey_last_error(char *buf, size_t len)
{
	unsigned long e = ERR_get_error();

	if (e == 0)
		snprintf(buf, len, "unknown error");
	else
		ERR_error_string_n(e, buf, len);
	ERR_clear_error();
}

/*
 * uri without the module-path and module-name query attributes (RFC 7512),
 * which edge-keygen writes for our GnuTLS side (edge_p11.c loads that module
 * only): libp11 reads them as part of the key's id ("invalid id"), and the
 * OpenSSL side reaches the module through p11-kit-proxy, which shares the
 * module with GnuTLS in this process.  Caller frees the copy.
 */
static char *
without_module(const char *uri)
{
	const char *q = strchr(uri, '?'), *a, *end;
	size_t n = strlen(uri);
	char *copy, *w, sep = '?';

	if ((copy = malloc(n + 1)) == NULL)
		return NULL;
	if (q == NULL)
		return memcpy(copy, uri, n + 1);
	memcpy(copy, uri, (size_t)(q - uri));
	w = copy + (q - uri);
	for (a = q + 1; *a != '\0'; a = *end ? end + 1 : end) {
		end = a + strcspn(a, "&");
		if (strncmp(a, "module-path=", 12) == 0 ||
		    strncmp(a, "module-name=", 12) == 0 || end == a)
			continue;
		*w++ = sep;
		sep = '&';
		memcpy(w, a, (size_t)(end - a));
		w += end - a;
	}
	*w = '\0';
	return copy;
}

#if EDGE_P11_PROVIDER
/* The PIN, for pkcs11-provider's login (the store's passphrase callback). */
static int
pin_cb(char *buf, int size, int rwflag, void *u)
{
	const struct edge_secret *pin = u;
	size_t n;

	(void)rwflag;
	if (pin == NULL || size <= 0)
		return -1;
	n = pin->len;
	if (n >= (size_t)size)
		return -1;
	memcpy(buf, pin->data, n);
	return (int)n;
}

/*
 * The URI for pkcs11-provider: without the token description attributes
 * (model, manufacturer) whose value holds a NUL (%00), which it refuses to
 * parse.  tpm2-pkcs11 pads its token model with NULs ("SW   TPM" and eight
 * of them), and GnuTLS writes them into key.uri as they are; the token
 * label and serial still name the token.  Never the key's own attributes:
 * id is binary (edge-keygen's 16 random bytes hold a 00 in one key of 16),
 * and a URI without it names every key of that label.  Caller frees the copy.
 */
static char *
provider_uri(const char *uri)
{
	size_t len = strlen(uri), plen;
	char *copy, *path, *w, *attr, *save = NULL;
	const char *q;

	if (strncmp(uri, "pkcs11:", 7) != 0)
		return strdup(uri);
	q = strchr(uri + 7, '?');
	plen = q != NULL ? (size_t)(q - (uri + 7)) : len - 7;
	if ((copy = malloc(len + 1)) == NULL ||
	    (path = strndup(uri + 7, plen)) == NULL) {
		free(copy);
		return NULL;
	}
	memcpy(copy, "pkcs11:", 7);
	w = copy + 7;
	for (attr = strtok_r(path, ";", &save); attr != NULL;
	    attr = strtok_r(NULL, ";", &save)) {
		if ((strncmp(attr, "model=", 6) == 0 ||
		    strncmp(attr, "manufacturer=", 13) == 0) &&
		    strstr(attr, "%00") != NULL)
			continue;
		if (w != copy + 7)
			*w++ = ';';
		memcpy(w, attr, strlen(attr));
		w += strlen(attr);
	}
	free(path);
	/* The query, if any, and the NUL: fits, as copy is len + 1. */
	memcpy(w, uri + 7 + plen, len - 7 - plen + 1);
	return copy;
}

static int
token_key(const char *uri, const struct edge_secret *pin, EVP_PKEY **out,
    struct edge_error *err)
{
	static OSSL_PROVIDER *p11;	/* kept for the process: keys refer to it */
	char why[256];
	OSSL_STORE_CTX *store;
	UI_METHOD *ui = NULL;
	EVP_PKEY *pkey = NULL;
	char *puri, *plain;

	*out = NULL;
	if (p11 == NULL) {
		OSSL_PARAM params[] = {
			OSSL_PARAM_utf8_string("pkcs11-module-path",
			    (char *)EDGE_P11_PROXY, 0),
			OSSL_PARAM_END
		};

		edge_p11_quiet_modules();
		/* Loading one provider by hand ends the implicit default. */
		if (OSSL_PROVIDER_load(NULL, "default") == NULL ||
		    (p11 = OSSL_PROVIDER_load_ex(NULL, "pkcs11", params)) == NULL) {
			edge_sslkey_last_error(why, sizeof(why));
			return edge_err(err, EDGE_ESTORE,
			    "OpenSSL pkcs11 provider with %s not available (install pkcs11-provider): %s",
			    EDGE_P11_PROXY, why);
		}
	}
	if (pin != NULL &&
	    (ui = UI_UTIL_wrap_read_pem_callback(pin_cb, 0)) == NULL) {
		edge_sslkey_last_error(why, sizeof(why));
		return edge_err(err, EDGE_ESTORE, "pkcs11 provider: PIN: %s", why);
	}
	if ((plain = without_module(uri)) == NULL ||
	    (puri = provider_uri(plain)) == NULL) {
		free(plain);
		UI_destroy_method(ui);
		return edge_err(err, EDGE_ESTORE, "pkcs11 provider: out of memory");
	}
	store = OSSL_STORE_open_ex(puri, NULL, "provider=pkcs11", ui,
	    (void *)pin, NULL, NULL, NULL);
	free(puri);
	free(plain);
	if (store != NULL && OSSL_STORE_expect(store, OSSL_STORE_INFO_PKEY)) {
		while (pkey == NULL && !OSSL_STORE_eof(store)) {
			OSSL_STORE_INFO *info = OSSL_STORE_load(store);

			if (info == NULL)
				break;
			if (OSSL_STORE_INFO_get_type(info) == OSSL_STORE_INFO_PKEY)
				pkey = OSSL_STORE_INFO_get1_PKEY(info);
			OSSL_STORE_INFO_free(info);
		}
	}
	if (pkey == NULL)
		edge_sslkey_last_error(why, sizeof(why));
	OSSL_STORE_close(store);
	UI_destroy_method(ui);
	if (pkey == NULL)
		return edge_err(err, EDGE_ESTORE,
		    "%s: cannot open the token key (wrong PIN or no such key?): %s",
		    EDGE_KEY_URI, why);
	ERR_clear_error();
	*out = pkey;
	return EDGE_OK;
}
#else
static int
token_key(const char *uri, const struct edge_secret *pin, EVP_PKEY **out,
    struct edge_error *err)
{
	static ENGINE *engine;	/* kept for the process: keys refer to it */
	char why[256], *plain;
	EVP_PKEY *pkey;

	*out = NULL;
	if (engine == NULL) {
		ENGINE *e;

		edge_p11_quiet_modules();
		ENGINE_load_builtin_engines();
		if ((e = ENGINE_by_id("pkcs11")) == NULL) {
			edge_sslkey_last_error(why, sizeof(why));
			return edge_err(err, EDGE_ESTORE,
			    "OpenSSL pkcs11 engine not available (install libengine-pkcs11-openssl): %s",
			    why);
		}
		if (!ENGINE_ctrl_cmd_string(e, "MODULE_PATH", EDGE_P11_PROXY, 0) ||
		    !ENGINE_init(e)) {
			edge_sslkey_last_error(why, sizeof(why));
			ENGINE_free(e);
			return edge_err(err, EDGE_ESTORE,
			    "pkcs11 engine with %s: %s", EDGE_P11_PROXY, why);
		}
		ENGINE_free(e);		/* the functional reference stays */
		engine = e;
	}
	if (pin != NULL && !ENGINE_ctrl_cmd_string(engine, "PIN", pin->data, 0)) {
		edge_sslkey_last_error(why, sizeof(why));
		return edge_err(err, EDGE_ESTORE, "pkcs11 engine: PIN: %s", why);
	}
	if ((plain = without_module(uri)) == NULL)
		return edge_err(err, EDGE_ESTORE, "pkcs11 engine: out of memory");
	pkey = ENGINE_load_private_key(engine, plain, NULL, NULL);
	free(plain);
	if (pkey == NULL) {
		edge_sslkey_last_error(why, sizeof(why));
		return edge_err(err, EDGE_ESTORE,
		    "%s: cannot open the token key (wrong PIN or no such key?): %s",
		    EDGE_KEY_URI, why);
	}
	*out = pkey;
	return EDGE_OK;
}
#endif

int
edge_sslkey_token(const char *uri, const struct edge_secret *pin,
    EVP_PKEY **out, struct edge_error *err)
{
	int rc;

	/* libp11 and token modules print to stderr; their errors reach the queue. */
	edge_p11_quiet(true);
	rc = token_key(uri, pin, out, err);
	edge_p11_quiet(false);
	return rc;
}

/* Wipe and release a number GnuTLS exported. */
static void
datum_wipe(gnutls_datum_t *d)
{
	if (d->data != NULL) {
		gnutls_memset(d->data, 0, d->size);
		gnutls_free(d->data);
		edge_secret_wipe_registers();	/* memcpy's leftovers */
	}
	d->data = NULL;
	d->size = 0;
}

/*
 * Push a number (big-endian, as GnuTLS exports it) as a secure BIGNUM: its
 * limbs, and the parameter block OSSL_PARAM_BLD_to_param copies it into, are
 * then secure allocations, cleansed when freed.  *bn stays the caller's to
 * BN_clear_free after the parameters are built.
 */
static bool
push_secret(OSSL_PARAM_BLD *bld, const char *name, const gnutls_datum_t *d,
    BIGNUM **bn)
{
	return (*bn = BN_secure_new()) != NULL &&
	    BN_bin2bn(d->data, (int)d->size, *bn) != NULL &&
	    OSSL_PARAM_BLD_push_BN(bld, name, *bn) == 1;
}

/* Build the EVP_PKEY of algorithm type from the pushed parameters. */
static int
key_fromdata(const char *where, const char *type, OSSL_PARAM_BLD *bld,
    EVP_PKEY **out, struct edge_error *err)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	char why[256];
	int rc = EDGE_OK;

	if (params == NULL || pctx == NULL ||
	    EVP_PKEY_fromdata_init(pctx) != 1 ||
	    EVP_PKEY_fromdata(pctx, out, EVP_PKEY_KEYPAIR, params) != 1) {
		edge_sslkey_last_error(why, sizeof(why));
		rc = edge_err(err, EDGE_EINPUT,
		    "%s: not a usable %s key: %s", where, type, why);
	}
	EVP_PKEY_CTX_free(pctx);
	OSSL_PARAM_free(params);	/* the secure part is cleansed */
	return rc;
}

/*
 * RSA: GnuTLS's u is the PKCS#1 coefficient q^-1 mod p (nettle's c), which is
 * OpenSSL's OSSL_PKEY_PARAM_RSA_COEFFICIENT1 (iqmp): no conversion.
 */
static int
rsa_key(const struct edge_key *key, EVP_PKEY **out, struct edge_error *err)
{
	static const char *const names[8] = {
		OSSL_PKEY_PARAM_RSA_N, OSSL_PKEY_PARAM_RSA_E,
		OSSL_PKEY_PARAM_RSA_D, OSSL_PKEY_PARAM_RSA_FACTOR1,
		OSSL_PKEY_PARAM_RSA_FACTOR2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
		OSSL_PKEY_PARAM_RSA_EXPONENT1, OSSL_PKEY_PARAM_RSA_EXPONENT2,
	};
	gnutls_datum_t v[8];	/* n e d p q u e1 e2, in names' order */
	BIGNUM *bn[8] = { NULL };
	OSSL_PARAM_BLD *bld = NULL;
	size_t i;
	int g, rc;

	memset(v, 0, sizeof(v));
	g = gnutls_privkey_export_rsa_raw2(key->priv, &v[0], &v[1], &v[2],
	    &v[3], &v[4], &v[5], &v[6], &v[7], 0);
	if (g < 0) {
		rc = edge_err(err, EDGE_EINPUT, "%s: %s", key->where,
		    gnutls_strerror(g));
		goto out;
	}
	if ((bld = OSSL_PARAM_BLD_new()) == NULL)
		goto oom;
	for (i = 0; i < 8; i++)
		if (!push_secret(bld, names[i], &v[i], &bn[i]))
			goto oom;
	rc = key_fromdata(key->where, "RSA", bld, out, err);
	goto out;
oom:
	ERR_clear_error();
	rc = edge_err(err, EDGE_EFAIL, "%s: out of memory", key->where);
out:
	OSSL_PARAM_BLD_free(bld);
	for (i = 0; i < 8; i++) {
		BN_clear_free(bn[i]);
		datum_wipe(&v[i]);
	}
	return rc;
}

/* Copy a big-endian number right-aligned into len bytes. */
static bool
put_fixed(unsigned char *dst, size_t len, const gnutls_datum_t *d)
{
	const unsigned char *p = d->data;
	size_t n = d->size;

	while (n > 0 && *p == 0) {
		p++;
		n--;
	}
	if (n > len)
		return false;
	memset(dst, 0, len - n);
	if (n > 0)
		memcpy(dst + len - n, p, n);
	return true;
}

/* EC (P-256, and P-384/P-521 should a gateway hold one). */
static int
ec_key(const struct edge_key *key, EVP_PKEY **out, struct edge_error *err)
{
	gnutls_datum_t px = { NULL, 0 }, py = { NULL, 0 }, k = { NULL, 0 };
	gnutls_ecc_curve_t curve;
	unsigned char point[1 + 2 * 66];	/* uncompressed: 04 || x || y */
	OSSL_PARAM_BLD *bld = NULL;
	BIGNUM *bn = NULL;
	size_t size;
	int g, nid, rc;

	if ((g = gnutls_privkey_export_ecc_raw2(key->priv, &curve, &px, &py, &k,
	    0)) < 0) {
		rc = edge_err(err, EDGE_EINPUT, "%s: %s", key->where,
		    gnutls_strerror(g));
		goto out;
	}
	switch (curve) {
	case GNUTLS_ECC_CURVE_SECP256R1:
		nid = NID_X9_62_prime256v1;
		break;
	case GNUTLS_ECC_CURVE_SECP384R1:
		nid = NID_secp384r1;
		break;
	case GNUTLS_ECC_CURVE_SECP521R1:
		nid = NID_secp521r1;
		break;
	default:
		rc = edge_err(err, EDGE_EINPUT,
		    "%s: unsupported curve %s (P-256 expected)", key->where,
		    gnutls_ecc_curve_get_name(curve));
		goto out;
	}
	size = (size_t)gnutls_ecc_curve_get_size(curve);
	point[0] = 0x04;
	if (size == 0 || 1 + 2 * size > sizeof(point) ||
	    !put_fixed(point + 1, size, &px) ||
	    !put_fixed(point + 1 + size, size, &py)) {
		rc = edge_err(err, EDGE_EINPUT, "%s: malformed EC public point",
		    key->where);
		goto out;
	}
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
	    OBJ_nid2sn(nid), 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
	    point, 1 + 2 * size) != 1 ||
	    !push_secret(bld, OSSL_PKEY_PARAM_PRIV_KEY, &k, &bn)) {
		ERR_clear_error();
		rc = edge_err(err, EDGE_EFAIL, "%s: out of memory", key->where);
		goto out;
	}
	rc = key_fromdata(key->where, "EC", bld, out, err);
out:
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(bn);
	datum_wipe(&k);
	datum_wipe(&px);
	datum_wipe(&py);
	return rc;
}

int
edge_sslkey_from_key(const struct edge_key *key, EVP_PKEY **out,
    struct edge_error *err)
{
	*out = NULL;
	if (key->token)
		return edge_err(err, EDGE_EFAIL,
		    "%s: a token key is opened by its URI", key->where);
	return key->type == EDGE_KEY_RSA ? rsa_key(key, out, err) :
	    ec_key(key, out, err);
}

int
edge_sslkey_load_state(int dirfd, const struct edge_secret *pin,
    EVP_PKEY **out, struct edge_error *err)
{
	struct edge_key *key = NULL;
	char *uri = NULL;
	int rc;

	*out = NULL;
	if ((rc = edge_key_locate(dirfd, &uri, &key, err)) != EDGE_OK)
		return rc;
	if (uri != NULL)
		rc = edge_sslkey_token(uri, pin, out, err);
	else
		rc = edge_sslkey_from_key(key, out, err);
	free(uri);
	edge_key_free(&key);	/* GnuTLS wipes its numbers */
	return rc;
}
