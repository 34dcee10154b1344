/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "hub.h"

#define TLS_PRIORITIES	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

static struct MHD_Daemon *daemon_, *crl_daemon_;
static struct hub *hub_;

/* Per-connection upload state. */
struct upload {
	char *buf;
	size_t len, cap;
	bool too_big;
};

struct params_ctx {
	struct hub_req *rq;
	bool overflow;
};

const char *
hub_param(const struct hub_req *rq, const char *name)
{
	size_t i;

	for (i = 0; i < rq->nparams; i++)
		if (strcmp(rq->params[i].name, name) == 0)
			return rq->params[i].value;
	return NULL;
}

void
hub_reply_json(struct hub_resp *rs, unsigned status, json_object *o)
{
	const char *text = json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

	free(rs->body);
	rs->status = status;
	rs->ctype = "application/json;charset=UTF-8";
	rs->body = strdup(text);
	rs->len = rs->body != NULL ? strlen(rs->body) : 0;
	json_object_put(o);
}

void
hub_reply(struct hub_resp *rs, unsigned status, int code, const char *msg,
    json_object *data)
{
	json_object *o = json_object_new_object();
	char rid[37];

	hub_uuid(rid);
	json_object_object_add(o, "code", json_object_new_int(code));
	json_object_object_add(o, "msg", json_object_new_string(msg));
	json_object_object_add(o, "requestId", json_object_new_string(rid));
	json_object_object_add(o, "data", data);
	hub_reply_json(rs, status, o);
}

bool
hub_req_add_param(struct hub_req *rq, const char *name, const char *value)
{
	if (rq->nparams == HUB_MAX_PARAMS)
		return false;
	rq->params[rq->nparams].name = name;
	rq->params[rq->nparams].value = value ? value : "";
	rq->nparams++;
	return true;
}

static enum MHD_Result
collect_param(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct params_ctx *ctx = cls;

	(void)kind;
	if (!hub_req_add_param(ctx->rq, key, value)) {
		ctx->overflow = true;
		return MHD_NO;
	}
	return MHD_YES;
}

bool
hub_req_wants_der(const struct hub_req *rq, const char *der_type)
{
	const char *f = hub_param(rq, "format");

	if (f != NULL)
		return strcasecmp(f, "der") == 0;
	return rq->accept != NULL && strstr(rq->accept, der_type) != NULL;
}

static void
reply_blob(struct hub_resp *rs, const char *ctype, const void *data,
    size_t len)
{
	rs->status = 200;
	rs->ctype = ctype;
	rs->body = malloc(len ? len : 1);
	if (rs->body == NULL) {
		rs->status = 500;
		rs->len = 0;
		return;
	}
	memcpy(rs->body, data, len);
	rs->len = len;
}

/* Public, unauthenticated: GET /enos/CA/{cacert,crl}[/RSA|/ECC]. */
static bool
serve_ca(struct hub *h, const struct hub_req *rq, struct hub_resp *rs)
{
	static const char *const tails[] = { "", "/RSA", "/ECC" };
	bool cacert = false, crl = false;
	size_t i;
	char p[64];

	for (i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "/enos/CA/cacert%s", tails[i]);
		cacert |= strcmp(rq->path, p) == 0;
		snprintf(p, sizeof(p), "/enos/CA/crl%s", tails[i]);
		crl |= strcmp(rq->path, p) == 0;
	}
	if (!cacert && !crl)
		return false;
	if (strcmp(rq->method, "GET") != 0 && strcmp(rq->method, "HEAD") != 0) {
		hub_reply(rs, 405, ENOS_EARG, "Method Not Allowed", NULL);
		return true;
	}
	/* DER holds one certificate or CRL: the current root's. */
	if (cacert && hub_req_wants_der(rq, "application/pkix-cert"))
		reply_blob(rs, "application/pkix-cert", h->ca.der,
		    h->ca.der_len);
	else if (cacert)
		reply_blob(rs, "application/x-pem-file", h->cacert,
		    h->cacert_len);
	else if (h->crl_der.data == NULL)
		hub_reply(rs, 503, ENOS_EINTERNAL, "CRL not available", NULL);
	else if (hub_req_wants_der(rq, "application/pkix-crl"))
		reply_blob(rs, "application/pkix-crl", h->crl_der.data,
		    h->crl_der.size);
	else
		reply_blob(rs, "application/x-pem-file", h->crl_pem.data,
		    h->crl_pem.size);
	return true;
}

bool
hub_req_json_ctype(const char *ctype)
{
	return ctype != NULL && strncasecmp(ctype, "application/json", 16) == 0 &&
	    (ctype[16] == '\0' || ctype[16] == ';' || ctype[16] == ' ');
}

