#!/bin/sh
# SPDX-License-Identifier: MIT
# edge-check's clock, state directory and host checks, for real: a trusted
# time recorded from a verified CRL made under libfaketime, the kernel's own
# synchronisation state, modes and links in a real state directory, packet
# filters and listeners in fresh network namespaces (unshare -n).  The
# systemd-analyze parse is tested in tests/unit/test_check_host.c.
. "$(dirname "$0")/../lib.sh"
setup

D=$T/edge
mkdir -m 700 "$D"
edge-keygen -q -d "$D" >/dev/null && ok "a state directory with a file key" ||
	not_ok "a state directory with a file key"

# check [runner...]: edge-check --json into $T/check.json (exit status in $crc).
check() {
	crc=0
	"$@" edge-check -d "$D" --json > "$T/check.json" 2> "$T/check.err" || crc=$?
}
# v ID: the verdict of check ID in $T/check.json.
v() { jq -r --arg id "$1" '.checks[] | select(.id == $id) | .verdict' "$T/check.json"; }
# field ID JQ: a value of check ID.
field() { jq -r --arg id "$1" ".checks[] | select(.id == \$id) | $2" "$T/check.json"; }

# ---- clock.trusted ----
check
assert_eq "no trusted-time yet: clock.trusted skips" "$(v clock.trusted)" skip
if have_faketime && command -v certtool >/dev/null 2>&1; then
	# A root and a CRL signed two days from now, installed by edge-crl-update
	# running two days ahead: trusted-time is its thisUpdate.
	certtool --generate-privkey --key-type=rsa --bits=2048 --outfile "$T/ca.key" 2>/dev/null
	printf 'cn = "Check Root"\nca\ncert_signing_key\ncrl_signing_key\nexpiration_days = 3650\n' > "$T/ca.tmpl"
	certtool --generate-self-signed --load-privkey "$T/ca.key" --template "$T/ca.tmpl" \
	    --outfile "$D/ca.pem" 2>/dev/null
	printf 'crl_next_update = 7\ncrl_number = 1\n' > "$T/crl.tmpl"
	at_time +2d certtool --generate-crl --load-ca-privkey "$T/ca.key" \
	    --load-ca-certificate "$D/ca.pem" --template "$T/crl.tmpl" --outfile "$T/crl.pem" 2>/dev/null
	assert_ok "edge-crl-update two days ahead records the CRL's thisUpdate" \
	    at_time +2d edge-crl-update -d "$D" --from "$T/crl.pem"
	tt=$(cut -d' ' -f1 "$D/trusted-time")
	before=$(digest "$D/trusted-time")
	now=$(date +%s)
	check
	assert_eq "the clock two days behind trusted-time: clock.trusted fails" "$(v clock.trusted)" fail
	assert_eq "exit 9" "$crc" 9
	field clock.trusted .what > "$T/what"
	assert_grep "it says the clock is earlier than trusted time" "system clock is earlier than trusted time" "$T/what"
	assert_eq "data.trusted_time is the recorded time" "$(field clock.trusted .data.trusted_time)" "$tt"
	behind=$((tt - now))
	got=$(( - $(field clock.trusted .data.ahead_seconds) ))
	[ "$got" -ge $((behind - 60)) ] && [ "$got" -le $((behind + 60)) ] &&
		ok "data.ahead_seconds is -$behind, as date(1) makes it ($got)" ||
		not_ok "data.ahead_seconds is -$behind, as date(1) makes it ($got)"
	[ -n "$(field clock.trusted .fix)" ] && ok "a fix is given" || not_ok "a fix is given"
	check at_time +2d
	assert_eq "at the CRL's time: clock.trusted ok" "$(v clock.trusted)" ok
	check at_time "@$(TZ=UTC date -u -d "@$((tt - 48))" '+%Y-%m-%d %H:%M:%S')"
	assert_eq "48 s behind trusted-time (tolerance 3600 s): clock.trusted ok" "$(v clock.trusted)" ok
	field clock.trusted .what > "$T/what"
	assert_grep "... and it says how far behind, within the tolerance" \
	    "is 4[0-9] s behind trusted time .*, within the tolerance of 3600 s" "$T/what"
	check at_time +400d
	assert_eq "400 days ahead of trusted-time: clock.trusted warns" "$(v clock.trusted)" warn
	field clock.trusted .what > "$T/what"
	assert_grep "it says how far ahead" "days ahead of trusted time" "$T/what"
	assert_eq "edge-check never moves trusted-time" "$(digest "$D/trusted-time")" "$before"
	mv "$D/trusted-time" "$T/tt-saved"
	ln -s "$T/tt-saved" "$D/trusted-time"
	check
	assert_eq "a symlinked trusted-time fails" "$(v clock.trusted)" fail
	rm "$D/trusted-time"
	mv "$T/tt-saved" "$D/trusted-time"
