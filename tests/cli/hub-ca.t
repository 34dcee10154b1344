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
[ -x "$B/tests/crlgen" ] || skip_all "build/tests/crlgen not built (make check builds it)"
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
# connect DK [FAKETIME]: publish once as DK with its certificate, trusting
# $TRUST (default: ca.pem) for the broker's certificate.
connect() {
	_mts=$(${2:+at_time "$2"} date +%s%3N)
	_pw=$("$SIGN" mqtt sha256 "$1" "$1" "$HUB_PRODUCT_KEY" "$_mts" "$T/$1.secret")
	_run ${2:+at_time "$2"} mosquitto_pub -h 127.0.0.1 -p "${HUB_MQTT##*:}" --cafile "${TRUST:-$HUB_CA}" --cert "$T/$1.pem" \
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
cp "$HUB_CA" "$T/hub-trust.pem"	# what an edge provisioned before the rotation trusts
# The hub's own certificates' profile, to compare after their reissue.
exts() { openssl x509 -in "$1" -noout -subject -ext subjectAltName,extendedKeyUsage,keyUsage,basicConstraints; }
exts "$H/server.pem" >"$T/server1.ext"
exts "$H/cloud.pem" >"$T/cloud1.ext"
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

# During the overlap /enos/CA/crl serves both roots' CRLs (one name, two
# keys).  An edge holding one root alone (the new one: enrolled after the
# rotation) skips the other root's CRL (a key it does not trust) and
# installs its own root's.
ski() { openssl x509 -in "$1" -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' :' | tr A-F a-f; }
# lone DIR ROOT OTHER: an edge holding ROOT alone updates from the hub.
lone() {
	mkdir -p "$1"; chmod 700 "$1"; cp "$T/$2.pem" "$1/ca.pem"
	assert_ok "an edge holding $2 alone: edge-crl-update during the overlap (exit 0)" \
	    edge-crl-update -v --json --portal "$HUB_PORTAL" --hub-ca "$T/hub-trust.pem" -d "$1"
	assert_grep "... skips $3's CRL, naming its key id (-v)" \
	    "CRL of another root (AKI $(ski "$T/$3.pem")): skipped" "$T/err"
	assert_json "... counted in --json" "$T/out" .skipped 1
	assert_eq "... ca.pem still holds $2 alone" "$(grep -c 'BEGIN CERTIFICATE' "$1/ca.pem")" 1
	assert_eq "... its crl.pem holds one CRL" "$(grep -c 'BEGIN X509 CRL' "$1/crl.pem")" 1
	assert_ok "... $2's (openssl)" sh -c \
	    "openssl crl -in '$1/crl.pem' -CAfile '$T/$2.pem' -noout 2>&1 | grep -q 'verify OK'"
}
N="$T/edge-new"
lone "$N" root2 root1
assert_ok "... the new device's certificate is not revoked" edge-crl-update --check -d "$N" "$T/ca-new.pem"
assert_ok "... and the next update changes nothing" \
    edge-crl-update --json --portal "$HUB_PORTAL" --hub-ca "$T/hub-trust.pem" -d "$N"
assert_json "... (unchanged)" "$T/out" .changed false
# The first root alone: it keeps that root's CRL, and takes the new root
# only with --ca (its link certificate).
O="$T/edge-old"
lone "$O" root1 root2
assert_fails 8 "... which revokes the first root's revoked certificate" \
    edge-crl-update --check -d "$O" "$T/ca-rev.pem"
assert_ok "... edge-crl-update --ca then takes the new root through its link" \
    edge-crl-update --ca --portal "$HUB_PORTAL" --hub-ca "$T/hub-trust.pem" -d "$O"
assert_eq "... and both roots' CRLs" "$(grep -c 'BEGIN X509 CRL' "$O/crl.pem")" 2
# A CRL of the new root's name and key id that the new root did not sign.
cp "$HUB_DIR/ca-prev-key.pem" "$T/prev.key"
"$B/tests/crlgen" --ca "$T/root2.pem" --ca-key "$T/prev.key" --out "$T/forged.crl" --number 99999 ||
	echo "Bail out! crlgen forged.crl"
cat "$T/crl2" "$T/forged.crl" > "$T/rot-forged.pem"
keep=$(digest "$N/crl.pem")
assert_fails 6 "the new-root edge refuses a CRL with its root's name and key id that the root does not verify" \
    edge-crl-update -d "$N" --from "$T/rot-forged.pem"
assert_grep "... as forged" "rot-forged.pem: signature does not verify" "$T/err"
assert_eq "... crl.pem unchanged" "$(digest "$N/crl.pem")" "$keep"
assert_fails 6 "an input holding only the first root's CRL: refused by the new-root edge" \
    edge-crl-update -d "$N" --from "$T/crl2"
assert_grep "... saying whose CRL it holds" \
    "not signed by a trusted root CA: no CRL of a root in ca.pem (skipped 1 CRL of another root: AKI $(ski "$T/root1.pem"))" "$T/err"

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

# The hub's own certificates move to the new root with the rotation; the
# server's chain carries the link, for clients that know only the first root.
split_pem "$HUB_DIR/server.pem" "$T/srv"
assert_ok "server.pem is reissued under the new root" openssl verify -CAfile "$T/root2.pem" "$T/srv1"
assert_ok "... followed by the link certificate" cmp "$T/srv2" "$T/link.pem"
assert_eq "... and nothing else" "$(grep -c 'BEGIN CERTIFICATE' "$HUB_DIR/server.pem")" 2
exts "$T/srv1" >"$T/server2.ext"
assert_ok "... with the same subject, SANs, EKU (serverAuth) and key usage" cmp "$T/server1.ext" "$T/server2.ext"
assert_ok "cloud.pem is reissued under the new root" openssl verify -CAfile "$T/root2.pem" "$HUB_CLOUD_CERT"
exts "$HUB_CLOUD_CERT" >"$T/cloud2.ext"
assert_ok "... with the same subject and EKU (clientAuth)" cmp "$T/cloud1.ext" "$T/cloud2.ext"
assert_json "system_certs names the new cloud certificate" "$HUB_DIR/state.json" \
    '.system_certs[] | select(.role == "cloud") | .certSN' \
    "$(perl -e 'print hex($ARGV[0])' "$(openssl x509 -in "$HUB_CLOUD_CERT" -noout -serial | cut -d= -f2)")"
assert_ok "the cloud client logs in with it (mosquitto_pub)" mosquitto_pub -h 127.0.0.1 -p "${HUB_MQTT##*:}" \
    --cafile "$T/root2.pem" --cert "$HUB_CLOUD_CERT" --key "$HUB_CLOUD_KEY" -u "$HUB_CLOUD_USER" \
    -P "$(cat "$HUB_CLOUD_PASSWORD_FILE")" -q 1 -t "/sys/$HUB_PRODUCT_KEY/ca-new/thing/service/x" -m '{}'
openssl x509 -in "$T/link.pem" -noout -text >"$T/link.txt"
assert_not_grep "the link certificate has no extendedKeyUsage (a hub's CA may not restrict it)" \
    "Extended Key Usage" "$T/link.txt"
# s_client PORT ROOT [ARGS]: the TLS handshake verified against ROOT alone
# (at the fake time $AT when set).
s_client() {
	_p=$1 _r=$2; shift 2
	echo | ${AT:+at_time "$AT"} openssl s_client -connect "127.0.0.1:$_p" -verify_return_error -CAfile "$_r" "$@" >"$T/sc.out" 2>&1 &&
	    grep -q 'Verify return code: 0 (ok)' "$T/sc.out"
}
for r in root1 root2; do
	case $r in root1) w="the first root alone (leaf <- link <- first root)" ;;
	*) w="the new root alone (leaf <- new root)" ;; esac
	assert_ok "openssl s_client -verify_return_error, API, $w" s_client "${HUB_API##*:}" "$T/$r.pem"
	[ $r = root1 ] && assert_grep "... the chain goes through the link (depth 2)" "^depth=2 " "$T/sc.out"
	assert_ok "... MQTT" s_client "${HUB_MQTT##*:}" "$T/$r.pem" -cert "$T/ca-new.pem" -key "$T/ca-new.key"
	assert_ok "... MQTT activation listener" s_client "${HUB_MQTT_ACTIVATE##*:}" "$T/$r.pem"
	if command -v gnutls-cli >/dev/null 2>&1; then
		assert_ok "gnutls-cli --x509cafile $r: the API" sh -c "echo | gnutls-cli --x509cafile '$T/$r.pem' \
		    -p '${HUB_API##*:}' 127.0.0.1 2>&1 | grep -q 'The certificate is trusted'"
	fi
	assert_ok "curl --cacert $r: the API" curl -sSf --cacert "$T/$r.pem" -o /dev/null "$HUB_PORTAL/enos/CA/cacert"
	TRUST="$T/$r.pem"; assert_ok "mosquitto_pub --cafile $r: the device publishes" connect ca-new; TRUST=
