#!/bin/sh
# SPDX-License-Identifier: MIT
# Attacks on the hub's identity with nothing but an ordinary device
# certificate: in EnOS one CA issues the hub's certificates and the devices',
# and a device chooses its own CN.  A device certificate with CN = the hub's
# host name, served by a real TLS server as the portal (openssl s_server), as
# the API, and by a real mosquitto as the broker, must get nothing: no root or
# CRL installed, no command handed to --exec, no secret sent; exit 6 with the
# cause named.  Then the name rules (CN only, an IP as dNSName) and --hub-pin.
. "${0%/*}/../lib.sh"
setup
for t in jq openssl certtool mosquitto_pub; do
	command -v $t >/dev/null 2>&1 || skip_all "$t not installed"
done
mosq=$(command -v mosquitto 2>/dev/null || echo /usr/sbin/mosquitto)
[ -x "$mosq" ] || skip_all "mosquitto not installed"
hub_start
PK=$HUB_PRODUCT_KEY
ROGUE=localhost		# the hub's host name, resolved to 127.0.0.1
# The stand-in hub reserves its own certificate's CN "localhost" exactly; names
# compare without case, so the attacker asks for it in capitals.
ROGUE_CN=LOCALHOST

# The victim: a provisioned, activated gateway with the hub's CRL installed.
G=$T/g
edge_with_csr "$G" SN-V1 &&
edge-provision -q -d "$G" $HUBOPTS --product-key "$PK" --serial SN-V1 --portal "$HUB_PORTAL" --mqtt "$HUB_MQTT" >/dev/null &&
edge-activate -q -d "$G" $HUBOPTS >/dev/null &&
edge-crl-update -q -d "$G" --hub-ca "$HUB_CA" >/dev/null || echo "Bail out! cannot make the victim gateway"
# Each attack gets its own copy, so that one that succeeds (on code without
# the checks) does not decide the next.
cp -a "$G" "$T/g0"

# The attacker: an ordinary device whose CSR asks for CN = the hub's host
# name, through the normal flow.
A=$T/attacker
mkdir -p "$A"
edge-keygen -q -d "$A" >/dev/null &&
edge-csr -q -d "$A" --ca "$HUB_CA" --locality Shanghai --org-unit Edge --cn "$ROGUE_CN" >/dev/null &&
edge-provision -q -d "$A" $HUBOPTS --product-key "$PK" --serial SN-ATT >/dev/null &&
edge-activate -q -d "$A" $HUBOPTS >/dev/null || echo "Bail out! cannot make the attacker's device"
openssl x509 -in "$A/cert.pem" -noout -subject -ext extendedKeyUsage,subjectAltName > "$T/att.txt" 2>&1
assert_grep "the attacker's certificate has CN=$ROGUE_CN (openssl)" "CN *= *$ROGUE_CN" "$T/att.txt"
openssl verify -CAfile "$HUB_CA" "$A/cert.pem" > "$T/v" 2>&1
assert_grep "... and chains to the hub's root (openssl verify)" "OK" "$T/v"
RKEY=$A/key.pem RCERT=$A/cert.pem

# rogue_www CERT KEY: openssl s_server -WWW on a free port, serving $T/www.
rogue_www() {
	WPORT=$(free_port)
	(cd "$T/www" && exec openssl s_server -quiet -WWW -accept "$WPORT" -cert "$1" -key "$2" \
	    < /dev/null > "$T/www.log" 2>&1) &
	WPID=$!
	on_exit "kill $WPID"
	wait_for_port "$WPORT" 10
}

