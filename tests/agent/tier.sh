#!/usr/bin/env bash
# The agent tier: real pods (network namespaces, veths, routes) made by real
# agents in throwaway node namespaces, real traffic with curl, exec, restarts
# with kill -9, --cleanup, two agents side by side, and the socket API's
# errors. Needs root. Prints "agent: N passed, N failed".
set -u
# shellcheck source=tests/agent/lib.sh
source "$(dirname "$0")/lib.sh"
trap cleanup_all EXIT

if [ "$(id -u)" -ne 0 ]; then
	echo "agent tier needs root (network namespaces); not run"
	echo "agent: 0 passed, 1 failed"
	exit 1
fi
for tool in "$DFL" "$DEATHSTAR"; do
	if [ ! -x "$tool" ]; then
		echo "missing $tool: run make first"
		echo "agent: 0 passed, 1 failed"
		exit 1
	fi
done
for tool in curl jq python3 ip getent; do
	command -v "$tool" >/dev/null || {
		echo "missing $tool (mk/deps.sh test installs it)"
		echo "agent: 0 passed, 1 failed"
		exit 1
	}
done

STARWARS=docker.io/cilium/starwars
DS_LABELS='{"org":"empire","class":"deathstar"}'
TF_LABELS='{"org":"empire","class":"tiefighter"}'

echo "== agent: start-up and endpoints"
ms=$(start_agent a) || { echo "agent: 0 passed, 1 failed"; exit 1; }
if [ "$ms" -lt 1000 ]; then pass "agent answers on its socket in under a second (${ms} ms)"; else fail "agent start-up took ${ms} ms"; fi
A_NODE=$(node_of a)
check "node netns created with ip_forward on" \
	test "$(ip netns exec "$A_NODE" cat /proc/sys/net/ipv4/ip_forward)" = 1
check "node gateway 10.200.0.1 on dfl_host" \
	sh -c "ip -n $A_NODE -4 addr show dfl_host | grep -q 'inet 10.200.0.1/32'"

out=$(call a "$(jq -cn --argjson p "$(pod_json deathstar "$DS_LABELS" $STARWARS)" '{op:"endpoint.create",pod:$p}')")
DS_IP=$(jq -r '.result.ipv4' <<<"$out")
DS_IF=$(jq -r '.result.ifname' <<<"$out")
DS_NETNS=$(jq -r '.result.netns' <<<"$out")
expect_eq "first pod gets 10.200.0.2" 10.200.0.2 "$DS_IP"
expect_match "host veth named lxc + 12 hex digits (15 chars)" '^lxc[0-9a-f]{12}$' "$DS_IF"
expect_match "pod netns named dfl-<hash>" '^dfl-[0-9a-f]{12}$' "$DS_NETNS"
check "host veth lives in the node netns, not on the host" \
	sh -c "ip -n $A_NODE link show $DS_IF >/dev/null && ! ip link show $DS_IF >/dev/null 2>&1"
check "pod has eth0 with its /32 and a default route via the gateway" \
	sh -c "ip -n $DS_NETNS -4 addr show eth0 | grep -q 'inet $DS_IP/32' &&
	       ip -n $DS_NETNS route | grep -q 'default via 10.200.0.1 dev eth0' &&
	       ip -n $DS_NETNS link show lo | grep -q 'UP'"
check "node routes the pod's /32 to its veth" \
	sh -c "ip -n $A_NODE route | grep -q '^$DS_IP dev $DS_IF'"

dfl a endpoint create tiefighter -l org=empire -l class=tiefighter -p 80 >/dev/null
dfl a endpoint create xwing -l org=alliance -l class=xwing >/dev/null
TF_IP=$(dfl a endpoint get tiefighter | jq -r .ipv4)
expect_eq "second pod gets the next address" 10.200.0.3 "$TF_IP"

