/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "edge_hubcfg.h"
#include "edge_hubid.h"

const struct edge_opt edge_hub_opts[] = {
	{ "api", 0, "URL", 0, "hub API gateway, https://host[:port] (default: the api edge-provision recorded in DIR/device.json)", NULL, EDGE_T_STRING, 0, 0 },
	{ "hub-ca", 0, "FILE", 0, "CA bundle trusted for the hub's HTTPS endpoints (default: the system store)", NULL, EDGE_T_STRING, 0, 0 },
	{ "hub-pin", 0, "PINS", 0, "pin the hub's key: sha256//BASE64 of its SubjectPublicKeyInfo, several separated by ';'", NULL, EDGE_T_STRING, 0, 0 },
	{ "credentials", 0, "FILE", 0, "application credentials file (org_id, access_key, secret_key); cred:NAME for a systemd credential", NULL, EDGE_T_STRING, 0, 0 },
	{ "org-id", 0, "ID", 0, "EnOS organization id", NULL, EDGE_T_STRING, 0, 0 },
	{ "access-key", 0, "ACCESS_KEY", 0, "application access key", NULL, EDGE_T_STRING, 0, 0 },
	{ "secret-key", 0, "SECRET", EDGE_OPT_SECRET, "application secret key: " EDGE_SECRET_FORMS, NULL, EDGE_T_STRING, 0, 0 },
	{ "timeout", 0, "SECS", 0, "time limit for one hub request", "30", EDGE_T_INT, 1, 3600 },
	{ "retries", 0, "N", 0, "retries of a request that failed temporarily", "3", EDGE_T_INT, 0, 100 },
	{ NULL, 0, NULL, 0, NULL, NULL, EDGE_T_STRING, 0, 0 }
};

static const struct edge_opt cred_opts[] = {
	{ "org-id", 0, "ID", 0, "org", NULL, EDGE_T_STRING, 0, 0 },
	{ "access-key", 0, "KEY", 0, "key", NULL, EDGE_T_STRING, 0, 0 },
	{ "secret-key", 0, "SECRET", 0, "secret", NULL, EDGE_T_STRING, 0, 0 },
	{ NULL, 0, NULL, 0, NULL, NULL, EDGE_T_STRING, 0, 0 }
};

int
edge_hubcfg_load(struct edge_ctx *ctx, struct edge_hubcfg *cfg,
    bool need_credentials)
{
	struct edge_hub *h = &cfg->hub;
	const char *file = edge_arg(ctx, "credentials"), *api;
	char path[PATH_MAX];
	int rc, dirfd;

	memset(cfg, 0, sizeof(*cfg));
	if ((rc = edge_opts_init(&cfg->cred, NULL, cred_opts, &ctx->err)) != EDGE_OK)
		return rc;
	if ((rc = edge_hubcfg_transport(ctx, h)) != EDGE_OK)
		return rc;
	api = edge_arg(ctx, "api");
	if (api != NULL) {
		/* "https://host/" and "https://host" are the same gateway. */
		size_t n = strlen(api);
		while (n > 0 && api[n - 1] == '/')
			n--;
		if ((h->api = strndup(api, n)) == NULL)
			return edge_err(&ctx->err, EDGE_EFAIL, "out of memory");
	}
	if (edge_ctx_dirfd(ctx, &dirfd) == EDGE_OK)
		h->cache_dirfd = dirfd;

	if (file != NULL && strncmp(file, "cred:", 5) == 0) {
		/* A systemd credential (LoadCredential=credentials:FILE). */
		if (edge_secret_cred_path(file, path, sizeof(path),
		    &ctx->err) != EDGE_OK)
			return edge_err_prefix(&ctx->err, "%s",
			    edge_opts_origin(&ctx->opts, "credentials"));
		file = path;
	}
	if (file != NULL) {
		rc = edge_opts_load_file(&cfg->cred, file, EDGE_SRC_CONF, true,
		    &ctx->err);
		if (rc != EDGE_OK ||
		    (rc = edge_secret_file_check(file, &ctx->err)) != EDGE_OK)
			return rc;
	}
	h->org_id = edge_arg(ctx, "org-id");
	if (h->org_id == NULL)
		h->org_id = edge_opts_get(&cfg->cred, "org-id");
	h->access_key = edge_arg(ctx, "access-key");
	if (h->access_key == NULL)
		h->access_key = edge_opts_get(&cfg->cred, "access-key");
	if ((rc = edge_ctx_secret(ctx, "secret-key", &cfg->secret_key)) != EDGE_OK)
		return rc;
	if (cfg->secret_key == NULL && edge_opts_get(&cfg->cred, "secret-key")) {
		rc = edge_secret_from_value(edge_opts_get(&cfg->cred, "secret-key"),
		    &cfg->secret_key, &ctx->err);
		if (rc != EDGE_OK)
			return edge_err_prefix(&ctx->err, "%s", file);
	}
	h->secret_key = cfg->secret_key;
	if (!need_credentials)
		return EDGE_OK;
	if (h->api == NULL)
		return edge_usage(ctx, "no hub address: give --api URL or api = URL in edge.conf (edge-provision --api records it in device.json)");
	if (h->org_id == NULL || h->access_key == NULL || h->secret_key == NULL)
		return edge_usage(ctx,
		    "missing application credentials (%s%s%s): give --credentials FILE or --org-id, --access-key and --secret-key",
		    h->org_id ? "" : "org id ", h->access_key ? "" : "access key ",
		    h->secret_key ? "" : "secret key");
	return EDGE_OK;
}

int
edge_hubcfg_transport(struct edge_ctx *ctx, struct edge_hub *h)
{
	/* Checked against the option table (1 to 3600, 0 to 100) before run(). */
	long timeout = edge_arg_long(ctx, "timeout", 30);

	edge_hub_init(h);
	h->http.total_timeout = timeout;
	h->http.connect_timeout = timeout < 10 ? timeout : 10;
	h->retries = (int)edge_arg_long(ctx, "retries", 3);
	h->http.ca_file = edge_arg(ctx, "hub-ca");
	return edge_hubcfg_pin(ctx, &h->http.hub_pin);
}

void
edge_hubcfg_free(struct edge_hubcfg *cfg)
{
	free((char *)cfg->hub.api);
	cfg->hub.api = NULL;
	edge_secret_free(&cfg->secret_key);
	edge_opts_free(&cfg->cred);
}
