#!/bin/sh
# SPDX-License-Identifier: MIT
# edge-check's command line, whatever checks it has (each check has its own
# test: check-*.t): --help, --version, --list-options, usage errors (exit 2),
# the --json object and its documented keys, the table (one line per check and
# a summary that agree with --json), the exit status (0 when nothing fails, 9
# when something does, --strict counting warnings), colour only on a terminal
# or with --color always and never with NO_COLOR, nothing written to the
# state directory.  A "healthy" gateway is run in a network namespace of its
# own with a default-drop input policy (when this machine allows it), so that
# the host's own firewall and sockets do not decide the outcome.
. "$(dirname "$0")/../lib.sh"
for t in jq openssl; do command -v $t >/dev/null 2>&1 || skip_all "$t not installed"; done
[ -x "$B/edge-check" ] || skip_all "edge-check not built"
setup
hub_start

G=$T/gw
mkdir -m 700 "$G" "$T/scan"
edge-keygen -q -d "$G" >/dev/null &&
edge-csr -q -d "$G" --ca "$HUB_CA" --locality Shanghai --org-unit Edge --cn CHK-0001 >/dev/null &&
edge-provision -q -d "$G" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial CHK-0001 \
	--portal "$HUB_PORTAL" --mqtt "$HUB_MQTT" >/dev/null &&
edge-activate -q -d "$G" $HUBOPTS >/dev/null &&
edge-crl-update -q -d "$G" --hub-ca "$HUB_CA" >/dev/null &&
	ok "a gateway enrolled against the stand-in hub, with its CRL" ||
	not_ok "a gateway enrolled against the stand-in hub, with its CRL"
# Renewal and reset read the hub and credentials from edge.conf, as a gateway that renews itself.
printf 'api = %s\nportal = %s\nmqtt = %s\nhub_ca = %s\ncredentials = %s\n' \
	"$HUB_API" "$HUB_PORTAL" "$HUB_MQTT" "$HUB_CA" "$HUB_CREDENTIALS" > "$G/edge.conf"

# A network namespace of its own with a default-drop input policy: host.firewall
# and host.listening then judge that, not this machine.
FW=
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
	unshare -n nft -f "$T/fw.nft" 2>/dev/null && FW=yes
fi
# sealed CMD...: CMD in that namespace when there is one, else here.
sealed() {
	if [ -n "$FW" ]; then unshare -n sh -c 'nft -f "$1" && shift && exec "$@"' sh "$T/fw.nft" "$@"
	else "$@"; fi
}
[ -n "$FW" ] || diag "no network namespace with nft here: the host's own firewall and sockets are judged"

# check NAME ARGS...: run edge-check, stdout in $T/NAME.out, stderr $T/NAME.err, exit status $T/NAME.rc.
check() {
	name=$1; shift
	rc=0
	sealed edge-check "$@" > "$T/$name.out" 2> "$T/$name.err" || rc=$?
	echo "$rc" > "$T/$name.rc"
}
rcof() { cat "$T/$1.rc"; }
# the status the counts of $T/NAME.out (--json) call for: 9 when a check failed (or, STRICT, warned)
want_rc() {
	jq -r --arg strict "${2:-}" 'if .fail > 0 or ($strict != "" and .warn > 0) then 9 else 0 end' "$T/$1.out"
}
# not ok checks of $T/NAME.out, "id=verdict" separated by blanks
bad_ids() { jq -r '[.checks[] | select(.verdict == "fail" or .verdict == "warn") | "\(.id)=\(.verdict)"] | join(" ")' "$T/$1.out"; }
verdict_of() { jq -r --arg id "$2" '[.checks[] | select(.id == $id) | .verdict] | first // "absent"' "$T/$1.out"; }
what_of() { jq -r --arg id "$2" '[.checks[] | select(.id == $id) | .what] | first // ""' "$T/$1.out"; }

snapshot() { find "$G" -exec stat -c '%n %a %u %s %Y' {} + | sort | sha256sum; }
before=$(snapshot)

# --- --help, --version, --list-options --------------------------------------------------
assert_ok "--help exits 0" edge-check --help
assert_grep "--help: the usage line" "^usage: edge-check " "$T/out"
assert_grep "--help: exit status 9 is named" "^9 a check failed (with --strict: or warned)\.$" "$T/out"
assert_grep "--help: points at edge-check(1)" "See edge-check(1)" "$T/out"
assert_ok "another tool's --help" edge-keygen --help
assert_not_grep "... does not name exit status 9" "9 a check failed" "$T/out"
assert_ok "--version exits 0" edge-check --version
assert_grep "--version names the tool and edgecert" "^edge-check .*edgecert" "$T/out"
assert_ok "--list-options exits 0" edge-check --list-options
for o in --online --strict --renew-within --crl-grace --pin --scan --color --json --dir; do
	assert_grep "--list-options lists $o" "^$o	" "$T/out"
