# The agent killed (-9) and restarted during traffic: enforcement lives in
# the kernel (attached programs, pinned maps), so verdicts hold while the
# agent is down; a restarted agent on the same state directory adopts the
# pods and reports the same verdicts.

restart_policy() {
	policy restart <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: restart}
spec:
  endpointSelector: {matchLabels: {kind: echo}}
  ingress: [{fromEndpoints: [{matchLabels: {name: client}}]}]
Y
}

verdicts_hold() {
	expect_curl 0 client "http://$IP_ECHO/v1"
	expect_curl 28 client2 "http://$IP_ECHO/v1"
	expect_udp 28 client2 "$IP_ECHO" 5353
}

scenario agent_killed_enforcement_holds "kill -9 the agent: verdicts hold, and again after a restart"
t_agent_killed_enforcement_holds() {
	restart_policy
	verdicts_hold
	agent_stop KILL
	say "agent killed"
	DIRECT=1 verdicts_hold
	agent_start
	say "agent restarted"
	[ "$("$E2E_BIN" endpoint get client | jq -r .ipv4)" = "$IP_CLIENT" ] ||
		fail "client lost its address across the restart"
	verdicts_hold
	expect_drop INGRESS POLICY_DENIED "$IP_CLIENT2" "$IP_ECHO" 5353
	expect_curl 0 client "http://$IP_ECHO/v1"
	expect_fwd INGRESS "$IP_CLIENT" "$IP_ECHO" 80
}

scenario agent_killed_during_traffic "an open connection survives the agent's kill and restart"
t_agent_killed_during_traffic() {
	restart_policy
	DIRECT=1 in_pod client "$E2E_TOOLS/dfl_probe" stream "$IP_ECHO" 7 50 100 &
	stream=$!
	sleep 1
	agent_stop KILL
	say "agent killed"
	DIRECT=1 expect_curl 28 client2 "http://$IP_ECHO/v1"
	agent_start
	say "agent restarted"
	wait "$stream"
	check_rc 0 $? "the connection open across the restart"
}

scenario agent_restarted_applies "after a restart, new policies apply and deleted ones stop"
t_agent_restarted_applies() {
	agent_stop KILL
	agent_start
	restart_policy
	expect_curl 28 client2 "http://$IP_ECHO/v1"
	expect_drop INGRESS POLICY_DENIED "$IP_CLIENT2" "$IP_ECHO" 80
	"$E2E_BIN" delete -f "$E2E_RUN/policies/restart.yaml" >/dev/null ||
		fail "delete after restart"
	expect_curl 0 client2 "http://$IP_ECHO/v1"
}
