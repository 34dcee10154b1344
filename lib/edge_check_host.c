/* SPDX-License-Identifier: MIT */
/*
 * edge-check's host: a packet filter that drops unsolicited input
 * (host.firewall, from nft or iptables run without a shell), the listening
 * sockets (host.listening, from /proc/net) and edge-connect.service's
 * sandboxing (unit.sandbox, from systemd-analyze security where systemd
 * runs).  Reads only: nothing is loaded, created or changed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "edge_check.h"
#include "edge_check_host.h"
#include "edge_exec.h"
#include "edge_file.h"

#define PROBE_OUT_MAX	(1024 * 1024)	/* a large ruleset still fits */
#define PROBE_TIMEOUT_MS	10000
#define SANDBOX_MAX_EXPOSURE	2.0
#define SANDBOX_UNIT	"edge-connect.service"

static const char *const sbin_dirs[] = { "/usr/sbin", "/sbin", "/usr/bin", "/bin", NULL };
static const char *const probe_env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
	"LC_ALL=C", "SYSTEMD_PAGER=", "SYSTEMD_COLORS=0", NULL };

bool
edge_check_find_prog(const char *name, const char *const *dirs, char *path,
    size_t len)
{
	size_t i;

	for (i = 0; dirs[i] != NULL; i++) {
		int n = snprintf(path, len, "%s/%s", dirs[i], name);

		if (n > 0 && (size_t)n < len && access(path, X_OK) == 0)
			return true;
	}
	return false;
}

/* The first line of s (a program's complaint) into buf. */
static const char *
first_line(const char *s, char *buf, size_t len)
{
	size_t n = s != NULL ? strcspn(s, "\n") : 0;

	if (n >= len)
		n = len - 1;
	if (n > 0)
		memcpy(buf, s, n);
	buf[n] = '\0';
	return buf;
}

/* ---- host.firewall ---- */

static const char *
jstr(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) &&
	    json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
}

/* A rule that drops whatever reaches it: only counter/log before drop or reject. */
static bool
rule_drops_all(json_object *rule)
{
	json_object *expr;
	size_t i, n;

	if (!json_object_object_get_ex(rule, "expr", &expr) ||
	    !json_object_is_type(expr, json_type_array) ||
	    (n = json_object_array_length(expr)) == 0)
		return false;
	for (i = 0; i < n; i++) {
		json_object *x = json_object_array_get_idx(expr, i);
		bool last = i + 1 == n;

		if (!json_object_is_type(x, json_type_object))
			return false;
		if (last && (json_object_object_get_ex(x, "drop", NULL) ||
		    json_object_object_get_ex(x, "reject", NULL)))
			return true;
		if (!json_object_object_get_ex(x, "counter", NULL) &&
		    !json_object_object_get_ex(x, "log", NULL))
			return false;
	}
	return false;
}

bool
edge_check_nft_parse(const char *json, bool *v4, bool *v6,
    json_object **chains)
{
	json_object *root = json_tokener_parse(json), *a, *list;
	size_t i, j, n;

	*v4 = *v6 = false;
	if (chains != NULL)
		*chains = NULL;
	if (root == NULL || !json_object_object_get_ex(root, "nftables", &a) ||
	    !json_object_is_type(a, json_type_array)) {
		json_object_put(root);
		return false;
	}
	list = json_object_new_array();
	n = json_object_array_length(a);
	for (i = 0; i < n; i++) {
		json_object *c, *last = NULL, *o;
		const char *fam, *policy;
		bool drops;

		if (!json_object_object_get_ex(json_object_array_get_idx(a, i),
		    "chain", &c) || strcmp(jstr(c, "hook"), "input") != 0 ||
		    strcmp(jstr(c, "type"), "filter") != 0)
			continue;
		fam = jstr(c, "family");
		if (strcmp(fam, "ip") != 0 && strcmp(fam, "ip6") != 0 &&
		    strcmp(fam, "inet") != 0)
			continue;
		/* The chain's rules, in order: the last one decides. */
		for (j = 0; j < n; j++) {
			json_object *r;

			if (json_object_object_get_ex(json_object_array_get_idx(a, j),
			    "rule", &r) && strcmp(jstr(r, "family"), fam) == 0 &&
			    strcmp(jstr(r, "table"), jstr(c, "table")) == 0 &&
			    strcmp(jstr(r, "chain"), jstr(c, "name")) == 0)
				last = r;
		}
		policy = jstr(c, "policy");
		drops = strcmp(policy, "drop") == 0 ||
		    (last != NULL && rule_drops_all(last));
		if (drops && strcmp(fam, "ip6") != 0)
			*v4 = true;
		if (drops && strcmp(fam, "ip") != 0)
			*v6 = true;
		o = json_object_new_object();
		json_object_object_add(o, "family", json_object_new_string(fam));
		json_object_object_add(o, "table", json_object_new_string(jstr(c, "table")));
		json_object_object_add(o, "chain", json_object_new_string(jstr(c, "name")));
		json_object_object_add(o, "policy", json_object_new_string(policy[0] ? policy : "accept"));
		json_object_object_add(o, "drops", json_object_new_boolean(drops));
		json_object_array_add(list, o);
	}
	json_object_put(root);
	if (chains != NULL)
		*chains = list;
	else
		json_object_put(list);
	return true;
}

