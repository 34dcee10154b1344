#!/bin/sh
# SPDX-License-Identifier: MIT
# Day 2 on a fleet (issue 18): three gateways over three simulated years
# against the stand-in hub, with real parts under libfaketime (the hub,
# mosquitto, the tools, ssh sessions, Ansible), no clock hook in our code.
#
#   F  enrolled by examples/provision-gateway.sh (file key, RENEWAL=gateway)
#   A  enrolled by examples/ansible/enrol.yml over SSH (its own user, sshd and
#      state directory; key in a SoftHSM2 token); the control node renews by
#      running the playbook again
#   H  enrolled by hand (EC key: edge-keygen, edge-csr, edge-provision,
#      edge-activate; credentials in its edge.conf)
#
# One clock file ($T/clock/now, a FAKETIME offset) moves every process at
# once: the hub, the broker and the cloud subscriber keep running and follow
# it (FAKETIME_TIMESTAMP_FILE, read at every clock call; SIGHUP makes the
# hub reissue its CRL at once): about 30 ms a step, where restarting hub and
# broker took about 4 s a step and dropped the cloud's subscription.  They
# restart only where a hub operator would (root rotation, the old root's end).  Each step of
# $STEP days: the daily CRL update and the renewal as the systemd units run
# them (examples/systemd/*.service ExecStart, EDGE_DIR=the gateway's
# directory), then every live gateway sends telemetry with edge-connect and
# the cloud side (/hub/accepted/#) must get it.  On the way: the hub's root
# rotated (edges move with edge-crl-update --ca), the old root expires, F
# reset and re-enrolled with its serial, A's serial provisioned by an
# impostor and refused, H decommissioned.  Over the whole run: no accepted
# message lost or duplicated, no certificate ever expired in the field.
. "${0%/*}/../lib.sh"
have_faketime || skip_all "libfaketime not installed (Debian package faketime)"
for t in jq openssl mosquitto_sub mosquitto_pub perl; do
	command -v $t >/dev/null 2>&1 || skip_all "$t not installed"
done
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || skip_all "mosquitto not installed"
setup
[ -x "$B/tests/hub/enos-hub" ] && [ -x "$B/tests/hub/hub-sign" ] || skip_all "stand-in hub not built (make hub)"

# The Ansible gateway needs sshd, ssh, ansible-playbook, SoftHSM2 and root
# (a user of its own); without them the run goes on with F and H.
ANS=
if [ "$(id -u)" -ne 0 ]; then ANS="not root: cannot create the gateway's user for sshd"
elif [ ! -x /usr/sbin/sshd ]; then ANS="sshd not installed (Debian package openssh-server)"
elif ! command -v ssh >/dev/null 2>&1; then ANS="ssh not installed (Debian package openssh-client)"
elif ! command -v ansible-playbook >/dev/null 2>&1; then ANS="ansible-playbook not installed (Debian package ansible-core)"
elif ! command -v softhsm2-util >/dev/null 2>&1; then ANS="softhsm2-util not installed (Debian package softhsm2)"
elif ! command -v useradd >/dev/null 2>&1; then ANS="useradd not available"
fi

STEP=${LIFECYCLE_STEP:-28}	# days per step: less than the 30 of edge-renew.service
END=${LIFECYCLE_DAYS:-1100}	# three years and some
VALID=180			# the hub's default certificate validity (days)
PB_VALID=360			# the control node asks for 360 days (EDGE_VALID_DAYS)
ROTATE_AT=365 RESET_AT=540 IMPOSTOR_AT=600 DECOMMISSION_AT=900
PB_EVERY=9			# the control node runs the playbook every 9th step
PB_RENEW=270			# ... which renews when fewer days are left
RENEW_UNIT=$(sed -n 's|^ExecStart=/usr/bin/||p' "$TOP/examples/systemd/edge-renew.service")
CRL_UNIT=$(sed -n 's|^ExecStart=/usr/bin/||p' "$TOP/examples/systemd/edge-crl-update.service")
[ -n "$RENEW_UNIT" ] && [ -n "$CRL_UNIT" ] || echo "Bail out! cannot read the units' ExecStart"
t0=$(date +%s)

# ---- the clock ---------------------------------------------------------------
chmod 711 "$T"	# the gateway user of A walks through to its home and the clock
mkdir -m 755 "$T/clock"
CLK=$T/clock/now
DAY=0
# set_day D: every process that follows the clock is D days on from now.
set_day() {
	DAY=$1
	if [ "$1" -ge 0 ]; then echo "+${1}d"; else echo "${1}d"; fi > "$CLK.tmp"
	chmod 644 "$CLK.tmp"; mv -f "$CLK.tmp" "$CLK"
}
clk() { at_clock "$CLK" "$@"; }
now_s() { clk date +%s; }

