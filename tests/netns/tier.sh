#!/usr/bin/env bash
# netns tier: real traffic between pod namespaces through the datapath.
# Each tests/netns/scenarios/*.sh defines `scenario` (see lib.sh) and runs in
# its own namespaces, cleaned up even when it fails. Needs root.
# Usage: tests/netns/tier.sh [SCENARIO-NAME-SUBSTRING...]
# Prints "netns: N passed, N failed".
set -u
cd "$(dirname "$0")/../.."

if [ "$(id -u)" -ne 0 ]; then
	echo "netns tier needs root"
	echo "netns: 0 passed, 1 failed"
	exit 1
fi
if ! make --no-print-directory -j2 DFL_DEPS_DONE=1 tools >/dev/null 2>&1; then
	make --no-print-directory -j2 DFL_DEPS_DONE=1 tools 2>&1 | tail -n 30
	echo "netns: 0 passed, 1 failed"
	exit 1
fi

# Every namespace and pin root of this run is named dflt-bpf-$$-...
export DFL_NETNS_TAG=$$
pass=0 failed=0 failures=()
for f in tests/netns/scenarios/*.sh; do
	name=$(basename "$f" .sh)
	if [ $# -gt 0 ]; then
		match=0
		for want in "$@"; do
			[[ $name == *"$want"* ]] && match=1
		done
		[ $match = 1 ] || continue
	fi
	log=$(mktemp)
	if timeout 120 bash -c 'source tests/netns/lib.sh && source "$1" && run_scenario' \
		_ "$f" >"$log" 2>&1; then
		pass=$((pass + 1))
		printf '  %-44s ok\n' "$name"
	else
		failed=$((failed + 1))
		failures+=("$name")
		printf '  %-44s FAILED\n' "$name"
		sed 's/^/    /' "$log" | tail -n 30
	fi
	rm -f "$log"
done
# Belt and braces: nothing of this run may outlive the tier.
for ns in $(ip netns list | awk -v p="dflt-bpf-$$-" 'index($1, p) == 1 {print $1}'); do
	for p in $(ip netns pids "$ns"); do
		kill "$p" 2>/dev/null
	done
	ip netns del "$ns"
done
for d in /sys/fs/bpf/dflt-bpf-ns-"$$"-*; do
	[ -d "$d" ] && rm -f "$d"/dfl_* && rmdir "$d"
done
echo "netns: $pass passed, $failed failed"
[ "$failed" -eq 0 ]
