#!/bin/sh
# SPDX-License-Identifier: MIT
# edge-revoke against the stand-in hub: by serial, by certificate, reset
# (file and token keys), offline reset with a queued revocation.
. "$(dirname "$0")/../lib.sh"
setup
hub_start

# edge NAME [extra edge-keygen options...]: a provisioned, activated edge in $T/NAME.
edge() {
	d=$T/$1; n=$1; shift
	mkdir -p "$d"
	edge-keygen -q -d "$d" "$@" >/dev/null &&
	edge-csr -q -d "$d" --ca "$HUB_CA" --locality Shanghai --org-unit Edge --cn "$n" ${PINOPT:-} >/dev/null &&
	edge-provision -q -d "$d" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial "$n" >/dev/null &&
	edge-activate -q -d "$d" $HUBOPTS ${PINOPT:-} >/dev/null
}
crl_has() { # crl_has DECIMAL-SERIAL: the hub's current CRL lists it
	hex=$(perl -MMath::BigInt -e 'print uc(substr(Math::BigInt->new($ARGV[0])->as_hex, 2))' "$1")
	openssl crl -in "$HUB_CRL" -noout -text 2>/dev/null | grep -qi "Serial Number: 0*$hex\$"
}

edge A && ok "edge A activated" || not_ok "edge A activated"
snA=$(jq -r .certSN "$T/A/device.json")
crl_has "$snA" && not_ok "A not on the CRL before revocation" || ok "A not on the CRL before revocation"
assert_ok "revoke A by serial" edge-revoke -d "$T/A" $HUBOPTS --serial "$snA" --reason keyCompromise --json
assert_json "serial reported" "$T/out" .serial "$snA"
assert_json "reason reported" "$T/out" .reason keyCompromise
assert_json "changed" "$T/out" .changed true
[ "$(jq -r .revoked_at "$T/out")" != null ] && ok "revoked_at reported" || not_ok "revoked_at reported"
crl_has "$snA" && ok "the hub's CRL lists A's serial" || not_ok "the hub's CRL lists A's serial"
assert_ok "revoking again" edge-revoke -d "$T/A" $HUBOPTS --serial "$snA" --json
assert_json "already revoked: unchanged" "$T/out" .changed false
assert_json "the hub's reason is reported" "$T/out" .reason keyCompromise

edge B && ok "edge B activated" || not_ok "edge B activated"
hexB=$(openssl x509 -in "$T/B/cert.pem" -noout -serial | cut -d= -f2)
snB=$(jq -r .certSN "$T/B/device.json")
assert_ok "revoke B by 0x-hex serial, from a provisioning station" edge-revoke -d "$T" $HUBOPTS --serial "0x$hexB" --product-key "$HUB_PRODUCT_KEY" --device-key B --json
assert_json "hex serial reported in decimal" "$T/out" .serial "$snB"
edge C && ok "edge C activated" || not_ok "edge C activated"
snC=$(jq -r .certSN "$T/C/device.json")
assert_ok "revoke C by its certificate (device key from the CN)" edge-revoke -d "$T" $HUBOPTS --cert "$T/C/cert.pem" --product-key "$HUB_PRODUCT_KEY" --reason superseded --json
assert_json "serial from the certificate" "$T/out" .serial "$snC"
crl_has "$snC" && ok "C on the CRL" || not_ok "C on the CRL"

assert_fails 2 "serial that is not a number" edge-revoke -d "$T/A" $HUBOPTS --serial 12ab
assert_grep "says not a serial number" "not a serial number" "$T/err"
assert_fails 2 "unknown reason" edge-revoke -d "$T/A" $HUBOPTS --serial 1 --reason bored
assert_fails 5 "unknown serial: the hub's error" edge-revoke -d "$T/A" $HUBOPTS --serial 4242
assert_grep "hub code and message" "99400 .*not bound to this device" "$T/err"
assert_one_error_line edge-revoke
assert_fails 2 "--offline without --reset" edge-revoke -d "$T/A" $HUBOPTS --serial 1 --offline
assert_fails 2 "nothing named" edge-revoke -d "$T/A" $HUBOPTS

