/* SPDX-License-Identifier: MIT */
/*
 * The stand-in hub's answers to device uplinks (tests/hub/hub_mqtt.h,
 * hub_mqtt_uplink) and the thing model they check (hub.conf measurepoint
 * lines, tests/hub/hub_conf.c).  An input is a hub.conf fragment for one
 * product, a line "---", the uplink topic on one line, then the payload
 * (any bytes).  Besides memory errors the harness checks that exactly the
 * answered topics get an answer, on topic + "_reply", as a JSON object with
 * the code returned, data only on 200 and a message otherwise, and that an
 * accepted post names only points of the model.  Seeds: the uplinks of
 * tests/cli/hub-mqtt.t and edge-connect's messages (lib/edge_thing.c).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "hub_conf.h"
#include "hub_mqtt.h"

static void
check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_hubthing: invariant broken: %s\n", what);
		abort();
	}
}

/* Load "product_key = p" + the fragment as hub.conf (a memory file). */
static const struct hub_product *
load_model(const char *frag, size_t len, struct hub_conf *c)
{
	static const char head[] = "product_key = p\nproduct_secret = s\n";
	char path[64], err[256];
	int fd;
	const struct hub_product *p = NULL;

	if ((fd = memfd_create("hub.conf", 0)) < 0)
		abort();
	if (write(fd, head, sizeof(head) - 1) != (ssize_t)(sizeof(head) - 1) ||
	    (len > 0 && write(fd, frag, len) != (ssize_t)len))
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (hub_conf_load(path, c, err, sizeof(err)) == 0) {
		p = hub_conf_product(c, "p");
		check(p != NULL, "the product of the fragment is found");
		for (size_t i = 0; i < p->npoints; i++)
			check(hub_conf_point(p, p->points[i].name) ==
			    &p->points[i], "a model point is found by name");
	}
	close(fd);
	return p;
}

static json_object *
parse(const void *payload, size_t len)
{
	json_tokener *tok = json_tokener_new();
	json_object *o;

	if (tok == NULL)
		abort();
	o = json_tokener_parse_ex(tok, payload, (int)len);
	json_tokener_free(tok);
	return o;
}

static void
check_answer(const char *topic, const void *payload, size_t len,
    const struct hub_product *p, const struct hub_mqtt_answer *a)
{
	json_object *r = json_tokener_parse(a->text), *v, *req, *params, *mps;
	size_t n = strlen(topic);

	check(strncmp(a->topic, topic, n) == 0 &&
	    strcmp(a->topic + n, "_reply") == 0, "reply on topic + _reply");
	check(hub_mqtt_answer_topic(a->topic), "the reply topic is an answer");
	check(r != NULL && json_object_is_type(r, json_type_object),
	    "reply is a JSON object");
	check(json_object_object_get_ex(r, "code", &v) &&
	    json_object_get_int(v) == a->code, "reply carries the code");
	check(json_object_object_get_ex(r, "id", NULL), "reply has an id");
	if (a->code == HUB_MQTT_OK)
		check(json_object_object_get_ex(r, "data", NULL) &&
		    !json_object_object_get_ex(r, "message", NULL),
		    "200: data, no message");
	else
		check(!json_object_object_get_ex(r, "data", NULL) &&
		    json_object_object_get_ex(r, "message", &v) &&
		    json_object_is_type(v, json_type_string),
		    "an error: a message, no data");
	/* An accepted post names only points of a non-empty model. */
	if (a->code == HUB_MQTT_OK && p != NULL && p->npoints > 0 &&
	    hub_mqtt_uplink_kind(topic) == HUB_UP_POST) {
		req = parse(payload, len);
		check(req != NULL && json_object_object_get_ex(req, "params",
		    &params) && json_object_object_get_ex(params,
		    "measurepoints", &mps), "an accepted post has measurepoints");
		json_object_object_foreach(mps, k, val) {
			(void)val;
			check(hub_conf_point(p, k) != NULL,
			    "an accepted point is in the model");
		}
		json_object_put(req);
	}
	json_object_put(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hub_conf conf;
	char *s = fuzz_cstr(data, size), *sep, *topic, *nl;
	const struct hub_product *p;
	struct hub_mqtt_answer a;
	json_object *attrs;
	size_t plen;
	int rc;

	if ((sep = strstr(s, "\n---\n")) == NULL) {
		free(s);
		return 0;
	}
	p = load_model(s, (size_t)(sep - s) + 1, &conf);
	topic = sep + 5;
	if ((nl = strchr(topic, '\n')) != NULL)
		*nl = '\0';
	/* The payload may hold NULs: its length comes from size. */
	plen = nl != NULL ? size - (size_t)(nl + 1 - s) : 0;
	attrs = json_object_new_object();
	json_object_object_add(attrs, "seeded", json_object_new_int(1));
	rc = hub_mqtt_uplink(topic, nl != NULL ? nl + 1 : "", plen, p, attrs,
	    &a);
	check(rc == -1 || (rc == 1) == (hub_mqtt_uplink_kind(topic) !=
	    HUB_UP_NONE), "exactly the answered topics get an answer");
	if (rc == 1)
		check_answer(topic, nl + 1, plen, p, &a);
	hub_mqtt_answer_free(&a);
	json_object_put(attrs);
	free(s);
	return 0;
}
