/* SPDX-License-Identifier: MIT */
/*
 * The broker plugin's parsers of client data (hub_mqtt.h): kept apart from
 * enos-auth-plugin.c so the fuzz target links them without a broker.
 */
#include <stdio.h>
#include <string.h>

#include "edge_enos.h"
#include "hub_mqtt.h"

bool
hub_mqtt_client_id(const char *id, struct hub_mqtt_cid *f)
{
	const char *bar = strchr(id, '|'), *end;
	char params[256], *tok, *save = NULL, *eq;
	size_t n;

	memset(f, 0, sizeof(*f));
	if (bar == NULL || (n = (size_t)(bar - id)) == 0 || n >= sizeof(f->cid))
		return false;
	memcpy(f->cid, id, n);
	end = strchr(bar + 1, '|');
	if (end == NULL || end[1] != '\0' ||
	    (n = (size_t)(end - bar - 1)) >= sizeof(params))
		return false;
	memcpy(params, bar + 1, n);
	params[n] = '\0';
	for (tok = strtok_r(params, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if ((eq = strchr(tok, '=')) == NULL)
			continue;
		*eq++ = '\0';
		if (strcmp(tok, "securemode") == 0)
			snprintf(f->mode, sizeof(f->mode), "%s", eq);
		else if (strcmp(tok, "signmethod") == 0)
			snprintf(f->method, sizeof(f->method), "%s", eq);
		else if (strcmp(tok, "timestamp") == 0)
			snprintf(f->ts, sizeof(f->ts), "%s", eq);
	}
	return f->mode[0] && f->method[0] && f->ts[0];
}

bool
hub_mqtt_username(const char *username, char user[HUB_MQTT_USER_MAX],
    char **pk)
{
	if (snprintf(user, HUB_MQTT_USER_MAX, "%s", username) >=
	    HUB_MQTT_USER_MAX || (*pk = strchr(user, '&')) == NULL)
		return false;
	*(*pk)++ = '\0';
	return true;
}

bool
hub_mqtt_password_ok(const struct hub_mqtt_cid *f, const char *dk,
    const char *pk, const char *secret, const char *password)
{
	char want[EDGE_ENOS_HEX256];
	bool ok;

	ok = password != NULL && edge_enos_mqtt_password(f->method, f->cid, dk,
	    pk, f->ts, secret, false, want, sizeof(want)) == 0 &&
	    edge_enos_hex_equal(password, want);
	explicit_bzero(want, sizeof(want));
	return ok;
}

static bool
has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool
hub_mqtt_service_topic(const char *t)
{
	const char *p;
	int level;

	if (!has_prefix(t, "/sys/") || strpbrk(t, "+#") != NULL)
		return false;
	p = t + 5;
	for (level = 0; level < 2; level++) {
		p = strchr(p, '/');
		if (p == NULL || p[1] == '\0')
			return false;
		p++;
	}
	return has_prefix(p - 1, "/thing/service/") &&
	    strlen(p - 1) > strlen("/thing/service/");
}

bool
hub_mqtt_device_topic(const char *topic, const char *pk, const char *dk,
    bool activation)
{
	char own[2][256];

	/*
	 * A key with '/' would name another device's levels ("a/b" is under
	 * "a"), '+' or '#' would make a subscription a wildcard over other
	 * devices.  The hub never registers such keys (hub_valid_key); an
	 * edited state.json or hub.conf must not open them either.
	 */
	if (*pk == '\0' || *dk == '\0' || strpbrk(pk, "/+#") != NULL ||
	    strpbrk(dk, "/+#") != NULL)
		return false;
	if (activation) {
		if ((size_t)snprintf(own[0], sizeof(own[0]),
		    "/ext/session/%s/%s/thing/activate/info", pk, dk) >=
		    sizeof(own[0]))
			return false;
		return has_prefix(topic, own[0]);
	}
	if ((size_t)snprintf(own[0], sizeof(own[0]), "/sys/%s/%s/", pk, dk) >=
	    sizeof(own[0]) ||
	    (size_t)snprintf(own[1], sizeof(own[1]), "/ext/session/%s/%s/", pk,
	    dk) >= sizeof(own[1]))
		return false;
	return has_prefix(topic, own[0]) || has_prefix(topic, own[1]);
}
