#!/bin/sh
# SPDX-License-Identifier: MIT
# Where the hub is (README "State directory, configuration, secrets"):
# command line > EDGE_* > DIR/edge.conf > DIR/device.json (the addresses
# edge-provision recorded) > /etc/edge/edge.conf, for api (edge-activate)
# and mqtt (edge-connect), each level against a dead address one level below.
. "${0%/*}/../lib.sh"
setup
for t in jq; do
	command -v $t >/dev/null 2>&1 || skip_all "$t not installed"
done
hub_start
PK=$HUB_PRODUCT_KEY
DEAD=$(free_port)
DEAD_API=https://127.0.0.1:$DEAD
DEAD_MQTT=mqtts://127.0.0.1:$DEAD
export EDGE_SYSTEM_CONFIG="$T/system.conf"
: > "$EDGE_SYSTEM_CONFIG"

# recorded DIR KEY VALUE: device.json's KEY set to VALUE.
recorded() {
	jq --arg v "$3" ".$2 = \$v" "$1/device.json" > "$T/dev.json" && cat "$T/dev.json" > "$1/device.json"
}

# Bare edge-activate after edge-provision --api: the recorded api is used
# (it exited 2 "no hub address" before).
G=$T/g; edge_with_csr "$G" SN-P1
printf 'hub_ca = %s\ncredentials = %s\n' "$HUB_CA" "$HUB_CREDENTIALS" > "$G/edge.conf"
assert_ok "edge-provision --api --mqtt records the addresses" edge-provision -q -d "$G" --api "$HUB_API" \
    --product-key "$PK" --serial SN-P1 --mqtt "$HUB_MQTT"
assert_json "device.json records api" "$G/device.json" .api "$HUB_API"
assert_ok "bare edge-activate uses device.json's api" edge-activate -d "$G" --json
assert_json "and applies" "$T/out" .action apply
assert_ok "bare edge-connect uses device.json's mqtt" timeout $(slow 30) edge-connect -q -d "$G" --exit-on-eof < /dev/null

# ---- api: each level beats the next ----------------------------------------
act() { edge-activate -q -d "$G" --force --retries 0 --timeout $(slow 5) "$@"; }
recorded "$G" api "$DEAD_API"
assert_fails 4 "device.json's dead api is used when nothing else sets one" act
printf 'api = %s\n' "$HUB_API" > "$EDGE_SYSTEM_CONFIG"
assert_fails 4 "device.json beats /etc/edge/edge.conf" act
recorded "$G" api "$HUB_API"
printf 'api = %s\n' "$DEAD_API" > "$EDGE_SYSTEM_CONFIG"
assert_ok "device.json's api beats a dead one in /etc/edge/edge.conf" act
recorded "$G" api "$DEAD_API"
printf 'api = %s\n' "$HUB_API" >> "$G/edge.conf"
assert_ok "edge.conf's api beats a dead one in device.json" act
sed -i "s|^api = .*|api = $DEAD_API|" "$G/edge.conf"
assert_ok "EDGE_API beats a dead api in edge.conf" env EDGE_API="$HUB_API" edge-activate -q -d "$G" --force --retries 0
assert_ok "--api beats a dead EDGE_API" env EDGE_API="$DEAD_API" edge-activate -q -d "$G" --force --retries 0 --api "$HUB_API"
assert_fails 4 "a dead --api beats a working EDGE_API" env EDGE_API="$HUB_API" edge-activate -q -d "$G" --force --retries 0 \
    --timeout $(slow 5) --api "$DEAD_API"
sed -i '/^api = /d' "$G/edge.conf"
: > "$EDGE_SYSTEM_CONFIG"
recorded "$G" api "$HUB_API"

# ---- mqtt: each level beats the next ---------------------------------------
conn() { timeout $(slow 30) edge-connect -q -d "$G" --exit-on-eof --timeout $(slow 5) "$@" < /dev/null; }
recorded "$G" mqtt "$DEAD_MQTT"
assert_fails 4 "device.json's dead mqtt is used when nothing else sets one" conn
printf 'mqtt = %s\n' "$DEAD_MQTT" > "$EDGE_SYSTEM_CONFIG"
recorded "$G" mqtt "$HUB_MQTT"
assert_ok "device.json's mqtt beats a dead one in /etc/edge/edge.conf" conn
recorded "$G" mqtt "$DEAD_MQTT"
printf 'mqtt = %s\n' "$HUB_MQTT" >> "$G/edge.conf"
assert_ok "edge.conf's mqtt beats a dead one in device.json (device.json won before)" conn
sed -i "s|^mqtt = .*|mqtt = $DEAD_MQTT|" "$G/edge.conf"
assert_ok "EDGE_MQTT beats a dead mqtt in edge.conf" env EDGE_MQTT="$HUB_MQTT" timeout $(slow 30) edge-connect -q -d "$G" --exit-on-eof < /dev/null
assert_ok "--mqtt beats a dead EDGE_MQTT" env EDGE_MQTT="$DEAD_MQTT" timeout $(slow 30) edge-connect -q -d "$G" --exit-on-eof \
    --mqtt "$HUB_MQTT" < /dev/null
sed -i '/^mqtt = /d' "$G/edge.conf"
: > "$EDGE_SYSTEM_CONFIG"
recorded "$G" mqtt "$HUB_MQTT"

# ---- portal (edge-crl-update) ----------------------------------------------
recorded "$G" portal "$HUB_PORTAL"
assert_ok "edge-crl-update takes device.json's portal" edge-crl-update -q -d "$G"
printf 'portal = %s\n' "$DEAD_API" >> "$G/edge.conf"
assert_fails 4 "edge.conf's portal beats device.json's" edge-crl-update -q -d "$G" --retries 0 --timeout $(slow 5)
sed -i '/^portal = /d' "$G/edge.conf"

# ---- a bad device.json ------------------------------------------------------
cp "$G/device.json" "$T/good.json"
echo 'not json' > "$G/device.json"
assert_fails 3 "edge-connect: a device.json that is not JSON" conn
assert_grep "names device.json" "device.json" "$T/err"
assert_fails 3 "edge-activate: the same" edge-activate -q -d "$G" --api "$HUB_API"
assert_grep "names device.json" "device.json" "$T/err"
jq '.productKey = "a/b"' "$T/good.json" > "$G/device.json"
assert_fails 3 "edge-connect: a device.json with a bad productKey" conn
assert_grep "names the key" "productKey" "$T/err"
assert_ok "edge-keygen, which does not need the device, does not mind" edge-keygen -q -d "$G" --force -o "$T/other.pem"
cp "$T/good.json" "$G/device.json"

# edge-revoke takes the api from device.json too.
assert_ok "bare edge-revoke --reset uses device.json's api" edge-revoke -d "$G" --reset --json
assert_json "it revoked the certificate at the hub" "$T/out" .changed true

done_testing
