# Policy changes while connections are open: Cilium looks policy up for
# every forward packet of an established connection, so a change cuts it at
# the next packet (dfl_probe stream: one TCP connection, a line echoed every
# 100 ms; exit 28 when a reply is missing for 1 s).

# stream_start POD IP PORT LINES: the stream in the background ($STREAM).
stream_start() {
	in_pod "$1" "$E2E_TOOLS/dfl_probe" stream "$2" "$3" "$4" 100 &
	STREAM=$!
	sleep 1
}

stream_expect() { # RC
	local rc

	wait "$STREAM"
	rc=$?
	check_rc "$1" "$rc" "the open connection"
}

# An established packet (no SYN) of the stream dropped by DIR with REASON.
expect_established_drop() { # DIR REASON SRC DST PORT
	expect_flow "$1 drop $2 of the established connection $3 -> $4:$5" \
		"$(tuple "$3" "$4" "$5") and .verdict == \"DROPPED\" and
		 .traffic_direction == \"$1\" and .drop_reason_desc == \"$2\" and
		 (.l4.TCP.flags.SYN | not)"
}

scenario update_cuts_open_connection "an ingress deny applied mid-connection cuts it"
t_update_cuts_open_connection() {
	stream_start client "$IP_ECHO" 7 40
	flow_mark
	policy cut <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: cut}
spec:
  endpointSelector: {matchLabels: {kind: echo}}
  ingress: [{}]
Y
	stream_expect 28
	expect_established_drop INGRESS POLICY_DENIED "$IP_CLIENT" "$IP_ECHO" 7
}

scenario update_egress_deny_cuts "an egressDeny applied mid-connection cuts it with POLICY_DENY"
t_update_egress_deny_cuts() {
	stream_start client2 "$IP_ECHO2" 7 40
	flow_mark
	policy cut-egress <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: cut-egress}
spec:
  endpointSelector: {matchLabels: {other: client}}
  egressDeny: [{toEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: other}}]}]
Y
	stream_expect 28
	expect_established_drop EGRESS POLICY_DENY "$IP_CLIENT2" "$IP_ECHO2" 7
}

scenario update_keeps_allowed_connection "a policy that still allows the connection leaves it open"
t_update_keeps_allowed_connection() {
	stream_start client "$IP_ECHO" 7 30
	flow_mark
	policy keep <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: keep}
spec:
  endpointSelector: {matchLabels: {kind: echo}}
  ingress: [{fromEndpoints: [{matchLabels: {name: client}}]}]
Y
	stream_expect 0
	no_flow "drops of the connection" \
		"$(tuple "$IP_CLIENT" "$IP_ECHO" 7) and .verdict == \"DROPPED\""
}

scenario update_narrows_ports "re-applying a policy without the connection's port cuts it"
t_update_narrows_ports() {
	policy narrow <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: narrow}
spec:
  endpointSelector: {matchLabels: {kind: echo}}
  ingress:
    - fromEndpoints: [{matchLabels: {name: client}}]
      toPorts: [{ports: [{port: "7", protocol: TCP}, {port: "80", protocol: TCP}]}]
Y
	stream_start client "$IP_ECHO" 7 40
	flow_mark
	policy narrow <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: narrow}
spec:
  endpointSelector: {matchLabels: {kind: echo}}
  ingress:
    - fromEndpoints: [{matchLabels: {name: client}}]
      toPorts: [{ports: [{port: "80", protocol: TCP}]}]
Y
	stream_expect 28
	expect_established_drop INGRESS POLICY_DENIED "$IP_CLIENT" "$IP_ECHO" 7
	expect_curl 0 client "http://$IP_ECHO/v1"
}

scenario delete_policy_restores "deleting the policy restores the traffic it dropped"
t_delete_policy_restores() {
	policy gone <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: gone}
spec:
  endpointSelector: {matchLabels: {kind: echo}}
  ingress: [{}]
Y
	expect_curl 28 client "http://$IP_ECHO/v1"
	expect_drop INGRESS POLICY_DENIED "$IP_CLIENT" "$IP_ECHO" 80
	out=$("$E2E_BIN" delete -f "$E2E_RUN/policies/gone.yaml" 2>&1) ||
		fail "delete: $out"
	say "$out"
	expect_curl 0 client "http://$IP_ECHO/v1"
	expect_fwd INGRESS "$IP_CLIENT" "$IP_ECHO" 80
}