# Reset of a file-key edge, and back.
edge D && ok "edge D activated" || not_ok "edge D activated"
snD=$(jq -r .certSN "$T/D/device.json")
assert_ok "--reset" edge-revoke -d "$T/D" $HUBOPTS --reset --json
assert_json "reset revoked D's certificate" "$T/out" .serial "$snD"
assert_json "reason cessationOfOperation" "$T/out" .reason cessationOfOperation
assert_json "key.pem destroyed" "$T/out" '.destroyed | index("key.pem") != null' true
crl_has "$snD" && ok "D on the CRL" || not_ok "D on the CRL"
for f in key.pem key.uri device.secret cert.pem csr.pem hub-token.json; do
	[ ! -e "$T/D/$f" ] || { not_ok "no $f after reset"; continue; }
	ok "no $f after reset"
done
assert_json "device.json kept, without certSN" "$T/D/device.json" '.certSN // "none"' none
Dr=$T/Dr; edge Dr && ok "edge Dr activated" || not_ok "edge Dr activated"
cp "$T/Dr/key.pem" "$T/Dr/.key.pem.rekey"; cp "$T/Dr/csr.pem" "$T/Dr/.csr.pem.rekey"
assert_ok "--reset during a key rotation (edge-activate --rekey)" edge-revoke -d "$T/Dr" $HUBOPTS --reset --json
[ ! -e "$T/Dr/.key.pem.rekey" ] && [ ! -e "$T/Dr/.csr.pem.rekey" ] && ok "... the rotation's new key is destroyed too" || not_ok "... the rotation's new key is destroyed too"
assert_ok "a second reset has nothing left to do" edge-revoke -d "$T/D" $HUBOPTS --reset --json
assert_json "nothing destroyed the second time" "$T/out" '.destroyed | length' 0
if edge-keygen -q -d "$T/D" >/dev/null && edge-csr -q -d "$T/D" --ca "$HUB_CA" --locality Shanghai --org-unit Edge --cn D2 >/dev/null &&
   edge-provision -q -d "$T/D" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial D >/dev/null &&
   edge-activate -q -d "$T/D" $HUBOPTS >/dev/null; then
	ok "a fresh key, CSR and activation bring D back"
else
	not_ok "a fresh key, CSR and activation bring D back"
fi
[ -s "$T/D/device.secret" ] && ok "device secret fetched again" || not_ok "device secret fetched again"

# Reset while the hub is unreachable: kept without --offline, queued with it.
edge E && ok "edge E activated" || not_ok "edge E activated"
snE=$(jq -r .certSN "$T/E/device.json")
port=$(free_port)
DOWN="--api https://127.0.0.1:$port --hub-ca $HUB_CA --credentials $HUB_CREDENTIALS --retries 0"
assert_fails 4 "--reset with the hub down" edge-revoke -d "$T/E" $DOWN --reset
[ -f "$T/E/key.pem" ] && ok "the key is kept when the revocation failed" || not_ok "the key is kept when the revocation failed"
assert_ok "--reset --offline with the hub down" edge-revoke -d "$T/E" $DOWN --reset --offline --json
assert_json "queued" "$T/out" .pending true
[ ! -e "$T/E/key.pem" ] && ok "key destroyed offline" || not_ok "key destroyed offline"
assert_grep "serial queued" "^$snE " "$T/E/pending-revocations"
assert_eq "queue is 0600" "$(file_mode "$T/E/pending-revocations")" 600
# Without --json it says the revocation is queued, not that it was made.
edge E2 && ok "edge E2 activated" || not_ok "edge E2 activated"
snE2=$(jq -r .certSN "$T/E2/device.json")
assert_ok "--reset --offline with the hub down, text output" edge-revoke -d "$T/E2" $DOWN --reset --offline
assert_eq "... says the serial is queued, not revoked" "$(cat "$T/out")" \
    "serial $snE2 not revoked yet: queued in pending-revocations for the next edge-revoke run"
