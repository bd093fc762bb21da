#!/usr/bin/env bash
# Runs each benchmark of bench/ and prints its figures. `make bench`.
set -u
cd "$(dirname "$0")/.."
status=0
for b in build/bench/*; do
	[ -x "$b" ] || continue
	echo "== $(basename "$b")"
	"$b" || status=1
done
exit $status
