#!/bin/sh
# SPDX-License-Identifier: MIT
# edge-crl-update against the stand-in hub: verified install, no rollback,
# no CRL from the future, stale CRLs, root CA update, --check, and the
# revocation story with two edges.
. "$(dirname "$0")/../lib.sh"
setup
hub_start

edge() {
	d=$T/$1
	mkdir -p "$d"
	edge-keygen -q -d "$d" >/dev/null &&
	edge-csr -q -d "$d" --ca "$HUB_CA" --locality Shanghai --org-unit Edge --cn "$1" >/dev/null &&
	edge-provision -q -d "$d" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial "$1" --portal "$HUB_PORTAL" >/dev/null &&
	edge-activate -q -d "$d" $HUBOPTS >/dev/null
}
PORTAL="--hub-ca $HUB_CA"

edge A && edge B && ok "edges A and B activated" || not_ok "edges A and B activated"
assert_ok "B installs the hub's CRL (portal from device.json)" edge-crl-update -d "$T/B" $PORTAL --json
assert_json "changed" "$T/out" .changed true
n1=$(jq -r .crl_number "$T/out")
openssl crl -in "$T/B/crl.pem" -CAfile "$T/B/ca.pem" -noout > "$T/v" 2>&1
assert_grep "openssl verifies the installed CRL" "verify OK" "$T/v"
assert_eq "crl.pem is 0644" "$(file_mode "$T/B/crl.pem")" 644
tu=$(date -d "$(jq -r .this_update "$T/out")" +%s)
assert_eq "trusted time moved to the CRL's thisUpdate" "$(cut -d' ' -f1 "$T/B/trusted-time")" "$tu"
assert_ok "same CRL again" edge-crl-update -d "$T/B" $PORTAL --json
assert_json "unchanged" "$T/out" .changed false
cp "$T/B/crl.pem" "$T/old-crl.pem"
assert_ok "--check of A before revocation" edge-crl-update -d "$T/B" --check "$T/A/cert.pem" --json
assert_json "A not revoked" "$T/out" .revoked false

# The revocation story: A revoked, B keeps working and learns of it.
snA=$(jq -r .certSN "$T/A/device.json")
edge-revoke -q -d "$T/A" $HUBOPTS --serial "$snA" --reason keyCompromise >/dev/null
echo '{"temp": 1}' > "$T/one"
# A's own CRL timer runs too: then the refusal reads as a revocation whichever
# layer refuses first (the broker's TLS after its CRL reload, or the login).
edge-crl-update -q -d "$T/A" $PORTAL >/dev/null
assert_fails 8 "the broker refuses A's next connection: exit 8" edge-connect -d "$T/A" --mqtt "$HUB_MQTT" --input "$T/one" --exit-on-eof --timeout 20 --reconnect-max 2
assert_grep "A is told its certificate is revoked" "revoked" "$T/err"
assert_ok "B keeps working" edge-connect -d "$T/B" --mqtt "$HUB_MQTT" --input "$T/one" --exit-on-eof --timeout 20 --json
assert_json "B's message acknowledged" "$T/out" .acknowledged 1
assert_ok "B fetches the new CRL" edge-crl-update -d "$T/B" $PORTAL --json
assert_json "new CRL installed" "$T/out" .changed true
n2=$(jq -r .crl_number "$T/out")
[ "$n2" -gt "$n1" ] && ok "the CRL number grew ($n1 -> $n2)" || not_ok "the CRL number grew ($n1 -> $n2)"
assert_fails 8 "--check of A's certificate says revoked" edge-crl-update -d "$T/B" --check "$T/A/cert.pem" --json
assert_json "revoked in the JSON answer" "$T/out" .revoked true
assert_json "serial in the JSON answer" "$T/out" .serial "$snA"
[ "$(jq -r .revoked_at "$T/out")" != null ] && ok "revocation date reported" || not_ok "revocation date reported"
assert_ok "--check of B's own certificate (default cert.pem)" edge-crl-update -d "$T/B" --check
assert_grep "says not revoked" "not revoked" "$T/out"

# Refusals leave crl.pem as it was.
keep=$(digest "$T/B/crl.pem")
assert_fails 6 "an older CRL (rollback)" edge-crl-update -d "$T/B" --from "$T/old-crl.pem"
assert_grep "says older" "older than the installed CRL" "$T/err"
head -c 300 "$T/B/crl.pem" > "$T/trunc.pem"
assert_fails 3 "a truncated CRL" edge-crl-update -d "$T/B" --from "$T/trunc.pem"
certtool --generate-privkey --outfile "$T/o.key" 2>/dev/null
printf 'cn = Other CA\nca\ncert_signing_key\ncrl_signing_key\nexpiration_days = 10\n' > "$T/o.tmpl"
certtool --generate-self-signed --load-privkey "$T/o.key" --template "$T/o.tmpl" --outfile "$T/o.pem" 2>/dev/null
printf 'crl_next_update = 1\ncrl_number = 999\n' > "$T/crl.tmpl"
certtool --generate-crl --load-ca-privkey "$T/o.key" --load-ca-certificate "$T/o.pem" --template "$T/crl.tmpl" --outfile "$T/other.crl" 2>/dev/null
assert_fails 6 "a CRL signed by another CA" edge-crl-update -d "$T/B" --from "$T/other.crl"
assert_grep "says not signed by a trusted root" "not signed by a trusted root" "$T/err"
assert_eq "crl.pem unchanged after the refusals" "$(digest "$T/B/crl.pem")" "$keep"
openssl crl -in "$T/B/crl.pem" -outform DER -out "$T/crl.der"
assert_ok "a DER CRL from a file (the same CRL)" edge-crl-update -d "$T/B" --from "$T/crl.der" --json
assert_json "same CRL as DER: unchanged" "$T/out" .changed false

