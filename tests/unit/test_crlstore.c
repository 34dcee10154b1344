/* SPDX-License-Identifier: MIT */
/*
 * lib/edge_crlstore: crl.pem with several roots' CRLs, made here with
 * GnuTLS: per-root replacement on install, rollback state per root, a root
 * replaced by another of the same name (its old CRL dropped as forged), a
 * CRL of a root no longer trusted dropped on the next install, hostile and
 * truncated files, revocation lookups with several CRLs of one root, the
 * staleness policy and --crl-grace, the hub's chain under that policy
 * (edge_crls_hub_chain, edge_crls_load_hub).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "edge_crlstore.h"
#include "edge_time.h"
#include "edge_file.h"

#include "testdir.h"

enum { A, B, A2, NCA };		/* A2: another "Root A", another key */
static gnutls_x509_crt_t ca[NCA];
static gnutls_x509_privkey_t ca_key[NCA];
static time_t now;

static gnutls_x509_privkey_t
new_key(void)
{
	gnutls_x509_privkey_t k;

	assert_int_equal(gnutls_x509_privkey_init(&k), 0);
	assert_int_equal(gnutls_x509_privkey_generate(k, GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0), 0);
	return k;
}

/* A certificate: a CA when issuer is NULL (self-signed), else a leaf. */
static gnutls_x509_crt_t
make_crt(const char *dn, unsigned char serial, gnutls_x509_privkey_t key,
    gnutls_x509_crt_t issuer, gnutls_x509_privkey_t issuer_key)
{
	gnutls_x509_crt_t c;

	assert_int_equal(gnutls_x509_crt_init(&c), 0);
	gnutls_x509_crt_set_version(c, 3);
	gnutls_x509_crt_set_serial(c, &serial, 1);
	assert_int_equal(gnutls_x509_crt_set_dn(c, dn, NULL), 0);
	gnutls_x509_crt_set_key(c, key);
	gnutls_x509_crt_set_activation_time(c, now - 600);
	gnutls_x509_crt_set_expiration_time(c, now + 86400);
	if (issuer == NULL) {
		gnutls_x509_crt_set_basic_constraints(c, 1, -1);
		gnutls_x509_crt_set_key_usage(c, GNUTLS_KEY_KEY_CERT_SIGN |
		    GNUTLS_KEY_CRL_SIGN);
		assert_int_equal(gnutls_x509_crt_sign2(c, c, key,
		    GNUTLS_DIG_SHA256, 0), 0);
	} else {
		assert_int_equal(gnutls_x509_crt_sign2(c, issuer, issuer_key,
		    GNUTLS_DIG_SHA256, 0), 0);
	}
	return c;
}

static int
setup(void **state)
{
	(void)state;
	now = time(NULL);
	ca_key[A] = new_key();
	ca_key[B] = new_key();
	ca_key[A2] = new_key();
	ca[A] = make_crt("CN=Root A,O=EnOS", 1, ca_key[A], NULL, NULL);
	ca[B] = make_crt("CN=Root B,O=EnOS", 2, ca_key[B], NULL, NULL);
	ca[A2] = make_crt("CN=Root A,O=EnOS", 3, ca_key[A2], NULL, NULL);
	return testdir_make("/tmp/edge-test-crlstore.XXXXXX");
}

static int
teardown(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < NCA; i++) {
		gnutls_x509_crt_deinit(ca[i]);
		gnutls_x509_privkey_deinit(ca_key[i]);
	}
	return testdir_remove();
}

static int
clean(void **state)
{
	(void)state;
	(void)unlinkat(dfd, "crl.pem", 0);
	(void)unlinkat(dfd, "crl.pem", AT_REMOVEDIR);
	(void)unlinkat(dfd, "ca.pem", 0);
	(void)unlinkat(dfd, "cert.pem", 0);
	return 0;
}

/*
 * A CRL of root r, number n, thisUpdate now + age, listing the one-byte
 * serials of the NUL-terminated string serials; PEM, caller frees with
 * gnutls_free.
 */
