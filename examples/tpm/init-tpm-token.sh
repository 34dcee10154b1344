#!/bin/sh
# SPDX-License-Identifier: MIT
#
# init-tpm-token.sh: make the tpm2-pkcs11 store and one token in it, once.
#
#   init-tpm-token.sh [-s STORE] [-l LABEL] -u USER_PIN_FILE -S SO_PIN_FILE
#
# On a field gateway the TPM is /dev/tpmrm0 (the kernel resource manager) and
# the defaults fit: TCTI device:/dev/tpmrm0, store /etc/tpm2_pkcs11, token
# label "edge".  Tests point it at a software TPM instead through the same
# variables the tpm2-pkcs11 library reads itself:
#
#   TPM2_PKCS11_TCTI   TCTI of the TPM (default device:/dev/tpmrm0), e.g.
#                      tabrmd:bus_type=session for tpm2-abrmd on a session bus
#   TPM2_PKCS11_STORE  store directory (default /etc/tpm2_pkcs11, the first
#                      place the library looks when the variable is unset)
#
# Idempotent: an existing store is reused, and when a token with LABEL is
# already there nothing is changed (exit 0, "nothing to do").
#
# PINs come from files (mode 0600 or stricter, owned by the caller, first
# line used).  They never appear on this script's command line, nor on
# tpm2_ptool's: tpm2_ptool only takes --userpin/--sopin as arguments, where
# any local user could read them in /proc/PID/cmdline while it runs, so the
# script runs tpm2_ptool's own Python entry point in-process with an argument
# vector built inside Python from the PIN files.  What remains visible:
# tpm2_ptool hands the TPM tools it spawns (tpm2_create, tpm2_unseal) a salted
# hash of each PIN as an object password (-p), for the fraction of a second
# each runs.  On a gateway, mount /proc with hidepid=2 to close that too.
#
# Exit status: 0 done or nothing to do, 2 usage, 3 bad PIN file,
# 7 TPM or store error (the edgecert convention).

set -eu

prog=${0##*/}
STORE=${TPM2_PKCS11_STORE:-/etc/tpm2_pkcs11}
TCTI=${TPM2_PKCS11_TCTI:-device:/dev/tpmrm0}
LABEL=edge
USER_PIN_FILE=
SO_PIN_FILE=

usage() {
	echo "usage: $prog [-s STORE] [-l LABEL] -u USER_PIN_FILE -S SO_PIN_FILE" >&2
	exit 2
}
die() { rc=$1; shift; echo "$prog: $*" >&2; exit "$rc"; }
say() { echo "$prog: $*"; }

while getopts s:l:u:S:h opt; do
	case $opt in
	s) STORE=$OPTARG ;;
	l) LABEL=$OPTARG ;;
	u) USER_PIN_FILE=$OPTARG ;;
	S) SO_PIN_FILE=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage
if [ -z "$USER_PIN_FILE" ] || [ -z "$SO_PIN_FILE" ]; then usage; fi
[ -n "$LABEL" ] || die 2 "the token label must not be empty"

# A PIN file must be a regular file nobody else can read and hold a PIN: the
# tools' rule for secret files (secrets.md), exit 7.
check_pin_file() {
	[ -f "$1" ] || die 3 "$1: not a regular file"
	[ -r "$1" ] || die 3 "$1: cannot read"
	[ $((0$(stat -c %a "$1") & 077)) -eq 0 ] ||
		die 7 "$1: readable by others; it holds a secret (chmod 600)"
	case $(stat -c %u "$1") in
	"$(id -u)" | 0) ;;
	*) die 7 "$1: owned by uid $(stat -c %u "$1"), neither this user nor root; it holds a secret (chown, chmod 600)" ;;
	esac
	[ -n "$(head -n 1 "$1")" ] || die 3 "$1: empty; the PIN is the first line"
}
check_pin_file "$USER_PIN_FILE"
check_pin_file "$SO_PIN_FILE"

