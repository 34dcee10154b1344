#!/bin/sh
# SPDX-License-Identifier: MIT
# examples/systemd as a fleet operator checks it (issue 19): systemd-analyze
# verify on every unit (and with the TPM drop-in), the exposure level of
# systemd-analyze security --offline per service against a threshold, the
# restart and CRL-freshness design read from the units (the timer's times
# from systemd-analyze calendar), edge-cert-changed's command against a
# stand-in systemctl, and the cred: secret form.  systemd cannot run units
# here, so each unit's ExecStart then runs as the unit would run it: as the
# user edge (setpriv), with the unit's and the drop-in's Environment=, a
# credentials directory holding its LoadCredential= files (0400, owned by
# edge) in CREDENTIALS_DIRECTORY, standard input /dev/null, on a gateway
# enrolled by the tools against the stand-in hub: edge-crl-update,
# edge-renew (certificate in the renewal window), one edge-connect session
# stopped by SIGTERM as systemctl stop does, its --exec handler answering
# a command from the cloud as edge.
. "${0%/*}/../lib.sh"
setup
command -v systemd-analyze >/dev/null 2>&1 || skip_all "systemd-analyze not installed (Debian package systemd)"
for t in openssl jq; do
	command -v $t >/dev/null 2>&1 || skip_all "$t not installed"
done
U=$TOP/examples/systemd
SERVICES="edge-connect edge-crl-update edge-renew edge-cert-changed"
TOOLS="edge-connect edge-crl-update edge-renew"	# the units that run a tool
TPM_UNITS="edge-connect edge-renew"		# the units tpm.conf is for

# key UNIT KEY: the values of KEY= in UNIT (a file), one a line.
key() { sed -n "s|^$2=||p" "$1"; }

# --- systemd-analyze verify ---------------------------------------------------
# verify wants ExecStart executable: the tools point at stand-ins (the units
# are what is checked here).  units/ plain, units-tpm/ with the drop-in.
mkdir "$T/units" "$T/units-tpm" "$T/stubs"
for t in edge-connect edge-crl-update edge-activate; do
	printf '#!/bin/sh\nexit 0\n' > "$T/stubs/$t"; chmod +x "$T/stubs/$t"
done
for f in "$U"/*.service "$U"/*.timer "$U"/*.path; do
	sed "s|/usr/bin/edge-|$T/stubs/edge-|g" "$f" > "$T/units/${f##*/}"
	cp "$T/units/${f##*/}" "$T/units-tpm/"
done
for s in $TPM_UNITS; do
	mkdir "$T/units-tpm/$s.service.d"; cp "$U/tpm.conf" "$T/units-tpm/$s.service.d/"
