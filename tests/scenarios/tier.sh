#!/usr/bin/env bash
# Policy scenario tier: every tests/scenarios/cases/*.yaml through the real
# CLI. Prints "scenarios: N passed, N failed"; exits non-zero on failure.
set -u
cd "$(dirname "$0")/../.."
bin=${DEFLECTOR:-build/deflector}
if [ ! -x "$bin" ]; then
	echo "$bin is missing: run make first"
	echo "scenarios: 0 passed, 1 failed"
	exit 1
fi
exec python3 tests/scenarios/run.py "$bin" tests/scenarios/cases/*.yaml
