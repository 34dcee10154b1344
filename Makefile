# SPDX-License-Identifier: MIT
# edgecert: one non-recursive Makefile.  `make`, `make check`, `make install`,
# `make demo`, `make deps` (Debian packages), `make ASAN=1 check` (ASan+UBSan).

PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
DATADIR     ?= $(PREFIX)/share
MANDIR      ?= $(DATADIR)/man
BASHCOMPDIR ?= $(shell pkg-config --variable=completionsdir bash-completion 2>/dev/null || echo $(DATADIR)/bash-completion/completions)
ZSHCOMPDIR  ?= $(DATADIR)/zsh/vendor-completions
DESTDIR     ?=

# The one version: VERSION (debian/changelog's upstream version must match;
# debian/rules and tests/cli/version.t check it).
VERSION     := $(strip $(file < VERSION))
CC          ?= cc
PKG_CONFIG  ?= pkg-config
PKGS        := gnutls p11-kit-1 json-c libcurl libmosquitto

CFLAGS      ?= -O2 -g
# -Wconversion and -Wcast-qual are left out: GnuTLS datums and json-c take
# non-const pointers and unsigned sizes everywhere, and the casts they would
# force hide more than they reveal.
WARNINGS    := -Wall -Wextra -Werror -Wshadow -Wwrite-strings \
               -Wmissing-prototypes -Wstrict-prototypes -Wformat=2 -Wvla
# -MMD -MP: every object records the headers it includes (build/**/*.d), so a
# changed header rebuilds exactly what uses it, test and hub headers too.
# _FORTIFY_SOURCE only when the caller's flags (dpkg-buildflags: 2 on bookworm,
# maybe 3 later) set none: a second, different -D would be a -Werror error.
FORTIFY     := $(if $(findstring _FORTIFY_SOURCE,$(CPPFLAGS) $(CFLAGS)),,-D_FORTIFY_SOURCE=2)
# -D_FILE_OFFSET_BITS=64: 64-bit off_t, ino_t and directory offsets on 32-bit
# targets (armhf on Debian 12 has none by default; Debian 13's does), so stat
# and readdir never fail with EOVERFLOW; nothing changes on 64-bit ones.
EDGE_CFLAGS := -std=gnu11 $(WARNINGS) -MMD -MP $(FORTIFY) -D_FILE_OFFSET_BITS=64 -fstack-protector-strong \
               -DEDGE_VERSION='"$(VERSION)"' -Ilib
ifeq ($(FUZZ),1)
# make fuzz: libFuzzer coverage on every object, ASan + UBSan to catch bugs.
EDGE_CFLAGS += -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -U_FORTIFY_SOURCE
endif
ifeq ($(ASAN),1)
EDGE_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined -U_FORTIFY_SOURCE
LDFLAGS     += -fsanitize=address,undefined
endif

PKG_CFLAGS  = $(shell $(PKG_CONFIG) --cflags $(PKGS))
PKG_LIBS    = $(shell $(PKG_CONFIG) --libs $(PKGS))
ALL_CFLAGS  = $(EDGE_CFLAGS) $(PKG_CFLAGS) $(CFLAGS) $(CPPFLAGS)

