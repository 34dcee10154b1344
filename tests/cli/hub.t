#!/bin/sh
# SPDX-License-Identifier: MIT
# The stand-in hub (tests/hub), driven only by independent clients: curl,
# openssl/certtool, mosquitto_pub/mosquitto_sub.  Signatures come from
# hub-sign (lib/edge_enos), never from shell arithmetic.
. "${0%/*}/../lib.sh"
setup

HUBSH="$TOP/tests/hub"
SIGN="$B/tests/hub/hub-sign"
[ -x "$B/tests/hub/enos-hub" ] && [ -x "$SIGN" ] || skip_all "run make hub first"
for t in curl jq openssl certtool mosquitto_pub mosquitto_sub perl; do
	command -v $t >/dev/null 2>&1 || skip_all "$t not installed"
done
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || skip_all "mosquitto not installed"

H="$T/hub"
on_exit "'$HUBSH/stop.sh' '$H'"
now_ms() { date +%s%3N; }
T0_MS=$(($(date +%s) * 1000))

# ---- start -------------------------------------------------------------
assert_ok "start.sh starts the hub in a fresh directory" "$HUBSH/start.sh" "$H"
cp "$T/out" "$T/env"
eval "$(cat "$T/env")"
missing=""
for v in HUB_DIR HUB_API HUB_PORTAL HUB_MQTT HUB_MQTT_ACTIVATE HUB_CA HUB_ORG_ID HUB_ACCESS_KEY \
    HUB_SECRET_KEY_FILE HUB_CREDENTIALS HUB_PRODUCT_KEY HUB_PRODUCT_SECRET_FILE \
    HUB_CLOUD_CERT HUB_CLOUD_KEY HUB_CLOUD_USER HUB_CLOUD_PASSWORD_FILE; do
	eval "val=\${$v:-}"
	[ -n "$val" ] || missing="$missing $v"
done
assert_eq "start.sh prints every variable" "$missing" ""
assert_eq "secret files are 0600" \
    "$(file_mode "$HUB_SECRET_KEY_FILE") $(file_mode "$HUB_CREDENTIALS") $(file_mode "$HUB_PRODUCT_SECRET_FILE") $(file_mode "$HUB_CLOUD_PASSWORD_FILE") $(file_mode "$HUB_DIR/ca-key.pem")" \
    "600 600 600 600 600"
