/* SPDX-License-Identifier: MIT */
/* lib/edge_mqtt: broker address parsing, CONNACK names, login limits, a refused connection, the state of a session before any CONNACK. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "edge_mqtt.h"

static void
url_ok(const char *url, const char *host, int port)
{
	struct edge_error err = { 0 };
	char *h = NULL;
	int p = 0;

	assert_int_equal(edge_mqtt_url_parse(url, &h, &p, &err), EDGE_OK);
	assert_string_equal(h, host);
	assert_int_equal(p, port);
	free(h);
}

static void
url_bad(const char *url, const char *why)
{
	struct edge_error err = { 0 };
	char *h = (char *)"x";
	int p = 0;

	assert_int_equal(edge_mqtt_url_parse(url, &h, &p, &err), EDGE_EUSAGE);
	assert_null(h);
	assert_non_null(strstr(err.msg, why));
}

static void
url_forms(void **state)
{
	(void)state;
	url_ok("mqtts://hub.example:8883", "hub.example", 8883);
	url_ok("mqtts://hub.example", "hub.example", EDGE_MQTT_PORT);
	url_ok("ssl://10.0.0.1:1", "10.0.0.1", 1);
	url_ok("tls://h:65535", "h", 65535);
	url_ok("hub.example:18885", "hub.example", 18885);
	url_ok("hub.example", "hub.example", 18883);
	url_ok("mqtts://[::1]:18883", "::1", 18883);
	url_ok("[fe80::1]", "fe80::1", 18883);
	url_ok("mqtts://h:99/path", "h", 99);
	url_ok("mqtts://h/path", "h", 18883);
}

static void
url_refused(void **state)
{
	char host[300];

	(void)state;
	url_bad(NULL, "no MQTT address");
	url_bad("", "no MQTT address");
	/* The hub needs TLS. */
	url_bad("mqtt://h:1883", "the hub needs TLS");
	url_bad("tcp://h", "the hub needs TLS");
	url_bad("ws://h", "the hub needs TLS");
	url_bad("mqtts://", "no host");
	url_bad("mqtts://:18883", "no host");
	url_bad("mqtts://h:0", "bad port");
	url_bad("mqtts://h:65536", "bad port");
	url_bad("mqtts://h:", "bad port");
	url_bad("mqtts://h:12x", "bad port");
	url_bad("mqtts://h:-1", "bad port");
	url_bad("mqtts://h:99999999999999999999", "bad port");
	url_bad("mqtts://[::1", "bad address");
	url_bad("mqtts://[::1]x", "bad address");
	url_bad("mqtts://[]:1", "no host");
	/* A DNS name is at most 253 characters. */
	memset(host, 'a', 254);
	host[254] = '\0';
	url_bad(host, "no host");
	host[253] = '\0';
	url_ok(host, host, 18883);
}

static void
connack_names(void **state)
{
	(void)state;
	assert_string_equal(edge_mqtt_connack_string(1), "unacceptable protocol version");
	assert_string_equal(edge_mqtt_connack_string(2), "identifier rejected");
	assert_string_equal(edge_mqtt_connack_string(3), "server unavailable");
	assert_string_equal(edge_mqtt_connack_string(4), "bad user name or password");
	assert_string_equal(edge_mqtt_connack_string(5), "not authorized");
	assert_string_equal(edge_mqtt_connack_string(0), "unknown refusal");
	assert_string_equal(edge_mqtt_connack_string(135), "unknown refusal");
}

static void
conf_for(struct edge_mqtt_conf *c, const struct edge_secret *s)
{
	memset(c, 0, sizeof(*c));
	c->host = "127.0.0.1";
	c->port = 1;		/* nothing listens: refused at once */
	c->product_key = "pk";
	c->device_key = "dk";
	c->secret = s;
	c->keepalive = 60;
	c->max_inflight = 10;
}

static void
start_limits_and_refusal(void **state)
{
	struct edge_secret *s = NULL;
	struct edge_mqtt_conf c;
	struct edge_mqtt *m = NULL;
	struct edge_error err = { 0 };
	struct pollfd p = { 7, 0, 0 };
	char *big = malloc(300);

	(void)state;
	assert_int_equal(edge_secret_from_value("secret", &s, NULL), EDGE_OK);
	/* Keys too long for the client id or the user name. */
	memset(big, 'k', 299);
	big[299] = '\0';
	conf_for(&c, s);
	c.device_key = big;
	assert_int_equal(edge_mqtt_start(&c, &m, &err), EDGE_EINPUT);
	assert_string_equal(err.msg, "device key or product key too long");
	edge_mqtt_free(&m);
	assert_null(m);
	conf_for(&c, s);
	c.product_key = big;
	assert_int_equal(edge_mqtt_start(&c, &m, &err), EDGE_EINPUT);
	edge_mqtt_free(&m);
	/* A refused TCP connection is temporary, and names the address. */
	conf_for(&c, s);
	assert_int_equal(edge_mqtt_start(&c, &m, &err), EDGE_ETEMP);
	assert_non_null(strstr(err.msg, "cannot connect to 127.0.0.1:1"));
	assert_int_equal(edge_mqtt_connack(m), -1);
	assert_false(edge_mqtt_pollfd(m, &p));
	assert_int_equal(p.fd, 7);
	edge_mqtt_free(&m);
	/* No session at all. */
	assert_int_equal(edge_mqtt_connack(NULL), -1);
	assert_false(edge_mqtt_pollfd(NULL, &p));
	assert_int_equal(edge_mqtt_socket(NULL), -1);
	assert_false(edge_mqtt_want_write(NULL));
	assert_false(edge_mqtt_pending(NULL));
	edge_mqtt_free(NULL);
	free(big);
	edge_secret_free(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(url_forms),
		cmocka_unit_test(url_refused),
		cmocka_unit_test(connack_names),
		cmocka_unit_test(start_limits_and_refusal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
