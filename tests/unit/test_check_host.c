/* SPDX-License-Identifier: MIT */
/*
 * lib/edge_check_host: what edge-check reads from nft, iptables, /proc/net
 * and systemd-analyze (the last from a real `systemd-analyze security
 * --offline=true` of the example unit and of an unsandboxed one), and
 * edge_exec_argv, which runs them without a shell.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "edge_check_host.h"
#include "edge_exec.h"

static const char *const env[] = { "PATH=/usr/bin:/bin", "LC_ALL=C", NULL };

/*
 * An inet table f (flags when given) with chain x (accepts all) and an
 * input base chain with policy and the rules (each a JSON "expr" array,
 * NULL-terminated), as `nft -j list ruleset` prints them; judged.
 */
static enum edge_fw
nft_judge(const char *flags, const char *policy, const char *const *rules,
    enum edge_fw *v6, char *why, size_t len)
{
	char json[8192];
	size_t n = 0, i;
	enum edge_fw v4;

	n += (size_t)snprintf(json + n, sizeof(json) - n,
	    "{\"nftables\": [{\"metainfo\": {\"version\": \"1.0.6\"}},"
	    "{\"table\": {\"family\": \"inet\", \"name\": \"f\"%s%s%s}},"
	    "{\"chain\": {\"family\": \"inet\", \"table\": \"f\", \"name\": \"x\"}},"
	    "{\"chain\": {\"family\": \"inet\", \"table\": \"f\", \"name\": \"input\", \"type\": \"filter\", \"hook\": \"input\", \"prio\": 0, \"policy\": \"%s\"}},"
	    "{\"rule\": {\"family\": \"inet\", \"table\": \"f\", \"chain\": \"x\", \"expr\": [{\"accept\": null}]}}",
	    flags ? ", \"flags\": " : "", flags ? flags : "", "", policy);
	for (i = 0; rules[i] != NULL; i++)
		n += (size_t)snprintf(json + n, sizeof(json) - n,
		    ",{\"rule\": {\"family\": \"inet\", \"table\": \"f\", \"chain\": \"input\", \"handle\": %zu, \"expr\": %s}}",
		    i + 4, rules[i]);
	snprintf(json + n, sizeof(json) - n, "]}");
	assert_true(n < sizeof(json) - 4);
	assert_true(edge_check_nft_parse(json, &v4, v6, NULL, why, len));
	return v4;
}

#define M(left, op, right) "{\"match\": {\"op\": \"" op "\", \"left\": " left ", \"right\": " right "}}"
#define ACCEPT "{\"accept\": null}"
#define CT "{\"ct\": {\"key\": \"state\"}}"
#define META(k) "{\"meta\": {\"key\": \"" k "\"}}"
#define PAY(p, f) "{\"payload\": {\"protocol\": \"" p "\", \"field\": \"" f "\"}}"