# The deathstar program starts with its pod.
wait_for 5 sh -c "ip netns exec $A_NODE curl -s -m 1 http://$DS_IP/v1 | grep -q 'Death Star'"
out=$(dfl a exec tiefighter -- curl -s -m 5 -XPOST "http://$DS_IP/v1/request-landing")
expect_eq "pod -> pod: tiefighter lands on the deathstar pod" "Ship landed" "$out"
out=$(ip netns exec "$A_NODE" curl -s -m 5 -XPOST "http://$DS_IP/v1/request-landing")
expect_eq "node -> pod" "Ship landed" "$out"
bg_start nodesrv ip netns exec "$A_NODE" "$DEATHSTAR" --bind 10.200.0.1 --port 8081
wait_for 5 ip netns exec "$A_NODE" curl -s -m 1 http://10.200.0.1:8081/v1
out=$(dfl a exec xwing -- curl -s -m 5 -XPOST http://10.200.0.1:8081/v1/request-landing)
expect_eq "pod -> node (gateway address)" "Ship landed" "$out"
bg_stop nodesrv
out=$(dfl a exec tiefighter -- curl -s -m 5 "http://$DS_IP/v1" | jq -r .hostname)
expect_eq "deathstar runs with the pod's name as host name" deathstar "$out"

echo "== agent: names and exec"
call a "$(jq -cn --argjson s "{\"name\":\"deathstar\",\"selector\":$DS_LABELS,\"ports\":[{\"port\":80}]}" '{op:"service.apply",service:$s}')" >"$TMP/svc.json"
SVC_IP=$(jq -r .result.clusterIP "$TMP/svc.json")
expect_match "service gets a ClusterIP from 10.96.0.0/16" '^10\.96\.0\.[0-9]+$' "$SVC_IP"
out=$(dfl a exec tiefighter -- getent hosts deathstar.default.svc.cluster.local)
expect_match "deathstar.default.svc.cluster.local resolves to the ClusterIP" "^$SVC_IP +deathstar.default.svc.cluster.local" "$out"
out=$(dfl a exec tiefighter -- getent hosts deathstar | awk '{print $1}')
expect_eq "short service name resolves in the pod's namespace" "$SVC_IP" "$out"
out=$(dfl a exec xwing -- getent hosts tiefighter | awk '{print $1}')
expect_eq "pod names resolve" "$TF_IP" "$out"
t0=$(date +%s%N)
out=$(dfl a exec tiefighter -- curl -s -m 5 -XPOST http://deathstar-does-not-exist/ 2>&1; echo "rc=$?")
t1=$(date +%s%N)
expect_eq "unknown names fail at once (resolv.conf points at the node)" "rc=6 fast" \
	"$out $([ $(((t1 - t0) / 1000000)) -lt 1000 ] && echo fast || echo slow)"
out=$(dfl a exec tiefighter -- cat /etc/resolv.conf)
expect_eq "the pod's resolv.conf is kubelet's" \
	"search default.svc.cluster.local svc.cluster.local cluster.local
nameserver 10.200.0.1
options ndots:5" "$out"
out=$(dfl a exec xwing -- hostname)
expect_eq "exec runs with the pod's host name" xwing "$out"
check "exec leaves the host's /etc/hosts alone" sh -c "! grep -q deathstar /etc/hosts"
dfl a exec tiefighter -- sh -c 'exit 42'
expect_eq "exec passes the exit code through" 42 "$?"
out=$(echo "through stdin" | dfl a exec tiefighter -- cat)
expect_eq "exec passes stdin and stdout" "through stdin" "$out"
out=$(dfl a exec tiefighter -- sh -c 'echo to-stderr >&2' 2>&1 >/dev/null)
expect_eq "exec passes stderr" "to-stderr" "$out"
out=$(dfl a exec tiefighter -- no-such-command 2>&1)
rc=$?
expect_eq "exec of a missing command exits 127" "127 deflector: exec: no-such-command: command not found" "$rc $out"
out=$(dfl a exec nobody -- true 2>&1)
rc=$?
expect_eq "exec into an unknown pod fails clearly" \
	"1 deflector: exec: endpoint 'nobody' not found (give an id, NAMESPACE/NAME, or a pod name in namespace default)" "$rc $out"
out=$(dfl a exec tiefighter 2>&1)
expect_eq "exec without a command is a usage error" 2 "$?"
out=$(dfl a exec -n default tiefighter -- ip -o link show eth0 | awk '{print $2}')
expect_eq "exec sees the pod's interfaces" "eth0@if$(ip -n "$A_NODE" -o link show "$(dfl a endpoint get tiefighter | jq -r .ifname)" | cut -d: -f1):" "$out"

call a '{"op":"pod.apply","pod":{"name":"xwing","labels":{"org":"alliance","class":"xwing","ship":"t65"}}}' >"$TMP/relabel.json"
expect_eq "pod.apply with new labels updates them in place (same id and address)" \
	"$(dfl a endpoint get xwing | jq -c '{id, ipv4}') k8s:ship=t65" \
	"$(jq -c '.result | {id, ipv4}' "$TMP/relabel.json") $(jq -r '.result.labels[] | select(startswith("k8s:ship"))' "$TMP/relabel.json")"
out=$(call a '{"op":"pod.apply","pod":{"name":"xwing","image":"busybox","labels":{"org":"alliance"}}}')
expect_eq "pod.apply cannot change a pod's image" \
	'{"error":"pod default/xwing exists with another image, ports or command (a pod'"'"'s spec is immutable: delete it first)"}' "$out"
call a '{"op":"service.apply","service":{"name":"outpost","selector":{"class":"xwing"}}}' >/dev/null
out=$(dfl a exec tiefighter -- getent hosts outpost.default.svc.cluster.local | awk '{print $1}')
expect_match "a new Service is resolvable at once" '^10\.96\.0\.[0-9]+$' "$out"
call a '{"op":"service.delete","name":"outpost"}' >/dev/null
out=$(dfl a exec tiefighter -- getent hosts outpost.default.svc.cluster.local; echo "rc=$?")
expect_eq "a deleted Service is gone from the hosts file" "rc=2" "$out"
expect_eq "service.list shows the deathstar Service's backend" "[\"$DS_IP\"]" \
	"$(call a '{"op":"service.list"}' | jq -c '.result[] | select(.name == "deathstar") | .backends')"

echo "== agent: endpoint list"
dfl a endpoint list >"$TMP/list.txt"
expect_eq "list header matches cilium endpoint list" \
	"ENDPOINT   POLICY (ingress)   POLICY (egress)   IDENTITY        LABELS (source:key[=value])                       IPv4         STATUS   " \
	"$(sed -n 1p "$TMP/list.txt")"
expect_match "list shows every endpoint ready with its labels" \
	"k8s:class=deathstar +$DS_IP +ready" "$(cat "$TMP/list.txt")"
expect_eq "list prints one row per label, 3 pods" 16 "$(($(wc -l <"$TMP/list.txt") - 2))"
expect_eq "endpoint list -o json has 3 endpoints" 3 "$(dfl a endpoint list -o json | jq length)"

echo "== agent: socket API errors"
out=$(DEFLECTOR_SOCKET=$TMP/nowhere.sock "$DFL" endpoint list 2>&1)
rc=$?
expect_eq "absent agent: clear error, exit 1" \
	"1 deflector: endpoint list: cannot reach the agent at $TMP/nowhere.sock: No such file or directory (is the agent running? start it with \`deflector agent\`)" \
	"$rc $out"
out=$(call a 'not json' '{"op":"nope"}' '{"op":"endpoint.create","pod":{"name":"x","labels":{"org":7}}}' '{"op":"endpoint.get"}')
expect_eq "raw socket errors name the problem" \
	'{"error":"request is not JSON: '"'"'['"'"' or '"'"'{'"'"' expected near '"'"'not'"'"' (column 3)"}
{"error":"unknown op '"'"'nope'"'"'; {\"op\": \"help\"} lists the ops"}
{"error":"pod.labels.org: must be a string, not an integer"}
{"error":"endpoint.get: missing argument \"endpoint\""}' "$out"
out=$(dfl a endpoint create tiefighter 2>&1)
expect_eq "creating an existing pod fails, exit 1" "1 deflector: endpoint create: pod default/tiefighter already exists" "$? $out"
out=$(dfl a endpoint create -o json 'Bad_Name' 2>&1)
expect_eq "invalid name: JSON error with -o json" \
	"1 {\"error\":\"pod.name: invalid name 'Bad_Name': must be lower case\"}" "$? $out"
out=$("$DFL" agent $(agent_args a) 2>&1)
expect_match "a second agent on the same state dir is refused" \
	"^deflector: agent: an agent \(pid [0-9]+\) already uses state directory" "$out"
out=$("$DFL" agent --node-netns "$RUN-other" --state-dir "$TMP/other" --socket "$(sock_of a)" 2>&1)
expect_eq "a second agent on the same socket is refused" \
	"deflector: agent: another agent is serving $(sock_of a)" "$out"
rm -rf "$TMP/other"
ip netns del "$RUN-other" 2>/dev/null
out=$("$DFL" agent --node-netns x --pod-cidr 10.1.2.3/16 --state-dir "$TMP/c" --socket "$TMP/c.sock" 2>&1)
expect_eq "bad --pod-cidr is explained" \
	"deflector: agent: --pod-cidr: '10.1.2.3/16' has host bits set (did you mean 10.1.0.0/16?)" "$out"
rm -rf "$TMP/c"

echo "== agent: Deployments, streams, programs"
python3 "$CALL" --follow 2 "$(sock_of a)" '{"op":"subscribe","topic":"agent"}' >"$TMP/events.txt" &
FOLLOWER=$!
sleep 0.3
call a "$(jq -cn --argjson l "$DS_LABELS" \
	'{op:"deployment.apply",deployment:{name:"deathstar",replicas:2,template:{labels:$l,image:"docker.io/cilium/starwars",ports:[{port:80}]}}}')" >"$TMP/dep.json"
mapfile -t REPLICAS < <(jq -r '.result.endpoints[].name' "$TMP/dep.json")
expect_eq "deployment makes 2 replicas" 2 "${#REPLICAS[@]}"
expect_match "replica names are <deployment>-<pod-template-hash>-<suffix>" \
	'^deathstar-[4-9bcdf]{1,10}-[bcdfghjklmnpqrstvwxz2456789]{5}$' "${REPLICAS[0]}"
wait "$FOLLOWER"
expect_match "followers of 'agent' stream endpoint events" \
	'^\{"result":\{"following":"agent"\}\}.\{"event":"endpoint-created","endpoint":\{"id":[0-9]+' "$(tr '\n' '.' <"$TMP/events.txt")"
R0_IP=$(dfl a endpoint get "${REPLICAS[0]}" | jq -r .ipv4)
wait_for 5 sh -c "ip netns exec $A_NODE curl -s -m 1 http://$R0_IP/v1 >/dev/null"
out=$(dfl a exec tiefighter -- curl -s -m 5 "http://${REPLICAS[0]}/v1" | jq -r .hostname)
expect_eq "each replica runs deathstar, reachable by pod name" "${REPLICAS[0]}" "$out"
out=$(dfl a endpoint get "${REPLICAS[0]}" | jq -r '.pod.labels["pod-template-hash"]')
expect_eq "replicas carry the pod-template-hash label" "$(cut -d- -f2 <<<"${REPLICAS[0]}")" "$out"
call a "$(jq -cn --argjson l "$DS_LABELS" \
	'{op:"deployment.apply",deployment:{name:"deathstar",replicas:1,template:{labels:$l,image:"docker.io/cilium/starwars",ports:[{port:80}]}}}')" >/dev/null
expect_eq "scaling down to 1 removes a replica" 1 \
	"$(dfl a endpoint list -o json | jq '[.[] | select(.pod.workload.name == "deathstar")] | length')"
call a '{"op":"deployment.delete","name":"deathstar"}' >/dev/null
expect_eq "deleting the deployment removes its pods" 3 "$(dfl a endpoint list -o json | jq length)"

OLD_PID=$(dfl a endpoint get deathstar | jq -r .process.pid)
out=$(dfl a exec tiefighter -- curl -s -m 5 -XPUT "http://$DS_IP/v1/exhaust-port")
expect_eq "PUT /v1/exhaust-port answers with the panic" "Panic: deathstar exploded" "$(head -n 1 <<<"$out")"
check "the exploded deathstar is restarted by the agent" wait_for 8 sh -c \
	"DEFLECTOR_SOCKET=$(sock_of a) $DFL endpoint get deathstar | jq -e '.process.restarts == 1 and .process.running'"
wait_for 5 sh -c "ip netns exec $A_NODE curl -s -m 1 http://$DS_IP/v1 >/dev/null"
out=$(dfl a exec tiefighter -- curl -s -m 5 -XPOST "http://$DS_IP/v1/request-landing")
expect_eq "and lands ships again" "Ship landed" "$out"
check "its log has the Go-style panic" grep -q "panic: deathstar exploded" "$(state_of a)/pods/$DS_NETNS/deathstar.log"
expect_match "exit and restart are logged" "deathstar exited with code 2; restarting in" "$(cat "$(dir_of a)/log")"
NEW_PID=$(dfl a endpoint get deathstar | jq -r .process.pid)
check "the restarted deathstar is a new process" test "$NEW_PID" != "$OLD_PID" -a "$NEW_PID" -gt 0

echo "== agent: restart adoption"
BEFORE=$(dfl a endpoint list -o json | jq -c 'map({id, name, ipv4, netns, ifname}) | sort_by(.id)')
stop_agent a KILL
check "kill -9 leaves the pods running" test -e "/run/netns/$DS_NETNS"
TF_NETNS=$(jq -r '.endpoints[] | select(.pod.name == "tiefighter") | .netns' "$(state_of a)/state.json")
out=$(ip netns exec "$TF_NETNS" curl -s -m 5 -XPOST "http://$DS_IP/v1/request-landing")
expect_eq "traffic flows while the agent is down" "Ship landed" "$out"
out=$(dfl a exec tiefighter -- true 2>&1)
expect_match "exec needs the agent, and says so" "cannot reach the agent at .*: Connection refused \(is the agent running\?" "$out"
# Stale things for the restarted agent to find: a veth carrying our mark
# that no endpoint owns, and an endpoint recorded as half-created.
ip -n "$A_NODE" link add lxc00000000dead type veth peer name tmpdead0
ip -n "$A_NODE" link set lxc00000000dead alias "deflector:$A_NODE"
XW_NETNS=$(jq -r '.endpoints[] | select(.pod.name == "xwing") | .netns' "$(state_of a)/state.json")
jq '(.endpoints[] | select(.pod.name == "xwing") | .state) = "waiting-to-regenerate"' \
	"$(state_of a)/state.json" >"$TMP/state.json" && cp "$TMP/state.json" "$(state_of a)/state.json"
ms=$(start_agent a)
pass "agent restarts after kill -9 (${ms} ms)"
AFTER=$(dfl a endpoint list -o json | jq -c 'map({id, name, ipv4, netns, ifname}) | sort_by(.id)')
expect_eq "endpoints are adopted with the same ids, addresses and names" \
	"$(jq -c 'map(select(.name != "xwing"))' <<<"$BEFORE")" "$AFTER"
expect_eq "the half-created endpoint is removed" "no" \
	"$(test -e "/run/netns/$XW_NETNS" && echo yes || echo no)"
check "the unowned marked veth is removed" sh -c "! ip -n $A_NODE link show lxc00000000dead 2>/dev/null"
expect_eq "nothing is duplicated: one netns per endpoint" 2 \
	"$(ip netns list | grep -c -E "^($(state_netns a | paste -sd'|'))( |$)")"
expect_eq "the running deathstar is adopted, not restarted" "$NEW_PID" \
	"$(dfl a endpoint get deathstar | jq -r .process.pid)"
out=$(dfl a exec tiefighter -- curl -s -m 5 -XPOST "http://$DS_IP/v1/request-landing")
expect_eq "traffic still flows after the restart" "Ship landed" "$out"
dfl a endpoint create rebel -l org=alliance >/dev/null
expect_eq "new endpoints get a fresh address (no reuse of live ones)" 10.200.0.7 \
	"$(dfl a endpoint get rebel | jq -r .ipv4)"
expect_match "restart logs one line per adopted endpoint" \
	"endpoint [0-9]+ default/deathstar: restored; .*deathstar still runs \(pid $NEW_PID\)" "$(cat "$(dir_of a)/log")"
out=$(dfl a endpoint delete rebel)
expect_match "endpoint delete" "^endpoint [0-9]+ default/rebel deleted$" "$out"

stop_agent a TERM
expect_eq "SIGTERM: the agent exits 0" 0 "$?"
check "SIGTERM: the socket file is removed" test ! -e "$(sock_of a)"
check "SIGTERM: pods stay" test -e "/run/netns/$DS_NETNS"

echo "== agent: two nodes side by side"
start_agent b >/dev/null && start_agent a >/dev/null
dfl b endpoint create deathstar -l org=empire --image "$STARWARS" -p 80 >/dev/null
dfl b endpoint create tiefighter -l org=empire >/dev/null
B_DS=$(dfl b endpoint get deathstar)
expect_eq "both nodes use the same pod CIDR without conflict" "$DS_IP" "$(jq -r .ipv4 <<<"$B_DS")"
check "same pod, different names on each node" test "$(jq -r .netns <<<"$B_DS")" != "$DS_NETNS"
wait_for 5 sh -c "ip netns exec $(node_of b) curl -s -m 1 http://$DS_IP/v1 >/dev/null"
out=$(dfl b exec tiefighter -- curl -s -m 5 "http://$DS_IP/v1" | jq -r .hostname)
expect_eq "traffic stays within node b" deathstar "$out"
out=$(dfl a exec tiefighter -- curl -s -m 5 -XPOST "http://$DS_IP/v1/request-landing")
expect_eq "and within node a" "Ship landed" "$out"
B_NETNS=$(state_netns b)
B_PID=$(jq -r .process.pid <<<"$B_DS")
stop_agent b
"$DFL" agent --cleanup $(agent_args b) 2>"$TMP/cleanup-b.log"
expect_eq "--cleanup exits 0" 0 "$?"
left=""
for ns in $B_NETNS "$(node_of b)"; do [ -e "/run/netns/$ns" ] && left+=" $ns"; done
expect_eq "--cleanup leaves no namespace behind" "" "$left"
check "--cleanup leaves no state directory or socket" \
	sh -c "test ! -e $(state_of b) && test ! -e $(sock_of b)"
expect_match "node b ran a deathstar" "^[1-9][0-9]*$" "$B_PID"
check "--cleanup stops the pods' programs" gone "$B_PID"
out=$(dfl a exec tiefighter -- curl -s -m 5 -XPOST "http://$DS_IP/v1/request-landing")
expect_eq "node a is untouched by node b's cleanup" "Ship landed" "$out"

echo "== agent: policy directory"
mkdir -p "$TMP/policies"
echo "kind: CiliumNetworkPolicy" >"$TMP/policies/early.yaml"
start_agent c --policy-dir "$TMP/policies" >/dev/null
echo "kind: CiliumNetworkPolicy" >"$TMP/policies/rule1.yaml"
echo "notes" >"$TMP/policies/README.txt"
rm "$TMP/policies/early.yaml"
wait_for 3 grep -q "policy-dir: $TMP/policies/early.yaml removed" "$(dir_of c)/log"
expect_eq "--policy-dir reports added, changed and removed policy files" \
	"policy-dir: $TMP/policies/early.yaml added
policy-dir: $TMP/policies/rule1.yaml added
policy-dir: $TMP/policies/early.yaml removed" \
	"$(grep -o 'policy-dir: .*' "$(dir_of c)/log")"
out=$("$DFL" agent --node-netns "$RUN-pd" --state-dir "$TMP/pd" --socket "$TMP/pd.sock" --policy-dir "$TMP/none" 2>&1)
expect_eq "a missing --policy-dir is an error, and nothing is made" \
	"deflector: agent: cannot watch directory $TMP/none: No such file or directory no-netns" \
	"$out $([ -e "/run/netns/$RUN-pd" ] && echo netns-made || echo no-netns)"
ip netns del "$RUN-pd" 2>/dev/null
stop_agent c
cleanup_agent c

echo "== agent: endpoint creation time"
t0=$(date +%s%N)
for i in $(seq 1 20); do dfl a endpoint create "perf-$i" -l app=perf >/dev/null || break; done
t1=$(date +%s%N)
expect_eq "20 endpoints created" 20 "$(dfl a endpoint list -o json | jq '[.[] | select(.name | startswith("perf-"))] | length')"
per=$(((t1 - t0) / 20000000))
echo "  figure: endpoint create round trip (CLI + agent) ${per} ms each"
grep -oE 'perf-[0-9]+: created, .* in [0-9]+ ms' "$(dir_of a)/log" | grep -oE '[0-9]+ ms$' |
	awk '{s+=$1; if ($1>m) m=$1} END {printf "  figure: agent-side endpoint creation avg %.1f ms, max %d ms\n", s/NR, m}'
t0=$(date +%s%N)
for i in $(seq 1 20); do dfl a endpoint delete "perf-$i" >/dev/null || break; done
t1=$(date +%s%N)
echo "  figure: endpoint delete round trip $(((t1 - t0) / 20000000)) ms each"

echo "== agent: cleanup"
A_NETNS=$(state_netns a)
A_PID=$(dfl a endpoint get deathstar | jq -r .process.pid)
stop_agent a KILL
"$DFL" agent --cleanup $(agent_args a) 2>>"$(dir_of a)/log"
left=""
for ns in $A_NETNS "$(node_of a)"; do [ -e "/run/netns/$ns" ] && left+=" $ns"; done
expect_eq "--cleanup after kill -9 leaves nothing" "" "$left"
check "--cleanup after kill -9 stops the adopted deathstar" gone "$A_PID"
check "--cleanup after kill -9 removes state and socket" \
	sh -c "test ! -e $(state_of a) && test ! -e $(sock_of a)"

echo "agent: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
