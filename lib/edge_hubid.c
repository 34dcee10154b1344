/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "edge_hubid.h"
#include "edge_x509.h"

#define PIN_PREFIX	"sha256//"

static bool
has_server_auth(gnutls_x509_crt_t crt)
{
	char oid[128];
	unsigned i;

	for (i = 0;; i++) {
		size_t size = sizeof(oid);
		int g = gnutls_x509_crt_get_key_purpose_oid(crt, i, oid, &size,
		    NULL);

		if (g == GNUTLS_E_SHORT_MEMORY_BUFFER)
			continue;	/* not serverAuth, whatever it is */
		if (g < 0)
			return false;
		if (strcmp(oid, GNUTLS_KP_TLS_WWW_SERVER) == 0)
			return true;
	}
}

/* OpenSSL's sslserver purpose: a keyUsage, if any, must allow one of these. */
static bool
key_usage_serves(gnutls_x509_crt_t crt)
{
	unsigned usage = 0, critical = 0;

	if (gnutls_x509_crt_get_key_usage(crt, &usage, &critical) ==
	    GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
		return true;
	return (usage & (GNUTLS_KEY_DIGITAL_SIGNATURE |
	    GNUTLS_KEY_KEY_ENCIPHERMENT | GNUTLS_KEY_KEY_AGREEMENT)) != 0;
}

/* RFC 6125: "*" stands for one whole left-most label, never an IP. */
static bool
dns_match(const char *pattern, size_t plen, const char *host)
{
	const char *dot;

	if (memchr(pattern, '\0', plen) != NULL)
		return false;	/* an embedded NUL hides another name */
	if (strlen(host) == plen && strncasecmp(pattern, host, plen) == 0)
		return true;
	if (plen < 3 || pattern[0] != '*' || pattern[1] != '.' ||
	    memchr(pattern + 2, '.', plen - 2) == NULL)
		return false;	/* "*.com" would name too much */
	dot = strchr(host, '.');
	return dot != NULL && dot != host && strlen(dot + 1) == plen - 2 &&
	    strncasecmp(dot + 1, pattern + 2, plen - 2) == 0;
}

static bool
cn_is(gnutls_x509_crt_t crt, const char *host)
{
	char cn[256];
	unsigned i;

	for (i = 0;; i++) {
		size_t size = sizeof(cn);

		if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME,
		    i, 0, cn, &size) < 0)
			return false;
		if (strcasecmp(cn, host) == 0)
			return true;
	}
}

static int
check_name(gnutls_x509_crt_t crt, const char *host, struct edge_error *err)
{
	unsigned char ip[16], san[512];
	bool is_ip4 = inet_pton(AF_INET, host, ip) == 1;
	bool is_ip = is_ip4 || inet_pton(AF_INET6, host, ip) == 1;
	bool as_dns = false;
	unsigned i;

	for (i = 0;; i++) {
		size_t size = sizeof(san);
		int type = gnutls_x509_crt_get_subject_alt_name(crt, i, san,
		    &size, NULL);

		if (type == GNUTLS_E_SHORT_MEMORY_BUFFER)
			continue;	/* longer than any name we match */
		if (type < 0)
			break;
		if (type == GNUTLS_SAN_IPADDRESS && is_ip &&
		    size == (is_ip4 ? 4u : 16u) && memcmp(san, ip, size) == 0)
			return EDGE_OK;
		if (type == GNUTLS_SAN_DNSNAME) {
			if (!is_ip && dns_match((char *)san, size, host))
				return EDGE_OK;
			if (is_ip && size == strlen(host) &&
			    memcmp(san, host, size) == 0)
				as_dns = true;
		}
	}
	if (as_dns)
		return edge_err(err, EDGE_ETRUST,
		    "hub certificate does not name %s (only as a dNSName; an address must be an iPAddress subjectAltName)",
		    host);
	if (cn_is(crt, host))
		return edge_err(err, EDGE_ETRUST,
		    "hub certificate names %s only in its CN, not in a subjectAltName",
		    host);
	return edge_err(err, EDGE_ETRUST, "hub certificate does not name %s",
	    host);
}

/*
 * The key's pin, "sha256//BASE64" of its SubjectPublicKeyInfo DER: GnuTLS's
 * key id is that hash (of the SPKI as GnuTLS encodes it, as libcurl does).
 */
static int
key_pin(gnutls_x509_crt_t crt, char *out, size_t outlen)
{
	unsigned char hash[32];
	size_t hlen = sizeof(hash);
	gnutls_datum_t h = { hash, sizeof(hash) }, b64 = { NULL, 0 };
	int g;

	if ((g = gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, hash,
	    &hlen)) >= 0 && (g = gnutls_base64_encode2(&h, &b64)) >= 0 &&
	    snprintf(out, outlen, PIN_PREFIX "%.*s", (int)b64.size,
	    (char *)b64.data) >= (int)outlen)
		g = GNUTLS_E_SHORT_MEMORY_BUFFER;
	gnutls_free(b64.data);
	return g < 0 ? g : 0;
}

