#!/bin/sh
# SPDX-License-Identifier: MIT
# The stand-in hub's MQTT side as EnOS behaves (ENOS-PROTOCOL.md 9.3, 9.4,
# 12): the _reply of every uplink EnOS answers, with the request's id and
# EnOS's codes, checked against a thing model in hub.conf; what was accepted
# on /hub/accepted/ for the cloud; commands delivered to a device that never
# subscribed, once to one that did; edge-connect against the real replies.
# Clients: mosquitto_rr/_sub/_pub and a bare MQTT 3.1.1 client (python3
# ssl) that sends no SUBSCRIBE at all.
. "${0%/*}/../lib.sh"
setup
for t in jq mosquitto_rr mosquitto_pub mosquitto_sub python3; do
	command -v $t >/dev/null 2>&1 || skip_all "$t not installed"
done
[ -x "$B/tests/hub/hub-sign" ] || skip_all "run make hub first"
hub_start
PK=$HUB_PRODUCT_KEY
MQTT_PORT=${HUB_MQTT##*:}
SIGN="$B/tests/hub/hub-sign"

# gateway DIR SERIAL: a provisioned, activated edge with a file key.
gateway() {
	edge_with_csr "$1" "$2" &&
	edge-provision -q -d "$1" $HUBOPTS --product-key "$PK" --serial "$2" --mqtt "$HUB_MQTT" >/dev/null &&
	edge-activate -q -d "$1" $HUBOPTS >/dev/null
}
G=$T/g1; gateway "$G" SN-M1 || echo "Bail out! cannot make a gateway"
G2=$T/g2; gateway "$G2" SN-M2 || echo "Bail out! cannot make a second gateway"
DK=SN-M1
TOP_DEV=/sys/$PK/$DK

# login DIR DK CID: the options that log mosquitto_* in as device DK (9.2).
login() {
	_mts=$(date +%s%3N)
	_pw=$("$SIGN" mqtt sha256 "$3" "$2" "$PK" "$_mts" "$1/device.secret")
	LOGIN="-h 127.0.0.1 -p $MQTT_PORT --cafile $HUB_CA --cert $1/cert.pem --key $1/key.pem"
	LOGIN="$LOGIN -u $2&$PK -P $_pw"
	CID="$3|securemode=2,signmethod=sha256,timestamp=$_mts|"
}
# rr TOPIC MESSAGE: device SN-M1 publishes and waits for the _reply (out: the reply).
rr() {
	login "$G" "$DK" "$DK"
	# shellcheck disable=SC2086
	_run timeout $(slow 15) mosquitto_rr $LOGIN -i "$CID" -q 1 -t "$1" -e "$1_reply" -m "$2" -W $(slow 10)
}
rr_empty() {
	login "$G" "$DK" "$DK"
	# shellcheck disable=SC2086
	_run timeout $(slow 15) mosquitto_rr $LOGIN -i "$CID" -q 1 -t "$1" -e "$1_reply" -n -W $(slow 10)
}

# ---- replies without a thing model ----------------------------------------
rr "$TOP_DEV/thing/measurepoint/post" '{"id":"1","version":"1.0","method":"thing.measurepoint.post","params":{"measurepoints":{"anything":1},"time":1}}'
assert_json "no thing model: any measurepoint gets code 200 on post_reply" "$T/out" '"\(.id) \(.code) \(.data)"' '1 200 {}'

# ---- the thing model ------------------------------------------------------
# The plugin re-reads hub.conf when it changes; its product is the last one.
cat >> "$HUB_DIR/hub.conf" <<'EOF'
measurepoint = temp float
measurepoint = count int
measurepoint = label string
measurepoint = on bool
measurepoint = curve array
measurepoint = pos struct
EOF
cloud_sub "$T/acc" "/hub/accepted/#" -v
cloud_sub_pid=$SUB_PID
cloud_sub "$T/sys" "/sys/$PK/$DK/#" -v
sys_pid=$SUB_PID

rr "$TOP_DEV/thing/measurepoint/post" '{"id":"2","version":"1.0","method":"thing.measurepoint.post","params":{"measurepoints":{"temp":21.5,"count":3,"label":"a","on":true,"curve":[1,2],"pos":{"x":1}},"time":1}}'
assert_json "points of the model with their types: 200, data {}" "$T/out" '"\(.id) \(.code) \(.data)"' '2 200 {}'
rr "$TOP_DEV/thing/measurepoint/post" '{"id":"3","version":"1.0","method":"thing.measurepoint.post","params":{"measurepoints":{"temp":{"value":7,"quality":9},"count":{"value":1}}}}'
assert_json "{value, quality} points are accepted" "$T/out" '"\(.id) \(.code)"' '3 200'
rr "$TOP_DEV/thing/measurepoint/post" '{"id":"4","version":"1.0","method":"thing.measurepoint.post","params":{"measurepoints":{"temp":1,"bogus":2}}}'
assert_json "a point outside the model is refused with 900" "$T/out" '"\(.id) \(.code)"' '4 900'
assert_json "... the message names it, and no data" "$T/out" '"\(.message) \(has("data"))"' \
    'measurepoint bogus is not in the thing model false'
rr "$TOP_DEV/thing/measurepoint/post" '{"id":"5","version":"1.0","method":"thing.measurepoint.post","params":{"measurepoints":{"temp":"hot"}}}'
assert_json "a string for a float point is refused with 800" "$T/out" '"\(.id) \(.code) \(.message)"' \
    '5 800 measurepoint temp: value is not float'
rr "$TOP_DEV/thing/measurepoint/post" '{"id":"6","version":"1.0","method":"thing.measurepoint.post","params":{"measurepoints":{"count":1.5}}}'
assert_json "1.5 for an int point is refused with 800" "$T/out" '"\(.id) \(.code)"' '6 800'
rr "$TOP_DEV/thing/measurepoint/post" '{"id":"7","version":"1.0","method":"thing.measurepoint.post","params":{"measurepoints":{"count":{"value":1,"quality":"good"}}}}'
assert_json "a quality that is not an integer is refused with 800" "$T/out" '"\(.id) \(.code)"' '7 800'
rr "$TOP_DEV/thing/measurepoint/post" '{"id":"8","version":"1.0","method":"thing.measurepoint.post","params":{}}'
assert_json "a post without measurepoints is refused with 800" "$T/out" '"\(.id) \(.code)"' '8 800'
rr "$TOP_DEV/thing/measurepoint/post" '{"id":9,"version":"1.0","method":"thing.measurepoint.post","params":{"measurepoints":{"on":false}}}'
assert_json "a numeric id is echoed as it came" "$T/out" '"\(.id|type) \(.code)"' 'number 200'

rr "$TOP_DEV/thing/measurepoint/post/batch" '{"id":"10","version":"1.0","method":"thing.measurepoint.post.batch","params":[{"measurepoints":{"temp":1},"time":1},{"measurepoints":{"count":2},"time":2}]}'
assert_json "a batch of good posts: 200 on post/batch_reply" "$T/out" '"\(.id) \(.code)"' '10 200'
rr "$TOP_DEV/thing/measurepoint/post/batch" '{"id":"11","version":"1.0","method":"thing.measurepoint.post.batch","params":[{"measurepoints":{"temp":1}},{"measurepoints":{"nope":2}}]}'
assert_json "one bad post fails the whole batch with its code" "$T/out" '"\(.id) \(.code)"' '11 900'

rr "$TOP_DEV/thing/event/alarm/post" '{"id":"12","version":"1.0","method":"thing.event.alarm.post","params":{"events":{"level":2}}}'
assert_json "an event: 200 on event/{id}/post_reply" "$T/out" '"\(.id) \(.code) \(.data)"' '12 200 {}'

rr "$TOP_DEV/thing/attribute/update" '{"id":"13","version":"1.0","method":"thing.attribute.update","params":{"attributes":{"site":"north","floors":3}}}'
assert_json "attribute update: 200" "$T/out" '"\(.id) \(.code)"' '13 200'
rr "$TOP_DEV/thing/attribute/query" '{"id":"14","version":"1.0","method":"thing.attribute.query","params":{"attributes":["site","missing"]}}'
assert_json "attribute query returns the named values in data" "$T/out" '"\(.id) \(.code) \(.data|tojson)"' '14 200 {"site":"north"}'
rr "$TOP_DEV/thing/attribute/delete" '{"id":"15","version":"1.0","method":"thing.attribute.delete","params":{"attributes":["site"]}}'
assert_json "attribute delete: 200" "$T/out" '"\(.id) \(.code)"' '15 200'
rr "$TOP_DEV/thing/attribute/query" '{"id":"16","version":"1.0","method":"thing.attribute.query","params":{}}'
assert_json "a query naming nothing returns every attribute left" "$T/out" '"\(.id) \(.code) \(.data|tojson)"' '16 200 {"floors":3}'
rr "$TOP_DEV/thing/attribute/update" '{"id":"17","version":"1.0","method":"thing.attribute.update","params":{"attributes":[1]}}'
assert_json "attributes that are not an object: 800" "$T/out" '"\(.id) \(.code)"' '17 800'

rr "$TOP_DEV/thing/measurepoint/post" '{"id":"18","version":"1.0","method":"thing.event.x.post","params":{}}'
assert_json "a method unlike the topic: 1260 Methods not consistent" "$T/out" '"\(.id) \(.code) \(.message)"' \
    '18 1260 Methods not consistent'
rr "$TOP_DEV/thing/measurepoint/post" '{"id":"26","version":"1.0","method":"thing.measurepoint.post\u0000x","params":{}}'
assert_json "a method with a NUL after the topic's: 1260" "$T/out" '"\(.id) \(.code)"' '26 1260'
rr "$TOP_DEV/thing/measurepoint/post" '{"id":"19","params":{}}'
assert_json "no method: 1260" "$T/out" '"\(.id) \(.code)"' '19 1260'
rr "$TOP_DEV/thing/measurepoint/post" '{"id":"20", oops'
assert_json "a payload that is not JSON: 1220 Payload format error, id null" "$T/out" '"\(.id) \(.code) \(.message)"' \
    'null 1220 Payload format error'
rr "$TOP_DEV/thing/measurepoint/post" '[1,2]'
assert_json "a JSON array: 1220" "$T/out" .code 1220
# JSON as RFC 8259 defines it, judged as the tools judge it (lib's edge_json).
H='"version":"1.0","method":"thing.measurepoint.post","params":{"measurepoints"'
for bad in "{\"id\":'21',$H:{\"temp\":1}}}" "{\"id\":\"22\",$H:{\"temp\":NaN}}}" \
    "{\"id\":\"23\",$H:{\"temp\":1,}}}" "{\"id\":\"24\",/* c */$H:{\"temp\":1}}}" \
    "{\"id\":\"25\",$H:{\"label\":\"\\ud800\"}}}"; do
	rr "$TOP_DEV/thing/measurepoint/post" "$bad"
	assert_json "not RFC 8259 JSON: 1220 ($bad)" "$T/out" '"\(.id) \(.code)"' 'null 1220'
done
rr_empty "$TOP_DEV/thing/measurepoint/post"
assert_json "an empty payload: 1251 Payload is empty" "$T/out" '"\(.code) \(.message)"' '1251 Payload is empty'

# Topics EnOS does not answer get no reply.
login "$G" "$DK" "$DK"
# shellcheck disable=SC2086
_run timeout $(slow 15) mosquitto_rr $LOGIN -i "$CID" -q 1 -t "$TOP_DEV/thing/whatever" -e "$TOP_DEV/thing/whatever_reply" -m '{}' -W 2
assert_eq "an unknown uplink topic gets no reply" "$([ -s "$T/out" ] && echo reply || echo none)" none

sleep 1
stop_pid "$cloud_sub_pid"
stop_pid "$sys_pid"
assert_grep "the cloud sees an accepted post on /hub/accepted/ + its topic" \
    "^/hub/accepted$TOP_DEV/thing/measurepoint/post {\"id\":\"2\"" "$T/acc"
assert_grep "... accepted attribute updates too" "^/hub/accepted$TOP_DEV/thing/attribute/update {\"id\":\"13\"" "$T/acc"
assert_not_grep "... never a refused one" '"id":"4"\|"id":"5"\|"id":"11"\|"id":"18"' "$T/acc"
assert_not_grep "... nor one that is not RFC 8259 JSON" "'21'\\|\"id\":\"2[1-6]\"" "$T/acc"
assert_grep "the cloud still sees the raw uplink" "^$TOP_DEV/thing/measurepoint/post {\"id\":\"4\"" "$T/sys"
assert_not_grep "the hub's replies go to the device, not the cloud" "_reply " "$T/sys"
assert_grep "the broker log names the refused uplink" "enos-auth: $DK&$PK: $TOP_DEV/thing/measurepoint/post refused" "$HUB_DIR/mosquitto.log"

# Another device cannot read this device's replies.
login "$G2" SN-M2 SN-M2
# shellcheck disable=SC2086
mosquitto_sub $LOGIN -i "$CID" -v -t "$TOP_DEV/#" -W $(slow 4) > "$T/other" 2>&1 &
OTHER=$!
sleep 1
rr "$TOP_DEV/thing/measurepoint/post" '{"id":"21","version":"1.0","method":"thing.measurepoint.post","params":{"measurepoints":{"temp":2}}}'
assert_json "(a reply while another device listens)" "$T/out" .code 200
wait $OTHER 2>/dev/null
assert_not_grep "another device never receives the reply" '"id":"21"' "$T/other"

# ---- commands without SUBSCRIBE -------------------------------------------
# A bare MQTT 3.1.1 client: CONNECT, then it prints COUNT PUBLISHes it gets
# (QoS 1 acknowledged) and disconnects; it never sends SUBSCRIBE.
cat > "$T/nosub.py" <<'EOF'
import socket, ssl, struct, sys
host, port, ca, cert, key, cid, user, pw, count = sys.argv[1:10]
ctx = ssl.create_default_context(cafile=ca)
ctx.check_hostname = False
ctx.load_cert_chain(cert, key)
s = ctx.wrap_socket(socket.create_connection((host, int(port)), timeout=30))
def utf(t):
    b = t.encode()
    return struct.pack('!H', len(b)) + b
def length(n):
    out = b''
    while True:
        d, n = n % 128, n // 128
        out += bytes([d | (128 if n else 0)])
        if not n:
            return out
def exact(n):
    b = b''
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            sys.exit('connection closed')
        b += c
    return b
def packet():
    h, n, mult = exact(1)[0], 0, 1
    while True:
        d = exact(1)[0]
        n += (d & 127) * mult
        mult *= 128
        if not d & 128:
            return h, exact(n)
body = utf('MQTT') + bytes([4, 0xC2]) + struct.pack('!H', 60) + utf(cid) + utf(user) + utf(pw)
s.sendall(bytes([0x10]) + length(len(body)) + body)
h, b = packet()
if h != 0x20 or b[1] != 0:
    sys.exit('CONNACK refused: %r' % b)
print('connected', flush=True)
got = 0
while got < int(count):
    h, b = packet()
    if h >> 4 != 3:
        continue
    tl = struct.unpack('!H', b[:2])[0]
    topic, p = b[2:2 + tl].decode(), 2 + tl
    if (h >> 1) & 3:
        s.sendall(bytes([0x40, 2]) + b[p:p + 2])
        p += 2
    print(topic, b[p:].decode(), flush=True)
    got += 1
s.sendall(bytes([0xE0, 0]))
EOF
# nosub DIR DK COUNT OUT: the bare client logged in as DK, in the background ($NOSUB).
nosub() {
	_mts=$(date +%s%3N)
	_pw=$("$SIGN" mqtt sha256 "$2" "$2" "$PK" "$_mts" "$1/device.secret")
	timeout $(slow 20) python3 "$T/nosub.py" 127.0.0.1 "$MQTT_PORT" "$HUB_CA" "$1/cert.pem" "$1/key.pem" \
	    "$2|securemode=2,signmethod=sha256,timestamp=$_mts|" "$2&$PK" "$_pw" "$3" > "$4" 2>&1 &
	NOSUB=$!
	wait_for_grep '^connected' "$4" 10 || diag "$(cat "$4")"
}
nosub "$G" "$DK" 1 "$T/ns1"
cloud_pub "$TOP_DEV/thing/service/measurepoint/set" '{"id":"50","version":"1.0","method":"thing.service.measurepoint.set","params":{"temp":30.5}}'
wait $NOSUB; rc=$?
assert_eq "a client that never subscribed receives the cloud's command" "$rc" 0
assert_grep "... on the command topic, with the payload" \
    "^$TOP_DEV/thing/service/measurepoint/set {\"id\":\"50\".*30.5" "$T/ns1"
assert_grep "the broker log counts the delivery" "command $TOP_DEV/thing/service/measurepoint/set: delivered to 1 session" "$HUB_DIR/mosquitto.log"

nosub "$G" "$DK" 2 "$T/ns2"
cloud_pub "/sys/$PK/SN-M2/thing/service/reboot" '{"id":"51","version":"1.0","method":"thing.service.reboot","params":{}}'
cloud_pub "$TOP_DEV/thing/service/reboot" '{"id":"52","version":"1.0","method":"thing.service.reboot","params":{}}'
cloud_pub "$TOP_DEV/thing/service/ping" '{"id":"53","version":"1.0","method":"thing.service.ping","params":{}}'
wait $NOSUB
assert_eq "... every command for it, in order, none for another device" \
    "$(grep '^/sys/' "$T/ns2" | cut -d' ' -f2- | jq -r .id | tr '\n' ' ')" "52 53 "

# A device subscribed twice over (like edge-connect: service/+ and
# service/measurepoint/set) gets each command once.
login "$G" "$DK" "$DK-sub"
# shellcheck disable=SC2086
mosquitto_sub $LOGIN -i "$CID" -v -q 1 -t "$TOP_DEV/thing/service/+" -t "$TOP_DEV/thing/service/measurepoint/set" \
    -t "$TOP_DEV/thing/service/#" -W $(slow 4) > "$T/twice" 2>&1 &
TW=$!
sleep 1
cloud_pub "$TOP_DEV/thing/service/measurepoint/set" '{"id":"54","version":"1.0","method":"thing.service.measurepoint.set","params":{"temp":1}}'
wait $TW 2>/dev/null
assert_eq "a subscribed device receives a command exactly once" "$(grep -c '"id":"54"' "$T/twice")" 1

# ---- edge-connect against the real replies --------------------------------
printf '%s\n' '{"temp":20.5}' '{"bogus":1}' '{"temp":"warm"}' \
    '{"method":"thing.event.alarm.post","params":{"level":1}}' '{"count":4}' > "$T/in"
# Standard input ends at once: --exit-on-eof waits for the replies after the
# last PUBACK (--reply-wait).
timeout $(slow 30) edge-connect -d "$G" --exit-on-eof --json < "$T/in" > "$T/ec.out" 2> "$T/ec.err"
rc=$?
assert_eq "edge-connect sends five lines to the stand-in; two rejected: exit 5" "$rc" 5
assert_grep "... the error line counts them and lists the codes" \
    "^edge-connect: the hub rejected 2 of 5 messages (codes 900, 800)$" "$T/ec.err"
cp "$T/ec.out" "$T/out"
assert_json "... --json keeps the counts beside the error" "$T/out" .error.code 5
assert_json "... all five acknowledged (PUBACK)" "$T/out" .acknowledged 5
assert_json "... two rejected by the hub's real replies" "$T/out" .rejected 2
assert_grep "... the unknown point with code 900 and EnOS's message" \
    "hub rejected message .* on $TOP_DEV/thing/measurepoint/post_reply: code 900: measurepoint bogus is not in the thing model" "$T/ec.err"
assert_grep "... the mistyped point with code 800" \
    "hub rejected message .* on $TOP_DEV/thing/measurepoint/post_reply: code 800: measurepoint temp: value is not float" "$T/ec.err"
assert_json "... none unanswered" "$T/out" .unanswered 0
timeout $(slow 30) edge-connect -vv -d "$G" --exit-on-eof --json < "$T/in" > "$T/ec.out" 2> "$T/ec.err"
assert_eq "... with -vv the accepted ones are logged with their ids" "$(grep -c 'hub accepted message' "$T/ec.err")" 3
for i in 1 2 3; do
	printf '%s\n' '{"temp":1}' '{"bogus":1}' | timeout $(slow 30) edge-connect -d "$G" --exit-on-eof --json > "$T/ec.out" 2> "$T/ec.err"
	rc=$?
	assert_eq "a refused second message, input closed at once ($i): exit 5" "$rc" 5
	assert_json "... counted as rejected ($i)" "$T/ec.out" '"\(.rejected) \(.unanswered)"' '1 0'
done
echo '{"temp":1}' | timeout $(slow 30) edge-connect -d "$G" --exit-on-eof --json > "$T/ec.out" 2> "$T/ec.err"
rc=$?
assert_eq "an accepted line alone: exit 0" "$rc" 0
assert_json "... none rejected, none unanswered" "$T/ec.out" '"\(.acknowledged) \(.rejected) \(.unanswered)"' '1 0 0'

# The stand-in never answers thing.topo.*: the wait for replies is bounded.
printf '%s\n' '{"temp":1}' '{"method":"thing.topo.get","params":{}}' > "$T/topo"
start=$(date +%s)
timeout $(slow 30) edge-connect -d "$G" --exit-on-eof --reply-wait 2 --json < "$T/topo" > "$T/ec.out" 2> "$T/ec.err"
rc=$?
took=$(( $(date +%s) - start ))
assert_eq "a message the hub never answers: exit 0" "$rc" 0
assert_json "... both acknowledged, one unanswered" "$T/ec.out" '"\(.acknowledged) \(.rejected) \(.unanswered)"' '2 0 1'
assert_grep "... told on standard error" "1 message not answered by the hub within 2 s" "$T/ec.err"
if [ "$took" -ge 2 ] && [ "$took" -le $(slow 10) ]; then ok "... after the --reply-wait (${took} s)"
else not_ok "... after the --reply-wait (${took} s)"; fi
timeout $(slow 30) edge-connect -d "$G" --exit-on-eof --reply-wait 0 --json < "$T/topo" > "$T/ec.out" 2> "$T/ec.err"
assert_json "--reply-wait 0: no wait; what did not come is counted unanswered" "$T/ec.out" '"\(.acknowledged) \(.unanswered >= 1)"' '2 true'

# --no-replies: no _reply subscription, so the PUBACK ends a message and the
# hub's refusals go unseen: the five lines above (two refused) exit 0.
timeout $(slow 30) edge-connect -vv -d "$G" --exit-on-eof --no-replies --json < "$T/in" > "$T/ec.out" 2> "$T/ec.err"
rc=$?
assert_eq "--no-replies: five lines, two the hub refuses: exit 0" "$rc" 0
assert_json "... all five acknowledged" "$T/ec.out" .acknowledged 5
assert_json "... rejected and unanswered are null: not known" "$T/ec.out" '"\(.rejected) \(.unanswered)"' 'null null'
assert_grep "... the downlink is subscribed" "^edge-connect: subscribe $TOP_DEV/thing/service/" "$T/ec.err"
assert_not_grep "... no _reply topic is" "^edge-connect: subscribe .*_reply" "$T/ec.err"
assert_not_grep "... no rejection is reported" "hub rejected" "$T/ec.err"
assert_grep "... the summary says so" "^edge-connect: sent 5, acknowledged 5, replies not asked for," "$T/ec.err"
# Command line only: an edge.conf or EDGE_NO_REPLIES (set for the service)
# does not turn off the check of a bounded run on the same gateway.
cp "$G/edge.conf" "$T/edge.conf.keep" 2>/dev/null || : > "$T/edge.conf.keep"
echo "no-replies = yes" >> "$G/edge.conf"
EDGE_NO_REPLIES=yes timeout $(slow 30) edge-connect -d "$G" --exit-on-eof --json < "$T/in" > "$T/ec.out" 2> "$T/ec.err"
rc=$?
cp "$T/edge.conf.keep" "$G/edge.conf"
assert_eq "no-replies in edge.conf and EDGE_NO_REPLIES=yes: still checked, exit 5" "$rc" 5
assert_json "... two rejected" "$T/ec.out" .rejected 2
timeout $(slow 30) edge-connect -d "$G" --no-replies=yes --exit-on-eof < /dev/null > "$T/ec.out" 2> "$T/ec.err"
rc=$?
assert_eq "--no-replies=yes: a usage error (exit 2)" "$rc" 2
assert_grep "... naming the option" "^edge-connect: option --no-replies takes no argument" "$T/ec.err"
start=$(date +%s)
timeout $(slow 30) edge-connect -d "$G" --exit-on-eof --no-replies --reply-wait 5 --json < "$T/topo" > "$T/ec.out" 2> "$T/ec.err"
rc=$?
took=$(( $(date +%s) - start ))
assert_eq "--no-replies with a message the hub never answers: exit 0" "$rc" 0
if [ "$took" -lt 4 ]; then ok "... without waiting for its reply (${took} s, --reply-wait 5)"
else not_ok "... without waiting for its reply (${took} s, --reply-wait 5)"; fi
assert_not_grep "... nothing told as unanswered" "not answered by the hub" "$T/ec.err"

# edge-connect receives a command it subscribed to once, and the cloud its reply.
cloud_sub "$T/replies" "$TOP_DEV/thing/service/#" -v
: > "$T/down.err"
edge-connect -vv -d "$G" -C 2 -W $(slow 20) < /dev/null > "$T/down" 2> "$T/down.err" &
EC=$!
wait_for_grep "^edge-connect: subscribed " "$T/down.err" 20 5
cloud_pub "$TOP_DEV/thing/service/measurepoint/set" '{"id":"60","version":"1.0","method":"thing.service.measurepoint.set","params":{"temp":2}}'
cloud_pub "$TOP_DEV/thing/service/measurepoint/set" '{"id":"61","version":"1.0","method":"thing.service.measurepoint.set","params":{"temp":3}}'
wait $EC; rc=$?
assert_eq "edge-connect gets two commands (--count 2)" "$rc" 0
assert_eq "... each once, in order" "$(jq -r .id "$T/down" | tr '\n' ' ')" "60 61 "
wait_for_grep "set_reply " "$T/replies" 5 2
stop_pid "$SUB_PID"
assert_eq "... its replies reach the cloud" "$(grep 'set_reply ' "$T/replies" | cut -d' ' -f2- | jq -r '"\(.id):\(.code)"' | tr '\n' ' ')" "60:200 61:200 "

assert_not_grep "the broker logged no sanitizer report" "Sanitizer\|runtime error" "$HUB_DIR/mosquitto.log"
done_testing
