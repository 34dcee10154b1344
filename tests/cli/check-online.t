#!/bin/sh
# SPDX-License-Identifier: MIT
# edge-check --online: tls.broker, tls.api and clock.hub against the
# stand-in hub (version and cipher compared with openssl s_client), and
# against hostile servers made here with openssl s_server: TLS 1.1 only, a
# hub certificate without serverAuth, one for another host name, one about
# to expire; the broker's certificate revoked in crl.pem, no CRL of its
# issuer, a stale CRL (edge-connect's verdict on the same directory
# compared); the hub's clock moved with libfaketime; without --online each
# is skipped.
. "${0%/*}/../lib.sh"
setup
for t in jq certtool openssl perl python3; do
	command -v $t >/dev/null 2>&1 || skip_all "$t not installed"
done
hub_start
PK=$HUB_PRODUCT_KEY
MQTT_PORT=${HUB_MQTT##*:}
API_PORT=${HUB_API##*:}

G=$T/g1
{ edge_with_csr "$G" SN-ON1 &&
  edge-provision -q -d "$G" $HUBOPTS --product-key "$PK" --serial SN-ON1 --mqtt "$HUB_MQTT" >/dev/null &&
  edge-activate -q -d "$G" $HUBOPTS >/dev/null; } || echo "Bail out! cannot make a gateway"

# check ARGS...: edge-check --json (any exit status); $T/out holds the JSON.
check() { _run edge-check -d "$G" --json "$@"; }
# verdict ID: the verdict of check ID in $T/out; field ID KEY: one of its data.
verdict() { jq -r --arg id "$1" '.checks[] | select(.id == $id) | .verdict' "$T/out"; }
what() { jq -r --arg id "$1" '.checks[] | select(.id == $id) | .what' "$T/out"; }
field() { jq -r --arg id "$1" --arg k "$2" '.checks[] | select(.id == $id) | .data[$k]' "$T/out"; }
is() { assert_eq "$1" "$2" "$3"; }
# s_client_says HOST:PORT ARGS...: "PROTOCOL CIPHER" as openssl s_client
# negotiates them, the cipher by its standard (IANA) name.
s_client_says() {
	hp=$1; shift
	echo | openssl s_client -brief -connect "$hp" -CAfile "$HUB_CA" -verify_return_error "$@" \
	    >"$T/sc.out" 2>"$T/sc.err"
	# -brief: "Protocol version: TLSv1.3", "Ciphersuite: TLS_AES_256_GCM_SHA384"
	p=$(sed -n 's/^Protocol version: *//p' "$T/sc.err" | head -1)
	c=$(sed -n 's/^Ciphersuite: *//p' "$T/sc.err" | head -1)
	std=$(openssl ciphers -stdname ALL:@SECLEVEL=0 2>/dev/null | awk -v c="$c" '$3 == c { print $1; exit }')
	echo "$p ${std:-$c}"
}

# ---- without --online ---------------------------------------------------------
check
for id in tls.broker tls.api clock.hub; do
	is "$id: skipped without --online" "$(verdict $id)" skip
	is "... saying why" "$(what $id)" "needs --online"
done

# ---- the stand-in hub: all ok -------------------------------------------------
check --online --hub-ca "$HUB_CA"
is "tls.broker: ok against the hub's broker" "$(verdict tls.broker)" ok
is "tls.api: ok against the hub's API" "$(verdict tls.api)" ok
is "clock.hub: ok, the hub and this gateway share a clock" "$(verdict clock.hub)" ok
assert_json "clock.hub: skew_seconds within a minute" "$T/out" \
    '.checks[] | select(.id == "clock.hub") | (.data.skew_seconds | fabs) <= 60' true
want=$(s_client_says "127.0.0.1:$MQTT_PORT" -cert "$G/cert.pem" -key "$G/key.pem")
is "tls.broker: the version and cipher openssl s_client negotiates ($want)" \
    "$(field tls.broker tls_version) $(field tls.broker cipher)" "$want"
want=$(s_client_says "127.0.0.1:$API_PORT")
is "tls.api: the version and cipher openssl s_client negotiates ($want)" \
    "$(field tls.api tls_version) $(field tls.api cipher)" "$want"
na=$(openssl x509 -in "$HUB_DIR/server.pem" -noout -enddate | cut -d= -f2)
is "tls.broker: not_after is the hub certificate's" "$(field tls.broker not_after)" \
    "$(date -u -d "$na" +%Y-%m-%dT%H:%M:%SZ)"
# Counted now, a second or so after edge-check counted: within the second
# the hub's certificate was made, its whole day more.
dl=$(( ($(date -u -d "$na" +%s) - $(date +%s)) / 86400 ))
is "tls.broker: its days_left" "$(field tls.broker days_left | sed "s/^$((dl + 1))\$/$dl/")" "$dl"
is "tls.broker: the peer subject" "$(field tls.broker peer)" \
    "$(openssl x509 -in "$HUB_DIR/server.pem" -noout -subject -nameopt rfc2253 | sed 's/^subject=//')"
is "tls.api: trusted by --hub-ca" "$(field tls.api trust)" "$HUB_CA"
is "... the broker by ca.pem" "$(field tls.broker trust)" ca.pem

# The API without --hub-ca: the system store does not know the hub's CA.
check --online --api "$HUB_API"
is "tls.api without --hub-ca: fail (the system store)" "$(verdict tls.api)" fail
assert_grep "... saying it used the system store" "system trust store" "$T/out"
is "... and names the chain" "$(field tls.api failed)" chain
is "clock.hub: skipped, the API's Date is not trusted" "$(verdict clock.hub)" skip

# ---- hostile servers: certificates from the hub's CA --------------------------
# cert NAME TEMPLATE-LINES: a server certificate for NAME from the hub's CA.
cert() {
	n=$1; shift
	printf '%s\n' 'cn = "hostile"' 'serial = '"$(date +%s%N | cut -c1-15)" "$@" > "$T/$n.tmpl"
	certtool --generate-privkey --key-type rsa --bits 2048 --outfile "$T/$n.key" >/dev/null 2>&1 &&
	certtool --generate-certificate --load-privkey "$T/$n.key" --load-ca-privkey "$HUB_DIR/ca-key.pem" \
	    --load-ca-certificate "$HUB_CA" --template "$T/$n.tmpl" --outfile "$T/$n.pem" >/dev/null 2>&1
}
SRV_PID=
# serve NAME ARGS...: openssl s_server on a free 127.0.0.1 port ($SRV_PORT).
serve() {
	stop_pid "$SRV_PID"
	n=$1; shift
	SRV_PORT=$(free_port)
	openssl s_server -accept "127.0.0.1:$SRV_PORT" -cert "$T/$n.pem" -key "$T/$n.key" -www "$@" \
	    >"$T/srv.log" 2>&1 &
	SRV_PID=$!
	on_exit "kill $SRV_PID"
	wait_for_port "$SRV_PORT" 5 || diag "s_server $n did not start: $(cat "$T/srv.log")"
}
# at_server: both the broker and the API are the hostile server; at_broker:
# only the broker (s_server -www answers GET, not HEAD: the API check would
# wait its 30 s for an answer once the TLS check passed).
at_server() { check --online --hub-ca "$HUB_CA" --mqtt "mqtts://127.0.0.1:$SRV_PORT" --api "https://127.0.0.1:$SRV_PORT"; }
at_broker() { check --online --hub-ca "$HUB_CA" --mqtt "mqtts://127.0.0.1:$SRV_PORT"; }

good='tls_www_server
signing_key
encryption_key
expiration_days = 365'
cert tls11 "$good" 'ip_address = "127.0.0.1"' || echo "Bail out! certtool failed"

# TLS 1.1 only, with a chain and name that pass: the version is what fails.
serve tls11 -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0'
echo | openssl s_client -connect "127.0.0.1:$SRV_PORT" -CAfile "$HUB_CA" -tls1_2 >/dev/null 2>&1; rc=$?
is "openssl s_client -tls1_2 is refused by the TLS 1.1 server too" "$([ $rc -ne 0 ] && echo refused)" refused
is "... and s_client -tls1_1 gets TLS 1.1 with a chain that verifies" \
    "$(s_client_says "127.0.0.1:$SRV_PORT" -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' | cut -d' ' -f1)" TLSv1.1
at_server
is "tls.broker: TLS 1.1 only fails" "$(verdict tls.broker)" fail
is "... the version is what failed" "$(field tls.broker failed)" version
assert_grep "... saying TLS 1.1, below TLS 1.2" "broker 127.0.0.1:$SRV_PORT: TLSv1.1 negotiated: below TLS 1.2" "$T/out"
assert_not_grep "... and nothing else (the chain and the name pass)" "also " "$T/out"
is "... tls_version in data" "$(field tls.broker tls_version)" TLSv1.1
is "tls.api: TLS 1.1 only fails as well" "$(field tls.api failed)" version
is "clock.hub: not asked of a server that failed" "$(verdict clock.hub)" skip
assert_grep "... the fix: TLS 1.2 or 1.3" "offer TLS 1.2 or 1.3" "$T/out"

# The same certificate on a TLS 1.2 server: ok, and a TLS 1.2 suite's name
# as openssl names it by its standard name.
serve tls11 -tls1_2
at_broker
is "tls.broker: a TLS 1.2 server with a good certificate is ok" "$(verdict tls.broker)" ok
want=$(s_client_says "127.0.0.1:$SRV_PORT")
is "... the version and cipher openssl s_client negotiates ($want)" \
    "$(field tls.broker tls_version) $(field tls.broker cipher)" "$want"

# A hub certificate without serverAuth (a device's: clientAuth only).
cert noserver 'tls_www_client' 'signing_key' 'encryption_key' 'expiration_days = 365' 'ip_address = "127.0.0.1"'
serve noserver
echo | openssl s_client -connect "127.0.0.1:$SRV_PORT" -CAfile "$HUB_CA" -verify_return_error \
    -purpose sslserver >"$T/sc.out" 2>&1
assert_grep "openssl s_client -purpose sslserver refuses it too" "unsuitable certificate purpose" "$T/sc.out"
at_server
is "tls.broker: a hub certificate without serverAuth fails" "$(verdict tls.broker)" fail
is "... naming serverAuth" "$(field tls.broker failed)" serverAuth
assert_grep "... in what" "serverAuth: hub certificate has no serverAuth usage" "$T/out"
is "tls.api: the same" "$(field tls.api failed)" serverAuth

# The wrong host name: serverAuth, but only for hub.example.com.
cert wrongname "$good" 'dns_name = "hub.example.com"'
serve wrongname
echo | openssl s_client -connect "127.0.0.1:$SRV_PORT" -CAfile "$HUB_CA" -verify_return_error \
    -verify_ip 127.0.0.1 >"$T/sc.out" 2>&1
assert_grep "openssl s_client -verify_ip refuses it too" "IP address mismatch" "$T/sc.out"
at_server
is "tls.broker: a certificate for another name fails" "$(verdict tls.broker)" fail
is "... naming the name" "$(field tls.broker failed)" name
assert_grep "... in what" "hub certificate does not name 127.0.0.1" "$T/out"
is "tls.api: the same" "$(field tls.api failed)" name

# A chain to a CA the gateway does not trust.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/other.key" -out "$T/other.pem" -days 30 \
    -subj /CN=other -addext subjectAltName=IP:127.0.0.1 -addext extendedKeyUsage=serverAuth >/dev/null 2>&1
serve other
at_server
is "tls.broker: a certificate of another CA fails" "$(field tls.broker failed)" chain
assert_grep "... saying so" "chain: hub certificate: signed by an unknown CA" "$T/out"

# A hub certificate that expires in 10 days: warn, days_left 9 or 10.
cert soon "tls_www_server" 'signing_key' 'encryption_key' 'expiration_days = 10' 'ip_address = "127.0.0.1"'
serve soon
at_broker
is "tls.broker: a hub certificate expiring within 30 days warns" "$(verdict tls.broker)" warn
assert_json "... days_left below 30" "$T/out" '.checks[] | select(.id == "tls.broker") | .data.days_left < 30' true
assert_grep "... saying when" "expires in" "$T/out"
stop_pid "$SRV_PID"

# ---- the hub's clock moved (libfaketime) --------------------------------------
if have_faketime; then
	echo "+0" > "$T/clock"
	at_clock "$T/clock" "$TOP/tests/hub/start.sh" "$T/hub2" > "$T/hub2.env" 2>"$T/hub2.err" ||
	    echo "Bail out! cannot start a second hub: $(cat "$T/hub2.err")"
	on_exit "'$TOP/tests/hub/stop.sh' '$T/hub2'"
	API2=$(sed -n "s/^HUB_API='\(.*\)'$/\1/p" "$T/hub2.env")
	# skew_at SPEC: the hub's clock SPEC away, clock.hub's verdict and skew.
	skew_at() {
		echo "$1" > "$T/clock"
		check --online --hub-ca "$T/hub2/ca.pem" --api "$API2"
		echo "$(verdict clock.hub) $(field clock.hub skew_seconds)"
	}
	r=$(skew_at +0)
	is "clock.hub: the hub at the same time: ok" "${r% *}" ok
	r=$(skew_at +180)
	is "clock.hub: the hub 3 minutes ahead: warn" "${r% *}" warn
	assert_json "... skew_seconds about +180" "$T/out" \
	    '.checks[] | select(.id == "clock.hub") | .data.skew_seconds | (. >= 175 and . <= 185)' true
	assert_grep "... the system clock is behind" "system clock 1[78][0-9] s behind the hub's" "$T/out"
	r=$(skew_at -120)
	is "clock.hub: the hub 2 minutes behind: warn" "${r% *}" warn
	assert_grep "... the system clock is ahead" "s ahead of the hub's" "$T/out"
	r=$(skew_at +900)
	is "clock.hub: 15 minutes off: fail" "${r% *}" fail
	assert_grep "... with the fix" "synchronise the system clock" "$T/out"
	is "... tls.api still ok (the hub's certificate is valid either way)" "$(verdict tls.api)" ok
else
	skip "clock.hub against a moved hub clock" "libfaketime not installed (Debian package faketime)"
fi

# ---- a token key (SoftHSM2), presented through GnuTLS PKCS#11 ------------------
if command -v softhsm2-util >/dev/null 2>&1; then
	softhsm_setup edge 1234
	echo 1234 > "$T/pin"; chmod 600 "$T/pin"
	P=$T/tok; mkdir "$P"
	{ edge-keygen -q -d "$P" --pkcs11 'pkcs11:token=edge;object=edge-key' --pin "file:$T/pin" >/dev/null &&
	  edge-csr -q -d "$P" --pin "file:$T/pin" --ca "$HUB_CA" --locality L --org-unit U --cn SN-ONTOK >/dev/null &&
	  edge-provision -q -d "$P" $HUBOPTS --product-key "$PK" --serial SN-ONTOK --mqtt "$HUB_MQTT" >/dev/null &&
	  edge-activate -q -d "$P" $HUBOPTS --pin "file:$T/pin" >/dev/null; } || echo "Bail out! cannot make a token gateway"
	_run edge-check -d "$P" --json --online --hub-ca "$HUB_CA" --pin "file:$T/pin"
	is "token key: tls.broker ok, the broker took the token key" "$(verdict tls.broker)" ok
	_run edge-check -d "$P" --json --online --hub-ca "$HUB_CA"
	is "token key without --pin: tls.broker skipped" "$(verdict tls.broker)" skip
	assert_grep "... saying a PIN is needed" "no PIN was given" "$T/out"
	# The broker refuses a certificate it does not know (another CA's, with the gateway's key).
	cp -a "$G" "$T/g2"
	openssl req -new -x509 -key "$G/key.pem" -out "$T/g2/cert.pem" -days 30 -subj /CN=SN-ON1 >/dev/null 2>&1
	_run edge-check -d "$T/g2" --json --online --hub-ca "$HUB_CA"
	is "a certificate the broker does not take: tls.broker fails" "$(verdict tls.broker)" fail
	assert_grep "... the broker's alert named" "TLS alert" "$T/out"
else
	skip "tls.broker with a token key" "softhsm2-util not installed"
fi

# ---- the broker's certificate against crl.pem, as edge-connect judges it -----
# hub_crl NAME NUMBER DAYS [CERT]: a CRL of the hub's root, nextUpdate in
# DAYS days, listing CERT if given.
hub_crl() {
	printf 'crl_next_update = %s\ncrl_number = %s\n' "$3" "$2" > "$T/$1.tmpl"
	certtool --generate-crl --load-ca-privkey "$HUB_DIR/ca-key.pem" --load-ca-certificate "$HUB_CA" \
	    ${4:+--load-certificate "$4"} --template "$T/$1.tmpl" --outfile "$T/$1.crl" 2>/dev/null
}
# connect_says DIR ARGS...: edge-connect's exit status and its reason
# ("hub certificate: ..." from its error line) on the same state directory.
connect_says() {
	d=$1; shift
	_run timeout "$(slow 20)" edge-connect -d "$d" --exit-on-eof --reconnect-max 1 "$@" < /dev/null
	echo "$rc $(sed -n 's/.*\(hub certificate: [^(]*\).*/\1/p' "$T/err" | head -1 | sed 's/ *$//')"
}
R=$T/rv; cp -a "$G" "$R"
hub_crl revoked 5001 30 "$HUB_DIR/server.pem"
cp "$T/revoked.crl" "$R/crl.pem"
openssl verify -crl_check -CAfile "$HUB_CA" -CRLfile "$R/crl.pem" "$HUB_DIR/server.pem" >"$T/ov.out" 2>&1
assert_grep "openssl verify -crl_check: the broker's certificate is revoked in that CRL" "certificate revoked" "$T/ov.out"
ec=$(connect_says "$R")
is "edge-connect refuses the broker (exit 6), revoked" "$ec" "6 hub certificate: revoked"
_run edge-check -d "$R" --json --online --hub-ca "$HUB_CA"
is "tls.broker: the broker's certificate listed in crl.pem fails" "$(verdict tls.broker)" fail
is "... failed: revoked" "$(field tls.broker failed)" revoked
assert_grep "... the reason edge-connect gives" "revoked: hub certificate: revoked (listed in crl.pem)" "$T/out"
is "... edge-check exits 9" "$rc" 9
is "tls.api: ok, crl.pem is for the broker only (as edge-connect; the HTTPS path has no CRL)" "$(verdict tls.api)" ok

# A CRL of the hub's root that does not list it: both connect.
hub_crl good 5002 30
cp "$T/good.crl" "$R/crl.pem"
ec=$(connect_says "$R")
is "a CRL not listing the broker: edge-connect connects" "${ec%% *}" 0
_run edge-check -d "$R" --json --online --hub-ca "$HUB_CA"
is "... tls.broker ok" "$(verdict tls.broker)" ok
is "... crl checked" "$(field tls.broker crl)" checked

# crl.pem with only another root's CRL: no CRL of the broker's issuer.
certtool --generate-privkey --outfile "$T/oca.key" >/dev/null 2>&1
printf 'cn = Other CA\nca\ncert_signing_key\ncrl_signing_key\nexpiration_days = 30\n' > "$T/oca.tmpl"
certtool --generate-self-signed --load-privkey "$T/oca.key" --template "$T/oca.tmpl" --outfile "$T/oca.pem" >/dev/null 2>&1
printf 'crl_next_update = 30\ncrl_number = 1\n' > "$T/ocrl.tmpl"
certtool --generate-crl --load-ca-privkey "$T/oca.key" --load-ca-certificate "$T/oca.pem" \
    --template "$T/ocrl.tmpl" --outfile "$R/crl.pem" 2>/dev/null
openssl verify -crl_check -CAfile "$HUB_CA" -CRLfile "$R/crl.pem" "$HUB_DIR/server.pem" >"$T/ov.out" 2>&1
assert_grep "openssl verify -crl_check: unable to get its CRL" "unable to get certificate CRL" "$T/ov.out"
ec=$(connect_says "$R")
is "edge-connect refuses the broker (exit 6): no CRL of its issuer" "$ec" "6 hub certificate: crl.pem holds no CRL of its issuer"
_run edge-check -d "$R" --json --online --hub-ca "$HUB_CA"
is "tls.broker: no CRL of the broker's issuer fails" "$(verdict tls.broker)" fail
is "... failed: crl" "$(field tls.broker failed)" crl
assert_grep "... the reason edge-connect gives" "crl: hub certificate: crl.pem holds no CRL of its issuer" "$T/out"

# A CRL a day old at +36 h: stale within the default grace (both warn and
# go on), refused by both with --crl-grace 0.
if have_faketime; then
	hub_crl day 5003 1
	cp "$T/day.crl" "$R/crl.pem"
	_run at_time +36h timeout "$(slow 20)" edge-connect -d "$R" --exit-on-eof < /dev/null
	is "a stale CRL within the grace: edge-connect connects" "$rc" 0
	assert_grep "... warning it is stale" "crl.pem is stale" "$T/err"
	_run at_time +36h edge-check -d "$R" --json --online --hub-ca "$HUB_CA"
	is "... tls.broker warns" "$(verdict tls.broker)" warn
	is "... crl stale" "$(field tls.broker crl)" stale
	_run at_time +36h timeout "$(slow 20)" edge-connect -d "$R" --crl-grace 0 --exit-on-eof --reconnect-max 1 < /dev/null
	is "--crl-grace 0: edge-connect refuses (exit 6)" "$rc" 6
	assert_grep "... crl.pem is stale" "hub certificate: crl.pem is stale" "$T/err"
	_run at_time +36h edge-check -d "$R" --json --online --hub-ca "$HUB_CA" --crl-grace 0
	is "--crl-grace 0: tls.broker fails" "$(verdict tls.broker)" fail
	is "... failed: crl" "$(field tls.broker failed)" crl
	assert_grep "... the reason edge-connect gives" "crl: hub certificate: crl.pem is stale" "$T/out"
else
	skip "tls.broker with a stale crl.pem" "libfaketime not installed (Debian package faketime)"
fi

# ---- edge-connect's trust options, as edge-connect judges them -------------
# DIR/edge.conf feeds edge-check the same options as edge-connect; each
# verdict compared with edge-connect's on the same directory.
C=$T/conf; cp -a "$G" "$C"; rm -f "$C/crl.pem"
# connect_err DIR ARGS...: edge-connect's exit status; $T/err its words.
connect_err() {
	d=$1; shift
	_run timeout "$(slow 20)" edge-connect -d "$d" --exit-on-eof --reconnect-max 1 "$@" < /dev/null
	echo "$rc"
}
printf 'server-name = otherhub.example\n' > "$C/edge.conf"
is "server-name = otherhub.example: edge-connect refuses (exit 6)" "$(connect_err "$C")" 6
assert_grep "... the broker does not name it" "does not name otherhub.example" "$T/err"
_run edge-check -d "$C" --json --online --hub-ca "$HUB_CA"
is "... tls.broker fails" "$(verdict tls.broker)" fail
is "... failed: name" "$(field tls.broker failed)" name
assert_grep "... with edge-connect's reason" "hub certificate does not name otherhub.example" "$T/out"

other_pin="sha256//$(head -c 32 /dev/zero | base64)"
printf 'hub-pin = %s\n' "$other_pin" > "$C/edge.conf"
is "hub-pin of another key: edge-connect refuses (exit 6)" "$(connect_err "$C")" 6
assert_grep "... the key does not match" "does not match --hub-pin" "$T/err"
_run edge-check -d "$C" --json --online --hub-ca "$HUB_CA"
is "... tls.broker fails" "$(verdict tls.broker)" fail
is "... failed: pin" "$(field tls.broker failed)" pin
assert_grep "... with edge-connect's reason" "does not match --hub-pin" "$T/out"
good_pin="sha256//$(openssl x509 -in "$HUB_DIR/server.pem" -pubkey -noout | openssl pkey -pubin -outform DER |
    openssl dgst -sha256 -binary | base64)"
printf 'hub-pin = %s\n' "$good_pin" > "$C/edge.conf"
is "the broker's own hub-pin: edge-connect connects" "$(connect_err "$C")" 0
_run edge-check -d "$C" --json --online --hub-ca "$HUB_CA"
is "... tls.broker ok" "$(verdict tls.broker)" ok
_run env EDGE_HUB_PIN="$other_pin" edge-check -d "$C" --json --online --hub-ca "$HUB_CA"
is "EDGE_HUB_PIN over edge.conf, as for edge-connect: fails" "$(field tls.broker failed)" pin
printf 'hub-pin = sha256//short\n' > "$C/edge.conf"
is "a malformed hub-pin: edge-connect does not start (exit 2)" "$(connect_err "$C")" 2
_run edge-check -d "$C" --json --online --hub-ca "$HUB_CA"
is "... tls.broker fails (edge-check still runs every check)" "$(verdict tls.broker)" fail
is "... exit 9" "$rc" 9

printf 'no-verify-hostname = yes\nserver-name = otherhub.example\n' > "$C/edge.conf"
is "no-verify-hostname: edge-connect connects" "$(connect_err "$C")" 0
assert_grep "... warning the name is not checked" "hub's name is NOT checked" "$T/err"
_run edge-check -d "$C" --json --online --hub-ca "$HUB_CA"
is "... tls.broker warns, never ok" "$(verdict tls.broker)" warn
assert_grep "... naming no-verify-hostname" "trust is weakened: no-verify-hostname" "$T/out"

# ca: the hub's root with another CA (a public store in the field).
cat "$T/oca.pem" "$HUB_CA" > "$T/wide.pem"
printf 'ca = %s\n' "$T/wide.pem" > "$C/edge.conf"
is "ca = a bundle wider than ca.pem: edge-connect connects" "$(connect_err "$C")" 0
_run edge-check -d "$C" --json --online --hub-ca "$HUB_CA"
is "... tls.broker warns" "$(verdict tls.broker)" warn
assert_grep "... naming the bundle" "ca = $T/wide.pem holds 2 certificate(s), 1 not among the hub's roots" "$T/out"
is "... trust: the bundle" "$(field tls.broker trust)" "$T/wide.pem"
printf 'ca = %s\n' "$T/oca.pem" > "$C/edge.conf"
is "ca = another CA only: edge-connect refuses (exit 6)" "$(connect_err "$C")" 6
_run edge-check -d "$C" --json --online --hub-ca "$HUB_CA"
is "... tls.broker fails" "$(verdict tls.broker)" fail
is "... failed: chain" "$(field tls.broker failed)" chain
printf 'ca = %s\n' "$HUB_CA" > "$C/edge.conf"
_run edge-check -d "$C" --json --online --hub-ca "$HUB_CA"
is "ca = the hub's CA itself: tls.broker ok" "$(verdict tls.broker)" ok

# ---- the handshake policy of edge-connect's OpenSSL (security level 2) ------
cert weak1024 "$good" 'ip_address = "127.0.0.1"'
certtool --generate-privkey --key-type rsa --bits 1024 --outfile "$T/weak1024.key" >/dev/null 2>&1
certtool --generate-certificate --load-privkey "$T/weak1024.key" --load-ca-privkey "$HUB_DIR/ca-key.pem" \
    --load-ca-certificate "$HUB_CA" --template "$T/weak1024.tmpl" --outfile "$T/weak1024.pem" >/dev/null 2>&1
serve weak1024 -cipher 'DEFAULT:@SECLEVEL=0'
is "RSA-1024 broker: edge-connect refuses (exit 6)" \
    "$(connect_err "$G" --mqtt "mqtts://127.0.0.1:$SRV_PORT")" 6
assert_grep "... key too weak" "key too weak" "$T/err"
at_broker
is "... tls.broker fails" "$(verdict tls.broker)" fail
is "... failed: key" "$(field tls.broker failed)" key
assert_grep "... key too weak" "key: hub certificate: key too weak (RSA 1024 bits" "$T/out"

if openssl dhparam -out "$T/dh1024.pem" 1024 >/dev/null 2>&1; then
	serve tls11 -tls1_2 -cipher 'DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0' -dhparam "$T/dh1024.pem"
	# edge-connect takes it for a transient failure and retries: it never connects.
	# Its reason is its own OpenSSL's (the same on 3.0 and 3.5), not
	# libmosquitto's text: 2.0.21 (Debian 13) says "Protocol error" or
	# "A TLS error occurred" for this same refusal, by timing.
	connect_err "$G" --mqtt "mqtts://127.0.0.1:$SRV_PORT" --timeout 3 >/dev/null
	assert_grep "DH-1024 broker: edge-connect's handshake fails (it retries)" \
	    "TLS handshake with the hub refused here: dh key too small (TLS alert handshake failure sent)" "$T/err"
	assert_not_grep "... and never connects" "connected" "$T/err"
	at_broker
	is "... tls.broker fails" "$(verdict tls.broker)" fail
	is "... failed: dh" "$(field tls.broker failed)" dh
	assert_grep "... DH group too small" "DH group too small" "$T/out"
else
	skip "a DH-1024 broker" "openssl dhparam 1024 failed"
fi
stop_pid "$SRV_PID"

# ---- clock.hub: the Date header, strictly -------------------------------------
# dated RESPONSE-HEADERS: a TLS server (the tls11 certificate, TLS 1.2+) that
# answers one HEAD with those header lines.
cat > "$T/dated.py" <<'PY'
import socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True)
c, _ = s.accept()
t = ctx.wrap_socket(c, server_side=True)
buf = b""
while b"\r\n\r\n" not in buf:
    d = t.recv(4096)
    if not d:
        break
    buf += d
