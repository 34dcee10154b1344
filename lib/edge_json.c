/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <string.h>

#include "edge_json.h"

#define MAX_DEPTH 16

/*
 * RFC 8259 syntax, checked before json-c: its strict mode still takes
 * 'single quotes', NaN, Infinity, raw control characters, lone surrogates and
 * bad UTF-8, and edge-connect forwards telemetry lines as they came.  Each
 * returns NULL or why not; *pp moves past what was read.
 */
#define TRUNCATED "truncated"

static const char *
hex4(const unsigned char **pp, const unsigned char *end, unsigned *u)
{
	int i;

	for (*u = 0, i = 0; i < 4; i++, (*pp)++) {
		if (*pp == end)
			return TRUNCATED;
		if (!isxdigit(**pp))
			return "bad \\u escape";
		*u = *u << 4 | (unsigned)(isdigit(**pp) ? **pp - '0' :
		    (**pp | 0x20) - 'a' + 10);
	}
	return NULL;
}

/* One UTF-8 sequence: shortest form, no surrogates, at most U+10FFFF. */
static const char *
utf8(const unsigned char **pp, const unsigned char *end)
{
	unsigned c = *(*pp)++, n, lo = 0x80, hi = 0xbf;

	if (c >= 0xc2 && c <= 0xdf)
		n = 1;
	else if (c >= 0xe0 && c <= 0xef) {
		n = 2;
		lo = c == 0xe0 ? 0xa0 : lo;
		hi = c == 0xed ? 0x9f : hi;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 3;
		lo = c == 0xf0 ? 0x90 : lo;
		hi = c == 0xf4 ? 0x8f : hi;
	} else
		return "bad UTF-8";
	for (; n > 0; n--, (*pp)++, lo = 0x80, hi = 0xbf) {
		if (*pp == end)
			return TRUNCATED;
		if (**pp < lo || **pp > hi)
			return "bad UTF-8";
	}
	return NULL;
}

static const char *
string(const unsigned char **pp, const unsigned char *end)
{
	const char *why;
	unsigned u;

	for ((*pp)++;;) {
		if (*pp == end)
			return TRUNCATED;
		if (**pp == '"') {
			(*pp)++;
			return NULL;
		}
		if (**pp < 0x20)
			return "control character in a string";
		if (**pp >= 0x80) {
			if ((why = utf8(pp, end)) != NULL)
				return why;
			continue;
		}
		if (*(*pp)++ != '\\')
			continue;
		if (*pp == end)
			return TRUNCATED;
		if (**pp != 'u') {
			if (**pp == '\0' || strchr("\"\\/bfnrt", **pp) == NULL)
				return "bad escape";
			(*pp)++;
			continue;
		}
		(*pp)++;
		if ((why = hex4(pp, end, &u)) != NULL)
			return why;
		if (u >= 0xdc00 && u <= 0xdfff)
			return "lone surrogate";
		if (u < 0xd800 || u > 0xdbff)
			continue;
		/* A high surrogate: a low one must follow at once. */
		if (end - *pp < 2)
			return *pp == end || **pp == '\\' ? TRUNCATED : "lone surrogate";
		if ((*pp)[0] != '\\' || (*pp)[1] != 'u')
			return "lone surrogate";
		*pp += 2;
		if ((why = hex4(pp, end, &u)) != NULL)
			return why;
		if (u < 0xdc00 || u > 0xdfff)
			return "lone surrogate";
	}
}

/* At least one digit. */
static const char *
digits(const unsigned char **pp, const unsigned char *end)
{
	if (*pp == end || !isdigit(**pp))
		return "bad number";
	while (*pp < end && isdigit(**pp))
		(*pp)++;
	return NULL;
}