done
for d in units units-tpm; do
	rc=0
	SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no "$T/$d"/*.service "$T/$d"/*.timer "$T/$d"/*.path \
		> "$T/verify-$d" 2>&1 || rc=$?
	if [ $rc -ne 0 ] && grep -q -e "Failed to initialize manager" -e "Operation not permitted" "$T/verify-$d"; then
		skip "systemd-analyze verify ($d)" "the analyzer cannot run here: $(head -1 "$T/verify-$d")"
	elif [ $rc -eq 0 ] && [ ! -s "$T/verify-$d" ]; then
		ok "systemd-analyze verify accepts every unit ($d)"
	else
		sed 's/^/# /' "$T/verify-$d"; not_ok "systemd-analyze verify accepts every unit ($d)"
	fi
done
# The drop-in is read by the analyzer (a bad key in it is reported).
printf 'NoSuchKey=1\n' >> "$T/units-tpm/edge-connect.service.d/tpm.conf"
SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no "$T/units-tpm/edge-connect.service" > "$T/verify-bad" 2>&1
assert_grep "... the drop-in is part of what verify reads" "tpm.conf:.*NoSuchKey" "$T/verify-bad"
cp "$U/tpm.conf" "$T/units-tpm/edge-connect.service.d/tpm.conf"

# --- systemd-analyze security: exposure per service (0 best, 10 worst) ---------
# exposure DIR UNIT: the overall exposure level systemd computes.
exposure() {
	systemd-analyze security --offline=yes "$T/$1/$2.service" 2>/dev/null |
		sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p'
}
# at_most LIMIT VALUE
at_most() { [ -n "$2" ] && awk -v l="$1" -v v="$2" 'BEGIN { exit !(v <= l) }'; }
if systemd-analyze security --help 2>/dev/null | grep -q -- --offline; then
	diag "| unit | exposure | with tpm.conf |"
	for s in $SERVICES; do
		e=$(exposure units "$s")
		case " $TPM_UNITS " in *" $s "*) et=$(exposure units-tpm "$s") ;; *) et=- ;; esac
		diag "| $s.service | $e | $et |"
		# The README's table, and a little room for another systemd's weights.
		at_most 1.5 "$e" && ok "$s.service: exposure $e (at most 1.5)" ||
			not_ok "$s.service: exposure '$e' (at most 1.5)"
		[ "$et" = - ] || { at_most 2.0 "$et" && ok "$s.service with tpm.conf: exposure $et (at most 2.0)" ||
			not_ok "$s.service with tpm.conf: exposure '$et' (at most 2.0)"; }
	done
else
	skip "exposure levels" "systemd-analyze security --offline not available (systemd < 250)"
fi

# --- what the units say ---------------------------------------------------------
for s in $TOOLS; do
	f=$U/$s.service
	[ "$(key "$f" User)" = edge ] && [ "$(key "$f" Group)" = edge ] && [ -z "$(key "$f" DynamicUser)" ] &&
		ok "$s: runs as the user edge (not DynamicUser: the state survives)" ||
		not_ok "$s: runs as the user edge (not DynamicUser: the state survives)"
	[ "$(key "$f" StateDirectory)" = edge ] && [ "$(key "$f" StateDirectoryMode)" = 0700 ] &&
		[ "$(key "$f" Environment | grep '^EDGE_DIR=')" = EDGE_DIR=/var/lib/edge ] &&
		ok "$s: EDGE_DIR=/var/lib/edge, StateDirectory=edge, 0700" ||
		not_ok "$s: EDGE_DIR=/var/lib/edge, StateDirectory=edge, 0700"
	[ "$(key "$f" PrivateDevices)" = yes ] && ok "$s: PrivateDevices=yes (tpm.conf opens /dev/tpmrm0 alone)" ||
		not_ok "$s: PrivateDevices=yes (tpm.conf opens /dev/tpmrm0 alone)"
done
for s in $SERVICES; do
	f=$U/$s.service
	[ "$(key "$f" ProtectSystem)" = strict ] && [ "$(key "$f" NoNewPrivileges)" = yes ] &&
		[ "$(key "$f" CapabilityBoundingSet)" = "" ] && grep -q '^CapabilityBoundingSet=$' "$f" &&
		[ "$(key "$f" UMask)" = 0077 ] && [ "$(key "$f" ProtectClock)" = yes ] &&
		[ "$(key "$f" SystemCallFilter | head -1)" = @system-service ] &&
		ok "$s: read-only system, no capabilities, no new privileges, umask 077, @system-service" ||
		not_ok "$s: read-only system, no capabilities, no new privileges, umask 077, @system-service"
done
assert_eq "edge-cert-changed: no network at all" "$(key "$U/edge-cert-changed.service" PrivateNetwork) $(key "$U/edge-cert-changed.service" RestrictAddressFamilies)" "yes AF_UNIX"
assert_eq "edge-renew: the application credentials are a systemd credential" \
	"$(key "$U/edge-renew.service" LoadCredential) $(key "$U/edge-renew.service" Environment | grep '^EDGE_CREDENTIALS=')" \
	"credentials:/etc/edge/renew.credentials EDGE_CREDENTIALS=cred:credentials"
for s in $TPM_UNITS; do
	assert_grep "$s: --pin cred:pin (read only for a token key)" "^ExecStart=/usr/bin/edge-[a-z]* --pin cred:pin" "$U/$s.service"
done
assert_eq "tpm.conf: TCTI, store, PIN credential, group tss, /dev/tpmrm0 alone" \
	"$(key "$U/tpm.conf" Environment | tr '\n' ' ')$(key "$U/tpm.conf" LoadCredential) $(key "$U/tpm.conf" SupplementaryGroups) $(key "$U/tpm.conf" DevicePolicy) $(key "$U/tpm.conf" DeviceAllow)" \
	"TPM2_PKCS11_TCTI=device:/dev/tpmrm0 TPM2_PKCS11_STORE=/etc/tpm2_pkcs11 pin:/etc/edge/tpm-user.pin tss closed /dev/tpmrm0 rw"

# CRL freshness (decision 3): every 6 h, retried on 4, not on the others.
TZ=UTC systemd-analyze calendar --iterations=5 "$(key "$U/edge-crl-update.timer" OnCalendar)" > "$T/cal" 2>&1
# systemd 252 (Debian 12) says "Iter. #2", 257 (Debian 13) "Iteration #2".
sed -E -n 's/^ *(Next elapse|Iter(\.|ation) #[0-9]+): [A-Za-z]+ [0-9-]+ ([0-9:]+) .*/\3/p' "$T/cal" | sort -u > "$T/hours"
assert_eq "edge-crl-update.timer: at 00, 06, 12 and 18 h (systemd-analyze calendar)" "$(tr '\n' ' ' < "$T/hours")" "00:00:00 06:00:00 12:00:00 18:00:00 "
f=$U/edge-crl-update.timer
[ "$(key "$f" Persistent)" = true ] && [ "$(key "$f" RandomizedDelaySec)" = 30min ] &&
	ok "edge-crl-update.timer: persistent, at most 30 min random delay" ||
	not_ok "edge-crl-update.timer: persistent, at most 30 min random delay"
