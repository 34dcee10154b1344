# SPDX-License-Identifier: MIT
# The stand-in hub (tests only, never installed): make hub builds
#   $(B)/tests/hub/enos-hub              HTTPS API server and CA
#   $(B)/tests/hub/enos-auth-plugin.so   mosquitto auth/ACL plugin
#   $(B)/tests/hub/hub-sign              signature helper for shell tests
HUB_DIR_B   := $(B)/tests/hub
HUB_MHD     = $(shell $(PKG_CONFIG) --cflags --libs libmicrohttpd)
HUB_SRV_SRC := tests/hub/enos-hub.c tests/hub/hub_http.c tests/hub/hub_token.c \
               tests/hub/hub_api.c tests/hub/hub_crl.c tests/hub/hub_ca.c \
               tests/hub/hub_store.c tests/hub/hub_conf.c tests/hub/hub_fault.c \
               tests/hub/hub_json.c
HUB_SRV_OBJ := $(HUB_SRV_SRC:%.c=$(B)/%.o)
# The plugin is a shared object: its sources are compiled again with -fPIC.
HUB_PLG_SRC := tests/hub/enos-auth-plugin.c tests/hub/hub_mqtt.c tests/hub/hub_conf.c \
               tests/hub/hub_json.c lib/edge_enos.c lib/edge_json.c lib/edge_err.c
HUB_PLG_OBJ := $(HUB_PLG_SRC:%.c=$(HUB_DIR_B)/pic/%.o)

.PHONY: hub
hub: $(HUB_DIR_B)/enos-hub $(HUB_DIR_B)/enos-auth-plugin.so $(HUB_DIR_B)/hub-sign

$(B)/tests/hub/%.o: tests/hub/%.c Makefile tests/hub/hub.mk
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(shell $(PKG_CONFIG) --cflags libmicrohttpd) -Itests/hub -c -o $@ $<

$(HUB_DIR_B)/enos-hub: $(HUB_SRV_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(HUB_MHD) -lpthread

$(HUB_DIR_B)/hub-sign: $(B)/tests/hub/hub-sign.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(HUB_DIR_B)/pic/%.o: %.c Makefile tests/hub/hub.mk
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fPIC -Itests/hub -c -o $@ $<

$(HUB_DIR_B)/enos-auth-plugin.so: $(HUB_PLG_OBJ)
	$(CC) $(LDFLAGS) -shared -fPIC -o $@ $^ $(PKG_LIBS) -lcrypto

# Fuzz targets of the hub (tests/fuzz/fuzz_hub*.c; the Makefile's fuzz rules
# build and run them).  fuzz_hubreq links the server's objects except
# enos-hub.o (main; the harness has its own hub_log) and libmicrohttpd;
# fuzz_hubauth and fuzz_hubthing need only the plugin's parsers, hub_mqtt.o
# and hub_conf.o.  $(LIB) comes again after the hub objects, which call
# into it.
HUB_FUZZ_REQ := $(filter-out $(B)/tests/hub/enos-hub.o,$(HUB_SRV_OBJ))
$(B)/fuzz/replay_hubreq $(B)/fuzz/fuzz_hubreq: $(HUB_FUZZ_REQ)
$(B)/fuzz/replay_hubreq $(B)/fuzz/fuzz_hubreq: PKG_LIBS := $(LIB) $(PKG_LIBS) $(HUB_MHD) -lpthread
HUB_FUZZ_MQTT := $(B)/tests/hub/hub_mqtt.o $(B)/tests/hub/hub_conf.o
$(B)/fuzz/replay_hubauth $(B)/fuzz/fuzz_hubauth: $(HUB_FUZZ_MQTT)
$(B)/fuzz/replay_hubauth $(B)/fuzz/fuzz_hubauth: PKG_LIBS := $(LIB) $(PKG_LIBS)
$(B)/fuzz/replay_hubthing $(B)/fuzz/fuzz_hubthing: $(HUB_FUZZ_MQTT)
$(B)/fuzz/replay_hubthing $(B)/fuzz/fuzz_hubthing: PKG_LIBS := $(LIB) $(PKG_LIBS)
$(B)/tests/fuzz/fuzz_hubreq.o $(B)/tests/fuzz/fuzz_hubauth.o $(B)/tests/fuzz/fuzz_hubthing.o: ALL_CFLAGS += -Itests/hub
$(B)/tests/fuzz/fuzz_hubreq.o $(B)/tests/fuzz/fuzz_hubauth.o $(B)/tests/fuzz/fuzz_hubthing.o: tests/hub/hub.mk
