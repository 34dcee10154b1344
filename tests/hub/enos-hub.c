/* SPDX-License-Identifier: MIT */
/*
 * enos-hub: the stand-in EnOS IoT Hub API server and CA (tests only).
 *
 *   enos-hub --dir DIR --port PORT [--crl-port PORT2]
 *                                     serve https://127.0.0.1:PORT from DIR
 *                                     (and the CRLs on http://...:PORT2)
 *   enos-hub --dir DIR --init         create the hub files and exit
 *   enos-hub --dir DIR --rotate-root [--root-days N]
 *                                     a new root and its link certificate
 *                                     (the hub stopped), then exit
 *   enos-hub --free-port              print a free 127.0.0.1 TCP port
 *
 * At first start it creates the CA, the server and cloud-client
 * certificates, random credentials and hub.conf (README.md).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>

#include "edge_file.h"
#include "hub.h"

#define SERVER_DN "CN=localhost,OU=EnOS IoT Hub,O=EnOS,L=Shanghai,ST=Shanghai,C=CN"
#define CLOUD_DN  "CN=enos-cloud,OU=EnOS Cloud,O=EnOS,L=Shanghai,ST=Shanghai,C=CN"
#define LOCAL_DAYS 825
/* The hub's own certificates are reissued at start this close to their end. */
#define LOCAL_MARGIN (30 * 86400)

static const char *progname = "enos-hub";

void
hub_log(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\n", progname, line);
}

#define USAGE "usage: %s --dir DIR (--port PORT [--crl-port PORT] | " \
	"--init | --rotate-root [--root-days N]) | --free-port\n"

static void
usage(void)
{
	fprintf(stderr, USAGE, progname);
	exit(2);
}

/* A decimal option value in [min, max], else a usage error. */
static long
num_arg(const char *opt, const char *v, long min, long max)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (*v == '\0' || *end != '\0' || errno != 0 || n < min || n > max) {
		hub_log("%s: a number from %ld to %ld: %s", opt, min, max, v);
		usage();
	}
	return n;
}

static int
free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
		hub_log("free port: %s", strerror(errno));
		return 1;
	}
	printf("%u\n", ntohs(sa.sin_port));
	close(fd);
	return 0;
}

static int
write_file(struct hub *h, const char *name, const char *text, mode_t mode)
{
	struct edge_error e;

	if (edge_file_write_atomic(h->dirfd, name, text, strlen(text), mode,
	    &e) != 0) {
		hub_log("%s", e.msg);
		return -1;
	}
	return 0;
}

