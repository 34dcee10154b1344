/* SPDX-License-Identifier: MIT */
/* Certificate bundles (hub answers, ca.pem, --install input) and their checks. */
#include <stdlib.h>

#include "edge_x509.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct edge_certs c = { 0 };
	char *s = fuzz_cstr(data, size), sn[160], subj[256];

	if (edge_certs_load(s, size, "fuzz", &c, NULL) == EDGE_OK) {
		(void)edge_x509_serial_dec(c.crt[0], sn, sizeof(sn));
		edge_x509_subject(c.crt[0], subj, sizeof(subj));
		/* Self-verification walks signatures, validity and extensions. */
		(void)edge_x509_verify(c.crt[0], &c, NULL, 0, 0, "fuzz", NULL);
		edge_certs_free(&c);
	}
	free(s);
	return 0;
}
