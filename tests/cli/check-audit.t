#!/bin/sh
# SPDX-License-Identifier: MIT
# examples/ansible/audit.yml: edge-check --json on every gateway, one fleet
# table on the control node.  Gateways on this machine (connection local, one
# state directory each, enrolled by the tools against the stand-in hub): gw3 is
# a copy of gw1's state directory (the same key and certificate), so the table
# fails both and names the other (fleet.key, fleet.cert), which no single
# gateway's edge-check can see; gw4's state directory is missing (edge-check
# cannot run: an error row).  No gateway's play fails, the play ends non-zero
# (its last task, on localhost).  A healthy pair (gw1, gw2): no duplicate
# finding, and exit 0 when none of their checks fails; a gateway that cannot
# be reached (ssh to a closed port) is an error row.  Nothing on a gateway
# changes.  edge-check runs in a network namespace of its own with a
# default-drop input policy when this machine allows it (edge_bin is a
# directory of wrappers), so the host's own firewall does not decide.
. "$(dirname "$0")/../lib.sh"
command -v ansible-playbook >/dev/null 2>&1 || skip_all "ansible-playbook not installed (Debian package ansible-core)"
for t in jq openssl; do command -v $t >/dev/null 2>&1 || skip_all "$t not installed"; done
[ -x "$B/edge-check" ] || skip_all "edge-check not built"
setup
hub_start

PB=$TOP/examples/ansible/audit.yml
# Each state directory in a directory of its own: siblings with the same key
# would fail key.purpose on the gateway itself, and the point here is the fleet view.
enrol() {	# NAME SERIAL
	mkdir -m 700 "$T/$1" "$T/$1/state"
	d=$T/$1/state
	edge-keygen -q -d "$d" >/dev/null &&
	edge-csr -q -d "$d" --ca "$HUB_CA" --locality Shanghai --org-unit Edge --cn "$2" >/dev/null &&
	edge-provision -q -d "$d" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial "$2" \
		--portal "$HUB_PORTAL" --mqtt "$HUB_MQTT" >/dev/null &&
	edge-activate -q -d "$d" $HUBOPTS >/dev/null &&
	edge-crl-update -q -d "$d" --hub-ca "$HUB_CA" >/dev/null
}
enrol gw1 AUD-0001 && enrol gw2 AUD-0002 && ok "gw1 and gw2 enrolled against the stand-in hub" ||
	not_ok "gw1 and gw2 enrolled against the stand-in hub"
mkdir -m 700 "$T/gw3"
cp -a "$T/gw1/state" "$T/gw3/state"
mkdir -m 700 "$T/gw4"	# gw4/state is missing
mkdir "$T/scan"
fp() { openssl x509 -in "$1" -noout -fingerprint -sha256; }
[ "$(fp "$T/gw1/state/cert.pem")" = "$(fp "$T/gw3/state/cert.pem")" ] &&
	[ "$(fp "$T/gw1/state/cert.pem")" != "$(fp "$T/gw2/state/cert.pem")" ] &&
	ok "openssl: gw3 holds gw1's certificate, gw2 its own" || not_ok "openssl: gw3 holds gw1's certificate, gw2 its own"

# edge_bin: the tools, edge-check wrapped into its own network namespace when possible.
mkdir "$T/bin"
for t in "$B"/edge-*; do ln -s "$t" "$T/bin/"; done
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1 && command -v nft >/dev/null 2>&1; then
	cat > "$T/fw.nft" <<'EOF'
table inet filter {
	chain input {
		type filter hook input priority filter; policy drop;
		iif "lo" accept
		ct state established,related accept
	}
}
EOF
	if unshare -n nft -f "$T/fw.nft" 2>/dev/null; then
		rm "$T/bin/edge-check"
		printf '#!/bin/sh\nexec unshare -n sh -c '\''nft -f "$0" && exec "$@"'\'' "%s" "%s" "$@"\n' \
			"$T/fw.nft" "$B/edge-check" > "$T/bin/edge-check"
		chmod 755 "$T/bin/edge-check"
	fi
