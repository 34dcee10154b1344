/* SPDX-License-Identifier: MIT */
/*
 * edge-keygen: make the edge's unique key pair, in a PEM file (0600) or inside
 * a PKCS#11 token, and record where it is in the state directory.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "edge_file.h"
#include "edge_key.h"
#include "edge_log.h"
#include "edge_p11.h"
#include "edge_tool.h"

static const struct edge_opt opts[] = {
	{ "type", 't', "rsa|ec", 0, "key type: RSA-2048 or EC P-256", "rsa", EDGE_T_CHOICE, 0, 0 },
	{ "bits", 'b', "BITS", 0, "RSA modulus size", "2048", EDGE_T_INT, 2048, 8192 },
	{ "pkcs11", 'p', "URI", 0, "make the key inside the PKCS#11 token named by URI (pkcs11:token=...;object=...)", NULL, EDGE_T_STRING, 0, 0 },
	{ "pin", 0, "SECRET", EDGE_OPT_SECRET, "token PIN: " EDGE_SECRET_FORMS, NULL, EDGE_T_STRING, 0, 0 },
	{ "output", 'o', "FILE", EDGE_OPT_CLI, "write a file key to FILE instead of DIR/key.pem", NULL, EDGE_T_STRING, 0, 0 },
	{ "force", 'f', NULL, EDGE_OPT_CLI, "replace an existing key", NULL, EDGE_T_FLAG, 0, 0 },
	{ NULL, 0, NULL, 0, NULL, NULL, EDGE_T_STRING, 0, 0 }
};

static void
report(struct edge_ctx *ctx, const struct edge_key *key, const char *path,
    bool changed)
{
	char what[32];

	edge_key_describe(key, what, sizeof(what));
	edge_result_str(ctx, "type", key->type == EDGE_KEY_RSA ? "rsa" : "ec");
	edge_result_int(ctx, "bits", key->bits);
	edge_result_str(ctx, "key_id", key->id);
	edge_result_str(ctx, "location", key->token ? "pkcs11" : "file");
	if (key->token)
		edge_result_str(ctx, "uri", key->where);
	else
		edge_result_str(ctx, "path", path);
	edge_result_bool(ctx, "changed", changed);
	if (!changed)
		edge_note("%s key already present (%s); nothing to do (--force replaces it)",
		    what, key->token ? "token" : path);
	edge_out(ctx, "%s %s %s\n", what, key->id, key->token ? key->where : path);
}

/* The wanted key is the existing one unless an option asks for another kind. */
static int
check_existing(struct edge_ctx *ctx, const struct edge_key *key,
    enum edge_key_type type, unsigned bits)
{
	const char *uri = edge_arg(ctx, "pkcs11");
	char what[32];

	edge_key_describe(key, what, sizeof(what));
	if ((edge_arg_given(ctx, "type") && key->type != type) ||
	    (edge_arg_given(ctx, "bits") && key->type == EDGE_KEY_RSA &&
	    key->bits != bits) ||
	    (uri != NULL && !key->token) || (uri == NULL && key->token &&
	    edge_arg_given(ctx, "output")))
		return edge_err(&ctx->err, EDGE_EFAIL,
		    "%s: the state directory already holds a %s key, not the one asked for; --force replaces it",
		    key->token ? EDGE_KEY_URI : EDGE_KEY_PEM, what);
	return EDGE_OK;
}

