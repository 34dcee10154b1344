#!/bin/sh
# SPDX-License-Identifier: MIT
# A full file system at the moment of every write, for every tool that writes
# (edge-keygen and edge-activate have theirs in their own tests): the state
# directory sits on a small tmpfs filled to the last page, and each tool is
# run again and again with 0, 1, 2, ... free pages until it succeeds.  Every
# failing run must exit 7 with one line "TOOL: OBJECT: ...: No space left on
# device", leave every stored file byte-identical and no temporary file.
# Then: edge-connect's durable outbox on a full disk, and the removal of a
# killed writer's temporary files.
. "${0%/*}/../lib.sh"
setup
for t in jq openssl fallocate; do
	command -v $t >/dev/null 2>&1 || skip_all "$t not installed"
done
can_mount_tmpfs || skip_all "cannot mount tmpfs here (not root, or no mount permission)"
hub_start
PK=$HUB_PRODUCT_KEY
PAGE=$(getconf PAGESIZE)
SPARES=12

# fs NAME: a fresh 512 KiB tmpfs M=$T/NAME (unmounted at exit) holding an
# empty state directory S=$M/s.
fs() {
	M=$T/$1; S=$M/s
	mkdir "$M" &&
	mount -t tmpfs -o size=512k,mode=0700 tmpfs "$M" || {
		echo "Bail out! cannot mount a tmpfs on $M"; exit 1; }
	on_exit "umount '$M'"
	mkdir -m 0700 "$S"
}

# fill: SPARES one-page files in $M, then one filler taking every page left
# (fallocate for the bulk, dd for the last partial page).
fill() {
	m=$M; i=0
	# Never fill anything but our own small tmpfs.
	[ "$(stat -f -c %T "$m" 2>/dev/null)" = tmpfs ] && mountpoint -q "$m" &&
	    [ "$(df -B1 --output=size "$m" | tail -1 | tr -d ' ')" -le 1048576 ] || {
		echo "Bail out! $m is not the test's small tmpfs"; exit 1; }
	while [ $i -lt $SPARES ]; do
		head -c "$PAGE" /dev/zero > "$m/.spare$i" || return 1
		i=$((i + 1))
	done
	avail=$(df -B1 --output=avail "$m" | tail -1 | tr -d ' ')
	[ "$avail" -gt "$PAGE" ] && fallocate -l $((avail - PAGE)) "$m/filler"
	dd if=/dev/zero of="$m/filler" bs=4k oflag=append conv=notrunc 2>/dev/null
	# Nothing more fits, not even one byte.
	! printf x > "$m/.probe" 2>/dev/null || { rm -f "$m/.probe"; return 1; }
	rm -f "$m/.probe"
}
# free_page N: give back spare N (one page).
free_page() { rm -f "$M/.spare$1"; }
unfill() { rm -f "$M/filler" "$M"/.spare*; }

# snap: "path sha256" of every file in $M (but the filler, the spares and
# the names in $EXCL), sorted.
snap() {
	(cd "$M" && find . -type f ! -name filler ! -name '.spare*' | sed 's|^\./||' |
	    LC_ALL=C sort | while read -r f; do
		case " ${EXCL:-} " in *" ${f##*/} "*) continue ;; esac
		echo "$f $(sha256sum < "$f" | cut -c1-64)"
	done)
}
tmps() { find "$M" -name '*.tmp' | wc -l; }

