#!/usr/bin/env bash
# BPF tier: builds the BPF_PROG_TEST_RUN tests (tests/bpf/test_*.c) and runs
# each binary; every binary moves itself into a private network namespace and
# pins under /sys/fs/bpf/dflt-bpf-tier-<pid>-*. Needs root.
# Prints "bpf: N passed, N failed".
set -u
cd "$(dirname "$0")/../.."

if [ "$(id -u)" -ne 0 ]; then
	echo "bpf tier needs root (BPF_PROG_TEST_RUN, netns)"
	echo "bpf: 0 passed, 1 failed"
	exit 1
fi
# Pins of this run only (the harness names them after this prefix).
export DFL_TEST_PIN_PREFIX=/sys/fs/bpf/dflt-bpf-tier-$$
cleanup() {
	for d in "$DFL_TEST_PIN_PREFIX"-*; do
		[ -d "$d" ] || continue
		rm -f "$d"/dfl_* && rmdir "$d"
	done
}
trap cleanup EXIT

if ! make --no-print-directory -j2 DFL_DEPS_DONE=1 bpf-tests >/dev/null; then
	make --no-print-directory -j2 DFL_DEPS_DONE=1 bpf-tests 2>&1 | tail -n 30
	echo "bpf: 0 passed, 1 failed"
	exit 1
fi
bins=()
for src in tests/bpf/test_*.c; do
	bins+=("build/tests/bpf/$(basename "$src" .c)")
done
tests/unit/run.sh "${bins[@]}" 2>&1 | sed 's/^unit: /bpf: /'
exit "${PIPESTATUS[0]}"
