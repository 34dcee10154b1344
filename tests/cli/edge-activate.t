#!/bin/sh
# SPDX-License-Identifier: MIT
# edge-activate against the stand-in hub: apply, verify, store, renew,
# install by pipe, and the refusals.
. "$(dirname "$0")/../lib.sh"
setup
hub_start

# The bare chain of DESIGN.md, with defaults from edge.conf.
S=$T/gw; mkdir "$S"
cat > "$S/edge.conf" <<EOT
api = $HUB_API
hub_ca = $HUB_CA
credentials = $HUB_CREDENTIALS
product_key = $HUB_PRODUCT_KEY
locality = Shanghai
org_unit = Edge Gateways
ca = $HUB_CA
EOT
SN=SN-A1
if edge-keygen -q -d "$S" >/dev/null && edge-csr -q -d "$S" --cn "$SN" >/dev/null &&
   edge-provision -q -d "$S" --serial "$SN" >/dev/null && edge-activate -d "$S" --json > "$T/out" 2>"$T/err"; then
	ok "the bare chain keygen, csr, provision, activate"
else
	not_ok "the bare chain keygen, csr, provision, activate"
fi
assert_json "action apply" "$T/out" .action apply
assert_json "changed" "$T/out" .changed true
sn=$(jq -r .cert_sn "$T/out")
assert_json "certSN recorded in device.json" "$S/device.json" .certSN "$sn"
certtool --verify --load-ca-certificate "$S/ca.pem" --infile "$S/cert.pem" > "$T/v" 2>&1
assert_grep "certtool --verify accepts cert.pem against ca.pem" "Chain verification output: Verified" "$T/v"
openssl verify -CAfile "$S/ca.pem" "$S/cert.pem" > "$T/v" 2>&1
assert_grep "openssl verify accepts it too" "cert.pem: OK" "$T/v"
hexsn=$(openssl x509 -in "$S/cert.pem" -noout -serial | cut -d= -f2)
assert_eq "serial in cert.pem is the decimal certSN" "$(perl -MMath::BigInt -e 'print Math::BigInt->from_hex($ARGV[0])' "$hexsn")" "$sn"
k1=$(openssl x509 -in "$S/cert.pem" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum)
k2=$(openssl pkey -in "$S/key.pem" -pubout -outform DER | sha256sum)
assert_eq "the certificate carries the edge's key" "$k1" "$k2"
assert_eq "cert.pem is 0644" "$(file_mode "$S/cert.pem")" 644

before=$(digest "$S/cert.pem")
assert_ok "second run" edge-activate -d "$S" --json
assert_json "nothing to do" "$T/out" .changed false
assert_eq "cert.pem untouched" "$(digest "$S/cert.pem")" "$before"
assert_ok "--renew-within 30 with two years left" edge-activate -d "$S" --renew-within 30 --json
assert_json "no renewal" "$T/out" .changed false
assert_ok "--renew-within 1000 renews" edge-activate -d "$S" --renew-within 1000 --json
assert_json "renewed" "$T/out" .action renew
sn2=$(jq -r .cert_sn "$T/out")
[ "$sn2" != "$sn" ] && ok "renewal gave a new serial" || not_ok "renewal gave a new serial"
assert_json "device.json follows the renewal" "$S/device.json" .certSN "$sn2"
assert_ok "--renew" edge-activate -d "$S" --renew --valid-days 30 --json
assert_json "renew action" "$T/out" .action renew
assert_ok "--force applies again" edge-activate -d "$S" --force --json
assert_json "apply action" "$T/out" .action apply

# Refusals by the hub leave everything as it was.
before=$(digest "$S/cert.pem")
assert_fails 5 "validity beyond the product's maximum" edge-activate -d "$S" --force --valid-days 3000
assert_grep "the hub's code is in the message" "99400" "$T/err"
S2=$T/dup; edge_with_csr "$S2" "$SN"
edge-provision -q -d "$S2" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial SN-A2 >/dev/null
assert_fails 5 "a CN another device already has" edge-activate -d "$S2" $HUBOPTS
assert_grep "says duplicate subject" "Duplicate subject" "$T/err"
[ ! -e "$S2/cert.pem" ] && ok "nothing stored after the refusal" || not_ok "nothing stored after the refusal"
assert_eq "the first edge's certificate untouched" "$(digest "$S/cert.pem")" "$before"

# Faults the stand-in hub injects on request (tests/hub/hub_fault.c).
fault() { echo "$1" > "$T/hub/faults"; }
X=$T/faults; edge_with_csr "$X" SN-FAULT
edge-provision -q -d "$X" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial SN-FAULT >/dev/null
fault "certificates otherkey 1"
assert_fails 6 "a certificate for a different key" edge-activate -d "$X" $HUBOPTS
assert_grep "says different key" "issued for a different key" "$T/err"
[ ! -e "$X/cert.pem" ] && [ ! -e "$X/ca.pem" ] && ok "nothing stored" || not_ok "nothing stored"
fault "certificates garbage 1"
assert_fails 3 "an answer that is not JSON" edge-activate -d "$X" $HUBOPTS --retries 0
fault "certificates wrongtype 1"
assert_fails 3 "an answer with wrong types" edge-activate -d "$X" $HUBOPTS --retries 0
assert_grep "names the field" "field cert is not a string" "$T/err"
[ ! -e "$X/cert.pem" ] && ok "still nothing stored" || not_ok "still nothing stored"
fault "certificates http500 1"
assert_ok "one HTTP 500, then the certificate" edge-activate -d "$X" $HUBOPTS --json
assert_json "activated after the retry" "$T/out" .changed true
# A failed hub call leaves the token cache as it was: the same bytes, inode
# and mtime (it is written only when a new token was obtained).
tokcache() { stat -c '%i %y' "$X/hub-token.json" && sha256sum < "$X/hub-token.json"; }
before=$(tokcache)
fault "certificates http500 -1"
assert_fails 4 "HTTP 500 on every attempt" edge-activate -d "$X" $HUBOPTS --force --retries 1
fault "certificates garbage 1"
assert_fails 3 "an answer that is not JSON, with a cached token" edge-activate -d "$X" $HUBOPTS --force --retries 0
: > "$T/hub/faults"
assert_fails 5 "a refused call, with a cached token" edge-activate -d "$X" $HUBOPTS --force --product-key nosuchpk --device-key SN-FAULT
assert_grep "... refused by the hub" "hub refused" "$T/err"
assert_eq "failed hub calls leave hub-token.json byte-identical (same inode, same mtime)" "$(tokcache)" "$before"
: > "$T/hub/faults"

