#!/bin/bash
# SPDX-License-Identifier: MIT
#
# provision-gateway.sh: enrol one edge gateway, for the field technician.
#
#   provision-gateway.sh [CONFIG]          (default: ./gateway.env)
#
# Runs on the gateway itself (bash 4.4 or later, flock from util-linux) and
# chains the edgecert tools:
#
#   edge-keygen      the gateway's key (inside the token when PKCS11_URI is set, else a file)
#   edge-csr         the certificate request, CN = the serial number
#   edge-provision   registration at the hub (device id and device secret)
#   edge-activate    the certificate, checked against the key and the root CA
#   edge-crl-update  the current CRL
#   edge-connect     one MQTT session as a smoke test (when edge-connect is installed)
#
# and writes DIR/edge.conf so that edge-connect and the timers of
# examples/systemd/ find the hub without options.  It prints one line per
# step.  Every step is idempotent, so after any failure the technician fixes
# the cause (or waits, for exit 4) and runs the script again; a run on an
# enrolled gateway changes nothing and ends with "nothing changed".
#
# CONFIG is a small file of NAME=value lines (no shell code is run from it;
# values may be quoted with "..." or '...'; '#' starts a comment line; a
# file saved with Windows line ends (CRLF) is read as well):
#
#   SERIAL=GW-0001                        serial number: device key and CN (required)
#   PRODUCT_KEY=abcd1234                  the gateway's product (required)
#   API=https://apigw.example.com         hub API gateway (required)
#   PORTAL=https://portal.example.com     CA and CRL host (default: API)
#   MQTT=mqtts://mqtt.example.com:18883   hub broker (recorded for edge-connect)
#   CREDENTIALS=/media/usb/credentials    application credentials file (org_id,
#                                         access_key, secret_key; mode 0600) (required)
#   HUB_CA=/etc/edge/hub-ca.pem           trust for the hub's HTTPS endpoints
#                                         (default: the system store)
#   ROOT_CA=/etc/edge/enos-root.pem       EnOS root CA to pin: the certificate must
#                                         chain to it; C, ST and O of the request come
#                                         from it (default: DIR/ca.pem, else the hub's)
#   EDGE_DIR=/var/lib/edge                state directory (created 0700, new parents
#                                         0755); an existing one must be empty or this
#                                         gateway's: only state files of the tools, and
#                                         its device.json names SERIAL (else exit 3,
#                                         before any step; another gateway's directory
#                                         is never changed)
#   PKCS11_URI=pkcs11:token=edge;object=edge-key   key in this token instead of a file
#   PIN_FILE=/run/edge/pin                the token PIN, in a file (needed with PKCS11_URI)
#   KEY_TYPE=rsa                          rsa (2048) or ec (P-256)
#   LICENSE=LIC-0001                      license, stored as a device tag
#   COUNTRY= STATE= ORGANIZATION=         subject fields when there is no ROOT_CA
#   LOCALITY=Shanghai                     subject L (required)
#   ORG_UNIT=Edge Gateways                subject OU (required)
#   TIMEOUT=30  RETRIES=3                 per hub request (see the tools' --timeout, --retries)
#   SMOKE_TEST=auto                       auto: run edge-connect if installed; yes; no
#   RENEWAL=gateway                       who renews the certificate (see README, Renewal):
#                                         gateway: the credentials are kept on the gateway
#                                         (RENEW_FILE, 0600, named in edge.conf) so
#                                         edge-renew.timer renews unattended;
#                                         control-node: nothing of them is kept, and the
#                                         script ends with the date by which the control
#                                         node must renew
#   RENEW_CREDENTIALS=/media/usb/renew    the credentials kept for renewal (default:
#                                         CREDENTIALS; best an application limited to the
#                                         certificate service; mode 0600)
#   RENEW_FILE=/etc/edge/renew.credentials  where RENEWAL=gateway keeps them: DIR/
#                                         renew.credentials (the default) or /etc/edge/
#                                         renew.credentials (the only one, and the default,
#                                         with INSTALL_UNITS=yes), nothing else; not with
#                                         RENEWAL=control-node.  The units of
#                                         examples/systemd/ run as the user edge and load
#                                         /etc/edge/renew.credentials (root, 0600) as a
#                                         credential.  Its directory must exist; a copy
#                                         in DIR is removed
#   INSTALL_UNITS=no                      yes (as root): install and enable the units of
#                                         examples/systemd/ (see Units below)
#
# For tests only, from the environment (a CONFIG naming one is refused, exit 2):
#   UNITS_DIR    where the units are (default: the directory systemd beside this script)
#   SYSTEMD_DIR  where they go (default /etc/systemd/system)
#   ETC_DIR      where the PIN and renew.credentials go for the units (default /etc/edge,
#                where the units load them from)
#   LOCK_DIR     where a run as root keeps its lock (default /run/edgecert)
#
# Every value is checked before any step runs (exit 2 naming the value, and
# nothing is created):
#   SERIAL, PRODUCT_KEY   1 to 64 letters, digits, '_', '-', '.' or ':' (EnOS keys)
#   API, PORTAL           https://HOST...; MQTT mqtts://HOST:PORT; URL characters
#                         only (no whitespace, quotes or control characters)
#   CREDENTIALS, RENEW_CREDENTIALS, RENEW_FILE, HUB_CA, ROOT_CA, EDGE_DIR, PIN_FILE,
#   UNITS_DIR, SYSTEMD_DIR, ETC_DIR, LOCK_DIR
#                         absolute paths without whitespace, control characters
#                         or glob characters (* ? [ ] \)
#   EDGE_DIR              also canonical (no '.', '..', '//', trailing '/' or
#                         symbolic link) and no '%' (systemd expands it in units)
#   a name given twice (both lines named), a NUL byte (its line named)
#   PKCS11_URI            pkcs11:..., URL characters only
#   TIMEOUT 1 to 3600, RETRIES 0 to 100 (the tools' ranges)
#   KEY_TYPE rsa|ec, RENEWAL gateway|control-node, SMOKE_TEST auto|yes|no,
#   INSTALL_UNITS yes|no
#   COUNTRY two upper-case letters; STATE, ORGANIZATION, LOCALITY, ORG_UNIT
#                         1 to 64 characters of UTF-8 text without control
#                         characters; LICENSE the same, up to 256
# Each value reaches a tool as one argument, never split or globbed, and no
# value can add a line or an option to edge.conf.
#
# Secrets never appear on a command line: the credentials and the PIN are
# handed to the tools as file paths (--credentials FILE, --pin file:PATH).
# Secret files (CREDENTIALS, RENEW_CREDENTIALS, PIN_FILE) must belong to the
# user running the script (or root) and give group and others no access, as
# the tools require (exit 7 otherwise), and be no symbolic link (exit 3).
#
# As root with INSTALL_UNITS=yes the first step is
#   user       the system user edge (useradd -r -U -M -d / -s /usr/sbin/nologin
#              edge) if missing; with PKCS11_URI, edge joins the group tss
# and the state directory is edge's (0700) from the moment it is made (one
# an earlier version left root's is given to edge): every tool and every read
# or write in it runs as edge (setpriv), never as root, so nothing edge plants
# there (a link, a FIFO) acts on root, and a rerun leaves a running
# edge-connect its directory.  The tools get copies of CREDENTIALS, PIN_FILE,
# HUB_CA and ROOT_CA that edge can read, removed at the end of the run.
# Units (INSTALL_UNITS=yes, as root), after the smoke test, one line each:
#   units      the units of UNITS_DIR copied to SYSTEMD_DIR (0644)
#   drop-ins   with PKCS11_URI, tpm.conf for edge-connect and edge-renew
#              (SYSTEMD_DIR/UNIT.service.d/tpm.conf); when EDGE_DIR is not
#              /var/lib/edge, edge-dir.conf for the three tool services
#              (Environment=EDGE_DIR=, ReadWritePaths=) and edge-cert-changed.path
#              (the files it watches)
#   pin        with PKCS11_URI, PIN_FILE copied to ETC_DIR/tpm-user.pin (root
#              0600), which tpm.conf loads as the credential "pin"
#   owner      edge owns the state directory and reaches it (a parent closed
#              to others: exit 7, else edge-connect.service would restart for ever)
#   systemd    systemctl daemon-reload, enable edge-connect.service,
#              edge-crl-update.timer, edge-cert-changed.path and, with
#              RENEWAL=gateway, edge-renew.timer (disabled otherwise); when
#              systemd is not running (no /run/systemd/system) it says so and
#              skips this
# RENEWAL=gateway then keeps the credentials in ETC_DIR/renew.credentials (root
# 0600), the file edge-renew.service loads.
#
# One run at a time per state directory: the script holds a lock (flock) on
# DIR/.provision.lock, or as root on LOCK_DIR/HASH.lock (HASH from EDGE_DIR;
# /run/edgecert, root's 0700), from the state directory step to its end.  A
# second run on the same directory does not wait: it exits 4 at once,
# naming the PID of the run that holds the lock.  (The tools lock the
# directory itself for each step, as they always do.)
#
# A failed step prints the tool's own error message (from its --json
# answer, read without jq) and what its exit status means.  Ctrl-C (SIGINT),
# SIGTERM or SIGHUP stop the running tool, name the step the run stopped at
# and exit 130, 143 or 129; temporary files are removed, and running the
# script again carries on.  The temporary files it writes beside edge.conf and
# RENEW_FILE are named as the tools name theirs (.NAME.PID.XXXXXXXX.tmp), so
# that the next run (or a tool's sweep of the state directory) removes those
# of a killed run.
#
# Exit status: the status of the step that failed, with the edgecert meaning
# (see README.md): 3 = EDGE_DIR is not this gateway's state directory (or a
# secret file is a link); 4 = temporary (hub unreachable, or another run holds the
# state directory), run the script again later; 5 = refused by the hub;
# 6 = trust failure; 7 = local storage or token; 8 = revoked; 2 = a mistake
# in CONFIG or the script's use; 129, 130, 143 = stopped by a signal.

