/* SPDX-License-Identifier: MIT */
#ifndef HUB_CA_H
#define HUB_CA_H

/*
 * The stand-in hub's CA (GnuTLS): the self-signed RSA-2048 root made at first
 * start, CSR checks of ENOS-PROTOCOL.md section 5, certificates with the
 * section 7.1 profile, and CRLs.  Never prints; errors are one line in msg.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/x509.h>

#define HUB_SN_MAX	24	/* decimal serial of a 63-bit number, NUL */
#define HUB_DN_MAX	1024
#define HUB_FIELD_MAX	65	/* a subject field: 64 characters and NUL */

struct hub_ca {
	gnutls_x509_crt_t crt;
	gnutls_privkey_t key;
	char *pem;			/* ca.pem as served */
	size_t pem_len;
	unsigned char *der;
	size_t der_len;
	char c[HUB_FIELD_MAX], st[HUB_FIELD_MAX], o[HUB_FIELD_MAX];
	unsigned char ski[64];
	size_t ski_len;
	char id[129];			/* the SKI in hex: names its CRL */
	time_t not_after;
};

/*
 * Load ca.pem and ca-key.pem from dirfd, or create them when neither exists
 * (*created is then true).  Returns 0 or -1 with msg.
 */
int hub_ca_open(int dirfd, struct hub_ca *ca, bool *created, char *msg,
    size_t msglen);
void hub_ca_close(struct hub_ca *ca);
/* Load an existing pair (cname may be a bundle: its first certificate). */
int hub_ca_load(int dirfd, const char *cname, const char *kname,
    struct hub_ca *ca, char *msg, size_t msglen);

/*
 * Root rotation (the hub stopped): a new self-signed root with the same
 * subject, valid days, and a link certificate (its subject and key, signed
 * by the current root).  Files: ca-prev.pem/ca-prev-key.pem (the old pair),
 * ca-link.pem, ca-key.pem (the new key), ca.pem (new root, then old root).
 * Refused while an earlier previous root is still valid.  0 or -1 with msg.
 */
int hub_ca_rotate(int dirfd, long days, char *msg, size_t msglen);
/* Did ca issue this certificate (its AKI is ca's SKI)? */
bool hub_ca_issued(const struct hub_ca *ca, const char *cert_pem);

/* What a profile needs to know about a hub-made key pair. */
enum hub_role { HUB_ROLE_SERVER, HUB_ROLE_CLIENT };

/*
 * Make a fresh RSA-2048 key and a certificate for it (dn in RFC 4514 order).
 * A server certificate carries the SANs DNS:localhost and IP:127.0.0.1.
 * *cert_pem and *key_pem are NUL-terminated and freed with gnutls_free().
 */
int hub_ca_issue_local(struct hub_ca *ca, enum hub_role role, const char *dn,
    long days, char sn[HUB_SN_MAX], char **cert_pem, char **key_pem,
    char *msg, size_t msglen);

/*
 * Does a hub-made certificate need a new one: unreadable, not issued by ca
 * (a root no longer issuing), or ending within margin seconds?
 */
bool hub_ca_local_due(const struct hub_ca *ca, const char *cert_pem,
    time_t margin);
/*
 * A fresh key and certificate under ca with the subject, basicConstraints,
 * keyUsage, extendedKeyUsage and subjectAltName of old_pem (its first
 * certificate); as hub_ca_issue_local otherwise.
 */
int hub_ca_reissue_local(struct hub_ca *ca, const char *old_pem, long days,
    char sn[HUB_SN_MAX], char **cert_pem, char **key_pem, char *msg,
    size_t msglen);

/* A CSR that passed hub_ca_check_csr. */
struct hub_csr {
	gnutls_x509_crq_t crq;
	bool ecc;
	char cn[HUB_FIELD_MAX];
	char key_id[65];		/* hex SHA-256 of the public key */
	char subject[HUB_DN_MAX];
};

/*
 * Parse and check a PEM CSR for issue authority "RSA" or "ECC": signature
 * (gnutls_x509_crq_verify), key RSA-2048 or EC P-256 matching the authority,
 * SHA-256, C ST L O OU CN present (64 characters at most, C two), C/ST/O
 * equal to the root's.  Returns 0, or -1 with the EnOS-style msg.
 */
int hub_ca_check_csr(const struct hub_ca *ca, const char *pem, bool ecc,
    struct hub_csr *csr, char *msg, size_t msglen);
void hub_csr_free(struct hub_csr *csr);

/*
 * Issue the section 7.1 profile for csr, valid days (capped at the root's
 * end): the Netscape CA revocation URL crl_url, a CRL distribution point
 * cdp_url (none when NULL).  sn receives the decimal serial; *cert_pem is
 * freed with gnutls_free(); not_before/not_after/issuer describe the result.
 */
int hub_ca_issue_csr(struct hub_ca *ca, const struct hub_csr *csr, long days,
    const char *crl_url, const char *cdp_url, char sn[HUB_SN_MAX],
    char **cert_pem,
    time_t *not_before, time_t *not_after, char issuer[HUB_DN_MAX],
    char *msg, size_t msglen);

struct hub_revoked {
	const char *sn;		/* decimal serial */
	time_t when;
};

/*
 * Sign a v2 CRL listing revoked (n entries) with the given number and times.
 * pem and der are freed with gnutls_free().
 */
int hub_ca_make_crl(struct hub_ca *ca, const struct hub_revoked *revoked,
    size_t n, uint64_t number, time_t this_update, time_t next_update,
    gnutls_datum_t *pem, gnutls_datum_t *der, char *msg, size_t msglen);

/* Decimal serial to big-endian bytes (8); -1 when not a 63-bit number. */
int hub_sn_to_bytes(const char *sn, unsigned char out[8]);

#endif