f=$U/edge-crl-update.service
[ "$(key "$f" Restart)" = on-failure ] && [ -n "$(key "$f" RestartSec)" ] &&
	[ "$(key "$f" RestartPreventExitStatus)" = "2 3 5 6 7 8" ] &&
	ok "edge-crl-update: retried after exit 4 (and 1), not after 2 3 5 6 7 8" ||
	not_ok "edge-crl-update: retried after exit 4 (and 1), not after 2 3 5 6 7 8"
f=$U/edge-connect.service
assert_eq "edge-connect: reload is SIGHUP" "$(key "$f" ExecReload)" '/bin/kill -HUP $MAINPID'
# restarts UNIT STATUS: does systemd start UNIT again after its main process
# exits with STATUS?  As service_shall_restart() decides: RestartPrevent-
# ExitStatus= first, then RestartForceExitStatus=, then Restart= against the
# result (SuccessExitStatus= and 0 are success).  Lists accumulate over
# lines; an empty assignment empties them.
restarts() {
	awk -v st="$2" -F= '
		function has(list, x,  n, a, i) { n = split(list, a, " "); for (i = 1; i <= n; i++) if (a[i] == x) return 1; return 0 }
		/^(RestartPreventExitStatus|RestartForceExitStatus|SuccessExitStatus)=/ {
			l[$1] = ($2 == "") ? "" : l[$1] " " $2 }
		/^Restart=/ { r = $2 }
		END {
			if (has(l["RestartPreventExitStatus"], st)) exit 1
			if (has(l["RestartForceExitStatus"], st)) exit 0
			ok = st == 0 || has(l["SuccessExitStatus"], st)
			if (r == "always" || (r == "on-failure" && !ok)) exit 0
			exit 1
		}' "$1"
}
# usec UNIT KEY DEFAULT: KEY's time span in microseconds (systemd-analyze timespan).
usec() {
	_v=$(key "$1" "$2" | tail -1); [ -n "$_v" ] || _v=$3
	systemd-analyze timespan "$_v" | sed -n "s/^ *\(μs\|us\): //p"
}
# F8: exit 6 (trust: the clock behind trusted time until NTP sets it, a stale
# CRL until the timer replaces it, a hub certificate until it is fixed) goes
# away without a person, and edge-connect sends nothing before the hub is
# verified: systemd retries it.  2 (usage) and 8 (own certificate revoked)
# need a person: no restart loop.
for st in 1 4 5 6 7; do
	restarts "$f" $st && ok "edge-connect: exit $st is restarted" || not_ok "edge-connect: exit $st is restarted"
done
for st in 0 2 8; do
	restarts "$f" $st && not_ok "edge-connect: exit $st is not restarted" || ok "edge-connect: exit $st is not restarted"
done
# ... at a pace that does not flood the journal (at most one start a
# minute, --reconnect-max's pace for a hub away) and picks up a fixed clock
# within minutes; a start limit it never reaches (it would stop the
# retrying for good, F8 again).
rs=$(usec "$f" RestartSec 100ms)
[ -n "$rs" ] && [ "$rs" -ge 60000000 ] && [ "$rs" -le 300000000 ] &&
	ok "edge-connect: RestartSec between 1 and 5 min ($(key "$f" RestartSec))" ||
	not_ok "edge-connect: RestartSec between 1 and 5 min ('$(key "$f" RestartSec)')"
