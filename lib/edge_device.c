/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "edge_device.h"
#include "edge_file.h"
#include "edge_json.h"

static const struct {
	const char *file_key;	/* device.json, EnOS spelling */
	const char *json_key;	/* --json output */
} names[EDGE_DEV_N] = {
	[EDGE_DEV_PRODUCT_KEY] = { "productKey", "product_key" },
	[EDGE_DEV_DEVICE_KEY] = { "deviceKey", "device_key" },
	[EDGE_DEV_ASSET_ID] = { "assetId", "asset_id" },
	[EDGE_DEV_SERIAL] = { "serial", "serial" },
	[EDGE_DEV_LICENSE] = { "license", "license" },
	[EDGE_DEV_NAME] = { "deviceName", "device_name" },
	[EDGE_DEV_TIMEZONE] = { "timezone", "timezone" },
	[EDGE_DEV_API] = { "api", "api" },
	[EDGE_DEV_PORTAL] = { "portal", "portal" },
	[EDGE_DEV_MQTT] = { "mqtt", "mqtt" },
	[EDGE_DEV_CERT_SN] = { "certSN", "cert_sn" },
};

int
edge_device_set(struct edge_device *d, enum edge_device_field f,
    const char *value)
{
	char *copy = NULL;

	if (value != NULL && (copy = strdup(value)) == NULL)
		return EDGE_EFAIL;
	free(d->v[f]);
	d->v[f] = copy;
	return EDGE_OK;
}

const char *
edge_device_get(const struct edge_device *d, enum edge_device_field f)
{
	return d->v[f];
}

bool
edge_device_exists(int dirfd)
{
	return edge_file_exists(dirfd, EDGE_DEVICE_FILE);
}

bool
edge_device_key_valid(const char *s)
{
	size_t n;

	for (n = 0; s[n] != '\0'; n++)
		if (!(s[n] >= 'a' && s[n] <= 'z') && !(s[n] >= 'A' && s[n] <= 'Z') &&
		    !(s[n] >= '0' && s[n] <= '9') && strchr("_-.:", s[n]) == NULL)
			return false;
	return n > 0 && n <= EDGE_DEVICE_KEY_MAX;
}

static int
key_check(const char *what, const char *v, struct edge_error *err)
{
	if (edge_device_key_valid(v))
		return EDGE_OK;
	return edge_err(err, EDGE_EINPUT,
	    "%s: not a key (1 to %d letters, digits, '_', '-', '.' or ':'; %zu characters)",
	    what, EDGE_DEVICE_KEY_MAX, strlen(v));
}

int
edge_device_load(int dirfd, struct edge_device *d, struct edge_error *err)
{
	json_object *o = NULL;
	char *buf = NULL;
	size_t len = 0;
	int f, rc;

	memset(d, 0, sizeof(*d));
	if (!edge_device_exists(dirfd))
		return edge_err(err, EDGE_EINPUT,
		    "not provisioned (no " EDGE_DEVICE_FILE "); run %s first",
		    edge_state_maker(EDGE_DEVICE_FILE));
	if ((rc = edge_file_read(dirfd, EDGE_DEVICE_FILE, 64 * 1024, &buf, &len,
	    err)) != EDGE_OK)
		return rc;
	if ((rc = edge_json_parse(buf, len, EDGE_DEVICE_FILE, &o, err)) != EDGE_OK)
		goto out;
	for (f = 0; f < EDGE_DEV_N; f++) {
		const char *v;
		if ((rc = edge_json_opt_string(o, names[f].file_key,
		    EDGE_DEVICE_FILE, &v, err)) != EDGE_OK)
			goto out;
		if (v != NULL && edge_device_set(d, f, v) != EDGE_OK) {
			rc = edge_err(err, EDGE_EFAIL, "out of memory");
			goto out;
		}
	}
	if (d->v[EDGE_DEV_PRODUCT_KEY] == NULL || d->v[EDGE_DEV_DEVICE_KEY] == NULL)
		rc = edge_err(err, EDGE_EINPUT,
		    EDGE_DEVICE_FILE ": productKey or deviceKey is missing");
	else if ((rc = key_check(EDGE_DEVICE_FILE ": productKey",
	    d->v[EDGE_DEV_PRODUCT_KEY], err)) == EDGE_OK)
		rc = key_check(EDGE_DEVICE_FILE ": deviceKey",
		    d->v[EDGE_DEV_DEVICE_KEY], err);
out:
	if (rc != EDGE_OK)
		edge_device_free(d);
	json_object_put(o);
	free(buf);
	return rc;
}

