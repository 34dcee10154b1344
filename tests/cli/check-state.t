#!/bin/sh
# SPDX-License-Identifier: MIT
# edge-check's state.dir beyond the state files themselves (red team 8): the
# files inside outbox/ (private: 0600, the directory's owner, as stat(1)
# reports them), a tool's leftover temporary file (.NAME.PID.XXXXXXXX.tmp,
# a tool killed mid-write) and dotfiles no tool makes, each listed.
. "$(dirname "$0")/../lib.sh"
setup

D=$T/edge
mkdir -m 700 "$D"
edge-keygen -q -d "$D" >/dev/null && ok "a state directory with a file key" ||
	not_ok "a state directory with a file key"

check() {
	crc=0
	edge-check -d "$D" --json > "$T/check.json" 2> "$T/check.err" || crc=$?
}
v() { jq -r --arg id "$1" '.checks[] | select(.id == $id) | .verdict' "$T/check.json"; }
field() { jq -r --arg id "$1" ".checks[] | select(.id == \$id) | $2" "$T/check.json"; }

check
assert_eq "a fresh state directory: state.dir ok" "$(v state.dir)" ok

# ---- outbox/ ----
mkdir -m 700 "$D/outbox"
( umask 077; printf '{"seq":1}\n' > "$D/outbox/0000000000000001.seg" )
check
assert_eq "a 0600 outbox segment: state.dir ok" "$(v state.dir)" ok
assert_eq "... the outbox files counted" "$(field state.dir .data.outbox_files)" 1
chmod 0666 "$D/outbox/0000000000000001.seg"
check
assert_eq "a 0666 file inside outbox/: state.dir fails" "$(v state.dir)" fail
assert_eq "... naming it with its mode, as stat says" "$(field state.dir .what)" \
	"outbox/0000000000000001.seg: mode 0$(stat -c %a "$D/outbox/0000000000000001.seg"), a private file must be 0600"
assert_eq "... the fix" "$(field state.dir .fix)" "chmod 0600 $D/outbox/0000000000000001.seg"
chmod 0600 "$D/outbox/0000000000000001.seg"
ln -s /etc/passwd "$D/outbox/0000000000000002.seg"
check
assert_eq "a symbolic link inside outbox/: state.dir fails" "$(v state.dir)" fail
assert_eq "... saying so" "$(field state.dir .what)" "outbox/0000000000000002.seg: a symlink, not a regular file"
rm "$D/outbox/0000000000000002.seg"
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	chown nobody "$D/outbox/0000000000000001.seg"
	check
	assert_eq "an outbox file of another user: state.dir fails" "$(v state.dir)" fail
	assert_eq "... naming the owner stat reports" "$(field state.dir .what)" \
		"outbox/0000000000000001.seg: owned by uid $(stat -c %u "$D/outbox/0000000000000001.seg"), not by the directory's owner (uid $(stat -c %u "$D"))"
	chown "$(id -u)" "$D/outbox/0000000000000001.seg"
else
	skip "an outbox file of another user: state.dir fails" "not root (cannot chown)"
	skip "... naming the owner stat reports" "not root"
fi

# ---- leftovers and dotfiles ----
tmp=.cert.pem.4194000.0badc0de.tmp
( umask 077; printf 'half a certificate\n' > "$D/$tmp" )
check
assert_eq "a leftover temporary file: state.dir warns" "$(v state.dir)" warn
assert_eq "... naming it: a tool was killed mid-write" "$(field state.dir .what)" \
	"$tmp: left over, a tool was killed mid-write"
assert_eq "... listed in data" "$(field state.dir '.data.leftovers | join(",")')" "$tmp"
assert_ok "... edge-check removed nothing" test -f "$D/$tmp"
( umask 077; printf 'x\n' > "$D/outbox/.acked.4194001.0badc0de.tmp" )
check
assert_eq "... one in outbox/ too" "$(field state.dir '.data.leftovers | length')" 2
rm "$D/$tmp" "$D/outbox/.acked.4194001.0badc0de.tmp"
printf 'x\n' > "$D/.backup-of-key"
check
assert_eq "a dotfile no tool makes: state.dir warns" "$(v state.dir)" warn
assert_eq "... naming it" "$(field state.dir .what)" ".backup-of-key: a dotfile the tools do not make"
assert_eq "... listed in data" "$(field state.dir '.data.unknown_dotfiles | join(",")')" ".backup-of-key"
rm "$D/.backup-of-key"
cp -p "$D/key.pem" "$D/.key.pem.rekey"
check
assert_eq "a key rotation under way (.key.pem.rekey, a tool's own dotfile): state.dir ok" "$(v state.dir)" ok
rm "$D/.key.pem.rekey"

done_testing