else
	for d in "clock behind trusted-time fails" "clock at trusted-time ok" "clock 48 s behind ok" "clock 48 s behind says so" "clock far ahead warns" \
	    "trusted-time unchanged" "symlinked trusted-time fails"; do
		skip "$d" "libfaketime (Debian package faketime) or certtool (gnutls-bin) not installed"
	done
fi

# ---- clock.ntp: the kernel's own state, read here by Python through adjtimex(2) ----
if command -v python3 >/dev/null 2>&1 && python3 -c 'import ctypes' 2>/dev/null; then
	kstate=$(python3 - <<'EOF'
import ctypes, ctypes.util
libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
buf = ctypes.create_string_buffer(512)   # struct timex, modes 0: read only
rc = libc.adjtimex(buf)
status = int.from_bytes(buf.raw[5 * ctypes.sizeof(ctypes.c_long):5 * ctypes.sizeof(ctypes.c_long) + 4], "little")
print("unsync" if rc == 5 or status & 0x40 else "sync")
EOF
)
	check
	if [ "$kstate" = unsync ]; then
		assert_eq "the kernel clock is not synchronised here (adjtimex): clock.ntp warns" "$(v clock.ntp)" warn
		assert_eq "data.synchronized false" "$(field clock.ntp .data.synchronized)" false
		assert_grep "the fix names systemd-timesyncd" "systemd-timesyncd" "$T/check.json"
		skip "a synchronised clock: clock.ntp ok" \
		    "the kernel clock is not synchronised here, and clearing STA_UNSYNC needs CAP_SYS_TIME on the host's kernel (no namespace holds it)"
	else
		assert_eq "the kernel clock is synchronised here (adjtimex): clock.ntp ok" "$(v clock.ntp)" ok
		assert_eq "data.synchronized true" "$(field clock.ntp .data.synchronized)" true
		skip "an unsynchronised clock: clock.ntp warns" \
		    "the kernel clock is synchronised here; setting STA_UNSYNC would change the host's clock"
	fi
	if [ -d /run/systemd/system ] && command -v timedatectl >/dev/null 2>&1; then
		want=$(timedatectl show --property=NTPSynchronized --value)
		[ "$want" = yes ] && want=true || want=false
		assert_eq "data.ntp_synchronized as timedatectl says" "$(field clock.ntp .data.ntp_synchronized)" "$want"
	else
		assert_eq "without systemd no timedatectl state" "$(field clock.ntp .data.ntp_synchronized)" null
	fi
else
	skip "clock.ntp against adjtimex" "python3 with ctypes not installed"
fi

# ---- state.dir ----
check
assert_eq "0700 directory, 0600 key.pem: state.dir ok" "$(v state.dir)" ok
assert_eq "data.mode as stat(1) says" "$(field state.dir .data.mode)" "0$(file_mode "$D")"
assert_eq "data.files[key.pem].mode as stat(1) says" "$(field state.dir '.data.files["key.pem"].mode')" "0$(file_mode "$D/key.pem")"
chmod 0755 "$D"
check
assert_eq "a 0755 directory: state.dir warns (0700 recommended)" "$(v state.dir)" warn
assert_grep "the fix is chmod 0700" "chmod 0700" "$T/check.json"
chmod 0700 "$D"
chmod 0644 "$D/key.pem"
check
assert_eq "key.pem 0644: state.dir fails" "$(v state.dir)" fail
assert_eq "exit 9" "$crc" 9
assert_eq "it names the file and its mode" "$(field state.dir .what)" "key.pem: mode 0644, a private file must be 0600"
assert_eq "the fix is chmod 0600" "$(field state.dir .fix)" "chmod 0600 $D/key.pem"
chmod 0600 "$D/key.pem"
printf '{}' > "$T/elsewhere.json"
ln -s "$T/elsewhere.json" "$D/device.json"
check
assert_eq "a symlinked device.json: state.dir fails" "$(v state.dir)" fail
assert_eq "it says so" "$(field state.dir .what)" "device.json: a symbolic link"
assert_eq "data: the file is a symlink" "$(field state.dir '.data.files["device.json"].type')" symlink
rm "$D/device.json"
if [ "$(id -u)" -eq 0 ]; then
	chown 1 "$D/key.pem"
	check
	assert_eq "key.pem of another user: state.dir fails" "$(v state.dir)" fail
	assert_grep "it names the owner" "owned by uid 1" "$T/check.json"
	chown 0 "$D/key.pem"