# Bad local input.
S3=$T/bad; mkdir "$S3"
edge-keygen -q -d "$S3" >/dev/null
edge-provision -q -d "$S3" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial SN-A3 >/dev/null
echo "not a request" > "$S3/csr.pem"
assert_fails 3 "csr.pem that is not a CSR" edge-activate -d "$S3" $HUBOPTS
assert_grep "says not a certificate request" "csr.pem: not a PEM certificate request" "$T/err"
edge-csr -q -d "$S2" --ca "$HUB_CA" --locality L --org-unit U --cn other -o "$S3/csr.pem" >/dev/null
assert_fails 3 "a CSR made for another key" edge-activate -d "$S3" $HUBOPTS
assert_grep "says another key" "made for another key" "$T/err"
rm "$S3/csr.pem"
assert_fails 3 "no csr.pem: invalid input (DESIGN: missing inputs are 3)" edge-activate -d "$S3" $HUBOPTS
assert_grep "... naming the step that makes it" "^edge-activate: csr.pem: missing; run edge-csr first$" "$T/err"
S4=$T/nodev; edge_with_csr "$S4" SN-A4
assert_fails 2 "not provisioned" edge-activate -d "$S4" $HUBOPTS
assert_grep "tells to provision" "run edge-provision first" "$T/err"

# The pipeline: key and CSR stay on the gateway, credentials on the control node.
G=$T/gateway; C=$T/control; mkdir "$C"
edge_with_csr "$G" SN-PIPE
edge-provision -q -d "$C" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial SN-PIPE >/dev/null
edge-csr -d "$G" --ca "$HUB_CA" --locality Shanghai --org-unit Edge --cn SN-PIPE -o - 2>/dev/null | edge-activate -d "$C" $HUBOPTS --csr - -o - 2>"$T/err1" |
	edge-activate -d "$G" --install - --json > "$T/out" 2>"$T/err"
assert_json "certificate installed through the pipe" "$T/out" .changed true
[ -f "$G/cert.pem" ] && [ -f "$G/ca.pem" ] && ok "gateway has cert.pem and ca.pem" || not_ok "gateway has cert.pem and ca.pem"
[ ! -e "$C/cert.pem" ] && ok "control node stores no certificate" || not_ok "control node stores no certificate"
assert_ok "installing the same certificate again" edge-activate -d "$G" --install "$G/cert.pem"
assert_grep "reports nothing to do" "already holds this certificate" "$T/err"
O=$T/other; mkdir "$O"; edge-keygen -q -d "$O" >/dev/null
assert_fails 6 "installing a certificate for another key" edge-activate -d "$O" --install "$G/cert.pem" --ca "$G/ca.pem"
assert_grep "says different key" "issued for a different key" "$T/err"
[ ! -e "$O/cert.pem" ] && ok "nothing installed" || not_ok "nothing installed"
certtool --generate-privkey --outfile "$T/o.key" 2>/dev/null
printf 'cn = Other CA\nca\ncert_signing_key\nexpiration_days = 10\n' > "$T/o.tmpl"
certtool --generate-self-signed --load-privkey "$T/o.key" --template "$T/o.tmpl" --outfile "$T/other-ca.pem" 2>/dev/null
assert_fails 6 "a certificate that does not chain to the pinned root" edge-activate -d "$G" --force --install "$G/cert.pem" --ca "$T/other-ca.pem"
assert_grep "says unknown CA" "signed by an unknown CA" "$T/err"
assert_fails 2 "control node without -o" edge-activate -d "$C" $HUBOPTS --csr "$G/csr.pem"
# --ca BUNDLE: ca.pem gets the root that verified, not the bundle's first.
cat "$T/other-ca.pem" "$HUB_CA" > "$T/bundle.pem"
assert_ok "--ca with a bundle whose first root is unrelated" edge-activate -d "$G" --force --install "$G/cert.pem" --ca "$T/bundle.pem"
assert_eq "... ca.pem is the root that verified the certificate" "$(openssl x509 -in "$G/ca.pem" -noout -fingerprint -sha256)" "$(openssl x509 -in "$HUB_CA" -noout -fingerprint -sha256)"
openssl verify -CAfile "$G/ca.pem" "$G/cert.pem" > "$T/v" 2>&1
assert_grep "... openssl verifies cert.pem with the stored ca.pem" ": OK" "$T/v"
# --ca [unrelated root, intermediate, root] (certtool-made): the intermediate
# verifies the certificate on its own, but what is trusted is the root above
# it; ca.pem holds the chain up to that self-signed root, never the unrelated one.
printf 'cn = Real Root\nca\ncert_signing_key\ncrl_signing_key\nexpiration_days = 10\n' > "$T/r.tmpl"
printf 'cn = Issuing CA\nca\ncert_signing_key\ncrl_signing_key\nexpiration_days = 10\n' > "$T/i.tmpl"
printf 'cn = SN-PIPE\ntls_www_client\nsigning_key\nexpiration_days = 5\n' > "$T/l.tmpl"
certtool --generate-privkey --outfile "$T/r.key" 2>/dev/null
certtool --generate-self-signed --load-privkey "$T/r.key" --template "$T/r.tmpl" --outfile "$T/r.pem" 2>/dev/null
certtool --generate-privkey --outfile "$T/i.key" 2>/dev/null
certtool --generate-certificate --load-privkey "$T/i.key" --load-ca-certificate "$T/r.pem" --load-ca-privkey "$T/r.key" --template "$T/i.tmpl" --outfile "$T/i.pem" 2>/dev/null
certtool --generate-certificate --load-request "$G/csr.pem" --load-ca-certificate "$T/i.pem" --load-ca-privkey "$T/i.key" --template "$T/l.tmpl" --outfile "$T/leaf.pem" 2>/dev/null
cat "$T/other-ca.pem" "$T/i.pem" "$T/r.pem" > "$T/chain-bundle.pem"
assert_ok "--ca [unrelated root, intermediate, root]" edge-activate -d "$G" --force --install "$T/leaf.pem" --ca "$T/chain-bundle.pem"
certfps() { awk '/BEGIN CERT/{n++} {print > (f n ".pem")}' f="$T/split-" "$1"; for c in "$T"/split-*.pem; do openssl x509 -in "$c" -noout -fingerprint -sha256; done; rm -f "$T"/split-*.pem; }
certfps "$G/ca.pem" > "$T/stored"
grep -qxF "$(openssl x509 -in "$T/r.pem" -noout -fingerprint -sha256)" "$T/stored" &&
	ok "... ca.pem holds the self-signed root above the intermediate" || not_ok "... ca.pem holds the self-signed root above the intermediate"
