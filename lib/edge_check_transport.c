/* SPDX-License-Identifier: MIT */
/*
 * edge-check --online: the hub's transport as this gateway sees it.
 *   tls.broker  one TLS handshake with the MQTT broker (mqtts://host[:port],
 *               edge_mqtt_url_parse's default port), presenting the edge's
 *               certificate and key (a token key through GnuTLS PKCS#11)
 *   tls.api     one TLS handshake with the API gateway (https://host[:port])
 *               and one HEAD request once the hub is verified
 *   clock.hub   the system clock against that answer's Date header
 * The hub is held to the rules edge-connect and the HTTPS path apply: TLS
 * 1.2 or newer, a chain to the trusted roots (ca.pem for the broker,
 * --hub-ca or the system store for the API), and the hub identity rule
 * (edge_hubid_check_sent: serverAuth, the host in a subjectAltName, CA
 * EKUs), and for the broker, as edge-connect, the revocation policy on
 * that chain when crl.pem is there (edge_crls_hub_chain: listed in crl.pem,
 * or no usable CRL of an issuer, with --crl-grace).  All of it is checked
 * in GnuTLS's verify callback, before the edge sends its certificate or
 * anything else.  GnuTLS, not OpenSSL: edge-check
 * links no OpenSSL.  Timeouts as the hub's: 10 s to connect, 30 s in all.
 * Never writes anything.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <curl/curl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "edge_check.h"
#include "edge_crlstore.h"
#include "edge_file.h"
#include "edge_hubid.h"
#include "edge_key.h"
#include "edge_mqtt.h"
#include "edge_state.h"
#include "edge_time.h"
#include "edge_x509.h"

#define CONNECT_MS	10000	/* the hub's connect timeout */
#define TOTAL_MS	30000	/* and its total */
#define EXPIRY_WARN_DAYS 30	/* a hub certificate expiring sooner warns */
#define SKEW_OK		60	/* clock.hub: ok within a minute, */
#define SKEW_WARN	300	/* warn within five, fail beyond */
#define CERTS_MAX	16
#define HEAD_MAX	8192

struct probe {
	const char *what;		/* "broker", "API" */
	char host[256];
	int port;
	gnutls_x509_trust_list_t tl;	/* owned by cred */
	/* the edge's certificate and key (broker only) */
	gnutls_pcert_st pcert[CERTS_MAX];
	unsigned npcert;
	struct edge_key *key;
	/* the identity rule's name (NULL: not checked) and pins (NULL: none) */
	const char *name;
	const char *pins;
	char weak[300];			/* how the trust is weakened, "" if not */
	/* crl.pem and its roots (broker only), edge_crls_load_hub */
	bool crl;			/* loaded: the chain is judged */
	bool crl_stale;			/* a CRL within the grace was used */
	long crl_grace;
	time_t now;
	struct edge_certs roots;
	struct edge_crls crls;
	/* what the handshake showed */
	gnutls_protocol_t version;	/* 0: none negotiated */
	char cipher[96];
	char subject[256];
	time_t not_after;		/* 0: no certificate seen */
	const char *failed;		/* "version", "chain", "name", "key", ... */
	char why[EDGE_ERR_MSG_MAX];	/* why the hub failed verification */
	time_t date;			/* the API's Date, 0: none */
	int ndate;			/* how many Date headers */
	char bad_date[64];		/* one that does not parse, "" if none */
	char head_why[EDGE_ERR_MSG_MAX]; /* why there is none */
};

static const char *
version_name(gnutls_protocol_t v)
{
	switch (v) {
	case GNUTLS_SSL3:	return "SSLv3";
	case GNUTLS_TLS1_0:	return "TLSv1.0";
	case GNUTLS_TLS1_1:	return "TLSv1.1";
	case GNUTLS_TLS1_2:	return "TLSv1.2";
	case GNUTLS_TLS1_3:	return "TLSv1.3";
	default:		return "unknown";
	}
}

static bool
below_tls12(gnutls_protocol_t v)
{
	return v == GNUTLS_SSL3 || v == GNUTLS_TLS1_0 || v == GNUTLS_TLS1_1;
}

/* Which part of the hub identity rule a message of edge_hubid names. */
static const char *
identity_part(const char *msg)
{
	if (strstr(msg, "issuer") != NULL)
		return "ca_eku";
	if (strstr(msg, "serverAuth") != NULL)
		return "serverAuth";
	if (strstr(msg, "keyUsage") != NULL)
		return "keyUsage";
	if (strstr(msg, "name") != NULL)
		return "name";
	if (strstr(msg, "pin") != NULL)
		return "pin";
	return "chain";
}

/* GnuTLS's verdict on the chain, in edge-connect's words where it has them. */
static const char *
chain_reason(unsigned status)
{
	if (status & GNUTLS_CERT_EXPIRED)
		return "expired";
	if (status & GNUTLS_CERT_NOT_ACTIVATED)
		return "not yet valid (or the clock is wrong)";
	if (status & GNUTLS_CERT_REVOKED)
		return "revoked";
	if (status & (GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_SIGNER_NOT_CA))
		return "signed by an unknown CA (not a trusted root)";
	if (status & GNUTLS_CERT_SIGNATURE_FAILURE)
		return "signature invalid";
	if (status & GNUTLS_CERT_INSECURE_ALGORITHM)
		return "signed with an insecure algorithm";
	return "does not verify";
}

static void
record_peer(struct probe *p, const gnutls_datum_t *peers, unsigned n)
{
	gnutls_x509_crt_t crt;

	if (n == 0 || gnutls_x509_crt_init(&crt) < 0)
		return;
	if (gnutls_x509_crt_import(crt, &peers[0], GNUTLS_X509_FMT_DER) == 0) {
		edge_x509_subject(crt, p->subject, sizeof(p->subject));
		p->not_after = gnutls_x509_crt_get_expiration_time(crt);
	}
	gnutls_x509_crt_deinit(crt);
}