# sweep TOOL DESC cmd...: run cmd on a full disk, one more free page each
# time, until it succeeds.
sweep() {
	tool=$1 desc=$2; shift 2
	fill || { not_ok "$desc: fill the file system"; return; }
	before=$(snap)
	k=0; fails=0; firsterr=""; badrc=""; badline=""; badstate=""; badtmp=""
	while :; do
		_run "$@"
		[ "$rc" -eq 0 ] && break
		fails=$((fails + 1))
		[ -n "$firsterr" ] || firsterr=$(cat "$T/err")
		[ "$rc" -eq 7 ] || badrc="$badrc k=$k:rc=$rc"
		# Warnings may precede it; the error itself is one line.
		grep -v "^$tool: warning: " "$T/err" > "$T/err.nw"
		if [ "$(wc -l < "$T/err.nw")" -ne 1 ] ||
		    ! grep -q "^$tool: [^:][^:]*: .*No space left on device\$" "$T/err.nw"; then
			badline="$badline k=$k:$(head -3 "$T/err" | tr '\n' '|')"
		fi
		if [ "$(snap)" != "$before" ]; then
			echo "$before" > "$T/snap.b"; snap > "$T/snap.a"
			d=$(diff "$T/snap.b" "$T/snap.a" | grep '^[<>]' | cut -c1-50)
			badstate="$badstate k=$k:$(echo "$d" | tr '\n' '|')"
		fi
		[ "$(tmps)" -eq 0 ] || badtmp="$badtmp k=$k:$(find "$M" -name '*.tmp' | tr '\n' ' ')"
		[ $k -lt $SPARES ] || break
		free_page $k; k=$((k + 1))
	done
	diag "$desc: $fails failing run(s) before it fit in $k free page(s); first: $firsterr"
	if [ -n "${FITS:-}" ]; then ok "$desc: $FITS"
	elif [ $fails -gt 0 ]; then ok "$desc: the disk fills at least once"
	else not_ok "$desc: the disk fills at least once"; fi
	[ -z "$badrc" ] && ok "$desc: exit 7 every time" || { diag "$badrc"; not_ok "$desc: exit 7 every time"; }
	[ -z "$badline" ] && ok "$desc: one line 'tool: object: ...No space left on device'" ||
		{ diag "$badline"; not_ok "$desc: one line 'tool: object: ...No space left on device'"; }
	[ -z "$badstate" ] && ok "$desc: stored files byte-identical after each failure" ||
		{ diag "changed after:$badstate"; not_ok "$desc: stored files byte-identical after each failure"; }
	[ -z "$badtmp" ] && ok "$desc: no temporary file after each failure" ||
		{ diag "$badtmp"; not_ok "$desc: no temporary file after each failure"; }
	if [ "$rc" -eq 0 ]; then ok "$desc: succeeds once there is room"
	else diag "last exit status $rc"; not_ok "$desc: succeeds once there is room"; fi
	[ "$(tmps)" -eq 0 ] && ok "$desc: no temporary file after success" ||
		not_ok "$desc: no temporary file after success"
	unfill
}

# ---- edge-csr: csr.pem ------------------------------------------------------
fs csr
edge_with_csr "$S" SN-DF-CSR || echo "Bail out! cannot make a key and CSR"
sweep edge-csr "edge-csr --force (csr.pem)" \
    edge-csr -q -d "$S" --force --ca "$HUB_CA" --locality Shanghai --org-unit Edge --cn SN-DF-CSR2
openssl req -in "$S/csr.pem" -noout -subject > "$T/subject" 2>&1
assert_grep "the new request has the new subject" "CN *= *SN-DF-CSR2" "$T/subject"
# -o FILE: a file outside the state directory, on the full disk too.
mkdir -m 0700 "$M/o"
SUBJ="--ca $HUB_CA --locality Shanghai --org-unit Edge --cn SN-DF-CSR3"
edge-csr -q -d "$S" -o "$M/o/req.pem" $SUBJ >/dev/null
sweep edge-csr "edge-csr -o FILE --force" edge-csr -q -d "$S" -o "$M/o/req.pem" --force $SUBJ
assert_ok "the request written with -o is valid" openssl req -in "$M/o/req.pem" -noout

# ---- edge-provision: device.secret, device.json, the hub token cache --------
fs prov
edge_with_csr "$S" SN-DF-PROV || echo "Bail out! cannot make a key and CSR"
# The token cache is only a cache (a failure to write it is ignored), so it
# is left out of the comparison; it is checked for wholeness below.
EXCL="hub-token.json"
sweep edge-provision "edge-provision (device.secret, device.json, token cache)" \
    edge-provision -q -d "$S" $HUBOPTS --product-key "$PK" --serial SN-DF-PROV
EXCL=
assert_json "provisioned: device.json names the device" "$S/device.json" .deviceKey SN-DF-PROV
assert_eq "device.secret is 0600" "$(file_mode "$S/device.secret")" 600
if [ -f "$S/hub-token.json" ]; then
	assert_ok "the token cache is whole JSON" jq -e .token "$S/hub-token.json"