static void
nft_rulesets(void **state)
{
	json_object *chains = NULL;
	enum edge_fw v4, v6;
	char why[256];
	/* The red-team's rulesets (nft 1.0.6's JSON for them), each after policy drop. */
	static const char *const all[] = { "[" ACCEPT "]", NULL };
	static const char *const counted[] = { "[{\"counter\": {\"packets\": 0, \"bytes\": 0}}, " ACCEPT "]", NULL };
	static const char *const anyaddr[] = {
		"[" M(PAY("ip", "saddr"), "==", "{\"prefix\": {\"addr\": \"0.0.0.0\", \"len\": 0}}") ", " ACCEPT "]",
		"[" M(PAY("ip6", "saddr"), "==", "{\"prefix\": {\"addr\": \"::\", \"len\": 0}}") ", " ACCEPT "]", NULL };
	static const char *const anyaddr4[] = {
		"[" M(PAY("ip", "saddr"), "==", "{\"prefix\": {\"addr\": \"0.0.0.0\", \"len\": 0}}") ", " ACCEPT "]", NULL };
	static const char *const l4[] = {
		"[" M(META("l4proto"), "==", "\"tcp\"") ", " ACCEPT "]",
		"[" M(META("l4proto"), "==", "\"udp\"") ", " ACCEPT "]", NULL };
	static const char *const ctnew[] = { "[" M(CT, "in", "\"new\"") ", " ACCEPT "]", NULL };
	static const char *const notlo[] = { "[" M(META("iif"), "!=", "\"lo\"") ", " ACCEPT "]", NULL };
	static const char *const notloname[] = { "[" M(META("iifname"), "!=", "\"lo\"") ", " ACCEPT "]", NULL };
	static const char *const jump[] = { "[{\"jump\": {\"target\": \"x\"}}]", NULL };
	static const char *const go[] = { "[{\"goto\": {\"target\": \"x\"}}]", NULL };
	static const char *const good[] = {
		"[" M(CT, "in", "[\"established\", \"related\"]") ", " ACCEPT "]",
		"[" M(META("iif"), "==", "\"lo\"") ", " ACCEPT "]",
		"[" M(PAY("tcp", "dport"), "==", "22") ", " ACCEPT "]",
		"[" M(PAY("ip", "saddr"), "==", "{\"prefix\": {\"addr\": \"10.0.0.0\", \"len\": 8}}") ", " ACCEPT "]",
		"[" M(CT, "in", "\"new\"") ", " M(PAY("tcp", "dport"), "==", "8883") ", " ACCEPT "]",
		"[" M(PAY("tcp", "dport"), "==", "23") ", {\"jump\": {\"target\": \"x\"}}]",
		"[" M(PAY("tcp", "dport"), "==", "24") ", {\"drop\": null}]", NULL };
	static const char *const dropfirst[] = { "[{\"counter\": {}}, {\"drop\": null}]", "[" ACCEPT "]", NULL };
	static const char *const endsdrop[] = { "[" M(META("iif"), "==", "\"lo\"") ", " ACCEPT "]", "[{\"reject\": null}]", NULL };
	static const char *const limit[] = { "[{\"limit\": {\"rate\": 10, \"per\": \"second\"}}, " ACCEPT "]", NULL };
	static const char *const none[] = { NULL };
	static const char *const ret[] = { "[{\"return\": null}]", "[{\"drop\": null}]", NULL };

	(void)state;
	assert_true(edge_check_nft_parse("{\"nftables\": [{\"metainfo\": {\"version\": \"1.0.6\"}}]}",
	    &v4, &v6, &chains, why, sizeof(why)));
	assert_int_equal(v4, EDGE_FW_OPEN);
	assert_int_equal(v6, EDGE_FW_OPEN);
	assert_int_equal(json_object_array_length(chains), 0);
	json_object_put(chains);
	assert_int_equal(nft_judge(NULL, "drop", none, &v6, why, sizeof(why)), EDGE_FW_DROPS);
	assert_int_equal(v6, EDGE_FW_DROPS);
	/* Everything, or a broad class, accepted before the drop: open. */
	assert_int_equal(nft_judge(NULL, "drop", all, &v6, why, sizeof(why)), EDGE_FW_OPEN);
	assert_int_equal(v6, EDGE_FW_OPEN);
	assert_string_equal(why, "inet f input rule 1: accepts everything");
	assert_int_equal(nft_judge(NULL, "drop", counted, &v6, why, sizeof(why)), EDGE_FW_OPEN);
	assert_int_equal(nft_judge(NULL, "drop", anyaddr, &v6, why, sizeof(why)), EDGE_FW_OPEN);
	assert_int_equal(v6, EDGE_FW_OPEN);
	/* ip saddr 0.0.0.0/0 lets in all IPv4, not IPv6. */
	assert_int_equal(nft_judge(NULL, "drop", anyaddr4, &v6, why, sizeof(why)), EDGE_FW_OPEN);
	assert_int_equal(v6, EDGE_FW_DROPS);
	assert_int_equal(nft_judge(NULL, "drop", l4, &v6, why, sizeof(why)), EDGE_FW_OPEN);
	assert_non_null(strstr(why, "rule 1: accepts a broad class"));
	assert_int_equal(nft_judge(NULL, "drop", ctnew, &v6, why, sizeof(why)), EDGE_FW_OPEN);
	assert_int_equal(nft_judge(NULL, "drop", notlo, &v6, why, sizeof(why)), EDGE_FW_OPEN);
	assert_int_equal(nft_judge(NULL, "drop", notloname, &v6, why, sizeof(why)), EDGE_FW_OPEN);
	assert_int_equal(nft_judge(NULL, "drop", jump, &v6, why, sizeof(why)), EDGE_FW_OPEN);
	assert_string_equal(why, "inet f input rule 1: jump x, which accepts everything or a broad class");
	assert_int_equal(nft_judge(NULL, "drop", go, &v6, why, sizeof(why)), EDGE_FW_OPEN);
	/* A dormant table is not run by the kernel (nft 1.0.6 prints "d"). */
	assert_int_equal(nft_judge("\"d\"", "drop", none, &v6, why, sizeof(why)), EDGE_FW_OPEN);
	assert_int_equal(nft_judge("[\"dormant\"]", "drop", none, &v6, why, sizeof(why)), EDGE_FW_OPEN);
	assert_int_equal(nft_judge("\"dormant\"", "drop", none, &v6, why, sizeof(why)), EDGE_FW_OPEN);
	/* Accepts limited to established/related, lo, ports, addresses: fine. */
	assert_int_equal(nft_judge(NULL, "drop", good, &v6, why, sizeof(why)), EDGE_FW_DROPS);
	assert_int_equal(v6, EDGE_FW_DROPS);
	assert_int_equal(nft_judge(NULL, "accept", good, &v6, why, sizeof(why)), EDGE_FW_OPEN);
	assert_non_null(strstr(why, "policy accept and no final drop"));
	/* The first unconditional drop ends it, whatever follows. */
	assert_int_equal(nft_judge(NULL, "accept", dropfirst, &v6, why, sizeof(why)), EDGE_FW_DROPS);
	assert_int_equal(nft_judge(NULL, "accept", endsdrop, &v6, why, sizeof(why)), EDGE_FW_DROPS);
	/* A return in the base chain: the policy. */
	assert_int_equal(nft_judge(NULL, "accept", ret, &v6, why, sizeof(why)), EDGE_FW_OPEN);
	assert_int_equal(nft_judge(NULL, "drop", ret, &v6, why, sizeof(why)), EDGE_FW_DROPS);
	/* A rule it cannot classify: unsure, said which. */
	assert_int_equal(nft_judge(NULL, "drop", limit, &v6, why, sizeof(why)), EDGE_FW_UNSURE);
	assert_string_equal(why, "inet f input rule 1: cannot judge this rule; check by hand");
	/* ip only, accept policy ending in counter drop. */
	assert_true(edge_check_nft_parse("{\"nftables\": ["
	    "{\"chain\": {\"family\": \"ip\", \"table\": \"t\", \"name\": \"in\", \"type\": \"filter\", \"hook\": \"input\", \"policy\": \"accept\"}},"
	    "{\"rule\": {\"family\": \"ip\", \"table\": \"t\", \"chain\": \"in\", \"expr\": [" M(META("iif"), "==", "\"lo\"") ", {\"accept\": null}]}},"
	    "{\"rule\": {\"family\": \"ip\", \"table\": \"t\", \"chain\": \"in\", \"expr\": [{\"counter\": {}}, {\"drop\": null}]}}]}",
	    &v4, &v6, NULL, NULL, 0));
	assert_int_equal(v4, EDGE_FW_DROPS);
	assert_int_equal(v6, EDGE_FW_OPEN);
	/* Two base chains on the hook: both run, the one that drops is enough. */
	assert_true(edge_check_nft_parse("{\"nftables\": ["
	    "{\"chain\": {\"family\": \"inet\", \"table\": \"a\", \"name\": \"in\", \"type\": \"filter\", \"hook\": \"input\", \"policy\": \"accept\"}},"
	    "{\"rule\": {\"family\": \"inet\", \"table\": \"a\", \"chain\": \"in\", \"expr\": [{\"accept\": null}]}},"
	    "{\"chain\": {\"family\": \"inet\", \"table\": \"b\", \"name\": \"in\", \"type\": \"filter\", \"hook\": \"input\", \"policy\": \"drop\"}}]}",
	    &v4, &v6, &chains, why, sizeof(why)));
	assert_int_equal(v4, EDGE_FW_DROPS);
	assert_int_equal(v6, EDGE_FW_DROPS);
	assert_int_equal(json_object_array_length(chains), 2);
	json_object_put(chains);
	/* A conditional drop last, an output chain, a netdev chain: nothing. */
	assert_true(edge_check_nft_parse("{\"nftables\": ["
	    "{\"chain\": {\"family\": \"inet\", \"table\": \"t\", \"name\": \"in\", \"type\": \"filter\", \"hook\": \"input\", \"policy\": \"accept\"}},"
	    "{\"rule\": {\"family\": \"inet\", \"table\": \"t\", \"chain\": \"in\", \"expr\": [" M(PAY("tcp", "dport"), "==", "22") ", {\"drop\": null}]}},"
	    "{\"chain\": {\"family\": \"inet\", \"table\": \"t\", \"name\": \"out\", \"type\": \"filter\", \"hook\": \"output\", \"policy\": \"drop\"}},"
	    "{\"chain\": {\"family\": \"netdev\", \"table\": \"n\", \"name\": \"in\", \"type\": \"filter\", \"hook\": \"input\", \"policy\": \"drop\"}}]}",
	    &v4, &v6, NULL, why, sizeof(why)));
	assert_int_equal(v4, EDGE_FW_OPEN);
	assert_int_equal(v6, EDGE_FW_OPEN);
	assert_false(edge_check_nft_parse("table inet f {", &v4, &v6, NULL, why, sizeof(why)));
	assert_false(edge_check_nft_parse("[1]", &v4, &v6, NULL, why, sizeof(why)));
}

