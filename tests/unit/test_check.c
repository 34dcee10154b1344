/* SPDX-License-Identifier: MIT */
/*
 * lib/edge_check: the findings set (add, worst, count, json, free) with real
 * values, and the key subject (lib/edge_check_key.c) on a real state
 * directory: a 0600 and a 0644 key.pem, an SSH public key line of the edge
 * key in a --scan place, a sibling with the same key.
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
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "edge_check.h"
#include "edge_key.h"

static void
empty_set(void **state)
{
	struct edge_findings f = { 0 };
	size_t n[4];
	json_object *a;

	(void)state;
	assert_int_equal(edge_findings_worst(&f), EDGE_V_OK);
	edge_findings_count(&f, n);
	assert_int_equal(n[0] + n[1] + n[2] + n[3], 0);
	a = edge_findings_json(&f);
	assert_non_null(a);
	assert_int_equal(json_object_array_length(a), 0);
	json_object_put(a);
	edge_findings_free(&f);
}

static void
all_skipped(void **state)
{
	struct edge_findings f = { 0 };

	(void)state;
	edge_check_add(&f, "tls.broker", EDGE_V_SKIP, NULL, NULL, "needs --online");
	edge_check_add(&f, "tls.api", EDGE_V_SKIP, NULL, NULL, "needs --online");
	assert_int_equal(edge_findings_worst(&f), EDGE_V_SKIP);
	edge_findings_free(&f);
}

static void
add_worst_count(void **state)
{
	struct edge_findings f = { 0 };
	size_t n[4];

	(void)state;
	edge_check_add(&f, "key.type", EDGE_V_OK, NULL, NULL, "key.pem: %s",
	    "RSA-2048");
	assert_int_equal(edge_findings_worst(&f), EDGE_V_OK);
	edge_check_add(&f, "key.match", EDGE_V_SKIP, NULL, "run edge-activate",
	    "cert.pem: none yet");
	/* a skip beside an ok is no finding against the gateway */
	assert_int_equal(edge_findings_worst(&f), EDGE_V_OK);
	edge_check_add(&f, "cert.expiry", EDGE_V_WARN, NULL, "", "%d days left",
	    12);
	assert_int_equal(edge_findings_worst(&f), EDGE_V_WARN);
	edge_check_add(&f, "key.storage", EDGE_V_FAIL, NULL, "chmod 600 key.pem",
	    "key.pem: mode %s", "0644");
	edge_check_add(&f, "key.purpose", EDGE_V_OK, NULL, NULL, "not reused");
	assert_int_equal(edge_findings_worst(&f), EDGE_V_FAIL);
	edge_findings_count(&f, n);
	assert_int_equal(n[EDGE_V_OK], 2);
	assert_int_equal(n[EDGE_V_SKIP], 1);
	assert_int_equal(n[EDGE_V_WARN], 1);
	assert_int_equal(n[EDGE_V_FAIL], 1);
	assert_int_equal(f.n, 5);
	/* in the order added, with the formatted text */
	assert_string_equal(f.v[0].id, "key.type");
	assert_string_equal(f.v[0].what, "key.pem: RSA-2048");
	assert_string_equal(f.v[0].fix, "");
	assert_string_equal(f.v[2].what, "12 days left");
	assert_string_equal(f.v[3].fix, "chmod 600 key.pem");
	assert_string_equal(f.v[3].what, "key.pem: mode 0644");
	assert_string_equal(edge_verdict_name(EDGE_V_OK), "ok");
	assert_string_equal(edge_verdict_name(EDGE_V_SKIP), "skip");
	assert_string_equal(edge_verdict_name(EDGE_V_WARN), "warn");
	assert_string_equal(edge_verdict_name(EDGE_V_FAIL), "fail");
	edge_findings_free(&f);
	assert_null(f.v);
	assert_int_equal(f.n, 0);
}

