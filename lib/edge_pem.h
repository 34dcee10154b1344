/* SPDX-License-Identifier: MIT */
#ifndef EDGE_PEM_H
#define EDGE_PEM_H

/*
 * PEM (RFC 7468) without a second copy of large objects: decoding happens in
 * place and encoding streams to a file, 64 columns a line.  Never prints.
 */

#include <stdbool.h>
#include <stddef.h>

#include "edge_err.h"
#include "edge_file.h"

/* True when buf holds "-----BEGIN label-----". */
bool edge_pem_has(const void *buf, size_t len, const char *label);

/*
 * Decode the first "label" PEM block of buf into the start of buf itself
 * (base64 shrinks, so the output never overtakes the input).  Text before
 * and after the block is ignored.  *der_len gets the DER size.
 * Errors: EDGE_EINPUT (no block, bad base64, no end line).
 */
int edge_pem_decode_inplace(unsigned char *buf, size_t len, const char *label,
    size_t *der_len, struct edge_error *err);

/* Write der as a "label" PEM block to an atomic file being written. */
int edge_pem_write(struct edge_atomic *out, const char *label,
    const unsigned char *der, size_t len, struct edge_error *err);

#endif