# Time: a CRL from the future, a stale CRL, a clock set back.
C=$T/C; mkdir "$C"; cp "$T/B/ca.pem" "$C/"
# The clock moves through libfaketime: the real binary, no test hook.  Two
# days behind, the portal's own TLS certificate is not valid yet, so the CRL
# from the future comes from a file.
if have_faketime; then
	assert_fails 6 "a CRL from the future (clock two days behind)" at_time -2d edge-crl-update -d "$C" --from "$HUB_CRL"
	assert_grep "says issued in the future" "issued in the future" "$T/err"
	[ ! -e "$C/crl.pem" ] && ok "nothing installed from the future" || not_ok "nothing installed from the future"
	assert_fails 6 "a stale CRL is installed but exit 6 (clock three days ahead: past nextUpdate + --crl-grace)" at_time +3d edge-crl-update -d "$C" --portal "$HUB_PORTAL" $PORTAL --json
	assert_json "installed even though stale" "$T/out" .changed true
	assert_grep "warns about the stale CRL" "stale" "$T/err"
	assert_fails 6 "a clock set back behind trusted time" at_time -3d edge-crl-update -d "$T/B" $PORTAL
	assert_grep "says the clock is earlier" "system clock is earlier than trusted time" "$T/err"
else
	for d in "a CRL from the future" "says issued in the future" "nothing installed from the future" \
	    "a stale CRL is installed" "installed even though stale" "warns about the stale CRL" \
	    "a clock set back behind trusted time" "says the clock is earlier"; do
		skip "$d" "libfaketime not installed (Debian package faketime)"
	done
fi

# Root CA updates.
assert_ok "--ca with the same root" edge-crl-update -d "$T/B" $PORTAL --ca --json
assert_json "root unchanged" "$T/out" .ca_changed false
R=$T/R; mkdir "$R"; cp "$T/o.pem" "$R/ca.pem"
assert_fails 6 "a new root from an unverified source" edge-crl-update -d "$R" --portal "$HUB_PORTAL" $PORTAL --ca
assert_grep "asks for the fingerprint" "trust-new-root" "$T/err"
assert_eq "ca.pem unchanged" "$(digest "$R/ca.pem")" "$(digest "$T/o.pem")"
fp=$(openssl x509 -in "$HUB_CA" -noout -fingerprint -sha256 | cut -d= -f2)
wfp=$(openssl x509 -in "$T/o.pem" -noout -fingerprint -sha256 | cut -d= -f2)
assert_fails 6 "a wrong fingerprint" edge-crl-update -d "$R" --portal "$HUB_PORTAL" $PORTAL --ca --trust-new-root "$wfp"
assert_fails 2 "a malformed fingerprint is a usage error" edge-crl-update -d "$R" --portal "$HUB_PORTAL" $PORTAL --ca --trust-new-root "00:$fp"
assert_ok "the operator confirms the fingerprint" edge-crl-update -d "$R" --portal "$HUB_PORTAL" $PORTAL --ca --trust-new-root "$fp" --json
assert_json "new root installed" "$T/out" .ca_changed true
assert_eq "ca.pem holds the new and the old root" "$(grep -c 'BEGIN CERTIFICATE' "$R/ca.pem")" 2
N=$T/N; mkdir "$N"
assert_fails 6 "no root at all and no fingerprint" edge-crl-update -d "$N" --portal "$HUB_PORTAL" $PORTAL --ca
assert_fails 3 "no ca.pem to verify a CRL with: a missing input" edge-crl-update -d "$N" --portal "$HUB_PORTAL" $PORTAL
assert_grep "... naming the step that makes it" "ca.pem: missing; run edge-activate first, or edge-crl-update --ca --trust-new-root" "$T/err"
assert_fails 2 "no portal known" edge-crl-update -d "$N"
assert_fails 4 "portal down" edge-crl-update -d "$T/B" --portal "https://127.0.0.1:$(free_port)" $PORTAL --retries 0
echo "/enos/CA/crl http500 -1" > "$T/hub/faults"
assert_fails 4 "the portal answers 500: temporary" edge-crl-update -d "$T/B" --portal "$HUB_PORTAL" $PORTAL --retries 0
assert_grep "... naming the URL" "^edge-crl-update: $HUB_PORTAL/enos/CA/crl[^ ]*: hub answered HTTP 500$" "$T/err"
assert_not_grep "... never (null)" "(null)" "$T/err"
: > "$T/hub/faults"

done_testing
