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

int
hub_crl_issue(struct hub *h, char *msg, size_t msglen)
{
	json_object *crl = hub_store_object(&h->store, "crl");
	json_object *certs = hub_store_array(&h->store, "certs"), *c;
	size_t i, n = json_object_array_length(certs), nrev = 0;
	struct hub_revoked *rev = NULL;
	gnutls_datum_t pem, der;
	time_t now = time(NULL), next = now + h->conf.crl_validity;
	uint64_t number = (uint64_t)hub_jint(crl, "number") + 1;
	int rc = -1;

	if ((rev = calloc(n + 1, sizeof(*rev))) == NULL) {
		snprintf(msg, msglen, "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		c = json_object_array_get_idx(certs, i);
		if (strcmp(hub_jstr(c, "status") ?: "", "revoked") != 0)
			continue;
		rev[nrev].sn = hub_jstr(c, "certSN");
		rev[nrev].when = (time_t)(hub_jint(c, "revokeTime") / 1000);
		nrev++;
	}
	if (hub_ca_make_crl(&h->ca, rev, nrev, number, now, next, &pem, &der,
	    msg, msglen) < 0)
		goto out;
	json_object_object_add(crl, "number", json_object_new_int64((int64_t)number));
	json_object_object_add(crl, "thisUpdate", json_object_new_int64(now));
	json_object_object_add(crl, "nextUpdate", json_object_new_int64(next));
	if (hub_store_save(&h->store, msg, msglen) < 0) {
		gnutls_free(pem.data);
		gnutls_free(der.data);
		goto out;
	}
	gnutls_free(h->crl_pem.data);
	gnutls_free(h->crl_der.data);
	h->crl_pem = pem;
	h->crl_der = der;
	h->crl_this = now;
	h->crl_next = next;
	hub_log("CRL %llu issued, %zu revoked", (unsigned long long)number, nrev);
	write_crl(h);
	rc = 0;
out:
	free(rev);
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
