#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/fleet-one.sh DIR SERIAL: enrol one gateway against the stand-in hub,
# keygen -> CSR -> provision -> activate (the chain bench/run times for the
# fleet benchmark).  Hub settings come from the environment (HUB_API, HUB_CA,
# HUB_CREDENTIALS, HUB_PRODUCT_KEY, HUB_MQTT).  Writes DIR/keygen.json and
# DIR/status ("ok" or the failing step and its exit status).
d=$1 sn=$2
mkdir -p "$d" || exit 1
step() { echo "$1 $2" > "$d/status"; exit 1; }
edge-keygen -d "$d" --json > "$d/keygen.json" 2> "$d/err" || step keygen $?
edge-csr -q -d "$d" --ca "$HUB_CA" --locality Shanghai --org-unit Edge --cn "$sn" 2>> "$d/err" >/dev/null || step csr $?
edge-provision -q -d "$d" --api "$HUB_API" --hub-ca "$HUB_CA" --credentials "$HUB_CREDENTIALS" \
	--product-key "$HUB_PRODUCT_KEY" --serial "$sn" --mqtt "$HUB_MQTT" 2>> "$d/err" >/dev/null || step provision $?
edge-activate -q -d "$d" --api "$HUB_API" --hub-ca "$HUB_CA" --credentials "$HUB_CREDENTIALS" \
	2>> "$d/err" >/dev/null || step activate $?
echo ok > "$d/status"