# ---- (a) the device certificate as the portal ------------------------------
# A rogue root CA and a CRL from it with a huge number, at the paths fetched.
mkdir -p "$T/www/enos/CA"
certtool --generate-privkey --outfile "$T/rogue-ca.key" 2>/dev/null
printf 'cn = EnOS Root\nc = CN\nst = Shanghai\no = EnOS\nca\ncert_signing_key\ncrl_signing_key\nexpiration_days = 3650\n' > "$T/rca.tmpl"
certtool --generate-self-signed --load-privkey "$T/rogue-ca.key" --template "$T/rca.tmpl" --outfile "$T/www/enos/CA/cacert" 2>/dev/null
printf 'crl_next_update = 30\ncrl_number = 999999999\n' > "$T/rcrl.tmpl"
certtool --generate-crl --load-ca-privkey "$T/rogue-ca.key" --load-ca-certificate "$T/www/enos/CA/cacert" \
    --template "$T/rcrl.tmpl" --outfile "$T/www/enos/CA/crl" 2>/dev/null
rogue_www "$RCERT" "$RKEY"
GA=$T/ga; cp -a "$T/g0" "$GA"
ca0=$(digest "$GA/ca.pem") crl0=$(digest "$GA/crl.pem")
assert_fails 6 "portal: a device certificate does not pass for the portal (--ca)" \
    edge-crl-update -d "$GA" --ca --portal "https://$ROGUE:$WPORT" --hub-ca "$HUB_CA"
assert_grep "... the cause is named: no serverAuth" "hub certificate has no serverAuth usage" "$T/err"
assert_one_error_line edge-crl-update
assert_fails 6 "portal: ... nor for the CRL" edge-crl-update -d "$GA" --portal "https://$ROGUE:$WPORT" --hub-ca "$HUB_CA"
assert_grep "... the cause is named" "hub certificate has no serverAuth usage" "$T/err"
assert_eq "portal: ca.pem byte-identical" "$(digest "$GA/ca.pem")" "$ca0"
assert_eq "portal: crl.pem byte-identical" "$(digest "$GA/crl.pem")" "$crl0"
assert_not_grep "portal: the rogue server served nothing" "GET /enos" "$T/www.log"
kill "$WPID" 2>/dev/null; wait "$WPID" 2>/dev/null

# ---- (b) the device certificate as the broker ------------------------------
BPORT=$(free_port)
mkdir -p "$T/broker"
cat > "$T/broker/mosquitto.conf" <<EOF
user root
listener $BPORT 127.0.0.1
cafile $HUB_CA
certfile $RCERT
keyfile $RKEY
require_certificate false
allow_anonymous true
persistence false
log_dest file $T/broker/log
log_type all
EOF
"$mosq" -c "$T/broker/mosquitto.conf" > /dev/null 2>&1 &
BPID=$!
on_exit "kill $BPID"
wait_for_port "$BPORT" 10
# A retained command: delivered the moment the gateway subscribes.
mosquitto_pub -h 127.0.0.1 -p "$BPORT" --cafile "$HUB_CA" --insecure -q 1 -r \
    -t "/sys/$PK/SN-V1/thing/service/measurepoint/set" \
    -m '{"id":"66","version":"1.0","method":"thing.service.measurepoint.set","params":{"x":1}}'
printf '#!/bin/sh\ntouch "%s"\ncat >/dev/null\necho "{}"\n' "$T/pwned" > "$T/handler"
chmod +x "$T/handler"
assert_fails 6 "broker: a device certificate does not pass for the broker" timeout $(slow 30) \
    edge-connect -d "$G" --mqtt "mqtts://$ROGUE:$BPORT" --exec "$T/handler" -C 1 -W 15 --reconnect-max 1 < /dev/null
assert_grep "... the cause is named: no serverAuth" "hub certificate has no serverAuth usage" "$T/err"
[ ! -e "$T/pwned" ] && ok "broker: nothing handed to --exec" || not_ok "broker: nothing handed to --exec"
assert_not_grep "broker: the gateway never logged in" "New client connected.*SN-V1" "$T/broker/log"

# Dynamic activation to the rogue broker: the product secret's HMAC stays home.
D=$T/dyn; mkdir -p "$D"
edge-keygen -q -d "$D" >/dev/null
assert_fails 6 "activation broker: a device certificate does not pass for it" edge-provision -d "$D" --via mqtt \
    --product-key "$PK" --product-secret "file:$HUB_PRODUCT_SECRET_FILE" \
    --activation-url "mqtts://$ROGUE:$BPORT" --hub-ca "$HUB_CA" --serial SN-DYNX --timeout 10
