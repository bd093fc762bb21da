# Helpers of the netns tier, sourced by tests/netns/tier.sh for each
# scenario (in its own subshell). Topology: a "node" network namespace holds
# the host side of every pod's veth (dfl-hN, 10.200.N.1/24) and routes
# between pods; pod N is a namespace with eth0 = 10.200.N.2/24. The datapath
# is attached with build/tests/tools/dfl_dp, pinned under its own root, and
# its events are followed into $EVENTS from the start.
#
# A scenario is a function `scenario` using:
#   pod_add N IDENTITY [audit|noipcache]   pod N, endpoint id N
#   policy N ENTRY...          replace pod N's policy (dfl_dp policy syntax)
#   serve N ARGS...            run dfl_srv in pod N (--http/--echo/--udp PORT)
#   expect_curl CODE N URL     curl from pod N must exit with CODE
#   expect_udp CODE N HOST PORT / expect_icmp CODE N HOST TYPE
#   expect_event REGEX / expect_no_event REGEX   on the event lines
#   dp ARGS...                 dfl_dp on this scenario's pinned state
#   nsx CMD...                 run CMD in the node namespace
#   bg_pod N CMD... / bg_node CMD...   start CMD in the background (killed
#                              at the end; $! is CMD itself)
# Any failed expectation ends the scenario with a message.

set -u
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
T=$REPO/build/tests/tools
# Names carry the tier's tag (tests/netns/tier.sh) and this scenario's pid.
SID=${DFL_NETNS_TAG:-x}-$BASHPID
NS_NODE=dflt-bpf-$SID-node
DFL_ROOT=/sys/fs/bpf/dflt-bpf-ns-$SID
WORK=$(mktemp -d /tmp/dflt-bpf-netns.XXXXXX)
EVENTS=$WORK/events
BODY=$WORK/body
PIDS=()
PODS=()

fail() {
	echo "FAIL: $*" >&2
	if [ -s "$EVENTS" ]; then
		echo "--- events:" >&2
		tail -n 20 "$EVENTS" >&2
	fi
	exit 1
}

nsx() { nsenter --net="/run/netns/$NS_NODE" "$@"; }
dp() { nsx "$T/dfl_dp" --root "$DFL_ROOT" "$@"; }
pod() {
	local n=$1
	shift
	ip netns exec "dflt-bpf-$SID-p$n" "$@"
}
pod_ip() { echo "10.200.$1.2"; }

# Background helpers must be started with bg_pod / bg_node so that $! is
# the program itself (ip netns exec and nsenter exec it), not a subshell.
bg_pod() {
	local n=$1
	shift
	ip netns exec "dflt-bpf-$SID-p$n" "$@" &
	PIDS+=($!)
}
bg_node() {
	nsenter --net="/run/netns/$NS_NODE" "$@" &
	PIDS+=($!)
}

# Kills what runs in our namespaces (servers fork per connection), then
# removes the pinned state and the namespaces.
cleanup() {
	local p ns
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for ns in "$NS_NODE" "${PODS[@]/#/dflt-bpf-$SID-p}"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			kill "$p" 2>/dev/null
		done
	done
	wait 2>/dev/null
	dp purge >/dev/null 2>&1
	for p in "${PODS[@]}"; do
		ip netns del "dflt-bpf-$SID-p$p" 2>/dev/null
	done
	ip netns del "$NS_NODE" 2>/dev/null
	rm -rf "$WORK"
}

node_setup() {
	ip netns add "$NS_NODE" || fail "cannot create $NS_NODE"
	nsx ip link set lo up
	nsx sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0
	# Local delivery of packets the datapath assigned to the proxy.
	dp node-setup || fail "node setup"
	bg_node "$T/dfl_dp" --root "$DFL_ROOT" events --follow \
		>"$EVENTS" 2>"$WORK/events.err"
}

pod_add() {
	local n=$1 id=$2 opt=${3:-} ns="dflt-bpf-$SID-p$1"
	ip netns add "$ns" || fail "cannot create $ns"
	PODS+=("$n")
	ip link add name "dfl-h$n" netns "$NS_NODE" type veth peer name eth0 \
		netns "$ns" || fail "veth for pod $n"
	nsx ip addr add "10.200.$n.1/24" dev "dfl-h$n"
	nsx ip link set "dfl-h$n" up
	nsx sysctl -qw "net.ipv4.conf.dfl-h$n.rp_filter=0"
	pod "$n" ip link set lo up
	pod "$n" ip addr add "10.200.$n.2/24" dev eth0
	pod "$n" ip link set eth0 up
	pod "$n" ip route add default via "10.200.$n.1"
	if [ "$opt" != noipcache ]; then
		dp ipcache set "10.200.$n.2/32" "$id" || fail "ipcache for pod $n"
	fi
	dp attach "dfl-h$n" "$n" "$id" "10.200.$n.2" \
		"$([ "$opt" = audit ] && echo audit)" || fail "attach pod $n"
}

policy() {
	local n=$1
	shift
	dp policy "$n" "$@" || fail "policy for pod $n: $*"
}

# Starts dfl_srv in pod N and waits until its first port listens.
serve() {
	local n=$1 port=$3 i
	shift
	bg_pod "$n" "$T/dfl_srv" "$@"
	for i in $(seq 50); do
		pod "$n" ss -lntu 2>/dev/null | grep -q ":$port " && return 0
		sleep 0.05
	done
	fail "server in pod $n did not start"
}

expect_curl() {
	local want=$1 n=$2 url=$3 rc
	pod "$n" curl -s -o "$BODY" --connect-timeout 2 --max-time 5 "$url"
	rc=$?
	[ "$rc" = "$want" ] || fail "curl $url from pod $n: exit $rc, want $want"
}

expect_body() {
	grep -qE "$1" "$BODY" || fail "body '$(cat "$BODY")' lacks /$1/"
}

expect_udp() {
	local want=$1 n=$2 rc
	pod "$n" "$T/dfl_probe" udp "$3" "$4" 1500
	rc=$?
	[ "$rc" = "$want" ] || fail "udp $3:$4 from pod $n: exit $rc, want $want"
}

expect_icmp() {
	local want=$1 n=$2 rc
	pod "$n" "$T/dfl_probe" icmp "$3" "$4" 1500
	rc=$?
	[ "$rc" = "$want" ] || fail "icmp type $4 to $3 from pod $n: exit $rc, want $want"
}

# Waits up to 3 s for an event line matching REGEX.
expect_event() {
	local i
	for i in $(seq 60); do
		grep -qE "$1" "$EVENTS" && return 0
		sleep 0.05
	done
	fail "no event matching /$1/"
}

expect_no_event() {
	sleep 0.3
	! grep -qE "$1" "$EVENTS" || fail "unexpected event: $(grep -E "$1" "$EVENTS" | head -n 1)"
}

# Runs the scenario defined by the sourced file; exit status is the verdict.
run_scenario() {
	trap cleanup EXIT
	node_setup
	scenario
}