bool
edge_check_iptables_drops(const char *text, char *policy, size_t len)
{
	const char *p = text, *last = NULL;
	size_t lastlen = 0;
	bool drop = false;

	snprintf(policy, len, "%s", "");
	while (*p != '\0') {
		size_t n = strcspn(p, "\n");

		if (n > 10 && strncmp(p, "-P INPUT ", 9) == 0) {
			size_t k = n - 9 < len ? n - 9 : len - 1;

			memcpy(policy, p + 9, k);
			policy[k] = '\0';
			drop = strcmp(policy, "DROP") == 0;
		} else if (strncmp(p, "-A INPUT ", 9) == 0) {
			last = p;
			lastlen = n;
		}
		p += n;
		if (*p == '\n')
			p++;
	}
	if (last != NULL && ((lastlen == 16 && strncmp(last, "-A INPUT -j DROP", 16) == 0) ||
	    (lastlen >= 18 && strncmp(last, "-A INPUT -j REJECT", 18) == 0 &&
	    (lastlen == 18 || last[18] == ' '))))
		drop = true;
	return drop;
}

/* Run prog argv: its output, or NULL with why in msg. */
static char *
probe(const char *prog, const char *const argv[], char *msg, size_t len)
{
	char *out = NULL, *eout = NULL, line[160];
	int status;
	struct edge_error err = { 0 };

	if (edge_exec_argv(prog, argv, probe_env, PROBE_OUT_MAX, PROBE_TIMEOUT_MS,
	    &out, &eout, &status, &err) != EDGE_OK) {
		first_line(err.msg, msg, len);
		return NULL;
	}
	if (status == -1)
		snprintf(msg, len, "%s: no answer within %d s", prog,
		    PROBE_TIMEOUT_MS / 1000);
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		snprintf(msg, len, "%s: %s", prog, eout[0] ? first_line(eout, line,
		    sizeof(line)) : "failed");
	else {
		free(eout);
		return out;
	}
	free(out);
	free(eout);
	return NULL;
}

