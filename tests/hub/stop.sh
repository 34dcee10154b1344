#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/hub/stop.sh DIR: stop the processes tests/hub/start.sh started in DIR,
# by the PIDs in DIR/*.pid (TERM, then KILL after 5 s), never by name.
set -u

[ $# -eq 1 ] || { echo "usage: stop.sh DIR" >&2; exit 2; }
dir=$1
rc=0
for name in mosquitto hub; do
	f="$dir/$name.pid"
	[ -f "$f" ] || continue
	pid=$(cat "$f")
	case $pid in ''|*[!0-9]*) rm -f "$f"; continue ;; esac
	# A recycled PID belongs to someone else: check the command first.
	case $name in hub) want=enos-hub ;; *) want=mosquitto ;; esac
	comm=$(cat "/proc/$pid/comm" 2>/dev/null || true)
	if [ "$comm" = "$want" ]; then
		kill -TERM "$pid" 2>/dev/null
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
		if kill -0 "$pid" 2>/dev/null; then
			kill -KILL "$pid" 2>/dev/null || rc=1
		fi
	fi
	rm -f "$f"
done
exit $rc