B           := build
TOOLS       := edge-keygen edge-csr edge-provision edge-activate edge-revoke edge-crl-update edge-connect edge-check
LIB_SRC     := $(wildcard lib/*.c)
LIB_OBJ     := $(LIB_SRC:%.c=$(B)/%.o)
LIB         := $(B)/libedge.a
BINS        := $(TOOLS:%=$(B)/%)
UNIT_SRC    := $(wildcard tests/unit/test_*.c)
UNIT_BINS   := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
MAN_PAGES   := $(TOOLS:%=$(B)/man/%.1) $(B)/man/edge-toolkit.7

.SECONDARY:
.PHONY: all check unit cli install uninstall clean deps demo man lint-man
# make builds the tools and man pages only: installing them needs no
# libmicrohttpd.  The stand-in hub (tests/hub, never installed) is built by
# the targets that run it: check, check-valgrind, demo, bench.
all: $(BINS) man

$(B)/%.o: %.c Makefile VERSION
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

# --as-needed (Debian's gcc passes it already; clang and other toolchains do
# not): a tool records only the libraries it calls, so the tools that do no
# HTTPS never load libcurl-gnutls and the ~27 libraries behind it (issue 22).
TOOL_LDFLAGS := -Wl,--as-needed
$(B)/edge-%: $(B)/cmd/edge-%.o $(LIB)
	$(CC) $(LDFLAGS) $(TOOL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# The MQTT tools (edge-connect; edge-provision --via mqtt) build their TLS
# context with OpenSSL because libmosquitto is built on it: only they link
# -lssl -lcrypto (and their unit tests), only lib/edge_tls.c and the edge key
# it presents, lib/edge_sslkey.c, call OpenSSL (pulled from libedge.a through
# edge_tls.o only), and only they may use the deprecated ENGINE API (the
# pkcs11 engine for token keys where no pkcs11 provider is used).
# Token keys: pkcs11-provider through the OpenSSL 3 STORE API where OpenSSL
# is 3.2 or later (OSSL_PROVIDER_load_ex) and the provider module is
# installed (Debian 13); else libp11's pkcs11 ENGINE (Debian 12: OpenSSL 3.0).
# Probed when the object is compiled (after make deps), not at run time.
# ASan builds (check-asan, fuzz) take the engine: pkcs11-provider dlopens the
# token module with RTLD_DEEPBIND, which the sanitizer runtime refuses (it
# stops the process), so make deps installs the engine on Debian 13 too.
MQTT_TOOLS  := edge-connect edge-provision
SSL_LIBS     = $(shell $(PKG_CONFIG) --libs libssl libcrypto)
P11_PROXY   = $(shell $(PKG_CONFIG) --variable=proxy_module p11-kit-1 2>/dev/null || echo /usr/lib/$$($(CC) -print-multiarch)/p11-kit-proxy.so)
P11_PROVIDER = $(if $(filter 1,$(ASAN) $(FUZZ)),0,$(shell $(PKG_CONFIG) --atleast-version=3.2 libcrypto 2>/dev/null && \
	test -f "$$($(PKG_CONFIG) --variable=modulesdir libcrypto)/pkcs11.so" && echo 1 || echo 0))
$(B)/lib/edge_tls.o $(B)/lib/edge_sslkey.o: ALL_CFLAGS += -Wno-deprecated-declarations -DEDGE_P11_PROXY='"$(P11_PROXY)"' \
	-DEDGE_P11_PROVIDER=$(P11_PROVIDER)
$(MQTT_TOOLS:%=$(B)/%): $(B)/%: $(B)/cmd/%.o $(LIB)
	$(CC) $(LDFLAGS) $(TOOL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(SSL_LIBS)

$(B)/tests/test_tls $(B)/tests/test_mqtt $(B)/tests/test_dynact $(B)/tests/test_session: TEST_LIBS = $(SSL_LIBS)
$(B)/tests/test_%: $(B)/tests/unit/test_%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(TEST_LIBS) $(shell $(PKG_CONFIG) --libs cmocka)

# Man pages: Markdown with shared fragments spliced in, then go-md2man.
# Skipped with a warning when go-md2man is missing (make deps installs it);
# the check happens when the recipe runs, so `make deps demo` works in one go.
# Debian's go-md2man 2.0.2 puts .PP right after .SH, which mandoc -Tlint
# rejects; the sed drops it, as go-md2man 2.0.5 does itself.
man: $(MAN_PAGES)
$(B)/man/%: man/%.md $(wildcard man/common/*.md) scripts/splice-md
	@mkdir -p $(dir $@)
	@if command -v go-md2man >/dev/null 2>&1; then \
		scripts/splice-md $< > $@.md && go-md2man -in $@.md -out $@.tmp && \
		sed -e '/^\.S[HS] /{:a;n;/^\.S[HS] /ba;/^\.PP$$/d;}' $@.tmp > $@.tmp2 && \
		mv $@.tmp2 $@ && rm -f $@.md $@.tmp; \
	else echo "warning: go-md2man not found; $@ not built (run make deps)" >&2; fi
lint-man: $(MAN_PAGES)
	mandoc -Tlint -Wwarning $(MAN_PAGES)

# Fuzz targets (tests/fuzz/fuzz_NAME.c).  make check replays their corpora
# through a plain main(); make fuzz runs them under libFuzzer (clang) for
# FUZZ_SECONDS each, new inputs kept in build-fuzz/corpus/NAME.
FUZZ_NAMES  := $(patsubst tests/fuzz/fuzz_%.c,%,$(filter-out tests/fuzz/fuzz_util.c,$(wildcard tests/fuzz/fuzz_*.c)))
REPLAY_BINS := $(FUZZ_NAMES:%=$(B)/fuzz/replay_%)
FUZZ_SECONDS ?= 60
$(B)/fuzz/replay_%: $(B)/tests/fuzz/fuzz_%.o $(B)/tests/fuzz/standalone.o $(B)/tests/fuzz/fuzz_util.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)
$(B)/fuzz/fuzz_%: $(B)/tests/fuzz/fuzz_%.o $(B)/tests/fuzz/fuzz_util.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) -fsanitize=fuzzer,address,undefined -o $@ $^ $(PKG_LIBS)
.PHONY: fuzz fuzz-bins fuzz-smoke check-asan check-valgrind check-all
fuzz-bins: $(FUZZ_NAMES:%=$(B)/fuzz/fuzz_%)
fuzz:
	$(MAKE) B=build-fuzz CC=clang FUZZ=1 fuzz-bins
	scripts/fuzz-run $(FUZZ_SECONDS) $(FUZZ_NAMES)
fuzz-smoke:
	$(MAKE) fuzz FUZZ_SECONDS=10

# The whole suite again with AddressSanitizer + UBSan, in its own build tree.
check-asan:
	$(MAKE) ASAN=1 B=build-asan check

# The integration tests with every edge-* tool under valgrind memcheck
# (suppressions, third-party only: tests/valgrind.supp).  Their waits and
# tool timeouts are scaled by SLOW (tests/lib.sh) under valgrind.
VALGRIND_TESTS := tests/cli/edge-provision.t tests/cli/edge-activate.t \
	tests/cli/edge-revoke.t tests/cli/edge-crl-update.t tests/cli/edge-connect.t
check-valgrind: all hub $(B)/bench/gen-crl
	EDGE_TEST_VALGRIND=1 B=$(B) scripts/run-tests $(VALGRIND_TESTS)

# Static analysis: cppcheck and clang-tidy (.clang-tidy), no findings allowed.
LINT_SRC    := $(wildcard lib/*.c cmd/*.c)
# The shell scripts: examples/ and scripts/ (shellcheck, Debian's 0.9).
LINT_SH     := $(wildcard examples/*.sh examples/tpm/*.sh scripts/*)
LINT_CFLAGS  = -std=gnu11 -Ilib $(PKG_CFLAGS) -DEDGE_VERSION='"lint"' -DEDGE_P11_PROXY='"lint"'
# normalCheckLevelMaxBranches: cppcheck 2.11 and later (Debian 13's 2.17) cut
# branch analysis short by default and say so as an "information" message,
# which --error-exitcode counts as a finding; it is a note about the depth
# of the analysis, not about the code (Debian 12's 2.10 prints none).
.PHONY: lint
lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance \
		--std=c11 -Ilib --suppress=unknownMacro --suppress=normalCheckLevelMaxBranches \
		--inline-suppr $(LINT_SRC)
	for f in $(LINT_SRC); do clang-tidy --quiet $$f -- $(LINT_CFLAGS) 2>/dev/null || exit 1; done
	shellcheck $(LINT_SH)
	cd examples/ansible && ansible-lint --offline -p
	@echo "lint: cppcheck and clang-tidy found nothing"

# Everything CI runs: check, check-asan, check-valgrind, fuzz-smoke.
check-all:
	scripts/check-all

# Benchmark data generators (not installed).
$(B)/bench/gen-crl: $(B)/bench/gen-crl.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# The CRL corpus generator of tests/cli/crl-differential.t and attack-crl.t.
$(B)/tests/crlgen: $(B)/tests/crl/crlgen.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# make bench: every benchmark of issues 8 and 22 against its peer (bench/run; BENCH_RUNS=N,
# BENCH_QUICK=1); writes bench/results/latest.md and latest.json.  Not part of check.
.PHONY: bench
bench: all hub $(B)/bench/gen-crl
	B=$(B) bench/run

include tests/hub/hub.mk
-include $(shell find $(B) -name '*.d' 2>/dev/null)

check: all hub $(UNIT_BINS) $(REPLAY_BINS) $(B)/bench/gen-crl $(B)/tests/crlgen
	B=$(B) scripts/run-tests

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7 \
	           $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR)
	install -m 0755 $(BINS) $(DESTDIR)$(BINDIR)/
	install -m 0644 $(filter %.1,$(MAN_PAGES)) $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(filter %.7,$(MAN_PAGES)) $(DESTDIR)$(MANDIR)/man7/
	for t in $(TOOLS); do install -m 0644 completions/edge-toolkit.bash $(DESTDIR)$(BASHCOMPDIR)/$$t; done
	install -m 0644 completions/_edge-toolkit $(DESTDIR)$(ZSHCOMPDIR)/_edge-toolkit

uninstall:
	for t in $(TOOLS); do rm -f $(DESTDIR)$(BINDIR)/$$t $(DESTDIR)$(MANDIR)/man1/$$t.1 $(DESTDIR)$(BASHCOMPDIR)/$$t; done
	rm -f $(DESTDIR)$(MANDIR)/man7/edge-toolkit.7 $(DESTDIR)$(ZSHCOMPDIR)/_edge-toolkit

clean:
	rm -rf $(B)

# Debian packages the build, the tests and the demo need (run as root).
# Per release (VERSION_CODENAME of /etc/os-release, read when make deps runs):
# clang's sanitizer runtime is libclang-rt-14-dev on Debian 12 (bookworm,
# clang 14); Debian 13 (trixie, clang 19) and later name it libclang-rt-dev.
DEB_CODENAME  = $(shell . /etc/os-release 2>/dev/null && echo $$VERSION_CODENAME)
DEB_CLANG_RT  = $(if $(filter bookworm,$(DEB_CODENAME)),libclang-rt-14-dev,libclang-rt-dev)
# Token keys in edge-connect: libp11's pkcs11 engine on bookworm (OpenSSL 3.0),
# pkcs11-provider on trixie (OpenSSL 3.5; see P11_PROVIDER), and the engine
# there too for the ASan builds.
DEB_OSSL_P11  = libengine-pkcs11-openssl $(if $(filter bookworm,$(DEB_CODENAME)),,pkcs11-provider)
DEB_PACKAGES = build-essential pkg-config git ca-certificates procps perl jq curl \
	libgnutls28-dev libp11-kit-dev libjson-c-dev libcurl4-gnutls-dev \
	libmosquitto-dev mosquitto-dev libmicrohttpd-dev libssl-dev libcmocka-dev \
	gnutls-bin openssl p11-kit p11-kit-modules softhsm2 opensc $(DEB_OSSL_P11) \
	mosquitto mosquitto-clients go-md2man mandoc zsh clang $(DEB_CLANG_RT) strace gdb valgrind cppcheck clang-tidy \
	swtpm swtpm-tools tpm2-abrmd libtss2-tcti-tabrmd0 libtpm2-pkcs11-1 \
	libtpm2-pkcs11-tools tpm2-tools dbus ansible-core faketime shellcheck \
	openssh-server openssh-client systemd ansible-lint nftables iptables iproute2 \
	debhelper lintian
deps:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(DEB_PACKAGES)

# make demo TOOLS_DIR=/usr/bin: the installed tools (the Debian package's)
# against the stand-in hub built here; only the hub is built then.
demo: $(if $(TOOLS_DIR),,all) hub
	TOOLS_DIR=$(TOOLS_DIR) scripts/demo

# What `make hub` and `make demo TOOLS_DIR=/usr/bin` need where only the
# Debian package is installed (scripts/deb-check, scripts/deb-fresh-test).
DEMO_DEB_PACKAGES := build-essential pkg-config libgnutls28-dev libp11-kit-dev libjson-c-dev \
	libcurl4-gnutls-dev libmosquitto-dev mosquitto-dev libmicrohttpd-dev libssl-dev \
	mosquitto mosquitto-clients softhsm2 gnutls-bin jq perl procps
.PHONY: deps-demo
deps-demo:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(DEMO_DEB_PACKAGES)

# make deb: the Debian package (debian/) in $(B)/deb/, then lintian (scripts/deb-build).
# DEB_HOST_ARCH=arm64 cross-builds (profiles cross, nocheck).
# make deb-check: that package installed here, the demo run with it, removed
# and purged (scripts/deb-check; root, leaves the machine as it was).
.PHONY: deb deb-check
deb:
	B=$(B) DEB_HOST_ARCH=$(DEB_HOST_ARCH) scripts/deb-build
deb-check: deb hub
	B=$(B) scripts/deb-check
# make deb-fresh-test [SUITE=bookworm|trixie]: the package in a fresh debootstrap
# root (scripts/deb-fresh-test; root): install, the demo, remove, purge.  The
# package of this machine's release (make deb), or, for another SUITE, one
# built in a fresh root of that release first.  ARCH=arm64|armhf (given on
# the command line): the ARM package, cross-built in a fresh root of SUITE,
# installed with apt (and its ARCH libraries) in another, the demo run with
# its tools under qemu-user (binfmt_misc) and the key in a file.
.PHONY: deb-fresh-test
FRESH_SUITE_ = $(or $(SUITE),$(DEB_CODENAME))
FRESH_ARCH_  = $(if $(filter command line,$(origin ARCH)),$(filter-out $(shell dpkg --print-architecture),$(ARCH)))
deb-fresh-test: $(if $(FRESH_ARCH_),,$(if $(filter $(DEB_CODENAME),$(FRESH_SUITE_)),deb))
	B=$(B) scripts/deb-fresh-test $(if $(FRESH_ARCH_),-a $(FRESH_ARCH_)) $(FRESH_SUITE_)

# ARM gateways (README "ARM gateways"): cross builds with Debian multiarch,
# run under qemu-user.  make deps-cross ARCH=arm64|armhf (root) adds the
# architecture and installs its cross compiler, the -dev:ARCH libraries (all
# Multi-Arch: same, so beside the native ones) and qemu-user-static; what is
# not co-installable (SoftHSM2, the pkcs11 engine) is unpacked into
# build-ARCH/sysroot.  make cross ARCH=... builds the tools and unit tests in
# build-ARCH/; make cross-check ARCH=... runs them and the demo's chain under
# emulation against the native stand-in hub (scripts/cross-test).
ARCH        ?= arm64
CROSS_GNU    = $(shell dpkg-architecture -a$(ARCH) -qDEB_HOST_GNU_TYPE 2>/dev/null)
CROSS_DEV   := libgnutls28-dev libp11-kit-dev libjson-c-dev libcurl4-gnutls-dev \
	libmosquitto-dev libssl-dev libcmocka-dev pkgconf p11-kit-modules
.PHONY: cross deps-cross cross-check
cross:
	$(MAKE) B=build-$(ARCH) CC=$(CROSS_GNU)-gcc PKG_CONFIG=$(CROSS_GNU)-pkg-config \
		all $(UNIT_SRC:tests/unit/%.c=build-$(ARCH)/tests/%)
deps-cross:
	dpkg --add-architecture $(ARCH)
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		crossbuild-essential-$(ARCH) $(CROSS_DEV:%=%:$(ARCH)) qemu-user-static
	scripts/cross-sysroot $(ARCH) build-$(ARCH)/sysroot
cross-check: all hub
	$(MAKE) cross ARCH=$(ARCH)
	[ -d build-$(ARCH)/sysroot ] || scripts/cross-sysroot $(ARCH) build-$(ARCH)/sysroot
	scripts/cross-test $(ARCH)
# make cross-smoke [ARCH=arm64]: what an ARM smoke run in CI costs, as root
# from a fresh Debian 12: deps-cross, the cross build and cross-check (about
# four minutes for arm64 on two cores; check-all's arm64 stage).
.PHONY: cross-smoke
cross-smoke:
	$(MAKE) deps-cross ARCH=$(ARCH)
	$(MAKE) cross-check ARCH=$(ARCH)
# make cross-deb-check ARCH=...: the ARCH .deb (make deb DEB_HOST_ARCH=ARCH, in
# build-ARCH/deb/), unpacked (it cannot be installed beside the native tools),
# and the chain run with its /usr/bin under emulation.
.PHONY: cross-deb-check
cross-deb-check: all hub
	$(MAKE) cross ARCH=$(ARCH)
	$(MAKE) deb B=build-$(ARCH) DEB_HOST_ARCH=$(ARCH)
	rm -rf build-$(ARCH)/deb-root
	dpkg-deb -x build-$(ARCH)/deb/edgecert_$(VERSION)-*_$(ARCH).deb build-$(ARCH)/deb-root
	scripts/cross-test $(ARCH) build-$(ARCH)/deb-root/usr/bin