static void
iptables_rules(void **state)
{
	char p[16], w[200];

	(void)state;
	assert_int_equal(edge_check_iptables_judge("-P INPUT DROP\n", p, sizeof(p), w, sizeof(w)), EDGE_FW_DROPS);
	assert_string_equal(p, "DROP");
	assert_int_equal(edge_check_iptables_judge("-P INPUT ACCEPT\n-A INPUT -i lo -j ACCEPT\n", p, sizeof(p), w, sizeof(w)), EDGE_FW_OPEN);
	assert_string_equal(p, "ACCEPT");
	assert_int_equal(edge_check_iptables_judge("-P INPUT ACCEPT\n-A INPUT -i lo -j ACCEPT\n-A INPUT -j DROP\n", p, sizeof(p), w, sizeof(w)), EDGE_FW_DROPS);
	assert_int_equal(edge_check_iptables_judge("-P INPUT ACCEPT\n-A INPUT -j REJECT --reject-with icmp-port-unreachable", p, sizeof(p), w, sizeof(w)), EDGE_FW_DROPS);
	assert_int_equal(edge_check_iptables_judge("-P INPUT ACCEPT\n-A INPUT -p tcp --dport 22 -j DROP\n", p, sizeof(p), w, sizeof(w)), EDGE_FW_OPEN);
	assert_int_equal(edge_check_iptables_judge("-P INPUT ACCEPT\n-A INPUT -j DROPX\n", p, sizeof(p), w, sizeof(w)), EDGE_FW_OPEN);
	assert_int_equal(edge_check_iptables_judge("", p, sizeof(p), w, sizeof(w)), EDGE_FW_OPEN);
	/* The red-team's: policy DROP, then an ACCEPT without a match. */
	assert_int_equal(edge_check_iptables_judge("-P INPUT DROP\n-A INPUT -j ACCEPT\n", p, sizeof(p), w, sizeof(w)), EDGE_FW_OPEN);
	assert_string_equal(w, "INPUT rule 1 accepts everything or a broad class");
	assert_int_equal(edge_check_iptables_judge("-P INPUT DROP\n-A INPUT -p tcp -j ACCEPT\n", p, sizeof(p), w, sizeof(w)), EDGE_FW_OPEN);
	assert_int_equal(edge_check_iptables_judge("-P INPUT DROP\n-A INPUT ! -i lo -j ACCEPT\n", p, sizeof(p), w, sizeof(w)), EDGE_FW_OPEN);
	assert_int_equal(edge_check_iptables_judge("-P INPUT DROP\n-A INPUT -s 0.0.0.0/0 -j ACCEPT\n", p, sizeof(p), w, sizeof(w)), EDGE_FW_OPEN);
	assert_int_equal(edge_check_iptables_judge("-P INPUT DROP\n-A INPUT -m conntrack --ctstate NEW -j ACCEPT\n", p, sizeof(p), w, sizeof(w)), EDGE_FW_OPEN);
	/* Fine: established/related, lo, a port, a source net, a comment. */
	assert_int_equal(edge_check_iptables_judge("-P INPUT DROP\n"
	    "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
	    "-A INPUT -i lo -j ACCEPT\n"
	    "-A INPUT -p tcp -m tcp --dport 22 -m comment --comment \"ssh from anywhere\" -j ACCEPT\n"
	    "-A INPUT -s 10.0.0.0/8 -j ACCEPT\n", p, sizeof(p), w, sizeof(w)), EDGE_FW_DROPS);
	/* The first unconditional DROP ends it. */
	assert_int_equal(edge_check_iptables_judge("-P INPUT ACCEPT\n-A INPUT -j DROP\n-A INPUT -j ACCEPT\n", p, sizeof(p), w, sizeof(w)), EDGE_FW_DROPS);
	/* A user chain (not in -S INPUT) or an unknown match: unsure. */
	assert_int_equal(edge_check_iptables_judge("-P INPUT DROP\n-A INPUT -j f2b-sshd\n", p, sizeof(p), w, sizeof(w)), EDGE_FW_UNSURE);
	assert_string_equal(w, "INPUT rule 1: cannot judge this rule; check by hand");
	assert_int_equal(edge_check_iptables_judge("-P INPUT DROP\n-A INPUT -m limit --limit 5/sec -j ACCEPT\n", p, sizeof(p), w, sizeof(w)), EDGE_FW_UNSURE);
	/* RETURN in INPUT: the policy. */
	assert_int_equal(edge_check_iptables_judge("-P INPUT ACCEPT\n-A INPUT -j RETURN\n-A INPUT -j DROP\n", p, sizeof(p), w, sizeof(w)), EDGE_FW_OPEN);
}