/*
 * The chain GnuTLS verified, rebuilt (edge_hubid_sent_path), against the
 * hub identity rule and, when crl.pem is loaded, the revocation policy
 * edge-connect applies (edge_crls_hub_chain): p->failed "revoked" for a
 * certificate listed in crl.pem, "crl" when no usable CRL speaks for one.
 */
static int
hub_path(struct probe *p, const gnutls_datum_t *peers, unsigned n,
    char *also, size_t alen)
{
	struct edge_error err = { 0, "" };
	gnutls_x509_crt_t *path = NULL;
	enum edge_crl_hub v = EDGE_CRL_HUB_GOOD;
	size_t len = 0, depth = 0;
	int rc;

	if ((rc = edge_hubid_sent_path(p->tl, peers, n, &path, &len, &err)) ==
	    EDGE_OK)
		rc = edge_hubid_check_crts(path, len, p->name, p->pins, &err);
	if (rc != EDGE_OK) {
		p->failed = identity_part(err.msg);
		snprintf(also, alen, "%s: %s", p->failed, err.msg);
	} else if (p->crl) {
		v = edge_crls_hub_chain(&p->crls, &p->roots, path, len, p->now,
		    p->crl_grace, &depth, &p->crl_stale);
	}
	if (v != EDGE_CRL_HUB_GOOD) {
		char who[300] = "";

		if (depth > 0 && depth < len && path[depth] != NULL) {
			char sub[256];

			edge_x509_subject(path[depth], sub, sizeof(sub));
			snprintf(who, sizeof(who), " (at %s)", sub);
		}
		p->failed = v == EDGE_CRL_HUB_REVOKED ? "revoked" : "crl";
		snprintf(also, alen, "%s: hub certificate: %s%s", p->failed,
		    edge_crl_hub_reason(v), who);
		rc = EDGE_ETRUST;
	}
	edge_hubid_path_free(path, len);
	return rc;
}

/*
 * OpenSSL's default security level (2), which edge-connect's context has:
 * an RSA, DSA or DH key below 2048 bits, an EC key below 256, in any
 * certificate the hub sent, is refused ("EE/CA certificate key too weak").
 */
static bool
weak_key(const gnutls_datum_t *peers, unsigned n, char *also, size_t alen)
{
	gnutls_x509_crt_t crt;
	unsigned i, bits;
	int alg;
	bool weak = false;

	for (i = 0; i < n && !weak; i++) {
		if (gnutls_x509_crt_init(&crt) < 0)
			return false;
		bits = 0;
		if (gnutls_x509_crt_import(crt, &peers[i], GNUTLS_X509_FMT_DER) ==
		    0 && (alg = gnutls_x509_crt_get_pk_algorithm(crt, &bits)) >= 0) {
			bool ec = alg == GNUTLS_PK_EC;

			if ((alg == GNUTLS_PK_RSA || alg == GNUTLS_PK_RSA_PSS ||
			    alg == GNUTLS_PK_DSA) ? bits < 2048 :
			    ec ? bits < 256 : false) {
				weak = true;
				snprintf(also, alen,
				    "key: %s: key too weak (%s %u bits; edge-connect's OpenSSL refuses below %d)",
				    i == 0 ? "hub certificate" : "hub CA certificate",
				    gnutls_pk_get_name(
				    (gnutls_pk_algorithm_t)alg), bits,
				    ec ? 256 : 2048);
			}
		}
		gnutls_x509_crt_deinit(crt);
	}
	return weak;
}

/*
 * Run while the handshake has the hub's certificate and before the edge
 * answers with its own: the version, the chain, the identity.  Non-zero
 * ends the handshake; p->failed and p->why say why.
 */
static int
verify_hub(gnutls_session_t s)
{
	struct probe *p = gnutls_session_get_ptr(s);
	const gnutls_datum_t *peers;
	unsigned n = 0, status = 0;
	char also[EDGE_ERR_MSG_MAX] = "";
	int g;

	p->version = gnutls_protocol_get_version(s);
	peers = gnutls_certificate_get_peers(s, &n);
	record_peer(p, peers, peers != NULL ? n : 0);
	if (peers != NULL && weak_key(peers, n, also, sizeof(also))) {
		p->failed = "key";
	} else if ((g = gnutls_certificate_verify_peers2(s, &status)) < 0 ||
	    status != 0) {
		snprintf(also, sizeof(also), "chain: hub certificate: %s",
		    g < 0 ? gnutls_strerror(g) : chain_reason(status));
		if (p->failed == NULL)
			p->failed = "chain";
	} else {
		/* p->failed and also say which rule failed, if one did */
		(void)hub_path(p, peers, n, also, sizeof(also));
	}
	if (below_tls12(p->version)) {
		p->failed = "version";
		snprintf(p->why, sizeof(p->why),
		    "%s negotiated: below TLS 1.2%s%.300s",
		    version_name(p->version), also[0] ? "; also " : "", also);
	} else if (p->failed != NULL) {
		snprintf(p->why, sizeof(p->why), "%s", also);
	}
	return p->failed != NULL ? -1 : 0;
}

/* The edge's certificate and key, when the broker asks for them. */
static int
client_cert(gnutls_session_t s, const gnutls_datum_t *req_ca, int nreq,
    const gnutls_pk_algorithm_t *algos, int nalgos, gnutls_pcert_st **pcert,
    unsigned *npcert, gnutls_privkey_t *key)
{
	struct probe *p = gnutls_session_get_ptr(s);

	(void)req_ca;
	(void)nreq;
	(void)algos;
	(void)nalgos;
	*pcert = p->key != NULL ? p->pcert : NULL;
	*npcert = p->key != NULL ? p->npcert : 0;
	*key = p->key != NULL ? p->key->priv : NULL;
	return 0;
}

