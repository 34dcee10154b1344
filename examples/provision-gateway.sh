#!/bin/sh
# SPDX-License-Identifier: MIT
#
# provision-gateway.sh: enrol one edge gateway, for the field technician.
#
#   provision-gateway.sh [CONFIG]          (default: ./gateway.env)
#
# Runs on the gateway itself and chains the edgecert tools:
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
# values may be quoted with "..." or '...'):
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
#   EDGE_DIR=/var/lib/edge                state directory (created 0700)
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
#                                         (DIR/renew.credentials, 0600, named in edge.conf)
#                                         so edge-renew.timer renews unattended;
#                                         control-node: nothing of them is kept, and the
#                                         script ends with the date by which the control
#                                         node must renew
#   RENEW_CREDENTIALS=/media/usb/renew    the credentials kept for renewal (default:
#                                         CREDENTIALS; best an application limited to the
#                                         certificate service; mode 0600)
#
# Secrets never appear on a command line: the credentials and the PIN are
# handed to the tools as file paths (--credentials FILE, --pin file:PATH).
# Secret files (CREDENTIALS, RENEW_CREDENTIALS, PIN_FILE) must belong to the
# user running the script (or root) and give group and others no access, as
# the tools require (exit 7 otherwise).
#
# Exit status: the status of the step that failed, with the edgecert meaning
# (see README.md): 4 = temporary (hub unreachable), run the script again
# later; 5 = refused by the hub; 6 = trust failure; 7 = local storage or
# token; 2 = a mistake in CONFIG or the script's use.

set -eu

prog=${0##*/}
say() { printf '%s\n' "$*"; }
die() { rc=$1; shift; printf '%s: %s\n' "$prog" "$*" >&2; exit "$rc"; }

[ $# -le 1 ] || die 2 "usage: $prog [CONFIG]"
case ${1:-} in -h|--help) sed -n '4,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;; esac
CONFIG=${1:-./gateway.env}
[ -f "$CONFIG" ] && [ -r "$CONFIG" ] || die 2 "$CONFIG: no such config file (see $prog --help)"

# --- configuration -----------------------------------------------------------
SERIAL= PRODUCT_KEY= API= PORTAL= MQTT= CREDENTIALS= HUB_CA= ROOT_CA=
EDGE_DIR=/var/lib/edge PKCS11_URI= PIN_FILE= KEY_TYPE=rsa LICENSE=
COUNTRY= STATE= ORGANIZATION= LOCALITY= ORG_UNIT= TIMEOUT=30 RETRIES=3 SMOKE_TEST=auto
RENEWAL=gateway RENEW_CREDENTIALS=
n=0
while IFS= read -r line || [ -n "$line" ]; do
	n=$((n + 1))
	case $line in ''|'#'*) continue ;; esac
	name=${line%%=*}
	[ "$name" != "$line" ] || die 2 "$CONFIG:$n: not NAME=value"
	value=${line#*=}
	case $value in
		\"*\") value=${value#\"}; value=${value%\"} ;;
		\'*\') value=${value#\'}; value=${value%\'} ;;
	esac
	case $name in
		SERIAL|PRODUCT_KEY|API|PORTAL|MQTT|CREDENTIALS|HUB_CA|ROOT_CA|EDGE_DIR|PKCS11_URI|\
		PIN_FILE|KEY_TYPE|LICENSE|COUNTRY|STATE|ORGANIZATION|LOCALITY|ORG_UNIT|TIMEOUT|\
		RETRIES|SMOKE_TEST|RENEWAL|RENEW_CREDENTIALS) eval "$name=\$value" ;;
		*) die 2 "$CONFIG:$n: unknown name $name" ;;
	esac
done < "$CONFIG"

for v in SERIAL PRODUCT_KEY API CREDENTIALS LOCALITY ORG_UNIT; do
	eval "[ -n \"\$$v\" ]" || die 2 "$CONFIG: $v is not set"
