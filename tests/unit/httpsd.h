/* SPDX-License-Identifier: MIT */
/*
 * A tiny HTTPS server for unit tests (test_http, test_hub): a thread on
 * 127.0.0.1 with an ephemeral port, GnuTLS with certificates made in the
 * test, one request per connection ("Connection: close").  It records each
 * request it reads whole and answers from a script of replies.  Included,
 * not linked: every test binary is built from its own file.
 */
#ifndef HTTPSD_H
#define HTTPSD_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "testdir.h"

#define HTTPSD_MAX	16

struct httpsd_reply {
	int status;
	const char *headers;	/* extra "Name: value\r\n" lines, or NULL */
	const char *body;	/* or NULL: empty */
	const char *raw;	/* sent as is instead of all the above */
	int delay_ms;		/* before answering */
};

struct httpsd_req {
	char method[16];
	char target[2048];
	char headers[8192];	/* the header lines as received */
	char *body;		/* NUL-terminated copy, body_len bytes */
	size_t body_len;
};

static struct {
	int lfd, port;
	pthread_t th;
	pthread_mutex_t mu;
	bool stop;
	gnutls_certificate_credentials_t cred;
	/* Every credential used, freed at the end: a session may still hold one. */
	gnutls_certificate_credentials_t old[HTTPSD_MAX];
	int nold;
	struct httpsd_reply reply[HTTPSD_MAX];
	int nreply, next;
	struct httpsd_req req[HTTPSD_MAX];
	int nreq;
	int handshakes;		/* completed TLS handshakes */
} srv;

/* ---- certificates ------------------------------------------------------ */

static gnutls_x509_privkey_t
httpsd_key(void)
{
	gnutls_x509_privkey_t k;

	if (gnutls_x509_privkey_init(&k) < 0 ||
	    gnutls_x509_privkey_generate(k, GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) < 0)
		abort();
	return k;
}

struct httpsd_cert {
	const char *cn;
	bool ca;
	bool server_auth;	/* extendedKeyUsage serverAuth */
	bool client_auth;	/* extendedKeyUsage clientAuth */
	unsigned key_usage;	/* 0: none */
	const char *dns;	/* subjectAltName dNSName, or NULL */
	bool ip;		/* subjectAltName iPAddress 127.0.0.1 */
};

/* A certificate for key, signed by issuer (NULL: self-signed). */
static gnutls_x509_crt_t
httpsd_cert(const struct httpsd_cert *w, gnutls_x509_privkey_t key,
    gnutls_x509_crt_t issuer, gnutls_x509_privkey_t issuer_key)
{
	static unsigned char serial = 1;
	static const unsigned char lo[4] = { 127, 0, 0, 1 };
	gnutls_x509_crt_t c;
	time_t now = time(NULL);

	serial++;
	if (gnutls_x509_crt_init(&c) < 0)
		abort();
	gnutls_x509_crt_set_version(c, 3);
	gnutls_x509_crt_set_serial(c, &serial, 1);
	gnutls_x509_crt_set_dn_by_oid(c, GNUTLS_OID_X520_COMMON_NAME, 0, w->cn,
	    (unsigned)strlen(w->cn));
	gnutls_x509_crt_set_key(c, key);
	gnutls_x509_crt_set_activation_time(c, now - 600);
	gnutls_x509_crt_set_expiration_time(c, now + 86400);
	if (w->ca)
		gnutls_x509_crt_set_basic_constraints(c, 1, -1);
	if (w->key_usage != 0)
		gnutls_x509_crt_set_key_usage(c, w->key_usage);
	if (w->server_auth)
		gnutls_x509_crt_set_key_purpose_oid(c, GNUTLS_KP_TLS_WWW_SERVER, 0);
	if (w->client_auth)
		gnutls_x509_crt_set_key_purpose_oid(c, GNUTLS_KP_TLS_WWW_CLIENT, 0);
	if (w->dns != NULL)
		gnutls_x509_crt_set_subject_alt_name(c, GNUTLS_SAN_DNSNAME,
		    w->dns, (unsigned)strlen(w->dns), GNUTLS_FSAN_APPEND);
	if (w->ip)
		gnutls_x509_crt_set_subject_alt_name(c, GNUTLS_SAN_IPADDRESS, lo,
		    sizeof(lo), GNUTLS_FSAN_APPEND);
	if (issuer == NULL) {
		issuer = c;
		issuer_key = key;
	}
	if (gnutls_x509_crt_sign2(c, issuer, issuer_key, GNUTLS_DIG_SHA256, 0) < 0)
		abort();
	return c;
}