else
	skip "key.pem of another user fails" "needs root to chown"
fi
chmod 0770 "$D"
check
# Not refused as the other tools refuse it (exit 7): edge-check reports it.
assert_eq "a group-writable directory: state.dir fails" "$(v state.dir)" fail
assert_eq "exit 9" "$crc" 9
assert_eq "it says so" "$(field state.dir .what)" "$D: mode 0770, writable by group or others (the tools refuse it)"
touch "$D/.key.pem.$$.AAAAAAAA.tmp"
check
[ -e "$D/.key.pem.$$.AAAAAAAA.tmp" ] && ok "edge-check sweeps no temporary file (it changes nothing)" ||
	not_ok "edge-check sweeps no temporary file (it changes nothing)"
rm -f "$D/.key.pem.$$.AAAAAAAA.tmp"
chmod 0700 "$D"
check
assert_eq "back to 0700: state.dir ok" "$(v state.dir)" ok

# ---- host.firewall and host.listening in fresh network namespaces ----
# ns SCRIPT: run SCRIPT (sh) in a new network namespace; edge-check's JSON
# goes to $T/check.json.
ns() {
	crc=0
	unshare -n sh -c "ip link set lo up 2>/dev/null; $1" > "$T/check.json" 2> "$T/check.err" || crc=$?
}
EC="edge-check -d '$D' --json"
if ! unshare -n true 2>/dev/null; then
	skip "host.firewall and host.listening in network namespaces" "unshare -n is not permitted here"
elif ! command -v nft >/dev/null 2>&1; then
	skip "host.firewall with nftables" "nft not installed (Debian package nftables)"