li=$(usec "$f" StartLimitIntervalSec 10s) lb=$(key "$f" StartLimitBurst | tail -1)
[ -n "$li" ] && { [ "$li" -eq 0 ] || [ $((li / rs + 1)) -le "${lb:-5}" ]; } &&
	ok "edge-connect: the restarts never reach the start limit (StartLimitIntervalSec=$(key "$f" StartLimitIntervalSec))" ||
	not_ok "edge-connect: the restarts never reach the start limit (StartLimitIntervalSec='$(key "$f" StartLimitIntervalSec)' StartLimitBurst='$lb')"
assert_eq "edge-cert-changed.path: watches cert.pem, ca.pem and crl.pem" \
	"$(key "$U/edge-cert-changed.path" PathChanged | tr '\n' ' ')" \
	"/var/lib/edge/cert.pem /var/lib/edge/ca.pem /var/lib/edge/crl.pem "
# edge-cert-changed's command with a stand-in systemctl: a failed
# edge-connect (a stale CRL's exit 6) is started again, a running one
# reloaded, a stopped one left alone (try-reload-or-restart).
mkdir "$T/sc"
cat > "$T/sc/systemctl" <<'EOF'
#!/bin/sh
echo "$*" >> "$SC_LOG"
[ "$*" = "-q is-failed edge-connect.service" ] && exit "$SC_FAILED"
exit 0
EOF
chmod +x "$T/sc/systemctl"
CMD=$(key "$U/edge-cert-changed.service" ExecStart | sed "s|^/bin/sh -c '\(.*\)'\$|\1|")
SC_LOG=$T/sc/failed SC_FAILED=0 PATH="$T/sc:$PATH" sh -c "$CMD"
SC_LOG=$T/sc/active SC_FAILED=1 PATH="$T/sc:$PATH" sh -c "$CMD"
assert_eq "edge-cert-changed: a failed edge-connect is restarted" "$(tail -1 "$T/sc/failed")" "restart edge-connect.service"
assert_eq "edge-cert-changed: otherwise try-reload-or-restart" "$(tail -1 "$T/sc/active")" "try-reload-or-restart edge-connect.service"

# --- cred: against the tools ------------------------------------------------------
hub_start
PK=$HUB_PRODUCT_KEY
mkdir -m 700 "$T/cd"
cp "$HUB_CREDENTIALS" "$T/cd/credentials"; chmod 400 "$T/cd/credentials"
G=$T/gw; mkdir -m 700 "$G"
edge_with_csr "$G" SN-UNITS-1 || echo "Bail out! cannot make a key and CSR"
HOPTS="--api $HUB_API --hub-ca $HUB_CA"
# shellcheck disable=SC2086
assert_fails 2 "--credentials cred:credentials without CREDENTIALS_DIRECTORY: usage error" \
	env -u CREDENTIALS_DIRECTORY edge-provision -d "$G" $HOPTS --credentials cred:credentials --product-key "$PK" --serial SN-UNITS-1 --mqtt "$HUB_MQTT"
assert_grep "... saying so" '^edge-provision: --credentials: cred:credentials: \$CREDENTIALS_DIRECTORY is not set' "$T/err"
cp "$T/cd/credentials" "$T/cd/wide"; chmod 644 "$T/cd/wide"
# shellcheck disable=SC2086
assert_fails 7 "--credentials cred:wide, a 0644 file: refused" \
	env CREDENTIALS_DIRECTORY="$T/cd" edge-provision -d "$G" $HOPTS --credentials cred:wide --product-key "$PK" --serial SN-UNITS-1 --mqtt "$HUB_MQTT"
assert_grep "... readable by others" "$T/cd/wide: readable by others; it holds a secret" "$T/err"
assert_fails 2 "cred:../cd/credentials: not a credential name" \
	env CREDENTIALS_DIRECTORY="$T/cd" edge-provision -d "$G" $HOPTS --credentials cred:../cd/credentials --product-key "$PK" --serial SN-UNITS-1
# shellcheck disable=SC2086
assert_ok "--credentials cred:credentials (0400) provisions the gateway" \
	env CREDENTIALS_DIRECTORY="$T/cd" edge-provision -d "$G" $HOPTS --credentials cred:credentials --product-key "$PK" --serial SN-UNITS-1 --mqtt "$HUB_MQTT"
# 20 days: inside edge-renew.service's 30-day window.
# shellcheck disable=SC2086
assert_ok "... and edge-activate (20 days)" \
	env CREDENTIALS_DIRECTORY="$T/cd" EDGE_CREDENTIALS=cred:credentials edge-activate -d "$G" $HOPTS --valid-days 20

