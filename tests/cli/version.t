#!/bin/sh
# SPDX-License-Identifier: MIT
# One version (issue 21): VERSION is what every tool's --version prints and
# debian/changelog's upstream version (debian/rules refuses to build a
# package when they differ).
. "$(dirname "$0")/../lib.sh"
setup

v=$(cat "$TOP/VERSION")
case $v in
[0-9]*.[0-9]*.[0-9]*) ok "VERSION is one version number ($v)" ;;
*) not_ok "VERSION is one version number (it is '$v')" ;;
esac
for t in edge-keygen edge-csr edge-provision edge-activate edge-revoke edge-crl-update edge-connect edge-check; do
	assert_ok "$t --version" "$B/$t" --version
	assert_grep "$t --version prints VERSION" "^$t (edgecert) $v\$" "$T/out"
done
# debian/changelog's first line: edgecert (UPSTREAM-REVISION) DIST; urgency=...
deb=$(sed -n '1s/^edgecert (\([^)]*\)).*/\1/p' "$TOP/debian/changelog")
if [ "${deb%-*}" = "$v" ]; then
	ok "debian/changelog's upstream version is VERSION ($deb)"
else
	not_ok "debian/changelog's upstream version is VERSION (changelog $deb, VERSION $v)"
fi
done_testing
