#!/bin/sh
# SPDX-License-Identifier: MIT
# edge-connect against the stand-in hub's mosquitto broker: telemetry up in
# the EnOS format, commands down and their replies, the trust failures (exit
# 6), revocation (exit 8), the clock set back, a token key, the outbox across
# a dead broker and a killed edge, and 10,000 messages across a broker
# restart, counted by the cloud-side client.
. "${0%/*}/../lib.sh"
setup
for t in jq mosquitto_pub mosquitto_sub certtool openssl perl; do
	command -v $t >/dev/null 2>&1 || skip_all "$t not installed"
done
hub_start
PK=$HUB_PRODUCT_KEY
MQTT_PORT=${HUB_MQTT##*:}

# gateway DIR SERIAL: a provisioned, activated edge with a file key.
gateway() {
	edge_with_csr "$1" "$2" &&
	edge-provision -q -d "$1" $HUBOPTS --product-key "$PK" --serial "$2" --mqtt "$HUB_MQTT" >/dev/null &&
	edge-activate -q -d "$1" $HUBOPTS >/dev/null
}
# wait_pid PID SECS: wait for a background process, at most SECS * $SLOW seconds.
wait_pid() {
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt $(($2 * SLOW * 10)) ]; do sleep 0.1; i=$((i + 1)); done
	! kill -0 "$1" 2>/dev/null
}
# wait_subscribed ERRFILE: until the edge-connect -vv writing ERRFILE has its
# five downlink subscriptions acknowledged by the broker (SUBACK).
wait_subscribed() {
	wait_for_grep "^edge-connect: subscribed " "$1" 20 5 || diag "edge-connect did not subscribe; see below"
}

# ---- telemetry up ---------------------------------------------------------
G=$T/g1; gateway "$G" SN-C1 || echo "Bail out! cannot make a gateway"
cloud_sub "$T/up" "/sys/$PK/SN-C1/#" -v
printf '%s\n' '{"temp":21.5}' 'not json' '{"measurepoints":{"power":{"value":1.5,"quality":9}},"time":1700000000000}' \
    '' '{"method":"thing.event.alarm.post","params":{"level":2}}' '{"method":"thing.service.x"}' \
    "{'temp':1}" '{"temp":NaN}' \
    '{"method":"thing.event.a\u0000b.post","params":{}}' '{"measurepoints":{"t":1},"time":-5}' > "$T/in1"
printf '{"t":2}\0\n' >> "$T/in1"
assert_ok "file key: telemetry sent and acknowledged" timeout $(slow 30) edge-connect -d "$G" --input "$T/in1" --exit-on-eof --json
assert_json "summary: 3 acknowledged" "$T/out" .acknowledged 3
assert_json "summary: 7 invalid lines" "$T/out" .invalid 7
assert_json "summary: nothing queued" "$T/out" .queued 0
assert_grep "the invalid line is reported with its number" "input line 2: not JSON; skipped" "$T/err"
assert_grep "a downlink method is refused as input" "input line 6: .*skipped" "$T/err"
assert_grep "single quotes are not JSON (RFC 8259)" "input line 7: not JSON; skipped" "$T/err"
assert_grep "nor is NaN" "input line 8: not JSON; skipped" "$T/err"
assert_grep "a method with a NUL is not passed on its prefix" 'input line 9: "method" is not an uplink method' "$T/err"
assert_grep "a negative time is refused" 'input line 10: "time" is not milliseconds; skipped' "$T/err"
assert_grep "a trailing NUL is not a blank" "input line 11: not JSON; skipped" "$T/err"
wait_for_grep . "$T/up" 5 3
grep "thing/measurepoint/post " "$T/up" | sed -n 1p | cut -d' ' -f2- > "$T/m1"
assert_json "the cloud receives thing.measurepoint.post" "$T/m1" .method thing.measurepoint.post
assert_json "... with the measurepoints in params" "$T/m1" .params.measurepoints.temp 21.5
assert_json "... a time in ms" "$T/m1" '.params.time > 1600000000000' true
assert_json "... version 1.0 and a string id" "$T/m1" '"\(.version) \(.id|type)"' "1.0 string"
grep "thing/measurepoint/post " "$T/up" | sed -n 2p | cut -d' ' -f2- > "$T/m2"
assert_json "a given time is kept" "$T/m2" .params.time 1700000000000
assert_grep "a full message goes to the topic of its method" "^/sys/$PK/SN-C1/thing/event/alarm/post {.*\"level\":2" "$T/up"
assert_eq "nothing invalid reached the hub" "$(grep -c . "$T/up")" 3
stop_pid "$SUB_PID"
assert_eq "the outbox is empty afterwards" "$(cat "$G/outbox/"*.seg 2>/dev/null | wc -l)" 0