else
	ns "$EC"
	assert_eq "no rules in a fresh namespace: host.firewall fails" "$(v host.firewall)" fail
	assert_eq "data: IPv4 input not filtered" "$(field host.firewall .data.ipv4_filtered)" false
	assert_grep "the fix is an nft input chain" "hook input" "$T/check.json"
	assert_eq "nothing listens in it: host.listening ok" "$(v host.listening)" ok
	ns "nft add table inet f && nft add chain inet f input '{ type filter hook input priority 0; policy drop; }' && $EC"
	assert_eq "an inet input chain with policy drop: host.firewall ok" "$(v host.firewall)" ok
	assert_eq "data: the chain" "$(field host.firewall '.data.nft_input_chains[0] | "\(.family) \(.table) \(.chain) \(.policy) \(.drops)"')" "inet f input drop true"
	ns "nft add table inet f && nft add chain inet f input '{ type filter hook input priority 0; }' && nft add rule inet f input iif lo accept && nft add rule inet f input counter drop && $EC"
	assert_eq "policy accept but a final unconditional drop: host.firewall ok" "$(v host.firewall)" ok
	ns "nft add table inet f && nft add chain inet f input '{ type filter hook input priority 0; }' && nft add rule inet f input tcp dport 22 drop && $EC"
	assert_eq "only a conditional drop: host.firewall fails" "$(v host.firewall)" fail
	ns "nft add table ip f && nft add chain ip f input '{ type filter hook input priority 0; policy drop; }' && $EC"
	assert_eq "IPv4 only (table ip): host.firewall warns" "$(v host.firewall)" warn
	assert_grep "it says IPv6 input is accepted" "IPv6 input is accepted" "$T/check.json"
	# nft itself is the reference for what the ruleset says.
	ns "nft add table inet f && nft add chain inet f input '{ type filter hook input priority 0; policy drop; }' && nft list chain inet f input >&2 && $EC"
	assert_grep "nft itself lists the drop policy that edge-check reports" "policy drop" "$T/check.err"
	# Every rule before the drop counts (red-team 1): nft -f loads each
	# ruleset whole; nft lists back what it loaded.
	# nftf NAME POLICY RULES...: an inet input chain with those rules.
	nftf() {
		_nf=$1 _np=$2; shift 2
		{ printf 'table inet f {\n\tchain x {\n\t\taccept\n\t}\n'
		  printf '\tchain input {\n\t\ttype filter hook input priority 0; policy %s;\n' "$_np"
		  for _r in "$@"; do printf '\t\t%s\n' "$_r"; done
		  printf '\t}\n}\n'; } > "$T/$_nf.nft"
		ns "nft -f '$T/$_nf.nft' && $EC"
	}
	nftf all drop "accept"
	assert_eq "policy drop, then an unconditional accept: fails" "$(v host.firewall)" fail
	assert_grep "... naming the rule" "inet f input rule 1: accepts everything" "$T/check.json"
	nftf any drop "ip saddr 0.0.0.0/0 accept" "ip6 saddr ::/0 accept"
	assert_eq "ip saddr 0.0.0.0/0 and ip6 saddr ::/0 accepted: fails" "$(v host.firewall)" fail
	nftf l4 drop "meta l4proto tcp accept" "meta l4proto udp accept"
	assert_eq "meta l4proto tcp/udp accepted: fails" "$(v host.firewall)" fail
	nftf new drop "ct state new accept"
	assert_eq "ct state new accepted: fails" "$(v host.firewall)" fail
	nftf notlo drop 'iif != "lo" accept'
	assert_eq "iif != lo accepted: fails" "$(v host.firewall)" fail
	nftf notloname drop 'iifname != "lo" accept'
	assert_eq "iifname != lo accepted: fails" "$(v host.firewall)" fail
	nftf jump drop "jump x"
	assert_eq "jump to a chain that accepts all: fails" "$(v host.firewall)" fail
	assert_grep "... naming the jump" "jump x, which accepts" "$T/check.json"
	nftf goto drop "goto x"
	assert_eq "goto a chain that accepts all: fails" "$(v host.firewall)" fail
	nftf good drop "ct state established,related accept" "iif lo accept" "tcp dport 22 accept" \
	    "ip saddr 10.0.0.0/8 accept" "ct state new tcp dport 8883 accept" "icmp type echo-request accept" \
	    "tcp dport 23 jump x"
	assert_eq "established/related, lo, ports, a source net, ICMP echo before policy drop: ok" "$(v host.firewall)" ok
	nftf dropfirst accept "counter drop" "ct state new accept" "accept"
	assert_eq "an unconditional drop first, accepts after it: ok" "$(v host.firewall)" ok
	nftf limit drop "limit rate 10/second accept"
	assert_eq "a rule it cannot classify (limit accept): warns" "$(v host.firewall)" warn
	assert_grep "... saying which and to check by hand" "rule 1: cannot judge this rule; check by hand" "$T/check.json"
	printf 'table inet d {\n\tflags dormant\n\tchain input {\n\t\ttype filter hook input priority 0; policy drop;\n\t}\n}\n' > "$T/dormant.nft"
	ns "nft -f '$T/dormant.nft' && nft list table inet d >&2 && $EC"
	assert_grep "nft lists the table as dormant" "flags dormant" "$T/check.err"
	assert_eq "a policy-drop chain in a dormant table (the kernel does not run it): fails" "$(v host.firewall)" fail
	assert_eq "data: the chain is dormant" "$(field host.firewall '.data.nft_input_chains[0].dormant')" true
