#!/bin/sh
# SPDX-License-Identifier: MIT
# Replays every fuzz target's corpus (seeds and past crashes) through the
# parsers: each input must be handled without a crash (make ASAN=1 check
# runs this under AddressSanitizer and UBSan).
. "$(dirname "$0")/../lib.sh"
setup

for src in "$TOP"/tests/fuzz/fuzz_*.c; do
	n=$(basename "$src" .c); n=${n#fuzz_}
	[ "$n" = util ] && continue
	bin=$B/fuzz/replay_$n
	if [ ! -x "$bin" ]; then
		not_ok "replay_$n built"
		continue
	fi
	count=$(ls "$TOP/tests/fuzz/corpus/$n" 2>/dev/null | wc -l)
	[ "$count" -gt 0 ] && ok "corpus for $n has $count input(s)" || not_ok "corpus for $n has inputs"
	assert_ok "every $n input handled" "$bin" "$TOP/tests/fuzz/corpus/$n"
	assert_grep "all $count $n inputs replayed" "$count input(s) replayed" "$T/out"
done

done_testing