# ---- commands down --------------------------------------------------------
cat > "$T/handler" <<'EOF'
#!/bin/sh
in=$(cat)
printf '%s\n' "$in" >> "$HANDLER_LOG"
case $in in *thing.service.reboot*) echo '{"ok":false}'; exit 3 ;; esac
echo '{"applied":true}'
EOF
chmod +x "$T/handler"
cloud_sub "$T/replies" "/sys/$PK/SN-C1/thing/service/#" -v
: > "$T/down.err"	# wait_subscribed must not see the last run's lines
edge-connect -vv -d "$G" -C 1 -W $(slow 20) < /dev/null > "$T/down" 2> "$T/down.err" &
EC=$!
wait_subscribed "$T/down.err"
cloud_pub "/sys/$PK/SN-C1/thing/service/measurepoint/set" '{"id":"41","version":"1.0","method":"thing.service.measurepoint.set","params":{"temperature":30.5}}'
wait_pid $EC 20; wait $EC; rc=$?
assert_eq "a cloud command is received (exit 0 after --count 1)" "$rc" 0
assert_json "printed as a JSON line: topic" "$T/down" .topic "/sys/$PK/SN-C1/thing/service/measurepoint/set"
assert_json "... method, id and params" "$T/down" '"\(.method) \(.id) \(.params.temperature)"' "thing.service.measurepoint.set 41 30.5"
wait_for_grep "set_reply " "$T/replies" 5
grep "set_reply " "$T/replies" | cut -d' ' -f2- > "$T/r1"
assert_json "the automatic reply reaches the cloud with code 200 and the id" "$T/r1" '"\(.id) \(.code)"' "41 200"
# A topic longer than 1 KiB gets its reply on the whole topic + "_reply".
LONGSVC=$(printf '%01200d' 0 | tr 0 s)
: > "$T/down.err"
edge-connect -vv -d "$G" -C 1 -W $(slow 20) < /dev/null > "$T/down" 2> "$T/down.err" &
EC=$!
wait_subscribed "$T/down.err"
cloud_pub "/sys/$PK/SN-C1/thing/service/$LONGSVC" '{"id":"44","version":"1.0","method":"thing.service.x","params":{}}'
wait_pid $EC 20; wait $EC; rc=$?
assert_eq "a command on a 1.2 KiB topic is received" "$rc" 0
wait_for_grep "${LONGSVC}_reply " "$T/replies" 5
assert_grep "... its reply goes to the whole topic + _reply" "^/sys/$PK/SN-C1/thing/service/${LONGSVC}_reply {\"id\":\"44\"" "$T/replies"