done

# --- usage errors: exit 2, one reason line and the usage line, nothing on stdout --------
usage_err() {	# DESC ARGS...
	d=$1; shift
	assert_fails 2 "$d: exit 2" edge-check -d "$G" "$@"
	if [ "$(wc -l < "$T/err")" -eq 2 ] && sed -n 1p "$T/err" | grep -q '^edge-check: ' &&
	    sed -n 2p "$T/err" | grep -q '^usage: edge-check ' && [ ! -s "$T/out" ]; then
		ok "$d: one error line, then the usage line"
	else not_ok "$d: one error line, then the usage line"; fi
}
usage_err "an unknown option" --no-such-option
usage_err "an argument" extra
usage_err "--renew-within 3651" --renew-within 3651
usage_err "--renew-within -1" --renew-within -1
usage_err "--crl-grace 1h" --crl-grace 1h
usage_err "--color sometimes" --color sometimes
usage_err "--color without a value" --color
assert_fails 2 "--json with a usage error: exit 2" edge-check -d "$G" --json --color sometimes
assert_json "... {\"error\"} with code 2" "$T/out" .error.code 2
assert_fails 2 "EDGE_RENEW_WITHIN=x: exit 2" env EDGE_RENEW_WITHIN=x edge-check -d "$G"
assert_fails 7 "a state directory that does not exist: exit 7" edge-check -d "$T/nowhere"
assert_grep "... naming it" "nowhere" "$T/err"

# --- --json: one object with the documented keys ------------------------------------
check j --json -d "$G" --scan "$T/scan"
case $(rcof j) in 0|9) ok "--json: exit 0 or 9 ($(rcof j))" ;; *) sed 's/^/# /' "$T/j.err"; not_ok "--json: exit 0 or 9 (got $(rcof j))" ;; esac
assert_eq "--json: one line on stdout" "$(wc -l < "$T/j.out")" 1
if jq -e 'type == "object"' "$T/j.out" >/dev/null 2>&1; then ok "--json: a JSON object"
else not_ok "--json: a JSON object"; fi
n=$(jq '.checks | length' "$T/j.out")
[ "$n" -gt 0 ] 2>/dev/null && ok "--json: checks is a non-empty array ($n checks)" || not_ok "--json: checks is a non-empty array"
assert_eq "--json: every check has a dotted id, a verdict, a one-line what; fix and data only typed" \
	"$(jq '[.checks[] | select((.id | test("^[a-z]+\\.[a-z.]+$") | not)
		or (.verdict | IN("ok","warn","fail","skip") | not)
		or (.what | type != "string" or length == 0 or test("\n"))
		or (has("fix") and (.fix | type != "string" or length == 0))
		or (has("data") and (.data | type != "object"))
		or (keys - ["id","verdict","what","fix","data"] | length > 0))] | length' "$T/j.out")" 0
assert_eq "--json: an ok check carries no fix" "$(jq '[.checks[] | select(.verdict == "ok" and has("fix"))] | length' "$T/j.out")" 0
assert_eq "--json: ok, warn, fail and skipped count the checks" \
	"$(jq '[.ok, .warn, .fail, .skipped] | map(type == "number") | all' "$T/j.out") $(jq '.ok + .warn + .fail + .skipped' "$T/j.out")" "true $n"
assert_eq "--json: ... each verdict's" \
	"$(jq -c '[.ok, .warn, .fail, .skipped]' "$T/j.out")" \
	"$(jq -c '[.checks | map(.verdict) | (map(select(. == "ok")) | length), (map(select(. == "warn")) | length), (map(select(. == "fail")) | length), (map(select(. == "skip")) | length)]' "$T/j.out")"
assert_eq "--json: verdict: fail, else warn, else ok; skip only when all skipped" "$(jq -r .verdict "$T/j.out")" \
	"$(jq -r '.checks | map(.verdict) | if index("fail") then "fail" elif index("warn") then "warn" elif index("ok") then "ok" elif index("skip") then "skip" else "ok" end' "$T/j.out")"
