/* SPDX-License-Identifier: MIT */
/* edge.conf and --credentials files (the same "name = value" syntax). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "edge_opt.h"
#include "fuzz.h"

static const struct edge_opt opts[] = {
	{ "cn", 0, "NAME", 0, "cn", NULL, EDGE_T_STRING, 0, 0 },
	{ "pin", 0, "SECRET", EDGE_OPT_SECRET, "pin", NULL, EDGE_T_STRING, 0, 0 },
	{ "force", 'f', NULL, 0, "force", NULL, EDGE_T_FLAG, 0, 0 },
	{ "org-id", 0, "ID", 0, "org", NULL, EDGE_T_STRING, 0, 0 },
	{ "secret-key", 0, "SECRET", EDGE_OPT_SECRET, "secret", NULL, EDGE_T_STRING, 0, 0 },
	{ "timeout", 0, "SECS", 0, "timeout", NULL, EDGE_T_INT, 1, 3600 },
	{ "crl-grace", 0, "SECS", 0, "grace", NULL, EDGE_T_INT, 0, EDGE_NO_MAX },
	{ "via", 0, "api|mqtt", 0, "via", NULL, EDGE_T_CHOICE, 0, 0 },
	{ NULL, 0, NULL, 0, NULL, NULL, EDGE_T_STRING, 0, 0 }
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct edge_opts o;
	char path[64];
	int fd;

	/* The parser reads files: give it one that lives in memory. */
	if ((fd = memfd_create("edge.conf", 0)) < 0)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (edge_opts_init(&o, opts, NULL, NULL) == EDGE_OK) {
		if (edge_opts_load_file(&o, path, EDGE_SRC_CONF, true, NULL) ==
		    EDGE_OK && edge_opts_check(&o, NULL) == EDGE_OK) {
			/* A checked value always reads back. */
			if (edge_opts_get(&o, "timeout") != NULL &&
			    edge_opts_long(&o, "timeout", -1) < 1)
				abort();
			if (edge_opts_get(&o, "via") != NULL &&
			    edge_opts_choice(&o, "via") < 0)
				abort();
		}
		edge_opts_free(&o);
	}
	close(fd);
	return 0;
}