assert_grep "... the cause is named" "hub certificate has no serverAuth usage" "$T/err"
assert_not_grep "activation broker: no login reached it" "New client connected.*SN-DYNX" "$T/broker/log"
kill "$BPID" 2>/dev/null; wait "$BPID" 2>/dev/null

# ---- (c) the device certificate as the API ---------------------------------
# A real TLS server that prints whatever it receives.
api_rogue() {
	APORT=$(free_port)
	sleep 30 | openssl s_server -accept "$APORT" -cert "$RCERT" -key "$RKEY" -naccept 4 \
	    > "$T/api.log" 2>&1 &
	APID=$!
	on_exit "kill $APID"
	wait_for_port "$APORT" 10
}
api_rogue
P=$T/p; edge_with_csr "$P" SN-P1
assert_fails 6 "API: edge-provision does not talk to a device certificate" edge-provision -d "$P" \
    --api "https://$ROGUE:$APORT" --hub-ca "$HUB_CA" --credentials "$HUB_CREDENTIALS" --retries 0 \
    --product-key "$PK" --serial SN-P1
assert_grep "... the cause is named" "hub certificate has no serverAuth usage" "$T/err"
sleep 1
assert_not_grep "API: no request reached the rogue server" "POST\|GET \|apim\|HTTP/1" "$T/api.log"
assert_not_grep "... no access key" "$HUB_ACCESS_KEY" "$T/api.log"
assert_not_grep "... no token signature" "encryption" "$T/api.log"
kill "$APID" 2>/dev/null; wait "$APID" 2>/dev/null
P2=$T/p2; edge_with_csr "$P2" SN-P2 &&
edge-provision -q -d "$P2" $HUBOPTS --product-key "$PK" --serial SN-P2 >/dev/null || not_ok "provisioned SN-P2"
api_rogue
assert_fails 6 "API: edge-activate does not talk to a device certificate" edge-activate -d "$P2" \
    --api "https://$ROGUE:$APORT" --hub-ca "$HUB_CA" --credentials "$HUB_CREDENTIALS" --retries 0
assert_grep "... the cause is named" "hub certificate has no serverAuth usage" "$T/err"
sleep 1
assert_not_grep "API: nothing reached the rogue server (edge-activate)" "POST\|GET \|apim\|HTTP/1" "$T/api.log"
assert_not_grep "... no access key" "$HUB_ACCESS_KEY" "$T/api.log"
kill "$APID" 2>/dev/null; wait "$APID" 2>/dev/null

# ---- (d) the name rules, on certificates that do carry serverAuth ----------
# An operator's own CA, so that serverAuth certificates can be made.
certtool --generate-privkey --outfile "$T/op.key" 2>/dev/null
printf 'cn = Operator CA\nca\ncert_signing_key\ncrl_signing_key\nexpiration_days = 30\n' > "$T/op.tmpl"
certtool --generate-self-signed --load-privkey "$T/op.key" --template "$T/op.tmpl" --outfile "$T/op.pem" 2>/dev/null
# server NAME TEMPLATE-LINES: a serverAuth certificate from the operator CA.
server() {
	certtool --generate-privkey --outfile "$T/$1.key" 2>/dev/null
	printf '%s\ntls_www_server\nsigning_key\nencryption_key\nexpiration_days = 10\n' "$2" > "$T/$1.tmpl"
	certtool --generate-certificate --load-privkey "$T/$1.key" --load-ca-privkey "$T/op.key" \
	    --load-ca-certificate "$T/op.pem" --template "$T/$1.tmpl" --outfile "$T/$1.pem" 2>/dev/null
}
server cnonly 'cn = localhost'
server ipdns "$(printf 'cn = hub\ndns_name = 127.0.0.1')"
server good "$(printf 'cn = hub\ndns_name = localhost\nip_address = 127.0.0.1')"
openssl x509 -in "$T/cnonly.pem" -noout -ext extendedKeyUsage > "$T/x" 2>&1
assert_grep "the CN-only certificate carries serverAuth (openssl)" "TLS Web Server Authentication" "$T/x"
O=$T/o; cp -a "$T/g0" "$O"
# The broker checks the CRL of every issuer: give the operator CA one.
printf 'crl_next_update = 30\ncrl_number = 1\n' > "$T/opcrl.tmpl"
certtool --generate-crl --load-ca-privkey "$T/op.key" --load-ca-certificate "$T/op.pem" \
    --template "$T/opcrl.tmpl" 2>/dev/null | openssl crl >> "$O/crl.pem"

