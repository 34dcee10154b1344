/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <gnutls/pkcs11.h>
#include <p11-kit/p11-kit.h>
#include <p11-kit/uri.h>

#include "edge_p11.h"

static const struct edge_secret *p11_pin;
/* No module loaded, the one of the first key URI, or every registered one. */
static enum { P11_NONE, P11_ONE, P11_ALL } p11_loaded;
static char *p11_module;	/* P11_ONE: its path */
static bool p11_follow_module = true;

static int
pin_callback(void *userdata, int attempt, const char *token_url,
    const char *token_label, unsigned int flags, char *pin, size_t pin_max)
{
	struct edge_secret *asked = NULL;
	const struct edge_secret *use = p11_pin;
	char prompt[256];

	(void)userdata;
	(void)token_url;
	/* Never retry a wrong PIN: repeated failures lock the token. */
	if (attempt > 0 || (flags & GNUTLS_PIN_WRONG))
		return -1;
	if (use == NULL) {
		if (!isatty(STDIN_FILENO))
			return -1;
		snprintf(prompt, sizeof(prompt), "PIN for token %s",
		    token_label ? token_label : "?");
		if (edge_secret_prompt(prompt, &asked, NULL) != EDGE_OK)
			return -1;
		use = asked;
	}
	if (use->len + 1 > pin_max) {
		edge_secret_free(&asked);
		return -1;
	}
	memcpy(pin, use->data, use->len + 1);
	edge_secret_free(&asked);
	return 0;
}

/*
 * Token modules print to stderr on their own: the tabrmd TCTI's GLib
 * "CRITICAL" lines when no resource manager runs, tpm2-pkcs11's "ERROR:"
 * lines after a wrong PIN, whatever TPM2_PKCS11_LOG_LEVEL says.  While a
 * PKCS#11 call runs, stderr is parked on /dev/null (EDGE_P11_DEBUG set: not)
 * and our own one-line error says what went wrong.
 */
static int quiet_depth, quiet_saved = -1;

void
edge_p11_quiet(bool on)
{
	int null;

	if (getenv("EDGE_P11_DEBUG") != NULL)
		return;
	if (on) {
		if (quiet_depth++ > 0)
			return;
		fflush(stderr);
		quiet_saved = dup(STDERR_FILENO);
		null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (quiet_saved >= 0 && null >= 0)
			dup2(null, STDERR_FILENO);
		if (null >= 0)
			close(null);
		return;
	}
	if (quiet_depth == 0 || --quiet_depth > 0)
		return;
	if (quiet_saved >= 0) {
		dup2(quiet_saved, STDERR_FILENO);
		close(quiet_saved);
		quiet_saved = -1;
	}
}

void
edge_p11_quiet_modules(void)
{
	/* tpm2-pkcs11 and the TSS log errors to stderr when no TPM is present. */
	setenv("TPM2_PKCS11_LOG_LEVEL", "0", 0);
	setenv("TSS2_LOG", "all+NONE", 0);
}

/*
 * path, resolved, when it is a module only root or this user can have
 * written: absolute, the file and every directory above it (symbolic links
 * resolved) owned by one of them and not writable by group or others, but
 * for a sticky directory such as /tmp (no one else can rename what is ours
 * in it).  The resolved path is what is loaded: a link swapped after the
 * check is not followed (red team t22r4).  NULL: not trusted.  key.uri comes
 * from a state directory that root may audit (edge-check) while another
 * user owns it: edge_p11_follow_module_path(false) for that, since root
 * could still be made to load any root-owned library (its constructors).
 */
static char *
module_trusted(const char *path)
{
	char *real = path[0] == '/' ? realpath(path, NULL) : NULL;
	char *dir = real != NULL ? strdup(real) : NULL, *slash;
	struct stat st;
	bool ok = dir != NULL && stat(real, &st) == 0 && S_ISREG(st.st_mode);

	/* The file, then each directory above it, up to and with "/". */
	for (;;) {
		ok = ok && (st.st_uid == 0 || st.st_uid == geteuid()) &&
		    ((st.st_mode & 022) == 0 ||
		    (S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX)));
		if (!ok || strcmp(dir, "/") == 0 ||
		    (slash = strrchr(dir, '/')) == NULL)
			break;
		slash[slash == dir ? 1 : 0] = '\0';
		ok = stat(dir, &st) == 0;
	}
	free(dir);
	if (!ok) {
		free(real);
		return NULL;
	}
	return real;
}