fi

# inventory FILE HOST...: those gateways, connection local.
inventory() {
	f=$1; shift
	{
		echo "[gateways]"
		for h in "$@"; do echo "$h edge_dir=$T/$h/state edge_serial=$h"; done
		echo
		echo "[gateways:vars]"
		echo "ansible_connection=local"
		echo "ansible_python_interpreter=/usr/bin/python3"
	} > "$f"
}
cat > "$T/vars.yml" <<EOF
edge_bin: $T/bin
edge_user: ""
edge_check_args: [--scan, $T/scan]
EOF
ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_HOST_KEY_CHECKING=0
ANSIBLE_LOCAL_TEMP=$T/ansible-local ANSIBLE_REMOTE_TEMP=$T/ansible-remote ANSIBLE_FORKS=5
ANSIBLE_CONFIG=$T/none.cfg ANSIBLE_STDOUT_CALLBACK=default ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3
ANSIBLE_LOCALHOST_WARNING=0 ANSIBLE_INVENTORY_UNPARSED_WARNING=0
export ANSIBLE_NOCOLOR ANSIBLE_FORCE_COLOR ANSIBLE_RETRY_FILES_ENABLED ANSIBLE_HOST_KEY_CHECKING \
	ANSIBLE_LOCAL_TEMP ANSIBLE_REMOTE_TEMP ANSIBLE_FORKS ANSIBLE_CONFIG ANSIBLE_STDOUT_CALLBACK \
	ANSIBLE_PYTHON_INTERPRETER ANSIBLE_LOCALHOST_WARNING ANSIBLE_INVENTORY_UNPARSED_WARNING
: > "$T/none.cfg"
play() {	# INVENTORY ARGS...
	inv=$1; shift
	(cd "$T" && LC_ALL=C.UTF-8 ansible-playbook -i "$inv" -e "@$T/vars.yml" "$@" "$PB")
}
recap() { sed -n "/^PLAY RECAP/,\$s/^\([a-z0-9]*\) *:.* $1=\([0-9]*\).*/\1=\2/p" "$T/out"; }
# row NAME: the fleet table's line of gateway NAME (as the debug task prints it)
row() { sed -n "s/^ *\"\($1 .*\)\",\{0,1\}\$/\1/p" "$T/out" | head -1; }
snap() { find "$T"/gw1 "$T"/gw2 "$T"/gw3 -exec stat -c '%n %a %s %Y' {} + | sort | sha256sum; }
before=$(snap)

# --- gw1 and gw3 share a key and a certificate; gw4 has no state directory -------------
inventory "$T/dup.ini" gw1 gw3 gw4
assert_fails 2 "gw1, gw3 (gw1's copy), gw4 (missing): the play ends with exit 2" \
	play "$T/dup.ini" -e "edge_audit_file=$T/dup.json"
cp "$T/out" "$T/dup.out"
assert_eq "... no gateway's play failed" "$(recap failed | grep -v localhost | tr '\n' ' ')" "gw1=0 gw3=0 gw4=0 "
assert_eq "... the last task on the control node did" "$(recap failed | grep localhost)" "localhost=1"
assert_eq "... changed nothing on the gateways" "$(recap changed | grep -v localhost | tr '\n' ' ')" "gw1=0 gw3=0 gw4=0 "
assert_grep "the fleet table has its header" '"gateway  verdict  days left  fails; warns"' "$T/dup.out"
r1=$(row gw1); r3=$(row gw3); r4=$(row gw4)
diag "gw1: $r1"; diag "gw3: $r3"; diag "gw4: $r4"
case $r1 in "gw1  "*" fail "*"fleet.key (same key as gw3)"*"fleet.cert (same certificate as gw3)"*) ok "gw1 fails: the same key and certificate as gw3, named" ;;
	*) not_ok "gw1 fails: the same key and certificate as gw3, named" ;; esac