done
[ -n "$PORTAL" ] || PORTAL=$API
# secret_file NAME: the file $NAME names is readable, and by nobody else (the
# tools' rule for secret files: mode & 077 == 0, owned by this user or root).
secret_file() {
	eval "f=\$$1"
	[ -r "$f" ] || die 2 "$1=$f: cannot read the file"
	set -- "$1" $(stat -L -c '%a %u' "$f")
	[ $((0$2 & 077)) -eq 0 ] || die 7 "$f: readable by others; it holds a secret (chmod 600)"
	[ "$3" = "$(id -u)" ] || [ "$3" = 0 ] || die 7 "$f: owned by another user; it holds a secret"
}
secret_file CREDENTIALS
case $RENEWAL in
	gateway) [ -n "$RENEW_CREDENTIALS" ] || RENEW_CREDENTIALS=$CREDENTIALS
		secret_file RENEW_CREDENTIALS ;;
	control-node) [ -z "$RENEW_CREDENTIALS" ] || die 2 "RENEW_CREDENTIALS is set but RENEWAL=control-node keeps none" ;;
	*) die 2 "RENEWAL must be gateway or control-node" ;;
esac
if [ -n "$PKCS11_URI" ]; then
	case $PKCS11_URI in pkcs11:*) ;; *) die 2 "PKCS11_URI must start with pkcs11:" ;; esac
	[ -n "$PIN_FILE" ] || die 2 "PKCS11_URI is set: PIN_FILE must name a readable file"
	secret_file PIN_FILE
fi
for f in "$HUB_CA" "$ROOT_CA"; do
	[ -z "$f" ] || [ -r "$f" ] || die 2 "$f: cannot read the CA file"
done
# Paths with spaces would break these lists; refuse them rather than guess.
for p in "$EDGE_DIR" "$CREDENTIALS" "$RENEW_CREDENTIALS" "$HUB_CA" "$ROOT_CA" "$PIN_FILE"; do
	case $p in *[[:space:]]*) die 2 "$p: paths with spaces are not supported" ;; esac
done
case $SMOKE_TEST in auto|yes|no) ;; *) die 2 "SMOKE_TEST must be auto, yes or no" ;; esac

for t in edge-keygen edge-csr edge-provision edge-activate edge-crl-update; do
	command -v "$t" >/dev/null 2>&1 || die 2 "$t not found in PATH"
done

# --- helpers -----------------------------------------------------------------
umask 077
tmp=$(mktemp -d "${TMPDIR:-/tmp}/provision-gateway.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

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
		130) echo "interrupted" ;;
		*) echo "unexpected exit status" ;;
	esac
}
# field NAME: a top-level string, number or boolean of the JSON object in $out
field() {
	printf '%s' "$out" | sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p" | head -n 1
}
# step NAME TOOL ARGS...: run TOOL --json; on failure print the tool's error
# and what its status means, and exit with that status.
step() {
	name=$1; shift
	rc=0
	out=$("$@" --json 2>"$tmp/err") || rc=$?
	if [ "$rc" -ne 0 ]; then
		msg=$(grep -v '^ *$' "$tmp/err" | tail -n 1)
		[ -n "$msg" ] || msg=$(field message)
		printf '%-11s FAILED (exit %d: %s)\n' "$name" "$rc" "$(meaning "$rc")"
		[ -z "$msg" ] || printf '            %s\n' "$msg"
		printf '%s: stopped at %s; fix the cause and run %s again\n' "$prog" "$name" "$prog" >&2
		exit "$rc"
	fi
	case $out in
		*'"changed":true'*) state=changed; changed=$((changed + 1)) ;;
		*) state=unchanged ;;
	esac
}
report() { printf '%-11s %-9s %s\n' "$name" "$state" "$1"; }

# --- the state directory and edge.conf ----------------------------------------
if [ ! -d "$EDGE_DIR" ]; then
	mkdir -p "$EDGE_DIR" || die 7 "$EDGE_DIR: cannot create the state directory"
	chmod 700 "$EDGE_DIR"
	state=changed; changed=$((changed + 1))