static int
make_file_key(struct edge_ctx *ctx, int dirfd, enum edge_key_type type,
    unsigned bits)
{
	const char *out = edge_arg(ctx, "output");
	struct edge_key *key = NULL;
	char *pem = NULL;
	size_t len = 0;
	int rc;

	if (out != NULL && strcmp(out, "-") == 0)
		return edge_usage(ctx, "private keys are never written to standard output");
	if (out != NULL && !edge_flag(ctx, "force") && access(out, F_OK) == 0)
		return edge_err(&ctx->err, EDGE_EFAIL,
		    "%s: exists; --force replaces it", out);
	edge_progress_start(type == EDGE_KEY_RSA ? "generating RSA key" :
	    "generating EC P-256 key");
	rc = edge_key_generate_pem(type, bits, &pem, &len, &ctx->err);
	edge_progress_stop(rc == EDGE_OK);
	if (rc != EDGE_OK)
		goto out;
	if ((rc = edge_key_from_pem(pem, len, out ? out : EDGE_KEY_PEM, &key,
	    &ctx->err)) != EDGE_OK)
		goto out;
	if (out != NULL)
		rc = edge_file_write_path(out, pem, len, EDGE_MODE_PRIVATE,
		    &ctx->err);
	else
		rc = edge_file_write_atomic(dirfd, EDGE_KEY_PEM, pem, len,
		    EDGE_MODE_PRIVATE, &ctx->err);
	if (rc != EDGE_OK)
		goto out;
	/* A file key now stands for the edge; a stale token URI must not win. */
	if (out == NULL &&
	    (rc = edge_file_remove(dirfd, EDGE_KEY_URI, false, &ctx->err)) != EDGE_OK)
		goto out;
	report(ctx, key, out ? out : EDGE_KEY_PEM, true);
out:
	edge_key_pem_free(&pem, len);
	edge_key_free(&key);
	return rc;
}

static int
make_token_key(struct edge_ctx *ctx, int dirfd, enum edge_key_type type,
    unsigned bits)
{
	const char *uri = edge_arg(ctx, "pkcs11");
	char *token = NULL, *label = NULL, *key_uri = NULL, *pin_source = NULL;
	char *labelled = NULL;
	char progress[160], what[32];
	struct edge_key *key = NULL;
	unsigned existing = 0, deleted = 0;
	size_t n;
	int rc;

	if ((rc = edge_p11_find_token(uri, &token, &label, &ctx->err)) != EDGE_OK)
		goto out;
	if (label == NULL && (label = strdup("edge-key")) == NULL) {
		rc = edge_err(&ctx->err, EDGE_EFAIL, "out of memory");
		goto out;
	}
	/* Same label already used: ambiguous URIs later, so refuse or replace. */
	if ((rc = edge_p11_label_uri(token, label, &labelled, &ctx->err)) !=
	    EDGE_OK ||
	    (rc = edge_p11_count_privkeys(labelled, &existing, &ctx->err)) !=
	    EDGE_OK)
		goto out;
	if (existing > 0 && !edge_flag(ctx, "force")) {
		rc = edge_err(&ctx->err, EDGE_EFAIL,
		    "%s: the token already holds a key labelled '%s'; --force replaces it",
		    uri, label);
		goto out;
	}
	{
		const char *ps = strstr(uri, "pin-source=");
		if (ps != NULL) {
			pin_source = strdup(ps + 11);
			if (pin_source != NULL && (n = strcspn(pin_source, ";&")) > 0)
				pin_source[n] = '\0';
		}
	}
	snprintf(progress, sizeof(progress), "generating %s key in the token",
	    type == EDGE_KEY_RSA ? "RSA" : "EC P-256");
	edge_progress_start(progress);
	rc = edge_p11_generate(token, label,
	    type == EDGE_KEY_RSA ? GNUTLS_PK_RSA : GNUTLS_PK_ECDSA,
	    type == EDGE_KEY_RSA ? bits :
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), pin_source,
	    &key_uri, &ctx->err);
	edge_progress_stop(rc == EDGE_OK);
	if (rc != EDGE_OK)
		goto out;
	if ((rc = edge_key_from_uri(key_uri, &key, &ctx->err)) != EDGE_OK)
		goto out;
	{
		size_t l = strlen(key_uri);
		char *line = malloc(l + 2);
		if (line == NULL) {
			rc = edge_err(&ctx->err, EDGE_EFAIL, "out of memory");
			goto out;
		}
		memcpy(line, key_uri, l);
		line[l] = '\n';
		rc = edge_file_write_atomic(dirfd, EDGE_KEY_URI, line, l + 1,
		    EDGE_MODE_PRIVATE, &ctx->err);
		free(line);
		if (rc != EDGE_OK)
			goto out;
	}
	if ((rc = edge_file_remove(dirfd, EDGE_KEY_PEM, true, &ctx->err)) != EDGE_OK)
		goto out;
	/* Only now that key.uri names the new key are the old objects removed. */
	if (existing > 0) {
		if ((rc = edge_p11_delete(labelled, key_uri, &deleted,
		    &ctx->err)) != EDGE_OK)
			goto out;
		edge_verbose(1, "removed %u old object(s) labelled %s", deleted,
		    label);
	}
	edge_key_describe(key, what, sizeof(what));
	report(ctx, key, NULL, true);
