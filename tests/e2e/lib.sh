# e2e tier library: one agent per run (tier.sh starts it), pods shared by
# every scenario, and the helpers scenarios use. A scenario is a function
# `t_NAME` registered with `scenario NAME "what it checks"` in
# tests/e2e/scenarios/*.sh; it runs in its own bash (with a timeout) and
# fails through `fail`. The policies it applies with `policy` are deleted
# after it, so scenarios stay independent.
#
# Environment shared with the scenario processes (exported by tier.sh):
# E2E_BIN, E2E_TOOLS, E2E_RUN (run directory), E2E_NODE (node netns),
# E2E_WORLD (the "world" netns), DEFLECTOR_SOCKET.

E2E_BIN=${E2E_BIN:-build/deflector}
E2E_TOOLS=${E2E_TOOLS:-build/tests/tools}
CT=2 # seconds before a probe counts as dropped (curl exit 28)

# The world: two addresses outside the pod CIDR, routed through the node.
WORLD_NET=198.18.0.0/24
WORLD_GW=198.18.0.1
WORLD_IP=198.18.0.2
WORLD_IP2=198.18.0.3
DNS_TTL=3 # seconds, of every answer of the world's resolver on WORLD_IP2:53
HOST_IP=10.200.0.1
HOST_PORT=8081

fail() {
	echo "FAIL: $*"
	echo "-- agent log (last lines):"
	tail -n 10 "$E2E_RUN/agent.log" 2>/dev/null
	exit 1
}

say() { echo "  $*"; }

# --- agent ---------------------------------------------------------------

agent_pid() { cat "$E2E_RUN/agent.pid" 2>/dev/null; }

agent_start() {
	local pid

	setsid "$E2E_BIN" agent --node-netns "$E2E_NODE" \
		--state-dir "$E2E_RUN/state" --socket "$DEFLECTOR_SOCKET" \
		--flow-log "$E2E_RUN/flows.jsonl" --metrics-address "" \
		>>"$E2E_RUN/agent.log" 2>&1 </dev/null &
	pid=$!
	echo "$pid" >"$E2E_RUN/agent.pid"
	for _ in $(seq 100); do
		"$E2E_BIN" agent status >/dev/null 2>&1 && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	fail "the agent did not answer within 10 s"
}

# agent_stop [SIGNAL]: TERM (clean stop) by default, KILL for a crash.
agent_stop() {
	local pid sig=${1:-TERM}

	pid=$(agent_pid)
	[ -n "$pid" ] || return 0
	kill -"$sig" "$pid" 2>/dev/null
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null
	rm -f "$E2E_RUN/agent.pid"
}

# --- objects ---------------------------------------------------------------

# policy NAME < YAML: applies the manifest and records it for deletion
# after the scenario.
policy() {
	local f="$E2E_RUN/policies/$1.yaml" out

	cat >"$f"
	echo "$f" >>"$E2E_RUN/applied"
	out=$("$E2E_BIN" apply -f "$f" 2>&1) || fail "apply $1: $out"
	say "applied $1: $out"
}

# Deletes every policy applied since the last call (tier.sh, between
# scenarios). Policies deleted twice are not an error.
policies_reset() {
	local f

	[ -s "$E2E_RUN/applied" ] || return 0
	sort -u "$E2E_RUN/applied" | while read -r f; do
		"$E2E_BIN" delete -f "$f" >/dev/null 2>&1
	done
	: >"$E2E_RUN/applied"
}

# --- traffic ---------------------------------------------------------------
# Every probe first marks the flow log, so expect_flow only looks at the
# flows that the probe caused. POD is NAME or NS/NAME.

flow_mark() { FLOW_MARK=$(wc -l <"$E2E_RUN/flows.jsonl" 2>/dev/null || echo 0); }

# in_pod POD CMD...: through `deflector exec`, or, with DIRECT=1 (while
# the agent is down), straight into the pod's netns recorded at start.
in_pod() {
	local pod=$1 ns=default var

	shift
	case $pod in */*) ns=${pod%%/*} pod=${pod#*/} ;; esac
	if [ "${DIRECT:-0}" = 1 ]; then
		var=NETNS_${pod^^}
		ip netns exec "${!var}" "$@"
	else
		"$E2E_BIN" exec -n "$ns" "$pod" -- "$@"
	fi
}

check_rc() { # WANT GOT WHAT
	[ "$2" -eq "$1" ] || fail "$3: exit code $2, expected $1"
	say "$3: exit code $2 as expected"
}

# expect_curl RC POD URL [CURL-ARG...]
expect_curl() {
	local want=$1 pod=$2 url=$3 rc

	shift 3
	flow_mark
	in_pod "$pod" curl -s -o /dev/null --connect-timeout $CT "$@" "$url"
	rc=$?
	check_rc "$want" "$rc" "curl from $pod to $url"
}