static void
check_firewall(struct edge_findings *f)
{
	char nft[256], ipt[256], ip6t[256], msg[300] = "", policy[32], policy6[32];
	bool have_nft, have_ipt, v4 = false, v6 = false, read_any = false;
	json_object *d = json_object_new_object(), *chains = NULL;
	const char *via = NULL;
	char *out;

	have_nft = edge_check_find_prog("nft", sbin_dirs, nft, sizeof(nft));
	have_ipt = edge_check_find_prog("iptables", sbin_dirs, ipt, sizeof(ipt));
	if (!have_nft && !have_ipt) {
		json_object_put(d);
		edge_check_add(f, "host.firewall", EDGE_V_SKIP, NULL,
		    "install nftables (or iptables) and load a ruleset that drops unsolicited input",
		    "neither nft (package nftables) nor iptables (package iptables) is installed: the packet filter cannot be read");
		return;
	}
	if (have_nft) {
		const char *const argv[] = { "nft", "-j", "list", "ruleset", NULL };

		if ((out = probe(nft, argv, msg, sizeof(msg))) != NULL) {
			if (edge_check_nft_parse(out, &v4, &v6, &chains)) {
				read_any = true;
				via = "nftables";
				json_object_object_add(d, "nft_input_chains", chains);
			} else {
				snprintf(msg, sizeof(msg), "%s -j list ruleset: not nft's JSON", nft);
			}
			free(out);
		}
	}
	/* iptables-legacy rules are not in the nft ruleset: ask iptables too. */
	if (have_ipt && !(v4 && v6)) {
		const char *const argv[] = { "iptables", "-S", "INPUT", NULL };
		const char *const argv6[] = { "ip6tables", "-S", "INPUT", NULL };
		char m[300] = "";

		if ((out = probe(ipt, argv, m, sizeof(m))) != NULL) {
			read_any = true;
			if (edge_check_iptables_drops(out, policy, sizeof(policy)) && !v4) {
				v4 = true;
				via = via ? "nftables and iptables" : "iptables";
			}
			json_object_object_add(d, "iptables_policy", json_object_new_string(policy));
			free(out);
		} else if (msg[0] == '\0') {
			snprintf(msg, sizeof(msg), "%s", m);
		}
		if (edge_check_find_prog("ip6tables", sbin_dirs, ip6t, sizeof(ip6t)) &&
		    (out = probe(ip6t, argv6, m, sizeof(m))) != NULL) {
			read_any = true;
			if (edge_check_iptables_drops(out, policy6, sizeof(policy6)) && !v6) {
				v6 = true;
				via = via ? via : "ip6tables";
			}
			json_object_object_add(d, "ip6tables_policy", json_object_new_string(policy6));
			free(out);
		}
	}
	json_object_object_add(d, "ipv4_filtered", json_object_new_boolean(v4));
	json_object_object_add(d, "ipv6_filtered", json_object_new_boolean(v6));
	if (!read_any) {
		json_object_put(d);
		edge_check_add(f, "host.firewall", EDGE_V_SKIP, NULL,
		    "run edge-check as root to read the packet filter",
		    "the packet filter cannot be read: %s", msg);
	} else if (v4 && v6) {
		edge_check_add(f, "host.firewall", EDGE_V_OK, d, NULL,
		    "input is filtered (%s): unsolicited IPv4 and IPv6 input is dropped", via);
	} else if (v4 || v6) {
		edge_check_add(f, "host.firewall", EDGE_V_WARN, d,
		    "add an input chain with policy drop to an inet table (nft), or set ip6tables/iptables -P INPUT DROP",
		    "only %s input is filtered (%s); %s input is accepted", v4 ? "IPv4" : "IPv6",
		    via, v4 ? "IPv6" : "IPv4");
	} else {
		edge_check_add(f, "host.firewall", EDGE_V_FAIL, d,
		    "load a ruleset that drops unsolicited input: nft add chain inet filter input '{ type filter hook input priority 0; policy drop; }' after accepting lo and established traffic",
		    "no packet filter drops unsolicited input: no input chain with policy drop or a final drop/reject (%s)",
		    have_nft ? "nft ruleset" : "iptables INPUT");
	}
}

/* ---- host.listening ---- */

static bool
hex_word(const char *s, uint32_t *w)
{
	char buf[9];
	char *end;

	memcpy(buf, s, 8);
	buf[8] = '\0';
	*w = (uint32_t)strtoul(buf, &end, 16);
	return end == buf + 8;
}