# ---- the hub -------------------------------------------------------------------
# Its first root (3650 days, made at --init) is made 2920 days back, so that
# it ends on day 730: rotated on day 365, expired in the middle of the run.
H=$T/hub
mkdir -m 700 "$H"
set_day -2920
clk "$B/tests/hub/enos-hub" --dir "$H" --init >/dev/null 2>&1 || echo "Bail out! enos-hub --init"
sed -i "s/^default_valid_day = .*/default_valid_day = $VALID/" "$H/hub.conf"
grep -q "^default_valid_day = $VALID\$" "$H/hub.conf" || echo "Bail out! cannot set default_valid_day"
cp "$H/ca.pem" "$T/root1.pem"
set_day 0
on_exit "'$TOP/tests/hub/stop.sh' '$H'"
hub_up() { clk "$TOP/tests/hub/start.sh" "$H" >"$T/hub.env" 2>"$T/hub.err" && eval "$(cat "$T/hub.env")"; }
hub_up || { cat "$T/hub.err"; echo "Bail out! cannot start the hub"; exit 1; }
PK=$HUB_PRODUCT_KEY

# The cloud side: every message the hub accepted, /hub/accepted/#, as a real
# cloud consumer takes it: a persistent session (-c, fixed client id, QoS 1)
# that reconnects and gets what the broker queued meanwhile.  mosquitto
# 2.0.19 and later (Debian 13 has 2.0.21) time keepalive in the broker on
# the wall clock (its CLOCK_BOOTTIME change leaves the broker's clock id at
# 0, CLOCK_REALTIME), so each jump of the clock file drops the subscriber
# as "exceeded timeout" (a broker whose clock steps, NTP at boot, does the
# same); 2.0.11 (Debian 12) times it on CLOCK_MONOTONIC, which libfaketime
# leaves alone here (FAKETIME_DONT_FAKE_MONOTONIC), and keeps it.
: >"$T/cloud.txt"
CLOUD_PID= cloud_n=0
on_exit "stop_pid \$CLOUD_PID"
cloud_up() {
	stop_pid "$CLOUD_PID"
	cloud_n=$((cloud_n + 1))
	# sh execs mosquitto_sub in its own PID, which it writes down first.
	clk sh -c 'echo $$ >"$0"; exec "$@"' "$T/cloud.pid" mosquitto_sub -h 127.0.0.1 -p "${HUB_MQTT##*:}" --cafile "$HUB_CA" --cert "$HUB_CLOUD_CERT" \
	    --key "$HUB_CLOUD_KEY" -u "$HUB_CLOUD_USER" -P "$(cat "$HUB_CLOUD_PASSWORD_FILE")" \
	    -c -i "lc-cloud-$cloud_n" -q 1 -t '/hub/accepted/#' -v >>"$T/cloud.txt" 2>>"$T/cloud.err" &
	_i=0
	while [ ! -s "$T/cloud.pid" ] && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
	CLOUD_PID=$(cat "$T/cloud.pid"); rm -f "$T/cloud.pid"
	wait_for_grep " as lc-cloud-$cloud_n " "$HUB_DIR/mosquitto.log" 10 && sleep 0.3
}
cloud_up || echo "Bail out! the cloud subscriber did not connect"

# advance D: the clock to day D; the hub reissues its CRL at once (SIGHUP
# wakes its timer) and the broker reloads it.
advance() {
	set_day "$1"
	_want=$(( $(now_s) - 3600 ))
	_hups=$(grep -c "Reloading config" "$HUB_DIR/mosquitto.log")
	kill -HUP "$(cat "$HUB_DIR/hub.pid")"
	_i=0
	while [ "$(jq -r .crl.thisUpdate "$HUB_DIR/state.json" 2>/dev/null || echo 0)" -lt "$_want" ] ||
	    [ "$(grep -c "Reloading config" "$HUB_DIR/mosquitto.log")" -le "$_hups" ]; do
		_i=$((_i + 1)); [ $_i -lt 100 ] || { diag "day $1: the hub did not reissue its CRL"; return 1; }
		sleep 0.05
	done
}