grep -qxF "$(openssl x509 -in "$T/other-ca.pem" -noout -fingerprint -sha256)" "$T/stored" &&
	not_ok "... the unrelated root is not stored" || ok "... the unrelated root is not stored"
openssl verify -CAfile "$G/ca.pem" "$G/cert.pem" > "$T/v" 2>&1
assert_grep "... openssl verifies cert.pem up to a self-signed root with the stored ca.pem" ": OK" "$T/v"

# No orphaned certificates (decision 4): once cert.pem is stored, the device's
# other valid certificates are revoked as superseded.  Judged on the hub's own
# store (every certificate it issued) and its CRL read by openssl.
valid_at_hub() { # valid_at_hub DEVICE_KEY: its serials that the hub's CRL does not list
	openssl crl -in "$HUB_CRL" -noout -text > "$T/crl.txt" 2>/dev/null
	for s in $(jq -r --arg dk "$1" '.certs[] | select(.deviceKey == $dk) | .certSN' "$T/hub/state.json"); do
		h=$(perl -MMath::BigInt -e 'print uc(substr(Math::BigInt->new($ARGV[0])->as_hex, 2))' "$s")
		grep -qi "Serial Number: 0*$h\$" "$T/crl.txt" || echo "$s"
	done
}
superseded_at_hub() { # superseded_at_hub DECIMAL-SERIAL: on the CRL, revoked with reason 4
	h=$(perl -MMath::BigInt -e 'print uc(substr(Math::BigInt->new($ARGV[0])->as_hex, 2))' "$1")
	openssl crl -in "$HUB_CRL" -noout -text 2>/dev/null | grep -qi "Serial Number: 0*$h\$" &&
	[ "$(jq -r --arg s "$1" '.certs[] | select(.certSN == $s) | .revokeReason' "$T/hub/state.json")" = 4 ]
}
certsn() { perl -MMath::BigInt -e 'print Math::BigInt->from_hex($ARGV[0])' "$(openssl x509 -in "$1" -noout -serial | cut -d= -f2)"; }
W=$T/orphan; WC=$T/orphan-control; mkdir "$WC"
edge_with_csr "$W" SN-ORPH
edge-provision -q -d "$W" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial SN-ORPH >/dev/null
cp "$W/device.json" "$WC/device.json"
dk=$(jq -r .deviceKey "$W/device.json")
# An activation interrupted after the hub issued: the certificate went to a
# file that never reached the state directory.
edge-activate -q -d "$WC" $HUBOPTS --csr "$W/csr.pem" -o "$T/lost.pem" >/dev/null 2>&1
lost=$(certsn "$T/lost.pem")
assert_ok "activation after an interrupted one" edge-activate -d "$W" $HUBOPTS --json
sn1=$(certsn "$W/cert.pem")
assert_eq "... exactly one valid certificate at the hub: cert.pem's" "$(valid_at_hub "$dk")" "$sn1"
superseded_at_hub "$lost" && ok "... the lost one is on the hub's CRL (openssl crl), reason superseded" || not_ok "... the lost one is on the hub's CRL (openssl crl), reason superseded"
assert_json "... --json superseded lists it" "$T/out" '.superseded | join(",")' "$lost"
assert_ok "renewal" edge-activate -d "$W" $HUBOPTS --renew --json
sn2=$(certsn "$W/cert.pem")
assert_eq "... leaves one valid certificate: the new one" "$(valid_at_hub "$dk")" "$sn2"
assert_json "... superseded lists the old serial" "$T/out" '.superseded | join(",")' "$sn1"
assert_ok "--force applies again" edge-activate -d "$W" $HUBOPTS --force --json
sn3=$(certsn "$W/cert.pem")
assert_eq "... leaves one valid certificate" "$(valid_at_hub "$dk")" "$sn3"
# The hub fails after cert.pem is stored: exit 4, and a rerun finishes.
fault "certificates?action=list http500 -1"
assert_fails 4 "hub failing after cert.pem is stored" edge-activate -d "$W" $HUBOPTS --force --retries 0 --json
assert_grep "... says stored, what failed, run again" "cert.pem stored; revoking superseded certificates failed: .*; run again" "$T/err"
sn4=$(certsn "$W/cert.pem")
[ "$sn4" != "$sn3" ] && ok "... the new certificate is stored" || not_ok "... the new certificate is stored"
assert_eq "... two valid certificates for now" "$(valid_at_hub "$dk" | sort | tr '\n' ' ')" "$(printf '%s\n%s\n' "$sn3" "$sn4" | sort | tr '\n' ' ')"
assert_ok "... a rerun with the hub failing still keeps cert.pem (exit 0)" edge-activate -d "$W" $HUBOPTS --retries 0 --json
assert_grep "... and warns that pruning failed" "revoking superseded certificates failed" "$T/err"
: > "$T/hub/faults"
assert_ok "... a rerun with the hub back" edge-activate -d "$W" $HUBOPTS --json
assert_json "... keeps cert.pem" "$T/out" .changed false
assert_json "... and revokes the superseded one" "$T/out" '.superseded | join(",")' "$sn3"
assert_eq "... one valid certificate left" "$(valid_at_hub "$dk")" "$sn4"
assert_ok "offline, the keep path does not fail" edge-activate -d "$W" $HUBOPTS --api https://127.0.0.1:1 --retries 0 --json
assert_json "... cert.pem kept" "$T/out" .action none