HANDLER_LOG=$T/handler.log; export HANDLER_LOG
: > "$T/down.err"	# wait_subscribed must not see the last run's lines
edge-connect -vv -d "$G" -C 2 -W $(slow 20) --exec "$T/handler" < /dev/null > "$T/down" 2> "$T/down.err" &
EC=$!
wait_subscribed "$T/down.err"
cloud_pub "/sys/$PK/SN-C1/thing/service/measurepoint/set" '{"id":"42","version":"1.0","method":"thing.service.measurepoint.set","params":{"t":1}}'
cloud_pub "/sys/$PK/SN-C1/thing/service/reboot" '{"id":"43","version":"1.0","method":"thing.service.reboot","params":{"x":"$(touch '"$T"'/pwned)"}}'
wait_pid $EC 20; wait $EC; rc=$?
wait_for_grep "reboot_reply " "$T/replies" 5
stop_pid "$SUB_PID"
assert_eq "--exec: two commands handled" "$rc" 0
assert_grep "--exec: the handler got the message on its standard input" '"id":"42"' "$T/handler.log"
[ ! -e "$T/pwned" ] && ok "--exec: payload data is never run by a shell" || not_ok "--exec: payload data is never run by a shell"
grep "measurepoint/set_reply " "$T/replies" | tail -1 | cut -d' ' -f2- > "$T/r2"
assert_json "--exec: its JSON output is the reply's data" "$T/r2" '"\(.id) \(.code) \(.data.applied)"' "42 200 true"
grep "reboot_reply " "$T/replies" | cut -d' ' -f2- > "$T/r3"
assert_json "--exec: exit status 3 gives code 2003" "$T/r3" '"\(.id) \(.code) \(.data.ok)"' "43 2003 false"
assert_grep "--exec: the failure is reported" "reply code 2003" "$T/down.err"

# ---- the hub's certificate ------------------------------------------------
assert_ok "the hub's certificate carries localhost too" timeout $(slow 20) edge-connect -q -d "$G" \
    --mqtt "mqtts://localhost:$MQTT_PORT" --exit-on-eof < /dev/null
assert_fails 6 "a hub certificate for another name is refused" timeout $(slow 20) edge-connect -d "$G" \
    --server-name hub.example.com --exit-on-eof < /dev/null
assert_grep "... name mismatch" "hub certificate does not name hub.example.com" "$T/err"
# What edge-connect accepted stays in the outbox after a failed run (README,
# Exit status): the next successful run delivers it.  The line is accepted
# while the broker is out of reach (a closed port: the input is read between
# connection attempts, so this does not race the handshake), then a trust
# failure does not drop it either.
echo '{"kept":7}' > "$T/kept"
dead=$(free_port)
assert_fails 4 "a run that cannot reach the broker, with a line on the input" timeout $(slow 20) edge-connect -d "$G" \
    --mqtt "mqtts://127.0.0.1:$dead" --input "$T/kept" --exit-on-eof -W 2
assert_eq "... the accepted line stays in the outbox" "$(cat "$G/outbox/"*.seg 2>/dev/null | grep -c '"kept":7')" 1
assert_fails 6 "a trust failure with the line queued" timeout $(slow 20) edge-connect -d "$G" \
    --server-name hub.example.com --input /dev/null --exit-on-eof
assert_eq "... the line is still in the outbox" "$(cat "$G/outbox/"*.seg 2>/dev/null | grep -c '"kept":7')" 1
cloud_sub "$T/kept.up" "/sys/$PK/SN-C1/thing/measurepoint/post"
assert_ok "the next successful run" timeout $(slow 30) edge-connect -d "$G" --input /dev/null --exit-on-eof --json
assert_json "... sends it" "$T/out" .acknowledged 1
wait_for_grep '"kept":7' "$T/kept.up" 5
assert_json "... and the cloud receives it" "$T/kept.up" .params.measurepoints.kept 7
stop_pid "$SUB_PID"
assert_eq "... the outbox is empty again" "$(cat "$G/outbox/"*.seg 2>/dev/null | wc -l)" 0
assert_ok "--no-verify-hostname: the same hub is accepted under another name" timeout $(slow 20) edge-connect -d "$G" \
    --server-name hub.example.com --no-verify-hostname --exit-on-eof < /dev/null
assert_grep "... the warning says what is still required (serverAuth)" "name is NOT checked; any server certificate (serverAuth) from the pinned CA is accepted" "$T/err"
# A flag's "no" from a higher source switches off a lower source's "yes".
printf 'no-verify-hostname = yes\n' > "$T/sys-nvh.conf"
assert_fails 6 "EDGE_NO_VERIFY_HOSTNAME=no beats no-verify-hostname = yes in the system config" \
    env EDGE_SYSTEM_CONFIG="$T/sys-nvh.conf" EDGE_NO_VERIFY_HOSTNAME=no timeout $(slow 20) edge-connect -d "$G" \
    --server-name hub.example.com --exit-on-eof < /dev/null
