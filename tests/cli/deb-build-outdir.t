#!/bin/sh
# SPDX-License-Identifier: MIT
# make deb B=/some/dir (red team, issue 21): the package build inside
# $B/deb/edgecert-VERSION must not inherit the caller's B through MAKEFLAGS:
# its `make clean` would rm -rf that directory, other files in it included.
. "$(dirname "$0")/../lib.sh"
setup
for c in dpkg-buildpackage dh; do
	command -v "$c" >/dev/null 2>&1 || skip_all "$c not installed (apt-get install dpkg-dev debhelper)"
done
out=$T/out
mkdir -p "$out"
echo precious > "$out/canary"
(cd "$TOP" && LINTIAN=no DEB_BUILD_OPTIONS=nocheck make deb B="$out") > "$T/log" 2>&1
rc=$?
if [ -f "$out/canary" ]; then ok "make deb B=DIR keeps DIR's other files"; else not_ok "make deb B=DIR keeps DIR's other files (rm -rf DIR)"; fi
if [ $rc -eq 0 ] && ls "$out"/deb/edgecert_*.deb >/dev/null 2>&1; then ok "make deb B=DIR builds DIR/deb/edgecert_*.deb"; else not_ok "make deb B=DIR builds the package (exit $rc)"; sed 's/^/# /' "$T/log" | tail -5; fi
done_testing
