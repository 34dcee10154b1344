/* SPDX-License-Identifier: MIT */
/*
 * lib/edge_tls and lib/edge_sslkey: the client context from a state directory
 * made here (a CA, the edge's certificate and key.pem), a key that does not
 * match its certificate refused, the file key converted to OpenSSL signing
 * what GnuTLS verifies (RSA, P-256, P-384), key.uri refused the same way as
 * on the GnuTLS path, crl.pem read by edge_crlstore (a tampered one
 * refused), a SoftHSM2 token key opened by both paths from one
 * key.uri, and the explanations of a failed handshake.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/x509.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "edge_file.h"
#include "edge_key.h"
#include "edge_p11.h"
#include "edge_secret.h"
#include "edge_sslkey.h"
#include "edge_tls.h"

static char dir[64];
static int sdir = -1;

static int
setup(void **state)
{
	struct edge_error err = { 0 };
	const char *tmp = getenv("TMPDIR");

	(void)state;
	/* TMPDIR: scripts/cross-test keeps the SoftHSM2 store on tmpfs. */
	if (tmp == NULL || *tmp == '\0' || strlen(tmp) > 40)
		tmp = "/tmp";
	strcpy(dir, tmp);
	strcat(dir, "/edge-test-tls.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	return edge_dir_open(dir, &sdir, &err) == EDGE_OK ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	close(sdir);
	sdir = -1;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static void
put_datum(const char *name, const gnutls_datum_t *d)
{
	struct edge_error err = { 0 };

	assert_int_equal(edge_file_write_atomic(sdir, name, d->data, d->size,
	    EDGE_MODE_PRIVATE, &err), EDGE_OK);
}

static gnutls_x509_privkey_t
gen_key(gnutls_pk_algorithm_t algo, unsigned bits)
{
	gnutls_x509_privkey_t x;

	assert_int_equal(gnutls_x509_privkey_init(&x), 0);
	assert_int_equal(gnutls_x509_privkey_generate2(x, algo, bits, 0, NULL,
	    0), 0);
	return x;
}

static void
put_key(const char *name, gnutls_x509_privkey_t x)
{
	gnutls_datum_t out = { NULL, 0 };

	assert_int_equal(gnutls_x509_privkey_export2_pkcs8(x,
	    GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN, &out), 0);
	put_datum(name, &out);
	gnutls_free(out.data);
}

/* A certificate for key, signed by (ca, ca_key), or self-signed when ca is NULL. */
static gnutls_x509_crt_t
make_cert(const char *cn, gnutls_x509_privkey_t key, gnutls_x509_crt_t ca,
    gnutls_x509_privkey_t ca_key, unsigned serial)
{
	gnutls_x509_crt_t c;
	time_t now = time(NULL);

	assert_int_equal(gnutls_x509_crt_init(&c), 0);
	assert_int_equal(gnutls_x509_crt_set_version(c, 3), 0);
	assert_int_equal(gnutls_x509_crt_set_serial(c, &serial, sizeof(serial)),
	    0);
	assert_int_equal(gnutls_x509_crt_set_activation_time(c, now - 3600), 0);
	assert_int_equal(gnutls_x509_crt_set_expiration_time(c, now + 86400), 0);
	assert_int_equal(gnutls_x509_crt_set_dn_by_oid(c,
	    GNUTLS_OID_X520_COMMON_NAME, 0, cn, (unsigned)strlen(cn)), 0);
	assert_int_equal(gnutls_x509_crt_set_key(c, key), 0);
	assert_int_equal(gnutls_x509_crt_set_basic_constraints(c, ca == NULL,
	    -1), 0);
	assert_int_equal(gnutls_x509_crt_set_key_usage(c, ca == NULL ?
	    GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN :
	    GNUTLS_KEY_DIGITAL_SIGNATURE), 0);
	assert_int_equal(gnutls_x509_crt_sign2(c, ca ? ca : c,
	    ca ? ca_key : key, GNUTLS_DIG_SHA256, 0), 0);
	return c;
}

static void
put_cert(const char *name, gnutls_x509_crt_t c)
{
	gnutls_datum_t out = { NULL, 0 };

	assert_int_equal(gnutls_x509_crt_export2(c, GNUTLS_X509_FMT_PEM, &out),
	    0);
	put_datum(name, &out);
	gnutls_free(out.data);
}

/*
 * A state directory: ca.pem, cert.pem of an edge key of algo/bits, and that
 * key as key.pem.  Returns the edge key (caller deinits).
 */
static gnutls_x509_privkey_t
make_state_ca(gnutls_pk_algorithm_t algo, unsigned bits, gnutls_x509_crt_t *ca,
    gnutls_x509_privkey_t *ca_key)
{
	gnutls_x509_privkey_t key = gen_key(algo, bits);
	gnutls_x509_crt_t leaf;

	*ca_key = gen_key(GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1));
	*ca = make_cert("test CA", *ca_key, NULL, NULL, 1);
	leaf = make_cert("edge-1", key, *ca, *ca_key, 2);
	put_cert(EDGE_CA_FILE, *ca);
	put_cert(EDGE_CERT_FILE, leaf);
	put_key(EDGE_KEY_PEM, key);
	gnutls_x509_crt_deinit(leaf);
	return key;
}

