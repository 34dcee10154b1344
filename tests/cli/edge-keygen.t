#!/bin/sh
# SPDX-License-Identifier: MIT
# edge-keygen: file keys, token keys (SoftHSM2), idempotence, bad input.
. "$(dirname "$0")/../lib.sh"
setup

S=$T/state
mkdir -m 700 "$S"

# --- file key -----------------------------------------------------------
assert_ok "file key is generated" edge-keygen -d "$S" --json
assert_json "json says rsa" "$T/out" .type rsa
assert_json "json says 2048 bits" "$T/out" .bits 2048
assert_json "json says file" "$T/out" .location file
assert_json "json says changed" "$T/out" .changed true
assert_eq "key.pem is 0600" "$(file_mode "$S/key.pem")" 600
openssl pkey -in "$S/key.pem" -noout -text > "$T/pk.txt" 2>&1
assert_grep "openssl sees an RSA 2048-bit key" "Private-Key: (2048 bit" "$T/pk.txt"
kid=$(jq -r .key_id "$T/out")
want="sha256:$(openssl pkey -in "$S/key.pem" -pubout -outform DER | sha256sum | cut -d' ' -f1)"
assert_eq "key id is the SHA-256 of the SubjectPublicKeyInfo" "$kid" "$want"

before=$(digest "$S/key.pem")
assert_ok "second run succeeds" edge-keygen -d "$S" --json
assert_json "second run changes nothing" "$T/out" .changed false
assert_eq "key file untouched" "$(digest "$S/key.pem")" "$before"
assert_ok "text output names the key" edge-keygen -d "$S"
assert_grep "text output has the key id" "$kid" "$T/out"

assert_fails 1 "asking for another type without --force is refused" edge-keygen -d "$S" --type ec
assert_grep "refusal mentions --force" "force" "$T/err"
assert_ok "--force replaces the key" edge-keygen -d "$S" --force --json
assert_json "--force reports a change" "$T/out" .changed true
[ "$(jq -r .key_id "$T/out")" != "$kid" ] && ok "--force made a new key" || not_ok "--force made a new key"
assert_eq "replaced key.pem is 0600" "$(file_mode "$S/key.pem")" 600
assert_eq "no temporary file left behind" "$(ls -A "$S" | tr '\n' ' ')" "key.pem "

S2=$T/ec; mkdir "$S2"
assert_ok "EC key" edge-keygen -d "$S2" --type ec --json
assert_json "EC is P-256 (256 bits)" "$T/out" .bits 256
openssl pkey -in "$S2/key.pem" -noout -text > "$T/pk.txt" 2>&1
assert_grep "openssl sees prime256v1" "prime256v1" "$T/pk.txt"

assert_ok "-o FILE writes elsewhere" edge-keygen -d "$S2" -o "$T/other.pem" --json
assert_eq "-o FILE is 0600" "$(file_mode "$T/other.pem")" 600
assert_json "-o FILE path reported" "$T/out" .path "$T/other.pem"
assert_fails 1 "-o FILE does not clobber" edge-keygen -d "$S2" -o "$T/other.pem"

# --- usage errors -------------------------------------------------------
assert_fails 2 "RSA-1024 is refused" edge-keygen -d "$T" --bits 1024
assert_grep "names the size rule" "2048" "$T/err"
assert_fails 2 "private key to stdout is refused" edge-keygen -d "$T" -o -
assert_fails 2 "unknown type" edge-keygen -d "$T" --type dsa
assert_eq "a usage error is the error line then the usage line" "$(sed -n 2p "$T/err" | cut -c1-18)" "usage: edge-keygen"
assert_fails 2 "a PIN literal on the command line is refused" edge-keygen -d "$T" --pin 1234
assert_grep "the refusal names the secret forms" "file:PATH, cred:NAME, env:VAR, fd:N or -" "$T/err"
assert_fails 2 "--bits with EC is refused" edge-keygen -d "$T" --type ec --bits 3072

