/* SPDX-License-Identifier: MIT */
/*
 * A scratch directory for a unit test: made from a mkdtemp template and
 * opened (dir, dfd) in setup, removed whole in teardown.  Included, not
 * linked: every test binary is built from its own file.
 */
#ifndef TESTDIR_H
#define TESTDIR_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "edge_file.h"

static char dir[64];
static int dfd = -1;

/* dir made from tmpl ("/tmp/NAME.XXXXXX") and opened as dfd: 0 or -1. */
static int
testdir_make(const char *tmpl)
{
	struct edge_error err = { 0 };

	snprintf(dir, sizeof(dir), "%s", tmpl);
	if (mkdtemp(dir) == NULL)
		return -1;
	return edge_dir_open(dir, &dfd, &err) == EDGE_OK ? 0 : -1;
}

/* dfd closed, dir and all in it removed: 0 or not. */
static int
testdir_remove(void)
{
	char cmd[128];

	if (dfd >= 0)
		close(dfd);
	dfd = -1;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

#endif