static gnutls_datum_t
make_crl(int r, unsigned char n, long age, const char *serials,
    gnutls_x509_crt_fmt_t fmt)
{
	gnutls_x509_crl_t crl;
	gnutls_datum_t out;
	unsigned char num[2] = { 0, n };

	assert_int_equal(gnutls_x509_crl_init(&crl), 0);
	gnutls_x509_crl_set_version(crl, 2);
	gnutls_x509_crl_set_this_update(crl, now + age);
	gnutls_x509_crl_set_next_update(crl, now + 3600);
	for (; *serials != '\0'; serials++)
		gnutls_x509_crl_set_crt_serial(crl, serials, 1, now - 100);
	gnutls_x509_crl_set_number(crl, num, sizeof(num));
	assert_int_equal(gnutls_x509_crl_sign2(crl, ca[r], ca_key[r],
	    GNUTLS_DIG_SHA256, 0), 0);
	assert_int_equal(gnutls_x509_crl_export2(crl, fmt, &out), 0);
	gnutls_x509_crl_deinit(crl);
	return out;
}

/* A set of one CRL of root r (index ri in the caller's roots). */
static void
one(struct edge_crls *s, int r, int ri, unsigned char n)
{
	struct edge_error err = { 0 };
	gnutls_datum_t d = make_crl(r, n, 0, "", GNUTLS_X509_FMT_PEM);
	char *buf = malloc(d.size);

	assert_non_null(buf);
	memcpy(buf, d.data, d.size);
	assert_int_equal(edge_crls_parse(buf, d.size, "new", s, &err), EDGE_OK);
	assert_int_equal(s->n, 1);
	assert_int_equal(s->root[0], -1);
	s->root[0] = ri;
	gnutls_free(d.data);
}

static void
put(const char *name, const void *data, size_t len)
{
	struct edge_error err = { 0 };

	assert_int_equal(edge_file_write_atomic(dfd, name, data, len,
	    EDGE_MODE_PUBLIC, &err), EDGE_OK);
}

static char *
get(const char *name)
{
	char *buf = NULL;
	size_t len;

	assert_int_equal(edge_file_read(dfd, name, EDGE_FILE_MAX, &buf, &len,
	    NULL), EDGE_OK);
	return buf;
}

static int
count(const char *hay, const char *needle)
{
	int n = 0;

	for (; (hay = strstr(hay, needle)) != NULL; hay++)
		n++;
	return n;
}

static const char *
number_of(const struct edge_crls *s, int r)
{
	const struct edge_crl *c = edge_crls_of_root(s, r);

	return c != NULL ? c->facts.number : "(none)";
}

