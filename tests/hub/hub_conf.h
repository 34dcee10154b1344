/* SPDX-License-Identifier: MIT */
#ifndef HUB_CONF_H
#define HUB_CONF_H

/*
 * hub.conf: the stand-in hub's settings and products, one `key = value` per
 * line, '#' comments.  Global keys come first; every `product_key` line starts
 * a new product and the product keys below it apply to that product.  Read by
 * enos-hub and by the broker plugin (README.md documents the keys).
 */

#include <stdbool.h>
#include <stddef.h>

#define HUB_MAX_PRODUCTS	16
#define HUB_KEY_MAX		64
#define HUB_SECRET_MAX		128

struct hub_product {
	char key[HUB_KEY_MAX];
	char secret[HUB_SECRET_MAX];
	bool bidir;		/* bi_directional_auth: certificates allowed */
	bool dynamic;		/* dynamic_activation: securemode=3 allowed */
	long default_valid_day;
	long max_valid_day;
};

struct hub_conf {
	long token_ttl;		/* seconds an access token lives */
	long crl_validity;	/* seconds between thisUpdate and nextUpdate */
	long timestamp_window;	/* seconds of clock skew accepted, 0: any */
	long body_max;		/* request body cap in bytes */
	struct hub_product products[HUB_MAX_PRODUCTS];
	size_t nproducts;
};

/* Defaults for every setting (no product). */
void hub_conf_defaults(struct hub_conf *c);

/*
 * Read path into c (defaults first).  Returns 0, or -1 with a one-line
 * reason in errbuf.  Never prints.
 */
int hub_conf_load(const char *path, struct hub_conf *c, char *errbuf,
    size_t errlen);

/* The product with this key, or NULL. */
const struct hub_product *hub_conf_product(const struct hub_conf *c,
    const char *key);

#endif
