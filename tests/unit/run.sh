#!/usr/bin/env bash
# Runs Check unit-test binaries and prints one total line.
# Usage: tests/unit/run.sh BIN...   (exit 1 if any test failed or crashed)
set -u
checks=0 failed=0 bad_bins=()
for bin in "$@"; do
	out=$("$bin" 2>&1)
	rc=$?
	line=$(grep -E '^[0-9]+%: Checks: ' <<<"$out" | tail -n 1)
	if [ -z "$line" ]; then
		echo "$out"
		echo "FAIL $bin: no Check summary (exit $rc)"
		bad_bins+=("$bin")
		failed=$((failed + 1))
		continue
	fi
	n=$(sed -E 's/.*Checks: ([0-9]+).*/\1/' <<<"$line")
	f=$(sed -E 's/.*Failures: ([0-9]+).*/\1/' <<<"$line")
	e=$(sed -E 's/.*Errors: ([0-9]+).*/\1/' <<<"$line")
	checks=$((checks + n))
	failed=$((failed + f + e))
	if [ "$rc" -ne 0 ] || [ $((f + e)) -gt 0 ]; then
		echo "$out" | grep -vE '^Running suite' | head -n 60
		bad_bins+=("$bin")
	fi
	printf '  %-48s %s\n' "$(basename "$bin")" "$line"
done
echo "unit: $((checks - failed)) passed, $failed failed"
[ ${#bad_bins[@]} -eq 0 ]
