/* SPDX-License-Identifier: MIT */
/* lib/edge_csr and lib/edge_key: subject rules, key policy, CSR round trip. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "edge_csr.h"
#include "edge_key.h"

static struct edge_subject
good(void)
{
	struct edge_subject s = { { "CN", "Shanghai", "Shanghai", "EnOS",
	    "EnOS Edge", "SN-0001", NULL } };
	return s;
}

static void
test_subject_rules(void **state)
{
	struct edge_error err = { 0 };
	struct edge_subject s = good();
	char long64[66], long65[67];

	(void)state;
	assert_int_equal(edge_subject_check(&s, NULL, &err), EDGE_OK);
	s.v[EDGE_SUBJ_OU] = NULL;
	assert_int_equal(edge_subject_check(&s, NULL, &err), EDGE_EUSAGE);
	assert_non_null(strstr(err.msg, "OU"));
	s = good();
	s.v[EDGE_SUBJ_C] = "CHN";
	assert_int_equal(edge_subject_check(&s, NULL, &err), EDGE_EUSAGE);
	assert_non_null(strstr(err.msg, "exactly 2"));
	s.v[EDGE_SUBJ_C] = "cn";
	assert_int_equal(edge_subject_check(&s, NULL, &err), EDGE_EUSAGE);
	s = good();
	memset(long64, 'a', 64);
	long64[64] = '\0';
	s.v[EDGE_SUBJ_CN] = long64;
	assert_int_equal(edge_subject_check(&s, NULL, &err), EDGE_OK);
	memset(long65, 'a', 65);
	long65[65] = '\0';
	s.v[EDGE_SUBJ_CN] = long65;
	assert_int_equal(edge_subject_check(&s, NULL, &err), EDGE_EUSAGE);
	assert_non_null(strstr(err.msg, "got 65"));
	/* 64 characters of two bytes each are still 64 characters. */
	{
		char utf[130] = "";
		int i;
		for (i = 0; i < 64; i++)
			strcat(utf, "\xc3\xa9");
		s.v[EDGE_SUBJ_CN] = utf;
		assert_int_equal(edge_subject_check(&s, NULL, &err), EDGE_OK);
	}
	s.v[EDGE_SUBJ_CN] = "bad\nname";
	assert_int_equal(edge_subject_check(&s, NULL, &err), EDGE_EUSAGE);
	assert_non_null(strstr(err.msg, "control"));
	s.v[EDGE_SUBJ_CN] = "bad\xff";
	assert_int_equal(edge_subject_check(&s, NULL, &err), EDGE_EUSAGE);
	s.v[EDGE_SUBJ_CN] = "c1\xc2\x85";
	assert_int_equal(edge_subject_check(&s, NULL, &err), EDGE_EUSAGE);
	s = good();
	s.v[EDGE_SUBJ_EMAIL] = "not-an-address";
	assert_int_equal(edge_subject_check(&s, NULL, &err), EDGE_EUSAGE);
}

