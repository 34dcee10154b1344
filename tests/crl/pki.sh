# SPDX-License-Identifier: MIT
# Sourced by tests/cli/crl-differential.t and attack-crl.t (after setup):
# two roots with the same name and different keys (A and B, bundled A first
# in $T/ca.pem), device certificates of A with serials 255, 1, 0 and a
# 20-byte one, one of B with serial 255, and gen_crl SIGNER NAME ARGS...
# (tests/crl/crlgen.c) writing $T/crl/NAME.pem.
PKI=$T/pki
mkdir -p "$PKI" "$T/crl"
SUBJ="/C=CN/O=EnOS/CN=Test Root"
printf 'subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\nbasicConstraints=critical,CA:false\n' > "$PKI/leaf.ext"
for r in A B; do
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$PKI/$r.key" -out "$PKI/$r.pem" \
		-subj "$SUBJ" -days 30 -config /dev/null \
		-addext "basicConstraints=critical,CA:true" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" \
		-addext "subjectKeyIdentifier=hash" 2>/dev/null || echo "Bail out! cannot make root $r"
done
cat "$PKI/A.pem" "$PKI/B.pem" > "$T/ca.pem"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$PKI/leaf.key" \
	-subj "/CN=device" -out "$PKI/leaf.csr" -config /dev/null 2>/dev/null
leaf() {	# NAME ROOT SERIAL
	openssl x509 -req -in "$PKI/leaf.csr" -CA "$PKI/$2.pem" -CAkey "$PKI/$2.key" \
		-set_serial "$3" -days 10 -extfile "$PKI/leaf.ext" -out "$PKI/$1.pem" 2>/dev/null ||
		echo "Bail out! cannot make certificate $1"
}
leaf A255 A 255
leaf A1 A 1
leaf A0 A 0
leaf A20 A 0x7f0102030405060708090a0b0c0d0e0f10111213
leaf B255 B 255
CERTS="A255 A1 A0 A20 B255"
SERIAL20=7f0102030405060708090a0b0c0d0e0f10111213

gen_crl() {	# SIGNER NAME CRLGEN-ARGS...
	_gs=$1 _gn=$2
	shift 2
	"$B/tests/crlgen" --ca "$PKI/$_gs.pem" --ca-key "$PKI/$_gs.key" --out "$T/crl/$_gn.pem" "$@" ||
		echo "Bail out! crlgen $_gn"
}
