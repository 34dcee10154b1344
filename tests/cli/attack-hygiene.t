#!/bin/sh
# SPDX-License-Identifier: MIT
# Attacks on memory safety and process hygiene (issue 15), each tried with
# the real tools against the stand-in hub:
#   - 20 KiB of queued revocations that fail (hub down, hub refusing) and an
#     unreadable queued line: no crash, nothing dropped, a clear exit code;
#   - product and device keys longer than any buffer, in device.json;
#   - -o naming a character device or a FIFO: written into, never replaced
#     (as root, replacing /dev/null breaks the whole machine); a directory
#     refused;
#   - EDGE_TIME_NOW, once a test hook, moves no clock in the real binaries;
#   - a running tool is not dumpable (no ptrace, no /proc/PID/mem for other
#     processes of the same user).
. "${0%/*}/../lib.sh"
setup
for t in jq openssl perl; do
	command -v $t >/dev/null 2>&1 || skip_all "$t not installed"
done
hub_start
PK=$HUB_PRODUCT_KEY

gateway() {
	edge_with_csr "$1" "$2" &&
	edge-provision -q -d "$1" $HUBOPTS --product-key "$PK" --serial "$2" --mqtt "$HUB_MQTT" --portal "$HUB_PORTAL" >/dev/null &&
	edge-activate -q -d "$1" $HUBOPTS >/dev/null
}
G=$T/g; gateway "$G" SN-H1 || echo "Bail out! cannot make a gateway"
# R's certificate is the one the queue tests revoke.
R=$T/r; gateway "$R" SN-H2 || echo "Bail out! cannot make a gateway"
snR=$(jq -r .certSN "$R/device.json")
crl_has() { # crl_has DECIMAL-SERIAL: the hub's current CRL lists it
	hex=$(perl -MMath::BigInt -e 'print uc(substr(Math::BigInt->new($ARGV[0])->as_hex, 2))' "$1")
	openssl crl -in "$HUB_CRL" -noout -text 2>/dev/null | grep -qi "Serial Number: 0*$hex\$"
}

# ---- queued revocations ----------------------------------------------------
# queue FILE N KEYLEN: N queued lines for devices the hub does not know, with
# keys KEYLEN characters long, and one line that is not a revocation at all.
queue() {
	k=$(printf "%$3s" | tr ' ' k)
	i=0
	while [ $i -lt "$2" ]; do
		echo "$((900000000 + i)) 5 P$k D$k-$i"
		[ $i -eq 7 ] && echo "this line is not a queued revocation"
		i=$((i + 1))
	done > "$1"
	chmod 600 "$1"
}
Q=$T/q; mkdir "$Q"
queue "$Q/pending-revocations" 500 12
size=$(wc -c < "$Q/pending-revocations")
[ "$size" -gt 20480 ] && ok "20 KiB of queued revocations ($size bytes)" || not_ok "20 KiB of queued revocations ($size bytes)"
cp "$Q/pending-revocations" "$T/queue-before"
port=$(free_port)
DOWN="--api https://127.0.0.1:$port --hub-ca $HUB_CA --credentials $HUB_CREDENTIALS --retries 0"
assert_fails 4 "hub down: exit 4, no crash" edge-revoke -d "$Q" $DOWN --serial "$snR" --product-key "$PK" --device-key SN-H2
cmp -s "$Q/pending-revocations" "$T/queue-before" && ok "hub down: every queued line kept, byte for byte" ||
	not_ok "hub down: every queued line kept, byte for byte"
assert_eq "hub down: the queue is still 0600" "$(file_mode "$Q/pending-revocations")" 600

# Hub up but refusing every queued line (unknown devices): the requested
# revocation is done, the queue stays, exit 5 says so.
queue "$Q/pending-revocations" 145 64
size=$(wc -c < "$Q/pending-revocations")
cp "$Q/pending-revocations" "$T/queue-before"
[ "$size" -gt 20480 ] && ok "20 KiB of queued revocations with 64-character keys ($size bytes)" ||
	not_ok "20 KiB of queued revocations with 64-character keys ($size bytes)"
assert_fails 5 "hub refusing the queued lines: exit 5, no crash" edge-revoke -d "$Q" $HUBOPTS --serial "$snR" --product-key "$PK" --device-key SN-H2 --json
assert_grep "the error line counts what stays queued" "^edge-revoke: 146 queued revocation(s) still in pending-revocations" "$T/err"
assert_grep "the unreadable line is reported" "pending-revocations line 9: not \"serial reason productKey deviceKey\"; kept in the queue" "$T/err"
crl_has "$snR" && ok "the requested revocation was still made" || not_ok "the requested revocation was still made"
cmp -s "$Q/pending-revocations" "$T/queue-before" && ok "hub refusing: every queued line kept, byte for byte" ||
	not_ok "hub refusing: every queued line kept, byte for byte"

