#!/bin/sh
# SPDX-License-Identifier: MIT
# The stand-in hub's CA side (tests/hub): CRL encoding and numbering, the
# http:// CRL distribution point, the process clock (libfaketime), and root
# rotation with a link certificate.  Checked with independent tools (openssl,
# curl, mosquitto_pub) and, for the edge side of a rotation, edge-crl-update.
. "${0%/*}/../lib.sh"
setup

HUBSH="$TOP/tests/hub"
SIGN="$B/tests/hub/hub-sign"
[ -x "$B/tests/hub/enos-hub" ] && [ -x "$SIGN" ] || skip_all "run make hub first"
for t in curl jq openssl mosquitto_pub perl; do
	command -v $t >/dev/null 2>&1 || skip_all "$t not installed"
done
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || skip_all "mosquitto not installed"

H="$T/hub"
on_exit "'$HUBSH/stop.sh' '$H'"
start() { "$HUBSH/start.sh" "$H" >"$T/env" 2>"$T/start.err" && eval "$(cat "$T/env")"; }
crlnum() { openssl crl -in "$1" -noout -crlnumber | cut -d= -f2; }
now_ms() { date +%s%3N; }
# call METHOD PATH QUERY [BODY_FILE]: a signed API call, the answer in $T/out.
call() {
	_ts=$(now_ms)
	if [ -z "${TOKEN:-}" ]; then
		_enc=$("$SIGN" token "$HUB_ACCESS_KEY" "$_ts" "$HUB_SECRET_KEY_FILE")
		TOKEN=$(curl -sS --cacert "$HUB_CA" -H 'Content-Type: application/json' \
		    --data "{\"appKey\":\"$HUB_ACCESS_KEY\",\"encryption\":\"$_enc\",\"timestamp\":$_ts}" \
		    "$HUB_API/apim-token-service/v2.0/token/get" | jq -r .data.accessToken)
	fi
	_sig=$("$SIGN" api "$TOKEN" "$_ts" "$HUB_SECRET_KEY_FILE" "$3" ${4:+"$4"})
	_run curl -sS --cacert "$HUB_CA" -X "$1" -H "apim-accesstoken: $TOKEN" \
	    -H "apim-timestamp: $_ts" -H "apim-signature: $_sig" \
	    ${4:+-H "Content-Type: application/json" --data-binary "@$4"} "$HUB_API/$2?$3"
}
# device DK [VALIDDAY]: register DK and get it a certificate: $T/DK.pem,
# $T/DK.key, $T/DK.secret, $T/DK.sn.
device() {
	jq -cn --arg pk "$HUB_PRODUCT_KEY" --arg dk "$1" \
	    '{productKey: $pk, deviceKey: $dk, timezone: "+08:00", deviceName: {defaultValue: $dk}}' >"$T/dev.json"
	call POST connect-service/v2.1/devices "action=create&orgId=$HUB_ORG_ID" "$T/dev.json"
	jq -j .data.deviceSecret "$T/out" >"$T/$1.secret"
	openssl req -new -newkey rsa:2048 -nodes -keyout "$T/$1.key" -sha256 -out "$T/$1.csr" \
	    -subj "/C=CN/ST=Shanghai/L=Shanghai/O=EnOS/OU=Edge/CN=$1" 2>/dev/null
	jq -cn --rawfile c "$T/$1.csr" --argjson d "${2:-365}" '{csr: $c, validDay: $d}' >"$T/dev.json"
	call POST connect-service/v2.0/certificates \
	    "action=apply&orgId=$HUB_ORG_ID&productKey=$HUB_PRODUCT_KEY&deviceKey=$1" "$T/dev.json"
	cp "$T/out" "$T/$1.apply"
	jq -j .data.cert "$T/out" >"$T/$1.pem"
	jq -j .data.certSN "$T/out" >"$T/$1.sn"
	[ "$(jq -r .code "$T/out")" = 0 ]
}
# connect DK [FAKETIME]: publish once as DK with its certificate (the
# broker's own certificate comes from the first root: $TRUST after a rotation).
connect() {
	_mts=$(${2:+at_time "$2"} date +%s%3N)
	_pw=$("$SIGN" mqtt sha256 "$1" "$1" "$HUB_PRODUCT_KEY" "$_mts" "$T/$1.secret")
	_run mosquitto_pub -h 127.0.0.1 -p "${HUB_MQTT##*:}" --cafile "${TRUST:-$HUB_CA}" --cert "$T/$1.pem" \
	    --key "$T/$1.key" -i "$1|securemode=2,signmethod=sha256,timestamp=$_mts|" \
	    -u "$1&$HUB_PRODUCT_KEY" -P "$_pw" -q 1 -t "/sys/$HUB_PRODUCT_KEY/$1/thing/event/x/post" -m '{}'
}
# split FILE PREFIX: each PEM block of FILE into PREFIX1, PREFIX2, ...
split_pem() { awk -v p="$2" '/-----BEGIN/ { n++ } n { print > (p n) }' "$1"; }

