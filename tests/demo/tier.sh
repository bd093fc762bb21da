#!/usr/bin/env bash
# The Star Wars walkthrough as a test: every step's result is checked by the
# script itself (examples/starwars/demo.sh exits non-zero at the first step
# that differs from what the walkthrough promises).
set -u
cd "$(dirname "$0")/../.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if DEMO_NODE_NETNS=dfl-ci-demo timeout 600 examples/starwars/demo.sh >"$log" 2>&1; then
	grep "demo: all" "$log"
	echo "demo: 1 passed, 0 failed"
else
	tail -n 60 "$log"
	echo "demo: 0 passed, 1 failed"
	exit 1
fi
