#!/bin/sh
# SPDX-License-Identifier: MIT
# examples/: the field script provision-gateway.sh against the stand-in hub
# (a run, a second run that changes nothing, runs interrupted by the hub going
# away and completed when it is back, a token key, RENEWAL=gateway renewing
# with edge-renew.service's command and RENEWAL=control-node keeping nothing,
# a killed run's temporary files swept, INSTALL_UNITS=yes installing the units
# for the user edge), and the systemd units of examples/systemd/ through
# systemd-analyze verify.
. "$(dirname "$0")/../lib.sh"
setup
hub_start

PG=$TOP/examples/provision-gateway.sh
# The lock of a run as root: in the test's directory, not /run/edgecert.
LOCK_DIR=$T/run-edgecert
export LOCK_DIR
U0=$TOP/examples/systemd

# Wrappers that record every tool's argv, to prove no secret is on a command line.
mkdir "$T/shim"
for t in edge-keygen edge-csr edge-provision edge-activate edge-crl-update edge-connect edge-check; do
	[ -x "$B/$t" ] || continue
	printf '#!/bin/sh\nprintf "%%s\\n" "%s $*" >> "%s/argv.log"\nexec "%s/%s" "$@"\n' \
		"$t" "$T" "$B" "$t" > "$T/shim/$t"
	chmod +x "$T/shim/$t"
done
SHIMPATH=$T/shim:$PATH

# config NAME SERIAL [extra lines...]: $T/NAME.env for the current hub.
config() {
	f=$T/$1.env; sn=$2; shift 2
	{	# a default line goes when an extra line sets its name (a name twice is refused)
		for l in "SERIAL=$sn" "PRODUCT_KEY=$HUB_PRODUCT_KEY" "API=$HUB_API" "PORTAL=$HUB_PORTAL" \
			"MQTT=$HUB_MQTT" "CREDENTIALS=$HUB_CREDENTIALS" "HUB_CA=$HUB_CA" "ROOT_CA=$HUB_CA" \
			"EDGE_DIR=$T/$sn" "LOCALITY=Shanghai" 'ORG_UNIT="Edge Gateways"' "TIMEOUT=5"; do
			_o=no
			for e in "$@"; do [ "${e%%=*}" != "${l%%=*}" ] || _o=yes; done
			[ $_o = yes ] || echo "$l"
		done
		for l in "$@"; do echo "$l"; done
	} > "$f"
}
pg() { PATH=$SHIMPATH "$PG" "$@"; }
if [ -x "$B/edge-connect" ]; then connect_state=ok; else connect_state=skipped; fi
verify_cert() { # verify_cert DIR: cert.pem chains to ca.pem and carries the key
	certtool --verify --load-ca-certificate "$1/ca.pem" --infile "$1/cert.pem" 2>&1 |
		grep -q "Chain verification output: Verified"
}
fingerprint() { for f in "$@"; do [ -f "$f" ] && digest "$f" || echo none; done; }

# --- one gateway, start to end -------------------------------------------------
G=$T/GW-0001
config gw1 GW-0001
assert_ok "first run enrols the gateway" pg "$T/gw1.env"
for s in renewal config keygen csr provision activate crl-update; do
	assert_grep "a line for $s: changed" "^$s  *changed " "$T/out"
done
assert_grep "a line for connect: $connect_state" "^connect  *$connect_state " "$T/out"
assert_grep "summary counts the changes" "GW-0001 is enrolled; 8 step(s) changed" "$T/out"
assert_not_grep "RENEWAL=gateway: no warning" "WARNING" "$T/out"
assert_eq "RENEWAL=gateway: renew.credentials is 0600" "$(file_mode "$G/renew.credentials")" 600
cmp -s "$HUB_CREDENTIALS" "$G/renew.credentials" && ok "... a copy of CREDENTIALS" || not_ok "... a copy of CREDENTIALS"
assert_grep "edge.conf names it" "^credentials = $G/renew.credentials\$" "$G/edge.conf"
verify_cert "$G" && ok "certtool --verify accepts cert.pem against ca.pem" || not_ok "certtool --verify accepts cert.pem against ca.pem"
k1=$(openssl x509 -in "$G/cert.pem" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum)
k2=$(openssl pkey -in "$G/key.pem" -pubout -outform DER | sha256sum)
assert_eq "the certificate carries the gateway's key" "$k1" "$k2"
assert_eq "key.pem is 0600" "$(file_mode "$G/key.pem")" 600
assert_eq "the state directory is 0700" "$(file_mode "$G")" 700
assert_eq "device.secret is 0600" "$(file_mode "$G/device.secret")" 600
[ -f "$G/crl.pem" ] && ok "crl.pem installed" || not_ok "crl.pem installed"
assert_grep "edge.conf records the hub" "^api = $HUB_API\$" "$G/edge.conf"
secret=$(cat "$HUB_SECRET_KEY_FILE")
assert_not_grep "the application secret is on no command line" "$secret" "$T/argv.log"
assert_grep "credentials passed as a file" "--credentials $HUB_CREDENTIALS" "$T/argv.log"
assert_not_grep "no secret in the output" "$secret" "$T/out"
assert_not_grep "the device secret is not printed" "$(cat "$G/device.secret")" "$T/out"
if [ "$connect_state" = ok ]; then
	[ -e "$T/hub/activated/$HUB_PRODUCT_KEY&GW-0001" ] && ok "the smoke test logged in to the broker" ||
		not_ok "the smoke test logged in to the broker"
else
	skip "the smoke test logged in to the broker" "edge-connect not built"
fi

files="$G/key.pem $G/csr.pem $G/device.json $G/device.secret $G/cert.pem $G/ca.pem $G/crl.pem $G/edge.conf $G/renew.credentials"
before=$(fingerprint $files)
: > "$T/argv.log"
assert_ok "second run" pg "$T/gw1.env"
assert_grep "second run: nothing changed" "GW-0001 is enrolled; nothing changed" "$T/out"
assert_not_grep "second run: no step changed" "^[a-z-]*  *changed " "$T/out"
assert_eq "second run: no file touched" "$(fingerprint $files)" "$before"
assert_grep "the tools were asked for --json" "edge-activate .*--json" "$T/argv.log"

# --- hostile gateway.env values: each one word, checked before any step ----------------
# Found by the issue on the sh script: unquoted expansions split and globbed them.
sn_before=$(openssl x509 -in "$G/cert.pem" -noout -serial)
config inj1 GW-0001 "TIMEOUT=5 --force"
assert_fails 2 "TIMEOUT='5 --force': exit 2" pg "$T/inj1.env"
assert_grep "... naming TIMEOUT and its range" "TIMEOUT=.*expected a number from 1 to 3600" "$T/err"
assert_eq "... no certificate re-issued" "$(openssl x509 -in "$G/cert.pem" -noout -serial)" "$sn_before"
config inj2 GW-0001 "API=$HUB_API --org-id X"
assert_fails 2 "API='URL --org-id X': exit 2" pg "$T/inj2.env"
assert_grep "... naming API" "API=.*: whitespace or a control character" "$T/err"
assert_not_grep "... edge.conf does not take it" "org-id" "$G/edge.conf"
mkdir "$T/glob"; cp -p "$G/edge.conf" "$T/glob/edge.conf.before"
config inj3 GW-0001 "EDGE_DIR=$T/GW-000[1]"
assert_fails 2 "EDGE_DIR=.../GW-000[1]: exit 2" pg "$T/inj3.env"
assert_grep "... a glob character in a path" "EDGE_DIR=.*a glob character" "$T/err"
[ ! -e "$T/GW-000[1]" ] && ok "... no directory GW-000[1] made" || not_ok "... no directory GW-000[1] made"
assert_eq "... and nothing written into GW-0001's directory" "$(fingerprint $files)" "$before"
cmp -s "$G/edge.conf" "$T/glob/edge.conf.before" && ok "... edge.conf unchanged" || not_ok "... edge.conf unchanged"
assert_eq "... no certificate re-issued" "$(openssl x509 -in "$G/cert.pem" -noout -serial)" "$sn_before"