static void
test_install_per_root(void **state)
{
	struct edge_error err = { 0 };
	gnutls_x509_crt_t ab[2] = { ca[A], ca[B] }, a2b[2] = { ca[A2], ca[B] };
	gnutls_x509_crt_t bonly[1] = { ca[B] };
	struct edge_certs roots = { ab, 2 }, roots2 = { a2b, 2 }, roots3 = { bonly, 1 };
	struct edge_crls have, add;
	char *text;

	(void)state;
	/* No crl.pem yet: an empty set. */
	assert_int_equal(edge_crls_load(dfd, "crl.pem", &roots, &have, &err), EDGE_OK);
	assert_int_equal(have.n, 0);
	assert_int_equal(have.dropped, 0);
	assert_null(edge_crls_of_root(&have, 0));

	one(&add, A, 0, 1);
	assert_int_equal(edge_crls_install(dfd, "crl.pem", &have, &add, &err), EDGE_OK);
	edge_crls_free(&add);
	edge_crls_free(&have);
	assert_int_equal(edge_crls_load(dfd, "crl.pem", &roots, &have, &err), EDGE_OK);
	assert_int_equal(have.n, 1);
	assert_int_equal(have.root[0], 0);
	assert_string_equal(number_of(&have, 0), "1");

	/* Root B's CRL joins; A's stays. */
	one(&add, B, 1, 5);
	assert_int_equal(edge_crls_install(dfd, "crl.pem", &have, &add, &err), EDGE_OK);
	edge_crls_free(&add);
	edge_crls_free(&have);
	assert_int_equal(edge_crls_load(dfd, "crl.pem", &roots, &have, &err), EDGE_OK);
	assert_int_equal(have.n, 2);
	assert_string_equal(number_of(&have, 0), "1");
	assert_string_equal(number_of(&have, 1), "5");

	/* A new CRL of A replaces A's only: rollback state stays per root. */
	one(&add, A, 0, 2);
	assert_int_equal(edge_crls_install(dfd, "crl.pem", &have, &add, &err), EDGE_OK);
	edge_crls_free(&add);
	edge_crls_free(&have);
	{
		struct stat st;

		assert_int_equal(fstatat(dfd, "crl.pem", &st, AT_SYMLINK_NOFOLLOW), 0);
		assert_int_equal(st.st_mode & 07777, 0644);
	}
	text = get("crl.pem");
	assert_int_equal(count(text, "-----BEGIN X509 CRL-----"), 2);
	assert_int_equal(count(text, "# edgecert-crl number=2 this-update="), 1);
	assert_int_equal(count(text, "# edgecert-crl number=5 this-update="), 1);
	assert_int_equal(count(text, "number=1 "), 0);
	free(text);
	assert_int_equal(edge_crls_load(dfd, "crl.pem", &roots, &have, &err), EDGE_OK);
	assert_int_equal(have.n, 2);
	assert_int_equal(have.dropped, 0);
	assert_int_equal(edge_crls_strict(&have, &err), EDGE_OK);
	assert_string_equal(number_of(&have, 0), "2");
	assert_string_equal(number_of(&have, 1), "5");
	edge_crls_free(&have);

	/*
	 * Root A replaced by another key of the same name: A's stored CRL no
	 * longer verifies and is dropped (forged), B's keeps its place.
	 */
	assert_int_equal(edge_crls_load(dfd, "crl.pem", &roots2, &have, &err), EDGE_OK);
	assert_int_equal(have.n, 1);
	assert_int_equal(have.dropped, 1);
	assert_int_equal(have.bad.code, EDGE_ETRUST);
	assert_int_equal(edge_crls_strict(&have, &err), EDGE_ETRUST);
	assert_non_null(strstr(err.msg, "does not verify"));
	assert_null(edge_crls_of_root(&have, 0));
	assert_string_equal(number_of(&have, 1), "5");
	/* The new root's CRL is not "older" than the dropped one: number 1. */
	one(&add, A2, 0, 1);
	assert_int_equal(edge_crls_install(dfd, "crl.pem", &have, &add, &err), EDGE_OK);
	edge_crls_free(&add);
	edge_crls_free(&have);
	assert_int_equal(edge_crls_load(dfd, "crl.pem", &roots2, &have, &err), EDGE_OK);
	assert_int_equal(have.n, 2);
	assert_int_equal(have.dropped, 0);
	assert_string_equal(number_of(&have, 0), "1");
	assert_string_equal(number_of(&have, 1), "5");
	edge_crls_free(&have);

	/*
	 * Root A no longer trusted at all: its CRL loads (no root: kept,
	 * root -1, not a forgery) and the next install drops it.
	 */
	assert_int_equal(edge_crls_load(dfd, "crl.pem", &roots3, &have, &err), EDGE_OK);
	assert_int_equal(have.n, 2);
	assert_int_equal(have.dropped, 0);
	assert_true((have.root[0] == -1 && have.root[1] == 0) ||
	    (have.root[0] == 0 && have.root[1] == -1));
	one(&add, B, 0, 6);
	assert_int_equal(edge_crls_install(dfd, "crl.pem", &have, &add, &err), EDGE_OK);
	edge_crls_free(&add);
	edge_crls_free(&have);
	text = get("crl.pem");
	assert_int_equal(count(text, "-----BEGIN X509 CRL-----"), 1);
	assert_int_equal(count(text, "# edgecert-crl number=6 "), 1);
	free(text);
}

/* The text of PEM CRLs, concatenated, each after a comment line as stored. */
static char *
cat_pem(const gnutls_datum_t *d, size_t n, size_t *len)
{
	char *buf = NULL;
	size_t i, sz = 0;
	FILE *f = open_memstream(&buf, &sz);

	assert_non_null(f);
	for (i = 0; i < n; i++) {
		fprintf(f, "# edgecert-crl number=%zu\n", i);
		fwrite(d[i].data, 1, d[i].size, f);
	}
	fclose(f);
	*len = sz;
	return buf;
}

