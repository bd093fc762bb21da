#!/usr/bin/env bash
# e2e tier: policy scenarios through the real agent, modelled on Cilium's
# connectivity tests. One agent runs in its own node netns; pods are made
# with `deflector apply`, traffic runs with `deflector exec` (curl, a UDP
# probe, ICMP), and each scenario checks the exit code and the flow the
# agent reports (verdict, direction, drop reason). Needs root.
# Usage: [E2E_VERBOSE=1] tests/e2e/tier.sh [SCENARIO-NAME-SUBSTRING...]
# (E2E_VERBOSE=1 also prints what passing scenarios checked.)
# Prints "e2e: N passed, N failed" (expected failures count as failed).
set -u
cd "$(dirname "$0")/../.."

if [ "$(id -u)" -ne 0 ]; then
	echo "e2e tier needs root"
	echo "e2e: 0 passed, 1 failed"
	exit 1
fi
if ! make --no-print-directory -j2 DFL_DEPS_DONE=1 build/deflector tools >/dev/null 2>&1; then
	make --no-print-directory -j2 DFL_DEPS_DONE=1 build/deflector tools 2>&1 | tail -n 30
	echo "e2e: 0 passed, 1 failed"
	exit 1
fi

export E2E_BIN=$PWD/build/deflector E2E_TOOLS=$PWD/build/tests/tools
export E2E_NODE=dfl-e2e-$$ E2E_WORLD=dflt-e2e-$$-world
E2E_RUN=$(mktemp -d /tmp/dfl-e2e.XXXXXX)
export E2E_RUN DEFLECTOR_SOCKET=$E2E_RUN/agent.sock
PIN_ROOT=/sys/fs/bpf/deflector-$E2E_NODE
mkdir -p "$E2E_RUN/state" "$E2E_RUN/policies"
: >"$E2E_RUN/applied"
: >"$E2E_RUN/flows.jsonl"
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh

SERVERS=()
cleanup() {
	local pid

	for pid in "${SERVERS[@]}"; do
		kill -- -"$pid" 2>/dev/null
	done
	agent_stop
	"$E2E_BIN" agent --cleanup --node-netns "$E2E_NODE" \
		--state-dir "$E2E_RUN/state" --socket "$DEFLECTOR_SOCKET" >/dev/null 2>&1
	ip netns del "$E2E_WORLD" 2>/dev/null
	ip netns del "$E2E_NODE" 2>/dev/null
	if [ -d "$PIN_ROOT" ]; then
		echo "e2e: pinned maps left in $PIN_ROOT after --cleanup" >&2
		rm -rf "$PIN_ROOT"
	fi
	rm -rf "$E2E_RUN"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

setup_fail() {
	echo "e2e: setup failed: $*"
	tail -n 20 "$E2E_RUN/agent.log"
	echo "e2e: 0 passed, 1 failed"
	exit 1
}

# serve NETNS-COMMAND... : a server in its own process group, killed on exit.
serve() {
	setsid "$@" >>"$E2E_RUN/servers.log" 2>&1 </dev/null &
	SERVERS+=($!)
}

SRV_ARGS=(--http 8080 --http 4100 --http 5000 --http 5353 --udp 5353
	--udp 7000 --echo 7)

(agent_start) || setup_fail "agent did not start"
out=$("$E2E_BIN" apply -f tests/e2e/pods.yaml 2>&1) || setup_fail "$out"

# The world: a netns with two addresses outside the pod CIDR, reached
# through the node (which routes it like any other network).
ip netns add "$E2E_WORLD" || setup_fail "ip netns add $E2E_WORLD"
ip link add "e2ew$$" netns "$E2E_NODE" type veth peer name eth0 \
	netns "$E2E_WORLD" || setup_fail "world veth"
ip -n "$E2E_NODE" addr add "$WORLD_GW/24" dev "e2ew$$"
ip -n "$E2E_NODE" link set "e2ew$$" up
ip -n "$E2E_WORLD" link set lo up
ip -n "$E2E_WORLD" link set eth0 up
ip -n "$E2E_WORLD" addr add "$WORLD_IP/24" dev eth0
ip -n "$E2E_WORLD" addr add "$WORLD_IP2/24" dev eth0
ip -n "$E2E_WORLD" route add 10.200.0.0/16 via "$WORLD_GW" ||
	setup_fail "world route"

serve ip netns exec "$E2E_WORLD" "$E2E_TOOLS/dfl_srv" --http 80 --udp 5353 --echo 7
# The world's resolver: every name is WORLD_IP, TTL DNS_TTL (toFQDNs).
serve ip netns exec "$E2E_WORLD" "$E2E_TOOLS/dfl-dns-echo" "$WORLD_IP2:53" \
	"$WORLD_IP" "$DNS_TTL"
serve ip netns exec "$E2E_NODE" "$E2E_TOOLS/dfl_srv" --http "$HOST_PORT"
serve "$E2E_BIN" exec echo -- "$E2E_TOOLS/dfl_srv" "${SRV_ARGS[@]}"
serve "$E2E_BIN" exec other/echo2 -- "$E2E_TOOLS/dfl_srv" "${SRV_ARGS[@]}"

for pod in client client2 echo other/client3 other/echo2; do
	ep=$("$E2E_BIN" endpoint get "$pod") || setup_fail "no endpoint $pod"
	var=${pod#*/}
	printf -v "IP_${var^^}" '%s' "$(jq -r .ipv4 <<<"$ep")"
	printf -v "NETNS_${var^^}" '%s' "$(jq -r .netns <<<"$ep")"
	export "IP_${var^^}" "NETNS_${var^^}"
	var=IP_${var^^}
	[[ ${!var} == 10.200.* ]] || setup_fail "no address for $pod"
done

# Every server answers before the first scenario.
ready() {
	"$E2E_BIN" exec client -- curl -s -o /dev/null --max-time 1 "$1"
}
for url in "http://$IP_ECHO/v1" "http://$IP_ECHO:8080/" "http://$IP_ECHO2/v1" \
	"http://$IP_ECHO2:8080/" "http://$WORLD_IP/" "http://$HOST_IP:$HOST_PORT/"; do
	for _ in $(seq 50); do
		ready "$url" && continue 2
		sleep 0.2
	done
	setup_fail "$url does not answer"
done

pass=0 failed=0 failures=()
start=$SECONDS
for f in tests/e2e/scenarios/*.sh; do
	while IFS='|' read -r name desc; do
		if [ $# -gt 0 ]; then
			match=0
			for want in "$@"; do
				[[ $name == *"$want"* ]] && match=1
			done
			[ $match = 1 ] || continue
		fi
		log=$E2E_RUN/scenario.log
		t0=$SECONDS
		timeout 120 bash -c '. tests/e2e/lib.sh && . "$1" && "t_$2"' \
			_ "$f" "$name" >"$log" 2>&1
		rc=$?
		policies_reset
		# A scenario that restarted the agent leaves it running; one that
		# died mid-restart does not: the next scenario needs it.
		"$E2E_BIN" agent status >/dev/null 2>&1 || (agent_start) >>"$log" 2>&1
		if [ $rc -eq 0 ]; then
			pass=$((pass + 1))
			printf '  %-40s ok (%ds)\n' "$name" $((SECONDS - t0))
			[ "${E2E_VERBOSE:-0}" = 1 ] && sed 's/^/    /' "$log"
		else
			failed=$((failed + 1))
			failures+=("$name")
			if grep -q '^EXPECTED FAILURE:' "$log"; then
				printf '  %-40s EXPECTED FAILURE (counted as failed): %s\n' \
					"$name" "$(sed -n 's/^EXPECTED FAILURE: //p' "$log")"
			else
				printf '  %-40s FAILED (%s)\n' "$name" "$desc"
				sed 's/^/    /' "$log" | tail -n 30
			fi
		fi
	done < <(sed -n 's/^scenario \([a-z0-9_]*\) "\(.*\)"$/\1|\2/p' "$f")
done
[ ${#failures[@]} -gt 0 ] && echo "failed: ${failures[*]}"
echo "(scenarios ran in $((SECONDS - start)) s)"
echo "e2e: $pass passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$pass" -gt 0 ]