else
	skip "the token cache is whole JSON" "no cache written"
fi

# ---- edge-revoke: the --offline queue, and --reset ---------------------------
fs rev
edge_with_csr "$S" SN-DF-REV &&
edge-provision -q -d "$S" $HUBOPTS --product-key "$PK" --serial SN-DF-REV >/dev/null &&
edge-activate -q -d "$S" $HUBOPTS >/dev/null || echo "Bail out! cannot activate an edge"
DEAD=$(free_port)
sweep edge-revoke "edge-revoke --reset --offline (pending-revocations)" \
    edge-revoke -q -d "$S" --reset --offline --api "https://127.0.0.1:$DEAD" --hub-ca "$HUB_CA" \
    --credentials "$HUB_CREDENTIALS"
assert_eq "the revocation is queued" "$(wc -l < "$S/pending-revocations")" 1
assert_eq "the key is gone after the queued reset" "$(ls "$S" | grep -c '^key\.pem$')" 0

fs rev2
edge_with_csr "$S" SN-DF-REV2 &&
edge-provision -q -d "$S" $HUBOPTS --product-key "$PK" --serial SN-DF-REV2 >/dev/null &&
edge-activate -q -d "$S" $HUBOPTS >/dev/null || echo "Bail out! cannot activate an edge"
# Online, the reset's only write (device.json without certSN) comes after
# the secrets are removed, which makes room: it fits even on a full disk.
EXCL="hub-token.json" FITS="fits on a full disk (removing the secrets makes room)"
sweep edge-revoke "edge-revoke --reset (online)" edge-revoke -q -d "$S" --reset $HUBOPTS --json
EXCL= FITS=
assert_json "the reset revoked the certificate" "$T/out" .changed true
assert_eq "no secret left after the reset" "$(ls "$S" | grep -c 'key\.pem\|device\.secret\|cert\.pem')" 0

# ---- edge-crl-update: crl.pem and ca.pem ----------------------------------------
fs crl
cp "$HUB_CA" "$S/ca.pem"
edge-crl-update -q -d "$S" --portal "$HUB_PORTAL" --hub-ca "$HUB_CA" >/dev/null ||
	echo "Bail out! cannot install the first CRL"
# A newer CRL at the hub: one more revocation.
O=$T/other
{ edge_with_csr "$O" SN-DF-OTHER &&
edge-provision -q -d "$O" $HUBOPTS --product-key "$PK" --serial SN-DF-OTHER >/dev/null &&
edge-activate -q -d "$O" $HUBOPTS >/dev/null; } || echo "Bail out! cannot activate an edge"
# edge-revoke --cert writes nothing but the token cache, and a cache that
# cannot be written must not fail it.
fill
assert_ok "edge-revoke --cert on a full disk (the token cache cannot be written)" \
    edge-revoke -q -d "$S" --cert "$O/cert.pem" --product-key "$PK" $HUBOPTS --json
assert_json "... the certificate is revoked" "$T/out" .changed true
assert_eq "... no cache, no temporary file" "$(ls -A "$S" | grep -c 'hub-token') $(tmps)" "0 0"
unfill
sweep edge-crl-update "edge-crl-update (crl.pem)" \
    edge-crl-update -q -d "$S" --portal "$HUB_PORTAL" --hub-ca "$HUB_CA" --json
assert_json "the newer CRL is installed" "$T/out" .changed true

# --ca with a first root confirmed by its fingerprint: ca.pem, then crl.pem.
fs crlca
FP=$(openssl x509 -in "$HUB_CA" -noout -fingerprint -sha256 | cut -d= -f2)
sweep edge-crl-update "edge-crl-update --ca --trust-new-root (ca.pem, crl.pem)" \
    edge-crl-update -q -d "$S" --portal "$HUB_PORTAL" --ca --trust-new-root "$FP" --hub-ca "$HUB_CA" --json
assert_json "root and CRL installed" "$T/out" '"\(.ca_changed) \(.changed)"' "true true"

