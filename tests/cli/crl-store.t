#!/bin/sh
# SPDX-License-Identifier: MIT
# The stored CRLs (DIR/crl.pem, one per root) under the conditions the red
# team found (issue 15): two edge-crl-update runs at once, a stored CRL that
# a current root no longer verifies, two CRLs of one root in a hand-made
# crl.pem, several CRLs in one input.  Real parts: two roots of one name
# (tests/crl/pki.sh, openssl), CRLs from tests/crl/crlgen, flock(1) and
# openssl verify -crl_check as the independent judge.
. "$(dirname "$0")/../lib.sh"
setup
[ -x "$B/tests/crlgen" ] || skip_all "build/tests/crlgen not built (make check builds it)"
command -v flock >/dev/null 2>&1 || skip_all "flock(1) not installed (util-linux)"
. "$TOP/tests/crl/pki.sh"

# fresh NAME: a state directory trusting A and B.
fresh() { rm -rf "$T/$1"; mkdir "$T/$1"; cp "$T/ca.pem" "$T/$1/"; S=$T/$1; }
numbers() { grep -o 'number=[0-9]*' "$1" | tr '\n' ' '; }
check() {	# CERT: "revoked" (exit 8), "not revoked" (0), or the exit status
	_r=0; edge-crl-update -d "$S" --check "$PKI/$1.pem" >/dev/null 2>&1 || _r=$?
	case $_r in 0) echo "not revoked" ;; 8) echo revoked ;; *) echo "exit $_r" ;; esac
}
gen_crl A a1 --number 1
gen_crl B b1 --number 1
gen_crl A a50 --number 50 --entry 00ff
gen_crl B b50 --number 50

# ---- 1. one update at a time ------------------------------------------------
fresh lock
edge-crl-update -q -d "$S" --from "$T/crl/a1.pem" >/dev/null && edge-crl-update -q -d "$S" --from "$T/crl/b1.pem" >/dev/null ||
	echo "Bail out! cannot install the first CRLs"