# --- bad state directories and key files --------------------------------
assert_fails 7 "missing state directory" edge-keygen -d "$T/nope"
assert_grep "error names the directory" "state directory: $T/nope" "$T/err"
ln -s "$S" "$T/link"
assert_fails 7 "symlinked state directory is refused" edge-keygen -d "$T/link"
assert_grep "says symbolic link" "symbolic link" "$T/err"
: > "$T/afile"
assert_fails 7 "state directory that is a file" edge-keygen -d "$T/afile"
W=$T/open; mkdir "$W"; chmod 777 "$W"
assert_fails 7 "a state directory others can write to is refused" edge-keygen -d "$W"
assert_grep "says writable by others" "writable by group or others (mode 777)" "$T/err"
[ ! -e "$W/key.pem" ] && ok "no key written there" || not_ok "no key written there"
O=$T/theirs; mkdir "$O"; chown nobody "$O" 2>/dev/null && {
	assert_fails 7 "a state directory owned by someone else is refused" edge-keygen -d "$O"
	assert_grep "says owned by another uid" "owned by uid" "$T/err"
} || skip "state directory owned by someone else" "cannot chown here"

B1=$T/bad; mkdir "$B1"
echo "garbage" > "$B1/key.pem"
assert_fails 3 "garbage key.pem" edge-keygen -d "$B1"
assert_grep "says not a PEM file" "key.pem: not a PEM file" "$T/err"
assert_one_error_line edge-keygen
assert_eq "garbage left as it was" "$(cat "$B1/key.pem")" "garbage"
openssl req -x509 -newkey rsa:2048 -nodes -keyout /dev/null -subj /CN=x -days 1 -out "$B1/key.pem" 2>/dev/null
assert_fails 3 "a certificate instead of a key" edge-keygen -d "$B1"
assert_grep "says it holds a certificate" "holds a certificate" "$T/err"
head -c 900 "$S/key.pem" > "$B1/key.pem"
assert_fails 3 "truncated key.pem" edge-keygen -d "$B1"
assert_grep "says not a valid private key" "not a valid private key" "$T/err"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$B1/key.pem" 2>/dev/null
assert_fails 3 "a weak existing key is reported, not kept" edge-keygen -d "$B1"
assert_grep "names the weakness" "key.pem: not an RSA-2048 key (found RSA-1024)" "$T/err"
assert_ok "--force replaces the weak key" edge-keygen -q -d "$B1" --force

if can_mount_tmpfs; then
	R=$T/ro; mkdir "$R"
	mount -t tmpfs -o ro,size=64k,mode=0700 tmpfs "$R" && on_exit "umount '$R'"
	assert_fails 7 "read-only state directory" edge-keygen -d "$R"
	assert_grep "names the file and the cause" "key.pem: cannot create: Read-only file system" "$T/err"

	F=$T/full; mkdir "$F"
	mount -t tmpfs -o size=64k,mode=0700 tmpfs "$F" && on_exit "umount '$F'"
	edge-keygen -q -d "$F" >/dev/null
	old=$(digest "$F/key.pem")
	dd if=/dev/zero of="$F/filler" bs=1k count=1000 2>/dev/null
	assert_fails 7 "disk full while replacing the key" edge-keygen -d "$F" --force
	assert_grep "says no space" "No space left" "$T/err"
	assert_eq "old key intact after disk full" "$(digest "$F/key.pem")" "$old"
	assert_eq "no temporary file after disk full" "$(ls -A "$F" | tr '\n' ' ')" "filler key.pem "
else
	skip "read-only state directory" "cannot mount tmpfs here"
	skip "disk full" "cannot mount tmpfs here"
fi