static void
test_key_policy_and_csr(void **state)
{
	struct edge_error err = { 0 };
	struct edge_subject s = good(), other = good();
	struct edge_key *rsa = NULL, *ec = NULL;
	enum edge_key_type want = EDGE_KEY_EC;
	char *pem = NULL, *csr = NULL;
	size_t len = 0, clen = 0;

	(void)state;
	assert_int_equal(edge_key_generate_pem(EDGE_KEY_RSA, 1024, &pem, &len,
	    &err), EDGE_EUSAGE);
	assert_int_equal(edge_key_generate_pem(EDGE_KEY_EC, 0, &pem, &len, &err),
	    EDGE_OK);
	assert_int_equal(edge_key_from_pem(pem, len, "ec.pem", &ec, &err),
	    EDGE_OK);
	edge_key_pem_free(&pem, len);
	assert_int_equal(edge_key_check(ec, &want, &err), EDGE_OK);
	want = EDGE_KEY_RSA;
	assert_int_equal(edge_key_check(ec, &want, &err), EDGE_EINPUT);
	assert_string_equal(err.msg, "ec.pem: not an RSA-2048 key (found EC P-256)");

	assert_int_equal(edge_key_generate_pem(EDGE_KEY_RSA, 2048, &pem, &len,
	    &err), EDGE_OK);
	assert_int_equal(edge_key_from_pem(pem, len, "rsa.pem", &rsa, &err),
	    EDGE_OK);
	/* A truncated PEM is not a key. */
	{
		struct edge_key *half = NULL;
		assert_int_equal(edge_key_from_pem(pem, len / 2, "half.pem", &half,
		    &err), EDGE_EINPUT);
		assert_null(half);
	}
	edge_key_pem_free(&pem, len);
	assert_int_equal(rsa->bits, 2048);
	assert_int_equal(strncmp(rsa->id, "sha256:", 7), 0);
	assert_int_equal(strlen(rsa->id), 7 + 64);

	assert_int_equal(edge_csr_create(rsa, &s, &csr, &clen, &err), EDGE_OK);
	assert_non_null(strstr(csr, "-----BEGIN CERTIFICATE REQUEST-----"));
	assert_true(edge_csr_matches(csr, clen, rsa, &s));
	other.v[EDGE_SUBJ_CN] = "SN-0002";
	assert_false(edge_csr_matches(csr, clen, rsa, &other));
	/* The subject read back: a request for another key with the same one. */
	{
		struct edge_subject back;
		char *csr2 = NULL;
		size_t clen2 = 0;
		int f;

		assert_int_equal(edge_csr_subject(csr, clen, "csr.pem", &back,
		    &err), EDGE_OK);
		for (f = 0; f < EDGE_SUBJ_N; f++) {
			if (s.v[f] == NULL)
				assert_null(back.v[f]);
			else
				assert_string_equal(back.v[f], s.v[f]);
		}
		assert_int_equal(edge_csr_create(ec, &back, &csr2, &clen2, &err),
		    EDGE_OK);
		assert_true(edge_csr_matches(csr2, clen2, ec, &s));
		free(csr2);
		edge_subject_free_values(&back);
		assert_int_equal(edge_csr_subject("junk", 4, "csr.pem", &back,
		    &err), EDGE_EINPUT);
		assert_null(back.v[EDGE_SUBJ_CN]);
	}
	/* A flipped byte in the signature must not match. */
	csr[clen - 40] = csr[clen - 40] == 'A' ? 'B' : 'A';
	assert_false(edge_csr_matches(csr, clen, rsa, &s));
	free(csr);
	edge_key_free(&rsa);
	edge_key_free(&ec);
}

static void
test_not_a_key(void **state)
{
	static const char cert[] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
	static const char junk[] = "hello world\n";
	static const char enc[] = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n";
	struct edge_error err = { 0 };
	struct edge_key *k = NULL;

	(void)state;
	assert_int_equal(edge_key_from_pem(cert, sizeof(cert) - 1, "c.pem", &k,
	    &err), EDGE_EINPUT);
	assert_string_equal(err.msg, "c.pem: holds a certificate, not a private key");
	assert_int_equal(edge_key_from_pem(junk, sizeof(junk) - 1, "j.pem", &k,
	    &err), EDGE_EINPUT);
	assert_string_equal(err.msg, "j.pem: not a PEM file");
	assert_int_equal(edge_key_from_pem(enc, sizeof(enc) - 1, "e.pem", &k,
	    &err), EDGE_EINPUT);
	assert_non_null(strstr(err.msg, "encrypted"));
	assert_null(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subject_rules),
		cmocka_unit_test(test_key_policy_and_csr),
		cmocka_unit_test(test_not_a_key),
	};
	return cmocka_run_group_tests_name("edge_csr", tests, NULL, NULL);
}
