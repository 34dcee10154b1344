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
#include <stdint.h>

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
	char crl_base[128];		/* http://127.0.0.1:PORT, or "" */
	/* After a rotation: the previous root while valid (crt NULL else). */
	struct hub_ca prev;
	char *cacert;			/* /enos/CA/cacert: root, link, prev */
	size_t cacert_len;
	gnutls_datum_t crl_pem;		/* each root's CRL, current root first */
	gnutls_datum_t crl_der, prev_crl_der;	/* DER, one per root */
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
/* HTTPS on port; plain HTTP for the CRL distribution point on crl_port. */
int hub_http_start(struct hub *h, unsigned short port,
    unsigned short crl_port, const char *cert_pem, const char *key_pem);
void hub_http_stop(void);
const char *hub_param(const struct hub_req *rq, const char *name);
/* Fill rs with the EnOS envelope {code,msg,requestId,data}; data is taken. */
void hub_reply(struct hub_resp *rs, unsigned status, int code,
    const char *msg, json_object *data);
/* Fill rs with the JSON text of o (taken). */
void hub_reply_json(struct hub_resp *rs, unsigned status, json_object *o);

/*
 * Request parsing, pure: bytes of a request in, parsed values or an error out,
 * no server, no hub state, never prints (tests/fuzz/fuzz_hubreq.c calls them
 * directly).  The handlers below call them and add the checks that need the
 * registry.
 */

/* hub_http.c */
/* Add a decoded query parameter; false when HUB_MAX_PARAMS are taken. */
bool hub_req_add_param(struct hub_req *rq, const char *name,
    const char *value);
/* True for a Content-Type a JSON body may have: application/json[;...]. */
bool hub_req_json_ctype(const char *ctype);
/*
 * The body as one JSON object: 0 with *out (caller puts), an empty body
 * giving {}; -1 when it has a NUL, is not one object, or has trailing bytes
 * other than whitespace.
 */
int hub_req_body(const char *body, size_t len, json_object **out);
/* Does the request ask for DER (?format=der, else Accept has der_type)? */
bool hub_req_wants_der(const struct hub_req *rq, const char *der_type);

/* hub_token.c */
/* A token-service request body (4.1). */
struct hub_token_req {
	json_object *body;		/* owns the strings below */
	const char *app, *enc, *old;	/* appKey, encryption, accessToken */
	char ts[32];			/* timestamp, decimal milliseconds */
	int64_t ts_ms;
};
/*
 * Parse a token get (or refresh) body.  0, or the token service's status
 * (1202 missing field, 1004 bad timestamp) with *msg its text.  Free t with
 * hub_token_req_free() in both cases.
 */
int hub_token_req_parse(const char *body, size_t len, bool refresh,
    struct hub_token_req *t, const char **msg);
void hub_token_req_free(struct hub_token_req *t);
/* apim-timestamp syntax: 1 to 19 decimal digits. */
bool hub_ms_timestamp(const char *s);
/*
 * The apim-signature of rq (4.2) against one computed with secret: 0 when
 * equal, else -1 with *msg the 401 text (missing, cannot compute, invalid).
 */
int hub_apim_verify(const struct hub_req *rq, const char *secret,
    const char **msg);

/* hub_api.c: the arguments of the device and certificate calls */
/* action and orgId (required, orgId must be org_id): the action, or NULL
 * with *code and msg. */
const char *hub_api_action(const struct hub_req *rq, const char *org_id,
    int *code, char *msg, size_t msglen);
/* A device key the hub puts in file names and topics: [A-Za-z0-9_.-]{1,64}. */
bool hub_valid_key(const char *s);
/* Device create body (6.2). */
struct hub_device_args {
	const char *pk, *tz, *dk;	/* borrowed from the body; dk may be NULL */
	json_object *name;		/* StringI18n, owned: json_object_put */
};
/* 0, or -1 with msg (code ENOS_EARG); the product must be in conf. */
int hub_api_device_args(json_object *body, const struct hub_conf *conf,
    struct hub_device_args *a, char *msg, size_t msglen);
/* certSn from the body (number or string) or the query; 0, or -1 with msg. */
int hub_api_cert_sn(const struct hub_req *rq, json_object *body,
    char sn[HUB_SN_MAX], char *msg, size_t msglen);
/* Revocation reason from the body or the query (default 0); 0 or -1. */
int hub_api_reason(const struct hub_req *rq, json_object *body,
    int64_t *reason);
/* Apply/renew body (7.1): csr, issueAuthority, validDay. */
struct hub_issue_args {
	const char *csr_pem;		/* borrowed: the body's or old_csr */
	bool ecc;
	int64_t days;
};
/* 0, or -1 with msg (code ENOS_EARG); old_* are the renewed certificate's. */
int hub_api_issue_args(json_object *body, const struct hub_product *p,
    const char *old_csr, const char *old_authority, struct hub_issue_args *a,
    char *msg, size_t msglen);

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
