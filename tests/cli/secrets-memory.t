#!/bin/sh
# SPDX-License-Identifier: MIT
# Secrets and key material are wiped after use: no copy survives in a tool's
# memory (issue 9).
#
# How: each tool runs under gdb (which starts it itself, so the tool's own
# PR_SET_DUMPABLE=0, set in edge_tool_main() for every tool, and RLIMIT_CORE=0
# do not stop it: a tracer attached from the start keeps reading the memory
# through ptrace; attack-hygiene.t checks that no one else can).  gdb stops at the function that wipes the secret and
# writes every writable mapping (heap, stacks, library data) to a core file
# three times:
#   pre   on entry to the wiping function: the secret MUST be found here,
#         which proves the search works (a broken search cannot pass);
#   post  when that function returns: nothing may be left;
#   exit  at the exit_group system call, after every destructor: nothing
#         may be left.
# A copy is searched for in every form the code could hold it: the raw
# bytes, lower- and upper-case hex and base64 for strings; for the private
# key, 32-byte pieces of each private number (d, p, q, dp, dq, qinv) big- and
# little-endian (DER, GnuTLS/nettle and OpenSSL limbs) and a line of the PEM
# text.
#
# Every check is a plain assertion.  The private key in edge-connect once
# needed a TODO: OpenSSL 3's PEM_read_bio_PrivateKey frees two copies of the
# key's DER without cleansing them (PEM_read_bio_ex's base64 output and
# asn1_d2i_read_bio's buffer in the DER-to-key decoder).  lib/edge_sslkey.c now
# parses key.pem with GnuTLS and builds the EVP_PKEY from its numbers
# (EVP_PKEY_fromdata, secure BIGNUMs, everything wiped), so no copy is left.
#
# A copy can also sit in a CPU register: glibc's memcpy on an AVX-512 CPU
# leaves the last bytes it copied in zmm16-31, and the dynamic linker's
# lazy-binding trampoline (_dl_runtime_resolve_xsavec) later saves every
# register on the stack.  On Debian 13 (GnuTLS 3.8.9, nettle 3.10.1, GMP
# 6.3.0, glibc 2.41) that left 32 bytes of exponent2 on edge-csr's stack,
# saved when GMP's __gmpn_mul_n was first bound inside gnutls_x509_crq_verify;
# whether it survived depended on the stack layout (the length of the
# environment: a source tree at /src2 failed, /srcts passed).
# edge_key_from_pem() now zeroes the vector registers
# (edge_secret_wipe_registers) once the key is parsed.
#
# Third-party copies that no code of ours can reach, not checked here:
#   - the device secret in edge-provision: the hub's answer carrying it
#     passes through libcurl/GnuTLS record buffers and libmosquitto's packet
#     buffer, freed without wiping, with no API to wipe them (lib/edge_http.c
#     and lib/edge_mqtt.c wipe their own copies of the answer).
. "$(dirname "$0")/../lib.sh"
setup

command -v gdb >/dev/null 2>&1 || skip_all "gdb not installed"
command -v perl >/dev/null 2>&1 || skip_all "perl not installed"
gdb -nx -batch -q -ex run --args /bin/true > "$T/probe" 2>&1
grep -q "exited normally" "$T/probe" ||
	skip_all "gdb cannot run a program here (ptrace not permitted?)"

# Under AddressSanitizer (make check-asan) the check is meaningless: ASan maps
# terabytes of shadow memory that gcore tries to write out (minutes, then
# gigabytes), and its allocator keeps freed chunks in quarantine instead of
# reusing them, so what survives differs from the real build.  The plain
# build (make check) runs this test.
if ldd "$B/edge-provision" 2>/dev/null | grep -q libasan; then
	skip_all "built with ASan (make check-asan): its shadow memory and quarantine make a memory dump meaningless; make check runs this test"
fi

# The PIN of the SoftHSM token (set up before anything is reported: it
# skips the whole test when SoftHSM2 is missing).
PIN=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
softhsm_setup edge "$PIN"

hub_start

# hex STRING: the bytes of STRING as lower-case hex.
hex() { printf %s "$1" | od -An -v -tx1 | tr -d ' \n'; }