/* -? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)? */
static const char *
number(const unsigned char **pp, const unsigned char *end)
{
	const char *why;

	if (**pp == '-')
		(*pp)++;
	if (*pp < end && **pp == '0' && end - *pp > 1 && isdigit((*pp)[1]))
		return "leading zero";
	if ((why = digits(pp, end)) != NULL)
		return why;
	if (*pp < end && **pp == '.') {
		(*pp)++;
		if ((why = digits(pp, end)) != NULL)
			return why;
	}
	if (*pp < end && (**pp | 0x20) == 'e') {
		(*pp)++;
		if (*pp < end && (**pp == '+' || **pp == '-'))
			(*pp)++;
		return digits(pp, end);
	}
	return NULL;
}

static const char *
literal(const unsigned char **pp, const unsigned char *end)
{
	static const char *const words[] = { "true", "false", "null" };
	size_t i, n, left = (size_t)(end - *pp);

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		n = strlen(words[i]);
		if (memcmp(*pp, words[i], left < n ? left : n) != 0)
			continue;
		if (left < n)
			return TRUNCATED;
		*pp += n;
		return NULL;
	}
	return "unexpected character";
}

static const unsigned char *
space(const unsigned char *p, const unsigned char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/*
 * One value and nothing but white space after it; a stack, no recursion.
 * member, when not NULL, sees each member of a top-level object.
 */
static const char *
rfc8259(const unsigned char *p, const unsigned char *end,
    edge_json_member_fn *member, void *user)
{
	enum { VALUE, KEY, NEXT } want = VALUE;
	unsigned char closer[MAX_DEPTH];
	const unsigned char *key = NULL, *v;
	size_t klen = 0;
	const char *why;
	int depth = 0;

	for (;;) {
		p = space(p, end);
		if (want == NEXT && depth == 0)
			return p == end ? NULL : "trailing data";
		if (p == end)
			return TRUNCATED;
		if (want == NEXT) {
			if (*p == ',')
				want = closer[depth - 1] == '}' ? KEY : VALUE;
			else if (*p == closer[depth - 1])
				depth--;
			else
				return "unexpected character";
			p++;
		} else if (want == KEY) {
			if (*p != '"')
				return "unexpected character";
			key = p + 1;
			if ((why = string(&p, end)) != NULL)
				return why;
			klen = (size_t)(p - key) - 1;
			if ((p = space(p, end)) == end)
				return TRUNCATED;
			if (*p++ != ':')
				return "unexpected character";
			want = VALUE;
		} else if (*p == '{' || *p == '[') {
			if (depth == 1 && member != NULL && closer[0] == '}')
				member(user, (const char *)key, klen, NULL, 0);
			/*
			 * json-c's depth counts the value around the
			 * containers too: 15 levels here, so that a text this
			 * passes (edge_json_check alone) json-c reads.
			 */
			if (depth == MAX_DEPTH - 1)
				return "nesting too deep";
			closer[depth++] = *p == '{' ? '}' : ']';
			if ((p = space(p + 1, end)) == end)
				return TRUNCATED;
			if (*p == closer[depth - 1]) {
				p++;
				depth--;
				want = NEXT;
			} else
				want = closer[depth - 1] == '}' ? KEY : VALUE;
		} else {
			v = p;
			why = *p == '"' ? string(&p, end) :
			    *p == '-' || isdigit(*p) ? number(&p, end) :
			    literal(&p, end);
			if (why != NULL)
				return why;
			if (depth == 1 && member != NULL && closer[0] == '}')
				member(user, (const char *)key, klen,
				    (const char *)v, (size_t)(p - v));
			want = NEXT;
		}
	}
}

const char *
edge_json_check(const char *buf, size_t len, edge_json_member_fn *member,
    void *user)
{
	return rfc8259((const unsigned char *)buf,
	    (const unsigned char *)buf + len, member, user);
}

int
edge_json_parse(const char *buf, size_t len, const char *what,
    json_object **out, struct edge_error *err)
{
	json_tokener *tok;
	json_object *obj;
	enum json_tokener_error jerr;
	const char *why;

	*out = NULL;
	if (len > 0x7fffffff)
		return edge_err(err, EDGE_EINPUT, "%s: too large", what);
	if ((why = rfc8259((const unsigned char *)buf,
	    (const unsigned char *)buf + len, NULL, NULL)) != NULL)
		return edge_err(err, EDGE_EINPUT, "%s: not valid JSON (%s)", what,
		    why);
	if ((tok = json_tokener_new_ex(MAX_DEPTH)) == NULL)
		return edge_err(err, EDGE_EFAIL, "out of memory");
	/*
	 * Not json-c's strict mode: the text has passed rfc8259(), which is
	 * stricter, and json-c 0.18's (Debian 13) refuses valid JSON that 0.16
	 * took: every byte above 0x7f, valid UTF-8 too ("invalid string
	 * sequence"), and integers beyond 64 bits ("number expected"), which
	 * the getters report as out of range.
	 */
	obj = json_tokener_parse_ex(tok, buf, (int)len);
	/* A top-level number ends only at a delimiter: give json-c one. */
	if (obj == NULL && json_tokener_get_error(tok) == json_tokener_continue)
		obj = json_tokener_parse_ex(tok, " ", 1);
	jerr = json_tokener_get_error(tok);
	json_tokener_free(tok);
	if (jerr != json_tokener_success) {	/* a JSON null is NULL */
		json_object_put(obj);
		return edge_err(err, EDGE_EINPUT, "%s: not valid JSON (%s)", what,
		    json_tokener_error_desc(jerr));
	}
	*out = obj;
	return EDGE_OK;
}

static int
member(json_object *obj, const char *key, const char *what, json_type type,
    const char *tname, json_object **out, struct edge_error *err)
{
	json_object *v = NULL;

	if (obj == NULL || !json_object_is_type(obj, json_type_object))
		return edge_err(err, EDGE_EINPUT, "%s: not a JSON object", what);
	if (!json_object_object_get_ex(obj, key, &v) || v == NULL)
		return edge_err(err, EDGE_EINPUT, "%s: field %s is missing", what,
		    key);
	if (!json_object_is_type(v, type))
		return edge_err(err, EDGE_EINPUT, "%s: field %s is not %s", what,
		    key, tname);
	*out = v;
	return EDGE_OK;
}

/*
 * A string member's text.  "\u0000" is valid JSON but C strings end there:
 * refused, so no caller stores, compares or logs a truncated value.
 */
static int
text(json_object *v, const char *key, const char *what, const char **out,
    struct edge_error *err)
{
	const char *s = json_object_get_string(v);

	if (strlen(s) != (size_t)json_object_get_string_len(v))
		return edge_err(err, EDGE_EINPUT,
		    "%s: field %s contains a NUL character", what, key);
	*out = s;
	return EDGE_OK;
}

int
edge_json_string(json_object *obj, const char *key, const char *what,
    const char **out, struct edge_error *err)
{
	json_object *v;
	int rc = member(obj, key, what, json_type_string, "a string", &v, err);

	return rc == EDGE_OK ? text(v, key, what, out, err) : rc;
}

int
edge_json_int(json_object *obj, const char *key, const char *what,
    long long *out, struct edge_error *err)
{
	json_object *v;
	int rc = member(obj, key, what, json_type_int, "an integer", &v, err);

	if (rc == EDGE_OK)
		*out = json_object_get_int64(v);
	return rc;
}

int
edge_json_object(json_object *obj, const char *key, const char *what,
    json_object **out, struct edge_error *err)
{
	return member(obj, key, what, json_type_object, "an object", out, err);
}

int
edge_json_opt_string(json_object *obj, const char *key, const char *what,
    const char **out, struct edge_error *err)
{
	json_object *v = NULL;

	*out = NULL;
	if (!json_object_object_get_ex(obj, key, &v) || v == NULL)
		return EDGE_OK;
	if (!json_object_is_type(v, json_type_string))
		return edge_err(err, EDGE_EINPUT, "%s: field %s is not a string",
		    what, key);
	return text(v, key, what, out, err);
}

const char *
edge_json_text(json_object *obj)
{
	return json_object_to_json_string_ext(obj,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}