# Every refused value: exit 2 naming it, before any step (no state directory made).
long=$(printf '%065d' 0)
refused() { # refused 'NAME=value' WHAT: exit 2 naming NAME, and no state directory
	rm -rf "$T/GW-VAL"
	config val GW-VAL "$1"
	rc=0; pg "$T/val.env" >"$T/out" 2>"$T/err" || rc=$?
	if [ "$rc" -eq 2 ] && grep -q "val.env: ${1%%=*}=" "$T/err" && [ ! -e "$T/GW-VAL" ] &&
			[ ! -s "$T/out" ]; then
		ok "refused before any step: $2"
	else
		diag "exit status $rc (wanted 2), state directory: $(ls -d "$T/GW-VAL" 2>/dev/null || echo none)"
		not_ok "refused before any step: $2"
	fi
}
refused "SERIAL=GW 0001" "SERIAL with a space"
refused "SERIAL=GW/0001" "SERIAL with a /"
refused "SERIAL=G$long" "SERIAL of 66 characters"
refused "PRODUCT_KEY=ab;cd" "PRODUCT_KEY with a ;"
refused "TIMEOUT=0" "TIMEOUT=0"
refused "TIMEOUT=3601" "TIMEOUT=3601"
refused "TIMEOUT=5s" "TIMEOUT=5s"
refused "RETRIES=101" "RETRIES=101"
refused "RETRIES=-1" "RETRIES=-1"
refused "API=http://127.0.0.1:1" "API over http://"
refused "API=https://" "API without a host"
refused 'API=https://h/"x' "API with a quote"
refused "PORTAL=-https://h" "PORTAL with a leading -"
refused "MQTT=tcp://h:1883" "MQTT not mqtts://"
refused "$(printf 'MQTT=mqtts://h:1\tx')" "MQTT with a tab"
refused "EDGE_DIR=gw/dir" "a relative EDGE_DIR"
refused "EDGE_DIR=-d" "EDGE_DIR=-d"
refused "EDGE_DIR=$T/GW-*" "EDGE_DIR with *"
refused "CREDENTIALS=$T/my credentials" "CREDENTIALS with a space"
refused "HUB_CA=$T/ca?.pem" "HUB_CA with ?"
refused "ROOT_CA=ca.pem" "a relative ROOT_CA"
refused "PKCS11_URI=pkcs11:token=edge object=k" "PKCS11_URI with a space"
refused "PKCS11_URI=token=edge" "PKCS11_URI not pkcs11:"
refused "KEY_TYPE=dsa" "KEY_TYPE=dsa"
refused "RENEW_FILE=$T/" "RENEW_FILE a directory"
refused "SMOKE_TEST=maybe" "SMOKE_TEST=maybe"
refused "COUNTRY=cn" "COUNTRY=cn"
refused "$(printf 'LOCALITY=Shang\033[2Jhai')" "LOCALITY with an escape sequence"
refused "ORG_UNIT=$long" "ORG_UNIT of 65 characters"
refused "$(printf 'STATE=\377\376')" "STATE not UTF-8"
refused "$(printf 'ORGANIZATION=a\302\205b')" "ORGANIZATION with a C1 control (NEL)"
# Text is counted in UTF-8 characters whatever the locale: 64 of them pass (the run
# then stops at the next check, the credentials file readable by others: exit 7).
cp "$HUB_CREDENTIALS" "$T/lax-credentials"; chmod 644 "$T/lax-credentials"
uu=$(printf 'ü%.0s' $(seq 64))
config val GW-VAL "ORG_UNIT=$uu" "LOCALITY=上海市" "CREDENTIALS=$T/lax-credentials"
assert_fails 7 "ORG_UNIT of 64 characters (128 bytes) and LOCALITY=上海市 pass, under LC_ALL=C too" \
	env LC_ALL=C PATH="$SHIMPATH" "$PG" "$T/val.env"
assert_grep "... to the next check" "lax-credentials: readable by others" "$T/err"
refused "ORG_UNIT=${uu}ü" "ORG_UNIT of 65 UTF-8 characters"

# CRLF (and the byte order mark Notepad writes): read as the same file.
{ printf '\357\273\277'; sed 's/$/\r/' "$T/gw1.env"; } > "$T/crlf.env"
assert_ok "a CRLF gateway.env with a byte order mark" pg "$T/crlf.env"
assert_grep "... is the same configuration: nothing changed" "GW-0001 is enrolled; nothing changed" "$T/out"
assert_eq "... no file touched" "$(fingerprint $files)" "$before"
config cr GW-0001
printf 'ORG_UNIT=Edge\rGateways\n' >> "$T/cr.env"
assert_fails 2 "a carriage return inside a line: exit 2" pg "$T/cr.env"
assert_grep "... naming the line" "cr.env:$(wc -l < "$T/cr.env"): a carriage return inside the line" "$T/err"

# --help lists every name the script reads.
missing=
sh "$PG" --help > "$T/help" 2>&1
for v in SERIAL PRODUCT_KEY API PORTAL MQTT CREDENTIALS HUB_CA ROOT_CA EDGE_DIR PKCS11_URI \
		PIN_FILE KEY_TYPE LICENSE COUNTRY STATE ORGANIZATION LOCALITY ORG_UNIT TIMEOUT RETRIES \
		SMOKE_TEST RENEWAL RENEW_CREDENTIALS; do
	grep -q "$v=" "$T/help" || missing="$missing $v"
done
assert_eq "--help lists every name" "${missing:-}" ""

# --- RENEWAL=gateway: the renewal timer's command renews without a person --------------
# edge-renew.service's ExecStart, as the unit runs it (EDGE_DIR and nothing else), with a
# window that makes the renewal due now.
unit_cmd() { sed -n 's|^ExecStart=/usr/bin/||p' "$TOP/examples/systemd/edge-renew.service"; }
renew_cmd=$(unit_cmd | sed 's/--renew-within 30$/--renew-within 3650/')
sn1=$(openssl x509 -in "$G/cert.pem" -noout -serial)
cp "$G/cert.pem" "$T/gw1-old.pem"
assert_ok "RENEWAL=gateway: '$renew_cmd' renews unattended" env -i PATH="$B:/usr/bin:/bin" EDGE_DIR="$G" $renew_cmd
sn2=$(openssl x509 -in "$G/cert.pem" -noout -serial)
[ -n "$sn2" ] && [ "$sn1" != "$sn2" ] && ok "... a new certificate ($sn2)" || not_ok "... a new certificate ($sn1 -> $sn2)"
verify_cert "$G" && ok "... that certtool --verify accepts" || not_ok "... that certtool --verify accepts"
edge-crl-update -q -d "$G" >/dev/null 2>&1
assert_fails 8 "... and the replaced certificate is on the hub's CRL" edge-crl-update -d "$G" --check "$T/gw1-old.pem"
assert_ok "... the renewed one is not" edge-crl-update -d "$G" --check "$G/cert.pem"
t0=$(date -u +%s)
assert_ok "the renewed gateway reports days_left and renewal: gateway" env -i PATH="$B:/usr/bin:/bin" EDGE_DIR="$G" edge-activate --json
assert_json "... renewal is gateway" "$T/out" .renewal gateway
n=$(jq -r .days_left "$T/out")
na=$(openssl x509 -in "$G/cert.pem" -noout -enddate | sed 's/notAfter=//')
# at the time of the call: the clock may pass a second (and a day boundary) meanwhile
want0=$(( ($(date -u -d "$na" +%s) - t0) / 86400 ))
want=$(( ($(date -u -d "$na" +%s) - $(date -u +%s)) / 86400 ))
[ "$n" = "$want0" ] || [ "$n" = "$want" ] && ok "... days_left is the whole days until notAfter (openssl)" ||
	not_ok "... days_left is the whole days until notAfter (openssl): $n, not $want0 or $want"