# Only the holder of a valid certificate of the device prunes (red team F1,
# F2).  After a takeover the old gateway's timer run finds its certificate
# revoked: exit 8, nothing revoked, nothing applied (an old gateway applying
# every day would take the identity back every day).
OLD=$T/tk-old; NEW=$T/tk-new
edge_with_csr "$OLD" SN-TK
edge-provision -q -d "$OLD" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial SN-TK >/dev/null
edge-activate -q -d "$OLD" $HUBOPTS >/dev/null 2>&1
snold=$(certsn "$OLD/cert.pem"); dk=$(jq -r .deviceKey "$OLD/device.json")
edge_with_csr "$NEW" SN-TK
edge-provision -q -d "$NEW" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial SN-TK --takeover >/dev/null 2>&1
assert_ok "takeover: the new gateway activates" edge-activate -d "$NEW" $HUBOPTS --json
snnew=$(certsn "$NEW/cert.pem")
assert_json "... superseding the old gateway's certificate" "$T/out" '.superseded | join(",")' "$snold"
assert_fails 8 "the old gateway's timer run (--renew-within 30) after the takeover" edge-activate -d "$OLD" $HUBOPTS --renew-within 30 --json
assert_grep "... says revoked, who may hold the identity, what to do" \
    "cert.pem (serial $snold) is revoked (the hub, reason .*): another gateway may hold $dk's identity now .*edge-revoke --reset.*--force applies anew" "$T/err"
assert_eq "... the new gateway's certificate stays the one valid one (openssl crl)" "$(valid_at_hub "$dk")" "$snnew"
assert_fails 8 "... a bare run: exit 8 too" edge-activate -d "$OLD" $HUBOPTS
assert_fails 8 "... --renew: exit 8 too" edge-activate -d "$OLD" $HUBOPTS --renew
assert_eq "... cert.pem of the old gateway untouched, nothing applied" "$(certsn "$OLD/cert.pem")" "$snold"
assert_eq "... still the new gateway's alone (openssl crl)" "$(valid_at_hub "$dk")" "$snnew"
# No application credentials, crl.pem lists it: the CRL alone decides.
assert_ok "the old gateway fetches the CRL" edge-crl-update -q -d "$OLD" --from "$HUB_CRL"
assert_fails 8 "... crl.pem lists cert.pem, no hub credentials: exit 8" edge-activate -d "$OLD" --renew-within 30
assert_grep "... says the CRL revoked it" "cert.pem (serial $snold) is revoked (crl.pem)" "$T/err"
assert_ok "the new gateway's timer run keeps its certificate" edge-activate -d "$NEW" $HUBOPTS --renew-within 30 --json
assert_json "... nothing superseded" "$T/out" '.superseded | length' 0
assert_eq "... still valid (openssl crl)" "$(valid_at_hub "$dk")" "$snnew"
# --force to another serial: cert.pem is the old device's, so it is not kept
# as current for the new one, and the new device's certificate survives.
C=$T/f1-c; D=$T/f1-d
edge_with_csr "$C" SN-F1C; edge_with_csr "$D" SN-F1D
edge-provision -q -d "$C" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial SN-F1C >/dev/null
edge-provision -q -d "$D" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial SN-F1D >/dev/null
edge-activate -q -d "$C" $HUBOPTS >/dev/null 2>&1; edge-activate -q -d "$D" $HUBOPTS >/dev/null 2>&1
snd=$(certsn "$D/cert.pem"); dkd=$(jq -r .deviceKey "$D/device.json")
edge-provision -q -d "$C" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial SN-F1D --force --takeover >/dev/null 2>&1
edge-activate -d "$C" $HUBOPTS --json > "$T/out" 2> "$T/err"
assert_grep "... cert.pem (CN SN-F1C) is not kept for SN-F1D" "cert.pem is a certificate of SN-F1C, not of $dkd" "$T/err"
assert_eq "... SN-F1D's only certificate stays valid (openssl crl)" "$(valid_at_hub "$dkd")" "$snd"
# A csr.pem for another CN (red team F6: a wrong EDGE_DIR gave GW-0001 a
# request of GW-0002) beside this device's current cert.pem: refused before
# any hub call, whatever the run (--force, --rekey, --csr), so no certificate
# of another CN replaces the right one at every timer run.
N=$T/f6; edge_with_csr "$N" SN-F6A
edge-provision -q -d "$N" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial SN-F6A >/dev/null
edge-activate -q -d "$N" $HUBOPTS >/dev/null 2>&1
snn=$(certsn "$N/cert.pem"); dkn=$(jq -r .deviceKey "$N/device.json")
cp "$N/csr.pem" "$T/f6-right.csr"
edge-csr -q -d "$N" --force --ca "$HUB_CA" --locality Shanghai --org-unit Edge --cn SN-F6B >/dev/null
cp "$N/csr.pem" "$T/f6-wrong.csr"
hubcerts() { jq -S .certs "$T/hub/state.json" | sha256sum; }
hub0=$(hubcerts); cert0=$(digest "$N/cert.pem"); key0=$(digest "$N/key.pem")
assert_fails 3 "csr.pem for CN SN-F6B beside cert.pem of SN-F6A: a due --renew-within refused" \
    edge-activate -d "$N" $HUBOPTS --renew-within 3000