rm -rf "$T/www"; mkdir -p "$T/www/enos/CA"; cp "$HUB_CRL" "$T/www/enos/CA/crl"
rogue_www "$T/cnonly.pem" "$T/cnonly.key"
assert_fails 6 "portal: a name only in the CN is refused" edge-crl-update -d "$O" --portal "https://localhost:$WPORT" --hub-ca "$T/op.pem"
assert_grep "... says CN only" "hub certificate names localhost only in its CN, not in a subjectAltName" "$T/err"
kill "$WPID" 2>/dev/null; wait "$WPID" 2>/dev/null
rogue_www "$T/ipdns.pem" "$T/ipdns.key"
# (GnuTLS itself already refuses this one; the broker below gets our message.)
assert_fails 6 "portal: an IP literal only as a dNSName is refused" edge-crl-update -d "$O" --portal "https://127.0.0.1:$WPORT" --hub-ca "$T/op.pem"
# libcurl's own words: "target host name" (7.88, Debian 12), "target hostname" (8.14, Debian 13).
assert_grep "... says it does not name the address" "does not name 127.0.0.1\\|does not match target host \\?name '127.0.0.1'" "$T/err"
kill "$WPID" 2>/dev/null; wait "$WPID" 2>/dev/null
rogue_www "$T/good.pem" "$T/good.key"
assert_ok "portal: serverAuth and the name in a SAN pass (localhost)" edge-crl-update -d "$O" --portal "https://localhost:$WPORT" --hub-ca "$T/op.pem"
assert_ok "portal: ... and the address in an iPAddress SAN (127.0.0.1)" edge-crl-update -d "$O" --portal "https://127.0.0.1:$WPORT" --hub-ca "$T/op.pem"
kill "$WPID" 2>/dev/null; wait "$WPID" 2>/dev/null

# The same rules at the broker (edge-connect verifies with --ca).
broker() {
	BPORT=$(free_port)
	cat > "$T/broker/$1.conf" <<EOF
user root
listener $BPORT 127.0.0.1
cafile $T/op.pem
certfile $T/$1.pem
keyfile $T/$1.key
allow_anonymous true
persistence false
EOF
	"$mosq" -c "$T/broker/$1.conf" > /dev/null 2>&1 &
	BPID=$!
	on_exit "kill $BPID"
	wait_for_port "$BPORT" 10
}
broker cnonly
assert_fails 6 "broker: a name only in the CN is refused" timeout $(slow 30) edge-connect -d "$O" --ca "$T/op.pem" \
    --mqtt "mqtts://localhost:$BPORT" --exit-on-eof --reconnect-max 1 < /dev/null
assert_grep "... says CN only" "hub certificate names localhost only in its CN, not in a subjectAltName" "$T/err"
kill "$BPID" 2>/dev/null; wait "$BPID" 2>/dev/null
broker ipdns
assert_fails 6 "broker: an IP literal only as a dNSName is refused" timeout $(slow 30) edge-connect -d "$O" --ca "$T/op.pem" \
    --mqtt "mqtts://127.0.0.1:$BPORT" --exit-on-eof --reconnect-max 1 < /dev/null
assert_grep "... says it does not name the address" "hub certificate does not name 127.0.0.1" "$T/err"
kill "$BPID" 2>/dev/null; wait "$BPID" 2>/dev/null

