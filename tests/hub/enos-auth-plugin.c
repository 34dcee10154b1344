/* SPDX-License-Identifier: MIT */
/*
 * enos-auth-plugin: mosquitto 2 auth and ACL plugin of the stand-in hub.
 *
 *   plugin build/tests/hub/enos-auth-plugin.so
 *   plugin_opt_dir HUB_DIR
 *
 * CONNECT (ENOS-PROTOCOL.md 9.2): client id {cid}|securemode=2,signmethod=M,
 * timestamp=T|, username {deviceKey}&{productKey}, password = hex digest
 * with the device secret (any hex case, signmethod aliases accepted); the TLS
 * client certificate must be the one the hub bound to that device and not be
 * revoked or expired.  The cloud client (username "cloud") needs the password
 * in HUB_DIR/cloud.password and the hub's cloud certificate.
 * ACL: a device only under /sys/{pk}/{dk}/ and /ext/session/{pk}/{dk}/; the
 * cloud publishes to /sys/+/+/thing/service/... and reads /sys/# and
 * /ext/session/#.
 * The hub's state.json and hub.conf are re-read when they change, so new or
 * revoked devices take effect at once; a device whose certificate gets
 * revoked is disconnected.
 * Replies (9.3): the uplinks EnOS answers (hub_mqtt_uplink) get their
 * _reply, checked against the product's thing model in hub.conf; what was
 * accepted is republished on /hub/accepted/sys/... for the cloud.
 * Commands (9.3, 12): a cloud publish on /sys/{pk}/{dk}/thing/service/... is
 * delivered straight to every session logged in as that device, subscribed
 * or not (mosquitto_broker_publish with a client id skips subscriptions and
 * the read ACL); devices may not read those topics through subscriptions,
 * so a subscribed device gets each command once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <json.h>
#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>
#include <openssl/bn.h>
#include <openssl/x509.h>

#include "hub_conf.h"
#include "hub_json.h"
#include "hub_mqtt.h"

#define LOG	"enos-auth: "
#define CLOUD_USER	"cloud"
#define ACCEPTED	"/hub/accepted"	/* + the uplink's topic */

struct stamp {
	struct timespec mtime;
	off_t size;
	ino_t ino;
};

static mosquitto_plugin_id_t *plugin_id;
static char *hub_dir;
static json_object *state;		/* state.json */
static struct hub_conf conf;		/* hub.conf */
static char cloud_password[128];
static struct stamp state_stamp, conf_stamp, pw_stamp;

/* Device sessions (securemode=2) by client: where commands go. */
struct session {
	const struct mosquitto *client;
	char *id;
	char user[HUB_MQTT_USER_MAX];		/* {deviceKey}&{productKey} */
};
static struct session *sessions;
static size_t nsessions;
static json_object *attr_store;		/* username -> attributes */

static int64_t
now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void
path_of(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", hub_dir, name);
}

/* True (and *s updated) when the file differs from the last look. */
static bool
changed(const char *name, struct stamp *s)
{
	char path[4096];
	struct stat st;

	path_of(path, sizeof(path), name);
	if (stat(path, &st) != 0)
		return false;
	if (st.st_mtim.tv_sec == s->mtime.tv_sec &&
	    st.st_mtim.tv_nsec == s->mtime.tv_nsec && st.st_size == s->size &&
	    st.st_ino == s->ino)
		return false;
	s->mtime = st.st_mtim;
	s->size = st.st_size;
	s->ino = st.st_ino;
	return true;
}

static json_object *
array(json_object *root, const char *name)
{
	json_object *a;

	if (root == NULL || !json_object_object_get_ex(root, name, &a) ||
	    !json_object_is_type(a, json_type_array))
		return NULL;
	return a;
}

static bool
revoked(json_object *c)
{
	const char *s = hub_jstr(c, "status");

	return s != NULL && strcmp(s, "revoked") == 0;
}

