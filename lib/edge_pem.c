/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "edge_pem.h"

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

bool
edge_pem_has(const void *buf, size_t len, const char *label)
{
	char begin[96];
	int n = snprintf(begin, sizeof(begin), "-----BEGIN %s-----", label);

	return n > 0 && memmem(buf, len, begin, (size_t)n) != NULL;
}

/* Decoding table: 0..63, or 64 for white space, 65 for anything else. */
static unsigned char b64dec[256];

static void
b64init(void)
{
	int i;

	if (b64dec['A'] == 0 && b64dec['B'] == 1)
		return;
	memset(b64dec, 65, sizeof(b64dec));
	for (i = 0; i < 64; i++)
		b64dec[(unsigned char)b64[i]] = (unsigned char)i;
	b64dec['\n'] = b64dec['\r'] = b64dec[' '] = b64dec['\t'] = 64;
}

int
edge_pem_decode_inplace(unsigned char *buf, size_t len, const char *label,
    size_t *der_len, struct edge_error *err)
{
	char begin[96], end[96];
	unsigned char *p, *stop, *out = buf;
	unsigned acc = 0, bits = 0, pad = 0;
	int nb = snprintf(begin, sizeof(begin), "-----BEGIN %s-----", label);
	int ne = snprintf(end, sizeof(end), "-----END %s-----", label);

	p = memmem(buf, len, begin, (size_t)nb);
	if (p == NULL)
		return edge_err(err, EDGE_EINPUT, "no %s PEM block", label);
	p += nb;
	stop = memmem(p, len - (size_t)(p - buf), end, (size_t)ne);
	if (stop == NULL)
		return edge_err(err, EDGE_EINPUT, "%s PEM block has no end line (truncated)",
		    label);
	b64init();
	for (; p < stop; p++) {
		unsigned v = b64dec[*p];

		if (v == 64)
			continue;
		if (*p == '=') {
			pad++;
			continue;
		}
		if (pad > 0 || v > 63)
			return edge_err(err, EDGE_EINPUT, "%s PEM block: bad base64",
			    label);
		acc = acc << 6 | v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			*out++ = (unsigned char)(acc >> bits);
		}
	}
	if (pad > 2 || bits >= 6)
		return edge_err(err, EDGE_EINPUT, "%s PEM block: bad base64", label);
	*der_len = (size_t)(out - buf);
	return EDGE_OK;
}

int
edge_pem_write(struct edge_atomic *a, const char *label,
    const unsigned char *der, size_t len, struct edge_error *err)
{
	char line[128], chunk[65 * 256];
	size_t i = 0, n = 0;
	int rc, w;

	w = snprintf(line, sizeof(line), "-----BEGIN %s-----\n", label);
	if ((rc = edge_file_atomic_write(a, line, (size_t)w, err)) != EDGE_OK)
		return rc;
	while (i < len) {
		size_t take = len - i < 48 ? len - i : 48, j;

		/* One line: 48 bytes make 64 characters. */
		for (j = 0; j < take; j += 3) {
			unsigned v = (unsigned)der[i + j] << 16;
			size_t rest = take - j;

			if (rest > 1)
				v |= (unsigned)der[i + j + 1] << 8;
			if (rest > 2)
				v |= der[i + j + 2];
			chunk[n++] = b64[v >> 18 & 63];
			chunk[n++] = b64[v >> 12 & 63];
			chunk[n++] = (char)(rest > 1 ? b64[v >> 6 & 63] : '=');
			chunk[n++] = (char)(rest > 2 ? b64[v & 63] : '=');
		}
		chunk[n++] = '\n';
		i += take;
		if (n > sizeof(chunk) - 70 || i == len) {
			if ((rc = edge_file_atomic_write(a, chunk, n, err)) != EDGE_OK)
				return rc;
			n = 0;
		}
	}
	w = snprintf(line, sizeof(line), "-----END %s-----\n", label);
	return edge_file_atomic_write(a, line, (size_t)w, err);
}