static const char tcp4[] =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    "   0: 0100007F:0277 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0\n"
    "   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0 100 0 0 10 0\n"
    "   2: 0100007F:9C40 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0 100 0 0 10 0\n"
    "   3: garbage\n";
static const char tcp6[] =
    "  sl  local_address                         remote_address                        st\n"
    "   0: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 0A 0 0 0\n"
    "   1: 0000000000000000FFFF00000100007F:1F91 00000000000000000000000000000000:0000 0A 0 0 0\n"
    "   2: 00000000000000000000000000000000:0017 00000000000000000000000000000000:0000 0A 0 0 0\n";
static const char udp4[] =
    "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"
    "  10: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 4 2 0 0\n"
    "  11: 0100007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 5 2 0 0\n"
    "  12: 0A00000A:D000 0A000001:0035 01 00000000:00000000 00:00000000 00000000     0        0 6 2 0 0\n";

static void
proc_net(void **state)
{
	json_object *list = json_object_new_array(), *o, *v;

	(void)state;
	assert_int_equal(edge_check_proc_net_parse(tcp4, "tcp", false, list), 1);
	assert_int_equal(json_object_array_length(list), 2);
	o = json_object_array_get_idx(list, 0);
	assert_true(json_object_object_get_ex(o, "address", &v));
	assert_string_equal(json_object_get_string(v), "127.0.0.1");
	assert_true(json_object_object_get_ex(o, "port", &v));
	assert_int_equal(json_object_get_int(v), 631);
	o = json_object_array_get_idx(list, 1);
	assert_true(json_object_object_get_ex(o, "address", &v));
	assert_string_equal(json_object_get_string(v), "0.0.0.0");
	assert_true(json_object_object_get_ex(o, "port", &v));
	assert_int_equal(json_object_get_int(v), 8080);
	/* ::1 and ::ffff:127.0.0.1 are loopback, :: is not. */
	assert_int_equal(edge_check_proc_net_parse(tcp6, "tcp", true, list), 1);
	assert_int_equal(json_object_array_length(list), 5);
	o = json_object_array_get_idx(list, 2);
	assert_true(json_object_object_get_ex(o, "address", &v));
	assert_string_equal(json_object_get_string(v), "::1");
	o = json_object_array_get_idx(list, 3);
	assert_true(json_object_object_get_ex(o, "loopback", &v));
	assert_true(json_object_get_boolean(v));
	o = json_object_array_get_idx(list, 4);
	assert_true(json_object_object_get_ex(o, "address", &v));
	assert_string_equal(json_object_get_string(v), "::");
	/* UDP: bound and unconnected only. */
	assert_int_equal(edge_check_proc_net_parse(udp4, "udp", false, list), 1);
	assert_int_equal(json_object_array_length(list), 7);
	assert_int_equal(edge_check_proc_net_parse("", "udp", false, list), 0);
	json_object_put(list);
}