static void
test_load_hostile(void **state)
{
	static const char junk_block[] =
	    "-----BEGIN X509 CRL-----\nMAMCAQA=\n-----END X509 CRL-----\n";
	struct edge_error err = { 0 };
	gnutls_x509_crt_t ab[2] = { ca[A], ca[B] };
	struct edge_certs roots = { ab, 2 };
	gnutls_datum_t d[2], der;
	struct edge_crls s;
	char *text, *mixed, *copy;
	size_t len, i;

	(void)state;
	d[0] = make_crl(A, 3, 0, "\x11", GNUTLS_X509_FMT_PEM);
	d[1] = make_crl(B, 4, 0, "", GNUTLS_X509_FMT_PEM);
	text = cat_pem(d, 2, &len);

	/* A block that is not a CRL is dropped, the others stay. */
	mixed = malloc(len + sizeof(junk_block));
	assert_non_null(mixed);
	memcpy(mixed, junk_block, sizeof(junk_block) - 1);
	memcpy(mixed + sizeof(junk_block) - 1, text, len);
	put("crl.pem", mixed, len + sizeof(junk_block) - 1);
	assert_int_equal(edge_crls_load(dfd, "crl.pem", &roots, &s, &err), EDGE_OK);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.dropped, 1);
	assert_int_equal(s.bad.code, EDGE_EINPUT);
	assert_int_equal(edge_crls_strict(&s, &err), EDGE_EINPUT);
	assert_string_equal(number_of(&s, 0), "3");
	assert_string_equal(number_of(&s, 1), "4");
	edge_crls_free(&s);
	/* What edge-crl-update takes in is not lenient: the whole set fails. */
	copy = malloc(len + sizeof(junk_block));
	memcpy(copy, mixed, len + sizeof(junk_block) - 1);
	assert_int_equal(edge_crls_parse(copy, len + sizeof(junk_block) - 1, "in",
	    &s, &err), EDGE_EINPUT);
	assert_int_equal(s.n, 0);
	assert_null(s.c);
	free(mixed);

	/* Every truncation: an error or fewer CRLs, never a crash or a half CRL. */
	for (i = 0; i < len; i += 13) {
		int rc;

		put("crl.pem", text, i);
		rc = edge_crls_load(dfd, "crl.pem", &roots, &s, &err);
		if (rc == EDGE_OK) {
			assert_true(s.n <= 1);
			assert_true(s.n + s.dropped <= 2);
			edge_crls_free(&s);
		} else {
			assert_int_equal(rc, EDGE_EINPUT);
			assert_int_equal(s.n, 0);
		}
	}
	/* Cut inside the second block: its end line is missing. */
	put("crl.pem", text, len - 30);
	assert_int_equal(edge_crls_load(dfd, "crl.pem", &roots, &s, &err), EDGE_EINPUT);
	assert_string_equal(err.msg, "crl.pem: PEM block without an end line");
	/* Only comments, or empty: no CRL. */
	put("crl.pem", "# edgecert-crl number=1\n", 24);
	assert_int_equal(edge_crls_load(dfd, "crl.pem", &roots, &s, &err), EDGE_EINPUT);
	put("crl.pem", "", 0);
	assert_int_equal(edge_crls_load(dfd, "crl.pem", &roots, &s, &err), EDGE_EINPUT);
	/* A bare DER CRL, as some tools write it, is read. */
	der = make_crl(B, 9, 0, "", GNUTLS_X509_FMT_DER);
	put("crl.pem", der.data, der.size);
	assert_int_equal(edge_crls_load(dfd, "crl.pem", &roots, &s, &err), EDGE_OK);
	assert_int_equal(s.n, 1);
	assert_string_equal(number_of(&s, 1), "9");
	edge_crls_free(&s);
	/* A crl.pem that cannot be read is an error, not an empty set. */
	assert_int_equal(unlinkat(dfd, "crl.pem", 0), 0);
	assert_int_equal(mkdirat(dfd, "crl.pem", 0755), 0);
	assert_int_not_equal(edge_crls_load(dfd, "crl.pem", &roots, &s, &err), EDGE_OK);
	/* ... and an install refuses to replace it, leaving it as it was. */
	one(&s, B, 1, 10);
	assert_int_equal(edge_crls_install(dfd, "crl.pem", NULL, &s, &err), EDGE_ESTORE);
	edge_crls_free(&s);
	{
		struct stat st;

		assert_int_equal(fstatat(dfd, "crl.pem", &st, AT_SYMLINK_NOFOLLOW), 0);
		assert_true(S_ISDIR(st.st_mode));
	}
	gnutls_free(der.data);
	gnutls_free(d[0].data);
	gnutls_free(d[1].data);
	free(text);
}