/* Disconnect devices whose certificate old did not have revoked yet. */
static void
kick_revoked(json_object *old, json_object *now)
{
	json_object *certs = array(now, "certs"), *oc = array(old, "certs"), *c;
	size_t i, j;
	char user[256];

	if (certs == NULL || oc == NULL)
		return;
	for (i = 0; i < json_object_array_length(certs); i++) {
		c = json_object_array_get_idx(certs, i);
		if (!revoked(c))
			continue;
		for (j = 0; j < json_object_array_length(oc); j++) {
			json_object *o = json_object_array_get_idx(oc, j);

			if (strcmp(hub_jstr(o, "certSN") ?: "", hub_jstr(c, "certSN") ?: "-")
			    == 0 && !revoked(o)) {
				snprintf(user, sizeof(user), "%s&%s",
				    hub_jstr(c, "deviceKey"), hub_jstr(c, "productKey"));
				mosquitto_log_printf(MOSQ_LOG_NOTICE, LOG
				    "certificate %s revoked: disconnecting %s",
				    hub_jstr(c, "certSN"), user);
				mosquitto_kick_client_by_username(user, false);
			}
		}
	}
}

static void
reload(void)
{
	char path[4096], msg[512], *nl;
	struct hub_conf c;
	json_object *root;
	FILE *f;

	if (changed("state.json", &state_stamp)) {
		path_of(path, sizeof(path), "state.json");
		root = json_object_from_file(path);
		if (root == NULL) {
			/* Keep the previous view; retry at the next event. */
			memset(&state_stamp, 0, sizeof(state_stamp));
			mosquitto_log_printf(MOSQ_LOG_WARNING, LOG
			    "cannot read %s", path);
		} else {
			kick_revoked(state, root);
			json_object_put(state);
			state = root;
		}
	}
	if (changed("hub.conf", &conf_stamp)) {
		path_of(path, sizeof(path), "hub.conf");
		if (hub_conf_load(path, &c, msg, sizeof(msg)) == 0)
			conf = c;
		else {
			memset(&conf_stamp, 0, sizeof(conf_stamp));
			mosquitto_log_printf(MOSQ_LOG_WARNING, LOG "%s", msg);
		}
		explicit_bzero(&c, sizeof(c));
	}
	if (changed("cloud.password", &pw_stamp)) {
		path_of(path, sizeof(path), "cloud.password");
		cloud_password[0] = '\0';
		if ((f = fopen(path, "re")) != NULL) {
			if (fgets(cloud_password, sizeof(cloud_password), f) == NULL)
				cloud_password[0] = '\0';
			fclose(f);
		}
		if ((nl = strpbrk(cloud_password, "\r\n")) != NULL)
			*nl = '\0';
	}
}

static json_object *
find_device(const char *pk, const char *dk)
{
	json_object *devs = array(state, "devices"), *d;
	size_t i;

	for (i = 0; devs != NULL && i < json_object_array_length(devs); i++) {
		d = json_object_array_get_idx(devs, i);
		if (strcmp(hub_jstr(d, "productKey") ?: "", pk) == 0 &&
		    strcmp(hub_jstr(d, "deviceKey") ?: "", dk) == 0)
			return d;
	}
	return NULL;
}

/* Decimal serial of the client's TLS certificate, or NULL. */
static char *
client_serial(struct mosquitto *client)
{
	X509 *x = mosquitto_client_certificate(client);
	BIGNUM *bn = NULL;
	char *dec = NULL, *copy = NULL;

	if (x == NULL)
		return NULL;
	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL)) != NULL &&
	    (dec = BN_bn2dec(bn)) != NULL)
		copy = strdup(dec);
	OPENSSL_free(dec);
	BN_free(bn);
	X509_free(x);
	return copy;
}

