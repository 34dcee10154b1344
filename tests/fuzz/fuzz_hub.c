/* SPDX-License-Identifier: MIT */
/*
 * Hub answers: the {code,msg,requestId,data} envelope, then the fields the
 * tools take from data (device, certificate, list), all type-checked.
 */
#include <stdlib.h>

#include "edge_hub.h"
#include "edge_json.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const fields[] = {
		"assetId", "productKey", "deviceKey", "deviceSecret", "cert",
		"certSN", "caCert", "accessToken",
	};
	json_object *d = NULL;
	const char *s;
	long long n;
	size_t i;
	int code;

	if (edge_hub_envelope((const char *)data, size, 200, "/fuzz", &d, &code,
	    NULL) != EDGE_OK)
		return 0;
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		(void)edge_json_string(d, fields[i], "fuzz", &s, NULL);
	(void)edge_json_int(d, "expire", "fuzz", &n, NULL);
	if (d != NULL && json_object_is_type(d, json_type_array))
		for (i = 0; i < json_object_array_length(d); i++) {
			json_object *e = json_object_array_get_idx(d, i);
			(void)edge_json_string(e, "certSN", "fuzz", &s, NULL);
			(void)edge_json_int(e, "certStatus", "fuzz", &n, NULL);
		}
	json_object_put(d);
	return 0;
}