/* Several CRLs of one root (a hand-made crl.pem), and another root's. */
static void
test_cert_status(void **state)
{
	struct edge_error err = { 0 };
	gnutls_x509_crt_t ab[2] = { ca[A], ca[B] };
	struct edge_certs roots = { ab, 2 };
	gnutls_x509_privkey_t lk = new_key();
	gnutls_x509_crt_t l11, l22, l44, lb, lforeign;
	const struct edge_crl *newest;
	gnutls_datum_t d[3];
	struct edge_crls s;
	bool revoked;
	time_t when;
	int reason;
	char *text;
	size_t len;

	(void)state;
	l11 = make_crt("CN=dev11", 0x11, lk, ca[A], ca_key[A]);
	l22 = make_crt("CN=dev22", 0x22, lk, ca[A], ca_key[A]);
	l44 = make_crt("CN=dev44", 0x44, lk, ca[A], ca_key[A]);
	lb = make_crt("CN=devB", 0x11, lk, ca[B], ca_key[B]);
	/* Issued by the other "Root A": A's CRLs do not speak for it. */
	lforeign = make_crt("CN=devX", 0x11, lk, ca[A2], ca_key[A2]);
	/* Older A (number 1) lists 0x11; newer A (number 2) lists 0x22 only. */
	d[0] = make_crl(A, 2, -10, "\x22", GNUTLS_X509_FMT_PEM);
	d[1] = make_crl(A, 1, -50, "\x11", GNUTLS_X509_FMT_PEM);
	d[2] = make_crl(B, 7, 0, "\x33", GNUTLS_X509_FMT_PEM);
	text = cat_pem(d, 3, &len);
	put("crl.pem", text, len);
	assert_int_equal(edge_crls_load(dfd, "crl.pem", &roots, &s, &err), EDGE_OK);
	assert_int_equal(s.n, 3);
	/* Rollback is judged against the newest of a root, wherever it is. */
	assert_string_equal(number_of(&s, 0), "2");
	assert_string_equal(number_of(&s, 1), "7");

	/* Listed by any of them: revoked (the older one lists it here). */
	assert_int_equal(edge_crls_cert_status(&s, &roots, l11, "c", &newest,
	    &revoked, &when, &reason, &err), EDGE_OK);
	assert_true(revoked);
	assert_int_equal(when, now - 100);
	assert_int_equal(reason, -1);
	assert_non_null(newest);
	assert_string_equal(newest->facts.number, "2");
	assert_int_equal(edge_crls_cert_status(&s, &roots, l22, "c", &newest,
	    &revoked, &when, NULL, &err), EDGE_OK);
	assert_true(revoked);
	assert_string_equal(newest->facts.number, "2");
	assert_int_equal(edge_crls_cert_status(&s, &roots, l44, "c", &newest,
	    &revoked, &when, &reason, &err), EDGE_OK);
	assert_false(revoked);
	assert_int_equal(when, 0);
	assert_string_equal(newest->facts.number, "2");
	/* Same serial 0x11 under root B: B's CRL lists only 0x33. */
	assert_int_equal(edge_crls_cert_status(&s, &roots, lb, "c", &newest,
	    &revoked, &when, &reason, &err), EDGE_OK);
	assert_false(revoked);
	assert_string_equal(newest->facts.number, "7");
	/* No CRL speaks for a certificate of the same-named other root. */
	assert_int_equal(edge_crls_cert_status(&s, &roots, lforeign, "c", &newest,
	    &revoked, &when, &reason, &err), EDGE_OK);
	assert_false(revoked);
	assert_null(newest);
	edge_crls_free(&s);

	/* The same through the state directory (ca.pem, crl.pem, a cert file). */
	{
		gnutls_datum_t pa, pb, pc;
		char sn[64] = "", *both;

		assert_int_equal(gnutls_x509_crt_export2(ca[A], GNUTLS_X509_FMT_PEM, &pa), 0);
		assert_int_equal(gnutls_x509_crt_export2(ca[B], GNUTLS_X509_FMT_PEM, &pb), 0);
		both = malloc(pa.size + pb.size);
		memcpy(both, pa.data, pa.size);
		memcpy(both + pa.size, pb.data, pb.size);
		put("ca.pem", both, pa.size + pb.size);
		free(both);
		assert_int_equal(gnutls_x509_crt_export2(l11, GNUTLS_X509_FMT_PEM, &pc), 0);
		put("cert.pem", pc.data, pc.size);
		assert_int_equal(edge_crl_cert_revoked(dfd, "cert.pem", &revoked, sn,
		    sizeof(sn), &when, &err), EDGE_OK);
		assert_true(revoked);
		assert_string_equal(sn, "17");
		assert_int_equal(when, now - 100);
		gnutls_free(pc.data);
		assert_int_equal(gnutls_x509_crt_export2(l44, GNUTLS_X509_FMT_PEM, &pc), 0);
		put("cert.pem", pc.data, pc.size);
		assert_int_equal(edge_crl_cert_revoked(dfd, "cert.pem", &revoked, sn,
		    sizeof(sn), &when, &err), EDGE_OK);
		assert_false(revoked);
		gnutls_free(pc.data);
		/* No CRL of its issuer: an error, not "not revoked". */
		assert_int_equal(gnutls_x509_crt_export2(lforeign, GNUTLS_X509_FMT_PEM, &pc), 0);
		put("cert.pem", pc.data, pc.size);
		revoked = true;
		assert_int_equal(edge_crl_cert_revoked(dfd, "cert.pem", &revoked, sn,
		    sizeof(sn), &when, &err), EDGE_ETRUST);
		assert_false(revoked);
		assert_string_equal(err.msg, "crl.pem: no CRL of the issuer of cert.pem");
		gnutls_free(pc.data);
		/* A tampered crl.pem answers nothing (readers are strict). */
		text[len - 40] = text[len - 40] == 'A' ? 'B' : 'A';
		put("crl.pem", text, len);
		assert_int_equal(gnutls_x509_crt_export2(l11, GNUTLS_X509_FMT_PEM, &pc), 0);
		put("cert.pem", pc.data, pc.size);
		assert_int_not_equal(edge_crl_cert_revoked(dfd, "cert.pem", &revoked,
		    sn, sizeof(sn), &when, &err), EDGE_OK);
		gnutls_free(pc.data);
		gnutls_free(pa.data);
		gnutls_free(pb.data);
	}
	free(text);
	gnutls_free(d[0].data);
	gnutls_free(d[1].data);
	gnutls_free(d[2].data);
	gnutls_x509_crt_deinit(l11);
	gnutls_x509_crt_deinit(l22);
	gnutls_x509_crt_deinit(l44);
	gnutls_x509_crt_deinit(lb);
	gnutls_x509_crt_deinit(lforeign);
	gnutls_x509_privkey_deinit(lk);
}