assert_grep "... names both CNs and the fix" \
    "^edge-activate: csr.pem: a request for CN SN-F6B, but cert.pem is this device's certificate for CN SN-F6A; .*edge-csr --force --cn SN-F6A" "$T/err"
assert_fails 3 "... --renew-within 30 (nothing due) refused too" edge-activate -d "$N" $HUBOPTS --renew-within 30
assert_fails 3 "... --force refused too" edge-activate -d "$N" $HUBOPTS --force
assert_fails 3 "... --renew --rekey refused too" edge-activate -d "$N" $HUBOPTS --renew --rekey
[ ! -e "$N/.key.pem.rekey" ] && [ ! -e "$N/.csr.pem.rekey" ] && [ "$(digest "$N/key.pem")" = "$key0" ] &&
	ok "... no new key made" || not_ok "... no new key made"
cp "$T/f6-right.csr" "$N/csr.pem"
assert_fails 3 "... --csr FILE for SN-F6B refused (csr.pem right)" edge-activate -d "$N" $HUBOPTS --force --csr "$T/f6-wrong.csr"
assert_grep "... naming the file" "^edge-activate: $T/f6-wrong.csr: a request for CN SN-F6B" "$T/err"
assert_eq "... cert.pem unchanged" "$(digest "$N/cert.pem")" "$cert0"
assert_eq "... the hub's certificates unchanged" "$(hubcerts)" "$hub0"
assert_eq "... SN-F6A's one valid certificate still cert.pem's (openssl crl)" "$(valid_at_hub "$dkn")" "$snn"
# Other subject fields may change.
edge-csr -q -d "$N" --force --ca "$HUB_CA" --locality Beijing --org-unit Edge --cn SN-F6A >/dev/null
assert_ok "a request for the same CN with another locality renews" edge-activate -d "$N" $HUBOPTS --renew-within 3000 --json
assert_eq "... the new certificate: CN SN-F6A, L Beijing (openssl)" \
    "$(openssl x509 -in "$N/cert.pem" -noout -subject -nameopt multiline | sed -n 's/^ *\(commonName\|localityName\) *= //p' | tr '\n' ' ')" "Beijing SN-F6A "

# Two runs at once (red team F4): the first is slowed after the hub answered
# (every rename waits 2 s, as strace injects it), the second starts meanwhile.
# One at a time, they leave one valid certificate, cert.pem's; at once, each
# revoked the other's and both exited 0.
if command -v strace >/dev/null 2>&1 && strace -o /dev/null true 2>/dev/null; then
	L=$T/lock; edge_with_csr "$L" SN-LOCK
	edge-provision -q -d "$L" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial SN-LOCK >/dev/null
	edge-activate -q -d "$L" $HUBOPTS >/dev/null 2>&1
	dkl=$(jq -r .deviceKey "$L/device.json")
	# LeakSanitizer cannot run under ptrace: it would end an ASan build's
	# traced run with exit 1 (make check-asan); the leak check is not this test's.
	LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}detect_leaks=0" \
	strace -f -qq -o /dev/null -e trace=rename,renameat,renameat2 -e inject=rename,renameat,renameat2:delay_enter=2000000 \
	    edge-activate -q -d "$L" $HUBOPTS --force > "$T/first.out" 2> "$T/first.err" & p1=$!
	i=0; while ! ls "$L"/.*tmp* >/dev/null 2>&1 && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
	sleep 0.5
	edge-activate -d "$L" $HUBOPTS --force > "$T/out" 2> "$T/err"; rc2=$?
	wait $p1; rc1=$?
	[ "$rc1" = 0 ] || diag "first run: $(tr '\n' '|' <"$T/first.err")"
	assert_eq "two runs at once: both exit 0" "$rc1 $rc2" "0 0"
	assert_grep "... the second waits for the first (the state directory's lock)" "waiting for another edge tool to finish with" "$T/err"
	assert_eq "... one valid certificate at the hub, cert.pem's (openssl crl)" "$(valid_at_hub "$dkl")" "$(certsn "$L/cert.pem")"
else
	skip "two runs at once" "strace cannot trace here"
fi