assert_ok "the field script afterwards: the renewed gateway is enrolled" pg "$T/gw1.env"
assert_grep "... and nothing changed" "GW-0001 is enrolled; nothing changed" "$T/out"

# --- RENEW_FILE: the credentials where edge-renew.service loads them --------------------
U=$TOP/examples/systemd/edge-renew.service
mkdir -m 755 "$T/etc-edge"
rfpg() { ETC_DIR=$T/etc-edge pg "$@"; }	# RENEW_FILE may be ETC_DIR/renew.credentials
config rf GW-0001 "RENEW_FILE=$T/etc-edge/renew.credentials"
assert_ok "RENEW_FILE outside the state directory" rfpg "$T/rf.env"
assert_grep "... the renewal line names it" "^renewal  *changed  *$T/etc-edge/renew.credentials: the gateway renews" "$T/out"
assert_eq "... 0600" "$(file_mode "$T/etc-edge/renew.credentials")" 600
cmp -s "$HUB_CREDENTIALS" "$T/etc-edge/renew.credentials" && ok "... a copy of CREDENTIALS" || not_ok "... a copy of CREDENTIALS"
[ ! -e "$G/renew.credentials" ] && ok "... the copy in the state directory is gone" ||
	not_ok "... the copy in the state directory is gone"
assert_grep "... edge.conf names it" "^credentials = $T/etc-edge/renew.credentials\$" "$G/edge.conf"
assert_ok "... a second run" rfpg "$T/rf.env"
assert_grep "... changes nothing" "GW-0001 is enrolled; nothing changed" "$T/out"
src=$(sed -n 's/^LoadCredential=credentials://p' "$U")
envc=$(sed -n 's/^Environment=\(EDGE_CREDENTIALS=.*\)/\1/p' "$U")
if [ -z "$src" ] || [ -z "$envc" ]; then
	skip "edge-renew.service with its credential" "the unit loads no credential 'credentials'"
else
	assert_eq "edge-renew.service loads the file RENEW_FILE's help names" "$src" /etc/edge/renew.credentials
	# As systemd runs it: the file copied into a credentials directory, the unit's environment.
	mkdir -m 700 "$T/creds"; cp "$T/etc-edge/renew.credentials" "$T/creds/credentials"
	chmod 400 "$T/creds/credentials"
	sn1=$(openssl x509 -in "$G/cert.pem" -noout -serial)
	mv "$T/etc-edge/renew.credentials" "$T/etc-edge/aside"	# the credential alone, not edge.conf's file
	assert_ok "edge-renew.service's command with that credential renews" env -i PATH="$B:/usr/bin:/bin" \
		EDGE_DIR="$G" "$envc" CREDENTIALS_DIRECTORY="$T/creds" $renew_cmd
	mv "$T/etc-edge/aside" "$T/etc-edge/renew.credentials"
	sn2=$(openssl x509 -in "$G/cert.pem" -noout -serial)
	[ -n "$sn2" ] && [ "$sn1" != "$sn2" ] && ok "... a new certificate ($sn2)" || not_ok "... a new certificate ($sn1 -> $sn2)"
fi
assert_ok "back to the default RENEW_FILE" pg "$T/gw1.env"
assert_eq "... renew.credentials in the state directory, 0600" "$(file_mode "$G/renew.credentials")" 600
config rfx GW-0001 "RENEW_FILE=$T/no-such-dir/renew.credentials"
assert_fails 2 "RENEW_FILE in a directory that does not exist: exit 2" env ETC_DIR="$T/no-such-dir" PATH="$SHIMPATH" "$PG" "$T/rfx.env"

# --- RENEWAL=control-node: nothing kept, and a loud line with the date ------------------
R=$T/GW-CTL
config ctl GW-CTL RENEWAL=control-node
assert_ok "RENEWAL=control-node enrols" pg "$T/ctl.env"
na=$(openssl x509 -in "$R/cert.pem" -noout -enddate | sed 's/notAfter=//')
na=$(date -u -d "$na" +%Y-%m-%dT%H:%M:%SZ)
assert_grep "the renewal line says the control node renews" "^renewal  *unchanged  *no credentials kept" "$T/out"
tail -n 1 "$T/out" | grep -q "WARNING: RENEWAL=control-node: GW-CTL holds no application credentials and cannot renew itself; the control node must renew its certificate before $na (in [0-9]* days)" &&
	ok "... and the last line: the control node must renew before $na" ||
	{ tail -n 1 "$T/out" | sed 's/^/# /'; not_ok "... and the last line: the control node must renew before $na"; }
[ ! -e "$R/renew.credentials" ] && ok "no renew.credentials" || not_ok "no renew.credentials"
[ ! -e "$R/hub-token.json" ] && ok "no cached access token" || not_ok "no cached access token"
assert_not_grep "edge.conf names no credentials" "^credentials" "$R/edge.conf"
assert_ok "edge-activate --json there" env -i PATH="$B:/usr/bin:/bin" EDGE_DIR="$R" edge-activate --json
assert_json "... renewal is control-node" "$T/out" .renewal control-node
if grep -rqF -e "$(cat "$HUB_SECRET_KEY_FILE")" -e "$HUB_ACCESS_KEY" "$R"; then
	not_ok "nothing of the application credentials in the state directory"
else
	ok "nothing of the application credentials in the state directory"
fi
assert_fails 2 "the renewal timer's command there cannot renew: exit 2" env -i PATH="$B:/usr/bin:/bin" EDGE_DIR="$R" $renew_cmd
assert_grep "... saying the control node must renew it" "control node must renew" "$T/err"
assert_ok "RENEWAL=control-node, second run" pg "$T/ctl.env"
assert_grep "... nothing changed" "GW-CTL is enrolled; nothing changed" "$T/out"
assert_grep "... and the warning again" "WARNING: RENEWAL=control-node" "$T/out"
[ ! -e "$R/hub-token.json" ] && ok "... and still no cached access token" || not_ok "... and still no cached access token"
config ctl2 GW-0001 RENEWAL=control-node "EDGE_DIR=$G"
assert_ok "gateway -> control-node on an enrolled gateway" pg "$T/ctl2.env"
assert_grep "... removes renew.credentials" "^renewal  *changed  *no credentials kept" "$T/out"
[ ! -e "$G/renew.credentials" ] && ok "... it is gone" || not_ok "... it is gone"
assert_ok "... and back to gateway" pg "$T/gw1.env"
assert_eq "... renew.credentials is back, 0600" "$(file_mode "$G/renew.credentials")" 600

