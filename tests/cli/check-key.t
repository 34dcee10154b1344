#!/bin/sh
# SPDX-License-Identifier: MIT
# edge-check's key checks (key.storage, key.type, key.match, key.purpose) and
# the identity it reports, each made to pass and to fail for real: a 0644
# key.pem (as ssh-keygen judges it), a token key made extractable in SoftHSM2
# (as p11tool and pkcs11-tool report it), an RSA-1024 key, a cert.pem of
# another key (as openssl compares them), the edge key as an SSH host key and
# in a sibling state directory (as ssh-keygen fingerprints them).
. "${0%/*}/../lib.sh"
setup

command -v openssl >/dev/null 2>&1 || skip_all "openssl not installed"

# check DIR [OPTIONS]: edge-check --json into $T/out (its exit status is that
# of every subject, so each check is judged by its own verdict).
check() {
	d=$1; shift
	rc=0
	edge-check -d "$d" --json "$@" > "$T/out" 2> "$T/err" || rc=$?
	# anything but 0 or 9 (a crash, valgrind's 99) is a failure of its own
	case $rc in 0|9) ;; *) diag "edge-check exit status $rc"; not_ok "edge-check -d $d $*" ;; esac
}
# field ID FILTER: the check's FILTER (".verdict", ".data.mode" ...)
field() { jq -r --arg id "$1" ".checks[] | select(.id == \$id) | $2" "$T/out" 2>/dev/null; }
assert_check() {
	got=$(field "$2" .verdict)
	if [ "$got" = "$3" ]; then ok "$1"; else diag "$2 is '$got', wanted '$3'"; not_ok "$1"; fi
}
assert_field() {
	got=$(field "$2" "$3")
	if [ "$got" = "$4" ]; then ok "$1"; else diag "$2 $3 is '$got', wanted '$4'"; not_ok "$1"; fi
}

G=$T/gw
E=$G/edge
S=$T/scan
mkdir -p "$E" "$S"
assert_ok "a file key made by edge-keygen" edge-keygen -q -d "$E"

# ---- key.storage: a file key ----
check "$E" --scan "$S"
assert_eq "edge-check exits 0 or 9, with a JSON result" "$(jq -r '.checks | length > 0' "$T/out")" true
assert_eq "the key checks come first, in their fixed order" \
	"$(jq -r '[.checks[0:4][].id] | join(" ")' "$T/out")" "key.storage key.type key.match key.purpose"
assert_check "a 0600 key.pem owned by the user is ok" key.storage ok
assert_field "... its mode as stat reports it" key.storage .data.mode "$(stat -c %04a "$E/key.pem")"
assert_field "... its owner as stat reports it" key.storage .data.owner "$(stat -c %U "$E/key.pem")"
assert_field "... storage file" key.storage .data.storage file
assert_ok "ssh-keygen accepts the 0600 key too" ssh-keygen -y -f "$E/key.pem"

chmod 644 "$E/key.pem"
check "$E" --scan "$S"
assert_eq "a 0644 key.pem: edge-check exits 9" "$rc" 9
assert_check "a 0644 key.pem fails" key.storage fail
assert_field "... mode 0644, as stat says" key.storage .data.mode "$(stat -c %04a "$E/key.pem")"
assert_field "... fix: chmod 600" key.storage .fix "chmod 600 $E/key.pem"
assert_field "... what says everyone may read it" key.storage .what "$E/key.pem: mode 0644 lets everyone read the private key"
edge-check -d "$E" --scan "$S" > "$T/table" 2>/dev/null
assert_grep "... the table shows the fix" "-> chmod 600 $E/key.pem" "$T/table"
_run ssh-keygen -y -f "$E/key.pem"
assert_grep "ssh-keygen refuses the 0644 key for the same reason" "bad permissions" "$T/err"
chmod 640 "$E/key.pem"
check "$E" --scan "$S"
assert_check "a 0640 key.pem (group-readable) fails" key.storage fail
chmod 600 "$E/key.pem"
check "$E" --scan "$S"
assert_check "after the fix (chmod 600) it is ok" key.storage ok

