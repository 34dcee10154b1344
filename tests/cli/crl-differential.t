#!/bin/sh
# SPDX-License-Identifier: MIT
# Differential test of our CRL reader: a corpus of CRLs with every feature
# edge-crl-update must handle (tests/crl/crlgen.c), each checked against each
# certificate of tests/crl/pki.sh by `edge-crl-update --check` and by
# `openssl verify -crl_check`.  Verdicts: ok (0 / "OK"), revoked (8 /
# "certificate revoked"), refused (anything else).  A disagreement fails
# unless the STRICTER table below lists it with the reason we are stricter.
. "$(dirname "$0")/../lib.sh"
setup
[ -x "$B/tests/crlgen" ] || skip_all "build/tests/crlgen not built (make check builds it)"
. "$TOP/tests/crl/pki.sh"

# CASE SIGNER CRLGEN-ARGS (serials are INTEGER contents in hex: ff is -1)
while read -r name signer args; do
	case $name in ''|'#'*) continue ;; esac
	# shellcheck disable=SC2086
	gen_crl "$signer" "$name" $args
done <<EOF_CASES
empty        A
no-next      A --no-next --entry 00ff
v1           A --v1 --entry 00ff --entry 01
plain        A --entry 00ff/r=1 --entry 01
several      A --entry 02 --entry 03/r=4 --entry 00ff/r=1 --entry 0100 --entry 7fff
zero         A --entry 00
serial20     A --entry $SERIAL20
gentime      A --entry 00ff/gen --entry 01/gen/r=5
invalidity   A --entry 00ff/inv/r=1
no-number    A --number 0 --entry 00ff
no-akid      A --no-akid --entry 00ff
name-variant A --issuer-variant --entry 00ff
remove       A --entry 00ff/r=8 --entry 01
negative     A --entry ff --entry ff01
non-minimal  A --entry 0000ff
noncrit-ext  A --ext 1.2.3.4:0:0500 --entry 00ff
crit-ext     A --ext 1.2.3.4:1:0500 --entry 01
crit-number  A --number 0 --ext 2.5.29.20:1:020109 --entry 01
crit-entry   A --entry 00ff/crit=1.2.3.5 --entry 01
cert-issuer  A --entry 00ff/cert-issuer --entry 01
delta        A --ext 2.5.29.27:1:020101 --entry 01
idp-empty    A --ext 2.5.29.28:1:3000 --entry 00ff
idp-user     A --ext 2.5.29.28:1:30038101ff --entry 01
idp-ca       A --ext 2.5.29.28:1:30038201ff --entry 01
idp-reasons  A --ext 2.5.29.28:1:3004830205a0 --entry 01
idp-indirect A --ext 2.5.29.28:1:30038401ff --entry 01
idp-attr     A --ext 2.5.29.28:1:30038501ff --entry 01
idp-dp       A --ext 2.5.29.28:1:3014a012a010860e687474703a2f2f782f632e63726c --entry 01
inner-sha384 A --inner-alg sha384 --entry 01
inner-noparm A --inner-alg noparams --entry 01
root-b       B --entry 00ff --entry 01
EOF_CASES

# CASE: why we refuse a CRL that openssl uses (for every certificate).
# Only refusals can be listed: a CRL we use must give openssl's verdict.
STRICTER=$(cat <<'EOF_STRICT'
cert-issuer indirect CRL: a certificateIssuer entry extension hands the entries after it to another issuer; we do not implement indirect CRLs, and refusing beats guessing which entries speak for our CA (openssl applies them to the named issuer and ignores them here)
delta deltaCRLIndicator: a delta CRL lists only the changes since a base CRL, so installed as the full CRL it would un-revoke everything else; openssl 3.0.22 refuses it without -use_deltas, but 3.0.20 (Debian bookworm before its security update) used it as a full CRL
inner-sha384 RFC 5280 5.1.1.2: the signature algorithm inside TBSCertList must equal the outer one; openssl 3.0.22 refuses the mismatch, 3.0.20 accepts it
inner-noparm RFC 5280 5.1.1.2, as inner-sha384 (here the two differ only in the NULL parameters of the same algorithm): openssl 3.0.22 refuses it, 3.0.20 accepts it
idp-user onlyContainsUserCerts scopes the CRL: we install one CRL as the full CRL of a root (for the hub's certificate as well as the device's), so every issuingDistributionPoint field counts as scoped (edge-crl-update(1)); openssl uses it for end-entity certificates
EOF_STRICT
)

# CASE: a CRL we use that a newer openssl refuses, with which openssl does
# what and why we keep our verdict.  Only openssl's refusal can be listed, and
# only where the openssl in use is of the listed kind: elsewhere the verdicts
# must agree as above.
NEWER=$(cat <<'EOF_NEWER'
idp-empty 3.2 an empty issuingDistributionPoint scopes nothing (RFC 5280 5.2.5 forbids issuers to send one, but every field absent means the full CRL): openssl 3.0 (Debian 12) uses it as the full CRL, as we do; 3.2 and later (Debian 13's 3.5) find no CRL for the certificate
EOF_NEWER
)
OSSL_VER=$(openssl version | awk '{ print $2 }')
# ossl_atleast X.Y: the openssl in use is X.Y or later.
ossl_atleast() {
	printf '%s\n%s\n' "$1" "$OSSL_VER" | sort -V -C
}

ours() {
	d=$T/state/$1
	mkdir -p "$d"
	cp "$T/ca.pem" "$d/ca.pem"
	cp "$T/crl/$1.pem" "$d/crl.pem"
	rc=0
	edge-crl-update -q -d "$d" --check "$PKI/$2.pem" >"$T/ours.out" 2>&1 || rc=$?
	case $rc in 0) echo ok ;; 8) echo revoked ;; *) echo refused ;; esac
}
theirs() {
	if openssl verify -crl_check -CAfile "$T/ca.pem" -CRLfile "$T/crl/$1.pem" \
		"$PKI/$2.pem" >"$T/theirs.out" 2>&1; then
		echo ok
	elif grep -q "certificate revoked" "$T/theirs.out"; then
		echo revoked
	else
		echo refused
	fi
}

for f in "$T"/crl/*.pem; do
	name=$(basename "$f" .pem)
	for c in $CERTS; do
		a=$(ours "$name" "$c")
		b=$(theirs "$name" "$c")
		if [ "$a" = "$b" ]; then
			ok "$name $c: both $a"
			continue
		fi
		why=$(printf '%s\n' "$STRICTER" | awk -v k="$name" 'index($0, k " ") == 1 { print substr($0, length(k) + 2); exit }')
		newer=$(printf '%s\n' "$NEWER" | awk -v k="$name" 'index($0, k " ") == 1 { print substr($0, length(k) + 2); exit }')
		if [ -n "$why" ] && [ "$a" = refused ]; then
			ok "$name $c: we refuse, openssl says $b (stricter: $why)"
		elif [ -n "$newer" ] && [ "$b" = refused ] && ossl_atleast "${newer%% *}"; then
			ok "$name $c: we say $a, openssl $OSSL_VER refuses (${newer#* })"
		else
			not_ok "$name $c: edge-crl-update says $a, openssl says $b"
			sed 's/^/#   ours: /' "$T/ours.out"
			sed 's/^/#   openssl: /' "$T/theirs.out"
		fi
	done
done
done_testing
