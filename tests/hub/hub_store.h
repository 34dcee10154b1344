/* SPDX-License-Identifier: MIT */
#ifndef HUB_STORE_H
#define HUB_STORE_H

/*
 * The hub registry: one JSON document, state.json in the hub directory,
 * kept in memory as a json-c tree and replaced atomically after every change
 * (README.md documents its format; the broker plugin reads it).  Each entry
 * of a registry array keeps its serialised text, so a save costs the new
 * entries, not the whole registry.  The caller serialises access (one mutex
 * in enos-hub).  Never prints.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json.h>

#include "hub_json.h"

/* One registry entry's text as last saved; the entry is referenced. */
struct hub_cached {
	json_object *entry;
	char *text;		/* NULL: changed since */
};

struct hub_store {
	int dirfd;
	json_object *root;
	struct hub_cached *cache;	/* in document order */
	size_t ncache;
	bool verify;		/* HUB_STORE_VERIFY=1: check every save */
};

/* Load DIR/state.json, or start an empty registry.  0 or -1 with msg. */
int hub_store_open(int dirfd, struct hub_store *s, char *msg, size_t msglen);
void hub_store_close(struct hub_store *s);

/*
 * Write state.json atomically.  On failure the in-memory tree is reloaded
 * from the file on disk, so memory and disk never disagree.
 */
int hub_store_save(struct hub_store *s, char *msg, size_t msglen);

/*
 * Call after changing an entry already in a registry array (a device, a
 * certificate, ...): saves reuse each entry's serialised text until then.
 */
void hub_store_changed(struct hub_store *s, json_object *entry);

/* The named top-level array ("devices", "certs", ...), created if absent. */
json_object *hub_store_array(struct hub_store *s, const char *name);
/* The named top-level object ("crl", ...), created if absent. */
json_object *hub_store_object(struct hub_store *s, const char *name);

/* A device by assetId, or by productKey and deviceKey; NULL if none. */
json_object *hub_store_device(struct hub_store *s, const char *asset_id,
    const char *pk, const char *dk);
/* A device certificate by decimal serial; NULL if none. */
json_object *hub_store_cert(struct hub_store *s, const char *sn);

/* Field helpers: hub_json.h. */

/* Random identifiers from gnutls_rnd. */
void hub_random_alnum(char *out, size_t len);	/* len-1 characters + NUL */
void hub_uuid(char out[37]);
int64_t hub_now_ms(void);

#endif
