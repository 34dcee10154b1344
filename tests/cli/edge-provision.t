#!/bin/sh
# SPDX-License-Identifier: MIT
# edge-provision against the stand-in hub: register, idempotence, faults.
. "$(dirname "$0")/../lib.sh"
setup
hub_start

S=$T/gw; mkdir "$S"
# shellcheck disable=SC2086
assert_ok "provision a new edge" edge-provision -d "$S" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial SN-P1 --license LIC-42 --json
assert_json "device key is the serial" "$T/out" .device_key SN-P1
assert_json "product key recorded" "$T/out" .product_key "$HUB_PRODUCT_KEY"
assert_json "license recorded" "$T/out" .license LIC-42
assert_json "changed" "$T/out" .changed true
asset=$(jq -r .asset_id "$T/out")
[ -n "$asset" ] && [ "$asset" != null ] && ok "an assetId came back" || not_ok "an assetId came back"
assert_not_grep "the secret is never in --json" "$(cat "$S/device.secret" 2>/dev/null || echo none)" "$T/out"
assert_eq "device.secret is 0600" "$(file_mode "$S/device.secret")" 600
assert_eq "hub token cache is 0600" "$(file_mode "$S/hub-token.json")" 600
assert_json "device.json has the assetId" "$S/device.json" .assetId "$asset"
assert_json "device.json has the license" "$S/device.json" .license LIC-42

before=$(digest "$S/device.json")
assert_ok "second run" edge-provision -d "$S" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial SN-P1 --json
assert_json "second run changes nothing" "$T/out" .changed false
assert_eq "device.json untouched" "$(digest "$S/device.json")" "$before"
assert_ok "text output: assetId and device key" edge-provision -d "$S" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial SN-P1
assert_eq "text line" "$(cat "$T/out")" "$asset SN-P1"
assert_fails 1 "another serial without --force" edge-provision -d "$S" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial SN-P2
assert_grep "names both devices" "already provisioned as $HUB_PRODUCT_KEY/SN-P1" "$T/err"

# The hub already knows the device (another state directory, a re-run after a crash).
S2=$T/gw2; mkdir "$S2"
assert_ok "device that already exists at the hub is fetched" edge-provision -d "$S2" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial SN-P1 --json
assert_json "same assetId" "$T/out" .asset_id "$asset"
assert_json "not a takeover: nobody had activated it yet" "$T/out" .takeover false
assert_eq "same device secret" "$(digest "$S2/device.secret")" "$(digest "$S/device.secret")"

# Credentials from the environment instead of a file.
S3=$T/gw3; mkdir "$S3"
assert_ok "credentials from EDGE_* variables" env EDGE_ORG_ID="$HUB_ORG_ID" EDGE_ACCESS_KEY="$HUB_ACCESS_KEY" EDGE_SECRET_KEY="$(cat "$HUB_SECRET_KEY_FILE")" EDGE_API="$HUB_API" edge-provision -d "$S3" --hub-ca "$HUB_CA" --product-key "$HUB_PRODUCT_KEY" --serial SN-P3 --json
assert_json "provisioned with environment credentials" "$T/out" .device_key SN-P3