assert_ok "the hub starts" start

# ---- an empty CRL ------------------------------------------------------
curl -sSf --cacert "$HUB_CA" -o "$T/empty.der" "$HUB_PORTAL/enos/CA/crl?format=der"
assert_ok "the empty CRL verifies (openssl)" sh -c \
    "openssl crl -inform DER -in '$T/empty.der' -CAfile '$HUB_CA' -noout 2>&1 | grep -q 'verify OK'"
# TBSCertList at depth 2: version, signature, issuer, thisUpdate, nextUpdate,
# then the extensions [0]: no revokedCertificates SEQUENCE between them.
openssl asn1parse -inform DER -in "$T/empty.der" | sed -n 's/.*d=2 .*: \([A-Za-z]*\) .*/\1/p' |
    head -n 6 | tr '\n' ' ' >"$T/tbs"
assert_eq "the empty CRL omits revokedCertificates (RFC 5280 5.1.2.6)" "$(cat "$T/tbs")" \
    "INTEGER SEQUENCE SEQUENCE UTCTIME UTCTIME cont "
openssl crl -inform DER -in "$T/empty.der" -noout -text >"$T/empty.txt"
assert_grep "openssl reads it as a CRL without entries" "No Revoked Certificates" "$T/empty.txt"

# ---- CRL numbers across restarts ---------------------------------------
n0=$(crlnum "$HUB_CRL")
"$HUBSH/stop.sh" "$H" >/dev/null 2>&1
assert_ok "the hub restarts" start
n1=$(crlnum "$HUB_CRL")
"$HUBSH/stop.sh" "$H" >/dev/null 2>&1
assert_ok "and again" start
n2=$(crlnum "$HUB_CRL")
assert_eq "the CRL number grows across restarts" \
    "$(perl -e 'print hex($ARGV[0]) < hex($ARGV[1]) && hex($ARGV[1]) < hex($ARGV[2]) ? "yes" : "no $ARGV[0] $ARGV[1] $ARGV[2]"' "$n0" "$n1" "$n2")" yes
assert_json "state.json keeps the last CRL number" "$HUB_DIR/state.json" '.crl.number' "$(perl -e 'print hex($ARGV[0])' "$n2")"

# ---- the CRL distribution point: http://, DER ---------------------------
assert_ok "a certificate for a device of the first root" device ca-old
assert_ok "and one to revoke" device ca-rev
openssl x509 -in "$T/ca-old.pem" -noout -text >"$T/old.txt"
cdp=$(sed -n 's/^ *URI:\(http:.*\)/\1/p' "$T/old.txt")
case $cdp in "$HUB_CRL_HTTP"/*.crl) ok "the CRL distribution point is an http:// URI on loopback" ;;
*) diag "CDP '$cdp'"; not_ok "the CRL distribution point is an http:// URI on loopback" ;; esac
assert_grep "the Netscape revocation URL stays the https portal path" "^ *$HUB_PORTAL/enos/CA/crl/RSA" "$T/old.txt"
_run curl -sSf -o "$T/cdp.der" -w '%{content_type}' "$cdp"
assert_eq "the CDP answers application/pkix-crl" "$(cat "$T/out")" application/pkix-crl
assert_ok "the CDP serves a DER CRL signed by the root (openssl)" sh -c \
    "openssl crl -inform DER -in '$T/cdp.der' -CAfile '$HUB_CA' -noout 2>&1 | grep -q 'verify OK'"
assert_ok "the https portal path still serves PEM" sh -c \
    "curl -sSf --cacert '$HUB_CA' '$HUB_PORTAL/enos/CA/crl/RSA' | openssl crl -noout"
_run curl -sS -o /dev/null -w '%{http_code}' "$HUB_CRL_HTTP/enos/CA/cacert"
assert_eq "the plain http listener serves nothing but CRLs" "$(cat "$T/out")" 404
printf '{"certSn": %s, "reason": 1}' "$(cat "$T/ca-rev.sn")" >"$T/rev.json"
call POST connect-service/v2.0/certificates \
    "action=revoke&orgId=$HUB_ORG_ID&productKey=$HUB_PRODUCT_KEY&deviceKey=ca-rev" "$T/rev.json"
assert_json "revoke a certificate of the first root" "$T/out" .code 0
revhex=$(openssl x509 -in "$T/ca-rev.pem" -noout -serial | cut -d= -f2)
curl -sSf -o "$T/cdp2.der" "$cdp"
openssl crl -inform DER -in "$T/cdp2.der" -noout -text >"$T/cdp2.txt"
assert_grep "the CDP serves the reissued CRL" "Serial Number: $revhex" "$T/cdp2.txt"

# ---- root rotation -----------------------------------------------------
cp "$HUB_CA" "$T/root1.pem"
cp "$HUB_CA" "$T/hub-trust.pem"	# the hub's own TLS certificates stay under root 1
TRUST="$T/hub-trust.pem"
# A long-lived new root and device, to see the first root expire below.
sed -i 's/^max_valid_day = .*/max_valid_day = 7300/' "$H/hub.conf"
assert_ok "rotate.sh rotates the root" sh -c "'$HUBSH/rotate.sh' '$H' 7300 >'$T/env'"
eval "$(cat "$T/env")"
TOKEN=
assert_eq "ca.pem holds both roots, the new one first" "$(grep -c 'BEGIN CERTIFICATE' "$HUB_CA")" 2
split_pem "$HUB_CA" "$T/bundle"
cp "$T/bundle1" "$T/root2.pem"
assert_ok "ca.pem's second root is the first root" cmp "$T/bundle2" "$T/root1.pem"
assert_eq "the new root has the same subject" "$(openssl x509 -in "$T/root2.pem" -noout -subject)" \
    "$(openssl x509 -in "$T/root1.pem" -noout -subject)"