static long long
left_ms(long long deadline)
{
	long long l = deadline - edge_time_mono_ms();

	return l > 0 ? l : 0;
}

/* A TCP connection to p's host and port within CONNECT_MS. */
static int
tcp_connect(const struct probe *p, int *fdout, struct edge_error *err)
{
	struct addrinfo hints = { 0 }, *ai = NULL, *a;
	char port[16];
	int g, fd = -1, soerr = 0;
	long long deadline = edge_time_mono_ms() + CONNECT_MS;
	const char *why = "no address";

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%d", p->port);
	if ((g = getaddrinfo(p->host, port, &hints, &ai)) != 0)
		return edge_err(err, EDGE_ETEMP, "%s: %s", p->host,
		    gai_strerror(g));
	for (a = ai; a != NULL; a = a->ai_next) {
		struct pollfd pfd;
		socklen_t len = sizeof(soerr);

		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, a->ai_protocol);
		if (fd < 0) {
			why = strerror(errno);
			continue;
		}
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			g = poll(&pfd, 1, (int)left_ms(deadline));
			if (g > 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr,
			    &len) == 0 && soerr == 0)
				break;
			why = g == 0 ? "connection timed out (10 s)" :
			    strerror(soerr ? soerr : errno);
		} else {
			why = strerror(errno);
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd < 0)
		return edge_err(err, EDGE_ETEMP, "cannot connect to %s port %d: %s",
		    p->host, p->port, why);
	/* GnuTLS's own push and pull, with its timeouts, on a blocking socket. */
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	*fdout = fd;
	return EDGE_OK;
}

/* The edge's certificate chain (cert.pem) and key, for the broker. */
static int
load_identity(const struct edge_check_env *e, struct probe *p,
    struct edge_error *err)
{
	gnutls_datum_t d;
	char *pem = NULL;
	size_t len = 0;
	int rc, g;

	if ((rc = edge_file_read(e->dirfd, EDGE_CERT_FILE, EDGE_FILE_MAX, &pem,
	    &len, err)) != EDGE_OK)
		return rc;
	d.data = (unsigned char *)pem;
	d.size = (unsigned)len;
	p->npcert = CERTS_MAX;
	g = gnutls_pcert_list_import_x509_raw(p->pcert, &p->npcert, &d,
	    GNUTLS_X509_FMT_PEM, 0);
	free(pem);
	if (g < 0) {
		p->npcert = 0;
		return edge_err(err, EDGE_EINPUT, EDGE_CERT_FILE ": %s",
		    gnutls_strerror(g));
	}
	return edge_key_load_state(e->dirfd, &p->key, err);
}

static void
probe_free(struct probe *p)
{
	unsigned i;

	for (i = 0; i < p->npcert; i++)
		gnutls_pcert_deinit(&p->pcert[i]);
	p->npcert = 0;
	edge_key_free(&p->key);
	edge_certs_free(&p->roots);
	edge_crls_free(&p->crls);
}

/* The trust for the handshake: a PEM bundle, or the system's store. */
static int
trust(gnutls_certificate_credentials_t cred, struct probe *p,
    const char *ca_file, int dirfd, struct edge_error *err)
{
	gnutls_datum_t d = { NULL, 0 };
	char *pem = NULL;
	size_t len = 0;
	int rc, g;

	if ((g = gnutls_x509_trust_list_init(&p->tl, 0)) < 0)
		return edge_err(err, EDGE_EFAIL, "%s", gnutls_strerror(g));
	if (ca_file == NULL) {
		g = gnutls_x509_trust_list_add_system_trust(p->tl, 0, 0);
		if (g <= 0)
			rc = edge_err(err, EDGE_EINPUT,
			    "the system trust store: %s", g < 0 ?
			    gnutls_strerror(g) : "no certificate");
		else
			rc = EDGE_OK;
	} else if ((rc = edge_file_read(dirfd, ca_file, EDGE_FILE_MAX, &pem,
	    &len, err)) == EDGE_OK) {
		d.data = (unsigned char *)pem;
		d.size = (unsigned)len;
		g = gnutls_x509_trust_list_add_trust_mem(p->tl, &d, NULL,
		    GNUTLS_X509_FMT_PEM, 0, 0);
		if (g <= 0)
			rc = edge_err(err, EDGE_EINPUT, "%s: %s", ca_file,
			    g < 0 ? gnutls_strerror(g) : "no PEM certificate");
		free(pem);
	}
	if (rc != EDGE_OK) {
		gnutls_x509_trust_list_deinit(p->tl, 1);
		p->tl = NULL;
		return rc;
	}
	/* From here the credentials own the list. */
	gnutls_certificate_set_trust_list(cred, p->tl, 0);
	return EDGE_OK;
}

/*
 * An RFC 7231 IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT", exactly (the
 * obsolete RFC 850 and asctime forms are not accepted): the time, or 0 when
 * it does not parse or is out of range (years 1970 to 9999).
 */
