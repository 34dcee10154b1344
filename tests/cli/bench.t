#!/bin/sh
# SPDX-License-Identifier: MIT
# The benchmark harness itself (bench/run) in its quick mode: every benchmark
# runs with tiny sizes and must produce both figures and their ratio (the hub
# Apply benchmark is report-only: its own figure; the soak has its own
# counts; the TPM rows are skipped with a reason where swtpm cannot run), so
# that `make bench` cannot rot.  No time and no target is asserted.
. "${0%/*}/../lib.sh"
setup
for t in jq openssl certtool curl mosquitto_pub; do
	command -v $t >/dev/null 2>&1 || skip_all "$t not installed"
done
[ -x "$B/tests/hub/enos-hub" ] || skip_all "stand-in hub not built (make hub)"
[ -x "$B/bench/gen-crl" ] || skip_all "bench/gen-crl not built (make $B/bench/gen-crl)"

assert_ok "BENCH_QUICK=1 bench/run finishes" env BENCH_QUICK=1 BENCH_OUT="$T/res" B="$B" \
    timeout 300 "$TOP/bench/run"
cp "$T/out" "$T/stdout"
J=$T/res/latest.json
assert_ok "latest.json is JSON" jq -e . "$J"
assert_ok "latest.md is written" test -s "$T/res/latest.md"
assert_json "machine facts: nproc and CPU model" "$J" '(.machine.nproc > 0) and (.machine.cpu | length > 0) and (.date | length > 0)' true
for k in keygen csr throughput msg-cpu msg-cpu-noreplies stream-rss latency connect-rss enrol-overhead enrol-script crl-install crl-install-openssl crl-check; do
	assert_json "$k: both figures and a ratio" "$J" \
	    "[.benchmarks[] | select(.key == \"$k\" and (.skipped | not)) |
	      select((.ours | type) == \"number\" and (.peer | type) == \"number\" and (.ratio | type) == \"number\"
	             and .ours > 0 and .peer > 0 and (.ours_peak_rss_kb | type) == \"number\")] | length" 1
	assert_json "$k: no failed run" "$J" "[.benchmarks[] | select(.key == \"$k\") | .failures] | flatten | add" 0
done
assert_json "apply: report-only figure" "$J" \
    '[.benchmarks[] | select(.key == "apply" and .report_only and (.ours | type) == "number" and .ours > 0)] | length' 1
assert_json "apply: no failed run" "$J" '[.benchmarks[] | select(.key == "apply") | .failures] | add' 0
assert_json "enrol-overhead: CPU per tool, hub and bare keygen" "$J" \
    '[.benchmarks[] | select(.key == "enrol-overhead") | .cpu_ms_per_gateway | (.keygen > 0 and .csr > 0 and .provision > 0 and .activate > 0 and (.hub | type) == "number" and .bare_keygen > 0 and .peer_script > 0)] == [true]' true
assert_json "enrol: certificates verify" "$J" '[.benchmarks[] | select(.key == "enrol-overhead") | .bad_certificates[]] | add' 0
# The soak's lost and duplicated counts are results, not asserted; that it
# ran through its restarts, and counted, is.
assert_json "soak: restarts done, deliveries counted, edge-connect exit 0" "$J" \
    '[.benchmarks[] | select(.key == "soak") | (.restarts == 2 and .exit_status == 0 and .stalls == 0 and .delivered > 0 and (.lost | type) == "number" and (.duplicated | type) == "number" and .ours > 0 and .peer > 0)] == [true]' true
for k in tpm-keygen tpm-csr tpm-connect; do
	assert_json "$k: both figures, or skipped with a reason" "$J" \
	    "[.benchmarks[] | select(.key == \"$k\") | if .skipped then (.note | length > 0) else (.ours > 0 and .peer > 0 and .failures == 0) end] == [true]" true
done
assert_grep "the table has the ratio column" "ratio ours/peer" "$T/res/latest.md"
assert_json "every benchmark of the harness is there" "$J" '.benchmarks | length' 18
assert_eq "one table row per benchmark, and the header" "$(grep -c '^| [a-zA-Z]' "$T/res/latest.md")" 19
assert_json "throughput: both sides counted every acknowledgement" "$J" \
    '[.benchmarks[] | select(.key == "throughput") | (.ours_acknowledged + .peer_acknowledged)[] == .messages] | all' true
assert_ok "bad BENCH_RUNS is refused" sh -c "! BENCH_RUNS=x BENCH_OUT='$T/res2' '$TOP/bench/run'"
done_testing
