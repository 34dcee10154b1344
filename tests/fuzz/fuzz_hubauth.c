/* SPDX-License-Identifier: MIT */
/*
 * What the stand-in hub's broker plugin reads from an MQTT client
 * (tests/hub/hub_mqtt.h): an input is up to four lines, the CONNECT client
 * id, username and password and one PUBLISH/SUBSCRIBE topic.  Besides
 * memory errors the harness checks that a topic a device is allowed is under
 * its own /sys/{pk}/{dk}/ or /ext/session/{pk}/{dk}/, and that a password
 * made with the parsed fields is accepted in either hex case.  Seeds are the
 * logins edge-connect and edge-provision --via mqtt make (lib/edge_mqtt.c,
 * lib/edge_dynact.c) and the refused ones of tests/cli/hub.t.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edge_enos.h"
#include "fuzz.h"
#include "hub_mqtt.h"

#define SECRET	"fuzz-device-secret"

static void
check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_hubauth: invariant broken: %s\n", what);
		abort();
	}
}

/* Is level n (0-based, after the prefix) of topic exactly want? */
static bool
level_is(const char *topic, size_t n, const char *want)
{
	const char *p = topic, *end;
	size_t len = strlen(want);

	for (; n > 0; n--) {
		if ((p = strchr(p, '/')) == NULL)
			return false;
		p++;
	}
	end = strchr(p, '/');
	return end != NULL && (size_t)(end - p) == len &&
	    strncmp(p, want, len) == 0;
}

static void
topic_checks(const char *topic, const char *pk, const char *dk)
{
	const char *rest = NULL;
	bool act, dev;

	if (hub_mqtt_service_topic(topic))
		check(strncmp(topic, "/sys/", 5) == 0 &&
		    strpbrk(topic, "+#") == NULL &&
		    strstr(topic, "/thing/service/") != NULL, "service topic");
	if (pk == NULL)
		return;
	act = hub_mqtt_device_topic(topic, pk, dk, true);
	dev = hub_mqtt_device_topic(topic, pk, dk, false);
	if (act)
		check(dev, "activation topic is a device topic");
	if (!dev)
		return;
	/* Allowed: the levels after the prefix are this device's, no other. */
	if (strncmp(topic, "/sys/", 5) == 0)
		rest = topic + 5;
	else if (strncmp(topic, "/ext/session/", 13) == 0)
		rest = topic + 13;
	check(rest != NULL, "device topic prefix");
	check(level_is(rest, 0, pk) && level_is(rest, 1, dk),
	    "device topic names the device's own product and device key");
	check(strpbrk(pk, "+#") == NULL && strpbrk(dk, "+#") == NULL,
	    "device topic without wildcards in the keys");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), *line[4] = { NULL }, *p, *nl;
	char user[HUB_MQTT_USER_MAX], *pk = NULL, want[EDGE_ENOS_HEX256];
	struct hub_mqtt_cid f;
	bool id_ok, user_ok;
	int i;

	for (p = s, i = 0; p != NULL && i < 4; i++) {
		line[i] = p;
		if ((nl = strchr(p, '\n')) != NULL)
			*nl++ = '\0';
		p = nl;
	}
	id_ok = line[0] != NULL && hub_mqtt_client_id(line[0], &f);
	if (id_ok)
		check(f.cid[0] != '\0' && strchr(f.cid, '|') == NULL &&
		    f.mode[0] && f.method[0] && f.ts[0], "client id fields");
	user_ok = line[1] != NULL && hub_mqtt_username(line[1], user, &pk);
	if (user_ok)
		check(strlen(user) + 1 + strlen(pk) == strlen(line[1]),
		    "username split");
	else
		pk = NULL;
	if (id_ok && user_ok) {
		(void)hub_mqtt_password_ok(&f, user, pk, SECRET, line[2]);
		/* The device may send its digest in upper case. */
		if (edge_enos_mqtt_password(f.method, f.cid, user, pk, f.ts,
		    SECRET, true, want, sizeof(want)) == 0)
			check(hub_mqtt_password_ok(&f, user, pk, SECRET, want),
			    "uppercase password accepted");
	}
	if (line[3] != NULL)
		topic_checks(line[3], pk, user);
	free(s);
	return 0;
}