# ---- gateway A's machine: a user, sshd on loopback -----------------------------------
GWU= SSHP=
if [ -z "$ANS" ]; then
	softhsm_setup edge Q7pin5y8
	GWU=edgelc$$
	while id "$GWU" >/dev/null 2>&1; do GWU=${GWU}x; done
	GWH=$T/gw-a GWD=$T/gw-a/edge
	if useradd -M -d "$GWH" -s /bin/sh -p '*' -U "$GWU" 2>"$T/useradd.err"; then
		on_exit "userdel '$GWU'"
	else
		ANS="useradd failed: $(cat "$T/useradd.err")"
	fi
fi
if [ -z "$ANS" ]; then
	mkdir -p "$T/ssh" "$GWH/.ssh" "$GWD"
	chmod 700 "$T/ssh" "$GWH" "$GWH/.ssh" "$GWD"
	ssh-keygen -q -t ed25519 -N '' -f "$T/ssh/host" && ssh-keygen -q -t ed25519 -N '' -f "$T/ssh/id" ||
		echo "Bail out! ssh-keygen"
	cp "$T/ssh/id.pub" "$GWH/.ssh/authorized_keys"
	cp "$T/root1.pem" "$GWD/ca.pem"	# the gateway image's pinned root
	echo Q7pin5y8 >"$GWH/pin"; chmod 600 "$GWH/pin"
	chown -R "$GWU:" "$GWH" "$T/softhsm"
	SSHP=$(free_port)
	# The gateway's sessions get its clock (the same file), its token and the
	# tools' test environment; nothing else of ours.
	cat >"$T/ssh/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $SSHP
HostKey $T/ssh/host
PidFile $T/ssh/sshd.pid
AuthorizedKeysFile $GWH/.ssh/authorized_keys
AllowUsers $GWU
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PrintMotd no
LogLevel ERROR
SetEnv LD_PRELOAD=$FAKETIME_LIB${LD_PRELOAD:+:$LD_PRELOAD} FAKETIME_TIMESTAMP_FILE=$CLK FAKETIME_NO_CACHE=1 FAKETIME_DONT_FAKE_MONOTONIC=1 FAKETIME_DONT_RESET=1 SOFTHSM2_CONF=$SOFTHSM2_CONF EDGE_SYSTEM_CONFIG= LC_ALL=C ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 LSAN_OPTIONS=$LSAN_OPTIONS
EOF
	[ -d /run/sshd ] || mkdir -m 755 /run/sshd	# sshd's privilege separation directory
	/usr/sbin/sshd -D -e -f "$T/ssh/sshd_config" 2>"$T/ssh/sshd.log" &
	SSHD_PID=$!
	on_exit "stop_pid $SSHD_PID"
	SSHOPTS="-o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o LogLevel=ERROR -o ControlMaster=auto -o ControlPersist=600 -o ControlPath=$T/ssh/cm-%C"
	on_exit "ssh $SSHOPTS -p $SSHP -O exit $GWU@127.0.0.1"
	wait_for_port "$SSHP" 10 || ANS="sshd did not start: $(head -3 "$T/ssh/sshd.log")"
fi
# gw_ssh CMD: one command line on gateway A, as its user.
gw_ssh() { ssh $SSHOPTS -o BatchMode=yes -i "$T/ssh/id" -p "$SSHP" "$GWU@127.0.0.1" "$@"; }
if [ -z "$ANS" ]; then
	if gw_ssh 'id -un; date +%s' >"$T/ssh.out" 2>"$T/ssh.err" && [ "$(head -1 "$T/ssh.out")" = "$GWU" ]; then
		ok "A: ssh to the gateway's own user on 127.0.0.1:$SSHP"
	else
		ANS="ssh to $GWU@127.0.0.1:$SSHP failed: $(head -3 "$T/ssh.err")"
	fi
fi

# ---- enrolment, day 0 --------------------------------------------------------------
# F: the field script, RENEWAL=gateway (the default).
FD=$T/gw-f
mkdir -m 700 "$FD"
cp "$T/root1.pem" "$FD/ca.pem"	# the gateway image's pinned root
cat >"$T/gateway.env" <<EOF
SERIAL=LC-F-0001
PRODUCT_KEY=$PK
API=$HUB_API
PORTAL=$HUB_PORTAL
MQTT=$HUB_MQTT
CREDENTIALS=$HUB_CREDENTIALS
HUB_CA=$FD/ca.pem
EDGE_DIR=$FD
LOCALITY=Shanghai
ORG_UNIT=Edge
RETRIES=0
EOF
assert_ok "F: day 0: provision-gateway.sh enrols the gateway" clk sh "$TOP/examples/provision-gateway.sh" "$T/gateway.env"
assert_grep "F: edge.conf names the kept credentials (RENEWAL=gateway)" "^credentials = $FD/renew.credentials\$" "$FD/edge.conf"