time_t
edge_check_imf_fixdate(const char *v)
{
	static const char days[] = "MonTueWedThuFriSatSun";
	static const char mons[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	static const char shape[] = "Www, DD Mmm YYYY HH:MM:SS GMT";
	struct tm tm = { 0 };
	char w[4] = "", mo[4] = "";
	const char *d, *m;
	int mday, mon;
	size_t i;
	time_t t;

	if (strlen(v) != sizeof(shape) - 1)
		return 0;
	for (i = 0; i < sizeof(shape) - 1; i++) {
		/* the digits' places: not Mmm, not GMT */
		bool digit = i < 26 && !(i >= 8 && i <= 10) &&
		    strchr("DYHMS", shape[i]) != NULL;

		if (digit ? (v[i] < '0' || v[i] > '9') :
		    (strchr(" ,:", shape[i]) != NULL && v[i] != shape[i]))
			return 0;
	}
	memcpy(w, v, 3);
	memcpy(mo, v + 8, 3);
	if (strncmp(v + 26, "GMT", 3) != 0 ||
	    (d = strstr(days, w)) == NULL || (d - days) % 3 != 0 ||
	    (m = strstr(mons, mo)) == NULL || (m - mons) % 3 != 0)
		return 0;
	tm.tm_mday = (v[5] - '0') * 10 + (v[6] - '0');
	tm.tm_mon = (int)((m - mons) / 3);
	tm.tm_year = atoi(v + 12) - 1900;
	tm.tm_hour = (v[17] - '0') * 10 + (v[18] - '0');
	tm.tm_min = (v[20] - '0') * 10 + (v[21] - '0');
	tm.tm_sec = (v[23] - '0') * 10 + (v[24] - '0');
	if (tm.tm_year < 70 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return 0;
	mday = tm.tm_mday;
	mon = tm.tm_mon;
	/* 31 Feb and its kind: timegm normalises them */
	t = timegm(&tm);
	if (t <= 0 || tm.tm_mday != mday || tm.tm_mon != mon)
		return 0;
	return t;
}

/* Read the answer's head (up to the blank line) and its Date header. */
static int
read_date(gnutls_session_t s, struct probe *p, long long deadline,
    struct edge_error *err)
{
	char buf[HEAD_MAX + 1], *line, *save = NULL;
	size_t len = 0;
	ssize_t r;

	while (len < HEAD_MAX) {
		gnutls_record_set_timeout(s, (unsigned)left_ms(deadline));
		r = gnutls_record_recv(s, buf + len, HEAD_MAX - len);
		if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
		buf[len] = '\0';
		if (strstr(buf, "\r\n\r\n") != NULL)
			break;
	}
	buf[len] = '\0';
	if (strncmp(buf, "HTTP/", 5) != 0)
		return edge_err(err, EDGE_EINPUT,
		    "the API gave no HTTP answer to HEAD");
	for (line = strtok_r(buf, "\r\n", &save); line != NULL;
	    line = strtok_r(NULL, "\r\n", &save))
		if (strncasecmp(line, "Date:", 5) == 0) {
			const char *v = line + 5;
			size_t i, n;

			while (*v == ' ' || *v == '\t')
				v++;
			p->ndate++;
			p->date = edge_check_imf_fixdate(v);
			if (p->date == 0 && p->bad_date[0] == '\0') {
				/* printable only: it goes into a finding */
				n = strnlen(v, sizeof(p->bad_date) - 1);
				for (i = 0; i < n; i++) {
					p->bad_date[i] = v[i];
					if (v[i] < 0x20 || v[i] >= 0x7f)
						p->bad_date[i] = '?';
				}
				p->bad_date[n] = '\0';
			}
		}
	if (p->ndate != 1)
		p->date = 0;
	return EDGE_OK;
}

/*
 * One connection: TCP, the TLS handshake (verify_hub decides), and for the
 * API a HEAD request for the Date.  Errors: EDGE_ETEMP (network), EDGE_ETRUST
 * (the hub failed verification or the handshake: p->failed says which),
 * EDGE_EREFUSED (the hub refused the edge), EDGE_EINPUT, EDGE_EFAIL.
 */
static int
handshake(struct probe *p, gnutls_certificate_credentials_t cred,
    const char *path, struct edge_error *err)
{
	long long deadline = edge_time_mono_ms() + TOTAL_MS;
	struct edge_error herr = { 0, "" };
	gnutls_session_t s = NULL;
	struct in6_addr ip;
	int fd = -1, g, rc;

	if ((rc = tcp_connect(p, &fd, err)) != EDGE_OK)
		return rc;
	if ((g = gnutls_init(&s, GNUTLS_CLIENT)) < 0) {
		rc = edge_err(err, EDGE_EFAIL, "%s", gnutls_strerror(g));
		goto out;
	}
	/*
	 * The system's defaults, older versions included when they allow them,
	 * so that a server stuck below TLS 1.2 is named by its version;
	 * verify_hub ends such a handshake before the edge says anything.
	 * %PROFILE_MEDIUM: DH groups below 2048 bits refused, as by OpenSSL's
	 * default security level in edge-connect (weak_key does the keys).
	 */
	if (gnutls_priority_set_direct(s,
	    "NORMAL:+VERS-TLS1.1:+VERS-TLS1.0:%PROFILE_MEDIUM", NULL) < 0 &&
	    gnutls_priority_set_direct(s, "NORMAL:+VERS-TLS1.1:+VERS-TLS1.0",
	    NULL) < 0)
		(void)gnutls_set_default_priority(s);
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred);
	if (inet_pton(AF_INET, p->host, &ip) != 1 &&
	    inet_pton(AF_INET6, p->host, &ip) != 1)
		gnutls_server_name_set(s, GNUTLS_NAME_DNS, p->host,
		    strlen(p->host));
	gnutls_session_set_ptr(s, p);
	gnutls_transport_set_int(s, fd);
	gnutls_handshake_set_timeout(s, (unsigned)left_ms(deadline));
	do {
		g = gnutls_handshake(s);
	} while (g < 0 && !gnutls_error_is_fatal(g));
	if (g < 0) {
		if (p->version == 0)
			p->version = gnutls_protocol_get_version(s);
		if (p->failed != NULL) {
			rc = edge_err(err, EDGE_ETRUST, "%s", p->why);
		} else if (g == GNUTLS_E_UNSUPPORTED_VERSION_PACKET) {
			p->failed = "version";
			rc = edge_err(err, EDGE_ETRUST,
			    "the %s offers only a TLS version this GnuTLS refuses: below TLS 1.2 (%s)",
			    p->what, gnutls_strerror(g));
		} else if (g == GNUTLS_E_FATAL_ALERT_RECEIVED &&
		    gnutls_alert_get(s) == GNUTLS_A_PROTOCOL_VERSION) {
			p->failed = "version";
			rc = edge_err(err, EDGE_ETRUST,
			    "the %s refused TLS 1.2 and 1.3 (alert protocol version): below TLS 1.2",
			    p->what);
		} else if (g == GNUTLS_E_DH_PRIME_UNACCEPTABLE) {
			p->failed = "dh";
			rc = edge_err(err, EDGE_ETRUST,
			    "dh: the %s's DH group too small (below 2048 bits; edge-connect's OpenSSL refuses it too)",
			    p->what);
		} else if (g == GNUTLS_E_KEY_USAGE_VIOLATION) {
			p->failed = "keyUsage";
			rc = edge_err(err, EDGE_ETRUST,
			    "keyUsage: hub certificate: keyUsage does not allow a TLS server (%s)",
			    gnutls_strerror(g));
		} else if (g == GNUTLS_E_FATAL_ALERT_RECEIVED) {
			rc = edge_err(err, EDGE_EREFUSED,
			    "the %s ended the handshake: TLS alert %s", p->what,
			    gnutls_alert_get_name(gnutls_alert_get(s)));
		} else {
			rc = edge_err(err, g == GNUTLS_E_TIMEDOUT ||
			    g == GNUTLS_E_PREMATURE_TERMINATION ||
			    g == GNUTLS_E_PUSH_ERROR || g == GNUTLS_E_PULL_ERROR ?
			    EDGE_ETEMP : EDGE_EREFUSED, "TLS handshake with the %s: %s",
			    p->what, gnutls_strerror(g));
		}
		goto out;
	}
	p->version = gnutls_protocol_get_version(s);
	snprintf(p->cipher, sizeof(p->cipher), "%s",
	    gnutls_ciphersuite_get(s) ? gnutls_ciphersuite_get(s) : "unknown");
	g = gnutls_kx_get(s) == GNUTLS_KX_DHE_RSA ||
	    gnutls_kx_get(s) == GNUTLS_KX_DHE_DSS ? gnutls_dh_get_prime_bits(s) :
	    0;
	if (g > 0 && g < 2048) {
		p->failed = "dh";
		rc = edge_err(err, EDGE_ETRUST,
		    "dh: the %s's DH group too small (%d bits; edge-connect's OpenSSL refuses below 2048)",
		    p->what, g);
		goto out;
	}
	if (path != NULL) {
		char req[1024];
		int n = snprintf(req, sizeof(req),
		    "HEAD %s HTTP/1.1\r\nHost: %s%s%s:%d\r\nUser-Agent: edge-check/"
		    EDGE_VERSION "\r\nConnection: close\r\n\r\n", path,
		    strchr(p->host, ':') ? "[" : "", p->host,
		    strchr(p->host, ':') ? "]" : "", p->port);

		if (n < 0 || (size_t)n >= sizeof(req) ||
		    gnutls_record_send(s, req, (size_t)n) != n) {
			rc = edge_err(err, EDGE_ETEMP, "the API: cannot send HEAD");
			goto out;
		}
		/* The TLS check is done: a bad answer only leaves no Date. */
		if (read_date(s, p, deadline, &herr) != EDGE_OK)
			snprintf(p->head_why, sizeof(p->head_why), "%s",
			    herr.msg);
	} else if (p->version == GNUTLS_TLS1_3) {
		/*
		 * In TLS 1.3 the broker judges the edge's certificate after
		 * the client's handshake is over: a refusal comes as an alert.
		 */
		char c;
		ssize_t r;

		gnutls_record_set_timeout(s, 500);
		r = gnutls_record_recv(s, &c, 1);
		if (r == GNUTLS_E_FATAL_ALERT_RECEIVED)
			rc = edge_err(err, EDGE_EREFUSED,
			    "the broker refused the edge certificate: TLS alert %s",
			    gnutls_alert_get_name(gnutls_alert_get(s)));
	}
	if (rc == EDGE_OK)
		(void)gnutls_bye(s, GNUTLS_SHUT_WR);
out:
	if (s != NULL)
		gnutls_deinit(s);
	close(fd);
	return rc;
}

/* The finding for one endpoint after its handshake. */
static void
report(const struct edge_check_env *e, struct edge_findings *f,
    const char *id, const struct probe *p, const char *trusted, int rc,
    const struct edge_error *err, const char *fix_other)
{
	json_object *d = json_object_new_object();
	char na[32] = "", fix[EDGE_CHECK_FIX_MAX];
	long long days = 0;
	time_t now = edge_time_now();

	json_object_object_add(d, "host", json_object_new_string(p->host));
	json_object_object_add(d, "port", json_object_new_int(p->port));
	json_object_object_add(d, "trust", json_object_new_string(trusted));
	if (p->version != 0 && p->version != GNUTLS_VERSION_UNKNOWN)
		json_object_object_add(d, "tls_version",
		    json_object_new_string(version_name(p->version)));
	if (p->cipher[0] != '\0')
		json_object_object_add(d, "cipher",
		    json_object_new_string(p->cipher));
	if (p->not_after > 0) {
		edge_x509_time(p->not_after, na, sizeof(na));
		days = (long long)(p->not_after - now) / 86400;
		if (p->not_after < now && (p->not_after - now) % 86400 != 0)
			days--;
		json_object_object_add(d, "peer",
		    json_object_new_string(p->subject));
		json_object_object_add(d, "not_after",
		    json_object_new_string(na));
		json_object_object_add(d, "days_left",
		    json_object_new_int64(days));
	}
	if (p->failed != NULL)
		json_object_object_add(d, "failed",
		    json_object_new_string(p->failed));
	if (strcmp(id, "tls.broker") == 0)
		json_object_object_add(d, "crl", json_object_new_string(
		    !p->crl ? "none" : p->crl_stale ? "stale" : "checked"));
	(void)e;
	if (rc != EDGE_OK) {
		if (p->failed != NULL && strcmp(p->failed, "version") == 0)
			snprintf(fix, sizeof(fix),
			    "have the hub's %s %.100s:%d offer TLS 1.2 or 1.3",
			    p->what, p->host, p->port);
		else if (p->failed != NULL && strcmp(p->failed, "revoked") == 0)
			snprintf(fix, sizeof(fix),
			    "the hub's %s certificate is revoked in crl.pem (edge-connect refuses it too): its operator must replace it; if crl.pem is wrong, run edge-crl-update",
			    p->what);
		else if (p->failed != NULL && strcmp(p->failed, "key") == 0)
			snprintf(fix, sizeof(fix),
			    "the hub's %s certificate needs an RSA key of 2048 bits or more, or an EC key of 256 (edge-connect refuses it too)",
			    p->what);
		else if (p->failed != NULL && strcmp(p->failed, "dh") == 0)
			snprintf(fix, sizeof(fix),
			    "have the hub's %s use DH groups of 2048 bits or more, or ECDHE (edge-connect refuses it too)",
			    p->what);
		else if (p->failed != NULL && strcmp(p->failed, "pin") == 0)
			snprintf(fix, sizeof(fix),
			    "correct hub-pin (edge.conf, EDGE_HUB_PIN, --hub-pin) to the hub's key, or remove it: edge-connect refuses this %s too",
			    p->what);
		else if (p->failed != NULL && strcmp(p->failed, "crl") == 0)
			snprintf(fix, sizeof(fix),
			    "run edge-crl-update (edge-connect refuses the %s without a usable CRL of its issuer; see crl.fresh)",
			    p->what);
		else if (p->failed != NULL)
			snprintf(fix, sizeof(fix), "%s", fix_other);
		else if (rc == EDGE_ETEMP)
			snprintf(fix, sizeof(fix),
			    "check the address (--%s) and the network path to %.100s:%d",
			    strcmp(id, "tls.api") == 0 ? "api" : "mqtt", p->host,
			    p->port);
		else
			fix[0] = '\0';
		edge_check_add(f, id, EDGE_V_FAIL, d, fix, "%s %s:%d: %s",
		    p->what, p->host, p->port, err->msg);
		return;
	}
	if (below_tls12(p->version)) {	/* verify_hub ends these; never here */
		edge_check_add(f, id, EDGE_V_FAIL, d, NULL, "%s: %s",
		    p->what, version_name(p->version));
		return;
	}
	if (p->weak[0] != '\0') {
		json_object_object_add(d, "weakened",
		    json_object_new_string(p->weak));
		edge_check_add(f, id, EDGE_V_WARN, d,
		    "trust only the hub's roots: remove no-verify-hostname, and set ca to the hub's CA (or leave it out: DIR/ca.pem), in edge.conf or EDGE_*",
		    "%s %s:%d: %s %s, hub certificate %s verified (%s), but edge-connect's trust is weakened: %s",
		    p->what, p->host, p->port, version_name(p->version), p->cipher,
		    p->subject, trusted, p->weak);
		return;
	}
	if (p->crl_stale) {
		edge_check_add(f, id, EDGE_V_WARN, d,
		    "run edge-crl-update (see crl.fresh)",
		    "%s %s:%d: %s %s, hub certificate %s verified (%s), but with crl.pem past its nextUpdate (within --crl-grace; edge-connect warns too)",
		    p->what, p->host, p->port, version_name(p->version), p->cipher,
		    p->subject, trusted);
		return;
	}
	if (days < EXPIRY_WARN_DAYS) {
		snprintf(fix, sizeof(fix),
		    "the hub's %s certificate must be renewed by its operator before %s",
		    p->what, na);
		edge_check_add(f, id, EDGE_V_WARN, d, fix,
		    "%s %s:%d: %s %s, hub certificate %s expires in %lld day(s) (%s)",
		    p->what, p->host, p->port, version_name(p->version), p->cipher,
		    p->subject, days, na);
		return;
	}
	edge_check_add(f, id, EDGE_V_OK, d, NULL,
	    "%s %s:%d: %s %s, hub certificate %s verified (%s), valid until %s (%lld days)",
	    p->what, p->host, p->port, version_name(p->version), p->cipher,
	    p->subject, trusted, na, days);
}

/*
 * A ca option that trusts more than the hub's roots (DIR/ca.pem, which
 * edge-activate installed): its certificates not in ca.pem, or, without
 * ca.pem, a bundle of more than 2 (a public store), named in weak.
 */
static void
public_roots(const struct edge_check_env *e, char *weak, size_t wlen)
{
	struct edge_error err = { 0, "" };
	struct edge_certs b = { NULL, 0 }, hub = { NULL, 0 };
	unsigned i, j, other = 0;
	size_t l = strlen(weak);
	bool have_hub;

	if (edge_certs_read(AT_FDCWD, e->ca, &b, &err) != EDGE_OK)
		return;		/* trust() says so */
	have_hub = edge_certs_read(e->dirfd, EDGE_CA_FILE, &hub, &err) ==
	    EDGE_OK;
	for (i = 0; i < b.n; i++) {
		bool known = false;

		for (j = 0; have_hub && j < hub.n && !known; j++)
			known = gnutls_x509_crt_equals(b.crt[i], hub.crt[j]) != 0;
		if (!known)
			other++;
	}
	if (have_hub ? other > 0 : b.n > 2)
		snprintf(weak + l, wlen - l,
		    "%sca = %s holds %u certificate(s), %u not among the hub's roots (%s): edge-connect accepts a hub any of them vouches for",
		    l ? "; " : "", e->ca, b.n, have_hub ? other : b.n,
		    have_hub ? "DIR/" EDGE_CA_FILE : "no DIR/" EDGE_CA_FILE
		    " to compare, a public store?");
	edge_certs_free(&b);
	edge_certs_free(&hub);
}

static void
check_broker(const struct edge_check_env *e, struct edge_findings *f)
{
	gnutls_certificate_credentials_t cred = NULL;
	struct probe p = { .what = "broker" };
	struct edge_error err = { 0, "" };
	const char *ca = e->ca != NULL ? e->ca : EDGE_CA_FILE;
	int cadir = e->ca != NULL ? AT_FDCWD : e->dirfd;
	char *host = NULL;
	int rc;

	if (e->mqtt == NULL || *e->mqtt == '\0') {
		edge_check_add(f, "tls.broker", EDGE_V_SKIP, NULL,
		    "give --mqtt mqtts://HOST:PORT",
		    "no broker address (--mqtt, or mqtt in device.json)");
		return;
	}
	if (edge_mqtt_url_parse(e->mqtt, &host, &p.port, &err) != EDGE_OK) {
		edge_check_add(f, "tls.broker", EDGE_V_FAIL, NULL,
		    "give --mqtt mqtts://HOST:PORT", "%s", err.msg);
		return;
	}
	snprintf(p.host, sizeof(p.host), "%s", host);
	free(host);
	if (edge_key_state_in_token(e->dirfd) && !e->have_pin) {
		edge_check_add(f, "tls.broker", EDGE_V_SKIP, NULL,
		    "give --pin to present the token key",
		    "the edge key is in a token and no PIN was given: the broker requires the edge's certificate and key");
		return;
	}
	if (load_identity(e, &p, &err) != EDGE_OK) {
		edge_check_add(f, "tls.broker", EDGE_V_FAIL, NULL,
		    "see cert.chain and key.storage; run edge-activate",
		    "cannot present the edge's certificate and key: %s",
		    err.msg);
		probe_free(&p);
		return;
	}
	if (gnutls_certificate_allocate_credentials(&cred) < 0) {
		edge_check_add(f, "tls.broker", EDGE_V_FAIL, NULL, NULL,
		    "out of memory");
		probe_free(&p);
		return;
	}
	p.crl_grace = e->crl_grace;
	p.now = e->now;
	/* As edge-connect's tls_setup: the same options, the same rule. */
	p.name = e->no_verify_hostname ? NULL :
	    e->server_name != NULL ? e->server_name : p.host;
	p.pins = e->hub_pin;
	if (e->no_verify_hostname)
		snprintf(p.weak, sizeof(p.weak),
		    "no-verify-hostname: the hub's name is not checked, any serverAuth certificate of %s is accepted as the hub%s",
		    ca, e->hub_pin != NULL ? " if its key matches hub-pin" : "");
	if (e->ca != NULL)
		public_roots(e, p.weak, sizeof(p.weak));
	if (e->hub_pin_error != NULL) {
		json_object *d = json_object_new_object();

		json_object_object_add(d, "failed", json_object_new_string("pin"));
		edge_check_add(f, "tls.broker", EDGE_V_FAIL, d,
		    "correct hub-pin (edge.conf, EDGE_HUB_PIN, --hub-pin): sha256//BASE64 of the hub's SubjectPublicKeyInfo",
		    "hub-pin: %s (edge-connect refuses to start)",
		    e->hub_pin_error);
	} else if (trust(cred, &p, ca, cadir, &err) != EDGE_OK) {
		edge_check_add(f, "tls.broker", EDGE_V_FAIL, NULL,
		    e->ca != NULL ? "correct ca (edge.conf, EDGE_CA, --ca)" :
		    "run edge-activate (it installs ca.pem)",
		    "trusted root CA: %s", err.msg);
	} else if (edge_crls_load_hub(e->dirfd, cadir, ca,
	    &p.roots, &p.crls, &p.crl, &err) != EDGE_OK) {
		json_object *d = json_object_new_object();

		/* edge-connect does not connect with it either (exit 6). */
		json_object_object_add(d, "failed", json_object_new_string("crl"));
		edge_check_add(f, "tls.broker", EDGE_V_FAIL, d,
		    "run edge-crl-update (see crl.verified)",
		    "the hub's chain cannot be judged against crl.pem: %s",
		    err.msg);
	} else {
		gnutls_certificate_set_retrieve_function2(cred, client_cert);
		gnutls_certificate_set_verify_function(cred, verify_hub);
		rc = handshake(&p, cred, NULL, &err);
		report(e, f, "tls.broker", &p, ca, rc, &err,
		    "the broker's certificate must chain to ca.pem, carry serverAuth and name the host in a subjectAltName");
	}
	gnutls_certificate_free_credentials(cred);
	probe_free(&p);
}

/* https://host[:port][/path]: host (no brackets), port, path ("/"). */
static int
api_parse(const char *url, struct probe *p, char *path, size_t plen,
    struct edge_error *err)
{
	CURLU *u = curl_url();
	char *h = NULL, *port = NULL, *pa = NULL, *scheme = NULL;
	int rc = EDGE_OK;

	if (u == NULL || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
	    CURLUE_OK) {
		rc = edge_err(err, EDGE_EUSAGE, "%s: not a usable URL", url);
	} else if (strcasecmp(scheme, "https") != 0) {
		rc = edge_err(err, EDGE_EUSAGE,
		    "%s: only https:// URLs are allowed", url);
	} else {
		size_t n = strlen(h);
		const char *s = h;

		if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
			s++;
			n -= 2;
		}
		if (n >= sizeof(p->host))
			rc = edge_err(err, EDGE_EUSAGE, "%s: host name too long",
			    url);
		snprintf(p->host, sizeof(p->host), "%.*s", (int)n, s);
		p->port = atoi(port);
		if (curl_url_get(u, CURLUPART_PATH, &pa, 0) != CURLUE_OK ||
		    pa == NULL || strlen(pa) >= plen ||
		    strpbrk(pa, " \r\n") != NULL)
			snprintf(path, plen, "/");
		else
			snprintf(path, plen, "%s", pa);
	}
	curl_free(scheme);
	curl_free(h);
	curl_free(port);
	curl_free(pa);
	curl_url_cleanup(u);
	return rc;
}