assert_grep "... name mismatch" "hub certificate does not name hub.example.com" "$T/err"
printf 'no-verify-hostname = no\n' > "$T/nvh.conf"
assert_fails 6 "no-verify-hostname = no in --config beats yes in the system config" \
    env EDGE_SYSTEM_CONFIG="$T/sys-nvh.conf" timeout $(slow 20) edge-connect -d "$G" -c "$T/nvh.conf" \
    --server-name hub.example.com --exit-on-eof < /dev/null
certtool --generate-privkey --outfile "$T/o.key" 2>/dev/null
printf 'cn = Other CA\nca\ncert_signing_key\nexpiration_days = 10\n' > "$T/o.tmpl"
certtool --generate-self-signed --load-privkey "$T/o.key" --template "$T/o.tmpl" --outfile "$T/other-ca.pem" 2>/dev/null
assert_fails 6 "a hub certificate from another CA is refused" timeout $(slow 20) edge-connect -d "$G" \
    --ca "$T/other-ca.pem" --exit-on-eof < /dev/null
assert_grep "... unknown CA" "hub certificate: signed by an unknown CA" "$T/err"
srv_end=$(date -d "$(openssl x509 -in "$HUB_DIR/server.pem" -noout -enddate | cut -d= -f2)" +%s)
if have_faketime; then
	assert_fails 6 "an expired hub certificate is refused (libfaketime: a day after its end)" \
	    at_time "+$((srv_end + 86400 - $(date +%s)))" timeout $(slow 20) edge-connect -d "$G" --exit-on-eof < /dev/null
	assert_grep "... expired" "hub certificate: expired" "$T/err"
else
	skip "an expired hub certificate is refused" "libfaketime not installed (Debian package faketime)"
	skip "... expired" "libfaketime not installed"
fi
R=$T/hubrevoked; cp -a "$G" "$R"
printf 'crl_next_update = 30\ncrl_number = 1000\n' > "$T/crl.tmpl"
certtool --generate-crl --load-ca-privkey "$HUB_DIR/ca-key.pem" --load-ca-certificate "$HUB_CA" \
    --load-certificate "$HUB_DIR/server.pem" --template "$T/crl.tmpl" --outfile "$R/crl.pem" 2>/dev/null
assert_fails 6 "a hub certificate listed in crl.pem is refused" timeout $(slow 20) edge-connect -d "$R" --exit-on-eof < /dev/null
assert_grep "... revoked" "hub certificate: revoked" "$T/err"
cp "$HUB_CRL" "$R/crl.pem"
assert_ok "with the hub's own CRL the connection works" timeout $(slow 20) edge-connect -q -d "$R" --exit-on-eof < /dev/null

# ---- trusted time ---------------------------------------------------------
assert_grep "the hub certificate's notBefore is recorded as trusted time" "hub certificate notBefore" "$G/trusted-time"
if have_faketime; then
	assert_fails 6 "a clock set back is refused (libfaketime: three days back)" \
	    at_time -3d timeout $(slow 20) edge-connect -d "$G" --exit-on-eof < /dev/null
	assert_grep "... system clock is earlier than trusted time" "system clock is earlier than trusted time" "$T/err"
else
	skip "a clock set back is refused" "libfaketime not installed (Debian package faketime)"
	skip "... system clock is earlier than trusted time" "libfaketime not installed"
fi

# ---- the outbox across a dead broker and a killed edge ---------------------
DEAD=$(free_port)
printf '{"n":1}\n{"n":2}\n' > "$T/in2"
assert_fails 4 "broker unreachable: exit 4 at --timeout" timeout $(slow 20) edge-connect -d "$G" \
    --mqtt "mqtts://127.0.0.1:$DEAD" --input "$T/in2" --exit-on-eof --timeout 3 --json
