/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <curl/curl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "edge_http.h"
#include "edge_hubid.h"

struct sink {
	struct edge_http_response *resp;
	size_t cap, max;
	bool overflow;
};

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	size_t len = size * n;
	char *p;

	if (s->resp->len + len > s->max) {
		s->overflow = true;
		return 0;	/* abort the transfer */
	}
	if (s->resp->len + len + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		while (cap < s->resp->len + len + 1)
			cap *= 2;
		/* Not realloc: the old block may hold a device secret and is wiped. */
		if ((p = malloc(cap)) == NULL)
			return 0;
		if (s->resp->body != NULL) {
			memcpy(p, s->resp->body, s->resp->len + 1);
			explicit_bzero(s->resp->body, s->resp->len);
			free(s->resp->body);
		}
		s->resp->body = p;
		s->cap = cap;
	}
	memcpy(s->resp->body + s->resp->len, data, len);
	s->resp->len += len;
	s->resp->body[s->resp->len] = '\0';
	return len;
}

static size_t
on_header(char *data, size_t size, size_t n, void *arg)
{
	struct edge_http_response *r = arg;
	size_t len = size * n;
	char line[256];

	if (len >= sizeof(line))
		return len;
	memcpy(line, data, len);
	line[len] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	if (strncasecmp(line, "Date:", 5) == 0)
		r->date = curl_getdate(line + 5, NULL);
	else if (strncasecmp(line, "Content-Type:", 13) == 0)
		snprintf(r->content_type, sizeof(r->content_type), "%s",
		    line + 13 + strspn(line + 13, " "));
	return len;
}

/* The hub identity check, run before anything is sent (see prereq). */
struct peer {
	CURL *c;
	const char *pins, *ca_file;
	char host[256];
	struct edge_error err;
	bool refused;
};

/*
 * The roots libcurl verified with: --hub-ca, else its built-in defaults.
 * Parsed once and kept for the run (freed with the connection), read again
 * only when the file or directory is another or has changed since, as
 * libcurl reads it again for its next handshake.
 */
static struct {
	gnutls_x509_trust_list_t tl;
	char *file, *dir;	/* what tl was read from */
	struct stat fst, dst;	/* and what they were then */
} roots;

static void
roots_free(void)
{
	if (roots.tl != NULL)
		gnutls_x509_trust_list_deinit(roots.tl, 1);
	free(roots.file);
	free(roots.dir);
	memset(&roots, 0, sizeof(roots));
}

/* path and its stat now are what was read: a replaced or rewritten file is not. */
static bool
same_source(const char *path, const struct stat *st, const char *was,
    const struct stat *then)
{
	if (path == NULL || was == NULL)
		return path == was;
	return strcmp(path, was) == 0 && st->st_dev == then->st_dev &&
	    st->st_ino == then->st_ino && st->st_size == then->st_size &&
	    st->st_mtim.tv_sec == then->st_mtim.tv_sec &&
	    st->st_mtim.tv_nsec == then->st_mtim.tv_nsec &&
	    st->st_ctim.tv_sec == then->st_ctim.tv_sec &&
	    st->st_ctim.tv_nsec == then->st_ctim.tv_nsec;
}

static void
stat_now(const char *path, struct stat *st)
{
	if (path == NULL || stat(path, st) != 0)
		memset(st, 0, sizeof(*st));
}

/* The trust list for p's connection; it stays owned by roots. */
static int
load_roots(const struct peer *p, gnutls_x509_trust_list_t *tl)
{
	char *file = NULL, *dir = NULL;
	struct stat fst, dst;
	int g;

	if (p->ca_file != NULL) {
		file = (char *)(uintptr_t)p->ca_file;
	} else {
		(void)curl_easy_getinfo(p->c, CURLINFO_CAINFO, &file);
		(void)curl_easy_getinfo(p->c, CURLINFO_CAPATH, &dir);
	}
	stat_now(file, &fst);
	stat_now(dir, &dst);
	if (roots.tl != NULL && same_source(file, &fst, roots.file, &roots.fst) &&
	    same_source(dir, &dst, roots.dir, &roots.dst)) {
		*tl = roots.tl;
		return 0;
	}
	roots_free();
	if ((g = gnutls_x509_trust_list_init(&roots.tl, 0)) < 0 ||
	    (file != NULL && (g = gnutls_x509_trust_list_add_trust_file(roots.tl,
	    file, NULL, GNUTLS_X509_FMT_PEM, 0, 0)) < 0) ||
	    (dir != NULL && (g = gnutls_x509_trust_list_add_trust_dir(roots.tl,
	    dir, NULL, GNUTLS_X509_FMT_PEM, 0, 0)) < 0))
		goto fail;
	if ((file != NULL && (roots.file = strdup(file)) == NULL) ||
	    (dir != NULL && (roots.dir = strdup(dir)) == NULL)) {
		g = GNUTLS_E_MEMORY_ERROR;
		goto fail;
	}
	roots.fst = fst;
	roots.dst = dst;
	*tl = roots.tl;
	return 0;
fail:
	roots_free();
	return g;
}