assert_eq "--json: the keys in the documented order" \
	"$(jq -c '[keys_unsorted[] | select(IN("device_key","serial","cert_sn","cert_sha256","key_id","checks","ok","warn","fail","skipped","verdict","error"))]' "$T/j.out" |
		sed 's/"device_key",//; s/"serial",//; s/"cert_sn",//; s/"cert_sha256",//; s/"key_id",//; s/,"error"//')" \
	'["checks","ok","warn","fail","skipped","verdict"]'
assert_eq "--json: no key beyond the documented ones" \
	"$(jq -c 'keys_unsorted - ["device_key","serial","cert_sn","cert_sha256","key_id","checks","ok","warn","fail","skipped","verdict","error"]' "$T/j.out")" '[]'
assert_eq "--json: the exit status follows the counts (9 when a check fails)" "$(rcof j)" "$(want_rc j)"
if [ "$(rcof j)" = 9 ]; then
	assert_json "--json, exit 9: the object also carries error.code 9" "$T/j.out" .error.code 9
else
	assert_json "--json, exit 0: no error key" "$T/j.out" 'has("error")' false
fi
# The identity a fleet view compares, each against openssl or device.json.
if jq -e 'has("cert_sha256") and has("key_id") and has("cert_sn")' "$T/j.out" >/dev/null; then
	norm() { tr -d ':' | tr 'A-F' 'a-f' | sed 's/^sha256//'; }
	assert_eq "--json: device_key and serial are device.json's" "$(jq -r '"\(.device_key) \(.serial)"' "$T/j.out")" \
		"$(jq -r '"\(.deviceKey // .device_key) \(.serial)"' "$G/device.json")"
	sn_hex=$(openssl x509 -in "$G/cert.pem" -noout -serial | sed 's/serial=//')
	assert_eq "--json: cert_sn is cert.pem's serial in decimal (openssl)" "$(jq -r .cert_sn "$T/j.out")" \
		"$(python3 -c "print(int('$sn_hex', 16))")"
	assert_eq "--json: cert_sha256 is cert.pem's fingerprint (openssl)" "$(jq -r .cert_sha256 "$T/j.out" | norm)" \
		"$(openssl x509 -in "$G/cert.pem" -noout -fingerprint -sha256 | sed 's/.*=//' | norm)"
	assert_eq "--json: key_id is sha256: of the public key (openssl)" "$(jq -r .key_id "$T/j.out")" \
		"sha256:$(openssl pkey -in "$G/key.pem" -pubout -outform DER | sha256sum | cut -c1-64)"
else
	skip "--json: the identity keys (device_key ... key_id)" "edge_check_identity adds none yet"
fi

# --- the table: one line per check, in the order of --json, and the summary ----------
check t -d "$G" --scan "$T/scan"
assert_eq "table: the same exit status as --json" "$(rcof t)" "$(rcof j)"
grep -v '^      ' "$T/t.out" | sed '$d' | awk '{ print $2 }' > "$T/t.ids"
jq -r '.checks[].id' "$T/j.out" > "$T/j.ids"
if cmp -s "$T/t.ids" "$T/j.ids"; then ok "table: one line per check, in the order of --json"
else diff "$T/j.ids" "$T/t.ids" | sed 's/^/# /'; not_ok "table: one line per check, in the order of --json"; fi
assert_eq "table: each line starts with the check's verdict" \
	"$(grep -v '^      ' "$T/t.out" | sed '$d' | awk '{ print $1 }' | tr '\n' ' ')" "$(jq -r '.checks[].verdict' "$T/j.out" | tr '\n' ' ')"
assert_eq "table: the last line is the summary, as --json counts" "$(tail -n 1 "$T/t.out")" \
	"$(jq -r '"\(.ok) ok, \(.warn) warn, \(.fail) fail, \(.skipped) skipped"' "$T/j.out")"
assert_eq "table: a fix line ('-> ...') under each check that is not ok and has a fix, nowhere else" \
	"$(grep -c '^      .* -> ' "$T/t.out")" "$(jq '[.checks[] | select(.verdict != "ok" and has("fix"))] | length' "$T/j.out")"
[ -s "$T/t.err" ] && [ "$(rcof t)" = 0 ] && { sed 's/^/# /' "$T/t.err"; not_ok "table, exit 0: nothing on stderr"; } ||
	ok "table, exit 0: nothing on stderr (or exit 9)"
if [ "$(rcof t)" = 9 ]; then
	assert_eq "table, exit 9: one error line counting the failed checks" "$(cat "$T/t.err")" \
		"edge-check: $G: $(jq .fail "$T/j.out") check(s) failed"
fi
check q -q -d "$G" --scan "$T/scan"
assert_eq "-q: no table, the exit status tells" "$(wc -c < "$T/q.out") $(rcof q)" "0 $(rcof j)"

# --- exit 0 when nothing fails ------------------------------------------------------
if [ "$(jq .fail "$T/j.out")" = 0 ]; then
	assert_eq "nothing fails: exit 0" "$(rcof t)" 0
else
	skip "nothing fails: exit 0" "checks fail on this machine for the enrolled gateway: $(bad_ids j)"
fi

# --- exit 9 when something fails: key.pem readable by others (key.storage) ----------
# (not beside $G: a sibling state directory with the same key fails key.purpose)
mkdir -m 700 "$T/elsewhere"
F=$T/elsewhere/gw-0644
cp -a "$G" "$F"
chmod 644 "$F/key.pem"
check f --json -d "$F" --scan "$T/scan"
ks=$(verdict_of f key.storage)
if [ "$ks" = fail ]; then
	ok "key.pem 0644: key.storage fails ($(what_of f key.storage))"
elif [ "$ks" = skip ] && [ "$(what_of f key.storage)" = "not written yet" ]; then
	skip "key.pem 0644: key.storage fails" "key.storage not written yet"
else
	not_ok "key.pem 0644: key.storage fails (got $ks: $(what_of f key.storage))"
fi
# And one that fails today whatever else is written: --online with the API and
# the broker on a closed port (tls.api cannot connect).
dead=$(free_port)
check o --json -d "$G" --scan "$T/scan" --online --api "https://127.0.0.1:$dead" --mqtt "mqtts://127.0.0.1:$dead"
assert_eq "--online, the hub's port closed: tls.api fails" "$(verdict_of o tls.api)" fail
for r in f o; do
	[ "$(jq .fail "$T/$r.out")" -gt 0 ] || { skip "a check fails ($r): exit 9" "no check fails"; continue; }
	what=$(jq -r '[.checks[] | select(.verdict == "fail") | .id] | join(", ")' "$T/$r.out")
	assert_eq "a check fails ($what): exit 9" "$(rcof $r)" 9
	assert_json "... the --json object says so: error.code 9" "$T/$r.out" .error.code 9
	assert_json "... and verdict fail" "$T/$r.out" .verdict fail
	if [ $r = f ]; then dir=$F; else dir=$G; fi
	assert_eq "... one error line on stderr" "$(cat "$T/$r.err")" "edge-check: $dir: $(jq .fail "$T/$r.out") check(s) failed"
done
check f2 -d "$G" --scan "$T/scan" --online --api "https://127.0.0.1:$dead" --mqtt "mqtts://127.0.0.1:$dead"
assert_eq "a check fails: the table run exits 9 too" "$(rcof f2)" 9
assert_grep "... the table's line for the failing check" "^fail  tls.api  " "$T/f2.out"
assert_grep "... with its fix below" "^ *-> " "$T/f2.out"

# --- --strict: a warning is a failure -------------------------------------------------
# Two ways to a warning: --renew-within 3650 puts the certificate in the
# renewal window (cert.expiry); the clock 120 s ahead of the
# hub's with --online (clock.hub: ok within 60 s, warn within 300 s).  The first
# that warns without a failure is used.
check w1 --json -d "$G" --scan "$T/scan" --renew-within 3650
check w1s --json -d "$G" --scan "$T/scan" --renew-within 3650 --strict
assert_eq "--renew-within 3650: the exit status follows the counts" "$(rcof w1)" "$(want_rc w1)"
assert_eq "--renew-within 3650 --strict: the exit status follows the counts, warnings included" "$(rcof w1s)" "$(want_rc w1s strict)"
# (not sealed: it talks to the stand-in hub)
here() {
	name=$1; shift
	rc=0
	"$@" > "$T/$name.out" 2> "$T/$name.err" || rc=$?
	echo "$rc" > "$T/$name.rc"
}
if have_faketime; then
	here w2 at_time +120 edge-check --json -d "$G" --scan "$T/scan" --online --hub-ca "$HUB_CA"
	here w2s at_time +120 edge-check --json -d "$G" --scan "$T/scan" --online --hub-ca "$HUB_CA" --strict
	assert_eq "the clock 120 s ahead, --online: clock.hub warns" "$(verdict_of w2 clock.hub)" warn
	assert_eq "... the exit status follows the counts" "$(rcof w2)" "$(want_rc w2)"
	assert_eq "... --strict: the exit status follows the counts, warnings included" "$(rcof w2s)" "$(want_rc w2s strict)"
fi
w=
for r in w1 w2; do
	[ -f "$T/$r.out" ] && [ "$(jq .fail "$T/$r.out")" = 0 ] && [ "$(jq .warn "$T/$r.out")" -gt 0 ] && { w=$r; break; }
done
if [ -n "$w" ]; then
	assert_eq "a check warns ($(bad_ids $w)), none fails: exit 0" "$(rcof $w)" 0
	assert_json "... verdict warn" "$T/$w.out" .verdict warn
	assert_eq "... with --strict: exit 9" "$(rcof ${w}s)" 9
	assert_json "... --strict: error.code 9" "$T/${w}s.out" .error.code 9
	assert_grep "... --strict: the error line says warnings count" \
		"^edge-check: .*: 0 check(s) failed, warnings count as failures (--strict)$" "$T/${w}s.err"
else
	skip "--strict turns a warning into exit 9" "no run warns without a failure here: $(bad_ids w1); $( [ -f "$T/w2.out" ] && bad_ids w2)"
fi
check s0 --json -d "$G" --scan "$T/scan" --strict
assert_eq "--strict without a warning or failure: as the counts say" "$(rcof s0)" "$(want_rc s0 strict)"

# --- colour: a terminal, --color always, never; NO_COLOR ---------------------------------
esc=$(printf '\033')
colored() { grep -q "$esc\[" "$1"; }
check c1 -d "$G" --scan "$T/scan"
colored "$T/c1.out" && not_ok "into a pipe: no colour" || ok "into a pipe: no colour"
check c2 -d "$G" --scan "$T/scan" --color always
colored "$T/c2.out" && ok "--color always: coloured into a pipe" || not_ok "--color always: coloured into a pipe"
# host.listening reads this machine's sockets, which other tests running at
# the same time open and close between the two runs: its line is left out.
assert_eq "--color always: the same table without the colour codes" \
	"$(sed "s/$esc\[[0-9;]*m//g" "$T/c2.out" | grep -v 'host\.listening' | sha256sum)" \
	"$(grep -v 'host\.listening' "$T/c1.out" | sha256sum)"
check c3 -d "$G" --scan "$T/scan" --color always --json
colored "$T/c3.out" && not_ok "--color always --json: no colour in the JSON" || ok "--color always --json: no colour in the JSON"
if command -v script >/dev/null 2>&1 && script -qec true /dev/null >/dev/null 2>&1; then
	# script(1) gives the command a pseudo-terminal as standard output.
	pty() { (cd "$T" && env "$@" script -qec "edge-check -d '$G' --scan '$T/scan'" /dev/null) < /dev/null; }
	pty TERM=dumb > "$T/p1.out" 2>&1
	colored "$T/p1.out" && ok "on a terminal: coloured" || not_ok "on a terminal: coloured"
	pty TERM=dumb NO_COLOR=1 > "$T/p2.out" 2>&1
	colored "$T/p2.out" && not_ok "on a terminal with NO_COLOR: no colour" || ok "on a terminal with NO_COLOR: no colour"
	(cd "$T" && env TERM=dumb script -qec "edge-check -d '$G' --scan '$T/scan' --color never" /dev/null) < /dev/null > "$T/p3.out" 2>&1
	colored "$T/p3.out" && not_ok "on a terminal with --color never: no colour" || ok "on a terminal with --color never: no colour"
	(cd "$T" && env TERM=dumb NO_COLOR=1 script -qec "edge-check -d '$G' --scan '$T/scan' --color always" /dev/null) < /dev/null > "$T/p4.out" 2>&1
	colored "$T/p4.out" && ok "--color always beats NO_COLOR" || not_ok "--color always beats NO_COLOR"
else
	skip "on a terminal: coloured" "script(1) cannot make a pseudo-terminal here"
fi
# --color is command-line only: a config file's "color = always" is ignored.
cp "$G/edge.conf" "$T/color.conf"; echo "color = always" >> "$T/color.conf"
check c4 -d "$G" --scan "$T/scan" -c "$T/color.conf"
colored "$T/c4.out" && not_ok "color = always in a config file: ignored (command line only)" ||
	ok "color = always in a config file: ignored (command line only)"

# --- read only -----------------------------------------------------------------------
assert_eq "nothing in the state directory changed (names, modes, owners, sizes, mtimes)" "$(snapshot)" "$before"

done_testing
