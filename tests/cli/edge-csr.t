#!/bin/sh
# SPDX-License-Identifier: MIT
# edge-csr: EnOS subject rules, SHA-256 requests from file and token keys.
. "$(dirname "$0")/../lib.sh"
setup

S=$T/state; mkdir "$S"
edge-keygen -q -d "$S"
SUBJ="--country CN --state Shanghai --locality Shanghai --organization EnOS --org-unit EnOS-Edge"

assert_fails 3 "no key yet in an empty directory" edge-csr -d "$T" $SUBJ --cn SN1
assert_grep "tells to run edge-keygen" "run edge-keygen first" "$T/err"

# shellcheck disable=SC2086
assert_ok "request from a file key" edge-csr -d "$S" $SUBJ --cn SN-0001 --json
assert_json "json subject CN" "$T/out" .subject.CN SN-0001
assert_json "json subject OU" "$T/out" .subject.OU EnOS-Edge
assert_json "json output" "$T/out" .output csr.pem
assert_json "json changed" "$T/out" .changed true
assert_json "json key id is the key's" "$T/out" .key_id "$(edge-keygen -q -d "$S" --json | jq -r .key_id)"
assert_eq "csr.pem is 0644" "$(file_mode "$S/csr.pem")" 644
openssl req -in "$S/csr.pem" -verify -noout -subject > "$T/req" 2>&1
assert_grep "openssl: signature verify OK" "verify OK" "$T/req"
# OpenSSL 3.0 (Debian 12) prints "C = CN, ...", 3.2 and later (Debian 13) "C=CN, ...".
assert_grep "openssl: subject in EnOS order" "subject= *C *= *CN, ST *= *Shanghai, L *= *Shanghai, O *= *EnOS, OU *= *EnOS-Edge, CN *= *SN-0001" "$T/req"
certtool --crq-info --infile "$S/csr.pem" > "$T/crq" 2>&1
assert_grep "certtool: signed RSA-SHA256" "RSA-SHA256" "$T/crq"
assert_grep "certtool: 2048-bit key" "2048 bits" "$T/crq"
assert_grep "standard PEM label" "^-----BEGIN CERTIFICATE REQUEST-----" "$S/csr.pem"

before=$(digest "$S/csr.pem")
assert_ok "same request again" edge-csr -d "$S" $SUBJ --cn SN-0001 --json
assert_json "unchanged the second time" "$T/out" .changed false
assert_eq "csr.pem untouched" "$(digest "$S/csr.pem")" "$before"
assert_ok "--force makes a new one" edge-csr -d "$S" $SUBJ --cn SN-0001 --force --json
assert_json "--force reports a change" "$T/out" .changed true
assert_ok "another CN makes a new request" edge-csr -d "$S" $SUBJ --cn SN-0002 --json
assert_json "changed for a new CN" "$T/out" .changed true

# Pipes: -o - writes the request alone on stdout.
edge-csr -d "$S" $SUBJ --cn SN-0003 -o - 2>"$T/err" | openssl req -verify -noout > "$T/req" 2>&1
assert_grep "piped request verifies" "verify OK" "$T/req"
assert_ok "--json with -o - carries the request" edge-csr -d "$S" $SUBJ --cn SN-0003 -o - --json
jq -r .csr "$T/out" | openssl req -verify -noout > "$T/req" 2>&1
assert_grep "request inside the JSON verifies" "verify OK" "$T/req"
assert_ok "-o FILE" edge-csr -d "$S" $SUBJ --cn SN-0003 -o "$T/x.csr"
assert_grep "-o FILE written" "BEGIN CERTIFICATE REQUEST" "$T/x.csr"

# C, ST and O from the hub's root CA.
certtool --generate-privkey --key-type rsa --bits 2048 --outfile "$T/ca.key" 2>/dev/null
cat > "$T/ca.tmpl" <<EOT
country = CN
state = Shanghai
locality = Shanghai
organization = EnOS
unit = EnOS CA
cn = EnOS CA
ca
cert_signing_key
expiration_days = 30
EOT
certtool --generate-self-signed --load-privkey "$T/ca.key" --template "$T/ca.tmpl" --outfile "$T/ca.pem" 2>/dev/null
assert_ok "--ca supplies C, ST and O" edge-csr -d "$S" --ca "$T/ca.pem" --locality Pudong --org-unit Edge --cn SN-0004 --json
assert_json "C from the CA" "$T/out" .subject.C CN
assert_json "ST from the CA" "$T/out" .subject.ST Shanghai
assert_json "O from the CA" "$T/out" .subject.O EnOS
assert_json "L from the option" "$T/out" .subject.L Pudong
cp "$T/ca.pem" "$S/ca.pem"
assert_ok "DIR/ca.pem is used when present" edge-csr -d "$S" --locality Pudong --org-unit Edge --cn SN-0005 --json
assert_json "O from DIR/ca.pem" "$T/out" .subject.O EnOS
rm "$S/ca.pem"
echo "not a cert" > "$T/bad-ca.pem"
assert_fails 3 "--ca that is not a certificate" edge-csr -d "$S" --ca "$T/bad-ca.pem" --locality x --org-unit y --cn z
assert_grep "names the CA file" "bad-ca.pem: not a PEM certificate" "$T/err"