/* Constant-time equality for the cloud password. */
static bool
secret_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;
	unsigned char d = 0;

	if (la != lb || la == 0)
		return false;
	for (i = 0; i < la; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

static int
auth_cloud(struct mosquitto *client, const char *password)
{
	json_object *sys = array(state, "system_certs"), *s;
	char *sn = client_serial(client);
	bool cert_ok = false;
	size_t i;
	int rc = MOSQ_ERR_AUTH;

	for (i = 0; sn != NULL && sys != NULL && i < json_object_array_length(sys);
	    i++) {
		s = json_object_array_get_idx(sys, i);
		if (strcmp(hub_jstr(s, "role") ?: "", "cloud") == 0 &&
		    strcmp(hub_jstr(s, "certSN") ?: "", sn) == 0)
			cert_ok = true;
	}
	if (!cert_ok)
		mosquitto_log_printf(MOSQ_LOG_NOTICE, LOG "cloud: certificate "
		    "%s is not the cloud certificate", sn ? sn : "(none)");
	else if (password == NULL || !secret_equal(password, cloud_password))
		mosquitto_log_printf(MOSQ_LOG_NOTICE, LOG "cloud: bad password");
	else
		rc = MOSQ_ERR_SUCCESS;
	free(sn);
	return rc;
}

/* The device's first login activates it (Get Device reports it). */
static void
mark_activated(const char *pk, const char *dk)
{
	char path[4096];
	int fd;

	path_of(path, sizeof(path), "activated");
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return;
	snprintf(path, sizeof(path), "%s/activated/%s&%s", hub_dir, pk, dk);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd >= 0)
		close(fd);
}

static bool
is_activated(const char *pk, const char *dk)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/activated/%s&%s", hub_dir, pk, dk);
	return lstat(path, &st) == 0;
}

/*
 * securemode=3 (6.3): product secret, product with dynamic activation, device
 * registered and not yet activated.  The device secret is then pushed to
 * /ext/session/{pk}/{dk}/thing/activate/info, to this client only.
 */
static int
activate(const char *id, const struct hub_mqtt_cid *f, const char *pk,
    const char *dk, const char *username, const char *password)
{
	const struct hub_product *p = hub_conf_product(&conf, pk);
	char topic[256];
	json_object *d = find_device(pk, dk), *msg, *params;
	const char *text;
	int rc = MOSQ_ERR_AUTH;

	if (p == NULL || !p->dynamic) {
		mosquitto_log_printf(MOSQ_LOG_NOTICE, LOG "%s: product does not "
		    "allow dynamic activation", username);
		goto out;
	}
	if (d == NULL || is_activated(pk, dk)) {
		mosquitto_log_printf(MOSQ_LOG_NOTICE, LOG "%s: %s", username,
		    d == NULL ? "no such device" : "already activated");
		goto out;
	}
	if (!hub_mqtt_password_ok(f, dk, pk, p->secret, password)) {
		mosquitto_log_printf(MOSQ_LOG_NOTICE, LOG "%s: bad activation "
		    "password or signmethod", username);
		goto out;
	}
	msg = json_object_new_object();
	params = json_object_new_object();
	json_object_object_add(params, "assetId",
	    json_object_new_string(hub_jstr(d, "assetId") ?: ""));
	json_object_object_add(params, "productKey", json_object_new_string(pk));
	json_object_object_add(params, "deviceKey", json_object_new_string(dk));
	json_object_object_add(params, "deviceSecret",
	    json_object_new_string(hub_jstr(d, "deviceSecret") ?: ""));
	json_object_object_add(msg, "id", json_object_new_string("1"));
	json_object_object_add(msg, "version", json_object_new_string("1.0"));
	json_object_object_add(msg, "method",
	    json_object_new_string("thing.activate.info"));
	json_object_object_add(msg, "params", params);
	text = json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN);
	snprintf(topic, sizeof(topic), "/ext/session/%s/%s/thing/activate/info",
	    pk, dk);
	/* Queued now, delivered once the CONNACK is out. */
	if (mosquitto_broker_publish_copy(id, topic, (int)strlen(text), text, 1,
	    false, NULL) == MOSQ_ERR_SUCCESS) {
		mark_activated(pk, dk);
		mosquitto_log_printf(MOSQ_LOG_NOTICE, LOG "%s: activated",
		    username);
		rc = MOSQ_ERR_SUCCESS;
	}
	json_object_put(msg);
