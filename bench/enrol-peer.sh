#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/enrol-peer.sh DIR SERIAL: what a user would script instead of the
# edge tools, for the enrolment benchmark: the same EnOS calls as
# bench/enrol-one.sh, made with certtool, openssl and curl (jq reads the
# answers).  Key (certtool, RSA-2048), CSR (openssl req; C, ST and O from the
# hub's root CA like edge-csr --ca), access token (apim-token-service,
# encryption = SHA-256(appKey + timestamp + secret)), Create Device, Apply
# Certificate and List Certificate, each signed with apim-signature =
# SHA-256(token + sorted query parameters + body + timestamp + secret)
# (/work/shared/ENOS-PROTOCOL.md section 4).  Hub settings from the
# environment (HUB_API, HUB_CA, HUB_ORG_ID, HUB_ACCESS_KEY,
# HUB_SECRET_KEY_FILE, HUB_PRODUCT_KEY).  Writes DIR/key.pem, csr.pem,
# cert.pem, device.json and DIR/status ("ok" or the failing step).
# Bench harness only; like the user's script it checks little.
d=$1 sn=$2
mkdir -p "$d" || exit 1
step() { echo "$1" > "$d/status"; exit 1; }
sha() { printf '%s' "$1" | openssl dgst -sha256 -r | cut -d' ' -f1; }
now() { date +%s%3N; }
secret=$(cat "$HUB_SECRET_KEY_FILE")
# call METHOD QUERY [BODYFILE]: one signed API call; the answer on stdout.
call() {
	ts=$(now)
	params=$(printf '%s\n' "$2" | tr '&' '\n' | sort | tr -d '=\n')
	body=
	[ -z "${3:-}" ] || body=$(cat "$3")
	sig=$(sha "$tok$params$body$ts$secret")
	set -- "$1" "$2" "${3:-}" "$4"
	if [ -n "$3" ]; then
		curl -sS --cacert "$HUB_CA" -X "$1" -H "apim-accesstoken: $tok" -H "apim-timestamp: $ts" \
			-H "apim-signature: $sig" -H 'Content-Type: application/json;charset=UTF-8' \
			--data-binary "@$3" "$HUB_API/$4?$2"
	else
		curl -sS --cacert "$HUB_CA" -X "$1" -H "apim-accesstoken: $tok" -H "apim-timestamp: $ts" \
			-H "apim-signature: $sig" "$HUB_API/$4?$2"
	fi
}

certtool --generate-privkey --bits 2048 --outfile "$d/key.pem" 2>/dev/null || step keygen
chmod 600 "$d/key.pem"
subj=$(openssl x509 -in "$HUB_CA" -noout -subject -nameopt RFC2253 | sed 's/^subject=//' |
	tr ',' '\n' | grep -E '^(C|ST|O)=' | tr '\n' '/')
openssl req -new -key "$d/key.pem" -subj "/$subj""L=Shanghai/OU=Edge/CN=$sn" -out "$d/csr.pem" 2>/dev/null || step csr

ts=$(now)
tok=$(curl -sS --cacert "$HUB_CA" -H 'Content-Type: application/json' \
	--data-binary "{\"appKey\":\"$HUB_ACCESS_KEY\",\"encryption\":\"$(sha "$HUB_ACCESS_KEY$ts$secret")\",\"timestamp\":$ts}" \
	"$HUB_API/apim-token-service/v2.0/token/get" | jq -r '.data.accessToken // empty')
[ -n "$tok" ] || step token

printf '{"productKey":"%s","deviceKey":"%s","timezone":"+08:00","deviceName":{"defaultValue":"%s"}}' \
	"$HUB_PRODUCT_KEY" "$sn" "$sn" > "$d/create.json"
call POST "action=create&orgId=$HUB_ORG_ID" "$d/create.json" connect-service/v2.1/devices > "$d/device.json"
[ "$(jq -r .code "$d/device.json")" = 0 ] || step provision

jq -cjn --rawfile c "$d/csr.pem" '{csr: $c, validDay: 365}' > "$d/apply.json"
q="action=apply&orgId=$HUB_ORG_ID&productKey=$HUB_PRODUCT_KEY&deviceKey=$sn"
call POST "$q" "$d/apply.json" connect-service/v2.0/certificates > "$d/apply.out"
jq -er '.data.cert' "$d/apply.out" > "$d/cert.pem" 2>/dev/null || step apply

q="action=list&orgId=$HUB_ORG_ID&productKey=$HUB_PRODUCT_KEY&deviceKey=$sn"
call GET "$q" "" connect-service/v2.0/certificates > "$d/list.out"
[ "$(jq -r .code "$d/list.out")" = 0 ] || step list
echo ok > "$d/status"
