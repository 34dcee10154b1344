#!/bin/sh
# SPDX-License-Identifier: MIT
# -q means quiet (options.md): a successful run of each of the seven tools
# prints nothing on standard output (the exit status tells) and nothing on
# standard error; --json and -o - still print their data.
. "${0%/*}/../lib.sh"
setup
for t in jq openssl; do command -v $t >/dev/null 2>&1 || skip_all "$t not installed"; done
hub_start

# quiet DESC CMD...: exit 0 and both streams empty.
quiet() {
	d=$1; shift
	assert_ok "$d" "$@"
	assert_eq "... stdout empty" "$(cat "$T/out")" ""
	assert_eq "... stderr empty" "$(cat "$T/err")" ""
}

G=$T/gw; mkdir "$G"
SUBJ="--ca $HUB_CA --locality Shanghai --org-unit Edge --cn SN-Q"
quiet "edge-keygen -q" edge-keygen -q -d "$G"
quiet "edge-csr -q" edge-csr -q -d "$G" $SUBJ
quiet "edge-provision -q" edge-provision -q -d "$G" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial SN-Q --mqtt "$HUB_MQTT"
quiet "edge-activate -q" edge-activate -q -d "$G" $HUBOPTS
quiet "edge-crl-update -q" edge-crl-update -q -d "$G" --portal "$HUB_PORTAL" --hub-ca "$HUB_CA"
quiet "edge-crl-update -q --check" edge-crl-update -q -d "$G" --check
echo '{"temp":1}' > "$T/in"
quiet "edge-connect -q" edge-connect -q -d "$G" --input "$T/in" --exit-on-eof --timeout $(slow 30)
sn=$(openssl x509 -in "$G/cert.pem" -noout -serial | cut -d= -f2)
quiet "edge-revoke -q" edge-revoke -q -d "$G" $HUBOPTS --serial "0x$sn"

# Data still goes to stdout.
assert_ok "-q --json prints the object" edge-keygen -q -d "$G" --json
assert_json "... the result" "$T/out" .changed false
assert_ok "-q -o - prints the request" edge-csr -q -d "$G" $SUBJ -o -
assert_grep "... as PEM" "^-----BEGIN CERTIFICATE REQUEST-----$" "$T/out"
# Errors are still printed.
mkdir "$T/empty"
assert_fails 3 "-q and an error" edge-crl-update -q -d "$T/empty" --portal "$HUB_PORTAL" --hub-ca "$HUB_CA"
assert_one_error_line edge-crl-update

done_testing
