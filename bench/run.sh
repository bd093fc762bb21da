#!/usr/bin/env bash
# Runs each benchmark of bench/ and prints its figures (`make bench`): the
# compiled ones (build/bench/*) and the scripts that drive peers measured in
# the same run (datapath vs nftables, HTTP vs HAProxy, DNS vs dnsdist).
set -u
cd "$(dirname "$0")/.."
status=0
for b in build/bench/* bench/*.sh; do
	[ -x "$b" ] || continue
	[ "$(basename "$b")" = run.sh ] && continue
	echo "== $(basename "$b")"
	"$b" || status=1
done
exit $status