# The renewal report (decision 5): days left and who renews, for every outcome.
days_at() { # days_at FILE TIME: whole days from TIME to FILE's notAfter, rounded down
	perl -e '$d = $ARGV[0] - $ARGV[1]; print $d >= 0 ? int($d / 86400) : -int((-$d + 86399) / 86400)' \
	    "$(date -d "$(openssl x509 -in "$1" -noout -enddate | cut -d= -f2)" +%s)" "$2"
}
# assert_days LABEL CERT T0: --json days_left is what openssl's notAfter gives
# at some second between T0 (taken before the run) and now.
assert_days() {
	_d=$(jq -r .days_left "$T/out")
	if [ "$_d" = "$(days_at "$2" "$3")" ] || [ "$_d" = "$(days_at "$2" "$(date +%s)")" ]; then ok "$1"
	else not_ok "$1"; diag "days_left $_d; notAfter $(openssl x509 -in "$2" -noout -enddate)"; fi
}
t0=$(date +%s)
assert_ok "keep, with credentials" edge-activate -d "$W" $HUBOPTS --json
assert_days "... days_left" "$W/cert.pem" "$t0"
assert_json "... renewal gateway" "$T/out" .renewal gateway
assert_not_grep "... no warning" "cannot renew itself" "$T/err"
t0=$(date +%s)
assert_ok "apply" edge-activate -d "$W" $HUBOPTS --force --json
assert_days "... days_left" "$W/cert.pem" "$t0"
assert_json "... renewal gateway" "$T/out" .renewal gateway
t0=$(date +%s)
assert_ok "renew" edge-activate -d "$W" $HUBOPTS --renew --valid-days 40 --json
assert_days "... days_left of a 40-day certificate" "$W/cert.pem" "$t0"
R=$T/renewal-by-control; RC=$T/rcn-control; mkdir "$RC"; edge_with_csr "$R" SN-RCN
edge-provision -q -d "$RC" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial SN-RCN >/dev/null
edge-activate -q -d "$RC" $HUBOPTS --csr "$R/csr.pem" -o "$T/rcn.pem" >/dev/null 2>&1
t0=$(date +%s)
assert_ok "install without application credentials" edge-activate -d "$R" --install "$T/rcn.pem" --json
assert_days "... days_left" "$R/cert.pem" "$t0"
assert_json "... renewal control-node" "$T/out" .renewal control-node
assert_grep "... the loud warning" "cert.pem expires .* (in [0-9]* days); this gateway holds no application credentials, so it cannot renew itself: the control node must renew it (see README, Renewal)" "$T/err"
assert_eq "... said once" "$(grep -c 'cannot renew itself' "$T/err")" 1
assert_ok "keep without application credentials" edge-activate -d "$R" --json
assert_json "... renewal control-node" "$T/out" .renewal control-node
assert_grep "... warns" "cannot renew itself" "$T/err"
assert_fails 2 "--renew-within due, no credentials" edge-activate -d "$R" --renew-within 3650
assert_grep "... exit 2 with the reason" "within --renew-within 3650, but this gateway holds no application credentials .*, so it cannot renew itself: the control node must renew it" "$T/err"
if have_faketime; then
	na=$(date -d "$(openssl x509 -in "$R/cert.pem" -noout -enddate | cut -d= -f2)" +%s)
	at() { date -u -d "@$(($na + $1))" '+@%Y-%m-%d %H:%M:%S'; }
	assert_ok "ten days before expiry (libfaketime)" at_time "$(at $((-10 * 86400 + 3600)))" edge-activate -d "$R" --json
	assert_json "... days_left 9" "$T/out" .days_left 9
	assert_grep "... warns with the days" "(in 9 days); this gateway holds no application credentials" "$T/err"
	assert_fails 2 "... the timer's --renew-within 30 there: exit 2" at_time "$(at $((-10 * 86400 + 3600)))" edge-activate -d "$R" --renew-within 30
	assert_grep "... with the reason" "cannot renew itself: the control node must renew it" "$T/err"
	assert_ok "... the timer's --renew-within 30 sixty days before: nothing due" at_time "$(at $((-60 * 86400 + 3600)))" edge-activate -d "$R" --renew-within 30 --json
	assert_json "... days_left 59" "$T/out" .days_left 59
else
	skip "near expiry under libfaketime" "faketime not installed"
fi