# --- refusals and mistakes -------------------------------------------------------
config bad GW-BAD "PRODUCT_KEY=NoSuchProduct"
assert_fails 5 "an unknown product: exit 5" pg "$T/bad.env"
assert_grep "names the step and the meaning" "^provision  *FAILED (exit 5: refused by the hub" "$T/out"
assert_grep "tells to run again" "stopped at provision" "$T/err"
# A failed step shows the tool's own message (from its --json answer), not its usage line.
sed 's/^\(secret_key *= *\).*/\1wrong/' "$HUB_CREDENTIALS" > "$T/wrong-credentials"
chmod 600 "$T/wrong-credentials"
config cred GW-CRED "CREDENTIALS=$T/wrong-credentials"
assert_fails 5 "wrong credentials: exit 5" pg "$T/cred.env"
assert_grep "... at provision, refused by the hub" "^provision  *FAILED (exit 5: refused by the hub" "$T/out"
want=$(edge-provision -d "$T/GW-CRED" --api "$HUB_API" --hub-ca "$HUB_CA" --credentials "$T/wrong-credentials" \
	--product-key "$HUB_PRODUCT_KEY" --serial GW-CRED --portal "$HUB_PORTAL" --retries 0 --json 2>/dev/null |
	jq -r .error.message)
case $want in *1003*) ok "(edge-provision --json itself gives the hub's refusal: $want)" ;;
	*) not_ok "(edge-provision --json itself gives the hub's refusal: $want)" ;; esac
assert_eq "... the next line is the tool's message, as jq reads its --json answer" \
	"$(sed -n '/^provision  *FAILED/{n;p;}' "$T/out")" "            edge-provision: $want"
if [ "$connect_state" = ok ]; then
	config nomq GW-NOMQ SMOKE_TEST=yes
	sed -i '/^MQTT=/d' "$T/nomq.env"
	assert_fails 2 "SMOKE_TEST=yes and no MQTT address anywhere: exit 2 at connect" pg "$T/nomq.env"
	assert_grep "... on the connect line" "^connect  *FAILED (exit 2: usage error" "$T/out"
	assert_grep "... with edge-connect's message" "^            edge-connect: no MQTT address (--mqtt mqtts://host:port" "$T/out"
	assert_not_grep "... not its usage synopsis" "usage:" "$T/out"
else
	skip "SMOKE_TEST=yes and no MQTT address anywhere" "edge-connect not built"
fi
config nosn ""
sed -i '/^SERIAL=/d' "$T/nosn.env"
assert_fails 2 "no SERIAL in the config: exit 2" pg "$T/nosn.env"
assert_grep "says which" "SERIAL is not set" "$T/err"
assert_fails 2 "a missing config file: exit 2" pg "$T/none.env"
cp "$HUB_CREDENTIALS" "$T/open-credentials"; chmod 644 "$T/open-credentials"
config open GW-OPEN "CREDENTIALS=$T/open-credentials"
assert_fails 7 "credentials readable by others are refused: exit 7" pg "$T/open.env"
assert_grep "... with the tools' message" "open-credentials: readable by others; it holds a secret (chmod 600)" "$T/err"
[ ! -e "$T/GW-OPEN" ] && ok "nothing made before the refusal" || not_ok "nothing made before the refusal"
config open2 GW-OPEN "RENEW_CREDENTIALS=$T/open-credentials"
assert_fails 7 "RENEW_CREDENTIALS readable by others: exit 7" pg "$T/open2.env"
[ ! -e "$T/GW-OPEN" ] && ok "nothing made before the refusal" || not_ok "nothing made before the refusal"
# A symbolic link to a good secret file: the tools refuse to follow it (exit 3), so
# the script does too, before any step (it followed it with stat -L).
ln -s "$HUB_CREDENTIALS" "$T/link-credentials"
config link GW-OPEN "CREDENTIALS=$T/link-credentials"
assert_fails 3 "CREDENTIALS a symbolic link: exit 3, as the tools" pg "$T/link.env"
assert_grep "... with the tools' message" "link-credentials: is a symbolic link; refusing to follow it" "$T/err"
[ ! -e "$T/GW-OPEN" ] && ok "nothing made before the refusal" || not_ok "nothing made before the refusal"
want=$(edge-provision -d "$T/GW-CRED" --api "$HUB_API" --hub-ca "$HUB_CA" --credentials "$T/link-credentials" \
	--product-key "$HUB_PRODUCT_KEY" --serial GW-CRED --portal "$HUB_PORTAL" --retries 0 --json 2>/dev/null |
	jq -c .error)
case $want in '{"code":3,'*"symbolic link"*) ok "(edge-provision refuses it the same way: $want)" ;;
	*) not_ok "(edge-provision refuses it the same way: $want)" ;; esac
config badrenew GW-OPEN RENEWAL=sometimes
assert_fails 2 "RENEWAL=sometimes: exit 2" pg "$T/badrenew.env"
assert_grep "says what it may be" "RENEWAL must be gateway or control-node" "$T/err"
config code GW-CODE 'LOCALITY=$(touch '"$T"'/pwned)'
pg "$T/code.env" >/dev/null 2>&1 || true
[ ! -e "$T/pwned" ] && ok "the config file is data, not shell code" || not_ok "the config file is data, not shell code"

# --- the smoke test with the broker down ----------------------------------------------
# edge-connect --exit-on-eof that never reached the hub exits 4, so the smoke test fails.
if [ "$connect_state" = ok ]; then
	kill -TERM "$(cat "$T/hub/mosquitto.pid")"
	sleep 1
	assert_fails 4 "broker down: the smoke test fails with exit 4" pg "$T/gw1.env"
	assert_grep "... on the connect line" "^connect  *FAILED (exit 4" "$T/out"
else
	skip "broker down: the smoke test fails with exit 4" "edge-connect not built"
	skip "... on the connect line" "edge-connect not built"
fi

# --- interrupted runs, completed later ----------------------------------------------
H=$T/GW-0002
config gw2 GW-0002 RETRIES=0
"$TOP/tests/hub/stop.sh" "$T/hub"
assert_fails 4 "hub down: exit 4" pg "$T/gw2.env"
assert_grep "keygen and csr done offline" "^csr  *changed " "$T/out"
assert_grep "provision reports a temporary failure" "^provision  *FAILED (exit 4: temporary: the hub is unreachable or busy; run this script again later)" "$T/out"
[ ! -e "$H/device.json" ] && ok "no device.json after the failed registration" || not_ok "no device.json after the failed registration"

hub_restart() {
	"$TOP/tests/hub/start.sh" "$T/hub" > "$T/hub.env" 2> "$T/hub.err" || {
		cat "$T/hub.err" >&2; echo "Bail out! cannot restart the stand-in hub"; exit 1; }
	eval "$(cat "$T/hub.env")"
	config gw2 GW-0002 RETRIES=0	# the ports are kept when free; follow them if not
}
hub_restart
echo "certificates http500 -1" > "$T/hub/faults"
assert_fails 4 "hub answering 500 to Apply Certificate: exit 4 at activate" pg "$T/gw2.env"
assert_grep "provision done" "^provision  *changed " "$T/out"
assert_grep "activate reports a temporary failure" "^activate  *FAILED (exit 4: temporary" "$T/out"
[ ! -e "$H/cert.pem" ] && ok "no cert.pem yet" || not_ok "no cert.pem yet"
: > "$T/hub/faults"

"$TOP/tests/hub/stop.sh" "$T/hub"
assert_fails 4 "hub stopped after provisioning: exit 4 at activate" pg "$T/gw2.env"
assert_grep "provision is unchanged offline" "^provision  *unchanged " "$T/out"
assert_grep "activate: exit 4, retry later" "^activate  *FAILED (exit 4: temporary: the hub is unreachable" "$T/out"
assert_grep "names the step on stderr" "stopped at activate" "$T/err"

