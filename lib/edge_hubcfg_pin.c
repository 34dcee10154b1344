/* SPDX-License-Identifier: MIT */
/*
 * edge_hubcfg_pin (declared in edge_hubcfg.h) in an object of its own:
 * edge-connect needs it but no HTTPS, and libedge.a is an archive, so
 * keeping it apart from edge_hubcfg.o (which pulls edge_hub.o and
 * edge_http.o) keeps libcurl-gnutls and its ~27 libraries out of
 * edge-connect (linked with --as-needed).
 */
#include "edge_hubcfg.h"
#include "edge_hubid.h"

int
edge_hubcfg_pin(struct edge_ctx *ctx, const char **pins)
{
	*pins = edge_arg(ctx, "hub-pin");
	if (*pins != NULL && edge_hubid_pins_valid(*pins, &ctx->err) != EDGE_OK)
		return EDGE_EUSAGE;
	return EDGE_OK;
}
