#!/usr/bin/env bash
# Datapath benchmark: TCP request/response and bulk throughput between two
# pod namespaces routed through a node namespace (the netns tier's
# topology), with
#   (a) no program,
#   (b) deflector with N entries in each pod's policy map and N ipcache
#       addresses (pod 2 admits pod 1 on TCP 5001 with one of them),
#   (c) nftables in the node's forward hook doing the same filtering:
#       "nft-linear": N rules checked for every packet (both directions, as
#       deflector decides every forward packet), and
#       "nft-stateful": ct state established,related accept, then N rules,
# for N in $SIZES, plus the per-packet cost of the programs with
# BPF_PROG_TEST_RUN (build/bench/datapath_prog). Client and server are
# pinned to the same CPU (stable on a 2-vCPU VM; reference/performance-
# anchors.md §6). Prints one table with ratios to (a) measured alongside.
# Usage: bench/datapath.sh [SECONDS]   (env SIZES="10 1000 100000",
#        ROUNDS=3: rounds per configuration, see measure())
set -u
cd "$(dirname "$0")/.."
SECS=${1:-5}
SIZES=${SIZES:-10 1000 100000}
B=build/bench
T=build/tests/tools
SID=$$
NODE=dflt-bpf-$SID-bn
P1=dflt-bpf-$SID-b1
P2=dflt-bpf-$SID-b2
ROOT=/sys/fs/bpf/dflt-bpf-bench-$SID
WORK=$(mktemp -d /tmp/dflt-bpf-bench.XXXXXX)
PIDS=()

[ "$(id -u)" = 0 ] || { echo "bench/datapath.sh needs root" >&2; exit 1; }
make --no-print-directory -j2 DFL_DEPS_DONE=1 tools >/dev/null || exit 1
command -v nft >/dev/null || { echo "needs nft (apt-get install nftables)" >&2; exit 1; }

nsx() { nsenter --net="/run/netns/$NODE" "$@"; }
dp() { nsx "$T/dfl_dp" --root "$ROOT" --policy-max "$MAXN" --ipcache-max "$MAXN" "$@"; }

cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for ns in $NODE $P1 $P2; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null; done
	done
	wait 2>/dev/null
	nsx "$T/dfl_dp" --root "$ROOT" purge >/dev/null 2>&1
	ip netns del "$P1" 2>/dev/null
	ip netns del "$P2" 2>/dev/null
	ip netns del "$NODE" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

MAXN=16384
for n in $SIZES; do [ "$n" -gt "$MAXN" ] && MAXN=$((n + 16)); done

ip netns add "$NODE"
nsx ip link set lo up
nsx sysctl -qw net.ipv4.ip_forward=1
for i in 1 2; do
	ns=dflt-bpf-$SID-b$i
	ip netns add "$ns"
	ip link add name "dfl-h$i" netns "$NODE" type veth peer name eth0 netns "$ns"
	nsx ip addr add "10.200.$i.1/24" dev "dfl-h$i"
	nsx ip link set "dfl-h$i" up
	ip netns exec "$ns" ip link set lo up
	ip netns exec "$ns" ip addr add "10.200.$i.2/24" dev eth0
	ip netns exec "$ns" ip link set eth0 up
	ip netns exec "$ns" ip route add default via "10.200.$i.1"
done
ip netns exec "$P2" taskset -c 0 "$T/dfl_perf" server 5001 &
PIDS+=($!)
sleep 0.3

