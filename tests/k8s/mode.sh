# Sourced by tests/k8s/tier.sh (uses ok, ko, $tmp). Builds a node netns and
# two pod netns wired as a CNI would (host-side veth per pod, a /32 route to
# it, the pods' default route via the host-side veth), serves the cluster from
# tests/k8s/apiserver.py and runs `deflector agent --kubeconfig` on it.
id=$$
node=dflt-k8s-n$id pa=dflt-k8s-a$id pb=dflt-k8s-b$id
pin=/sys/fs/bpf/dflt-k8s-$id
ipa=10.244.7.2 ipb=10.244.7.3
api_pid= agent_pid= web_pid=
mode_cleanup() {
	[ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null
	[ -n "$web_pid" ] && kill "$web_pid" 2>/dev/null
	[ -n "$api_pid" ] && kill "$api_pid" 2>/dev/null
	for n in $pa $pb $node; do ip netns del "$n" 2>/dev/null; done
	rm -rf "$pin"
}
ctl() { python3 tests/k8s/k8sctl.py "$api_port" "$@"; }
obj() { # obj NAME JSON: writes $tmp/NAME.json
	printf '%s\n' "$2" >"$tmp/$1.json"
}
put() { ctl put "$tmp/$1.json"; }
check() { # check WHAT CMD...
	local out
	if out=$("${@:2}" 2>&1); then ok "$1"; else echo "$out"; ko "$1"; fi
}
curl_rc() { # exit status of a request from pod A to pod B
	ip netns exec "$pa" curl -s -o /dev/null -m 2 "http://$ipb:8080/" >/dev/null 2>&1
	echo $?
}
expect_curl() { # expect_curl WHAT RC
	local rc
	for _ in $(seq 20); do rc=$(curl_rc); [ "$rc" = "$2" ] && break; sleep 0.25; done
	if [ "$rc" = "$2" ]; then ok "$1 (curl exit $rc)"; else ko "$1 (curl exit $rc, want $2)"; fi
}
pod() { # pod NAME NODE IP LABEL
	obj "$1" '{"kind":"Pod","apiVersion":"v1","metadata":{"name":"'$1'","namespace":"default","labels":{"app":"'$4'"}},
"spec":{"nodeName":"'$2'","containers":[{"name":"c","image":"nginx"}]},
"status":{"phase":"Running","podIP":"'$3'","hostIP":"192.168.50.1"}}'
}
cnp() { # cnp NAME FROM-LABEL: pods app=server accept only app=FROM-LABEL
	obj "$1" '{"kind":"CiliumNetworkPolicy","apiVersion":"cilium.io/v2","metadata":{"name":"'$1'","namespace":"default"},
"spec":{"endpointSelector":{"matchLabels":{"app":"server"}},
"ingress":[{"fromEndpoints":[{"matchLabels":{"app":"'$2'"}}]}]}}'
}

if [ "$(id -u)" -ne 0 ] || ! command -v curl >/dev/null || [ ! -x build/deflector ]; then
	ko "Kubernetes mode needs root, curl and build/deflector"
	return 0
fi

# The "CNI".
ip netns add "$node" && ip netns add "$pa" && ip netns add "$pb" || ko "netns"
ip -n "$node" link set lo up
# The node's own address (the pods' hostIP), the source of its probes.
ip -n "$node" addr add 192.168.50.1/32 dev lo
ip netns exec "$node" sysctl -qw net.ipv4.ip_forward=1
for p in a b; do
	ns=$pa ip=$ipa
	[ $p = b ] && ns=$pb ip=$ipb
	host=dfk$id$p
	ip -n "$node" link add "$host" type veth peer name eth0 netns "$ns"
	ip -n "$node" link set "$host" up
	ip -n "$ns" link set lo up
	ip -n "$ns" addr add "$ip/32" dev eth0
	ip -n "$ns" link set eth0 up
	ip -n "$ns" route add 169.254.1.1 dev eth0 scope link
	ip -n "$ns" route add default via 169.254.1.1 dev eth0
	# The pods' gateway is the host-side veth (Calico answers by proxy
	# ARP for it; a static entry does the same here).
	mac=$(ip netns exec "$node" cat "/sys/class/net/$host/address")
	ip -n "$ns" neigh replace 169.254.1.1 lladdr "$mac" dev eth0
	ip -n "$node" route add "$ip/32" dev "$host" scope link
done
ip netns exec "$pb" python3 -m http.server 8080 --bind "$ipb" >/dev/null 2>&1 &
web_pid=$!

python3 tests/k8s/apiserver.py "$tmp/api_port" &
api_pid=$!
for _ in $(seq 50); do [ -s "$tmp/api_port" ] && break; sleep 0.1; done
api_port=$(cat "$tmp/api_port")
cat >"$tmp/kc" <<KC
apiVersion: v1
kind: Config
current-context: fake
clusters: [{name: fake, cluster: {server: "http://127.0.0.1:$api_port"}}]
users: [{name: u, user: {token: t0k3n}}]
contexts: [{name: fake, context: {cluster: fake, user: u}}]
KC

# The cluster before the agent starts: a list, not watch events.
obj ns '{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"default","labels":{"team":"a"}}}'
put ns
pod client dflt-node "$ipa" client && put client
pod server dflt-node "$ipb" server && put server
pod remote other-node 10.244.9.9 client && put remote
obj svc '{"kind":"Service","apiVersion":"v1","metadata":{"name":"web","namespace":"default"},
"spec":{"clusterIP":"10.96.7.7","selector":{"app":"server"},"ports":[{"port":80,"targetPort":8080}]}}'
put svc
expect_curl "the CNI forwards between the pods before the agent runs" 0

