#!/bin/sh
# SPDX-License-Identifier: MIT
# edge-check's certificate, CRL and root checks (cert.*, crl.*, root.expiry,
# reset.ready) on gateways enrolled at the stand-in hub, each made to pass
# and to warn or fail for real; openssl decides the same questions beside.
. "$(dirname "$0")/../lib.sh"
setup
hub_start

# verdict ID [FILE]: the verdict of check ID in edge-check --json output.
verdict() { jq -r --arg id "$1" '.checks[] | select(.id == $id) | .verdict' "${2:-$T/out}"; }
what() { jq -r --arg id "$1" '.checks[] | select(.id == $id) | .what' "${2:-$T/out}"; }
assert_verdict() {
	got=$(verdict "$2")
	if [ "$got" = "$3" ]; then ok "$1"; else
		diag "$2: $got, wanted $3: $(what "$2")"; not_ok "$1"; fi
}
# check DIR [ARGS]: edge-check --json, exit status in $rc.
check() { d=$1; shift; _run edge-check -d "$d" --json "$@"; }
# tcheck DIR [ARGS]: the same at the clock of $CLK (at_clock).
tcheck() { d=$1; shift; _run at_clock "$CLK" edge-check -d "$d" --json "$@"; }

# A gateway that renews itself: application credentials named in edge.conf.
G=$T/gw; mkdir "$G"
cat > "$G/edge.conf" <<EOT
api = $HUB_API
hub_ca = $HUB_CA
credentials = $HUB_CREDENTIALS
product_key = $HUB_PRODUCT_KEY
locality = Shanghai
org_unit = Edge Gateways
ca = $HUB_CA
portal = $HUB_PORTAL
EOT
if edge-keygen -q -d "$G" >/dev/null && edge-csr -q -d "$G" --cn SN-C1 >/dev/null &&
   edge-provision -q -d "$G" --serial SN-C1 >/dev/null && edge-activate -q -d "$G" >/dev/null &&
   edge-crl-update -q -d "$G" >/dev/null; then
	ok "a gateway enrolled, with the hub's CRL"
else
	not_ok "a gateway enrolled, with the hub's CRL"
fi

check "$G"
for id in cert.chain cert.expiry cert.revoked cert.renewal crl.verified crl.fresh root.expiry reset.ready; do
	assert_verdict "enrolled gateway: $id ok" "$id" ok
done
assert_grep "renewal: the gateway renews" '"gateway renews' "$T/out"
assert_json "cert.expiry data: days_left" "$T/out" \
	'.checks[] | select(.id == "cert.expiry") | .data.days_left >= 700' true