case $r3 in "gw3  "*" fail "*"fleet.key (same key as gw1)"*"fleet.cert (same certificate as gw1)"*) ok "gw3 fails: the same key and certificate as gw1, named" ;;
	*) not_ok "gw3 fails: the same key and certificate as gw1, named" ;; esac
case $r4 in "gw4  "*" error "*"gw4/state"*) ok "gw4: an error row naming its state directory" ;;
	*) not_ok "gw4: an error row naming its state directory" ;; esac
assert_grep "the summary names the failing gateways" '"3 gateway(s): 0 pass, 3 fail (gw1, gw3, gw4); shared identities: gw1, gw3"' "$T/dup.out"
assert_grep "the play's last message says so" "3 of 3 gateway(s) fail the audit: gw1, gw3, gw4" "$T/dup.out"
if jq -e 'length == 3' "$T/dup.json" >/dev/null 2>&1; then
	ok "edge_audit_file: the rows as JSON"
	assert_eq "... gw1's same_key and same_cert name gw3" "$(jq -c '.[] | select(.gateway == "gw1") | [.same_key, .same_cert]' "$T/dup.json")" '[["gw3"],["gw3"]]'
	assert_eq "... gw3's name gw1" "$(jq -c '.[] | select(.gateway == "gw3") | [.same_key, .same_cert]' "$T/dup.json")" '[["gw1"],["gw1"]]'
	assert_eq "... gw1's key_id is openssl's sha256 of its public key" "$(jq -r '.[] | select(.gateway == "gw1") | .key_id' "$T/dup.json")" \
		"sha256:$(openssl pkey -in "$T/gw1/state/key.pem" -pubout -outform DER | sha256sum | cut -c1-64)"
	assert_eq "... every row failed" "$(jq -c 'map(.failed)' "$T/dup.json")" '[true,true,true]'
else
	not_ok "edge_audit_file: the rows as JSON"
fi

# --- a healthy pair: gw1 and gw2 ---------------------------------------------------
inventory "$T/ok.ini" gw1 gw2
rc=0; play "$T/ok.ini" -e "edge_audit_file=$T/ok.json" > "$T/out" 2> "$T/err" || rc=$?
cp "$T/out" "$T/ok.out"
assert_not_grep "gw1 and gw2: no fleet.key or fleet.cert finding" "fleet\.\(key\|cert\)" "$T/ok.out"
assert_not_grep "... no shared identity in the summary" "shared identities" "$T/ok.out"
assert_eq "... same_key and same_cert empty for both" "$(jq -c 'map([.same_key, .same_cert])' "$T/ok.json")" '[[[],[]],[[],[]]]'
assert_eq "... no gateway's play failed" "$(recap failed | grep -v localhost | tr '\n' ' ')" "gw1=0 gw2=0 "
days=$(jq -r '.[0].days_left' "$T/ok.json")
if [ "$days" = null ]; then
	skip "the days left of gw1's certificate" "edge-check reports no cert.expiry days_left yet"
else
	na=$(date -u -d "$(openssl x509 -in "$T/gw1/state/cert.pem" -noout -enddate | sed 's/notAfter=//')" +%s)
	assert_eq "the days left of gw1's certificate (openssl's notAfter)" "$days" "$(( (na - $(date +%s)) / 86400 ))"
	case $(row gw1) in *" $days  "*) ok "... in its row" ;; *) not_ok "... in its row" ;; esac
fi
bad=$(jq -r '[.[] | select(.failed) | "\(.gateway): \(.fail | join(", "))"] | join("; ")' "$T/ok.json")
if [ -z "$bad" ]; then
	assert_eq "no gateway fails: the play exits 0" "$rc" 0
	assert_grep "... and says so" "2 gateway(s) audited, none fails" "$T/ok.out"
	assert_eq "... the summary line" "$(grep -c '"2 gateway(s): 2 pass, 0 fail"' "$T/ok.out")" 1