# --- configuration --------------------------------------------------------
S3=$T/conf; mkdir "$S3"
printf 'type = ec\n' > "$S3/edge.conf"
assert_ok "type from DIR/edge.conf" edge-keygen -d "$S3" --json
assert_json "edge.conf made an EC key" "$T/out" .type ec
# A config file is refused rather than half read or misread (exit 3).
S5=$T/strict; mkdir "$S5"
printf 'x = 1\0junk\ntype = ec\n' > "$S5/edge.conf"
assert_fails 3 "a NUL byte in edge.conf is refused" edge-keygen -d "$S5"
assert_grep "... naming its line" "edge.conf:1: NUL byte" "$T/err"
printf 'bits = 2048\nbits = 99999\n' > "$S5/edge.conf"
assert_fails 3 "a key given twice in edge.conf is refused" edge-keygen -d "$S5"
assert_grep "... naming both lines" "edge.conf:2: bits given again (first at line 1)" "$T/err"
printf 'TYPE = ec\n' > "$S5/edge.conf"
assert_fails 3 "an upper-case key in edge.conf is refused" edge-keygen -d "$S5"
assert_grep "... as no option name" 'edge.conf:1: "TYPE" is not an option name' "$T/err"
[ ! -e "$S5/key.pem" ] && ok "no key made from a refused edge.conf" || not_ok "no key made from a refused edge.conf"
printf '\357\273\277type = ec\n' > "$S5/edge.conf"
assert_ok "a UTF-8 byte order mark in edge.conf is skipped" edge-keygen -d "$S5" --json
assert_json "... and its first line read" "$T/out" .type ec
S4=$T/envdir; mkdir "$S4"
assert_ok "EDGE_DIR and EDGE_TYPE from the environment" env EDGE_DIR="$S4" EDGE_TYPE=ec edge-keygen --json
assert_json "environment made an EC key in EDGE_DIR" "$T/out" .path key.pem
[ -f "$S4/key.pem" ] && ok "key written in EDGE_DIR" || not_ok "key written in EDGE_DIR"
assert_fails 2 "--json failure prints an error object" edge-keygen -d "$T" --bits 512 --json
assert_json "error object has the exit code" "$T/out" .error.code 2

# --- token key (SoftHSM2) -------------------------------------------------
softhsm_setup edge 1234
echo 1234 > "$T/pin"; chmod 600 "$T/pin"
P=$T/tok; mkdir "$P"
URI='pkcs11:token=edge;object=edge-key'
# One rule for secret files: a PIN file others can read is refused (exit 7),
# before the token is asked.
cp "$T/pin" "$T/pin644"; chmod 644 "$T/pin644"
assert_fails 7 "a 0644 PIN file is refused" edge-keygen -d "$P" --pkcs11 "$URI" --pin "file:$T/pin644"
assert_grep "... naming the file and chmod 600" "^edge-keygen: --pin: $T/pin644: readable by others; it holds a secret (chmod 600)$" "$T/err"
[ ! -e "$P/key.uri" ] && ok "... and nothing made" || not_ok "... and nothing made"
cp "$T/pin" "$T/pin-other"; chown 65534 "$T/pin-other" 2>/dev/null
if [ "$(stat -c %u "$T/pin-other")" = 65534 ]; then
	assert_fails 7 "a PIN file of another user is refused" edge-keygen -d "$P" --pkcs11 "$URI" --pin "file:$T/pin-other"
	assert_grep "... naming its owner" "owned by uid 65534, neither this user nor root" "$T/err"
else
	skip "a PIN file of another user is refused" "cannot chown (not root)"; skip "... naming its owner" "not root"
fi
assert_ok "token key generated" edge-keygen -d "$P" --pkcs11 "$URI" --pin "file:$T/pin" --json
assert_json "location pkcs11" "$T/out" .location pkcs11
assert_json "RSA-2048 in the token" "$T/out" .bits 2048
[ ! -e "$P/key.pem" ] && ok "no key.pem for a token key" || not_ok "no key.pem for a token key"
assert_grep "key.uri names the object" "object=edge-key" "$P/key.uri"
assert_grep "key.uri names it by id" "id=%" "$P/key.uri"
assert_not_grep "key.uri holds no PIN" "pin-value" "$P/key.uri"
p11tool --login --set-pin=1234 --list-privkeys 'pkcs11:token=edge' > "$T/p11" 2>/dev/null
assert_grep "p11tool lists an RSA-2048 private key" "Private key (RSA-2048)" "$T/p11"
assert_grep "p11tool: sensitive" "CKA_SENSITIVE" "$T/p11"
assert_grep "p11tool: never extractable" "CKA_NEVER_EXTRACTABLE" "$T/p11"
tkid=$(jq -r .key_id "$T/out")
p11tool --export-pubkey "$(cat "$P/key.uri")" --login --set-pin=1234 2>/dev/null | openssl pkey -pubin -pubout -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1 > "$T/kid"
assert_eq "key id matches the token's public key" "$tkid" "sha256:$(cat "$T/kid")"