out:
	return rc;
}

static int
session_add(const struct mosquitto *client, const char *id,
    const char *username)
{
	struct session *p = realloc(sessions, (nsessions + 1) * sizeof(*p));

	if (p == NULL)
		return MOSQ_ERR_NOMEM;
	sessions = p;
	p = &sessions[nsessions];
	if ((p->id = strdup(id)) == NULL)
		return MOSQ_ERR_NOMEM;
	p->client = client;
	snprintf(p->user, sizeof(p->user), "%s", username);
	nsessions++;
	return MOSQ_ERR_SUCCESS;
}

static int
on_disconnect(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_disconnect *ed = event_data;
	size_t i, j;

	(void)event;
	(void)userdata;
	for (i = j = 0; i < nsessions; i++) {
		if (sessions[i].client == ed->client)
			free(sessions[i].id);
		else
			sessions[j++] = sessions[i];
	}
	nsessions = j;
	return MOSQ_ERR_SUCCESS;
}

static int
auth_device(struct mosquitto *client, const char *username,
    const char *password)
{
	char user[HUB_MQTT_USER_MAX], *pk, *sn = NULL;
	struct hub_mqtt_cid f;
	json_object *d, *certs, *c;
	const char *id = mosquitto_client_id(client);
	bool bound = false;
	size_t i;
	int rc = MOSQ_ERR_AUTH;

	if (!hub_mqtt_username(username, user, &pk))
		goto deny_user;
	if (id == NULL || !hub_mqtt_client_id(id, &f)) {
		mosquitto_log_printf(MOSQ_LOG_NOTICE, LOG "%s: client id is not "
		    "{cid}|securemode=,signmethod=,timestamp=|", username);
		goto out;
	}
	if (strcmp(f.mode, "3") == 0) {
		rc = activate(id, &f, pk, user, username, password);
		goto out;
	}
	if (strcmp(f.mode, "2") != 0) {
		mosquitto_log_printf(MOSQ_LOG_NOTICE, LOG "%s: securemode=%s "
		    "is not supported", username, f.mode);
		goto out;
	}
	if ((d = find_device(pk, user)) == NULL) {
		mosquitto_log_printf(MOSQ_LOG_NOTICE, LOG "%s: no such device",
		    username);
		goto out;
	}
	if (!hub_mqtt_password_ok(&f, user, pk, hub_jstr(d, "deviceSecret") ?: "",
	    password)) {
		mosquitto_log_printf(MOSQ_LOG_NOTICE, LOG "%s: bad password or "
		    "signmethod", username);
		goto out;
	}
	if ((sn = client_serial(client)) == NULL) {
		mosquitto_log_printf(MOSQ_LOG_NOTICE, LOG "%s: no client "
		    "certificate", username);
		goto out;
	}
	certs = array(state, "certs");
	for (i = 0; certs != NULL && i < json_object_array_length(certs); i++) {
		c = json_object_array_get_idx(certs, i);
		if (strcmp(hub_jstr(c, "certSN") ?: "", sn) != 0)
			continue;
		if (strcmp(hub_jstr(c, "productKey") ?: "", pk) != 0 ||
		    strcmp(hub_jstr(c, "deviceKey") ?: "", user) != 0) {
			mosquitto_log_printf(MOSQ_LOG_NOTICE, LOG "%s: certificate "
			    "%s is bound to another device", username, sn);
			goto out;
		}
		if (revoked(c) || hub_jint(c, "expireDate") <= now_ms()) {
			mosquitto_log_printf(MOSQ_LOG_NOTICE, LOG "%s: certificate "
			    "%s is revoked or expired", username, sn);
			goto out;
		}
		bound = true;
	}
	if (!bound) {
		mosquitto_log_printf(MOSQ_LOG_NOTICE, LOG "%s: certificate %s is "
		    "not bound to this device", username, sn);
		goto out;
	}
	mark_activated(pk, user);
	rc = session_add(client, id, username);
	goto out;
deny_user:
	mosquitto_log_printf(MOSQ_LOG_NOTICE, LOG "username is not "
	    "{deviceKey}&{productKey}");
out:
	free(sn);
	return rc;
}

