/* SPDX-License-Identifier: MIT */
/*
 * The broker's address (edge_mqtt.h), apart from the session so that a tool
 * that only needs the address (edge-check --online) links no libmosquitto
 * session and no OpenSSL.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "edge_mqtt.h"

int
edge_mqtt_url_parse(const char *url, char **host, int *port,
    struct edge_error *err)
{
	const char *p = url, *end, *colon;
	size_t hlen;
	long n = EDGE_MQTT_PORT;

	*host = NULL;
	if (url == NULL || *url == '\0')
		return edge_err(err, EDGE_EUSAGE,
		    "no MQTT address (--mqtt mqtts://host:port, or mqtt in device.json or edge.conf)");
	if (strncmp(p, "mqtts://", 8) == 0)
		p += 8;
	else if (strncmp(p, "ssl://", 6) == 0 || strncmp(p, "tls://", 6) == 0)
		p += 6;
	else if (strstr(p, "://") != NULL)
		return edge_err(err, EDGE_EUSAGE,
		    "%s: the hub needs TLS: use mqtts://host[:port]", url);
	if (*p == '[') {
		end = strchr(p, ']');
		if (end == NULL)
			return edge_err(err, EDGE_EUSAGE, "%s: bad address", url);
		hlen = (size_t)(end - p - 1);
		p++;
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] != '\0' && end[1] != ':' && end[1] != '/')
			return edge_err(err, EDGE_EUSAGE, "%s: bad address", url);
	} else {
		colon = strchr(p, ':');
		end = colon ? colon : p + strcspn(p, "/");
		hlen = (size_t)(end - p);
	}
	if (hlen == 0 || hlen > 253)
		return edge_err(err, EDGE_EUSAGE, "%s: no host", url);
	if (colon != NULL) {
		char *e;
		n = strtol(colon + 1, &e, 10);
		if (e == colon + 1 || (*e != '\0' && *e != '/') || n < 1 ||
		    n > 65535)
			return edge_err(err, EDGE_EUSAGE, "%s: bad port", url);
	}
	if ((*host = strndup(p, hlen)) == NULL)
		return edge_err(err, EDGE_EFAIL, "out of memory");
	*port = (int)n;
	return EDGE_OK;
}
