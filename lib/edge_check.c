/* SPDX-License-Identifier: MIT */
/* edge-check's set of findings (edge_check.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edge_check.h"

void
edge_check_add(struct edge_findings *f, const char *id, enum edge_verdict v,
    json_object *data, const char *fix, const char *fmt, ...)
{
	struct edge_finding *x;
	va_list ap;

	if (f->n == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 32;
		struct edge_finding *nv = realloc(f->v, cap * sizeof(*nv));

		if (nv == NULL) {
			f->lost = true;
			json_object_put(data);
			return;
		}
		f->v = nv;
		f->cap = cap;
	}
	x = &f->v[f->n++];
	memset(x, 0, sizeof(*x));
	snprintf(x->id, sizeof(x->id), "%s", id);
	x->verdict = v;
	x->data = data;
	if (fix != NULL)
		snprintf(x->fix, sizeof(x->fix), "%s", fix);
	va_start(ap, fmt);
	vsnprintf(x->what, sizeof(x->what), fmt, ap);
	va_end(ap);
}

enum edge_verdict
edge_findings_worst(const struct edge_findings *f)
{
	size_t n[4];

	if (f->lost)
		return EDGE_V_FAIL;
	edge_findings_count(f, n);
	if (n[EDGE_V_FAIL] > 0)
		return EDGE_V_FAIL;
	if (n[EDGE_V_WARN] > 0)
		return EDGE_V_WARN;
	/* A skip is not a finding against the gateway: skip only when nothing was judged. */
	return n[EDGE_V_SKIP] > 0 && n[EDGE_V_OK] == 0 ? EDGE_V_SKIP : EDGE_V_OK;
}

void
edge_findings_count(const struct edge_findings *f, size_t count[4])
{
	size_t i;

	memset(count, 0, 4 * sizeof(count[0]));
	for (i = 0; i < f->n; i++)
		count[f->v[i].verdict]++;
}

const char *
edge_verdict_name(enum edge_verdict v)
{
	switch (v) {
	case EDGE_V_OK:		return "ok";
	case EDGE_V_SKIP:	return "skip";
	case EDGE_V_WARN:	return "warn";
	default:		return "fail";
	}
}

json_object *
edge_findings_json(const struct edge_findings *f)
{
	json_object *a = json_object_new_array(), *o;
	size_t i;

	if (a == NULL)
		return NULL;
	for (i = 0; i < f->n; i++) {
		const struct edge_finding *x = &f->v[i];

		if ((o = json_object_new_object()) == NULL) {
			json_object_put(a);
			return NULL;
		}
		json_object_object_add(o, "id", json_object_new_string(x->id));
		json_object_object_add(o, "verdict",
		    json_object_new_string(edge_verdict_name(x->verdict)));
		json_object_object_add(o, "what", json_object_new_string(x->what));
		if (x->fix[0] != '\0')
			json_object_object_add(o, "fix",
			    json_object_new_string(x->fix));
		if (x->data != NULL)
			json_object_object_add(o, "data", json_object_get(x->data));
		json_object_array_add(a, o);
	}
	return a;
}

void
edge_findings_free(struct edge_findings *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		json_object_put(f->v[i].data);
	free(f->v);
	memset(f, 0, sizeof(*f));
}
