/* SPDX-License-Identifier: MIT */
/* Serial numbers typed by users (edge-revoke --serial): decimal or 0x-hex. */
#include <stdlib.h>

#include "edge_x509.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), out[200];

	(void)edge_x509_serial_parse(s, out, sizeof(out), NULL);
	free(s);
	return 0;
}
