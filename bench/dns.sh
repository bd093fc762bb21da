#!/usr/bin/env bash
# DNS proxy benchmark on loopback: dnsperf against
#   (a) the authoritative test server directly (no proxy),
#   (b) deflector's DNS proxy (dfl-proxyd),
#   (c) dnsdist 1.7 with the same name rules (exact names as a QNameSetRule,
#       the pattern as a RegexRule, everything else answered REFUSED),
# each with 10 and 1,000 rules: N-1 matchName rules "name-I.example.com"
# and the matchPattern "*.cilium.io". Queries: 45% distinct names under
# cilium.io, 45% the matchName names, 10% denied names. No caching anywhere.
# Prints queries/s (maximum rate), p50/p99 latency at a fixed rate, queries
# per CPU-second of the proxy process, and the deflector/dnsdist ratios.
#
#   bench/dns.sh        (DURATION=10 RATE=20000 RUNS=3 to change)
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
T=$BUILD/tests/tools
DURATION=${DURATION:-10}
RATE=${RATE:-20000}
RUNS=${RUNS:-3}
for c in dnsperf dnsdist; do
	command -v $c >/dev/null || { echo "bench/dns.sh: $c is not installed"; exit 1; }
done
[ -x $T/dfl-proxyd ] || { echo "bench/dns.sh: build the tools first (make)"; exit 1; }

WORK=$(mktemp -d /tmp/dflt-proxy-dnsbench.XXXXXX)
PIDS=()
cleanup() {
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
	rm -rf "$WORK"
}
trap cleanup EXIT

start() {
	local name=$1
	shift
	"$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
	PIDS+=($!)
	for _ in $(seq 50); do
		READY=$(grep -m1 '^ready' "$WORK/$name.out" 2>/dev/null) && [ -n "$READY" ] && return 0
		sleep 0.1
	done
	echo "$name did not start: $(cat "$WORK/$name.err")"
	exit 1
}
port() { sed -E "s/.*$1=([0-9]+).*/\\1/" <<<"$READY"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

start auth $T/dfl-dns-echo 127.0.0.1:0
AUTH=$(port port)

rules() { # n: rules.$n (dfl-proxyd), names.$n.lua (dnsdist), queries.$n
	local n=$1 i
	: >"$WORK/rules.$n"
	echo "names = newDNSNameSet()" >"$WORK/names.$n.lua"
	for ((i = 0; i < n - 1; i++)); do
		echo "name name-$i.example.com" >>"$WORK/rules.$n"
		echo "names:add(newDNSName(\"name-$i.example.com.\"))" >>"$WORK/names.$n.lua"
	done
	echo "pattern *.cilium.io" >>"$WORK/rules.$n"
	awk -v n=$n 'BEGIN { srand(7); for (i = 0; i < 100000; i++) {
		r = rand();
		if (r < 0.45) printf "host-%d.cilium.io A\n", i;
		else if (r < 0.9) printf "name-%d.example.com A\n", int(rand() * (n - 1));
		else printf "blocked-%d.example.org A\n", i } }' >"$WORK/queries.$n"
}

dnsdist_cfg() { # n port
	cat <<EOF
setLocal("127.0.0.1:$2")
newServer({address="127.0.0.1:$AUTH", checkInterval=3600})
setSecurityPollSuffix("")
dofile("$WORK/names.$1.lua")
addAction(NotRule(OrRule({QNameSetRule(names),
	RegexRule("^[-a-zA-Z0-9_]*[.]cilium[.]io[.]?\$")})),
	RCodeAction(DNSRCode.REFUSED))
EOF
}

declare -A QPS P50 P99 EFF
# measure LABEL PORT N [PID]
measure() {
	local label=$1 p=$2 n=$3 pid=${4:-} best=0 out q t0 total=0 hz
	hz=$(getconf CLK_TCK)
	dig +short +tries=2 @127.0.0.1 -p "$p" host-1.cilium.io >/dev/null ||
		{ echo "$label does not answer"; return 1; }
	[ -n "$pid" ] && t0=$(cpu_ticks "$pid")
	for _ in $(seq "$RUNS"); do
		out=$(dnsperf -s 127.0.0.1 -p "$p" -d "$WORK/queries.$n" -l "$DURATION" \
			-c 10 -q 500 2>&1)
		q=$(awk '/Queries per second/ {print int($4)}' <<<"$out")
		total=$((total + $(awk '/Queries completed/ {print $3}' <<<"$out")))
		[ "${q:-0}" -gt "$best" ] && best=$q
	done
	QPS[$label]=$best
	EFF[$label]=0
	[ -n "$pid" ] && EFF[$label]=$(awk -v n=$total -v t=$(($(cpu_ticks "$pid") - t0)) \
		-v hz=$hz 'BEGIN { print (t ? int(n * hz / t) : 0) }')
	# latency at a fixed rate, every query timed
	dnsperf -s 127.0.0.1 -p "$p" -d "$WORK/queries.$n" -l 5 -Q "$RATE" -v 2>/dev/null |
		awk '/^> / {print $NF * 1000000}' | sort -n >"$WORK/lat"
	P50[$label]=$(awk '{a[NR]=$1} END {print int(a[int(NR*0.50)])}' "$WORK/lat")
	P99[$label]=$(awk '{a[NR]=$1} END {print int(a[int(NR*0.99)])}' "$WORK/lat")
	printf '  %-24s %8d q/s   at %d q/s: p50 %5d us p99 %6d us   %9s q/CPU-s\n' \
		"$label" "$best" "$RATE" "${P50[$label]}" "${P99[$label]}" \
		"$([ -n "$pid" ] && echo "${EFF[$label]}" || echo -)"
}

echo "DNS: dnsperf -c 10 -q 500 -l ${DURATION}s (best of $RUNS), latency at $RATE q/s, $(nproc) CPUs"
rules 10
measure "no proxy" "$AUTH" 10
for n in 10 1000; do
	[ -f "$WORK/rules.$n" ] || rules $n
	start "dfl$n" $T/dfl-proxyd --dns 127.0.0.1:0 --upstream 127.0.0.1:$AUTH \
		--dns-rules-file "$WORK/rules.$n"
	measure "deflector $n rules" "$(port dns)" $n "${PIDS[-1]}"
	dp=$(free_port)
	dnsdist_cfg $n $dp >"$WORK/dnsdist.$n.conf"
	dnsdist --supervised --disable-syslog -C "$WORK/dnsdist.$n.conf" \
		>"$WORK/dnsdist.$n.log" 2>&1 &
	PIDS+=($!)
	ddpid=$!
	for _ in $(seq 50); do
		dig +short +tries=1 +time=1 @127.0.0.1 -p $dp host-1.cilium.io >/dev/null && break
		sleep 0.1
	done
	measure "dnsdist $n rules" "$dp" $n "$ddpid" || cat "$WORK/dnsdist.$n.log"
done

echo "ratios (deflector / dnsdist; target >= 1.0 for q/s, <= 1.0 for p99):"
for n in 10 1000; do
	awk -v a="${QPS[deflector $n rules]}" -v b="${QPS[dnsdist $n rules]}" \
	    -v c="${P99[deflector $n rules]}" -v d="${P99[dnsdist $n rules]}" \
	    -v e="${EFF[deflector $n rules]}" -v f="${EFF[dnsdist $n rules]}" -v n=$n \
	    'BEGIN { printf "  %4d rules: q/s %.2fx, p99 %.2fx, queries per CPU-second %.2fx\n",
		     n, (b ? a / b : 0), (d ? c / d : 0), (f ? e / f : 0) }'
done
