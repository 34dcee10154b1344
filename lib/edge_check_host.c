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

/* What one match or option does to the class of packets an accept lets in. */
enum fw_cond { COND_BROAD, COND_NARROW, COND_UNKNOWN };

/* How a chain's walk ended: a drop of all, an accept of all or a broad class, or its end. */
enum fw_end { END_DROPS, END_OPEN, END_FALL, END_RETURN };

#define FW_DEPTH	8	/* chains reached by jump/goto, followed this deep */

struct fw_walk {
	json_object *all;	/* the "nftables" array */
	const char *family, *table;
	int ipv;		/* 4 or 6: the packets judged */
	bool unsure;		/* a rule that cannot be judged was met */
	char *why;
	size_t len;
};

static bool
ct_state_narrow(json_object *right)
{
	size_t i, n;

	if (json_object_is_type(right, json_type_string))
		return strcmp(json_object_get_string(right), "established") == 0 ||
		    strcmp(json_object_get_string(right), "related") == 0;
	if (!json_object_is_type(right, json_type_array) ||
	    (n = json_object_array_length(right)) == 0)
		return false;
	for (i = 0; i < n; i++)
		if (!ct_state_narrow(json_object_array_get_idx(right, i)))
			return false;
	return true;
}

/* A match {"op","left","right"}: does it narrow an accept to what is fine? */
static enum fw_cond
nft_match(json_object *m)
{
	json_object *left, *right = NULL, *k;
	const char *op = jstr(m, "op");
	bool neg = strcmp(op, "!=") == 0;

	if (!json_object_object_get_ex(m, "left", &left))
		return COND_UNKNOWN;
	(void)json_object_object_get_ex(m, "right", &right);
	if (json_object_object_get_ex(left, "ct", &k) && strcmp(jstr(k, "key"), "state") == 0)
		return !neg && ct_state_narrow(right) ? COND_NARROW : COND_BROAD;
	if (json_object_object_get_ex(left, "meta", &k)) {
		const char *key = jstr(k, "key");

		if (strcmp(key, "iif") == 0 || strcmp(key, "iifname") == 0)
			return !neg && json_object_is_type(right, json_type_string) &&
			    strcmp(json_object_get_string(right), "lo") == 0 ?
			    COND_NARROW : COND_BROAD;
		if (strcmp(key, "l4proto") == 0 || strcmp(key, "protocol") == 0 ||
		    strcmp(key, "nfproto") == 0)
			return COND_BROAD;
		return COND_UNKNOWN;
	}
	if (json_object_object_get_ex(left, "payload", &k)) {
		const char *field = jstr(k, "field"), *proto = jstr(k, "protocol");
		json_object *px, *plen;

		if (strcmp(field, "protocol") == 0 || strcmp(field, "nexthdr") == 0)
			return COND_BROAD;
		if (strcmp(field, "saddr") == 0) {
			if (neg)
				return COND_BROAD;
			if (json_object_object_get_ex(right, "prefix", &px) &&
			    json_object_object_get_ex(px, "len", &plen) &&
			    json_object_get_int(plen) == 0)
				return COND_BROAD;
			return COND_NARROW;
		}
		if (strcmp(field, "dport") == 0 || strcmp(field, "sport") == 0 ||
		    ((strcmp(proto, "icmp") == 0 || strcmp(proto, "icmpv6") == 0) &&
		    strcmp(field, "type") == 0))
			return neg ? COND_BROAD : COND_NARROW;
	}
	return COND_UNKNOWN;
}

/* Does the match say the rule is for the other IP version only? */
static bool
nft_other_family(json_object *m, int ipv)
{
	json_object *left, *k;

	if (!json_object_object_get_ex(m, "left", &left) ||
	    !json_object_object_get_ex(left, "payload", &k) ||
	    strcmp(jstr(m, "op"), "!=") == 0)
		return false;
	return (ipv == 6 && strcmp(jstr(k, "protocol"), "ip") == 0) ||
	    (ipv == 4 && strcmp(jstr(k, "protocol"), "ip6") == 0);
}