static void
exposure_text(void **state)
{
	json_object *unsafe = NULL;
	double x = -1;

	(void)state;
	assert_true(edge_check_exposure_parse(
	    "  NAME   DESCRIPTION   EXPOSURE\n"
	    "\xe2\x9c\x97 PrivateNetwork=      Service has access to the host's network    0.5\n"
	    "\xe2\x9c\x93 NoNewPrivileges=     Service processes cannot acquire new privileges\n"
	    "\n\xe2\x86\x92 Overall exposure level for x.service: 9.6 UNSAFE \xf0\x9f\x98\xa8\n",
	    &x, &unsafe));
	assert_true(x > 9.59 && x < 9.61);
	assert_int_equal(json_object_array_length(unsafe), 1);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(unsafe, 0)),
	    "PrivateNetwork=");
	json_object_put(unsafe);
	assert_true(edge_check_exposure_parse("- A=  d  0.1\n+ B=  d\n\n-> Overall exposure level for y.service: 1.2 OK :-)\n",
	    &x, &unsafe));
	assert_true(x > 1.19 && x < 1.21);
	assert_int_equal(json_object_array_length(unsafe), 1);
	json_object_put(unsafe);
	assert_false(edge_check_exposure_parse("Unit y.service not found.\n", &x, &unsafe));
	json_object_put(unsafe);
	assert_false(edge_check_exposure_parse("Overall exposure level for y.service: 11.0 UNSAFE\n", &x, NULL));
}

