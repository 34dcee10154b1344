/* SPDX-License-Identifier: MIT */
#ifndef EDGE_STATE_H
#define EDGE_STATE_H

/*
 * The state directory's vocabulary: every name a tool reads or writes in
 * DIR (DESIGN.md, "Tools and the state directory"), defined once.  Messages
 * and man pages spell the names out; code uses these.
 */

#define EDGE_CONF_FILE		"edge.conf"	/* the user's key = value defaults */
#define EDGE_KEY_PEM		"key.pem"	/* file key (0600), edge-keygen */
#define EDGE_KEY_URI		"key.uri"	/* pkcs11: URI of a token key */
#define EDGE_CSR_FILE		"csr.pem"	/* PKCS#10 request, edge-csr */
#define EDGE_DEVICE_FILE	"device.json"	/* identity, edge-provision */
#define EDGE_DEVICE_SECRET	"device.secret"	/* device secret (0600) */
#define EDGE_CERT_FILE		"cert.pem"	/* edge certificate, edge-activate */
#define EDGE_CA_FILE		"ca.pem"	/* trusted root CA bundle */
#define EDGE_CRL_FILE		"crl.pem"	/* verified CRLs, edge-crl-update */
#define EDGE_TIME_FILE		"trusted-time"	/* latest proven time */
#define EDGE_OUTBOX_DIR		"outbox"	/* unacknowledged telemetry */
#define EDGE_HUB_TOKEN_FILE	"hub-token.json"	/* cached hub API token */
#define EDGE_RENEW_CREDENTIALS	"renew.credentials"	/* application credentials, RENEWAL=gateway */
#define EDGE_PENDING_FILE	"pending-revocations"	/* edge-revoke queue */
/* A key rotation under way (edge-activate --rekey): the new key and request. */
#define EDGE_KEY_PEM_NEW	".key.pem.rekey"	/* new file key (0600) */
#define EDGE_KEY_URI_NEW	".key.uri.rekey"	/* URI of the new token key */
#define EDGE_CSR_NEW		".csr.pem.rekey"	/* request for the new key */

#include "edge_err.h"

/*
 * The tool whose step makes the state file name ("edge-activate" for
 * cert.pem), or NULL for a name no step makes for another to read (edge.conf,
 * trusted-time, the token cache, a user's path).  One table for every
 * "run ... first" hint.
 */
const char *edge_state_maker(const char *name);

/*
 * Missing inputs are exit 3 with the step that makes them (DESIGN.md):
 * EDGE_EINPUT "NAME: missing; run TOOL first" when name has a maker, else
 * EDGE_ESTORE "NAME: No such file or directory".  Returns the code.
 */
int edge_state_missing(const char *name, struct edge_error *err);

#endif