fi
if unshare -n true 2>/dev/null && command -v iptables >/dev/null 2>&1 && command -v ip6tables >/dev/null 2>&1; then
	ns "iptables -P INPUT DROP && ip6tables -P INPUT DROP && $EC"
	assert_eq "iptables and ip6tables policy DROP: host.firewall ok" "$(v host.firewall)" ok
	assert_eq "data: IPv6 filtered" "$(field host.firewall .data.ipv6_filtered)" true
	ns "iptables -A INPUT -i lo -j ACCEPT && iptables -A INPUT -j REJECT && $EC"
	assert_eq "iptables: a final REJECT for IPv4 only: host.firewall warns" "$(v host.firewall)" warn
	ns "iptables -P INPUT DROP && ip6tables -P INPUT DROP && iptables -A INPUT -j ACCEPT && ip6tables -A INPUT -j ACCEPT && iptables -S INPUT >&2 && $EC"
	assert_grep "iptables lists the accept without a match" "^-A INPUT -j ACCEPT" "$T/check.err"
	assert_eq "iptables policy DROP then -j ACCEPT without a match: fails" "$(v host.firewall)" fail
	ns "for t in iptables ip6tables; do \$t -P INPUT DROP && \$t -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT && \$t -A INPUT -i lo -j ACCEPT && \$t -A INPUT -p tcp --dport 22 -j ACCEPT || exit 1; done && $EC"
	assert_eq "iptables policy DROP, accepts for established/related, lo, tcp 22: ok" "$(v host.firewall)" ok
	ns "iptables -A INPUT -j DROP && iptables -A INPUT -j ACCEPT && ip6tables -P INPUT DROP && $EC"
	assert_eq "iptables: an unconditional DROP first, an ACCEPT after it: ok" "$(v host.firewall)" ok
else
	skip "host.firewall with iptables" "iptables not installed (Debian package iptables) or unshare -n not permitted"
fi
if unshare -n true 2>/dev/null; then
	# A listener on 0.0.0.0 (TCP) and one bound on [::] (UDP) in the namespace:
	# ss(8) from iproute2 lists the same.
	port=$(free_port)
	ns "perl -MIO::Socket::INET -e 'my \$s = IO::Socket::INET->new(Listen => 1, LocalAddr => \"0.0.0.0\", LocalPort => $port, ReuseAddr => 1) or die; sleep 30' & p=\$!;
	    perl -MIO::Socket::IP -e 'my \$s = IO::Socket::IP->new(Proto => \"udp\", LocalHost => \"::\", LocalPort => $port) or die; sleep 30' & q=\$!;
	    i=0; while [ \$i -lt 50 ] && [ \$(ss -Htuln | grep -c \":$port \") -lt 2 ]; do sleep 0.1; i=\$((i + 1)); done;
	    ss -Htuln >&2; $EC; kill \$p \$q"
	assert_eq "a TCP listener on 0.0.0.0: host.listening warns" "$(v host.listening)" warn
	assert_grep "ss(8) sees the TCP listener" "0.0.0.0:$port" "$T/check.err"
	assert_grep "it names 0.0.0.0:$port/tcp" "0.0.0.0:$port/tcp" "$T/check.json"
	assert_grep "it names [::]:$port/udp" "\[::\]:$port/udp" "$T/check.json"
	assert_eq "data.exposed counts both" "$(field host.listening .data.exposed)" 2
	ns "perl -MIO::Socket::INET -e 'my \$s = IO::Socket::INET->new(Listen => 1, LocalAddr => \"127.0.0.1\", LocalPort => $port, ReuseAddr => 1) or die; sleep 30' & p=\$!;
	    i=0; while [ \$i -lt 50 ] && ! ss -Hltn | grep -q ':$port '; do sleep 0.1; i=\$((i + 1)); done;
	    $EC; kill \$p"
	assert_eq "a listener on 127.0.0.1 only: host.listening ok" "$(v host.listening)" ok
	assert_eq "data lists it as loopback" "$(field host.listening "[.data.sockets[] | select(.port == $port)][0].loopback")" true
else
	skip "host.listening in a network namespace" "unshare -n is not permitted here"
fi

# ---- unit.sandbox: no systemd here; the parse is in tests/unit/test_check_host.c ----
check
if [ -d /run/systemd/system ]; then
	[ "$(v unit.sandbox)" != fail ] && ok "unit.sandbox judged where systemd runs: $(v unit.sandbox)" ||
		not_ok "unit.sandbox judged where systemd runs"
else
	assert_eq "systemd does not run here: unit.sandbox skips" "$(v unit.sandbox)" skip
	assert_grep "it says why" "systemd is not running" "$T/check.json"
fi

done_testing