static void
fw_note(struct fw_walk *w, const char *chain, size_t n, const char *what)
{
	if (w->why != NULL && w->why[0] == '\0')
		snprintf(w->why, w->len, "%s %s %s rule %zu: %s", w->family, w->table,
		    chain, n, what);
}

static enum fw_end nft_walk(struct fw_walk *w, const char *chain, int depth);

/* One rule, the n-th of chain: END_FALL to go on to the next. */
static enum fw_end
nft_rule(struct fw_walk *w, const char *chain, size_t n, json_object *expr, int depth)
{
	size_t i, len = json_object_array_length(expr);
	bool narrow = false, unknown = false, any = false, had;
	const char *verdict = NULL, *target = "";
	enum fw_end r;

	for (i = 0; i < len; i++) {
		json_object *x = json_object_array_get_idx(expr, i), *v;

		if (!json_object_is_type(x, json_type_object)) {
			unknown = true;
			continue;
		}
		if (json_object_object_get_ex(x, "match", &v)) {
			if (nft_other_family(v, w->ipv))
				return END_FALL;
			any = true;
			switch (nft_match(v)) {
			case COND_NARROW: narrow = true; break;
			case COND_UNKNOWN: unknown = true; break;
			case COND_BROAD: break;
			}
		} else if (json_object_object_get_ex(x, "accept", NULL)) {
			verdict = "accept";
		} else if (json_object_object_get_ex(x, "drop", NULL) ||
		    json_object_object_get_ex(x, "reject", NULL) ||
		    (json_object_object_get_ex(x, "xt", &v) &&
		    strcmp(jstr(v, "type"), "target") == 0 &&
		    (strcmp(jstr(v, "name"), "REJECT") == 0 ||
		    strcmp(jstr(v, "name"), "DROP") == 0))) {
			verdict = "drop";	/* also iptables-nft's -j REJECT */
		} else if (json_object_object_get_ex(x, "return", NULL)) {
			verdict = "return";
		} else if (json_object_object_get_ex(x, "jump", &v)) {
			verdict = "jump";
			target = jstr(v, "target");
		} else if (json_object_object_get_ex(x, "goto", &v)) {
			verdict = "goto";
			target = jstr(v, "target");
		} else if (!json_object_object_get_ex(x, "counter", NULL) &&
		    !json_object_object_get_ex(x, "log", NULL) &&
		    !json_object_object_get_ex(x, "continue", NULL)) {
			unknown = true;	/* vmap, queue, limit, set updates ... */
		}
	}
	if (verdict == NULL || (narrow && strcmp(verdict, "return") != 0)) {
		if (verdict == NULL && unknown)
			goto unsure;
		return END_FALL;	/* counts, logs, or for a narrow class only */
	}
	if (strcmp(verdict, "drop") == 0)
		return any || unknown ? END_FALL : END_DROPS;
	if (unknown)
		goto unsure;
	if (strcmp(verdict, "accept") == 0) {
		fw_note(w, chain, n, any ? "accepts a broad class of packets (no narrowing match: only protocol, ct state new, any address or a negated interface)"
		    : "accepts everything");
		return END_OPEN;
	}
	if (strcmp(verdict, "return") == 0) {
		if (any)
			goto unsure;
		return END_RETURN;	/* back to the caller, or the policy */
	}
	if (depth >= FW_DEPTH || target[0] == '\0')
		goto unsure;
	had = w->why != NULL && w->why[0] != '\0';
	r = nft_walk(w, target, depth + 1);
	if (r == END_OPEN) {
		char m[160];

		if (!had && w->why != NULL)
			w->why[0] = '\0';	/* named from here, the rule that jumps */
		snprintf(m, sizeof(m), "%s %s, which accepts everything or a broad class",
		    verdict, target);
		fw_note(w, chain, n, m);
		return END_OPEN;
	}
	if (r == END_DROPS)
		return any ? END_FALL : END_DROPS;
	/* Back from the chain: a goto without a match ends this one too. */
	return strcmp(verdict, "goto") == 0 && !any ? END_RETURN : END_FALL;
unsure:
	fw_note(w, chain, n, "cannot judge this rule; check by hand");
	w->unsure = true;
	return END_FALL;
}