/* The system clock against the hub's, from the verified API's Date. */
static void
check_clock(struct edge_findings *f, bool trusted, const struct probe *p,
    time_t at)
{
	json_object *d;
	long long skew;
	enum edge_verdict v;
	char hub[32], fix[EDGE_CHECK_FIX_MAX] = "";

	if (!trusted) {
		edge_check_add(f, "clock.hub", EDGE_V_SKIP, NULL, NULL,
		    "the hub API's time is not trusted: its TLS check did not pass (see tls.api)");
		return;
	}
	if (p->ndate > 1) {
		edge_check_add(f, "clock.hub", EDGE_V_SKIP, NULL, NULL,
		    "the hub API's answer to HEAD carries %d Date headers: not judged (which one is the hub's time?)",
		    p->ndate);
		return;
	}
	if (p->ndate == 1 && p->date == 0) {
		edge_check_add(f, "clock.hub", EDGE_V_SKIP, NULL, NULL,
		    "the hub API's answer to HEAD has an unparseable Date header \"%s\" (not an RFC 7231 IMF-fixdate, or a year outside 1970-9999)",
		    p->bad_date);
		return;
	}
	if (p->date == 0) {
		edge_check_add(f, "clock.hub", EDGE_V_SKIP, NULL, NULL,
		    "the hub API's answer to HEAD carries no Date header%s%s",
		    p->head_why[0] ? ": " : "", p->head_why);
		return;
	}
	/* Positive: the hub is ahead, the system clock behind. */
	skew = (long long)(p->date - at);
	edge_x509_time(p->date, hub, sizeof(hub));
	d = json_object_new_object();
	json_object_object_add(d, "skew_seconds", json_object_new_int64(skew));
	json_object_object_add(d, "hub_date", json_object_new_string(hub));
	json_object_object_add(d, "ok_within", json_object_new_int(SKEW_OK));
	json_object_object_add(d, "warn_within", json_object_new_int(SKEW_WARN));
	if (llabs(skew) <= SKEW_OK)
		v = EDGE_V_OK;
	else if (llabs(skew) <= SKEW_WARN)
		v = EDGE_V_WARN;
	else
		v = EDGE_V_FAIL;
	if (v != EDGE_V_OK)
		snprintf(fix, sizeof(fix),
		    "synchronise the system clock (NTP: timedatectl set-ntp true; see clock.ntp)");
	if (skew == 0)
		edge_check_add(f, "clock.hub", v, d, fix,
		    "system clock agrees with the hub's (hub Date %s; ok within %d s, warn within %d s)",
		    hub, SKEW_OK, SKEW_WARN);
	else
		edge_check_add(f, "clock.hub", v, d, fix,
		    "system clock %lld s %s the hub's (hub Date %s; ok within %d s, warn within %d s)",
		    llabs(skew), skew > 0 ? "behind" : "ahead of", hub, SKEW_OK,
		    SKEW_WARN);
}

