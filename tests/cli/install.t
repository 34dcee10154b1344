#!/bin/sh
# SPDX-License-Identifier: MIT
# make install / uninstall honour PREFIX and DESTDIR and put everything where
# Debian looks for it.
. "$(dirname "$0")/../lib.sh"
setup

R=$T/root
# Building and installing the tools needs no stand-in hub (libmicrohttpd):
# a dry run from an empty build tree names no tests/hub object.
make -n -C "$TOP" B="$T/empty-build" install DESTDIR="$R" PREFIX=/usr > "$T/plan" 2>&1
assert_eq "make install plans no stand-in hub" "$(grep -c 'tests/hub\|microhttpd' "$T/plan")" 0
assert_grep "make install plans the tools" "edge-connect" "$T/plan"
assert_ok "make install" make -s -C "$TOP" B="$B" install DESTDIR="$R" PREFIX=/usr
for t in edge-keygen edge-csr edge-provision edge-activate edge-connect edge-revoke edge-crl-update edge-check; do
	[ -x "$R/usr/bin/$t" ] && [ "$(file_mode "$R/usr/bin/$t")" = 755 ] && ok "$t installed 0755" || not_ok "$t installed 0755"
	[ -f "$R/usr/share/man/man1/$t.1" ] && ok "$t(1) installed" || not_ok "$t(1) installed"
	[ -f "$R/usr/share/bash-completion/completions/$t" ] && ok "$t bash completion installed" || not_ok "$t bash completion installed"
done
[ -f "$R/usr/share/man/man7/edge-toolkit.7" ] && ok "edge-toolkit(7) installed" || not_ok "edge-toolkit(7) installed"
[ -f "$R/usr/share/zsh/vendor-completions/_edge-toolkit" ] && ok "zsh completion installed" || not_ok "zsh completion installed"
assert_ok "an installed tool runs" "$R/usr/bin/edge-keygen" --version
assert_grep "and says its version" "edgecert" "$T/out"
assert_ok "make uninstall" make -s -C "$TOP" B="$B" uninstall DESTDIR="$R" PREFIX=/usr
assert_eq "nothing left behind" "$(find "$R" -type f | wc -l)" 0

done_testing
