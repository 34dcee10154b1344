#!/bin/sh
# SPDX-License-Identifier: MIT
# The revocation policy (edge-crl-update(1), edge-connect(1)): a CRL past its
# nextUpdate is used for --crl-grace more seconds with a warning, then
# refused with exit 6, the same in edge-connect and edge-crl-update --check;
# no crl.pem at all: edge-connect warns and connects, --check exits 6.
# Time moves with libfaketime (lib.sh at_time) around the real binaries.
# Also the cap on CRL downloads (--max-crl-size), against openssl s_server -WWW.
. "$(dirname "$0")/../lib.sh"
setup
have_faketime || skip_all "libfaketime not installed (make deps)"
hub_start

A=$T/A
edge_with_csr "$A" SN-POLICY &&
edge-provision -q -d "$A" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial SN-POLICY --portal "$HUB_PORTAL" >/dev/null &&
edge-activate -q -d "$A" $HUBOPTS >/dev/null &&
ok "edge activated" || not_ok "edge activated"

# ---- no CRL at all -------------------------------------------------------------
assert_ok "no crl.pem: edge-connect connects" timeout $(slow 20) edge-connect -d "$A" --mqtt "$HUB_MQTT" --exit-on-eof < /dev/null
assert_grep "... with a warning" "no CRL installed (crl.pem)" "$T/err"
assert_fails 6 "no crl.pem: --check cannot answer (exit 6)" edge-crl-update -d "$A" --check
assert_grep "... says so" "no CRL installed yet" "$T/err"

# ---- a CRL with nextUpdate in a day -------------------------------------------
printf 'crl_next_update = 1\ncrl_number = 9000\n' > "$T/crl.tmpl"
certtool --generate-crl --load-ca-privkey "$HUB_DIR/ca-key.pem" --load-ca-certificate "$HUB_CA" \
    --template "$T/crl.tmpl" --outfile "$T/day.crl" 2>/dev/null
assert_ok "a CRL valid for a day installs" edge-crl-update -d "$A" --from "$T/day.crl"
assert_ok "fresh: --check" edge-crl-update -d "$A" --check
assert_not_grep "... no warning" "stale" "$T/err"

# 36 hours later: 12 hours past nextUpdate, within the default grace of a day.
assert_ok "within the grace: --check answers" at_time +36h edge-crl-update -d "$A" --check
assert_grep "... with a warning" "stale" "$T/err"
assert_ok "within the grace: edge-connect connects" at_time +36h timeout $(slow 20) edge-connect -d "$A" --mqtt "$HUB_MQTT" --exit-on-eof < /dev/null
assert_grep "... with a warning" "crl.pem is stale" "$T/err"
assert_fails 6 "--crl-grace 0: --check refuses" at_time +36h edge-crl-update -d "$A" --check --crl-grace 0
assert_fails 6 "--crl-grace 0: edge-connect refuses" at_time +36h timeout $(slow 20) edge-connect -d "$A" --mqtt "$HUB_MQTT" --crl-grace 0 --exit-on-eof < /dev/null
assert_grep "... names the stale CRL" "crl.pem is stale" "$T/err"

# 80 hours later: past the grace.
assert_fails 6 "past the grace: --check refuses (exit 6)" at_time +80h edge-crl-update -d "$A" --check
assert_grep "... says stale" "stale CRL" "$T/err"
assert_fails 6 "past the grace: edge-connect refuses (exit 6)" at_time +80h timeout $(slow 20) edge-connect -d "$A" --mqtt "$HUB_MQTT" --exit-on-eof < /dev/null
assert_grep "... says stale" "crl.pem is stale" "$T/err"
assert_ok "a longer --crl-grace: --check answers" at_time +80h edge-crl-update -d "$A" --check --crl-grace 604800
assert_ok "a longer --crl-grace: edge-connect connects" at_time +80h timeout $(slow 20) edge-connect -q -d "$A" --mqtt "$HUB_MQTT" --crl-grace 604800 --exit-on-eof < /dev/null
assert_fails 2 "--crl-grace must be seconds" edge-crl-update -d "$A" --check --crl-grace 1d
assert_fails 2 "... in edge-connect too" edge-connect -d "$A" --mqtt "$HUB_MQTT" --crl-grace -5 --exit-on-eof < /dev/null

