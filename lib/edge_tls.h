/* SPDX-License-Identifier: MIT */
#ifndef EDGE_TLS_H
#define EDGE_TLS_H

/*
 * The TLS client context for the MQTT connection to the hub: the one place
 * the project uses OpenSSL directly, because Debian's libmosquitto is built
 * on it and takes a ready SSL_CTX (MOSQ_OPT_SSL_CTX).
 *
 * The context offers TLS 1.2 or newer, trusts only the pinned root CA
 * (DIR/ca.pem or a given file, never the system store), holds the hub's
 * certificate to the hub identity rule (edge_hubid.h: serverAuth, the host
 * name or IP address in a subjectAltName, never the CN, the --hub-pin),
 * checks the hub's chain against DIR/crl.pem when it exists (the decision
 * is edge_crlstore's, as for the edge's own certificate: OpenSSL holds no
 * CRL), verifies validity at a given time, and presents the
 * edge's certificate (DIR/cert.pem) with its key (DIR/key.pem, or the token
 * key named by DIR/key.uri: edge_sslkey.h); received TLS records are
 * cleansed (SSL_OP_CLEANSE_PLAINTEXT).
 *
 * What happens during a handshake (the first verification error, a fatal
 * alert sent by the hub, the hub certificate's notBefore) is recorded in a
 * struct edge_tls_status the caller owns, so that a failed connection can
 * be explained (edge_tls_explain).  Never prints.
 */

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "edge_err.h"
#include "edge_secret.h"

struct ssl_ctx_st;	/* OpenSSL's SSL_CTX */

struct edge_tls_conf {
	int dirfd;		/* the state directory */
	const char *ca_file;	/* pinned root(s); NULL: DIR/ca.pem */
	const char *server_name; /* host name or IP the hub's certificate must carry */
	bool verify_hostname;	/* false only with --no-verify-hostname */
	const struct edge_secret *pin;	/* token PIN, NULL for a file key */
	bool server_only;	/* no client certificate (dynamic activation) */
	long crl_grace;		/* seconds a CRL past nextUpdate is still used */
	const char *hub_pin;	/* --hub-pin sha256//BASE64[;...], NULL: none */
};

struct edge_tls_status {
	int verify_error;	/* X509_V_ERR_* of the first failure, 0: none */
	int verify_depth;	/* where in the hub's chain it failed */
	char verify_subject[256];
	int alert;		/* fatal TLS alert received from the hub, -1: none */
	/*
	 * Why our own OpenSSL ended the handshake with a fatal alert (its
	 * error queue's reason, e.g. "dh key too small"), "": it did not.
	 * Recorded when the alert is sent, whichever libmosquitto call drove
	 * the handshake: libmosquitto's own error for it varies with timing.
	 */
	char refused[160];
	time_t peer_not_before;	/* the verified hub certificate's notBefore, 0: none */
	bool have_crl;		/* DIR/crl.pem was loaded */
	bool crl_stale;		/* a CRL past nextUpdate was used, within the grace */
	char identity[EDGE_ERR_MSG_MAX]; /* why it failed (edge_hubid_check_chain) */
};

/* Forget what the last handshake recorded (before each connection). */
void edge_tls_status_reset(struct edge_tls_status *st);

/*
 * Build the client context.  st is borrowed by the context and filled during
 * every handshake made with it; it must outlive the context.  Errors:
 * EDGE_EINPUT (missing or malformed ca.pem, cert.pem, key.pem, crl.pem, a
 * key.pem neither RSA nor EC, key not matching the certificate),
 * EDGE_ETRUST (crl.pem holds a CRL edge_crls_strict refuses), EDGE_ESTORE
 * (token key), EDGE_EFAIL.
 * Release with edge_tls_ctx_free().
 */
int edge_tls_ctx_new(const struct edge_tls_conf *conf,
    struct edge_tls_status *st, struct ssl_ctx_st **out,
    struct edge_error *err);

/* Release a context (NULL accepted; *ctx set to NULL). */
void edge_tls_ctx_free(struct ssl_ctx_st **ctx);

/*
 * Explain a failed handshake or a connection the hub closed, from what st
 * recorded: the hub's certificate failed verification (EDGE_ETRUST "hub
 * certificate has no serverAuth usage", "hub certificate: expired", "... signed by an unknown CA (not in ca.pem)",
 * "... revoked", "... name mismatch"), or the hub sent a fatal alert about
 * the edge's certificate (EDGE_EREVOKED when it is "certificate revoked",
 * EDGE_EREFUSED for unknown, expired or bad certificates).  Returns EDGE_OK
 * when st holds nothing that explains a failure.
 */
int edge_tls_explain(const struct edge_tls_status *st, const char *server_name,
    struct edge_error *err);

/* True when the TLS connection ssl (an OpenSSL SSL) holds decrypted input. */
bool edge_tls_pending(void *ssl);

#endif
