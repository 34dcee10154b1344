/* SPDX-License-Identifier: MIT */
/*
 * edge-csr: build the PKCS#10 request (SHA-256) for the edge's key, with the
 * EnOS subject rules, and store it as DIR/csr.pem or write it to a pipe.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edge_csr.h"
#include "edge_file.h"
#include "edge_key.h"
#include "edge_log.h"
#include "edge_p11.h"
#include "edge_state.h"
#include "edge_tool.h"

static const struct edge_opt opts[] = {
	{ "key", 'k', "KEY", 0, "key file or pkcs11: URI (default: DIR/key.uri or DIR/key.pem)", NULL, EDGE_T_STRING, 0, 0 },
	{ "pin", 0, "SECRET", EDGE_OPT_SECRET, "token PIN: " EDGE_SECRET_FORMS, NULL, EDGE_T_STRING, 0, 0 },
	{ "country", 0, "CC", 0, "subject C, two letters (EnOS: as in the root CA)", NULL, EDGE_T_STRING, 0, 0 },
	{ "state", 0, "NAME", 0, "subject ST, state or province", NULL, EDGE_T_STRING, 0, 0 },
	{ "locality", 0, "NAME", 0, "subject L, city", NULL, EDGE_T_STRING, 0, 0 },
	{ "organization", 0, "NAME", 0, "subject O (EnOS: as in the root CA)", NULL, EDGE_T_STRING, 0, 0 },
	{ "org-unit", 0, "NAME", 0, "subject OU", NULL, EDGE_T_STRING, 0, 0 },
	{ "cn", 0, "NAME", 0, "subject CN, unique per edge (e.g. the serial number)", NULL, EDGE_T_STRING, 0, 0 },
	{ "email", 0, "ADDR", 0, "subject emailAddress (optional)", NULL, EDGE_T_STRING, 0, 0 },
	{ "ca", 0, "FILE", 0, "root CA certificate to copy C, ST and O from (default: DIR/ca.pem if present)", NULL, EDGE_T_STRING, 0, 0 },
	{ "output", 'o', "FILE", EDGE_OPT_CLI, "write the request to FILE, '-' for stdout (default: DIR/csr.pem)", NULL, EDGE_T_STRING, 0, 0 },
	{ "force", 'f', NULL, EDGE_OPT_CLI, "make a new request even if an equal one exists", NULL, EDGE_T_FLAG, 0, 0 },
	{ NULL, 0, NULL, 0, NULL, NULL, EDGE_T_STRING, 0, 0 }
};

static const char *const field_opt[EDGE_SUBJ_N] = {
	"country", "state", "locality", "organization", "org-unit", "cn", "email"
};

static const char *
option_of(enum edge_subject_field f)
{
	static char buf[EDGE_SUBJ_N][24];

	snprintf(buf[f], sizeof(buf[f]), "--%s", field_opt[f]);
	return buf[f];
}

/* Subject from the options; C, ST and O fall back to the root CA's. */
static int
subject(struct edge_ctx *ctx, int dirfd, struct edge_subject *s,
    struct edge_subject *ca)
{
	const char *ca_file = edge_arg(ctx, "ca");
	char *pem = NULL;
	size_t len = 0;
	int f, rc;

	memset(ca, 0, sizeof(*ca));
	for (f = 0; f < EDGE_SUBJ_N; f++)
		s->v[f] = edge_arg(ctx, field_opt[f]);
	if (ca_file != NULL)
		rc = edge_file_read(AT_FDCWD, ca_file, EDGE_FILE_MAX, &pem, &len,
		    &ctx->err);
	else if (edge_file_exists(dirfd, EDGE_CA_FILE))
		rc = edge_file_read(dirfd, ca_file = EDGE_CA_FILE,
		    EDGE_FILE_MAX, &pem, &len, &ctx->err);
	else
		rc = EDGE_OK;
	if (rc == EDGE_OK && pem != NULL) {
		rc = edge_subject_from_ca(pem, len, ca_file, ca, &ctx->err);
		for (f = 0; rc == EDGE_OK && f < EDGE_SUBJ_N; f++)
			if (s->v[f] == NULL && ca->v[f] != NULL)
				s->v[f] = ca->v[f];
	}
	free(pem);
	if (rc != EDGE_OK)
		return rc;
	return edge_subject_check(s, option_of, &ctx->err);
}

