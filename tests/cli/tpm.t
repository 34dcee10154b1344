#!/bin/sh
# SPDX-License-Identifier: MIT
# The chain with the edge key made inside a TPM 2.0 (swtpm behind tpm2-abrmd,
# tpm2-pkcs11 found through p11-kit) that never leaves it.  Skipped, with the
# reason, when the TPM stack cannot start here.
. "$(dirname "$0")/../lib.sh"
setup
. "$TOP/tests/tpm.sh"
tpm_setup edgetpm 4321
hub_start

PINF=$TPM_USER_PIN_FILE
URI='pkcs11:token=edgetpm;object=edge-key'
S=$T/gw; mkdir -m 700 "$S"
# C, ST and O come from the hub's root CA.
SUBJ="--ca $HUB_CA --locality Shanghai --org-unit Edge"
pin() { cat "$PINF"; }
# tokobjs [URI]: how many objects p11tool lists (logged in) in the TPM token.
tokobjs() {
	p11tool --login --set-pin="$(pin)" --list-all "${1:-pkcs11:token=edgetpm}" 2>/dev/null | grep -c '^Object'
}

# --- examples/tpm/init-tpm-token.sh (tpm_setup made the token with it) ------
INIT=$TOP/examples/tpm/init-tpm-token.sh
db=$(digest "$TPM2_PKCS11_STORE/tpm2_pkcs11.sqlite3")
assert_ok "init-tpm-token.sh again" "$INIT" -s "$TPM2_PKCS11_STORE" -l edgetpm -u "$PINF" -S "$T/tpm/so.pin"
assert_grep "says nothing to do" "token 'edgetpm' already in .*; nothing to do" "$T/out"
assert_eq "the store is unchanged" "$(digest "$TPM2_PKCS11_STORE/tpm2_pkcs11.sqlite3")" "$db"
cp "$PINF" "$T/loose.pin"; chmod 644 "$T/loose.pin"
assert_fails 7 "a PIN file others can read is refused (the tools' rule, exit 7)" "$INIT" -s "$TPM2_PKCS11_STORE" -l other -u "$T/loose.pin" -S "$T/tpm/so.pin"
assert_grep "... in the tools' words" "loose.pin: readable by others; it holds a secret (chmod 600)" "$T/err"
assert_fails 7 "no TPM behind the TCTI: exit 7" env TPM2_PKCS11_TCTI="swtpm:host=127.0.0.1,port=1" \
	"$INIT" -s "$T/store2" -l other -u "$PINF" -S "$T/tpm/so.pin"
assert_grep "says no TPM reachable" "no TPM reachable through TCTI swtpm:host=127.0.0.1,port=1" "$T/err"
[ ! -e "$T/store2" ] && ok "nothing made without a TPM" || not_ok "nothing made without a TPM"
assert_eq "the store is still unchanged" "$(digest "$TPM2_PKCS11_STORE/tpm2_pkcs11.sqlite3")" "$db"

# --- the key, made in the TPM ----------------------------------------------
assert_ok "edge-keygen makes the key in the TPM" edge-keygen -d "$S" --pkcs11 "$URI" --pin "file:$PINF" --json
assert_json "location pkcs11" "$T/out" .location pkcs11
assert_json "RSA" "$T/out" .type rsa
assert_json "2048 bits" "$T/out" .bits 2048
assert_json "changed" "$T/out" .changed true
assert_eq "no tpm2-pkcs11 or TSS noise on stderr" "$(cat "$T/err")" ""
KID=$(jq -r .key_id "$T/out")
[ ! -e "$S/key.pem" ] && ok "no key.pem: the key is in the TPM" || not_ok "no key.pem: the key is in the TPM"
assert_grep "key.uri names the tpm2-pkcs11 token" "token=edgetpm" "$S/key.uri"
assert_grep "key.uri names the object" "object=edge-key" "$S/key.uri"
assert_not_grep "key.uri holds no PIN" "pin-value" "$S/key.uri"
KURI=$(cat "$S/key.uri")

