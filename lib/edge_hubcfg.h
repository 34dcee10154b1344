/* SPDX-License-Identifier: MIT */
#ifndef EDGE_HUBCFG_H
#define EDGE_HUBCFG_H

/*
 * The hub options every hub-facing tool shares (addresses, trust, application
 * credentials, timeouts), as one option group, and their resolution into a
 * struct edge_hub.  Credentials: --org-id, --access-key and --secret-key (a
 * secret source) or their EDGE_* variables, else --credentials FILE with
 * "org_id = ...", "access_key = ...", "secret_key = ..." lines.
 */

#include <stdbool.h>

#include "edge_hub.h"
#include "edge_tool.h"

extern const struct edge_opt edge_hub_opts[];

struct edge_hubcfg {
	struct edge_hub hub;
	struct edge_opts cred;		/* values read from --credentials */
	struct edge_secret *secret_key;
};

/*
 * Fill cfg from the tool's options.  With need_credentials, a missing org id,
 * access key or secret key is a usage error naming what is missing.  The
 * token cache goes to the state directory.  Warns when the credentials file
 * is readable by others.  Release with edge_hubcfg_free().
 */
int edge_hubcfg_load(struct edge_ctx *ctx, struct edge_hubcfg *cfg,
    bool need_credentials);

void edge_hubcfg_free(struct edge_hubcfg *cfg);

/*
 * Only the transport part (--hub-ca, --hub-pin, --timeout, --retries, token
 * cache off): for tools that fetch public hub data and define those options
 * themselves.  A malformed --hub-pin is a usage error.
 */
int edge_hubcfg_transport(struct edge_ctx *ctx, struct edge_hub *hub);

/*
 * The --hub-pin value, its syntax checked (edge_hubid_pins_valid): *pins
 * NULL when not given.  EDGE_EUSAGE (ctx->err says why) when malformed.
 * For every tool with --hub-pin: the HTTPS hub and the MQTT broker.
 */
int edge_hubcfg_pin(struct edge_ctx *ctx, const char **pins);

#endif