# Installing: within the grace a warning and exit 0, past it exit 6 (installed).
I=$T/I; mkdir "$I"; cp "$A/ca.pem" "$I/"
assert_ok "installing a CRL within the grace" at_time +36h edge-crl-update -d "$I" --from "$T/day.crl" --json
assert_grep "... warns" "stale" "$T/err"
I=$T/I2; mkdir "$I"; cp "$A/ca.pem" "$I/"
assert_fails 6 "installing a CRL past the grace: exit 6" at_time +80h edge-crl-update -d "$I" --from "$T/day.crl" --json
assert_json "... the newest available is installed anyway" "$T/out" .changed true

# ---- the hub's chain is judged like our own certificate (edge_crlstore) ------
# hub_crl NAME NUMBER AGE [CERT]: a CRL of the hub's root issued AGE ago
# (-30min: ahead of the clock), listing CERT if given, as PEM.
hub_crl() {
	printf 'crl_this_update_date = "%s"\ncrl_next_update = 30\ncrl_number = %s\n' \
	    "$(date -u -d "$3 ago" '+%Y-%m-%d %H:%M:%S')" "$2" > "$T/$1.tmpl"
	certtool --generate-crl --load-ca-privkey "$HUB_DIR/ca-key.pem" --load-ca-certificate "$HUB_CA" \
	    ${4:+--load-certificate "$4"} --template "$T/$1.tmpl" 2>/dev/null | openssl crl > "$T/$1.crl"
}
# Two CRLs of the hub's root: the older lists the broker's certificate, the
# newer does not.  Any CRL of the root that lists it revokes it (OpenSSL
# alone used only the newest).
hub_crl old 7001 2hours "$HUB_DIR/server.pem"
hub_crl new 7002 1hour
H=$T/H; cp -a "$A" "$H"
cat "$T/old.crl" "$T/new.crl" > "$H/crl.pem"
assert_fails 6 "two CRLs of the hub's root, the older lists the hub: refused (exit 6)" \
    timeout $(slow 20) edge-connect -d "$H" --mqtt "$HUB_MQTT" --exit-on-eof --reconnect-max 1 < /dev/null
assert_grep "... as revoked" "hub certificate: revoked (listed in crl.pem)" "$T/err"
cat "$T/new.crl" "$T/old.crl" > "$H/crl.pem"
assert_fails 6 "... in either order" \
    timeout $(slow 20) edge-connect -d "$H" --mqtt "$HUB_MQTT" --exit-on-eof --reconnect-max 1 < /dev/null
# A CRL of the hub's root with a broken signature beside the good one: the
# file is tampered, so nothing is answered from it (as edge-crl-update --check).
openssl crl -in "$T/new.crl" -outform DER > "$T/forged.der"
n=$(wc -c < "$T/forged.der")
printf '\001' | dd of="$T/forged.der" bs=1 seek=$((n - 1)) conv=notrunc 2>/dev/null
openssl crl -inform DER -in "$T/forged.der" > "$T/forged.crl"
cat "$T/new.crl" "$T/forged.crl" > "$H/crl.pem"
assert_fails 6 "--check answers nothing from a crl.pem with a forged CRL of the root" \
    edge-crl-update -d "$H" --check
assert_fails 6 "edge-connect does not connect with it either (exit 6)" \
    timeout $(slow 20) edge-connect -d "$H" --mqtt "$HUB_MQTT" --exit-on-eof --reconnect-max 1 < /dev/null
assert_grep "... naming crl.pem and why" "crl.pem: a CRL of a trusted root's name does not verify (signature)" "$T/err"
cp "$T/new.crl" "$H/crl.pem"
assert_ok "the good CRL alone: edge-connect connects" \
    timeout $(slow 20) edge-connect -q -d "$H" --mqtt "$HUB_MQTT" --exit-on-eof < /dev/null

# ---- thisUpdate ahead of the clock -------------------------------------------
# One rule (edge_crl_fresh): a CRL is usable from thisUpdate less an hour (a
# gateway clock a little behind the hub's), in install, --check and
# edge-connect alike; beyond that it is refused at install and when placed
# by hand ("not yet valid", exit 6).
hub_crl soon 9100 -30min
hub_crl later 9200 -2hours
S=$T/S; cp -a "$A" "$S"
assert_ok "a CRL 30 minutes ahead of the clock installs" edge-crl-update -d "$S" --from "$T/soon.crl"
assert_ok "... --check answers" edge-crl-update -d "$S" --check
assert_ok "... edge-connect connects with it" \
    timeout $(slow 20) edge-connect -q -d "$S" --mqtt "$HUB_MQTT" --exit-on-eof < /dev/null