assert_ok "the next edge-revoke sends the queued revocation" edge-revoke -d "$T/E" $HUBOPTS --serial "$snA" --device-key A
crl_has "$snE" && ok "E on the CRL after the queue was sent" || not_ok "E on the CRL after the queue was sent"
[ ! -e "$T/E/pending-revocations" ] && ok "queue emptied" || not_ok "queue emptied"

# --superseded (decision 4): the control node applied with -o - and the
# gateway installed with --install - (no credentials there); the control node
# then revokes every other valid certificate of the device, keeping FILE's.
valid_at_hub() { # valid_at_hub DEVICE_KEY: its serials that the hub's CRL does not list
	for s in $(jq -r --arg dk "$1" '.certs[] | select(.deviceKey == $dk) | .certSN' "$T/hub/state.json"); do
		crl_has "$s" || echo "$s"
	done
}
G=$T/G; CN=$T/control; mkdir -p "$G" "$CN"
edge-keygen -q -d "$G" >/dev/null
edge-csr -q -d "$G" --ca "$HUB_CA" --locality Shanghai --org-unit Edge --cn G >/dev/null
edge-provision -q -d "$CN" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial G >/dev/null
edge-activate -q -d "$CN" $HUBOPTS --csr "$G/csr.pem" -o "$T/g-first.pem" >/dev/null 2>&1
first=$(jq -r --arg dk G '[.certs[] | select(.deviceKey == $dk) | .certSN][0]' "$T/hub/state.json")
edge-activate -d "$CN" $HUBOPTS --csr "$G/csr.pem" -o - 2>/dev/null | edge-activate -q -d "$G" --install - >/dev/null 2>&1
snG=$(perl -MMath::BigInt -e 'print Math::BigInt->from_hex($ARGV[0])' "$(openssl x509 -in "$G/cert.pem" -noout -serial | cut -d= -f2)")
assert_eq "two valid certificates before" "$(valid_at_hub G | wc -l)" 2
assert_fails 2 "--superseded takes no --serial" edge-revoke -d "$CN" $HUBOPTS --superseded --serial 1
assert_ok "--superseded --cert on the control node" edge-revoke -d "$CN" $HUBOPTS --superseded --cert "$G/cert.pem" --product-key "$HUB_PRODUCT_KEY" --device-key G --json
assert_json "... reports the superseded serial" "$T/out" '.superseded | join(",")' "$first"
assert_json "... and the one kept" "$T/out" .serial "$snG"
assert_eq "... one valid certificate left at the hub (openssl crl): the installed one" "$(valid_at_hub G)" "$snG"
assert_eq "... revoked with reason superseded (4)" "$(jq -r --arg s "$first" '.certs[] | select(.certSN == $s) | .revokeReason' "$T/hub/state.json")" 4
assert_ok "a second run has nothing to do" edge-revoke -d "$CN" $HUBOPTS --superseded --cert "$G/cert.pem" --product-key "$HUB_PRODUCT_KEY" --device-key G --json
assert_json "... unchanged" "$T/out" .changed false
# On the gateway, without --cert: cert.pem is kept.
edge H && ok "edge H activated" || not_ok "edge H activated"
edge-activate -q -d "$T/control" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --device-key H --csr "$T/H/csr.pem" -o "$T/h-extra.pem" >/dev/null 2>&1
snH=$(jq -r .certSN "$T/H/device.json")
assert_eq "H has two valid certificates" "$(valid_at_hub H | wc -l)" 2
assert_ok "--superseded on the gateway keeps cert.pem" edge-revoke -d "$T/H" $HUBOPTS --superseded
assert_eq "... one valid certificate left: cert.pem's" "$(valid_at_hub H)" "$snH"