# ---- edge-connect: the durable outbox ---------------------------------------------
fs conn
edge_with_csr "$S" SN-DF-CONN &&
edge-provision -q -d "$S" $HUBOPTS --product-key "$PK" --serial SN-DF-CONN --mqtt "$HUB_MQTT" >/dev/null &&
edge-activate -q -d "$S" $HUBOPTS >/dev/null || echo "Bail out! cannot activate an edge"
DEAD=$(free_port)
printf '{"n":1}\n{"n":2}\n' > "$T/in1"
assert_fails 4 "broker away: two messages accepted into the outbox" timeout 20 edge-connect -d "$S" \
    --mqtt "mqtts://127.0.0.1:$DEAD" --input "$T/in1" --exit-on-eof --timeout 3
before=$(snap)
fill
printf '{"n":3}\n' > "$T/in2"
assert_fails 7 "a full disk while appending to the outbox: exit 7" timeout 20 edge-connect -q -d "$S" \
    --mqtt "mqtts://127.0.0.1:$DEAD" --input "$T/in2" --exit-on-eof --timeout 5
grep -v "^edge-connect: warning: " "$T/err" > "$T/err.nw"
assert_eq "one error line" "$(wc -l < "$T/err.nw")" 1
assert_grep "names the outbox segment and the cause" \
    "^edge-connect: outbox/[0-9a-f]*\.seg: .*No space left on device$" "$T/err.nw"
assert_eq "the accepted messages are byte-identical" \
    "$(EXCL=0000000000000002.seg snap)" "$before"
assert_eq "no temporary file left" "$(tmps)" 0
assert_eq "no empty segment left" "$(find "$S/outbox" -name '*.seg' -size 0 | wc -l)" 0
assert_eq "two records, none cut short" "$(cat "$S"/outbox/*.seg | wc -l)" 2
# The broker back with the disk still full: the messages go up; a failure
# to record their acknowledgement may cost a resend, never a loss.
_run timeout 30 edge-connect -q -d "$S" --exit-on-eof --json < /dev/null
diag "broker back, disk full: exit $rc: $(tr '\n' '|' < "$T/err")"
if [ "$rc" -eq 0 ] || [ "$rc" -eq 7 ]; then ok "broker back, disk full: exit 0 or 7"
else not_ok "broker back, disk full: exit 0 or 7"; fi
assert_eq "... no temporary file" "$(tmps)" 0
unfill
assert_ok "with room again everything is sent" timeout 30 edge-connect -d "$S" --exit-on-eof --json < /dev/null
assert_eq "the outbox is empty at last" "$(cat "$S"/outbox/*.seg 2>/dev/null | wc -l)" 0

# ---- a killed writer's temporary file is removed by the next run ------------------
K=$T/stale; mkdir -m 0700 "$K"
edge-keygen -q -d "$K" >/dev/null
sleep 0 & dead=$!; wait $dead
sleep 60 & live=$!
on_exit "kill $live"
head -c 100 /dev/zero > "$K/.key.pem.$dead.0badc0de.tmp"
head -c 100 /dev/zero > "$K/.crl.pem.$live.0badc0de.tmp"
mkdir -p "$K/outbox"
head -c 10 /dev/zero > "$K/outbox/.acked.$dead.00c0ffee.tmp"
head -c 10 /dev/zero > "$K/.key.pem.0badc0de.tmp"
ln -s /etc/passwd "$K/.ca.pem.$dead.12345678.tmp"
assert_ok "the next run succeeds" edge-keygen -d "$K" -v
assert_eq "a dead writer's temporary file is removed" "$(ls -A "$K" | grep -c "^\.key\.pem\.$dead\.")" 0
assert_eq "... in the outbox too" "$(ls -A "$K/outbox" | wc -l)" 0
assert_eq "a live writer's temporary file stays" "$(ls -A "$K" | grep -c "^\.crl\.pem\.$live\.")" 1
assert_eq "a name without a PID stays" "$(ls -A "$K" | grep -c '^\.key\.pem\.0badc0de\.tmp$')" 1
assert_eq "a symlink with the pattern stays, its target untouched" \
    "$(ls -A "$K" | grep -c "^\.ca\.pem\.$dead\.") $(test -s /etc/passwd && echo whole)" "1 whole"
assert_grep "said under -v" "removed 2 temporary file" "$T/err"

done_testing