else
	assert_eq "a check fails on this machine ($bad): the play exits 2" "$rc" 2
	skip "no gateway fails: the play exits 0" "checks fail on this machine: $bad"
fi

# --- a gateway that cannot be reached: a row, the others audited -------------------------
if command -v ssh >/dev/null 2>&1; then
	dead=$(free_port)
	inventory "$T/gone.ini" gw2
	sed -i "/^gw2 /a gw9 edge_dir=$T/gw9/state ansible_connection=ssh ansible_host=127.0.0.1 ansible_port=$dead ansible_user=nobody" "$T/gone.ini"
	rc=0; play "$T/gone.ini" > "$T/out" 2> "$T/err" || rc=$?
	cp "$T/out" "$T/gone.out"
	[ "$rc" -ne 0 ] && ok "gw9 unreachable: the play ends non-zero ($rc)" || not_ok "gw9 unreachable: the play ends non-zero"
	case $(row gw9) in "gw9  "*" error "*"unreachable"*) ok "... gw9 is an error row: unreachable" ;; *) not_ok "... gw9 is an error row: unreachable" ;; esac
	case $(row gw2) in "gw2  "*" error "*) not_ok "... gw2 is still audited" ;; "gw2  "*) ok "... gw2 is still audited" ;; *) not_ok "... gw2 is still audited" ;; esac
	assert_grep "... the last message names gw9" "gateway(s) fail the audit: .*gw9" "$T/gone.out"
else
	skip "an unreachable gateway is a row" "ssh not installed"
fi