# Refusals by the hub (exit 5) change nothing.
S4=$T/gw4; mkdir "$S4"
sed "s/^secret_key = .*/secret_key = wrong-secret/" "$HUB_CREDENTIALS" > "$T/badcred"; chmod 600 "$T/badcred"
assert_fails 5 "wrong secret key" edge-provision -d "$S4" --api "$HUB_API" --hub-ca "$HUB_CA" --credentials "$T/badcred" --product-key "$HUB_PRODUCT_KEY" --serial SN-P4
assert_grep "the hub's refusal is in the message" "refused" "$T/err"
assert_one_error_line edge-provision
assert_fails 5 "unknown product" edge-provision -d "$S4" $HUBOPTS --product-key NoSuchProduct --serial SN-P4
assert_eq "nothing stored after refusals" "$(ls -A "$S4" | grep -v hub-token | tr '\n' ' ')" ""
chmod 644 "$T/badcred"
assert_fails 7 "a world-readable credentials file is refused (one rule for secret files)" edge-provision -d "$S4" --api "$HUB_API" --hub-ca "$HUB_CA" --credentials "$T/badcred" --product-key "$HUB_PRODUCT_KEY" --serial SN-P4
assert_grep "... naming it and chmod 600" "^edge-provision: $T/badcred: readable by others; it holds a secret (chmod 600)$" "$T/err"
chmod 640 "$T/badcred"
assert_fails 7 "... group-readable too" edge-provision -d "$S4" --api "$HUB_API" --hub-ca "$HUB_CA" --credentials "$T/badcred" --product-key "$HUB_PRODUCT_KEY" --serial SN-P4
cp "$HUB_PRODUCT_SECRET_FILE" "$T/ps644"; chmod 644 "$T/ps644"
assert_fails 7 "a 0644 product secret file is refused" edge-provision -d "$S4" --via mqtt --product-key "$HUB_PRODUCT_KEY" --product-secret "file:$T/ps644" --activation-url "$HUB_MQTT_ACTIVATE" --hub-ca "$HUB_CA" --serial SN-P4
assert_grep "... naming it" "$T/ps644: readable by others; it holds a secret (chmod 600)" "$T/err"

# Usage and trust errors.
assert_fails 2 "missing --serial" edge-provision -d "$S4" $HUBOPTS --product-key "$HUB_PRODUCT_KEY"
assert_fails 2 "serial with a slash" edge-provision -d "$S4" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial 'a/b'
assert_fails 2 "secret key given literally" edge-provision -d "$S4" --api "$HUB_API" --org-id o --access-key a --secret-key literal --product-key "$HUB_PRODUCT_KEY" --serial SN-P4
assert_fails 2 "no credentials at all" edge-provision -d "$S4" --api "$HUB_API" --hub-ca "$HUB_CA" --product-key "$HUB_PRODUCT_KEY" --serial SN-P4
assert_grep "says which are missing" "missing application credentials" "$T/err"
assert_fails 2 "plain http is refused" edge-provision -d "$S4" --api "http://127.0.0.1:1" --credentials "$HUB_CREDENTIALS" --product-key "$HUB_PRODUCT_KEY" --serial SN-P4
assert_fails 6 "hub certificate not trusted (system store only)" edge-provision -d "$S4" --api "$HUB_API" --credentials "$HUB_CREDENTIALS" --product-key "$HUB_PRODUCT_KEY" --serial SN-P4
assert_grep "says certificate verification" "server certificate" "$T/err"
assert_grep "... and, no --hub-ca given, says to give it" "checked against the system's trust store: give --hub-ca FILE" "$T/err"
other_ca=$T/other-ca.pem
certtool --generate-privkey --outfile "$T/o.key" 2>/dev/null
printf 'cn = Other CA\nca\ncert_signing_key\nexpiration_days = 10\n' > "$T/o.tmpl"
certtool --generate-self-signed --load-privkey "$T/o.key" --template "$T/o.tmpl" --outfile "$other_ca" 2>/dev/null
assert_fails 6 "hub certificate from another CA" edge-provision -d "$S4" --api "$HUB_API" --hub-ca "$other_ca" --credentials "$HUB_CREDENTIALS" --product-key "$HUB_PRODUCT_KEY" --serial SN-P4
assert_not_grep "... with --hub-ca given, no hint to give it" "give --hub-ca" "$T/err"

# Faults: the hub down, the hub hanging.
port=$(free_port)
assert_fails 4 "hub down: temporary failure after retries" edge-provision -d "$S4" --api "https://127.0.0.1:$port" --hub-ca "$HUB_CA" --credentials "$HUB_CREDENTIALS" --product-key "$HUB_PRODUCT_KEY" --serial SN-P4 --retries 2
assert_grep "says it gave up after 3 attempts" "gave up after 3 attempts" "$T/err"
kill -STOP "$(cat "$T/hub/hub.pid")"
assert_fails 4 "hub hanging: timeout" edge-provision -d "$S4" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial SN-P4 --timeout 1 --retries 1
kill -CONT "$(cat "$T/hub/hub.pid")"
assert_grep "says timed out" "imed out" "$T/err"
assert_eq "nothing stored after faults" "$(ls -A "$S4" | grep -v hub-token | tr '\n' ' ')" ""
assert_ok "works again once the hub answers" edge-provision -d "$S4" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial SN-P4 --json
assert_json "provisioned after the faults" "$T/out" .changed true

