#!/usr/bin/env bash
# HTTP proxy benchmark on loopback: wrk against
#   (a) the origin server directly (no proxy),
#   (b) deflector's proxy (dfl-proxyd) with 10 and with 1,000 L7 rules,
#   (c) HAProxy 2.6 (one thread, like deflector) with the same rules as
#       method/path ACLs, written the way HAProxy does them best (exact paths
#       from a file as a tree, regex paths as a path_reg list).
# Half of the rules are plain paths (GET /api/v1/items/N), half regexes
# (GET /api/v1/group/N/.*); every request matches the LAST regex rule, the
# worst case for rule-by-rule evaluation. Keep-alive, small responses.
# Prints requests/s and p99 with CONNS connections, requests per CPU-second
# of the proxy process (utime+stime from /proc: robust when the machine is
# shared and busy), p50/p99 with a single connection (the latency a hop
# adds), and the deflector/HAProxy ratios.
#
#   bench/http.sh            (DURATION=10 CONNS=50 RUNS=3 to change)
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
T=$BUILD/tests/tools
DURATION=${DURATION:-10}
CONNS=${CONNS:-50}
RUNS=${RUNS:-3}
for c in wrk haproxy; do
	command -v $c >/dev/null || { echo "bench/http.sh: $c is not installed"; exit 1; }
done
[ -x $T/dfl-proxyd ] || { echo "bench/http.sh: build the tools first (make)"; exit 1; }

WORK=$(mktemp -d /tmp/dflt-proxy-bench.XXXXXX)
PIDS=()
cleanup() {
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
	rm -rf "$WORK"
}
trap cleanup EXIT

start() { # name cmd...: waits for "ready", leaves the line in READY
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

start origin $T/dfl-http-echo 127.0.0.1:0
ORIGIN=$(port port)

rules() { # n: writes rules.$n (dfl-proxyd), lit.$n and re.$n (HAProxy)
	local n=$1 half=$(($1 / 2)) i
	: >"$WORK/rules.$n" >"$WORK/lit.$n" >"$WORK/re.$n"
	for ((i = 0; i < half; i++)); do
		echo "method=GET path=/api/v1/items/$i" >>"$WORK/rules.$n"
		echo "/api/v1/items/$i" >>"$WORK/lit.$n"
	done
	for ((i = half; i < n; i++)); do
		echo "method=GET path=/api/v1/group/$i/.*" >>"$WORK/rules.$n"
		echo "^/api/v1/group/$i/.*\$" >>"$WORK/re.$n"
	done
}

haproxy_cfg() { # n port
	cat <<EOF
global
	nbthread 1
	maxconn 4000
defaults
	mode http
	timeout connect 5s
	timeout client 60s
	timeout server 60s
	option http-keep-alive
frontend fe
	bind 127.0.0.1:$2
	acl lit path -f $WORK/lit.$1
	acl re path_reg -f $WORK/re.$1
	http-request allow if METH_GET lit
	http-request allow if METH_GET re
	http-request deny deny_status 403
	default_backend be
backend be
	server origin 127.0.0.1:$ORIGIN
EOF
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

cpu_ticks() { # pid: utime+stime in clock ticks
	awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0
}

# one connection, one request at a time: the latency a proxy hop adds
declare -A LAT
latency() { # label url
	local out
	out=$(wrk -t1 -c1 -d"${DURATION}s" --latency "$2")
	LAT[$1]=$(awk '$1 == "50%" || $1 == "99%" {v=$2; if (v ~ /ms$/) {sub("ms","",v); v*=1000} else if (v ~ /us$/) {sub("us","",v)}; printf "%s%d", sep, v; sep="/"}' <<<"$out")
}

# run LABEL URL [PID]: best of RUNS wrk runs (requests/s and its p99 in us);
# with PID, also requests per CPU-second of that process over all runs.
declare -A RPS P99 EFF
run() {
	local label=$1 url=$2 pid=${3:-} best=0 bestp99=0 out rps p99 t0 total=0
	local hz
	hz=$(getconf CLK_TCK)
	curl -sf -o /dev/null "$url" || {
		echo "$label: $url does not answer 200"
		return 1
	}
	[ -n "$pid" ] && t0=$(cpu_ticks "$pid")
	for _ in $(seq "$RUNS"); do
		out=$(wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency "$url")
		total=$((total + $(awk '/requests in/ {print $1}' <<<"$out")))
		rps=$(awk '/^Requests\/sec/ {print int($2)}' <<<"$out")
		p99=$(awk '$1 == "99%" {v=$2; if (v ~ /ms$/) {sub("ms","",v); v*=1000} else if (v ~ /us$/) {sub("us","",v)} else if (v ~ /s$/) {sub("s","",v); v*=1000000}; print int(v)}' <<<"$out")
		if [ "$rps" -gt "$best" ]; then best=$rps bestp99=$p99; fi
	done
	RPS[$label]=$best
	P99[$label]=$bestp99
	EFF[$label]=0
	if [ -n "$pid" ]; then
		EFF[$label]=$(awk -v n=$total -v t=$(($(cpu_ticks "$pid") - t0)) -v hz=$hz \
			'BEGIN { print (t ? int(n * hz / t) : 0) }')
	fi
	latency "$label" "$url"
	printf '  %-22s %9d req/s   p99 %7d us   %9s req/CPU-s   1 conn p50/p99 %s us\n' \
		"$label" "$best" "$bestp99" \
		"$([ -n "$pid" ] && echo "${EFF[$label]}" || echo -)" "${LAT[$label]}"
}

echo "HTTP: wrk -t1 -c$CONNS -d${DURATION}s, best of $RUNS, $(nproc) CPUs"
run "no proxy" "http://127.0.0.1:$ORIGIN/api/v1/group/9/x"
for n in 10 1000; do
	rules $n
	path="/api/v1/group/$((n - 1))/x"
	start "dfl$n" $T/dfl-proxyd --http 127.0.0.1:0 --upstream 127.0.0.1:$ORIGIN \
		--http-rules-file "$WORK/rules.$n"
	run "deflector $n rules" "http://127.0.0.1:$(port http)$path" "${PIDS[-1]}"
	hp=$(free_port)
	haproxy_cfg $n $hp >"$WORK/haproxy.$n.cfg"
	haproxy -f "$WORK/haproxy.$n.cfg" -db >"$WORK/haproxy.$n.log" 2>&1 &
	PIDS+=($!)
	hpid=$!
	for _ in $(seq 50); do
		curl -s -o /dev/null "http://127.0.0.1:$hp/" && break
		sleep 0.1
	done
	run "haproxy $n rules" "http://127.0.0.1:$hp$path" "$hpid" || cat "$WORK/haproxy.$n.log"
done

echo "ratios (deflector / HAProxy; target >= 1.2 for throughput, <= 1.0 for p99):"
for n in 10 1000; do
	awk -v a="${RPS[deflector $n rules]}" -v b="${RPS[haproxy $n rules]}" \
	    -v c="${P99[deflector $n rules]}" -v d="${P99[haproxy $n rules]}" \
	    -v e="${EFF[deflector $n rules]}" -v f="${EFF[haproxy $n rules]}" -v n=$n \
	    'BEGIN { printf "  %4d rules: throughput %.2fx, p99 %.2fx, requests per CPU-second %.2fx\n",
		     n, a / b, (d ? c / d : 0), (f ? e / f : 0) }'
done