int
hub_req_body(const char *body, size_t len, json_object **out)
{
	struct json_tokener *tok;
	json_object *o = NULL;
	const char *rest, *end = body + len;

	*out = NULL;
	if (len == 0) {
		*out = json_object_new_object();
		return *out != NULL ? 0 : -1;
	}
	if (len > INT_MAX || memchr(body, '\0', len) != NULL)
		return -1;
	if ((tok = json_tokener_new()) == NULL)
		return -1;
	o = json_tokener_parse_ex(tok, body, (int)len);
	/* Trailing bytes after the object are malformed too. */
	if (o != NULL && tok->char_offset != (int)len) {
		for (rest = body + tok->char_offset; rest < end &&
		    (*rest == ' ' || *rest == '\n' || *rest == '\r' ||
		    *rest == '\t'); rest++)
			;
		if (rest < end) {
			json_object_put(o);
			o = NULL;
		}
	}
	json_tokener_free(tok);
	if (o != NULL && json_object_is_type(o, json_type_object)) {
		*out = o;
		return 0;
	}
	json_object_put(o);
	return -1;
}

/* Parse the body as one JSON object; NULL with rs filled otherwise. */
static json_object *
parse_body(const struct hub_req *rq, struct hub_resp *rs, int code)
{
	json_object *o;

	if (hub_req_body(rq->body, rq->body_len, &o) == 0)
		return o;
	if (code == 1004) {
		json_object *t = json_object_new_object();

		json_object_object_add(t, "status", json_object_new_int(1004));
		json_object_object_add(t, "msg",
		    json_object_new_string("bad parameter: malformed JSON body"));
		json_object_object_add(t, "business",
		    json_object_new_string("apim-token-service"));
		json_object_object_add(t, "data", NULL);
		hub_reply_json(rs, 200, t);
	} else
		hub_reply(rs, 200, ENOS_EARG,
		    "Invalid Argument body: malformed JSON", NULL);
	return NULL;
}

static void
route(struct hub *h, struct hub_req *rq, const char *ctype,
    struct hub_resp *rs)
{
	bool post = strcmp(rq->method, "POST") == 0;
	bool token_get = strcmp(rq->path, "/apim-token-service/v2.0/token/get") == 0;
	bool token_refresh =
	    strcmp(rq->path, "/apim-token-service/v2.0/token/refresh") == 0;
	bool devices = strcmp(rq->path, "/connect-service/v2.1/devices") == 0;
	bool certs = strcmp(rq->path, "/connect-service/v2.0/certificates") == 0;
	json_object *body;

	if (serve_ca(h, rq, rs))
		return;
	if (!token_get && !token_refresh && !devices && !certs) {
		hub_reply(rs, 404, ENOS_ENOTFOUND, "Not Found", NULL);
		return;
	}
	if (!post && strcmp(rq->method, "GET") != 0) {
		hub_reply(rs, 405, ENOS_EARG, "Method Not Allowed", NULL);
		return;
	}
	/* A body must be JSON; an empty one needs no Content-Type. */
	if (rq->body_len > 0 && !hub_req_json_ctype(ctype)) {
		hub_reply(rs, 415, ENOS_EARG,
		    "Invalid Argument Content-Type: must be application/json",
		    NULL);
		return;
	}
	if (token_get || token_refresh) {
		if (!post) {
			hub_reply(rs, 405, ENOS_EARG, "Method Not Allowed",
			    NULL);
			return;
		}
		if ((body = parse_body(rq, rs, 1004)) == NULL)
			return;
		json_object_put(body);
		hub_token_get(h, rq, rs, token_refresh);
		return;
	}
	if (hub_token_check(h, rq, rs) < 0)
		return;
	if ((body = parse_body(rq, rs, ENOS_EARG)) == NULL)
		return;
	if (devices)
		hub_api_devices(h, rq, body, rs);
	else
		hub_api_certificates(h, rq, body, rs);
	json_object_put(body);
}