# key.uri names the module the token is in, so that the tools load that one
# only (bench/results R3.6); a module that is gone, or none named, and they
# look in every registered one.  glibc says at exit which it had loaded.
modules_loaded() {
	LD_DEBUG=files edge-csr -q -d "$1" --pin "file:$T/pin" --country CN --state Shanghai \
		--locality Shanghai --organization EnOS --org-unit Edge --cn GW-MOD -o - 2>&1 >/dev/null |
		sed -n 's|.*calling fini: .*/\([^/]*\.so\) .*|\1|p' | grep -E 'pkcs11|softhsm|p11-kit-trust' | sort -u | tr '\n' ' '
}
assert_grep "key.uri names the token's module (module-path, RFC 7512)" 'module-path=%2F.*libsofthsm2\.so' "$P/key.uri"
assert_eq "a tool with that key loads the SoftHSM2 module only" "$(modules_loaded "$P")" "libsofthsm2.so "
registered=$(p11-kit list-modules 2>/dev/null | grep -c '^[a-z]')
PM=$T/modgone; mkdir "$PM"; cp "$P/key.uri" "$PM/"
sed -i 's|module-path=[^&]*|module-path=%2Fnonexistent%2Flibgone.so|' "$PM/key.uri"
if [ "$registered" -gt 1 ]; then
	n=$(modules_loaded "$PM" | wc -w)
	[ "$n" -gt 1 ] && ok "a module-path that is gone: the key is looked for in every registered module ($n loaded)" ||
		not_ok "a module-path that is gone: the key is looked for in every registered module ($n loaded)"
else
	skip "a module-path that is gone: the key is looked for in every registered module" "only one PKCS#11 module registered"
fi
assert_ok "... and the request is made with it" edge-csr -q -d "$PM" --pin "file:$T/pin" --country CN --state Shanghai \
	--locality Shanghai --organization EnOS --org-unit Edge --cn GW-MOD -o "$T/mod.csr"
openssl req -in "$T/mod.csr" -verify -noout >/dev/null 2>&1 && ok "... which openssl verifies" || not_ok "... which openssl verifies"
# A module-path is followed only to a file that root or this user alone
# could have written: root auditing the edge user's directory (edge-check)
# must not run a library that user put there.
fini_lines() {
	LD_DEBUG=files edge-csr -q -d "$1" --pin "file:$T/pin" --country CN --state Shanghai \
		--locality Shanghai --organization EnOS --org-unit Edge --cn GW-MOD -o - 2>&1 >/dev/null | grep 'calling fini'
}
softhsm_so=$(sed -n 's|.*module-path=\([^&]*\).*|\1|p' "$P/key.uri" | sed 's|%2F|/|g')
PU=$T/untrusted; mkdir -p "$PU/lib"; cp "$softhsm_so" "$PU/lib/"; chmod 755 "$PU" "$PU/lib"
sed "s|module-path=[^&]*|module-path=$(echo "$PU/lib/libsofthsm2.so" | sed 's|/|%2F|g')|" "$P/key.uri" > "$PM/key.uri"
chmod 775 "$PU/lib"
fini_lines "$PM" > "$T/fini"
assert_not_grep "a module in a directory its group may write to is not loaded" "$PU/lib" "$T/fini"
assert_grep "... the key is looked for in the registered modules" "libsofthsm2.so" "$T/fini"
chmod 755 "$PU/lib"
if chown 65534 "$PU/lib/libsofthsm2.so" 2>/dev/null && [ "$(id -u)" != 65534 ]; then
	fini_lines "$PM" > "$T/fini"
	assert_not_grep "a module owned by another user is not loaded" "$PU/lib" "$T/fini"
else
	skip "a module owned by another user is not loaded" "cannot chown (not root)"