# ---- (e) the chain above the hub's certificate, and its keyUsage -------------
# A sub-CA that its issuer restricted to client certificates (extendedKeyUsage
# clientAuth only) issues a serverAuth certificate for the hub's name.  OpenSSL
# refuses the chain for a TLS server ("unsuitable certificate purpose"); GnuTLS
# checks no EKU above the leaf, so the HTTPS path must apply the rule itself.
# ca NAME ISSUER TEMPLATE-LINES: a CA certificate signed by ISSUER.
ca() {
	certtool --generate-privkey --outfile "$T/$1.key" 2>/dev/null
	printf '%s\nca\ncert_signing_key\ncrl_signing_key\nexpiration_days = 20\n' "$3" > "$T/$1.tmpl"
	certtool --generate-certificate --load-privkey "$T/$1.key" --load-ca-privkey "$T/$2.key" \
	    --load-ca-certificate "$T/$2.pem" --template "$T/$1.tmpl" --outfile "$T/$1.pem" 2>/dev/null
}
# leaf NAME ISSUER TEMPLATE-LINES: a certificate for localhost/127.0.0.1 signed by ISSUER.
leaf() {
	certtool --generate-privkey --outfile "$T/$1.key" 2>/dev/null
	printf 'cn = hub\ndns_name = localhost\nip_address = 127.0.0.1\n%s\nexpiration_days = 10\n' "$3" > "$T/$1.tmpl"
	certtool --generate-certificate --load-privkey "$T/$1.key" --load-ca-privkey "$T/$2.key" \
	    --load-ca-certificate "$T/$2.pem" --template "$T/$1.tmpl" --outfile "$T/$1.pem" 2>/dev/null
}
ca subcli op 'cn = Device Sub-CA
tls_www_client'
leaf viacli subcli "$(printf 'tls_www_server\nsigning_key\nencryption_key')"
cat "$T/viacli.pem" "$T/subcli.pem" > "$T/viacli-chain.pem"
ca subsrv op "$(printf 'cn = Hub Sub-CA\ntls_www_server\ntls_www_client')"
leaf viasrv subsrv "$(printf 'tls_www_server\nsigning_key\nencryption_key')"
cat "$T/viasrv.pem" "$T/subsrv.pem" > "$T/viasrv-chain.pem"
# keyUsage cRLSign only: no key exchange or signature a TLS server could make
# (openssl: certtool drops cRLSign from a certificate that is not a CA).
printf '%s\n' "extendedKeyUsage=serverAuth" "keyUsage=critical,cRLSign" \
    "subjectAltName=DNS:localhost,IP:127.0.0.1" > "$T/kucrl.ext"
openssl req -new -newkey rsa:2048 -nodes -keyout "$T/kucrl.key" -subj /CN=hub -out "$T/kucrl.csr" 2>/dev/null
openssl x509 -req -in "$T/kucrl.csr" -CA "$T/op.pem" -CAkey "$T/op.key" -set_serial 77 -days 10 \
    -extfile "$T/kucrl.ext" -out "$T/kucrl.pem" 2>/dev/null
openssl verify -purpose sslserver -CAfile "$T/op.pem" -untrusted "$T/subcli.pem" "$T/viacli.pem" > "$T/v" 2>&1
assert_grep "the clientAuth-only sub-CA's chain is no TLS server's (openssl verify)" "unsuitable certificate purpose" "$T/v"
openssl verify -purpose sslserver -CAfile "$T/op.pem" -untrusted "$T/subsrv.pem" "$T/viasrv.pem" > "$T/v" 2>&1
assert_grep "... a serverAuth sub-CA's is (openssl verify)" "viasrv.pem: OK" "$T/v"
openssl verify -purpose sslserver -CAfile "$T/op.pem" "$T/kucrl.pem" > "$T/v" 2>&1
assert_grep "... nor is the cRLSign-only certificate (openssl verify)" "unsuitable certificate purpose" "$T/v"