# H: by hand, EC key, credentials in edge.conf so that edge-renew.service renews.
HD=$T/gw-h
mkdir -m 700 "$HD"
cp "$T/root1.pem" "$HD/ca.pem"
cp "$HUB_CREDENTIALS" "$HD/renew.credentials"; chmod 600 "$HD/renew.credentials"
cat >"$HD/edge.conf" <<EOF
api = $HUB_API
portal = $HUB_PORTAL
mqtt = $HUB_MQTT
hub_ca = $HD/ca.pem
credentials = $HD/renew.credentials
product_key = $PK
EOF
by_hand() {
	clk edge-keygen -q -d "$HD" --type ec &&
	clk edge-csr -q -d "$HD" --cn LC-H-0001 --locality Shanghai --org-unit Edge &&
	clk edge-provision -q -d "$HD" --serial LC-H-0001 &&
	clk edge-activate -q -d "$HD" &&
	clk edge-crl-update -q -d "$HD"
}
assert_ok "H: day 0: edge-keygen --type ec, edge-csr, edge-provision, edge-activate, edge-crl-update" by_hand
assert_eq "H: an EC key" "$(openssl x509 -in "$HD/cert.pem" -noout -text | grep -c 'id-ecPublicKey')" 1

# A: the playbook, over SSH, as the control node reaches a real gateway.
PB=$TOP/examples/ansible/enrol.yml
CTL=$T/controller
ANSIBLE_CONFIG=$T/ansible.cfg
export ANSIBLE_CONFIG
cat >"$ANSIBLE_CONFIG" <<EOF
[defaults]
nocolor = True
retry_files_enabled = False
host_key_checking = False
local_tmp = $T/ansible-local
stdout_callback = default
interpreter_python = /usr/bin/python3
[ssh_connection]
pipelining = True
ssh_args = ${SSHOPTS:-}
EOF
# play OUT: the playbook on the control node, its output in OUT.
play() {
	(cd "$T" && LC_ALL=C.UTF-8 FAKETIME_DONT_FAKE_MONOTONIC=0 EDGE_VALID_DAYS=$PB_VALID at_clock "$CLK" \
	    ansible-playbook ${LIFECYCLE_V:--v} -i "$T/inventory.ini" -e "@$T/vars.yml" "$PB") >"$1" 2>&1 && return
	_prc=$?
	grep -A4 -e '^fatal' -e 'UNREACHABLE' -e '^ERROR' "$1" | cut -c1-600 | sed 's/^/# /'
	# The failed task, its exit status and message, for the test's own name
	# (what a CI summary shows of a failing test when it cuts the diagnostics).
	perl -ne 'if (/^TASK \[(.*?)\]/) { $t = $1 } elsif (/^(fatal|failed): .*?=> (\{.*)/) {
	    my $j = $2; my ($rc) = $j =~ /"rc": (-?\d+)/; my ($m) = $j =~ /"(?:stderr|msg)": "((?:[^"\\]|\\.)*)"/;
	    print "failed task: $t", (defined $rc ? ", rc $rc" : ""), ": ", substr($m // "", 0, 300); exit }
	    elsif (/UNREACHABLE|^ERROR/) { print "ansible: ", substr($_, 0, 300); exit }' "$1" | tr '\n' ' ' >"$1.why"
	return $_prc
}
recap() { sed -n "/^PLAY RECAP/,\$s/^\([a-zA-Z0-9]*\) *:.* $1=\([0-9]*\).*/\1 $1=\2/p" "$2"; }
if [ -z "$ANS" ]; then
	cat >"$T/inventory.ini" <<EOF
[gateways]
gwa ansible_host=127.0.0.1 ansible_port=$SSHP ansible_user=$GWU ansible_ssh_private_key_file=$T/ssh/id edge_dir=$GWD edge_serial=LC-A-0001 edge_pkcs11_uri="pkcs11:token=edge;object=edge-key" edge_pin_file=$GWH/pin

[gateways:vars]
ansible_connection=ssh
ansible_python_interpreter=/usr/bin/python3
EOF
	cat >"$T/vars.yml" <<EOF