/* credentials: org_id, access_key, secret_key (one app per hub). */
static int
load_credentials(struct hub *h)
{
	char *data = NULL, *line, *save = NULL, *eq, *k, *v;
	size_t len = 0;
	struct edge_error e;
	int rc = -1;

	if (edge_file_read(h->dirfd, "credentials", 4096, &data, &len, &e)) {
		hub_log("%s", e.msg);
		return -1;
	}
	for (line = strtok_r(data, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if ((eq = strchr(line, '=')) == NULL)
			continue;
		*eq = '\0';
		k = line;
		v = eq + 1;
		while (*v == ' ')
			v++;
		for (char *t = eq; t > k && t[-1] == ' '; t--)
			t[-1] = '\0';
		if (strcmp(k, "org_id") == 0)
			snprintf(h->org_id, sizeof(h->org_id), "%s", v);
		else if (strcmp(k, "access_key") == 0)
			snprintf(h->access_key, sizeof(h->access_key), "%s", v);
		else if (strcmp(k, "secret_key") == 0)
			snprintf(h->secret_key, sizeof(h->secret_key), "%s", v);
	}
	if (h->org_id[0] && h->access_key[0] && h->secret_key[0])
		rc = 0;
	else
		hub_log("credentials: org_id, access_key and secret_key are "
		    "required");
	edge_file_free_private(&data, len);
	return rc;
}

/*
 * A secret in a file of its own (for the test scripts), then the file that
 * carries it among its settings; both buffers wiped.
 */
static int
write_secret_and(struct hub *h, const char *secret_name, char *secret,
    size_t secret_size, const char *name, char *text, size_t text_size)
{
	int rc = write_file(h, secret_name, secret, EDGE_MODE_PRIVATE);

	if (rc == 0)
		rc = write_file(h, name, text, EDGE_MODE_PRIVATE);
	explicit_bzero(text, text_size);
	explicit_bzero(secret, secret_size);
	return rc;
}

static int
create_credentials(struct hub *h)
{
	char org[16], ak[37], sk[33], text[256];
	unsigned char r[8];
	int i;

	/* EnOS-shaped: o + 14 digits, a UUID access key, a 32-char secret. */
	org[0] = 'o';
	gnutls_rnd(GNUTLS_RND_NONCE, r, sizeof(r));
	for (i = 1; i < 15; i++)
		org[i] = (char)('0' + (r[i % 8] + i * 7) % 10);
	org[15] = '\0';
	hub_uuid(ak);
	hub_random_alnum(sk, sizeof(sk));
	snprintf(text, sizeof(text), "org_id = %s\naccess_key = %s\n"
	    "secret_key = %s\n", org, ak, sk);
	return write_secret_and(h, "secret_key", sk, sizeof(sk), "credentials",
	    text, sizeof(text));
}

static int
create_conf(struct hub *h)
{
	char pk[9], ps[17], text[1024];

	hub_random_alnum(pk, sizeof(pk));
	hub_random_alnum(ps, sizeof(ps));
	snprintf(text, sizeof(text),
	    "# enos-hub settings (tests/hub/README.md)\n"
	    "token_ttl = 7200\n"
	    "crl_validity = 86400\n"
	    "timestamp_window = 900\n"
	    "body_max = 65536\n"
	    "\n"
	    "# every product_key line starts a product\n"
	    "product_key = %s\n"
	    "product_secret = %s\n"
	    "bi_directional_auth = true\n"
	    "dynamic_activation = true\n"
	    "default_valid_day = 730\n"
	    "max_valid_day = 1095\n", pk, ps);
	return write_secret_and(h, "product_secret", ps, sizeof(ps), "hub.conf",
	    text, sizeof(text));
}

/*
 * After a rotation: the previous root (kept while it is valid, for its CRL
 * and the certificates it issued) and the link certificate, served at
 * /enos/CA/cacert after the current root (edge-crl-update --ca takes the
 * first, self-signed, certificate as the root and looks for its link among
 * the others).  An expired previous root leaves ca.pem, the broker's cafile.
 */
static int
load_prev(struct hub *h)
{
	char msg[512], *link = NULL;
	size_t llen = 0;
	struct edge_error e;
	int rc = -1;

	if (edge_file_exists(h->dirfd, "ca-prev.pem")) {
		if (hub_ca_load(h->dirfd, "ca-prev.pem", "ca-prev-key.pem",
		    &h->prev, msg, sizeof(msg)) < 0) {
			hub_log("%s", msg);
			return -1;
		}
		if (h->prev.not_after <= time(NULL)) {
			hub_log("the previous root expired: no longer served");
			hub_ca_close(&h->prev);
			if (write_file(h, "ca.pem", h->ca.pem, EDGE_MODE_PUBLIC) < 0)
				return -1;
		} else if (edge_file_read(h->dirfd, "ca-link.pem",
		    EDGE_FILE_MAX, &link, &llen, &e) != 0) {
			hub_log("%s", e.msg);
			return -1;
		}
	}
	if ((h->cacert = malloc(h->ca.pem_len + llen + h->prev.pem_len + 1)) ==
	    NULL)
		goto out;
	memcpy(h->cacert, h->ca.pem, h->ca.pem_len);
	h->cacert_len = h->ca.pem_len;
	if (link != NULL) {
		memcpy(h->cacert + h->cacert_len, link, llen);
		h->cacert_len += llen;
		memcpy(h->cacert + h->cacert_len, h->prev.pem, h->prev.pem_len);
		h->cacert_len += h->prev.pem_len;
	}
	rc = 0;
out:
	free(link);
	return rc;
}

/* A hub-made key pair and certificate, recorded in system_certs. */
static int
create_local(struct hub *h, const char *role, enum hub_role kind,
    const char *dn, const char *cn, const char *cert_name,
    const char *key_name)
{
	char sn[HUB_SN_MAX], msg[512], *cert = NULL, *key = NULL;
	json_object *o;
	int rc = -1;

	if (hub_ca_issue_local(&h->ca, kind, dn, LOCAL_DAYS, sn, &cert, &key,
	    msg, sizeof(msg)) < 0) {
		hub_log("%s certificate: %s", role, msg);
		return -1;
	}
	if (write_file(h, key_name, key, EDGE_MODE_PRIVATE) < 0 ||
	    write_file(h, cert_name, cert, EDGE_MODE_PUBLIC) < 0)
		goto out;
	o = json_object_new_object();
	json_object_object_add(o, "role", json_object_new_string(role));
	json_object_object_add(o, "certSN", json_object_new_string(sn));
	json_object_object_add(o, "cn", json_object_new_string(cn));
	json_object_array_add(hub_store_array(&h->store, "system_certs"), o);
	if (hub_store_save(&h->store, msg, sizeof(msg)) < 0) {
		hub_log("%s", msg);
		goto out;
	}
	rc = 0;
out:
	if (key != NULL) {
		explicit_bzero(key, strlen(key));
		gnutls_free(key);
	}
	gnutls_free(cert);
	return rc;
}

/* The first PEM block of text (a copy), or NULL. */
static char *
first_pem(const char *text)
{
	const char *end = strstr(text, "-----END CERTIFICATE-----");
	size_t n;

	if (end == NULL)
		return NULL;
	end += strlen("-----END CERTIFICATE-----");
	if (*end == '\n')
		end++;
	n = (size_t)(end - text);
	return strndup(text, n);
}

/* system_certs: the role's entry now names serial sn. */
static int
record_local(struct hub *h, const char *role, const char *sn)
{
	json_object *sys = hub_store_array(&h->store, "system_certs"), *o;
	char msg[512];
	size_t i;

	for (i = 0; i < json_object_array_length(sys); i++) {
		o = json_object_array_get_idx(sys, i);
		if (strcmp(hub_jstr(o, "role") ?: "", role) == 0) {
			json_object_object_add(o, "certSN",
			    json_object_new_string(sn));
			hub_store_changed(&h->store, o);
		}
	}
	if (hub_store_save(&h->store, msg, sizeof(msg)) < 0) {
		hub_log("%s", msg);
		return -1;
	}
	return 0;
}

/*
 * The hub's own certificate cert_name, issued under the current root: a
 * new one (same subject, SANs, EKU) when a root no longer issuing signed it
 * or it is about to end, as EnOS rotates its server certificates with its
 * root.  While the previous root is valid, chain adds the link certificate
 * after the leaf, so that a client still trusting only the previous root
 * builds leaf <- link <- previous root (the server certificate, served by
 * the API and the broker); one holding the new root stops at the leaf's
 * issuer.  The file is rewritten only when it changes.
 */
static int
renew_local(struct hub *h, const char *role, const char *cert_name,
    const char *key_name, bool chain)
{
	char sn[HUB_SN_MAX], msg[512], *text = NULL, *leaf = NULL;
	char *cert = NULL, *key = NULL, *link = NULL, *want = NULL;
	size_t tlen = 0, llen = 0;
	struct edge_error e;
	int rc = -1;

	if (edge_file_read(h->dirfd, cert_name, EDGE_FILE_MAX, &text, &tlen,
	    &e) != 0 || (leaf = first_pem(text)) == NULL) {
		hub_log("%s: %s", cert_name, text == NULL ? e.msg :
		    "no certificate");
		goto out;
	}
	if (hub_ca_local_due(&h->ca, leaf, LOCAL_MARGIN)) {
		if (hub_ca_reissue_local(&h->ca, leaf, LOCAL_DAYS, sn, &cert,
		    &key, msg, sizeof(msg)) < 0) {
			hub_log("%s certificate: %s", role, msg);
			goto out;
		}
		if (write_file(h, key_name, key, EDGE_MODE_PRIVATE) < 0 ||
		    record_local(h, role, sn) < 0)
			goto out;
		hub_log("reissued the %s certificate under the current root "
		    "(serial %s)", role, sn);
		free(leaf);
		if ((leaf = strdup(cert)) == NULL)
			goto out;
	}
	if (chain && h->prev.crt != NULL && edge_file_read(h->dirfd,
	    "ca-link.pem", EDGE_FILE_MAX, &link, &llen, &e) != 0) {
		hub_log("%s", e.msg);
		goto out;
	}
	if ((want = malloc(strlen(leaf) + llen + 1)) == NULL)
		goto out;
	memcpy(want, leaf, strlen(leaf));
	memcpy(want + strlen(leaf), link != NULL ? link : "", llen);
	want[strlen(leaf) + llen] = '\0';
	rc = strcmp(want, text) == 0 ? 0 :
	    write_file(h, cert_name, want, EDGE_MODE_PUBLIC);
out:
	if (key != NULL) {
		explicit_bzero(key, strlen(key));
		gnutls_free(key);
	}
	gnutls_free(cert);
	free(text);
	free(leaf);
	free(link);
	free(want);
	return rc;
}

static int
init_files(struct hub *h)
{
	char msg[512], pw[25];
	bool created;
	int rc;

	if (!edge_file_exists(h->dirfd, "credentials") && create_credentials(h))
		return -1;
	if (!edge_file_exists(h->dirfd, "hub.conf") && create_conf(h))
		return -1;
	if (load_credentials(h) < 0)
		return -1;
	if (hub_conf_load("hub.conf", &h->conf, msg, sizeof(msg)) < 0) {
		hub_log("%s", msg);
		return -1;
	}
	if (hub_store_open(h->dirfd, &h->store, msg, sizeof(msg)) < 0) {
		hub_log("%s", msg);
		return -1;
	}
	if (hub_ca_open(h->dirfd, &h->ca, &created, msg, sizeof(msg)) < 0) {
		hub_log("%s", msg);
		return -1;
	}
	if (created)
		hub_log("created the CA in %s", h->dir);
	if (load_prev(h) < 0)
		return -1;
	if (!edge_file_exists(h->dirfd, "server.pem") &&
	    create_local(h, "server", HUB_ROLE_SERVER, SERVER_DN, "localhost",
	    "server.pem", "server-key.pem") < 0)
		return -1;
	if (!edge_file_exists(h->dirfd, "cloud.pem")) {
		if (create_local(h, "cloud", HUB_ROLE_CLIENT, CLOUD_DN,
		    "enos-cloud", "cloud.pem", "cloud-key.pem") < 0)
			return -1;
		hub_random_alnum(pw, sizeof(pw));
		rc = write_file(h, "cloud.password", pw, EDGE_MODE_PRIVATE);
		explicit_bzero(pw, sizeof(pw));
		if (rc < 0)
			return -1;
	}
	/* The cloud client's certificate needs no link: the broker trusts both roots. */
	if (renew_local(h, "server", "server.pem", "server-key.pem", true) < 0 ||
	    renew_local(h, "cloud", "cloud.pem", "cloud-key.pem", false) < 0)
		return -1;
	return 0;
}

static int
serve(struct hub *h, unsigned short port, unsigned short crl_port)
{
	char *cert = NULL, *key = NULL, msg[512];
	size_t clen = 0, klen = 0;
	struct edge_error e;
	struct timespec tick = { 1, 0 };
	sigset_t set;
	int sig, rc = 1;

	snprintf(h->portal, sizeof(h->portal), "https://127.0.0.1:%u", port);
	if (crl_port != 0)
		snprintf(h->crl_base, sizeof(h->crl_base),
		    "http://127.0.0.1:%u", crl_port);
	if (edge_file_read(h->dirfd, "server.pem", EDGE_FILE_MAX, &cert, &clen,
	    &e) || edge_file_read(h->dirfd, "server-key.pem", EDGE_FILE_MAX,
	    &key, &klen, &e)) {
		hub_log("%s", e.msg);
		goto out;
	}
	/* A fresh CRL at every start: its number keeps growing. */
	if (hub_crl_issue(h, msg, sizeof(msg)) < 0) {
		hub_log("CRL: %s", msg);
		goto out;
	}
	/* Signals are taken by sigtimedwait below, in this thread only. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (hub_http_start(h, port, crl_port, cert, key) < 0) {
		hub_log("cannot serve HTTPS on 127.0.0.1:%u (CRLs on %u)", port,
		    crl_port);
		goto out;
	}
	hub_log("serving %s from %s", h->portal, h->dir);
	for (;;) {
		sig = sigtimedwait(&set, NULL, &tick);
		if (sig == SIGTERM || sig == SIGINT)
			break;
		pthread_mutex_lock(&h->lock);
		hub_crl_tick(h);
		pthread_mutex_unlock(&h->lock);
	}
	hub_log("stopping");
	hub_http_stop();
	rc = 0;
out:
	free(cert);
	edge_file_free_private(&key, klen);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "port", required_argument, NULL, 'p' },
		{ "init", no_argument, NULL, 'i' },
		{ "free-port", no_argument, NULL, 'f' },
		{ "crl-port", required_argument, NULL, 'c' },
		{ "rotate-root", no_argument, NULL, 'r' },
		{ "root-days", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct hub h;
	struct edge_error e;
	const char *dir = NULL;
	bool init = false, rotate = false;
	long port = 0, crl_port = 0, root_days = 3650;
	int c, rc = 1;

	memset(&h, 0, sizeof(h));
	h.dirfd = -1;
	while ((c = getopt_long(argc, argv, "d:p:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'p':
			port = num_arg("--port", optarg, 1, 65535);
			break;
		case 'c':
			crl_port = num_arg("--crl-port", optarg, 1, 65535);
			break;
		case 'D':
			root_days = num_arg("--root-days", optarg, 1, 36500);
			break;
		case 'r':
			rotate = true;
			break;
		case 'i':
			init = true;
			break;
		case 'f':
			return free_port();
		case 'h':
			printf(USAGE, progname);
			return 0;
		default:
			usage();
		}
	}
	/* Exactly one of --port, --init, --rotate-root. */
	if (optind != argc || dir == NULL ||
	    (port != 0) + init + rotate != 1 || (crl_port != 0 && port == 0))
		usage();
	umask(077);
	if (gnutls_global_init() < 0)
		return 1;
	pthread_mutex_init(&h.lock, NULL);
	h.dir = dir;
	if (edge_dir_open(dir, &h.dirfd, &e) != 0) {
		hub_log("%s", e.msg);
		goto out;
	}
	/* hub.conf and friends are named relative to the hub directory. */
	if (fchdir(h.dirfd) != 0) {
		hub_log("%s: %s", dir, strerror(errno));
		goto out;
	}
	if (rotate) {
		char msg[512];

		if (hub_ca_rotate(h.dirfd, root_days, msg, sizeof(msg)) < 0) {
			hub_log("rotate: %s", msg);
			goto out;
		}
		hub_log("rotated the root CA in %s: the new root issues, the "
		    "previous one stays until it expires", dir);
		rc = 0;
		goto out;
	}
	if (init_files(&h) < 0)
		goto out;
	rc = init ? 0 : serve(&h, (unsigned short)port,
	    (unsigned short)crl_port);
out:
	hub_store_close(&h.store);
	hub_ca_close(&h.ca);
	hub_ca_close(&h.prev);
	free(h.cacert);
	gnutls_free(h.crl_pem.data);
	gnutls_free(h.crl_der.data);
	gnutls_free(h.prev_crl_der.data);
	explicit_bzero(h.secret_key, sizeof(h.secret_key));
	if (h.dirfd >= 0)
		close(h.dirfd);
	gnutls_global_deinit();
	return rc;
}