size_t
edge_check_proc_net_parse(const char *text, const char *proto, bool v6,
    json_object *list)
{
	const char *p = strchr(text, '\n');	/* the header line */
	size_t exposed = 0, alen = v6 ? 32 : 8;
	bool tcp = strcmp(proto, "tcp") == 0;

	while (p != NULL && *++p != '\0') {
		char local[64], remote[64], addr[INET6_ADDRSTRLEN];
		unsigned char raw[16];
		unsigned lport, rport, st;
		bool loop;
		json_object *o;
		size_t i;

		if (sscanf(p, "%*u: %63[0-9A-Fa-f:] %63[0-9A-Fa-f:] %x", local,
		    remote, &st) != 3 || strlen(local) != alen + 5 ||
		    local[alen] != ':' || sscanf(local + alen + 1, "%x", &lport) != 1 ||
		    sscanf(strchr(remote, ':') ? strchr(remote, ':') + 1 : "", "%x",
		    &rport) != 1)
			goto next;
		/* TCP LISTEN (0x0A); UDP unconnected (TCP_CLOSE, 0x07, no peer). */
		if (tcp ? st != 0x0A : st != 0x07 || rport != 0)
			goto next;
		for (i = 0; i < alen / 8; i++) {
			uint32_t w;

			if (!hex_word(local + 8 * i, &w))
				goto next;
			memcpy(raw + 4 * i, &w, 4);	/* the kernel prints each word in host order */
		}
		if (v6) {
			static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0,
			    0, 0, 0xff, 0xff };
			static const unsigned char one[16] = { [15] = 1 };

			inet_ntop(AF_INET6, raw, addr, sizeof(addr));
			loop = memcmp(raw, one, 16) == 0 ||
			    (memcmp(raw, mapped, 12) == 0 && raw[12] == 127);
		} else {
			inet_ntop(AF_INET, raw, addr, sizeof(addr));
			loop = raw[0] == 127;
		}
		o = json_object_new_object();
		json_object_object_add(o, "proto", json_object_new_string(proto));
		json_object_object_add(o, "address", json_object_new_string(addr));
		json_object_object_add(o, "port", json_object_new_int((int)lport));
		json_object_object_add(o, "loopback", json_object_new_boolean(loop));
		json_object_array_add(list, o);
		if (!loop)
			exposed++;
next:
		p = strchr(p, '\n');
	}
	return exposed;
}

static void
check_listening(struct edge_findings *f)
{
	static const struct { const char *file, *proto; bool v6; } src[] = {
		{ "/proc/net/tcp", "tcp", false }, { "/proc/net/tcp6", "tcp", true },
		{ "/proc/net/udp", "udp", false }, { "/proc/net/udp6", "udp", true },
	};
	json_object *list = json_object_new_array(), *d = json_object_new_object();
	char names[EDGE_CHECK_WHAT_MAX] = "", unread[128] = "";
	size_t i, exposed = 0, n;

	for (i = 0; i < sizeof(src) / sizeof(src[0]); i++) {
		char *text = NULL;

		if (edge_file_read(AT_FDCWD, src[i].file, 16 * 1024 * 1024, &text,
		    NULL, NULL) != EDGE_OK) {
			/* No IPv6 in the kernel: no tcp6/udp6, nothing listens there. */
			if (!src[i].v6) {
				size_t u = strlen(unread);

				snprintf(unread + u, sizeof(unread) - u, "%s%s",
				    u ? ", " : "", src[i].file);
			}
			continue;
		}
		exposed += edge_check_proc_net_parse(text, src[i].proto, src[i].v6, list);
		free(text);
	}
	n = json_object_array_length(list);
	for (i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(list, i), *v;
		const char *a;
		size_t u = strlen(names);

		if (json_object_object_get_ex(o, "loopback", &v) &&
		    json_object_get_boolean(v))
			continue;
		a = jstr(o, "address");
		json_object_object_get_ex(o, "port", &v);
		snprintf(names + u, sizeof(names) - u, "%s%s%s%s:%d/%s", u ? ", " : "",
		    strchr(a, ':') ? "[" : "", a, strchr(a, ':') ? "]" : "",
		    json_object_get_int(v), jstr(o, "proto"));
	}
	json_object_object_add(d, "sockets", list);
	json_object_object_add(d, "exposed", json_object_new_int64((int64_t)exposed));
	if (unread[0] != '\0')
		edge_check_add(f, "host.listening", EDGE_V_SKIP, d, NULL,
		    "cannot read %s: the listening sockets are not known", unread);
	else if (exposed > 0)
		edge_check_add(f, "host.listening", EDGE_V_WARN, d,
		    "close what is not needed; let the firewall drop the rest from outside (ss -tulpn names the programs)",
		    "%zu socket(s) listen on a non-loopback address: %s", exposed, names);
	else
		edge_check_add(f, "host.listening", EDGE_V_OK, d, NULL,
		    n ? "%zu listening socket(s), all on loopback" :
		    "no listening sockets", n);
}

/* ---- unit.sandbox ---- */