edge_api: $HUB_API
edge_portal: $HUB_PORTAL
edge_mqtt: $HUB_MQTT
edge_product_key: $PK
edge_credentials: $HUB_CREDENTIALS
edge_controller_hub_ca: $HUB_CA
edge_controller_root_ca: $HUB_CA
edge_hub_ca: $GWD/ca.pem
edge_root_ca: $GWD/ca.pem
edge_locality: Shanghai
edge_org_unit: Edge
edge_bin: $B
edge_controller_dir: $CTL
edge_systemd_dir: $GWH/systemd
edge_manage_services: false
edge_become: false
edge_renew_credentials_file: $GWD/renew.credentials
edge_renew_days: $PB_RENEW
edge_tool_retries: 0
edge_retries: 3
edge_retry_delay: 1
EOF
	gw_ssh "mkdir -p $GWH/systemd"
	s=$(date +%s)
	assert_ok "A: day 0: enrol.yml over SSH enrols the gateway" play "$T/play0"
	diag "playbook: $(( $(date +%s) - s )) s"
	assert_eq "A: failed=0" "$(recap failed "$T/play0")" "gwa failed=0"
	gw_ssh "test -f $GWD/key.uri && ! test -e $GWD/key.pem && test -O $GWD/cert.pem" &&
		ok "A: the key is in the gateway's token; cert.pem is the gateway user's" ||
		not_ok "A: the key is in the gateway's token; cert.pem is the gateway user's"
else
	skip "A: enrolled by enrol.yml over SSH" "$ANS"
fi

# ---- each step -------------------------------------------------------------------------
if [ -z "$ANS" ]; then LIVE="F A H"; else LIVE="F H"; fi
ALL=$LIVE
dir_of() { case $1 in F) echo "$FD" ;; A) echo "$GWD" ;; H) echo "$HD" ;; esac; }
# on GW CMD...: CMD on gateway GW with EDGE_DIR set, as its units run it
# (A over ssh, as its user; F and H here); its clock is the test's clock.
on() {
	_g=$1; shift
	if [ "$_g" = A ]; then gw_ssh "EDGE_DIR=$GWD $*"
	else clk env EDGE_DIR="$(dir_of "$_g")" "$@"; fi
}
: >"$T/sent.ids"
SENT=0
# telemetry GW: two messages with ids unique over the run, by edge-connect.
telemetry() {
	_in=$T/in-$1.ndjson
	[ "$1" = A ] && _in=$GWH/in.ndjson
	: >"$_in"
	for _k in 1 2; do
		_id="$1-d$DAY-$_k"
		printf '{"id":"%s","version":"1.0","method":"thing.measurepoint.post","params":{"measurepoints":{"day":%s,"k":%s}}}\n' \
		    "$_id" "$DAY" "$_k" >>"$_in"
		echo "$_id" >>"$T/sent.ids"
	done
	chmod 644 "$_in"
	on "$1" "$B/edge-connect" -d "$(dir_of "$1")" --input "$_in" --exit-on-eof --json --timeout 30 \
	    >"$T/conn-$1.json" 2>"$T/conn-$1.err" || { diag "$1: edge-connect exit $?: $(tail -2 "$T/conn-$1.err")"; return 1; }
	_got=$(jq -r '"\(.acknowledged) \(.rejected) \(.queued)"' "$T/conn-$1.json" 2>/dev/null)
	[ "$_got" = "2 0 0" ] || { diag "$1: acknowledged rejected queued: '$_got'"; return 1; }
}
# cert_ok GW: cert.pem valid now (openssl at the step's time) and chained to ca.pem.
cert_ok() {
	_cd=$(dir_of "$1")
	clk openssl x509 -checkend 0 -noout -in "$_cd/cert.pem" >/dev/null 2>&1 ||
		{ diag "$1: cert.pem expired on day $DAY ($(openssl x509 -in "$_cd/cert.pem" -noout -enddate))"; return 1; }
	clk openssl verify -CAfile "$_cd/ca.pem" "$_cd/cert.pem" >/dev/null 2>"$T/verify-$1.err" ||
		{ diag "$1: openssl verify: $(cat "$T/verify-$1.err")"; return 1; }
}
days_left() {
	_e=$(date -d "$(openssl x509 -in "$(dir_of "$1")/cert.pem" -noout -enddate | cut -d= -f2)" +%s)
	echo $(( (_e - $(now_s)) / 86400 ))
}
serial_of() { openssl x509 -in "$(dir_of "$1")/cert.pem" -noout -serial | cut -d= -f2; }
serial_at_hub() {
	jq -r --arg sn "$1" '.certs[] | select(.certSN == $sn) | .status' "$HUB_DIR/state.json"
}
# mqtt_copy DIR DK ID: a login with a copy of DIR's certificate, key and
# secret (mosquitto_pub, not our code), publishing one message with ID.
mqtt_copy() {
	_mts=$(clk date +%s%3N)
	_pw=$("$B/tests/hub/hub-sign" mqtt sha256 "$2" "$2" "$PK" "$_mts" "$1/device.secret")
	clk mosquitto_pub -h 127.0.0.1 -p "${HUB_MQTT##*:}" --cafile "$1/ca.pem" --cert "$1/cert.pem" \
	    --key "$1/key.pem" -i "$2|securemode=2,signmethod=sha256,timestamp=$_mts|" -u "$2&$PK" -P "$_pw" \
	    -q 1 -t "/sys/$PK/$2/thing/measurepoint/post" \
	    -m "{\"id\":\"$3\",\"version\":\"1.0\",\"method\":\"thing.measurepoint.post\",\"params\":{\"measurepoints\":{\"day\":$DAY}}}"
}
# day_of GW: one gateway's day (run in the background, beside the others):
# the units as systemd runs them (A: CRL only; its control node renews by
# running the playbook every PB_EVERY steps), telemetry, the certificate.
# Prints "PASS desc", "FAIL desc" and "# diag" lines for the main shell.
day_of() {
	# The certificate held since the last step has not expired on the way.
	pass_if "day $DAY: $1: on arrival, cert.pem still valid ($(days_left "$1") days left)" cert_ok "$1"
	_f=
	on "$1" "$B/$CRL_UNIT" >"$T/crl-$1.out" 2>&1 || _f="$_f crl-update exit $?;"
	if [ "$1" != A ]; then
		# shellcheck disable=SC2086
		on "$1" "$B/"$RENEW_UNIT >"$T/renew-$1.out" 2>&1 || _f="$_f renewal exit $?;"
	fi
	[ -z "$_f" ] || diag "$1:$_f $(tail -n 2 "$T/crl-$1.out" "$T/renew-$1.out" 2>/dev/null | tr '\n' ' ')"
	pass_if "day $DAY: $1: the daily CRL update and renewal units" [ -z "$_f" ]
	if [ "$1" = A ] && [ $((n % PB_EVERY)) -eq 0 ]; then
		_s=$(date +%s)
		if play "$T/play.out"; then echo "PASS day $DAY: A: the control node runs enrol.yml again"
		else echo "FAIL day $DAY: A: the control node runs enrol.yml again ($(cat "$T/play.out.why"))"; fi
		diag "playbook: $(( $(date +%s) - _s )) s; $(recap changed "$T/play.out")"
	fi
	pass_if "day $DAY: $1: edge-connect sends 2 messages" telemetry "$1"
	pass_if "day $DAY: $1: cert.pem valid ($(days_left "$1") days left)" cert_ok "$1"
}
pass_if() { _pd=$1; shift; if "$@"; then echo "PASS $_pd"; else echo "FAIL $_pd"; fi; }
for g in F A H; do echo 0 >"$T/renewals-$g"; done
# What monitoring reads (edge-activate --json, as the gateway's user): who
# renews, and the days left, as openssl counts them.
for g in $ALL; do
	case $g in A) want=control-node ;; *) want=gateway ;; esac
	on "$g" "$B/edge-activate" --install "$(dir_of "$g")/cert.pem" --json >"$T/act-$g.json" 2>"$T/act-$g.err"
	assert_json "$g: edge-activate --json: renewal is $want's" "$T/act-$g.json" .renewal "$want"
	assert_json "$g: ... days_left as openssl counts them" "$T/act-$g.json" .days_left "$(days_left "$g")"
