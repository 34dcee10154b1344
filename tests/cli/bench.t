#!/bin/sh
# SPDX-License-Identifier: MIT
# The benchmark harness itself (bench/run) in its quick mode: every benchmark
# runs with tiny sizes and must produce both figures and their ratio (the hub
# Apply benchmark is report-only: its own figure), so that `make bench` cannot
# rot.  No time is asserted.
. "${0%/*}/../lib.sh"
setup
for t in jq openssl certtool curl mosquitto_pub; do
	command -v $t >/dev/null 2>&1 || skip_all "$t not installed"
done
[ -x "$B/tests/hub/enos-hub" ] || skip_all "stand-in hub not built (make hub)"
[ -x "$B/bench/gen-crl" ] || skip_all "bench/gen-crl not built (make $B/bench/gen-crl)"

assert_ok "BENCH_QUICK=1 bench/run finishes" env BENCH_QUICK=1 BENCH_OUT="$T/res" B="$B" \
    timeout 120 "$TOP/bench/run"
cp "$T/out" "$T/stdout"
J=$T/res/latest.json
assert_ok "latest.json is JSON" jq -e . "$J"
assert_ok "latest.md is written" test -s "$T/res/latest.md"
assert_json "machine facts: nproc and CPU model" "$J" '(.machine.nproc > 0) and (.machine.cpu | length > 0) and (.date | length > 0)' true
for k in keygen csr throughput latency fleet crl-install crl-install-openssl crl-check; do
	assert_json "$k: both figures and a ratio" "$J" \
	    "[.benchmarks[] | select(.key == \"$k\" and (.skipped | not)) |
	      select((.ours | type) == \"number\" and (.peer | type) == \"number\" and (.ratio | type) == \"number\"
	             and .ours > 0 and .peer > 0 and (.ours_peak_rss_kb | type) == \"number\")] | length" 1
	[ "$k" = fleet ] ||
	assert_json "$k: no failed run" "$J" "[.benchmarks[] | select(.key == \"$k\") | .failures] | add" 0
done
assert_json "apply: report-only figure" "$J" \
    '[.benchmarks[] | select(.key == "apply" and .report_only and (.ours | type) == "number" and .ours > 0)] | length' 1
assert_json "apply: no failed run" "$J" '[.benchmarks[] | select(.key == "apply") | .failures] | add' 0
# Enrolment failures are counted, not asserted: parallel edge-provision runs
# can hit the token service's replay check (bench/results/latest.md).
assert_json "fleet: failures counted, distinct keys, certificates verify" "$J" \
    '[.benchmarks[] | select(.key == "fleet") | ((.failures | all(type == "number")) and ((.duplicate_keys + .bad_certificates) | add) == 0)] == [true]' true
assert_grep "the table has the ratio column" "ratio ours/peer" "$T/res/latest.md"
assert_eq "one table row per benchmark" "$(grep -c '^| [a-zA-Z]' "$T/res/latest.md")" 10
assert_json "throughput: both sides counted every acknowledgement" "$J" \
    '[.benchmarks[] | select(.key == "throughput") | (.ours_acknowledged + .peer_acknowledged)[] == .messages] | all' true
assert_ok "bad BENCH_RUNS is refused" sh -c "! BENCH_RUNS=x BENCH_OUT='$T/res2' '$TOP/bench/run'"
done_testing