assert_json "... both messages stay queued" "$T/out" .error.code 4
assert_eq "... in the outbox on disk" "$(cat "$G/outbox/"*.seg | wc -l)" 2
printf '{"n":3}\n' | edge-connect -q -d "$G" --mqtt "mqtts://127.0.0.1:$DEAD" > /dev/null 2>&1 &
EC=$!
# Killed once the message is in the outbox on disk (it is queued before the
# edge tries the broker); at most 10 s * $SLOW.
i=0
while [ "$(cat "$G/outbox/"*.seg 2>/dev/null | wc -l)" -lt 3 ] && [ $i -lt $((100 * SLOW)) ]; do sleep 0.1; i=$((i + 1)); done
kill -KILL $EC; wait $EC 2>/dev/null
assert_eq "an edge killed with the broker away keeps its message" "$(cat "$G/outbox/"*.seg | wc -l)" 3
cloud_sub "$T/up2" "/sys/$PK/SN-C1/thing/measurepoint/post"
printf '{"n":4}\n' > "$T/in3"
assert_ok "the next run sends the outbox first" timeout $(slow 30) edge-connect -d "$G" --input "$T/in3" --exit-on-eof --json
assert_json "... all four acknowledged" "$T/out" .acknowledged 4
wait_for_grep . "$T/up2" 5 4
stop_pid "$SUB_PID"
assert_eq "... in order" "$(jq -r .params.measurepoints.n "$T/up2" | tr '\n' ' ')" "1 2 3 4 "
assert_eq "the outbox is empty again" "$(cat "$G/outbox/"*.seg 2>/dev/null | wc -l)" 0

# ---- one edge-connect per state directory (its outbox) ---------------------
# The first holds the outbox (the broker away, so it keeps running); a second
# on the same directory must not send the first one's messages too.
printf '{"n":5}\n' > "$T/in5"
edge-connect -q -d "$G" --mqtt "mqtts://127.0.0.1:$DEAD" --input "$T/in5" < /dev/null > /dev/null 2>&1 &
EC=$!
on_exit "kill $EC"
i=0
while [ "$(cat "$G/outbox/"*.seg 2>/dev/null | wc -l)" -lt 1 ] && [ $i -lt $((100 * SLOW)) ]; do sleep 0.1; i=$((i + 1)); done
assert_fails 4 "a second edge-connect on the same outbox exits 4 at once" timeout $(slow 10) edge-connect -d "$G" \
    --input "$T/in3" --exit-on-eof --timeout 5
assert_grep "... saying the outbox is in use" "^edge-connect: outbox: in use by another edge-connect ($G/outbox)" "$T/err"
kill -0 $EC 2>/dev/null && ok "... the first keeps running" || not_ok "... the first keeps running"
assert_eq "... its message stays queued, once" "$(cat "$G/outbox/"*.seg | wc -l)" 1
kill -TERM $EC; wait $EC 2>/dev/null
assert_ok "once it is gone the outbox is free" timeout $(slow 30) edge-connect -d "$G" --input /dev/null --exit-on-eof --json
assert_json "... and its message is sent" "$T/out" .acknowledged 1

# ---- a damaged outbox: what can never be sent does not hold back the rest --
# Four messages queued with the broker away, then damaged on disk before the
# next start, as a power cut (zeroed bytes) or bad flash can: the first
# record's topic zeroed (skipped at open), the second's topic made a
# wildcard the broker refuses to take (dropped at publish, with a warning).
printf '{"n":11}\n{"n":12}\n{"n":13}\n{"n":14}\n' > "$T/in11"
assert_fails 4 "four messages queued with the broker away" timeout $(slow 20) edge-connect -d "$G" \
    --mqtt "mqtts://127.0.0.1:$DEAD" --input "$T/in11" --exit-on-eof --timeout 3
