/* SPDX-License-Identifier: MIT */
#ifndef EDGE_CHECK_HOST_H
#define EDGE_CHECK_HOST_H

/*
 * The parts of edge-check's host checks (edge_check_host.c) that read what
 * another program printed or the kernel lists, apart so that they can be
 * tested on their own.  Never prints.
 */

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

/*
 * Look for the program name in the fixed directories dirs (NULL-terminated;
 * never $PATH): true with path[0..len) set when one is executable.
 */
bool edge_check_find_prog(const char *name, const char *const *dirs,
    char *path, size_t len);

/* What unsolicited input meets: let in, cannot be judged, dropped. */
enum edge_fw { EDGE_FW_OPEN = 0, EDGE_FW_UNSURE = 1, EDGE_FW_DROPS = 2 };

/*
 * `nft -j list ruleset`: for IPv4 and IPv6 (an inet table counts for both)
 * whether unsolicited input is dropped.  Every rule of each filter chain
 * on the input hook (tables flagged dormant left out) is walked in order,
 * and the chains it jumps or goes to (8 deep): an accept of everything or
 * of a broad class (no match; only a protocol, ct state new, any address,
 * a negated or non-lo interface; a jump/goto to such a chain) before a drop
 * of everything (or the policy drop) is OPEN; accepts only for
 * established/related, iif lo, ports, source addresses or ICMP types are
 * fine; a rule not understood makes a drop UNSURE.  One base chain that
 * drops is enough (every base chain on the hook runs).  why (may be NULL)
 * gets the first rule that lets in or cannot be judged ("inet f input rule
 * 3: accepts everything").  chains (may be NULL; caller puts) gets
 * [{"family","table","chain","policy","dormant","drops","ipv4","ipv6","why"}]
 * for every input chain.  False when json is not nft's JSON.
 */
bool edge_check_nft_parse(const char *json, enum edge_fw *v4, enum edge_fw *v6,
    json_object **chains, char *why, size_t len);

/*
 * `iptables -S INPUT` (or ip6tables), the same judgement: the rules in
 * order, a drop of everything or the policy DROP at the end; -j ACCEPT
 * without a narrowing match (-i lo, --ctstate/--state ESTABLISHED,RELATED,
 * --dport(s)/--sport(s), -s ADDR, --icmp-type) before it is OPEN; a jump to
 * a user chain or an option not known is UNSURE.  *policy gets the policy
 * ("ACCEPT"), room for len; why (may be NULL) the rule.
 */
enum edge_fw edge_check_iptables_judge(const char *text, char *policy, size_t len,
    char *why, size_t wlen);

/*
 * One of /proc/net/{tcp,tcp6,udp,udp6}: adds to list (a json array) each
 * listening TCP socket or bound, unconnected UDP socket as
 * {"proto","address","port","loopback"}; proto is "tcp" or "udp" and v6
 * says the file's address form.  Returns how many of them are not on a
 * loopback address.
 */
size_t edge_check_proc_net_parse(const char *text, const char *proto, bool v6,
    json_object *list);

/*
 * `systemd-analyze security UNIT` (the text form, also --offline=true):
 * *exposure gets the overall exposure level (0.0 .. 10.0) and unsafe (may
 * be NULL; caller puts) the names of the settings marked ✗.  False when no
 * "Overall exposure level" line is found.
 */
bool edge_check_exposure_parse(const char *text, double *exposure,
    json_object **unsafe);

#endif