/* Log and queue rs (its body is handed over). */
static enum MHD_Result
send_reply(struct MHD_Connection *c, struct hub_resp *rs, const char *method,
    const char *url, const char *scheme)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (rs->body == NULL)
		hub_reply(rs, 500, ENOS_EINTERNAL, "Internal error", NULL);
	hub_log("%s %s%s -> %u", method, scheme, url, rs->status);
	resp = MHD_create_response_from_buffer(rs->len,
	    rs->body ? rs->body : (char *)"",
	    rs->body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (resp == NULL) {
		free(rs->body);
		return MHD_NO;
	}
	if (rs->ctype != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
		    rs->ctype);
	ret = MHD_queue_response(c, rs->status ? rs->status : 500, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct hub *h = cls;
	struct upload *up = *con_cls;
	struct hub_req rq;
	struct hub_resp rs = { 0 };
	struct params_ctx pctx = { &rq, false };

	(void)version;
	if (up == NULL) {
		if ((up = calloc(1, sizeof(*up))) == NULL)
			return MHD_NO;
		*con_cls = up;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;

		if (!up->too_big && up->len + n > (size_t)h->conf.body_max)
			up->too_big = true;
		if (!up->too_big) {
			if (up->len + n + 1 > up->cap) {
				size_t cap = (up->len + n + 1) * 2;
				char *nb = realloc(up->buf, cap);

				if (nb == NULL)
					return MHD_NO;
				up->buf = nb;
				up->cap = cap;
			}
			memcpy(up->buf + up->len, upload_data, n);
			up->len += n;
			up->buf[up->len] = '\0';
		}
		*upload_data_size = 0;
		return MHD_YES;
	}

	memset(&rq, 0, sizeof(rq));
	rq.method = method;
	rq.path = url;
	rq.body = up->buf ? up->buf : "";
	rq.body_len = up->len;
	rq.token = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "apim-accesstoken");
	rq.timestamp = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "apim-timestamp");
	rq.signature = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "apim-signature");
	rq.accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept");
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_param,
	    &pctx);

	if (up->too_big)
		hub_reply(&rs, 413, ENOS_EARG,
		    "Invalid Argument body: request body too large", NULL);
	else if (pctx.overflow)
		hub_reply(&rs, 400, ENOS_EARG,
		    "Invalid Argument query: too many parameters", NULL);
	else {
		pthread_mutex_lock(&h->lock);
		route(h, &rq, MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_CONTENT_TYPE), &rs);
		hub_fault_apply(h, &rq, &rs);
		pthread_mutex_unlock(&h->lock);
	}
	return send_reply(c, &rs, method, url, "");
}

static void
completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct upload *up = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (up != NULL) {
		free(up->buf);
		free(up);
		*con_cls = NULL;
	}
}

/*
 * The CRL distribution point of issued certificates (RFC 5280 4.2.1.13: an
 * HTTP URI serving DER): plain HTTP, GET /crl/ROOT-SKI-HEX.crl only.
 */
static enum MHD_Result
handle_crl(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct hub *h = cls;
	struct hub_resp rs = { 0 };
	const gnutls_datum_t *crl = NULL;
	char p[160];

	(void)version;
	(void)upload_data;
	(void)con_cls;
	if (*upload_data_size > 0)
		return MHD_NO;
	pthread_mutex_lock(&h->lock);
	snprintf(p, sizeof(p), "/crl/%s.crl", h->ca.id);
	if (strcmp(url, p) == 0)
		crl = &h->crl_der;
	else if (h->prev.crt != NULL) {
		snprintf(p, sizeof(p), "/crl/%s.crl", h->prev.id);
		if (strcmp(url, p) == 0)
			crl = &h->prev_crl_der;
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		hub_reply(&rs, 405, ENOS_EARG, "Method Not Allowed", NULL);
	else if (crl == NULL || crl->data == NULL)
		hub_reply(&rs, 404, ENOS_ENOTFOUND, "Not Found", NULL);
	else
		reply_blob(&rs, "application/pkix-crl", crl->data, crl->size);
	pthread_mutex_unlock(&h->lock);
	return send_reply(c, &rs, method, url, "http ");
}

/* libmicrohttpd's printf-style error log (clang checks the format). */
static void mhd_log(void *cls, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	hub_log("libmicrohttpd: %s", line);
}

int
hub_http_start(struct hub *h, unsigned short port, unsigned short crl_port,
    const char *cert_pem, const char *key_pem)
{
	struct sockaddr_in sa;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(crl_port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	hub_ = h;
	if (crl_port != 0 && (crl_daemon_ = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, crl_port, NULL,
	    NULL, handle_crl, h, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	    MHD_OPTION_CONNECTION_TIMEOUT, 30,
	    MHD_OPTION_CONNECTION_LIMIT, 64,
	    MHD_OPTION_END)) == NULL)
		return -1;
	sa.sin_port = htons(port);
	daemon_ = MHD_start_daemon(MHD_USE_TLS | MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_ERROR_LOG, port, NULL, NULL, handle, h,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	    MHD_OPTION_HTTPS_MEM_CERT, cert_pem,
	    MHD_OPTION_HTTPS_MEM_KEY, key_pem,
	    MHD_OPTION_HTTPS_PRIORITIES, TLS_PRIORITIES,
	    MHD_OPTION_THREAD_POOL_SIZE, 4,
	    MHD_OPTION_CONNECTION_TIMEOUT, 30,
	    MHD_OPTION_CONNECTION_LIMIT, 256,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
	    MHD_OPTION_END);
	return daemon_ != NULL ? 0 : -1;
}

void
hub_http_stop(void)
{
	if (daemon_ != NULL)
		MHD_stop_daemon(daemon_);
	if (crl_daemon_ != NULL)
		MHD_stop_daemon(crl_daemon_);
	daemon_ = crl_daemon_ = NULL;
	hub_ = NULL;
}