if command -v softhsm2-util >/dev/null 2>&1; then
	softhsm_setup edge 4711
	echo 4711 > "$T/cd/pin"; chmod 400 "$T/cd/pin"
	P=$T/tok; mkdir -m 700 "$P"
	assert_fails 2 "--pin cred:pin without CREDENTIALS_DIRECTORY: usage error" \
		env -u CREDENTIALS_DIRECTORY edge-keygen -d "$P" --pkcs11 'pkcs11:token=edge;object=k' --pin cred:pin
	assert_grep "... saying so" '^edge-keygen: --pin: cred:pin: \$CREDENTIALS_DIRECTORY is not set' "$T/err"
	cp "$T/cd/pin" "$T/cd/pin644"; chmod 644 "$T/cd/pin644"
	assert_fails 7 "--pin cred:pin644, a 0644 file: refused" \
		env CREDENTIALS_DIRECTORY="$T/cd" edge-keygen -d "$P" --pkcs11 'pkcs11:token=edge;object=k' --pin cred:pin644
	assert_ok "--pin cred:pin logs in to the token" \
		env CREDENTIALS_DIRECTORY="$T/cd" edge-keygen -d "$P" --pkcs11 'pkcs11:token=edge;object=k' --pin cred:pin --json
	assert_json "... and the key is in the token" "$T/out" .location pkcs11
	printf 'pin = cred:pin\n' > "$P/edge.conf"
	assert_ok "pin = cred:pin in edge.conf: edge-csr signs with the token key" \
		env CREDENTIALS_DIRECTORY="$T/cd" edge-csr -d "$P" --ca "$HUB_CA" --cn SN-UNITS-T --locality Shanghai --org-unit Edge
else
	skip "--pin cred:pin against a token" "softhsm2-util not installed"
fi

# --- the units' commands, as the units run them ------------------------------------
if [ "$(id -u)" -ne 0 ]; then
	skip "the units' ExecStart as the user edge" "not root: cannot create the user edge or drop to it"
	done_testing
fi
command -v setpriv >/dev/null 2>&1 || { skip "the units' ExecStart as the user edge" "setpriv not installed (util-linux)"; done_testing; }
if ! getent passwd edge >/dev/null; then
	useradd -r -U -M -d / -s /usr/sbin/nologin edge || echo "Bail out! useradd edge failed"
	on_exit "userdel edge"
	diag "created the system user edge (removed at the end)"
fi
chmod 711 "$T"	# edge walks through to its state and credentials directories
cp "$HUB_CA" "$G/hub-ca.pem"
cat > "$G/edge.conf" <<EOF
api = $HUB_API
portal = $HUB_PORTAL
mqtt = $HUB_MQTT
hub_ca = $G/hub-ca.pem
EOF
# What StateDirectory=edge, StateDirectoryMode=0700 make of it.
chown -R edge:edge "$G"; chmod 700 "$G"
# The credential sources, root 0600, as /etc/edge holds them.
mkdir -m 755 "$T/etc"
cp "$HUB_CREDENTIALS" "$T/etc/renew.credentials"; echo 0000 > "$T/etc/tpm-user.pin"
chmod 600 "$T/etc/renew.credentials" "$T/etc/tpm-user.pin"