/* systemd-analyze security --offline=true UNIT: exposure as its own last line says. */
static void
analyze(const char *unit, double *x, char *line, size_t len)
{
	const char *const argv[] = { "systemd-analyze", "security", "--offline=true",
	    "--no-pager", unit, NULL };
	char *out = NULL, *p;
	int status;
	json_object *unsafe = NULL;

	assert_int_equal(edge_exec_argv("/usr/bin/systemd-analyze", argv, env,
	    1 << 20, 30000, &out, NULL, &status, NULL), EDGE_OK);
	assert_true(edge_check_exposure_parse(out, x, &unsafe));
	assert_true(json_object_array_length(unsafe) > 0);
	p = strstr(out, "Overall exposure level");
	assert_non_null(p);
	snprintf(line, len, "%.*s", (int)strcspn(p, "\n"), p);
	json_object_put(unsafe);
	free(out);
}

static void
systemd_analyze_offline(void **state)
{
	char weak[] = "/tmp/edge-test-unit.XXXXXX", path[64], line[128], want[16];
	double x;
	FILE *f;

	(void)state;
	if (access("/usr/bin/systemd-analyze", X_OK) != 0 ||
	    access("examples/systemd/edge-connect.service", R_OK) != 0)
		skip();
	analyze("examples/systemd/edge-connect.service", &x, line, sizeof(line));
	snprintf(want, sizeof(want), ": %.1f ", x);
	assert_non_null(strstr(line, want));
	assert_true(x <= 2.0);	/* the example passes unit.sandbox */
	assert_non_null(mkdtemp(weak));
	snprintf(path, sizeof(path), "%s/weak.service", weak);
	assert_non_null(f = fopen(path, "w"));
	fputs("[Service]\nExecStart=/bin/true\n", f);
	fclose(f);
	analyze(path, &x, line, sizeof(line));
	snprintf(want, sizeof(want), ": %.1f ", x);
	assert_non_null(strstr(line, want));
	assert_true(x > 2.0);	/* an unsandboxed unit warns */
	unlink(path);
	rmdir(weak);
}