/* Write cert as PEM to path. */
static void
httpsd_write_pem(gnutls_x509_crt_t cert, const char *path)
{
	gnutls_datum_t d;
	FILE *f;

	if (gnutls_x509_crt_export2(cert, GNUTLS_X509_FMT_PEM, &d) < 0 ||
	    (f = fopen(path, "w")) == NULL)
		abort();
	fwrite(d.data, 1, d.size, f);
	fclose(f);
	gnutls_free(d.data);
}

/* Serve leaf (and its issuer, when not NULL) with key from now on. */
static void
httpsd_use(gnutls_x509_crt_t leaf, gnutls_x509_crt_t issuer,
    gnutls_x509_privkey_t key)
{
	gnutls_certificate_credentials_t cred;
	gnutls_x509_crt_t chain[2] = { leaf, issuer };

	if (gnutls_certificate_allocate_credentials(&cred) < 0 ||
	    gnutls_certificate_set_x509_key(cred, chain, issuer ? 2 : 1, key) < 0)
		abort();
	pthread_mutex_lock(&srv.mu);
	if (srv.nold == HTTPSD_MAX)
		abort();
	srv.old[srv.nold++] = cred;
	srv.cred = cred;
	pthread_mutex_unlock(&srv.mu);
}

/* ---- the server --------------------------------------------------------- */

/* Forget the requests, set the replies. */
static void
httpsd_script(const struct httpsd_reply *r, int n)
{
	int i;

	pthread_mutex_lock(&srv.mu);
	for (i = 0; i < srv.nreq; i++)
		free(srv.req[i].body);
	memset(srv.req, 0, sizeof(srv.req));
	srv.nreq = 0;
	srv.handshakes = 0;
	if (n > 0)
		memcpy(srv.reply, r, (size_t)n * sizeof(*r));
	srv.nreply = n;
	srv.next = 0;
	pthread_mutex_unlock(&srv.mu);
}

static bool
send_all(gnutls_session_t s, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = gnutls_record_send(s, p, n);

		if (w == GNUTLS_E_AGAIN || w == GNUTLS_E_INTERRUPTED)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* Read one request; false when the peer went away before it was whole. */
static bool
read_request(gnutls_session_t s, struct httpsd_req *r)
{
	char buf[16384], *end, *cl;
	size_t len = 0, head, want = 0;

	for (;;) {
		ssize_t n;

		if (len + 1 >= sizeof(buf))
			return false;
		n = gnutls_record_recv(s, buf + len, sizeof(buf) - 1 - len);
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n <= 0)
			return false;
		len += (size_t)n;
		buf[len] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) == NULL)
			continue;
		head = (size_t)(end - buf) + 4;
		if ((cl = strcasestr(buf, "\r\nContent-Length:")) != NULL && cl < end)
			want = strtoul(cl + 17, NULL, 10);
		if (len >= head + want)
			break;
	}
	if (sscanf(buf, "%15s %2047s", r->method, r->target) != 2)
		return false;
	snprintf(r->headers, sizeof(r->headers), "%.*s", (int)(head - 2), buf);
	r->body = malloc(want + 1);
	memcpy(r->body, buf + head, want);
	r->body[want] = '\0';
	r->body_len = want;
	return true;
}

static void
serve(int fd)
{
	struct httpsd_reply rep = { 500, NULL, "no reply scripted", NULL, 0 };
	struct httpsd_req req;
	gnutls_session_t s;
	struct timeval tv = { 5, 0 };
	char head[1024];
	int rc;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	gnutls_init(&s, GNUTLS_SERVER | GNUTLS_NO_SIGNAL);
	/* Serve even a key whose keyUsage forbids it: the client must refuse. */
	if (gnutls_priority_set_direct(s, "NORMAL:%DEBUG_ALLOW_KEY_USAGE_VIOLATIONS",
	    NULL) < 0)
		gnutls_set_default_priority(s);
	pthread_mutex_lock(&srv.mu);
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, srv.cred);
	pthread_mutex_unlock(&srv.mu);
	gnutls_transport_set_int(s, fd);
	do
		rc = gnutls_handshake(s);
	while (rc < 0 && !gnutls_error_is_fatal(rc));
	if (rc < 0)
		goto out;
	pthread_mutex_lock(&srv.mu);
	srv.handshakes++;
	pthread_mutex_unlock(&srv.mu);
	memset(&req, 0, sizeof(req));
	if (!read_request(s, &req))
		goto out;
	pthread_mutex_lock(&srv.mu);
	if (srv.nreq < HTTPSD_MAX)
		srv.req[srv.nreq++] = req;
	else
		free(req.body);
	if (srv.next < srv.nreply)
		rep = srv.reply[srv.next++];
	pthread_mutex_unlock(&srv.mu);
	if (rep.delay_ms > 0)
		usleep((useconds_t)rep.delay_ms * 1000);
	if (rep.raw != NULL) {
		(void)send_all(s, rep.raw, strlen(rep.raw));
	} else {
		const char *body = rep.body ? rep.body : "";

		snprintf(head, sizeof(head),
		    "HTTP/1.1 %d X\r\nContent-Length: %zu\r\nConnection: close\r\n%s\r\n",
		    rep.status, strlen(body), rep.headers ? rep.headers : "");
		if (send_all(s, head, strlen(head)))
			(void)send_all(s, body, strlen(body));
	}
	gnutls_bye(s, GNUTLS_SHUT_WR);