# Dynamic activation over MQTT (securemode=3): the gateway holds the product
# secret, not application credentials; the provisioner registered it before.
M=$T/dyn; mkdir "$M"
mkdir "$T/ctl" "$T/ctl2"
edge-provision -q -d "$T/ctl" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial SN-DYN1 >/dev/null
DYN="--via mqtt --product-key $HUB_PRODUCT_KEY --product-secret file:$HUB_PRODUCT_SECRET_FILE --activation-url $HUB_MQTT_ACTIVATE --hub-ca $HUB_CA"
assert_ok "dynamic activation with the product secret" edge-provision -d "$M" $DYN --serial SN-DYN1 --mqtt "$HUB_MQTT" --json
assert_json "assetId from the activation" "$T/out" .asset_id "$(jq -r .assetId "$T/ctl/device.json")"
assert_eq "the device secret the hub registered" "$(digest "$M/device.secret")" "$(digest "$T/ctl/device.secret")"
assert_eq "device.secret is 0600" "$(file_mode "$M/device.secret")" 600
assert_json "edge-connect's broker recorded" "$M/device.json" .mqtt "$HUB_MQTT"
[ ! -e "$M/hub-token.json" ] && ok "no application credentials were used" || not_ok "no application credentials were used"
assert_ok "second run: nothing to do" edge-provision -d "$M" $DYN --serial SN-DYN1 --json
assert_json "unchanged" "$T/out" .changed false
M2=$T/dyn2; mkdir "$M2"
assert_fails 5 "a second activation of the same device is refused" edge-provision -d "$M2" $DYN --serial SN-DYN1
assert_grep "says refused" "activation refused" "$T/err"
echo not-the-secret > "$T/wrong-ps"; chmod 600 "$T/wrong-ps"
edge-provision -q -d "$T/ctl2" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial SN-DYN2 >/dev/null
assert_fails 5 "a wrong product secret is refused" edge-provision -d "$M2" --via mqtt --product-key "$HUB_PRODUCT_KEY" --product-secret "file:$T/wrong-ps" --activation-url "$HUB_MQTT_ACTIVATE" --hub-ca "$HUB_CA" --serial SN-DYN2
assert_eq "nothing stored after refusals" "$(ls -A "$M2" | tr '\n' ' ')" ""
assert_fails 2 "--via mqtt without the product secret" edge-provision -d "$M2" --via mqtt --product-key "$HUB_PRODUCT_KEY" --activation-url "$HUB_MQTT_ACTIVATE" --serial SN-DYN2
assert_fails 6 "a broker certificate from another CA" edge-provision -d "$M2" --via mqtt --product-key "$HUB_PRODUCT_KEY" --product-secret "file:$HUB_PRODUCT_SECRET_FILE" --activation-url "$HUB_MQTT_ACTIVATE" --hub-ca "$other_ca" --serial SN-DYN2
assert_fails 4 "activation broker down" edge-provision -d "$M2" --via mqtt --product-key "$HUB_PRODUCT_KEY" --product-secret "file:$HUB_PRODUCT_SECRET_FILE" --activation-url "mqtts://127.0.0.1:$(free_port)" --hub-ca "$HUB_CA" --serial SN-DYN2 --timeout 3

# Faults the stand-in hub injects on request (tests/hub/hub_fault.c).
fault() { echo "$1" > "$T/hub/faults"; }
F=$T/gw5; mkdir "$F"
fault "devices http500 2"
assert_ok "two HTTP 500 answers, then success: the retry works" edge-provision -d "$F" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial SN-F1 --json
assert_json "provisioned after the retries" "$T/out" .changed true
assert_grep "the hub saw the injected faults" "fault: http500" "$T/hub/hub.log"
F=$T/gw6; mkdir "$F"
fault "devices http500 -1"
assert_fails 4 "HTTP 500 forever: exit 4 after the retries" edge-provision -d "$F" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial SN-F2 --retries 2
assert_grep "says HTTP 500" "HTTP 500" "$T/err"
for kind in garbage truncated wrongtype; do
	fault "devices $kind 1"
	assert_fails 3 "hostile answer ($kind): exit 3" edge-provision -d "$F" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial "SN-$kind" --retries 0
	assert_one_error_line edge-provision
