/* SPDX-License-Identifier: MIT */
/* CRLs as edge-crl-update fetches or reads them (PEM or DER). */
#include <stdlib.h>

#include "edge_crl.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct edge_crl crl = { 0 };
	gnutls_datum_t pem = { NULL, 0 };
	time_t when;
	bool revoked;

	if (edge_crl_parse(data, size, "fuzz", &crl, NULL) == EDGE_OK) {
		(void)edge_crl_lookup(&crl, "1", &revoked, &when, NULL);
		(void)edge_crl_compare(&crl, &crl);
		if (edge_crl_pem(&crl, &pem) == EDGE_OK)
			gnutls_free(pem.data);
		edge_crl_free(&crl);
	}
	return 0;
}
