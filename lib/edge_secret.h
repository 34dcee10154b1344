/* SPDX-License-Identifier: MIT */
#ifndef EDGE_SECRET_H
#define EDGE_SECRET_H

/*
 * Secrets (product secret, device secret, API secret key, token PIN) never
 * come from argv, where `ps` and shell history would show them.  A secret
 * option names where to read it:
 *
 *	file:PATH	the file's content (one trailing newline dropped), the
 *			file under edge_secret_file_check's rule
 *	cred:NAME	a systemd credential (LoadCredential=): the file
 *			$CREDENTIALS_DIRECTORY/NAME, under the same rule
 *	env:VAR		the environment variable VAR
 *	fd:N		everything readable from descriptor N
 *	-		standard input
 *
 * Buffers are wiped before they are freed.  Never prints.
 */

#include <stdbool.h>
#include <stddef.h>

#include "edge_err.h"

#define EDGE_SECRET_MAX		4096

struct edge_secret {
	char *data;	/* NUL-terminated, no trailing newline */
	size_t len;
};

/* The forms a secret option accepts, for messages. */
#define EDGE_SECRET_FORMS "file:PATH, cred:NAME, env:VAR, fd:N or -"

/*
 * Read the secret named by spec.  A bare literal is EDGE_EUSAGE with a message
 * naming the accepted forms.  An empty secret is EDGE_EINPUT.  On success the
 * caller frees *out with edge_secret_free().
 */
int edge_secret_read(const char *spec, struct edge_secret **out,
    struct edge_error *err);

/*
 * The one rule for a file that holds a secret (a file: source, the
 * --credentials file): refused with EDGE_ESTORE when group or others have
 * any access ("PATH: readable by others; it holds a secret (chmod 600)") or
 * when it belongs to neither this user (the effective uid) nor root.  The
 * file itself, not a symbolic link to it (secret files are read without
 * following one).  A file that cannot be examined is EDGE_ESTORE too.
 * Group bits that are a POSIX ACL's mask pass when the ACL grants no one but
 * the owner and this user (systemd's credentials on a tmpfs with ACLs).
 */
int edge_secret_file_check(const char *path, struct edge_error *err);

/*
 * The file of spec "cred:NAME": $CREDENTIALS_DIRECTORY/NAME into path.
 * EDGE_EUSAGE when NAME is empty, "." or "..", or holds a '/', and when
 * $CREDENTIALS_DIRECTORY is not set (the message says so).  For sources that
 * name a file (--credentials); edge_secret_read() reads cred: itself.
 */
int edge_secret_cred_path(const char *spec, char *path, size_t size,
    struct edge_error *err);

/* True when spec is one of the accepted source forms (not a literal). */
bool edge_secret_is_source(const char *spec);

/*
 * True when spec (NULL: none) would read standard input: "-", "file:-",
 * "fd:0", a file: path naming it (/dev/stdin, /dev/fd/0, /proc/self/fd/0)
 * or opening the same file as descriptor 0 (same st_dev and st_ino), an
 * fd:N that is a duplicate of 0.  For tools whose input is standard input.
 */
bool edge_secret_reads_stdin(const char *spec);

/* Wrap a value the caller already holds (an EDGE_* variable); copies it. */
int edge_secret_from_value(const char *value, struct edge_secret **out,
    struct edge_error *err);

/*
 * Ask for a secret on the controlling terminal with echo off.  EDGE_EUSAGE
 * when there is no terminal.  Caller frees with edge_secret_free().
 */
int edge_secret_prompt(const char *prompt, struct edge_secret **out,
    struct edge_error *err);

/*
 * The environment for a child process, without the EDGE_* variables that
 * hold secrets (EDGE_PIN, EDGE_SECRET_KEY, EDGE_PRODUCT_SECRET, ...) and
 * without the variables named in hide (NULL-terminated; may be NULL): the
 * env:VAR sources of this run.  A NULL-terminated array pointing into
 * environ; the caller frees the array (not the strings) with free().  NULL
 * when out of memory.
 */
char **edge_secret_child_env(const char *const *hide);

/*
 * True when s holds exactly value (len bytes), compared in time that
 * depends on the lengths only, never on where the bytes differ.
 */
bool edge_secret_equal(const struct edge_secret *s, const char *value,
    size_t len);

/* Wipe and free; accepts NULL and sets *s to NULL. */
void edge_secret_free(struct edge_secret **s);

/*
 * Zero the CPU's vector registers (x86-64: xmm/ymm/zmm 0-31 as the CPU has
 * them; aarch64: v0-v31; elsewhere nothing).  glibc's memcpy/memmove keep
 * the last bytes they copied there (on an AVX-512 CPU in zmm16-31, which
 * nothing else touches), and the dynamic linker's lazy-binding trampoline
 * (_dl_runtime_resolve_xsavec) or a signal frame later writes every register
 * to the stack, where it stays: a copy of key material that no free() wiped
 * (secrets-memory.t, Debian 13: 32 bytes of exponent2 on edge-csr's stack).
 * Called once key material has been parsed (edge_key_from_pem, the
 * OpenSSL key's numbers) and by edge_secret_free.
 */
void edge_secret_wipe_registers(void);

#endif