void
edge_p11_follow_module_path(bool follow)
{
	p11_follow_module = follow;
}

/* Add every module p11-kit has registered (GNUTLS_PKCS11_FLAG_AUTO's set). */
static void
add_registered(void)
{
	CK_FUNCTION_LIST **mods = p11_kit_modules_load(NULL, 0);
	size_t i;

	for (i = 0; mods != NULL && mods[i] != NULL; i++) {
		char *f = p11_kit_module_get_filename(mods[i]);

		if (f != NULL && (p11_module == NULL || strcmp(f, p11_module) != 0))
			(void)gnutls_pkcs11_add_provider(f, NULL);
		free(f);
	}
	if (mods != NULL)
		p11_kit_modules_release(mods);
	p11_loaded = P11_ALL;
}

/*
 * Load the modules for the key URI want.  GnuTLS's automatic set is every
 * module p11-kit has registered, each started (C_Initialize) in every tool
 * run: with SoftHSM2, OpenSC, tpm2-pkcs11 and p11-kit-trust registered, 8 MB
 * and 6 ms of CPU in each process besides the one the key is in
 * (bench/results R3.6).  A URI with module-path (RFC 7512; edge-keygen
 * writes it into key.uri) loads that module only; without one, when it
 * cannot be loaded (moved by an upgrade) or is not module_trusted(), every
 * registered module, as before.
 * Third-party modules' own logging (tpm2-pkcs11, tss2) is silenced unless
 * the user set its variables, so that a missing TPM does not print noise in
 * every tool.
 */
static int
edge_p11_init(const P11KitUri *want, struct edge_error *err)
{
	const char *named = want != NULL && p11_follow_module ?
	    p11_kit_uri_get_module_path(want) : NULL;
	/* A module not trusted is as none named: every registered one. */
	char *module = named != NULL ? module_trusted(named) : NULL;
	int rc = 0;

	if (p11_loaded == P11_ALL || (p11_loaded == P11_ONE && module != NULL &&
	    strcmp(module, p11_module) == 0)) {
		free(module);
		return EDGE_OK;
	}
	edge_p11_quiet_modules();
	edge_p11_quiet(true);
	if (p11_loaded == P11_NONE && module != NULL &&
	    (rc = gnutls_pkcs11_init(GNUTLS_PKCS11_FLAG_MANUAL, NULL)) >= 0) {
		p11_module = module;
		module = NULL;
		if (gnutls_pkcs11_add_provider(p11_module, NULL) >= 0)
			p11_loaded = P11_ONE;
		else
			add_registered();
	} else if (p11_loaded == P11_NONE && rc >= 0) {
		rc = gnutls_pkcs11_init(GNUTLS_PKCS11_FLAG_AUTO, NULL);
		p11_loaded = rc >= 0 ? P11_ALL : P11_NONE;
	} else if (rc >= 0) {
		add_registered();	/* a key URI of another module, or of none */
	}
	free(module);
	edge_p11_quiet(false);
	if (rc < 0)
		return edge_err(err, EDGE_ESTORE, "PKCS#11: %s",
		    gnutls_strerror(rc));
	gnutls_pkcs11_set_pin_function(pin_callback, NULL);
	return EDGE_OK;
}

/* edge_p11_init for a URI the caller has checked already. */
static int
init_for(const char *uri, struct edge_error *err)
{
	P11KitUri *u = p11_kit_uri_new();
	int rc;

	if (u != NULL && p11_kit_uri_parse(uri, P11_KIT_URI_FOR_ANY, u) !=
	    P11_KIT_URI_OK) {
		p11_kit_uri_free(u);
		u = NULL;
	}
	rc = edge_p11_init(u, err);
	p11_kit_uri_free(u);
	return rc;
}

void
edge_p11_set_pin(const struct edge_secret *pin)
{
	p11_pin = pin;
}