/* device.json's text: the record as pretty JSON and a final newline. */
static int
device_text(const struct edge_device *d, char **out, size_t *len,
    struct edge_error *err)
{
	json_object *o;
	const char *text;
	int f, rc;

	/* Keys end up in topics and fixed-form names: never store a bad one. */
	if ((d->v[EDGE_DEV_PRODUCT_KEY] != NULL && (rc = key_check(
	    "productKey", d->v[EDGE_DEV_PRODUCT_KEY], err)) != EDGE_OK) ||
	    (d->v[EDGE_DEV_DEVICE_KEY] != NULL && (rc = key_check(
	    "deviceKey", d->v[EDGE_DEV_DEVICE_KEY], err)) != EDGE_OK))
		return rc;
	o = json_object_new_object();
	for (f = 0; f < EDGE_DEV_N; f++)
		if (d->v[f] != NULL)
			json_object_object_add(o, names[f].file_key,
			    json_object_new_string(d->v[f]));
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	*len = strlen(text) + 1;
	if ((*out = malloc(*len + 1)) != NULL) {
		memcpy(*out, text, *len - 1);
		(*out)[*len - 1] = '\n';
		(*out)[*len] = '\0';
	}
	json_object_put(o);
	return *out != NULL ? EDGE_OK : edge_err(err, EDGE_EFAIL, "out of memory");
}

int
edge_device_save(int dirfd, const struct edge_device *d, struct edge_error *err)
{
	char *text;
	size_t len;
	int rc;

	if ((rc = device_text(d, &text, &len, err)) != EDGE_OK)
		return rc;
	rc = edge_file_write_atomic(dirfd, EDGE_DEVICE_FILE, text, len,
	    EDGE_MODE_PUBLIC, err);
	free(text);
	return rc;
}

json_object *
edge_device_json(const struct edge_device *d)
{
	json_object *o = json_object_new_object();
	int f;

	for (f = 0; f < EDGE_DEV_N; f++)
		json_object_object_add(o, names[f].json_key,
		    d->v[f] ? json_object_new_string(d->v[f]) : NULL);
	return o;
}

void
edge_device_free(struct edge_device *d)
{
	int f;

	for (f = 0; f < EDGE_DEV_N; f++) {
		free(d->v[f]);
		d->v[f] = NULL;
	}
}

int
edge_device_store(int dirfd, const struct edge_device *d, const char *secret,
    struct edge_error *err)
{
	struct edge_atomic sec = { .fd = -1 }, dev = { .fd = -1 };
	char *text;
	size_t len;
	int rc;

	if ((rc = device_text(d, &text, &len, err)) != EDGE_OK)
		return rc;
	/* Both written before either is renamed into place. */
	if ((rc = edge_file_atomic_begin(dirfd, EDGE_DEVICE_SECRET,
	    EDGE_MODE_PRIVATE, &sec, err)) == EDGE_OK &&
	    (rc = edge_file_atomic_write(&sec, secret, strlen(secret),
	    err)) == EDGE_OK &&
	    (rc = edge_file_atomic_begin(dirfd, EDGE_DEVICE_FILE,
	    EDGE_MODE_PUBLIC, &dev, err)) == EDGE_OK &&
	    (rc = edge_file_atomic_write(&dev, text, len, err)) == EDGE_OK &&
	    (rc = edge_file_atomic_commit(&sec, err)) == EDGE_OK)
		rc = edge_file_atomic_commit(&dev, err);
	edge_file_atomic_abort(&sec);
	edge_file_atomic_abort(&dev);
	free(text);
	return rc;
}

int
edge_device_secret_load(int dirfd, struct edge_secret **out,
    struct edge_error *err)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if ((rc = edge_file_read(dirfd, EDGE_DEVICE_SECRET, EDGE_SECRET_MAX, &buf,
	    &len, err)) != EDGE_OK)
		return rc;
	rc = edge_secret_from_value(buf, out, err);
	edge_file_free_private(&buf, len);
	if (rc != EDGE_OK)
		edge_err_prefix(err, EDGE_DEVICE_SECRET);
	return rc;
}
