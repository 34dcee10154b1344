#!/bin/sh
# SPDX-License-Identifier: MIT
# Attacks on root CA updates and CRL rollback state (issue 15), with real
# parts: the stand-in hub's CA, openssl s_server -WWW as a portal, certtool
# for roots, link certificates and CRLs.
#  - a root offered over a TLS channel verified with the current root, but
#    not linked to it, is refused (exit 6, ca.pem unchanged);
#  - a new root with a link certificate signed by the current root is taken;
#  - --trust-new-root takes the fingerprint as the tools print it;
#  - a second root's CRL after a root change is not "older";
#  - a CRL number of 10^40 from another issuer locks nothing out.
. "$(dirname "$0")/../lib.sh"
setup
hub_start

A=$T/A
edge_with_csr "$A" SN-ROOTS &&
edge-provision -q -d "$A" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial SN-ROOTS --portal "$HUB_PORTAL" >/dev/null &&
edge-activate -q -d "$A" $HUBOPTS >/dev/null &&
edge-crl-update -q -d "$A" --hub-ca "$HUB_CA" >/dev/null &&
ok "edge activated, hub CRL installed" || not_ok "edge activated, hub CRL installed"
CAKEY=$HUB_DIR/ca-key.pem

# mkcert NAME TEMPLATE [ISSUER]: NAME.key, NAME.pem (self-signed without ISSUER)
mkcert() {
	certtool --generate-privkey --outfile "$T/$1.key" 2>/dev/null
	if [ -z "${3:-}" ]; then
		certtool --generate-self-signed --load-privkey "$T/$1.key" --template "$2" --outfile "$T/$1.pem" 2>/dev/null
	else
		certtool --generate-certificate --load-privkey "$T/$1.key" --load-ca-certificate "$3.pem" \
		    --load-ca-privkey "$3.key" --template "$2" --outfile "$T/$1.pem" 2>/dev/null
	fi
}
# mkcrl CA NUMBER(hex or decimal) OUT: a CRL of CA (CA.pem, CA.key), nextUpdate in a day
mkcrl() {
	printf 'crl_next_update = 1\ncrl_number = %s\n' "$2" > "$T/crl.tmpl"
	certtool --generate-crl --load-ca-privkey "$1.key" --load-ca-certificate "$1.pem" \
	    --template "$T/crl.tmpl" --outfile "$3" 2>/dev/null
}
# portal NAME SERVERCERT: openssl s_server -WWW serving $T/NAME/enos/CA/*; sets PORT
portal() {
	mkdir -p "$T/$1/enos/CA"
	PORT=$(free_port)
	(cd "$T/$1" && exec openssl s_server -WWW -quiet -accept "127.0.0.1:$PORT" \
	    -cert "$2.pem" -key "$2.key" >/dev/null 2>&1) &
	pid=$!
	on_exit "kill $pid"
	wait_for_port "$PORT" || diag "s_server on $PORT did not start"
}
fresh() { rm -rf "$1"; mkdir "$1"; cp "$A/ca.pem" "$A/crl.pem" "$A/cert.pem" "$1/"; }

printf 'cn = 127.0.0.1\nip_address = 127.0.0.1\ntls_www_server\nsigning_key\nencryption_key\nexpiration_days = 10\n' > "$T/srv.tmpl"
printf 'cn = Root\nca\ncert_signing_key\ncrl_signing_key\nexpiration_days = 3650\n' > "$T/root.tmpl"
cp "$HUB_CA" "$T/hub.pem"; cp "$CAKEY" "$T/hub.key"
mkcert rogue "$T/root.tmpl"                 # an attacker's root
mkcert hubsrv "$T/srv.tmpl" "$T/hub"        # a server certificate from the hub's own CA
mkcert web "$T/root.tmpl"                   # the portal's web PKI (given with --hub-ca)
mkcert websrv "$T/srv.tmpl" "$T/web"
printf 'cn = EnOS Root 2\no = EnOS\nc = CN\nca\ncert_signing_key\ncrl_signing_key\nexpiration_days = 3650\n' > "$T/new.tmpl"
mkcert new "$T/new.tmpl"                    # the hub's next root
# The link: the new root's name and key, issued by the current root.
certtool --generate-certificate --load-privkey "$T/new.key" --load-ca-certificate "$T/hub.pem" \
    --load-ca-privkey "$T/hub.key" --template "$T/new.tmpl" --outfile "$T/link.pem" 2>/dev/null