static void
test_fresh_and_grace(void **state)
{
	struct edge_error err = { 0 };
	struct edge_crl c;
	bool stale = true;

	(void)state;
	memset(&c, 0, sizeof(c));
	/* No nextUpdate: never stale. */
	assert_int_equal(edge_crl_fresh(&c, 2000000000, 0, "crl.pem", &stale, &err), EDGE_OK);
	assert_false(stale);
	c.next_update = 1000000;
	assert_int_equal(edge_crl_fresh(&c, 1000000, 0, "crl.pem", &stale, &err), EDGE_OK);
	assert_false(stale);
	assert_int_equal(edge_crl_fresh(&c, 1000000 + 86400, 86400, "crl.pem",
	    &stale, &err), EDGE_OK);
	assert_true(stale);
	assert_int_equal(edge_crl_fresh(&c, 1000000 + 86401, 86400, "crl.pem",
	    &stale, &err), EDGE_ETRUST);
	assert_false(stale);
	assert_non_null(strstr(err.msg, "crl.pem: stale CRL: nextUpdate "));
	assert_non_null(strstr(err.msg, "grace of 86400s"));
	assert_int_equal(edge_crl_fresh(&c, 1000001, 0, "crl.pem", &stale, &err),
	    EDGE_ETRUST);
}

