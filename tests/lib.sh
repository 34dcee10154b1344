# SPDX-License-Identifier: MIT
# TAP helpers for tests/cli/*.t (sourced; POSIX sh + bash-isms avoided).
#
#   . "${0%/*}/../lib.sh"
#   setup                       # $T = fresh temp dir, removed at exit
#   assert_ok   "desc" cmd...   # cmd must exit 0
#   assert_fails RC "desc" cmd...   # cmd must exit exactly RC
#   assert_grep "desc" PATTERN FILE
#   assert_json "desc" FILE JQ_FILTER EXPECTED   # jq -r FILTER FILE == EXPECTED
#   ok / not_ok "desc", skip "desc" "reason", skip_all "reason"
#   on_exit "shell command"     # run at exit, last registered first
#   done_testing                # prints the plan and exits non-zero on failure
# Each assert_* stores the command's stdout in $T/out and stderr in $T/err.

TOP=$(cd "$(dirname "$0")/../.." && pwd)
B=${B:-build}
case $B in /*) ;; *) B="$TOP/$B" ;; esac
PATH="$B:$PATH"
export PATH TOP B
# ASan builds: LeakSanitizer skips known third-party leaks (a .t run alone;
# scripts/run-tests sets the same).
case ${LSAN_OPTIONS:-} in *lsan.supp*) ;; *)
	LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$TOP/tests/lsan.supp:print_suppressions=0"
	export LSAN_OPTIONS ;;
esac
# Never let a developer's own environment leak into a test.
for v in $(env | sed -n "s/^\(EDGE_[A-Z0-9_]*\)=.*/\1/p" | grep -v "^EDGE_TEST_"); do unset "$v"; done
# A gateway-wide /etc/edge/edge.conf must not change test results.
EDGE_SYSTEM_CONFIG=
export EDGE_SYSTEM_CONFIG
LC_ALL=C
export LC_ALL
# The stand-in hub checks that every state.json it writes reads back as its
# registry (its per-entry text cache must never go stale).
HUB_STORE_VERIFY=1
export HUB_STORE_VERIFY

_n=0
_failed=0
_exit_cmds=""

ok() { _n=$((_n + 1)); echo "ok $_n - $1"; }
not_ok() {
	_n=$((_n + 1)); _failed=$((_failed + 1))
	echo "not ok $_n - $1"
	if [ -n "${T:-}" ] && [ -f "$T/err" ]; then sed 's/^/#   stderr: /' "$T/err" | head -20; fi
	if [ -n "${T:-}" ] && [ -f "$T/out" ]; then sed 's/^/#   stdout: /' "$T/out" | head -20; fi
}
skip() { _n=$((_n + 1)); echo "ok $_n - $1 # SKIP $2"; }
skip_all() { echo "1..0 # SKIP $1"; exit 0; }
diag() { echo "# $*"; }

on_exit() { _exit_cmds="$1; $_exit_cmds"; }
_cleanup() { eval "$_exit_cmds" >/dev/null 2>&1; [ -n "${T:-}" ] && rm -rf "$T"; }

setup() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/edgetest.XXXXXX")
	export T
	# tpm2-pkcs11, loaded by p11-kit in every PKCS#11 test, would otherwise
	# create its store under $HOME.
	TPM2_PKCS11_STORE=$T/tpm2_pkcs11
	export TPM2_PKCS11_STORE
	# EDGE_TEST_VALGRIND=1: every edge-* tool runs under valgrind memcheck; any
	# memory error or definite leak makes it exit 99, which fails the test.
	if [ -n "${EDGE_TEST_VALGRIND:-}" ]; then
		mkdir "$T/vg"
		for tool in "$B"/edge-*; do
			n=$(basename "$tool")
			printf '#!/bin/sh
exec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --suppressions=%s/tests/valgrind.supp %s "$@"
' \
				"$TOP" "$tool" > "$T/vg/$n"
			chmod 755 "$T/vg/$n"
		done
		PATH="$T/vg:$PATH"
		export PATH
	fi
	trap _cleanup EXIT
	trap 'exit 130' INT TERM
}