# --rekey (decision 5): renewal with a new key of the same type, in the same place.
pubid() { openssl pkey -in "$1" -pubout -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1; }
certpub() { openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1; }
K=$T/rekey; mkdir "$K"; edge-keygen -q -d "$K" --type ec >/dev/null
edge-csr -q -d "$K" --ca "$HUB_CA" --locality Shanghai --org-unit Edge --cn SN-REKEY >/dev/null
edge-provision -q -d "$K" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial SN-REKEY >/dev/null
edge-activate -q -d "$K" $HUBOPTS >/dev/null 2>&1
old=$(pubid "$K/key.pem"); oldsn=$(certsn "$K/cert.pem")
subj=$(openssl req -in "$K/csr.pem" -noout -subject)
assert_ok "--renew --rekey with a file key" edge-activate -d "$K" $HUBOPTS --renew --rekey --json
assert_json "... --json key_id is the new key's" "$T/out" '.key_id | startswith("sha256:")' true
assert_eq "... and edge-keygen reports the same id for key.pem" "$(edge-keygen -d "$K" --json 2>/dev/null | jq -r .key_id)" "$(jq -r .key_id "$T/out")"
new=$(pubid "$K/key.pem")
[ -n "$new" ] && [ "$new" != "$old" ] && ok "... key.pem holds a new key" || not_ok "... key.pem holds a new key"
assert_eq "... cert.pem carries the new key (openssl)" "$(certpub "$K/cert.pem")" "$new"
openssl pkey -in "$K/key.pem" -noout -text 2>/dev/null | grep -q "prime256v1\|P-256" && ok "... of the same type (EC P-256)" || not_ok "... of the same type (EC P-256)"
assert_eq "... key.pem is 0600" "$(file_mode "$K/key.pem")" 600
assert_eq "... csr.pem: the new key, the same subject" "$(openssl req -in "$K/csr.pem" -noout -subject)|$(openssl req -in "$K/csr.pem" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1)" "$subj|$new"
assert_eq "... no pending files left" "$(ls -A "$K" | grep -c rekey)" 0
assert_json "... superseded the old certificate" "$T/out" '.superseded | join(",")' "$oldsn"
assert_ok "... the next run keeps it" edge-activate -d "$K" $HUBOPTS --json
assert_json "... unchanged" "$T/out" .changed false
# rekey = yes in edge.conf: the timer's --renew-within rotates too.
echo "rekey = yes" > "$K/edge.conf"
old=$new
assert_ok "rekey = yes in edge.conf with --renew-within" edge-activate -d "$K" $HUBOPTS --renew-within 3650 --json
new=$(pubid "$K/key.pem")
[ "$new" != "$old" ] && ok "... a new key" || not_ok "... a new key"
assert_eq "... cert.pem carries it" "$(certpub "$K/cert.pem")" "$new"
rm "$K/edge.conf"
# Interrupted: killed while the hub takes its time, after the new key was made.
old=$new; before=$(digest "$K/cert.pem")
fault "certificates?action=renew slow 1"
edge-activate -q -d "$K" $HUBOPTS --renew --rekey >/dev/null 2>&1 & kp=$!
i=0; while [ ! -e "$K/.csr.pem.rekey" ] && [ $i -lt $(slow 300) ]; do sleep 0.1; i=$((i + 1)); done
kill -9 $kp 2>/dev/null; wait $kp 2>/dev/null
: > "$T/hub/faults"
[ -e "$K/.key.pem.rekey" ] && ok "killed mid-rotation: the new key is pending" || not_ok "killed mid-rotation: the new key is pending"
assert_ok "... the next run" edge-activate -d "$K" $HUBOPTS --json
assert_grep "... undoes it (cert.pem is not for the new key)" "undoing the key rotation" "$T/err"
assert_eq "... key.pem is the old key" "$(pubid "$K/key.pem")" "$old"
assert_eq "... cert.pem untouched" "$(digest "$K/cert.pem")" "$before"
assert_eq "... no pending files left" "$(ls -A "$K" | grep -c rekey)" 0
# A hub failure after the key was made: undone at once, exit as the hub said.
fault "certificates http500 -1"
assert_fails 4 "the hub failing during a rotation" edge-activate -d "$K" $HUBOPTS --renew --rekey --retries 0
: > "$T/hub/faults"
assert_eq "... key.pem is the old key" "$(pubid "$K/key.pem")" "$old"
assert_eq "... no pending files left" "$(ls -A "$K" | grep -c rekey)" 0
# Crashed after cert.pem was stored for the new key: the next run finishes.
fault "certificates?action=renew slow 1"
edge-activate -q -d "$K" $HUBOPTS --renew --rekey >/dev/null 2>&1 & kp=$!
i=0; while [ ! -e "$K/.csr.pem.rekey" ] && [ $i -lt $(slow 300) ]; do sleep 0.1; i=$((i + 1)); done
kill -9 $kp 2>/dev/null; wait $kp 2>/dev/null
: > "$T/hub/faults"
pend=$(pubid "$K/.key.pem.rekey")
edge-activate -q -d "$WC" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --device-key "$(jq -r .deviceKey "$K/device.json")" --csr "$K/.csr.pem.rekey" -o "$T/rk.pem" >/dev/null 2>&1
openssl x509 -in "$T/rk.pem" -out "$K/cert.pem"
assert_ok "... (cert.pem for the pending key in place) the next run" edge-activate -d "$K" $HUBOPTS --json
assert_grep "... finishes the rotation" "finishing the key rotation" "$T/err"
assert_eq "... key.pem is the new key" "$(pubid "$K/key.pem")" "$pend"
assert_eq "... cert.pem matches it (openssl)" "$(certpub "$K/cert.pem")" "$pend"
assert_eq "... no pending files left" "$(ls -A "$K" | grep -c rekey)" 0
assert_json "... and it is kept" "$T/out" .action none

# Token key (SoftHSM2).
softhsm_setup edge 1234
echo 1234 > "$T/pin"; chmod 600 "$T/pin"
P=$T/tok; mkdir "$P"
edge-keygen -q -d "$P" --pkcs11 'pkcs11:token=edge;object=edge-key' --pin "file:$T/pin" >/dev/null
edge-csr -q -d "$P" --pin "file:$T/pin" --ca "$HUB_CA" --locality L --org-unit U --cn SN-TOK >/dev/null
edge-provision -q -d "$P" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial SN-TOK >/dev/null
assert_ok "activation with the key in a token" edge-activate -d "$P" $HUBOPTS --pin "file:$T/pin" --json
assert_json "token edge has its certificate" "$T/out" .changed true
assert_ok "second run with the token key" edge-activate -d "$P" $HUBOPTS --pin "file:$T/pin" --json
assert_json "token edge unchanged" "$T/out" .changed false
# --csr - reads standard input: a PIN from it by another name is refused (exit 2).
for pin in fd:0 file:/dev/stdin file:/proc/self/fd/0; do
	assert_fails 2 "--csr - with --pin $pin: refused" edge-activate -d "$P" $HUBOPTS --renew --csr - --pin "$pin" < "$P/csr.pem"
	assert_grep "... standard input cannot carry both" "cannot carry both the input and the PIN" "$T/err"
done