# --- a hostile or broken gateway (red team 7): a fake edge_bin on "evil" prints
# what it is told to; each is an error row or a computed verdict, never a pass,
# and gw2's row still prints.  edge_bin per host: a vars file without it.
mkdir -p "$T/evil/bin"
printf '#!/bin/sh\ncat "%s/evil/out"\nexit "$(cat "%s/evil/rc")"\n' "$T" "$T" > "$T/evil/bin/edge-check"
chmod 755 "$T/evil/bin/edge-check"
grep -v '^edge_bin:' "$T/vars.yml" > "$T/vars-evil.yml"
inventory "$T/evil.ini" gw2 evil
sed -i -e "s|^gw2 .*|& edge_bin=$T/bin|" -e "s|^evil .*|evil edge_dir=$T/gw2/state edge_serial=evil edge_bin=$T/evil/bin|" "$T/evil.ini"
hostile() {	# RC NAME JSON: evil prints JSON and exits RC
	printf '%s' "$3" > "$T/evil/out"; echo "$1" > "$T/evil/rc"
	rc=0; (cd "$T" && LC_ALL=C.UTF-8 ansible-playbook -i "$T/evil.ini" -e "@$T/vars-evil.yml" \
		-e "edge_audit_file=$T/evil.json" "$PB") > "$T/out" 2> "$T/err" || rc=$?
	cp "$T/out" "$T/evil-$2.out"
	assert_eq "$2: the play ends with exit 2" "$rc" 2
	assert_grep "... the table still prints" '"gateway  verdict  days left  fails; warns"' "$T/out"
	case $(row gw2) in "gw2  "*" error "*|"") not_ok "... gw2's row is there" ;; *) ok "... gw2's row is there" ;; esac
	assert_eq "... evil fails the audit" "$(jq -c '.[] | select(.gateway == "evil") | .failed' "$T/evil.json" 2>&1)" true
}
hostile 0 "a check without a verdict" '{"checks":[{"id":1}],"verdict":"ok"}'
case $(row evil) in "evil  "*" error "*"check without a string id"*) ok "... evil is an error row" ;; *) not_ok "... evil is an error row: $(row evil)" ;; esac
hostile 0 "not JSON" '{"checks": [ oops'
case $(row evil) in "evil  "*" error "*"not JSON"*) ok "... evil is an error row" ;; *) not_ok "... evil is an error row: $(row evil)" ;; esac
hostile 0 "checks null" '{"checks":null,"verdict":"ok"}'
case $(row evil) in "evil  "*" error "*"no list of checks"*) ok "... evil is an error row" ;; *) not_ok "... evil is an error row: $(row evil)" ;; esac
hostile 0 "an empty object" '{}'
case $(row evil) in "evil  "*" error "*) ok "... evil is an error row" ;; *) not_ok "... evil is an error row: $(row evil)" ;; esac
hostile 0 "not an object" '["ok"]'
case $(row evil) in "evil  "*" error "*"not a JSON object"*) ok "... evil is an error row" ;; *) not_ok "... evil is an error row: $(row evil)" ;; esac
hostile 0 "a malformed key_id" '{"checks":[{"id":"key.storage","verdict":"ok"}],"verdict":"ok","key_id":"sha256:gw2\nforged"}'
case $(row evil) in "evil  "*" error "*"malformed key_id"*) ok "... evil is an error row" ;; *) not_ok "... evil is an error row: $(row evil)" ;; esac
hostile 0 "a cert_sha256 that is not a string" '{"checks":[{"id":"key.storage","verdict":"ok"}],"verdict":"ok","cert_sha256":[1]}'
case $(row evil) in "evil  "*" error "*"malformed cert_sha256"*) ok "... evil is an error row" ;; *) not_ok "... evil is an error row: $(row evil)" ;; esac
hostile 0 "verdict ok, a check failing" '{"checks":[{"id":"key.storage","verdict":"fail"},{"id":"cert.expiry","verdict":"ok"}],"verdict":"ok"}'
case $(row evil) in "evil  "*" fail "*"key.storage"*) ok "... evil's verdict is fail, computed from its checks" ;; *) not_ok "... evil's verdict is fail: $(row evil)" ;; esac
assert_eq "... reported_verdict kept apart" "$(jq -r '.[] | select(.gateway == "evil") | .reported_verdict + " " + .verdict' "$T/evil.json")" "ok fail"
hostile 9 "a check id that forges table lines" "{\"checks\":[{\"id\":\"x\\ngw2      ok             999  -; -\\r\\u001b[2K\\u009b31m$(printf 'y%.0s' $(seq 200))\",\"verdict\":\"fail\"},{\"id\":\"{{ lookup('pipe', 'touch $T/pwned') }}\",\"verdict\":\"fail\"}]}"
assert_eq "... one gw2 line in the table, not a forged one" "$(grep -c '^ *"gw2  ' "$T/out")" 1
assert_not_grep "... no forged line" '"gw2      ok             999' "$T/out"
n=$(jq '[.. | strings | select(test("[\u0000-\u001f\u007f-\u009f]"))] | length' "$T/evil.json")
assert_eq "... no control character in any string of the rows" "$n" 0
assert_eq "... the id cut to 80 characters" "$(jq -r '.[] | select(.gateway == "evil") | .fail[0] | length' "$T/evil.json")" 80
[ ! -e "$T/pwned" ] && ok "... a lookup in a check id is not run" || not_ok "... a lookup in a check id is not run"

# --- a gateway enrolled by the role as root with its default edge_user (edge),
# red team 3: the audit runs edge-check as edge (su, as every task inside
# edge_dir), so key.storage and state.dir judge the directory as its user sees it
if [ "$(id -u)" -ne 0 ] || ! command -v useradd >/dev/null 2>&1; then
	skip "as root with edge_user edge" "needs root and useradd"
else
	getent passwd edge >/dev/null || on_exit "userdel edge 2>/dev/null; groupdel edge 2>/dev/null"
	chmod 711 "$T"	# edge walks through to its state directory
	R=$T/r5
	mkdir -m 755 "$R" "$R/systemd" "$R/etc" "$R/ctl"
	cp "$HUB_CA" "$R/hub-ca.pem"; chmod 644 "$R/hub-ca.pem"
	G5=$R/srv/edge
	cat > "$T/role.ini" <<EOF