done
if [ -z "$ANS" ]; then
	na=$(date -u -d "$(openssl x509 -in "$GWD/cert.pem" -noout -enddate | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ)
	assert_grep "A: the play ends saying the control node must renew before $na" \
	    "WARNING: RENEWAL=control-node: LC-A-0001 .* must renew its certificate before $na" "$T/play0"
fi
PREV_F= PREV_A= PREV_H=
[ -z "$ANS" ] && PREV_A=$(serial_of A)
PREV_F=$(serial_of F) PREV_H=$(serial_of H)

n=0 D=0 rotated= expired= reset= impostor= decommissioned=
while [ "$D" -lt "$END" ]; do
	D=$((D + STEP)); n=$((n + 1))
	advance "$D" || not_ok "day $D: the hub reissued its CRL for the new day"

	# -- the hub operator rotates the root; the edges move with edge-crl-update --ca
	if [ -z "$rotated" ] && [ "$D" -ge "$ROTATE_AT" ]; then
		rotated=$D
		stop_pid "$CLOUD_PID"; CLOUD_PID=
		assert_ok "day $D: rotate.sh: a new root, its link certificate (hub restarted)" \
		    sh -c ". '$TOP/tests/lib.sh'; at_clock '$CLK' '$TOP/tests/hub/rotate.sh' '$H' >'$T/hub.env'"
		eval "$(cat "$T/hub.env")"
		cloud_up || not_ok "day $D: the cloud subscriber reconnects"
		awk '/BEGIN/ { n++ } n == 1' "$HUB_CA" >"$T/root2.pem"
		for g in $LIVE; do
			assert_ok "day $D: $g: edge-crl-update --ca takes the new root through its link" \
			    on "$g" "$B/edge-crl-update" --ca
			_d=$(dir_of "$g")
			assert_eq "day $D: $g: ca.pem holds both roots" "$(grep -c 'BEGIN CERTIFICATE' "$_d/ca.pem")" 2
		done
	fi
	# -- the old root's end: the hub's next start drops it
	if [ -n "$rotated" ] && [ -z "$expired" ] && [ "$D" -ge 732 ]; then
		expired=$D
		stop_pid "$CLOUD_PID"; CLOUD_PID=
		"$TOP/tests/hub/stop.sh" "$H" >/dev/null 2>&1
		assert_ok "day $D: the hub restarts after its first root ended" hub_up
		assert_grep "day $D: ... and drops that root" "previous root expired" "$HUB_DIR/hub.log"
		assert_ok "day $D: ... ca.pem is the new root alone" cmp "$HUB_CA" "$T/root2.pem"
		cloud_up || not_ok "day $D: the cloud subscriber reconnects"
		clk openssl x509 -checkend 0 -noout -in "$T/root1.pem" >/dev/null &&
			not_ok "day $D: the first root has expired (openssl)" || ok "day $D: the first root has expired (openssl)"
	fi
	# -- F is reset and re-enrolled with the same serial by the field script
	if [ -z "$reset" ] && [ "$D" -ge "$RESET_AT" ]; then
		reset=$D
		oldsn=$(perl -e 'print hex($ARGV[0])' "$(serial_of F)")
		oldkey=$(openssl pkey -in "$FD/key.pem" -pubout | sha256sum)
		assert_ok "day $D: F: edge-revoke --reset" on F "$B/edge-revoke" --reset
		[ ! -e "$FD/key.pem" ] && [ ! -e "$FD/cert.pem" ] && [ ! -e "$FD/device.secret" ] &&
			ok "day $D: F: key, certificate and secret are gone" || not_ok "day $D: F: key, certificate and secret are gone"
		assert_eq "day $D: F: its certificate is revoked at the hub" "$(serial_at_hub "$oldsn")" revoked
		assert_ok "day $D: F: provision-gateway.sh re-enrols it with the same serial" \
		    clk sh "$TOP/examples/provision-gateway.sh" "$T/gateway.env"
		assert_eq "day $D: F: the same serial" "$(jq -r .serial "$FD/device.json")" LC-F-0001
		[ "$(openssl pkey -in "$FD/key.pem" -pubout | sha256sum)" != "$oldkey" ] &&
			ok "day $D: F: a new key" || not_ok "day $D: F: a new key"
		PREV_F=$(serial_of F)
	fi
	# -- an impostor provisions A's serial in a fresh directory: refused
	if [ -z "$impostor" ] && [ "$D" -ge "$IMPOSTOR_AT" ]; then
		impostor=$D
		SN=LC-A-0001
		[ -n "$ANS" ] && SN=LC-H-0001
		mkdir -m 700 "$T/impostor"
		_run clk edge-provision -d "$T/impostor" --api "$HUB_API" --hub-ca "$HUB_CA" \
		    --credentials "$HUB_CREDENTIALS" --product-key "$PK" --serial "$SN" --portal "$HUB_PORTAL" --mqtt "$HUB_MQTT"
		assert_eq "day $D: an impostor provisioning $SN (activated on another gateway) is refused, exit 5" "$rc" 5
		assert_grep "day $D: ... naming the reason" "$SN: device already activated by another gateway" "$T/err"
		[ ! -e "$T/impostor/device.secret" ] && ok "day $D: ... and gets no device secret" ||
			not_ok "day $D: ... and gets no device secret"
	fi
	# -- H is decommissioned: revoked, key gone, the broker refuses a copy
	if [ -z "$decommissioned" ] && [ "$D" -ge "$DECOMMISSION_AT" ]; then
		decommissioned=$D
		rm -rf "$T/stolen"; cp -a "$HD" "$T/stolen"
		assert_ok "day $D: H: a copy of its key and certificate logs in before (mosquitto_pub)" \
		    mqtt_copy "$T/stolen" LC-H-0001 "H-d$D-copy"
		echo "H-d$D-copy" >>"$T/sent.ids"
		hsn=$(serial_of H)
		assert_ok "day $D: H: edge-revoke --reset (decommissioned)" on H "$B/edge-revoke" --reset
		[ ! -e "$HD/key.pem" ] && ok "day $D: H: its key is gone" || not_ok "day $D: H: its key is gone"
		assert_eq "day $D: H: its certificate is revoked at the hub" \
		    "$(serial_at_hub "$(perl -e 'print hex($ARGV[0])' "$hsn")")" revoked
		assert_eq "day $D: H: the hub holds no valid certificate of it" "$(jq --arg now "$(now_s)000" \
		    '[.certs[] | select(.deviceKey == "LC-H-0001" and .status == "valid" and .expireDate > ($now | tonumber))] | length' \
		    "$HUB_DIR/state.json")" 0
		_run mqtt_copy "$T/stolen" LC-H-0001 "H-d$D-after"
		[ "$rc" -ne 0 ] && ok "day $D: H: the broker refuses the copy (mosquitto_pub exit $rc)" ||
			not_ok "day $D: H: the broker refuses the copy"
		LIVE=$(echo "$LIVE" | sed 's/ *H//')
	fi

	# -- each live gateway's day, the gateways side by side
	jobs=
	for g in $LIVE; do day_of "$g" >"$T/res-$g" 2>&1 & jobs="$jobs $!"; done
	# shellcheck disable=SC2086
	wait $jobs	# not the subscriber's, not sshd's
	for g in $LIVE; do
		while IFS= read -r line; do
			case $line in
			"PASS "*) ok "${line#PASS }" ;;
			"FAIL "*) _n=$((_n + 1)); _failed=$((_failed + 1)); echo "not ok $_n - ${line#FAIL }" ;;
			*) echo "$line" ;;
			esac
		done <"$T/res-$g"
		eval "_prev=\$PREV_$g"
		_sn=$(serial_of "$g")
		if [ "$_sn" != "$_prev" ]; then
			echo $(($(cat "$T/renewals-$g") + 1)) >"$T/renewals-$g"
			eval "PREV_$g=\$_sn"
			_new=" (a new one)"
		else
			_new=
		fi
		# No orphaned certificates: the hub holds this one alone as valid.
		_v=$(jq -r --arg dk "LC-$g-0001" --argjson now "$(now_s)000" \
		    '[.certs[] | select(.deviceKey == $dk and .status == "valid" and .expireDate > $now) | .certSN] | join(" ")' \
		    "$HUB_DIR/state.json")
		_want=$(perl -e 'print hex($ARGV[0])' "$_sn")
		[ "$_v" = "$_want" ] || _new="$_new (valid at the hub: ${_v:-none}; cert.pem: $_want)"
		assert_eq "day $D: $g: the hub holds one valid certificate, cert.pem's$_new" "$_v" "$_want"
	done
	SENT=$(wc -l <"$T/sent.ids")
	wait_for_grep '^/hub/accepted/' "$T/cloud.txt" 10 "$SENT" ||
		not_ok "day $D: the cloud got every message accepted so far ($SENT)"