# The machine is shared: load from other tenants drifts over minutes. So
# each configuration is measured in ROUNDS rounds, each round running the
# baseline (filtering switched off) right before the configuration, and the
# figure is the median over rounds of the configuration's value and of its
# ratio to that round's baseline.
ROUNDS=${ROUNDS:-3}
run_perf() { # rr|stream
	ip netns exec "$P1" taskset -c 0 timeout $((SECS + 20)) \
		"$T/dfl_perf" "$1" 10.200.2.2 5001 "$SECS" ||
		echo "$1 trans_per_s=0 p50_us=0 p99_us=0 gbit_per_s=0"
}
measure() { # label off-function on-function
	local i
	for i in $(seq "$ROUNDS"); do
		"$2" || return 1
		echo "$1 base $(run_perf rr) $(run_perf stream)" >>"$WORK/raw"
		"$3" || return 1
		echo "$1 cfg $(run_perf rr) $(run_perf stream)" >>"$WORK/raw"
	done
}
# deflector off: no qdisc, no program on either veth; on: this process's
# programs attached again to the recorded endpoints.
defl_off() {
	nsx tc qdisc del dev dfl-h1 clsact && nsx tc qdisc del dev dfl-h2 clsact
}
defl_on() { dp reattach; }
# Average run time of the program attached at <dev> <ingress|egress>, from
# the kernel's BPF statistics (kernel.bpf_stats_enabled) over the last
# round: the cost per packet in real traffic, not in a test loop.
prog_ns() {
	local id
	id=$(nsx tc filter show dev "$1" "$2" | sed -nE 's/.* id ([0-9]+) .*/\1/p' | head -n 1)
	[ -n "$id" ] || return 0
	bpftool prog show id "$id" |
		sed -nE 's/.*run_time_ns ([0-9]+) run_cnt ([0-9]+).*/\1 \2/p' |
		awk '$2 > 0 { printf "%.0f ns x %d runs", $1 / $2, $2 }'
}
# nftables off: an accept rule in front of the N rules.
nft_off() { nsx nft insert rule inet dflbench filter_fwd accept; }
nft_on() {
	local h
	h=$(nsx nft -a list chain inet dflbench filter_fwd |
		awk '$1 == "accept" && $2 == "#" { print $4; exit }')
	[ -n "$h" ] && nsx nft delete rule inet dflbench filter_fwd handle "$h"
}

# Filler entries: N-1 other identities / addresses, then the one that
# matters, so that the matching entry sits among N.
gen_policy() { # n dir peer_id
	awk -v n="$1" -v d="$2" -v peer="$3" 'BEGIN {
		for (i = 0; i < n - 1; i++)
			printf "%s,%d,tcp,%d,allow\n", d, 100000 + i, 1000 + i % 50000
		printf "%s,%d,tcp,5001,allow\n", d, peer
	}' >"$WORK/policy.$2"
}
gen_ipcache() { # n
	awk -v n="$1" 'BEGIN {
		for (i = 0; i < n - 2; i++)
			printf "11.%d.%d.%d/32 %d\n", int(i / 65536) % 256,
				int(i / 256) % 256, i % 256, 100000 + i
		print "10.200.1.2/32 1001"
		print "10.200.2.2/32 1002"
	}' >"$WORK/ipcache"
}

measure none true true || exit 1

STATS_WAS=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -qw kernel.bpf_stats_enabled=1
for n in $SIZES; do
	gen_ipcache "$n"
	gen_policy "$n" egress 1002
	dp ipcache-file "$WORK/ipcache" || exit 1
	dp policy-file 1 "$WORK/policy.egress" || exit 1
	gen_policy "$n" ingress 1001
	dp policy-file 2 "$WORK/policy.ingress" || exit 1
	dp attach dfl-h1 1 1001 10.200.1.2 || exit 1
	dp attach dfl-h2 2 1002 10.200.2.2 || exit 1
	measure "deflector-$n" defl_off defl_on || exit 1
	echo "deflector-$n: from-endpoint (pod 1 egress) $(prog_ns dfl-h1 ingress)," \
		"to-endpoint (pod 2 ingress) $(prog_ns dfl-h2 egress)" >>"$WORK/progstats"
	nsx "$T/dfl_dp" --root "$ROOT" purge || exit 1
done
sysctl -qw kernel.bpf_stats_enabled="$STATS_WAS"

