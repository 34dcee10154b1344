/* SPDX-License-Identifier: MIT */
/*
 * lib/edge_http against a real HTTPS server on 127.0.0.1 (httpsd.h) with
 * certificates made here: the request as sent (method, target, headers,
 * binary body), the answer (status, Date, Content-Type, size cap), transport
 * errors mapped to EDGE_E* codes, and the trust hook: a wrong CA, a hub
 * certificate without serverAuth, named only in its CN, or with another
 * pin is refused before any byte of the request is sent.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <strings.h>

#include <gnutls/abstract.h>

#include "httpsd.h"

#include "edge_http.h"

static gnutls_x509_privkey_t other_key;
static gnutls_x509_crt_t other_ca;
static char other_file[128];

static int
setup(void **state)
{
	const struct httpsd_cert hub_w = {
		.cn = "hub", .server_auth = true, .dns = "localhost", .ip = true,
		.key_usage = GNUTLS_KEY_DIGITAL_SIGNATURE,
	};

	(void)state;
	if (httpsd_pki_start("/tmp/edge-test-http.XXXXXX", &hub_w) != 0)
		return -1;
	/* Another root of the same name. */
	other_key = httpsd_key();
	other_ca = httpsd_cert(&httpsd_root, other_key, NULL, NULL);
	snprintf(other_file, sizeof(other_file), "%s/other.pem", dir);
	httpsd_write_pem(other_ca, other_file);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	gnutls_x509_crt_deinit(other_ca);
	gnutls_x509_privkey_deinit(other_key);
	return httpsd_pki_stop();
}

/* Back to the good hub certificate after a test that changed it. */
static int
good_cert(void **state)
{
	(void)state;
	httpsd_use(pki.hub, pki.ca, pki.hub_key);
	return 0;
}

static struct edge_http_opts
opts(void)
{
	struct edge_http_opts o = {
		.ca_file = pki.ca_file, .connect_timeout = 5,
		.total_timeout = 10, .max_response = 4096,
	};
	return o;
}

static void
test_request_and_answer(void **state)
{
	static const struct httpsd_reply r[] = {
		{ 201, "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
		    "Content-Type: application/json;charset=UTF-8\r\n",
		    "{\"ok\":true}", NULL, 0 },
		{ 404, NULL, "nope", NULL, 0 },
		{ 204, NULL, NULL, NULL, 0 },
	};
	static const char body[] = "a\0b{\"x\":\"\\/\"}";
	const char *const headers[] = { "X-Test: one", "Content-Type: text/plain", NULL };
	struct edge_http_opts o = opts();
	struct edge_error err = { 0 };
	struct edge_http_response resp;
	char u[256], h[256];

	(void)state;
	httpsd_script(r, 3);
	snprintf(u, sizeof(u), "%s/api/v1/x?a=1&b=%%20", pki.url);
	assert_int_equal(edge_http_request(&o, "PUT", u, headers, body,
	    sizeof(body) - 1, &resp, &err), EDGE_OK);
	assert_int_equal(resp.status, 201);
	assert_string_equal(resp.body, "{\"ok\":true}");
	assert_int_equal(resp.len, 11);
	assert_int_equal(resp.date, 784111777);
	assert_string_equal(resp.content_type, "application/json;charset=UTF-8");
	edge_http_response_free(&resp);
	assert_null(resp.body);

	assert_int_equal(httpsd_nreq(), 1);
	assert_string_equal(srv.req[0].method, "PUT");
	assert_string_equal(srv.req[0].target, "/api/v1/x?a=1&b=%20");
	/* The body byte for byte, an embedded NUL included. */
	assert_int_equal(srv.req[0].body_len, sizeof(body) - 1);
	assert_memory_equal(srv.req[0].body, body, sizeof(body) - 1);
	assert_string_equal(httpsd_header(&srv.req[0], "X-Test", h, sizeof(h)), "one");
	assert_string_equal(httpsd_header(&srv.req[0], "Content-Type", h,
	    sizeof(h)), "text/plain");
	/* No "Expect: 100-continue" round trip. */
	assert_string_equal(httpsd_header(&srv.req[0], "Expect", h, sizeof(h)), "");

	/* Any status is the caller's to judge. */
	assert_int_equal(edge_http_request(&o, "GET", pki.url, NULL, NULL, 0,
	    &resp, &err), EDGE_OK);
	assert_int_equal(resp.status, 404);
	assert_string_equal(resp.body, "nope");
	assert_int_equal(resp.date, 0);
	edge_http_response_free(&resp);
	assert_string_equal(srv.req[1].method, "GET");
	assert_string_equal(srv.req[1].target, "/");
	assert_int_equal(srv.req[1].body_len, 0);
	/* An empty answer is an empty string, never NULL. */
	assert_int_equal(edge_http_request(&o, "DELETE", pki.url, NULL, NULL, 0,
	    &resp, &err), EDGE_OK);
	assert_int_equal(resp.status, 204);
	assert_non_null(resp.body);
	assert_string_equal(resp.body, "");
	assert_int_equal(resp.len, 0);
	edge_http_response_free(&resp);
}

