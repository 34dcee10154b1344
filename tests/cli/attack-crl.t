#!/bin/sh
# SPDX-License-Identifier: MIT
# Attacks on edge-crl-update through the CRL itself (issue 15): CRLs that
# must not be installed as the full CRL of a root, and entries that must not
# revoke (or un-revoke) the wrong certificate.  Every refusal: exit 6, the
# reason named, crl.pem byte for byte as it was.
. "$(dirname "$0")/../lib.sh"
setup
[ -x "$B/tests/crlgen" ] || skip_all "build/tests/crlgen not built (make check builds it)"
. "$TOP/tests/crl/pki.sh"

S=$T/state
mkdir -p "$S"
cp "$T/ca.pem" "$S/ca.pem"
gen_crl A base --number 1 --entry 01
assert_ok "a plain CRL of root A installs" edge-crl-update -d "$S" --from "$T/crl/base.pem"
keep=$(digest "$S/crl.pem")

# Newer CRL numbers than the installed one, so that only the feature refuses.
refused() {	# NAME WHY-PATTERN DESCRIPTION
	assert_fails 6 "$3: refused, exit 6" edge-crl-update -d "$S" --from "$T/crl/$1.pem"
	assert_grep "$3: the reason is named" "$2" "$T/err"
	assert_one_error_line edge-crl-update
	assert_eq "$3: crl.pem unchanged" "$(digest "$S/crl.pem")" "$keep"
}
gen_crl A delta --number 5 --ext 2.5.29.27:1:020101 --entry 02
refused delta "a delta CRL (deltaCRLIndicator)" "a delta CRL"
gen_crl A scoped-dp --number 5 --ext 2.5.29.28:1:3014a012a010860e687474703a2f2f782f632e63726c --entry 02
refused scoped-dp "scoped CRL (issuingDistributionPoint with distributionPoint)" "a CRL scoped to one distribution point"
gen_crl A scoped-user --number 5 --ext 2.5.29.28:1:30038101ff --entry 02
refused scoped-user "scoped CRL (issuingDistributionPoint with onlyContainsUserCerts)" "a CRL scoped to end-entity certificates"
gen_crl A scoped-reasons --number 5 --ext 2.5.29.28:1:3004830205a0 --entry 02
refused scoped-reasons "onlySomeReasons" "a CRL scoped to some reasons"
gen_crl A crit-ext --number 5 --ext 1.2.3.4:1:0500 --entry 02
refused crit-ext "crl.pem\|unsupported critical extension 1.2.3.4" "a CRL with an unknown critical extension"
grep -q "unsupported critical extension 1.2.3.4$" "$T/err" && ok "the extension's OID is named" || not_ok "the extension's OID is named"
gen_crl A crit-entry --number 5 --entry 02/crit=1.2.3.5
refused crit-entry "unsupported critical extension 1.2.3.5 in a revoked entry" "an entry with an unknown critical extension"
gen_crl A indirect --number 5 --entry 02/cert-issuer
refused indirect "indirect CRL" "an indirect CRL entry (certificateIssuer)"
gen_crl A inner-alg --number 5 --inner-alg sha1 --entry 02
refused inner-alg "signature algorithm in TBSCertList differs from the outer one" "inner sha1 under an outer sha256 signature"
gen_crl A inner-params --number 5 --inner-alg noparams --entry 02
refused inner-params "differs from the outer one" "inner algorithm without the NULL parameters"
assert_fails 6 "--check refuses an installed delta CRL too" sh -c "cp '$T/crl/delta.pem' '$S/crl.pem' && edge-crl-update -d '$S' --check '$PKI/A1.pem'"
assert_grep "--check names the delta CRL" "delta CRL" "$T/err"

# Serials are two's complement integers: -1 is not 255, -255 is not 255.
N=$T/neg; mkdir -p "$N"; cp "$T/ca.pem" "$N/"
gen_crl A negative --entry ff --entry ff01
assert_ok "a CRL listing serials -1 and -255 installs" edge-crl-update -d "$N" --from "$T/crl/negative.pem"
assert_ok "it does not revoke serial 255" edge-crl-update -d "$N" --check "$PKI/A255.pem" --json
assert_json "serial 255 not revoked" "$T/out" .revoked false
# A certificate with serial -1 (openssl makes one): revoked, and shown as -1
# (openssl x509 -serial: -01), never as its unsigned magnitude 255.
leaf Am1 A -1
assert_fails 8 "the certificate with serial -1 is revoked" edge-crl-update -d "$N" --check "$PKI/Am1.pem" --json
assert_json "... its serial is shown as -1" "$T/out" .serial -1
assert_grep "... in the error line too" "serial -1 is revoked" "$T/err"
gen_crl A pos --number 2 --entry 00ff --entry 00 --entry $SERIAL20
assert_ok "a CRL listing 255, 0 and a 20-byte serial installs" edge-crl-update -d "$N" --from "$T/crl/pos.pem"
for c in A255 A0 A20; do
	assert_fails 8 "$c revoked" edge-crl-update -d "$N" --check "$PKI/$c.pem"
done
assert_ok "serial 1 not revoked" edge-crl-update -d "$N" --check "$PKI/A1.pem"
gen_crl A nonmin --number 3 --entry 0000ff
assert_fails 3 "a non-minimal serial encoding is malformed DER (openssl refuses it too)" edge-crl-update -d "$N" --from "$T/crl/nonmin.pem"

# removeFromCRL takes an entry back.
gen_crl A remove --number 4 --entry 00ff/r=8 --entry 01/r=1
assert_ok "a CRL with a removeFromCRL entry installs" edge-crl-update -d "$N" --from "$T/crl/remove.pem"
assert_ok "removeFromCRL: serial 255 not revoked" edge-crl-update -d "$N" --check "$PKI/A255.pem"
assert_fails 8 "keyCompromise beside it still revokes" edge-crl-update -d "$N" --check "$PKI/A1.pem"

# Two roots of the same name (ca.pem has A first): B's CRL verifies with B
# and speaks for B's certificates only.
R=$T/rootb; mkdir -p "$R"; cp "$T/ca.pem" "$R/"
gen_crl B rootb --entry 00ff
assert_ok "root B's CRL installs (A, of the same name, is tried first)" edge-crl-update -d "$R" --from "$T/crl/rootb.pem"
assert_fails 8 "it revokes B's serial 255" edge-crl-update -d "$R" --check "$PKI/B255.pem"
assert_fails 3 "it does not speak for A's serial 255" edge-crl-update -d "$R" --check "$PKI/A255.pem"
assert_grep "says so" "not issued by the CA of the CRL" "$T/err"
# The issuer name compared canonically (RFC 5280 7.1): other string type, other case.
V=$T/variant; mkdir -p "$V"; cp "$T/ca.pem" "$V/"
gen_crl A variant --issuer-variant --entry 00ff
assert_ok "a CRL naming its issuer in another string type and case installs" edge-crl-update -d "$V" --from "$T/crl/variant.pem"
assert_fails 8 "and revokes serial 255" edge-crl-update -d "$V" --check "$PKI/A255.pem"
done_testing