/* The rules of chain in order, as nft lists them. */
static enum fw_end
nft_walk(struct fw_walk *w, const char *chain, int depth)
{
	size_t j, n = json_object_array_length(w->all), k = 0;

	for (j = 0; j < n; j++) {
		json_object *r, *expr;
		enum fw_end e;

		if (!json_object_object_get_ex(json_object_array_get_idx(w->all, j),
		    "rule", &r) || strcmp(jstr(r, "family"), w->family) != 0 ||
		    strcmp(jstr(r, "table"), w->table) != 0 ||
		    strcmp(jstr(r, "chain"), chain) != 0)
			continue;
		k++;
		if (!json_object_object_get_ex(r, "expr", &expr) ||
		    !json_object_is_type(expr, json_type_array)) {
			fw_note(w, chain, k, "cannot judge this rule; check by hand");
			w->unsure = true;
			continue;
		}
		if ((e = nft_rule(w, chain, k, expr, depth)) == END_RETURN)
			return END_FALL;
		if (e != END_FALL)
			return e;
	}
	return END_FALL;
}

static bool
table_dormant(json_object *all, const char *family, const char *name)
{
	size_t i, n = json_object_array_length(all);

	for (i = 0; i < n; i++) {
		json_object *t, *fl;

		if (!json_object_object_get_ex(json_object_array_get_idx(all, i), "table", &t) ||
		    strcmp(jstr(t, "family"), family) != 0 ||
		    strcmp(jstr(t, "name"), name) != 0 ||
		    !json_object_object_get_ex(t, "flags", &fl))
			continue;
		if (json_object_is_type(fl, json_type_string))
			return strcmp(json_object_get_string(fl), "dormant") == 0 ||
			    strcmp(json_object_get_string(fl), "d") == 0;	/* nft 1.0.6 */
		if (json_object_is_type(fl, json_type_array)) {
			size_t j;

			for (j = 0; j < json_object_array_length(fl); j++)
				if (strcmp(json_object_get_string(json_object_array_get_idx(fl, j)),
				    "dormant") == 0)
					return true;
		}
	}
	return false;
}

/* A base chain for one IP version: what unsolicited input meets. */
static enum edge_fw
nft_base(json_object *all, json_object *c, int ipv, char *why, size_t len)
{
	struct fw_walk w = { all, jstr(c, "family"), jstr(c, "table"), ipv, false, why, len };
	enum fw_end e = nft_walk(&w, jstr(c, "name"), 0);

	if (e == END_FALL && strcmp(jstr(c, "policy"), "drop") == 0)
		e = END_DROPS;
	else if (e == END_FALL && why != NULL && why[0] == '\0')
		snprintf(why, len, "%s %s %s: policy accept and no final drop",
		    w.family, w.table, jstr(c, "name"));
	if (e == END_OPEN)
		return EDGE_FW_OPEN;
	if (e == END_DROPS)
		return w.unsure ? EDGE_FW_UNSURE : EDGE_FW_DROPS;
	return EDGE_FW_OPEN;
}

static const char *const fw_names[] = { "open", "unsure", "drops" };