done
assert_grep "a wrong type is named" "field assetId is not a string" "$T/err"
assert_eq "nothing stored from hostile answers" "$(ls -A "$F" | grep -v hub-token | tr '\n' ' ')" ""
fault "devices slow 1"
assert_ok "answer too slow, the device was created: the retry fetches it" edge-provision -d "$F" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial SN-F3 --timeout 2 --json
assert_json "provisioned after a timeout" "$T/out" .changed true
[ -s "$F/device.secret" ] && ok "device secret stored after the recovery" || not_ok "device secret stored after the recovery"
: > "$T/hub/faults"

# ---- one identity, one gateway (and re-provisioning keeps device.json) ------
# G: a gateway that provisioned SN-T1, activated and logged in (the hub's
# Get Device status is no longer "inactive").
G=$T/owner; edge_with_csr "$G" SN-T1
printf 'hub_ca = %s\ncredentials = %s\n' "$HUB_CA" "$HUB_CREDENTIALS" > "$G/edge.conf"
assert_ok "the owner provisions with --portal and --mqtt" edge-provision -d "$G" --api "$HUB_API" --product-key "$HUB_PRODUCT_KEY" \
    --serial SN-T1 --license LIC-T1 --device-name "Pump 1" --timezone +05:30 --portal "$HUB_PORTAL" --mqtt "$HUB_MQTT"
assert_ok "the owner activates" edge-activate -q -d "$G"
assert_ok "the owner connects: the hub marks the device activated" timeout $(slow 30) edge-connect -q -d "$G" --exit-on-eof < /dev/null
I=$T/impostor; mkdir "$I"
assert_fails 5 "an impostor with the same serial is refused" edge-provision -d "$I" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial SN-T1
assert_grep "the reason is named, with the activation date" \
    "SN-T1: device already activated by another gateway (activated $(date -u +%Y)-.*Z); --takeover moves its identity here" "$T/err"
assert_one_error_line edge-provision
assert_eq "nothing written for the impostor" "$(ls -A "$I" | grep -v hub-token | tr '\n' ' ')" ""
assert_fails 5 "--force does not get past it either" edge-provision -d "$I" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial SN-T1 --force
# Who holds the identity is the hub's to say (red team F3): a device.json
# anyone can write proves nothing; device.secret or cert.pem with its key do.
J=$T/two-field; mkdir "$J"
printf '{"productKey":"%s","deviceKey":"SN-T1"}\n' "$HUB_PRODUCT_KEY" > "$J/device.json"
assert_fails 5 "an impostor with a two-field device.json naming the device is refused" edge-provision -d "$J" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial SN-T1
assert_grep "... as another gateway's device" "SN-T1: device already activated by another gateway" "$T/err"
[ ! -e "$J/device.secret" ] && ok "... no secret for it" || not_ok "... no secret for it"
K=$T/controller; mkdir "$K"; cp "$G/device.secret" "$K/"; chmod 600 "$K/device.secret"
assert_ok "a controller-style directory holding the device's device.secret is allowed" edge-provision -d "$K" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial SN-T1 --json
assert_json "... not a takeover" "$T/out" .takeover false
# Not logged in yet, but a certificate applied for on a provisioning station.
N1=$T/station; N2=$T/second; edge_with_csr "$N1" SN-T3; mkdir "$N2"
printf 'credentials = %s\n' "$HUB_CREDENTIALS" > "$N1/edge.conf"
edge-provision -q -d "$N1" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial SN-T3 >/dev/null
edge-activate -q -d "$N1" $HUBOPTS >/dev/null 2>&1
snT3=$(jq -r .certSN "$N1/device.json")
assert_fails 5 "a second directory for a device with a valid certificate, not logged in: refused" edge-provision -d "$N2" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial SN-T3
assert_grep "... another gateway holds its certificate" "SN-T3: another gateway holds the device's valid certificate (serial $snT3); --takeover moves its identity here" "$T/err"
rm "$N1/device.secret"
assert_ok "the holder without device.secret: cert.pem and its key prove it" edge-provision -d "$N1" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial SN-T3 --json
assert_json "... not a takeover" "$T/out" .takeover false
assert_ok "a reset with --offline (revocation queued)" edge-revoke -q -d "$N1" --reset --offline --api https://127.0.0.1:1 --retries 0
assert_fails 5 "... re-enrolling is refused: the certificate is still valid at the hub" edge-provision -d "$N1" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial SN-T3
assert_grep "... with the hint to send the queued revocation" "revocation is still queued in pending-revocations: send it (edge-revoke --serial $snT3 --device-key SN-T3)" "$T/err"
assert_ok "... sending it" edge-revoke -q -d "$N1" $HUBOPTS --serial "$snT3" --device-key SN-T3
assert_ok "... then nobody holds the identity: re-enrolment without --takeover" edge-provision -d "$N1" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial SN-T3 --json
assert_json "... not a takeover" "$T/out" .takeover false
assert_fails 2 "--takeover with --via mqtt is a usage error" edge-provision -d "$I" --via mqtt --product-key "$HUB_PRODUCT_KEY" \
    --product-secret "file:$HUB_PRODUCT_SECRET_FILE" --activation-url "$HUB_MQTT_ACTIVATE" --hub-ca "$HUB_CA" --serial SN-T1 --takeover