/* Many findings (the array grows) and over-long texts (cut, never overrun). */
static void
growth_and_cuts(void **state)
{
	struct edge_findings f = { 0 };
	char big[2 * EDGE_CHECK_WHAT_MAX];
	int i;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (i = 0; i < 100; i++)
		edge_check_add(&f, "host.listening", EDGE_V_OK, NULL, NULL, "#%d", i);
	assert_int_equal(f.n, 100);
	assert_string_equal(f.v[99].what, "#99");
	edge_check_add(&f, big, EDGE_V_WARN, NULL, big, "%s", big);
	assert_int_equal(strlen(f.v[100].id), sizeof(f.v[100].id) - 1);
	assert_int_equal(strlen(f.v[100].what), EDGE_CHECK_WHAT_MAX - 1);
	assert_int_equal(strlen(f.v[100].fix), EDGE_CHECK_FIX_MAX - 1);
	assert_int_equal(edge_findings_worst(&f), EDGE_V_WARN);
	/* A lost finding (no memory) makes the set fail. */
	f.lost = true;
	assert_int_equal(edge_findings_worst(&f), EDGE_V_FAIL);
	edge_findings_free(&f);
	assert_false(f.lost);
}

static void
json_shape(void **state)
{
	struct edge_findings f = { 0 };
	json_object *d = json_object_new_object(), *a, *o, *v;

	(void)state;
	json_object_object_add(d, "mode", json_object_new_string("0644"));
	json_object_object_add(d, "days_left", json_object_new_int(12));
	edge_check_add(&f, "key.storage", EDGE_V_FAIL, d, "chmod 600 key.pem",
	    "key.pem: mode 0644");
	edge_check_add(&f, "key.type", EDGE_V_OK, NULL, "", "RSA-2048");
	a = edge_findings_json(&f);
	assert_non_null(a);
	assert_int_equal(json_object_array_length(a), 2);
	o = json_object_array_get_idx(a, 0);
	assert_true(json_object_object_get_ex(o, "id", &v));
	assert_string_equal(json_object_get_string(v), "key.storage");
	assert_true(json_object_object_get_ex(o, "verdict", &v));
	assert_string_equal(json_object_get_string(v), "fail");
	assert_true(json_object_object_get_ex(o, "what", &v));
	assert_string_equal(json_object_get_string(v), "key.pem: mode 0644");
	assert_true(json_object_object_get_ex(o, "fix", &v));
	assert_string_equal(json_object_get_string(v), "chmod 600 key.pem");
	assert_true(json_object_object_get_ex(o, "data", &v));
	assert_true(json_object_object_get_ex(v, "days_left", &v));
	assert_int_equal(json_object_get_int(v), 12);
	/* no fix, no data: the keys are left out */
	o = json_object_array_get_idx(a, 1);
	assert_false(json_object_object_get_ex(o, "fix", NULL));
	assert_false(json_object_object_get_ex(o, "data", NULL));
	assert_true(json_object_object_get_ex(o, "verdict", &v));
	assert_string_equal(json_object_get_string(v), "ok");
	/* The array holds its own reference to data: it outlives the set. */
	edge_findings_free(&f);
	o = json_object_array_get_idx(a, 0);
	assert_true(json_object_object_get_ex(o, "data", &v));
	assert_true(json_object_object_get_ex(v, "mode", &v));
	assert_string_equal(json_object_get_string(v), "0644");
	json_object_put(a);
}

/* ---- the key subject on a real state directory ---- */

struct tree {
	char top[64];		/* mkdtemp */
	char dir[96];		/* top/edge */
	char scan[96];		/* top/scan */
	char *pem;
	size_t len;
	struct edge_key *key;
};