# Keeping a certificate of another device revokes nothing (red team F1).
assert_fails 3 "--superseded --cert of another device: exit 3" edge-revoke -d "$CN" $HUBOPTS --superseded --cert "$T/H/cert.pem" --product-key "$HUB_PRODUCT_KEY" --device-key G --json
assert_grep "... says why nothing was revoked" "serial $snH is not a certificate of G at the hub; nothing revoked" "$T/err"
assert_eq "... G's one certificate stays valid (openssl crl)" "$(valid_at_hub G)" "$snG"
assert_fails 3 "--superseded --cert of a revoked certificate: exit 3" edge-revoke -d "$CN" $HUBOPTS --superseded --cert "$T/g-first.pem" --product-key "$HUB_PRODUCT_KEY" --device-key G
assert_grep "... says it is revoked" "serial $first of G is revoked at the hub.*; nothing revoked" "$T/err"
assert_eq "... G's one certificate still valid" "$(valid_at_hub G)" "$snG"

# Reset of a gateway that renews itself (red team F5): RENEWAL=gateway left
# the application credentials in DIR/renew.credentials; the reset destroys
# them with the key, and warns of credentials edge.conf names elsewhere.
edge R && ok "edge R activated" || not_ok "edge R activated"
cp "$HUB_CREDENTIALS" "$T/R/renew.credentials"; chmod 600 "$T/R/renew.credentials"
printf 'api = %s\nhub_ca = %s\ncredentials = %s\n' "$HUB_API" "$HUB_CA" "$T/R/renew.credentials" > "$T/R/edge.conf"
edge-activate -q -d "$T/R" --renew >/dev/null 2>&1
[ -e "$T/R/hub-token.json" ] && ok "R has a cached token" || not_ok "R has a cached token"
assert_ok "--reset of a gateway with renew.credentials" edge-revoke -d "$T/R" --reset --json
[ ! -e "$T/R/renew.credentials" ] && [ ! -e "$T/R/hub-token.json" ] && ok "... renew.credentials and hub-token.json are gone" ||
    not_ok "... renew.credentials and hub-token.json are gone"
assert_json "... destroyed lists renew.credentials" "$T/out" '.destroyed | index("renew.credentials") != null' true
grep -q "remain on this gateway" "$T/err" && not_ok "... no warning: nothing remains" || ok "... no warning: nothing remains"
edge Q && ok "edge Q activated" || not_ok "edge Q activated"
printf 'api = %s\nhub_ca = %s\ncredentials = %s\n' "$HUB_API" "$HUB_CA" "$HUB_CREDENTIALS" > "$T/Q/edge.conf"
assert_ok "--reset of a gateway whose edge.conf names credentials outside DIR" edge-revoke -d "$T/Q" --reset
assert_grep "... warns that they remain" "the application credentials $HUB_CREDENTIALS (credentials in edge.conf) remain on this gateway" "$T/err"
[ -e "$HUB_CREDENTIALS" ] && ok "... and leaves a file outside DIR alone" || not_ok "... and leaves a file outside DIR alone"

# Reset of a token edge: the key objects leave the token.
softhsm_setup edge 1234
echo 1234 > "$T/pin"; chmod 600 "$T/pin"
PINOPT="--pin file:$T/pin"
edge F --pkcs11 'pkcs11:token=edge;object=edge-f' --pin "file:$T/pin" && ok "token edge F activated" || not_ok "token edge F activated"
n=$(p11tool --login --set-pin=1234 --list-all 'pkcs11:token=edge;object=edge-f' 2>/dev/null | grep -c '^Object')
[ "$n" -ge 1 ] && ok "F's key objects are in the token" || not_ok "F's key objects are in the token"
assert_ok "--reset of the token edge" edge-revoke -d "$T/F" $HUBOPTS --reset --pin "file:$T/pin" --json
assert_json "token key destroyed" "$T/out" '.destroyed | index("token key") != null' true
n=$(p11tool --login --set-pin=1234 --list-all 'pkcs11:token=edge;object=edge-f' 2>/dev/null | grep -c '^Object')
assert_eq "p11tool finds no object of F's key" "$n" 0
[ ! -e "$T/F/key.uri" ] && ok "no key.uri" || not_ok "no key.uri"

done_testing
