#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/enrol-one.sh DIR SERIAL: enrol one gateway against the stand-in hub,
# keygen -> CSR -> provision -> activate (the chain bench/run times for the
# enrolment benchmarks).  Hub settings come from the environment (HUB_API,
# HUB_CA, HUB_CREDENTIALS, HUB_PRODUCT_KEY, HUB_MQTT).  Writes
# DIR/keygen.json and DIR/status ("ok" or the failing step and its exit
# status).  With RUNSTAT set (bench/runstat), each tool runs under it and
# DIR/steps gets one line per tool: "NAME WALL_S MAXRSS_KB EXIT CPU_S".
d=$1 sn=$2
mkdir -p "$d" || exit 1
: > "$d/steps"
step() { echo "$1 $2" > "$d/status"; exit 1; }
# run NAME OUT CMD...: CMD with stdout to OUT, stderr appended to DIR/err.
run() {
	n=$1 o=$2; shift 2
	if [ -n "${RUNSTAT:-}" ]; then
		r=$("$RUNSTAT" -o "$o" -e "$d/err.$n" -- "$@") || r="0 0 125 0"
		cat "$d/err.$n" >> "$d/err"
		echo "$n $r" >> "$d/steps"
		return "$(echo "$r" | cut -d' ' -f3)"
	fi
	"$@" > "$o" 2>> "$d/err"
}
run keygen "$d/keygen.json" edge-keygen -d "$d" --json || step keygen $?
run csr /dev/null edge-csr -q -d "$d" --ca "$HUB_CA" --locality Shanghai --org-unit Edge --cn "$sn" || step csr $?
run provision /dev/null edge-provision -q -d "$d" --api "$HUB_API" --hub-ca "$HUB_CA" --credentials "$HUB_CREDENTIALS" \
	--product-key "$HUB_PRODUCT_KEY" --serial "$sn" --mqtt "$HUB_MQTT" || step provision $?
run activate /dev/null edge-activate -q -d "$d" --api "$HUB_API" --hub-ca "$HUB_CA" --credentials "$HUB_CREDENTIALS" || step activate $?
echo ok > "$d/status"
