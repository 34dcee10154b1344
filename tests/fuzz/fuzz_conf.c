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
	{ "cn", 0, "NAME", 0, "cn", NULL },
	{ "pin", 0, "SECRET", EDGE_OPT_SECRET, "pin", NULL },
	{ "force", 'f', NULL, 0, "force", NULL },
	{ "org-id", 0, "ID", 0, "org", NULL },
	{ "secret-key", 0, "SECRET", EDGE_OPT_SECRET, "secret", NULL },
	{ NULL, 0, NULL, 0, NULL, NULL }
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
		(void)edge_opts_load_file(&o, path, EDGE_SRC_CONF, true, NULL);
		edge_opts_free(&o);
	}
	close(fd);
	return 0;
}