out:
	gnutls_deinit(s);
	close(fd);
}

static void *
httpsd_main(void *arg)
{
	(void)arg;
	for (;;) {
		int fd = accept(srv.lfd, NULL, NULL);

		if (srv.stop) {
			if (fd >= 0)
				close(fd);
			return NULL;
		}
		if (fd >= 0)
			serve(fd);
	}
}

static int
httpsd_start(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	pthread_mutex_init(&srv.mu, NULL);
	if ((srv.lfd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    bind(srv.lfd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(srv.lfd, 8) != 0 ||
	    getsockname(srv.lfd, (struct sockaddr *)&a, &alen) != 0)
		return -1;
	srv.port = ntohs(a.sin_port);
	return pthread_create(&srv.th, NULL, httpsd_main, NULL) == 0 ? 0 : -1;
}

static void
httpsd_stop(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	srv.stop = true;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)srv.port);
	(void)connect(fd, (struct sockaddr *)&a, sizeof(a));
	pthread_join(srv.th, NULL);
	close(fd);
	close(srv.lfd);
	httpsd_script(NULL, 0);
	while (srv.nold > 0)
		gnutls_certificate_free_credentials(srv.old[--srv.nold]);
	srv.cred = NULL;
}

/* How many requests were read whole, under the lock. */
static int
httpsd_nreq(void)
{
	int n;

	pthread_mutex_lock(&srv.mu);
	n = srv.nreq;
	pthread_mutex_unlock(&srv.mu);
	return n;
}

/* The value of header name in r ("" when absent); copies into out. */
static const char *
httpsd_header(const struct httpsd_req *r, const char *name, char *out,
    size_t len)
{
	const char *p = r->headers;
	size_t n = strlen(name);

	*out = '\0';
	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			p += n + 1 + strspn(p + n + 1, " ");
			snprintf(out, len, "%.*s", (int)strcspn(p, "\r\n"), p);
			break;
		}
	}
	return out;
}

/* ---- the usual test PKI ------------------------------------------------ */

/* A root CA, a hub certificate under it, the root in ca.pem in dir. */
static struct {
	gnutls_x509_privkey_t ca_key, hub_key;
	gnutls_x509_crt_t ca, hub;
	char ca_file[128], url[64];
} pki;

static const struct httpsd_cert httpsd_root = {
	.cn = "Test Root", .ca = true,
	.key_usage = GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN,
};

/*
 * Make pki in a new directory from the mkdtemp template tmpl, the hub's
 * certificate as leaf says, and start the server with it; pki.url is
 * https://127.0.0.1:PORT.  0 or -1.
 */
static int
httpsd_pki_start(const char *tmpl, const struct httpsd_cert *leaf)
{
	if (testdir_make(tmpl) != 0)
		return -1;
	pki.ca_key = httpsd_key();
	pki.hub_key = httpsd_key();
	pki.ca = httpsd_cert(&httpsd_root, pki.ca_key, NULL, NULL);
	pki.hub = httpsd_cert(leaf, pki.hub_key, pki.ca, pki.ca_key);
	snprintf(pki.ca_file, sizeof(pki.ca_file), "%s/ca.pem", dir);
	httpsd_write_pem(pki.ca, pki.ca_file);
	httpsd_use(pki.hub, pki.ca, pki.hub_key);
	if (httpsd_start() != 0)
		return -1;
	snprintf(pki.url, sizeof(pki.url), "https://127.0.0.1:%d", srv.port);
	return 0;
}

/* Stop the server, free pki, remove its directory.  0 or not. */
static int
httpsd_pki_stop(void)
{
	httpsd_stop();
	gnutls_x509_crt_deinit(pki.ca);
	gnutls_x509_crt_deinit(pki.hub);
	gnutls_x509_privkey_deinit(pki.ca_key);
	gnutls_x509_privkey_deinit(pki.hub_key);
	return testdir_remove();
}

#endif
