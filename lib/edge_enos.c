/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>

#include "edge_enos.h"

/* A growable byte buffer; only this file needs one. */
struct buf {
	unsigned char *p;
	size_t len, cap;
	bool failed;
};

static void
buf_add(struct buf *b, const void *data, size_t len)
{
	if (b->failed || len == 0)
		return;
	if (b->len + len < b->len) {
		b->failed = true;
		return;
	}
	if (b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		unsigned char *np;

		while (cap < b->len + len)
			cap *= 2;
		np = realloc(b->p, cap);
		if (np == NULL) {
			b->failed = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
}

static void
buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static void
buf_free(struct buf *b)
{
	/* The buffer holds the app or device secret. */
	if (b->p != NULL)
		explicit_bzero(b->p, b->cap);
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

static void
to_hex(const unsigned char *d, size_t n, bool upper, char *out)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 0xf];
	}
	out[2 * n] = '\0';
}

/* Hash b with alg and write hex into out (outlen bytes, NUL included). */
static int
digest_hex(gnutls_digest_algorithm_t alg, struct buf *b, bool upper,
    char *out, size_t outlen)
{
	unsigned char md[64];
	size_t n = gnutls_hash_get_len(alg);
	int rc = EDGE_EFAIL;

	if (b->failed || n == 0 || n > sizeof(md))
		goto out;
	if (outlen < 2 * n + 1) {
		rc = EDGE_EINPUT;
		goto out;
	}
	if (gnutls_hash_fast(alg, b->p ? (const void *)b->p : "", b->len,
	    md) < 0)
		goto out;
	to_hex(md, n, upper, out);
	rc = EDGE_OK;
out:
	explicit_bzero(md, sizeof(md));
	buf_free(b);
	return rc;
}

int
edge_enos_token_encryption(const char *app_key, const char *timestamp_ms,
    const char *app_secret, char out[EDGE_ENOS_HEX256])
{
	struct buf b = { 0 };

	if (app_key == NULL || timestamp_ms == NULL || app_secret == NULL ||
	    out == NULL)
		return EDGE_EINPUT;
	buf_str(&b, app_key);
	buf_str(&b, timestamp_ms);
	buf_str(&b, app_secret);
	return digest_hex(GNUTLS_DIG_SHA256, &b, false, out, EDGE_ENOS_HEX256);
}

static int
cmp_param(const void *a, const void *b)
{
	const struct edge_enos_param *const *pa = a, *const *pb = b;
	int c = strcmp((*pa)->name, (*pb)->name);

	/* qsort is not stable: fall back to the original position. */
	if (c != 0)
		return c;
	return *pa < *pb ? -1 : *pa > *pb;
}

int
edge_enos_api_signature(const char *token,
    const struct edge_enos_param *params, size_t nparams,
    const void *body, size_t body_len, const char *timestamp_ms,
    const char *app_secret, char out[EDGE_ENOS_HEX256])
{
	const struct edge_enos_param **sorted = NULL;
	struct buf b = { 0 };
	size_t i;
	int rc;

	if (token == NULL || timestamp_ms == NULL || app_secret == NULL ||
	    out == NULL || (nparams > 0 && params == NULL) ||
	    (body_len > 0 && body == NULL))
		return EDGE_EINPUT;
	for (i = 0; i < nparams; i++)
		if (params[i].name == NULL || params[i].value == NULL)
			return EDGE_EINPUT;
	if (nparams > 0) {
		sorted = calloc(nparams, sizeof(*sorted));
		if (sorted == NULL)
			return EDGE_EFAIL;
		for (i = 0; i < nparams; i++)
			sorted[i] = &params[i];
		qsort(sorted, nparams, sizeof(*sorted), cmp_param);
	}
	buf_str(&b, token);
	for (i = 0; i < nparams; i++) {
		buf_str(&b, sorted[i]->name);
		buf_str(&b, sorted[i]->value);
	}
	buf_add(&b, body, body_len);
	buf_str(&b, timestamp_ms);
	buf_str(&b, app_secret);
	rc = digest_hex(GNUTLS_DIG_SHA256, &b, false, out, EDGE_ENOS_HEX256);
	free(sorted);
	return rc;
}

static const struct {
	const char *name;
	gnutls_digest_algorithm_t alg;
} methods[] = {
	{ "sha256", GNUTLS_DIG_SHA256 }, { "hmacsha256", GNUTLS_DIG_SHA256 },
	{ "sha1", GNUTLS_DIG_SHA1 }, { "hmacsha1", GNUTLS_DIG_SHA1 },
	{ "md5", GNUTLS_DIG_MD5 }, { "hmacmd5", GNUTLS_DIG_MD5 },
};

int
edge_enos_mqtt_password(const char *signmethod, const char *client_id,
    const char *device_key, const char *product_key, const char *timestamp,
    const char *secret, bool uppercase, char *out, size_t outlen)
{
	gnutls_digest_algorithm_t alg = GNUTLS_DIG_UNKNOWN;
	struct buf b = { 0 };
	size_t i;

	if (signmethod == NULL || client_id == NULL || device_key == NULL ||
	    product_key == NULL || timestamp == NULL || secret == NULL ||
	    out == NULL)
		return EDGE_EINPUT;
	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcasecmp(signmethod, methods[i].name) == 0)
			alg = methods[i].alg;
	if (alg == GNUTLS_DIG_UNKNOWN)
		return EDGE_EINPUT;
	/* The four names in ASCII order, each followed by its value. */
	buf_str(&b, "clientId");
	buf_str(&b, client_id);
	buf_str(&b, "deviceKey");
	buf_str(&b, device_key);
	buf_str(&b, "productKey");
	buf_str(&b, product_key);
	buf_str(&b, "timestamp");
	buf_str(&b, timestamp);
	buf_str(&b, secret);
	return digest_hex(alg, &b, uppercase, out, outlen);
}

static unsigned char
lower(unsigned char c)
{
	/* Branch-free ASCII tolower: only 'A'..'Z' change. */
	unsigned char is_upper = (unsigned char)(((unsigned)(c - 'A') <= 25u));

	return (unsigned char)(c | (is_upper << 5));
}

bool
edge_enos_hex_equal(const char *a, const char *b)
{
	size_t la, lb, i;
	unsigned char diff = 0;

	if (a == NULL || b == NULL)
		return false;
	la = strlen(a);
	lb = strlen(b);
	if (la != lb || la == 0)
		return false;
	for (i = 0; i < la; i++)
		diff |= (unsigned char)(lower((unsigned char)a[i]) ^
		    lower((unsigned char)b[i]));
	return diff == 0;
}
