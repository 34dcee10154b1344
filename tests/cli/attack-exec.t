#!/bin/sh
# SPDX-License-Identifier: MIT
# Issue 15, --exec as an attacker would use it, against the stand-in hub's
# real mosquitto: a handler inherits no descriptor but 0-2 (not the broker's
# TLS socket, libmosquitto's socket pair, a --pin fd:N) and no variable a
# secret option names (--pin env:VAR); --exec-timeout bounds its whole life
# (a handler that closes stdout and sleeps is killed, its group too, and the
# cloud gets an error; a child that ignores SIGTERM gets SIGKILL also when
# the handler's shell died at SIGTERM); what a finished handler left in the
# background is killed with it (nothing outlives edge-connect or its
# --exec-max slot); while one runs, telemetry and keep-alives go on;
# more than --exec-max at once are answered "busy".  Also: --exit-on-eof
# that never reached the hub exits 4.
. "${0%/*}/../lib.sh"
setup
for t in jq mosquitto_pub mosquitto_sub certtool mkfifo; do
	command -v $t >/dev/null 2>&1 || skip_all "$t not installed"
done
hub_start
PK=$HUB_PRODUCT_KEY

# wait_pid PID SECS: wait for a background process at most SECS * $SLOW
# seconds, then kill it (status 137): a stuck edge-connect fails, not hangs.
wait_pid() {
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt $(($2 * SLOW * 10)) ]; do sleep 0.1; i=$((i + 1)); done
	kill -KILL "$1" 2>/dev/null
	return 0
}
# cmd ID: a command from the cloud.
cmd() {
	cloud_pub "/sys/$PK/SN-X1/thing/service/measurepoint/set" \
	    '{"id":"'"$1"'","version":"1.0","method":"thing.service.measurepoint.set","params":{"t":1}}'
}
# start_edge ARGS...: edge-connect -vv in the background ($EC), subscribed.
start_edge() {
	: > "$T/ec.err"
	edge-connect -vv -d "$G" "$@" > "$T/ec.out" 2> "$T/ec.err" &
	EC=$!
	on_exit "kill $EC"
	wait_for_grep "^edge-connect: subscribed " "$T/ec.err" 20 5 || diag "edge-connect did not subscribe"
}
# gone PID: true once PID ended (within 3 s); orphaned, it may stay a zombie
# until init reaps it: that counts as gone.  One still running is killed
# (by PID: only what this test started), so a failure leaves no stray.
gone() {
	i=0
	while [ $i -lt $((30 * SLOW)) ]; do
		[ -n "$1" ] || return 1
		kill -0 "$1" 2>/dev/null || return 0
		[ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" = Z ] && return 0
		sleep 0.1; i=$((i + 1))
	done
	kill -KILL "$1" 2>/dev/null
	return 1
}
reply() { grep "set_reply " "$T/replies" | cut -d' ' -f2- | jq -r "select(.id == \"$1\") | $2"; }

G=$T/g
edge_with_csr "$G" SN-X1 &&
edge-provision -q -d "$G" $HUBOPTS --product-key "$PK" --serial SN-X1 --mqtt "$HUB_MQTT" >/dev/null &&
edge-activate -q -d "$G" $HUBOPTS >/dev/null || echo "Bail out! cannot make a gateway"
cloud_sub "$T/replies" "/sys/$PK/SN-X1/thing/service/#" -v
REPLIES_PID=$SUB_PID

# ---- descriptors: 0, 1, 2 only --------------------------------------------
# fd 7 stands for a --pin fd:N source (a file key never reads it, but it is open).
echo 1234 > "$T/pin"; chmod 600 "$T/pin"
start_edge -C 1 -W $(slow 20) --pin fd:7 --exec "ls -l /proc/self/fd > '$T/fds'; echo {}" 7< "$T/pin"
cmd 1
wait_pid $EC 20; wait $EC; rc=$?
wait_for_grep '"id":"1"' "$T/replies" 5
assert_eq "fd handler: edge-connect exits 0 after its command" "$rc" 0
# ls -l lists "N -> target"; ls's own handle on /proc/self/fd is the one
# entry that is not inherited, and fd 1 is the marker file the shell opened.
sed -n 's/.* \([0-9][0-9]*\) -> \(.*\)$/\1 \2/p' "$T/fds" > "$T/fds.n"
assert_eq "the handler gets descriptors 0, 1 and 2 only (besides ls's own directory handle)" \
    "$(grep -v ' /proc/[0-9]*/fd$' "$T/fds.n" | cut -d' ' -f1 | tr '\n' ' ')" "0 1 2 "
assert_eq "... fd 1 is where the handler's shell sent it" "$(sed -n 's/^1 //p' "$T/fds.n")" "$T/fds"
assert_not_grep "... no socket (the broker's TLS connection, libmosquitto's socket pair)" "socket:" "$T/fds.n"
assert_not_grep "... not the --pin fd:7 file" "$T/pin" "$T/fds.n"
assert_eq "... and the reply is 200" "$(reply 1 .code)" 200

# ---- environment: no variable a secret option names ------------------------
EXEC_TEST_PIN=1234; export EXEC_TEST_PIN
OTHER_VAR=kept; export OTHER_VAR
start_edge -C 1 -W $(slow 20) --pin env:EXEC_TEST_PIN --exec "env > '$T/env'; echo {}"
cmd 2
wait_pid $EC 20; wait $EC; rc=$?
wait_for_grep '"id":"2"' "$T/replies" 5
assert_eq "env handler: edge-connect exits 0" "$rc" 0
assert_not_grep "the handler's environment lacks the --pin env:VAR variable" "^EXEC_TEST_PIN=" "$T/env"
assert_grep "... while other variables are passed on" "^OTHER_VAR=kept" "$T/env"
unset EXEC_TEST_PIN OTHER_VAR

# ---- --exec-timeout bounds the handler's whole life ------------------------
# The handler ignores SIGTERM (so does its child), closes stdout and sleeps.
start_edge -C 1 -W $(slow 30) --exec-timeout 2 --exec \
    "trap '' TERM; exec >&-; sleep 1000 & echo \$! > '$T/sleeper'; wait"
cmd 3
wait_pid $EC 15; wait $EC; rc=$?
assert_eq "a handler that closes stdout and sleeps does not hold edge-connect (exit 0 after -C 1)" "$rc" 0
wait_for_grep '"id":"3"' "$T/replies" 5
assert_eq "... its reply is code 1102 (handler failed)" "$(reply 3 .code)" 1102
assert_eq "... saying it timed out" "$(reply 3 .message)" "command timed out after 2 s"
S=$(cat "$T/sleeper" 2>/dev/null)
if gone "$S"; then
	ok "... and its child (which ignores SIGTERM) is killed with its process group"
else
	not_ok "... and its child (which ignores SIGTERM) is killed with its process group"
fi
assert_grep "... reported on stderr" "command timed out after 2 s (reply code 1102)" "$T/ec.err"

# The handler's shell dies at SIGTERM, its child ignores it: the SIGKILL
# after the grace still goes to the group (it used to be skipped once the
# shell was reaped, and the child outlived edge-connect).
rm -f "$T/ignterm"
start_edge -W $(slow 60) --exec-timeout 2 --exec \
    "sh -c \"trap '' TERM; echo \\\$\\\$ > '$T/ignterm'; exec sleep 1000\" </dev/null >/dev/null 2>&1 & sleep 1000"
cmd 3a
wait_for_grep 'set_reply .*"id":"3a"' "$T/replies" 15
assert_eq "a handler whose shell ends at SIGTERM: reply 1102, timed out" "$(reply 3a '"\(.code) \(.message)"')" \
    "1102 command timed out after 2 s"
S=$(cat "$T/ignterm" 2>/dev/null)
if gone "$S"; then
	ok "... its child that ignores SIGTERM is killed after the grace, edge-connect still running"
else
	not_ok "... its child that ignores SIGTERM is killed after the grace, edge-connect still running"
fi
if kill -0 $EC 2>/dev/null; then ok "... edge-connect still running then"; else not_ok "... edge-connect still running then"; fi
kill -TERM $EC
wait_pid $EC 10; wait $EC; rc=$?
assert_eq "... edge-connect exits 0 at SIGTERM" "$rc" 0

# ---- a handler's background children end with it --------------------------
# Each handler answers at once and leaves a child behind in its group: it is
# killed when the handler exits, so --exec-max 1 counts all that runs.
: > "$T/left"
start_edge -C 3 -W $(slow 30) --exec-max 1 --exec \
    "sleep 1000 </dev/null >/dev/null 2>&1 & echo \$! >> '$T/left'; echo '{}'"
for n in 1 2 3; do
	cmd "left$n"
	wait_for_grep "set_reply .*\"id\":\"left$n\"" "$T/replies" 10
done
wait_pid $EC 20; wait $EC; rc=$?
assert_eq "--exec-max 1, three handlers that leave a child: exit 0 after -C 3" "$rc" 0
assert_eq "... all three answered 200" "$(reply left1 .code) $(reply left2 .code) $(reply left3 .code)" "200 200 200"
n=0
for S in $(cat "$T/left"); do gone "$S" && n=$((n + 1)); done
assert_eq "... none of the three children they left is running after edge-connect exits" \
    "$n of $(grep -c . "$T/left")" "3 of 3"

# ---- a running handler stops neither telemetry nor keep-alives -------------
# Keep-alive 5 s: the broker drops a client silent for 7.5 s.  The handler
# runs 12 s; telemetry flows for its first seconds only, then nothing.
cloud_sub "$T/up" "/sys/$PK/SN-X1/thing/measurepoint/post"
UP_PID=$SUB_PID
mkfifo "$T/tele"
exec 8<> "$T/tele"	# edge-connect's input stays open until closed below
start_edge --json --keepalive 5 --input "$T/tele" --exit-on-eof -W $(slow 60) \
    --exec "sleep 12; touch '$T/slow-done'; echo '{\"slow\":true}'" 8>&-
cmd 4
sleep 1
for n in 1 2 3; do echo "{\"n\":$n}" >&8; sleep 0.5; done
wait_for_grep . "$T/up" 5 3
if [ ! -e "$T/slow-done" ] && [ "$(grep -c . "$T/up")" -eq 3 ]; then
	ok "telemetry sent while a handler runs reaches the cloud before the handler ends"
else
	not_ok "telemetry sent while a handler runs reaches the cloud before the handler ends"
	diag "handler done: $([ -e "$T/slow-done" ] && echo yes || echo no), cloud got $(grep -c . "$T/up")"
fi
wait_for_grep '"id":"4"' "$T/replies" 20
exec 8>&-
wait_pid $EC 20; wait $EC; rc=$?
stop_pid "$UP_PID"
assert_eq "... edge-connect exits 0 at the end of its input" "$rc" 0
[ "$rc" -eq 0 ] || sed 's/^/#   /' "$T/ec.err"
assert_eq "... the handler's reply reaches the cloud with its data" "$(reply 4 '"\(.code) \(.data.slow)"')" "200 true"
tail -n 1 "$T/ec.out" > "$T/summary"	# after the command's JSON line
assert_json "... the session stayed up past the keep-alive (one connection)" "$T/summary" .connections 1
assert_json "... all telemetry acknowledged" "$T/summary" .acknowledged 3

# ---- more than --exec-max at once -----------------------------------------
start_edge -C 3 -W $(slow 30) --exec-max 2 --exec "sleep 3; echo {}"
cmd 5; cmd 6; cmd 7
wait_pid $EC 20; wait $EC; rc=$?
wait_for_grep '"id":"[567]"' "$T/replies" 5 3
assert_eq "--exec-max 2 with three slow commands: exit 0 after all are answered" "$rc" 0
assert_eq "... two run and answer 200, the third is answered 1102 at once" \
    "$(reply 5 .code) $(reply 6 .code) $(reply 7 .code)" "200 200 1102"
assert_eq "... saying why" "$(reply 7 .message)" "busy: 2 commands already running"

# ---- SIGTERM with a handler running ----------------------------------------
rm -f "$T/sleeper"
start_edge --drain-timeout 1 --exec "sleep 1000 & echo \$! > '$T/sleeper'; wait"
cmd 8
wait_for_grep . "$T/sleeper" 10
kill -TERM $EC
wait_pid $EC 10; wait $EC; rc=$?
assert_eq "SIGTERM with a handler running: edge-connect exits 0 after --drain-timeout" "$rc" 0
S=$(cat "$T/sleeper" 2>/dev/null)
if gone "$S"; then
	ok "... and the handler's process group is killed"
else
	not_ok "... and the handler's process group is killed"
fi
assert_grep "... saying so" "killing 1 running --exec handlers" "$T/ec.err"

# ---- --exit-on-eof that never reached the hub ------------------------------
stop_pid "$REPLIES_PID"
DEAD=$(free_port)
assert_fails 4 "--exit-on-eof with the broker refusing connections exits 4 at --timeout" \
    timeout $(slow 20) edge-connect -q -d "$G" --mqtt "mqtts://127.0.0.1:$DEAD" --exit-on-eof --timeout 3 < /dev/null
assert_grep "... saying it never had a session" "timed out after 3 s without a session with the hub" "$T/err"
assert_eq "... on one error line (warnings aside)" "$(grep -v '^edge-connect: warning: ' "$T/err" | wc -l)" 1

done_testing