static bool
pin_listed(const char *pins, const char *pin)
{
	size_t n = strlen(pin);
	const char *p = pins;

	while (*p != '\0') {
		size_t len = strcspn(p, ";");

		if (len == n && memcmp(p, pin, n) == 0)
			return true;
		p += len;
		p += *p == ';';
	}
	return false;
}

int
edge_hubid_pins_valid(const char *pins, struct edge_error *err)
{
	const char *p = pins;

	do {
		size_t len = strcspn(p, ";"), i;

		if (len != EDGE_HUBID_PIN_MAX - 1 ||
		    strncmp(p, PIN_PREFIX, strlen(PIN_PREFIX)) != 0 ||
		    p[len - 1] != '=')
			return edge_err(err, EDGE_EUSAGE,
			    "--hub-pin %s: expected sha256//BASE64 (44 characters of base64), several separated by ';'",
			    pins);
		for (i = strlen(PIN_PREFIX); i < len - 1; i++)
			if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
			    p[i]) == NULL)
				return edge_err(err, EDGE_EUSAGE,
				    "--hub-pin %s: not base64", pins);
		p += len;
	} while (*p++ == ';');
	return EDGE_OK;
}

static int
crt_import(gnutls_x509_crt_t *crt, const struct edge_der *der,
    struct edge_error *err)
{
	gnutls_datum_t d = { (unsigned char *)(uintptr_t)der->p,
	    (unsigned)der->len };
	int g;

	if ((g = gnutls_x509_crt_init(crt)) < 0)
		return edge_err(err, EDGE_EFAIL, "hub certificate: %s",
		    gnutls_strerror(g));
	if ((g = gnutls_x509_crt_import(*crt, &d, GNUTLS_X509_FMT_DER)) < 0) {
		gnutls_x509_crt_deinit(*crt);
		*crt = NULL;
		return edge_err(err, EDGE_EINPUT, "hub certificate: %s",
		    gnutls_strerror(g));
	}
	return EDGE_OK;
}

static int
check_leaf(gnutls_x509_crt_t crt, const char *host, const char *pins,
    struct edge_error *err)
{
	char pin[EDGE_HUBID_PIN_MAX + 8];
	int g, rc = EDGE_OK;

	if (!has_server_auth(crt))
		rc = edge_err(err, EDGE_ETRUST,
		    "hub certificate has no serverAuth usage (a device certificate is not a hub)");
	else if (!key_usage_serves(crt))
		rc = edge_err(err, EDGE_ETRUST,
		    "hub certificate: keyUsage does not allow a TLS server (it needs digitalSignature, keyEncipherment or keyAgreement)");
	else if (host != NULL)
		rc = check_name(crt, host, err);
	if (rc == EDGE_OK && pins != NULL && *pins != '\0') {
		if ((g = key_pin(crt, pin, sizeof(pin))) < 0)
			rc = edge_err(err, EDGE_EINPUT, "hub certificate: key: %s",
			    gnutls_strerror(g));
		else if (!pin_listed(pins, pin))
			rc = edge_err(err, EDGE_ETRUST,
			    "hub key %s does not match --hub-pin %s", pin, pins);
	}
	return rc;
}

/*
 * A CA restricted by extendedKeyUsage to other uses cannot vouch for a TLS
 * server.  As OpenSSL's sslserver purpose, anyExtendedKeyUsage is no
 * serverAuth; stricter than OpenSSL, neither are the obsolete Server Gated
 * Crypto OIDs (GnuTLS accepts one of the two, OpenSSL both): one rule on
 * every path means the list that names serverAuth.
 */
static int
check_ca(gnutls_x509_crt_t crt, struct edge_error *err)
{
	gnutls_datum_t eku = { NULL, 0 };
	char dn[EDGE_ERR_MSG_MAX];
	int rc = EDGE_OK, g;

	/* Any answer but "absent" (an empty or unreadable EKU too) is an EKU. */
	g = gnutls_x509_crt_get_extension_by_oid2(crt,
	    GNUTLS_X509EXT_OID_EXTENDED_KEY_USAGE, 0, &eku, NULL);
	gnutls_free(eku.data);
	if (g != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE && !has_server_auth(crt)) {
		edge_x509_subject(crt, dn, sizeof(dn));
		rc = edge_err(err, EDGE_ETRUST,
		    "hub certificate's issuer %s: extendedKeyUsage without serverAuth (a CA restricted to other uses cannot vouch for a hub)",
		    dn);
	}
	return rc;
}

int
edge_hubid_check_crts(const gnutls_x509_crt_t *chain, size_t n,
    const char *host, const char *pins, struct edge_error *err)
{
	size_t i;
	int rc;

	if (n == 0)
		return edge_err(err, EDGE_ETRUST, "hub certificate: none presented");
	if ((rc = check_leaf(chain[0], host, pins, err)) != EDGE_OK)
		return rc;
	for (i = 1; i < n; i++)
		if ((rc = check_ca(chain[i], err)) != EDGE_OK)
			return rc;
	return EDGE_OK;
}