assert_ok "the new root is self-signed (openssl verify)" openssl verify -CAfile "$T/root2.pem" "$T/root2.pem"

assert_ok "GET /enos/CA/cacert" curl -sSf --cacert "$HUB_CA" -o "$T/cacert.pem" "$HUB_PORTAL/enos/CA/cacert"
split_pem "$T/cacert.pem" "$T/served"
assert_eq "it serves three certificates" "$(grep -c 'BEGIN CERTIFICATE' "$T/cacert.pem")" 3
assert_ok "the new root first" cmp "$T/served1" "$T/root2.pem"
assert_ok "the first root last" cmp "$T/served3" "$T/root1.pem"
cp "$T/served2" "$T/link.pem"
assert_ok "the link certificate is the one in the hub directory" cmp "$T/link.pem" "$HUB_DIR/ca-link.pem"
assert_eq "the link has the new root's subject" "$(openssl x509 -in "$T/link.pem" -noout -subject)" \
    "$(openssl x509 -in "$T/root2.pem" -noout -subject)"
assert_eq "the link has the new root's key" "$(openssl x509 -in "$T/link.pem" -noout -pubkey)" \
    "$(openssl x509 -in "$T/root2.pem" -noout -pubkey)"
assert_ok "the first root signed the link (openssl verify)" openssl verify -CAfile "$T/root1.pem" "$T/link.pem"
assert_fails 2 "the new root did not" openssl verify -CAfile "$T/root2.pem" "$T/link.pem"

assert_ok "a certificate issued after the rotation" device ca-new 7000
assert_ok "it verifies under the new root" openssl verify -CAfile "$T/root2.pem" "$T/ca-new.pem"
assert_fails 2 "not under the first root alone" openssl verify -CAfile "$T/root1.pem" "$T/ca-new.pem"
assert_ok "under the first root through the link" \
    openssl verify -CAfile "$T/root1.pem" -untrusted "$T/link.pem" "$T/ca-new.pem"
assert_ok "the link alone as trust anchor (openssl verify -partial_chain)" \
    openssl verify -partial_chain -CAfile "$T/link.pem" "$T/ca-new.pem"
jq -j .data.caCert "$T/ca-new.apply" >"$T/apply-ca.pem"
assert_ok "apply returns the new root as caCert" cmp "$T/apply-ca.pem" "$T/root2.pem"
assert_ok "the old device's certificate still verifies with ca.pem" openssl verify -CAfile "$HUB_CA" "$T/ca-old.pem"

assert_eq "crl.pem holds a CRL per root" "$(grep -c 'BEGIN X509 CRL' "$HUB_CRL")" 2
split_pem "$HUB_CRL" "$T/crl"
assert_ok "the first CRL is the new root's" sh -c \
    "openssl crl -in '$T/crl1' -CAfile '$T/root2.pem' -noout 2>&1 | grep -q 'verify OK'"
assert_ok "the second CRL is the first root's" sh -c \
    "openssl crl -in '$T/crl2' -CAfile '$T/root1.pem' -noout 2>&1 | grep -q 'verify OK'"
openssl crl -in "$T/crl2" -noout -text >"$T/crl2.txt"
assert_grep "the first root's CRL still lists its revoked certificate" "Serial Number: $revhex" "$T/crl2.txt"
openssl crl -in "$T/crl1" -noout -text >"$T/crl1.txt"
assert_not_grep "the new root's CRL does not" "Serial Number: $revhex" "$T/crl1.txt"
assert_eq "both carry the same, grown, CRL number" "$(crlnum "$T/crl1") $(crlnum "$T/crl2")" \
    "$(crlnum "$T/crl1") $(crlnum "$T/crl1")"