static gnutls_x509_privkey_t
make_state(gnutls_pk_algorithm_t algo, unsigned bits)
{
	gnutls_x509_privkey_t ca_key, key;
	gnutls_x509_crt_t ca;

	key = make_state_ca(algo, bits, &ca, &ca_key);
	gnutls_x509_crt_deinit(ca);
	gnutls_x509_privkey_deinit(ca_key);
	return key;
}

static int
ctx_new(SSL_CTX **ctx, struct edge_tls_status *st, struct edge_error *err)
{
	struct edge_tls_conf conf = {
		.dirfd = sdir, .server_name = "127.0.0.1",
		.verify_hostname = true, .crl_grace = 3600,
	};

	return edge_tls_ctx_new(&conf, st, ctx, err);
}

static void
test_ctx_from_state(void **state)
{
	struct edge_tls_status st;
	struct edge_error err = { 0 };
	SSL_CTX *ctx = NULL;
	gnutls_x509_privkey_t key;

	(void)state;
	key = make_state(GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1));
	gnutls_x509_privkey_deinit(key);
	if (ctx_new(&ctx, &st, &err) != EDGE_OK)
		fail_msg("%s", err.msg);
	assert_non_null(ctx);
	assert_non_null(SSL_CTX_get0_certificate(ctx));
	assert_non_null(SSL_CTX_get0_privatekey(ctx));
	assert_int_equal(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION);
	assert_int_equal(SSL_CTX_get_verify_mode(ctx), SSL_VERIFY_PEER);
	assert_false(st.have_crl);
	assert_int_equal(st.alert, -1);
	edge_tls_ctx_free(&ctx);
	assert_null(ctx);
	edge_tls_ctx_free(&ctx);	/* twice is harmless */
}

