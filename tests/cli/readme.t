#!/bin/sh
# SPDX-License-Identifier: MIT
# Every command block of README.md and examples/*/README.md runs as written
# (issue 18): the indented blocks are taken out in order, file by file, and
# each runs with `bash -e -o pipefail` in one working directory against the stand-in hub,
# on a new gateway (one state directory, EDGE_DIR), one TAP line per block.
#
# What the test provides, as a reader would have it:
#   EDGE_DIR   a new, empty state directory (0700)
#   SN PK LIC  a serial number, the hub's product key, a license
#   PATH       the built tools first; ./examples is the repository's examples/
#   a SoftHSM2 token labelled "edge" (SOFTHSM2_CONF) whose PIN is in a 0600 file
# and these example names stand for the stand-in hub's parts (replaced in the
# block's text before it runs):
#   https://apigw.example.com, https://portal.example.com, mqtts://mqtt.example.com:18883
#                              the hub's API, portal and broker
#   /etc/edge/credentials      the application credentials file
#   /etc/edge/hub-ca.pem       the CA of the hub's HTTPS and MQTT certificates
#   /etc/edge/enos-root.pem    the EnOS root CA that issues device certificates
#   /run/edge/pin, /etc/edge/tpm-user.pin   the token's PIN file
#   /media/usb/enos.crl        the hub's current CRL
#
# A block that needs context says so in marker lines, HTML comments right
# before it (blank lines between are fine; they are invisible in the rendered
# page):
#   <!-- readme-test: skip: REASON -->      not run; a TAP skip with REASON
#   <!-- readme-test: output: WHAT -->      not commands (output, a listing); a TAP skip
#   <!-- readme-test: gateway: NAME -->     run on a new gateway of its own, EDGE_DIR=$T/NAME
#                                           (blocks naming the same NAME share it)
#   <!-- readme-test: env: NAME=VALUE ... --> variables for this block (e.g. another SN)
#   <!-- readme-test: setup: SHELL -->      shell run first (in this test, with its
#                                           functions: enrol = keygen, CSR, provision
#                                           and activate EDGE_DIR as $SN)
#   <!-- readme-test: status: N -->         the block must exit N (default 0)
# An unmarked block must exit 0. Skips are per block and always name a reason.
. "$(dirname "$0")/../lib.sh"
setup
softhsm_setup edge 5y8Q7pin
hub_start

W=$T/work
mkdir -p "$W" "$T/usb" "$T/guard"
# A block that would change this machine must be marked, never run: these
# commands fail here (exit 97) instead of running.
for c in apt-get apt sudo ssh make systemctl ansible-playbook install; do
	printf '#!/bin/sh\necho "readme.t: %s must not run here: mark the block (readme-test: skip: REASON)" >&2\nexit 97\n' "$c" > "$T/guard/$c"
	chmod +x "$T/guard/$c"
done
ln -s "$TOP/examples" "$W/examples"
echo 5y8Q7pin > "$T/pin"; chmod 600 "$T/pin"
SN=RDM-0001 PK=$HUB_PRODUCT_KEY LIC=LIC-0001
export SN PK LIC SOFTHSM2_CONF

# hub_conf: EDGE_DIR/edge.conf as README.md writes it (the hub, its CA, the credentials).
hub_conf() {
	printf 'api = %s\nportal = %s\nmqtt = %s\nhub_ca = %s\ncredentials = %s\n' \
		"$HUB_API" "$HUB_PORTAL" "$HUB_MQTT" "$HUB_CA" "$HUB_CREDENTIALS" > "$EDGE_DIR/edge.conf"
}
# enrol: EDGE_DIR becomes an enrolled gateway of serial $SN (file key), with hub_conf.
enrol() {
	hub_conf && edge-keygen -q &&
	edge-csr -q --ca "$HUB_CA" --locality Shanghai --org-unit Edge --cn "$SN" &&
	edge-provision -q --product-key "$PK" --serial "$SN" --mqtt "$HUB_MQTT" $HUBOPTS &&
	edge-activate -q $HUBOPTS
}
# new_gateway NAME: EDGE_DIR for NAME, made 0700 when new.
new_gateway() { EDGE_DIR=$T/$1; export EDGE_DIR; [ -d "$EDGE_DIR" ] || mkdir -m 700 "$EDGE_DIR"; }