bool
edge_check_nft_parse(const char *json, enum edge_fw *v4, enum edge_fw *v6,
    json_object **chains, char *why, size_t len)
{
	json_object *root = json_tokener_parse(json), *a, *list;
	size_t i, n;

	*v4 = *v6 = EDGE_FW_OPEN;
	if (chains != NULL)
		*chains = NULL;
	if (why != NULL && len > 0)
		why[0] = '\0';
	if (root == NULL || !json_object_object_get_ex(root, "nftables", &a) ||
	    !json_object_is_type(a, json_type_array)) {
		json_object_put(root);
		return false;
	}
	list = json_object_new_array();
	n = json_object_array_length(a);
	for (i = 0; i < n; i++) {
		json_object *c, *o;
		const char *fam, *policy;
		enum edge_fw f4 = EDGE_FW_OPEN, f6 = EDGE_FW_OPEN;
		char w4[200] = "", w6[200] = "";
		bool dormant;

		if (!json_object_object_get_ex(json_object_array_get_idx(a, i),
		    "chain", &c) || strcmp(jstr(c, "hook"), "input") != 0 ||
		    strcmp(jstr(c, "type"), "filter") != 0)
			continue;
		fam = jstr(c, "family");
		if (strcmp(fam, "ip") != 0 && strcmp(fam, "ip6") != 0 &&
		    strcmp(fam, "inet") != 0)
			continue;
		policy = jstr(c, "policy");
		dormant = table_dormant(a, fam, jstr(c, "table"));
		if (!dormant && strcmp(fam, "ip6") != 0)
			f4 = nft_base(a, c, 4, w4, sizeof(w4));
		if (!dormant && strcmp(fam, "ip") != 0)
			f6 = nft_base(a, c, 6, w6, sizeof(w6));
		/* Every base chain on the hook runs: one that drops is enough. */
		if (f4 > *v4)
			*v4 = f4;
		if (f6 > *v6)
			*v6 = f6;
		if (why != NULL && why[0] == '\0' && (f4 != EDGE_FW_DROPS || f6 != EDGE_FW_DROPS))
			snprintf(why, len, "%s", w4[0] ? w4 : w6);
		o = json_object_new_object();
		json_object_object_add(o, "family", json_object_new_string(fam));
		json_object_object_add(o, "table", json_object_new_string(jstr(c, "table")));
		json_object_object_add(o, "chain", json_object_new_string(jstr(c, "name")));
		json_object_object_add(o, "policy", json_object_new_string(policy[0] ? policy : "accept"));
		json_object_object_add(o, "dormant", json_object_new_boolean(dormant));
		json_object_object_add(o, "drops", json_object_new_boolean(
		    f4 == EDGE_FW_DROPS || f6 == EDGE_FW_DROPS));
		if (strcmp(fam, "ip6") != 0)
			json_object_object_add(o, "ipv4", json_object_new_string(fw_names[f4]));
		if (strcmp(fam, "ip") != 0)
			json_object_object_add(o, "ipv6", json_object_new_string(fw_names[f6]));
		if (w4[0] || w6[0])
			json_object_object_add(o, "why", json_object_new_string(w4[0] ? w4 : w6));
		json_object_array_add(list, o);
	}
	json_object_put(root);
	if (chains != NULL)
		*chains = list;
	else
		json_object_put(list);
	return true;
}

/* iptables -S: one rule's words (a quoted --comment is one word). */
static size_t
ipt_words(const char *p, size_t n, char w[][64], size_t max)
{
	size_t k = 0, i = 0;

	while (i < n && k < max) {
		size_t j = 0;
		bool q = false;

		while (i < n && p[i] == ' ')
			i++;
		if (i >= n)
			break;
		while (i < n && (q || p[i] != ' ')) {
			if (p[i] == '"')
				q = !q;
			else if (j + 1 < 64)
				w[k][j++] = p[i];
			i++;
		}
		w[k++][j] = '\0';
	}
	return k;
}

static bool
ipt_states_narrow(const char *s)
{
	char buf[64], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save))
		if (strcmp(tok, "ESTABLISHED") != 0 && strcmp(tok, "RELATED") != 0)
			return false;
	return true;
}

