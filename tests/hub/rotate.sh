#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/hub/rotate.sh DIR [DAYS]: rotate the stand-in hub's root CA.  Stops
# the hub, makes a new root (valid DAYS, default 3650) and its link
# certificate (enos-hub --rotate-root), and starts the hub again on the same
# ports (mosquitto reads its cafile only at start), printing start.sh's
# assignments.  The previous root keeps its CRL and stays trusted by the
# broker until it expires.  See tests/hub/README.md.
set -eu

[ $# -eq 1 ] || [ $# -eq 2 ] || { echo "usage: rotate.sh DIR [DAYS]" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
B=${B:-build}
case $B in /*) ;; *) B="$here/../../$B" ;; esac
"$here/stop.sh" "$1" >/dev/null
"$B/tests/hub/enos-hub" --dir "$1" --rotate-root ${2:+--root-days "$2"} >>"$1/hub.log" 2>&1 ||
	{ echo "rotate.sh: enos-hub --rotate-root failed, see $1/hub.log" >&2; exit 1; }
exec "$here/start.sh" "$1"