static int
on_basic_auth(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_basic_auth *ed = event_data;

	(void)event;
	(void)userdata;
	reload();
	if (ed->username == NULL)
		return MOSQ_ERR_AUTH;
	if (strcmp(ed->username, CLOUD_USER) == 0)
		return auth_cloud(ed->client, ed->password);
	return auth_device(ed->client, ed->username, ed->password);
}

static int
on_acl_check(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_acl_check *ed = event_data;
	const char *username = mosquitto_client_username(ed->client), *id;
	char user[HUB_MQTT_USER_MAX], *pk;
	struct hub_mqtt_cid f;

	(void)event;
	(void)userdata;
	if (ed->access == MOSQ_ACL_UNSUBSCRIBE)
		return MOSQ_ERR_SUCCESS;
	if (username == NULL || ed->topic == NULL)
		return MOSQ_ERR_ACL_DENIED;
	if (strcmp(username, CLOUD_USER) == 0) {
		if (ed->access == MOSQ_ACL_WRITE)
			return hub_mqtt_service_topic(ed->topic) ?
			    MOSQ_ERR_SUCCESS : MOSQ_ERR_ACL_DENIED;
		/* The hub's answers are for the device; /hub/accepted says it. */
		if (ed->access == MOSQ_ACL_READ &&
		    hub_mqtt_answer_topic(ed->topic))
			return MOSQ_ERR_ACL_DENIED;
		return strncmp(ed->topic, "/sys/", 5) == 0 ||
		    strncmp(ed->topic, "/ext/session/", 13) == 0 ||
		    strncmp(ed->topic, ACCEPTED "/", strlen(ACCEPTED) + 1) == 0 ?
		    MOSQ_ERR_SUCCESS : MOSQ_ERR_ACL_DENIED;
	}
	if (!hub_mqtt_username(username, user, &pk))
		return MOSQ_ERR_ACL_DENIED;
	/* An activation session (securemode=3) only gets its secret. */
	id = mosquitto_client_id(ed->client);
	if (id != NULL && hub_mqtt_client_id(id, &f) &&
	    strcmp(f.mode, "3") == 0) {
		if (hub_mqtt_device_topic(ed->topic, pk, user, true))
			return MOSQ_ERR_SUCCESS;
		mosquitto_log_printf(MOSQ_LOG_NOTICE, LOG "%s: activation "
		    "session denied on %s", username, ed->topic);
		return MOSQ_ERR_ACL_DENIED;
	}
	if (hub_mqtt_device_topic(ed->topic, pk, user, false)) {
		/* Commands come by direct delivery (on_message), not this way. */
		if (ed->access == MOSQ_ACL_READ &&
		    hub_mqtt_service_topic(ed->topic))
			return MOSQ_ERR_ACL_DENIED;
		return MOSQ_ERR_SUCCESS;
	}
	if (ed->access != MOSQ_ACL_READ)
		mosquitto_log_printf(MOSQ_LOG_NOTICE, LOG "%s: denied %s on %s",
		    username, ed->access == MOSQ_ACL_WRITE ? "publish" :
		    "subscribe", ed->topic);
	return MOSQ_ERR_ACL_DENIED;
}