build/deflector agent --kubeconfig "$tmp/kc" --node-name dflt-node \
	--node-netns "$node" --socket "$tmp/k8s.sock" --state-dir "$tmp/k8s-state" \
	--pin-root "$pin" --metrics-address "" >"$tmp/agent.log" 2>&1 &
agent_pid=$!
for _ in $(seq 100); do [ -S "$tmp/k8s.sock" ] && break; sleep 0.1; done

check "initial list: the agent's store matches the cluster" ctl match "$tmp/k8s.sock"
eps=$(python3 tests/agent/call.py "$tmp/k8s.sock" '{"op":"endpoint.list"}')
if grep -q '"server"' <<<"$eps" && grep -q '"client"' <<<"$eps" &&
	! grep -q '"remote"' <<<"$eps"; then
	ok "only this node's pods are endpoints"
else
	echo "$eps"
	ko "only this node's pods are endpoints"
fi
out=$(python3 tests/agent/call.py "$tmp/k8s.sock" '{"op":"pod.apply","pod":{"name":"x"}}')
if grep -q error <<<"$out"; then ok "no pod is created by the agent in Kubernetes mode"; else
	echo "$out"; ko "no pod is created by the agent in Kubernetes mode"; fi
expect_curl "no policy: pods talk" 0

cnp only-other other && put only-other
check "watch ADDED: store matches" ctl match "$tmp/k8s.sock"
check "valid CNP: PATCH status Valid=True" ctl patch default only-other True "Policy validation succeeded"
expect_curl "CNP from the watch denies client -> server" 28
# kubelet's probes: the node's address is the host identity, and host ->
# pod is allowed under ingress default deny (allow-localhost).
if ip netns exec "$node" curl -s -o /dev/null -m 2 "http://$ipb:8080/"; then
	ok "the node (192.168.50.1, host identity) still reaches the server"
else
	ko "the node (192.168.50.1, host identity) still reaches the server"
fi

obj bad '{"kind":"CiliumNetworkPolicy","apiVersion":"cilium.io/v2","metadata":{"name":"bad","namespace":"default"},
"spec":{"endpointSelector":{},"nodeSelector":{},"ingress":[{}]}}'
put bad
check "invalid CNP: PATCH status Valid=False with the message" ctl patch default bad False ""
check "invalid CNP is listed (exists in the cluster)" ctl match "$tmp/k8s.sock"

ctl bookmark
check "bookmark: store unchanged" ctl match "$tmp/k8s.sock"

cnp only-other client && put only-other
expect_curl "watch MODIFIED: now client is allowed" 0
check "watch MODIFIED: store matches" ctl match "$tmp/k8s.sock"

ctl drop
cnp second other && put second
check "dropped watch: resumed, ADDED after it seen" ctl match "$tmp/k8s.sock"

ctl delete CiliumNetworkPolicy default second silent
ctl expire
check "410 Gone: relist deletes what vanished unseen" ctl match "$tmp/k8s.sock"
if ctl stats | python3 -c 'import json,sys; sys.exit(json.load(sys.stdin)["gone"] < 1)'; then
	ok "410 Gone was served and followed by a relist"
else ko "410 Gone was served and followed by a relist"; fi

cnp only-other other && put only-other
expect_curl "deny again" 28
ctl delete CiliumNetworkPolicy default only-other
check "watch DELETED: store matches" ctl match "$tmp/k8s.sock"
expect_curl "policy deleted: pods talk again" 0

# L7 behind the CNI: the redirect to the proxy in the node's namespace.
obj l7 '{"kind":"CiliumNetworkPolicy","apiVersion":"cilium.io/v2","metadata":{"name":"l7","namespace":"default"},
"spec":{"endpointSelector":{"matchLabels":{"app":"server"}},
"ingress":[{"fromEndpoints":[{"matchLabels":{"app":"client"}}],
"toPorts":[{"ports":[{"port":"8080","protocol":"TCP"}],"rules":{"http":[{"method":"GET","path":"/"}]}}]}]}}'
put l7
code() { ip netns exec "$pa" curl -s -o /dev/null -w '%{http_code}' -m 3 "http://$ipb:8080$1"; }
for _ in $(seq 20); do [ "$(code /x)" = 403 ] && break; sleep 0.25; done
got="$(code /) $(code /x)"
if [ "$got" = "200 403" ]; then ok "L7 behind the CNI: GET / 200, GET /x 403 from the proxy"; else
	ko "L7 behind the CNI: GET / 200, GET /x 403 from the proxy (got $got)"; fi
ctl delete CiliumNetworkPolicy default l7
expect_curl "L7 policy deleted: pods talk again" 0

ctl delete Pod default server
check "pod deleted: store matches" ctl match "$tmp/k8s.sock"
eps=$(python3 tests/agent/call.py "$tmp/k8s.sock" '{"op":"endpoint.list"}')
if ! grep -q '"server"' <<<"$eps"; then ok "deleted pod is detached"; else ko "deleted pod is detached"; fi

if kill -0 "$agent_pid" 2>/dev/null; then ok "agent still running"; else
	ko "agent still running"; fi
[ "$fail" -gt 0 ] && sed 's/^/  agent: /' "$tmp/agent.log" | tail -40
mode_cleanup
agent_pid= web_pid= api_pid=