for n in $SIZES; do
	for mode in linear stateful; do
		awk -v n="$n" -v mode="$mode" 'BEGIN {
			print "table inet dflbench {"
			print " chain filter_fwd { type filter hook forward priority 0; policy drop;"
			if (mode == "stateful")
				print "  ct state established,related accept"
			for (i = 0; i < n - 1; i++)
				printf "  ip saddr 11.%d.%d.%d tcp dport %d accept\n",
					int(i / 65536) % 256, int(i / 256) % 256, i % 256, 1000 + i % 50000
			print "  ip saddr 10.200.1.2 ip daddr 10.200.2.2 tcp dport 5001 accept"
			if (mode == "linear")
				print "  ip saddr 10.200.2.2 ip daddr 10.200.1.2 tcp sport 5001 accept"
			print " }"
			print "}"
		}' >"$WORK/nft"
		nsx nft -f "$WORK/nft" || exit 1
		measure "nft-$mode-$n" nft_off nft_on || exit 1
		nsx nft delete table inet dflbench
	done
done

echo "BPF_PROG_TEST_RUN, ns per packet (cache-hot, same packet repeated):"
# shellcheck disable=SC2086
"$B/datapath_prog" 1000000 $SIZES | sed 's/^/  /'
echo
echo "veth pod-to-pod through a node namespace, ${SECS}s runs, same CPU;"
echo "median of $ROUNDS rounds, each ratio against the baseline run just before:"
awk '
function val(s,   a) { split(s, a, "="); return a[2] + 0 }
function median(arr, n,   i, j, t) {
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
		if (arr[j] < arr[i]) { t = arr[i]; arr[i] = arr[j]; arr[j] = t }
	return n % 2 ? arr[(n + 1) / 2] : (arr[n / 2] + arr[n / 2 + 1]) / 2
}
{
	label = $1
	if (!(label in seen)) { seen[label] = 1; order[++nl] = label }
	rr = val($4); p50 = val($5); p99 = val($6); gb = val($8)
	if ($2 == "base") { brr = rr; bgb = gb; next }
	k = ++n[label]
	RR[label, k] = rr; P50[label, k] = p50; P99[label, k] = p99
	GB[label, k] = gb; BRR[label, k] = brr
	RRR[label, k] = brr ? rr / brr : 0; GBR[label, k] = bgb ? gb / bgb : 0
}
END {
	printf "  %-20s %9s %9s %6s %8s %8s %8s %6s\n", "config", "RR/s",
		"base RR/s", "ratio", "p50 us", "p99 us", "Gbit/s", "ratio"
	for (i = 1; i <= nl; i++) {
		l = order[i]; m = n[l]
		for (k = 1; k <= m; k++) { a[k] = RR[l, k] }; rr = median(a, m)
		for (k = 1; k <= m; k++) { a[k] = BRR[l, k] }; brr = median(a, m)
		for (k = 1; k <= m; k++) { a[k] = RRR[l, k] }; rrr = median(a, m)
		for (k = 1; k <= m; k++) { a[k] = P50[l, k] }; p50 = median(a, m)
		for (k = 1; k <= m; k++) { a[k] = P99[l, k] }; p99 = median(a, m)
		for (k = 1; k <= m; k++) { a[k] = GB[l, k] }; gb = median(a, m)
		for (k = 1; k <= m; k++) { a[k] = GBR[l, k] }; gbr = median(a, m)
		printf "  %-20s %9.0f %9.0f %6.3f %8.1f %8.1f %8.2f %6.3f\n", l,
			rr, brr, rrr, p50, p99, gb, gbr
	}
}' "$WORK/raw"
echo "(0 = the run failed or timed out; load average: $(cut -d' ' -f1-3 /proc/loadavg))"
echo
echo "program run time in that traffic (kernel BPF statistics, last round):"
sed 's/^/  /' "$WORK/progstats"
