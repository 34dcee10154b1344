/* SPDX-License-Identifier: MIT */
#ifndef EDGE_HUBID_H
#define EDGE_HUBID_H

/*
 * The hub's identity, one rule for every connection to the hub (the broker
 * through OpenSSL, the API and portal through libcurl-gnutls).  A chain that
 * verifies to the trusted roots is not enough: in EnOS one CA issues both
 * the hub's certificates and the devices', and a device picks its own CN.
 * So the hub's (leaf) certificate must also
 *   - carry extendedKeyUsage serverAuth (no EKU at all is refused),
 *   - if it has a keyUsage, allow digitalSignature, keyEncipherment or
 *     keyAgreement (OpenSSL's sslserver purpose),
 *   - name the host in a subjectAltName: a host name in a dNSName (a
 *     wildcard covers one whole left-most label), an IP literal in an
 *     iPAddress; the subject CN never counts,
 *   - when pins are given, have a public key whose pin is one of them.
 * and every CA certificate of the verified chain (up to and including the
 * trusted root) that carries extendedKeyUsage must list serverAuth: a CA
 * restricted to client certificates does not vouch for a hub.  OpenSSL
 * enforces that much itself (GnuTLS does not), so both paths call
 * edge_hubid_check_chain for the same rule and the same message.
 * Pins are libcurl's CURLOPT_PINNEDPUBLICKEY form, "sha256//BASE64" of the
 * SHA-256 of the SubjectPublicKeyInfo DER, several separated by ';'.
 * Never prints.
 */

#include <stddef.h>

#include <gnutls/x509.h>

#include "edge_der.h"
#include "edge_err.h"

/* "sha256//" + base64 of 32 bytes */
#define EDGE_HUBID_PIN_MAX	(8 + 44 + 1)

/*
 * Check the hub's verified chain: chain[0] is the hub's certificate,
 * chain[1..n-1] the CA certificates above it, as verified, the trusted root
 * last.  host NULL skips the name (only with --no-verify-hostname); pins
 * NULL or "" skips pinning.  Errors: EDGE_ETRUST "hub certificate has no
 * serverAuth usage", "hub certificate: keyUsage does not allow a TLS
 * server", "hub certificate names HOST only in its CN, not in a
 * subjectAltName", "hub certificate does not name HOST", "hub key
 * sha256//ACTUAL does not match --hub-pin PINS", "hub certificate's issuer
 * DN: extendedKeyUsage without serverAuth"; EDGE_EINPUT for a certificate
 * that cannot be parsed.
 */
int edge_hubid_check_chain(const struct edge_der *chain, size_t n,
    const char *host, const char *pins, struct edge_error *err);

/* The same check on certificates GnuTLS has already parsed. */
int edge_hubid_check_crts(const gnutls_x509_crt_t *chain, size_t n,
    const char *host, const char *pins, struct edge_error *err);

/*
 * The same check on the chain a server sent (DER, its certificate first, in
 * any order after it), as GnuTLS verified it against the roots of tl: the
 * path is rebuilt as GnuTLS builds it (each certificate's issuer among the
 * sent ones, until a root of tl issued one).  Errors: as
 * edge_hubid_check_crts, and EDGE_ETRUST "hub certificate: cannot rebuild
 * its chain to a trusted root", "hub certificate: none presented".
 */
int edge_hubid_check_sent(gnutls_x509_trust_list_t tl,
    const gnutls_datum_t *sent, unsigned n, const char *host,
    const char *pins, struct edge_error *err);

/*
 * The path edge_hubid_check_sent checks: *out gets the hub's certificate
 * first, then its issuers among the sent ones, the root of tl last (once,
 * also when the hub sent it), *outlen how many; free with
 * edge_hubid_path_free.  Errors: as edge_hubid_check_sent's own.
 */
int edge_hubid_sent_path(gnutls_x509_trust_list_t tl,
    const gnutls_datum_t *sent, unsigned n, gnutls_x509_crt_t **out,
    size_t *outlen, struct edge_error *err);
void edge_hubid_path_free(gnutls_x509_crt_t *path, size_t len);

/* Check the syntax of a --hub-pin value.  Errors: EDGE_EUSAGE. */
int edge_hubid_pins_valid(const char *pins, struct edge_error *err);

#endif