/* The sent chain against the hub identity rule (edge_hubid_check_sent). */
static int
check_chain(struct peer *p, const gnutls_datum_t *sent, unsigned n)
{
	gnutls_x509_trust_list_t tl;
	int g;

	if ((g = load_roots(p, &tl)) < 0)
		return edge_err(&p->err, EDGE_ETRUST, "hub certificate: %s",
		    gnutls_strerror(g));
	return edge_hubid_check_sent(tl, sent, n, p->host, p->pins, &p->err);
}

/*
 * libcurl-gnutls has no certificate callback, and its own host check falls
 * back to the subject CN.  CURLOPT_PREREQFUNCTION runs once the connection
 * (new or reused) is up and before the request line, headers or body leave:
 * the hub's chain is checked there, and the transfer aborted if it is not
 * the hub.
 */
static int
prereq(void *arg, char *ip, char *local_ip, int port, int local_port)
{
	struct peer *p = arg;
	const struct curl_tlssessioninfo *ti = NULL;
	const gnutls_datum_t *chain;
	unsigned n = 0;

	(void)ip;
	(void)local_ip;
	(void)port;
	(void)local_port;
	if (curl_easy_getinfo(p->c, CURLINFO_TLS_SSL_PTR, &ti) != CURLE_OK ||
	    ti == NULL || ti->backend != CURLSSLBACKEND_GNUTLS ||
	    ti->internals == NULL) {
		edge_err(&p->err, EDGE_ETRUST,
		    "hub certificate: cannot inspect the TLS session");
		p->refused = true;
		return CURL_PREREQFUNC_ABORT;
	}
	chain = gnutls_certificate_get_peers(ti->internals, &n);
	if (chain == NULL || n == 0) {
		edge_err(&p->err, EDGE_ETRUST, "hub certificate: none presented");
		p->refused = true;
	} else if (check_chain(p, chain, n) != EDGE_OK) {
		p->refused = true;
	}
	return p->refused ? CURL_PREREQFUNC_ABORT : CURL_PREREQFUNC_OK;
}

/* The URL's host as the certificate must name it (no IPv6 brackets). */
static int
url_host(const char *url, char *host, size_t len, struct edge_error *err)
{
	CURLU *u = curl_url();
	char *h = NULL;
	size_t n;
	int rc = EDGE_OK;

	if (u == NULL || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK) {
		rc = edge_err(err, EDGE_EUSAGE, "%s: not a usable URL", url);
	} else {
		const char *s = h;

		n = strlen(s);
		if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
			s++;
			n -= 2;
		}
		if (n >= len)
			rc = edge_err(err, EDGE_EUSAGE, "%s: host name too long", url);
		else
			snprintf(host, len, "%.*s", (int)n, s);
	}
	curl_free(h);
	curl_url_cleanup(u);
	return rc;
}

static int
curl_error(struct edge_error *err, CURLcode c, const char *url,
    const char *detail)
{
	const char *why = *detail ? detail : curl_easy_strerror(c);

	/*
	 * GnuTLS refuses a hub key whose keyUsage does not allow the key
	 * exchange during the handshake, and libcurl reports that as a
	 * connection error: it is the certificate, not the network.
	 */
	if (c == CURLE_SSL_CONNECT_ERROR &&
	    strstr(why, gnutls_strerror(GNUTLS_E_KEY_USAGE_VIOLATION)) != NULL)
		return edge_err(err, EDGE_ETRUST,
		    "%s: hub certificate: keyUsage does not allow a TLS server (%s)",
		    url, why);
	switch (c) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
		return edge_err(err, EDGE_ETRUST, "%s: server certificate: %s",
		    url, why);
	/*
	 * Not CURLE_UNSUPPORTED_PROTOCOL: edge_http_request checks the scheme, so
	 * libcurl says that of an answer that is not HTTP (HTTP/0.9).
	 */
	case CURLE_URL_MALFORMAT:
		return edge_err(err, EDGE_EUSAGE, "%s: %s", url, why);
	default:
		return edge_err(err, EDGE_ETEMP, "%s: %s", url, why);
	}
}