static void
put(const char *path, const char *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static int
tree_setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));
	struct edge_error err = { 0 };
	char path[160];

	if (t == NULL)
		return -1;
	snprintf(t->top, sizeof(t->top), "%s/test_check.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(t->top) == NULL)
		return -1;
	snprintf(t->dir, sizeof(t->dir), "%s/edge", t->top);
	snprintf(t->scan, sizeof(t->scan), "%s/scan", t->top);
	if (mkdir(t->dir, 0700) != 0 || mkdir(t->scan, 0755) != 0 ||
	    edge_key_generate_pem(EDGE_KEY_RSA, 2048, &t->pem, &t->len,
	    &err) != EDGE_OK ||
	    edge_key_from_pem(t->pem, t->len, "key.pem", &t->key, &err) !=
	    EDGE_OK)
		return -1;
	snprintf(path, sizeof(path), "%s/key.pem", t->dir);
	put(path, t->pem, t->len, 0600);
	*state = t;
	return 0;
}

static int
tree_teardown(void **state)
{
	struct tree *t = *state;
	char cmd[200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->top);
	if (system(cmd) != 0)
		return -1;
	edge_key_free(&t->key);
	edge_key_pem_free(&t->pem, t->len);
	free(t);
	return 0;
}

static const struct edge_finding *
find(const struct edge_findings *f, const char *id)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->v[i].id, id) == 0)
			return &f->v[i];
	fail_msg("no finding %s", id);
	return NULL;
}