perl -0777 -pi -e 's/^([^\n]{20})([^\n]*"n":11\b)/("\0" x 20) . $2/me; s{^([^\t\n]*)/thing/([^\t\n]*\t[^\n]*"n":12\b)}{$1/thi+g/$2}m' "$G"/outbox/*.seg
assert_eq "... two of them damaged on disk" "$(cat "$G"/outbox/*.seg | tr -d '\n' | grep -c 'thi+g')" 1
cloud_sub "$T/up11" "/sys/$PK/SN-C1/thing/measurepoint/post"
assert_ok "the next run sends what is intact" timeout $(slow 30) edge-connect -d "$G" --input /dev/null \
    --exit-on-eof --reply-wait 0 --timeout 15 --json
assert_json "... two acknowledged, one dropped" "$T/out" '"\(.acknowledged) \(.dropped)"' "2 1"
assert_grep "... the damaged record is told" "^edge-connect: warning: outbox: 1 damaged record skipped, not sent$" "$T/err"
assert_grep "... and the one that cannot be published" "^edge-connect: warning: outbox: message [0-9]* cannot be published (not a valid topic name); dropped$" "$T/err"
wait_for_grep '"n":14' "$T/up11" 5
stop_pid "$SUB_PID"
assert_eq "... the cloud has the intact two, in order" "$(jq -r .params.measurepoints.n "$T/up11" | tr '\n' ' ')" "13 14 "
assert_eq "... the outbox is empty again" "$(cat "$G/outbox/"*.seg 2>/dev/null | wc -l)" 0

# ---- the edge's certificate revoked ----------------------------------------
V=$T/rev; gateway "$V" SN-REV
assert_ok "a fresh edge connects" timeout $(slow 20) edge-connect -q -d "$V" --exit-on-eof < /dev/null
reloads=$(grep -c "Reloading config" "$HUB_DIR/mosquitto.log")
edge-revoke -q -d "$V" $HUBOPTS --serial "$(jq -r .certSN "$V/device.json")" > /dev/null 2>&1 ||
	diag "edge-revoke failed"
# The hub sends the broker SIGHUP; it reloads its CRL after logging this line.
wait_for_grep "Reloading config" "$HUB_DIR/mosquitto.log" 10 $((reloads + 1))
assert_fails 8 "after revocation the edge is refused with exit 8" timeout $(slow 30) edge-connect -d "$V" --exit-on-eof < /dev/null
assert_grep "... saying the certificate is revoked" "edge certificate: it is revoked" "$T/err"

# ---- token key (SoftHSM2) --------------------------------------------------
softhsm_setup edge 1234
echo 1234 > "$T/pin"; chmod 600 "$T/pin"
P=$T/tok; mkdir "$P"
edge-keygen -q -d "$P" --pkcs11 'pkcs11:token=edge;object=edge-key' --pin "file:$T/pin" >/dev/null
edge-csr -q -d "$P" --pin "file:$T/pin" --ca "$HUB_CA" --locality L --org-unit U --cn SN-TOK >/dev/null
edge-provision -q -d "$P" $HUBOPTS --product-key "$PK" --serial SN-TOK --mqtt "$HUB_MQTT" >/dev/null
edge-activate -q -d "$P" $HUBOPTS --pin "file:$T/pin" >/dev/null
[ -f "$P/key.uri" ] && [ ! -e "$P/key.pem" ] && ok "the token edge has key.uri only" || not_ok "the token edge has key.uri only"
echo '{"temp":1}' > "$T/in4"
assert_ok "token key: connects and sends" timeout $(slow 30) edge-connect -d "$P" --pin "file:$T/pin" --input "$T/in4" --exit-on-eof --json
assert_json "token key: acknowledged" "$T/out" .acknowledged 1
echo 9999 > "$T/badpin"; chmod 600 "$T/badpin"
assert_fails 7 "token key with a wrong PIN: exit 7" timeout $(slow 30) edge-connect -d "$P" --pin "file:$T/badpin" --exit-on-eof < /dev/null
# The PIN from standard input, which carries the telemetry, by any name: refused
# (exit 2) before the token is asked (stdin here holds the right PIN).
for pin in - file:- fd:0 file:/dev/stdin file:/dev/fd/0 file:/proc/self/fd/0; do
	assert_fails 2 "token key with --pin $pin and telemetry on stdin: refused" timeout $(slow 30) edge-connect -d "$P" --pin "$pin" --exit-on-eof < "$T/pin"
	assert_grep "... standard input cannot carry both" "cannot carry both the telemetry and the PIN" "$T/err"
done
printf 'pin = fd:0\n' > "$P/edge.conf"
assert_fails 2 "pin = fd:0 in edge.conf: refused too" timeout $(slow 30) edge-connect -d "$P" --exit-on-eof < "$T/pin"
rm -f "$P/edge.conf"
assert_ok "--pin fd:0 with --input FILE: connects" timeout $(slow 30) edge-connect -d "$P" --pin fd:0 --input "$T/in4" --exit-on-eof < "$T/pin"

# ---- 10,000 messages across a broker restart --------------------------------
S=$T/stream; gateway "$S" SN-STREAM
# A QoS 0 subscription: the cloud client sends nothing the broker could leave
# unread, so a killed broker's sockets close cleanly.
cloud_sub "$T/up3" "/sys/$PK/SN-STREAM/thing/measurepoint/post"
perl -e '$| = 1; for my $i (1 .. 10000) { print "{\"i\":$i}\n"; select(undef, undef, undef, 0.3) if $i % 500 == 0 }' |
    edge-connect -vv -d "$S" --exit-on-eof --reconnect-min 3 --reconnect-max 4 --json > "$T/stream.out" 2> "$T/stream.err" &
EC=$!
on_exit "kill $EC"
# The broker is killed once the edge is connected and streaming.
wait_subscribed "$T/stream.err"
MP=$(cat "$HUB_DIR/mosquitto.pid")
kill -KILL "$MP"
sleep 1
mosq=$(command -v mosquitto 2>/dev/null || echo /usr/sbin/mosquitto)
asan=$(ldd "$B/tests/hub/enos-auth-plugin.so" 2>/dev/null | awk '/libasan/ { print $3 }')
if [ -n "$asan" ]; then
	LD_PRELOAD="$asan" ASAN_OPTIONS=detect_leaks=0 "$mosq" -c "$HUB_DIR/mosquitto.conf" >> "$HUB_DIR/mosquitto.log" 2>&1 &
else
	"$mosq" -c "$HUB_DIR/mosquitto.conf" >> "$HUB_DIR/mosquitto.log" 2>&1 &
fi
echo $! > "$HUB_DIR/mosquitto.pid"
wait_for_port "$MQTT_PORT" 10 && ok "the broker was killed and restarted on its port" || not_ok "the broker was killed and restarted on its port"
# mosquitto_sub does not come back by itself: the cloud side reconnects (the
# edge waits at least --reconnect-min before it does).
stop_pid "$SUB_PID"
cloud_sub "$T/up3b" "/sys/$PK/SN-STREAM/thing/measurepoint/post"
wait_pid $EC 120; wait $EC; rc=$?
assert_eq "edge-connect finished the stream" "$rc" 0
assert_grep "edge-connect reconnected" "reconnecting in" "$T/stream.err"
cp "$T/stream.out" "$T/out"
assert_json "all 10,000 acknowledged" "$T/out" .acknowledged 10000
assert_json "two sessions" "$T/out" '.connections >= 2' true
sleep 1
stop_pid "$SUB_PID"
assert_eq "the cloud received all 10,000 (distinct ids)" "$(cat "$T/up3" "$T/up3b" | jq -r .params.measurepoints.i | sort -u | wc -l)" 10000

# ---- missing state files: exit 3 naming the step (DESIGN) -----------------
for f in ca.pem cert.pem device.secret; do
	M=$T/missing-${f%%.*}; cp -a "$G" "$M"; rm -f "$M/$f" "$M/crl.pem"; rm -rf "$M/outbox"
	case $f in device.secret) step=edge-provision ;; *) step=edge-activate ;; esac
	assert_fails 3 "no $f: invalid input, not a storage error" edge-connect -d "$M" --input /dev/null --exit-on-eof --reconnect-max 1
	assert_grep "... '$f: missing; run $step first'" "^edge-connect: $f: missing; run $step first$" "$T/err"
done

done_testing
