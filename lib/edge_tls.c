/* SPDX-License-Identifier: MIT */
/*
 * The TLS client context for edge-connect (OpenSSL).  The edge's key comes
 * from edge_sslkey.c, which owns the OpenSSL side of it (the pkcs11 engine,
 * the conversion from GnuTLS).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "edge_crlstore.h"
#include "edge_file.h"
#include "edge_hubid.h"
#include "edge_sslkey.h"
#include "edge_state.h"
#include "edge_tls.h"

static int status_index = -1;
static int expect_index = -1;

/* What the verify callback checks beyond OpenSSL's verified chain. */
struct expect {
	char *host;		/* NULL: name not checked (--no-verify-hostname) */
	char *pins;		/* --hub-pin, NULL: none */
	long crl_grace;		/* seconds a CRL past nextUpdate is still used */
	bool crl;		/* DIR/crl.pem exists: the chain is checked */
	struct edge_certs roots;	/* the pinned roots, for the CRLs */
	struct edge_crls crls;	/* DIR/crl.pem, the only copy in memory */
};

static void
expect_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
    void *argp)
{
	struct expect *e = ptr;

	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	if (e == NULL)
		return;
	free(e->host);
	free(e->pins);
	edge_certs_free(&e->roots);
	edge_crls_free(&e->crls);
	free(e);
}

bool
edge_tls_pending(void *ssl)
{
	return ssl != NULL && SSL_pending(ssl) > 0;
}

void
edge_tls_status_reset(struct edge_tls_status *st)
{
	bool crl = st->have_crl;

	memset(st, 0, sizeof(*st));
	st->alert = -1;
	st->have_crl = crl;
}

static struct edge_tls_status *
status_of(const SSL *ssl)
{
	if (ssl == NULL || status_index < 0)
		return NULL;
	return SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), status_index);
}

static const struct expect *
expect_of(const SSL *ssl)
{
	return SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), expect_index);
}

static time_t
asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return timegm(&tm);
}

/* The verified chain, leaf first, as DER (free with chain_der_free). */
static int
chain_der(X509_STORE_CTX *xs, struct edge_der **out, int *nout,
    struct edge_error *why)
{
	STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(xs);
	int i, n = chain ? sk_X509_num(chain) : 0;
	struct edge_der *der = n > 0 ? calloc((size_t)n, sizeof(*der)) : NULL;

	*out = der;
	*nout = der != NULL ? n : 0;
	if (der == NULL)
		return edge_err(why, EDGE_EFAIL, "hub certificate: no chain");
	for (i = 0; i < n; i++) {
		unsigned char *p = NULL;
		int len = i2d_X509(sk_X509_value(chain, i), &p);

		if (len <= 0)
			return edge_err(why, EDGE_EFAIL,
			    "hub certificate: cannot encode");
		der[i].p = p;
		der[i].len = (size_t)len;
	}
	return EDGE_OK;
}

static void
chain_der_free(struct edge_der *der, int n)
{
	int i;

	for (i = 0; i < n; i++)
		OPENSSL_free((void *)(uintptr_t)der[i].p);
	free(der);
}

/* The verified chain against edge_hubid_check_chain. */
static int
chain_check(X509_STORE_CTX *xs, const struct expect *e, struct edge_error *why)
{
	struct edge_der *der;
	int n, rc;

	if ((rc = chain_der(xs, &der, &n, why)) == EDGE_OK)
		rc = edge_hubid_check_chain(der, (size_t)n, e ? e->host : NULL,
		    e ? e->pins : NULL, why);
	chain_der_free(der, n);
	return rc;
}

/* edge_crlstore's verdict on a certificate of the hub's chain, as OpenSSL's. */
static int
x509_error(enum edge_crl_hub v)
{
	switch (v) {
	case EDGE_CRL_HUB_GOOD:		return X509_V_OK;
	case EDGE_CRL_HUB_REVOKED:	return X509_V_ERR_CERT_REVOKED;
	case EDGE_CRL_HUB_NO_CRL:	return X509_V_ERR_UNABLE_TO_GET_CRL;
	case EDGE_CRL_HUB_NOT_YET:	return X509_V_ERR_CRL_NOT_YET_VALID;
	case EDGE_CRL_HUB_STALE:	return X509_V_ERR_CRL_HAS_EXPIRED;
	case EDGE_CRL_HUB_UNKNOWN:
	default:			return X509_V_ERR_UNSPECIFIED;
	}
}