# expect_udp RC POD IP PORT: one datagram echoed (0) or not (28).
expect_udp() {
	local rc

	flow_mark
	in_pod "$2" "$E2E_TOOLS/dfl_probe" udp "$3" "$4" $((CT * 1000))
	rc=$?
	check_rc "$1" "$rc" "udp from $2 to $3:$4"
}

# expect_icmp RC POD IP [TYPE]: echo request (8, ping) or another type.
expect_icmp() {
	local rc

	flow_mark
	in_pod "$2" "$E2E_TOOLS/dfl_probe" icmp "$3" "${4:-8}" $((CT * 1000))
	rc=$?
	check_rc "$1" "$rc" "icmp type ${4:-8} from $2 to $3"
}

# expect_world_curl RC SRC-IP URL: curl from the world netns.
expect_world_curl() {
	local rc

	flow_mark
	ip netns exec "$E2E_WORLD" curl -s -o /dev/null --connect-timeout $CT \
		--interface "$2" "$3"
	rc=$?
	check_rc "$1" "$rc" "curl from world $2 to $3"
}

# expect_host_curl RC URL: curl from the node (identity host).
expect_host_curl() {
	local rc

	flow_mark
	ip netns exec "$E2E_NODE" curl -s -o /dev/null --connect-timeout $CT "$2"
	rc=$?
	check_rc "$1" "$rc" "curl from the node to $2"
}

# --- flows -----------------------------------------------------------------

# expect_flow DESCRIPTION JQ-PREDICATE: a flow since the last probe matches
# (the exporter writes asynchronously: wait up to 3 s).
expect_flow() {
	local desc=$1 pred=$2

	for _ in $(seq 30); do
		if tail -n +$((FLOW_MARK + 1)) "$E2E_RUN/flows.jsonl" |
			jq -e -s "map(.flow | select($pred)) | length > 0" >/dev/null 2>&1; then
			say "flow: $desc"
			return 0
		fi
		sleep 0.1
	done
	echo "flows since the probe:"
	tail -n +$((FLOW_MARK + 1)) "$E2E_RUN/flows.jsonl" | jq -c '.flow |
		{verdict, drop_reason_desc, traffic_direction, IP, l4}' | tail -n 8
	fail "no flow: $desc"
}

# no_flow DESCRIPTION JQ-PREDICATE: no such flow since the last probe.
no_flow() {
	sleep 0.3
	if tail -n +$((FLOW_MARK + 1)) "$E2E_RUN/flows.jsonl" |
		jq -e -s "map(.flow | select($2)) | length > 0" >/dev/null 2>&1; then
		fail "unexpected flow: $1"
	fi
	say "no flow: $1"
}

# The tuple of a flow: SRC DST PORT (PORT empty: any protocol; "icmp:T"
# for an ICMP type).
tuple() {
	local l4

	case $3 in
	'') l4=true ;;
	icmp:*) l4=".l4.ICMPv4.type == ${3#icmp:}" ;;
	*) l4="((.l4.TCP.destination_port // .l4.UDP.destination_port) == $3)" ;;
	esac
	echo ".IP.source == \"$1\" and .IP.destination == \"$2\" and $l4"
}

# expect_drop DIR REASON SRC DST [PORT]: DIR INGRESS|EGRESS, REASON
# POLICY_DENIED (default deny, 133) or POLICY_DENY (deny rule, 181).
expect_drop() {
	expect_flow "$1 drop $2 $3 -> $4 ${5:-}" \
		"$(tuple "$3" "$4" "${5:-}") and .verdict == \"DROPPED\" and
		 .traffic_direction == \"$1\" and .drop_reason_desc == \"$2\""
}

# expect_fwd DIR SRC DST [PORT]: a FORWARDED policy verdict, and no drop.
expect_fwd() {
	expect_flow "$1 forwarded $2 -> $3 ${4:-}" \
		"$(tuple "$2" "$3" "${4:-}") and .verdict == \"FORWARDED\" and
		 .traffic_direction == \"$1\""
	no_flow "drop $2 -> $3 ${4:-}" \
		"$(tuple "$2" "$3" "${4:-}") and .verdict == \"DROPPED\""
}

# --- registration ------------------------------------------------------------

# `scenario NAME "DESCRIPTION"` lines name the scenarios of a file (tier.sh
# reads them); sourcing the file makes them no-ops.
scenario() { :; }

# known_bug REASON: marks the scenario as an expected failure (counted as
# failed) with a one-line reason; for product bugs not fixed yet.
known_bug() {
	echo "EXPECTED FAILURE: $*"
	exit 1
}
