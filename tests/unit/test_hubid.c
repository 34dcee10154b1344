/* SPDX-License-Identifier: MIT */
/*
 * lib/edge_hubid: the hub identity rule on certificates made here with
 * GnuTLS: serverAuth required, keyUsage that serves a TLS server, names only
 * from subjectAltName (wildcards, IPv4/IPv6 as iPAddress only, an embedded
 * NUL), the pin list, and the CA certificates above the hub's (an
 * extendedKeyUsage must list serverAuth).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "edge_hubid.h"

static gnutls_x509_privkey_t key;

struct san {
	unsigned type;
	const void *data;
	unsigned size;
};

/* A v3 certificate of key, valid now, named cn (NULL: no subject). */
static gnutls_x509_crt_t
begin(const char *serial, const char *cn)
{
	gnutls_x509_crt_t crt;

	assert_int_equal(gnutls_x509_crt_init(&crt), 0);
	assert_int_equal(gnutls_x509_crt_set_version(crt, 3), 0);
	assert_int_equal(gnutls_x509_crt_set_serial(crt, serial, 1), 0);
	assert_int_equal(gnutls_x509_crt_set_activation_time(crt, time(NULL) - 60), 0);
	assert_int_equal(gnutls_x509_crt_set_expiration_time(crt, time(NULL) + 3600), 0);
	if (cn != NULL)
		assert_int_equal(gnutls_x509_crt_set_dn_by_oid(crt,
		    GNUTLS_OID_X520_COMMON_NAME, 0, cn, (unsigned)strlen(cn)), 0);
	assert_int_equal(gnutls_x509_crt_set_key(crt, key), 0);
	return crt;
}

/* crt self-signed, as DER; crt is freed. */
static gnutls_datum_t
finish(gnutls_x509_crt_t crt)
{
	gnutls_datum_t der = { NULL, 0 };

	assert_int_equal(gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0), 0);
	assert_int_equal(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der), 0);
	gnutls_x509_crt_deinit(crt);
	return der;
}

