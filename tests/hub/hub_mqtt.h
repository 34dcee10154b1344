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

#include <json.h>

#include "hub_conf.h"

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

/*
 * /sys/{pk}/{dk}/thing/service/... with non-empty keys and no wildcards:
 * what the cloud may publish.
 */
bool hub_mqtt_service_topic(const char *topic);

/*
 * May device pk/dk use topic?  Under /sys/{pk}/{dk}/ and
 * /ext/session/{pk}/{dk}/; an activation session (securemode=3) only under
 * /ext/session/{pk}/{dk}/thing/activate/info.  Never when pk or dk is empty
 * or has '/', '+' or '#'.
 */
bool hub_mqtt_device_topic(const char *topic, const char *pk, const char *dk,
    bool activation);

/*
 * Uplinks EnOS answers on topic + "_reply" (ENOS-PROTOCOL.md 9.3, 9.4):
 * reply codes.  1220, 1251 and 1260 are EnOS's common MQTT return codes;
 * 800 and 900 the device SDKs' data and model error ranges (EnOS documents
 * no finer code for a point outside the thing model or of the wrong type).
 */
#define HUB_MQTT_OK		200
#define HUB_MQTT_E_DATA		800	/* params malformed, value of the wrong type */
#define HUB_MQTT_E_MODEL	900	/* measurepoint not in the thing model */
#define HUB_MQTT_E_FORMAT	1220	/* payload is not a JSON object */
#define HUB_MQTT_E_EMPTY	1251	/* empty payload */
#define HUB_MQTT_E_METHOD	1260	/* method does not match the topic */

/* The uplinks the hub answers: what follows /sys/{pk}/{dk}/. */
enum hub_uplink {
	HUB_UP_NONE, HUB_UP_POST, HUB_UP_BATCH, HUB_UP_EVENT,
	HUB_UP_ATTR_UPDATE, HUB_UP_ATTR_QUERY, HUB_UP_ATTR_DELETE
};

/*
 * Which answered uplink topic is: /sys/{pk}/{dk}/thing/measurepoint/post,
 * .../post/batch, .../thing/event/{id}/post, .../thing/attribute/update,
 * query or delete (pk and dk non-empty, no wildcards); HUB_UP_NONE for any
 * other topic.
 */
enum hub_uplink hub_mqtt_uplink_kind(const char *topic);

/* Is topic the _reply of an uplink the hub answers? */
bool hub_mqtt_answer_topic(const char *topic);

/* The hub's answer to one uplink. */
struct hub_mqtt_answer {
	char *topic;	/* the request topic + "_reply" */
	char *text;	/* {"id","code","data"[,"message"]} */
	int code;	/* HUB_MQTT_OK or one of the errors above */
};

/*
 * The answer to a PUBLISH of payload (len bytes) on topic by a device that
 * may use topic: 1 with *a set (free it with hub_mqtt_answer_free), 0 when
 * EnOS does not answer that topic, -1 out of memory.  p is the device's
 * product (its thing model; NULL or no measurepoints: every point goes);
 * attrs, a JSON object, is the device's attribute store, changed by
 * thing.attribute.update and delete and read by query.  No I/O.
 */
int hub_mqtt_uplink(const char *topic, const void *payload, size_t len,
    const struct hub_product *p, json_object *attrs,
    struct hub_mqtt_answer *a);
void hub_mqtt_answer_free(struct hub_mqtt_answer *a);

#endif
