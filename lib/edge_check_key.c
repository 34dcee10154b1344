/* SPDX-License-Identifier: MIT */
/*
 * edge-check's key checks (edge_check.h): key.storage, key.type, key.match,
 * key.purpose, in that order; and the gateway's identity for a fleet view.
 * Read-only: a token is only read (logged in when a PIN was given), files
 * are only opened for reading.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/pkcs11.h>
#include <gnutls/x509.h>
#include <p11-kit/pkcs11.h>
#include <p11-kit/uri.h>

#include "edge_check.h"
#include "edge_der.h"
#include "edge_device.h"
#include "edge_file.h"
#include "edge_key.h"
#include "edge_p11.h"
#include "edge_state.h"
#include "edge_x509.h"

/* key.purpose's bounds: files read, bytes a file, directory depth. */
#define SCAN_FILES_MAX	2000
#define SCAN_BYTES_MAX	(1024 * 1024)
#define SCAN_DEPTH_MAX	4
#define SCAN_SIBLINGS_MAX 256
#define SCAN_HITS_MAX	16

/* ---- key.storage ---- */

static void
storage_file(const struct edge_check_env *e, struct edge_findings *f)
{
	char fix[EDGE_CHECK_FIX_MAX], mode[8], owner[64];
	struct passwd *pw;
	json_object *d;
	struct stat st, dst;
	uid_t euid = geteuid(), downer;

	/*
	 * The key belongs to the user the tools run as: the state directory's
	 * owner (state.dir judges the directory), not whoever runs edge-check
	 * (root auditing the edge user's directory).
	 */
	downer = fstat(e->dirfd, &dst) == 0 ? dst.st_uid : euid;
	if (fstatat(e->dirfd, EDGE_KEY_PEM, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		edge_check_add(f, "key.storage", EDGE_V_FAIL, NULL, NULL,
		    "%s/" EDGE_KEY_PEM ": %s", e->dir, strerror(errno));
		return;
	}
	snprintf(mode, sizeof(mode), "%04o", (unsigned)(st.st_mode & 07777));
	if ((pw = getpwuid(st.st_uid)) != NULL)
		snprintf(owner, sizeof(owner), "%s", pw->pw_name);
	else
		snprintf(owner, sizeof(owner), "%lu", (unsigned long)st.st_uid);
	d = json_object_new_object();
	json_object_object_add(d, "storage", json_object_new_string("file"));
	json_object_object_add(d, "file", json_object_new_string(EDGE_KEY_PEM));
	json_object_object_add(d, "mode", json_object_new_string(mode));
	json_object_object_add(d, "owner", json_object_new_string(owner));
	json_object_object_add(d, "uid", json_object_new_int64(st.st_uid));
	json_object_object_add(d, "euid", json_object_new_int64(euid));
	json_object_object_add(d, "dir_owner", json_object_new_int64(downer));
	if (!S_ISREG(st.st_mode)) {
		edge_check_add(f, "key.storage", EDGE_V_FAIL, d,
		    "make key.pem a regular file: move the key itself there",
		    "%s/" EDGE_KEY_PEM ": not a regular file%s", e->dir,
		    S_ISLNK(st.st_mode) ? " (a symbolic link)" : "");
		return;
	}
	if (st.st_uid != downer) {
		char dname[64];

		if ((pw = getpwuid(downer)) != NULL)
			snprintf(dname, sizeof(dname), "%s", pw->pw_name);
		else
			snprintf(dname, sizeof(dname), "%lu", (unsigned long)downer);
		snprintf(fix, sizeof(fix), "chown %s %s/" EDGE_KEY_PEM, dname,
		    e->dir);
		edge_check_add(f, "key.storage", EDGE_V_FAIL, d, fix,
		    "%s/" EDGE_KEY_PEM ": owned by %s, not by the state directory's owner (%s, the user the tools run as)",
		    e->dir, owner, dname);
		return;
	}
	if ((st.st_mode & 077) != 0) {
		snprintf(fix, sizeof(fix), "chmod 600 %s/" EDGE_KEY_PEM, e->dir);
		edge_check_add(f, "key.storage", EDGE_V_FAIL, d, fix,
		    "%s/" EDGE_KEY_PEM ": mode %s lets %s read the private key",
		    e->dir, mode, (st.st_mode & 007) ? "everyone" : "its group");
		return;
	}
	edge_check_add(f, "key.storage", EDGE_V_OK, d, NULL,
	    EDGE_KEY_PEM ": a file key, mode %s, owned by %s (a token key, as in a TPM, could not be copied at all)",
	    mode, owner);
}

/* One CK_BBOOL attribute: 1, 0, or -1 when the token will not say. */
static int
attr_bool(CK_FUNCTION_LIST_PTR m, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
    CK_ATTRIBUTE_TYPE type)
{
	CK_BBOOL v = CK_FALSE;
	CK_ATTRIBUTE a = { type, &v, sizeof(v) };

	if (m->C_GetAttributeValue(s, o, &a, 1) != CKR_OK ||
	    a.ulValueLen != sizeof(v))
		return -1;
	return v ? 1 : 0;
}

static void
json_tri(json_object *d, const char *name, int v)
{
	json_object_object_add(d, name, v < 0 ? NULL :
	    json_object_new_boolean(v));
}

/* The private key object's own attributes, as the token reports them. */
struct p11_attrs {
	int sensitive, extractable, never_extractable, always_sensitive;
	int sign, decrypt, unwrap, private;
};

static int
read_attrs(gnutls_pkcs11_obj_t obj, unsigned flags, struct p11_attrs *a)
{
	void *mod = NULL, *sess = NULL, *hobj = NULL;
	CK_FUNCTION_LIST_PTR m;
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE o;
	int g;

	if ((g = gnutls_pkcs11_obj_get_ptr(obj, &mod, &sess, &hobj, NULL,
	    flags)) < 0)
		return g;
	m = mod;
	s = (CK_SESSION_HANDLE)(uintptr_t)sess;
	o = (CK_OBJECT_HANDLE)(uintptr_t)hobj;
	a->sensitive = attr_bool(m, s, o, CKA_SENSITIVE);
	a->extractable = attr_bool(m, s, o, CKA_EXTRACTABLE);
	a->never_extractable = attr_bool(m, s, o, CKA_NEVER_EXTRACTABLE);
	a->always_sensitive = attr_bool(m, s, o, CKA_ALWAYS_SENSITIVE);
	a->sign = attr_bool(m, s, o, CKA_SIGN);
	a->decrypt = attr_bool(m, s, o, CKA_DECRYPT);
	a->unwrap = attr_bool(m, s, o, CKA_UNWRAP);
	a->private = attr_bool(m, s, o, CKA_PRIVATE);
	/* The session is the caller's to close (gnutls_pkcs11_obj_get_ptr). */
	m->C_CloseSession(s);
	return 0;
}

static const char *
yes_no(int v)
{
	return v < 0 ? "unknown" : v ? "yes" : "no";
}

static void
storage_token(const struct edge_check_env *e, const char *uri,
    struct edge_findings *f)
{
	static const char rekey[] =
	    "make a new key inside the token (sensitive, never extractable, sign only): edge-activate --renew --rekey";
	unsigned flags = GNUTLS_PKCS11_OBJ_FLAG_PRIVKEY, n = 0, i;
	gnutls_pkcs11_obj_t *objs = NULL;
	struct edge_error err = { 0 };
	struct p11_attrs a;
	char *token = NULL;
	json_object *d;
	bool sign_only;
	int g;

	d = json_object_new_object();
	json_object_object_add(d, "storage", json_object_new_string("token"));
	json_object_object_add(d, "file", json_object_new_string(EDGE_KEY_URI));
	if (edge_p11_find_token(uri, &token, NULL, &err) != EDGE_OK) {
		edge_check_add(f, "key.storage", EDGE_V_FAIL, d,
		    "plug in or configure the token key.uri names (p11tool --list-tokens)",
		    EDGE_KEY_URI ": %s", err.msg);
		return;
	}
	free(token);
	if (e->have_pin)
		flags |= GNUTLS_PKCS11_OBJ_FLAG_LOGIN;
	edge_p11_quiet(true);
	g = gnutls_pkcs11_obj_list_import_url4(&objs, &n, uri, flags);
	edge_p11_quiet(false);
	json_object_object_add(d, "login", json_object_new_boolean(e->have_pin));
	if (g < 0 && g != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
		edge_p11_error(&err, g, EDGE_KEY_URI);
		edge_check_add(f, "key.storage", EDGE_V_FAIL, d,
		    "check the token PIN given with --pin", "%s", err.msg);
		goto out;
	}
	if (n == 0 && !e->have_pin) {
		edge_check_add(f, "key.storage", EDGE_V_SKIP, d,
		    "give the token PIN to read them: edge-check --pin file:PATH (or env:VAR, cred:NAME)",
		    EDGE_KEY_URI ": the private key's attributes are readable only after login; no --pin given");
		goto out;
	}
	if (n != 1) {
		edge_check_add(f, "key.storage", EDGE_V_FAIL, d,
		    "name exactly one private key in key.uri (object= and id=)",
		    EDGE_KEY_URI ": %u private keys match", n);
		goto out;
	}
	memset(&a, 0, sizeof(a));
	edge_p11_quiet(true);
	g = read_attrs(objs[0], flags & GNUTLS_PKCS11_OBJ_FLAG_LOGIN, &a);
	edge_p11_quiet(false);
	if (g < 0) {
		edge_p11_error(&err, g, EDGE_KEY_URI);
		edge_check_add(f, "key.storage", EDGE_V_FAIL, d, NULL,
		    "cannot read the key's attributes: %s", err.msg);
		goto out;
	}
	json_tri(d, "sensitive", a.sensitive);
	json_tri(d, "extractable", a.extractable);
	json_tri(d, "never_extractable", a.never_extractable);
	json_tri(d, "always_sensitive", a.always_sensitive);
	json_tri(d, "private", a.private);
	json_tri(d, "sign", a.sign);
	json_tri(d, "decrypt", a.decrypt);
	json_tri(d, "unwrap", a.unwrap);
	sign_only = a.decrypt == 0 && a.unwrap == 0;
	json_object_object_add(d, "sign_only", json_object_new_boolean(sign_only));
	/*
	 * Unwrapping is reported but not judged: SoftHSM2 allows it by default
	 * on a key made without CKA_UNWRAP, as edge-keygen's are.
	 */
#define ATTRS "sensitive %s, extractable %s, never extractable %s, decrypt %s, unwrap %s"
#define ATTRV yes_no(a.sensitive), yes_no(a.extractable), \
	yes_no(a.never_extractable), yes_no(a.decrypt), yes_no(a.unwrap)
	if (a.extractable != 0 || a.sensitive != 1)
		edge_check_add(f, "key.storage", EDGE_V_FAIL, d, rekey,
		    "token key can be %s: " ATTRS, a.extractable != 0 ?
		    "exported (CKA_EXTRACTABLE)" : "read in the clear (not CKA_SENSITIVE)",
		    ATTRV);
	else if (a.never_extractable != 1)
		edge_check_add(f, "key.storage", EDGE_V_WARN, d, rekey,
		    "token key was extractable once (imported or changed), a copy may exist: " ATTRS,
		    ATTRV);
	else if (a.decrypt != 0)
		edge_check_add(f, "key.storage", EDGE_V_WARN, d, rekey,
		    "token key may also decrypt (one key, one purpose): " ATTRS,
		    ATTRV);
	else
		edge_check_add(f, "key.storage", EDGE_V_OK, d, NULL,
		    "token key: " ATTRS, ATTRV);
#undef ATTRS
#undef ATTRV
out:
	for (i = 0; i < n; i++)
		gnutls_pkcs11_obj_deinit(objs[i]);
	gnutls_free((void *)objs);
}

/*
 * The token key's public key, without login (its public object), else
 * with the PIN given, through the private key.
 */
static int
token_pub(const struct edge_check_env *e, const char *uri,
    struct edge_key **out, struct edge_error *err)
{
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_ATTRIBUTE attr = { CKA_CLASS, &cls, sizeof(cls) };
	gnutls_pkcs11_obj_t *objs = NULL;
	gnutls_pubkey_t pub = NULL;
	char *puburi = NULL, *token = NULL;
	P11KitUri *u;
	unsigned n = 0, i;
	int g, rc;

	*out = NULL;
	if ((rc = edge_p11_find_token(uri, &token, NULL, err)) != EDGE_OK)
		return rc;
	free(token);
	if ((u = p11_kit_uri_new()) == NULL)
		return edge_err(err, EDGE_EFAIL, "out of memory");
	if (p11_kit_uri_parse(uri, P11_KIT_URI_FOR_ANY, u) == P11_KIT_URI_OK &&
	    p11_kit_uri_set_attribute(u, &attr) == P11_KIT_URI_OK &&
	    p11_kit_uri_format(u, P11_KIT_URI_FOR_ANY, &puburi) ==
	    P11_KIT_URI_OK) {
		edge_p11_quiet(true);
		g = gnutls_pkcs11_obj_list_import_url4(&objs, &n, puburi,
		    GNUTLS_PKCS11_OBJ_FLAG_PUBKEY);
		if (g >= 0 && n == 1 && gnutls_pubkey_init(&pub) >= 0 &&
		    gnutls_pubkey_import_pkcs11(pub, objs[0], 0) >= 0)
			rc = edge_key_from_pubkey(pub, EDGE_KEY_URI, true, out,
			    err);
		edge_p11_quiet(false);
	}
	p11_kit_uri_free(u);
	free(puburi);
	for (i = 0; i < n; i++)
		gnutls_pkcs11_obj_deinit(objs[i]);
	gnutls_free((void *)objs);
	if (pub != NULL)
		gnutls_pubkey_deinit(pub);
	if (*out != NULL || rc != EDGE_OK)
		return rc;
	if (!e->have_pin)
		return edge_err(err, EDGE_ESTORE,
		    EDGE_KEY_URI ": no public key object readable without login; give --pin");
	return edge_key_from_uri(uri, out, err);
}

/* ---- key.purpose ---- */

struct scan {
	gnutls_pubkey_t pub;		/* the edge's */
	dev_t own_dev;			/* cert.pem of this state directory */
	ino_t own_ino;
	bool have_own;
	dev_t key_dev;			/* key.pem of this state directory */
	ino_t key_ino;
	bool have_key;
	struct { dev_t dev; ino_t ino; } seen[SCAN_FILES_MAX];
	unsigned files;			/* files read */
	bool truncated;			/* stopped at SCAN_FILES_MAX */
	bool too_deep;			/* a directory below SCAN_DEPTH_MAX */
	json_object *links;		/* siblings' key.pem/cert.pem links */
	json_object *hits;		/* ["path (what)", ...] */
	unsigned nhits;
};

static bool
seen(struct scan *s, const struct stat *st)
{
	unsigned i;

	for (i = 0; i < s->files; i++)
		if (s->seen[i].dev == st->st_dev && s->seen[i].ino == st->st_ino)
			return true;
	return false;
}

static void
hit(struct scan *s, const char *path, const char *what)
{
	char buf[PATH_MAX + 64];
	size_t i, n = json_object_array_length(s->hits);

	snprintf(buf, sizeof(buf), "%s (%s)", path, what);
	for (i = 0; i < n; i++)
		if (strcmp(json_object_get_string(
		    json_object_array_get_idx(s->hits, i)), buf) == 0)
			return;
	s->nhits++;
	if (n < SCAN_HITS_MAX)
		json_object_array_add(s->hits, json_object_new_string(buf));
}

/* Read an SSH wire-format string at *p; false past end. */
static bool
ssh_string(const unsigned char **p, const unsigned char *end,
    gnutls_datum_t *out)
{
	size_t len;

	if (end - *p < 4)
		return false;
	len = (size_t)(*p)[0] << 24 | (size_t)(*p)[1] << 16 |
	    (size_t)(*p)[2] << 8 | (*p)[3];
	*p += 4;
	if ((size_t)(end - *p) < len)
		return false;
	out->data = (unsigned char *)*p;
	out->size = (unsigned)len;
	*p += len;
	return true;
}

/* An SSH public key blob (string type, then the key's fields) as a GnuTLS key. */
static bool
ssh_blob(const unsigned char *p, const unsigned char *end, gnutls_pubkey_t pub)
{
	gnutls_datum_t type, a, b, c;
	char kind[32];

	if (!ssh_string(&p, end, &type) || type.size >= sizeof(kind))
		return false;
	memcpy(kind, type.data, type.size);
	kind[type.size] = '\0';
	if (strcmp(kind, "ssh-rsa") == 0) {
		/* e, then n: mpints, taken as unsigned big-endian. */
		return ssh_string(&p, end, &a) && ssh_string(&p, end, &b) &&
		    gnutls_pubkey_import_rsa_raw(pub, &b, &a) >= 0;
	} else if (strncmp(kind, "ecdsa-sha2-nistp", 16) == 0) {
		gnutls_ecc_curve_t curve =
		    strcmp(kind + 16, "256") == 0 ? GNUTLS_ECC_CURVE_SECP256R1 :
		    strcmp(kind + 16, "384") == 0 ? GNUTLS_ECC_CURVE_SECP384R1 :
		    strcmp(kind + 16, "521") == 0 ? GNUTLS_ECC_CURVE_SECP521R1 :
		    GNUTLS_ECC_CURVE_INVALID;
		gnutls_datum_t x, y;

		/* curve name, then Q = 04 || X || Y */
		if (curve == GNUTLS_ECC_CURVE_INVALID ||
		    !ssh_string(&p, end, &a) || !ssh_string(&p, end, &c) ||
		    c.size < 3 || c.data[0] != 4 || (c.size - 1) % 2 != 0)
			return false;
		x.data = c.data + 1;
		x.size = (c.size - 1) / 2;
		y.data = x.data + x.size;
		y.size = x.size;
		return gnutls_pubkey_import_ecc_raw(pub, curve, &x, &y) >= 0;
	}
	return false;
}

static bool
ssh_kind(const char *w, size_t n)
{
	return (n == 7 && strncmp(w, "ssh-rsa", 7) == 0) ||
	    (n > 16 && strncmp(w, "ecdsa-sha2-nistp", 16) == 0);
}

/*
 * One authorized_keys or .pub line: "[options] TYPE BASE64 [comment]".
 * Each word naming a key type is tried with the word after it, so options
 * (quoted or not) and comments in front do not hide the key.
 */
static bool
ssh_line(const char *line, size_t n, gnutls_pubkey_t pub)
{
	const char *end = line + n, *w, *b;
	gnutls_datum_t b64, blob = { NULL, 0 };
	size_t wl;
	bool ok = false;

	for (w = line; w < end && !ok; w += wl) {
		w += strspn(w, " \t,\"");
		if (w >= end || *w == '#')
			break;
		wl = strcspn(w, " \t,\"\n");
		if (w + wl > end)
			wl = (size_t)(end - w);
		if (wl == 0)
			wl = 1;
		if (!ssh_kind(w, wl))
			continue;
		b = w + wl;
		b += strspn(b, " \t");
		if (b >= end)
			break;
		b64.data = (unsigned char *)b;
		b64.size = (unsigned)strcspn(b, " \t\r\n");
		if ((const char *)b64.data + b64.size > end)
			b64.size = (unsigned)(end - b);
		if (gnutls_base64_decode2(&b64, &blob) < 0)
			continue;
		ok = ssh_blob(blob.data, blob.data + blob.size, pub);
		gnutls_free(blob.data);
		blob.data = NULL;
	}
	return ok;
}

/* openssh-key-v1: its public key is stored in the clear before the private part. */
static bool
openssh_private(const gnutls_datum_t *der, gnutls_pubkey_t pub)
{
	static const char magic[] = "openssh-key-v1";
	const unsigned char *p = der->data, *end = der->data + der->size;
	gnutls_datum_t skip, key;
	int i;

	if (der->size < sizeof(magic) || memcmp(p, magic, sizeof(magic)) != 0)
		return false;
	p += sizeof(magic);
	/* cipher, kdf, kdf options, then the number of keys */
	for (i = 0; i < 3; i++)
		if (!ssh_string(&p, end, &skip))
			return false;
	if (end - p < 4)
		return false;
	p += 4;
	return ssh_string(&p, end, &key) &&
	    ssh_blob(key.data, key.data + key.size, pub);
}

/* PKCS#1 RSAPublicKey: SEQUENCE { n INTEGER, e INTEGER }. */
static bool
pkcs1_pub(const gnutls_datum_t *der, gnutls_pubkey_t pub)
{
	struct edge_der in = { der->data, der->size }, seq, n, e;
	gnutls_datum_t dn, de;

	if (edge_der_take(&in, EDGE_DER_SEQUENCE, &seq, NULL) != 0 ||
	    edge_der_take(&seq, EDGE_DER_INTEGER, &n, NULL) != 0 ||
	    edge_der_take(&seq, EDGE_DER_INTEGER, &e, NULL) != 0)
		return false;
	dn.data = (unsigned char *)n.p;
	dn.size = (unsigned)n.len;
	de.data = (unsigned char *)e.p;
	de.size = (unsigned)e.len;
	return gnutls_pubkey_import_rsa_raw(pub, &dn, &de) >= 0;
}

/* A private key (PKCS#8, PKCS#1, SEC1; unencrypted only): its public part. */
static bool
private_pub(const gnutls_datum_t *data, gnutls_x509_crt_fmt_t fmt,
    gnutls_pubkey_t pub)
{
	gnutls_privkey_t pk;
	bool ok;

	if (gnutls_privkey_init(&pk) < 0)
		return false;
	/* gnutls wipes the key it holds when it frees it */
	ok = gnutls_privkey_import_x509_raw(pk, data, fmt, NULL,
	    GNUTLS_PKCS_PLAIN) >= 0 &&
	    gnutls_pubkey_import_privkey(pub, pk, 0, 0) >= 0;
	gnutls_privkey_deinit(pk);
	return ok;
}

/* Compare the key of one DER or PEM object of kind label with the edge's. */
static void
scan_object(struct scan *s, const char *path, const char *label,
    const gnutls_datum_t *der)
{
	gnutls_pubkey_t pub;
	const char *what = NULL;

	if (gnutls_pubkey_init(&pub) < 0)
		return;
	if (label == NULL) {		/* DER: whatever it imports as */
		if (gnutls_pubkey_import(pub, der, GNUTLS_X509_FMT_DER) >= 0)
			what = "public key (DER)";
		else if (pkcs1_pub(der, pub))
			what = "RSA public key (DER)";
		else if (private_pub(der, GNUTLS_X509_FMT_DER, pub))
			what = "private key (DER)";
	} else if (strcmp(label, "PUBLIC KEY") == 0) {
		if (gnutls_pubkey_import(pub, der, GNUTLS_X509_FMT_DER) >= 0)
			what = "public key";
	} else if (strcmp(label, "RSA PUBLIC KEY") == 0) {
		if (pkcs1_pub(der, pub))
			what = "RSA public key";
	} else if (strcmp(label, "OPENSSH PRIVATE KEY") == 0) {
		if (openssh_private(der, pub))
			what = strstr(path, "ssh_host_") != NULL ?
			    "SSH host key" : "SSH private key";
	} else if (strcmp(label, "PRIVATE KEY") == 0 ||
	    strcmp(label, "RSA PRIVATE KEY") == 0 ||
	    strcmp(label, "EC PRIVATE KEY") == 0) {
		if (private_pub(der, GNUTLS_X509_FMT_DER, pub))
			what = "private key";
	}
	if (what != NULL && edge_key_pub_equal(pub, s->pub))
		hit(s, path, what);
	gnutls_pubkey_deinit(pub);
}

/* Every PEM block of the text, by its label; true when there was one. */
static bool
scan_pem(struct scan *s, const char *path, const char *text)
{
	static const char begin[] = "-----BEGIN ", dashes[] = "-----";
	const char *p = text, *l, *le, *body, *stop;
	char label[64], endl[96];
	gnutls_datum_t b64, der;
	bool any = false;
	size_t n;

	while ((p = strstr(p, begin)) != NULL) {
		l = p + sizeof(begin) - 1;
		if ((le = strstr(l, dashes)) == NULL ||
		    (n = (size_t)(le - l)) == 0 || n >= sizeof(label) ||
		    memchr(l, '\n', n) != NULL) {
			p = l;
			continue;
		}
		memcpy(label, l, n);
		label[n] = '\0';
		snprintf(endl, sizeof(endl), "-----END %s-----", label);
		body = le + sizeof(dashes) - 1;
		if ((stop = strstr(body, endl)) == NULL)
			break;
		p = stop + strlen(endl);
		any = true;
		/* Certificates: all of them, through the shared loader (below). */
		if (strstr(label, "CERTIFICATE") != NULL)
			continue;
		/* Headers (Proc-Type: ...) mean an encrypted key: nothing to read. */
		b64.data = (unsigned char *)body;
		b64.size = (unsigned)(stop - body);
		if (memchr(body, ':', b64.size) != NULL ||
		    gnutls_base64_decode2(&b64, &der) < 0)
			continue;
		scan_object(s, path, label, &der);
		explicit_bzero(der.data, der.size);
		gnutls_free(der.data);
	}
	return any;
}

/* Compare every key the file holds with the edge's. */
static void
scan_text(struct scan *s, const char *path, const char *text, size_t len,
    const struct stat *st, bool sibling)
{
	gnutls_pubkey_t pub;
	const char *p;
	size_t n;

	if (strlen(text) != len) {	/* binary: DER (PKCS#12 is not read) */
		gnutls_datum_t der = { (unsigned char *)text, (unsigned)len };
		gnutls_x509_crt_t crt;

		if (gnutls_x509_crt_init(&crt) >= 0) {
			if (gnutls_x509_crt_import(crt, &der,
			    GNUTLS_X509_FMT_DER) >= 0) {
				if (!(s->have_own && !sibling &&
				    st->st_dev == s->own_dev &&
				    st->st_ino == s->own_ino) &&
				    edge_x509_has_key(crt, s->pub))
					hit(s, path, "certificate (DER)");
				gnutls_x509_crt_deinit(crt);
				return;
			}
			gnutls_x509_crt_deinit(crt);
		}
		scan_object(s, path, NULL, &der);
		return;
	}
	/* authorized_keys-like lines: one key a line, anywhere in the file */
	for (p = text; *p != '\0'; p += n, p += *p == '\n') {
		n = strcspn(p, "\n");
		if (gnutls_pubkey_init(&pub) < 0)
			return;
		if (ssh_line(p, n, pub) && edge_key_pub_equal(pub, s->pub))
			hit(s, path, strstr(path, "ssh_host_") != NULL ?
			    "SSH host key" : "SSH public key");
		gnutls_pubkey_deinit(pub);
	}
	if (!scan_pem(s, path, text))
		return;
	if (strstr(text, "CERTIFICATE-----") != NULL) {
		struct edge_certs c = { 0 };
		struct edge_error err = { 0 };
		unsigned i;

		/* This directory's own cert.pem, scanned through --scan. */
		if (s->have_own && !sibling && st->st_dev == s->own_dev &&
		    st->st_ino == s->own_ino)
			return;
		if (edge_certs_load(text, len, path, &c, &err) != EDGE_OK)
			return;
		for (i = 0; i < c.n; i++)
			if (edge_x509_has_key(c.crt[i], s->pub))
				hit(s, path, "certificate");
		edge_certs_free(&c);
	}
}

/*
 * Read one file, bounded.  Links are not followed (O_NOFOLLOW), except
 * for a place named in --scan itself (follow).
 */
static void
scan_file(struct scan *s, int dfd, const char *name, const char *path,
    bool follow, bool sibling)
{
	struct stat st;
	char *buf;
	ssize_t r;
	size_t len = 0;
	int fd;

	if (fstatat(dfd, name, &st, follow ? 0 : AT_SYMLINK_NOFOLLOW) != 0 ||
	    !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    st.st_size > SCAN_BYTES_MAX || seen(s, &st) ||
	    (s->have_key && st.st_dev == s->key_dev && st.st_ino == s->key_ino))
		return;
	if (s->files >= SCAN_FILES_MAX) {
		s->truncated = true;
		return;
	}
	if ((fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK | (follow ? 0 : O_NOFOLLOW))) < 0)
		return;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > SCAN_BYTES_MAX || seen(s, &st) ||
	    (buf = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return;
	}
	s->seen[s->files].dev = st.st_dev;
	s->seen[s->files].ino = st.st_ino;
	s->files++;
	while (len < (size_t)st.st_size &&
	    (r = read(fd, buf + len, (size_t)st.st_size - len)) > 0)
		len += (size_t)r;
	close(fd);
	buf[len] = '\0';
	scan_text(s, path, buf, len, &st, sibling);
	/* It may have been someone's private key: leave no copy behind. */
	explicit_bzero(buf, len);
	free(buf);
}