ptool_path=$(command -v tpm2_ptool) ||
	die 7 "tpm2_ptool not found (Debian package libtpm2-pkcs11-tools)"
# The interpreter tpm2_ptool runs with (its #! line), which has its modules.
PYTHON=$(sed -n '1s/^#![[:space:]]*//p' "$ptool_path")
if [ -z "$PYTHON" ] || ! command -v "${PYTHON%% *}" >/dev/null 2>&1; then
	die 7 "$ptool_path: cannot tell its Python interpreter"
fi

# tpm2_ptool and the tools it runs use these; the PKCS#11 module reads them
# too, so the same values must be set for edge-keygen and the other tools.
TPM2_PKCS11_TCTI=$TCTI
TPM2TOOLS_TCTI=$TCTI
export TPM2_PKCS11_TCTI TPM2TOOLS_TCTI

# ptool ARGS...: tpm2_ptool ARGS --path STORE; the values of --userpin-file
# and --sopin-file are replaced, inside Python, by the first line of the file.
ptool() {
	$PYTHON - "$@" --path "$STORE" <<'EOF'
import sys
from tpm2_pkcs11.tpm2_ptool import main

args = ["tpm2_ptool"]
it = iter(sys.argv[1:])
for a in it:
    if a in ("--userpin-file", "--sopin-file"):
        with open(next(it), encoding="utf-8") as f:
            pin = f.readline().rstrip("\r\n")
        args += [a[:-len("-file")], pin]
    else:
        args.append(a)
sys.argv = args
sys.exit(main())
EOF
}

# The TPM must answer before anything is written.
if ! err=$(tpm2_getcap properties-fixed 2>&1 >/dev/null); then
	printf '%s\n' "$err" | tail -n 3 | sed 's/^/  /' >&2
	die 7 "no TPM reachable through TCTI $TCTI"
fi

# The store: a directory holding tpm2_pkcs11.sqlite3.
if [ ! -d "$STORE" ]; then
	# shellcheck disable=SC2174 # 0700 is for the store itself, not its parents
	mkdir -p -m 0700 "$STORE" || die 7 "$STORE: cannot create the store directory"
fi
[ -w "$STORE" ] || die 7 "$STORE: store directory not writable"

# primary_ids: the ids of the primary objects the store knows, one a line.
primary_ids() {
	prim=$(ptool listprimaries 2>&1) || die 7 "$STORE: cannot read the store: $prim"
	printf '%s\n' "$prim" | sed -n 's/^[- ]*id: *\([0-9][0-9]*\)$/\1/p'
}

# The token: nothing to do when one with this label exists (under any
# primary object).
pids=
if [ -f "$STORE/tpm2_pkcs11.sqlite3" ]; then
	pids=$(primary_ids)
	for p in $pids; do
		toks=$(ptool listtokens --pid "$p" 2>&1) ||
			die 7 "$STORE: cannot list the tokens: $toks"
		if printf '%s\n' "$toks" | grep -Fqx "  label: $LABEL"; then
			say "token '$LABEL' already in $STORE; nothing to do"
			exit 0
		fi
	done
fi

# The primary object: reuse the first one the store knows, else make it.
pid=
for p in $pids; do pid=$p; break; done
if [ -z "$pid" ]; then
	out=$(ptool init 2>&1) || die 7 "tpm2_ptool init failed: $out"
	# It prints "action: Created" and "id: N".
	pid=$(printf '%s\n' "$out" | sed -n 's/^id: *\([0-9][0-9]*\)$/\1/p' | head -n 1)
	[ -n "$pid" ] || die 7 "tpm2_ptool init gave no primary object id: $out"
	say "store $STORE initialised (primary object $pid)"
fi

out=$(ptool addtoken --pid "$pid" --label "$LABEL" \
	--userpin-file "$USER_PIN_FILE" --sopin-file "$SO_PIN_FILE" 2>&1) ||
	die 7 "tpm2_ptool addtoken failed: $out"
say "token '$LABEL' added to $STORE"