keep=$(digest "$S/crl.pem")
# A script (or another tool) holds the state directory's lock.
( exec 9<"$S"; flock 9; : > "$T/held"; while [ ! -e "$T/release" ]; do sleep 0.1; done ) &
holder=$!
on_exit "touch '$T/release'; kill $holder"
wait_file() { i=0; while [ ! -e "$1" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done; }
wait_file "$T/held"
edge-crl-update -d "$S" --from "$T/crl/a50.pem" > "$T/lock.out" 2> "$T/lock.err" &
upd=$!
sleep 1
assert_eq "while the directory is locked, edge-crl-update writes nothing" "$(digest "$S/crl.pem")" "$keep"
kill -0 $upd 2>/dev/null && ok "... it waits" || not_ok "... it waits"
assert_grep "... and says so" "waiting for another edge tool to finish with $S" "$T/lock.err"
touch "$T/release"
wait $holder
rc=0; wait $upd || rc=$?
assert_eq "once the lock is released it installs (exit 0)" "$rc" 0
assert_eq "... A's new CRL" "$(numbers "$S/crl.pem")" "number=1 number=50 "

# Two runs at once, each for another root: both updates are kept.
lost=0
for i in 1 2 3; do
	fresh race
	edge-crl-update -q -d "$S" --from "$T/crl/a1.pem" >/dev/null; edge-crl-update -q -d "$S" --from "$T/crl/b1.pem" >/dev/null
	edge-crl-update -q -d "$S" --from "$T/crl/a50.pem" >/dev/null & p1=$!
	edge-crl-update -q -d "$S" --from "$T/crl/b50.pem" >/dev/null & p2=$!
	wait $p1 || lost=$((lost + 1)); wait $p2 || lost=$((lost + 1))
	[ "$(numbers "$S/crl.pem")" = "number=50 number=50 " ] || { diag "run $i: $(numbers "$S/crl.pem")"; lost=$((lost + 1)); }
done
assert_eq "two concurrent updates of two roots: both kept, three times" "$lost" 0
assert_eq "... A255 is revoked" "$(check A255)" revoked

# ---- 2. a stored CRL that no current root verifies is dropped on its own ----
# A's CRL has no authorityKeyIdentifier; B has A's name.  When A leaves
# ca.pem, B is tried for A's CRL and does not verify it: that CRL alone is
# dropped, B's CRL keeps its rollback state.
gen_crl A a1-noakid --number 1 --no-akid
gen_crl B b3 --number 3 --entry 00ff
gen_crl B b4 --number 4 --entry 00ff
fresh rollback
edge-crl-update -q -d "$S" --from "$T/crl/a1-noakid.pem" >/dev/null && edge-crl-update -q -d "$S" --from "$T/crl/b3.pem" >/dev/null ||
	echo "Bail out! cannot install A's and B's CRLs"
cp "$PKI/B.pem" "$S/ca.pem"
keep=$(digest "$S/crl.pem")
assert_fails 6 "A left ca.pem: B's older CRL is still refused (rollback)" edge-crl-update -d "$S" --from "$T/crl/b1.pem"
assert_grep "... as older than B's installed CRL" "older than the installed CRL of its issuer (number 1 < 3)" "$T/err"
assert_eq "... crl.pem unchanged" "$(digest "$S/crl.pem")" "$keep"
assert_fails 6 "--check answers nothing from a crl.pem holding a CRL no root verifies" edge-crl-update -d "$S" --check "$PKI/B255.pem"
assert_ok "a newer CRL of B installs" edge-crl-update -d "$S" --from "$T/crl/b4.pem"
assert_grep "... dropping A's CRL, with a warning" "does not verify (signature) (dropped)" "$T/err"
assert_eq "... crl.pem holds B's CRL only" "$(numbers "$S/crl.pem")" "number=4 "
assert_eq "... B255 is revoked" "$(check B255)" revoked
openssl verify -crl_check -CAfile "$S/ca.pem" -CRLfile "$S/crl.pem" "$PKI/B255.pem" > "$T/v" 2>&1
assert_grep "openssl agrees: B255 is revoked" "certificate revoked" "$T/v"

# ---- 4. two CRLs of one root in a hand-made crl.pem --------------------------
# Revoked when any CRL of its root lists it (OpenSSL picks one, by thisUpdate
# and then by order: never stricter than this); rollback is judged against
# the newest.
gen_crl A a6 --number 6
gen_crl A a7 --number 7
gen_crl A a8 --number 8 --entry 00ff
gen_crl A a9 --number 9 --entry 00ff
for order in "a8 a6" "a6 a8"; do
	fresh two
	for c in $order; do cat "$T/crl/$c.pem"; done > "$S/crl.pem"
	assert_eq "crl.pem = $order: --check says A255 is revoked" "$(check A255)" revoked
	assert_eq "... A1 is not" "$(check A1)" "not revoked"
	# OpenSSL takes the CRL with the latest thisUpdate, the first on a tie
	# (these were made in one second): a8 first, it says revoked too.
	if [ "$order" = "a8 a6" ]; then
		openssl verify -crl_check -CAfile "$S/ca.pem" -CRLfile "$S/crl.pem" "$PKI/A255.pem" > "$T/v" 2>&1
		assert_grep "openssl agrees: A255 is revoked" "certificate revoked" "$T/v"
	fi
done
keep=$(digest "$S/crl.pem")
assert_fails 6 "A's CRL 7 is older than the stored CRL 8: refused" edge-crl-update -d "$S" --from "$T/crl/a7.pem"
assert_grep "... compared with the newest" "number 7 < 8" "$T/err"
assert_eq "... crl.pem unchanged" "$(digest "$S/crl.pem")" "$keep"
assert_ok "A's CRL 9 installs" edge-crl-update -d "$S" --from "$T/crl/a9.pem"
assert_eq "... and replaces both of A's" "$(numbers "$S/crl.pem")" "number=9 "

# ---- 5. several CRLs in one input: each verified and installed -------------
# During a rotation both roots' CRLs are published together.
gen_crl A a60 --number 60 --entry 00ff
gen_crl B b60 --number 60
cat "$T/crl/b60.pem" "$T/crl/a60.pem" > "$T/both.pem"
fresh several
edge-crl-update -q -d "$S" --from "$T/crl/a1.pem" >/dev/null
assert_ok "B's and A's CRL in one --from file" edge-crl-update -d "$S" --from "$T/both.pem" --json
assert_eq "... both installed" "$(numbers "$S/crl.pem")" "number=60 number=60 "
assert_json "... both reported" "$T/out" '[.crls[].crl_number] | join(",")' "60,60"
assert_json "... changed" "$T/out" .changed true
assert_eq "... A255 is revoked (A's CRL, the second in the file)" "$(check A255)" revoked
openssl verify -crl_check -CAfile "$S/ca.pem" -CRLfile "$S/crl.pem" "$PKI/A255.pem" > "$T/v" 2>&1
assert_grep "openssl agrees" "certificate revoked" "$T/v"
keep=$(digest "$S/crl.pem")
cat "$T/crl/b60.pem" "$T/crl/a50.pem" > "$T/mixed.pem"
assert_fails 6 "one CRL older than the stored one refuses the whole input" edge-crl-update -d "$S" --from "$T/mixed.pem"
assert_grep "... naming it" "number 50 < 60" "$T/err"
assert_eq "... crl.pem unchanged" "$(digest "$S/crl.pem")" "$keep"
cat "$T/crl/a60.pem" "$T/crl/a50.pem" > "$T/twoA.pem"
assert_fails 3 "two CRLs of one root in one input: refused" edge-crl-update -d "$S" --from "$T/twoA.pem"
assert_grep "... with a clear message" "two CRLs of one root (numbers 60 and 50); not installed" "$T/err"
assert_eq "... crl.pem unchanged" "$(digest "$S/crl.pem")" "$keep"

# The same from a portal (openssl s_server -WWW) answering both.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/web.key" -out "$T/web.pem" \
	-subj "/CN=127.0.0.1" -days 2 -addext "subjectAltName=IP:127.0.0.1" \
	-addext "extendedKeyUsage=serverAuth" -config /dev/null 2>/dev/null
mkdir -p "$T/www/enos/CA"
cp "$T/both.pem" "$T/www/enos/CA/crl"
PORT=$(free_port)
(cd "$T/www" && exec openssl s_server -WWW -quiet -accept "127.0.0.1:$PORT" -cert "$T/web.pem" -key "$T/web.key" >/dev/null 2>&1) &
spid=$!
on_exit "kill $spid"
wait_for_port "$PORT" || diag "s_server did not start"
fresh portal
edge-crl-update -q -d "$S" --from "$T/crl/a1.pem" >/dev/null
assert_ok "both CRLs from the portal" edge-crl-update -d "$S" --portal "https://127.0.0.1:$PORT" --hub-ca "$T/web.pem" --retries 0
assert_eq "... both installed" "$(numbers "$S/crl.pem")" "number=60 number=60 "
assert_eq "... A255 is revoked" "$(check A255)" revoked

# ---- usage -----------------------------------------------------------------------
assert_fails 2 "--crl-grace -1: usage error" edge-crl-update -d "$S" --check --crl-grace -1
assert_grep "... saying why" "^edge-crl-update: --crl-grace -1: expected a number of at least 0$" "$T/err"
assert_grep "... then the usage line" "^usage: edge-crl-update" "$T/err"

# ---- 6. a crl.pem that cannot be read now stops the update -----------------
# Replacing it would lose the other roots' CRLs and skip every rollback check.
# Run as nobody, since root reads a file of mode 000.
N=$(mktemp -d "${TMPDIR:-/tmp}/edgecrl.XXXXXX"); on_exit "rm -rf '$N'"
cp "$T/ca.pem" "$N/"
edge-crl-update -q -d "$N" --from "$T/crl/a50.pem" >/dev/null && edge-crl-update -q -d "$N" --from "$T/crl/b1.pem" >/dev/null ||
	echo "Bail out! cannot install the first CRLs"
chown -R 65534:65534 "$N"; chmod 755 "$N"; chmod 000 "$N/crl.pem"
keep=$(digest "$N/crl.pem")
if command -v setpriv >/dev/null 2>&1 && setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
	assert_fails 7 "crl.pem unreadable: the update stops (exit 7), no warning-and-replace" \
	    setpriv --reuid=65534 --regid=65534 --clear-groups edge-crl-update -d "$N" --from - < "$T/crl/b50.pem"
	assert_grep "... naming crl.pem and the cause" "crl.pem.*Permission denied" "$T/err"
	assert_eq "... crl.pem as it was (A's revoking CRL kept)" "$(digest "$N/crl.pem")" "$keep"
else
	skip "crl.pem unreadable: the update stops" "setpriv cannot change user (not root?)"
	skip "... naming crl.pem and the cause" "setpriv cannot change user"
	skip "... crl.pem as it was" "setpriv cannot change user"
fi

# ---- 7. CRLs of roots the edge does not trust: skipped, by key -------------
# During a root rotation the portal serves the CRLs of both roots (one name,
# two keys).  An edge that trusts only B (provisioned after the rotation)
# skips A's CRL (its authorityKeyIdentifier names a key no trusted root has)
# and installs B's; a CRL that claims B (B's name and key id, or B's name
# without a key id) but that B does not verify is still refused.
akid() { openssl x509 -in "$PKI/$1.pem" -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' :' | tr A-F a-f; }
"$B/tests/crlgen" --ca "$PKI/B.pem" --ca-key "$PKI/A.key" --out "$T/crl/forged-b.pem" --number 70 ||
	echo "Bail out! crlgen forged-b"
"$B/tests/crlgen" --ca "$PKI/B.pem" --ca-key "$PKI/A.key" --out "$T/crl/forged-b-noakid.pem" --number 70 --no-akid ||
	echo "Bail out! crlgen forged-b-noakid"
onlyb() { rm -rf "$T/onlyb"; mkdir "$T/onlyb"; cp "$PKI/B.pem" "$T/onlyb/ca.pem"; S=$T/onlyb; }
onlyb
cat "$T/crl/b60.pem" "$T/crl/a60.pem" > "$T/rot.pem"
assert_ok "an edge trusting B alone takes an input with A's and B's CRLs (exit 0)" \
    edge-crl-update -v -d "$S" --from "$T/rot.pem" --json
assert_grep "... noting A's CRL as another root's, by its key id (-v)" \
    "CRL of another root (AKI $(akid A)): skipped" "$T/err"
assert_json "... counted in --json" "$T/out" .skipped 1
assert_json "... B's CRL reported" "$T/out" .crl_number 60
assert_eq "... crl.pem holds B's CRL alone" "$(grep -c 'BEGIN X509 CRL' "$S/crl.pem")" 1
openssl crl -in "$S/crl.pem" -CAfile "$PKI/B.pem" -noout > "$T/v" 2>&1
assert_grep "... which B verifies (openssl)" "verify OK" "$T/v"
assert_eq "... B255 is not revoked (A's CRL lists A's 255, not B's)" "$(check B255)" "not revoked"
cat "$T/crl/a60.pem" "$T/crl/b60.pem" > "$T/rot2.pem"
assert_ok "... in either order" edge-crl-update -q -d "$S" --from "$T/rot2.pem"
keep=$(digest "$S/crl.pem")
cat "$T/crl/a60.pem" "$T/crl/forged-b.pem" > "$T/forged.pem"
assert_fails 6 "a CRL with B's name and key id that B does not verify: refused (exit 6)" \
    edge-crl-update -d "$S" --from "$T/forged.pem"
assert_grep "... as forged, not as another root's" "forged.pem: signature does not verify" "$T/err"
assert_not_grep "... A's CRL beside it is not the reason" "not signed by a trusted root" "$T/err"
assert_eq "... crl.pem unchanged" "$(digest "$S/crl.pem")" "$keep"
cat "$T/crl/a60.pem" "$T/crl/forged-b-noakid.pem" > "$T/forged2.pem"
assert_fails 6 "without a key id, a CRL with B's name that B does not verify: refused" \
    edge-crl-update -d "$S" --from "$T/forged2.pem"
assert_grep "... as forged" "signature does not verify" "$T/err"
assert_eq "... crl.pem unchanged" "$(digest "$S/crl.pem")" "$keep"
gen_crl A a70 --number 70
assert_fails 6 "an input holding only another root's CRL: refused (exit 6)" \
    edge-crl-update -d "$S" --from "$T/crl/a70.pem" --json
assert_grep "... saying no CRL of a trusted root is in it, and whose it holds" \
    "no CRL of a root in ca.pem (skipped 1 CRL of another root: AKI $(akid A))" "$T/err"
assert_eq "... crl.pem unchanged" "$(digest "$S/crl.pem")" "$keep"
# A hand-made crl.pem with A's CRL beside B's: readers skip A's the same way.
cat "$T/crl/a60.pem" "$S/crl.pem" > "$T/hand.pem"; cp "$T/hand.pem" "$S/crl.pem"
assert_eq "a hand-made crl.pem with A's CRL beside B's: --check answers from B's" "$(check B255)" "not revoked"
cat "$T/crl/forged-b.pem" "$T/crl/b60.pem" > "$S/crl.pem"
assert_fails 6 "... but not from one with a CRL claiming B that B does not verify" \
    edge-crl-update -d "$S" --check "$PKI/B255.pem"

done_testing