# www_chain CHAIN KEY: rogue_www, sending the whole chain.
www_chain() {
	WPORT=$(free_port)
	(cd "$T/www" && exec openssl s_server -quiet -WWW -accept "$WPORT" -cert "$1" -cert_chain "$1" \
	    -key "$2" < /dev/null > "$T/www.log" 2>&1) &
	WPID=$!
	on_exit "kill $WPID"
	wait_for_port "$WPORT" 10
}

# The API: edge-activate sends nothing (no token request, no signature).
api_chain() {
	APORT=$(free_port)
	sleep 30 | openssl s_server -accept "$APORT" -cert "$1" -cert_chain "$1" -key "$2" -naccept 4 \
	    > "$T/api.log" 2>&1 &
	APID=$!
	on_exit "kill $APID"
	wait_for_port "$APORT" 10
}
api_chain "$T/viacli-chain.pem" "$T/viacli.key"
assert_fails 6 "API: a chain through a clientAuth-only sub-CA is refused (edge-activate)" edge-activate -d "$P2" \
    --api "https://localhost:$APORT" --hub-ca "$T/op.pem" --credentials "$HUB_CREDENTIALS" --retries 0
assert_grep "... naming the sub-CA" "hub certificate's issuer CN=Device Sub-CA: extendedKeyUsage without serverAuth" "$T/err"
assert_one_error_line edge-activate
sleep 1
assert_not_grep "... no request reached the server" "POST\|GET \|apim\|HTTP/1" "$T/api.log"
assert_not_grep "... no access key" "$HUB_ACCESS_KEY" "$T/api.log"
assert_not_grep "... no token signature" "encryption" "$T/api.log"
kill "$APID" 2>/dev/null; wait "$APID" 2>/dev/null
rm -rf "$T/www"; mkdir -p "$T/www/enos/CA"; cp "$HUB_CRL" "$T/www/enos/CA/crl"
www_chain "$T/viacli-chain.pem" "$T/viacli.key"
crl0=$(digest "$O/crl.pem")
assert_fails 6 "portal: the same chain is refused (edge-crl-update)" edge-crl-update -d "$O" \
    --portal "https://localhost:$WPORT" --hub-ca "$T/op.pem" --retries 0
assert_grep "... naming the sub-CA" "extendedKeyUsage without serverAuth" "$T/err"
assert_eq "... crl.pem byte-identical" "$(digest "$O/crl.pem")" "$crl0"
kill "$WPID" 2>/dev/null; wait "$WPID" 2>/dev/null
www_chain "$T/viasrv-chain.pem" "$T/viasrv.key"
assert_ok "portal: a chain through a sub-CA that lists serverAuth passes" edge-crl-update -d "$O" \
    --portal "https://localhost:$WPORT" --hub-ca "$T/op.pem" --retries 0
kill "$WPID" 2>/dev/null; wait "$WPID" 2>/dev/null

# The broker: OpenSSL refuses the chain too; the cause is ours, as over HTTPS.
cp "$T/viacli-chain.pem" "$T/viaclib.pem"; cp "$T/viacli.key" "$T/viaclib.key"
broker viaclib
assert_fails 6 "broker: a chain through a clientAuth-only sub-CA is refused" timeout $(slow 30) edge-connect -d "$O" \
    --ca "$T/op.pem" --mqtt "mqtts://localhost:$BPORT" --exit-on-eof --reconnect-max 1 < /dev/null
assert_grep "... with the same cause as over HTTPS" "hub certificate's issuer CN=Device Sub-CA: extendedKeyUsage without serverAuth" "$T/err"
kill "$BPID" 2>/dev/null; wait "$BPID" 2>/dev/null

# keyUsage cRLSign only: a trust failure (6), never retried as if temporary.
rogue_www "$T/kucrl.pem" "$T/kucrl.key"
assert_fails 6 "portal: a hub key whose keyUsage allows no TLS server is a trust failure" \
    edge-crl-update -d "$O" --portal "https://localhost:$WPORT" --hub-ca "$T/op.pem" --retries 3