assert_ok "the portal serves both" sh -c "curl -sSf --cacert '$HUB_CA' '$HUB_PORTAL/enos/CA/crl' | cmp - '$HUB_CRL'"
newcdp=$(openssl x509 -in "$T/ca-new.pem" -noout -text | sed -n 's/^ *URI:\(http:.*\)/\1/p')
assert_ok "the new certificate's CDP serves the new root's CRL" sh -c \
    "curl -sSf '$newcdp' | openssl crl -inform DER -CAfile '$T/root2.pem' -noout 2>&1 | grep -q 'verify OK'"
assert_ok "the old certificate's CDP still serves the first root's CRL" sh -c \
    "curl -sSf '$cdp' | openssl crl -inform DER -CAfile '$T/root1.pem' -noout 2>&1 | grep -q 'verify OK'"
assert_ok "openssl verify -crl_check with both CRLs: the old device" \
    openssl verify -crl_check -CAfile "$HUB_CA" -CRLfile "$HUB_CRL" "$T/ca-old.pem"
assert_ok "... the new device" openssl verify -crl_check -CAfile "$HUB_CA" -CRLfile "$HUB_CRL" "$T/ca-new.pem"
assert_fails 2 "... and the revoked one is refused" \
    openssl verify -crl_check -CAfile "$HUB_CA" -CRLfile "$HUB_CRL" "$T/ca-rev.pem"

# An edge that knows only the first root takes the new one by its link.
E="$T/edge"
mkdir -p "$E"; chmod 700 "$E"
cp "$T/root1.pem" "$E/ca.pem"
assert_ok "edge-crl-update --ca takes the new root through the link certificate" \
    edge-crl-update --ca --portal "$HUB_PORTAL" --hub-ca "$T/hub-trust.pem" -d "$E"
cat "$T/out" "$T/err" >"$T/edge.log"
assert_grep "... and says so" "link certificate signed by the current root" "$T/edge.log"
assert_eq "the edge trusts both roots" "$(grep -c 'BEGIN CERTIFICATE' "$E/ca.pem")" 2
split_pem "$E/ca.pem" "$T/edgeroot"
assert_ok "the new root first" cmp "$T/edgeroot1" "$T/root2.pem"
assert_eq "the edge keeps both roots' CRLs" "$(grep -c 'BEGIN X509 CRL' "$E/crl.pem")" 2
assert_fails 8 "the edge sees the revoked certificate of the first root" \
    edge-crl-update --check -d "$E" "$T/ca-rev.pem"
assert_ok "and the new device's certificate as good" edge-crl-update --check -d "$E" "$T/ca-new.pem"

assert_ok "the broker takes the old root's device" connect ca-old
assert_ok "and the new root's device" connect ca-new

"$HUBSH/stop.sh" "$H" >/dev/null 2>&1
cp "$H/ca.pem" "$T/ca-before.pem"
assert_fails 1 "a second rotation is refused while the previous root is valid" \
    "$B/tests/hub/enos-hub" --dir "$H" --rotate-root
assert_grep "... saying why" "previous root is still valid" "$T/err"
assert_ok "... and changes nothing" cmp "$H/ca.pem" "$T/ca-before.pem"

# ---- time: the hub follows the process clock (libfaketime) ---------------
if have_faketime; then
	# Past the first root's end (3650 days), inside the new root's (7300).
	assert_ok "the hub starts ten years on (at_time)" sh -c \
	    ". '$TOP/tests/lib.sh'; at_time +3651d '$HUBSH/start.sh' '$H' >'$T/env'"
	eval "$(cat "$T/env")"
	assert_grep "it drops the expired first root" "previous root expired" "$HUB_DIR/hub.log"
	assert_ok "ca.pem, the broker's cafile, is the new root alone" cmp "$HUB_CA" "$T/root2.pem"
	assert_ok "/enos/CA/cacert serves the new root alone" sh -c \
	    "curl -sSf --cacert '$T/hub-trust.pem' '$HUB_PORTAL/enos/CA/cacert' | cmp - '$T/root2.pem'"
	assert_eq "one CRL, the new root's" "$(grep -c 'BEGIN X509 CRL' "$HUB_CRL")" 1
	assert_eq "its thisUpdate is the hub's clock, ten years on" \
	    "$(date -u -d "$(openssl crl -in "$HUB_CRL" -noout -lastupdate | cut -d= -f2)" +%Y-%m-%d)" \
	    "$(date -u -d '+3651 days' +%Y-%m-%d)"
	assert_ok "the broker, ten years on, takes the new root's device" connect ca-new +3651d
	connect ca-old +3651d
	assert_eq "... and no longer the old root's" "$([ "$rc" -ne 0 ] && echo refused)" refused
else
	skip "the first root's expiry under libfaketime" "libfaketime not installed"
fi

done_testing
