/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hub_conf.h"

void
hub_conf_defaults(struct hub_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->token_ttl = 7200;
	c->crl_validity = 86400;
	c->timestamp_window = 900;
	c->body_max = 64 * 1024;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int
parse_long(const char *v, long min, long max, long *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

static int
parse_bool(const char *v, bool *out)
{
	if (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0 ||
	    strcasecmp(v, "yes") == 0)
		*out = true;
	else if (strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0 ||
	    strcasecmp(v, "no") == 0)
		*out = false;
	else
		return -1;
	return 0;
}

static int
copy(char *dst, size_t size, const char *v)
{
	if (strlen(v) >= size || *v == '\0')
		return -1;
	strcpy(dst, v);
	return 0;
}

static const char *const point_types[] = {
	[HUB_POINT_INT] = "int", [HUB_POINT_FLOAT] = "float",
	[HUB_POINT_STRING] = "string", [HUB_POINT_BOOL] = "bool",
	[HUB_POINT_ARRAY] = "array", [HUB_POINT_STRUCT] = "struct",
};

const char *
hub_point_type_name(enum hub_point_type t)
{
	return (size_t)t < sizeof(point_types) / sizeof(point_types[0]) ?
	    point_types[t] : "?";
}

/* "NAME TYPE": one measurepoint of the product's thing model. */
static int
add_point(struct hub_product *p, char *v)
{
	struct hub_point *pt;
	char *type = v + strcspn(v, " \t");
	const char *t;
	size_t i;

	if (p->npoints == HUB_MAX_POINTS || *type == '\0')
		return -1;
	*type++ = '\0';
	t = trim(type);
	if (strpbrk(v, "/+#\"\\") != NULL || hub_conf_point(p, v) != NULL)
		return -1;
	pt = &p->points[p->npoints];
	if (copy(pt->name, sizeof(pt->name), v) != 0)
		return -1;
	/* EnOS's double and timestamp check like float and int. */
	if (strcmp(t, "double") == 0)
		t = "float";
	else if (strcmp(t, "timestamp") == 0)
		t = "int";
	for (i = 0; i < sizeof(point_types) / sizeof(point_types[0]); i++)
		if (strcmp(t, point_types[i]) == 0) {
			pt->type = (enum hub_point_type)i;
			p->npoints++;
			return 0;
		}
	return -1;
}

/* Apply one setting; -1 when the key is unknown or the value bad. */
static int
apply(struct hub_conf *c, const char *k, char *v)
{
	struct hub_product *p;

	if (strcmp(k, "token_ttl") == 0)
		return parse_long(v, 1, 86400 * 365, &c->token_ttl);
	if (strcmp(k, "crl_validity") == 0)
		return parse_long(v, 2, 86400 * 365, &c->crl_validity);
	if (strcmp(k, "timestamp_window") == 0)
		return parse_long(v, 0, 86400 * 365, &c->timestamp_window);
	if (strcmp(k, "body_max") == 0)
		return parse_long(v, 1024, 16 * 1024 * 1024, &c->body_max);
	if (strcmp(k, "product_key") == 0) {
		if (c->nproducts == HUB_MAX_PRODUCTS)
			return -1;
		p = &c->products[c->nproducts++];
		memset(p, 0, sizeof(*p));
		p->bidir = true;
		p->default_valid_day = 730;
		p->max_valid_day = 1095;
		return copy(p->key, sizeof(p->key), v);
	}
	if (c->nproducts == 0)
		return -1;	/* a product setting before any product_key */
	p = &c->products[c->nproducts - 1];
	if (strcmp(k, "product_secret") == 0)
		return copy(p->secret, sizeof(p->secret), v);
	if (strcmp(k, "bi_directional_auth") == 0)
		return parse_bool(v, &p->bidir);
	if (strcmp(k, "dynamic_activation") == 0)
		return parse_bool(v, &p->dynamic);
	if (strcmp(k, "default_valid_day") == 0)
		return parse_long(v, 1, 36500, &p->default_valid_day);
	if (strcmp(k, "max_valid_day") == 0)
		return parse_long(v, 1, 36500, &p->max_valid_day);
	if (strcmp(k, "measurepoint") == 0)
		return add_point(p, v);
	return -1;
}

int
hub_conf_load(const char *path, struct hub_conf *c, char *errbuf,
    size_t errlen)
{
	char line[512], *k, *v, *eq;
	unsigned lineno = 0;
	FILE *f;
	int rc = -1;

	hub_conf_defaults(c);
	if ((f = fopen(path, "re")) == NULL) {
		snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		k = trim(line);
		if (*k == '#' || *k == '\0')
			continue;
		if ((eq = strchr(k, '=')) == NULL) {
			snprintf(errbuf, errlen, "%s:%u: expected key = value",
			    path, lineno);
			goto out;
		}
		*eq = '\0';
		k = trim(k);
		v = trim(eq + 1);
		if (apply(c, k, v) != 0) {
			snprintf(errbuf, errlen, "%s:%u: bad setting %s", path,
			    lineno, k);
			goto out;
		}
	}
	for (size_t i = 0; i < c->nproducts; i++) {
		if (c->products[i].secret[0] == '\0' ||
		    c->products[i].default_valid_day >
		    c->products[i].max_valid_day) {
			snprintf(errbuf, errlen,
			    "%s: product %s: missing product_secret or "
			    "default_valid_day above max_valid_day", path,
			    c->products[i].key);
			goto out;
		}
	}
	rc = 0;
out:
	explicit_bzero(line, sizeof(line));
	fclose(f);
	return rc;
}

const struct hub_product *
hub_conf_product(const struct hub_conf *c, const char *key)
{
	size_t i;

	if (key == NULL)
		return NULL;
	for (i = 0; i < c->nproducts; i++)
		if (strcmp(c->products[i].key, key) == 0)
			return &c->products[i];
	return NULL;
}

const struct hub_point *
hub_conf_point(const struct hub_product *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->npoints; i++)
		if (strcmp(p->points[i].name, name) == 0)
			return &p->points[i];
	return NULL;
}
