/* SPDX-License-Identifier: MIT */
/*
 * hub-sign: print EnOS signatures for shell tests, computed by lib/edge_enos
 * (never reimplemented in shell).  Secrets are read from files, not argv.
 *
 *   hub-sign token APPKEY TIMESTAMP SECRET_FILE
 *   hub-sign api TOKEN TIMESTAMP SECRET_FILE QUERY [BODY_FILE]
 *   hub-sign mqtt METHOD CLIENTID DEVICEKEY PRODUCTKEY TIMESTAMP SECRET_FILE [upper]
 *
 * QUERY is the URL query string as sent (name=value&..., percent-encoded);
 * BODY_FILE holds the request body byte for byte.
 */
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edge_enos.h"
#include "edge_file.h"

#define MAX_PARAMS 32

static const char *progname = "hub-sign";

static void
usage(void)
{
	fprintf(stderr, "usage: %s token APPKEY TIMESTAMP SECRET_FILE\n"
	    "       %s api TOKEN TIMESTAMP SECRET_FILE QUERY [BODY_FILE]\n"
	    "       %s mqtt METHOD CLIENTID DEVICEKEY PRODUCTKEY TIMESTAMP "
	    "SECRET_FILE [upper]\n", progname, progname, progname);
	exit(2);
}

static char *
read_secret(const char *path, size_t *len)
{
	struct edge_error e;
	char *data = NULL;

	if (edge_file_read(AT_FDCWD, path, 4096, &data, len, &e) != 0) {
		fprintf(stderr, "%s: %s\n", progname, e.msg);
		exit(1);
	}
	/* A trailing newline is not part of the secret. */
	while (*len > 0 && (data[*len - 1] == '\n' || data[*len - 1] == '\r'))
		data[--*len] = '\0';
	return data;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Percent-decode in place ('+' is kept: the hub does not map it). */
static void
decode(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (*s == '%' && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
			*o++ = (char)(hexval(s[1]) * 16 + hexval(s[2]));
			s += 2;
		} else
			*o++ = *s;
	}
	*o = '\0';
}

int
main(int argc, char **argv)
{
	struct edge_enos_param params[MAX_PARAMS];
	char out[EDGE_ENOS_HEX256], *secret = NULL, *body = NULL, *q, *tok, *eq;
	char *save = NULL, *query = NULL;
	size_t slen = 0, blen = 0, n = 0;
	struct edge_error e;
	int rc;

	if (argc < 2)
		usage();
	if (strcmp(argv[1], "token") == 0 && argc == 5) {
		secret = read_secret(argv[4], &slen);
		rc = edge_enos_token_encryption(argv[2], argv[3], secret, out);
	} else if (strcmp(argv[1], "api") == 0 && (argc == 6 || argc == 7)) {
		secret = read_secret(argv[4], &slen);
		if ((q = query = strdup(argv[5])) == NULL)
			return 1;
		for (tok = strtok_r(q, "&", &save); tok != NULL;
		    tok = strtok_r(NULL, "&", &save)) {
			if (n == MAX_PARAMS)
				usage();
			if ((eq = strchr(tok, '=')) != NULL)
				*eq++ = '\0';
			decode(tok);
			if (eq != NULL)
				decode(eq);
			params[n].name = tok;
			params[n].value = eq ? eq : "";
			n++;
		}
		if (argc == 7 && edge_file_read(AT_FDCWD, argv[6],
		    EDGE_FILE_MAX, &body, &blen, &e) != 0) {
			fprintf(stderr, "%s: %s\n", progname, e.msg);
			return 1;
		}
		rc = edge_enos_api_signature(argv[2], params, n, body, blen,
		    argv[3], secret, out);
	} else if (strcmp(argv[1], "mqtt") == 0 && (argc == 8 || argc == 9)) {
		secret = read_secret(argv[7], &slen);
		rc = edge_enos_mqtt_password(argv[2], argv[3], argv[4], argv[5],
		    argv[6], secret, argc == 9 && strcmp(argv[8], "upper") == 0,
		    out, sizeof(out));
	} else
		usage();
	edge_file_free_private(&secret, slen);
	free(body);
	free(query);
	if (rc != 0) {
		fprintf(stderr, "%s: cannot sign: %s\n", progname,
		    edge_strerror(rc));
		return 1;
	}
	printf("%s\n", out);
	return 0;
}