# The blocks: "@@ FILE LINE" and the marker lines ("@ KEY: VALUE"), then the
# block's lines without their 4-space indent, into $T/blocks/N.{meta,sh}.
mkdir "$T/blocks"
(cd "$TOP" && awk -v out="$T/blocks" '
	function flush() {
		if (!n) return
		k++; f = out "/" k
		print "@@ " file " " start > (f ".meta"); for (i = 1; i <= nm; i++) print "@ " m[i] > (f ".meta")
		for (i = 1; i <= n; i++) print b[i] > (f ".sh")
		close(f ".meta"); close(f ".sh"); n = 0; nm = 0
	}
	FNR == 1 { flush(); prev = ""; np = 0 }
	{
		if (n && ($0 ~ /^    / || $0 == "")) {
			if ($0 == "") { blank++; next }
			while (blank > 0) { b[++n] = ""; blank-- }
			b[++n] = substr($0, 5); next
		}
		flush(); blank = 0
		if ($0 ~ /^    / && prev == "") {
			file = FILENAME; start = FNR; n = 1; b[1] = substr($0, 5)
			for (i = 1; i <= np; i++) m[i] = p[i]; nm = np; np = 0; next
		}
		if ($0 ~ /^<!-- readme-test: .* -->$/) { s = $0; sub(/^<!-- readme-test: */, "", s); sub(/ *-->$/, "", s); p[++np] = s }
		else if ($0 != "") np = 0
		prev = $0
	}
	END { flush() }' README.md examples/*/README.md)

# subst: the example names above, replaced by the stand-in hub's parts.
subst() {
	sed -e "s|https://apigw\.example\.com|$HUB_API|g" -e "s|https://portal\.example\.com|$HUB_PORTAL|g" \
		-e "s|mqtts://mqtt\.example\.com:18883|$HUB_MQTT|g" -e "s|/etc/edge/credentials|$HUB_CREDENTIALS|g" \
		-e "s|/etc/edge/hub-ca\.pem|$HUB_CA|g" -e "s|/etc/edge/enos-root\.pem|$HUB_CA|g" \
		-e "s|/run/edge/pin|$T/pin|g" -e "s|/etc/edge/tpm-user\.pin|$T/pin|g" -e "s|/media/usb/|$T/usb/|g" "$1"
}

k=1
while [ -f "$T/blocks/$k.sh" ]; do
	meta=$T/blocks/$k.meta
	where=$(sed -n 's/^@@ //p' "$meta" | tr ' ' ':')
	what="$where: $(head -n 1 "$T/blocks/$k.sh" | sed 's/  *#.*//' | cut -c1-60)"
	k=$((k + 1))
	skip= gw=main envs= pre= want=0
	while IFS= read -r l; do
		case $l in
			'@ skip: '*) skip=${l#@ skip: } ;;
			'@ output: '*) skip="not commands: ${l#@ output: }" ;;
			'@ gateway: '*) gw=${l#@ gateway: } ;;
			'@ env: '*) envs=${l#@ env: } ;;
			'@ setup: '*) pre=${l#@ setup: } ;;
			'@ status: '*) want=${l#@ status: } ;;
			'@ '*) not_ok "$what: unknown marker '${l#@ }'"; continue 2 ;;
		esac
	done < "$meta"
	if [ -n "$skip" ]; then skip "$what" "$skip"; continue; fi
	subst "$T/blocks/$((k - 1)).sh" > "$T/block.sh"
	rc=0
	(
		new_gateway "$gw"
		cp "$HUB_CRL" "$T/usb/enos.crl"
		PATH=$T/guard:$PATH
		cd "$W" || exit 99
		for e in $envs; do export "${e%%=*}=${e#*=}"; done
		if [ -n "$pre" ]; then eval "$pre" || exit 98; fi
		exec bash -e -o pipefail "$T/block.sh"
	) >"$T/out" 2>"$T/err" </dev/null || rc=$?
	if [ "$rc" -eq "$want" ]; then
		ok "$what"
	else
		{ echo "block (as run):"; cat "$T/block.sh"; } | sed 's/^/#   /'
		not_ok "$what: exit $rc, wanted $want"
	fi
done
[ "$k" -gt 10 ] && ok "$((k - 1)) blocks found" || not_ok "only $((k - 1)) blocks found"

done_testing