# Subject rules.
before=$(digest "$S/csr.pem")
assert_fails 2 "missing OU" edge-csr -d "$S" --country CN --state S --locality L --organization O --cn SN
assert_grep "names the missing field and option" "missing subject field OU (--org-unit)" "$T/err"
assert_fails 2 "missing CN" edge-csr -d "$S" $SUBJ
assert_grep "names --cn" "(--cn)" "$T/err"
assert_fails 2 "country of three letters" edge-csr -d "$S" --country CHN --state S --locality L --organization O --org-unit U --cn SN
long=$(printf '%065d' 0)
assert_fails 2 "CN of 65 characters" edge-csr -d "$S" $SUBJ --cn "$long"
assert_grep "says the limit" "1 to 64 characters (got 65)" "$T/err"
assert_fails 2 "control character in OU" edge-csr -d "$S" --country CN --state S --locality L --organization O --org-unit "$(printf 'a\033b')" --cn SN
assert_grep "says control characters" "control characters" "$T/err"
assert_eq "csr.pem unchanged after refusals" "$(digest "$S/csr.pem")" "$before"

# Keys the hub would not accept.
W=$T/weak; mkdir "$W"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$W/key.pem" 2>/dev/null
assert_fails 3 "RSA-1024 key" edge-csr -d "$W" $SUBJ --cn SN
assert_grep "names key and size" "key.pem: not an RSA-2048 key (found RSA-1024)" "$T/err"
assert_one_error_line edge-csr
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$W/key.pem" 2>/dev/null
assert_fails 3 "EC P-384 key" edge-csr -d "$W" $SUBJ --cn SN
assert_grep "names the curve" "found EC SECP384R1" "$T/err"
echo "-----BEGIN PRIVATE KEY-----" > "$W/key.pem"
assert_fails 3 "truncated key" edge-csr -d "$W" $SUBJ --cn SN
assert_fails 3 "--key FILE that is a CSR" edge-csr -d "$S" -k "$S/csr.pem" $SUBJ --cn SN
assert_grep "says certificate request" "holds a certificate request" "$T/err"
[ ! -e "$W/csr.pem" ] && ok "no csr.pem written on failures" || not_ok "no csr.pem written on failures"

# key.pem holds one PEM block (which of two keys is used would depend on the
# parser); the traditional RSA/EC forms are accepted.
O=$T/one; mkdir "$O"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/k1.pem" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/k2.pem" 2>/dev/null
cat "$T/k1.pem" "$T/k2.pem" > "$O/key.pem"
assert_fails 3 "key.pem with two keys" edge-csr -d "$O" $SUBJ --cn SN
assert_grep "... says so" "key.pem: holds 2 PEM blocks; expected one private key" "$T/err"
openssl req -x509 -key "$T/k1.pem" -subj /CN=x -days 1 2>/dev/null | cat - "$T/k1.pem" > "$O/key.pem"
assert_fails 3 "key.pem with a certificate before the key" edge-csr -d "$O" $SUBJ --cn SN
assert_grep "... says so" "key.pem: holds 2 PEM blocks; expected one private key" "$T/err"
assert_fails 3 "--key FILE with two keys" edge-csr -d "$S" -k "$O/key.pem" $SUBJ --cn SN
openssl ec -in "$T/k1.pem" -out "$O/key.pem" 2>/dev/null
grep -q "BEGIN EC PRIVATE KEY" "$O/key.pem" || diag "openssl ec did not write the traditional form"
assert_ok "key.pem in the traditional EC form" edge-csr -d "$O" $SUBJ --cn SN
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/r.pem" 2>/dev/null
openssl rsa -in "$T/r.pem" -traditional -out "$O/key.pem" 2>/dev/null
grep -q "BEGIN RSA PRIVATE KEY" "$O/key.pem" || diag "openssl rsa did not write the traditional form"
assert_ok "key.pem in the traditional RSA form" edge-csr -d "$O" $SUBJ --cn SN --force

