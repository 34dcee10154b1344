/* SPDX-License-Identifier: MIT */
/* CRLs as edge-crl-update fetches or reads them (PEM or DER). */
#include <stdlib.h>

#include "edge_crl.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct edge_der one = { (const unsigned char *)"\x01", 1 };
	static const struct edge_der n4660 = { (const unsigned char *)"\x12\x34", 2 };
	struct edge_crl crl = { 0 };
	time_t when;
	bool revoked;
	int reason;

	if (edge_crl_parse(data, size, "fuzz", &crl, NULL) == EDGE_OK) {
		(void)edge_crl_lookup_der(&crl, &one, &revoked, &when, &reason,
		    NULL);
		(void)edge_crl_facts_compare(&crl.facts, &crl.facts);
		/* The sorted index must find what the linear walk finds. */
		if (edge_crl_index(&crl, NULL) == EDGE_OK)
			(void)edge_crl_lookup_der(&crl, &n4660, &revoked, &when,
			    &reason, NULL);
		edge_crl_free(&crl);
	}
	return 0;
}