# as_unit UNIT: its ExecStart, as the service manager would start it: the
# user edge with its groups, the unit's and tpm.conf's Environment= (the
# drop-in only for its units), EDGE_DIR the gateway, a credentials
# directory made from its LoadCredential= (0400 files of edge in a 0500
# directory of edge), standard input /dev/null, umask 077.  The tool's
# stdout and stderr go to $T/UNIT.out and $T/UNIT.err; AS_ARGS: more
# arguments (the test's, not the unit's).
as_unit() {
	_f=$U/$1.service _env='' _cd=''
	_files=$_f
	case " $TPM_UNITS " in *" $1 "*) _files="$_f $U/tpm.conf" ;; esac
	for _v in $(cat $_files | sed -n 's/^Environment=//p'); do
		case $_v in EDGE_DIR=*) _v=EDGE_DIR=$G ;; esac
		_env="$_env $_v"
	done
	if grep -q '^LoadCredential=' $_files; then
		_cd=$T/credentials/$1.service
		mkdir -p "$_cd"
		for _l in $(cat $_files | sed -n 's/^LoadCredential=//p'); do
			cp "$T/etc/$(basename "${_l#*:}")" "$_cd/${_l%%:*}"
		done
		chmod 400 "$_cd"/*; chown -R edge:edge "$_cd"; chmod 500 "$_cd"
		_env="$_env CREDENTIALS_DIRECTORY=$_cd"
	fi
	_cmd=$(sed -n 's|^ExecStart=/usr/bin/||p' "$_f")
	# shellcheck disable=SC2086
	${AS_EXEC:+exec} setpriv --reuid=edge --regid=edge --init-groups --inh-caps=-all --no-new-privs \
		env -i PATH=/usr/bin:/bin USER=edge LOGNAME=edge HOME=/ $_env \
		sh -c 'umask 077; exec "$@"' sh "$B/"$_cmd ${AS_ARGS:-} </dev/null >"$T/$1.out" 2>"$T/$1.err"
}
serial() { openssl x509 -in "$G/cert.pem" -noout -serial; }
owner() { stat -c %U "$1"; }

rc=0; as_unit edge-crl-update || rc=$?
[ $rc -eq 0 ] || sed 's/^/# /' "$T/edge-crl-update.err"
assert_eq "edge-crl-update.service as edge: exit 0" "$rc" 0
assert_eq "... crl.pem installed, owned by edge" "$(owner "$G/crl.pem")" edge
openssl crl -in "$G/crl.pem" -noout -CAfile "$HUB_CA" 2>"$T/crlverify" && grep -q "verify OK" "$T/crlverify" &&
	ok "... and openssl verifies it against the hub's CA" || { sed 's/^/# /' "$T/crlverify"; not_ok "... and openssl verifies it against the hub's CA"; }

old=$(serial)
rc=0; as_unit edge-renew || rc=$?
[ $rc -eq 0 ] || sed 's/^/# /' "$T/edge-renew.err"
assert_eq "edge-renew.service as edge, credentials from the credentials directory: exit 0" "$rc" 0
[ "$(serial)" != "$old" ] && ok "... a new certificate (the old had 20 days)" || not_ok "... a new certificate (the old had 20 days)"
openssl x509 -in "$G/cert.pem" -noout -checkend $((60 * 86400)) >/dev/null &&
	ok "... valid beyond 60 days (openssl)" || not_ok "... valid beyond 60 days (openssl)"
assert_eq "... cert.pem owned by edge" "$(owner "$G/cert.pem")" edge
rc=0; as_unit edge-renew || rc=$?
assert_eq "edge-renew.service again: nothing due, exit 0" "$rc" 0

# An --exec handler (exec = in edge.conf; -vv only to wait for the
# subscriptions) runs as edge in the unit's environment: it writes where it
# may (the state directory) and answers.
cat > "$T/handler" <<'EOF'
#!/bin/sh
cat > /dev/null
{ id -un; echo "${CREDENTIALS_DIRECTORY:-none}"; } > "$EDGE_DIR/handler.ran"
echo '{"applied":true}'
EOF
chmod 755 "$T/handler"
printf 'exec = %s\n' "$T/handler" >> "$G/edge.conf"
cloud_sub "$T/replies" "/sys/$PK/SN-UNITS-1/thing/service/#" -v
(AS_EXEC=1 AS_ARGS=-vv; as_unit edge-connect) & CPID=$!
on_exit "kill $CPID"
if wait_for_grep "^edge-connect: subscribed " "$T/edge-connect.err" 20 5; then
	ok "edge-connect.service as edge: connected and subscribed"
else
	sed 's/^/# /' "$T/edge-connect.err"; not_ok "edge-connect.service as edge: connected and subscribed"
fi
cloud_pub "/sys/$PK/SN-UNITS-1/thing/service/measurepoint/set" '{"id":"7","version":"1.0","method":"thing.service.measurepoint.set","params":{"t":1}}'
wait_for_grep "set_reply " "$T/replies" 10
grep "set_reply " "$T/replies" | cut -d' ' -f2- > "$T/r1"
assert_json "... the --exec handler's reply reaches the cloud" "$T/r1" '"\(.id) \(.code) \(.data.applied)"' "7 200 true"
# ... and it gets the unit's credentials directory (README, Services: a
# handler can read the PIN; hand privileged work to a unit of its own).
assert_eq "... the handler ran as edge, with the unit's CREDENTIALS_DIRECTORY" "$(tr '\n' ' ' < "$G/handler.ran" 2>/dev/null)" "edge $T/credentials/edge-connect.service "
kill -TERM "$CPID" 2>/dev/null
rc=0; wait "$CPID" || rc=$?
assert_eq "... SIGTERM (systemctl stop): exit 0" "$rc" 0
assert_eq "... no process of the user edge left" "$(ps -o pid= -u edge | tr -d ' ')" ""

done_testing