else
	state=unchanged
fi
[ ! -L "$EDGE_DIR" ] || die 7 "$EDGE_DIR: is a symbolic link"
name=dir; report "$EDGE_DIR"

# What renewal needs (see README, Renewal): RENEWAL=gateway keeps a copy of
# the credentials in the state directory (0600, written to a temporary file
# and renamed), so edge-activate --renew-within (edge-renew.timer) finds them
# through edge.conf; RENEWAL=control-node keeps none (and removes an earlier
# copy).
RENEW_FILE=$EDGE_DIR/renew.credentials
name=renewal
if [ "$RENEWAL" = gateway ]; then
	if cmp -s "$RENEW_CREDENTIALS" "$RENEW_FILE" && [ "$(stat -c %a "$RENEW_FILE")" = 600 ]; then
		state=unchanged
	else
		cp "$RENEW_CREDENTIALS" "$EDGE_DIR/.renew.credentials.tmp" &&
			chmod 600 "$EDGE_DIR/.renew.credentials.tmp" &&
			mv -f "$EDGE_DIR/.renew.credentials.tmp" "$RENEW_FILE" ||
			{ rm -f "$EDGE_DIR/.renew.credentials.tmp"; die 7 "$RENEW_FILE: cannot write it"; }
		state=changed; changed=$((changed + 1))
	fi
	report "$RENEW_FILE: the gateway renews its certificate (edge-renew.timer)"
else
	if [ -e "$RENEW_FILE" ]; then
		rm -f "$RENEW_FILE" || die 7 "$RENEW_FILE: cannot remove it"
		state=changed; changed=$((changed + 1))
	else
		state=unchanged
	fi
	report "no credentials kept: the control node renews the certificate"
fi

# edge.conf: the defaults edge-connect, edge-crl-update and edge-activate
# --renew-within need later (systemd units).  Names where the secrets are,
# never the secrets.
{
	echo "# written by $prog; changes are overwritten at its next run"
	echo "api = $API"
	echo "portal = $PORTAL"
	[ -z "$MQTT" ] || echo "mqtt = $MQTT"
	[ -z "$HUB_CA" ] || echo "hub_ca = $HUB_CA"
	echo "product_key = $PRODUCT_KEY"
	[ "$RENEWAL" != gateway ] || echo "credentials = $RENEW_FILE"
	echo "locality = \"$LOCALITY\""
	echo "org_unit = \"$ORG_UNIT\""
	if [ -n "$PKCS11_URI" ]; then
		echo "pkcs11 = $PKCS11_URI"
		echo "pin = file:$PIN_FILE"
	fi
} > "$tmp/edge.conf"
name=config
if cmp -s "$tmp/edge.conf" "$EDGE_DIR/edge.conf"; then
	state=unchanged
else
	cp "$tmp/edge.conf" "$EDGE_DIR/.edge.conf.tmp" && chmod 644 "$EDGE_DIR/.edge.conf.tmp" &&
		mv -f "$EDGE_DIR/.edge.conf.tmp" "$EDGE_DIR/edge.conf" ||
		die 7 "$EDGE_DIR/edge.conf: cannot write it"
	state=changed; changed=$((changed + 1))
fi
report "$EDGE_DIR/edge.conf"

D="-d $EDGE_DIR"
HUB="--api $API --credentials $CREDENTIALS --timeout $TIMEOUT --retries $RETRIES"
[ -z "$HUB_CA" ] || HUB="$HUB --hub-ca $HUB_CA"
PIN=
[ -z "$PKCS11_URI" ] || PIN="--pin file:$PIN_FILE"

# --- 1. key -----------------------------------------------------------------------
if [ -n "$PKCS11_URI" ]; then
	step keygen edge-keygen $D --pkcs11 "$PKCS11_URI" $PIN --type "$KEY_TYPE"
	report "$(field type) key $(field key_id) in the token ($(field uri))"