static void
report(struct edge_ctx *ctx, const struct edge_subject *s,
    const struct edge_key *key, const char *out, const char *pem, bool changed)
{
	json_object *subj = json_object_new_object();
	char *dn = NULL;
	size_t n = 0;
	FILE *f_dn = open_memstream(&dn, &n);
	int f;

	for (f = 0; f < EDGE_SUBJ_N; f++) {
		if (s->v[f] == NULL)
			continue;
		json_object_object_add(subj, edge_subject_attr(f),
		    json_object_new_string(s->v[f]));
		if (f_dn != NULL)
			fprintf(f_dn, "%s%s=%s", ftell(f_dn) > 0 ? "," : "",
			    edge_subject_attr(f), s->v[f]);
	}
	if (f_dn != NULL)
		fclose(f_dn);
	json_object_object_add(ctx->result, "subject", subj);
	edge_result_str(ctx, "key_id", key->id);
	edge_result_str(ctx, "key", key->where);
	edge_result_str(ctx, "output", out);
	if (strcmp(out, "-") == 0)
		edge_result_str(ctx, "csr", pem);
	edge_result_bool(ctx, "changed", changed);
	if (!changed)
		edge_note("%s already holds this request; nothing to do", out);
	if (strcmp(out, "-") != 0)
		edge_out(ctx, "%s %s %s\n", out, dn ? dn : "", key->id);
	free(dn);
}

static int
run(struct edge_ctx *ctx)
{
	struct edge_subject s, ca;
	struct edge_secret *pin = NULL;
	struct edge_key *key = NULL;
	const char *out = edge_arg(ctx, "output");
	char *pem = NULL, *old = NULL;
	size_t len = 0, oldlen = 0;
	bool to_stdout, in_state;
	int dirfd, rc;

	if ((rc = edge_ctx_dirfd(ctx, &dirfd)) != EDGE_OK)
		return rc;
	if ((rc = subject(ctx, dirfd, &s, &ca)) != EDGE_OK)
		goto out;
	if ((edge_arg(ctx, "key") ? edge_p11_is_uri(edge_arg(ctx, "key")) :
	    edge_key_state_in_token(dirfd)) &&
	    (rc = edge_ctx_secret(ctx, "pin", &pin)) != EDGE_OK)
		goto out;
	edge_p11_set_pin(pin);
	if (edge_arg(ctx, "key") != NULL)
		rc = edge_key_load(edge_arg(ctx, "key"), &key, &ctx->err);
	else
		rc = edge_key_load_state(dirfd, &key, &ctx->err);
	if (rc != EDGE_OK || (rc = edge_key_check(key, NULL, &ctx->err)) != EDGE_OK)
		goto out;

	in_state = out == NULL;
	if (in_state)
		out = EDGE_CSR_FILE;
	to_stdout = strcmp(out, "-") == 0;
	/* Idempotent: an equal, valid request for this key is kept. */
	if (!to_stdout && !edge_flag(ctx, "force") &&
	    edge_file_read(in_state ? dirfd : AT_FDCWD, out, EDGE_FILE_MAX, &old,
	    &oldlen, NULL) == EDGE_OK && edge_csr_matches(old, oldlen, key, &s)) {
		report(ctx, &s, key, out, old, false);
		goto out;
	}
	if ((rc = edge_csr_create(key, &s, &pem, &len, &ctx->err)) != EDGE_OK)
		goto out;
	if (to_stdout && ctx->json)
		rc = EDGE_OK;	/* the request travels inside the JSON object */
	else if (in_state)
		rc = edge_file_write_atomic(dirfd, out, pem, len, EDGE_MODE_PUBLIC,
		    &ctx->err);
	else
		rc = edge_file_write_path(out, pem, len, EDGE_MODE_PUBLIC,
		    &ctx->err);
	if (rc == EDGE_OK)
		report(ctx, &s, key, out, pem, true);
out:
	edge_p11_set_pin(NULL);
	edge_secret_free(&pin);
	edge_key_free(&key);
	edge_subject_free_values(&ca);
	free(pem);
	free(old);
	return rc;
}

static const struct edge_tool tool = {
	.name = "edge-csr",
	.summary = "Make the PKCS#10 certificate request (SHA-256) for the edge's key.",
	.synopsis = "--cn NAME [--country CC --state ST --locality L --organization O --org-unit OU | --ca FILE] [-k KEY] [-o FILE|-] [--json]",
	.options = opts,
	.run = run,
};

int
main(int argc, char **argv)
{
	return edge_tool_main(&tool, argc, argv);
}
