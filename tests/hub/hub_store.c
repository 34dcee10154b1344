/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>

#include "edge_file.h"
#include "hub_store.h"

#define STATE_FILE	"state.json"
#define STATE_MAX	(64 * 1024 * 1024)
#define SERIAL_FLAGS	JSON_C_TO_STRING_NOSLASHESCAPE

static void
cache_release(struct hub_cached *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		json_object_put(v[i].entry);
		free(v[i].text);
	}
}

static void
cache_clear(struct hub_store *s)
{
	cache_release(s->cache, s->ncache);
	free(s->cache);
	s->cache = NULL;
	s->ncache = 0;
}

static int
load(struct hub_store *s, char *msg, size_t msglen)
{
	struct json_tokener *tok = NULL;
	struct edge_error e;
	json_object *root = NULL;
	char *data = NULL;
	size_t len = 0;
	int rc = -1;

	if (!edge_file_exists(s->dirfd, STATE_FILE)) {
		root = json_object_new_object();
		json_object_object_add(root, "version", json_object_new_int(1));
		goto done;
	}
	if (edge_file_read(s->dirfd, STATE_FILE, STATE_MAX, &data, &len, &e)) {
		snprintf(msg, msglen, "%s", e.msg);
		goto out;
	}
	tok = json_tokener_new();
	root = json_tokener_parse_ex(tok, data, (int)len);
	if (root == NULL || !json_object_is_type(root, json_type_object)) {
		snprintf(msg, msglen, STATE_FILE ": not a JSON object");
		json_object_put(root);
		root = NULL;
		goto out;
	}
done:
	cache_clear(s);
	json_object_put(s->root);
	s->root = root;
	rc = 0;
out:
	if (tok != NULL)
		json_tokener_free(tok);
	edge_file_free_private(&data, len);
	return rc;
}

int
hub_store_open(int dirfd, struct hub_store *s, char *msg, size_t msglen)
{
	const char *v = getenv("HUB_STORE_VERIFY");

	s->dirfd = dirfd;
	s->root = NULL;
	s->cache = NULL;
	s->ncache = 0;
	s->verify = v != NULL && strcmp(v, "1") == 0;
	return load(s, msg, msglen);
}

void
hub_store_close(struct hub_store *s)
{
	cache_clear(s);
	json_object_put(s->root);
	s->root = NULL;
}

/* A growing text buffer for the serialised registry. */
struct text {
	char *p;
	size_t len, cap;
};

static int
text_add(struct text *t, const char *p, size_t n)
{
	char *np;
	size_t cap;

	if (t->cap - t->len <= n) {
		cap = t->cap ? t->cap : 64 * 1024;
		while (cap - t->len <= n)
			cap *= 2;
		if ((np = realloc(t->p, cap)) == NULL)
			return -1;
		t->p = np;
		t->cap = cap;
	}
	memcpy(t->p + t->len, p, n);
	t->len += n;
	t->p[t->len] = '\0';
	return 0;
}

static int
text_str(struct text *t, const char *p)
{
	return text_add(t, p, strlen(p));
}

/*
 * The serialised form of one registry entry, from the previous save's cache
 * or made now, and recorded in the next cache.  Rewriting every
 * certificate's PEM on every change made each save O(registry): 3 ms at 200
 * gateways, a third of the hub's CPU.  Entries are met in document order,
 * so the previous cache is searched forward from *pos.  The cache holds a
 * reference to each entry: a cached address is never reused by another.
 */
static const char *
entry_text(struct hub_store *s, json_object *e, size_t *pos,
    struct hub_cached *next, size_t *nnext)
{
	struct hub_cached *c = &next[*nnext];
	size_t k;

	for (k = *pos; k < s->ncache && s->cache[k].entry != e; k++)
		;
	if (k < s->ncache && s->cache[k].text != NULL) {
		cache_release(&s->cache[*pos], k - *pos);
		*c = s->cache[k];
		*pos = k + 1;
	} else {
		c->text = strdup(json_object_to_json_string_ext(e,
		    SERIAL_FLAGS));
		if (c->text == NULL)
			return NULL;
		c->entry = json_object_get(e);
	}
	(*nnext)++;
	return c->text;
}

void
hub_store_changed(struct hub_store *s, json_object *entry)
{
	size_t i;

	for (i = 0; i < s->ncache; i++)
		if (s->cache[i].entry == entry) {
			free(s->cache[i].text);
			s->cache[i].text = NULL;
		}
}

/*
 * state.json: the top-level members in order, each registry array one entry
 * per line from the entries' cached texts, the rest serialised afresh.
 */