[gateways]
gw5 edge_dir=$G5 edge_serial=AUD-0005

[gateways:vars]
ansible_connection=local
ansible_python_interpreter=/usr/bin/python3
edge_api=$HUB_API
edge_portal=$HUB_PORTAL
edge_mqtt=$HUB_MQTT
edge_product_key=$HUB_PRODUCT_KEY
EOF
	cat > "$T/role.yml" <<EOF
edge_credentials: $HUB_CREDENTIALS
edge_controller_hub_ca: $HUB_CA
edge_controller_root_ca: $HUB_CA
edge_hub_ca: $R/hub-ca.pem
edge_root_ca: $R/hub-ca.pem
edge_bin: $B
edge_controller_dir: $R/ctl
edge_systemd_dir: $R/systemd
edge_renew_credentials_file: $R/etc/renew.credentials
edge_manage_services: false
edge_tool_retries: 0
edge_check_args: [--scan, $T/scan]
EOF
	(cd "$T" && LC_ALL=C.UTF-8 ansible-playbook -i "$T/role.ini" -e "@$T/role.yml" "$TOP/examples/ansible/enrol.yml") > "$T/out" 2>&1 &&
		[ "$(stat -c %U "$G5/key.pem" 2>&1)" = edge ] &&
		ok "gw5 enrolled by the role as root, edge_user edge (key.pem edge's)" ||
		{ grep -A3 '^fatal' "$T/out" | cut -c1-300 | sed 's/^/# /'; not_ok "gw5 enrolled by the role as root, edge_user edge (key.pem edge's)"; }
	rc=0; (cd "$T" && LC_ALL=C.UTF-8 ansible-playbook -i "$T/role.ini" -e "@$T/role.yml" \
		-e "edge_audit_file=$T/role.json" "$PB") > "$T/out" 2> "$T/err" || rc=$?
	cp "$T/out" "$T/role.out"
	diag "gw5: $(row gw5)"
	assert_eq "gw5: an audited row, not an error" "$(jq -r '.[0].error' "$T/role.json" 2>&1)" ""
	assert_eq "gw5: key.storage and state.dir neither fail nor warn" \
		"$(jq -c '[.[0].fail[], .[0].warn[]] | map(select(. == "key.storage" or . == "state.dir"))' "$T/role.json" 2>&1)" '[]'
	bad=$(jq -r '.[0].fail | join(", ")' "$T/role.json")
	if [ -z "$bad" ]; then
		assert_eq "gw5 passes: the play exits 0" "$rc" 0
	else
		skip "gw5 passes: the play exits 0" "checks fail on this machine: $bad"
	fi
	# who runs it: a wrapper (fault injection) notes its user, then runs edge-check
	mkdir -m 1777 "$T/who"; mkdir -m 755 "$T/whobin"
	printf '#!/bin/sh\nid -un > "%s/who/user"\nexec "%s/edge-check" "$@"\n' "$T" "$B" > "$T/whobin/edge-check"
	chmod 755 "$T/whobin/edge-check"
	(cd "$T" && LC_ALL=C.UTF-8 ansible-playbook -i "$T/role.ini" -e "@$T/role.yml" -e "edge_bin=$T/whobin" "$PB") > "$T/out" 2>&1
	assert_eq "... edge-check ran as edge" "$(cat "$T/who/user" 2>&1)" edge
fi

# --- check mode: edge-check still runs (it only reads) ------------------------------
assert_fails 2 "--check: the same audit" play "$T/dup.ini" --check
assert_grep "... the same finding" "fleet.key (same key as gw3)" "$T/out"

assert_eq "nothing on the gateways changed (names, modes, sizes, mtimes)" "$(snap)" "$before"

done_testing