done

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
	assert_grep "it reissues its server certificate at start (the first one ends with the first root)" \
	    "reissued the server certificate" "$HUB_DIR/hub.log"
	assert_eq "server.pem is the leaf alone now (no link)" "$(grep -c 'BEGIN CERTIFICATE' "$HUB_DIR/server.pem")" 1
	assert_ok "... under the new root" at_time +3651d openssl verify -CAfile "$T/root2.pem" "$HUB_DIR/server.pem"
	AT=+3651d
	assert_ok "openssl s_client -CAfile new root, ten years on: the API" \
	    s_client "${HUB_API##*:}" "$T/root2.pem"
	assert_ok "... MQTT" s_client "${HUB_MQTT##*:}" "$T/root2.pem" -cert "$T/ca-new.pem" -key "$T/ca-new.key"
	AT=
	assert_ok "/enos/CA/cacert serves the new root alone (curl --cacert new root)" sh -c \
	    ". '$TOP/tests/lib.sh'; at_time +3651d curl -sSf --cacert '$T/root2.pem' '$HUB_PORTAL/enos/CA/cacert' | cmp - '$T/root2.pem'"
	assert_eq "one CRL, the new root's" "$(grep -c 'BEGIN X509 CRL' "$HUB_CRL")" 1
	assert_eq "its thisUpdate is the hub's clock, ten years on" \
	    "$(date -u -d "$(openssl crl -in "$HUB_CRL" -noout -lastupdate | cut -d= -f2)" +%Y-%m-%d)" \
	    "$(date -u -d '+3651 days' +%Y-%m-%d)"
	TRUST="$T/root2.pem"
	assert_ok "the broker, ten years on, takes the new root's device" connect ca-new +3651d
	connect ca-old +3651d
	assert_eq "... and no longer the old root's" "$([ "$rc" -ne 0 ] && echo refused)" refused

	# A day-2 lifecycle: start at T, rotate at T+1y, run past the first
	# root's end with an edge that took the new root by edge-crl-update.
	"$HUBSH/stop.sh" "$H" >/dev/null 2>&1
	H2="$T/hub2" G="$T/gw"
	on_exit "'$HUBSH/stop.sh' '$H2'"
	mkdir -m 700 "$H2" && "$B/tests/hub/enos-hub" --dir "$H2" --init >/dev/null 2>&1
	sed -i 's/^max_valid_day = .*/max_valid_day = 7300/' "$H2/hub.conf"
	"$HUBSH/start.sh" "$H2" >"$T/env" && eval "$(cat "$T/env")"
	cp "$HUB_CA" "$T/h2root1.pem"
	gateway() {
		edge_with_csr "$G" SN-ROT &&
		edge-provision -q -d "$G" --api "$HUB_API" --hub-ca "$HUB_CA" --credentials "$HUB_CREDENTIALS" \
		    --product-key "$HUB_PRODUCT_KEY" --serial SN-ROT --mqtt "$HUB_MQTT" --portal "$HUB_PORTAL" >/dev/null &&
		edge-activate -q -d "$G" --api "$HUB_API" --hub-ca "$HUB_CA" --credentials "$HUB_CREDENTIALS" >/dev/null
	}
	assert_ok "T: an edge provisioned under the first root" gateway
	assert_ok "T+1y: rotate.sh under libfaketime" sh -c \
	    ". '$TOP/tests/lib.sh'; at_time +365d '$HUBSH/rotate.sh' '$H2' >'$T/env'"
	eval "$(cat "$T/env")"
	awk '/BEGIN/ { n++ } n == 1' "$HUB_CA" >"$T/h2root2.pem"
	assert_ok "T+1y: edge-connect with the first root alone (leaf <- link <- root)" \
	    at_time +365d timeout $(slow 20) edge-connect -d "$G" --exit-on-eof </dev/null
	assert_ok "T+1y: edge-crl-update --ca, the hub trusted by the first root alone" \
	    at_time +365d edge-crl-update --ca -d "$G" --portal "$HUB_PORTAL" --hub-ca "$T/h2root1.pem"
	assert_ok "T+1y: edge-activate --renew, a certificate under the new root" \
	    at_time +365d edge-activate -q --renew --valid-days 3600 -d "$G" --api "$HUB_API" --hub-ca "$G/ca.pem" --credentials "$HUB_CREDENTIALS"
	assert_ok "T+1y: edge-connect with the new root alone (leaf <- new root)" \
	    at_time +365d timeout $(slow 20) edge-connect -d "$G" --ca "$T/h2root2.pem" --exit-on-eof </dev/null
	"$HUBSH/stop.sh" "$H2" >/dev/null 2>&1
	assert_ok "T+10y+: the hub starts past the first root's end" sh -c \
	    ". '$TOP/tests/lib.sh'; at_time +3700d '$HUBSH/start.sh' '$H2' >'$T/env'"
	eval "$(cat "$T/env")"
	assert_ok "T+10y+: edge-crl-update (the edge's ca.pem)" \
	    at_time +3700d edge-crl-update -d "$G" --portal "$HUB_PORTAL" --hub-ca "$G/ca.pem"
	assert_ok "T+10y+: edge-connect" \
	    at_time +3700d timeout $(slow 20) edge-connect -d "$G" --exit-on-eof </dev/null
	assert_ok "T+10y+: curl --cacert the edge's ca.pem" \
	    at_time +3700d curl -sSf --cacert "$G/ca.pem" -o /dev/null "$HUB_PORTAL/enos/CA/cacert"
	assert_ok "T+10y+: an API call (edge-activate --renew-within)" \
	    at_time +3700d edge-activate -q --renew-within 400 -d "$G" --api "$HUB_API" --hub-ca "$G/ca.pem" --credentials "$HUB_CREDENTIALS"
	AT=+3700d
	assert_ok "T+10y+: openssl s_client -CAfile new root: MQTT" s_client "${HUB_MQTT##*:}" "$T/h2root2.pem" \
	    -cert "$G/cert.pem" -key "$G/key.pem"
	AT=
else
	skip "the first root's expiry under libfaketime" "libfaketime not installed"
fi

done_testing