# windows LABEL HEX: the whole needle, then (when longer than 12 bytes) its
# 12-byte pieces every 4 bytes.  A chunk freed without wiping keeps its bytes
# but glibc writes its free-list pointers over the first 16: the pieces still
# find what is left of a long secret.
windows() {
	echo "$1=$2"
	n=$((${#2} / 2)); o=0
	while [ $((o + 12)) -lt "$n" ] || { [ $((o + 12)) -eq "$n" ] && [ "$o" -gt 0 ]; }; do
		echo "$1@$o=$(printf %s "$2" | cut -c$((2 * o + 1))-$((2 * o + 24)))"
		o=$((o + 4))
	done
}

# needles_str LABEL SECRET: the forms of a secret string, as LABEL-form=HEX
# (the raw form first).
needles_str() {
	h=$(hex "$2")
	windows "$1" "$h"
	windows "$1-hex" "$(hex "$h")"
	windows "$1-HEX" "$(hex "$(printf %s "$h" | tr a-f A-F)")"
	windows "$1-base64" "$(hex "$(printf %s "$2" | base64 -w0 | tr -d =)")"
}

# needles_key PEM: pieces of every private number of an RSA key, big- and
# little-endian, and one line of the PEM text.
needles_key() {
	for f in privateExponent prime1 prime2 exponent1 exponent2 coefficient; do
		v=$(openssl pkey -in "$1" -noout -text 2>/dev/null |
			awk -v n="$f:" '$1 == n { f = 1; next } /^[a-zA-Z]/ { f = 0 } f' |
			tr -d ' :\n' | sed 's/^\(00\)*//' | cut -c33-96)
		[ ${#v} -eq 64 ] || continue
		echo "$f=$v"
		echo "$f-le=$(printf %s "$v" | sed 's/../&\n/g' | sed '/^$/d' | tac | tr -d '\n')"
	done
	echo "pem-line=$(hex "$(sed -n 10p "$1")")"
}

# scan CORE < needles: "LABEL COUNT" for each needle found, nothing if none.
scan() {
	perl -e '
		open(my $fh, "<:raw", $ARGV[0]) or die "$ARGV[0]: $!\n";
		local $/; my $d = <$fh>; close $fh; $/ = "\n";
		while (my $l = <STDIN>) {
			chomp $l; my ($name, $h) = split /=/, $l, 2;
			next unless length $h; my $n = pack("H*", $h);
			my ($c, $p) = (0, 0);
			while (($p = index($d, $n, $p)) >= 0) { $c++; $p++; }
			print "$name $c\n" if $c;
		}' "$1"
}

# memdump NAME BREAK COND cmd...: run cmd under gdb (stdin passed on); stop
# at BREAK when COND holds and dump $T/NAME.pre, then $T/NAME.post when BREAK
# returns, then $T/NAME.exit at exit_group.  The exit status of the tool is
# left in $T/NAME.rc.
memdump() {
	name=$1 brk=$2 cond=$3; shift 3
	rm -f "$T/$name".*
	gdb -nx -batch -q \
		-ex 'set pagination off' -ex 'set confirm off' \
		-ex 'set breakpoint pending on' \
		-ex "break $brk if $cond" -ex run -ex "gcore $T/$name.pre" \
		-ex delete -ex finish -ex "gcore $T/$name.post" \
		-ex 'catch syscall exit_group' -ex continue \
		-ex "gcore $T/$name.exit" -ex continue \
		--args "$@" > "$T/$name.log" 2>&1
	if grep -q '^\[Inferior 1 (process [0-9]*) exited normally\]' "$T/$name.log"; then
		echo 0
	else
		sed -n 's/^\[Inferior 1 (process [0-9]*) exited with code \([0-9]*\)\]/\1/p' "$T/$name.log"
	fi > "$T/$name.rc"
}

# check NAME WHAT NEEDLES [todo]: the three verdicts for one run.
check() {
	name=$1 what=$2 needles=$3 todo=${4:-}
	if [ "$(cat "$T/$name.rc" 2>/dev/null)" != 0 ]; then
		diag "$name: the tool did not exit 0 under gdb:"
		sed 's/^/#   /' "$T/$name.log" | tail -15
		not_ok "$what: the tool ran to the end under gdb"
	fi
	if [ -s "$T/$name.pre" ] && scan "$T/$name.pre" < "$needles" | grep -q .; then
		ok "$what: found in memory while held (the search works)"
	else
		sed 's/^/#   /' "$T/$name.log" | tail -15
		not_ok "$what: found in memory while held (the search works)"
	fi
	for when in post exit; do
		d="$what: no copy left"
		[ $when = post ] && d="$d when the wipe returns" || d="$d at exit"
		if [ ! -s "$T/$name.$when" ]; then
			not_ok "$d (no memory dump)"
		elif scan "$T/$name.$when" < "$needles" > "$T/$name.$when.found" &&
		    [ -s "$T/$name.$when.found" ]; then
			sed 's/^/#   copies: /' "$T/$name.$when.found" | head -8
			if [ -n "$todo" ]; then
				_n=$((_n + 1)); echo "not ok $_n - $d # TODO $todo"
			else
				not_ok "$d"
			fi
		else
			ok "$d"
		fi
		rm -f "$T/$name.$when"
	done
	rm -f "$T/$name.pre"
}

APPSECRET=$(sed -n 's/^secret_key = //p' "$HUB_CREDENTIALS")
PRODSECRET=$(cat "$HUB_PRODUCT_SECRET_FILE")
needles_str app "$APPSECRET" > "$T/n.app"
needles_str product "$PRODSECRET" > "$T/n.product"

# --- the application secret: edge-provision and edge-activate sign hub calls -
G=$T/gw; mkdir "$G"
edge_with_csr "$G" SN-MEM1
memdump prov edge_hubcfg_free 1 edge-provision -d "$G" $HUBOPTS \
	--product-key "$HUB_PRODUCT_KEY" --serial SN-MEM1 < /dev/null
check prov "application secret in edge-provision" "$T/n.app"
memdump act edge_hubcfg_free 1 edge-activate -d "$G" $HUBOPTS < /dev/null
check act "application secret in edge-activate" "$T/n.app"

# Right after the credentials file is read (edge_secret_from_value is called
# with the parsed value) the only copy must be that value: the file's read
# buffer must have been wiped when it was freed.
C=$T/cred; mkdir "$C"
memdump cred edge_secret_from_value 1 edge-provision -d "$C" $HUBOPTS \
	--product-key "$HUB_PRODUCT_KEY" --serial SN-MEM3 < /dev/null
n=$(head -1 "$T/n.app" | scan "$T/cred.pre" | awk '{ s += $2 } END { print s + 0 }')
assert_eq "credentials file: its read buffer is wiped (1 copy, the parsed value)" "$n" 1
rm -f "$T"/cred.*

# --- the device secret: edge-connect signs the MQTT CONNECT with it ------------
needles_str device "$(cat "$G/device.secret")" > "$T/n.device"
echo '{"temp": 1}' > "$T/telemetry"
memdump conn edge_secret_free '*s != 0' edge-connect -d "$G" --mqtt "$HUB_MQTT" \
	--exit-on-eof --timeout 20 < "$T/telemetry"
check conn "device secret in edge-connect" "$T/n.device"

# --- the private key of a file key: edge-csr signs, edge-connect does TLS -------
needles_key "$G/key.pem" > "$T/n.key"
memdump csr edge_key_free '*key != 0' edge-csr -d "$G" --force --ca "$HUB_CA" \
	--locality Shanghai --org-unit Edge --cn SN-MEM1 < /dev/null
check csr "private key in edge-csr" "$T/n.key"
memdump connkey edge_tls_ctx_free '*ctx != 0' edge-connect -d "$G" \
	--mqtt "$HUB_MQTT" --exit-on-eof --timeout 20 < "$T/telemetry"
check connkey "private key in edge-connect" "$T/n.key"

# --- the product secret: edge-provision --via mqtt (dynamic activation) --------
M=$T/dyn; mkdir "$M" "$T/ctl"
edge-provision -q -d "$T/ctl" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial SN-MEM2 >/dev/null
memdump dyn edge_secret_free '*s != 0' edge-provision -d "$M" --via mqtt \
	--product-key "$HUB_PRODUCT_KEY" --product-secret "file:$HUB_PRODUCT_SECRET_FILE" \
	--activation-url "$HUB_MQTT_ACTIVATE" --hub-ca "$HUB_CA" --serial SN-MEM2 \
	--mqtt "$HUB_MQTT" < /dev/null
check dyn "product secret in edge-provision --via mqtt" "$T/n.product"

# --- a PKCS#11 PIN: edge-keygen logs in to a SoftHSM token -----------------------
printf '%s\n' "$PIN" > "$T/pin"; chmod 600 "$T/pin"
needles_str pin "$PIN" > "$T/n.pin"
P=$T/tok; mkdir "$P"
memdump keygen edge_secret_free '*s != 0' edge-keygen -d "$P" \
	--pkcs11 'pkcs11:token=edge;object=mem-key' --pin "file:$T/pin" < /dev/null
check keygen "token PIN in edge-keygen" "$T/n.pin"

done_testing