if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	chown nobody "$E/key.pem"
	check "$E" --scan "$S"
	assert_check "a key.pem owned by another user than the directory's fails" key.storage fail
	assert_field "... fix: chown to the directory's owner" key.storage .fix "chown $(stat -c %U "$E") $E/key.pem"
	chown "$(id -u)" "$E/key.pem"
	# root audits the edge user's directory (audit.yml with become): the
	# key is judged against the directory's owner, as state.dir does
	O=$T/owned
	cp -a "$E" "$O"
	chown -R nobody "$O"; chmod 700 "$O"
	check "$O" --scan "$S"
	assert_check "root checking a directory chown -R'd to nobody: key.storage ok" key.storage ok
	assert_check "... as state.dir is" state.dir ok
	assert_field "... the directory's owner in data" key.storage .data.dir_owner "$(stat -c %u "$O")"
	chown root "$O/key.pem"
	check "$O" --scan "$S"
	assert_check "... key.pem alone owned by root (not the directory's owner) fails" key.storage fail
	assert_field "... fix: chown to the directory's owner" key.storage .fix "chown nobody $O/key.pem"
	rm -rf "$O"
else
	for d in "a key.pem owned by another user than the directory's fails" "... fix: chown to the directory's owner" \
		"root checking a directory chown -R'd to nobody: key.storage ok" "... as state.dir is" \
		"... the directory's owner in data" "... key.pem alone owned by root (not the directory's owner) fails" \
		"... fix: chown to the directory's owner"; do
		skip "$d" "not root (cannot chown)"
	done
fi

mv "$E/key.pem" "$T/real-key.pem"
ln -s "$T/real-key.pem" "$E/key.pem"
check "$E" --scan "$S"
assert_check "a key.pem that is a symbolic link fails" key.storage fail
assert_field "... saying so" key.storage .what "$E/key.pem: not a regular file (a symbolic link)"
rm "$E/key.pem"
mv "$T/real-key.pem" "$E/key.pem"

N=$T/none
mkdir "$N"
check "$N" --scan "$S"
assert_check "no key at all: key.storage fails" key.storage fail
assert_field "... naming the step" key.storage .fix "run edge-keygen"
assert_check "... key.type skipped" key.type skip
assert_check "... key.purpose skipped" key.purpose skip
B2=$T/badkey
mkdir "$B2"
printf 'not a key\n' > "$B2/key.pem"
chmod 600 "$B2/key.pem"
check "$B2" --scan "$S"
assert_check "a key.pem that is no key: key.type fails" key.type fail
assert_field "... saying what it holds" key.type .what "key.pem: not a PEM file"
printf 'pkcs11:token=nosuch;object=x\n' > "$N/key.uri"
check "$N" --scan "$S"
assert_check "key.uri naming no token: key.storage fails" key.storage fail
assert_check "... key.type skipped (one failure for one cause)" key.type skip
rm "$N/key.uri"

# ---- key.type ----
check "$E" --scan "$S"
assert_check "RSA-2048 (edge-keygen) is ok" key.type ok
assert_field "... 2048 bits" key.type .data.bits 2048
assert_field "... as openssl counts them" key.type .data.bits \
	"$(openssl pkey -in "$E/key.pem" -noout -text | sed -n 's/.*Private-Key: (\([0-9]*\) bit.*/\1/p')"
W=$G/weak
mkdir -p "$W"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$W/key.pem" 2>/dev/null
chmod 600 "$W/key.pem"
check "$W" --scan "$S"
assert_check "an RSA-1024 key fails" key.type fail
assert_field "... 1024 bits, as openssl counts them" key.type .data.bits \
	"$(openssl pkey -in "$W/key.pem" -noout -text | sed -n 's/.*Private-Key: (\([0-9]*\) bit.*/\1/p')"
assert_field "... saying what the hub accepts" key.type .what \
	"key.pem: RSA-1024, the hub accepts RSA of 2048 bits or more, or EC P-256"