/*
 * The revocation decision for the hub's chain, in place of OpenSSL's
 * (X509_STORE_set_check_revocation, called where OpenSSL checks its CRLs):
 * edge_crls_hub_chain's, the rule edge-check applies too, as for our own
 * certificate and edge-crl-update --check.  Every certificate below the
 * pinned root is checked; the first failure goes to verify_cb like
 * OpenSSL's own.
 */
static int
check_revocation(X509_STORE_CTX *xs)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(xs,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	const struct expect *e = ssl != NULL ? expect_of(ssl) : NULL;
	struct edge_tls_status *st = status_of(ssl);
	X509_VERIFY_PARAM *p = X509_STORE_CTX_get0_param(xs);
	struct edge_error why = { 0 };
	struct edge_der *der;
	gnutls_x509_crt_t *crt;
	enum edge_crl_hub v;
	size_t depth = 0;
	bool stale = false;
	int i, n, good, ok = 1;
	time_t now;

	if (e == NULL || !e->crl)
		return 1;
	now = (X509_VERIFY_PARAM_get_flags(p) & X509_V_FLAG_USE_CHECK_TIME) ?
	    X509_VERIFY_PARAM_get_time(p) : time(NULL);
	good = chain_der(xs, &der, &n, &why) == EDGE_OK ? n : 0;
	crt = good > 0 ? calloc((size_t)good, sizeof(*crt)) : NULL;
	if (crt == NULL)
		good = 0;
	/* One that cannot be parsed stays NULL: it cannot be judged. */
	for (i = 0; i < good; i++) {
		gnutls_datum_t d = { (unsigned char *)(uintptr_t)der[i].p,
		    (unsigned)der[i].len };

		if (gnutls_x509_crt_init(&crt[i]) < 0)
			crt[i] = NULL;
		else if (gnutls_x509_crt_import(crt[i], &d,
		    GNUTLS_X509_FMT_DER) < 0) {
			gnutls_x509_crt_deinit(crt[i]);
			crt[i] = NULL;
		}
	}
	v = edge_crls_hub_chain(&e->crls, &e->roots, crt, (size_t)good, now,
	    e->crl_grace, &depth, &stale);
	if (stale && st != NULL)
		st->crl_stale = true;
	if (v != EDGE_CRL_HUB_GOOD) {
		X509_STORE_CTX_set_error(xs, x509_error(v));
		X509_STORE_CTX_set_error_depth(xs, (int)depth);
		X509_STORE_CTX_set_current_cert(xs, (int)depth < good ?
		    sk_X509_value(X509_STORE_CTX_get0_chain(xs), (int)depth) :
		    NULL);
		ok = X509_STORE_CTX_get_verify_cb(xs)(0, xs);
	}
	for (i = 0; i < good; i++)
		gnutls_x509_crt_deinit(crt[i]);
	free(crt);
	chain_der_free(der, n);
	return ok;
}

/*
 * The hub identity rule (edge_hubid.h) on the verified chain, before
 * OpenSSL's own name check can report a plain mismatch.  OpenSSL's purpose
 * check would pass a certificate without EKU; where it does refuse one, our
 * rule names the cause as the HTTPS path does.
 */
static int
check_identity(SSL *ssl, struct edge_tls_status *st, X509_STORE_CTX *xs)
{
	const struct expect *e = expect_of(ssl);
	struct edge_error why = { 0, "" };

	if (chain_check(xs, e, &why) == EDGE_OK)
		return 1;
	if (st->verify_error == 0) {
		snprintf(st->identity, sizeof(st->identity), "%s", why.msg);
		st->verify_error = X509_V_ERR_APPLICATION_VERIFICATION;
		st->verify_depth = 0;
	}
	X509_STORE_CTX_set_error(xs, X509_V_ERR_APPLICATION_VERIFICATION);
	return 0;
}