fi
chown "$(id -u)" "$PU/lib/libsofthsm2.so"
fini_lines "$PM" > "$T/fini"
assert_grep "the same module, this user's and not writable by others: loaded" "$PU/lib/libsofthsm2.so" "$T/fini"
# What is loaded is the file checked: a link is resolved first (one swapped
# between the check and the load would not be followed).
ln -s "$PU/lib/libsofthsm2.so" "$PU/mod.so"
sed "s|module-path=[^&]*|module-path=$(echo "$PU/mod.so" | sed 's|/|%2F|g')|" "$P/key.uri" > "$PM/key.uri"
fini_lines "$PM" > "$T/fini"
assert_grep "a module-path through a link: the resolved file is loaded" "calling fini: $PU/lib/libsofthsm2.so" "$T/fini"
assert_not_grep "... not the link" "$PU/mod.so" "$T/fini"
# edge-check as root may audit the edge user's directory: that user's key.uri
# does not choose a library for root (a root-owned one has constructors too).
if [ "$(id -u)" = 0 ] && [ "$registered" -gt 1 ]; then
	PO=$T/other-user; mkdir "$PO"; cp "$P/key.uri" "$PO/"; chmod 700 "$PO"; chown -R 65534 "$PO"
	LD_DEBUG=files edge-check -d "$PO" --pin "file:$T/pin" > /dev/null 2> "$T/check.ld"
	n=$(grep 'calling fini' "$T/check.ld" | grep -cE 'pkcs11|softhsm|p11-kit-trust')
	[ "$n" -gt 1 ] && ok "edge-check as root on another user's directory: its module-path is not followed ($n modules)" ||
		not_ok "edge-check as root on another user's directory: its module-path is not followed ($n modules)"
	chown -R 0 "$PO"
	LD_DEBUG=files edge-check -d "$PO" --pin "file:$T/pin" > /dev/null 2> "$T/check.ld"
	n=$(grep 'calling fini' "$T/check.ld" | grep -cE 'pkcs11|softhsm|p11-kit-trust')
	assert_eq "... on its own directory, it is (one module)" "$n" 1
else
	skip "edge-check as root on another user's directory: its module-path is not followed" "not root, or one PKCS#11 module registered"
	skip "... on its own directory, it is (one module)" "not root, or one PKCS#11 module registered"
fi
sed 's|?module-path=[^&]*||' "$P/key.uri" > "$PM/key.uri"
assert_ok "a key.uri without module-path (an older edge-keygen) still works" edge-csr -q -d "$PM" --pin "file:$T/pin" \
	--country CN --state Shanghai --locality Shanghai --organization EnOS --org-unit Edge --cn GW-MOD -o "$T/mod.csr"

assert_ok "token key kept on a second run (PIN from EDGE_PIN)" env EDGE_PIN=1234 edge-keygen -d "$P" --pkcs11 "$URI" --json
assert_json "second run unchanged" "$T/out" .changed false
echo 9999 > "$T/badpin"; chmod 600 "$T/badpin"
cp "$P/key.uri" "$T/uri.before"
assert_fails 7 "wrong PIN" edge-keygen -d "$P" --pin "file:$T/badpin"
assert_grep "says wrong PIN" "wrong or missing token PIN" "$T/err"
assert_eq "key.uri unchanged after a wrong PIN" "$(cat "$P/key.uri")" "$(cat "$T/uri.before")"
assert_fails 7 "URI matching no token" edge-keygen -d "$T/ec" --force --pkcs11 'pkcs11:token=nosuch' --pin "file:$T/pin"
assert_grep "says no token matches" "no token matches" "$T/err"
assert_fails 2 "pin-value in the URI is refused" edge-keygen -d "$T/ec" --force --pkcs11 'pkcs11:token=edge;pin-value=1234'
P2=$T/tok2; mkdir "$P2"
assert_fails 1 "same label in the token without --force" edge-keygen -d "$P2" --pkcs11 "$URI" --pin "file:$T/pin"
assert_grep "says the label is taken" "already holds a key labelled 'edge-key'" "$T/err"
assert_ok "--force replaces the token key" edge-keygen -d "$P" --force --pkcs11 "$URI" --pin "file:$T/pin" --json
n=$(p11tool --login --set-pin=1234 --list-privkeys 'pkcs11:token=edge;object=edge-key' 2>/dev/null | grep -c '^Object')
assert_eq "exactly one key with that label afterwards" "$n" 1
[ "$(cat "$P/key.uri")" != "$(cat "$T/uri.before")" ] && ok "key.uri names the new key" || not_ok "key.uri names the new key"
assert_ok "EC key in the token" edge-keygen -d "$P2" --type ec --pkcs11 'pkcs11:token=edge;object=edge-ec' --pin "file:$T/pin" --json
assert_json "EC P-256 in the token" "$T/out" .bits 256

done_testing
