/* SPDX-License-Identifier: MIT */
/* Private keys as edge-keygen, edge-csr and edge-activate load them (PEM). */
#include <stdlib.h>

#include "edge_key.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct edge_key *key = NULL;
	char *s = fuzz_cstr(data, size);

	if (edge_key_from_pem(s, size, "fuzz", &key, NULL) == EDGE_OK) {
		(void)edge_key_check(key, NULL, NULL);
		edge_key_free(&key);
	}
	free(s);
	return 0;
}