/* A cloud command: to each session of its device, subscribed or not. */
static void
deliver_command(const struct mosquitto_evt_message *ed)
{
	char user[HUB_MQTT_USER_MAX], pk[HUB_KEY_MAX], dk[HUB_MQTT_USER_MAX];
	const char *sent[16];
	size_t i, j, n = 0;

	/* /sys/{pk}/{dk}/thing/service/...: hub_mqtt_service_topic checked. */
	if (sscanf(ed->topic, "/sys/%63[^/]/%159[^/]/", pk, dk) != 2 ||
	    (size_t)snprintf(user, sizeof(user), "%s&%s", dk, pk) >=
	    sizeof(user))
		return;
	for (i = 0; i < nsessions && n < sizeof(sent) / sizeof(sent[0]); i++) {
		if (strcmp(sessions[i].user, user) != 0)
			continue;
		/* A taken-over client id may be listed twice: send once. */
		for (j = 0; j < n && strcmp(sent[j], sessions[i].id) != 0; j++)
			;
		if (j < n || mosquitto_broker_publish_copy(sessions[i].id,
		    ed->topic, (int)ed->payloadlen, ed->payload,
		    ed->qos > 1 ? 1 : ed->qos, false, NULL) != MOSQ_ERR_SUCCESS)
			continue;
		sent[n++] = sessions[i].id;
	}
	mosquitto_log_printf(MOSQ_LOG_INFO, LOG "command %s: delivered to %zu "
	    "session(s) of %s", ed->topic, n, user);
}

/* The device's attribute store (created empty), or NULL. */
static json_object *
device_attrs(const char *username)
{
	json_object *a;

	if (attr_store == NULL && (attr_store = json_object_new_object()) == NULL)
		return NULL;
	if (json_object_object_get_ex(attr_store, username, &a))
		return a;
	if ((a = json_object_new_object()) == NULL ||
	    json_object_object_add(attr_store, username, a) != 0) {
		json_object_put(a);
		return NULL;
	}
	return a;
}

/* A device's uplink: EnOS's reply, and /hub/accepted when it was. */
static void
answer_uplink(const struct mosquitto_evt_message *ed, const char *username,
    const char *pk)
{
	struct hub_mqtt_answer a;
	json_object *attrs = device_attrs(username);
	char *acc = NULL;
	int qos = ed->qos > 1 ? 1 : ed->qos;

	if (attrs == NULL || hub_mqtt_uplink(ed->topic, ed->payload,
	    ed->payloadlen, hub_conf_product(&conf, pk), attrs, &a) != 1)
		return;
	(void)mosquitto_broker_publish_copy(NULL, a.topic, (int)strlen(a.text),
	    a.text, qos, false, NULL);
	if (a.code != HUB_MQTT_OK)
		mosquitto_log_printf(MOSQ_LOG_NOTICE, LOG "%s: %s refused: %s",
		    username, ed->topic, a.text);
	else if (asprintf(&acc, ACCEPTED "%s", ed->topic) > 0)
		(void)mosquitto_broker_publish_copy(NULL, acc,
		    (int)ed->payloadlen, ed->payload, qos, false, NULL);
	free(acc);
	hub_mqtt_answer_free(&a);
}

static int
on_message(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_message *ed = event_data;
	const char *username = mosquitto_client_username(ed->client);
	char user[HUB_MQTT_USER_MAX], *pk;

	(void)event;
	(void)userdata;
	/* Only publishes the ACL let through arrive here. */
	if (username == NULL || ed->topic == NULL)
		return MOSQ_ERR_SUCCESS;
	if (strcmp(username, CLOUD_USER) == 0) {
		if (hub_mqtt_service_topic(ed->topic))
			deliver_command(ed);
	} else if (hub_mqtt_username(username, user, &pk))
		answer_uplink(ed, username, pk);
	return MOSQ_ERR_SUCCESS;
}