p11tool --login --set-pin="$(pin)" --list-privkeys 'pkcs11:token=edgetpm' > "$T/p11" 2>/dev/null
assert_grep "p11tool lists an RSA-2048 private key" "Private key (RSA-2048)" "$T/p11"
assert_grep "p11tool: CKA_SENSITIVE" "CKA_SENSITIVE" "$T/p11"
assert_grep "p11tool: CKA_NEVER_EXTRACTABLE" "CKA_NEVER_EXTRACTABLE" "$T/p11"
assert_grep "the key lives in the tpm2-pkcs11 token" "token=edgetpm" "$T/p11"
n=$(grep -c '^Object' "$T/p11")
assert_eq "exactly one private key in the token" "$n" 1
p11tool --export-pubkey "$KURI" --login --set-pin="$(pin)" 2>/dev/null |
	openssl pkey -pubin -pubout -outform DER 2>/dev/null > "$T/tpm-pub.der"
TPMPUB=$(sha256sum < "$T/tpm-pub.der" | cut -d' ' -f1)
assert_eq "key id is the SHA-256 of the TPM key's public key" "$KID" "sha256:$TPMPUB"
p11tool --login --set-pin="$(pin)" --export "$KURI" > "$T/export" 2>&1
if grep -q "PRIVATE KEY" "$T/export"; then not_ok "the private key cannot be exported"; else ok "the private key cannot be exported"; fi

assert_ok "second edge-keygen run" edge-keygen -d "$S" --pkcs11 "$URI" --pin "file:$PINF" --json
assert_json "second run changes nothing" "$T/out" .changed false
assert_eq "key.uri untouched" "$(cat "$S/key.uri")" "$KURI"
p11tool --login --set-pin="$(pin)" --list-privkeys 'pkcs11:token=edgetpm' 2>/dev/null | grep -c '^Object' > "$T/n"
assert_eq "still one private key in the token" "$(cat "$T/n")" 1

# --- the request, signed in the TPM ----------------------------------------
# shellcheck disable=SC2086
assert_ok "edge-csr signs with the TPM key" edge-csr -d "$S" --pin "file:$PINF" $SUBJ --cn SN-TPM-1 --json
assert_json "csr changed" "$T/out" .changed true
assert_json "csr made for the TPM key" "$T/out" .key_id "$KID"
assert_eq "edge-csr: no noise on stderr" "$(cat "$T/err")" ""
openssl req -in "$S/csr.pem" -verify -noout > "$T/req" 2>&1
assert_grep "openssl req -verify: verify OK" "verify OK" "$T/req"
openssl req -in "$S/csr.pem" -noout -pubkey | openssl pkey -pubin -pubout -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1 > "$T/csrpub"
assert_eq "the request carries the TPM key" "$(cat "$T/csrpub")" "$TPMPUB"
before=$(digest "$S/csr.pem")
# shellcheck disable=SC2086
assert_ok "second edge-csr run" edge-csr -d "$S" --pin "file:$PINF" $SUBJ --cn SN-TPM-1 --json
assert_json "csr unchanged" "$T/out" .changed false
assert_eq "csr.pem untouched" "$(digest "$S/csr.pem")" "$before"

# --- a wrong PIN changes nothing --------------------------------------------
( umask 077; echo 9999 > "$T/bad.pin" )
S2=$T/gw2; mkdir -m 700 "$S2"
assert_fails 7 "edge-keygen with a wrong PIN" edge-keygen -d "$S2" --pkcs11 'pkcs11:token=edgetpm;object=other-key' --pin "file:$T/bad.pin"
assert_grep "says wrong PIN" "wrong or missing token PIN" "$T/err"
assert_one_error_line edge-keygen
[ ! -e "$S2/key.uri" ] && ok "no key.uri after a wrong PIN" || not_ok "no key.uri after a wrong PIN"
assert_eq "no object made in the token (private and public key only)" "$(tokobjs)" 2
# shellcheck disable=SC2086
assert_fails 7 "edge-csr with a wrong PIN" edge-csr -d "$S" --pin "file:$T/bad.pin" $SUBJ --cn SN-TPM-2 --force
assert_grep "edge-csr says wrong PIN" "wrong or missing token PIN" "$T/err"
assert_one_error_line edge-csr
assert_eq "csr.pem untouched after a wrong PIN" "$(digest "$S/csr.pem")" "$before"

