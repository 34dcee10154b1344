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

/*
 * `nft -j list ruleset`: which families' input is filtered, i.e. has a
 * filter chain on the input hook whose policy is drop or whose last rule is
 * an unconditional drop or reject.  *v4 and *v6 tell IPv4 and IPv6 (an inet
 * table counts for both); chains (may be NULL; caller puts) gets
 * [{"family","table","chain","policy","drops"}] for every input chain.
 * False when json is not nft's JSON.
 */
bool edge_check_nft_parse(const char *json, bool *v4, bool *v6,
    json_object **chains);

/*
 * `iptables -S INPUT` (or ip6tables): true when the INPUT policy is DROP or
 * the last rule is "-A INPUT -j DROP" or "-j REJECT ..." without a match.
 * *policy gets the policy ("ACCEPT"), room for len.
 */
bool edge_check_iptables_drops(const char *text, char *policy, size_t len);

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
