#!/bin/sh
# SPDX-License-Identifier: MIT
# examples/ansible/enrol.yml against the stand-in hub: three gateways on this
# machine (connection local, each its own state directory; one with its key
# in a SoftHSM2 token when SoftHSM2 is there), activation on the "control
# node" (a directory of its own), exit 4 retried, a second run with changed=0;
# renewal: gw2 with edge_renewal=gateway renews by its edge-renew.service's
# command, the others (control-node) hold no credentials, the play says so
# loudly, and a rerun within edge_renew_days renews them from the controller.
# Issue 19: the site's addresses come from the inventory's [gateways:vars]
# (they beat the role's defaults); --check --diff on a fresh and on an
# enrolled fleet changes nothing and says what would change; --tags runs one
# phase; edge_renew_days reaches edge-renew.service with the default
# edge_bin; a failing hub call fails the host with the tool's message and a
# rerun finishes; ansible-lint finds nothing.
. "$(dirname "$0")/../lib.sh"
command -v ansible-playbook >/dev/null 2>&1 || skip_all "ansible-playbook not installed (Debian package ansible-core)"
setup
hub_start

PB=$TOP/examples/ansible/enrol.yml
C=$T/controller
tok=
if command -v softhsm2-util >/dev/null 2>&1; then
	softhsm_setup edge Q7pin5y8
	echo Q7pin5y8 > "$T/pin"; chmod 600 "$T/pin"
	tok="edge_pkcs11_uri=\"pkcs11:token=edge;object=edge-key\" edge_pin_file=$T/pin"
fi
cat > "$T/inventory.ini" <<EOF
[gateways]
gw1 edge_dir=$T/gw1 edge_serial=ANS-0001 edge_license=LIC-1
gw2 edge_dir=$T/gw2 edge_serial=ANS-0002 edge_key_type=ec edge_renewal=gateway
gw3 edge_dir=$T/gw3 edge_serial=ANS-0003 $tok

[gateways:vars]
ansible_connection=local
ansible_python_interpreter=/usr/bin/python3
edge_api=$HUB_API
edge_portal=$HUB_PORTAL
edge_mqtt=$HUB_MQTT
edge_product_key=$HUB_PRODUCT_KEY
EOF
# The site's addresses are in the inventory above (group vars), the test's
# mechanics here; edge_user "": no system user made on this machine (the play
# runs as root, become keeps it root).
cat > "$T/vars.yml" <<EOF
edge_credentials: $HUB_CREDENTIALS
edge_controller_hub_ca: $HUB_CA
edge_controller_root_ca: $HUB_CA
edge_hub_ca: $HUB_CA
edge_root_ca: $HUB_CA
edge_bin: $B
edge_controller_dir: $C
edge_systemd_dir: "{{ edge_dir }}/systemd"
edge_user: ""
edge_renew_credentials_file: "{{ edge_dir }}/renew.credentials"
edge_tool_retries: 0
edge_retries: 5
edge_retry_delay: 1
EOF
for h in gw1 gw2 gw3; do mkdir -p "$T/$h/systemd"; done

ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_HOST_KEY_CHECKING=0
ANSIBLE_LOCAL_TEMP=$T/ansible-local ANSIBLE_REMOTE_TEMP=$T/ansible-remote ANSIBLE_FORKS=5
ANSIBLE_CONFIG=$T/none.cfg ANSIBLE_STDOUT_CALLBACK=default ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3
export ANSIBLE_NOCOLOR ANSIBLE_FORCE_COLOR ANSIBLE_RETRY_FILES_ENABLED ANSIBLE_HOST_KEY_CHECKING \
	ANSIBLE_LOCAL_TEMP ANSIBLE_REMOTE_TEMP ANSIBLE_FORKS ANSIBLE_CONFIG ANSIBLE_STDOUT_CALLBACK \
	ANSIBLE_PYTHON_INTERPRETER
: > "$T/none.cfg"
play() { (cd "$T" && LC_ALL=C.UTF-8 ansible-playbook -v -i "$T/inventory.ini" -e "@$T/vars.yml" "$@" "$PB"); }
# recap FIELD: FIELD=N of every host in the PLAY RECAP of $T/out, one "host=N" per line
recap() { sed -n "/^PLAY RECAP/,\$s/^\([a-z0-9]*\) *:.* $1=\([0-9]*\).*/\1=\2/p" "$T/out"; }