/* Usable from thisUpdate less EDGE_TIME_TOLERANCE: a clock a little behind. */
static void
test_not_yet_valid(void **state)
{
	struct edge_error err = { 0 };
	struct edge_crl c;
	bool stale = true;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.facts.this_update = 1000000;
	c.next_update = 1000000 + 86400;
	assert_int_equal(edge_crl_started(&c, 1000000 - 1800, "crl.pem", &err),
	    EDGE_OK);
	assert_int_equal(edge_crl_fresh(&c, 1000000 - EDGE_TIME_TOLERANCE, 0,
	    "crl.pem", &stale, &err), EDGE_OK);
	assert_false(stale);
	assert_int_equal(edge_crl_started(&c, 1000000 - EDGE_TIME_TOLERANCE - 1,
	    "in.crl", &err), EDGE_ETRUST);
	assert_non_null(strstr(err.msg, "in.crl: not yet valid: issued in the future"));
	stale = true;
	assert_int_equal(edge_crl_fresh(&c, 1000000 - 7200, 86400, "crl.pem",
	    &stale, &err), EDGE_ETRUST);
	assert_false(stale);
	assert_non_null(strstr(err.msg, "crl.pem: not yet valid"));
}

/* A set of one CRL of root r (index ri), listing serials. */
static void
one_listing(struct edge_crls *s, int r, int ri, const char *serials)
{
	struct edge_error err = { 0 };
	gnutls_datum_t d = make_crl(r, 5, 0, serials, GNUTLS_X509_FMT_PEM);
	char *buf = malloc(d.size);

	assert_non_null(buf);
	memcpy(buf, d.data, d.size);
	assert_int_equal(edge_crls_parse(buf, d.size, "new", s, &err), EDGE_OK);
	s->root[0] = ri;
	gnutls_free(d.data);
}

/*
 * The hub's chain under the revocation policy (edge_crls_hub_chain), the
 * one rule of edge-connect and edge-check: revoked, no CRL of its issuer,
 * a CRL not yet valid, past nextUpdate within and beyond the grace.
 */
