/* SPDX-License-Identifier: MIT */
/*
 * Which step makes each state file, so that a tool missing one says which
 * step to run (DESIGN.md: "Missing inputs are exit 3 with the step that
 * makes them; exit 7 is for storage and tokens").
 */

#include <errno.h>
#include <string.h>

#include "edge_state.h"

static const struct {
	const char *name;
	const char *maker;
} makers[] = {
	{ EDGE_KEY_PEM, "edge-keygen" },
	{ EDGE_KEY_URI, "edge-keygen" },
	{ EDGE_CSR_FILE, "edge-csr" },
	{ EDGE_DEVICE_FILE, "edge-provision" },
	{ EDGE_DEVICE_SECRET, "edge-provision" },
	{ EDGE_CERT_FILE, "edge-activate" },
	{ EDGE_CA_FILE, "edge-activate" },
	{ EDGE_CRL_FILE, "edge-crl-update" },
};

const char *
edge_state_maker(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(makers) / sizeof(makers[0]); i++)
		if (strcmp(name, makers[i].name) == 0)
			return makers[i].maker;
	return NULL;
}

int
edge_state_missing(const char *name, struct edge_error *err)
{
	const char *maker = edge_state_maker(name);

	if (maker == NULL)
		return edge_err(err, EDGE_ESTORE, "%s: %s", name,
		    strerror(ENOENT));
	return edge_err(err, EDGE_EINPUT, "%s: missing; run %s first", name,
	    maker);
}