# --rekey with the key in the token: a new object in the same token, the old one deleted.
privkeys() { p11tool --login --set-pin=1234 --list-privkeys 'pkcs11:token=edge' 2>/dev/null | grep -c '^Object'; }
tokpub() { p11tool --login --set-pin=1234 --export-pubkey "$(cat "$1")" 2>/dev/null | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1; }
assert_eq "one key in the token before" "$(privkeys)" 1
olduri=$(cat "$P/key.uri"); old=$(tokpub "$P/key.uri")
assert_ok "--renew --rekey with a token key" edge-activate -d "$P" $HUBOPTS --pin "file:$T/pin" --renew --rekey --json
[ "$(cat "$P/key.uri")" != "$olduri" ] && ok "... key.uri names a new object" || not_ok "... key.uri names a new object"
new=$(tokpub "$P/key.uri")
[ -n "$new" ] && [ "$new" != "$old" ] && ok "... a new key id" || not_ok "... a new key id"
assert_eq "... cert.pem carries the new token key (openssl, p11tool)" "$(certpub "$P/cert.pem")" "$new"
assert_eq "... the old key is deleted: one key in the token (p11tool)" "$(privkeys)" 1
assert_ok "... the next run keeps it" edge-activate -d "$P" $HUBOPTS --pin "file:$T/pin" --json
assert_json "... unchanged" "$T/out" .changed false
fault "certificates?action=renew slow 1"
edge-activate -q -d "$P" $HUBOPTS --pin "file:$T/pin" --renew --rekey >/dev/null 2>&1 & kp=$!
i=0; while [ ! -e "$P/.csr.pem.rekey" ] && [ $i -lt $(slow 300) ]; do sleep 0.1; i=$((i + 1)); done
kill -9 $kp 2>/dev/null; wait $kp 2>/dev/null
: > "$T/hub/faults"
assert_eq "killed mid-rotation: two keys in the token" "$(privkeys)" 2
assert_ok "... the next run" edge-activate -d "$P" $HUBOPTS --pin "file:$T/pin" --json
assert_grep "... undoes it" "undoing the key rotation" "$T/err"
assert_eq "... one key in the token again" "$(privkeys)" 1
assert_eq "... the one cert.pem carries" "$(tokpub "$P/key.uri")" "$new"

# Pending rotation files this tool did not write (red team F7).
p11tool --login --set-pin=1234 --generate-ecc --curve secp256r1 --label rt-other 'pkcs11:token=edge' >/dev/null 2>&1
assert_eq "another key in the token (p11tool)" "$(privkeys)" 2
echo 'pkcs11:token=edge' > "$P/.key.uri.rekey"
assert_fails 3 "a planted .key.uri.rekey without an object id is refused" edge-activate -d "$P" $HUBOPTS --pin "file:$T/pin"
assert_grep "... naming it and why" ".key.uri.rekey: names no object id, so it would match every object of the token; refusing to delete by it" "$T/err"
assert_eq "... nothing deleted from the token (p11tool)" "$(privkeys)" 2
rm "$P/.key.uri.rekey"
p11tool --login --set-pin=1234 --delete --batch 'pkcs11:token=edge;object=rt-other' >/dev/null 2>&1
softhsm_setup rt 1234
p11tool --login --set-pin=1234 --generate-ecc --curve secp256r1 --label rt-key --id 01 'pkcs11:token=rt' >/dev/null 2>&1
rtkeys() { p11tool --login --set-pin=1234 --list-privkeys 'pkcs11:token=rt' 2>/dev/null | grep -c '^Object'; }
assert_eq "a key in another token (p11tool)" "$(rtkeys)" 1
echo 'pkcs11:token=rt;id=%01' > "$P/.key.uri.rekey"
assert_fails 3 "a planted .key.uri.rekey naming another token than key.uri is refused" edge-activate -d "$P" $HUBOPTS --pin "file:$T/pin"
assert_grep "... naming it and why" ".key.uri.rekey: names another token than key.uri; refusing to delete by it" "$T/err"
assert_eq "... the other token's key stays (p11tool)" "$(rtkeys)" 1
rm "$P/.key.uri.rekey"
ln -s key.pem "$K/.key.pem.rekey"
before=$(digest "$K/key.pem")
assert_fails 7 "a symlinked .key.pem.rekey" edge-activate -d "$K" $HUBOPTS
assert_grep "... is named, and why" ".key.pem.rekey: the pending file of a key rotation is a symbolic link, not a file this tool wrote" "$T/err"
assert_eq "... key.pem untouched" "$(digest "$K/key.pem")" "$before"
rm "$K/.key.pem.rekey"
# cert.pem is for the pending key, but the pending request is another key's:
# csr.pem is not replaced by it; the rotation is undone.
cp "$K/key.pem" "$K/.key.pem.rekey"; cp "$S2/csr.pem" "$K/.csr.pem.rekey"
before=$(digest "$K/csr.pem")
assert_ok "a pending request for another key" edge-activate -d "$K" $HUBOPTS
assert_grep "... is refused: the rotation is undone" ".csr.pem.rekey is not a request for the new key; undoing the key rotation" "$T/err"
assert_eq "... csr.pem untouched" "$(digest "$K/csr.pem")" "$before"
assert_eq "... no pending files left" "$(ls -A "$K" | grep -c rekey)" 0

# The disk fills while storing: the old certificate stays whole.
if can_mount_tmpfs; then
	F=$T/full; mkdir "$F"
	mount -t tmpfs -o size=64k,mode=0700 tmpfs "$F" && on_exit "umount '$F'"
	edge_with_csr "$F" SN-FULL
	edge-provision -q -d "$F" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial SN-FULL >/dev/null
	edge-activate -q -d "$F" $HUBOPTS >/dev/null
	old=$(digest "$F/cert.pem")
	dd if=/dev/zero of="$F/filler" bs=1k count=1000 2>/dev/null
	assert_fails 7 "disk full while storing the renewed certificate" edge-activate -d "$F" $HUBOPTS --renew
	assert_eq "old cert.pem intact" "$(digest "$F/cert.pem")" "$old"
	assert_eq "no temporary files" "$(ls -A "$F" | grep -c '\.tmp$')" 0
else
	skip "disk full" "cannot mount tmpfs here"
fi

done_testing