static void
test_ctx_refusals(void **state)
{
	struct edge_tls_status st;
	struct edge_error err = { 0 };
	struct edge_tls_conf conf = { .dirfd = sdir, .server_only = true };
	SSL_CTX *ctx = NULL;
	gnutls_x509_privkey_t other;

	(void)state;
	gnutls_x509_privkey_deinit(make_state(GNUTLS_PK_RSA, 2048));
	/* Another key than the certificate's. */
	other = gen_key(GNUTLS_PK_RSA, 2048);
	put_key(EDGE_KEY_PEM, other);
	gnutls_x509_privkey_deinit(other);
	assert_int_equal(ctx_new(&ctx, &st, &err), EDGE_EINPUT);
	assert_null(ctx);
	assert_non_null(strstr(err.msg, "cert.pem: does not match the edge's key"));

	/* No certificate: the step that makes it, exit 3. */
	assert_int_equal(renameat(sdir, EDGE_CERT_FILE, sdir, "cert.keep"), 0);
	assert_int_equal(ctx_new(&ctx, &st, &err), EDGE_EINPUT);
	assert_null(ctx);
	assert_string_equal(err.msg, "cert.pem: missing; run edge-activate first");
	assert_int_equal(renameat(sdir, "cert.keep", sdir, EDGE_CERT_FILE), 0);

	/* Dynamic activation needs neither. */
	assert_int_equal(edge_tls_ctx_new(&conf, &st, &ctx, &err), EDGE_OK);
	edge_tls_ctx_free(&ctx);

	/* The locator's refusals hold here too (no key, pin-value in key.uri). */
	assert_int_equal(unlinkat(sdir, EDGE_KEY_PEM, 0), 0);
	assert_int_equal(ctx_new(&ctx, &st, &err), EDGE_EINPUT);
	assert_non_null(strstr(err.msg, "run edge-keygen first"));
	assert_int_equal(edge_file_write_atomic(sdir, EDGE_KEY_URI,
	    "pkcs11:token=edge;pin-value=1\n", 30, EDGE_MODE_PRIVATE, &err),
	    EDGE_OK);
	assert_int_equal(ctx_new(&ctx, &st, &err), EDGE_EINPUT);
	assert_non_null(strstr(err.msg, "pin-value"));
	assert_null(ctx);

	/* No CA. */
	assert_int_equal(unlinkat(sdir, EDGE_CA_FILE, 0), 0);
	assert_int_equal(ctx_new(&ctx, &st, &err), EDGE_EINPUT);
	assert_string_equal(err.msg, "ca.pem: missing; run edge-activate first");
}

/*
 * A CRL of ca as PEM, its signature broken when forged (same issuer, as a
 * forger would copy it).
 */
static gnutls_datum_t
crl_pem(gnutls_x509_crt_t ca, gnutls_x509_privkey_t ca_key, bool forged)
{
	gnutls_datum_t der = { NULL, 0 }, pem = { NULL, 0 };
	gnutls_x509_crl_t crl;
	time_t now = time(NULL);

	assert_int_equal(gnutls_x509_crl_init(&crl), 0);
	assert_int_equal(gnutls_x509_crl_set_version(crl, 2), 0);
	assert_int_equal(gnutls_x509_crl_set_this_update(crl, now - 60), 0);
	assert_int_equal(gnutls_x509_crl_set_next_update(crl, now + 86400), 0);
	assert_int_equal(gnutls_x509_crl_sign2(crl, ca, ca_key,
	    GNUTLS_DIG_SHA256, 0), 0);
	assert_int_equal(gnutls_x509_crl_export2(crl, GNUTLS_X509_FMT_DER, &der),
	    0);
	if (forged)
		der.data[der.size - 1] ^= 1;
	assert_int_equal(gnutls_pem_base64_encode2("X509 CRL", &der, &pem), 0);
	gnutls_free(der.data);
	gnutls_x509_crl_deinit(crl);
	return pem;
}