hub_restart
assert_ok "the hub is back: the run completes" pg "$T/gw2.env"
for s in keygen csr provision; do
	assert_grep "$s unchanged" "^$s  *unchanged " "$T/out"
done
assert_grep "activate done" "^activate  *changed " "$T/out"
assert_grep "crl-update done" "^crl-update  *changed " "$T/out"
verify_cert "$H" && ok "the completed gateway's cert.pem verifies" || not_ok "the completed gateway's cert.pem verifies"
assert_ok "and a further run" pg "$T/gw2.env"
assert_grep "changes nothing" "GW-0002 is enrolled; nothing changed" "$T/out"
k1=$(openssl pkey -in "$G/key.pem" -pubout -outform DER | sha256sum)
k2=$(openssl pkey -in "$H/key.pem" -pubout -outform DER | sha256sum)
[ "$k1" != "$k2" ] && ok "two gateways, two keys" || not_ok "two gateways, two keys"

# --- the key in a token ---------------------------------------------------------------
if command -v softhsm2-util >/dev/null 2>&1; then
	mkdir -p "$T/softhsm/tokens"
	printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
		"$T/softhsm/tokens" > "$T/softhsm/softhsm2.conf"
	SOFTHSM2_CONF=$T/softhsm/softhsm2.conf; export SOFTHSM2_CONF
	softhsm2-util --init-token --free --label edge --pin 4321 --so-pin 0000 >/dev/null 2>&1
	echo 4321 > "$T/pin"; chmod 600 "$T/pin"
	P=$T/GW-TOK
	config tok GW-TOK "PKCS11_URI=pkcs11:token=edge;object=edge-key" "PIN_FILE=$T/pin"
	: > "$T/argv.log"
	assert_ok "token gateway enrolled" pg "$T/tok.env"
	assert_grep "the key is in the token" "^keygen  *changed .*in the token (pkcs11:" "$T/out"
	[ -f "$P/key.uri" ] && [ ! -e "$P/key.pem" ] && ok "key.uri and no key.pem" || not_ok "key.uri and no key.pem"
	verify_cert "$P" && ok "the token gateway's cert.pem verifies" || not_ok "the token gateway's cert.pem verifies"
	assert_grep "PIN passed as file:" "--pin file:$T/pin" "$T/argv.log"
	assert_not_grep "the PIN is on no command line" " 4321" "$T/argv.log"
	assert_grep "edge.conf names where the PIN is" "^pin = file:$T/pin\$" "$P/edge.conf"
	assert_ok "token gateway, second run" pg "$T/tok.env"
	assert_grep "nothing changed" "GW-TOK is enrolled; nothing changed" "$T/out"
else
	skip "token gateway" "softhsm2-util not installed"
fi