EC=$G/ec
mkdir -p "$EC"
assert_ok "an EC key made by edge-keygen" edge-keygen -q -t ec -d "$EC"
check "$EC" --scan "$S"
assert_check "EC P-256 is ok" key.type ok
assert_field "... curve P-256" key.type .data.curve P-256
P384=$T/p384
mkdir -p "$P384"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$P384/key.pem" 2>/dev/null
chmod 600 "$P384/key.pem"
check "$P384" --scan "$S"
assert_check "EC P-384 fails (not what the hub accepts)" key.type fail

# ---- key.match ----
check "$E" --scan "$S"
assert_check "no cert.pem yet: key.match skipped" key.match skip
assert_field "... naming the step" key.match .fix "run edge-activate"
openssl req -x509 -new -key "$E/key.pem" -subj /CN=edge -days 30 -out "$E/cert.pem" 2>/dev/null
check "$E" --scan "$S"
assert_check "cert.pem of the edge key: ok" key.match ok
assert_eq "... openssl finds the same public key in both" \
	"$(openssl x509 -in "$E/cert.pem" -noout -pubkey)" "$(openssl pkey -in "$E/key.pem" -pubout)"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/other.pem" 2>/dev/null
openssl req -x509 -new -key "$T/other.pem" -subj /CN=edge -days 30 -out "$E/cert.pem" 2>/dev/null
check "$E" --scan "$S"
assert_check "cert.pem of another key: key.match fails" key.match fail
assert_field "... the key ids differ in data" key.match '.data.key_id != .data.cert_key_id' true
if [ "$(openssl x509 -in "$E/cert.pem" -noout -pubkey)" != "$(openssl pkey -in "$E/key.pem" -pubout)" ]; then
	ok "... openssl finds two different public keys"
else not_ok "... openssl finds two different public keys"; fi
printf 'not a certificate\n' > "$E/cert.pem"
check "$E" --scan "$S"
assert_check "a cert.pem that is no certificate: key.match fails" key.match fail
openssl req -x509 -new -key "$E/key.pem" -subj /CN=edge -days 30 -out "$E/cert.pem" 2>/dev/null

# ---- key.purpose ----
check "$E" --scan "$S"
assert_check "the edge key used nowhere else: ok" key.purpose ok
assert_field "... files looked at reported (the two siblings' key.pem)" key.purpose .data.files_examined 2
ssh-keygen -y -f "$E/key.pem" > "$S/ssh_host_rsa_key.pub"
check "$E" --scan "$S"
assert_check "the edge key as an SSH host key (ssh-keygen -y) fails" key.purpose fail
assert_field "... naming the file" key.purpose '.data.reused_in[0]' "$S/ssh_host_rsa_key.pub (SSH host key)"
assert_eq "... ssh-keygen gives both the same fingerprint" \
	"$(ssh-keygen -l -f "$E/key.pem" | cut -d' ' -f2)" "$(ssh-keygen -l -f "$S/ssh_host_rsa_key.pub" | cut -d' ' -f2)"
rm "$S/ssh_host_rsa_key.pub"
ssh-keygen -q -t rsa -b 2048 -N '' -f "$S/ssh_host_rsa_key"
ssh-keygen -y -f "$EC/key.pem" > "$S/ssh_host_ecdsa_key.pub"
check "$E" --scan "$S"
assert_check "SSH host keys of their own (and another edge's EC key): ok" key.purpose ok
assert_field "... both .pub files, the private key and the siblings' key.pem looked at" key.purpose .data.files_examined 5
check "$EC" --scan "$S"
assert_check "an EC edge key as an ecdsa-sha2-nistp256 host key fails" key.purpose fail
assert_field "... naming the file" key.purpose '.data.reused_in[0]' "$S/ssh_host_ecdsa_key.pub (SSH host key)"
rm "$S/ssh_host_ecdsa_key.pub"