/* Record the first failure and the hub certificate's notBefore. */
static int
verify_cb(int ok, X509_STORE_CTX *xs)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(xs,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	struct edge_tls_status *st = status_of(ssl);
	int depth = X509_STORE_CTX_get_error_depth(xs);
	X509 *cert = X509_STORE_CTX_get_current_cert(xs);
	int e = X509_STORE_CTX_get_error(xs);

	if (st == NULL)
		return ok;
	/*
	 * Every time the leaf passes OpenSSL's checks (or only its name), and
	 * when OpenSSL finds a purpose wrong anywhere in the chain.
	 */
	if (((depth == 0 && cert != NULL && (ok ||
	    e == X509_V_ERR_HOSTNAME_MISMATCH ||
	    e == X509_V_ERR_IP_ADDRESS_MISMATCH)) ||
	    (!ok && e == X509_V_ERR_INVALID_PURPOSE)) &&
	    !check_identity(ssl, st, xs))
		return 0;
	if (!ok && st->verify_error == 0) {
		st->verify_error = X509_STORE_CTX_get_error(xs);
		if (st->verify_error == 0)
			st->verify_error = X509_V_ERR_UNSPECIFIED;
		st->verify_depth = depth;
		if (cert != NULL)
			X509_NAME_oneline(X509_get_subject_name(cert),
			    st->verify_subject, sizeof(st->verify_subject));
	}
	if (ok && depth == 0 && cert != NULL && st->verify_error == 0)
		st->peer_not_before = asn1_time(X509_get0_notBefore(cert));
	return ok;
}

static void
info_cb(const SSL *ssl, int where, int ret)
{
	struct edge_tls_status *st;

	if (!(where & SSL_CB_ALERT) || (ret >> 8) != SSL3_AL_FATAL ||
	    (st = status_of(ssl)) == NULL)
		return;
	if (where & SSL_CB_READ) {
		if (st->alert < 0)
			st->alert = ret & 0xff;
	} else if ((where & SSL_CB_WRITE) && st->refused[0] == '\0') {
		/* OpenSSL raises the error before it sends the alert. */
		unsigned long e = ERR_peek_last_error();
		const char *why = e != 0 ? ERR_reason_error_string(e) : NULL;

		snprintf(st->refused, sizeof(st->refused),
		    "%s (TLS alert %s sent)", why ? why : "handshake refused",
		    SSL_alert_desc_string_long(ret & 0xff));
	}
}

/* Read a state-directory file (or a user path when dirfd is AT_FDCWD) into a BIO. */
static int
file_bio(int dirfd, const char *name, BIO **bio, struct edge_error *err)
{
	char *data = NULL;
	size_t len = 0;
	int rc;

	*bio = NULL;
	if ((rc = edge_file_read(dirfd, name, EDGE_FILE_MAX, &data, &len, err)) !=
	    EDGE_OK)
		return rc;
	/* BIO_new_mem_buf does not copy: copy so the buffer can be wiped now. */
	*bio = BIO_new(BIO_s_mem());
	if (*bio == NULL || BIO_write(*bio, data, (int)len) != (int)len) {
		BIO_free(*bio);
		*bio = NULL;
		rc = edge_err(err, EDGE_EFAIL, "%s: out of memory", name);
	}
	free(data);
	return rc;
}

static int
load_roots(SSL_CTX *ctx, const struct edge_tls_conf *conf,
    struct edge_error *err)
{
	const char *name = conf->ca_file ? conf->ca_file : EDGE_CA_FILE;
	X509_STORE *store = SSL_CTX_get_cert_store(ctx);
	X509 *x;
	BIO *bio;
	int rc, n = 0;

	/* A missing ca.pem names its step already ("run edge-activate"). */
	if ((rc = file_bio(conf->ca_file ? AT_FDCWD : conf->dirfd, name, &bio,
	    err)) != EDGE_OK)
		return rc == EDGE_EINPUT ? rc :
		    edge_err_prefix(err, "trusted root CA");
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (X509_STORE_add_cert(store, x) == 1)
			n++;
		X509_free(x);
	}
	ERR_clear_error();
	BIO_free(bio);
	if (n == 0)
		return edge_err(err, EDGE_EINPUT, "%s: no PEM certificate", name);
	return EDGE_OK;
}

/*
 * DIR/crl.pem, read once by edge_crlstore with the same pinned roots, for
 * check_revocation; OpenSSL's store holds no CRL.  edge_crls_verify's rule,
 * as for edge-crl-update: a CRL of another root is skipped; a file holding a
 * CRL that claims a pinned root that does not verify it, or one
 * edge_crlstore does not take, is refused: nothing is answered from it.
 */
static int
load_crl(SSL_CTX *ctx, const struct edge_tls_conf *conf,
    struct edge_tls_status *st, struct edge_error *err)
{
	struct expect *e = SSL_CTX_get_ex_data(ctx, expect_index);
	int rc;

	if ((rc = edge_crls_load_hub(conf->dirfd, conf->ca_file ? AT_FDCWD :
	    conf->dirfd, conf->ca_file ? conf->ca_file : EDGE_CA_FILE,
	    &e->roots, &e->crls, &e->crl, err)) != EDGE_OK)
		return rc;
	if (e->crl)
		X509_STORE_set_check_revocation(SSL_CTX_get_cert_store(ctx),
		    check_revocation);
	st->have_crl = e->crl;
	return EDGE_OK;
}