# --- Ctrl-C, SIGTERM and a second run on the same directory ------------------------------
# The hub's "slow" fault holds an answer 5 s: the run is inside that step meanwhile.
slow_seen() { grep -c "fault: slow" "$T/hub/hub.log" 2>/dev/null || true; }
wait_slow() { # wait_slow N: until the hub logged more than N slow answers (10 s at most)
	_i=0
	while [ "$(slow_seen)" -le "$1" ] && [ $_i -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
}
# bg_slow FAULT CONFIG: the field script in the background (default SIGINT: a
# background job of sh ignores it; a terminal's Ctrl-C reaches the script),
# returning once it waits for the answer the hub's slow FAULT holds.
mkdir "$T/tmp"
bg_slow() {
	_i=0	# the hub rewrites the file after a slow answer: let it finish
	while [ -s "$T/hub/faults" ] && [ $_i -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
	_seen=$(slow_seen)
	echo "$1" > "$T/hub/faults"
	TMPDIR=$T/tmp PATH=$SHIMPATH env --default-signal=INT,TERM "$PG" "$2" >"$T/bg.out" 2>"$T/bg.err" &
	bgpid=$!
	wait_slow "$_seen"
}
# bg_stop [SIG]: send SIG (if any) to it; rc = its exit status
bg_stop() {
	[ -z "${1:-}" ] || kill -"$1" "$bgpid"
	rc=0; wait "$bgpid" || rc=$?
}
if ! env --default-signal=INT true 2>/dev/null; then
	skip "signals and the lock" "env --default-signal not available"
else
	I=$T/GW-INT
	config int GW-INT TIMEOUT=30
	bg_slow "certificates slow 1" "$T/int.env"
	bg_stop INT
	assert_eq "SIGINT during activate: exit 130" "$rc" 130
	assert_grep "... names the step it stopped at" "stopped at activate by SIGINT; run provision-gateway.sh again" "$T/bg.err"
	assert_grep "... on the step's line too" "^activate  *INTERRUPTED (SIGINT)" "$T/bg.out"
	assert_eq "... its temporary files are gone" "$(ls -A "$T/tmp")" ""
	if pgrep -f "edge-activate -d $I" >/dev/null; then not_ok "... and edge-activate stopped with it"
	else ok "... and edge-activate stopped with it"; fi
	bg_slow "/enos/CA/crl slow 1" "$T/int.env"
	bg_stop TERM
	assert_eq "the next run, SIGTERM during crl-update: exit 143" "$rc" 143
	assert_grep "... names the step" "stopped at crl-update by SIGTERM" "$T/bg.err"
	assert_grep "... after activate completed" "^activate  *changed " "$T/bg.out"
	assert_eq "... its temporary files are gone" "$(ls -A "$T/tmp")" ""
	assert_ok "run again: it completes" pg "$T/int.env"
	assert_grep "... crl-update done" "^crl-update  *changed " "$T/out"
	verify_cert "$I" && ok "... cert.pem verifies" || not_ok "... cert.pem verifies"
	assert_ok "... and a further run" pg "$T/int.env"
	assert_grep "... changes nothing" "GW-INT is enrolled; nothing changed" "$T/out"

	L=$T/GW-LOCK
	config lk GW-LOCK TIMEOUT=30
	bg_slow "certificates slow 1" "$T/lk.env"
	t0=$(date +%s)
	assert_fails 4 "a second run on the same directory meanwhile: exit 4" pg "$T/lk.env"
	[ $(($(date +%s) - t0)) -le 2 ] && ok "... at once" || not_ok "... at once ($(($(date +%s) - t0)) s)"
	assert_grep "... naming the run that holds it" \
		"$L is in use by another run of provision-gateway.sh (PID $bgpid, started [0-9T:Z-]*); run provision-gateway.sh again when it has finished" "$T/err"
	assert_eq "... and no step run" "$(cat "$T/out")" ""
	bg_stop
	assert_eq "the first run completes" "$rc" 0
	assert_grep "... every step done" "GW-LOCK is enrolled; 8 step(s) changed" "$T/bg.out"
	verify_cert "$L" && ok "... cert.pem verifies" || not_ok "... cert.pem verifies"
	assert_grep "... edge.conf complete" "^org_unit = \"Edge Gateways\"\$" "$L/edge.conf"
	assert_eq "... no temporary file left in the state directory" "$(ls -A "$L" | grep -c '\.tmp$')" 0
	assert_ok "a run afterwards" pg "$T/lk.env"
	assert_grep "... changes nothing" "GW-LOCK is enrolled; nothing changed" "$T/out"
fi

# --- a killed run's temporary files: named as the tools name theirs, and swept ---------
# A chmod that kills the script (SIGKILL: no trap runs) while its temporary copy of
# $KILL_AT is written, the moment a power cut or kill -9 could hit.
mkdir "$T/killshim"
printf '#!/bin/sh\ncase "$*" in *"/.$KILL_AT."*) kill -9 "$PPID" ;; esac\nexec %s "$@"\n' \
	"$(command -v chmod)" > "$T/killshim/chmod"
chmod +x "$T/killshim/chmod"
K=$T/GW-KILL
stale_re='\.[0-9]*[1-9][0-9]*\.[0-9a-f]\{8\}\.tmp$'
config kill GW-KILL
rc=0; KILL_AT=renew.credentials PATH=$T/killshim:$SHIMPATH "$PG" "$T/kill.env" >/dev/null 2>&1 || rc=$?
assert_eq "killed while copying the renewal credentials (SIGKILL)" "$rc" 137
assert_eq "... its temporary file is named as the tools name theirs" \
	"$(ls -A "$K" | grep -c "^\.renew\.credentials$stale_re")" 1
config kill2 GW-KILL RENEWAL=control-node
assert_ok "... a RENEWAL=control-node run afterwards" pg "$T/kill2.env"
assert_eq "... and the tools' sweep removed it" "$(ls -A "$K" | grep -c '\.tmp$')" 0
rc=0; KILL_AT=edge.conf PATH=$T/killshim:$SHIMPATH "$PG" "$T/kill.env" >/dev/null 2>&1 || rc=$?
assert_eq "killed while writing edge.conf (SIGKILL)" "$rc" 137
assert_eq "... its temporary file is named as the tools name theirs" \
	"$(ls -A "$K" | grep -c "^\.edge\.conf$stale_re")" 1
assert_ok "... a tool's next run in the directory" edge-keygen -d "$K"
assert_eq "... removes it" "$(ls -A "$K" | grep -c '\.tmp$')" 0

# --- what a gateway.env cannot make the script do (red team F4 F5 F6 F7 F12) ---------------
# refused_at CODE WHAT GREP CONFIG: exit CODE, a message matching GREP, no step run.
refused_at() {
	rc=0; pg "$4" >"$T/out" 2>"$T/err" || rc=$?
	if [ "$rc" -eq "$1" ] && grep -q -e "$3" "$T/err" && [ ! -s "$T/out" ]; then ok "$2"
	else diag "exit status $rc (wanted $1): $(cat "$T/err")"; not_ok "$2"; fi
}
V=$T/victim
for n in ETC_DIR SYSTEMD_DIR UNITS_DIR LOCK_DIR; do
	rm -rf "$T/GW-TV"; mkdir -p "$V"
	config tv GW-TV "$n=$V"
	refused_at 2 "F4: $n in gateway.env (tests only, from the environment): exit 2" \
		"tv.env:13: $n is for tests only and is read from the environment, not from" "$T/tv.env"
	[ ! -e "$T/GW-TV" ] && ok "... nothing created" || not_ok "... nothing created"
done
rm -rf "$V"; mkdir -m 700 "$V"
config rfa GW-RFA "RENEW_FILE=$V/authorized_keys"
refused_at 2 "F4: RENEW_FILE elsewhere than DIR or ETC_DIR: exit 2" \
	"RENEW_FILE=$V/authorized_keys: only $T/GW-RFA/renew.credentials or /etc/edge/renew.credentials" "$T/rfa.env"
[ ! -e "$V/authorized_keys" ] && [ ! -e "$T/GW-RFA" ] && ok "... nothing written" || not_ok "... nothing written"
echo keep > "$V/passwd"
config rfb GW-RFB RENEWAL=control-node "RENEW_FILE=$V/passwd"
refused_at 2 "F4: RENEW_FILE with RENEWAL=control-node: exit 2" \
	"RENEW_FILE=.*RENEWAL=control-node keeps no credentials" "$T/rfb.env"
assert_eq "... the file it named is still there" "$(cat "$V/passwd")" keep
config twice GW-TW
sed -i '1a\LOCALITY=Berlin' "$T/twice.env"
refused_at 2 "F12: a name given twice: exit 2 naming both lines" \
	"twice.env:11: LOCALITY given twice (lines 2 and 11)" "$T/twice.env"
config nul GW-NUL
{ printf 'SERIAL=GW-NUL\000--force\n'; grep -v '^SERIAL=' "$T/nul.env"; } > "$T/nul2.env"
refused_at 2 "F12: a NUL byte in gateway.env: exit 2 naming the line" "nul2.env:1: a NUL byte in the line" "$T/nul2.env"
[ ! -e "$T/GW-NUL--force" ] && [ ! -e "$T/GW-NUL" ] && ok "... nothing created" || not_ok "... nothing created"
config pct GW-PCT "EDGE_DIR=$T/pc%n"
refused_at 2 "F12: a '%' in EDGE_DIR (systemd expands it in units): exit 2" "EDGE_DIR=.*a '%' in the path" "$T/pct.env"
mkdir -p "$T/sub"
config dots GW-DOT "EDGE_DIR=$T/sub/../GW-DOT"
refused_at 2 "F5: EDGE_DIR with '..': exit 2" "EDGE_DIR=.*not a canonical path" "$T/dots.env"
config dsl GW-DSL "EDGE_DIR=$T//GW-DSL"
refused_at 2 "F5: EDGE_DIR with '//': exit 2" "EDGE_DIR=.*not a canonical path" "$T/dsl.env"
[ ! -e "$T/GW-DOT" ] && [ ! -e "$T/GW-DSL" ] && ok "... nothing created" || not_ok "... nothing created"
# F5: an existing directory that is no state directory is not taken over.
O=$T/etc2
mkdir -m 755 "$O"; (umask 077; echo s3cret > "$O/other-secret")
config own GW-OWN "EDGE_DIR=$O"
refused_at 3 "F5: an existing directory holding other files: exit 3 naming one" \
	"EDGE_DIR=$O holds other-secret, which is no state file of the edgecert tools" "$T/own.env"
assert_eq "... left as it was" "$(ls -A "$O") $(stat -c %a:%U "$O/other-secret")" "other-secret 600:root"
# F6: another gateway's state directory (GW-0001's, enrolled above) is never touched.
before=$(cd "$G" && find . -printf '%p %s %T@\n' | sort; cat edge.conf csr.pem renew.credentials 2>/dev/null | sha256sum)
config wrong GW-0002 "EDGE_DIR=$G" RENEWAL=control-node LOCALITY=Elsewhere "MQTT=mqtts://evil.example:8883"
refused_at 3 "F6: the state directory of another serial: exit 3 naming both" \
	"EDGE_DIR=$G is the state directory of GW-0001, not of SERIAL=GW-0002" "$T/wrong.env"
assert_eq "... not a file of GW-0001 changed" \
	"$(cd "$G" && find . -printf '%p %s %T@\n' | sort; cat edge.conf csr.pem renew.credentials 2>/dev/null | sha256sum)" "$before"
# F7: new parents are 0755 (the umask of the private files does not reach them).
config par GW-PAR "EDGE_DIR=$T/srv/gateways/GW-PAR"
assert_ok "F7: EDGE_DIR under new parents enrols" pg "$T/par.env"
assert_eq "... the parents 0755, the state directory 0700" \
	"$(stat -c %a "$T/srv" "$T/srv/gateways" "$T/srv/gateways/GW-PAR" | tr '\n' ' ')" "755 755 700 "

# --- INSTALL_UNITS=yes: the units, drop-ins, PIN and credentials where they go ------------
# SYSTEMD_DIR and ETC_DIR in the test's directory; the user edge is real (made
# here when missing and removed at the end).
if [ "$(id -u)" -ne 0 ] || ! command -v useradd >/dev/null 2>&1; then
	skip "INSTALL_UNITS=yes" "needs root and useradd"
else
	made_user=no
	if ! getent passwd edge >/dev/null; then made_user=yes; on_exit "userdel edge 2>/dev/null"; fi
	S=$T/systemd-system E=$T/etc-edge-units W=$T/GW-UNIT
	mkdir "$S"
	# The tools run as edge: it must reach the test's directory, and the shims
	# that write argv.log are left out.
	chmod 711 "$T"
	pgu() { SYSTEMD_DIR=$S ETC_DIR=$E "$PG" "$@"; }
	config un GW-UNIT INSTALL_UNITS=yes
	assert_ok "INSTALL_UNITS=yes: the gateway enrolled and the units installed" pgu "$T/un.env"
	if [ $made_user = yes ]; then
		assert_grep "... the user edge created" "^user  *changed  *edge created" "$T/out"
	else
		assert_grep "... the user edge (there already)" "^user  *unchanged  *edge" "$T/out"
	fi
	assert_eq "... a system user, nologin, home /, its own group" \
		"$(getent passwd edge | cut -d: -f6,7) $(id -gn edge)" "/:/usr/sbin/nologin edge"
	for s in units drop-ins owner; do assert_grep "... a line for $s: changed" "^$s  *changed " "$T/out"; done
	if [ -d /run/systemd/system ]; then
		skip "... systemd not running: skipped" "systemd runs here"
	else
		assert_grep "... systemd not running: said and skipped" \
			"^systemd  *skipped  *systemd is not running" "$T/out"
	fi
	n=0
	for f in "$U0"/*.service "$U0"/*.timer "$U0"/*.path; do
		cmp -s "$f" "$S/${f##*/}" && [ "$(stat -c %a:%U "$S/${f##*/}")" = 644:root ] && n=$((n + 1))
	done
	assert_eq "... the 7 units, as shipped, 0644 root" "$n" 7
	for u in edge-connect.service edge-crl-update.service edge-renew.service; do
		assert_eq "... $u.d/edge-dir.conf: EDGE_DIR and ReadWritePaths" \
			"$(grep -v '^#' "$S/$u.d/edge-dir.conf" | tr '\n' ' ')" \
			"[Service] Environment=EDGE_DIR=$W ReadWritePaths=$W "
	done
	assert_eq "... edge-cert-changed.path.d/edge-dir.conf: the files it watches" \
		"$(grep -v '^#' "$S/edge-cert-changed.path.d/edge-dir.conf" | tr '\n' ' ')" \
		"[Path] PathChanged= PathChanged=$W/cert.pem PathChanged=$W/ca.pem PathChanged=$W/crl.pem "
	[ ! -e "$S/edge-connect.service.d/tpm.conf" ] && ok "... no tpm.conf for a file key" || not_ok "... no tpm.conf for a file key"
	assert_eq "... renew.credentials in ETC_DIR, root 0600" "$(stat -c %a:%U "$E/renew.credentials")" 600:root
	cmp -s "$HUB_CREDENTIALS" "$E/renew.credentials" && ok "... a copy of CREDENTIALS" || not_ok "... a copy of CREDENTIALS"
	assert_grep "... named in edge.conf" "^credentials = $E/renew.credentials\$" "$W/edge.conf"
	[ ! -e "$W/renew.credentials" ] && ok "... none in the state directory" || not_ok "... none in the state directory"
	assert_eq "... the state directory and every file in it edge:edge" \
		"$(find "$W" \( ! -user edge -o ! -group edge \) | wc -l) $(stat -c %a "$W")" "0 700"
	# systemd-analyze verify on the installed set (as units.t: the tools are stand-ins).
	verify_installed() { # verify_installed WHAT
		rm -rf "$T/installed"; cp -r "$S" "$T/installed"
		sed -i "s|/usr/bin/edge-|$T/ustubs/edge-|g" "$T/installed"/*.service
		rc=0
		SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no "$T/installed"/*.service \
			"$T/installed"/*.timer "$T/installed"/*.path > "$T/verify-installed" 2>&1 || rc=$?
		if [ $rc -ne 0 ] && grep -q -e "Failed to initialize manager" -e "Operation not permitted" "$T/verify-installed"; then
			skip "systemd-analyze verify accepts the installed set ($1)" "the analyzer cannot run here"
		elif [ $rc -eq 0 ] && [ ! -s "$T/verify-installed" ]; then
			ok "systemd-analyze verify accepts the installed set ($1)"
		else
			sed 's/^/# /' "$T/verify-installed"; not_ok "systemd-analyze verify accepts the installed set ($1)"
		fi
	}
	mkdir "$T/ustubs"
	for t in edge-connect edge-crl-update edge-activate; do
		printf '#!/bin/sh\nexit 0\n' > "$T/ustubs/$t"; chmod +x "$T/ustubs/$t"
	done
	command -v systemd-analyze >/dev/null 2>&1 && verify_installed "EDGE_DIR drop-ins" ||
		skip "systemd-analyze verify accepts the installed set" "systemd-analyze not installed"
	before=$(find "$S" "$E" "$W" -type f ! -name .provision.lock -printf '%p %m %U:%G %T@\n' | sort)
	assert_ok "... a second run" pgu "$T/un.env"
	assert_grep "... changes nothing" "GW-UNIT is enrolled; nothing changed" "$T/out"
	for s in user units drop-ins owner; do assert_grep "... $s: unchanged" "^$s  *unchanged " "$T/out"; done
	assert_eq "... not a file touched, nor its owner" "$(find "$S" "$E" "$W" -type f ! -name .provision.lock -printf '%p %m %U:%G %T@\n' | sort)" "$before"
	config un0 GW-UNIT
	assert_fails 7 "a run without INSTALL_UNITS on edge's state directory: exit 7" pg "$T/un0.env"
	assert_grep "... saying whose it is and what to do" \
		"GW-UNIT: owned by edge, not by this user; run provision-gateway.sh as that user (runuser -u edge), or as root with INSTALL_UNITS=yes" "$T/err"
	# F1: a lock file edge replaced with a link to a root file: root writes no lock there.
	echo "root's own" > "$T/root-file"
	rm -f "$W/.provision.lock"; ln -s "$T/root-file" "$W/.provision.lock"; chown -h edge:edge "$W/.provision.lock"
	assert_ok "F1: a run with .provision.lock a link to a root file (planted by edge)" pgu "$T/un.env"
	assert_eq "... the root file is untouched" "$(cat "$T/root-file")" "root's own"
	assert_eq "... the lock is root's, in LOCK_DIR (0700)" \
		"$(stat -c %a:%U "$LOCK_DIR") $(find "$LOCK_DIR" -name '*.lock' ! -user root | wc -l)" "700:root 0"
	# F9: the tools run as edge and the directory stays edge's throughout: a
	# running edge-connect keeps writing its outbox.
	mkdir -m 755 "$T/ushim"; mkdir -m 1777 "$T/ulog"
	printf '#!/bin/sh\necho "$(id -un) $(stat -c %%U "%s")" >> "%s/ulog/seen"\nexec "%s/edge-keygen" "$@"\n' \
		"$W" "$T" "$B" > "$T/ushim/edge-keygen"
	chmod 755 "$T/ushim/edge-keygen"
	assert_ok "F9: a rerun on the enrolled gateway" env PATH="$T/ushim:$PATH" SYSTEMD_DIR="$S" ETC_DIR="$E" "$PG" "$T/un.env"
	assert_eq "... the tools ran as edge, the directory edge's meanwhile" "$(cat "$T/ulog/seen")" "edge edge"
	assert_eq "... and after it" "$(find "$W" \( ! -user edge -o ! -group edge \) | wc -l)" 0
	# F10: a FIFO edge put at edge.conf does not hang the run: replaced.
	rm -f "$W/edge.conf"; mkfifo "$W/edge.conf"; chown edge:edge "$W/edge.conf"
	assert_ok "F10: a run with a FIFO at edge.conf (planted by edge) ends" timeout -s KILL 60 env SYSTEMD_DIR="$S" ETC_DIR="$E" "$PG" "$T/un.env"
	[ -f "$W/edge.conf" ] && [ ! -p "$W/edge.conf" ] && ok "... edge.conf a file again" || not_ok "... edge.conf a file again"
	# F7: a parent closed to others: edge could not reach its directory; said, exit 7.
	mkdir -m 700 "$T/closed"
	config unc GW-UNC INSTALL_UNITS=yes "EDGE_DIR=$T/closed/GW-UNC"
	assert_fails 7 "F7: INSTALL_UNITS=yes under a parent edge cannot enter: exit 7" pgu "$T/unc.env"
	assert_grep "... saying so" "GW-UNC: the user edge running the tools cannot reach it" "$T/err"
	# F5: with INSTALL_UNITS=yes a new state directory is edge's 0700 from the start.
	assert_eq "... the state directory was made edge's, 0700" "$(stat -c %a:%U:%G "$T/closed/GW-UNC")" 700:edge:edge
	if command -v softhsm2-util >/dev/null 2>&1 && getent group tss >/dev/null; then
		config unt GW-UTOK INSTALL_UNITS=yes \
			"PKCS11_URI=pkcs11:token=edge;object=edge-unit-key" "PIN_FILE=$T/pin"
		chown -R edge:edge "$T/softhsm"	# the token edge reaches (a TPM: the group tss)
		case " $(id -nG edge) " in *" tss "*) joins=unchanged ;; *) joins=changed ;; esac
		assert_ok "INSTALL_UNITS=yes with a token key" pgu "$T/unt.env"
		assert_grep "... edge joins tss" "^user  *$joins  *edge.*, in group tss" "$T/out"
		case " $(id -nG edge) " in *" tss "*) ok "... edge is in the group tss" ;; *) not_ok "... edge is in the group tss" ;; esac
		for u in edge-connect edge-renew; do
			cmp -s "$U0/tpm.conf" "$S/$u.service.d/tpm.conf" && ok "... $u.service.d/tpm.conf" || not_ok "... $u.service.d/tpm.conf"
		done
		assert_eq "... the PIN where tpm.conf loads it, root 0600" "$(stat -c %a:%U "$E/tpm-user.pin")" 600:root
		cmp -s "$T/pin" "$E/tpm-user.pin" && ok "... the PIN_FILE's copy" || not_ok "... the PIN_FILE's copy"
		assert_grep "... a line for pin" "^pin  *changed  *$E/tpm-user.pin" "$T/out"
		command -v systemd-analyze >/dev/null 2>&1 && verify_installed "tpm.conf and EDGE_DIR drop-ins"
		assert_ok "... a second run" pgu "$T/unt.env"
		assert_grep "... changes nothing" "GW-UTOK is enrolled; nothing changed" "$T/out"
		assert_ok "back to the file key" pgu "$T/un.env"
		[ ! -e "$S/edge-connect.service.d/tpm.conf" ] && [ ! -e "$S/edge-renew.service.d/tpm.conf" ] &&
			ok "... tpm.conf removed" || not_ok "... tpm.conf removed"
	else
		skip "INSTALL_UNITS=yes with a token key" "softhsm2-util or the group tss missing"
	fi
	if [ $made_user = yes ]; then
		userdel edge
		! getent passwd edge >/dev/null && ok "the user edge removed again" || not_ok "the user edge removed again"
	fi
fi

# --- shellcheck (as make lint runs it) -----------------------------------------------------
if command -v shellcheck >/dev/null 2>&1; then
	assert_ok "shellcheck finds nothing in provision-gateway.sh" shellcheck "$PG"
	assert_ok "... nor in the other shell scripts of examples/ and scripts/" \
		sh -c 'cd "$1" && shellcheck examples/*.sh examples/tpm/*.sh scripts/*' sh "$TOP"
else
	skip "shellcheck finds nothing in provision-gateway.sh" "shellcheck not installed"
	skip "... nor in the other shell scripts of examples/ and scripts/" "shellcheck not installed"
fi

# --- systemd units ----------------------------------------------------------------------
U=$TOP/examples/systemd
if ! command -v systemd-analyze >/dev/null 2>&1; then
	skip "systemd-analyze verify of examples/systemd" "systemd-analyze not installed"
elif [ ! -d "$U" ]; then
	skip "systemd-analyze verify of examples/systemd" "examples/systemd not written yet"
else
	# verify checks that ExecStart is executable: point the units at stand-ins
	# (the unit syntax is what is tested here, and edge-connect may not be built).
	mkdir "$T/units" "$T/stubs"
	for t in edge-connect edge-crl-update edge-activate; do
		printf '#!/bin/sh\nexit 0\n' > "$T/stubs/$t"; chmod +x "$T/stubs/$t"
	done
	for f in "$U"/*.service "$U"/*.timer "$U"/*.path; do
		sed "s|/usr/bin/edge-|$T/stubs/edge-|g" "$f" > "$T/units/${f##*/}"
	done
	rc=0
	SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no "$T"/units/* > "$T/verify" 2>&1 || rc=$?
	if [ $rc -ne 0 ] && grep -q -e "Failed to initialize manager" -e "No such file or directory.*bus" \
			-e "Operation not permitted" "$T/verify"; then
		skip "systemd-analyze verify of examples/systemd" "the analyzer cannot run here: $(head -1 "$T/verify")"
	else
		[ $rc -eq 0 ] && [ ! -s "$T/verify" ] && ok "systemd-analyze verify accepts the units" || {
			sed 's/^/# /' "$T/verify"; not_ok "systemd-analyze verify accepts the units"; }
	fi
	for f in edge-connect.service edge-crl-update.service edge-renew.service; do
		grep -q "^ExecStart=/usr/bin/edge-" "$U/$f" && grep -q '^Environment=EDGE_DIR=/var/lib/edge$' "$U/$f" &&
			grep -q '^StateDirectory=edge$' "$U/$f" && grep -q '^StateDirectoryMode=0700$' "$U/$f" &&
			ok "$f: the tool, EDGE_DIR and a private state directory" ||
			not_ok "$f: the tool, EDGE_DIR and a private state directory"
	done
	assert_grep "edge-connect is not restarted after usage errors or revocation (units.t: the policy)" \
		'^RestartPreventExitStatus=2 8$' "$U/edge-connect.service"
	assert_grep "edge-renew uses --renew-within 30" 'edge-activate .*--renew-within 30$' "$U/edge-renew.service"
	for f in edge-crl-update.timer edge-renew.timer; do
		grep -q '^Persistent=true$' "$U/$f" && grep -q '^RandomizedDelaySec=' "$U/$f" &&
			ok "$f: persistent, randomized" || not_ok "$f: persistent, randomized"
	done
	# The exposure score systemd computes from the hardening (0 best, 10 worst).
	if systemd-analyze security --help 2>/dev/null | grep -q -- --offline; then
		score=$(systemd-analyze security --offline=true "$T/units/edge-connect.service" 2>/dev/null |
			sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
		case $score in
			[0-2].*|3.0) ok "edge-connect.service exposure level $score (at most 3.0)" ;;
			*) not_ok "edge-connect.service exposure level '$score' (at most 3.0)" ;;
		esac
	else
		skip "edge-connect.service exposure level" "systemd-analyze security --offline not available"
	fi
fi

done_testing
