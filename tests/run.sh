#!/usr/bin/env bash
# `make check`: builds everything, then runs every test tier and prints one
# closing line "N passed, N failed". Tiers that need root (BPF, netns) run when
# we are root, as in CI; without root they are reported as not run, never as
# passed.
set -u
cd "$(dirname "$0")/.."

jobs=$(nproc 2>/dev/null || echo 2)
total_pass=0 total_fail=0 failed_tiers=()

tally() { # name log
	local line p f
	line=$(grep -E '^[a-z0-9_-]+: [0-9]+ passed, [0-9]+ failed' "$2" | tail -n 1)
	p=$(sed -E 's/.*: ([0-9]+) passed.*/\1/' <<<"$line")
	f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
	total_pass=$((total_pass + ${p:-0}))
	total_fail=$((total_fail + ${f:-0}))
}

run_tier() { # name command...
	local name=$1 log
	shift
	log=$(mktemp)
	echo "== $name"
	if "$@" 2>&1 | tee "$log"; then
		tally "$name" "$log"
	else
		tally "$name" "$log"
		# A tier that died without counting its failure still fails.
		grep -qE '^[a-z0-9_-]+: [0-9]+ passed, [1-9][0-9]* failed' "$log" ||
			total_fail=$((total_fail + 1))
		failed_tiers+=("$name")
	fi
	rm -f "$log"
}

echo "== build"
if ! make --no-print-directory -j"$jobs" DFL_DEPS_DONE=1 all; then
	echo "build failed"
	echo "check: 0 passed, 1 failed"
	exit 1
fi
make --no-print-directory -j"$jobs" DFL_DEPS_DONE=1 SAN=1 build/san/libdeflector.a >/dev/null || {
	echo "sanitizer build failed"
	echo "check: 0 passed, 1 failed"
	exit 1
}

run_tier unit make --no-print-directory -j"$jobs" DFL_DEPS_DONE=1 unit
run_tier unit-asan-ubsan make --no-print-directory -j"$jobs" DFL_DEPS_DONE=1 SAN=1 unit

for tier in tests/*/tier.sh; do
	[ -x "$tier" ] || continue
	run_tier "$(basename "$(dirname "$tier")")" "$tier"
done

echo
if [ ${#failed_tiers[@]} -gt 0 ]; then
	echo "failed tiers: ${failed_tiers[*]}"
fi
echo "check: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