int
edge_hubid_check_chain(const struct edge_der *chain, size_t n,
    const char *host, const char *pins, struct edge_error *err)
{
	gnutls_x509_crt_t *crt = calloc(n ? n : 1, sizeof(*crt));
	size_t i;
	int rc = EDGE_OK;

	if (crt == NULL)
		return edge_err(err, EDGE_EFAIL, "out of memory");
	for (i = 0; i < n && rc == EDGE_OK; i++)
		rc = crt_import(&crt[i], &chain[i], err);
	if (rc == EDGE_OK)
		rc = edge_hubid_check_crts(crt, n, host, pins, err);
	for (i = 0; i < n; i++)
		gnutls_x509_crt_deinit(crt[i]);
	free(crt);
	return rc;
}

/*
 * GnuTLS has verified the sent chain but keeps the path to itself: rebuild
 * it as GnuTLS does (each certificate's issuer among the sent ones, until a
 * trusted root of tl issued one), so that edge_hubid_check_crts judges the
 * same CA certificates that OpenSSL hands the broker's check.  A path that
 * cannot be rebuilt is refused.  Each certificate is parsed once.
 */
int
edge_hubid_sent_path(gnutls_x509_trust_list_t tl, const gnutls_datum_t *sent,
    unsigned n, gnutls_x509_crt_t **out, size_t *outlen,
    struct edge_error *err)
{
	gnutls_x509_crt_t *crt = calloc(n, sizeof(*crt)), root = NULL;
	gnutls_x509_crt_t *path = calloc((size_t)n + 1, sizeof(*path));
	size_t len = 1;
	unsigned i, cur = 0;
	bool *used = calloc(n, sizeof(*used)), found = false;
	int g = 0, rc = EDGE_OK;

	*out = NULL;
	*outlen = 0;
	if (n == 0)
		rc = edge_err(err, EDGE_ETRUST, "hub certificate: none presented");
	else if (crt == NULL || path == NULL || used == NULL)
		rc = edge_err(err, EDGE_EFAIL, "out of memory");
	if (n == 0 || crt == NULL || path == NULL || used == NULL)
		goto out;
	for (i = 0; i < n && g >= 0; i++)
		if ((g = gnutls_x509_crt_init(&crt[i])) >= 0)
			g = gnutls_x509_crt_import(crt[i], &sent[i],
			    GNUTLS_X509_FMT_DER);
	if (g < 0) {
		rc = edge_err(err, EDGE_ETRUST, "hub certificate: %s",
		    gnutls_strerror(g));
		goto out;
	}
	path[0] = crt[0];
	used[0] = true;
	for (;;) {
		if (gnutls_x509_trust_list_get_issuer(tl, crt[cur], &root,
		    GNUTLS_TL_GET_COPY) == 0) {
			/* A root the hub sends along is not listed twice. */
			if (!gnutls_x509_crt_equals(root, crt[cur])) {
				path[len++] = root;
				root = NULL;
			}
			found = true;
			break;
		}
		for (i = 0; i < n; i++)
			if (!used[i] &&
			    gnutls_x509_crt_check_issuer(crt[cur], crt[i]))
				break;
		if (i == n)
			break;
		used[i] = true;
		cur = i;
		path[len++] = crt[i];
	}
	if (!found) {
		rc = edge_err(err, EDGE_ETRUST,
		    "hub certificate: cannot rebuild its chain to a trusted root");
		goto out;
	}
	/* The path owns its certificates from here. */
	for (i = 0; i < n; i++)
		if (used[i])
			crt[i] = NULL;
	*out = path;
	*outlen = len;
	path = NULL;
out:
	for (i = 0; crt != NULL && i < n; i++)
		if (crt[i] != NULL)
			gnutls_x509_crt_deinit(crt[i]);
	if (root != NULL)
		gnutls_x509_crt_deinit(root);
	free(crt);
	free(path);
	free(used);
	return rc;
}

void
edge_hubid_path_free(gnutls_x509_crt_t *path, size_t len)
{
	size_t i;

	for (i = 0; path != NULL && i < len; i++)
		gnutls_x509_crt_deinit(path[i]);
	free(path);
}

int
edge_hubid_check_sent(gnutls_x509_trust_list_t tl, const gnutls_datum_t *sent,
    unsigned n, const char *host, const char *pins, struct edge_error *err)
{
	gnutls_x509_crt_t *path;
	size_t len;
	int rc;

	if ((rc = edge_hubid_sent_path(tl, sent, n, &path, &len, err)) ==
	    EDGE_OK)
		rc = edge_hubid_check_crts(path, len, host, pins, err);
	edge_hubid_path_free(path, len);
	return rc;
}