static void
run_key(struct tree *t, struct edge_findings *f)
{
	struct edge_check_env e = { 0 };

	e.dirfd = open(t->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(e.dirfd >= 0);
	e.dir = t->dir;
	e.scan = t->scan;
	edge_check_key(&e, f);
	close(e.dirfd);
	/* the fixed order */
	assert_int_equal(f->n, 4);
	assert_string_equal(f->v[0].id, "key.storage");
	assert_string_equal(f->v[1].id, "key.type");
	assert_string_equal(f->v[2].id, "key.match");
	assert_string_equal(f->v[3].id, "key.purpose");
}

static void
ssh_put_string(unsigned char *buf, size_t *n, const void *p, size_t len)
{
	buf[(*n)++] = (unsigned char)(len >> 24);
	buf[(*n)++] = (unsigned char)(len >> 16);
	buf[(*n)++] = (unsigned char)(len >> 8);
	buf[(*n)++] = (unsigned char)len;
	memcpy(buf + *n, p, len);
	*n += len;
}

/* "ssh-rsa BASE64 comment\n" of the key, as ssh-keygen -y writes it. */
static void
ssh_line(gnutls_pubkey_t pub, char *out, size_t outlen)
{
	gnutls_datum_t m, e, raw, b64;
	unsigned char blob[1200];
	size_t n = 0;

	assert_true(gnutls_pubkey_export_rsa_raw2(pub, &m, &e,
	    GNUTLS_EXPORT_FLAG_NO_LZ) >= 0);
	ssh_put_string(blob, &n, "ssh-rsa", 7);
	ssh_put_string(blob, &n, e.data, e.size);
	/* mpint: a leading zero when the top bit is set */
	blob[n++] = 0; blob[n++] = 0;
	blob[n++] = (unsigned char)((m.size + 1) >> 8);
	blob[n++] = (unsigned char)(m.size + 1);
	blob[n++] = 0;
	memcpy(blob + n, m.data, m.size);
	n += m.size;
	raw.data = blob;
	raw.size = (unsigned)n;
	assert_true(gnutls_base64_encode2(&raw, &b64) >= 0);
	snprintf(out, outlen, "ssh-rsa %.*s root@gw\n", (int)b64.size, b64.data);
	gnutls_free(b64.data);
	gnutls_free(m.data);
	gnutls_free(e.data);
}

static void
key_file_modes(void **state)
{
	struct tree *t = *state;
	struct edge_findings f = { 0 };
	const struct edge_finding *x;
	char path[160];

	run_key(t, &f);
	x = find(&f, "key.storage");
	assert_int_equal(x->verdict, EDGE_V_OK);
	assert_non_null(strstr(x->what, "mode 0600"));
	assert_int_equal(find(&f, "key.type")->verdict, EDGE_V_OK);
	assert_string_equal(find(&f, "key.type")->what, "key.pem: RSA-2048");
	/* no cert.pem: skipped, naming the step */
	x = find(&f, "key.match");
	assert_int_equal(x->verdict, EDGE_V_SKIP);
	assert_non_null(strstr(x->what, "edge-activate"));
	assert_int_equal(find(&f, "key.purpose")->verdict, EDGE_V_OK);
	edge_findings_free(&f);

	snprintf(path, sizeof(path), "%s/key.pem", t->dir);
	assert_int_equal(chmod(path, 0640), 0);
	run_key(t, &f);
	x = find(&f, "key.storage");
	assert_int_equal(x->verdict, EDGE_V_FAIL);
	assert_non_null(strstr(x->what, "mode 0640 lets its group read"));
	assert_non_null(strstr(x->fix, "chmod 600 "));
	edge_findings_free(&f);
	assert_int_equal(chmod(path, 0600), 0);
}

static void
key_reused(void **state)
{
	struct tree *t = *state;
	struct edge_findings f = { 0 };
	const struct edge_finding *x;
	json_object *v;
	char line[2048], path[200];

	/* an SSH host key line of the edge key, among other text */
	ssh_line(t->key->pub, line, sizeof(line));
	snprintf(path, sizeof(path), "%s/ssh_host_rsa_key.pub", t->scan);
	put(path, line, strlen(line), 0644);
	snprintf(path, sizeof(path), "%s/notes.txt", t->scan);
	put(path, "nothing here\n", 13, 0644);
	run_key(t, &f);
	x = find(&f, "key.purpose");
	assert_int_equal(x->verdict, EDGE_V_FAIL);
	assert_non_null(strstr(x->what, "ssh_host_rsa_key.pub (SSH host key)"));
	assert_true(json_object_object_get_ex(x->data, "files_examined", &v));
	assert_int_equal(json_object_get_int(v), 2);
	edge_findings_free(&f);
	assert_int_equal(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/ssh_host_rsa_key.pub", t->scan);
	assert_int_equal(unlink(path), 0);

	/* a sibling state directory holding the same key */
	snprintf(path, sizeof(path), "%s/other", t->top);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/other/key.pem", t->top);
	put(path, t->pem, t->len, 0600);
	run_key(t, &f);
	x = find(&f, "key.purpose");
	assert_int_equal(x->verdict, EDGE_V_FAIL);
	assert_non_null(strstr(x->what, "/../other/key.pem"));
	assert_true(json_object_object_get_ex(x->data, "siblings", &v));
	assert_int_equal(json_object_get_int(v), 1);
	edge_findings_free(&f);
	assert_int_equal(unlink(path), 0);
}

static void
identity(void **state)
{
	struct tree *t = *state;
	struct edge_check_env e = { 0 };
	json_object *o = json_object_new_object(), *v;

	e.dirfd = open(t->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(e.dirfd >= 0);
	e.dir = t->dir;
	edge_check_identity(&e, o);
	close(e.dirfd);
	/* no device.json, no cert.pem: only the key's id */
	assert_true(json_object_object_get_ex(o, "key_id", &v));
	assert_string_equal(json_object_get_string(v), t->key->id);
	assert_false(json_object_object_get_ex(o, "device_key", NULL));
	assert_false(json_object_object_get_ex(o, "cert_sn", NULL));
	json_object_put(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty_set),
		cmocka_unit_test(all_skipped),
		cmocka_unit_test(add_worst_count),
		cmocka_unit_test(growth_and_cuts),
		cmocka_unit_test(json_shape),
		cmocka_unit_test_setup_teardown(key_file_modes, tree_setup,
		    tree_teardown),
		cmocka_unit_test_setup_teardown(key_reused, tree_setup,
		    tree_teardown),
		cmocka_unit_test_setup_teardown(identity, tree_setup,
		    tree_teardown),
	};

	return cmocka_run_group_tests_name("edge_check", tests, NULL, NULL);
}