cp "$S/crl.pem" "$T/soon.pem"
assert_fails 6 "a CRL 2 hours ahead is refused at install" edge-crl-update -d "$S" --from "$T/later.crl"
assert_grep "... saying why" "not yet valid: issued in the future .*check the clocks" "$T/err"
assert_ok "... the installed CRL stays" cmp "$S/crl.pem" "$T/soon.pem"
cp "$T/later.crl" "$S/crl.pem"
assert_fails 6 "placed by hand: --check refuses it" edge-crl-update -d "$S" --check
assert_grep "... as not yet valid" "not yet valid" "$T/err"
assert_fails 6 "... edge-connect too" \
    timeout $(slow 20) edge-connect -d "$S" --mqtt "$HUB_MQTT" --exit-on-eof --reconnect-max 1 < /dev/null
assert_grep "... as not yet valid" "crl.pem is not yet valid" "$T/err"

# ---- --max-crl-size ----------------------------------------------------------
certtool --generate-privkey --outfile "$T/web.key" 2>/dev/null
printf 'cn = Web CA\nca\ncert_signing_key\nexpiration_days = 10\n' > "$T/web.tmpl"
certtool --generate-self-signed --load-privkey "$T/web.key" --template "$T/web.tmpl" --outfile "$T/web.pem" 2>/dev/null
certtool --generate-privkey --outfile "$T/srv.key" 2>/dev/null
printf 'cn = 127.0.0.1\nip_address = 127.0.0.1\ntls_www_server\nsigning_key\nencryption_key\nexpiration_days = 10\n' > "$T/srv.tmpl"
certtool --generate-certificate --load-privkey "$T/srv.key" --load-ca-certificate "$T/web.pem" \
    --load-ca-privkey "$T/web.key" --template "$T/srv.tmpl" --outfile "$T/srv.pem" 2>/dev/null
mkdir -p "$T/www/enos/CA"
head -c 200000 /dev/zero > "$T/www/enos/CA/crl"
head -c $((64 * 1024 * 1024 + 1)) /dev/zero > "$T/www/enos/CA/big"
PORT=$(free_port)
(cd "$T/www" && exec openssl s_server -WWW -quiet -accept "127.0.0.1:$PORT" -cert "$T/srv.pem" -key "$T/srv.key" >/dev/null 2>&1) &
SPID=$!
on_exit "kill $SPID"
wait_for_port "$PORT" || diag "s_server did not start"
keep=$(digest "$A/crl.pem")
assert_fails 3 "an answer above --max-crl-size is refused" edge-crl-update -d "$A" \
    --portal "https://127.0.0.1:$PORT" --hub-ca "$T/web.pem" --max-crl-size 100000 --retries 0
assert_grep "... with a clear message" "CRL larger than --max-crl-size (100000 bytes); nothing installed" "$T/err"
assert_one_error_line edge-crl-update
assert_eq "... crl.pem unchanged" "$(digest "$A/crl.pem")" "$keep"
assert_fails 3 "an answer above the default cap (64 MiB) is refused" edge-crl-update -d "$A" \
    --url "https://127.0.0.1:$PORT/enos/CA/big" --hub-ca "$T/web.pem" --retries 0
assert_grep "... with a clear message" "CRL larger than --max-crl-size (67108864 bytes)" "$T/err"
assert_eq "... crl.pem unchanged" "$(digest "$A/crl.pem")" "$keep"
# --from is capped the same way: a file or standard input.
F=$T/F; mkdir "$F"; cp "$A/ca.pem" "$F/"
sz=$(wc -c < "$T/day.crl")
assert_fails 3 "--from a CRL file above --max-crl-size is refused" edge-crl-update -d "$F" --from "$T/day.crl" --max-crl-size $((sz - 1))
assert_grep "... says too large" "too large (more than $((sz - 1)) bytes)" "$T/err"
[ ! -e "$F/crl.pem" ] && ok "... nothing installed" || not_ok "... nothing installed"
assert_fails 3 "--from - (stdin) above --max-crl-size is refused" sh -c 'edge-crl-update -d "$1" --from - --max-crl-size $2 < "$3"' sh "$F" $((sz - 1)) "$T/day.crl"
assert_ok "--from a CRL file of exactly --max-crl-size is read" edge-crl-update -d "$F" --from "$T/day.crl" --max-crl-size "$sz"
assert_fails 2 "--max-crl-size must be a number of bytes" edge-crl-update -d "$A" --max-crl-size 10M

done_testing