# A "link" issued by the attacker's root instead.
certtool --generate-certificate --load-privkey "$T/new.key" --load-ca-certificate "$T/rogue.pem" \
    --load-ca-privkey "$T/rogue.key" --template "$T/new.tmpl" --outfile "$T/badlink.pem" 2>/dev/null
mkcrl "$T/new" 1 "$T/new.crl"
mkcrl "$T/hub" 5000 "$T/hub5000.crl"
mkcrl "$T/rogue" 0x1d6329f1c35ca4bfabb9f5610000000000 "$T/rogue-high.crl"   # 10^40
openssl verify -CAfile "$T/hub.pem" "$T/link.pem" > "$T/v" 2>&1
assert_grep "openssl: the link certificate verifies with the current root" ": OK" "$T/v"

# ---- a root offered over a verified channel, not linked --------------------
portal www1 "$T/hubsrv"
P1=$PORT
cp "$T/rogue.pem" "$T/www1/enos/CA/cacert"
cp "$HUB_CRL" "$T/www1/enos/CA/crl"
E=$T/e1; fresh "$E"
keep=$(digest "$E/ca.pem")
assert_fails 6 "a root fetched over TLS verified with the current root, not linked: refused" \
    edge-crl-update -d "$E" --portal "https://127.0.0.1:$P1" --hub-ca "$HUB_CA" --ca
assert_grep "... says it has no link certificate" "no link certificate signed by a root in ca.pem" "$T/err"
assert_eq "... ca.pem unchanged" "$(digest "$E/ca.pem")" "$keep"
printed=$(grep -o 'sha256:[0-9a-f]\{64\}' "$T/err" | head -1)
want=$(openssl x509 -in "$T/rogue.pem" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d : | tr A-F a-f)
assert_eq "... the fingerprint printed is the root's (openssl)" "$printed" "sha256:$want"
cat "$T/rogue.pem" "$T/badlink.pem" > "$T/www1/enos/CA/cacert"
assert_fails 6 "a link certificate from another root is not a link" \
    edge-crl-update -d "$E" --portal "https://127.0.0.1:$P1" --hub-ca "$HUB_CA" --ca
assert_eq "... ca.pem unchanged" "$(digest "$E/ca.pem")" "$keep"
cp "$T/rogue.pem" "$T/www1/enos/CA/cacert"