static int
on_tick(int event, void *event_data, void *userdata)
{
	(void)event;
	(void)event_data;
	(void)userdata;
	reload();
	return MOSQ_ERR_SUCCESS;
}

int
mosquitto_plugin_version(int supported_version_count,
    const int *supported_versions)
{
	int i;

	for (i = 0; i < supported_version_count; i++)
		if (supported_versions[i] == 5)
			return 5;
	return -1;
}

int
mosquitto_plugin_init(mosquitto_plugin_id_t *identifier, void **userdata,
    struct mosquitto_opt *options, int option_count)
{
	int i;

	(void)userdata;
	plugin_id = identifier;
	for (i = 0; i < option_count; i++)
		if (strcmp(options[i].key, "dir") == 0)
			hub_dir = strdup(options[i].value);
	if (hub_dir == NULL) {
		mosquitto_log_printf(MOSQ_LOG_ERR, LOG "plugin_opt_dir is "
		    "required");
		return MOSQ_ERR_INVAL;
	}
	hub_conf_defaults(&conf);
	reload();
	if (state == NULL) {
		mosquitto_log_printf(MOSQ_LOG_ERR, LOG "%s/state.json: cannot "
		    "read the hub state", hub_dir);
		return MOSQ_ERR_INVAL;
	}
	if (mosquitto_callback_register(plugin_id, MOSQ_EVT_BASIC_AUTH,
	    on_basic_auth, NULL, NULL) != MOSQ_ERR_SUCCESS ||
	    mosquitto_callback_register(plugin_id, MOSQ_EVT_ACL_CHECK,
	    on_acl_check, NULL, NULL) != MOSQ_ERR_SUCCESS ||
	    mosquitto_callback_register(plugin_id, MOSQ_EVT_TICK, on_tick,
	    NULL, NULL) != MOSQ_ERR_SUCCESS ||
	    mosquitto_callback_register(plugin_id, MOSQ_EVT_MESSAGE, on_message,
	    NULL, NULL) != MOSQ_ERR_SUCCESS ||
	    mosquitto_callback_register(plugin_id, MOSQ_EVT_DISCONNECT,
	    on_disconnect, NULL, NULL) != MOSQ_ERR_SUCCESS)
		return MOSQ_ERR_UNKNOWN;
	mosquitto_log_printf(MOSQ_LOG_INFO, LOG "serving hub %s", hub_dir);
	return MOSQ_ERR_SUCCESS;
}

int
mosquitto_plugin_cleanup(void *userdata, struct mosquitto_opt *options,
    int option_count)
{
	(void)userdata;
	(void)options;
	(void)option_count;
	mosquitto_callback_unregister(plugin_id, MOSQ_EVT_BASIC_AUTH,
	    on_basic_auth, NULL);
	mosquitto_callback_unregister(plugin_id, MOSQ_EVT_ACL_CHECK,
	    on_acl_check, NULL);
	mosquitto_callback_unregister(plugin_id, MOSQ_EVT_TICK, on_tick, NULL);
	mosquitto_callback_unregister(plugin_id, MOSQ_EVT_MESSAGE, on_message,
	    NULL);
	mosquitto_callback_unregister(plugin_id, MOSQ_EVT_DISCONNECT,
	    on_disconnect, NULL);
	while (nsessions > 0)
		free(sessions[--nsessions].id);
	free(sessions);
	sessions = NULL;
	json_object_put(attr_store);
	attr_store = NULL;
	json_object_put(state);
	state = NULL;
	free(hub_dir);
	hub_dir = NULL;
	explicit_bzero(cloud_password, sizeof(cloud_password));
	explicit_bzero(&conf, sizeof(conf));
	memset(&state_stamp, 0, sizeof(state_stamp));
	memset(&conf_stamp, 0, sizeof(conf_stamp));
	memset(&pw_stamp, 0, sizeof(pw_stamp));
	return MOSQ_ERR_SUCCESS;
}