done
diag "$n steps of $STEP days to day $D in $(( $(date +%s) - t0 )) s"
diag "the broker dropped the cloud subscriber as timed out $(grep -c ' lc-cloud-[0-9]* has exceeded timeout' "$HUB_DIR/mosquitto.log") times ($("$(command -v mosquitto || echo /usr/sbin/mosquitto)" -h 2>/dev/null | head -n 1))"

# ---- over the whole run ----------------------------------------------------------------
sort "$T/sent.ids" >"$T/sent.sorted"
sed -n 's|^/hub/accepted/[^ ]* ||p' "$T/cloud.txt" | jq -r .id | sort >"$T/got.sorted"
assert_eq "the cloud got $SENT messages, each once" "$(wc -l <"$T/got.sorted")" "$SENT"
assert_ok "... exactly the ids sent (none lost, none twice)" cmp "$T/sent.sorted" "$T/got.sorted"
for g in $ALL; do
	r=$(cat "$T/renewals-$g")
	[ "$r" -ge 3 ] && ok "$g: renewed $r times without a person" || { diag "$g: $r renewals"; not_ok "$g: renewed at least 3 times"; }
done
[ -n "$rotated" ] && [ -n "$expired" ] && [ -n "$reset" ] && [ -n "$impostor" ] && [ -n "$decommissioned" ] &&
	ok "every event happened (rotation day $rotated, old root gone day $expired, reset day $reset, impostor day $impostor, decommission day $decommissioned)" ||
	not_ok "every event happened"

done_testing
