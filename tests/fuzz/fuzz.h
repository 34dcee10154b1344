/* SPDX-License-Identifier: MIT */
/*
 * Fuzz targets: each tests/fuzz/fuzz_NAME.c defines LLVMFuzzerTestOneInput
 * for one parser of outside data.  `make fuzz` builds them with libFuzzer
 * (clang); `make check` builds them with standalone.c and replays the seed
 * corpus and every past crash in tests/fuzz/corpus/NAME/ as regression tests.
 */
#ifndef EDGE_FUZZ_H
#define EDGE_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated copy (the library's parsers take C strings too). */
char *fuzz_cstr(const uint8_t *data, size_t size);

#endif