static void
test_answer_cap_and_broken_answers(void **state)
{
	static char big[5000];
	struct httpsd_reply r[] = {
		{ 200, NULL, big, NULL, 0 },
		{ 0, NULL, NULL, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", 0 },
		{ 0, NULL, NULL, "garbage\r\n\r\n", 0 },
		{ 200, NULL, "late", NULL, 2500 },
	};
	struct edge_http_opts o = opts();
	struct edge_error err = { 0 };
	struct edge_http_response resp;
	char msg[600];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	httpsd_script(r, 4);
	assert_int_equal(edge_http_request(&o, "GET", pki.url, NULL, NULL, 0,
	    &resp, &err), EDGE_EINPUT);
	snprintf(msg, sizeof(msg), "%s: answer larger than 4096 bytes", pki.url);
	assert_string_equal(err.msg, msg);
	assert_null(resp.body);
	/* Cut short by the server: temporary (worth retrying), no body. */
	assert_int_equal(edge_http_request(&o, "GET", pki.url, NULL, NULL, 0,
	    &resp, &err), EDGE_ETEMP);
	assert_null(resp.body);
	/* Not HTTP at all (HTTP/0.9 to libcurl): the hub's fault, not usage. */
	assert_int_equal(edge_http_request(&o, "GET", pki.url, NULL, NULL, 0,
	    &resp, &err), EDGE_ETEMP);
	assert_null(resp.body);
	assert_non_null(strstr(err.msg, "HTTP/0.9"));
	/* Too slow: the total timeout. */
	o.total_timeout = 1;
	assert_int_equal(edge_http_request(&o, "GET", pki.url, NULL, NULL, 0,
	    &resp, &err), EDGE_ETEMP);
	assert_null(resp.body);
	assert_non_null(strcasestr(err.msg, "time"));
}

static void
test_refused_urls(void **state)
{
	struct edge_http_opts o = opts();
	struct edge_error err = { 0 };
	struct edge_http_response resp;
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	char u[128];
	int fd;

	(void)state;
	httpsd_script(NULL, 0);
	assert_int_equal(edge_http_request(&o, "GET", "http://127.0.0.1:1/", NULL,
	    NULL, 0, &resp, &err), EDGE_EUSAGE);
	assert_string_equal(err.msg,
	    "http://127.0.0.1:1/: only https:// URLs are allowed");
	assert_int_equal(edge_http_request(&o, "GET", "ftp://x/", NULL, NULL, 0,
	    &resp, &err), EDGE_EUSAGE);
	assert_int_equal(edge_http_request(&o, "GET", "https://", NULL, NULL, 0,
	    &resp, &err), EDGE_EUSAGE);
	/* A closed port: temporary. */
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	close(fd);
	snprintf(u, sizeof(u), "https://127.0.0.1:%d/", ntohs(a.sin_port));
	assert_int_equal(edge_http_request(&o, "GET", u, NULL, NULL, 0, &resp,
	    &err), EDGE_ETEMP);
	assert_int_equal(httpsd_nreq(), 0);
}

/* One request that must be refused for trust before it is sent. */
static void
expect_refused(const struct edge_http_opts *o, const char *u, const char *why)
{
	static const struct httpsd_reply ok = { 200, NULL, "secret", NULL, 0 };
	struct edge_error err = { 0 };
	struct edge_http_response resp;

	httpsd_script(&ok, 1);
	assert_int_equal(edge_http_request(o, "POST", u, NULL, "token=1", 7,
	    &resp, &err), EDGE_ETRUST);
	assert_null(resp.body);
	if (why != NULL && strstr(err.msg, why) == NULL)
		fail_msg("\"%s\" does not say \"%s\"", err.msg, why);
	/* Not a byte of the request reached the server. */
	assert_int_equal(httpsd_nreq(), 0);
}

/* A hub certificate made by w, served under ca. */
static gnutls_x509_crt_t
serve_as(const struct httpsd_cert *w)
{
	gnutls_x509_crt_t c = httpsd_cert(w, pki.hub_key, pki.ca, pki.ca_key);

	httpsd_use(c, pki.ca, pki.hub_key);
	return c;
}

static void
test_trust(void **state)
{
	const struct httpsd_cert no_eku = {
		.cn = "hub", .dns = "localhost", .ip = true,
		.key_usage = GNUTLS_KEY_DIGITAL_SIGNATURE,
	};
	const struct httpsd_cert bad_ku = {
		.cn = "hub", .server_auth = true, .ip = true,
		.key_usage = GNUTLS_KEY_NON_REPUDIATION,
	};
	const struct httpsd_cert cn_only = {
		.cn = "localhost", .server_auth = true,
		.key_usage = GNUTLS_KEY_DIGITAL_SIGNATURE,
	};
	const struct httpsd_cert other_name = {
		.cn = "127.0.0.1", .server_auth = true, .dns = "elsewhere.example",
		.key_usage = GNUTLS_KEY_DIGITAL_SIGNATURE,
	};
	struct edge_http_opts o = opts();
	gnutls_x509_crt_t c;
	char u[128];

	(void)state;
	/* Another CA: refused in the handshake. */
	o.ca_file = other_file;
	expect_refused(&o, pki.url, "server certificate");
	o.ca_file = pki.ca_file;
	/* No serverAuth: the handshake succeeds, the hook refuses. */
	c = serve_as(&no_eku);
	expect_refused(&o, pki.url, "hub certificate has no serverAuth usage");
	gnutls_x509_crt_deinit(c);
	/* A keyUsage that does not serve a TLS server: GnuTLS refuses it. */
	c = serve_as(&bad_ku);
	expect_refused(&o, pki.url, "keyUsage does not allow a TLS server");
	gnutls_x509_crt_deinit(c);
	/* Named only by its CN: libcurl-gnutls would take it, the hook does not. */
	snprintf(u, sizeof(u), "https://localhost:%d/", srv.port);
	c = serve_as(&cn_only);
	expect_refused(&o, u, "names localhost only in its CN, not in a subjectAltName");
	gnutls_x509_crt_deinit(c);
	/* A subjectAltName of another name, the host in the CN. */
	c = serve_as(&other_name);
	expect_refused(&o, pki.url, NULL);
	gnutls_x509_crt_deinit(c);
	/* The good certificate names both the address and "localhost". */
	httpsd_use(pki.hub, pki.ca, pki.hub_key);
	{
		static const struct httpsd_reply ok = { 200, NULL, "fine", NULL, 0 };
		struct edge_error err = { 0 };
		struct edge_http_response resp;

		httpsd_script(&ok, 1);
		assert_int_equal(edge_http_request(&o, "GET", u, NULL, NULL, 0,
		    &resp, &err), EDGE_OK);
		assert_string_equal(resp.body, "fine");
		edge_http_response_free(&resp);
	}
	/* The pin of the hub's key passes, also as the second of a list. */
	{
		static const struct httpsd_reply ok = { 200, NULL, "pinned", NULL, 0 };
		struct edge_error err = { 0 };
		struct edge_http_response resp;
		unsigned char sha[32];
		gnutls_datum_t spki, h = { sha, sizeof(sha) }, b64;
		gnutls_pubkey_t pk;
		char pins[200];

		assert_int_equal(gnutls_pubkey_init(&pk), 0);
		assert_int_equal(gnutls_pubkey_import_x509(pk, pki.hub, 0), 0);
		assert_int_equal(gnutls_pubkey_export2(pk, GNUTLS_X509_FMT_DER, &spki), 0);
		assert_int_equal(gnutls_hash_fast(GNUTLS_DIG_SHA256, spki.data,
		    spki.size, sha), 0);
		assert_int_equal(gnutls_base64_encode2(&h, &b64), 0);
		snprintf(pins, sizeof(pins),
		    "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=;sha256//%.*s",
		    (int)b64.size, b64.data);
		o.hub_pin = pins;
		httpsd_script(&ok, 1);
		assert_int_equal(edge_http_request(&o, "GET", pki.url, NULL, NULL, 0,
		    &resp, &err), EDGE_OK);
		assert_string_equal(resp.body, "pinned");
		edge_http_response_free(&resp);
		gnutls_free(spki.data);
		gnutls_free(b64.data);
		gnutls_pubkey_deinit(pk);
	}
	/* A pin of another key. */
	o.hub_pin = "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
	expect_refused(&o, pki.url, "does not match --hub-pin");
}

/* Back to the good CA file after a test that rewrote it. */
static int
good_ca(void **state)
{
	(void)state;
	httpsd_write_pem(pki.ca, pki.ca_file);
	return 0;
}

static void
expect_ok(const struct edge_http_opts *o)
{
	static const struct httpsd_reply ok = { 200, NULL, "fine", NULL, 0 };
	struct edge_error err = { 0 };
	struct edge_http_response resp;

	httpsd_script(&ok, 1);
	assert_int_equal(edge_http_request(o, "GET", pki.url, NULL, NULL, 0,
	    &resp, &err), EDGE_OK);
	assert_string_equal(resp.body, "fine");
	edge_http_response_free(&resp);
}

/*
 * The hook's roots are kept between requests, but a CA file rewritten in
 * between is read again: here the same root (name and key) restricted to
 * clientAuth, which GnuTLS still verifies with and the hook refuses.
 */
static void
test_ca_file_rewritten(void **state)
{
	const struct httpsd_cert client_root = {
		.cn = "Test Root", .ca = true, .client_auth = true,
		.key_usage = GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN,
	};
	gnutls_x509_crt_t c = httpsd_cert(&client_root, pki.ca_key, NULL, NULL);
	struct edge_http_opts o = opts();

	(void)state;
	expect_ok(&o);
	expect_ok(&o);
	httpsd_write_pem(c, pki.ca_file);
	expect_refused(&o, pki.url, "extendedKeyUsage without serverAuth");
	httpsd_write_pem(pki.ca, pki.ca_file);
	expect_ok(&o);
	gnutls_x509_crt_deinit(c);
}

static void
test_escape(void **state)
{
	char *e;

	(void)state;
	e = edge_http_escape("a b&c=d/\xc3\xa9~_.-");
	assert_string_equal(e, "a%20b%26c%3Dd%2F%C3%A9~_.-");
	free(e);
	e = edge_http_escape("");
	assert_string_equal(e, "");
	free(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_and_answer),
		cmocka_unit_test(test_answer_cap_and_broken_answers),
		cmocka_unit_test(test_refused_urls),
		cmocka_unit_test_teardown(test_trust, good_cert),
		cmocka_unit_test_teardown(test_ca_file_rewritten, good_ca),
		cmocka_unit_test(test_escape),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