mkdir -p "$S/nginx/certs"
cp "$E/cert.pem" "$S/nginx/certs/site.crt"
check "$E" --scan "$S"
assert_check "a certificate of the edge key in a --scan place fails" key.purpose fail
assert_field "... naming it" key.purpose '.data.reused_in[0]' "$S/nginx/certs/site.crt (certificate)"
rm "$S/nginx/certs/site.crt"
check "$E" --scan "$S:$E"
assert_check "the edge's own cert.pem is not a reuse (state directory scanned)" key.purpose ok
# bounded: a symbolic link loop and a deep tree end, a FIFO is not read
ln -s .. "$S/nginx/certs/loop"
mkdir -p "$S/a/b/c/d/e/f"
cp "$E/cert.pem" "$S/a/b/c/d/e/f/deep.crt"
mkfifo "$S/fifo"
check "$E" --scan "$S"
assert_check "a link loop, a FIFO and a tree below the depth limit: warns, ended" key.purpose warn
assert_field "... saying not all was searched" key.purpose '.what | test("stopped at the depth limit .*: not all of '"$S"' was searched")' true
assert_field "... truncated in data" key.purpose .data.truncated true
rm -rf "$S/a" "$S/fifo" "$S/nginx"

# the edge key in the formats other programs keep it (each made with
# openssl or ssh-keygen, each judged a reuse; PKCS#12 is not read)
F=$S/fmt
mkdir -p "$F"
epub=$(openssl pkey -in "$E/key.pem" -pubout)
# fmt NAME DESCRIPTION: $F/NAME holds the edge key (or $EC's with KEY=ec)
fmt() {
	d=$E; [ "${KEY:-}" = ec ] && d=$EC
	check "$d" --scan "$F"
	assert_check "the edge key in $2 fails" key.purpose fail
	assert_field "... naming $1" key.purpose '.data.reused_in[0] | startswith("'"$F/$1"' (")' true
	rm -f "$F/$1"
}
{ printf '# keys of the operators\n\n'
  printf '   command="/bin/true",no-pty,from="10.0.0.0/8" %s ops@site\n' "$(ssh-keygen -y -f "$E/key.pem")"; } > "$F/authorized_keys"