/* crl.pem is read by edge_crlstore, and a tampered one is refused. */
static void
test_ctx_crl(void **state)
{
	struct edge_tls_status st;
	struct edge_error err = { 0 };
	gnutls_datum_t good, bad, both;
	gnutls_x509_privkey_t ca_key;
	gnutls_x509_crt_t ca;
	SSL_CTX *ctx = NULL;

	(void)state;
	gnutls_x509_privkey_deinit(make_state_ca(GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), &ca, &ca_key));
	good = crl_pem(ca, ca_key, false);
	bad = crl_pem(ca, ca_key, true);
	put_datum(EDGE_CRL_FILE, &good);
	if (ctx_new(&ctx, &st, &err) != EDGE_OK)
		fail_msg("%s", err.msg);
	assert_true(st.have_crl);
	/* OpenSSL's store holds no CRL: one copy, edge_crlstore's. */
	assert_int_equal(sk_X509_OBJECT_num(X509_STORE_get0_objects(
	    SSL_CTX_get_cert_store(ctx))), 1);
	edge_tls_ctx_free(&ctx);

	/* A good CRL and a forged one of the same root: nothing is answered. */
	both.size = good.size + bad.size;
	assert_non_null(both.data = malloc(both.size));
	memcpy(both.data, good.data, good.size);
	memcpy(both.data + good.size, bad.data, bad.size);
	put_datum(EDGE_CRL_FILE, &both);
	st.have_crl = false;
	assert_int_equal(ctx_new(&ctx, &st, &err), EDGE_ETRUST);
	assert_null(ctx);
	assert_string_equal(err.msg,
	    "crl.pem: a CRL of a trusted root's name does not verify (signature)");
	assert_false(st.have_crl);

	/* No CRL in it at all. */
	put_datum(EDGE_CRL_FILE, &(gnutls_datum_t){ (unsigned char *)"# x\n", 4 });
	assert_int_equal(ctx_new(&ctx, &st, &err), EDGE_EINPUT);
	assert_non_null(strstr(err.msg, "crl.pem"));
	free(both.data);
	gnutls_free(good.data);
	gnutls_free(bad.data);
	gnutls_x509_crt_deinit(ca);
	gnutls_x509_privkey_deinit(ca_key);
}

/* key.pem through OpenSSL signs; GnuTLS verifies with the public key. */
static void
sign_verify(gnutls_pk_algorithm_t algo, unsigned bits, const EVP_MD *md,
    gnutls_sign_algorithm_t salgo, const char *type)
{
	static const unsigned char msg[] = "telemetry line 1";
	unsigned char sig[1024];
	size_t siglen = sizeof(sig);
	gnutls_datum_t data = { (unsigned char *)msg, sizeof(msg) - 1 };
	gnutls_datum_t sd;
	struct edge_error err = { 0 };
	struct edge_key *key = NULL;
	EVP_PKEY *pkey = NULL;
	EVP_MD_CTX *mctx;
	char *uri = NULL;
	gnutls_x509_privkey_t x = gen_key(algo, bits);

	put_key(EDGE_KEY_PEM, x);
	gnutls_x509_privkey_deinit(x);
	if (edge_sslkey_load_state(sdir, NULL, &pkey, &err) != EDGE_OK)
		fail_msg("%s", err.msg);
	assert_true(EVP_PKEY_is_a(pkey, type));
	assert_int_equal(EVP_PKEY_get_bits(pkey), algo == GNUTLS_PK_RSA ?
	    (int)bits : 8 * gnutls_ecc_curve_get_size(GNUTLS_BITS_TO_CURVE(bits)));
	mctx = EVP_MD_CTX_new();
	assert_non_null(mctx);
	assert_int_equal(EVP_DigestSignInit(mctx, NULL, md, NULL, pkey), 1);
	assert_int_equal(EVP_DigestSign(mctx, sig, &siglen, msg,
	    sizeof(msg) - 1), 1);
	EVP_MD_CTX_free(mctx);
	EVP_PKEY_free(pkey);

	assert_int_equal(edge_key_locate(sdir, &uri, &key, &err), EDGE_OK);
	sd.data = sig;
	sd.size = (unsigned)siglen;
	assert_true(gnutls_pubkey_verify_data2(key->pub, salgo, 0, &data,
	    &sd) >= 0);
	/* A changed message does not verify: the check can fail. */
	data.size--;
	assert_true(gnutls_pubkey_verify_data2(key->pub, salgo, 0, &data,
	    &sd) < 0);
	edge_key_free(&key);
}

