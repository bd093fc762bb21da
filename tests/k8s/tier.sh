#!/usr/bin/env bash
# Kubernetes mode checks that need real tools: the deploy/ manifests are
# accepted by kubectl (client-side dry run against a fake discovery server;
# schema validation needs a real API server's OpenAPI, so --validate=false).
set -u
cd "$(dirname "$0")/../.."
pass=0 fail=0
tmp=$(mktemp -d)
server_pid=
cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
	mode_cleanup
	rm -rf "$tmp"
}
mode_cleanup() { :; }
trap cleanup EXIT

ok() { echo "  PASS $1"; pass=$((pass + 1)); }
ko() { echo "  FAIL $1"; fail=$((fail + 1)); }

if command -v kubectl >/dev/null 2>&1; then
	python3 tests/k8s/discovery.py "$tmp/port" &
	server_pid=$!
	for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
	port=$(cat "$tmp/port" 2>/dev/null)
	cat >"$tmp/kubeconfig" <<KC
apiVersion: v1
kind: Config
current-context: fake
clusters: [{name: fake, cluster: {server: "http://127.0.0.1:$port"}}]
users: [{name: u, user: {token: x}}]
contexts: [{name: fake, context: {cluster: fake, user: u}}]
KC
	for f in deploy/crds.yaml deploy/rbac.yaml deploy/daemonset.yaml; do
		out=$(KUBECONFIG=$tmp/kubeconfig kubectl apply --dry-run=client \
			--validate=false -f "$f" 2>&1)
		if [ $? -eq 0 ] && grep -q "(dry run)" <<<"$out"; then
			ok "kubectl apply --dry-run=client -f $f"
		else
			echo "$out"
			ko "kubectl apply --dry-run=client -f $f"
		fi
	done
else
	ko "kubectl is not installed (mk/deps.sh test profile installs kubernetes-client)"
fi

# Kubernetes mode end to end: the agent against a fake API server, chained
# behind a hand-made "CNI" (Calico-style veths with /32 routes).
. tests/k8s/mode.sh

echo "k8s: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