out:
	free(token);
	free(label);
	free(key_uri);
	free(pin_source);
	free(labelled);
	edge_key_free(&key);
	return rc;
}

static int
run(struct edge_ctx *ctx)
{
	struct edge_secret *pin = NULL;
	struct edge_key *key = NULL;
	/* Checked against the option table before run(): "rsa|ec", 2048 to 8192. */
	enum edge_key_type type = edge_arg_choice(ctx, "type") == 1 ?
	    EDGE_KEY_EC : EDGE_KEY_RSA;
	unsigned long bits = (unsigned long)edge_arg_long(ctx, "bits", 2048);
	int dirfd, rc;

	if (type == EDGE_KEY_EC && edge_arg_given(ctx, "bits"))
		return edge_usage(ctx, "--bits applies to RSA keys only (EC is P-256)");
	if (type == EDGE_KEY_RSA && bits != 2048)
		edge_warn("the EnOS hub issues certificates for RSA-2048 keys only");
	if (edge_arg(ctx, "pkcs11") != NULL && edge_arg(ctx, "output") != NULL)
		return edge_usage(ctx, "--output is for file keys; a token key stays in the token");
	if ((rc = edge_ctx_dirfd(ctx, &dirfd)) != EDGE_OK)
		return rc;
	/* A PIN is read only when a token is involved (it may come from stdin). */
	if ((edge_arg(ctx, "pkcs11") != NULL || edge_key_state_in_token(dirfd)) &&
	    (rc = edge_ctx_secret(ctx, "pin", &pin)) != EDGE_OK)
		return rc;
	edge_p11_set_pin(pin);

	/* Idempotent: an existing key of the kind asked for is kept. */
	if (!edge_flag(ctx, "force") && edge_arg(ctx, "output") == NULL &&
	    (edge_file_exists(dirfd, EDGE_KEY_URI) ||
	    edge_file_exists(dirfd, EDGE_KEY_PEM))) {
		if ((rc = edge_key_load_state(dirfd, &key, &ctx->err)) != EDGE_OK ||
		    (rc = edge_key_check(key, NULL, &ctx->err)) != EDGE_OK)
			goto out;
		if ((rc = check_existing(ctx, key, type, (unsigned)bits)) != EDGE_OK)
			goto out;
		if (edge_arg(ctx, "pkcs11") != NULL) {
			/* The stored key must be the one the URI names. */
			struct edge_key *asked = NULL;
			rc = edge_key_from_uri(edge_arg(ctx, "pkcs11"), &asked,
			    &ctx->err);
			if (rc == EDGE_OK && !edge_key_pub_equal(asked->pub, key->pub))
				rc = edge_err(&ctx->err, EDGE_EFAIL,
				    "%s: holds a different token key; --force replaces it",
				    EDGE_KEY_URI);
			edge_key_free(&asked);
			if (rc != EDGE_OK && rc != EDGE_EFAIL)
				rc = edge_err(&ctx->err, EDGE_EFAIL,
				    "%s: already names a key; --force replaces it",
				    EDGE_KEY_URI);
			if (rc != EDGE_OK)
				goto out;
		}
		report(ctx, key, EDGE_KEY_PEM, false);
		goto out;
	}
	if (edge_arg(ctx, "pkcs11") != NULL)
		rc = make_token_key(ctx, dirfd, type, (unsigned)bits);
	else
		rc = make_file_key(ctx, dirfd, type, (unsigned)bits);
out:
	edge_p11_set_pin(NULL);
	edge_secret_free(&pin);
	edge_key_free(&key);
	return rc;
}

static const struct edge_tool tool = {
	.name = "edge-keygen",
	.summary = "Make the edge's unique key pair, in a 0600 PEM file or inside a PKCS#11 token.",
	.synopsis = "[-t rsa|ec] [-p pkcs11:URI [--pin SECRET]] [-o FILE] [--force] [-d DIR] [--json]",
	.options = opts,
	.run = run,
};

int
main(int argc, char **argv)
{
	return edge_tool_main(&tool, argc, argv);
}