# --- provision and activate: the certificate for the TPM key ----------------
assert_ok "edge-provision" edge-provision -d "$S" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial SN-TPM-1 --json
assert_ok "edge-activate with the TPM key" edge-activate -d "$S" $HUBOPTS --pin "file:$PINF" --json
assert_json "activated" "$T/out" .changed true
assert_eq "edge-activate: no noise on stderr" "$(cat "$T/err")" ""
certtool --verify --load-ca-certificate "$S/ca.pem" --infile "$S/cert.pem" > "$T/v" 2>&1
assert_grep "certtool --verify accepts cert.pem against ca.pem" "Chain verification output: Verified" "$T/v"
openssl x509 -in "$S/cert.pem" -noout -pubkey | openssl pkey -pubin -pubout -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1 > "$T/certpub"
assert_eq "the certificate's public key is the TPM key's" "$(cat "$T/certpub")" "$TPMPUB"
before=$(digest "$S/cert.pem")
assert_ok "second edge-activate run" edge-activate -d "$S" $HUBOPTS --pin "file:$PINF" --json
assert_json "activation unchanged" "$T/out" .changed false
assert_eq "cert.pem untouched" "$(digest "$S/cert.pem")" "$before"
dev_before=$(digest "$S/device.json")
assert_ok "second edge-provision run" edge-provision -d "$S" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial SN-TPM-1 --json
assert_json "provisioning unchanged" "$T/out" .changed false
assert_eq "device.json untouched" "$(digest "$S/device.json")" "$dev_before"
assert_fails 7 "edge-activate --force with a wrong PIN" edge-activate -d "$S" $HUBOPTS --pin "file:$T/bad.pin" --force
assert_grep "edge-activate says wrong PIN" "wrong or missing token PIN" "$T/err"
assert_eq "cert.pem untouched after a wrong PIN" "$(digest "$S/cert.pem")" "$before"

# --- connect: mutual TLS with the TPM key, one telemetry message -----------
if [ -x "$B/edge-connect" ]; then
	echo '{"temp":21.5}' > "$T/telemetry"
	assert_ok "edge-connect with the TPM key sends one message" timeout 60 edge-connect -d "$S" --mqtt "$HUB_MQTT" \
		--pin "file:$PINF" --input "$T/telemetry" --exit-on-eof --json
	assert_json "the hub acknowledged it" "$T/out" .acknowledged 1
	assert_json "nothing left in the outbox" "$T/out" .queued 0
	assert_fails 7 "edge-connect with a wrong PIN" timeout 60 edge-connect -d "$S" --mqtt "$HUB_MQTT" \
		--pin "file:$T/bad.pin" --exit-on-eof
else
	skip "edge-connect with the TPM key" "edge-connect not built"
fi

# --- reset: the key objects leave the TPM ----------------------------------
if [ -x "$B/edge-revoke" ]; then
	assert_eq "before the reset the token holds the key pair" "$(tokobjs "$KURI")" 2
	assert_fails 7 "edge-revoke --reset with a wrong PIN" edge-revoke -d "$S" $HUBOPTS --reset --pin "file:$T/bad.pin"
	assert_eq "the key pair is still in the TPM after a wrong PIN" "$(tokobjs "$KURI")" 2
	assert_ok "edge-revoke --reset" edge-revoke -d "$S" $HUBOPTS --reset --pin "file:$PINF" --json
	assert_json "the token key is destroyed" "$T/out" '.destroyed | index("token key") != null' true
	assert_eq "p11tool finds no object of the key in the TPM" "$(tokobjs "$KURI")" 0
	assert_eq "nor anything labelled edge-key" "$(tokobjs "$URI")" 0
	[ ! -e "$S/key.uri" ] && ok "no key.uri after the reset" || not_ok "no key.uri after the reset"
	assert_ok "a second reset" edge-revoke -d "$S" $HUBOPTS --reset --pin "file:$PINF" --json
	assert_json "has nothing left to destroy" "$T/out" '.destroyed | length' 0
else
	skip "edge-revoke --reset deletes the TPM key" "edge-revoke not built"
fi

done_testing
