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
#define HUB_MAX_POINTS		32

/* Measurepoint data types of a thing model (`measurepoint = NAME TYPE`). */
enum hub_point_type {
	HUB_POINT_INT, HUB_POINT_FLOAT, HUB_POINT_STRING, HUB_POINT_BOOL,
	HUB_POINT_ARRAY, HUB_POINT_STRUCT
};

struct hub_point {
	char name[HUB_KEY_MAX];
	enum hub_point_type type;
};

struct hub_product {
	char key[HUB_KEY_MAX];
	char secret[HUB_SECRET_MAX];
	bool bidir;		/* bi_directional_auth: certificates allowed */
	bool dynamic;		/* dynamic_activation: securemode=3 allowed */
	long default_valid_day;
	long max_valid_day;
	/* The thing model's measurepoints; none: every point is accepted. */
	struct hub_point points[HUB_MAX_POINTS];
	size_t npoints;
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

/* The measurepoint name of p's thing model, or NULL. */
const struct hub_point *hub_conf_point(const struct hub_product *p,
    const char *name);

/* The hub.conf name of a measurepoint type ("int", "float", ...). */
const char *hub_point_type_name(enum hub_point_type t);

#endif