bool
edge_p11_is_uri(const char *s)
{
	return s != NULL && strncmp(s, "pkcs11:", 7) == 0;
}

int
edge_p11_error(struct edge_error *err, int rc, const char *what)
{
	switch (rc) {
	case GNUTLS_E_PKCS11_PIN_ERROR:
	case GNUTLS_E_PKCS11_USER_ERROR:
		return edge_err(err, EDGE_ESTORE, "%s: wrong or missing token PIN",
		    what);
	case GNUTLS_E_PKCS11_PIN_LOCKED:
		return edge_err(err, EDGE_ESTORE, "%s: token PIN is locked", what);
	case GNUTLS_E_PKCS11_PIN_EXPIRED:
		return edge_err(err, EDGE_ESTORE, "%s: token PIN has expired",
		    what);
	case GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE:
	case GNUTLS_E_PKCS11_REQUESTED_OBJECT_NOT_AVAILBLE:
		return edge_err(err, EDGE_ESTORE, "%s: no such object in the token",
		    what);
	default:
		return edge_err(err, EDGE_ESTORE, "%s: %s", what,
		    gnutls_strerror(rc));
	}
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * True when an attribute of s, in its path or its query, is named pin-value
 * however spelled: p11-kit reads only "pin-value" itself and ignores
 * "PIN-VALUE" or "pin-v%61lue", but those carry a PIN all the same.
 */
static bool
has_pin_value(const char *s)
{
	static const char want[] = "pin-value";

	while (*s != '\0') {
		size_t n = strcspn(s, ":;?&"), i, k = 0;
		bool same = true;

		for (i = 0; i < n && s[i] != '='; i++, k++) {
			int c = (unsigned char)s[i], hi, lo;

			if (c == '%' && i + 2 < n && (hi = hexval(s[i + 1])) >= 0 &&
			    (lo = hexval(s[i + 2])) >= 0) {
				c = hi * 16 + lo;
				i += 2;
			}
			if (k >= sizeof(want) - 1 || tolower(c) != want[k])
				same = false;
		}
		if (same && k == sizeof(want) - 1)
			return true;
		s += n;
		if (*s != '\0')
			s++;
	}
	return false;
}

/*
 * Parse uri: given by the user (file NULL: errors are EDGE_EUSAGE) or read
 * from file (EDGE_EINPUT, messages start with the file's name).  Messages
 * show the URI's path only, never its query.
 */
static int
parse_uri(const char *uri, const char *file, P11KitUri **out,
    struct edge_error *err)
{
	int code = file != NULL ? EDGE_EINPUT : EDGE_EUSAGE;
	int path = (int)strcspn(uri, "?");
	P11KitUri *u;
	int rc;

	if (!edge_p11_is_uri(uri))
		return file != NULL ?
		    edge_err(err, code, "%s: not a pkcs11: URI", file) :
		    edge_err(err, code, "%.*s: not a pkcs11: URI", path, uri);
	if ((u = p11_kit_uri_new()) == NULL)
		return edge_err(err, EDGE_EFAIL, "out of memory");
	rc = p11_kit_uri_parse(uri, P11_KIT_URI_FOR_ANY, u);
	if (rc != P11_KIT_URI_OK) {
		p11_kit_uri_free(u);
		return edge_err(err, code, "%s%s%.*s: %s", file ? file : "",
		    file ? ": " : "", path, uri, p11_kit_uri_message(rc));
	}
	*out = u;
	return EDGE_OK;
}

/*
 * A URI that names a key: it parses and carries no pin-value, however
 * spelled; that is checked first, so that no message repeats the PIN.
 */
static int
parse_key_uri(const char *uri, const char *file, P11KitUri **out,
    struct edge_error *err)
{
	*out = NULL;
	if (has_pin_value(uri))
		return file != NULL ?
		    edge_err(err, EDGE_EINPUT,
		    "%s: pin-value would keep the PIN in the file; use --pin or pin-source",
		    file) :
		    edge_err(err, EDGE_EUSAGE,
		    "%s: pin-value would put the PIN on the command line; use --pin or pin-source",
		    "URI");
	return parse_uri(uri, file, out, err);
}

int
edge_p11_check_uri(const char *uri, const char *file, struct edge_error *err)
{
	P11KitUri *u = NULL;
	int rc = parse_key_uri(uri, file, &u, err);

	if (u != NULL)
		p11_kit_uri_free(u);
	return rc;
}

static int
find_token(const char *uri, char **token_url, char **label,
    struct edge_error *err)
{
	P11KitUri *want = NULL, *have = NULL;
	char *url = NULL, *found = NULL;
	CK_ATTRIBUTE_PTR a;
	unsigned seq, matches = 0;
	int rc;

	*token_url = NULL;
	if (label != NULL)
		*label = NULL;
	if ((rc = parse_key_uri(uri, NULL, &want, err)) != EDGE_OK)
		return rc;
	if ((rc = edge_p11_init(want, err)) != EDGE_OK)
		goto out;
	for (seq = 0;; seq++) {
		int g = gnutls_pkcs11_token_get_url(seq,
		    GNUTLS_PKCS11_URL_GENERIC, &url);
		if (g == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (g < 0) {
			rc = edge_p11_error(err, g, "PKCS#11 tokens");
			goto out;
		}
		if ((have = p11_kit_uri_new()) == NULL) {
			rc = edge_err(err, EDGE_EFAIL, "out of memory");
			goto out;
		}
		if (p11_kit_uri_parse(url, P11_KIT_URI_FOR_TOKEN, have) ==
		    P11_KIT_URI_OK &&
		    p11_kit_uri_match_token_info(want,
		    p11_kit_uri_get_token_info(have))) {
			if (matches++ == 0) {
				found = url;
				url = NULL;
			}
		}
		p11_kit_uri_free(have);
		have = NULL;
		gnutls_free(url);
		url = NULL;
	}
	if (matches == 0) {
		rc = edge_err(err, EDGE_ESTORE, "%s: no token matches this URI",
		    uri);
		goto out;
	}
	if (matches > 1) {
		rc = edge_err(err, EDGE_ESTORE,
		    "%s: %u tokens match this URI; add token= or serial=", uri,
		    matches);
		goto out;
	}
	if ((*token_url = strdup(found)) == NULL) {
		rc = edge_err(err, EDGE_EFAIL, "out of memory");
		goto out;
	}
	if (label != NULL && (a = p11_kit_uri_get_attribute(want, CKA_LABEL)) &&
	    a->ulValueLen > 0) {
		if ((*label = strndup(a->pValue, a->ulValueLen)) == NULL) {
			free(*token_url);
			*token_url = NULL;
			rc = edge_err(err, EDGE_EFAIL, "out of memory");
			goto out;
		}
	}
	rc = EDGE_OK;
out:
	gnutls_free(found);
	gnutls_free(url);
	p11_kit_uri_free(want);
	return rc;
}

int
edge_p11_find_token(const char *uri, char **token_url, char **label,
    struct edge_error *err)
{
	int rc;

	edge_p11_quiet(true);
	rc = find_token(uri, token_url, label, err);
	edge_p11_quiet(false);
	return rc;
}

/* A token URI plus object attributes, formatted by p11-kit. */
static int
object_uri(const char *token_url, const char *label, const unsigned char *id,
    size_t idlen, const char *pin_source, char **out, struct edge_error *err)
{
	CK_ATTRIBUTE attr;
	char module[4096];
	size_t mlen = sizeof(module);
	P11KitUri *u;
	char *s = NULL;
	int rc;

	*out = NULL;
	if ((u = p11_kit_uri_new()) == NULL)
		return edge_err(err, EDGE_EFAIL, "out of memory");
	if (p11_kit_uri_parse(token_url, P11_KIT_URI_FOR_TOKEN, u) !=
	    P11_KIT_URI_OK) {
		rc = edge_err(err, EDGE_EFAIL, "%s: cannot parse token URL",
		    token_url);
		goto out;
	}
	attr.type = CKA_LABEL;
	attr.pValue = (void *)label;
	attr.ulValueLen = strlen(label);
	p11_kit_uri_set_attribute(u, &attr);
	if (id != NULL) {
		attr.type = CKA_ID;
		attr.pValue = (void *)id;
		attr.ulValueLen = idlen;
		p11_kit_uri_set_attribute(u, &attr);
	}
	if (pin_source != NULL)
		p11_kit_uri_set_pin_source(u, pin_source);
	/* The module the token is in, so that the tools load only that one. */
	if (gnutls_pkcs11_token_get_info(token_url, GNUTLS_PKCS11_TOKEN_MODNAME,
	    module, &mlen) >= 0 && module[0] == '/')
		p11_kit_uri_set_module_path(u, module);
	if (p11_kit_uri_format(u, P11_KIT_URI_FOR_OBJECT_ON_TOKEN, &s) !=
	    P11_KIT_URI_OK) {
		rc = edge_err(err, EDGE_EFAIL, "cannot format a pkcs11: URI");
		goto out;
	}
	*out = s;
	rc = EDGE_OK;
out:
	p11_kit_uri_free(u);
	return rc;
}

int
edge_p11_label_uri(const char *token_url, const char *label, char **uri,
    struct edge_error *err)
{
	return object_uri(token_url, label, NULL, 0, NULL, uri, err);
}

/* Whether the token's module is tpm2-pkcs11 (libtpm2_pkcs11.so). */
static bool
is_tpm2_pkcs11(const char *token_url)
{
	char mod[256];
	size_t len = sizeof(mod);

	if (gnutls_pkcs11_token_get_info(token_url, GNUTLS_PKCS11_TOKEN_MODNAME,
	    mod, &len) < 0)
		return false;
	return strstr(mod, "libtpm2_pkcs11") != NULL;
}

static int
generate(const char *token_url, const char *label, int pk_algo,
    unsigned pk_bits, const char *pin_source, char **key_uri,
    struct edge_error *err)
{
	unsigned char id[16];
	gnutls_datum_t cid = { id, sizeof(id) }, pub = { NULL, 0 };
	unsigned usage = GNUTLS_KEY_DIGITAL_SIGNATURE;
	int g;

	*key_uri = NULL;
	if ((g = gnutls_rnd(GNUTLS_RND_NONCE, id, sizeof(id))) < 0)
		return edge_err(err, EDGE_EFAIL, "random: %s", gnutls_strerror(g));
	/*
	 * Sensitive and never extractable: the private key cannot leave the
	 * token.  Signature only: the authentication key is used for nothing
	 * else (no decryption, no wrapping) -- except in tpm2-pkcs11, which
	 * makes PKCS#1 v1.5 signatures (CKM_RSA_PKCS, what GnuTLS asks for) as
	 * raw RSA with the TPM's decrypt operation and ties CKA_VERIFY to
	 * CKA_DECRYPT: a sign-only RSA template fails there ("attr mismatch
	 * 0x10a"), so RSA keys in a TPM get CKA_DECRYPT too.
	 */
	if (pk_algo == GNUTLS_PK_RSA && is_tpm2_pkcs11(token_url))
		usage |= GNUTLS_KEY_DECIPHER_ONLY;
	g = gnutls_pkcs11_privkey_generate3(token_url, (gnutls_pk_algorithm_t)pk_algo,
	    pk_bits, label, &cid, GNUTLS_X509_FMT_DER, &pub, usage,
	    GNUTLS_PKCS11_OBJ_FLAG_LOGIN | GNUTLS_PKCS11_OBJ_FLAG_MARK_SENSITIVE |
	    GNUTLS_PKCS11_OBJ_FLAG_MARK_PRIVATE);
	gnutls_free(pub.data);
	if (g < 0)
		return edge_p11_error(err, g, "key generation in the token");
	return object_uri(token_url, label, id, sizeof(id), pin_source, key_uri,
	    err);
}

int
edge_p11_generate(const char *token_url, const char *label, int pk_algo,
    unsigned pk_bits, const char *pin_source, char **key_uri,
    struct edge_error *err)
{
	int rc;

	edge_p11_quiet(true);
	rc = generate(token_url, label, pk_algo, pk_bits, pin_source, key_uri,
	    err);
	edge_p11_quiet(false);
	return rc;
}

static int
count_privkeys(const char *uri, unsigned *count,
    struct edge_error *err)
{
	gnutls_pkcs11_obj_t *objs = NULL;
	unsigned n = 0, i;
	int g, rc;

	*count = 0;
	if ((rc = init_for(uri, err)) != EDGE_OK)
		return rc;
	g = gnutls_pkcs11_obj_list_import_url4(&objs, &n, uri,
	    GNUTLS_PKCS11_OBJ_FLAG_PRIVKEY | GNUTLS_PKCS11_OBJ_FLAG_LOGIN);
	if (g < 0 && g != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
		return edge_p11_error(err, g, "token");
	for (i = 0; i < n; i++)
		gnutls_pkcs11_obj_deinit(objs[i]);
	gnutls_free(objs);
	*count = n;
	return EDGE_OK;
}

int
edge_p11_count_privkeys(const char *uri, unsigned *count,
    struct edge_error *err)
{
	int rc;

	edge_p11_quiet(true);
	rc = count_privkeys(uri, count, err);
	edge_p11_quiet(false);
	return rc;
}

/* The CKA_ID of a URI, or an empty attribute. */
static CK_ATTRIBUTE
uri_id(P11KitUri *u)
{
	CK_ATTRIBUTE none = { CKA_ID, NULL, 0 };
	CK_ATTRIBUTE_PTR a = p11_kit_uri_get_attribute(u, CKA_ID);

	return a ? *a : none;
}

static int
delete_objects(const char *uri, const char *keep_uri, unsigned *deleted,
    struct edge_error *err)
{
	gnutls_pkcs11_obj_t *objs = NULL;
	P11KitUri *keep = NULL, *obj = NULL;
	unsigned n = 0, i;
	int g, rc;

	*deleted = 0;
	if ((rc = init_for(uri, err)) != EDGE_OK)
		return rc;
	if (keep_uri != NULL && (rc = parse_uri(keep_uri, NULL, &keep, err)) != EDGE_OK)
		return rc;
	g = gnutls_pkcs11_obj_list_import_url4(&objs, &n, uri,
	    GNUTLS_PKCS11_OBJ_FLAG_LOGIN);
	if (g < 0 && g != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
		rc = edge_p11_error(err, g, "token");
		goto out;
	}
	for (i = 0; i < n; i++) {
		char *url = NULL;

		g = gnutls_pkcs11_obj_export_url(objs[i],
		    GNUTLS_PKCS11_URL_GENERIC, &url);
		if (g < 0) {
			rc = edge_p11_error(err, g, "token object");
			goto out;
		}
		if (keep != NULL) {
			CK_ATTRIBUTE a, b;
			bool same;

			if ((obj = p11_kit_uri_new()) == NULL ||
			    p11_kit_uri_parse(url, P11_KIT_URI_FOR_ANY, obj) !=
			    P11_KIT_URI_OK) {
				gnutls_free(url);
				rc = edge_err(err, EDGE_EFAIL,
				    "cannot parse an object URL");
				goto out;
			}
			a = uri_id(keep);
			b = uri_id(obj);
			same = a.ulValueLen == b.ulValueLen &&
			    (a.ulValueLen == 0 || (a.pValue != NULL &&
			    b.pValue != NULL &&
			    memcmp(a.pValue, b.pValue, a.ulValueLen) == 0));
			p11_kit_uri_free(obj);
			obj = NULL;
			if (same) {
				gnutls_free(url);
				continue;
			}
		}
		g = gnutls_pkcs11_delete_url(url, GNUTLS_PKCS11_OBJ_FLAG_LOGIN);
		gnutls_free(url);
		if (g < 0) {
			rc = edge_p11_error(err, g, "deleting a token object");
			goto out;
		}
		(*deleted) += (unsigned)g;
	}
	rc = EDGE_OK;
out:
	for (i = 0; i < n; i++)
		gnutls_pkcs11_obj_deinit(objs[i]);
	gnutls_free(objs);
	p11_kit_uri_free(keep);
	return rc;
}

int
edge_p11_delete(const char *uri, const char *keep_uri, unsigned *deleted,
    struct edge_error *err)
{
	int rc;

	edge_p11_quiet(true);
	rc = delete_objects(uri, keep_uri, deleted, err);
	edge_p11_quiet(false);
	return rc;
}