/* One "-A INPUT ..." line: END_FALL to go on. */
static enum fw_end
ipt_rule(const char *p, size_t n, bool *unsure)
{
	char w[48][64];
	size_t k = ipt_words(p, n, w, 48), i;
	bool narrow = false, unknown = false, any = false, neg = false;
	const char *target = NULL;

	if (k >= 48)
		unknown = true;
	for (i = 2; i < k; i++) {
		const char *o = w[i], *v = i + 1 < k ? w[i + 1] : "";
		bool opt_neg = neg;

		neg = false;
		if (strcmp(o, "!") == 0) {
			neg = true;
			continue;
		}
		if (strcmp(o, "-j") == 0 || strcmp(o, "-g") == 0) {
			target = v;
			break;	/* the rest is the target's (--reject-with ...) */
		}
		if (o[0] != '-') {
			unknown = true;
			continue;
		}
		if (strcmp(o, "-m") == 0) {
			i++;
			continue;
		}
		if (strcmp(o, "--comment") == 0) {
			i++;
			continue;
		}
		any = true;
		if (strcmp(o, "-i") == 0 || strcmp(o, "--in-interface") == 0)
			narrow |= !opt_neg && strcmp(v, "lo") == 0;
		else if (strcmp(o, "-s") == 0 || strcmp(o, "--source") == 0)
			narrow |= !opt_neg && strcmp(v, "0.0.0.0/0") != 0 && strcmp(v, "::/0") != 0;
		else if (strcmp(o, "--ctstate") == 0 || strcmp(o, "--state") == 0)
			narrow |= !opt_neg && ipt_states_narrow(v);
		else if (strcmp(o, "--dport") == 0 || strcmp(o, "--dports") == 0 ||
		    strcmp(o, "--sport") == 0 || strcmp(o, "--sports") == 0 ||
		    strcmp(o, "--icmp-type") == 0 || strcmp(o, "--icmpv6-type") == 0)
			narrow |= !opt_neg;
		else if (strcmp(o, "-p") != 0 && strcmp(o, "--protocol") != 0)
			unknown = true;
		while (i + 1 < k && w[i + 1][0] != '-' && strcmp(w[i + 1], "!") != 0)
			i++;	/* the option's values */
	}
	if (target == NULL || narrow)
		return END_FALL;
	if (strcmp(target, "DROP") == 0 || strcmp(target, "REJECT") == 0)
		return any || unknown ? END_FALL : END_DROPS;
	if (strcmp(target, "LOG") == 0)
		return END_FALL;
	if (!unknown && strcmp(target, "ACCEPT") == 0)
		return END_OPEN;
	if (!unknown && !any && strcmp(target, "RETURN") == 0)
		return END_RETURN;	/* to the policy */
	*unsure = true;	/* a user chain (not listed by -S INPUT), or matches not known */
	return END_FALL;
}