static int
load_cert(SSL_CTX *ctx, int dirfd, struct edge_error *err)
{
	X509 *x;
	BIO *bio;
	int rc, n = 0;

	if ((rc = file_bio(dirfd, EDGE_CERT_FILE, &bio, err)) != EDGE_OK)
		return rc == EDGE_EINPUT ? rc :
		    edge_err_prefix(err, "edge certificate");
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		/* The first is the edge's; any others are its chain. */
		if (n++ == 0)
			rc = SSL_CTX_use_certificate(ctx, x) == 1 ? 0 : -1;
		else
			rc = SSL_CTX_add1_chain_cert(ctx, x) == 1 ? 0 : -1;
		X509_free(x);
		if (rc != 0) {
			char why[256];
			BIO_free(bio);
			edge_sslkey_last_error(why, sizeof(why));
			return edge_err(err, EDGE_EINPUT, EDGE_CERT_FILE ": %s", why);
		}
	}
	ERR_clear_error();
	BIO_free(bio);
	if (n == 0)
		return edge_err(err, EDGE_EINPUT, EDGE_CERT_FILE ": no PEM certificate");
	return EDGE_OK;
}

static int
load_key(SSL_CTX *ctx, const struct edge_tls_conf *conf, struct edge_error *err)
{
	EVP_PKEY *pkey = NULL;
	char why[256];
	int rc;

	if ((rc = edge_sslkey_load_state(conf->dirfd, conf->pin, &pkey, err)) !=
	    EDGE_OK)
		return rc;
	if (SSL_CTX_use_PrivateKey(ctx, pkey) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		edge_sslkey_last_error(why, sizeof(why));
		rc = edge_err(err, EDGE_EINPUT,
		    EDGE_CERT_FILE ": does not match the edge's key: %s", why);
	}
	EVP_PKEY_free(pkey);
	return rc;
}

static int
set_expect(SSL_CTX *ctx, const struct edge_tls_conf *conf,
    struct edge_error *err)
{
	struct expect *e = calloc(1, sizeof(*e));

	if (e == NULL ||
	    (conf->verify_hostname && conf->server_name != NULL &&
	    (e->host = strdup(conf->server_name)) == NULL) ||
	    (conf->hub_pin != NULL && (e->pins = strdup(conf->hub_pin)) == NULL) ||
	    SSL_CTX_set_ex_data(ctx, expect_index, e) != 1) {
		expect_free(NULL, e, NULL, 0, 0, NULL);
		return edge_err(err, EDGE_EFAIL, "out of memory");
	}
	e->crl_grace = conf->crl_grace;
	return EDGE_OK;
}

int
edge_tls_ctx_new(const struct edge_tls_conf *conf, struct edge_tls_status *st,
    SSL_CTX **out, struct edge_error *err)
{
	X509_VERIFY_PARAM *param;
	SSL_CTX *ctx;
	unsigned char ip[16];
	char why[256];
	int rc;

	*out = NULL;
	if (status_index < 0)
		status_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	if (expect_index < 0)
		expect_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL,
		    expect_free);
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		edge_sslkey_last_error(why, sizeof(why));
		return edge_err(err, EDGE_EFAIL, "TLS: %s", why);
	}
	edge_tls_status_reset(st);
	SSL_CTX_set_ex_data(ctx, status_index, st);
	if ((rc = set_expect(ctx, conf, err)) != EDGE_OK)
		goto fail;
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
		rc = edge_err(err, EDGE_EFAIL, "TLS: cannot require TLS 1.2");
		goto fail;
	}
#ifdef SSL_OP_CLEANSE_PLAINTEXT
	/* Received records (downlink payloads) are cleansed once consumed. */
	SSL_CTX_set_options(ctx, SSL_OP_CLEANSE_PLAINTEXT);