# --- --check --diff on a fresh fleet: nothing written, what would change said
snap() { find "$T"/gw1 "$T"/gw2 "$T"/gw3 "$C" -exec sh -c 'for f; do if [ -f "$f" ]; then echo "$f $(stat -c %a "$f") $(sha256sum < "$f")"; else echo "$f"; fi; done' sh {} + 2>/dev/null | sort; }
snap > "$T/snap0"
assert_ok "--check --diff on a fresh fleet" play --check --diff
cp "$T/out" "$T/check0"
assert_eq "fresh --check: every host failed=0" "$(recap failed | tr '\n' ' ')" "gw1=0 gw2=0 gw3=0 "
snap > "$T/snap1"
cmp -s "$T/snap0" "$T/snap1" && ok "fresh --check: nothing written on the gateways or the controller" ||
	not_ok "fresh --check: nothing written on the gateways or the controller"
for h in gw1 gw2 gw3; do
	sn=ANS-000${h#gw}
	assert_grep "fresh --check: $h: would make the key pair" "would make the key pair of $sn" "$T/check0"
	assert_grep "fresh --check: $h: would register" "would register $sn (product $HUB_PRODUCT_KEY) at $HUB_API" "$T/check0"
	assert_grep "fresh --check: $h: would apply for a certificate" "would apply for a new certificate for $sn (no certificate)" "$T/check0"
done
assert_grep "fresh --check --diff: edge.conf's lines shown" "^+api = $HUB_API\$" "$T/check0"
assert_grep "fresh --check --diff: the units shown" "$T/gw1/systemd/edge-connect.service" "$T/check0"

# The hub answers 500 to the first two certificate calls: with --retries 0
# each is an exit 4 from edge-activate, and the playbook's until/retries
# must carry it through.
echo "certificates http500 2" > "$T/hub/faults"
start=$(date +%s)
assert_ok "first run of the playbook" play
diag "first run: $(( $(date +%s) - start )) s"
cp "$T/out" "$T/run1"
assert_eq "every host failed=0" "$(recap failed | tr '\n' ' ')" "gw1=0 gw2=0 gw3=0 "
assert_grep "exit 4 was retried" "FAILED - RETRYING: .*Apply for the certificate" "$T/run1"
: > "$T/hub/faults"

keys=
for h in gw1 gw2 gw3; do
	d=$T/$h
	certtool --verify --load-ca-certificate "$d/ca.pem" --infile "$d/cert.pem" > "$T/v" 2>&1
	assert_grep "$h: certtool --verify accepts cert.pem against ca.pem" "Chain verification output: Verified" "$T/v"
	pub=$(openssl x509 -in "$d/cert.pem" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -c1-64)
	if [ -f "$d/key.pem" ]; then
		own=$(openssl pkey -in "$d/key.pem" -pubout -outform DER | sha256sum | cut -c1-64)
	else
		own=$(edge-keygen -d "$d" --pin "file:$T/pin" --json 2>/dev/null | jq -r .key_id | sed 's/^sha256://')
	fi
	assert_eq "$h: the certificate carries the gateway's own key" "$pub" "$own"
	keys="$keys$pub
"
	assert_eq "$h: device.secret 0600" "$(file_mode "$d/device.secret")" 600
	sn=$(jq -r .serial "$d/device.json")
	assert_eq "$h: device.json is this gateway's" "$sn" "ANS-000${h#gw}"
	[ -f "$d/crl.pem" ] && ok "$h: crl.pem installed" || not_ok "$h: crl.pem installed"
	assert_grep "$h: the inventory's group vars beat the role's defaults (edge.conf api)" "^api = $HUB_API\$" "$d/edge.conf"
	[ -f "$d/systemd/edge-connect.service" ] && grep -q "^Environment=EDGE_DIR=$d\$" "$d/systemd/edge-connect.service.d/edgecert.conf" &&
		ok "$h: edge-connect.service and its drop-in installed" || not_ok "$h: edge-connect.service and its drop-in installed"
done
assert_eq "three distinct keys" "$(printf '%s' "$keys" | sort -u | grep -c .)" 3
if [ -n "$tok" ]; then
	[ -f "$T/gw3/key.uri" ] && [ ! -e "$T/gw3/key.pem" ] && ok "gw3: key in the token" || not_ok "gw3: key in the token"
	assert_grep "gw3: tpm.conf in edge-connect.service.d (TPM2_PKCS11_TCTI)" "^Environment=TPM2_PKCS11_TCTI=" "$T/gw3/systemd/edge-connect.service.d/tpm.conf"
	assert_grep "gw3: ... its PIN credential from edge_pin_file" "^LoadCredential=pin:$T/pin\$" "$T/gw3/systemd/edge-connect.service.d/tpm.conf"
	[ ! -e "$T/gw1/systemd/edge-connect.service.d/tpm.conf" ] && ok "gw1 (file key): no tpm.conf" || not_ok "gw1 (file key): no tpm.conf"
else
	skip "gw3: key in the token" "softhsm2-util not installed"
fi
n=$(find "$C" \( -name 'key.pem' -o -name 'key.uri' -o -name '*.key' \) | wc -l)
assert_eq "the controller has no key file" "$n" 0
if grep -rl "PRIVATE KEY" "$C" >/dev/null 2>&1; then not_ok "no private key anywhere on the controller"; else ok "no private key anywhere on the controller"; fi
# --- who renews ---------------------------------------------------------------------
for h in gw1 gw3; do
	sn=ANS-000${h#gw}
	na=$(openssl x509 -in "$T/$h/cert.pem" -noout -enddate | sed 's/notAfter=//')
	na=$(date -u -d "$na" +%Y-%m-%dT%H:%M:%SZ)
	assert_grep "$h (control-node): the play says loudly that the control node renews before $na" \
		"WARNING: RENEWAL=control-node: $sn holds no application credentials and cannot renew itself; the control node must renew its certificate before $na (in [0-9]* days)" "$T/run1"
	[ ! -e "$T/$h/renew.credentials" ] && [ ! -e "$T/$h/hub-token.json" ] &&
		ok "$h: no credentials and no access token kept" || not_ok "$h: no credentials and no access token kept"
	assert_not_grep "$h: edge.conf names no credentials" "^credentials" "$T/$h/edge.conf"
	if grep -rqF -e "$(cat "$HUB_SECRET_KEY_FILE")" -e "$HUB_ACCESS_KEY" "$T/$h"; then
		not_ok "$h: nothing of the application credentials in the state directory"
	else
		ok "$h: nothing of the application credentials in the state directory"
	fi
	[ ! -e "$T/$h/systemd/edge-renew.timer" ] && [ ! -e "$T/$h/systemd/edge-renew.service.d" ] &&
		ok "$h: edge-renew.timer not installed" || not_ok "$h: edge-renew.timer not installed"
done
assert_grep "gw2 (gateway): the play says it renews itself" "RENEWAL: gateway: ANS-0002 renews itself (edge-renew.timer" "$T/run1"
assert_eq "gw2: renew.credentials 0600" "$(file_mode "$T/gw2/renew.credentials")" 600
cmp -s "$HUB_CREDENTIALS" "$T/gw2/renew.credentials" && ok "gw2: ... the credentials" || not_ok "gw2: ... the credentials"
assert_grep "gw2: edge.conf names them" "^credentials = $T/gw2/renew.credentials\$" "$T/gw2/edge.conf"
assert_grep "gw2: edge-renew.service loads them as its credential" "^LoadCredential=credentials:$T/gw2/renew.credentials\$" "$T/gw2/systemd/edge-renew.service.d/edgecert.conf"
[ -f "$T/gw2/systemd/edge-renew.timer" ] && [ -f "$T/gw2/systemd/edge-renew.service.d/edgecert.conf" ] &&
	ok "gw2: edge-renew.timer and its drop-in installed" || not_ok "gw2: edge-renew.timer and its drop-in installed"
[ -f "$C/ANS-0001/device.secret" ] && cmp -s "$C/ANS-0001/device.secret" "$T/gw1/device.secret" &&
	ok "the device secret was pushed from the controller" || not_ok "the device secret was pushed from the controller"

before=$(cat "$T"/gw*/cert.pem "$T"/gw*/key.* "$T"/gw*/device.json | sha256sum)
start=$(date +%s)
assert_ok "second run of the playbook" play
diag "second run: $(( $(date +%s) - start )) s"
cp "$T/out" "$T/run2"
assert_eq "second run: changed=0 for every host" "$(recap changed | tr '\n' ' ')" "gw1=0 gw2=0 gw3=0 "
assert_eq "second run: ok for every host" "$(recap failed | tr '\n' ' ')" "gw1=0 gw2=0 gw3=0 "
assert_eq "second run: no key, certificate or record touched" "$(cat "$T"/gw*/cert.pem "$T"/gw*/key.* "$T"/gw*/device.json | sha256sum)" "$before"

assert_grep "systemd is not running here: the units are installed, not started" "not enabled or started (edge_manage_services True, systemd running: False)" "$T/run2"

# --- --check --diff on the enrolled fleet: nothing to change, nothing written
snap > "$T/snap2"
assert_ok "--check --diff on the enrolled fleet" play --check --diff
cp "$T/out" "$T/check1"
assert_eq "enrolled --check: failed=0" "$(recap failed | tr '\n' ' ')" "gw1=0 gw2=0 gw3=0 "
assert_eq "enrolled --check: changed=0" "$(recap changed | tr '\n' ' ')" "gw1=0 gw2=0 gw3=0 "
assert_ok "enrolled --check with edge_renew_days=3650: what a renewal would do" play --check --diff -e edge_renew_days=3650
cp "$T/out" "$T/check2"
assert_eq "enrolled --check, all due: failed=0" "$(recap failed | tr '\n' ' ')" "gw1=0 gw2=0 gw3=0 "
assert_grep "enrolled --check, all due: says it would apply, and why" \
	"would apply for a new certificate for ANS-0001 ([0-9]* days left, fewer than edge_renew_days 3650)" "$T/check2"
assert_grep "enrolled --check, all due: shows the drop-in's new renewal window" "^+ExecStart=.*--renew-within 3650" "$T/check2"
snap > "$T/snap3"
cmp -s "$T/snap2" "$T/snap3" && ok "enrolled --check: nothing written" || not_ok "enrolled --check: nothing written"

# --- tags: one phase; edge_renew_days reaches edge-renew.service with the default edge_bin
rm "$T/gw1/systemd/edge-connect.service"
assert_ok "--tags units with edge_bin=/usr/bin and edge_renew_days=45" play --tags units -e edge_bin=/usr/bin -e edge_renew_days=45
cp "$T/out" "$T/tags"
[ -f "$T/gw1/systemd/edge-connect.service" ] && ok "--tags units: the unit is back" || not_ok "--tags units: the unit is back"
assert_grep "edge_renew_days with the default edge_bin: edge-renew.service runs /usr/bin/edge-activate --renew-within 45" \
	"^ExecStart=/usr/bin/edge-activate .*--renew-within 45\$" "$T/gw2/systemd/edge-renew.service.d/edgecert.conf"
assert_not_grep "--tags units: no other phase ran (no key, registration, certificate or CRL task)" \
	"TASK \[edgecert : \(Key pair\|Register\|Apply\|CRL\]\)" "$T/tags"
assert_ok "--tags units again with the test's settings" play --tags units
assert_grep "the drop-in has the test's edge_bin again" "^ExecStart=$B/edge-activate .*--renew-within 30\$" "$T/gw2/systemd/edge-renew.service.d/edgecert.conf"

# Nothing secret in what Ansible printed (run with -v, so module results are shown).
cat "$T/run1" "$T/run2" "$T/check0" "$T/check1" "$T/check2" > "$T/all"
leak=
for s in "$(cat "$HUB_SECRET_KEY_FILE")" "$(cat "$T"/gw1/device.secret)" "$(cat "$T"/gw2/device.secret)" "$(cat "$T"/gw3/device.secret)"; do
	if [ -z "$s" ]; then leak="a secret to look for is missing"; elif grep -qF -e "$s" "$T/all"; then leak=yes; fi
done
[ -n "$tok" ] && grep -q "Q7pin5y8" "$T/all" && leak=yes
[ -z "$leak" ] && ok "no secret in the ansible output" || not_ok "no secret in the ansible output"
assert_grep "the secret push is censored" "censored" "$T/all"

# --- gateway renewal: the unit's command as installed (the drop-in's EDGE_DIR and
# ExecStart), with a window that makes it due now (after the second run, whose CRL it changes).
d=$T/gw2/systemd/edge-renew.service.d/edgecert.conf
cmd=$(sed -n 's/^ExecStart=\(..*\)/\1/p' "$d" | sed 's/--renew-within 30$/--renew-within 3650/')
gdir=$(sed -n 's/^Environment=EDGE_DIR=//p' "$d")
sn1=$(openssl x509 -in "$T/gw2/cert.pem" -noout -serial)
cp "$T/gw2/cert.pem" "$T/gw2-old.pem"
# The credential as systemd hands it over: LoadCredential=credentials:FILE of the
# drop-in, the unit's EDGE_CREDENTIALS=cred:credentials.
mkdir -m 700 "$T/creds"
cp "$(sed -n 's/^LoadCredential=credentials://p' "$d")" "$T/creds/credentials"
assert_ok "gw2: '$cmd' renews without a person" env -i PATH=/usr/bin:/bin EDGE_DIR="$gdir" \
	CREDENTIALS_DIRECTORY="$T/creds" EDGE_CREDENTIALS=cred:credentials $cmd
sn2=$(openssl x509 -in "$T/gw2/cert.pem" -noout -serial)
[ "$sn1" != "$sn2" ] && ok "gw2: a new certificate" || not_ok "gw2: a new certificate"

# --- a hub call failing: the play fails on those hosts with the tool's own message
echo "certificates http500 -1" > "$T/hub/faults"
assert_fails 2 "the hub answers 500 to every certificate call: the play fails" play -e edge_renew_days=3650 -e edge_retries=1
cp "$T/out" "$T/fail"
assert_eq "every host failed=1" "$(recap failed | tr '\n' ' ')" "gw1=1 gw2=1 gw3=1 "
assert_grep "the failure is the apply step's, with edge-activate's own message" \
	'^fatal: \[gw1 -> localhost\]: FAILED!.*"stderr": "edge-activate: [^"]' "$T/fail"
: > "$T/hub/faults"

# --- control-node renewal: a rerun within edge_renew_days renews from the controller --
old1=$(openssl x509 -in "$T/gw1/cert.pem" -noout -serial)
old3=$(openssl x509 -in "$T/gw3/cert.pem" -noout -serial)
cp "$T/gw1/cert.pem" "$T/gw1-old.pem"; cp "$T/gw3/cert.pem" "$T/gw3-old.pem"
assert_ok "a rerun with edge_renew_days=3650 (all due)" play -e edge_renew_days=3650
cp "$T/out" "$T/run3"
assert_eq "rerun: every host failed=0" "$(recap failed | tr '\n' ' ')" "gw1=0 gw2=0 gw3=0 "
[ "$old1" != "$(openssl x509 -in "$T/gw1/cert.pem" -noout -serial)" ] && [ "$old3" != "$(openssl x509 -in "$T/gw3/cert.pem" -noout -serial)" ] &&
	ok "gw1 and gw3 got new certificates from the controller" || not_ok "gw1 and gw3 got new certificates from the controller"
for h in gw1 gw3; do
	certtool --verify --load-ca-certificate "$T/$h/ca.pem" --infile "$T/$h/cert.pem" > "$T/v" 2>&1
	assert_grep "$h: the renewed cert.pem verifies" "Chain verification output: Verified" "$T/v"
	[ ! -e "$T/$h/renew.credentials" ] && [ ! -e "$T/$h/hub-token.json" ] &&
		ok "$h: still no credentials kept" || not_ok "$h: still no credentials kept"
done
assert_grep "rerun: the loud line again" "WARNING: RENEWAL=control-node: ANS-0001" "$T/run3"
assert_grep "rerun: the controller revoked the superseded certificates" "TASK \\[edgecert : Revoke the device's other certificates as superseded" "$T/run3"
# Independent of the play's word: the hub's CRL lists every replaced certificate, and
# none of the current ones (one gateway, one valid certificate).
for h in gw1 gw2 gw3; do
	edge-crl-update -q -d "$T/$h" >/dev/null 2>&1
	assert_fails 8 "$h: the replaced certificate is on the hub's CRL" edge-crl-update -d "$T/$h" --check "$T/$h-old.pem"
	assert_ok "$h: the current one is not" edge-crl-update -d "$T/$h" --check "$T/$h/cert.pem"
	openssl crl -in "$T/$h/crl.pem" -noout -text > "$T/crltext" 2>&1
	s_old=$(openssl x509 -in "$T/$h-old.pem" -noout -serial | sed 's/serial=//')
	grep -qi "Serial Number: $s_old\$" "$T/crltext" && ok "$h: openssl crl lists the replaced serial" ||
		not_ok "$h: openssl crl lists the replaced serial $s_old"
done
cat "$T/run3" "$T/fail" >> "$T/all"
grep -qF -e "$(cat "$HUB_SECRET_KEY_FILE")" "$T/all" && not_ok "no secret in the rerun's output" || ok "no secret in the rerun's output"

# --- as root with the role's default edge_user (edge), issue 19 (red team F3 F2):
# the user is made when absent, the state directory made for it (0700, missing
# parents 0755 root's), and every tool and task inside it runs as edge (su, as
# a root connection without sudo has it): what is there is edge's because edge
# wrote it, not because root handed it over; a rerun changes nothing; links
# edge plants there hand nothing of root's to edge.
if [ "$(id -u)" -ne 0 ] || ! command -v useradd >/dev/null 2>&1; then
	skip "as root with edge_user edge" "needs root and useradd"
else
	getent passwd edge >/dev/null || on_exit "userdel edge 2>/dev/null; groupdel edge 2>/dev/null"
	chmod 711 "$T"	# edge walks through to its state directory and the tools
	R=$T/r4
	mkdir -m 755 "$R" "$R/systemd-ANS-0004" "$R/systemd-ANS-0006" "$R/etc"
	cp "$HUB_CA" "$R/hub-ca.pem"; chmod 644 "$R/hub-ca.pem"
	G4=$R/srv/gw/edge
	# gw6: the key in a token of its own (SoftHSM2, the store writable for edge, which
	# does not exist yet), the PIN root's (edge_pin_file, 0600): the tools, as edge,
	# read the play's copy of it, which the play removes again
	tok6= G6=$R/srv/gw6/edge
	if [ -n "$tok" ] && getent group tss >/dev/null; then
		mkdir -p "$R/softhsm/tokens"
		printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
			"$R/softhsm/tokens" > "$R/softhsm/softhsm2.conf"
		SOFTHSM2_CONF=$R/softhsm/softhsm2.conf softhsm2-util --init-token --free --label edge6 \
			--pin 6pin6pin6 --so-pin 0000 >/dev/null 2>&1 || echo "Bail out! softhsm2-util --init-token"
		chmod -R a+rwX "$R/softhsm"
		echo 6pin6pin6 > "$R/etc/pin6"; chmod 600 "$R/etc/pin6"
		tok6="gw6 edge_dir=$G6 edge_serial=ANS-0006 edge_pkcs11_uri=\"pkcs11:token=edge6;object=edge-key\" edge_pin_file=$R/etc/pin6"
	fi
	cat > "$T/inventory4.ini" <<EOF
[gateways]
gw4 edge_dir=$G4 edge_serial=ANS-0004
$tok6

[gateways:vars]
ansible_connection=local
ansible_python_interpreter=/usr/bin/python3
edge_api=$HUB_API
edge_portal=$HUB_PORTAL
edge_mqtt=$HUB_MQTT
edge_product_key=$HUB_PRODUCT_KEY
EOF
	# vars.yml without edge_user (the default, edge) and with root's files outside edge_dir
	sed -e '/^edge_user:/d' -e '/^edge_systemd_dir:/d' -e '/^edge_renew_credentials_file:/d' \
	    -e '/^edge_hub_ca:/d' -e '/^edge_root_ca:/d' "$T/vars.yml" > "$T/vars4.yml"
	cat >> "$T/vars4.yml" <<EOF
edge_systemd_dir: "$R/systemd-{{ edge_serial }}"
edge_renew_credentials_file: $R/etc/renew.credentials
edge_hub_ca: $R/hub-ca.pem
edge_root_ca: $R/hub-ca.pem
EOF
	# gw4 and gw6 are one machine here, and both make and change the one
	# account edge: one host at a time (-f 1), or their groupadd and usermod
	# race (seen: "group 'edge' already exists"); two real gateways do not share it.
	play4() { (cd "$T" && LC_ALL=C.UTF-8 SOFTHSM2_CONF=$R/softhsm/softhsm2.conf ansible-playbook -v -f 1 -i "$T/inventory4.ini" -e "@$T/vars4.yml" "$@" "$PB"); }
	had_edge=$(getent passwd edge | cut -d: -f1)
	assert_ok "as root, edge_user edge: --check --diff on the fresh gateway" play4 --check --diff
	assert_eq "... failed=0" "$(recap failed | tr '\n' ' ')" "gw4=0 ${tok6:+gw6=0 }"
	[ ! -e "$R/srv" ] && [ "$(getent passwd edge | cut -d: -f1)" = "$had_edge" ] &&
		ok "... nothing made (state directory, user)" || not_ok "... nothing made (state directory, user)"
	assert_ok "as root, edge_user edge: the play enrols" play4
	cp "$T/out" "$T/run4"
	grep -A3 '^fatal' "$T/run4" | cut -c1-1500 | sed 's/^/# /'
	assert_eq "as root: failed=0" "$(recap failed | tr '\n' ' ')" "gw4=0 ${tok6:+gw6=0 }"
	if [ -z "$had_edge" ]; then
		assert_eq "as root: the user edge made, home and shell as the field script makes them" \
			"$(getent passwd edge | cut -d: -f6,7) $(id -gn edge)" "/:/usr/sbin/nologin edge"
		# an existing account's home and shell are its own: the rerun leaves
		# them, and does not make a home that is missing (a system account's
		# /nonexistent: ansible's user module made it, create_home defaults
		# to yes; a fresh machine showed it, where /nonexistent was absent)
		usermod -d "$R/no-home" -s /bin/false edge
	fi
	pw=$(getent passwd edge)
	assert_eq "as root: the state directory is edge's, 0700" "$(stat -c '%U:%G %a' "$G4" 2>&1)" "edge:edge 700"
	assert_eq "as root: its missing parents were made root's, 0755" "$(stat -c '%U %a' "$R/srv" "$R/srv/gw" 2>&1 | tr '\n' ' ')" "root 755 root 755 "
	for f in key.pem csr.pem device.json device.secret cert.pem ca.pem crl.pem edge.conf; do
		assert_eq "as root: $f was written by edge (owner edge)" "$(stat -c %U "$G4/$f" 2>&1)" edge
	done
	certtool --verify --load-ca-certificate "$G4/ca.pem" --infile "$G4/cert.pem" > "$T/v" 2>&1
	assert_grep "as root: certtool --verify accepts gw4's cert.pem" "Chain verification output: Verified" "$T/v"
	assert_eq "as root: the units and drop-ins stay root's" \
		"$(find "$R"/systemd-* ! -user root | wc -l) $(find "$R/systemd-ANS-0004" -name edgecert.conf | wc -l)" "0 3"
	if [ -n "$tok6" ]; then
		[ -f "$G6/key.uri" ] && [ ! -e "$G6/key.pem" ] && [ "$(stat -c %U "$G6/key.uri" "$G6/cert.pem" | tr '\n' ' ')" = "edge edge " ] &&
			ok "as root, token key: key.uri and cert.pem written by edge" || not_ok "as root, token key: key.uri and cert.pem written by edge"
		assert_eq "as root, token key: edge is in group tss" "$(id -nG edge | tr ' ' '\n' | grep -cx tss)" 1
		assert_eq "as root, token key: the PIN stays root's 0600" "$(stat -c '%U %a' "$R/etc/pin6")" "root 600"
		[ ! -e "$G6/.play-pin" ] && ok "as root, token key: the play's PIN copy is gone" || not_ok "as root, token key: the play's PIN copy is gone"
		assert_grep "as root, token key: tpm.conf loads the PIN from edge_pin_file" "^LoadCredential=pin:$R/etc/pin6\$" "$R/systemd-ANS-0006/edge-connect.service.d/tpm.conf"
	else
		skip "as root, token key" "no SoftHSM2 or no group tss"
	fi
	# edge plants links in its state directory to a file and a directory of root's
	echo "root's" > "$R/victim"; chmod 600 "$R/victim"
	mkdir -m 700 "$R/victim.d"; echo "root's" > "$R/victim.d/f"
	runuser -u edge -- ln -s "$R/victim" "$G4/notes"
	runuser -u edge -- ln -s "$R/victim.d" "$G4/sub"
	# what the rerun starts from (a fresh root once saw it add edge to tss again)
	groups_before=$(id -nG edge 2>&1; grep '^tss:' /etc/group)
	assert_ok "as root: the rerun" play4
	cp "$T/out" "$T/run4b"
	changed4=$(recap changed | tr '\n' ' ')
	if [ "$changed4" != "gw4=0 ${tok6:+gw6=0 }" ]; then
		grep -B3 '^changed:' "$T/run4b" | cut -c1-600 | sed 's/^/# /'
		diag "before the rerun: $(echo "$groups_before" | tr '\n' ' '); after: id edge: $(id edge 2>&1); $(getent group tss edge | tr '\n' ' '); nsswitch group: $(sed -n 's/^group: *//p' /etc/nsswitch.conf)"
	fi
	assert_eq "as root: the rerun changed=0" "$changed4" "gw4=0 ${tok6:+gw6=0 }"
	assert_eq "as root: the rerun left the account edge as it was" "$(getent passwd edge)" "$pw"
	if [ -z "$had_edge" ]; then
		[ ! -e "$R/no-home" ] && ok "... and made no home it lacks" || not_ok "... and made no home it lacks"
	else
		skip "... and made no home it lacks" "the account edge was there before the test"
	fi
	assert_ok "as root: a run with --tags nothing (the checks every tag runs)" play4 --tags nothing
	assert_eq "as root: a file edge linked into its state directory stays root's" \
		"$(stat -c '%U:%G %a' "$R/victim" "$R/victim.d" "$R/victim.d/f" | tr '\n' ' ')" "root:root 600 root:root 700 root:root 644 "
	assert_eq "... and unchanged" "$(cat "$R/victim")" "root's"
fi

# --- settings checked before any change (issue 19, red team F12): a path that
# reaches a unit file or root's tasks is absolute and canonical, with no
# whitespace, %, glob or control character; the serial is an EnOS key
mkdir -m 755 "$T/r5"
for bad in "$T/r5/new/../gw" "$T/r5/gw%n" "$T/r5/g w" "$T/r5/gw*" "r5/gw" "$T/r5/gw/"; do
	assert_fails 2 "edge_dir '$bad' fails the play" play -l gw1 -e "{\"edge_dir\": \"$bad\"}"
	cp "$T/out" "$T/bad"
	assert_grep "... naming edge_dir" "edge_dir must be an absolute, canonical path" "$T/bad"
	assert_eq "... before any change (changed=0)" "$(recap changed | tr '\n' ' ')" "gw1=0 "
done
assert_eq "no directory was made for the bad edge_dir values" "$(find "$T/r5" -mindepth 1 | wc -l)" 0
assert_fails 2 "edge_dir with a newline fails the play" play -l gw1 -e "{\"edge_dir\": \"$T/r5/gw\\nExecStartPre=/bin/x\"}"
assert_grep "... naming edge_dir" "edge_dir must be an absolute, canonical path" "$T/out"
assert_fails 2 "edge_bin with a space fails the play" play -l gw1 -e "{\"edge_bin\": \"/usr/b in\"}"
assert_grep "... naming edge_bin" "edge_bin must be an absolute, canonical path" "$T/out"
assert_fails 2 "edge_systemd_dir with % fails the play" play -l gw1 -e "{\"edge_systemd_dir\": \"/etc/systemd/%n\"}"
assert_grep "... naming edge_systemd_dir" "edge_systemd_dir must be an absolute, canonical path" "$T/out"
assert_fails 2 "edge_serial 'GW 1' fails the play" play -l gw1 -e "{\"edge_serial\": \"GW 1\"}"
assert_grep "... naming edge_serial" "edge_serial must be 1 to 64 letters" "$T/out"
assert_eq "... before any change (changed=0)" "$(recap changed | tr '\n' ' ')" "gw1=0 "

# --- the PIN's default path lasts across reboots (issue 19, red team F11): root's
# /etc/edge/tpm-user.pin, as the field script copies it, in tpm.conf and edge.conf
mkdir -p "$T/gw5/systemd"
cat > "$T/inventory5.ini" <<EOF
[gateways]
gw5 edge_dir=$T/gw5 edge_serial=ANS-0005 edge_pkcs11_uri="pkcs11:token=edge;object=edge-key"

[gateways:vars]
ansible_connection=local
ansible_python_interpreter=/usr/bin/python3
EOF
assert_ok "a token gateway without edge_pin_file: --tags config,units" \
	sh -c 'cd "$1" && LC_ALL=C.UTF-8 ansible-playbook -i "$1/inventory5.ini" -e "@$1/vars.yml" --tags config,units "$2"' sh "$T" "$PB"
assert_grep "tpm.conf loads the PIN from /etc/edge/tpm-user.pin" "^LoadCredential=pin:/etc/edge/tpm-user.pin\$" "$T/gw5/systemd/edge-connect.service.d/tpm.conf"
assert_grep "edge.conf names it" "^pin = file:/etc/edge/tpm-user.pin\$" "$T/gw5/edge.conf"

# --- ansible-lint (Debian's 6.13), as make lint runs it
if command -v ansible-lint >/dev/null 2>&1; then
	# its own environment: none of the ANSIBLE_* settings of the runs above
	(cd "$TOP/examples/ansible" && env -i PATH="$PATH" HOME="$T" LC_ALL=C.UTF-8 ansible-lint --offline -p) > "$T/lint" 2>&1 &&
		ok "ansible-lint finds nothing in examples/ansible" ||
		{ sed 's/^/# /' "$T/lint" | tail -n 20; not_ok "ansible-lint finds nothing in examples/ansible"; }
else
	skip "ansible-lint finds nothing in examples/ansible" "ansible-lint not installed (Debian package ansible-lint)"
fi

done_testing