static void
scan_dir(struct scan *s, int fd, const char *path, int depth)
{
	struct dirent *de;
	char sub[PATH_MAX];
	DIR *dir;
	int cfd;

	/* fd, now dir's (dirfd(dir)), is the one its entries are opened at. */
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(dir)) != NULL && !s->truncated) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", path,
		    de->d_name) >= sizeof(sub))
			continue;
		/* Subdirectories: never through a link (no loops), bounded depth. */
		if (de->d_type == DT_DIR || de->d_type == DT_UNKNOWN) {
			cfd = openat(fd, de->d_name, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
			if (cfd >= 0) {
				if (depth < SCAN_DEPTH_MAX) {
					scan_dir(s, cfd, sub, depth + 1);
				} else {
					s->too_deep = true;
					close(cfd);
				}
				continue;
			}
			if (de->d_type == DT_DIR)
				continue;
		}
		scan_file(s, fd, de->d_name, sub, false, false);
	}
	closedir(dir);
}

/* A sibling's NAME that is a symbolic link: reported, not followed. */
static bool
sibling_link(const struct edge_check_env *e, struct scan *s, int sfd,
    const char *sib, const char *name)
{
	char path[PATH_MAX + 32];
	struct stat st;

	if (fstatat(sfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
	    !S_ISLNK(st.st_mode))
		return false;
	snprintf(path, sizeof(path), "%s/../%s/%s", e->dir, sib, name);
	if (json_object_array_length(s->links) < SCAN_HITS_MAX)
		json_object_array_add(s->links, json_object_new_string(path));
	return true;
}

/*
 * DIR/../NAME/cert.pem and the public part of DIR/../NAME/key.pem, for the
 * siblings that look like edge state directories (device.json, key.uri,
 * key.pem or cert.pem in them): the rest of /var/lib is not read.
 */
static void
scan_siblings(const struct edge_check_env *e, struct scan *s,
    unsigned *nsib)
{
	struct stat self, st;
	struct dirent *de;
	char path[PATH_MAX];
	DIR *dir;
	int pfd, sfd;

	*nsib = 0;
	if (fstat(e->dirfd, &self) != 0 ||
	    (pfd = openat(e->dirfd, "..", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0)
		return;
	/* pfd, now dir's (dirfd(dir)), is the one its entries are opened at. */
	if ((dir = fdopendir(pfd)) == NULL) {
		close(pfd);
		return;
	}
	while ((de = readdir(dir)) != NULL && *nsib < SCAN_SIBLINGS_MAX) {
		struct edge_key *k = NULL;
		struct edge_error err = { 0 };
		char *uri = NULL;

		if (de->d_name[0] == '.' && (de->d_name[1] == '\0' ||
		    (de->d_name[1] == '.' && de->d_name[2] == '\0')))
			continue;
		sfd = openat(pfd, de->d_name, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
		if (sfd < 0)
			continue;
		if (fstat(sfd, &st) != 0 || (st.st_dev == self.st_dev &&
		    st.st_ino == self.st_ino) ||
		    (fstatat(sfd, EDGE_CERT_FILE, &st, AT_SYMLINK_NOFOLLOW) != 0 &&
		    fstatat(sfd, EDGE_KEY_PEM, &st, AT_SYMLINK_NOFOLLOW) != 0 &&
		    fstatat(sfd, EDGE_KEY_URI, &st, AT_SYMLINK_NOFOLLOW) != 0 &&
		    fstatat(sfd, EDGE_DEVICE_FILE, &st, AT_SYMLINK_NOFOLLOW) != 0)) {
			close(sfd);
			continue;
		}
		(*nsib)++;
		snprintf(path, sizeof(path), "%s/../%s/" EDGE_CERT_FILE, e->dir,
		    de->d_name);
		/* A hard link to this directory's cert.pem is the same certificate. */
		if (fstatat(sfd, EDGE_CERT_FILE, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    s->have_own && S_ISREG(st.st_mode) &&
		    st.st_dev == s->own_dev && st.st_ino == s->own_ino)
			hit(s, path, "a hard link to this directory's cert.pem");
		else if (!sibling_link(e, s, sfd, de->d_name, EDGE_CERT_FILE))
			scan_file(s, sfd, EDGE_CERT_FILE, path, false, true);
		/* A sibling's key.pem may well be unreadable: skipped quietly. */
		if (!sibling_link(e, s, sfd, de->d_name, EDGE_KEY_PEM) &&
		    fstatat(sfd, EDGE_KEY_PEM, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode) &&
		    !seen(s, &st) && s->files < SCAN_FILES_MAX &&
		    !edge_file_exists(sfd, EDGE_KEY_URI) &&
		    edge_key_locate(sfd, &uri, &k, &err) == EDGE_OK && k != NULL) {
			s->seen[s->files].dev = st.st_dev;
			s->seen[s->files].ino = st.st_ino;
			s->files++;
			if (edge_key_pub_equal(k->pub, s->pub)) {
				snprintf(path, sizeof(path), "%s/../%s/" EDGE_KEY_PEM,
				    e->dir, de->d_name);
				hit(s, path, "another state directory's key");
			}
		}
		edge_key_free(&k);
		free(uri);
		close(sfd);
	}
	closedir(dir);
}

static void
check_purpose(const struct edge_check_env *e, const struct edge_key *key,
    struct edge_findings *f)
{
	struct scan *s;
	struct stat st;
	json_object *d, *dirs;
	char *list, *p, *next;
	unsigned nsib = 0, i;
	char what[EDGE_CHECK_WHAT_MAX];
	size_t used;
	int fd;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		edge_check_add(f, "key.purpose", EDGE_V_FAIL, NULL, NULL,
		    "out of memory");
		return;
	}
	s->pub = key->pub;
	s->hits = json_object_new_array();
	s->links = json_object_new_array();
	if (fstatat(e->dirfd, EDGE_CERT_FILE, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		s->own_dev = st.st_dev;
		s->own_ino = st.st_ino;
		s->have_own = true;
	}
	/* The edge key itself, when --scan names the state directory. */
	if (fstatat(e->dirfd, EDGE_KEY_PEM, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		s->key_dev = st.st_dev;
		s->key_ino = st.st_ino;
		s->have_key = true;
	}
	dirs = json_object_new_array();
	list = strdup(e->scan != NULL ? e->scan : "");
	for (p = list; p != NULL && *p != '\0'; p = next) {
		if ((next = strchr(p, ':')) != NULL)
			*next++ = '\0';
		if (*p == '\0')
			continue;
		json_object_array_add(dirs, json_object_new_string(p));
		/* The named place itself may be a link (/etc/ssl often is). */
		if ((fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0)
			scan_dir(s, fd, p, 1);
		else if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
			scan_file(s, AT_FDCWD, p, p, true, false);
	}
	free(list);
	scan_siblings(e, s, &nsib);

	d = json_object_new_object();
	json_object_object_add(d, "files_examined", json_object_new_int64(s->files));
	json_object_object_add(d, "siblings", json_object_new_int64(nsib));
	json_object_object_add(d, "scanned", dirs);
	json_object_object_add(d, "truncated", json_object_new_boolean(
	    s->truncated || s->too_deep));
	json_object_object_add(d, "links", json_object_get(s->links));
	json_object_object_add(d, "reused_in", json_object_get(s->hits));
	if (s->nhits > 0) {
		used = (size_t)snprintf(what, sizeof(what),
		    "the edge key is also the key of");
		for (i = 0; i < json_object_array_length(s->hits) &&
		    used < sizeof(what); i++)
			used += (size_t)snprintf(what + used, sizeof(what) - used,
			    "%s %s", i ? "," : "", json_object_get_string(
			    json_object_array_get_idx(s->hits, i)));
		if (s->nhits > i && used < sizeof(what))
			snprintf(what + used, sizeof(what) - used, " and %u more",
			    s->nhits - i);
		edge_check_add(f, "key.purpose", EDGE_V_FAIL, d,
		    "give the other use its own key (for SSH: ssh-keygen -t ecdsa -f /etc/ssh/ssh_host_ecdsa_key), or a new edge key: edge-activate --renew --rekey",
		    "%s", what);
	} else if (s->truncated || s->too_deep) {
		edge_check_add(f, "key.purpose", EDGE_V_WARN, d,
		    "name fewer or narrower places: edge-check --scan DIR:DIR",
		    "looked at %u files, stopped at the %s limit (%d files, depth %d): not all of %s was searched",
		    s->files, s->truncated ? "file" : "depth", SCAN_FILES_MAX,
		    SCAN_DEPTH_MAX, e->scan != NULL && *e->scan ? e->scan : "(no --scan)");
	} else if (json_object_array_length(s->links) > 0) {
		edge_check_add(f, "key.purpose", EDGE_V_WARN, d,
		    "make the sibling's file a regular file of its own (or remove the directory)",
		    "%s: a symlink; not followed (%zu sibling file(s) not judged)",
		    json_object_get_string(json_object_array_get_idx(s->links, 0)),
		    json_object_array_length(s->links));
	} else {
		edge_check_add(f, "key.purpose", EDGE_V_OK, d, NULL,
		    "the edge key is used only by this state directory: %u file(s) looked at in %s and %u sibling state director%s",
		    s->files, e->scan != NULL && *e->scan ? e->scan : "(no --scan)",
		    nsib, nsib == 1 ? "y" : "ies");
	}
	json_object_put(s->hits);
	json_object_put(s->links);
	free(s);
}

/* ---- the subject ---- */

static void
check_type(const struct edge_key *key, struct edge_findings *f)
{
	struct edge_error err = { 0 };
	json_object *d = json_object_new_object();
	char desc[32];

	edge_key_describe(key, desc, sizeof(desc));
	json_object_object_add(d, "type", json_object_new_string(
	    key->type == EDGE_KEY_RSA ? "rsa" : "ec"));
	json_object_object_add(d, "bits", json_object_new_int64(key->bits));
	if (key->curve[0] != '\0')
		json_object_object_add(d, "curve",
		    json_object_new_string(key->curve));
	json_object_object_add(d, "key_id", json_object_new_string(key->id));
	if (edge_key_check(key, NULL, &err) != EDGE_OK)
		edge_check_add(f, "key.type", EDGE_V_FAIL, d,
		    "make an RSA-2048 or EC P-256 key: edge-activate --renew --rekey (or edge-keygen --force, then edge-csr and edge-activate)",
		    "%s: %s, the hub accepts RSA of 2048 bits or more, or EC P-256",
		    key->where, desc);
	else
		edge_check_add(f, "key.type", EDGE_V_OK, d, NULL, "%s: %s",
		    key->where, desc);
}

static void
check_match(const struct edge_check_env *e, const struct edge_key *key,
    struct edge_findings *f)
{
	struct edge_certs c = { 0 };
	struct edge_error err = { 0 };
	unsigned char id[64];
	size_t idlen = sizeof(id), i;
	char hex[80] = "sha256:";
	json_object *d;

	if (!edge_file_exists(e->dirfd, EDGE_CERT_FILE)) {
		char fix[EDGE_CHECK_FIX_MAX];

		snprintf(fix, sizeof(fix), "run %s",
		    edge_state_maker(EDGE_CERT_FILE));
		edge_check_add(f, "key.match", EDGE_V_SKIP, NULL, fix,
		    EDGE_CERT_FILE ": none yet; run %s first",
		    edge_state_maker(EDGE_CERT_FILE));
		return;
	}
	if (edge_certs_read(e->dirfd, EDGE_CERT_FILE, &c, &err) != EDGE_OK) {
		edge_check_add(f, "key.match", EDGE_V_FAIL, NULL,
		    "install the edge certificate again: edge-activate", "%s",
		    err.msg);
		return;
	}
	d = json_object_new_object();
	json_object_object_add(d, "key_id", json_object_new_string(key->id));
	if (gnutls_x509_crt_get_key_id(c.crt[0], GNUTLS_KEYID_USE_SHA256, id,
	    &idlen) >= 0) {
		for (i = 0; i < idlen && 7 + 2 * i + 2 < sizeof(hex); i++)
			snprintf(hex + 7 + 2 * i, 3, "%02x", id[i]);
		json_object_object_add(d, "cert_key_id",
		    json_object_new_string(hex));
	}
	if (edge_x509_has_key(c.crt[0], key->pub))
		edge_check_add(f, "key.match", EDGE_V_OK, d, NULL,
		    EDGE_CERT_FILE " is for this key (%s)", key->id);
	else
		edge_check_add(f, "key.match", EDGE_V_FAIL, d,
		    "get a certificate for this key: edge-csr --force, then edge-activate (or put back the key cert.pem was issued for)",
		    EDGE_CERT_FILE " is for another key (%s), not for %s (%s)",
		    hex, key->where, key->id);
	edge_certs_free(&c);
}

void
edge_check_key(const struct edge_check_env *e, struct edge_findings *f)
{
	struct edge_key *key = NULL;
	struct edge_error err = { 0 };
	char *uri = NULL, fix[EDGE_CHECK_FIX_MAX];
	bool token = edge_key_state_in_token(e->dirfd);
	int rc;

	rc = edge_key_locate(e->dirfd, &uri, &key, &err);
	/* key.storage: where the key lives, judged even when unusable. */
	if (token && uri != NULL)
		storage_token(e, uri, f);
	else if (!token && edge_file_exists(e->dirfd, EDGE_KEY_PEM))
		storage_file(e, f);
	else {
		snprintf(fix, sizeof(fix), "run %s",
		    edge_state_maker(EDGE_KEY_PEM));
		edge_check_add(f, "key.storage", EDGE_V_FAIL, NULL,
		    token ? "write one pkcs11: URI in key.uri (edge-keygen -p)" : fix,
		    "%s", err.msg);
	}
	if (rc == EDGE_OK && uri != NULL)
		rc = token_pub(e, uri, &key, &err);
	if (rc != EDGE_OK || key == NULL) {
		/*
		 * A key.pem that is no usable key fails here; a token or key.uri
		 * problem was key.storage's finding already.
		 */
		bool bad_pem = !token && edge_file_exists(e->dirfd, EDGE_KEY_PEM);

		edge_check_add(f, "key.type", bad_pem ? EDGE_V_FAIL : EDGE_V_SKIP,
		    NULL, bad_pem ? "make a new key: edge-keygen --force, then edge-csr and edge-activate" : NULL,
		    "%s", err.msg);
		edge_check_add(f, "key.match", EDGE_V_SKIP, NULL, NULL,
		    "no key to compare with " EDGE_CERT_FILE);
		edge_check_add(f, "key.purpose", EDGE_V_SKIP, NULL, NULL,
		    "no key to look for");
		free(uri);
		return;
	}
	check_type(key, f);
	check_match(e, key, f);
	check_purpose(e, key, f);
	edge_key_free(&key);
	free(uri);
}

/* ---- identity ---- */

void
edge_check_identity(const struct edge_check_env *e, json_object *out)
{
	struct edge_device dev = { 0 };
	struct edge_certs c = { 0 };
	struct edge_error err = { 0 };
	struct edge_key *key = NULL;
	gnutls_pubkey_t pub = NULL;
	unsigned char fp[32];
	size_t fplen = sizeof(fp), i;
	char buf[96], *uri = NULL;

	if (edge_device_load(e->dirfd, &dev, &err) == EDGE_OK) {
		const char *v;

		if ((v = edge_device_get(&dev, EDGE_DEV_DEVICE_KEY)) != NULL)
			json_object_object_add(out, "device_key",
			    json_object_new_string(v));
		if ((v = edge_device_get(&dev, EDGE_DEV_SERIAL)) != NULL)
			json_object_object_add(out, "serial",
			    json_object_new_string(v));
	}
	edge_device_free(&dev);
	if (edge_certs_read(e->dirfd, EDGE_CERT_FILE, &c, &err) == EDGE_OK) {
		if (edge_x509_serial_dec(c.crt[0], buf, sizeof(buf)) == 0)
			json_object_object_add(out, "cert_sn",
			    json_object_new_string(buf));
		if (gnutls_x509_crt_get_fingerprint(c.crt[0], GNUTLS_DIG_SHA256,
		    fp, &fplen) >= 0) {
			for (i = 0; i < fplen && 2 * i + 2 < sizeof(buf); i++)
				snprintf(buf + 2 * i, 3, "%02x", fp[i]);
			json_object_object_add(out, "cert_sha256",
			    json_object_new_string(buf));
		}
	}
	/* The key's id without a PIN: key.pem, a token's public object, cert.pem. */
	if (edge_key_locate(e->dirfd, &uri, &key, &err) == EDGE_OK &&
	    uri != NULL) {
		struct edge_check_env nopin = *e;

		nopin.have_pin = false;
		(void)token_pub(&nopin, uri, &key, &err);
	}
	if (key == NULL && c.n > 0 && gnutls_pubkey_init(&pub) >= 0) {
		if (gnutls_pubkey_import_x509(pub, c.crt[0], 0) >= 0)
			(void)edge_key_from_pubkey(pub, EDGE_CERT_FILE, false,
			    &key, &err);
		gnutls_pubkey_deinit(pub);
	}
	if (key != NULL)
		json_object_object_add(out, "key_id",
		    json_object_new_string(key->id));
	edge_key_free(&key);
	free(uri);
	edge_certs_free(&c);
}