static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* pid has ended (gone, or a zombie nobody reaped yet), within 2 s. */
static bool
gone(pid_t pid)
{
	char path[64], buf[256], *p;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	for (i = 0; i < 200; i++) {
		FILE *f = fopen(path, "r");
		size_t n;

		if (f == NULL)
			return true;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		if ((p = strrchr(buf, ')')) != NULL && p[1] == ' ' && p[2] == 'Z')
			return true;
		usleep(10000);
	}
	return false;
}

static void
exec_argv(void **state)
{
	const char *const echo[] = { "echo", "a;b", "$HOME", NULL };
	const char *const sh[] = { "sh", "-c", "echo out; echo err >&2; exit 3", NULL };
	const char *const big[] = { "sh", "-c", "yes | head -c 100000", NULL };
	const char *const slow[] = { "sleep", "30", NULL };
	const char *const orphan[] = { "sh", "-c", "sleep 30 & echo $!; exit 0", NULL };
	const char *const group[] = { "sh", "-c", "sleep 30 & echo $!; wait", NULL };
	char *out = NULL, *eout = NULL;
	long long t0;
	pid_t grand;
	struct edge_error err = { 0 };
	int status;

	(void)state;
	/* No shell: metacharacters reach the program as they are. */
	assert_int_equal(edge_exec_argv("/bin/echo", echo, env, 4096, 5000, &out,
	    NULL, &status, NULL), EDGE_OK);
	assert_string_equal(out, "a;b $HOME\n");
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	free(out);
	assert_int_equal(edge_exec_argv("/bin/sh", sh, env, 4096, 5000, &out,
	    &eout, &status, NULL), EDGE_OK);
	assert_string_equal(out, "out\n");
	assert_string_equal(eout, "err\n");
	assert_int_equal(WEXITSTATUS(status), 3);
	free(out);
	free(eout);
	/* Output beyond max is read and dropped. */
	assert_int_equal(edge_exec_argv("/bin/sh", big, env, 1000, 5000, &out,
	    NULL, &status, NULL), EDGE_OK);
	assert_int_equal(strlen(out), 1000);
	free(out);
	/* The time limit. */
	assert_int_equal(edge_exec_argv("/bin/sleep", slow, env, 100, 300, &out,
	    NULL, &status, NULL), EDGE_OK);
	assert_int_equal(status, -1);
	free(out);
	/*
	 * A child that leaves a grandchild holding its stdout: its end is not
	 * the limit's (it answers at once), and the grandchild is no reason
	 * to wait.
	 */
	t0 = mono_ms();
	assert_int_equal(edge_exec_argv("/bin/sh", orphan, env, 100, 10000, &out,
	    NULL, &status, NULL), EDGE_OK);
	assert_true(mono_ms() - t0 < 3000);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	grand = atoi(out);
	assert_true(grand > 1);
	kill(grand, SIGKILL);
	free(out);
	/* At the time limit the whole group goes, the grandchild too. */
	assert_int_equal(edge_exec_argv("/bin/sh", group, env, 100, 500, &out,
	    NULL, &status, NULL), EDGE_OK);
	assert_int_equal(status, -1);
	grand = atoi(out);
	assert_true(grand > 1);
	assert_true(gone(grand));
	free(out);
	assert_int_equal(edge_exec_argv("/nonexistent/prog", echo, env, 100, 300,
	    &out, NULL, &status, &err), EDGE_EFAIL);
	assert_non_null(strstr(err.msg, "/nonexistent/prog"));
	assert_null(out);
}

static void
find_prog(void **state)
{
	static const char *const dirs[] = { "/nonexistent", "/bin", NULL };
	char p[64];

	(void)state;
	assert_true(edge_check_find_prog("sh", dirs, p, sizeof(p)));
	assert_string_equal(p, "/bin/sh");
	assert_false(edge_check_find_prog("no-such-prog-here", dirs, p, sizeof(p)));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(nft_rulesets),
		cmocka_unit_test(iptables_rules),
		cmocka_unit_test(proc_net),
		cmocka_unit_test(exposure_text),
		cmocka_unit_test(systemd_analyze_offline),
		cmocka_unit_test(exec_argv),
		cmocka_unit_test(find_prog),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
