#!/usr/bin/env bash
# The Cilium Star Wars walkthrough on one machine, with no cluster: an agent
# runs in its own node network namespace, pods are network namespaces, and
# every step prints its command, its output, and checks the result. Exits
# non-zero at the first step whose result differs from what the walkthrough
# promises, so CI runs it as a test too.
set -u
cd "$(dirname "$0")/../.."

BIN=${DEFLECTOR:-build/deflector}
DIR=examples/starwars
NODE_NETNS=${DEMO_NODE_NETNS:-dfl-demo-node}
RUN_DIR=$(mktemp -d /tmp/deflector-demo.XXXXXX)
export DEFLECTOR_SOCKET=$RUN_DIR/agent.sock
FLOWS=$RUN_DIR/flows.jsonl
AGENT_PID=
STEP=0
bold=$(tput bold 2>/dev/null || true)
plain=$(tput sgr0 2>/dev/null || true)

stop_agent() {
	[ -n "$AGENT_PID" ] || return 0
	kill "$AGENT_PID" 2>/dev/null
	for _ in $(seq 50); do
		kill -0 "$AGENT_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$AGENT_PID" 2>/dev/null
	wait "$AGENT_PID" 2>/dev/null
	AGENT_PID=
}

# Whatever happens, nothing is left behind: the agent stops (its pods keep
# running), then --cleanup removes pods, namespaces, maps and state.
cleanup() {
	stop_agent
	"$BIN" agent --cleanup --node-netns "$NODE_NETNS" \
		--state-dir "$RUN_DIR/state" >/dev/null 2>&1
	rm -rf "$RUN_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
	echo
	echo "demo: step $STEP failed: $*" >&2
	echo "demo: agent log (last lines):" >&2
	tail -n 20 "$RUN_DIR/agent.log" >&2 2>/dev/null
	exit 1
}

step() {
	STEP=$((STEP + 1))
	echo
	echo "${bold}== $STEP. $*${plain}"
}

# run CMD...: prints "$ CMD", runs it, keeps its output in $OUT and status in $RC.
run() {
	local shown="$*"

	echo "\$ ${shown/#"$BIN"/deflector}"
	OUT=$("$@" 2>&1)
	RC=$?
	[ -n "$OUT" ] && printf '%s\n' "$OUT"
	return 0
}

expect_in() { # text
	grep -qF -- "$1" <<<"$OUT" || fail "expected output containing '$1'"
}

expect_rc() { # code
	[ "$RC" -eq "$1" ] || fail "expected exit code $1, got $RC"
}

# Checks `endpoint list`: each deathstar shows <ingress> enforcement.
expect_deathstar_ingress() { # Enabled|Disabled
	local n
	n=$(grep -c "class=deathstar" <<<"$OUT")
	[ "$n" -eq 2 ] || fail "expected 2 deathstar endpoints, saw $n"
	grep "class=deathstar" <<<"$OUT" | grep -vq " $1 " &&
		fail "expected ingress enforcement $1 on both deathstars"
	return 0
}

make_pods_ready() {
	for _ in $(seq 100); do
		"$BIN" exec xwing -- curl -s -o /dev/null --max-time 1 \
			http://deathstar.default.svc.cluster.local/v1 && return 0
		sleep 0.1
	done
	fail "the deathstar service did not answer within 10 s"
}

LANDING="curl -s -XPOST deathstar.default.svc.cluster.local/v1/request-landing"
EXHAUST="curl -s -XPUT deathstar.default.svc.cluster.local/v1/exhaust-port"

echo "${bold}deflector: the Star Wars demo${plain} (node namespace $NODE_NETNS)"
mkdir -p "$RUN_DIR/state"
"$BIN" agent --node-netns "$NODE_NETNS" --state-dir "$RUN_DIR/state" \
	--socket "$DEFLECTOR_SOCKET" --flow-log "$FLOWS" --metrics-address "" \
	>"$RUN_DIR/agent.log" 2>&1 &
AGENT_PID=$!
for _ in $(seq 50); do
	[ -S "$DEFLECTOR_SOCKET" ] && break
	kill -0 "$AGENT_PID" 2>/dev/null || fail "the agent exited: $(cat "$RUN_DIR/agent.log")"
	sleep 0.1
done
[ -S "$DEFLECTOR_SOCKET" ] || fail "the agent did not start within 5 s"

step "Deploy the Death Star, a TIE fighter and an X-wing"
run "$BIN" apply -f $DIR/http-sw-app.yaml
expect_rc 0
expect_in "service/deathstar created"
expect_in "deployment.apps/deathstar created"
expect_in "pod/tiefighter created"
expect_in "pod/xwing created"
make_pods_ready
run "$BIN" endpoint list
expect_rc 0
expect_deathstar_ingress Disabled

step "Both ships may land while no policy applies"
run "$BIN" exec xwing -- $LANDING
expect_in "Ship landed"
run "$BIN" exec tiefighter -- $LANDING
expect_in "Ship landed"

step "Apply the L3/L4 policy: only the Empire may land"
run "$BIN" apply -f $DIR/sw_l3_l4_policy.yaml
expect_in "ciliumnetworkpolicy.cilium.io/rule1 created"
run "$BIN" get cnp
expect_in "rule1"
grep -E '^rule1 .*True' <<<"$OUT" >/dev/null || fail "rule1 is not VALID True"
run "$BIN" endpoint list
expect_deathstar_ingress Enabled
run "$BIN" exec tiefighter -- $LANDING
expect_in "Ship landed"
run "$BIN" exec xwing -- curl -s --connect-timeout 2 -XPOST \
	deathstar.default.svc.cluster.local/v1/request-landing
expect_rc 28
echo "(curl timed out: exit code 28)"
run "$BIN" observe --type drop --from-pod default/xwing
expect_in "Policy denied DROPPED"
expect_in "TCP Flags: SYN"

step "The exhaust port is open to anyone allowed at L4"
run "$BIN" exec tiefighter -- $EXHAUST
expect_in "Panic: deathstar exploded"

step "Apply the L7 policy: POST /v1/request-landing only"
run "$BIN" apply -f $DIR/sw_l3_l4_l7_policy.yaml
expect_in "ciliumnetworkpolicy.cilium.io/rule1 configured"
run "$BIN" exec tiefighter -- $LANDING
expect_in "Ship landed"
run "$BIN" exec tiefighter -- $EXHAUST
expect_in "Access denied"
run "$BIN" observe --pod deathstar --protocol http
expect_in "http-request DROPPED (HTTP/1.1 PUT http://deathstar.default.svc.cluster.local/v1/exhaust-port)"
expect_in "http-response FORWARDED (HTTP/1.1 403"

step "Audit the drops of this run, then clean up"
run "$BIN" audit report "$FLOWS"
expect_rc 0
expect_in "xwing"
run "$BIN" audit verify "$FLOWS"
expect_rc 0
stop_agent
run "$BIN" agent --cleanup --node-netns "$NODE_NETNS" --state-dir "$RUN_DIR/state"
expect_rc 0
left=$(ip netns list | grep -c "^dfl-" || true)
[ "$left" -eq 0 ] || fail "$left network namespaces left behind"
[ ! -e "/sys/fs/bpf/deflector-$NODE_NETNS" ] || fail "pinned maps left behind"

echo
echo "${bold}demo: all $STEP steps behaved as the walkthrough says.${plain}"