/* A self-signed certificate with the given EKU (NULL: none), CN and SANs. */
static gnutls_datum_t
make(const char *eku, const char *cn, const struct san *sans, size_t n)
{
	gnutls_x509_crt_t crt = begin("\x01", cn);
	size_t i;

	if (eku != NULL)
		assert_int_equal(gnutls_x509_crt_set_key_purpose_oid(crt, eku, 0), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(gnutls_x509_crt_set_subject_alt_name(crt,
		    sans[i].type, sans[i].data, sans[i].size,
		    GNUTLS_FSAN_APPEND), 0);
	return finish(crt);
}

/* A CA certificate (self-signed: the rule reads extensions, not signatures). */
static gnutls_datum_t
make_ca(const char *cn, const char *const *ekus, size_t n)
{
	gnutls_x509_crt_t crt = begin("\x02", cn);
	size_t i;

	assert_int_equal(gnutls_x509_crt_set_basic_constraints(crt, 1, -1), 0);
	assert_int_equal(gnutls_x509_crt_set_key_usage(crt,
	    GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(*ekus[i] == '\0' ?	/* "": an empty EKU */
		    gnutls_x509_crt_set_extension_by_oid(crt,
		    GNUTLS_X509EXT_OID_EXTENDED_KEY_USAGE, "", 0, 0) :
		    gnutls_x509_crt_set_key_purpose_oid(crt, ekus[i], 0), 0);
	return finish(crt);
}

/* A serverAuth certificate for "hub" with the given keyUsage (0: none). */
static gnutls_datum_t
make_ku(unsigned usage)
{
	gnutls_x509_crt_t crt = begin("\x03", NULL);

	assert_int_equal(gnutls_x509_crt_set_key_purpose_oid(crt,
	    GNUTLS_KP_TLS_WWW_SERVER, 0), 0);
	assert_int_equal(gnutls_x509_crt_set_subject_alt_name(crt,
	    GNUTLS_SAN_DNSNAME, "hub", 3, GNUTLS_FSAN_SET), 0);
	if (usage != 0)
		assert_int_equal(gnutls_x509_crt_set_key_usage(crt, usage), 0);
	return finish(crt);
}

/* The key's pin computed here: SHA-256 of its SubjectPublicKeyInfo DER. */
static void
spki_pin(char *out, size_t outlen)
{
	gnutls_privkey_t priv;
	gnutls_pubkey_t pub;
	gnutls_datum_t spki = { NULL, 0 }, b64 = { NULL, 0 };
	unsigned char hash[32];
	gnutls_datum_t h = { hash, sizeof(hash) };

	assert_int_equal(gnutls_pubkey_init(&pub), 0);
	assert_int_equal(gnutls_privkey_init(&priv), 0);
	assert_int_equal(gnutls_privkey_import_x509(priv, key, 0), 0);
	assert_int_equal(gnutls_pubkey_import_privkey(pub, priv, 0, 0), 0);
	assert_int_equal(gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &spki), 0);
	assert_int_equal(gnutls_hash_fast(GNUTLS_DIG_SHA256, spki.data,
	    spki.size, hash), 0);
	assert_int_equal(gnutls_base64_encode2(&h, &b64), 0);
	snprintf(out, outlen, "sha256//%.*s", (int)b64.size, (char *)b64.data);
	gnutls_free(spki.data);
	gnutls_free(b64.data);
	gnutls_pubkey_deinit(pub);
	gnutls_privkey_deinit(priv);
}

static int
check_n(const gnutls_datum_t *d, size_t n, const char *host, const char *pins,
    char *msg)
{
	struct edge_error err = { 0, "" };
	struct edge_der chain[4];
	size_t i;
	int rc;

	assert_true(n <= 4);
	for (i = 0; i < n; i++) {
		chain[i].p = d[i].data;
		chain[i].len = d[i].size;
	}
	rc = edge_hubid_check_chain(chain, n, host, pins, &err);
	if (msg != NULL)
		snprintf(msg, EDGE_ERR_MSG_MAX, "%s", err.msg);
	return rc;
}

static int
check(gnutls_datum_t d, const char *host, const char *pins, char *msg)
{
	return check_n(&d, 1, host, pins, msg);
}

static void
test_server_auth(void **state)
{
	struct san s[] = { { GNUTLS_SAN_DNSNAME, "hub.example.com", 15 } };
	gnutls_datum_t none = make(NULL, "hub.example.com", s, 1);
	gnutls_datum_t client = make(GNUTLS_KP_TLS_WWW_CLIENT, "hub.example.com", s, 1);
	gnutls_datum_t server = make(GNUTLS_KP_TLS_WWW_SERVER, "x", s, 1);
	char msg[EDGE_ERR_MSG_MAX];

	(void)state;
	assert_int_equal(check(none, "hub.example.com", NULL, msg), EDGE_ETRUST);
	assert_non_null(strstr(msg, "hub certificate has no serverAuth usage"));
	assert_int_equal(check(client, "hub.example.com", NULL, NULL), EDGE_ETRUST);
	/* Not even with the name check off (--no-verify-hostname). */
	assert_int_equal(check(client, NULL, NULL, NULL), EDGE_ETRUST);
	assert_int_equal(check(server, "hub.example.com", NULL, NULL), EDGE_OK);
	assert_int_equal(check(server, "HUB.Example.COM", NULL, NULL), EDGE_OK);
	assert_int_equal(check((gnutls_datum_t){ (unsigned char *)"junk", 4 },
	    "x", NULL, NULL), EDGE_EINPUT);
	gnutls_free(none.data);
	gnutls_free(client.data);
	gnutls_free(server.data);
}

static void
test_names(void **state)
{
	static const unsigned char v4[4] = { 127, 0, 0, 1 };
	static const unsigned char v6[16] = { [15] = 1 };
	struct san s[] = {
		{ GNUTLS_SAN_DNSNAME, "*.hub.example.com", 17 },
		{ GNUTLS_SAN_DNSNAME, "10.0.0.1", 8 },
		{ GNUTLS_SAN_IPADDRESS, v4, 4 },
		{ GNUTLS_SAN_IPADDRESS, v6, 16 },
	};
	struct san bad[] = { { GNUTLS_SAN_DNSNAME, "*.com", 5 } };
	gnutls_datum_t d = make(GNUTLS_KP_TLS_WWW_SERVER, "cn.example.com", s, 4);
	gnutls_datum_t cn = make(GNUTLS_KP_TLS_WWW_SERVER, "cn.example.com", NULL, 0);
	gnutls_datum_t wide = make(GNUTLS_KP_TLS_WWW_SERVER, "a", bad, 1);
	char msg[EDGE_ERR_MSG_MAX];

	(void)state;
	assert_int_equal(check(d, "api.hub.example.com", NULL, NULL), EDGE_OK);
	assert_int_equal(check(d, "hub.example.com", NULL, NULL), EDGE_ETRUST);
	assert_int_equal(check(d, "a.b.hub.example.com", NULL, NULL), EDGE_ETRUST);
	assert_int_equal(check(d, "127.0.0.1", NULL, NULL), EDGE_OK);
	assert_int_equal(check(d, "::1", NULL, NULL), EDGE_OK);
	assert_int_equal(check(d, "10.0.0.1", NULL, msg), EDGE_ETRUST);
	assert_non_null(strstr(msg, "does not name 10.0.0.1 (only as a dNSName"));
	assert_int_equal(check(d, "cn.example.com", NULL, msg), EDGE_ETRUST);
	assert_string_equal(msg,
	    "hub certificate names cn.example.com only in its CN, not in a subjectAltName");
	assert_int_equal(check(cn, "cn.example.com", NULL, NULL), EDGE_ETRUST);
	assert_int_equal(check(cn, "other.example.com", NULL, msg), EDGE_ETRUST);
	assert_string_equal(msg, "hub certificate does not name other.example.com");
	assert_int_equal(check(wide, "example.com", NULL, NULL), EDGE_ETRUST);
	assert_int_equal(check(wide, "x.com", NULL, NULL), EDGE_ETRUST);
	gnutls_free(d.data);
	gnutls_free(cn.data);
	gnutls_free(wide.data);
}

/* A serverAuth certificate whose subjectAltName extension is raw DER. */
static gnutls_datum_t
make_raw_san(const void *ext, size_t len)
{
	gnutls_x509_crt_t crt = begin("\x04", NULL);

	assert_int_equal(gnutls_x509_crt_set_key_purpose_oid(crt,
	    GNUTLS_KP_TLS_WWW_SERVER, 0), 0);
	assert_int_equal(gnutls_x509_crt_set_extension_by_oid(crt, "2.5.29.17",
	    ext, len, 0), 0);
	return finish(crt);
}

/* Name edge cases: NUL inside a dNSName, wildcard forms, long SANs, no host. */
static void
test_name_edges(void **state)
{
	static const unsigned char v4[4] = { 127, 0, 0, 1 };
	char longname[600];
	/* GeneralNames { dNSName "hub.example.com\0.evil.com" } (GnuTLS's
	 * setter would cut the name at the NUL). */
	static const char nul[] = "\x30\x1b\x82\x19hub.example.com\0.evil.com";
	struct san wild[] = {
		{ GNUTLS_SAN_DNSNAME, "*.HUB.example.COM", 17 },
		{ GNUTLS_SAN_DNSNAME, "a*.other.example.com", 20 },
		{ GNUTLS_SAN_DNSNAME, "*", 1 },
		{ GNUTLS_SAN_DNSNAME, "*.0.0.1", 7 },
	};
	struct san lng[] = {
		{ GNUTLS_SAN_DNSNAME, longname, sizeof(longname) - 1 },
		{ GNUTLS_SAN_DNSNAME, "hub", 3 },
	};
	struct san ip[] = { { GNUTLS_SAN_IPADDRESS, v4, 4 } };
	gnutls_datum_t dn = make_raw_san(nul, sizeof(nul) - 1);
	gnutls_datum_t dw = make(GNUTLS_KP_TLS_WWW_SERVER, "x", wild, 4);
	gnutls_datum_t dl, di = make(GNUTLS_KP_TLS_WWW_SERVER, "x", ip, 1);
	gnutls_datum_t bare = make(GNUTLS_KP_TLS_WWW_SERVER, "x", NULL, 0);
	char msg[EDGE_ERR_MSG_MAX];

	(void)state;
	/* The name before the NUL is not what the certificate names. */
	assert_int_equal(check(dn, "hub.example.com", NULL, msg), EDGE_ETRUST);
	assert_string_equal(msg, "hub certificate does not name hub.example.com");
	assert_int_equal(check(dn, "evil.com", NULL, NULL), EDGE_ETRUST);
	/* A wildcard matches case-insensitively, one whole label only. */
	assert_int_equal(check(dw, "api.hub.example.com", NULL, NULL), EDGE_OK);
	assert_int_equal(check(dw, ".hub.example.com", NULL, NULL), EDGE_ETRUST);
	assert_int_equal(check(dw, "ab.other.example.com", NULL, NULL), EDGE_ETRUST);
	assert_int_equal(check(dw, "a*.other.example.com", NULL, NULL), EDGE_OK);
	assert_int_equal(check(dw, "hub", NULL, NULL), EDGE_ETRUST);
	/* Never an address, even one that looks like the pattern. */
	assert_int_equal(check(dw, "127.0.0.1", NULL, NULL), EDGE_ETRUST);
	/* A name too long to match is skipped, the next one still counts. */
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	dl = make(GNUTLS_KP_TLS_WWW_SERVER, "x", lng, 2);
	assert_int_equal(check(dl, "hub", NULL, NULL), EDGE_OK);
	assert_int_equal(check(dl, "other", NULL, NULL), EDGE_ETRUST);
	/* An IPv4 SAN is not the same address written as IPv6. */
	assert_int_equal(check(di, "127.0.0.1", NULL, NULL), EDGE_OK);
	assert_int_equal(check(di, "::ffff:127.0.0.1", NULL, NULL), EDGE_ETRUST);
	assert_int_equal(check(di, "127.0.0.2", NULL, NULL), EDGE_ETRUST);
	/* No host (--no-verify-hostname): the name is not checked, the rest is. */
	assert_int_equal(check(bare, NULL, NULL, NULL), EDGE_OK);
	assert_int_equal(check(bare, "x", NULL, msg), EDGE_ETRUST);
	assert_non_null(strstr(msg, "only in its CN"));
	gnutls_free(dn.data);
	gnutls_free(dw.data);
	gnutls_free(dl.data);
	gnutls_free(di.data);
	gnutls_free(bare.data);
}

static void
test_pins(void **state)
{
	struct san s[] = { { GNUTLS_SAN_DNSNAME, "hub", 3 } };
	gnutls_datum_t d = make(GNUTLS_KP_TLS_WWW_SERVER, "hub", s, 1);
	const char *wrong = "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
	char msg[EDGE_ERR_MSG_MAX], pin[128], list[256], want[128];
	const char *p;

	(void)state;
	assert_int_equal(check(d, "hub", wrong, msg), EDGE_ETRUST);
	/* The message gives the key's own pin: take it and pin it. */
	assert_non_null(p = strstr(msg, "hub key sha256//"));
	snprintf(pin, sizeof(pin), "%.*s", EDGE_HUBID_PIN_MAX - 1, p + 8);
	spki_pin(want, sizeof(want));
	assert_string_equal(pin, want);
	assert_non_null(strstr(msg, wrong));
	assert_int_equal(edge_hubid_pins_valid(pin, NULL), EDGE_OK);
	assert_int_equal(check(d, "hub", pin, NULL), EDGE_OK);
	snprintf(list, sizeof(list), "%s;%s", wrong, pin);
	assert_int_equal(edge_hubid_pins_valid(list, NULL), EDGE_OK);
	assert_int_equal(check(d, "hub", list, NULL), EDGE_OK);
	assert_int_equal(check(d, "hub", "", NULL), EDGE_OK);
	assert_int_equal(edge_hubid_pins_valid("sha256//abc", NULL), EDGE_EUSAGE);
	assert_int_equal(edge_hubid_pins_valid(
	    "sha1//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", NULL), EDGE_EUSAGE);
	assert_int_equal(edge_hubid_pins_valid(
	    "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA!A=", NULL), EDGE_EUSAGE);
	snprintf(list, sizeof(list), "%s;", pin);
	assert_int_equal(edge_hubid_pins_valid(list, NULL), EDGE_EUSAGE);
	gnutls_free(d.data);
}

/* OpenSSL's sslserver purpose: a keyUsage must allow one of three. */
static void
test_key_usage(void **state)
{
	static const unsigned ok[] = { GNUTLS_KEY_DIGITAL_SIGNATURE,
	    GNUTLS_KEY_KEY_ENCIPHERMENT, GNUTLS_KEY_KEY_AGREEMENT,
	    GNUTLS_KEY_DIGITAL_SIGNATURE | GNUTLS_KEY_CRL_SIGN };
	gnutls_datum_t none = make_ku(0), crl = make_ku(GNUTLS_KEY_CRL_SIGN);
	gnutls_datum_t nr = make_ku(GNUTLS_KEY_NON_REPUDIATION);
	char msg[EDGE_ERR_MSG_MAX];
	size_t i;

	(void)state;
	assert_int_equal(check(none, "hub", NULL, NULL), EDGE_OK);
	assert_int_equal(check(crl, "hub", NULL, msg), EDGE_ETRUST);
	assert_non_null(strstr(msg,
	    "hub certificate: keyUsage does not allow a TLS server"));
	/* Before the name: a wrong name is not what it is told. */
	assert_int_equal(check(crl, "other", NULL, msg), EDGE_ETRUST);
	assert_non_null(strstr(msg, "keyUsage"));
	assert_int_equal(check(nr, "hub", NULL, NULL), EDGE_ETRUST);
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		gnutls_datum_t d = make_ku(ok[i]);

		assert_int_equal(check(d, "hub", NULL, NULL), EDGE_OK);
		gnutls_free(d.data);
	}
	gnutls_free(none.data);
	gnutls_free(crl.data);
	gnutls_free(nr.data);
}

/* Every CA above the hub's certificate, up to the root, as OpenSSL. */
static void
test_chain(void **state)
{
	static const char *const cli[] = { GNUTLS_KP_TLS_WWW_CLIENT };
	static const char *const both[] = { GNUTLS_KP_TLS_WWW_CLIENT,
	    GNUTLS_KP_TLS_WWW_SERVER };
	static const char *const any[] = { GNUTLS_KP_ANY };
	static const char *const empty[] = { "" };
	static const char *const sgc[] = { "2.16.840.1.113730.4.1",
	    "1.3.6.1.4.1.311.10.3.3" };
	struct san s[] = { { GNUTLS_SAN_DNSNAME, "hub", 3 } };
	gnutls_datum_t c[3];
	gnutls_datum_t leaf = make(GNUTLS_KP_TLS_WWW_SERVER, "hub", s, 1);
	gnutls_datum_t dev = make(GNUTLS_KP_TLS_WWW_CLIENT, "hub", s, 1);
	gnutls_datum_t plain = make_ca("Plain CA", NULL, 0);
	gnutls_datum_t client = make_ca("Device CA", cli, 1);
	gnutls_datum_t server = make_ca("Hub CA", both, 2);
	gnutls_datum_t anyeku = make_ca("Any CA", any, 1);
	gnutls_datum_t gated = make_ca("SGC CA", sgc, 2);
	gnutls_datum_t blank = make_ca("Blank CA", empty, 1);
	char msg[EDGE_ERR_MSG_MAX];

	(void)state;
	c[0] = leaf;
	c[1] = plain;
	c[2] = plain;
	assert_int_equal(check_n(c, 3, "hub", NULL, NULL), EDGE_OK);
	c[1] = server;
	assert_int_equal(check_n(c, 3, "hub", NULL, NULL), EDGE_OK);
	/* A sub-CA restricted to client certificates vouches for no hub. */
	c[1] = client;
	assert_int_equal(check_n(c, 3, "hub", NULL, msg), EDGE_ETRUST);
	assert_string_equal(msg,
	    "hub certificate's issuer CN=Device CA: extendedKeyUsage without serverAuth (a CA restricted to other uses cannot vouch for a hub)");
	/* ... nor with the name check off, nor as the root. */
	assert_int_equal(check_n(c, 3, NULL, NULL, NULL), EDGE_ETRUST);
	c[1] = plain;
	c[2] = client;
	assert_int_equal(check_n(c, 3, "hub", NULL, msg), EDGE_ETRUST);
	assert_non_null(strstr(msg, "CN=Device CA"));
	/* anyExtendedKeyUsage is not serverAuth (OpenSSL agrees); SGC neither. */
	c[2] = anyeku;
	assert_int_equal(check_n(c, 3, "hub", NULL, msg), EDGE_ETRUST);
	assert_non_null(strstr(msg, "CN=Any CA"));
	c[2] = gated;
	assert_int_equal(check_n(c, 3, "hub", NULL, NULL), EDGE_ETRUST);
	/* An EKU GnuTLS cannot read lists no serverAuth: not taken as none. */
	c[2] = blank;
	assert_int_equal(check_n(c, 3, "hub", NULL, msg), EDGE_ETRUST);
	assert_non_null(strstr(msg, "CN=Blank CA"));
	/* The hub's own certificate is judged first. */
	c[0] = dev;
	c[1] = client;
	assert_int_equal(check_n(c, 2, "hub", NULL, msg), EDGE_ETRUST);
	assert_non_null(strstr(msg, "hub certificate has no serverAuth usage"));
	assert_int_equal(check_n(c, 0, "hub", NULL, NULL), EDGE_ETRUST);
	c[0] = leaf;
	c[1] = (gnutls_datum_t){ (unsigned char *)"junk", 4 };
	assert_int_equal(check_n(c, 2, "hub", NULL, NULL), EDGE_EINPUT);
	gnutls_free(leaf.data);
	gnutls_free(dev.data);
	gnutls_free(plain.data);
	gnutls_free(client.data);
	gnutls_free(server.data);
	gnutls_free(anyeku.data);
	gnutls_free(gated.data);
	gnutls_free(blank.data);
}

/*
 * edge_hubid_check_sent: the chain a server sent, its path rebuilt to a
 * root of the trust list, then the same rule: a hub certificate issued by
 * a trusted root passes, a device's from the same root is refused for
 * serverAuth, a root not in the list and an empty chain are refused.
 */
static void
test_sent(void **state)
{
	static const char *const cli[] = { GNUTLS_KP_TLS_WWW_CLIENT };
	gnutls_x509_trust_list_t tl, none;
	gnutls_x509_crt_t root = begin("\x05", "Sent Root"), leaf, dev, copy;
	gnutls_datum_t der[2];
	char msg[EDGE_ERR_MSG_MAX];
	struct edge_error err = { 0, "" };
	unsigned i;

	(void)state;
	assert_int_equal(gnutls_x509_crt_set_basic_constraints(root, 1, -1), 0);
	assert_int_equal(gnutls_x509_crt_set_key_usage(root,
	    GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN), 0);
	assert_int_equal(gnutls_x509_crt_sign2(root, root, key, GNUTLS_DIG_SHA256, 0), 0);
	leaf = begin("\x06", "hub");
	assert_int_equal(gnutls_x509_crt_set_key_purpose_oid(leaf,
	    GNUTLS_KP_TLS_WWW_SERVER, 0), 0);
	assert_int_equal(gnutls_x509_crt_set_subject_alt_name(leaf,
	    GNUTLS_SAN_DNSNAME, "hub", 3, GNUTLS_FSAN_SET), 0);
	assert_int_equal(gnutls_x509_crt_sign2(leaf, root, key, GNUTLS_DIG_SHA256, 0), 0);
	dev = begin("\x07", "hub");
	assert_int_equal(gnutls_x509_crt_set_key_purpose_oid(dev, cli[0], 0), 0);
	assert_int_equal(gnutls_x509_crt_set_subject_alt_name(dev,
	    GNUTLS_SAN_DNSNAME, "hub", 3, GNUTLS_FSAN_SET), 0);
	assert_int_equal(gnutls_x509_crt_sign2(dev, root, key, GNUTLS_DIG_SHA256, 0), 0);
	assert_int_equal(gnutls_x509_crt_export2(leaf, GNUTLS_X509_FMT_DER, &der[0]), 0);
	assert_int_equal(gnutls_x509_crt_export2(root, GNUTLS_X509_FMT_DER, &der[1]), 0);
	assert_int_equal(gnutls_x509_trust_list_init(&tl, 0), 0);
	assert_int_equal(gnutls_x509_trust_list_init(&none, 0), 0);
	assert_int_equal(gnutls_x509_crt_init(&copy), 0);
	assert_int_equal(gnutls_x509_crt_import(copy, &der[1], GNUTLS_X509_FMT_DER), 0);
	assert_int_equal(gnutls_x509_trust_list_add_cas(tl, &copy, 1, 0), 1);

	/* The leaf alone, and with the root sent along (not listed twice). */
	assert_int_equal(edge_hubid_check_sent(tl, der, 1, "hub", NULL, &err), EDGE_OK);
	assert_int_equal(edge_hubid_check_sent(tl, der, 2, "hub", NULL, &err), EDGE_OK);
	assert_int_equal(edge_hubid_check_sent(tl, der, 1, "other", NULL, &err), EDGE_ETRUST);
	assert_non_null(strstr(err.msg, "does not name other"));
	assert_int_equal(edge_hubid_check_sent(none, der, 1, "hub", NULL, &err), EDGE_ETRUST);
	snprintf(msg, sizeof(msg), "%s", err.msg);
	assert_string_equal(msg, "hub certificate: cannot rebuild its chain to a trusted root");
	assert_int_equal(edge_hubid_check_sent(tl, der, 0, "hub", NULL, &err), EDGE_ETRUST);
	assert_string_equal(err.msg, "hub certificate: none presented");
	/* The path itself (edge_hubid_sent_path): leaf, root, the root once. */
	{
		gnutls_x509_crt_t *path;
		size_t len;

		for (i = 1; i <= 2; i++) {
			assert_int_equal(edge_hubid_sent_path(tl, der, i, &path,
			    &len, &err), EDGE_OK);
			assert_int_equal(len, 2);
			assert_true(gnutls_x509_crt_equals2(path[0], &der[0]));
			assert_true(gnutls_x509_crt_equals2(path[1], &der[1]));
			edge_hubid_path_free(path, len);
		}
		assert_int_equal(edge_hubid_sent_path(none, der, 1, &path, &len,
		    &err), EDGE_ETRUST);
		assert_null(path);
		assert_int_equal(len, 0);
	}
	gnutls_free(der[0].data);
	assert_int_equal(gnutls_x509_crt_export2(dev, GNUTLS_X509_FMT_DER, &der[0]), 0);
	assert_int_equal(edge_hubid_check_sent(tl, der, 1, "hub", NULL, &err), EDGE_ETRUST);
	assert_non_null(strstr(err.msg, "no serverAuth"));
	for (i = 0; i < 2; i++)
		gnutls_free(der[i].data);
	gnutls_x509_trust_list_deinit(tl, 1);
	gnutls_x509_trust_list_deinit(none, 1);
	gnutls_x509_crt_deinit(root);
	gnutls_x509_crt_deinit(leaf);
	gnutls_x509_crt_deinit(dev);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_server_auth),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_name_edges),
		cmocka_unit_test(test_pins),
		cmocka_unit_test(test_key_usage),
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_sent),
	};
	int rc;

	if (gnutls_x509_privkey_init(&key) < 0 ||
	    gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) < 0)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	gnutls_x509_privkey_deinit(key);
	return rc;
}