# ---- long keys in device.json ----------------------------------------------
L=$T/long; cp -a "$G" "$L"
long=$(printf '%1000s' | tr ' ' x)
jq --arg k "$long" '.deviceKey = $k | .productKey = $k' "$G/device.json" > "$L/device.json"
echo '{"temp":1}' > "$T/one"
assert_fails 3 "edge-connect: 1000-character keys in device.json refused, no overflow" \
    timeout $(slow 20) edge-connect -d "$L" --input "$T/one" --exit-on-eof --timeout 5
assert_grep "... says which key" "device.json: productKey: not a key" "$T/err"
jq --arg k "$long" '.deviceKey = $k' "$G/device.json" > "$L/device.json"
assert_fails 3 "edge-revoke: a 1000-character deviceKey refused" edge-revoke -d "$L" $HUBOPTS --serial 1
assert_grep "... says which key" "device.json: deviceKey: not a key" "$T/err"
jq '.deviceKey = "a/b/#"' "$G/device.json" > "$L/device.json"
assert_fails 3 "edge-connect: a deviceKey with topic separators and wildcards refused" \
    timeout $(slow 20) edge-connect -d "$L" --input "$T/one" --exit-on-eof --timeout 5
assert_fails 2 "edge-provision: a 1000-character --serial refused" edge-provision -d "$T/p1" $HUBOPTS --product-key "$PK" --serial "$long"

# ---- -o into a device node or a FIFO ---------------------------------------
S="--cn X --country CN --state SH --locality L --organization O --org-unit U"
if mknod "$T/null" c 1 3 2>/dev/null; then
	assert_ok "edge-csr -o a character device (a private /dev/null)" edge-csr -d "$G" $S -o "$T/null"
	[ -c "$T/null" ] && ok "... still a character device" || not_ok "... still a character device"
	assert_ok "edge-csr -o the same device again" edge-csr -d "$G" $S -o "$T/null"
	[ -c "$T/null" ] && ok "... still a character device" || not_ok "... still a character device"
else
	skip "edge-csr -o a character device" "mknod not permitted (not root)"
	skip "... still a character device" "mknod not permitted"
	skip "edge-csr -o the same device again" "mknod not permitted"
	skip "... still a character device" "mknod not permitted"
fi
mkfifo "$T/fifo"
cat "$T/fifo" > "$T/from-fifo" &
CAT_PID=$!
on_exit "kill $CAT_PID"
assert_ok "edge-csr -o a FIFO" timeout $(slow 20) edge-csr -d "$G" $S -o "$T/fifo"
# The reader ends when the writer closes (not when the FIFO was replaced).
i=0; while kill -0 $CAT_PID 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
kill $CAT_PID 2>/dev/null
[ -p "$T/fifo" ] && ok "... still a FIFO" || not_ok "... still a FIFO"
openssl req -in "$T/from-fifo" -noout -verify > "$T/v" 2>&1
assert_grep "... the reader got a CSR that openssl verifies" "verify OK\|Certificate request self-signature verify OK" "$T/v"
mkdir "$T/adir"
assert_fails 7 "edge-csr -o a directory refused" edge-csr -d "$G" $S -o "$T/adir"
assert_grep "... says what it is" "adir: is a directory; refusing to replace it" "$T/err"

# ---- EDGE_TIME_NOW moves no clock ------------------------------------------
assert_ok "edge-connect with EDGE_TIME_NOW after the hub certificate's end: still connects" \
    env EDGE_TIME_NOW=$(( $(date +%s) + 40 * 365 * 86400 )) timeout $(slow 30) edge-connect -d "$G" --input "$T/one" --exit-on-eof --timeout 20

# ---- a running tool is not dumpable ----------------------------------------
# Run as nobody, waiting on its input: /proc/PID is then owned by root, not
# by nobody (proc(5)), so no other process of that user can ptrace it or
# read its memory.
N=$(mktemp -d "${TMPDIR:-/tmp}/edgenob.XXXXXX"); on_exit "rm -rf '$N'"
cp "$G/ca.pem" "$N/"; chown -R 65534:65534 "$N" 2>/dev/null; chmod 755 "$N"
if command -v setpriv >/dev/null 2>&1 && setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
	sleep 5 | setpriv --reuid=65534 --regid=65534 --clear-groups edge-crl-update -d "$N" --from - >/dev/null 2>&1 &
	PID=$!
	on_exit "kill $PID"
	i=0; while [ $i -lt 50 ] && [ "$(cat "/proc/$PID/comm" 2>/dev/null)" != edge-crl-update ]; do sleep 0.1; i=$((i + 1)); done
	sleep 0.2
	assert_eq "the tool runs as nobody" "$(awk '/^Uid:/ { print $2 }' "/proc/$PID/status" 2>/dev/null)" 65534
	assert_eq "... and its /proc/PID/mem is root's: not dumpable" "$(stat -c %u "/proc/$PID/mem" 2>/dev/null)" 0
	kill "$PID" 2>/dev/null
else
	skip "the tool runs as nobody" "setpriv cannot change user (not root?)"
	skip "... and its /proc/PID/mem is root's: not dumpable" "setpriv cannot change user"
fi

done_testing
