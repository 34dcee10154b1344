/* SPDX-License-Identifier: MIT */
/*
 * Downstream MQTT payloads (commands, replies) as edge-connect reads them:
 * strict JSON with a depth limit, then the fields it prints and answers.
 * What is accepted must be RFC 8259 JSON as json-c writes it back too: the
 * text edge-connect prints or sends is parsed again and must be taken.
 */
#include <stdlib.h>
#include <string.h>

#include "edge_json.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_object *o = NULL, *again = NULL, *line, *v;
	const char *s;
	long long code;

	if (edge_json_parse((const char *)data, size, "fuzz", &o, NULL) != EDGE_OK)
		return 0;
	s = edge_json_text(o);
	if (edge_json_parse(s, strlen(s), "fuzz", &again, NULL) != EDGE_OK)
		abort();
	json_object_put(again);
	if (json_object_is_type(o, json_type_object)) {
		line = json_object_new_object();
		json_object_object_add(line, "method", json_object_object_get_ex(o,
		    "method", &v) ? json_object_get(v) : NULL);
		json_object_object_add(line, "id", json_object_object_get_ex(o, "id",
		    &v) ? json_object_get(v) : NULL);
		json_object_object_add(line, "params", json_object_object_get_ex(o,
		    "params", &v) ? json_object_get(v) : NULL);
		(void)edge_json_text(line);
		json_object_put(line);
		/* A reply to our uplink. */
		(void)edge_json_string(o, "id", "fuzz", &s, NULL);
		(void)edge_json_int(o, "code", "fuzz", &code, NULL);
	}
	json_object_put(o);
	return 0;
}