static int
serialise(struct hub_store *s, struct text *t)
{
	struct hub_cached *next = NULL;
	json_object *e, *name;
	const char *text;
	size_t i, n, pos = 0, nnext = 0, total = 0;
	int first = 1, rc = -1;

	json_object_object_foreach(s->root, k0, v0) {
		(void)k0;
		if (json_object_is_type(v0, json_type_array))
			total += json_object_array_length(v0);
	}
	if (total > 0 && (next = calloc(total, sizeof(*next))) == NULL)
		return -1;
	if (text_str(t, "{"))
		goto out;
	json_object_object_foreach(s->root, key, v) {
		name = json_object_new_string(key);
		rc = name == NULL || text_str(t, first ? "\n" : ",\n") ||
		    text_str(t, json_object_to_json_string_ext(name,
		    SERIAL_FLAGS)) || text_str(t, ":") ? -1 : 0;
		json_object_put(name);
		first = 0;
		if (rc < 0)
			goto out;
		rc = -1;
		if (!json_object_is_type(v, json_type_array)) {
			if (text_str(t, json_object_to_json_string_ext(v,
			    SERIAL_FLAGS)))
				goto out;
			continue;
		}
		if (text_str(t, "["))
			goto out;
		n = json_object_array_length(v);
		for (i = 0; i < n; i++) {
			e = json_object_array_get_idx(v, i);
			text = json_object_is_type(e, json_type_object) ?
			    entry_text(s, e, &pos, next, &nnext) :
			    json_object_to_json_string_ext(e, SERIAL_FLAGS);
			if (text == NULL || text_str(t, i ? ",\n" : "\n") ||
			    text_str(t, text))
				goto out;
		}
		if (text_str(t, "]"))
			goto out;
	}
	rc = text_str(t, "\n}\n");
out:
	/* Whatever was not carried over is released with the old cache. */
	if (pos < s->ncache)
		cache_release(&s->cache[pos], s->ncache - pos);
	free(s->cache);
	s->cache = next;
	s->ncache = nnext;
	return rc;
}

/* HUB_STORE_VERIFY=1 (the tests): the text must read back as the registry. */
static int
verify_text(struct hub_store *s, const char *text, char *msg, size_t msglen)
{
	json_object *back = json_tokener_parse(text);
	int same = back != NULL && json_object_equal(back, s->root);

	json_object_put(back);
	if (same)
		return 0;
	snprintf(msg, msglen, STATE_FILE ": serialised text differs from the "
	    "registry (an entry changed without hub_store_changed)");
	return -1;
}

int
hub_store_save(struct hub_store *s, char *msg, size_t msglen)
{
	struct text t = { NULL, 0, 0 };
	struct edge_error e;
	char ignored[256];
	int rc = -1;

	if (serialise(s, &t) < 0)
		snprintf(msg, msglen, STATE_FILE ": out of memory");
	else if (s->verify && verify_text(s, t.p, msg, msglen) < 0)
		;
	else if (edge_file_write_atomic(s->dirfd, STATE_FILE, t.p, t.len,
	    EDGE_MODE_PRIVATE, &e) == 0)
		rc = 0;
	else
		snprintf(msg, msglen, "%s", e.msg);
	free(t.p);
	if (rc < 0)
		(void)load(s, ignored, sizeof(ignored));
	return rc;
}

static json_object *
member(struct hub_store *s, const char *name, json_type type)
{
	json_object *o;

	if (json_object_object_get_ex(s->root, name, &o) &&
	    json_object_is_type(o, type))
		return o;
	o = type == json_type_array ? json_object_new_array() :
	    json_object_new_object();
	json_object_object_add(s->root, name, o);
	return o;
}

json_object *
hub_store_array(struct hub_store *s, const char *name)
{
	return member(s, name, json_type_array);
}

json_object *
hub_store_object(struct hub_store *s, const char *name)
{
	return member(s, name, json_type_object);
}

static bool
eq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

json_object *
hub_store_device(struct hub_store *s, const char *asset_id, const char *pk,
    const char *dk)
{
	json_object *devs = hub_store_array(s, "devices"), *d;
	size_t i, n = json_object_array_length(devs);

	for (i = 0; i < n; i++) {
		d = json_object_array_get_idx(devs, i);
		if (asset_id != NULL ? eq(hub_jstr(d, "assetId"), asset_id) :
		    (eq(hub_jstr(d, "productKey"), pk) &&
		    eq(hub_jstr(d, "deviceKey"), dk)))
			return d;
	}
	return NULL;
}

json_object *
hub_store_cert(struct hub_store *s, const char *sn)
{
	json_object *certs = hub_store_array(s, "certs"), *c;
	size_t i, n = json_object_array_length(certs);

	for (i = 0; i < n; i++) {
		c = json_object_array_get_idx(certs, i);
		if (eq(hub_jstr(c, "certSN"), sn))
			return c;
	}
	return NULL;
}

void
hub_random_alnum(char *out, size_t len)
{
	static const char set[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char r;
	size_t i;

	for (i = 0; i + 1 < len; i++) {
		/* Rejection sampling keeps the 62 symbols uniform. */
		do
			gnutls_rnd(GNUTLS_RND_NONCE, &r, 1);
		while (r >= 248);
		out[i] = set[r % 62];
	}
	if (len > 0)
		out[len - 1] = '\0';
}

void
hub_uuid(char out[37])
{
	unsigned char b[16];

	gnutls_rnd(GNUTLS_RND_NONCE, b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
	    b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

int64_t
hub_now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}