# Time travel for the real binaries, through libfaketime (Debian package
# faketime); the tools themselves have no clock override.
#   have_faketime || skip ...          # libfaketime is installed
#   at_time SPEC cmd...                 # cmd's clock per FAKETIME=SPEC:
#       "+2d" / "-3d" / "+90000" (offset; seconds without a unit), or
#       "@2030-01-01 00:00:00" (absolute, then ticking)
# Only wall-clock time moves (CLOCK_MONOTONIC is left alone, so timeouts
# keep working); the children of cmd inherit the fake clock.  A shell
# function, so it works inside assert_ok / assert_fails.
FAKETIME_LIB=
for _f in /usr/lib/*/faketime/libfaketime.so.1 /usr/lib/faketime/libfaketime.so.1; do
	[ -e "$_f" ] && { FAKETIME_LIB=$_f; break; }
done
have_faketime() { [ -n "$FAKETIME_LIB" ]; }
at_time() {
	_spec=$1; shift
	have_faketime || { echo "at_time: libfaketime not installed (Debian package faketime)" >&2; return 127; }
	# ASan builds want their runtime first; libfaketime only wraps time calls.
	LD_PRELOAD="$FAKETIME_LIB${LD_PRELOAD:+:$LD_PRELOAD}" FAKETIME="$_spec" \
	    FAKETIME_DONT_FAKE_MONOTONIC=1 FAKETIME_DONT_RESET=1 \
	    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" "$@"
}

# at_clock FILE cmd...: like at_time, but cmd's clock follows FILE, which
# holds a FAKETIME spec ("+30d", "-2920d") and is read again at every clock
# call: long-running processes (the hub, the broker, a subscriber) move
# with a test that rewrites FILE.  CLOCK_MONOTONIC is left alone unless the
# caller sets FAKETIME_DONT_FAKE_MONOTONIC=0 (Python's multiprocessing, as
# in ansible-playbook, fails with EINVAL when only the wall clock moves).
at_clock() {
	_clock=$1; shift
	have_faketime || { echo "at_clock: libfaketime not installed (Debian package faketime)" >&2; return 127; }
	env -u FAKETIME LD_PRELOAD="$FAKETIME_LIB${LD_PRELOAD:+:$LD_PRELOAD}" \
	    FAKETIME_TIMESTAMP_FILE="$_clock" FAKETIME_NO_CACHE=1 \
	    FAKETIME_DONT_FAKE_MONOTONIC="${FAKETIME_DONT_FAKE_MONOTONIC:-1}" FAKETIME_DONT_RESET=1 \
	    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" "$@"
}

# run cmd..., capturing stdout/stderr; sets $rc
_run() { rc=0; "$@" >"$T/out" 2>"$T/err" || rc=$?; }

assert_ok() {
	d=$1; shift
	_run "$@"
	if [ "$rc" -eq 0 ]; then ok "$d"; else diag "exit status $rc, wanted 0"; not_ok "$d"; fi
}

assert_fails() {
	want=$1; d=$2; shift 2
	_run "$@"
	if [ "$rc" -eq "$want" ]; then ok "$d"; else diag "exit status $rc, wanted $want"; not_ok "$d"; fi
}

assert_grep() {
	if grep -q -e "$2" "$3" 2>/dev/null; then ok "$1"; else diag "no match for '$2' in $3"; not_ok "$1"; fi
}

assert_not_grep() {
	if grep -q -e "$2" "$3" 2>/dev/null; then diag "unexpected match for '$2' in $3"; not_ok "$1"; else ok "$1"; fi
}

assert_json() {
	got=$(jq -r "$3" "$2" 2>/dev/null) || got="<jq failed>"
	if [ "$got" = "$4" ]; then ok "$1"; else diag "$3 is '$got', wanted '$4'"; not_ok "$1"; fi
}

assert_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else diag "got '$2', wanted '$3'"; not_ok "$1"; fi
}

# Error lines must be exactly one line naming the tool.
assert_one_error_line() {
	tool=$1
	if [ "$(wc -l < "$T/err")" -eq 1 ] && grep -q "^$tool: " "$T/err"; then ok "one error line from $tool"
	else not_ok "one error line from $tool"; fi
}

file_mode() { stat -c %a "$1"; }

# A free TCP port on 127.0.0.1 (the kernel picks it; a tiny race remains, callers retry).
free_port() {
	"$B/tests/hub/enos-hub" --free-port 2>/dev/null && return
	perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(Listen=>1,LocalAddr=>"127.0.0.1",LocalPort=>0)->sockport,"\n"'
}

# Under EDGE_TEST_VALGRIND the tools run 10 to 50 times slower: scale the
# time a test gives them (tool timeouts, bounded waits) by $SLOW, 1 otherwise.
if [ -n "${EDGE_TEST_VALGRIND:-}" ]; then SLOW=${EDGE_TEST_SLOW:-10}; else SLOW=1; fi
slow() { echo $(($1 * SLOW)); }

# wait_for_grep PATTERN FILE [SECONDS [COUNT]]: until FILE has COUNT (1) lines
# matching PATTERN, at most SECONDS (10) * $SLOW; says so as a diag if not.
wait_for_grep() {
	i=0; lim=$(( ${3:-10} * SLOW * 10 ))
	while [ $i -lt $lim ]; do
		[ "$(grep -c -e "$1" "$2" 2>/dev/null)" -ge "${4:-1}" ] 2>/dev/null && return 0
		sleep 0.1; i=$((i + 1))
	done
	diag "gave up after $(( ${3:-10} * SLOW )) s waiting for ${4:-1} line(s) matching '$1' in $2"
	return 1
}

# wait_for_port PORT [SECONDS]
wait_for_port() {
	i=0; lim=$(( ${2:-10} * 10 ))
	while [ $i -lt $lim ]; do
		perl -MIO::Socket::INET -e 'exit !IO::Socket::INET->new(PeerAddr=>"127.0.0.1",PeerPort=>$ARGV[0])' "$1" 2>/dev/null && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}

# stop_pid PID: TERM, then KILL after 5 s.
stop_pid() {
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null || return 0
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	kill -KILL "$1" 2>/dev/null || true
}

done_testing() {
	echo "1..$_n"
	[ "$_failed" -eq 0 ]
	exit $?
}

# softhsm_setup LABEL PIN: a private SoftHSM2 store under $T (no system change);
# exports SOFTHSM2_CONF.  Skips the whole test when SoftHSM2 is missing.
softhsm_setup() {
	command -v softhsm2-util >/dev/null 2>&1 || skip_all "softhsm2-util not installed"
	mkdir -p "$T/softhsm/tokens"
	printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
		"$T/softhsm/tokens" > "$T/softhsm/softhsm2.conf"
	SOFTHSM2_CONF="$T/softhsm/softhsm2.conf"
	export SOFTHSM2_CONF
	softhsm2-util --init-token --free --label "$1" --pin "$2" --so-pin 0000 >/dev/null 2>&1 ||
		skip_all "cannot initialise a SoftHSM2 token"
}

# sha256 of a file, for "unchanged" checks
# (a missing file never equals anything, so "unchanged" checks cannot pass vacuously)
digest() {
	if [ -f "$1" ]; then sha256sum < "$1" | cut -d' ' -f1
	else echo "missing:$1:$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"; fi
}

# true when we may mount (root with mount privileges)
can_mount_tmpfs() {
	mkdir -p "$T/.mnt-probe" &&
	mount -t tmpfs -o size=64k tmpfs "$T/.mnt-probe" 2>/dev/null &&
	umount "$T/.mnt-probe"
}

# hub_start: the stand-in hub in $T/hub (stopped at exit by its PIDs); sets
# HUB_* and HUBOPTS (the options every hub-facing tool needs).
hub_start() {
	[ -x "$B/tests/hub/enos-hub" ] || skip_all "stand-in hub not built (make hub)"
	"$TOP/tests/hub/start.sh" "$T/hub" > "$T/hub.env" 2> "$T/hub.err" || {
		cat "$T/hub.err" >&2; echo "Bail out! cannot start the stand-in hub"; exit 1; }
	on_exit "'$TOP/tests/hub/stop.sh' '$T/hub'"
	eval "$(cat "$T/hub.env")"
	HUBOPTS="--api $HUB_API --hub-ca $HUB_CA --credentials $HUB_CREDENTIALS"
}

# cloud_sub FILE TOPIC [ARGS]: the hub's cloud-side client listens in the
# background ($SUB_PID); cloud_pub TOPIC MESSAGE: it publishes (QoS 1).
cloud_sub() {
	f=$1 topic=$2; shift 2
	mosquitto_sub -h 127.0.0.1 -p "${HUB_MQTT##*:}" --cafile "$HUB_CA" --cert "$HUB_CLOUD_CERT" \
	    --key "$HUB_CLOUD_KEY" -u "$HUB_CLOUD_USER" -P "$(cat "$HUB_CLOUD_PASSWORD_FILE")" \
	    -t "$topic" "$@" >"$f" 2>"$f.err" &
	SUB_PID=$!
	on_exit "kill $SUB_PID"
	sleep 1
}
cloud_pub() {
	mosquitto_pub -h 127.0.0.1 -p "${HUB_MQTT##*:}" --cafile "$HUB_CA" --cert "$HUB_CLOUD_CERT" \
	    --key "$HUB_CLOUD_KEY" -u "$HUB_CLOUD_USER" -P "$(cat "$HUB_CLOUD_PASSWORD_FILE")" \
	    -q 1 -t "$1" -m "$2"
}

# An edge state directory with a file key and a CSR whose subject the hub accepts.
edge_with_csr() {
	mkdir -p "$1"
	edge-keygen -q -d "$1" >/dev/null &&
	edge-csr -q -d "$1" --ca "$HUB_CA" --locality Shanghai --org-unit Edge --cn "$2" >/dev/null
}
