#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/tpm.sh RUNS RUNSTAT: the TPM benchmark's measurements, for bench/run.
# Starts a software TPM (swtpm behind tpm2-abrmd, tpm2-pkcs11: tests/tpm.sh)
# and a stand-in hub in its own temporary directory, then RUNS times, for a
# key in the TPM and for a file key: edge-keygen, edge-csr, and (after
# edge-provision and edge-activate, not timed) edge-connect with one message,
# exec to exit after the PUBACK.  Prints one line per measurement:
#   STEP SIDE WALL_S MAXRSS_KB EXIT CPU_S
# (STEP keygen, csr, connect; SIDE tpm or file).  When the TPM stack cannot
# start here it prints "skip REASON" and exits 0.  Everything it started is
# stopped by PID at exit (tests/lib.sh).
runs=$1 RUNSTAT=$2
. "$(dirname "$0")/../tests/lib.sh"
TOP=$(cd "$(dirname "$0")/.." && pwd)
skip_all() { echo "skip $1"; exit 0; }
setup
. "$TOP/tests/tpm.sh"
tpm_setup edgebench 4321 > "$T/tpm-setup.out" 2>&1 ||
	{ echo "skip tpm_setup failed: $(tail -n 1 "$T/tpm-setup.out")"; exit 0; }
grep -q '^1\.\.0 # SKIP\|^skip ' "$T/tpm-setup.out" && { sed -n 's/^1\.\.0 # SKIP /skip /p; s/^skip /skip /p' "$T/tpm-setup.out" | head -1; exit 0; }
hub_start
PINF=$TPM_USER_PIN_FILE
SUBJ="--ca $HUB_CA --locality Shanghai --org-unit Edge"
echo '{"i":1}' > "$T/one"
m() { # m STEP SIDE CMD...
	_s=$1 _d=$2; shift 2
	echo "$_s $_d $("$RUNSTAT" -o "$T/$_s.$_d.out" -e "$T/$_s.$_d.err" -- "$@")"
}
for r in $(seq "$runs"); do
	for side in tpm file; do
		S=$T/$side$r; mkdir -m 700 "$S"
		if [ $side = tpm ]; then
			K="--pkcs11 pkcs11:token=edgebench;object=bench-key-$r"; P="--pin file:$PINF"
		else
			K='' P=''
		fi
		# shellcheck disable=SC2086
		m keygen $side edge-keygen -q -d "$S" $K $P
		# shellcheck disable=SC2086
		m csr $side edge-csr -q -d "$S" $P $SUBJ --cn "SN-BENCH-$side-$r"
		# shellcheck disable=SC2086
		edge-provision -q -d "$S" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial "SN-BENCH-$side-$r" --mqtt "$HUB_MQTT" >/dev/null 2>&1 &&
		edge-activate -q -d "$S" $HUBOPTS $P > /dev/null 2>&1 || { echo "enrol $side 0 0 1 0"; continue; }
		# shellcheck disable=SC2086
		m connect $side edge-connect -q -d "$S" $P --input "$T/one" --exit-on-eof --reply-wait 0 --timeout 60
	done
done