assert_grep "... saying keyUsage" "hub certificate: keyUsage does not allow a TLS server" "$T/err"
assert_not_grep "... not retried" "gave up after" "$T/err"
kill "$WPID" 2>/dev/null; wait "$WPID" 2>/dev/null
api_chain "$T/kucrl.pem" "$T/kucrl.key"
assert_fails 6 "API: ... also for edge-activate" edge-activate -d "$P2" \
    --api "https://localhost:$APORT" --hub-ca "$T/op.pem" --credentials "$HUB_CREDENTIALS" --retries 3
assert_grep "... saying keyUsage" "hub certificate: keyUsage does not allow a TLS server" "$T/err"
assert_not_grep "... not retried" "gave up after" "$T/err"
kill "$APID" 2>/dev/null; wait "$APID" 2>/dev/null
broker kucrl
assert_fails 6 "broker: ... and at the broker" timeout $(slow 30) edge-connect -d "$O" --ca "$T/op.pem" \
    --mqtt "mqtts://localhost:$BPORT" --exit-on-eof --reconnect-max 1 < /dev/null
assert_grep "... with the same cause" "hub certificate: keyUsage does not allow a TLS server" "$T/err"
kill "$BPID" 2>/dev/null; wait "$BPID" 2>/dev/null

# ---- --hub-pin against the real stand-in hub ---------------------------------
pin_of() {	# host:port -> sha256//BASE64 of the served key, by openssl
	openssl s_client -connect "$1" -servername localhost < /dev/null 2>/dev/null |
	    openssl x509 -pubkey -noout | openssl pkey -pubin -outform DER |
	    openssl dgst -sha256 -binary | base64
}
APIPIN=sha256//$(pin_of "${HUB_PORTAL#https://}")
MQPIN=sha256//$(pin_of "${HUB_MQTT#mqtts://}")
WRONG=sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
crl0=$(digest "$G/crl.pem")
assert_fails 6 "curl: a pin mismatch is refused" edge-crl-update -d "$G" --hub-ca "$HUB_CA" --hub-pin "$WRONG"
assert_grep "... naming the pin and the key's actual pin" "hub key $APIPIN does not match --hub-pin $WRONG" "$T/err"
assert_eq "... crl.pem unchanged" "$(digest "$G/crl.pem")" "$crl0"
assert_ok "curl: the right pin (among others) passes" edge-crl-update -d "$G" --hub-ca "$HUB_CA" --hub-pin "$WRONG;$APIPIN"
printf 'hub-pin = %s\n' "$WRONG" >> "$G/edge.conf"
assert_fails 6 "curl: hub-pin in edge.conf is used" edge-crl-update -d "$G" --hub-ca "$HUB_CA"
assert_grep "... the same message" "does not match --hub-pin $WRONG" "$T/err"
assert_fails 6 "broker: a pin mismatch is refused" timeout $(slow 30) edge-connect -d "$G" --exit-on-eof --reconnect-max 1 < /dev/null
assert_grep "... naming the pin and the key's actual pin" "hub key $MQPIN does not match --hub-pin $WRONG" "$T/err"
assert_ok "broker: the right pin passes" timeout $(slow 30) edge-connect -d "$G" --hub-pin "$MQPIN" --exit-on-eof < /dev/null
assert_fails 2 "a malformed pin is a usage error" edge-crl-update -d "$G" --hub-pin "sha256//short"
assert_grep "... saying the form" "expected sha256//BASE64" "$T/err"
cp "$T/err" "$T/crl-update.err"
assert_fails 2 "edge-connect: the same usage error" edge-connect -d "$G" --hub-pin "sha256//short" --exit-on-eof < /dev/null
assert_eq "... with the same message" "$(head -1 "$T/err" | sed 's/^edge-connect/TOOL/')" "$(head -1 "$T/crl-update.err" | sed 's/^edge-crl-update/TOOL/')"

done_testing