t.sendall(b"HTTP/1.1 200 OK\r\n" + sys.argv[3].encode().replace(b"|", b"\r\n") + b"\r\n\r\n")
t.close()
PY
dated() {
	stop_pid "$SRV_PID"
	rm -f "$T/dated.port"	# before: the child truncates it only once forked
	python3 "$T/dated.py" "$T/tls11.pem" "$T/tls11.key" "$1" > "$T/dated.port" 2>"$T/dated.err" &
	SRV_PID=$!
	on_exit "kill $SRV_PID"
	i=0; while [ ! -s "$T/dated.port" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
	[ -s "$T/dated.port" ] || diag "the Date server did not start: $(cat "$T/dated.err")"
	check --online --hub-ca "$HUB_CA" --api "https://127.0.0.1:$(cat "$T/dated.port")"
}
now=$(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S GMT')
dated "Date: $now"
is "one IMF-fixdate Date: clock.hub ok" "$(verdict clock.hub)" ok
dated "Date: $now|Date: Mon, 07 Dec 2020 00:00:00 GMT"
is "two Date headers: clock.hub skipped" "$(verdict clock.hub)" skip
assert_grep "... saying so" "carries 2 Date headers" "$T/out"
dated "Date: Mon, 07 Dec -2026 12:00:00 GMT"
is "a negative year: not a time" "$(verdict clock.hub)" skip
assert_grep "... an unparseable Date header" 'unparseable Date header \\"Mon, 07 Dec -2026' "$T/out"
dated "Date: tomorrow"
assert_grep "an unparseable Date is not 'no Date header'" "unparseable Date header" "$T/out"
assert_not_grep "... (not 'carries no Date header')" "carries no Date header" "$T/out"
stop_pid "$SRV_PID"

# ---- the exit status ----------------------------------------------------------
serve tls11 -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0'
_run edge-check -d "$G" --online --hub-ca "$HUB_CA" --mqtt "mqtts://127.0.0.1:$SRV_PORT"
is "a failing tls.broker makes edge-check exit 9" "$rc" 9
assert_grep "... shown in the table" "^fail  tls.broker" "$T/out"
stop_pid "$SRV_PID"

done_testing