else
	step keygen edge-keygen $D --type "$KEY_TYPE"
	report "$(field type) key $(field key_id) in $EDGE_DIR/$(field path)"
fi

# --- 2. certificate request ---------------------------------------------------------
set -- --cn "$SERIAL" --locality "$LOCALITY" --org-unit "$ORG_UNIT"
[ -z "$ROOT_CA" ] || set -- "$@" --ca "$ROOT_CA"
[ -z "$COUNTRY" ] || set -- "$@" --country "$COUNTRY"
[ -z "$STATE" ] || set -- "$@" --state "$STATE"
[ -z "$ORGANIZATION" ] || set -- "$@" --organization "$ORGANIZATION"
step csr edge-csr $D $PIN "$@"
report "request for CN=$SERIAL in $EDGE_DIR/csr.pem"

# --- 3. registration ----------------------------------------------------------------
set -- --product-key "$PRODUCT_KEY" --serial "$SERIAL" --portal "$PORTAL"
[ -z "$MQTT" ] || set -- "$@" --mqtt "$MQTT"
[ -z "$LICENSE" ] || set -- "$@" --license "$LICENSE"
step provision edge-provision $D $HUB "$@"
report "device $(field device_key) asset $(field asset_id)"

# --- 4. certificate -------------------------------------------------------------------
set --
[ -z "$ROOT_CA" ] || set -- --ca "$ROOT_CA"
step activate edge-activate $D $HUB $PIN "$@"
report "certificate serial $(field cert_sn) valid until $(field not_after)"
not_after=$(field not_after)
days_left=$(field days_left)
[ -n "$days_left" ] || days_left=$(( ($(date -u -d "$not_after" +%s) - $(date -u +%s)) / 86400 ))

# --- 5. CRL ----------------------------------------------------------------------------
set -- --portal "$PORTAL" --timeout "$TIMEOUT" --retries "$RETRIES"
[ -z "$HUB_CA" ] || set -- "$@" --hub-ca "$HUB_CA"
step crl-update edge-crl-update $D "$@"
report "CRL number $(field crl_number), next update $(field next_update)"

# --- 6. smoke test ------------------------------------------------------------------------
name=connect
if [ "$SMOKE_TEST" = no ]; then
	state=skipped; report "SMOKE_TEST=no"
elif ! command -v edge-connect >/dev/null 2>&1; then
	[ "$SMOKE_TEST" = auto ] || die 2 "SMOKE_TEST=yes but edge-connect is not installed"
	state=skipped; report "edge-connect is not installed"
else
	# One session: connect with the new certificate, nothing to send, exit
	# once the (empty) input is done; --timeout bounds it.
	rc=0
	edge-connect $D $PIN --input /dev/null --exit-on-eof --timeout "$TIMEOUT" \
		>/dev/null 2>"$tmp/err" </dev/null || rc=$?
	if [ "$rc" -ne 0 ]; then
		printf '%-11s FAILED (exit %d: %s)\n' connect "$rc" "$(meaning "$rc")"
		msg=$(grep -v '^ *$' "$tmp/err" | tail -n 1)
		[ -z "$msg" ] || printf '            %s\n' "$msg"
		printf '%s: stopped at connect; fix the cause and run %s again\n' "$prog" "$prog" >&2
		exit "$rc"
	fi
	state=ok; report "MQTT session over mutual TLS to ${MQTT:-the hub}"
fi

if [ "$changed" -eq 0 ]; then
	say "$prog: $SERIAL is enrolled; nothing changed"
else
	say "$prog: $SERIAL is enrolled; $changed step(s) changed"
fi
if [ "$RENEWAL" = control-node ]; then
	# The cached access token belongs to the application credentials: keep none.
	rm -f "$EDGE_DIR/hub-token.json"
	say "$prog: WARNING: RENEWAL=control-node: $SERIAL holds no application credentials" \
		"and cannot renew itself; the control node must renew its certificate before" \
		"$not_after (in $days_left days) (see README, Renewal)"
fi