static void
test_hub_chain(void **state)
{
	gnutls_x509_crt_t ab[2] = { ca[A], ca[B] };
	struct edge_certs roots = { ab, 2 };
	gnutls_x509_privkey_t lk = new_key();
	gnutls_x509_crt_t hub, hubb, chain[2], chainb[2], only[1] = { ca[A] };
	gnutls_x509_crt_t broken[2] = { NULL, ca[A] };
	struct edge_crls good, listed;
	size_t depth = 9;
	bool stale = false;

	(void)state;
	hub = make_crt("CN=hub", 0x11, lk, ca[A], ca_key[A]);
	hubb = make_crt("CN=hubB", 0x12, lk, ca[B], ca_key[B]);
	chain[0] = hub;
	chain[1] = ca[A];
	chainb[0] = hubb;
	chainb[1] = ca[B];
	one_listing(&good, A, 0, "\x33");
	one_listing(&listed, A, 0, "\x33\x11");

	assert_int_equal(edge_crls_hub_chain(&good, &roots, chain, 2, now, 0,
	    &depth, &stale), EDGE_CRL_HUB_GOOD);
	assert_false(stale);
	assert_int_equal(edge_crls_hub_chain(&listed, &roots, chain, 2, now, 0,
	    &depth, &stale), EDGE_CRL_HUB_REVOKED);
	assert_int_equal(depth, 0);
	assert_string_equal(edge_crl_hub_reason(EDGE_CRL_HUB_REVOKED),
	    "revoked (listed in crl.pem)");
	/* The root alone is judged itself (A's CRL does not list serial 1). */
	assert_int_equal(edge_crls_hub_chain(&good, &roots, only, 1, now, 0,
	    &depth, &stale), EDGE_CRL_HUB_GOOD);
	/* Root B's hub: A's CRL does not speak for it. */
	assert_int_equal(edge_crls_hub_chain(&listed, &roots, chainb, 2, now, 0,
	    &depth, &stale), EDGE_CRL_HUB_NO_CRL);
	assert_string_equal(edge_crl_hub_reason(EDGE_CRL_HUB_NO_CRL),
	    "crl.pem holds no CRL of its issuer");
	/* Nothing to judge, or a certificate that could not be parsed. */
	assert_int_equal(edge_crls_hub_chain(&good, &roots, chain, 0, now, 0,
	    &depth, &stale), EDGE_CRL_HUB_UNKNOWN);
	assert_int_equal(edge_crls_hub_chain(&good, &roots, broken, 2, now, 0,
	    &depth, &stale), EDGE_CRL_HUB_UNKNOWN);
	/* nextUpdate is now + 1 h: 10 s past it, grace 0 refuses, a day warns. */
	assert_int_equal(edge_crls_hub_chain(&good, &roots, chain, 2,
	    now + 3610, 0, &depth, &stale), EDGE_CRL_HUB_STALE);
	assert_false(stale);
	assert_int_equal(edge_crls_hub_chain(&good, &roots, chain, 2,
	    now + 3610, 86400, &depth, &stale), EDGE_CRL_HUB_GOOD);
	assert_true(stale);
	stale = false;
	assert_int_equal(edge_crls_hub_chain(&listed, &roots, chain, 2,
	    now + 3610, 86400, &depth, &stale), EDGE_CRL_HUB_REVOKED);
	/* Before thisUpdate less the tolerance: not yet valid. */
	assert_int_equal(edge_crls_hub_chain(&good, &roots, chain, 2,
	    now - EDGE_TIME_TOLERANCE - 60, 0, &depth, &stale),
	    EDGE_CRL_HUB_NOT_YET);
	assert_non_null(strstr(edge_crl_hub_reason(EDGE_CRL_HUB_STALE),
	    "crl.pem is stale"));
	edge_crls_free(&good);
	edge_crls_free(&listed);
	gnutls_x509_crt_deinit(hub);
	gnutls_x509_crt_deinit(hubb);
	gnutls_x509_privkey_deinit(lk);
}

/* edge_crls_load_hub: no crl.pem is nothing to judge; a tampered one fails. */
static void
test_load_hub(void **state)
{
	struct edge_error err = { 0 };
	struct edge_certs roots = { 0 };
	struct edge_crls crls = { 0 };
	gnutls_datum_t pa, d;
	bool have = true;

	(void)state;
	assert_int_equal(gnutls_x509_crt_export2(ca[A], GNUTLS_X509_FMT_PEM,
	    &pa), 0);
	put("ca.pem", pa.data, pa.size);
	assert_int_equal(edge_crls_load_hub(dfd, dfd, "ca.pem", &roots, &crls,
	    &have, &err), EDGE_OK);
	assert_false(have);
	d = make_crl(A, 4, 0, "\x11", GNUTLS_X509_FMT_PEM);
	put("crl.pem", d.data, d.size);
	assert_int_equal(edge_crls_load_hub(dfd, dfd, "ca.pem", &roots, &crls,
	    &have, &err), EDGE_OK);
	assert_true(have);
	assert_int_equal(crls.n, 1);
	assert_int_equal(crls.root[0], 0);
	edge_certs_free(&roots);
	edge_crls_free(&crls);
	/* A broken signature: nothing answered from the file. */
	d.data[d.size - 40] = d.data[d.size - 40] == 'A' ? 'B' : 'A';
	put("crl.pem", d.data, d.size);
	assert_int_not_equal(edge_crls_load_hub(dfd, dfd, "ca.pem", &roots,
	    &crls, &have, &err), EDGE_OK);
	assert_false(have);
	edge_certs_free(&roots);
	edge_crls_free(&crls);
	gnutls_free(d.data);
	gnutls_free(pa.data);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_install_per_root, clean),
		cmocka_unit_test_setup(test_load_hostile, clean),
		cmocka_unit_test_setup(test_cert_status, clean),
		cmocka_unit_test(test_fresh_and_grace),
		cmocka_unit_test(test_not_yet_valid),
		cmocka_unit_test(test_hub_chain),
		cmocka_unit_test_setup(test_load_hub, clean),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