static void
test_converted_key_signs(void **state)
{
	(void)state;
	sign_verify(GNUTLS_PK_RSA, 2048, EVP_sha256(), GNUTLS_SIGN_RSA_SHA256,
	    "RSA");
	sign_verify(GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), EVP_sha256(),
	    GNUTLS_SIGN_ECDSA_SHA256, "EC");
	sign_verify(GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP384R1), EVP_sha384(),
	    GNUTLS_SIGN_ECDSA_SHA384, "EC");
}

/* Sign with the OpenSSL key; GnuTLS verifies with pub.  Returns the check. */
static bool
signs_for(EVP_PKEY *pkey, gnutls_pubkey_t pub, gnutls_sign_algorithm_t salgo)
{
	static const unsigned char msg[] = "telemetry line 2";
	unsigned char sig[1024];
	size_t siglen = sizeof(sig);
	gnutls_datum_t data = { (unsigned char *)msg, sizeof(msg) - 1 }, sd;
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	bool ok;

	ok = mctx != NULL &&
	    EVP_DigestSignInit(mctx, NULL, EVP_sha256(), NULL, pkey) == 1 &&
	    EVP_DigestSign(mctx, sig, &siglen, msg, sizeof(msg) - 1) == 1;
	EVP_MD_CTX_free(mctx);
	sd.data = sig;
	sd.size = (unsigned)siglen;
	return ok && gnutls_pubkey_verify_data2(pub, salgo, 0, &data, &sd) >= 0;
}

/*
 * One key.uri, two paths: GnuTLS (edge_key_load_state, the CSR tools) and
 * OpenSSL (edge_sslkey_load_state, edge-connect: engine or provider) open the same
 * SoftHSM2 key.
 */
