# Helpers for tests/agent/tier.sh: agents in throwaway node namespaces, all
# named dflt-agent-<pid>-<name> so that parallel runs never collide, and
# removed on exit even when a test fails.
# shellcheck shell=bash

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DFL=$ROOT/build/deflector
DEATHSTAR=$ROOT/build/examples/starwars/deathstar
CALL=$ROOT/tests/agent/call.py
RUN=dflt-agent-$$
TMP=/tmp/$RUN
mkdir -p "$TMP"

PASSED=0
FAILED=0
AGENTS=()

pass() {
	PASSED=$((PASSED + 1))
	printf '  ok    %s\n' "$1"
}

fail() {
	FAILED=$((FAILED + 1))
	printf '  FAIL  %s\n' "$1"
	shift
	[ $# -gt 0 ] && printf '        %s\n' "$@"
	return 0
}

# check NAME COMMAND...: passes when COMMAND succeeds.
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		pass "$name"
	else
		fail "$name" "command: $*" "output: ${out:0:600}"
	fi
}

# expect_eq NAME WANT GOT
expect_eq() {
	if [ "$2" == "$3" ]; then
		pass "$1"
	else
		fail "$1" "want: ${2:0:400}" "got:  ${3:0:400}"
	fi
}

# expect_match NAME REGEX TEXT
expect_match() {
	if [[ $3 =~ $2 ]]; then
		pass "$1"
	else
		fail "$1" "want match: $2" "got: ${3:0:600}"
	fi
}

node_of() { echo "$RUN-$1"; }
dir_of() { echo "$TMP/$1"; }
sock_of() { echo "$TMP/$1/sock"; }
state_of() { echo "$TMP/$1/state"; }

# agent_args NAME: the options that identify agent NAME.
agent_args() {
	echo --node-netns "$(node_of "$1")" --state-dir "$(state_of "$1")" \
		--socket "$(sock_of "$1")"
}

# start_agent NAME [OPTIONS...]: starts agent NAME in the background and
# waits until its socket answers. Prints the milliseconds that took.
start_agent() {
	local name=$1 t0 t1 i
	shift
	mkdir -p "$(dir_of "$name")"
	[[ " ${AGENTS[*]} " == *" $name "* ]] || AGENTS+=("$name")
	t0=$(date +%s%N)
	rm -f "$(dir_of "$name")/rc" "$(dir_of "$name")/pid"
	# A wrapper records the agent's exit code for stop_agent, since the
	# agent is not a child of the shell that stops it.
	# shellcheck disable=SC2046
	bash -c 'dir=$1; shift; "$@" >>"$dir/log" 2>&1 & echo $! >"$dir/pid"; wait $!; echo $? >"$dir/rc"' \
		_ "$(dir_of "$name")" "$DFL" agent $(agent_args "$name") "$@" \
		</dev/null >/dev/null 2>&1 &
	for i in $(seq 1 100); do
		[ -s "$(dir_of "$name")/pid" ] && break
		sleep 0.01
	done
	for i in $(seq 1 300); do
		if "$DFL" agent status --socket "$(sock_of "$name")" >/dev/null 2>&1; then
			t1=$(date +%s%N)
			echo $(((t1 - t0) / 1000000))
			return 0
		fi
		kill -0 "$(cat "$(dir_of "$name")/pid")" 2>/dev/null || break
		sleep 0.01
	done
	echo "agent $name did not start:" >&2
	tail -n 5 "$(dir_of "$name")/log" >&2
	return 1
}

agent_pid() { cat "$(dir_of "$1")/pid" 2>/dev/null; }

# stop_agent NAME [SIGNAL]: signals agent NAME, waits for it, and returns
# its exit code.
stop_agent() {
	local pid rc=0
	pid=$(agent_pid "$1")
	[ -n "$pid" ] || return 0
	kill "-${2:-TERM}" "$pid" 2>/dev/null
	for _ in $(seq 1 500); do
		[ -e "$(dir_of "$1")/rc" ] && break
		sleep 0.01
	done
	rc=$(cat "$(dir_of "$1")/rc" 2>/dev/null || echo 255)
	rm -f "$(dir_of "$1")/pid"
	return "$rc"
}

# gone PID: the process has exited (a zombie waiting for init counts).
gone() {
	! kill -0 "$1" 2>/dev/null || [[ $(ps -o stat= -p "$1") == Z* ]]
}

# dfl NAME ARGS...: the CLI against agent NAME's socket.
dfl() {
	local name=$1
	shift
	DEFLECTOR_SOCKET=$(sock_of "$name") "$DFL" "$@"
}

# call NAME JSON...: raw requests to agent NAME.
call() {
	local name=$1
	shift
	python3 "$CALL" "$(sock_of "$name")" "$@"
}

# The namespaces agent NAME's state file names (pods), one per line.
state_netns() {
	jq -r '.endpoints[].netns' "$(state_of "$1")/state.json" 2>/dev/null
}

# cleanup_agent NAME: stops agent NAME and removes everything it made, first
# with `deflector agent --cleanup`, then by hand for whatever is left.
cleanup_agent() {
	local name=$1 ns
	stop_agent "$name" KILL
	for ns in $(state_netns "$name"); do
		echo "$ns" >>"$(dir_of "$name")/netns.seen"
	done
	# shellcheck disable=SC2046
	"$DFL" agent --cleanup $(agent_args "$name") >>"$(dir_of "$name")/log" 2>&1
	if [ -f "$(dir_of "$name")/netns.seen" ]; then
		while read -r ns; do
			[ -e "/run/netns/$ns" ] && ip netns del "$ns" 2>/dev/null
		done <"$(dir_of "$name")/netns.seen"
	fi
	[ -e "/run/netns/$(node_of "$name")" ] && ip netns del "$(node_of "$name")" 2>/dev/null
	return 0
}

cleanup_all() {
	local name pid
	for name in "${AGENTS[@]}"; do
		cleanup_agent "$name"
	done
	# Programs started by tests in pods or node namespaces.
	for pid in $(cat "$TMP"/*.bgpid 2>/dev/null); do
		kill -9 "$pid" 2>/dev/null
	done
	rm -rf "$TMP"
}

# bg_start TAG COMMAND...: a background helper process, killed at exit.
bg_start() {
	local tag=$1
	shift
	"$@" >"$TMP/$tag.out" 2>&1 &
	echo $! >"$TMP/$tag.bgpid"
}

bg_stop() {
	local pid
	pid=$(cat "$TMP/$1.bgpid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rm -f "$TMP/$1.bgpid"
	return 0
}

# pod_json NAME [LABELS_JSON] [IMAGE]
pod_json() {
	jq -cn --arg n "$1" --argjson l "${2:-{\}}" --arg i "${3:-}" \
		'{name: $n, labels: $l, ports: [{port: 80}]} + (if $i == "" then {} else {image: $i} end)'
}

# wait_for SECONDS COMMAND...: retries COMMAND every 0.1 s.
wait_for() {
	local deadline=$(($(date +%s) + $1))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$deadline" ] && return 1
		sleep 0.1
	done
}
