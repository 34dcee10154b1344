/* SPDX-License-Identifier: MIT */
/*
 * CRL reissue: after every revocation and before nextUpdate.  crl.pem is
 * replaced by write-then-rename (never deleted: mosquitto runs without a CRL
 * when the file is missing at SIGHUP), then the broker gets SIGHUP.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "edge_file.h"
#include "hub.h"

#define BROKER_PIDFILE	"mosquitto.pid"

/* SIGHUP the broker of this hub directory, if it runs. */
static void
signal_broker(struct hub *h)
{
	char *data = NULL, comm[64] = "", path[64];
	size_t len = 0;
	struct edge_error e;
	long pid;
	FILE *f;

	if (!edge_file_exists(h->dirfd, BROKER_PIDFILE))
		return;
	if (edge_file_read(h->dirfd, BROKER_PIDFILE, 64, &data, &len, &e) != 0) {
		hub_log("%s", e.msg);
		return;
	}
	pid = strtol(data, NULL, 10);
	free(data);
	if (pid <= 1)
		return;
	/* A stale pid file must not make us signal a stranger. */
	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	if ((f = fopen(path, "re")) != NULL) {
		if (fgets(comm, sizeof(comm), f) == NULL)
			comm[0] = '\0';
		fclose(f);
	}
	if (strncmp(comm, "mosquitto", 9) != 0)
		return;
	if (kill((pid_t)pid, SIGHUP) != 0)
		hub_log("kill %ld HUP: %s", pid, strerror(errno));
	else
		hub_log("CRL: broker %ld reloads", pid);
}

static void
write_crl(struct hub *h)
{
	struct edge_error e;

	if (edge_file_write_atomic(h->dirfd, "crl.pem", h->crl_pem.data,
	    h->crl_pem.size, EDGE_MODE_PUBLIC, &e) != 0) {
		hub_log("%s", e.msg);
		h->crl_dirty = true;
		return;
	}
	h->crl_dirty = false;
	signal_broker(h);
}

/*
 * The CRL of one root: the revoked certificates it issued (by their AKI, as
 * both roots of a rotation have one subject name).
 */
static int
root_crl(struct hub *h, struct hub_ca *ca, uint64_t number, time_t now,
    time_t next, gnutls_datum_t *pem, gnutls_datum_t *der, size_t *nrev,
    char *msg, size_t msglen)
{
	json_object *certs = hub_store_array(&h->store, "certs"), *c;
	size_t i, n = json_object_array_length(certs);
	struct hub_revoked *rev;
	int rc;

	if ((rev = calloc(n + 1, sizeof(*rev))) == NULL) {
		snprintf(msg, msglen, "out of memory");
		return -1;
	}
	*nrev = 0;
	for (i = 0; i < n; i++) {
		c = json_object_array_get_idx(certs, i);
		if (strcmp(hub_jstr(c, "status") ?: "", "revoked") != 0 ||
		    !hub_ca_issued(ca, hub_jstr(c, "cert")))
			continue;
		rev[*nrev].sn = hub_jstr(c, "certSN");
		rev[*nrev].when = (time_t)(hub_jint(c, "revokeTime") / 1000);
		(*nrev)++;
	}
	rc = hub_ca_make_crl(ca, rev, *nrev, number, now, next, pem, der, msg,
	    msglen);
	free(rev);
	return rc;
}

int
hub_crl_issue(struct hub *h, char *msg, size_t msglen)
{
	json_object *crl = hub_store_object(&h->store, "crl");
	gnutls_datum_t pem = { NULL, 0 }, der = { NULL, 0 };
	gnutls_datum_t ppem = { NULL, 0 }, pder = { NULL, 0 };
	time_t now = time(NULL), next = now + h->conf.crl_validity;
	uint64_t number = (uint64_t)hub_jint(crl, "number") + 1;
	size_t nrev = 0, pnrev = 0;
	unsigned char *both = NULL;
	int rc = -1;

	/* Every root in use has its CRL; one number for all of them. */
	if (root_crl(h, &h->ca, number, now, next, &pem, &der, &nrev, msg,
	    msglen) < 0 ||
	    (h->prev.crt != NULL && root_crl(h, &h->prev, number, now, next,
	    &ppem, &pder, &pnrev, msg, msglen) < 0))
		goto out;
	if ((both = gnutls_malloc(pem.size + ppem.size + 1)) == NULL) {
		snprintf(msg, msglen, "out of memory");
		goto out;
	}
	memcpy(both, pem.data, pem.size);
	if (ppem.size > 0)
		memcpy(both + pem.size, ppem.data, ppem.size);
	json_object_object_add(crl, "number", json_object_new_int64((int64_t)number));
	json_object_object_add(crl, "thisUpdate", json_object_new_int64(now));
	json_object_object_add(crl, "nextUpdate", json_object_new_int64(next));
	if (hub_store_save(&h->store, msg, msglen) < 0)
		goto out;
	gnutls_free(h->crl_pem.data);
	gnutls_free(h->crl_der.data);
	gnutls_free(h->prev_crl_der.data);
	h->crl_pem.data = both;
	h->crl_pem.size = pem.size + ppem.size;
	both = NULL;
	h->crl_der = der;
	h->prev_crl_der = pder;
	der.data = pder.data = NULL;
	h->crl_this = now;
	h->crl_next = next;
	if (h->prev.crt != NULL)
		hub_log("CRL %llu issued, %zu revoked; previous root's, %zu revoked",
		    (unsigned long long)number, nrev, pnrev);
	else
		hub_log("CRL %llu issued, %zu revoked",
		    (unsigned long long)number, nrev);
	write_crl(h);
	rc = 0;
out:
	gnutls_free(both);
	gnutls_free(pem.data);
	gnutls_free(der.data);
	gnutls_free(ppem.data);
	gnutls_free(pder.data);
	return rc;
}

void
hub_crl_tick(struct hub *h)
{
	char msg[512];
	time_t now = time(NULL);

	if (h->crl_pem.data == NULL ||
	    now >= h->crl_this + (h->crl_next - h->crl_this) / 2) {
		if (hub_crl_issue(h, msg, sizeof(msg)) < 0)
			hub_log("CRL: %s", msg);
	} else if (h->crl_dirty)
		write_crl(h);
}
