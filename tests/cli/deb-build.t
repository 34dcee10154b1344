#!/bin/sh
# SPDX-License-Identifier: MIT
# make deb, as a builder runs it (red team, issue 21), in one package build:
# - from a working tree holding a file git does not track (the site's
#   examples/ansible/group_vars/ with its product secret, which README
#   suggests keeping beside the role): it must not be packaged into
#   /usr/share/edgecert (and the doc examples), readable by all on every gateway;
# - with B=DIR outside the tree: the package's own `make clean` must not
#   inherit B through MAKEFLAGS and rm -rf DIR with everything else in it.
. "$(dirname "$0")/../lib.sh"
setup
for c in dpkg-buildpackage dh git; do
	command -v "$c" >/dev/null 2>&1 || skip_all "$c not installed (apt-get install dpkg-dev debhelper)"
done
# The package is built from the sources, never from $B: the ASan and
# valgrind stages would only build the same package again.
[ "${B##*/}" = build ] || skip_all "the package build does not use $B (the plain stage runs this test)"
git clone -q "$TOP" "$T/src" || skip_all "cannot clone $TOP"
# The working tree's deb-build (the one under test), in a clean clone.
cp "$TOP/scripts/deb-build" "$T/src/scripts/deb-build"
mkdir -p "$T/src/examples/ansible/group_vars" "$T/out"
echo "edge_product_secret: CANARY-SECRET" > "$T/src/examples/ansible/group_vars/gateways.yml"
echo precious > "$T/out/canary"
(cd "$T/src" && LINTIAN=no DEB_BUILD_OPTIONS=nocheck make deb B="$T/out") > "$T/log" 2>&1
rc=$?
deb=$(ls "$T"/out/deb/edgecert_*.deb 2>/dev/null | grep -v dbgsym | head -1)
if [ $rc -eq 0 ] && [ -n "$deb" ]; then ok "make deb B=DIR builds DIR/deb/edgecert_*.deb"; else not_ok "make deb B=DIR builds the package (exit $rc)"; sed 's/^/# /' "$T/log" | tail -5; fi
if [ -f "$T/out/canary" ]; then ok "make deb B=DIR keeps DIR's other files"; else not_ok "make deb B=DIR keeps DIR's other files (rm -rf DIR)"; fi
dpkg-deb -c "$deb" > "$T/contents" 2>&1
assert_grep "the package holds the Ansible playbooks" "usr/share/edgecert/ansible/enrol.yml" "$T/contents"
assert_not_grep "an untracked group_vars/ is not packaged" "group_vars" "$T/contents"
assert_grep "make deb names the file it left out" "examples/ansible/group_vars/gateways.yml" "$T/log"
done_testing
