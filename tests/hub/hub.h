/* SPDX-License-Identifier: MIT */
#ifndef HUB_H
#define HUB_H

/*
 * enos-hub, the stand-in EnOS IoT Hub API server: shared state and the
 * interfaces between its modules (one concern per file):
 *   enos-hub.c   options, first-start files, signals, the CRL clock
 *   hub_http.c   libmicrohttpd glue, routing, the EnOS envelope, CA/CRL GETs
 *   hub_token.c  token service (4.1) and apim-* request signatures (4.2)
 *   hub_api.c    devices (6.2) and certificates (7, 8)
 *   hub_crl.c    CRL reissue, crl.pem and the broker's SIGHUP
 *   hub_ca.c, hub_store.c, hub_conf.c: CA, registry, hub.conf
 */

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include <json.h>

#include "edge_enos.h"
#include "hub_ca.h"
#include "hub_conf.h"
#include "hub_store.h"

#define HUB_MAX_PARAMS	32

struct hub {
	const char *dir;
	int dirfd;
	struct hub_conf conf;
	struct hub_ca ca;
	struct hub_store store;
	pthread_mutex_t lock;		/* guards everything below and above */
	char org_id[64];
	char access_key[64];
	char secret_key[128];
	char portal[128];		/* https://127.0.0.1:PORT */
	gnutls_datum_t crl_pem, crl_der;	/* the CRL being served */
	time_t crl_this, crl_next;
	bool crl_dirty;			/* crl.pem must be rewritten */
};

/* A complete request as the HTTP layer hands it to a handler. */
struct hub_req {
	const char *method;
	const char *path;
	struct edge_enos_param params[HUB_MAX_PARAMS];
	size_t nparams;
	const char *body;		/* NUL-terminated, may contain NULs */
	size_t body_len;
	const char *token, *timestamp, *signature;	/* apim-* headers */
	const char *accept;
};

struct hub_resp {
	unsigned status;		/* HTTP status */
	const char *ctype;
	char *body;			/* malloc'd */
	size_t len;
};

/* hub_http.c */
int hub_http_start(struct hub *h, unsigned short port, const char *cert_pem,
    const char *key_pem);
void hub_http_stop(void);
const char *hub_param(const struct hub_req *rq, const char *name);
/* Fill rs with the EnOS envelope {code,msg,requestId,data}; data is taken. */
void hub_reply(struct hub_resp *rs, unsigned status, int code,
    const char *msg, json_object *data);
/* Fill rs with the JSON text of o (taken). */
void hub_reply_json(struct hub_resp *rs, unsigned status, json_object *o);

/* hub_fault.c: injected faults from DIR/faults (the caller holds h->lock) */
void hub_fault_apply(struct hub *h, const struct hub_req *rq,
    struct hub_resp *rs);

/* hub_token.c (the caller holds h->lock) */
void hub_token_get(struct hub *h, const struct hub_req *rq,
    struct hub_resp *rs, bool refresh);
/* 0 when the apim-* headers are valid, else -1 with rs filled (401). */
int hub_token_check(struct hub *h, const struct hub_req *rq,
    struct hub_resp *rs);

/* hub_api.c (the caller holds h->lock; the request is authenticated) */
void hub_api_devices(struct hub *h, const struct hub_req *rq,
    json_object *body, struct hub_resp *rs);
void hub_api_certificates(struct hub *h, const struct hub_req *rq,
    json_object *body, struct hub_resp *rs);

/* hub_crl.c (the caller holds h->lock) */
int hub_crl_issue(struct hub *h, char *msg, size_t msglen);
/* Reissue when half the validity is gone, or retry a failed write. */
void hub_crl_tick(struct hub *h);

/* enos-hub.c: one log line on stderr, err(3) style. */
void hub_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* EnOS error codes (ENOS-PROTOCOL.md 3.3) and the hub's own 99401. */
enum {
	ENOS_OK = 0,
	ENOS_EARG = 99400,
	ENOS_EAUTH = 99401,	/* stand-in: bad or missing apim-* headers */
	ENOS_EDENIED = 99403,
	ENOS_ENOTFOUND = 99404,
	ENOS_EINTERNAL = 99500,
	ENOS_ENODEVICE = 11404,
	ENOS_EBOUND = 11833,
	ENOS_EDKEXISTS = 11702,
	ENOS_EDEVLIMIT = 11739,
};

#endif