na=$(date -u -d "$(openssl x509 -in "$G/cert.pem" -noout -enddate | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ)
assert_json "cert.expiry data: not_after is openssl's notAfter" "$T/out" \
	'.checks[] | select(.id == "cert.expiry") | .data.not_after' "$na"
assert_json "crl.fresh data: next_update" "$T/out" \
	'.checks[] | select(.id == "crl.fresh") | .data.next_update | test("^20")' true
assert_json "root.expiry data: the root's subject" "$T/out" \
	'.checks[] | select(.id == "root.expiry") | .data.roots[0].subject | test("CN=EnOS CA")' true
assert_json "cert.renewal data: the credentials file" "$T/out" \
	'.checks[] | select(.id == "cert.renewal") | .data.credentials' "$HUB_CREDENTIALS"
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
	skip "no systemd: edge-renew.timer not judged" "systemd runs here"
else
	assert_json "no systemd here: the timer is not judged" "$T/out" \
		'.checks[] | select(.id == "cert.renewal") | .data.timer' null
fi
assert_not_grep "no secret in the findings" "$(cat "$HUB_SECRET_KEY_FILE")" "$T/out"
# Other subjects (host.firewall ...) judge this test machine, not the gateway.
[ "$(jq .fail "$T/out")" -eq 0 ] && want=0 || want=9
assert_eq "exit $want: 0 when nothing fails" "$rc" "$want"
ls -lA --time-style=full-iso "$G" > "$T/before"
find "$G" -type f -exec sha256sum {} + >> "$T/before"
check "$G"
ls -lA --time-style=full-iso "$G" > "$T/after"
find "$G" -type f -exec sha256sum {} + >> "$T/after"
cmp -s "$T/before" "$T/after" && ok "edge-check changes nothing in DIR" || not_ok "edge-check changes nothing in DIR"

# Time moves (libfaketime): expiry, the renewal window, stale CRLs; openssl
# x509 -checkend and crl -nextupdate under the same clock decide alongside.
CLK=$T/clock
at() { echo "$1" > "$CLK"; }
if ! have_faketime; then
	skip "expiry, renewal window and stale CRLs" "libfaketime not installed (Debian package faketime)"
else
	at +731d
	at_clock "$CLK" edge-check -d "$G" > "$T/table" 2>&1
	tcheck "$G"
	assert_verdict "731 days on: cert.expiry fails" cert.expiry fail
	assert_grep "says expired" 'cert.pem expired ' "$T/out"
	assert_eq "exit 9 when a check fails" "$rc" 9
	assert_verdict "the chain fails too (expired)" cert.chain fail
	if at_clock "$CLK" openssl x509 -checkend 0 -noout -in "$G/cert.pem" >/dev/null; then
		not_ok "openssl -checkend 0 agrees: expired"
	else ok "openssl -checkend 0 agrees: expired"; fi
	assert_grep "the table names the check and the fix" "fail  cert.expiry" "$T/table"
	at -2d
	tcheck "$G"
	assert_verdict "two days back: cert.expiry fails" cert.expiry fail
	assert_grep "says not valid yet" 'not valid yet' "$T/out"

	at +710d
	tcheck "$G"
	assert_verdict "20 days left: cert.expiry warns (--renew-within 30)" cert.expiry warn
	# 730 days issued, 710 on: 20 whole days left, 19 once a second has passed.
	assert_json "days_left 19 or 20" "$T/out" \
		'.checks[] | select(.id == "cert.expiry") | .data.days_left | . == 19 or . == 20' true
	if at_clock "$CLK" openssl x509 -checkend $((30 * 86400)) -noout -in "$G/cert.pem" >/dev/null; then
		not_ok "openssl -checkend 30 days agrees: within the window"
	else ok "openssl -checkend 30 days agrees: within the window"; fi
	at_clock "$CLK" openssl x509 -checkend $((10 * 86400)) -noout -in "$G/cert.pem" >/dev/null &&
		ok "openssl -checkend 10 days: not within" || not_ok "openssl -checkend 10 days: not within"
	tcheck "$G" --renew-within 10
	assert_verdict "--renew-within 10: cert.expiry ok" cert.expiry ok
	assert_verdict "the root outlives cert.pem by years: root.expiry ok" root.expiry ok

	# The hub's CRL: nextUpdate = thisUpdate + 1 day, grace 1 day.
	nu=$(date -u -d "$(openssl crl -in "$G/crl.pem" -noout -nextupdate | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ)
	at +0
	tcheck "$G"
	assert_json "crl.fresh: next_update is openssl's nextUpdate" "$T/out" \
		'.checks[] | select(.id == "crl.fresh") | .data.next_update' "$nu"
	at +36h
	tcheck "$G"
	assert_verdict "36 hours on: past nextUpdate, within the grace: crl.fresh warns" crl.fresh warn
	assert_grep "says past its next update" 'past its next update' "$T/out"
	tcheck "$G" --crl-grace 3600
	assert_verdict "--crl-grace 3600: crl.fresh fails" crl.fresh fail
	at +3d
	tcheck "$G"
	assert_verdict "3 days on: past the grace: crl.fresh fails" crl.fresh fail
	assert_eq "exit 9" "$rc" 9
	[ "$(date -u -d "$nu" +%s)" -lt "$(at_clock "$CLK" date -u +%s)" ] &&
		ok "date under the same clock agrees: past nextUpdate" ||
		not_ok "date under the same clock agrees: past nextUpdate"
	assert_verdict "cert.expiry still ok" cert.expiry ok
fi

# A ca.pem that does not chain, and one missing: cert.chain fails naming why.
X=$T/other; cp -a "$G" "$X"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/other-key.pem" \
	-subj "/CN=Another CA" -days 3650 -out "$X/ca.pem" 2>/dev/null
check "$X"
assert_verdict "another root: cert.chain fails" cert.chain fail
assert_grep "says it does not chain" 'does not chain to ca.pem' "$T/out"
if openssl verify -CAfile "$X/ca.pem" "$X/cert.pem" >/dev/null 2>&1; then
	not_ok "openssl verify agrees: no chain"
else ok "openssl verify agrees: no chain"; fi
assert_verdict "the hub's CRL, of no root in ca.pem: crl.verified warns" crl.verified warn
rm "$X/ca.pem"
check "$X"
assert_verdict "no ca.pem: cert.chain fails" cert.chain fail
assert_grep "names the step" 'ca.pem: missing; run ' "$T/out"
rm "$X/cert.pem"
check "$X"
assert_grep "no cert.pem: names the step" 'cert.pem: missing; run edge-activate first' "$T/out"
assert_verdict "no cert.pem: cert.expiry skipped" cert.expiry skip

# A CRL that no root verifies (its signature broken): crl.verified fails.
F=$T/forged; cp -a "$G" "$F"
awk '/BEGIN X509 CRL/ { inb = 1; print; next } /END X509 CRL/ { inb = 0 }
     inb && !done && length($0) > 20 { c = substr($0, 10, 1); $0 = substr($0, 1, 9) (c == "A" ? "B" : "A") substr($0, 11); done = 1 }
     { print }' "$G/crl.pem" > "$F/crl.pem"
check "$F"
if openssl crl -in "$F/crl.pem" -CAfile "$F/ca.pem" -noout 2>&1 | grep -q "verify OK"; then
	skip "a forged CRL" "the byte changed left the CRL valid"
else
	assert_verdict "a CRL its root does not verify: crl.verified fails" crl.verified fail
	assert_verdict "cert.revoked cannot be judged: fails" cert.revoked fail
fi

# Roots ending: one before cert.pem (and within a year), one expired.
R=$T/roots; cp -a "$G" "$R"
certtool --generate-privkey --key-type ecdsa --outfile "$T/soon-key.pem" 2>/dev/null
printf 'cn = "Soon Ending CA"\nca\ncert_signing_key\nexpiration_days = 100\n' > "$T/soon.tmpl"
certtool --generate-self-signed --load-privkey "$T/soon-key.pem" --template "$T/soon.tmpl" \
	--outfile "$T/soon.pem" 2>/dev/null
cat "$T/soon.pem" >> "$R/ca.pem"
check "$R"
assert_verdict "a root ending in 100 days: root.expiry warns" root.expiry warn
assert_grep "names it and cert.pem" 'root CN=Soon Ending CA in ca.pem ends .* before cert.pem does' "$T/out"
assert_json "data: both roots" "$T/out" '.checks[] | select(.id == "root.expiry") | .data.roots | length' 2
openssl x509 -checkend $((365 * 86400)) -noout -in "$T/soon.pem" >/dev/null &&
	not_ok "openssl -checkend a year agrees" || ok "openssl -checkend a year agrees"
assert_verdict "cert.chain still ok" cert.chain ok
if have_faketime; then
	at -400d
	at_clock "$CLK" certtool --generate-self-signed --load-privkey "$T/soon-key.pem" \
		--template "$T/soon.tmpl" --outfile "$T/gone.pem" 2>/dev/null
	cp "$G/ca.pem" "$R/ca.pem"; cat "$T/gone.pem" >> "$R/ca.pem"
	check "$R"
	assert_verdict "an expired root: root.expiry fails" root.expiry fail
	openssl x509 -checkend 0 -noout -in "$T/gone.pem" >/dev/null &&
		not_ok "openssl -checkend 0 agrees" || ok "openssl -checkend 0 agrees"
else
	skip "an expired root" "libfaketime not installed"
fi

# Revoked at the hub, learned from the CRL.
V=$T/rev; mkdir "$V"
cp "$G/edge.conf" "$V/"
edge-keygen -q -d "$V" >/dev/null && edge-csr -q -d "$V" --cn SN-C2 >/dev/null &&
	edge-provision -q -d "$V" --serial SN-C2 >/dev/null && edge-activate -q -d "$V" >/dev/null &&
	edge-crl-update -q -d "$V" >/dev/null
check "$V"
assert_verdict "second gateway: cert.revoked ok" cert.revoked ok
snV=$(jq -r .certSN "$V/device.json")
if edge-revoke -q -d "$V" --serial "$snV" --reason keyCompromise >/dev/null &&
   edge-crl-update -q -d "$V" >/dev/null; then
	ok "revoked at the hub; the new CRL installed"
else
	not_ok "revoked at the hub; the new CRL installed"
fi
check "$V"
assert_verdict "revoked: cert.revoked fails" cert.revoked fail
assert_grep "says revoked, with the serial" "serial $snV) is revoked since" "$T/out"
assert_eq "exit 9" "$rc" 9
openssl verify -crl_check -CAfile "$V/ca.pem" -CRLfile "$V/crl.pem" "$V/cert.pem" > "$T/v" 2>&1
assert_grep "openssl verify -crl_check agrees" "certificate revoked" "$T/v"
openssl verify -crl_check -CAfile "$G/ca.pem" -CRLfile "$V/crl.pem" "$G/cert.pem" > "$T/v" 2>&1
assert_grep "openssl: the first gateway is not revoked" "cert.pem: OK" "$T/v"
rm "$V/crl.pem"
check "$V"
assert_verdict "no crl.pem: cert.revoked warns" cert.revoked warn
assert_verdict "no crl.pem: crl.verified warns" crl.verified warn
assert_grep "the fix is edge-crl-update" '"fix":"edge-crl-update"' "$T/out"

# A gateway without application credentials: the control node renews.
N=$T/nocred
edge_with_csr "$N" SN-C3 &&
	edge-provision -q -d "$N" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial SN-C3 >/dev/null &&
	edge-activate -q -d "$N" $HUBOPTS >/dev/null 2>&1
check "$N"
assert_verdict "no credentials: cert.renewal warns" cert.renewal warn
assert_grep "the control node renews" 'renewal belongs to the control node; nothing here renews' "$T/out"
assert_json "data: renewal control-node" "$T/out" \
	'.checks[] | select(.id == "cert.renewal") | .data.renewal' control-node
assert_verdict "no credentials: reset.ready warns (edge-revoke --reset would refuse)" reset.ready warn
_run edge-revoke -d "$N" --reset
assert_eq "edge-revoke --reset refuses there indeed (usage, exit 2)" "$rc" 2
[ -e "$N/cert.pem" ] && ok "and keeps everything" || not_ok "and keeps everything"
# Credentials named but gone: renewal would fail.
C=$T/gone; cp -a "$G" "$C"
sed -i "s|^credentials = .*|credentials = $T/no-such-credentials|" "$C/edge.conf"
check "$C"
assert_verdict "credentials named but missing: cert.renewal fails" cert.renewal fail
assert_verdict "and reset.ready fails" reset.ready fail

# A read-only state directory: --reset could neither destroy nor queue.
# (A private mount namespace is needed: unshare -m fails in a chroot whose /
# is no mount point, as in ../shared/tools/fresh-machine-check.)
if can_mount_tmpfs && command -v unshare >/dev/null && unshare -m true 2>/dev/null; then
	_run unshare -m sh -c 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && exec edge-check -d "$1" --json' sh "$G"
	assert_verdict "read-only DIR: reset.ready fails" reset.ready fail
	assert_grep "says not writable" 'is not writable here' "$T/out"
	unshare -m sh -c 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && touch "$1/probe"' sh "$G" 2>/dev/null &&
		not_ok "touch agrees: read-only" || ok "touch agrees: read-only"
else
	skip "read-only state directory" "cannot mount here (not root, or no private mount namespace: unshare -m fails)"
fi

done_testing
