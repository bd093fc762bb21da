#!/usr/bin/env bash
# Runs each libFuzzer binary for SECONDS with a seed corpus made of the YAML
# and JSON files under tests/fixtures and examples (and tests/fuzz/corpus/<fuzzer>/
# when it exists), and prints one total line.
# Usage: tests/fuzz/run.sh SECONDS BIN...
# Corpora live in build/fuzz/corpus/<fuzzer>/ (kept between runs, so each run
# continues where the last stopped); crashes in build/fuzz/artifacts/<fuzzer>/.
set -u
cd "$(dirname "$0")/../.." || exit 2

if [ $# -lt 2 ]; then
	echo "usage: $0 SECONDS BIN..." >&2
	exit 2
fi
seconds=$1
shift
passed=0 failed=0

for bin in "$@"; do
	name=$(basename "$bin")
	corpus=build/fuzz/corpus/$name
	artifacts=build/fuzz/artifacts/$name
	log=build/fuzz/$name.log
	mkdir -p "$corpus" "$artifacts"
	# Seeds: every manifest we have, plus the fuzzer's own seeds in
	# tests/fuzz/corpus/<fuzzer>/, named by content so reruns add nothing.
	while IFS= read -r -d '' f; do
		cp "$f" "$corpus/seed-$(sha1sum "$f" | cut -c1-16)"
	done < <(
		find tests/fixtures examples -type f \
			\( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) -print0 2>/dev/null
		[ -d "tests/fuzz/corpus/$name" ] &&
			find "tests/fuzz/corpus/$name" -type f -print0
	)
	echo "fuzzing $name for ${seconds}s (corpus $corpus)"
	if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-max_len=16384 -print_final_stats=1 \
		-artifact_prefix="$artifacts/" "$corpus" >"$log" 2>&1; then
		passed=$((passed + 1))
		grep -E '^(stat::number_of_executed_units|Done )' "$log" | tail -n 2
	else
		failed=$((failed + 1))
		echo "FAIL $name: see $log"
		grep -E 'ERROR|SUMMARY|artifact' "$log" | head -n 10
	fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