bool
edge_check_exposure_parse(const char *text, double *exposure,
    json_object **unsafe)
{
	static const char key[] = "Overall exposure level for ";
	const char *p = text, *o;
	char *end;

	if (unsafe != NULL)
		*unsafe = json_object_new_array();
	/* Settings that add exposure: "✗ NAME ..." (UTF-8) or "- NAME ..." (C locale). */
	while (unsafe != NULL && *p != '\0') {
		size_t n = strcspn(p, "\n"), skip = 0;

		if (strncmp(p, "\xe2\x9c\x97 ", 4) == 0)
			skip = 4;
		else if (strncmp(p, "- ", 2) == 0)
			skip = 2;
		if (skip != 0 && n > skip) {
			size_t w = strcspn(p + skip, " \t\n");

			json_object_array_add(*unsafe,
			    json_object_new_string_len(p + skip, (int)w));
		}
		p += n;
		if (*p == '\n')
			p++;
	}
	if ((o = strstr(text, key)) == NULL || (o = strstr(o, ": ")) == NULL)
		return false;
	*exposure = strtod(o + 2, &end);
	return end != o + 2 && *exposure >= 0.0 && *exposure <= 10.0;
}

static void
check_sandbox(struct edge_findings *f)
{
	static const char *const dirs[] = { "/usr/bin", "/bin", NULL };
	char prog[256], sctl[256], msg[300] = "";
	const char *const show[] = { "systemctl", "show", "--property=LoadState",
		"--value", SANDBOX_UNIT, NULL };
	const char *const argv[] = { "systemd-analyze", "security", "--no-pager",
		SANDBOX_UNIT, NULL };
	json_object *d, *unsafe = NULL;
	double exposure;
	char *out;

	if (access("/run/systemd/system", F_OK) != 0) {
		edge_check_add(f, "unit.sandbox", EDGE_V_SKIP, NULL, NULL,
		    "systemd is not running here (no /run/systemd/system): no unit to judge");
		return;
	}
	if (!edge_check_find_prog("systemctl", dirs, sctl, sizeof(sctl)) ||
	    !edge_check_find_prog("systemd-analyze", dirs, prog, sizeof(prog))) {
		edge_check_add(f, "unit.sandbox", EDGE_V_SKIP, NULL, NULL,
		    "systemctl or systemd-analyze not found (package systemd)");
		return;
	}
	if ((out = probe(sctl, show, msg, sizeof(msg))) == NULL ||
	    strncmp(out, "loaded", 6) != 0) {
		edge_check_add(f, "unit.sandbox", EDGE_V_SKIP, NULL, NULL,
		    "%s is not installed%s%s", SANDBOX_UNIT, out ? "" : ": ",
		    out ? "" : msg);
		free(out);
		return;
	}
	free(out);
	if ((out = probe(prog, argv, msg, sizeof(msg))) == NULL ||
	    !edge_check_exposure_parse(out, &exposure, &unsafe)) {
		edge_check_add(f, "unit.sandbox", EDGE_V_SKIP, NULL, NULL,
		    "systemd-analyze security %s: %s", SANDBOX_UNIT,
		    out ? "no overall exposure level in its output" : msg);
		json_object_put(unsafe);
		free(out);
		return;
	}
	free(out);
	d = json_object_new_object();
	json_object_object_add(d, "unit", json_object_new_string(SANDBOX_UNIT));
	json_object_object_add(d, "exposure", json_object_new_double(exposure));
	json_object_object_add(d, "max_exposure", json_object_new_double(SANDBOX_MAX_EXPOSURE));
	json_object_object_add(d, "unsafe", unsafe);
	if (exposure > SANDBOX_MAX_EXPOSURE)
		edge_check_add(f, "unit.sandbox", EDGE_V_WARN, d,
		    "sandbox the unit as examples/systemd/edge-connect.service does; systemd-analyze security " SANDBOX_UNIT " lists what is missing",
		    "%s: exposure %.1f, above %.1f", SANDBOX_UNIT, exposure,
		    SANDBOX_MAX_EXPOSURE);
	else
		edge_check_add(f, "unit.sandbox", EDGE_V_OK, d, NULL,
		    "%s: exposure %.1f (at most %.1f)", SANDBOX_UNIT, exposure,
		    SANDBOX_MAX_EXPOSURE);
}

void
edge_check_host(const struct edge_check_env *e, struct edge_findings *f)
{
	(void)e;
	check_firewall(f);
	check_listening(f);
	check_sandbox(f);
}