assert_ok "--takeover fetches the secret anyway" edge-provision -d "$I" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial SN-T1 --takeover --json
assert_json "--json says it was a takeover" "$T/out" .takeover true
assert_grep "and a note says what happens to the old gateway" "revokes that gateway's certificates" "$T/err"
assert_eq "the same device secret (EnOS has no secret rotation)" "$(digest "$I/device.secret")" "$(digest "$G/device.secret")"
assert_ok "the owner re-runs its provisioning" edge-provision -d "$G" --product-key "$HUB_PRODUCT_KEY" --serial SN-T1 --json
assert_json "nothing to do" "$T/out" .changed false
assert_ok "the owner re-runs with --force: device.json records it, so no takeover" \
    edge-provision -d "$G" --product-key "$HUB_PRODUCT_KEY" --serial SN-T1 --force --json
assert_json "changed, not a takeover" "$T/out" '"\(.changed) \(.takeover)"' "true false"
assert_json "--force keeps the portal" "$G/device.json" .portal "$HUB_PORTAL"
assert_ok "the owner is reset" edge-revoke -d "$G" --reset
[ ! -e "$G/device.secret" ] && [ -e "$G/device.json" ] && ok "reset removed the secret, kept device.json" ||
    not_ok "reset removed the secret, kept device.json"
assert_ok "re-provisioning after the reset, no --portal or --mqtt" edge-provision -d "$G" --product-key "$HUB_PRODUCT_KEY" --serial SN-T1 --json
assert_json "not a takeover" "$T/out" .takeover false
assert_json "device.json keeps everything it was not told to change" "$G/device.json" \
    '"\(.api) \(.portal) \(.mqtt) \(.license) \(.deviceName) \(.timezone)"' \
    "$HUB_API $HUB_PORTAL $HUB_MQTT LIC-T1 Pump 1 +05:30"
assert_ok "--license changes the license alone" edge-provision -d "$G" --product-key "$HUB_PRODUCT_KEY" --serial SN-T1 --force --license LIC-T2
assert_json "license changed, the rest kept" "$G/device.json" '"\(.license) \(.deviceName) \(.mqtt)"' "LIC-T2 Pump 1 $HUB_MQTT"
edge_with_csr "$G" SN-T1
assert_ok "the re-enrolled gateway activates" edge-activate -q -d "$G"
assert_ok "and connects with the kept mqtt address" timeout $(slow 30) edge-connect -q -d "$G" --exit-on-eof < /dev/null
assert_ok "--force to another serial keeps the hub addresses and time zone" \
    edge-provision -d "$G" --product-key "$HUB_PRODUCT_KEY" --serial SN-T9 --force
assert_json "not the old device's license or name" "$G/device.json" \
    '"\(.license) \(.deviceName) \(.portal) \(.mqtt) \(.timezone)"' "null SN-T9 $HUB_PORTAL $HUB_MQTT +05:30"

done_testing
