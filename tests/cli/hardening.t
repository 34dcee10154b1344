#!/bin/sh
# SPDX-License-Identifier: MIT
# Hardening: secrets stay out of argv, environments, logs and JSON; private
# files are never created wider than 0600; core dumps are off; a tool killed
# at any moment leaves every stored file old or new, never partial.
. "$(dirname "$0")/../lib.sh"
setup
hub_start

APPSECRET=$(sed -n 's/^secret_key = //p' "$HUB_CREDENTIALS")
[ -n "$APPSECRET" ] && ok "the application secret is known to the test" || not_ok "the application secret is known to the test"

# --- a running tool: argv, environment, core limit ----------------------------
echo "devices slow 1" > "$T/hub/faults"
S=$T/gw; mkdir "$S"
edge-provision -d "$S" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial SN-H1 --timeout 20 >/dev/null 2>&1 &
pid=$!
on_exit "kill $pid"
i=0; while [ $i -lt 50 ] && [ ! -r "/proc/$pid/limits" ]; do sleep 0.05; i=$((i + 1)); done
sleep 0.5	# inside the slow call now
tr '\0' ' ' < "/proc/$pid/cmdline" > "$T/cmdline" 2>/dev/null
tr '\0' '\n' < "/proc/$pid/environ" > "$T/environ" 2>/dev/null
cp "/proc/$pid/limits" "$T/limits" 2>/dev/null
wait "$pid"; rc=$?
assert_eq "edge-provision finished after the slow answer" "$rc" 0
assert_grep "we saw its command line" "edge-provision" "$T/cmdline"
assert_not_grep "no application secret in argv" "$APPSECRET" "$T/cmdline"
assert_not_grep "no application secret in its environment" "$APPSECRET" "$T/environ"
assert_grep "core dumps are off while it runs" "^Max core file size *0 *0 " "$T/limits"
: > "$T/hub/faults"

# --- the hub killed and restarted in the middle of a provisioning run ----------
R=$T/restart; mkdir "$R"
echo "devices slow 1" > "$T/hub/faults"
edge-provision -d "$R" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial SN-RESTART --retries 5 --timeout 20 --json > "$T/r.out" 2> "$T/r.err" &
pp=$!
sleep 1
kill -KILL "$(cat "$T/hub/hub.pid")"
"$TOP/tests/hub/stop.sh" "$T/hub" >/dev/null 2>&1
: > "$T/hub/faults"
"$TOP/tests/hub/start.sh" "$T/hub" > "$T/hub2.env" 2>/dev/null && ok "hub restarted on the same directory" || not_ok "hub restarted on the same directory"
wait "$pp"; prc=$?
case $prc in
0)	ok "the run retried and finished (exit 0)"
	[ -s "$R/device.secret" ] && [ -s "$R/device.json" ] && ok "state complete" || not_ok "state complete" ;;
4)	ok "the run failed cleanly (exit 4)"
	[ ! -e "$R/device.json" ] && ok "state untouched" || not_ok "state untouched" ;;
*)	not_ok "the run retried or failed cleanly (exit $prc)"; sed 's/^/# /' "$T/r.err" ;;
esac
assert_eq "no temporary file left" "$(ls -A "$R" | grep -c '\.tmp$')" 0

# --- private files are created 0600, never wider, not even for an instant -----
if command -v strace >/dev/null 2>&1; then
	P=$T/st; mkdir "$P"
	# LeakSanitizer cannot run under ptrace (make check-asan): leaks are
	# checked by the rest of the suite.
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	strace -f -qq -e trace=openat,creat,chmod,fchmod,fchmodat -o "$T/strace" \
		sh -c "edge-keygen -q -d '$P' >/dev/null && edge-provision -q -d '$P' $HUBOPTS --product-key '$HUB_PRODUCT_KEY' --serial SN-H2 >/dev/null && edge-keygen -q -d '$P' --force >/dev/null"
	grep -E 'O_CREAT' "$T/strace" | grep -E 'key\.pem|device\.secret|hub-token|pending-revocations|key\.uri' > "$T/creates"
	[ -s "$T/creates" ] && ok "strace saw the private files being created" || not_ok "strace saw the private files being created"
	assert_not_grep "every private file is created 0600" ', 0[0-7][0-7][1-7])' "$T/creates"
	if grep -E 'chmod' "$T/strace" | grep -Ev ', 0600\)|, 0644\)' | grep -q .; then
		not_ok "no chmod to a mode other than 0600 or 0644"
	else
		ok "no chmod to a mode other than 0600 or 0644"
	fi
	for f in key.pem device.secret hub-token.json; do
		assert_eq "$f is 0600" "$(file_mode "$P/$f")" 600
	done
else
	skip "private files created 0600 (strace)" "strace not installed"
fi

# --- nothing secret in verbose logs or JSON ------------------------------------
V=$T/v; mkdir "$V"
edge-keygen -q -d "$V" >/dev/null
edge-csr -q -d "$V" --ca "$HUB_CA" --locality L --org-unit U --cn SN-H3 >/dev/null
edge-provision -vv -d "$V" $HUBOPTS --product-key "$HUB_PRODUCT_KEY" --serial SN-H3 --json > "$T/v.out" 2> "$T/v.err"
edge-activate -vv -d "$V" $HUBOPTS --json >> "$T/v.out" 2>> "$T/v.err"
DEVSECRET=$(cat "$V/device.secret")
[ -n "$DEVSECRET" ] && ok "provisioned for the log check" || not_ok "provisioned for the log check"
echo '{"temp": 1}' | edge-connect -vv -d "$V" --mqtt "$HUB_MQTT" --exit-on-eof --timeout 20 --json >> "$T/v.out" 2>> "$T/v.err"
assert_grep "edge-connect talked (verbose log present)" "edge-connect" "$T/v.err"
for f in v.out v.err; do
	assert_not_grep "no device secret in $f" "$DEVSECRET" "$T/$f"
	assert_not_grep "no application secret in $f" "$APPSECRET" "$T/$f"
	assert_not_grep "no private key in $f" "PRIVATE KEY" "$T/$f"