enum edge_fw
edge_check_iptables_judge(const char *text, char *policy, size_t len, char *why,
    size_t wlen)
{
	const char *p = text;
	size_t nrule = 0;
	bool unsure = false, drop = false;
	enum fw_end end = END_FALL;

	snprintf(policy, len, "%s", "");
	if (why != NULL && wlen > 0)
		why[0] = '\0';
	while (*p != '\0') {
		size_t n = strcspn(p, "\n");

		if (n > 10 && strncmp(p, "-P INPUT ", 9) == 0) {
			size_t k = n - 9 < len ? n - 9 : len - 1;

			memcpy(policy, p + 9, k);
			policy[k] = '\0';
			drop = strcmp(policy, "DROP") == 0;
		} else if (end == END_FALL && strncmp(p, "-A INPUT ", 9) == 0) {
			bool u = false;

			nrule++;
			end = ipt_rule(p, n, &u);
			if (u && !unsure && why != NULL)
				snprintf(why, wlen, "INPUT rule %zu: cannot judge this rule; check by hand", nrule);
			unsure |= u;
			if (end == END_OPEN && why != NULL)
				snprintf(why, wlen, "INPUT rule %zu accepts everything or a broad class", nrule);
		}
		p += n;
		if (*p == '\n')
			p++;
	}
	if (end == END_OPEN)
		return EDGE_FW_OPEN;
	if (end == END_DROPS || drop)
		return unsure ? EDGE_FW_UNSURE : EDGE_FW_DROPS;
	if (why != NULL && !unsure)
		snprintf(why, wlen, "INPUT: policy %s and no final DROP", policy[0] ? policy : "ACCEPT");
	return EDGE_FW_OPEN;
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
	char why[320] = "", w[200];
	bool have_nft, have_ipt, read_any = false;
	enum edge_fw v4 = EDGE_FW_OPEN, v6 = EDGE_FW_OPEN, r;
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
			if (edge_check_nft_parse(out, &v4, &v6, &chains, why, sizeof(why))) {
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
	if (have_ipt && !(v4 == EDGE_FW_DROPS && v6 == EDGE_FW_DROPS)) {
		const char *const argv[] = { "iptables", "-S", "INPUT", NULL };
		const char *const argv6[] = { "ip6tables", "-S", "INPUT", NULL };
		char m[300] = "";

		if ((out = probe(ipt, argv, m, sizeof(m))) != NULL) {
			read_any = true;
			r = edge_check_iptables_judge(out, policy, sizeof(policy), w, sizeof(w));
			if (r > v4) {
				v4 = r;
				via = via ? "nftables and iptables" : "iptables";
			}
			if (r != EDGE_FW_DROPS && w[0] && !why[0])
				snprintf(why, sizeof(why), "iptables %s", w);
			json_object_object_add(d, "iptables_policy", json_object_new_string(policy));
			free(out);
		} else if (msg[0] == '\0') {
			snprintf(msg, sizeof(msg), "%s", m);
		}
		if (edge_check_find_prog("ip6tables", sbin_dirs, ip6t, sizeof(ip6t)) &&
		    (out = probe(ip6t, argv6, m, sizeof(m))) != NULL) {
			read_any = true;
			r = edge_check_iptables_judge(out, policy6, sizeof(policy6), w, sizeof(w));
			if (r > v6) {
				v6 = r;
				via = via ? via : "ip6tables";
			}
			if (r != EDGE_FW_DROPS && w[0] && !why[0])
				snprintf(why, sizeof(why), "ip6tables %s", w);
			json_object_object_add(d, "ip6tables_policy", json_object_new_string(policy6));
			free(out);
		}
	}
	json_object_object_add(d, "ipv4_filtered", json_object_new_boolean(v4 == EDGE_FW_DROPS));
	json_object_object_add(d, "ipv6_filtered", json_object_new_boolean(v6 == EDGE_FW_DROPS));
	if (why[0])
		json_object_object_add(d, "why", json_object_new_string(why));
	if (!read_any) {
		json_object_put(d);
		edge_check_add(f, "host.firewall", EDGE_V_SKIP, NULL,
		    "run edge-check as root to read the packet filter",
		    "the packet filter cannot be read: %s", msg);
	} else if (v4 == EDGE_FW_DROPS && v6 == EDGE_FW_DROPS) {
		edge_check_add(f, "host.firewall", EDGE_V_OK, d, NULL,
		    "input is filtered (%s): unsolicited IPv4 and IPv6 input is dropped", via);
	} else if (v4 != EDGE_FW_OPEN && v6 != EDGE_FW_OPEN) {
		edge_check_add(f, "host.firewall", EDGE_V_WARN, d,
		    "read the rule named and make sure only established/related, lo and the ports the gateway serves are accepted before the drop",
		    "input ends in a drop (%s), but %s", via ? via : "nftables", why);
	} else if (v4 != EDGE_FW_OPEN || v6 != EDGE_FW_OPEN) {
		edge_check_add(f, "host.firewall", EDGE_V_WARN, d,
		    "add an input chain with policy drop to an inet table (nft), or set ip6tables/iptables -P INPUT DROP",
		    "only %s input is filtered (%s); %s input is accepted%s%s",
		    v4 != EDGE_FW_OPEN ? "IPv4" : "IPv6", via ? via : "nftables",
		    v4 != EDGE_FW_OPEN ? "IPv6" : "IPv4", why[0] ? ": " : "", why);
	} else {
		edge_check_add(f, "host.firewall", EDGE_V_FAIL, d,
		    "load a ruleset that drops unsolicited input: nft add chain inet filter input '{ type filter hook input priority 0; policy drop; }' after accepting lo and established traffic",
		    "no packet filter drops unsolicited input (%s)%s%s",
		    have_nft ? "nft ruleset" : "iptables INPUT", why[0] ? ": " : "", why);
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

	while (p != NULL && p[1] != '\0') {
		char local[64], remote[64], addr[INET6_ADDRSTRLEN];
		unsigned char raw[16];
		unsigned lport, rport, st;
		bool loop;
		json_object *o;
		size_t i;

		p++;	/* past the '\n': the line */

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