static void
test_token_key(void **state)
{
	struct edge_secret *pin = NULL;
	struct edge_error err = { 0 };
	struct edge_key *key = NULL;
	EVP_PKEY *pkey = NULL;
	char path[256], *token = NULL, *uri = NULL;
	FILE *f;

	(void)state;
	if (system("command -v softhsm2-util >/dev/null 2>&1") != 0)
		skip();
	snprintf(path, sizeof(path), "%s/tokens", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/softhsm2.conf", dir);
	assert_non_null(f = fopen(path, "w"));
	fprintf(f, "directories.tokendir = %s/tokens\n"
	    "objectstore.backend = file\nlog.level = ERROR\n", dir);
	fclose(f);
	setenv("SOFTHSM2_CONF", path, 1);
	if (system("softhsm2-util --init-token --free --label edgetest "
	    "--pin 1234 --so-pin 0000 >/dev/null 2>&1") != 0)
		skip();
	assert_int_equal(edge_secret_from_value("1234", &pin, &err), EDGE_OK);
	edge_p11_set_pin(pin);
	if (edge_p11_find_token("pkcs11:token=edgetest", &token, NULL, &err) !=
	    EDGE_OK)
		fail_msg("%s", err.msg);
	if (edge_p11_generate(token, "edge-key", GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), NULL, &uri,
	    &err) != EDGE_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(edge_file_write_atomic(sdir, EDGE_KEY_URI, uri,
	    strlen(uri), EDGE_MODE_PRIVATE, &err), EDGE_OK);

	if (edge_key_load_state(sdir, &key, &err) != EDGE_OK)
		fail_msg("%s", err.msg);
	assert_true(key->token);
	assert_int_equal(key->type, EDGE_KEY_EC);
	if (edge_sslkey_load_state(sdir, pin, &pkey, &err) != EDGE_OK)
		fail_msg("%s", err.msg);
	assert_true(EVP_PKEY_is_a(pkey, "EC"));
	assert_true(signs_for(pkey, key->pub, GNUTLS_SIGN_ECDSA_SHA256));
	EVP_PKEY_free(pkey);
	/* The token key is not handed over as numbers. */
	assert_int_not_equal(edge_sslkey_from_key(key, &pkey, &err), EDGE_OK);

	/*
	 * No such key.  (A wrong PIN is left to the CLI tests: once logged in,
	 * the engine's session does not ask again in this process.)
	 */
	assert_int_equal(edge_sslkey_token("pkcs11:token=edgetest;object=none",
	    pin, &pkey, &err), EDGE_ESTORE);
	assert_non_null(strstr(err.msg, "key.uri: cannot open the token key"));
	assert_null(pkey);

	edge_key_free(&key);
	edge_p11_set_pin(NULL);
	edge_secret_free(&pin);
	free(token);
	free(uri);
}

static void
test_from_key_refusals(void **state)
{
	struct edge_error err = { 0 };
	struct edge_key *key = NULL;
	EVP_PKEY *pkey = NULL;
	char *pem;
	size_t len;

	(void)state;
	assert_int_equal(edge_key_generate_pem(EDGE_KEY_EC, 0, &pem, &len, &err),
	    EDGE_OK);
	assert_int_equal(edge_key_from_pem(pem, len, "k.pem", &key, &err),
	    EDGE_OK);
	edge_key_pem_free(&pem, len);
	key->token = true;	/* a token key has no numbers to hand over */
	assert_int_not_equal(edge_sslkey_from_key(key, &pkey, &err), EDGE_OK);
	assert_null(pkey);
	assert_non_null(strstr(err.msg, "k.pem"));
	key->token = false;
	assert_int_equal(edge_sslkey_from_key(key, &pkey, &err), EDGE_OK);
	assert_non_null(pkey);
	EVP_PKEY_free(pkey);
	edge_key_free(&key);
}

static void
test_explain(void **state)
{
	struct edge_tls_status st = { .have_crl = true };
	struct edge_error err = { 0 };

	(void)state;
	st.verify_error = X509_V_ERR_CERT_HAS_EXPIRED;
	edge_tls_status_reset(&st);
	assert_int_equal(st.verify_error, 0);
	assert_int_equal(st.alert, -1);
	assert_true(st.have_crl);
	assert_int_equal(edge_tls_explain(&st, "hub", &err), EDGE_OK);

	st.verify_error = X509_V_ERR_CERT_HAS_EXPIRED;
	assert_int_equal(edge_tls_explain(&st, "hub", &err), EDGE_ETRUST);
	assert_string_equal(err.msg, "hub certificate: expired");
	st.verify_error = X509_V_ERR_HOSTNAME_MISMATCH;
	assert_int_equal(edge_tls_explain(&st, "hub.example", &err), EDGE_ETRUST);
	assert_string_equal(err.msg,
	    "hub certificate: name mismatch: not valid for hub.example");
	st.verify_error = X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY;
	st.verify_depth = 1;
	strcpy(st.verify_subject, "/CN=mid");
	assert_int_equal(edge_tls_explain(&st, "hub", &err), EDGE_ETRUST);
	assert_string_equal(err.msg,
	    "hub certificate: signed by an unknown CA (not the pinned root) (at /CN=mid)");

	edge_tls_status_reset(&st);
	st.alert = SSL_AD_CERTIFICATE_REVOKED;
	assert_int_equal(edge_tls_explain(&st, "hub", &err), EDGE_EREVOKED);
	st.alert = SSL_AD_UNKNOWN_CA;
	assert_int_equal(edge_tls_explain(&st, "hub", &err), EDGE_EREFUSED);
	st.alert = SSL_AD_HANDSHAKE_FAILURE;	/* not about certificates */
	assert_int_equal(edge_tls_explain(&st, "hub", &err), EDGE_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ctx_from_state, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ctx_crl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ctx_refusals, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_converted_key_signs, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_token_key, setup, teardown),
		cmocka_unit_test(test_from_key_refusals),
		cmocka_unit_test(test_explain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