#endif
	/* Trust only the pinned root: no SSL_CTX_set_default_verify_paths. */
	if ((rc = load_roots(ctx, conf, err)) != EDGE_OK ||
	    (rc = load_crl(ctx, conf, st, err)) != EDGE_OK)
		goto fail;
	/* Dynamic activation happens before the edge has a certificate. */
	if (!conf->server_only &&
	    ((rc = load_cert(ctx, conf->dirfd, err)) != EDGE_OK ||
	    (rc = load_key(ctx, conf, err)) != EDGE_OK))
		goto fail;
	param = SSL_CTX_get0_param(ctx);
	if (conf->verify_hostname && conf->server_name != NULL) {
		bool is_ip = inet_pton(AF_INET, conf->server_name, ip) == 1 ||
		    inet_pton(AF_INET6, conf->server_name, ip) == 1;

		/* The CN never names the hub (check_identity says why). */
		X509_VERIFY_PARAM_set_hostflags(param,
		    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS |
		    X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
		if ((is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param,
		    conf->server_name) : X509_VERIFY_PARAM_set1_host(param,
		    conf->server_name, 0)) != 1) {
			rc = edge_err(err, EDGE_EUSAGE, "%s: not a usable host name",
			    conf->server_name);
			goto fail;
		}
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_cb);
	SSL_CTX_set_info_callback(ctx, info_cb);
	*out = ctx;
	return EDGE_OK;
fail:
	SSL_CTX_free(ctx);
	return rc;
}

void
edge_tls_ctx_free(SSL_CTX **ctx)
{
	if (ctx == NULL || *ctx == NULL)
		return;
	SSL_CTX_free(*ctx);
	*ctx = NULL;
}

static const char *
verify_reason(int e)
{
	switch (e) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return "expired";
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return "not yet valid (or the clock is wrong)";
	case X509_V_ERR_CERT_REVOKED:
		return edge_crl_hub_reason(EDGE_CRL_HUB_REVOKED);
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
		return "signed by an unknown CA (not the pinned root)";
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
		return "signature invalid";
	case X509_V_ERR_CRL_HAS_EXPIRED:
		return edge_crl_hub_reason(EDGE_CRL_HUB_STALE);
	case X509_V_ERR_CRL_NOT_YET_VALID:
		return edge_crl_hub_reason(EDGE_CRL_HUB_NOT_YET);
	case X509_V_ERR_CRL_SIGNATURE_FAILURE:
		return "crl.pem has a bad signature";
	case X509_V_ERR_UNABLE_TO_GET_CRL:
		return edge_crl_hub_reason(EDGE_CRL_HUB_NO_CRL);
	default:
		return NULL;
	}
}

int
edge_tls_explain(const struct edge_tls_status *st, const char *server_name,
    struct edge_error *err)
{
	if (st->verify_error == X509_V_ERR_APPLICATION_VERIFICATION &&
	    st->identity[0] != '\0')
		return edge_err(err, EDGE_ETRUST, "%s", st->identity);
	if (st->verify_error != 0) {
		const char *why = verify_reason(st->verify_error);

		if (st->verify_error == X509_V_ERR_HOSTNAME_MISMATCH ||
		    st->verify_error == X509_V_ERR_IP_ADDRESS_MISMATCH)
			return edge_err(err, EDGE_ETRUST,
			    "hub certificate: name mismatch: not valid for %s",
			    server_name ? server_name : "the hub's address");
		return edge_err(err, EDGE_ETRUST, "hub certificate: %s%s%s%s",
		    why ? why : X509_verify_cert_error_string(st->verify_error),
		    st->verify_depth > 0 ? " (at " : "",
		    st->verify_depth > 0 ? st->verify_subject : "",
		    st->verify_depth > 0 ? ")" : "");
	}
	switch (st->alert) {
	case -1:
		return EDGE_OK;
	case SSL_AD_CERTIFICATE_REVOKED:
		return edge_err(err, EDGE_EREVOKED,
		    "the hub refused the edge certificate: it is revoked (TLS alert certificate revoked)");
	case SSL_AD_CERTIFICATE_EXPIRED:
		return edge_err(err, EDGE_EREFUSED,
		    "the hub refused the edge certificate: expired (TLS alert certificate expired)");
	case SSL_AD_UNKNOWN_CA:
		return edge_err(err, EDGE_EREFUSED,
		    "the hub refused the edge certificate: issued by a CA it does not know (TLS alert unknown CA)");
	case SSL_AD_BAD_CERTIFICATE:
	case SSL_AD_UNSUPPORTED_CERTIFICATE:
	case SSL_AD_CERTIFICATE_UNKNOWN:
	case SSL_AD_ACCESS_DENIED:
		return edge_err(err, EDGE_EREFUSED,
		    "the hub refused the edge certificate (TLS alert %s)",
		    SSL_alert_desc_string_long(st->alert));
	default:
		/* Not about certificates (a broker going down): worth retrying. */
		return EDGE_OK;
	}
}
