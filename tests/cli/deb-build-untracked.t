#!/bin/sh
# SPDX-License-Identifier: MIT
# make deb from a working tree (red team, issue 21): a file git does not
# track -- the site's examples/ansible/group_vars/ with its product secret,
# as README suggests keeping beside the role -- must not be packaged into
# /usr/share/doc/edgecert/examples, readable by all on every gateway.
. "$(dirname "$0")/../lib.sh"
setup
for c in dpkg-buildpackage dh git; do
	command -v "$c" >/dev/null 2>&1 || skip_all "$c not installed (apt-get install dpkg-dev debhelper)"
done
git clone -q "$TOP" "$T/src" || skip_all "cannot clone $TOP"
# The working tree's deb-build (the one under test), in a clean clone.
cp "$TOP/scripts/deb-build" "$T/src/scripts/deb-build"
mkdir -p "$T/src/examples/ansible/group_vars"
echo "edge_product_secret: rt21-CANARY-SECRET" > "$T/src/examples/ansible/group_vars/gateways.yml"
(cd "$T/src" && LINTIAN=no DEB_BUILD_OPTIONS=nocheck make deb) > "$T/log" 2>&1
rc=$?
deb=$(ls "$T"/src/build/deb/edgecert_*.deb 2>/dev/null | grep -v dbgsym | head -1)
if [ $rc -eq 0 ] && [ -n "$deb" ]; then ok "make deb builds the package"; else not_ok "make deb builds the package (exit $rc)"; sed 's/^/# /' "$T/log" | tail -5; fi
dpkg-deb -c "$deb" > "$T/contents" 2>&1
assert_not_grep "an untracked group_vars/ is not packaged" "group_vars" "$T/contents"
assert_grep "make deb names the file it left out" "examples/ansible/group_vars/gateways.yml" "$T/log"
done_testing