E=$T/ec; mkdir "$E"
edge-keygen -q -d "$E" --type ec
assert_ok "EC P-256 key makes a request" edge-csr -d "$E" $SUBJ --cn SN-EC
certtool --crq-info --infile "$E/csr.pem" > "$T/crq" 2>&1
assert_grep "ECDSA-SHA256" "ECDSA-SHA256" "$T/crq"

# Defaults from DIR/edge.conf and the environment, with precedence.
printf 'country = CN\nstate = Shanghai\nlocality = Shanghai\norganization = EnOS\norg_unit = FromConf\ncn = conf-cn\n' > "$S/edge.conf"
assert_ok "subject from edge.conf" edge-csr -d "$S" --json
assert_json "CN from edge.conf" "$T/out" .subject.CN conf-cn
assert_ok "environment beats edge.conf" env EDGE_CN=env-cn edge-csr -d "$S" --json
assert_json "CN from EDGE_CN" "$T/out" .subject.CN env-cn
assert_ok "command line beats the environment" env EDGE_CN=env-cn edge-csr -d "$S" --cn argv-cn --json
assert_json "CN from --cn" "$T/out" .subject.CN argv-cn
printf 'cn = x\nthis line is wrong\n' > "$T/bad.conf"
assert_fails 3 "broken --config file" edge-csr -d "$S" -c "$T/bad.conf"
assert_grep "names file and line" "bad.conf:2: expected" "$T/err"

# Token key (SoftHSM2).
softhsm_setup edge 1234
echo 1234 > "$T/pin"; chmod 600 "$T/pin"
P=$T/tok; mkdir "$P"
edge-keygen -q -d "$P" --pkcs11 'pkcs11:token=edge;object=edge-key' --pin "file:$T/pin"
assert_ok "request signed inside the token" edge-csr -d "$P" $SUBJ --cn SN-TOKEN --pin "file:$T/pin" --json
openssl req -in "$P/csr.pem" -verify -noout > "$T/req" 2>&1
assert_grep "token-signed request verifies" "verify OK" "$T/req"
echo 0000 > "$T/badpin"; chmod 600 "$T/badpin"
assert_fails 7 "wrong PIN" edge-csr -d "$P" $SUBJ --cn SN-TOKEN2 --pin "file:$T/badpin"
assert_grep "says wrong PIN" "wrong or missing token PIN" "$T/err"
mkdir "$T/tok2"
edge-keygen -q -d "$T/tok2" --pkcs11 'pkcs11:token=edge;object=second' --pin "file:$T/pin"
assert_fails 7 "a URI matching two keys" edge-csr -d "$P" -k 'pkcs11:token=edge' $SUBJ --cn SN --pin "file:$T/pin"
assert_grep "says how many keys match" "2 private keys match" "$T/err"
assert_fails 7 "a URI matching no key" edge-csr -d "$P" -k 'pkcs11:token=edge;object=nothing' $SUBJ --cn SN --pin "file:$T/pin"
assert_grep "says no key matches" "no private key matches" "$T/err"

# key.uri is a file in the state directory: bad content is invalid input (3),
# a bad --key URI a usage error (2); pin-value however spelled is refused,
# and no message repeats the PIN.
U=$T/baduri; mkdir "$U"
for content in '' '/etc/edge/key.pem' 'pkcs11:token=edge;pin-value=1234' \
    'pkcs11:token=edge?PIN-VALUE=1234' 'pkcs11:token=edge?pin-v%61lue=1234' 'pkcs11:token=%zz?pin-value=1234'; do
	(umask 077; printf '%s\n' "$content" > "$U/key.uri")
	assert_fails 3 "key.uri holding '$content': exit 3" edge-csr -d "$U" $SUBJ --cn SN
	assert_grep "... names key.uri" "^edge-csr: key.uri: " "$T/err"
	assert_not_grep "... and does not show the PIN" "1234" "$T/err"
done
for uri in 'pkcs11:token=edge?PIN-VALUE=1234' 'pkcs11:token=edge;pin-v%61lue=1234'; do
	assert_fails 2 "--key $uri: exit 2" edge-csr -d "$P" -k "$uri" $SUBJ --cn SN --pin "file:$T/pin"
	assert_grep "... names pin-value" "pin-value would put the PIN on the command line" "$T/err"
	assert_not_grep "... and does not show the PIN" "1234" "$T/err"
done

done_testing