/*
 * A hub certificate the system's trust store cannot verify: most often a
 * hub whose CA is not a public one, and the user gave no --hub-ca.
 */
static void
no_hub_ca_hint(struct edge_error *err)
{
	char msg[EDGE_ERR_MSG_MAX];

	/* The cause is cut, never the hint. */
	snprintf(msg, sizeof(msg), "%.400s (checked against the system's trust store: give --hub-ca FILE, the hub's CA certificate)", err->msg);
	memcpy(err->msg, msg, sizeof(msg));
}

/*
 * One easy handle for the whole run: its connection cache keeps the hub's
 * TLS connection open between requests, so a token request and the call
 * that uses it cost one handshake, not two.
 */
static CURL *conn;

static void
conn_close(void)
{
	curl_easy_cleanup(conn);
	conn = NULL;
	roots_free();
}

static CURL *
conn_get(void)
{
	if (conn != NULL)
		return conn;
	if ((conn = curl_easy_init()) != NULL)
		(void)atexit(conn_close);
	return conn;
}

int
edge_http_request(const struct edge_http_opts *o, const char *method,
    const char *url, const char *const *headers, const void *body, size_t len,
    struct edge_http_response *resp, struct edge_error *err)
{
	char detail[CURL_ERROR_SIZE] = "";
	struct curl_slist *hl = NULL;
	struct peer peer;
	struct sink sink;
	CURL *c;
	CURLcode cc;
	int rc = EDGE_EFAIL;

	memset(resp, 0, sizeof(*resp));
	memset(&sink, 0, sizeof(sink));
	memset(&peer, 0, sizeof(peer));
	sink.resp = resp;
	sink.max = o->max_response;
	if (strncasecmp(url, "https://", 8) != 0)
		return edge_err(err, EDGE_EUSAGE,
		    "%s: only https:// URLs are allowed", url);
	if ((c = conn_get()) == NULL)
		return edge_err(err, EDGE_EFAIL, "cannot start libcurl");
	if ((rc = url_host(url, peer.host, sizeof(peer.host), err)) != EDGE_OK)
		return rc;
	peer.c = c;
	peer.pins = o->hub_pin;
	peer.ca_file = o->ca_file;
	curl_easy_setopt(c, CURLOPT_PREREQFUNCTION, prereq);
	curl_easy_setopt(c, CURLOPT_PREREQDATA, &peer);
	for (; headers != NULL && *headers != NULL; headers++)
		hl = curl_slist_append(hl, *headers);
	/* libcurl adds "Expect: 100-continue" to POSTs; the hub needs no round trip. */
	hl = curl_slist_append(hl, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, detail);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->ca_file != NULL) {
		curl_easy_setopt(c, CURLOPT_CAINFO, o->ca_file);
		/* Debian's libcurl-gnutls would also trust /etc/ssl/certs. */
		curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
	}
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, o->connect_timeout);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, o->total_timeout);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, resp);
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	cc = curl_easy_perform(c);
	if (peer.refused) {
		rc = edge_err(err, peer.err.code, "%s: %s", url, peer.err.msg);
		goto out;
	}
	if (sink.overflow) {
		rc = edge_err(err, EDGE_EINPUT,
		    "%s: answer larger than %zu bytes", url, o->max_response);
		goto out;
	}
	if (cc != CURLE_OK) {
		rc = curl_error(err, cc, url, detail);
		if (rc == EDGE_ETRUST && o->ca_file == NULL && err != NULL &&
		    (cc == CURLE_PEER_FAILED_VERIFICATION ||
		    cc == CURLE_SSL_ISSUER_ERROR))
			no_hub_ca_hint(err);
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
	if (resp->body == NULL && (resp->body = calloc(1, 1)) == NULL) {
		rc = edge_err(err, EDGE_EFAIL, "out of memory");
		goto out;
	}
	rc = EDGE_OK;
out:
	if (rc != EDGE_OK)
		edge_http_response_free(resp);
	/* Forget this call's options (they point at its stack), keep the connection. */
	curl_easy_reset(c);
	curl_slist_free_all(hl);
	return rc;
}

void
edge_http_response_free(struct edge_http_response *resp)
{
	/* Hub answers carry device secrets and access tokens. */
	if (resp->body != NULL)
		explicit_bzero(resp->body, resp->len);
	free(resp->body);
	resp->body = NULL;
	resp->len = 0;
}

char *
edge_http_escape(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0), *copy;

	if (e == NULL)
		return NULL;
	copy = strdup(e);
	curl_free(e);
	return copy;
}
