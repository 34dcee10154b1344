/* SPDX-License-Identifier: MIT */
/* Certificate requests as edge-activate reads them (--csr, possibly a pipe). */
#include <stdlib.h>

#include "edge_csr.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gnutls_pubkey_t pub = NULL;
	char *s = fuzz_cstr(data, size);

	if (edge_csr_pubkey(s, size, "fuzz", &pub, NULL) == EDGE_OK)
		gnutls_pubkey_deinit(pub);
	free(s);
	return 0;
}