done

# --- an --exec command never sees our secrets -------------------------------------
port=${HUB_MQTT##*:}
cat > "$T/handler" <<EOT
#!/bin/sh
env > "$T/child-env"
tr '\\0' ' ' < /proc/\$\$/cmdline > "$T/child-cmdline"
cat > /dev/null
echo '{}'
EOT
chmod 755 "$T/handler"
EDGE_PIN=4711-secret-pin EDGE_SECRET_KEY="$APPSECRET" edge-connect -q -d "$V" --mqtt "$HUB_MQTT" \
	--exec "$T/handler" --count 1 --timeout 20 < /dev/null > /dev/null 2>"$T/exec.err" &
epid=$!
on_exit "kill $epid"
sleep 2
mosquitto_pub -h 127.0.0.1 -p "$port" --cafile "$HUB_CA" --cert "$HUB_CLOUD_CERT" --key "$HUB_CLOUD_KEY" \
	-u "$HUB_CLOUD_USER" -P "$(cat "$HUB_CLOUD_PASSWORD_FILE")" -q 1 \
	-t "/sys/$HUB_PRODUCT_KEY/SN-H3/thing/service/measurepoint/set" \
	-m '{"id":"7","method":"thing.service.measurepoint.set","params":{"x":1}}'
wait "$epid"
[ -s "$T/child-env" ] && ok "the --exec command ran" || not_ok "the --exec command ran"
assert_not_grep "no EDGE_PIN in the command's environment" "EDGE_PIN" "$T/child-env"
assert_not_grep "no EDGE_SECRET_KEY in the command's environment" "EDGE_SECRET_KEY" "$T/child-env"
assert_not_grep "no device secret in the command's environment" "$DEVSECRET" "$T/child-env"
assert_not_grep "no device secret in the command's argv" "$DEVSECRET" "$T/child-cmdline"

# --- SIGKILL at random moments: stored files are old or new, never partial --------
K=$T/kill; mkdir "$K"
edge-keygen -q -d "$K" >/dev/null
bad=0; n=0
while [ $n -lt 25 ]; do
	edge-keygen -q -d "$K" --force >/dev/null 2>&1 &
	kp=$!
	sleep "0.0$(od -An -N1 -tu1 /dev/urandom | tr -d ' ' | cut -c1)"
	kill -KILL "$kp" 2>/dev/null; wait "$kp" 2>/dev/null
	openssl pkey -in "$K/key.pem" -noout 2>/dev/null || bad=$((bad + 1))
	n=$((n + 1))
done
assert_eq "key.pem whole after 25 kills during edge-keygen --force" "$bad" 0
assert_eq "key.pem still 0600" "$(file_mode "$K/key.pem")" 600

if [ -x "$B/bench/gen-crl" ]; then
	C=$T/crlkill; mkdir "$C"; cp "$HUB_CA" "$C/ca.pem"
	"$B/bench/gen-crl" --ca "$HUB_CA" --ca-key "$T/hub/ca-key.pem" --count 300000 --number 100 --out "$T/big.der" 2>/dev/null
	"$B/bench/gen-crl" --ca "$HUB_CA" --ca-key "$T/hub/ca-key.pem" --count 300000 --number 101 --seed 2 --out "$T/big2.der" 2>/dev/null
	edge-crl-update -q -d "$C" --from "$T/big.der" >/dev/null
	bad=0; n=0; new=0
	while [ $n -lt 15 ]; do
		edge-crl-update -q -d "$C" --from "$T/big2.der" >/dev/null 2>&1 &
		kp=$!
		sleep "0.0$(od -An -N1 -tu1 /dev/urandom | tr -d ' ' | cut -c1)"
		kill -KILL "$kp" 2>/dev/null; wait "$kp" 2>/dev/null
		num=$(openssl crl -in "$C/crl.pem" -noout -crlnumber 2>/dev/null | cut -d= -f2)
		case $num in 0x64|64) ;; 0x65|65) new=$((new + 1)) ;; *) bad=$((bad + 1)) ;; esac
		# back to the old one for the next round
		[ "$num" = 64 ] || [ "$num" = 0x64 ] || { rm -f "$C/crl.pem"; edge-crl-update -q -d "$C" --from "$T/big.der" >/dev/null 2>&1; }
		n=$((n + 1))
	done
	assert_eq "crl.pem whole (old or new) after 15 kills during a 300,000-entry install" "$bad" 0
	diag "$new of 15 kills came after the new CRL was in place"
else
	skip "kills during a large CRL install" "bench/gen-crl not built"
fi
# The killed writers' temporary files go at the next run; a live writer's stays.
sleep 60 & live=$!
on_exit "kill $live"
head -c 10 /dev/zero > "$K/.key.pem.$live.0badc0de.tmp"
diag "$(ls -A "$K" | grep -c '\.tmp$') temporary file(s) before the next run"
assert_ok "the next edge-keygen runs" edge-keygen -q -d "$K"
assert_eq "no temporary file of a killed edge-keygen left" "$(ls -A "$K" | grep '\.tmp$' | grep -vc "\.$live\.")" 0
assert_eq "a live writer's temporary file stays" "$(ls -A "$K" | grep -c "^\.key\.pem\.$live\.")" 1

done_testing