assert_grep "credentials hold org_id" "^org_id = $HUB_ORG_ID\$" "$HUB_CREDENTIALS"
MQTT_PORT=${HUB_MQTT##*:}

# ---- CA and CRL endpoints ----------------------------------------------
openssl x509 -in "$HUB_CA" -noout -text >"$T/ca.txt" 2>&1
# OpenSSL 3.0 (Debian 12) prints "C = CN, ...", 3.2 and later (Debian 13) "C=CN, ...":
# compared without the spaces around "=".
assert_eq "root subject is EnOS-like" "$(openssl x509 -in "$HUB_CA" -noout -subject | sed 's/ = /=/g')" \
    "subject=C=CN, ST=Shanghai, L=Shanghai, O=EnOS, OU=EnOS CA, CN=EnOS CA (stand-in)"
assert_grep "root is RSA-2048" "Public-Key: (2048 bit)" "$T/ca.txt"
if grep -A1 "Basic Constraints: critical" "$T/ca.txt" | grep -q "CA:TRUE" &&
    grep -A1 "Key Usage: critical" "$T/ca.txt" | grep -q "Certificate Sign, CRL Sign"; then
	ok "root has CA:TRUE critical and keyUsage certSign+cRLSign"
else not_ok "root has CA:TRUE critical and keyUsage certSign+cRLSign"; fi
assert_ok "root verifies itself (openssl)" openssl verify -CAfile "$HUB_CA" "$HUB_CA"

assert_ok "GET /enos/CA/cacert" curl -sSf --cacert "$HUB_CA" -o "$T/cacert.pem" "$HUB_PORTAL/enos/CA/cacert"
assert_ok "served root equals HUB_CA" cmp "$T/cacert.pem" "$HUB_CA"
assert_ok "GET /enos/CA/cacert/RSA?format=der is DER" sh -c \
    "curl -sSf --cacert '$HUB_CA' '$HUB_PORTAL/enos/CA/cacert/RSA?format=der' | openssl x509 -inform DER -noout"
assert_ok "GET /enos/CA/crl is a PEM CRL signed by the root" sh -c \
    "curl -sSf --cacert '$HUB_CA' '$HUB_PORTAL/enos/CA/crl' -o '$T/crl0.pem' && openssl crl -in '$T/crl0.pem' -CAfile '$HUB_CA' -noout 2>&1 | grep -q 'verify OK'"
assert_ok "GET /enos/CA/crl/RSA with Accept: application/pkix-crl is DER" sh -c \
    "curl -sSf --cacert '$HUB_CA' -H 'Accept: application/pkix-crl' '$HUB_PORTAL/enos/CA/crl/RSA' | openssl crl -inform DER -noout"
assert_ok "the HTTPS certificate is valid for localhost too" \
    curl -sSf --cacert "$HUB_CA" -o /dev/null "https://localhost:${HUB_API##*:}/enos/CA/cacert"
assert_fails 60 "curl without the hub CA refuses the server" \
    curl -sS -o /dev/null "$HUB_API/enos/CA/cacert"

# ---- token service -----------------------------------------------------
# token_req PATH JSON: POST to the token service, answer in $T/out.
token_req() {
	_run curl -sS --cacert "$HUB_CA" -H 'Content-Type: application/json' \
	    --data-binary "$2" "$HUB_API/apim-token-service/v2.0/token/$1"
}
ts=$(now_ms)
enc=$("$SIGN" token "$HUB_ACCESS_KEY" "$ts" "$HUB_SECRET_KEY_FILE")
body="{\"appKey\":\"$HUB_ACCESS_KEY\",\"encryption\":\"$enc\",\"timestamp\":$ts}"
token_req get "$body"
assert_json "token get succeeds" "$T/out" '.status' 0
assert_json "token get: business and expire" "$T/out" '"\(.business) \(.data.expire)"' "apim-token-service 7200"
TOKEN=$(jq -r .data.accessToken "$T/out")
token_req get "$body"
assert_json "replayed encryption is rejected with 1001" "$T/out" '.status' 1001
ts=$(now_ms)
enc=$("$SIGN" token "$HUB_ACCESS_KEY" "$ts" "$HUB_SECRET_KEY_FILE")
token_req get "{\"appKey\":\"$HUB_ACCESS_KEY\",\"encryption\":\"$enc\",\"timestamp\":$ts}"
assert_json "a new get while valid returns the same token" "$T/out" '.data.accessToken' "$TOKEN"
token_req get "{\"appKey\":\"$HUB_ACCESS_KEY\",\"encryption\":\"$(echo "$enc" | tr 0-9a-f 1-9a-f0)\",\"timestamp\":$(now_ms)}"
assert_json "a wrong encryption gives 1003" "$T/out" '.status' 1003
token_req get "{\"appKey\":\"nobody\",\"encryption\":\"$enc\",\"timestamp\":$ts}"
assert_json "an unknown appKey gives 1002" "$T/out" '.status' 1002
token_req get "{\"appKey\":\"$HUB_ACCESS_KEY\",\"timestamp\":$ts}"
assert_json "a missing encryption gives 1202" "$T/out" '.status' 1202
token_req get '{"appKey": '
assert_json "malformed JSON to the token service gives 1004" "$T/out" '.status' 1004
old_ts=$(( $(now_ms) - 3600000 ))
enc=$("$SIGN" token "$HUB_ACCESS_KEY" "$old_ts" "$HUB_SECRET_KEY_FILE")
token_req get "{\"appKey\":\"$HUB_ACCESS_KEY\",\"encryption\":\"$enc\",\"timestamp\":$old_ts}"
assert_json "an hour-old timestamp gives 1004" "$T/out" '.status' 1004

# ---- signed API calls --------------------------------------------------
# api METHOD PATH QUERY [BODYFILE]: a signed call; JSON in $T/out, HTTP
# status in $T/http.  SIGN_* override the signature inputs for bad cases.
api() {
	_ts=${SIGN_TS:-$(now_ms)}
	_sig=$("$SIGN" api "$TOKEN" "$_ts" "${SIGN_SECRET:-$HUB_SECRET_KEY_FILE}" "${SIGN_QUERY:-$3}" ${4:+"$4"})
	if [ -n "${4:-}" ]; then
		_run curl -sS --cacert "$HUB_CA" -X "$1" -w '%{http_code}' -o "$T/body" \
		    -H "apim-accesstoken: $TOKEN" -H "apim-timestamp: $_ts" -H "apim-signature: $_sig" \
		    -H "Content-Type: ${CTYPE:-application/json;charset=UTF-8}" --data-binary "@$4" "$HUB_API/$2?$3"
	else
		_run curl -sS --cacert "$HUB_CA" -X "$1" -w '%{http_code}' -o "$T/body" \
		    -H "apim-accesstoken: $TOKEN" -H "apim-timestamp: $_ts" -H "apim-signature: $_sig" \
		    "$HUB_API/$2?$3"
	fi
	cp "$T/out" "$T/http"; cp "$T/body" "$T/out"
}
DEV=connect-service/v2.1/devices
CERT=connect-service/v2.0/certificates
ORG="orgId=$HUB_ORG_ID"
PK=$HUB_PRODUCT_KEY

mkdev() { # mkdev DK: create device DK, its secret in $T/DK.secret
	printf '{"productKey":"%s","timezone":"+08:00","deviceName":{"defaultValue":"%s"},"deviceKey":"%s"}' \
	    "$PK" "$1" "$1" >"$T/create.json"
	api POST $DEV "action=create&$ORG" "$T/create.json"
	if [ "$(jq -r .code "$T/out")" = 0 ]; then jq -j .data.deviceSecret "$T/out" >"$T/$1.secret"; fi
}
mkdev gw-0001
assert_json "signed create device succeeds" "$T/out" '.code' 0
assert_json "create returns the device key and a secret" "$T/out" \
    '"\(.data.productKey) \(.data.deviceKey) \(.data.deviceSecret | length) \(.data.assetId | length > 0)"' "$PK gw-0001 20 true"
ASSET=$(jq -r .data.assetId "$T/out")
api GET $DEV "action=get&$ORG&assetId=$ASSET"
assert_json "signed get device by assetId returns the secret" "$T/out" '.data.deviceSecret' "$(cat "$T/gw-0001.secret")"
api GET $DEV "action=get&$ORG&productKey=$PK&deviceKey=gw-0001"
assert_json "get device by productKey+deviceKey" "$T/out" '.data.assetId' "$ASSET"
assert_json "before its first login it is inactive, without activeTime" "$T/out" \
    '"\(.data.status) \(.data.activeTime) \(.data | has("isActivated"))"' "inactive null false"
api GET $DEV "action=get&$ORG&productKey=$PK&deviceKey=nope"
assert_json "get of a missing device gives 11404" "$T/out" '.code' 11404
mkdev gw-0001
assert_json "a duplicate deviceKey gives 11702" "$T/out" '.code' 11702
printf '{"timezone":"+08:00","deviceName":{"defaultValue":"x"}}' >"$T/b.json"
api POST $DEV "action=create&$ORG" "$T/b.json"
assert_json "create without productKey gives 99400" "$T/out" '.code' 99400
api POST $DEV "action=create&orgId=o999" "$T/create.json"
assert_json "another orgId gives 99403" "$T/out" '.code' 99403
api POST $DEV "action=explode&$ORG" "$T/create.json"
assert_json "an unknown action gives 99400" "$T/out" '.code' 99400
api POST $DEV "$ORG" "$T/create.json"
assert_json "a missing action gives 99400" "$T/out" '.msg' "Invalid Argument action:action is missing"
printf '{"productKey": ' >"$T/bad.json"
api POST $DEV "action=create&$ORG" "$T/bad.json"
assert_json "malformed JSON gives 99400" "$T/out" '.code' 99400
CTYPE=text/plain api POST $DEV "action=create&$ORG" "$T/create.json"
assert_eq "a wrong Content-Type gives HTTP 415" "$(cat "$T/http")" 415
assert_json "... with code 99400" "$T/out" '.code' 99400
perl -e 'print "{\"x\":\"", "a" x 200000, "\"}"' >"$T/huge.json"
api POST $DEV "action=create&$ORG" "$T/huge.json"
assert_eq "a huge body gives HTTP 413" "$(cat "$T/http")" 413
assert_json "... with code 99400" "$T/out" '.code' 99400

_run curl -sS --cacert "$HUB_CA" -w '%{http_code}' -o "$T/body" "$HUB_API/connect-service/v9/nothing"
assert_eq "an unknown path gives HTTP 404" "$(cat "$T/out")" 404
assert_json "... with code 99404" "$T/body" '.code' 99404
_run curl -sS --cacert "$HUB_CA" -X PUT -w '%{http_code}' -o "$T/body" "$HUB_API/$DEV?action=get"
assert_eq "PUT gives HTTP 405" "$(cat "$T/out")" 405
q=$(perl -e 'print join "&", map { "p$_=$_" } 1..40')
_run curl -sS --cacert "$HUB_CA" -w '%{http_code}' -o "$T/body" "$HUB_API/$DEV?$q"
assert_eq "40 query parameters give HTTP 400" "$(cat "$T/out")" 400
assert_json "... with code 99400" "$T/body" '.code' 99400
printf '{"productKey":"%s","timezone":"+08:00","deviceName":"x","deviceKey":"../../etc"}' "$PK" >"$T/b.json"
api POST $DEV "action=create&$ORG" "$T/b.json"
assert_json "a deviceKey with / is refused with 99400" "$T/out" '.code' 99400
printf '[1,2,3]' >"$T/b.json"
api POST $DEV "action=create&$ORG" "$T/b.json"
assert_json "a JSON array body gives 99400" "$T/out" '.code' 99400
printf '{"productKey":"%s"} trailing' "$PK" >"$T/b.json"
api POST $DEV "action=create&$ORG" "$T/b.json"
assert_json "trailing bytes after the JSON give 99400" "$T/out" '.code' 99400

# Unsigned and mis-signed calls.
_run curl -sS --cacert "$HUB_CA" -w '%{http_code}' -o "$T/body" "$HUB_API/$DEV?action=get&$ORG&assetId=$ASSET"
assert_eq "an unsigned call gives HTTP 401" "$(cat "$T/out")" 401
assert_json "... with code 99401" "$T/body" '.code' 99401
SIGN_QUERY="action=get&$ORG&assetId=other" api GET $DEV "action=get&$ORG&assetId=$ASSET"
assert_eq "a signature over other parameters gives 401" "$(cat "$T/http")" 401
assert_json "... and says the signature is invalid" "$T/out" '.msg' "Unauthorized: apim-signature is invalid"
printf 'not-the-secret' >"$T/wrong.secret"
SIGN_SECRET="$T/wrong.secret" api GET $DEV "action=get&$ORG&assetId=$ASSET"
assert_eq "a signature with the wrong secret gives 401" "$(cat "$T/http")" 401
cp "$T/create.json" "$T/create2.json"; printf ' ' >>"$T/create2.json"
_ts=$(now_ms); _sig=$("$SIGN" api "$TOKEN" "$_ts" "$HUB_SECRET_KEY_FILE" "action=create&$ORG" "$T/create.json")
_run curl -sS --cacert "$HUB_CA" -w '%{http_code}' -o "$T/body" -H "apim-accesstoken: $TOKEN" \
    -H "apim-timestamp: $_ts" -H "apim-signature: $_sig" -H 'Content-Type: application/json' \
    --data-binary "@$T/create2.json" "$HUB_API/$DEV?action=create&$ORG"
assert_eq "a body changed after signing gives 401" "$(cat "$T/out")" 401
SIGN_TS=$(( $(now_ms) - 3600000 )) api GET $DEV "action=get&$ORG&assetId=$ASSET"
assert_eq "a stale apim-timestamp gives 401" "$(cat "$T/http")" 401
_run curl -sS --cacert "$HUB_CA" -o "$T/body" -H "apim-accesstoken: forged" -H "apim-timestamp: $(now_ms)" \
    -H "apim-signature: 00" "$HUB_API/$DEV?action=get&$ORG&assetId=$ASSET"
assert_json "an unknown token gives 99401" "$T/body" '.msg' "Unauthorized: apim-accesstoken is invalid"
api GET $DEV "action=get&$ORG&assetId=$ASSET"
assert_json "uppercase-free signed call still works after the failures" "$T/out" '.code' 0

# ---- certificates ------------------------------------------------------
SUBJ="/C=CN/ST=Shanghai/L=Shanghai/O=EnOS/OU=Edge"
csr() { # csr NAME SUBJ [openssl-newkey-args...]: key $T/NAME.key, CSR $T/NAME.csr
	n=$1 s=$2; shift 2
	openssl req -new -newkey "${@:-rsa:2048}" -nodes -keyout "$T/$n.key" -subj "$s" \
	    -sha256 -out "$T/$n.csr" 2>/dev/null
}
body_csr() { # body_csr CSRFILE [extra-json]: apply body in $T/apply.json
	jq -cn --rawfile c "$1" "{csr: \$c${2:+, $2}}" >"$T/apply.json"
}
apply() { # apply DK: POST apply for device DK with $T/apply.json
	api POST $CERT "action=apply&$ORG&productKey=$PK&deviceKey=$1" "$T/apply.json"
}

csr dev1 "$SUBJ/CN=gw-0001"
body_csr "$T/dev1.csr" '"validDay": 365, "issueAuthority": "RSA"'
apply gw-0001
assert_json "apply for a good CSR succeeds" "$T/out" '.code' 0
cp "$T/out" "$T/apply1.out"
jq -j .data.cert "$T/out" >"$T/dev1.pem"
jq -j .data.caCert "$T/out" >"$T/apply-ca.pem"
SN1=$(jq -r .data.certSN "$T/out")
assert_ok "apply returns the root as caCert" cmp "$T/apply-ca.pem" "$HUB_CA"
assert_json "apply returns certChainURL and issueAuthority" "$T/apply1.out" '"\(.data.certChainURL) \(.data.issueAuthority)"' \
    "$HUB_PORTAL/enos/CA/cacert/RSA RSA"
assert_ok "issued certificate verifies against the root (openssl verify)" openssl verify -CAfile "$HUB_CA" "$T/dev1.pem"
assert_ok "issued certificate verifies against the root (certtool --verify)" \
    certtool --verify --load-ca-certificate "$HUB_CA" --infile "$T/dev1.pem"
hex=$(openssl x509 -in "$T/dev1.pem" -noout -serial | cut -d= -f2)
assert_eq "certSN is the decimal serial" "$(perl -Mbigint -e 'print hex($ARGV[0])' "$hex")" "$SN1"
openssl x509 -in "$T/dev1.pem" -noout -text >"$T/dev1.txt"
assert_grep "profile: CA:FALSE" "CA:FALSE" "$T/dev1.txt"
assert_grep "profile: Netscape comment" "Enos Generated Certificate" "$T/dev1.txt"
assert_grep "profile: Netscape CA revocation URL" "Netscape CA Revocation Url" "$T/dev1.txt"
assert_grep "profile: CRL distribution point (http, tests/cli/hub-ca.t)" "URI:$HUB_CRL_HTTP/crl/" "$T/dev1.txt"
assert_grep "profile: SKI" "Subject Key Identifier" "$T/dev1.txt"
assert_grep "profile: AKI" "Authority Key Identifier" "$T/dev1.txt"
assert_grep "profile: sha256WithRSAEncryption" "Signature Algorithm: sha256WithRSAEncryption" "$T/dev1.txt"
assert_not_grep "profile: no keyUsage" "Key Usage" "$T/dev1.txt"
assert_grep "profile: the CSR subject" "Subject: C *= *CN, ST *= *Shanghai, L *= *Shanghai, O *= *EnOS, OU *= *Edge, CN *= *gw-0001" "$T/dev1.txt"
nb=$(date -d "$(openssl x509 -in "$T/dev1.pem" -noout -startdate | cut -d= -f2)" +%s)
na=$(date -d "$(openssl x509 -in "$T/dev1.pem" -noout -enddate | cut -d= -f2)" +%s)
assert_eq "validity is validDay days" "$(( (na - nb) / 86400 ))" 365

mkdev gw-0002
mkdev gw-0003
printf 'this is not a CSR' >"$T/garbage.csr"
body_csr "$T/garbage.csr"
apply gw-0002
assert_json "a garbage CSR gives 99400" "$T/out" '.code' 99400
csr weak "$SUBJ/CN=gw-0002" rsa:1024
body_csr "$T/weak.csr"
apply gw-0002
assert_json "an RSA-1024 CSR gives 99400" "$T/out" '"\(.code) \(.msg | test("RSA-2048"))"' "99400 true"
csr bado "/C=CN/ST=Shanghai/L=Shanghai/O=Other/OU=Edge/CN=gw-0002"
body_csr "$T/bado.csr"
apply gw-0002
assert_json "a CSR with O unlike the root gives 99400" "$T/out" '.code' 99400
csr noou "/C=CN/ST=Shanghai/L=Shanghai/O=EnOS/CN=gw-0002"
body_csr "$T/noou.csr"
apply gw-0002
assert_json "a CSR without OU gives 99400" "$T/out" '.msg' "Invalid cert request!subject field OU is missing"
# Flip the last byte (inside the signature) of a good CSR.
csr forged "$SUBJ/CN=gw-0002"
openssl req -in "$T/forged.csr" -outform DER -out "$T/forged.der"
perl -e 'local $/; open F, "+<", $ARGV[0] or die; binmode F; $d = <F>;
    substr($d, -1, 1) = chr(ord(substr($d, -1, 1)) ^ 1); seek F, 0, 0; print F $d' "$T/forged.der"
{ echo "-----BEGIN CERTIFICATE REQUEST-----"; openssl base64 -in "$T/forged.der"; echo "-----END CERTIFICATE REQUEST-----"; } >"$T/forged2.csr"
body_csr "$T/forged2.csr"
apply gw-0002
assert_json "a CSR with a bad signature gives 99400" "$T/out" '"\(.code) \(.msg | test("signature"))"' "99400 true"
csr dup "$SUBJ/CN=gw-0001"
body_csr "$T/dup.csr"
apply gw-0002
assert_json "a CN bound to another device gives 99400 Duplicate subject" "$T/out" \
    '"\(.code) \(.msg | startswith("Duplicate subject by certificate request"))"' "99400 true"
openssl req -new -key "$T/dev1.key" -subj "$SUBJ/CN=gw-0002" -sha256 -out "$T/samekey.csr"
body_csr "$T/samekey.csr"
apply gw-0002
assert_json "a public key bound to another device gives 11833" "$T/out" '.code' 11833
csr dev2 "$SUBJ/CN=gw-0002"
body_csr "$T/dev2.csr"
api POST $CERT "action=apply&$ORG&productKey=$PK&deviceKey=no-such-device" "$T/apply.json"
assert_json "a CSR for a missing device gives 11404" "$T/out" '.code' 11404
api POST $CERT "action=apply&$ORG" "$T/apply.json"
assert_json "apply without a device identifier gives 99400" "$T/out" '.code' 99400
body_csr "$T/dev2.csr" '"validDay": 5000'
apply gw-0002
assert_json "validDay above the product maximum gives 99400" "$T/out" '.code' 99400
body_csr "$T/dev2.csr" '"issueAuthority": "ECC"'
apply gw-0002
assert_json "an RSA key with issueAuthority ECC gives 99400" "$T/out" '.code' 99400
body_csr "$T/dev2.csr" '"issueAuthority": "DSA"'
apply gw-0002
assert_json "an unknown issueAuthority gives 99400" "$T/out" '.code' 99400
printf '{"validDay": 30}' >"$T/apply.json"
apply gw-0002
assert_json "apply without csr gives 99400 csr is missing" "$T/out" '.msg' "Invalid Argument csr:csr is missing"
# The PEM label some EnOS samples use.
sed 's/CERTIFICATE REQUEST/NEW CERTIFICATE REQUEST/' "$T/dev2.csr" >"$T/dev2new.csr"
body_csr "$T/dev2new.csr"
apply gw-0002
assert_json "a NEW CERTIFICATE REQUEST PEM is accepted" "$T/out" '.code' 0
jq -r .data.cert "$T/out" >"$T/dev2.pem"
SN2=$(jq -r .data.certSN "$T/out")
na=$(date -d "$(openssl x509 -in "$T/dev2.pem" -noout -enddate | cut -d= -f2)" +%s)
assert_eq "validity defaults to the product's 730 days" "$(( (na - $(date +%s) + 3600) / 86400 ))" 730
csr dev3 "$SUBJ/CN=gw-0003" ec -pkeyopt ec_paramgen_curve:P-256
body_csr "$T/dev3.csr" '"issueAuthority": "ecc"'
apply gw-0003
assert_json "a P-256 CSR with issueAuthority ECC succeeds" "$T/out" '"\(.code) \(.data.issueAuthority)"' "0 ECC"
jq -r .data.cert "$T/out" >"$T/dev3.pem"
SN3=$(jq -r .data.certSN "$T/out")
assert_ok "the ECC device certificate verifies (openssl)" openssl verify -CAfile "$HUB_CA" "$T/dev3.pem"

api GET $CERT "action=list&$ORG&assetId=$ASSET"
assert_json "list shows the device's certificate as valid" "$T/out" '[.data[] | "\(.certSN):\(.certStatus)"] | join(",")' "$SN1:0"

# ---- MQTT --------------------------------------------------------------
# mqtt_pub DK CERT KEY TOPIC MSG [SECRETFILE]: publish as device DK (QoS 1).
mqtt_pub() {
	_mts=$(now_ms)
	_pw=$("$SIGN" mqtt sha256 "$1" "$1" "$PK" "$_mts" "${6:-$T/$1.secret}" upper)
	_run mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" --cafile "$HUB_CA" --cert "$2" --key "$3" \
	    -i "$1|securemode=2,signmethod=sha256,timestamp=$_mts|" -u "$1&$PK" -P "$_pw" \
	    -q 1 -t "$4" -m "$5"
}
# cloud_sub FILE TOPIC: the cloud client listens in the background.
cloud_sub() {
	mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" --cafile "$HUB_CA" --cert "$HUB_CLOUD_CERT" \
	    --key "$HUB_CLOUD_KEY" -u "$HUB_CLOUD_USER" -P "$(cat "$HUB_CLOUD_PASSWORD_FILE")" \
	    -i "cloud-$$" -v -t "$2" >"$1" 2>"$1.err" &
	SUB_PID=$!
	on_exit "kill $SUB_PID"
	sleep 1
}

cloud_sub "$T/sub1" '/sys/#'
mqtt_pub gw-0001 "$T/dev1.pem" "$T/dev1.key" "/sys/$PK/gw-0001/thing/measurepoint/post" '{"id":"1","m":"own"}'
assert_eq "a device publishes to its own topic" "$rc" 0
mqtt_pub gw-0001 "$T/dev1.pem" "$T/dev1.key" "/sys/$PK/gw-0002/thing/measurepoint/post" '{"id":"2","m":"intrusion"}'
mqtt_pub gw-0002 "$T/dev2.pem" "$T/dev2.key" "/sys/$PK/gw-0002/thing/measurepoint/post" '{"id":"3","m":"gw2-own"}'
assert_eq "another device publishes to its own topic" "$rc" 0
sleep 1
stop_pid "$SUB_PID"
assert_grep "the cloud receives the device's telemetry" "^/sys/$PK/gw-0001/thing/measurepoint/post {\"id\":\"1\",\"m\":\"own\"}" "$T/sub1"
assert_grep "the cloud receives the second device's telemetry" "gw2-own" "$T/sub1"
assert_not_grep "a device cannot publish into another device's topics" "intrusion" "$T/sub1"

# The cloud commands a device; the device receives it on its own topic.
_mts=$(now_ms)
"$SIGN" mqtt sha256 gw-0001 gw-0001 "$PK" "$_mts" "$T/gw-0001.secret" >"$T/pw1"
mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" --cafile "$HUB_CA" --cert "$T/dev1.pem" --key "$T/dev1.key" \
    -i "gw-0001|securemode=2,signmethod=sha256,timestamp=$_mts|" -u "gw-0001&$PK" -P "$(cat "$T/pw1")" \
    -v -t "/sys/$PK/gw-0001/#" -t "/sys/$PK/gw-0002/#" >"$T/sub2" 2>&1 &
SUB_PID=$!
on_exit "kill $SUB_PID"
sleep 1
_run mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" --cafile "$HUB_CA" --cert "$HUB_CLOUD_CERT" --key "$HUB_CLOUD_KEY" \
    -u "$HUB_CLOUD_USER" -P "$(cat "$HUB_CLOUD_PASSWORD_FILE")" -q 1 \
    -t "/sys/$PK/gw-0001/thing/service/measurepoint/set" -m '{"id":"9","method":"thing.service.measurepoint.set","params":{"t":30.5}}'
assert_eq "the cloud publishes a command" "$rc" 0
mqtt_pub gw-0002 "$T/dev2.pem" "$T/dev2.key" "/sys/$PK/gw-0002/thing/measurepoint/post" '{"id":"4","m":"not-for-gw1"}'
sleep 1
stop_pid "$SUB_PID"
assert_grep "the device receives the cloud's command" "thing/service/measurepoint/set .*30.5" "$T/sub2"
assert_not_grep "a device cannot subscribe to another device's topics" "not-for-gw1" "$T/sub2"

mqtt_pub gw-0001 "$T/dev1.pem" "$T/dev1.key" "/sys/$PK/gw-0001/x" 'm' "$T/wrong.secret"
assert_eq "a wrong device secret is refused" "$([ "$rc" -ne 0 ] && echo refused)" refused
mqtt_pub gw-0002 "$T/dev1.pem" "$T/dev1.key" "/sys/$PK/gw-0002/x" 'm'
assert_eq "another device's certificate is refused" "$([ "$rc" -ne 0 ] && echo refused)" refused
_run mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" --cafile "$HUB_CA" -i "gw-0001|securemode=2,signmethod=sha256,timestamp=1|" \
    -u "gw-0001&$PK" -P x -q 1 -t "/sys/$PK/gw-0001/x" -m m
assert_eq "a client without a certificate is refused" "$([ "$rc" -ne 0 ] && echo refused)" refused
_mts=$(now_ms)
_pw=$("$SIGN" mqtt md5 gw-0001 gw-0001 "$PK" "$_mts" "$T/gw-0001.secret")
_run mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" --cafile "$HUB_CA" --cert "$T/dev1.pem" --key "$T/dev1.key" \
    -i "gw-0001|securemode=2,signmethod=hmacmd5,timestamp=$_mts|" -u "gw-0001&$PK" -P "$_pw" -q 1 \
    -t "/sys/$PK/gw-0001/x" -m m
assert_eq "signmethod alias hmacmd5 with lowercase hex is accepted" "$rc" 0

api GET $DEV "action=get&$ORG&assetId=$ASSET"
assert_json "the first MQTT login activated the device: status offline" "$T/out" '.data.status' offline
assert_json "... with activeTime in ms, not before the test began" "$T/out" \
    "(.data.activeTime | type) + \" \" + (.data.activeTime >= $T0_MS | tostring)" "number true"

# ---- dynamic activation (securemode=3) ----------------------------------
ACT_PORT=${HUB_MQTT_ACTIVATE##*:}
mkdev gw-dyn
# activate DK SECRETFILE: securemode=3 session on the activation listener.
activate() {
	_mts=$(now_ms)
	_pw=$("$SIGN" mqtt sha256 "$1" "$1" "$PK" "$_mts" "$2")
	_run mosquitto_sub -h 127.0.0.1 -p "$ACT_PORT" --cafile "$HUB_CA" \
	    -i "$1|securemode=3,signmethod=sha256,timestamp=$_mts|" -u "$1&$PK" -P "$_pw" \
	    -q 1 -t "/ext/session/$PK/$1/thing/activate/info" -C 1 -W 10
}
activate gw-dyn "$T/wrong.secret"
assert_eq "activation with a wrong product secret is refused" "$([ "$rc" -ne 0 ] && echo refused)" refused
activate gw-dyn "$HUB_PRODUCT_SECRET_FILE"
assert_json "activation pushes thing.activate.info" "$T/out" '"\(.method) \(.params.deviceKey) \(.params.productKey)"' \
    "thing.activate.info gw-dyn $PK"
assert_json "... with the device secret" "$T/out" '.params.deviceSecret' "$(cat "$T/gw-dyn.secret")"
activate gw-dyn "$HUB_PRODUCT_SECRET_FILE"
assert_eq "an activated device cannot activate again" "$([ "$rc" -ne 0 ] && echo refused)" refused
_mts=$(now_ms)
_pw=$("$SIGN" mqtt sha256 gw-0002 gw-0002 "$PK" "$_mts" "$T/gw-0002.secret")
_run mosquitto_pub -h 127.0.0.1 -p "$ACT_PORT" --cafile "$HUB_CA" -i "gw-0002|securemode=2,signmethod=sha256,timestamp=$_mts|" \
    -u "gw-0002&$PK" -P "$_pw" -q 1 -t "/sys/$PK/gw-0002/x" -m m
assert_eq "securemode=2 without a certificate is refused on the activation listener" \
    "$([ "$rc" -ne 0 ] && echo refused)" refused
api GET $DEV "action=get&$ORG&productKey=$PK&deviceKey=gw-dyn"
assert_json "the activated device reports status offline" "$T/out" '.data.status' offline

# ---- revoke and renew --------------------------------------------------
crlnum() { openssl crl -in "$1" -noout -crlnumber | cut -d= -f2; }
n0=$(crlnum "$HUB_DIR/crl.pem")
printf '{"certSn": 123456789, "reason": 1}' >"$T/rev.json"
api POST $CERT "action=revoke&$ORG&productKey=$PK&deviceKey=gw-0001" "$T/rev.json"
assert_json "revoking an unknown serial gives 99400" "$T/out" '.code' 99400
printf '{"certSn": %s, "reason": 1}' "$SN2" >"$T/rev.json"
api POST $CERT "action=revoke&$ORG&productKey=$PK&deviceKey=gw-0001" "$T/rev.json"
assert_json "revoking another device's certificate gives 99400" "$T/out" '.code' 99400
printf '{"reason": 1}' >"$T/rev0.json"
api POST $CERT "action=revoke&$ORG&productKey=$PK&deviceKey=gw-0001" "$T/rev0.json"
assert_json "revoke without certSn gives 99400" "$T/out" '.msg' "Invalid Argument certSn:certSn is missing"
printf '{"certSn": %s, "reason": 2}' "$SN1" >"$T/rev2.json"
api POST $CERT "action=revoke&$ORG&productKey=$PK&deviceKey=gw-0001" "$T/rev2.json"
assert_json "an unknown reason gives 99400" "$T/out" '.code' 99400
assert_eq "failed revocations leave the CRL alone" "$(crlnum "$HUB_DIR/crl.pem")" "$n0"
printf '{"certSn": %s, "reason": 1}' "$SN1" >"$T/rev.json"
api POST $CERT "action=revoke&$ORG&productKey=$PK&deviceKey=gw-0001" "$T/rev.json"
assert_json "revoke succeeds" "$T/out" '"\(.code) \(.data)"' "0 null"
curl -sSf --cacert "$HUB_CA" -o "$T/crl1.pem" "$HUB_PORTAL/enos/CA/crl/RSA"
openssl crl -in "$T/crl1.pem" -noout -text >"$T/crl1.txt"
assert_grep "the served CRL lists the revoked serial" "Serial Number: $hex" "$T/crl1.txt"
assert_ok "the new CRL verifies against the root" sh -c "openssl crl -in '$T/crl1.pem' -CAfile '$HUB_CA' -noout 2>&1 | grep -q 'verify OK'"
n1=$(crlnum "$T/crl1.pem")
assert_eq "the CRL number grew" "$(perl -e 'print hex($ARGV[1]) > hex($ARGV[0]) ? "yes" : "no"' "$n0" "$n1")" yes
assert_ok "crl.pem on disk is the served CRL" cmp "$T/crl1.pem" "$HUB_DIR/crl.pem"
assert_fails 2 "openssl verify -crl_check refuses the revoked certificate" \
    openssl verify -crl_check -CAfile "$HUB_CA" -CRLfile "$T/crl1.pem" "$T/dev1.pem"
api GET $CERT "action=list&$ORG&productKey=$PK&deviceKey=gw-0001"
assert_json "list shows it revoked, with the reason" "$T/out" '.data[0] | "\(.certStatus) \(.revokerReason)"' "1 KEY COMPROMISE"
api POST $CERT "action=revoke&$ORG&productKey=$PK&deviceKey=gw-0001" "$T/rev.json"
assert_json "revoking it again gives 99400" "$T/out" '.code' 99400
printf '{"certSn": %s}' "$SN1" >"$T/renew.json"
api POST $CERT "action=renew&$ORG&productKey=$PK&deviceKey=gw-0001" "$T/renew.json"
assert_json "renewing a revoked certificate gives 99400" "$T/out" '.code' 99400
sleep 1	# the broker reloads its CRL on SIGHUP
mqtt_pub gw-0001 "$T/dev1.pem" "$T/dev1.key" "/sys/$PK/gw-0001/thing/measurepoint/post" '{"id":"5"}'
assert_eq "the broker refuses the revoked client" "$([ "$rc" -ne 0 ] && echo refused)" refused
sleep 1 | timeout 10 openssl s_client -connect "127.0.0.1:$MQTT_PORT" -CAfile "$HUB_CA" \
    -cert "$T/dev1.pem" -key "$T/dev1.key" >"$T/sclient" 2>&1
assert_grep "... with the TLS alert certificate revoked" "alert certificate revoked" "$T/sclient"
mqtt_pub gw-0002 "$T/dev2.pem" "$T/dev2.key" "/sys/$PK/gw-0002/thing/measurepoint/post" '{"id":"6"}'
assert_eq "another device still connects" "$rc" 0

printf '{"certSn": "%s", "validDay": 100}' "$SN2" >"$T/renew.json"
api POST $CERT "action=renew&$ORG&productKey=$PK&deviceKey=gw-0002" "$T/renew.json"
assert_json "renew without a CSR reuses the old request" "$T/out" '.code' 0
SN2b=$(jq -r .data.certSN "$T/out")
jq -r .data.cert "$T/out" >"$T/dev2b.pem"
assert_eq "renew issues a new serial" "$([ "$SN2b" != "$SN2" ] && [ -n "$SN2b" ] && echo new)" new
assert_eq "the renewed certificate keeps the subject" "$(openssl x509 -in "$T/dev2b.pem" -noout -subject)" \
    "$(openssl x509 -in "$T/dev2.pem" -noout -subject)"
mqtt_pub gw-0002 "$T/dev2b.pem" "$T/dev2.key" "/sys/$PK/gw-0002/x" m
assert_eq "the renewed certificate connects" "$rc" 0

# ---- restart keeps the state; token expiry; CRL before nextUpdate ------
ca_fp=$(openssl x509 -in "$HUB_CA" -noout -fingerprint -sha256)
assert_ok "stop.sh stops the hub" "$HUBSH/stop.sh" "$H"
assert_eq "no pid files remain" "$(ls "$H"/*.pid 2>/dev/null | wc -l)" 0
assert_fails 1 "nothing listens on the API port after stop" \
    perl -MIO::Socket::INET -e 'exit !IO::Socket::INET->new(PeerAddr=>"127.0.0.1",PeerPort=>$ARGV[0])' "${HUB_API##*:}"
sed -i 's/^token_ttl = .*/token_ttl = 3/; s/^crl_validity = .*/crl_validity = 4/' "$H/hub.conf"
assert_ok "start.sh restarts on the existing directory" "$HUBSH/start.sh" "$H"
eval "$(cat "$T/out")"
MQTT_PORT=${HUB_MQTT##*:}
assert_eq "the root CA is kept" "$(openssl x509 -in "$HUB_CA" -noout -fingerprint -sha256)" "$ca_fp"
api GET $DEV "action=get&$ORG&assetId=$ASSET"
assert_json "devices and tokens survive the restart" "$T/out" '.data.deviceKey' gw-0001
api GET $CERT "action=list&$ORG&productKey=$PK&deviceKey=gw-0001"
assert_json "revocations survive the restart" "$T/out" '.data[0].certStatus' 1
assert_grep "the CRL still lists the serial" "$hex" "$T/crl1.txt"
openssl crl -in "$HUB_DIR/crl.pem" -noout -text >"$T/crl2.txt"
assert_grep "the reissued CRL still lists the serial" "Serial Number: $hex" "$T/crl2.txt"
mqtt_pub gw-0001 "$T/dev1.pem" "$T/dev1.key" "/sys/$PK/gw-0001/x" m
assert_eq "the revoked client stays refused after restart" "$([ "$rc" -ne 0 ] && echo refused)" refused
mqtt_pub gw-0002 "$T/dev2b.pem" "$T/dev2.key" "/sys/$PK/gw-0002/x" m
assert_eq "a valid client connects after restart" "$rc" 0

ts=$(now_ms)
enc=$("$SIGN" token "$HUB_ACCESS_KEY" "$ts" "$HUB_SECRET_KEY_FILE")
token_req refresh "{\"appKey\":\"$HUB_ACCESS_KEY\",\"encryption\":\"$enc\",\"timestamp\":$ts,\"accessToken\":\"$TOKEN\"}"
assert_json "token refresh succeeds with the new lifetime" "$T/out" '"\(.status) \(.data.expire)"' "0 3"
OLD_TOKEN=$TOKEN
TOKEN=$(jq -r .data.accessToken "$T/out")
assert_eq "refresh gives a new token" "$([ "$TOKEN" != "$OLD_TOKEN" ] && echo new)" new
api GET $DEV "action=get&$ORG&assetId=$ASSET"
assert_json "the refreshed token works" "$T/out" '.code' 0
TOKEN=$OLD_TOKEN api GET $DEV "action=get&$ORG&assetId=$ASSET"
assert_json "the replaced token no longer works" "$T/out" '.code' 99401
token_req refresh "{\"appKey\":\"$HUB_ACCESS_KEY\",\"encryption\":\"$enc\",\"timestamp\":$ts,\"accessToken\":\"$TOKEN\"}"
assert_json "a replayed refresh gives 1001" "$T/out" '.status' 1001
n2=$(crlnum "$HUB_DIR/crl.pem")
sleep 4
api GET $DEV "action=get&$ORG&assetId=$ASSET"
assert_json "an expired token gives 99401" "$T/out" '.msg' "Unauthorized: apim-accesstoken has expired"
n3=$(crlnum "$HUB_DIR/crl.pem")
assert_eq "the CRL is reissued before its nextUpdate" "$(perl -e 'print hex($ARGV[1]) > hex($ARGV[0]) ? "yes" : "no"' "$n2" "$n3")" yes
assert_ok "the reissued CRL is current" sh -c "openssl crl -in '$HUB_DIR/crl.pem' -noout -nextupdate | cut -d= -f2 |
    xargs -I{} date -d {} +%s | awk -v now=\$(date +%s) '{ exit !(\$1 > now) }'"

# Concurrency: parallel signed calls all succeed and the state stays valid.
ts=$(now_ms)
enc=$("$SIGN" token "$HUB_ACCESS_KEY" "$ts" "$HUB_SECRET_KEY_FILE")
token_req get "{\"appKey\":\"$HUB_ACCESS_KEY\",\"encryption\":\"$enc\",\"timestamp\":$ts}"
TOKEN=$(jq -r .data.accessToken "$T/out")
i=0
while [ $i -lt 8 ]; do
	printf '{"productKey":"%s","timezone":"+08:00","deviceName":"p%s"}' "$PK" "$i" >"$T/p$i.json"
	( _ts=$(now_ms); _sig=$("$SIGN" api "$TOKEN" "$_ts" "$HUB_SECRET_KEY_FILE" "action=create&$ORG" "$T/p$i.json")
	  curl -sS --cacert "$HUB_CA" -H "apim-accesstoken: $TOKEN" -H "apim-timestamp: $_ts" \
	    -H "apim-signature: $_sig" -H 'Content-Type: application/json' --data-binary "@$T/p$i.json" \
	    "$HUB_API/$DEV?action=create&$ORG" >"$T/p$i.out" ) &
	i=$((i + 1))
done
wait
assert_eq "parallel creates all succeed" "$(cat "$T"/p?.out | jq -r .code | sort | uniq -c | awk '{print $1":"$2}')" "8:0"
assert_eq "state.json is valid JSON with every device" "$(jq '.devices | length' "$HUB_DIR/state.json")" 12

assert_ok "stop.sh stops the restarted hub" "$HUBSH/stop.sh" "$H"
assert_not_grep "the hub logged no sanitizer report" "Sanitizer\|runtime error" "$H/hub.log"
assert_not_grep "the broker logged no sanitizer report" "Sanitizer\|runtime error" "$H/mosquitto.log"

done_testing
