/* SPDX-License-Identifier: MIT */
#ifndef HUB_MQTT_H
#define HUB_MQTT_H

/*
 * What the broker plugin (enos-auth-plugin.c) reads from a client: the
 * CONNECT client id, username and password of ENOS-PROTOCOL.md 9.2 and the
 * topics of its publishes and subscriptions.  Pure functions, no broker and
 * no hub state, never print (tests/fuzz/fuzz_hubauth.c calls them directly).
 */

#include <stdbool.h>
#include <stddef.h>

#define HUB_MQTT_USER_MAX	160	/* {deviceKey}&{productKey} and NUL */

/* The fields of a client id {cid}|securemode=M,signmethod=S,timestamp=T|. */
struct hub_mqtt_cid {
	char cid[128], mode[8], method[16], ts[32];
};

/*
 * Split id into f.  True when it has the shape above with a non-empty cid
 * and securemode, signmethod and timestamp present (values are truncated to
 * the field sizes; unknown keys are ignored).
 */
bool hub_mqtt_client_id(const char *id, struct hub_mqtt_cid *f);

/*
 * Split a username {deviceKey}&{productKey} into user (the device key,
 * NUL-terminated) and *pk (pointing into user).  False when it has no '&' or
 * does not fit.
 */
bool hub_mqtt_username(const char *username, char user[HUB_MQTT_USER_MAX],
    char **pk);

/*
 * Is password the 9.2 digest of f, dk and pk with secret (signmethod of f,
 * hex in any case)?  False for an unknown signmethod or a NULL password.
 */
bool hub_mqtt_password_ok(const struct hub_mqtt_cid *f, const char *dk,
    const char *pk, const char *secret, const char *password);

/* /sys/{pk}/{dk}/thing/service/..., no wildcards: what the cloud may publish. */
bool hub_mqtt_service_topic(const char *topic);

/*
 * May device pk/dk use topic?  Under /sys/{pk}/{dk}/ and
 * /ext/session/{pk}/{dk}/; an activation session (securemode=3) only under
 * /ext/session/{pk}/{dk}/thing/activate/info.  Never when pk or dk is empty
 * or has '/', '+' or '#'.
 */
bool hub_mqtt_device_topic(const char *topic, const char *pk, const char *dk,
    bool activation);

#endif