# ---- --trust-new-root: the printed form, in several spellings ---------------
hex=${printed#sha256:}
HEX=$(echo "$hex" | tr a-f A-F)
colons=$(openssl x509 -in "$T/rogue.pem" -noout -fingerprint -sha256 | cut -d= -f2)
i=0
for fp in "$printed" "SHA256:$HEX" "$hex" "$colons" "sha256:$colons" "$(echo "$colons" | tr A-F a-f)"; do
	i=$((i + 1)); E=$T/fp$i; fresh "$E"
	assert_ok "--trust-new-root '$fp' is accepted" edge-crl-update -d "$E" \
	    --portal "https://127.0.0.1:$P1" --hub-ca "$HUB_CA" --ca --trust-new-root "$fp" --json
	assert_json "... the new root installed" "$T/out" .ca_changed true
done
E=$T/fpbad; fresh "$E"; keep=$(digest "$E/ca.pem")
for fp in "sha1:$hex" "${hex}00" "$(echo "$hex" | cut -c3-)" "sha256: $hex" "${colons}:" "$(echo "$colons" | tr -d : | sed 's/\(....\)/\1:/g; s/:$//')" "sha256:${hex}x"; do
	assert_fails 2 "--trust-new-root '$fp' is a usage error" edge-crl-update -d "$E" \
	    --portal "https://127.0.0.1:$P1" --hub-ca "$HUB_CA" --ca --trust-new-root "$fp"
done
wfp=$(openssl x509 -in "$T/web.pem" -noout -fingerprint -sha256 | cut -d= -f2)
assert_fails 6 "--trust-new-root with another root's fingerprint is refused" edge-crl-update -d "$E" \
    --portal "https://127.0.0.1:$P1" --hub-ca "$HUB_CA" --ca --trust-new-root "$wfp"
assert_eq "... ca.pem unchanged" "$(digest "$E/ca.pem")" "$keep"

# ---- a properly linked new root, then its CRL -------------------------------
portal www2 "$T/websrv"
P2=$PORT
cat "$T/new.pem" "$T/link.pem" > "$T/www2/enos/CA/cacert"
cp "$T/new.crl" "$T/www2/enos/CA/crl"
E=$T/e2; fresh "$E"
assert_ok "a CRL of the current root with number 5000" edge-crl-update -d "$E" --from "$T/hub5000.crl"
assert_ok "a new root with a link certificate signed by the current root is taken, with its CRL (number 1)" \
    edge-crl-update -d "$E" --portal "https://127.0.0.1:$P2" --hub-ca "$T/web.pem" --ca --json
assert_json "... root changed" "$T/out" .ca_changed true
assert_grep "... says so once it is installed" "installed the new root CA sha256:.* (link certificate signed by the current root) in ca.pem" "$T/err"
assert_json "... its CRL (number 1) installed, not 'older' than 5000" "$T/out" .crl_number 1
assert_eq "... ca.pem: the new root and the old" "$(grep -c 'BEGIN CERTIFICATE' "$E/ca.pem")" 2
assert_eq "... crl.pem: one CRL per root" "$(grep -c 'BEGIN X509 CRL' "$E/crl.pem")" 2
assert_fails 6 "the current root's rollback state is kept (an older hub CRL is refused)" \
    edge-crl-update -d "$E" --from "$HUB_CRL"
assert_grep "... says older" "older than the installed CRL of its issuer" "$T/err"
assert_ok "--check of the edge's certificate uses its own issuer's CRL" edge-crl-update -d "$E" --check --json
assert_json "... CRL number 5000" "$T/out" .crl_number 5000
# The same linked root, but the portal has no CRL: nothing is installed,
# and no "installing" is said.
portal www3 "$T/websrv"
cat "$T/new.pem" "$T/link.pem" > "$T/www3/enos/CA/cacert"
E=$T/e2b; fresh "$E"
keep=$(digest "$E/ca.pem")
_run edge-crl-update -d "$E" --portal "https://127.0.0.1:$PORT" --hub-ca "$T/web.pem" --ca --retries 0
[ "$rc" -ne 0 ] && ok "a linked root whose CRL cannot be fetched: fails (exit $rc)" || not_ok "a linked root whose CRL cannot be fetched: fails"
assert_not_grep "... and says nothing of installing a root" "new root CA" "$T/err"
assert_eq "... ca.pem unchanged" "$(digest "$E/ca.pem")" "$keep"
E=$T/e3; fresh "$E"
cat "$T/hub.pem" "$T/new.pem" > "$E/ca.pem"
edge-crl-update -q -d "$E" --from "$T/hub5000.crl" >/dev/null
assert_ok "after a root change, the second root's CRL (number 1 < 5000) is installed" \
    edge-crl-update -d "$E" --from "$T/new.crl" --json
assert_json "... changed" "$T/out" .changed true

# ---- a CRL number of 10^40 from another issuer locks nothing out -----------
E=$T/e4; fresh "$E"
cat "$T/hub.pem" "$T/rogue.pem" > "$E/ca.pem"
cp "$T/rogue-high.crl" "$E/crl.pem"
assert_ok "a stored 10^40 CRL of another root does not make the hub's CRL older" \
    edge-crl-update -d "$E" --from "$HUB_CRL" --json
assert_json "... installed" "$T/out" .changed true
E=$T/e5; fresh "$E"
cp "$T/rogue-high.crl" "$E/crl.pem"
assert_ok "a stored 10^40 CRL of an untrusted issuer does not make the hub's CRL older" \
    edge-crl-update -d "$E" --from "$HUB_CRL" --json
assert_eq "... and is dropped" "$(grep -c 'BEGIN X509 CRL' "$E/crl.pem")" 1
keep=$(digest "$E/crl.pem")
assert_fails 6 "a 10^40 CRL of an untrusted issuer is refused" edge-crl-update -d "$E" --from "$T/rogue-high.crl"
assert_eq "... crl.pem unchanged" "$(digest "$E/crl.pem")" "$keep"
assert_ok "... and the hub's next CRL still installs" edge-crl-update -d "$E" --from "$T/hub5000.crl"

# ---- edge-connect reads every CRL of crl.pem ---------------------------------
C=$T/conn; cp -a "$A" "$C"
cat "$T/hub.pem" "$T/new.pem" > "$C/ca.pem"
edge-crl-update -q -d "$C" --from "$T/new.crl" >/dev/null
edge-crl-update -q -d "$C" --from "$T/hub5000.crl" >/dev/null
assert_eq "crl.pem holds the CRLs of both roots" "$(grep -c 'BEGIN X509 CRL' "$C/crl.pem")" 2
assert_ok "edge-connect checks the hub against its own root's CRL (the second in crl.pem)" \
    timeout $(slow 20) edge-connect -q -d "$C" --mqtt "$HUB_MQTT" --exit-on-eof < /dev/null
printf 'crl_next_update = 1\ncrl_number = 5001\n' > "$T/crl.tmpl"
certtool --generate-crl --load-ca-privkey "$T/hub.key" --load-ca-certificate "$T/hub.pem" \
    --load-certificate "$HUB_DIR/server.pem" --template "$T/crl.tmpl" --outfile "$T/hubsrv.crl" 2>/dev/null
edge-crl-update -q -d "$C" --from "$T/hubsrv.crl" >/dev/null
assert_fails 6 "... and refuses a hub certificate that CRL lists" \
    timeout $(slow 20) edge-connect -d "$C" --mqtt "$HUB_MQTT" --exit-on-eof < /dev/null
assert_grep "... as revoked" "hub certificate: revoked" "$T/err"

# ---- edge-connect skips and refuses as edge-crl-update does -----------------
# A CRL of another root of the hub's name (a rotation's other key) beside the
# hub's is skipped; one with the hub root's name and key id that the root did
# not sign makes crl.pem tampered.
if [ -x "$B/tests/crlgen" ]; then
	subj=$(openssl x509 -in "$T/hub.pem" -noout -subject -nameopt compat | sed 's/^subject= *//')
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/twin.key" -out "$T/twin.pem" -subj "$subj" \
	    -days 30 -config /dev/null -addext "basicConstraints=critical,CA:true" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" -addext "subjectKeyIdentifier=hash" 2>/dev/null
	assert_eq "a second root with the hub root's name" "$(openssl x509 -in "$T/twin.pem" -noout -subject)" \
	    "$(openssl x509 -in "$T/hub.pem" -noout -subject)"
	"$B/tests/crlgen" --ca "$T/twin.pem" --ca-key "$T/twin.key" --out "$T/twin.crl" --number 9000 --entry 01
	"$B/tests/crlgen" --ca "$T/hub.pem" --ca-key "$T/twin.key" --out "$T/forged.crl" --number 9000
	K=$T/connk; cp -a "$A" "$K"
	cat "$T/twin.crl" "$T/hub5000.crl" > "$K/crl.pem"
	assert_ok "edge-connect: a CRL of another root of the hub's name beside the hub's is skipped" \
	    timeout $(slow 20) edge-connect -q -d "$K" --mqtt "$HUB_MQTT" --exit-on-eof < /dev/null
	cat "$T/hub5000.crl" "$T/forged.crl" > "$K/crl.pem"
	assert_fails 6 "edge-connect: a CRL with the hub root's name and key id that it did not sign: refused" \
	    timeout $(slow 20) edge-connect -d "$K" --mqtt "$HUB_MQTT" --exit-on-eof --reconnect-max 1 < /dev/null
	assert_grep "... naming crl.pem" "crl.pem: a CRL of a trusted root's name does not verify" "$T/err"
	cat "$T/twin.crl" > "$K/crl.pem"
	assert_fails 6 "edge-connect: a crl.pem holding only another root's CRL: no CRL of the hub's issuer" \
	    timeout $(slow 20) edge-connect -d "$K" --mqtt "$HUB_MQTT" --exit-on-eof --reconnect-max 1 < /dev/null
	assert_grep "... says so" "crl.pem holds no CRL of its issuer" "$T/err"
else
	skip "edge-connect skips another root's CRL" "build/tests/crlgen not built"
fi

done_testing