static void
check_api(const struct edge_check_env *e, struct edge_findings *f)
{
	gnutls_certificate_credentials_t cred = NULL;
	struct probe p = { .what = "API" };
	struct edge_error err = { 0, "" };
	char path[512], trusted[300];
	time_t at = 0;
	int rc;

	if (e->api == NULL || *e->api == '\0') {
		edge_check_add(f, "tls.api", EDGE_V_SKIP, NULL,
		    "give --api https://HOST[:PORT]",
		    "no API address (--api, or api in device.json)");
		edge_check_add(f, "clock.hub", EDGE_V_SKIP, NULL, NULL,
		    "no API address to ask the hub's time");
		return;
	}
	if (api_parse(e->api, &p, path, sizeof(path), &err) != EDGE_OK) {
		edge_check_add(f, "tls.api", EDGE_V_FAIL, NULL,
		    "give --api https://HOST[:PORT]", "%s", err.msg);
		check_clock(f, false, &p, 0);
		return;
	}
	p.name = p.host;
	snprintf(trusted, sizeof(trusted), "%s",
	    e->hub_ca != NULL ? e->hub_ca : "the system trust store");
	if (gnutls_certificate_allocate_credentials(&cred) < 0) {
		edge_check_add(f, "tls.api", EDGE_V_FAIL, NULL, NULL,
		    "out of memory");
		check_clock(f, false, &p, 0);
		return;
	}
	if ((rc = trust(cred, &p, e->hub_ca, AT_FDCWD, &err)) != EDGE_OK) {
		edge_check_add(f, "tls.api", EDGE_V_FAIL, NULL,
		    "give --hub-ca FILE, the hub's CA certificate",
		    "trusted CAs for the API: %s", err.msg);
	} else {
		gnutls_certificate_set_verify_function(cred, verify_hub);
		rc = handshake(&p, cred, path, &err);
		at = edge_time_now();
		report(e, f, "tls.api", &p, trusted, rc, &err, e->hub_ca != NULL ?
		    "the API's certificate must chain to --hub-ca, carry serverAuth and name the host in a subjectAltName" :
		    "give --hub-ca FILE, the hub's CA certificate (checked against the system trust store)");
	}
	gnutls_certificate_free_credentials(cred);
	check_clock(f, rc == EDGE_OK, &p, at);
}

void
edge_check_transport(const struct edge_check_env *e, struct edge_findings *f)
{
	static const char *const ids[] = { "tls.broker", "tls.api",
	    "clock.hub" };
	size_t i;

	if (!e->online) {
		for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
			edge_check_add(f, ids[i], EDGE_V_SKIP, NULL,
			    "edge-check --online", "needs --online");
		return;
	}
	check_broker(e, f);
	check_api(e, f);
}