# Started with sh: this is a bash script (arrays).
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi

set -euf -o pipefail

prog=${0##*/}
say() { printf '%s\n' "$*"; }
die() { local rc=$1; shift; printf '%s: %s\n' "$prog" "$*" >&2; exit "$rc"; }

((BASH_VERSINFO[0] > 4 || (BASH_VERSINFO[0] == 4 && BASH_VERSINFO[1] >= 4))) ||
	die 2 "bash 4.4 or later is needed (this is $BASH_VERSION)"
[[ $# -le 1 ]] || die 2 "usage: $prog [CONFIG]"
case ${1:-} in -h|--help) sed -n '4,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;; esac
CONFIG=${1:-./gateway.env}
[[ -f $CONFIG && -r $CONFIG ]] || die 2 "$CONFIG: no such config file (see $prog --help)"

# Before the first step: the step a signal stops the run at.
name="(checking $CONFIG)"
child=
on_signal() { # SIG STATUS
	trap '' INT TERM HUP
	if [[ -n $child ]]; then
		kill -TERM "$child" 2>/dev/null || true
		wait "$child" 2>/dev/null || true
	fi
	printf '%-11s INTERRUPTED (SIG%s)\n' "$name" "$1"
	printf '%s: stopped at %s by SIG%s; run %s again to carry on\n' "$prog" "$name" "$1" "$prog" >&2
	exit "$2"
}
trap 'on_signal INT 130' INT
trap 'on_signal TERM 143' TERM
trap 'on_signal HUP 129' HUP

# --- configuration -----------------------------------------------------------
NAMES=(SERIAL PRODUCT_KEY API PORTAL MQTT CREDENTIALS HUB_CA ROOT_CA EDGE_DIR PKCS11_URI
	PIN_FILE KEY_TYPE LICENSE COUNTRY STATE ORGANIZATION LOCALITY ORG_UNIT TIMEOUT RETRIES
	SMOKE_TEST RENEWAL RENEW_CREDENTIALS RENEW_FILE INSTALL_UNITS)
# For tests only, and only from the environment: a CONFIG from a USB stick
# must not choose where root installs units or writes its files.
TEST_NAMES=(UNITS_DIR SYSTEMD_DIR ETC_DIR LOCK_DIR)
for v in "${NAMES[@]}"; do printf -v "$v" '%s' ''; done
EDGE_DIR=/var/lib/edge KEY_TYPE=rsa TIMEOUT=30 RETRIES=3 SMOKE_TEST=auto RENEWAL=gateway
INSTALL_UNITS=no
SYSTEMD_DIR=${SYSTEMD_DIR:-/etc/systemd/system} ETC_DIR=${ETC_DIR:-/etc/edge}
LOCK_DIR=${LOCK_DIR:-/run/edgecert}
UNITS_DIR=${UNITS_DIR:-$(cd -- "$(dirname -- "$0")" && pwd)/systemd}
# read drops a NUL byte silently (SERIAL=GW-1<NUL>--force would be GW-1--force).
n=$(LC_ALL=C grep -naP -m 1 '\x00' -- "$CONFIG" | cut -d: -f1) || true
[[ -z $n ]] || die 2 "$CONFIG:$n: a NUL byte in the line"
declare -A seen=()
n=0
while IFS= read -r line || [[ -n $line ]]; do
	n=$((n + 1))
	[[ $n -ne 1 ]] || line=${line#$'\xef\xbb\xbf'}	# a Windows editor's byte order mark
	line=${line%$'\r'}				# and its line end
	[[ $line != *$'\r'* ]] ||
		die 2 "$CONFIG:$n: a carriage return inside the line (only one at the line end is removed)"
	[[ $line =~ ^[[:space:]]*(#.*)?$ ]] && continue
	name_=${line%%=*}
	[[ $name_ != "$line" ]] || die 2 "$CONFIG:$n: not NAME=value"
	value=${line#*=}
	case $value in
		\"*\") value=${value#\"}; value=${value%\"} ;;
		\'*\') value=${value#\'}; value=${value%\'} ;;
	esac
	if [[ " ${TEST_NAMES[*]} " == *" $name_ "* ]]; then
		die 2 "$CONFIG:$n: $name_ is for tests only and is read from the environment, not from $CONFIG"
	fi
	[[ " ${NAMES[*]} " == *" $name_ "* && $name_ =~ ^[A-Z_0-9]+$ ]] ||
		die 2 "$CONFIG:$n: unknown name $(printf %q "$name_")"
	# The last of two would win silently: the technician may have edited the wrong one.
	[[ -z ${seen[$name_]:-} ]] || die 2 "$CONFIG:$n: $name_ given twice (lines ${seen[$name_]} and $n)"
	seen[$name_]=$n
	printf -v "$name_" '%s' "$value"
done < "$CONFIG"

# bad NAME WHY: the value of NAME is refused (exit 2, before any step).
bad() { die 2 "$CONFIG: $1=$(printf %q "${!1}"): $2"; }
# The checks below match bytes (LC_ALL=C) unless they say otherwise.
key_rule() {
	local LC_ALL=C
	[[ ${!1} =~ ^[A-Za-z0-9_.:-]{1,64}$ ]] ||
		bad "$1" "not an EnOS key (1 to 64 letters, digits, '_', '-', '.' or ':')"
}
integer() { # NAME MIN MAX
	local LC_ALL=C
	if ! [[ ${!1} =~ ^[0-9]{1,9}$ ]] || (( 10#${!1} < $2 || 10#${!1} > $3 )); then
		bad "$1" "expected a number from $2 to $3"
	fi
}
url_chars() { # NAME: characters a URL may hold, nothing that splits, quotes or adds a line
	local LC_ALL=C re="^[]A-Za-z0-9._~%!\$&'()*+,;=:@/?#[-]+\$"
	[[ ${!1} != *[[:space:][:cntrl:]]* ]] || bad "$1" "whitespace or a control character"
	[[ ${!1} =~ $re ]] || bad "$1" "a character a URL cannot hold"
}
url() { # NAME SCHEME
	[[ ${!1} == "$2://"[!/]* ]] || bad "$1" "expected a $2:// URL"
	url_chars "$1"
}
path() { # NAME
	local LC_ALL=C
	[[ ${!1} == /* ]] || bad "$1" "expected an absolute path"
	[[ ${!1} != *[[:space:][:cntrl:]]* ]] || bad "$1" "whitespace or a control character in a path"
	[[ ${!1} != *[][*?\\]* ]] || bad "$1" "a glob character (* ? [ ] \\) in a path"
}
text() { # NAME MAX: UTF-8 text of 1 to MAX characters, no control characters
	# (C0, DEL, C1): edge-csr's rule, by bytes, so that no UTF-8 locale is needed
	local LC_ALL=C v=${!1} re=$'^([\x20-\x7e]|\xc2[\xa0-\xbf]|[\xc3-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3})*$'
	local chars=${v//[$'\x80'-$'\xbf']/}	# less the continuation bytes
	[[ $v != *[[:cntrl:]]* && $v != *$'\xc2'[$'\x80'-$'\x9f']* ]] || bad "$1" "a control character"
	[[ $v =~ $re ]] || bad "$1" "not UTF-8 text"
	(( ${#chars} >= 1 && ${#chars} <= $2 )) || bad "$1" "expected 1 to $2 characters"
}
choice() { # NAME CHOICES...
	local v=${!1} c w=$1
	shift
	for c in "$@"; do [[ $v != "$c" ]] || return 0; done
	c=${*:1:$#-1}
	bad "$w" "$w must be ${c// /, } or ${*: -1}"
}

for v in SERIAL PRODUCT_KEY API CREDENTIALS LOCALITY ORG_UNIT; do
	[[ -n ${!v} ]] || die 2 "$CONFIG: $v is not set"
done
[[ -n $PORTAL ]] || PORTAL=$API
key_rule SERIAL
key_rule PRODUCT_KEY
url API https
url PORTAL https
[[ -z $MQTT ]] || url MQTT mqtts
for v in CREDENTIALS RENEW_CREDENTIALS RENEW_FILE HUB_CA ROOT_CA EDGE_DIR PIN_FILE UNITS_DIR \
	SYSTEMD_DIR ETC_DIR LOCK_DIR; do
	[[ -z ${!v} ]] || path "$v"
done
# EDGE_DIR is written into unit files (systemd expands %) and is the
# directory root hands to edge: one canonical spelling, no link in it.
[[ $EDGE_DIR != *%* ]] || bad EDGE_DIR "a '%' in the path (systemd would expand it in a unit)"
[[ ! -L $EDGE_DIR ]] || die 7 "$EDGE_DIR: is a symbolic link"
[[ $EDGE_DIR != / && $(realpath -m -- "$EDGE_DIR") == "$EDGE_DIR" ]] ||
	bad EDGE_DIR "not a canonical path (no '.', '..', '//', trailing '/' or symbolic link in it)"
if [[ -n $PKCS11_URI ]]; then
	[[ $PKCS11_URI == pkcs11:* ]] || bad PKCS11_URI "expected a pkcs11: URI"
	url_chars PKCS11_URI
fi
integer TIMEOUT 1 3600
integer RETRIES 0 100
choice KEY_TYPE rsa ec
choice RENEWAL gateway control-node
choice SMOKE_TEST auto yes no
choice INSTALL_UNITS yes no
if [[ -n $COUNTRY ]]; then
	(LC_ALL=C; [[ $COUNTRY =~ ^[A-Z]{2}$ ]]) || bad COUNTRY "expected two upper-case letters"
fi
for v in STATE ORGANIZATION LOCALITY ORG_UNIT; do
	[[ -z ${!v} ]] || text "$v" 64
done
[[ -z $LICENSE ]] || text LICENSE 256
if [[ $RENEWAL == control-node && -n $RENEW_CREDENTIALS ]]; then
	die 2 "RENEW_CREDENTIALS is set but RENEWAL=control-node keeps none"
fi
[[ $RENEWAL != gateway || -n $RENEW_CREDENTIALS ]] || RENEW_CREDENTIALS=$CREDENTIALS
# The copy in the state directory (the default, and the one to remove when
# RENEW_FILE is elsewhere or RENEWAL=control-node).
DIR_RENEW_FILE=${EDGE_DIR%/}/renew.credentials
UNITS=(edge-connect.service edge-crl-update.service edge-crl-update.timer edge-renew.service
	edge-renew.timer edge-cert-changed.service edge-cert-changed.path)
# renew_file_rule: RENEW_FILE is one of the two files the script may write and
# delete (a CONFIG naming /root/.ssh/authorized_keys or /etc/passwd must not).
renew_file_rule() {
	[[ $RENEWAL == gateway || -z $RENEW_FILE ]] ||
		bad RENEW_FILE "RENEWAL=control-node keeps no credentials"
	[[ -n $RENEW_FILE ]] || RENEW_FILE=$DIR_RENEW_FILE
	if [[ $INSTALL_UNITS == yes ]]; then
		# The tools run as edge: root writes no secret into edge's directory.
		[[ $RENEW_FILE == "$ETC_DIR/renew.credentials" ]] ||
			bad RENEW_FILE "with INSTALL_UNITS=yes only $ETC_DIR/renew.credentials (the units load it)"
	else
		[[ $RENEW_FILE == "$DIR_RENEW_FILE" || $RENEW_FILE == "$ETC_DIR/renew.credentials" ]] ||
			bad RENEW_FILE "only $DIR_RENEW_FILE or $ETC_DIR/renew.credentials"
		[[ $RENEW_FILE == "$DIR_RENEW_FILE" || -d $ETC_DIR ]] ||
			die 2 "RENEW_FILE=$RENEW_FILE: no directory $ETC_DIR/"
	fi
	[[ ! -d $RENEW_FILE ]] || bad RENEW_FILE "a directory; expected a file name"
}
ETC_DIR=${ETC_DIR%/}
if [[ $INSTALL_UNITS == yes ]]; then
	ETC_DIR=${ETC_DIR%/} SYSTEMD_DIR=${SYSTEMD_DIR%/} UNITS_DIR=${UNITS_DIR%/}
	[[ $(id -u) -eq 0 ]] || die 2 "INSTALL_UNITS=yes: run $prog as root"
	for u in "${UNITS[@]}" tpm.conf; do
		[[ -f $UNITS_DIR/$u ]] || die 2 "INSTALL_UNITS=yes: no $u in UNITS_DIR=$UNITS_DIR"
	done
	[[ -d $SYSTEMD_DIR ]] || die 2 "SYSTEMD_DIR=$SYSTEMD_DIR: no such directory"
	getent passwd edge >/dev/null || command -v useradd >/dev/null 2>&1 ||
		die 2 "INSTALL_UNITS=yes: no user edge and no useradd to make it"
	[[ -n $RENEW_FILE || $RENEWAL != gateway ]] || RENEW_FILE=$ETC_DIR/renew.credentials
fi
renew_file_rule
[[ -z $PKCS11_URI || -n $PIN_FILE ]] || die 2 "PKCS11_URI is set: PIN_FILE must name a readable file"

# secret_file NAME: the file $NAME names is readable, and by nobody else (the
# tools' rule for secret files: mode & 077 == 0, owned by this user or root).
secret_file() {
	local f=${!1} mode uid
	[[ ! -L $f ]] || die 3 "$f: is a symbolic link; refusing to follow it"
	[[ -r $f && -f $f ]] || die 2 "$1=$f: cannot read the file"
	mode=$(stat -L -c %a -- "$f") uid=$(stat -L -c %u -- "$f")
	(( (8#$mode & 8#077) == 0 )) || die 7 "$f: readable by others; it holds a secret (chmod 600)"
	[[ $uid == "$(id -u)" || $uid == 0 ]] || die 7 "$f: owned by another user; it holds a secret"
}
secret_file CREDENTIALS
[[ $RENEWAL != gateway ]] || secret_file RENEW_CREDENTIALS
[[ -z $PKCS11_URI ]] || secret_file PIN_FILE
for v in HUB_CA ROOT_CA; do
	[[ -z ${!v} || -r ${!v} ]] || die 2 "$v=${!v}: cannot read the CA file"
done
for t in edge-keygen edge-csr edge-provision edge-activate edge-crl-update flock setpriv; do
	command -v "$t" >/dev/null 2>&1 || die 2 "$t not found in PATH"
done

# state_dir_rule: an existing EDGE_DIR is empty or this gateway's state
# directory (only names the tools and this script make, a device.json naming
# SERIAL); anything else, such as another gateway's directory or /etc, is
# refused before a step writes in it (exit 3).  Its owner: the user running
# the script; with INSTALL_UNITS=yes edge (or root: a directory an earlier
# version of this script left root's).
STATE_NAMES=" edge.conf key.pem key.uri csr.pem device.json device.secret cert.pem ca.pem crl.pem
	trusted-time outbox hub-token.json renew.credentials pending-revocations .key.pem.rekey
	.key.uri.rekey .csr.pem.rekey .provision.lock "
state_dir_rule() {
	local f owner named re='"serial"[[:space:]]*:[[:space:]]*"([^"\\]*)"' as=()
	[[ -e $EDGE_DIR ]] || return 0
	[[ -d $EDGE_DIR ]] || die 3 "EDGE_DIR=$EDGE_DIR: not a directory"
	owner=$(stat -c %U -- "$EDGE_DIR")
	if [[ $INSTALL_UNITS == no && $(stat -c %u -- "$EDGE_DIR") != "$(id -u)" ]]; then
		die 7 "$EDGE_DIR: owned by $owner, not by this user; run $prog as" \
			"that user (runuser -u edge), or as root with INSTALL_UNITS=yes"
	fi
	if [[ $INSTALL_UNITS == yes && $owner != edge && $owner != root ]]; then
		die 7 "$EDGE_DIR: owned by $owner, neither edge nor root: not a state directory of this gateway"
	fi
	while IFS= read -r -d '' f; do
		f=${f##*/}
		[[ $STATE_NAMES == *[[:space:]]"$f"[[:space:]]* || $f =~ ^\.[^/]+\.[1-9][0-9]{0,9}\.[0-9a-f]{8}\.tmp$ ]] ||
			die 3 "EDGE_DIR=$EDGE_DIR holds $(printf %q "$f"), which is no state file of the" \
				"edgecert tools: give a new or empty directory, or this gateway's state directory"
	done < <(find "$EDGE_DIR" -mindepth 1 -maxdepth 1 -print0)
	[[ -e $EDGE_DIR/device.json || -L $EDGE_DIR/device.json ]] || return 0
	# Read as the directory's owner: root reads no path edge could link elsewhere.
	[[ $owner == root || $(id -u) -ne 0 ]] || as=(setpriv --reuid="$owner" --regid="$(stat -c %g -- "$EDGE_DIR")" --clear-groups --)
	# shellcheck disable=SC2016 # $1 is the child's
	f=$("${as[@]}" bash -c '[[ -f $1 && ! -L $1 ]] && head -c 65536 -- "$1"' _ "$EDGE_DIR/device.json") ||
		die 3 "$EDGE_DIR/device.json: not a regular file"
	named=
	[[ ! $f =~ $re ]] || named=${BASH_REMATCH[1]}
	[[ $named == "${SERIAL:?}" ]] ||
		die 3 "EDGE_DIR=$EDGE_DIR is the state directory of $(printf %q "${named:-no serial}"), not of" \
			"SERIAL=$SERIAL: check EDGE_DIR (another gateway's directory is never changed)"
}
state_dir_rule

# --- helpers -----------------------------------------------------------------
umask 077
tmp=$(mktemp -d "${TMPDIR:-/tmp}/provision-gateway.XXXXXX")
putting=
trap 'rm -rf -- "$tmp" ${putting:+"$putting"}' EXIT
# AS: the prefix that runs a command as the owner of the state directory:
# with INSTALL_UNITS=yes edge (set at the step user), else nobody else.
AS=()

# mkd DIR: DIR made (0755, as its parents) unless it exists.
mkd() { [[ -d $1 ]] || (umask 022 && mkdir -p -- "$1") || die 7 "$1: cannot create it"; }
# put SRC DEST MODE: DEST becomes a copy of SRC (- for standard input) with mode MODE, written to a
# temporary file in DEST's directory and renamed.  The temporary file is named
# as the tools name theirs, .NAME.PID.XXXXXXXX.tmp (created like mktemp, with
# O_EXCL), so that once this run is gone (killed) the tools' sweep of the state
# directory removes it; put() sweeps those of dead runs beside DEST too.
put() {
	local d=${2%/*} n=${2##*/} f p
	while IFS= read -r -d '' f; do
		f=${f##*/}; p=${f#".$n."}; p=${p%%.*}
		[[ $f =~ ^\.[^/]+\.[1-9][0-9]{0,9}\.[0-9a-f]{8}\.tmp$ ]] || continue
		kill -0 "$p" 2>/dev/null || rm -f -- "${d:-/}/$f"
	done < <(find "${d:-/}/" -maxdepth 1 -type f -name ".$n.*.tmp" -print0)
	putting=${d:-}/.$n.$$.$(od -An -N4 -tx4 /dev/urandom | tr -d ' \n').tmp
	if (set -C; : > "$putting") 2>/dev/null &&
		if [[ $1 == - ]]; then cat > "$putting"; else cp -- "$1" "$putting"; fi &&
		chmod "$3" -- "$putting" && mv -f -- "$putting" "$2"; then
		putting=
		return 0
	fi
	rm -f -- "$putting"; putting=
	return 1
}

# inst SRC DEST MODE: DEST a copy of SRC, root's, mode MODE; did=1 if it changed.
inst() {
	if cmp -s -- "$1" "$2" && [[ $(stat -c %a:%u -- "$2") == "$3:0" ]]; then return 0; fi
	put "$1" "$2" "$3" || die 7 "$2: cannot write it"
	did=1
}
# uninst FILE: FILE (a drop-in of an earlier run) removed, its directory if empty.
uninst() {
	[[ -e $1 ]] || return 0
	rm -f -- "$1" || die 7 "$1: cannot remove it"
	rmdir -- "${1%/*}" 2>/dev/null || true
	did=1
}
# done_step WHAT: the step's line; changed when did=1.
done_step() {
	if [[ $did -eq 1 ]]; then state=changed; changed=$((changed + 1)); else state=unchanged; fi
	report "$1"
}
# owner_put DEST MODE < SRC: put, run as the state directory's owner (AS).
owner_put() {
	if [[ ${#AS[@]} -eq 0 ]]; then put - "$1" "$2"; return; fi
	"${AS[@]}" bash -c "$(declare -f put); put - \"\$1\" \"\$2\"" _ "$1" "$2"
}

changed=0
# meaning RC: what an edgecert exit status means for the technician
meaning() {
	case $1 in
		1) echo "failed" ;;
		2) echo "usage error: check $CONFIG" ;;
		3) echo "invalid input: a malformed or wrong file, or an unusable answer from the hub" ;;
		4) echo "temporary: the hub is unreachable or busy; run this script again later" ;;
		5) echo "refused by the hub: check the credentials, product key and serial number" ;;
		6) echo "trust failure: certificate, root CA or CRL not trusted, or the clock is wrong" ;;
		7) echo "local storage or key store error: permissions, disk, token or PIN" ;;
		8) echo "the gateway's certificate is revoked" ;;
		129|13[0-9]|14[0-9]) echo "killed by SIG$(kill -l "$(($1 - 128))" 2>/dev/null)" ;;
		*) echo "unexpected exit status" ;;
	esac
}
# unjson TEXT: a JSON string's text for display (\" \\ \/ decoded; the escapes
# of control characters stay as they are, so none reaches the terminal).
unjson() {
	local s=$1
	s=${s//\\\\/$'\x01'}; s=${s//\\\"/\"}; s=${s//\\\//\/}; s=${s//$'\x01'/\\}
	printf '%s' "$s"
}
# field KEY: the first value of "KEY" in the JSON answer $out (strings decoded, null empty)
field() {
	local re='"'"$1"'":("(([^"\]|\\.)*)"|([-+.0-9a-zA-Z]+))'
	[[ $out =~ $re ]] || return 0
	if [[ -n ${BASH_REMATCH[4]} ]]; then
		[[ ${BASH_REMATCH[4]} == null ]] || printf '%s' "${BASH_REMATCH[4]}"
	else
		unjson "${BASH_REMATCH[2]}"
	fi
}
# failed TOOL RC: the step failed: the tool's message from its --json answer
# ({"error":{"code":N,"message":"..."}} at the end), else its last error line
# (never the usage synopsis), what RC means; exit RC.
failed() {
	local re='"error":\{"code":[0-9]+,"message":"(([^"\]|\\.)*)"\}\}$' msg=
	if [[ $out =~ $re ]]; then
		msg="$1: $(unjson "${BASH_REMATCH[1]}")"
	else
		msg=$(grep -v -e '^ *$' -e '^usage: ' "$tmp/err" | tail -n 1 | tr -d '\000-\010\013-\037\177') || true
	fi
	printf '%-11s FAILED (exit %d: %s)\n' "$name" "$2" "$(meaning "$2")"
	[[ -z $msg ]] || printf '            %s\n' "$msg"
	printf '%s: stopped at %s; fix the cause and run %s again\n' "$prog" "$name" "$prog" >&2
	exit "$2"
}
# step NAME TOOL ARGS...: run TOOL ARGS --json (in the background, so that a
# signal stops it at once); its answer in $out, changed or unchanged in
# $state; on failure failed() exits.  The tool's warnings go to stderr.
step() {
	local rc=0
	name=$1; shift
	"${AS[@]}" "$@" --json </dev/null >"$tmp/out" 2>"$tmp/err" {lock_fd}>&- &
	child=$!
	wait "$child" || rc=$?
	child=
	out=$(<"$tmp/out")
	[[ $rc -eq 0 ]] || failed "$1" "$rc"
	grep -e '^edge-[a-z-]*: warning: ' "$tmp/err" | cat -v >&2 || true
	if [[ $out == *'"changed":true'* ]]; then
		state=changed; changed=$((changed + 1))
	else
		state=unchanged
	fi
}
report() { printf '%-11s %-9s %s\n' "$name" "$state" "$1"; }

# --- the state directory, its lock and edge.conf --------------------------------
# edge_user: INSTALL_UNITS=yes: the system user edge, made if missing, before
# the state directory is made for it.
edge_user() {
	local what=edge
	name=user did=0
	if ! getent passwd edge >/dev/null; then
		useradd -r -U -M -d / -s /usr/sbin/nologin edge || die 7 "useradd edge failed"
		did=1 what="edge created"
	fi
	if [[ -n $PKCS11_URI ]]; then
		getent group tss >/dev/null ||
			die 7 "no group tss (tpm2-tools makes it): tpm.conf runs the units in it"
		if [[ " $(id -nG edge) " != *" tss "* ]]; then
			usermod -a -G tss edge || die 7 "usermod -a -G tss edge failed"
			did=1
		fi
		what+=", in group tss"
	fi
	done_step "$what"
	AS=(setpriv --reuid=edge --regid=edge --init-groups --)
}
# make_state_dir: EDGE_DIR made if missing (new parents 0755, so that edge
# reaches it; itself 0700).  With INSTALL_UNITS=yes it is edge's from the
# start, and a root-owned one (made by an earlier version of this script,
# which ran the tools as root) is given to edge: nobody else could write in it.
own_changed=0
make_state_dir() {
	name=dir state=unchanged
	if [[ ! -d $EDGE_DIR ]]; then
		if ! { (umask 022 && mkdir -p -- "${EDGE_DIR%/*}/") &&
			{ mkdir -m 700 -- "$EDGE_DIR" || [[ -d $EDGE_DIR ]]; }; }; then
			die 7 "$EDGE_DIR: cannot create the state directory"
		fi
		state=changed
	fi
	[[ ! -L $EDGE_DIR ]] || die 7 "$EDGE_DIR: is a symbolic link"
	if [[ $INSTALL_UNITS == yes && $(stat -c %U -- "$EDGE_DIR") == root ]]; then
		{ chown -R edge:edge -- "$EDGE_DIR" && chmod 700 -- "$EDGE_DIR"; } ||
			die 7 "$EDGE_DIR: cannot give it to edge"
		state=changed own_changed=1
	fi
	[[ $state == unchanged ]] || changed=$((changed + 1))
	reach_state_dir
}
# reach_state_dir: the owner can use its directory (a parent closed to others
# would leave edge-connect.service restarting for ever).
reach_state_dir() {
	"${AS[@]}" test -w "$EDGE_DIR" -a -x "$EDGE_DIR" ||
		die 7 "$EDGE_DIR: the user ${AS[*]:+edge }running the tools cannot reach it (a parent directory" \
			"closed to others?); chmod 755 its parents"
}
# lock_state_dir: one run at a time per state directory.  As root the lock
# file is in LOCK_DIR (root's, 0700), named from EDGE_DIR: never a path in a
# directory another user could plant a link in.
lock_state_dir() {
	local holder
	if [[ $(id -u) -eq 0 ]]; then
		# shellcheck disable=SC2174 # new parents 0755 (umask), LOCK_DIR 0700
		(umask 022 && mkdir -p -m 700 -- "$LOCK_DIR") || die 7 "$LOCK_DIR: cannot create it"
		[[ ! -L $LOCK_DIR && $(stat -c %u:%a -- "$LOCK_DIR") == 0:700 ]] ||
			die 7 "$LOCK_DIR: not root's directory of mode 0700"
		LOCK=$LOCK_DIR/$(printf '%s' "$EDGE_DIR" | sha256sum | cut -c 1-32).lock
	else
		LOCK=$EDGE_DIR/.provision.lock
	fi
	exec {lock_fd}<>"$LOCK" || die 7 "$LOCK: cannot open the lock file"
	if ! flock -n "$lock_fd"; then
		holder=$(head -c 100 -- "$LOCK" | tr -dc '[:alnum:] ,:.-') || true
		die 4 "$EDGE_DIR is in use by another run of $prog (${holder:-PID unknown});" \
			"run $prog again when it has finished"
	fi
	printf 'PID %s, started %s\n' "$$" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$LOCK"
}
# edge_input NAME: with INSTALL_UNITS=yes the tools run as edge, who cannot
# read root's CREDENTIALS, PIN_FILE or CA file: IN_NAME is a copy made by
# edge in a directory of this run (removed at its end); else the file itself.
edge_input() {
	local -n in_=IN_$1
	in_=${!1}
	[[ -n $in_ && ${#AS[@]} -gt 0 ]] || return 0
	if [[ ! -d $tmp/in ]]; then
		if ! { chmod 711 -- "$tmp" && mkdir -m 700 -- "$tmp/in" && chown edge:edge -- "$tmp/in"; }; then
			die 7 "$tmp/in: cannot create it"
		fi
	fi
	in_=$tmp/in/$1
	# shellcheck disable=SC2016 # $1 is the child's
	"${AS[@]}" bash -c 'umask 077 && cat > "$1"' _ "$in_" < "${!1}" || die 7 "$in_: cannot write it"
}

if [[ $INSTALL_UNITS == yes ]]; then edge_user; fi
if [[ $(id -u) -eq 0 ]]; then lock_state_dir; fi
make_state_dir
if [[ $(id -u) -ne 0 ]]; then lock_state_dir; fi
report "$EDGE_DIR"
for v in CREDENTIALS PIN_FILE HUB_CA ROOT_CA; do edge_input "$v"; done

# What renewal needs (see README, Renewal): RENEWAL=gateway keeps a copy of
# the credentials in RENEW_FILE (0600, written to a temporary file and
# renamed), so edge-activate --renew-within (edge-renew.timer) finds them
# through edge.conf or its credential; RENEWAL=control-node keeps none (and
# removes an earlier copy).  A copy in the state directory that is not
# RENEW_FILE goes: the user edge (and an edge-connect --exec handler) can
# read that one.
name=renewal
state=unchanged
if [[ $RENEWAL == gateway ]]; then
	if ! cmp -s -- "$RENEW_CREDENTIALS" "$RENEW_FILE" || [[ $(stat -c %a -- "$RENEW_FILE") != 600 ]]; then
		if [[ $INSTALL_UNITS == yes && ${RENEW_FILE%/*} == "$ETC_DIR" ]]; then
			mkd "$ETC_DIR"
		fi
		put "$RENEW_CREDENTIALS" "$RENEW_FILE" 600 || die 7 "$RENEW_FILE: cannot write it"
		state=changed
	fi
fi
# Only these two fixed names are ever removed, the one in EDGE_DIR by its
# owner; rm removes a link, never its target.
for f in "$DIR_RENEW_FILE" "$ETC_DIR/renew.credentials"; do
	[[ $f == "$DIR_RENEW_FILE" || $INSTALL_UNITS == yes || $f == "$RENEW_FILE" ]] || continue
	[[ $RENEWAL != gateway || $f != "$RENEW_FILE" ]] || continue
	if [[ $f == "$DIR_RENEW_FILE" ]]; then as=("${AS[@]}"); else as=(); fi
	if "${as[@]}" test -e "$f" -o -L "$f"; then
		"${as[@]}" rm -f -- "$f" || die 7 "$f: cannot remove it"
		state=changed
	fi
done
[[ $state != changed ]] || changed=$((changed + 1))
if [[ $RENEWAL == gateway ]]; then
	report "$RENEW_FILE: the gateway renews its certificate (edge-renew.timer)"
else
	report "no credentials kept: the control node renews the certificate"
fi

# edge.conf: the defaults edge-connect, edge-crl-update and edge-activate
# --renew-within need later (systemd units).  Names where the secrets are,
# never the secrets.  Every value was checked above: none holds a line end,
# and the free-text ones are quoted.
{
	say "# written by $prog; changes are overwritten at its next run"
	say "api = $API"
	say "portal = $PORTAL"
	[[ -z $MQTT ]] || say "mqtt = $MQTT"
	[[ -z $HUB_CA ]] || say "hub_ca = $HUB_CA"
	say "product_key = $PRODUCT_KEY"
	[[ $RENEWAL != gateway ]] || say "credentials = $RENEW_FILE"
	say "locality = \"$LOCALITY\""
	say "org_unit = \"$ORG_UNIT\""
	if [[ -n $PKCS11_URI ]]; then
		say "pkcs11 = $PKCS11_URI"
		say "pin = file:$PIN_FILE"
	fi
} > "$tmp/edge.conf"
name=config
# Compared and written by the directory's owner: a FIFO or link planted as
# edge.conf is replaced, never opened.
# shellcheck disable=SC2016 # $1 is the child's
if "${AS[@]}" bash -c '[[ -f $1 && ! -L $1 ]] && cmp -s -- - "$1"' _ "$EDGE_DIR/edge.conf" < "$tmp/edge.conf"; then
	state=unchanged
else
	owner_put "$EDGE_DIR/edge.conf" 644 < "$tmp/edge.conf" ||
		die 7 "$EDGE_DIR/edge.conf: cannot write it"
	state=changed; changed=$((changed + 1))
fi
report "$EDGE_DIR/edge.conf"

# The arguments, each value one word.
D=(-d "$EDGE_DIR")
HUB=(--api "$API" --credentials "$IN_CREDENTIALS" --timeout "$TIMEOUT" --retries "$RETRIES")
[[ -z $HUB_CA ]] || HUB+=(--hub-ca "$IN_HUB_CA")
PIN=()
[[ -z $PKCS11_URI ]] || PIN=(--pin "file:$IN_PIN_FILE")
CA=()
[[ -z $ROOT_CA ]] || CA=(--ca "$IN_ROOT_CA")

# --- 1. key -----------------------------------------------------------------------
if [[ -n $PKCS11_URI ]]; then
	step keygen edge-keygen "${D[@]}" --pkcs11 "$PKCS11_URI" "${PIN[@]}" --type "$KEY_TYPE"
	report "$(field type) key $(field key_id) in the token ($(field uri))"
else
	step keygen edge-keygen "${D[@]}" --type "$KEY_TYPE"
	report "$(field type) key $(field key_id) in $EDGE_DIR/$(field path)"
fi

# --- 2. certificate request ---------------------------------------------------------
args=(--cn "$SERIAL" --locality "$LOCALITY" --org-unit "$ORG_UNIT" "${CA[@]}")
[[ -z $COUNTRY ]] || args+=(--country "$COUNTRY")
[[ -z $STATE ]] || args+=(--state "$STATE")
[[ -z $ORGANIZATION ]] || args+=(--organization "$ORGANIZATION")
step csr edge-csr "${D[@]}" "${PIN[@]}" "${args[@]}"
report "request for CN=$SERIAL in $EDGE_DIR/csr.pem"

# --- 3. registration ----------------------------------------------------------------
args=(--product-key "$PRODUCT_KEY" --serial "$SERIAL" --portal "$PORTAL")
[[ -z $MQTT ]] || args+=(--mqtt "$MQTT")
[[ -z $LICENSE ]] || args+=(--license "$LICENSE")
step provision edge-provision "${D[@]}" "${HUB[@]}" "${args[@]}"
report "device $(field device_key) asset $(field asset_id)"

# --- 4. certificate -------------------------------------------------------------------
step activate edge-activate "${D[@]}" "${HUB[@]}" "${PIN[@]}" "${CA[@]}"
not_after=$(field not_after)
days_left=$(field days_left)
report "certificate serial $(field cert_sn) valid until $not_after"
[[ -n $days_left ]] || days_left=$(( ($(date -u -d "$not_after" +%s) - $(date -u +%s)) / 86400 ))

# --- 5. CRL ----------------------------------------------------------------------------
args=(--portal "$PORTAL" --timeout "$TIMEOUT" --retries "$RETRIES")
[[ -z $HUB_CA ]] || args+=(--hub-ca "$IN_HUB_CA")
step crl-update edge-crl-update "${D[@]}" "${args[@]}"
report "CRL number $(field crl_number), next update $(field next_update)"

# --- 6. smoke test ------------------------------------------------------------------------
if [[ $SMOKE_TEST == no ]]; then
	name=connect state=skipped; report "SMOKE_TEST=no"
elif ! command -v edge-connect >/dev/null 2>&1; then
	[[ $SMOKE_TEST == auto ]] || die 2 "SMOKE_TEST=yes but edge-connect is not installed"
	name=connect state=skipped; report "edge-connect is not installed"
else
	# One session: connect with the new certificate, nothing to send, exit
	# once the (empty) input is done; --timeout bounds it.
	step connect edge-connect "${D[@]}" "${PIN[@]}" --input /dev/null --exit-on-eof --timeout "$TIMEOUT"
	state=ok; report "MQTT session over mutual TLS to ${MQTT:-the hub}"
fi

# --- 7. units (INSTALL_UNITS=yes) -----------------------------------------------------------
if [[ $INSTALL_UNITS == yes ]]; then
	name=units did=0
	for u in "${UNITS[@]}"; do inst "$UNITS_DIR/$u" "$SYSTEMD_DIR/$u" 644; done
	done_step "${#UNITS[@]} units in $SYSTEMD_DIR"

	name=drop-ins did=0 what=
	for s in edge-connect edge-renew; do
		f=$SYSTEMD_DIR/$s.service.d/tpm.conf
		if [[ -n $PKCS11_URI ]]; then
			mkd "${f%/*}"
			inst "$UNITS_DIR/tpm.conf" "$f" 644
		else
			uninst "$f"
		fi
	done
	[[ -z $PKCS11_URI ]] || what="tpm.conf for edge-connect and edge-renew"
	d=${EDGE_DIR%/}
	printf '# written by %s: the state directory
[Service]
Environment=EDGE_DIR=%s
ReadWritePaths=%s
' \
		"$prog" "$d" "$d" > "$tmp/edge-dir.conf"
	printf '# written by %s: the state directory
[Path]
PathChanged=
PathChanged=%s/cert.pem
PathChanged=%s/ca.pem
PathChanged=%s/crl.pem
' \
		"$prog" "$d" "$d" "$d" > "$tmp/edge-dir.path.conf"
	for u in edge-connect.service edge-crl-update.service edge-renew.service edge-cert-changed.path; do
		f=$SYSTEMD_DIR/$u.d/edge-dir.conf
		if [[ $d != /var/lib/edge ]]; then
			mkd "${f%/*}"
			if [[ $u == *.path ]]; then inst "$tmp/edge-dir.path.conf" "$f" 644
			else inst "$tmp/edge-dir.conf" "$f" 644; fi
		else
			uninst "$f"
		fi
	done
	[[ $d == /var/lib/edge ]] || what="${what:+$what; }edge-dir.conf for EDGE_DIR=$d"
	done_step "${what:-none needed}"

	if [[ -n $PKCS11_URI ]]; then
		name=pin did=0
		mkd "$ETC_DIR"
		[[ $PIN_FILE -ef $ETC_DIR/tpm-user.pin ]] || inst "$PIN_FILE" "$ETC_DIR/tpm-user.pin" 600
		done_step "$ETC_DIR/tpm-user.pin, the credential pin of tpm.conf"
	fi

	name=owner did=$own_changed
	reach_state_dir
	done_step "$EDGE_DIR belongs to edge:edge, who reaches it"

	name=systemd did=0
	if [[ ! -d /run/systemd/system ]]; then
		state=skipped
		report "systemd is not running: no daemon-reload, nothing enabled"
	else
		systemctl daemon-reload || die 7 "systemctl daemon-reload failed"
		en=(edge-connect.service edge-crl-update.timer edge-cert-changed.path)
		if [[ $RENEWAL == gateway ]]; then
			en+=(edge-renew.timer)
		elif systemctl -q is-enabled edge-renew.timer 2>/dev/null; then
			systemctl disable --now edge-renew.timer || die 7 "systemctl disable edge-renew.timer failed"
			did=1
		fi
		for u in "${en[@]}"; do
			systemctl -q is-enabled "$u" 2>/dev/null && continue
			systemctl enable --now "$u" || die 7 "systemctl enable --now $u failed"
			did=1
		done
		done_step "enabled ${en[*]}"
	fi
fi

if [[ $changed -eq 0 ]]; then
	say "$prog: $SERIAL is enrolled; nothing changed"
else
	say "$prog: $SERIAL is enrolled; $changed step(s) changed"
fi
if [[ $RENEWAL == control-node ]]; then
	# The cached access token belongs to the application credentials: keep none.
	"${AS[@]}" rm -f -- "$EDGE_DIR/hub-token.json"
	say "$prog: WARNING: RENEWAL=control-node: $SERIAL holds no application credentials" \
		"and cannot renew itself; the control node must renew its certificate before" \
		"$not_after (in $days_left days) (see README, Renewal)"
fi