fmt authorized_keys "authorized_keys behind a comment, indented, with options"
openssl pkey -in "$E/key.pem" -out "$F/server.key"
assert_grep "openssl wrote a PKCS#8 key" "BEGIN PRIVATE KEY" "$F/server.key"
assert_eq "... of the edge's public key" "$(openssl pkey -in "$F/server.key" -pubout)" "$epub"
fmt server.key "a PKCS#8 private key copy"
openssl rsa -in "$E/key.pem" -traditional -out "$F/trad.key" 2>/dev/null
assert_grep "openssl wrote a traditional RSA key" "BEGIN RSA PRIVATE KEY" "$F/trad.key"
fmt trad.key "a traditional RSA PRIVATE KEY copy"
openssl ec -in "$EC/key.pem" -out "$F/ec.key" 2>/dev/null
assert_grep "openssl wrote a traditional EC key" "BEGIN EC PRIVATE KEY" "$F/ec.key"
KEY=ec fmt ec.key "an EC PRIVATE KEY copy"
cp "$E/key.pem" "$F/id_rsa"; chmod 600 "$F/id_rsa"
ssh-keygen -q -p -P '' -N '' -f "$F/id_rsa" >/dev/null 2>&1
assert_grep "ssh-keygen wrote an OpenSSH private key" "BEGIN OPENSSH PRIVATE KEY" "$F/id_rsa"
assert_eq "... of the same key (ssh-keygen -y)" "$(ssh-keygen -y -f "$F/id_rsa")" "$(ssh-keygen -y -f "$E/key.pem")"
fmt id_rsa "an OpenSSH private key"
cp "$E/key.pem" "$F/id_rsa_pw"; chmod 600 "$F/id_rsa_pw"
ssh-keygen -q -p -P '' -N 'secret words' -f "$F/id_rsa_pw" >/dev/null 2>&1
fmt id_rsa_pw "a passphrase-protected OpenSSH private key (its public key is in the clear)"
openssl rsa -in "$E/key.pem" -RSAPublicKey_out -out "$F/pkcs1.pub" 2>/dev/null
assert_grep "openssl wrote a PKCS#1 public key" "BEGIN RSA PUBLIC KEY" "$F/pkcs1.pub"
fmt pkcs1.pub "a PKCS#1 RSA PUBLIC KEY"
{ openssl pkey -in "$T/other.pem" -pubout; printf '%s\n' "$epub"; } > "$F/keys.pem"
fmt keys.pem "the second of two PUBLIC KEY blocks"
openssl x509 -in "$E/cert.pem" -outform DER -out "$F/site.der"
fmt site.der "a DER certificate"
openssl pkey -in "$E/key.pem" -outform DER -out "$F/key.der"
fmt key.der "a DER private key"
openssl pkey -in "$E/key.pem" -pubout -outform DER -out "$F/pub.der"
fmt pub.der "a DER public key"
openssl pkey -in "$E/key.pem" -aes128 -passout pass:x -out "$F/enc.key"
# hostile or broken inputs end without a crash (check() fails on any other exit)
{ printf -- '-----BEGIN OPENSSH PRIVATE KEY-----\n'; printf 'openssh-key-v1\0\0\0\0\377' | base64
  printf -- '-----END OPENSSH PRIVATE KEY-----\n-----BEGIN RSA PUBLIC KEY-----\nMAMCAQ==\n-----END RSA PUBLIC KEY-----\n'
  printf -- '-----BEGIN PUBLIC KEY-----\n!!!\n-----END PUBLIC KEY-----\n-----BEGIN PRIVATE KEY-----\n'
  printf 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAA/w== x\nssh-rsa !!!\necdsa-sha2-nistp256\n'; } > "$F/broken.pem"
head -c 4096 /dev/urandom > "$F/random.der"
printf '\060\202\377\377\0' > "$F/short.der"
check "$E" --scan "$F"
assert_check "an encrypted PKCS#8 key cannot be read without its password: ok" key.purpose ok
assert_field "... broken blocks, random bytes and a cut DER read too (and the two siblings' key.pem), without a crash" key.purpose .data.files_examined 6
rm -rf "$F"

# links are not followed below a --scan place (O_NOFOLLOW)
cp "$E/cert.pem" "$T/elsewhere.crt"
ln -s "$T/elsewhere.crt" "$S/link.crt"
check "$E" --scan "$S"
assert_check "a symbolic link to a copy of the edge's certificate is not followed: ok" key.purpose ok
rm "$S/link.crt" "$T/elsewhere.crt"
# the file bound: warn, not ok
mkdir -p "$S/many"
i=0; while [ $i -le 2000 ]; do printf 'x\n' > "$S/many/f$i"; i=$((i + 1)); done
check "$E" --scan "$S"
assert_check "more than 2000 files: warns" key.purpose warn
assert_field "... saying the search stopped" key.purpose '.what | test("^looked at 2000 files, stopped at the file limit .*: not all of '"$S"' was searched$")' true
rm -rf "$S/many"

# the state directory's siblings (always looked at)
mkdir -p "$G/twin"
cp "$E/key.pem" "$G/twin/key.pem"
check "$E" --scan "$S"
assert_check "a sibling state directory with the same key.pem fails" key.purpose fail
assert_field "... naming it" key.purpose '.data.reused_in[0]' "$E/../twin/key.pem (another state directory's key)"
rm "$G/twin/key.pem"
cp "$E/cert.pem" "$G/twin/cert.pem"
check "$E" --scan "$S"
assert_check "a sibling whose cert.pem has the edge key fails" key.purpose fail
rm "$G/twin/cert.pem"
ln "$E/cert.pem" "$G/twin/cert.pem"
check "$E" --scan "$S"
assert_check "a sibling cert.pem hard-linked to this one's is a reuse: fails" key.purpose fail
assert_field "... naming it" key.purpose '.data.reused_in[0]' "$E/../twin/cert.pem (a hard link to this directory's cert.pem)"
rm "$G/twin/cert.pem"
cp "$E/key.pem" "$T/twin-key.pem"
ln -s "$T/twin-key.pem" "$G/twin/key.pem"
check "$E" --scan "$S"
assert_check "a sibling key.pem that is a symlink (to a copy of the edge key): warns, not followed" key.purpose warn
assert_field "... saying so" key.purpose .what "$E/../twin/key.pem: a symlink; not followed (1 sibling file(s) not judged)"
rm "$G/twin/key.pem" "$T/twin-key.pem"
mkdir -p "$G/www"
cp "$E/key.pem" "$G/www/server.key"
check "$E" --scan "$S"
assert_check "a directory that is no state directory (no device.json, key.uri, key.pem, cert.pem) is not read" key.purpose ok
rm -rf "$G/www"
cp "$T/other.pem" "$G/twin/key.pem"
chmod 600 "$G/twin/key.pem"
check "$E" --scan "$S"
assert_check "a sibling with a key of its own: ok" key.purpose ok
assert_field "... siblings counted (twin, weak, ec)" key.purpose .data.siblings 3
if [ "$(id -u)" != 0 ]; then
	chmod 000 "$G/twin/key.pem"
	check "$E" --scan "$S"
	assert_check "an unreadable sibling key.pem is skipped quietly" key.purpose ok
	chmod 600 "$G/twin/key.pem"
else
	skip "an unreadable sibling key.pem is skipped quietly" "root reads every file"
fi
check "$E"
assert_check "the default places (/etc/ssh, /etc/ssl): not reused" key.purpose ok
assert_field "... scanned as --scan's default says" key.purpose '.data.scanned | join(":")' "/etc/ssh:/etc/ssl"

# ---- identity ----
printf '{"productKey":"pk1","deviceKey":"dev-42","serial":"SN0042"}\n' > "$E/device.json"
check "$E" --scan "$S"
assert_field_top() {
	got=$(jq -r "$2" "$T/out" 2>/dev/null)
	if [ "$got" = "$3" ]; then ok "$1"; else diag "$2 is '$got', wanted '$3'"; not_ok "$1"; fi
}
assert_field_top "identity: device_key from device.json" .device_key dev-42
assert_field_top "identity: serial from device.json" .serial SN0042
assert_field_top "identity: key_id as certtool reports the public key id" .key_id \
	"$(certtool --pubkey-info --load-privkey "$E/key.pem" 2>/dev/null | sed -n 's/^[[:space:]]*\(sha256:[0-9a-f]*\)$/\1/p' | head -1)"
assert_field_top "identity: cert_sha256 as openssl's fingerprint" .cert_sha256 \
	"$(openssl x509 -in "$E/cert.pem" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr A-F a-f)"
sn_hex=$(openssl x509 -in "$E/cert.pem" -noout -serial | sed 's/.*=//')
# openssl prints the INTEGER's value (its certificates' serials are positive)
assert_field_top "identity: cert_sn in decimal, as openssl's serial" .cert_sn \
	"$(python3 -c 'import sys; print(int(sys.argv[1], 16))' "$sn_hex")"
keyid=$(jq -r .key_id "$T/out")
mv "$E/key.pem" "$T/edge-key.pem"
check "$E" --scan "$S"
assert_field_top "identity without key.pem: the same key_id, from cert.pem" .key_id "$keyid"
mv "$T/edge-key.pem" "$E/key.pem"

# ---- key.storage: a token key ----
softhsm_setup edge 1234
printf '1234\n' > "$T/pin"
printf '9999\n' > "$T/badpin"
chmod 600 "$T/pin" "$T/badpin"
K=$G/tok
mkdir -p "$K"
assert_ok "a token key made by edge-keygen" edge-keygen -q -d "$K" -p "pkcs11:token=edge;object=edgekey" --pin "file:$T/pin"
check "$K" --scan "$S"
assert_check "without --pin: key.storage skipped" key.storage skip
assert_field "... saying --pin is needed" key.storage .fix "give the token PIN to read them: edge-check --pin file:PATH (or env:VAR, cred:NAME)"
assert_check "... key.type read from the public object" key.type ok
assert_field_top "... the identity's key_id too" '.key_id | startswith("sha256:")' true
check "$K" --scan "$S" --pin "file:$T/pin"
assert_check "edge-keygen's token key: ok" key.storage ok
assert_field "... sensitive" key.storage .data.sensitive true
assert_field "... not extractable" key.storage .data.extractable false
assert_field "... never extractable" key.storage .data.never_extractable true
assert_field "... no decrypt" key.storage .data.decrypt false
SOFTHSM_MOD=
for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/*/softhsm/libsofthsm2.so; do [ -e "$m" ] && SOFTHSM_MOD=$m && break; done
p11tool --login --set-pin=1234 --list-all-privkeys "pkcs11:token=edge;object=edgekey" 2>/dev/null > "$T/p11"
assert_grep "... p11tool reports CKA_NEVER_EXTRACTABLE the same" "CKA_NEVER_EXTRACTABLE" "$T/p11"
assert_not_grep "... and no CKA_EXTRACTABLE" "CKA_EXTRACTABLE;" "$T/p11"
check "$K" --scan "$S" --pin "file:$T/badpin"
assert_check "a wrong PIN: key.storage fails" key.storage fail
assert_field "... saying so" key.storage .what "key.uri: wrong or missing token PIN"

X=$G/xtok
mkdir -p "$X"
if command -v pkcs11-tool >/dev/null 2>&1 && [ -n "$SOFTHSM_MOD" ]; then
	pkcs11-tool --module "$SOFTHSM_MOD" --token-label edge --login --pin 1234 \
		--keypairgen --key-type rsa:2048 --label xkey --id 0101 --extractable >/dev/null 2>&1
	printf 'pkcs11:token=edge;object=xkey\n' > "$X/key.uri"
	check "$X" --scan "$S" --pin "file:$T/pin"
	assert_check "a token key generated extractable (pkcs11-tool --extractable) fails" key.storage fail
	assert_field "... extractable" key.storage .data.extractable true
	assert_field "... fix: a new key in the token" key.storage .fix \
		"make a new key inside the token (sensitive, never extractable, sign only): edge-activate --renew --rekey"
	pkcs11-tool --module "$SOFTHSM_MOD" --token-label edge --login --pin 1234 --list-objects --type privkey 2>/dev/null |
		sed -n '/label: *xkey/,/Access/p' > "$T/p11x"
	assert_grep "... pkcs11-tool reports it extractable too" "Access:.* extractable" "$T/p11x"
	assert_not_grep "... and not never extractable" "never extractable" "$T/p11x"
	p11tool --login --set-pin=1234 --list-all-privkeys "pkcs11:token=edge;object=xkey" 2>/dev/null > "$T/p11"
	assert_grep "... p11tool reports CKA_EXTRACTABLE" "CKA_EXTRACTABLE;" "$T/p11"
else
	for d in "a token key generated extractable (pkcs11-tool --extractable) fails" "... extractable" \
		"... fix: a new key in the token" "... pkcs11-tool reports it extractable too" \
		"... and not never extractable" "... p11tool reports CKA_EXTRACTABLE"; do
		skip "$d" "pkcs11-tool (opensc) not installed"
	done
fi
# A key imported into the token was in the clear once: never-extractable false.
p11tool --login --set-pin=1234 --write --label imported --load-privkey "$T/other.pem" \
	"pkcs11:token=edge" >/dev/null 2>&1
printf 'pkcs11:token=edge;object=imported\n' > "$X/key.uri"
check "$X" --scan "$S" --pin "file:$T/pin"
assert_check "a key imported into the token (p11tool --write) warns" key.storage warn
assert_field "... never extractable: no" key.storage .data.never_extractable false
p11tool --login --set-pin=1234 --list-all-privkeys "pkcs11:token=edge;object=imported" 2>/dev/null > "$T/p11"
assert_not_grep "... p11tool shows no CKA_NEVER_EXTRACTABLE either" "CKA_NEVER_EXTRACTABLE" "$T/p11"
assert_ok "edge-check changed nothing in the token (p11tool still lists the key)" \
	p11tool --login --set-pin=1234 --list-all-privkeys "pkcs11:token=edge;object=edgekey"
assert_grep "... the key is still there" "edgekey" "$T/out"

done_testing
