# Default deny (Cilium's all-ingress-deny / all-egress-deny): a policy
# with an empty rule selects the pod and allows nothing; drops carry
# POLICY_DENIED (133) in the enforcing direction.

deny_ingress_echo() {
	policy deny-ingress <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: deny-ingress}
spec:
  endpointSelector: {matchLabels: {kind: echo}}
  ingress: [{}]
Y
}

deny_egress_client() {
	policy deny-egress <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: deny-egress}
spec:
  endpointSelector: {matchLabels: {name: client}}
  egress: [{}]
Y
}

scenario ingress_deny_tcp "ingress: [{}] drops TCP at ingress with POLICY_DENIED"
t_ingress_deny_tcp() {
	deny_ingress_echo
	expect_curl 28 client "http://$IP_ECHO/v1"
	expect_drop INGRESS POLICY_DENIED "$IP_CLIENT" "$IP_ECHO" 80
	expect_curl 28 client2 "http://$IP_ECHO:8080/"
	expect_drop INGRESS POLICY_DENIED "$IP_CLIENT2" "$IP_ECHO" 8080
}

scenario ingress_deny_udp "ingress: [{}] drops UDP"
t_ingress_deny_udp() {
	deny_ingress_echo
	expect_udp 28 client "$IP_ECHO" 5353
	expect_drop INGRESS POLICY_DENIED "$IP_CLIENT" "$IP_ECHO" 5353
}

scenario ingress_deny_icmp "ingress: [{}] drops ping"
t_ingress_deny_icmp() {
	deny_ingress_echo
	expect_icmp 28 client "$IP_ECHO"
	expect_drop INGRESS POLICY_DENIED "$IP_CLIENT" "$IP_ECHO" icmp:8
}

scenario ingress_deny_keeps_egress "an ingress default deny leaves the pod's egress and replies alone"
t_ingress_deny_keeps_egress() {
	deny_ingress_echo
	# Replies to the echo pod's own connections are not new ingress.
	expect_curl 0 echo "http://$WORLD_IP/"
	expect_curl 0 echo "http://$IP_ECHO2:8080/"
	expect_fwd EGRESS "$IP_ECHO" "$IP_ECHO2" 8080
}

scenario egress_deny_tcp "egress: [{}] drops at egress with POLICY_DENIED"
t_egress_deny_tcp() {
	deny_egress_client
	expect_curl 28 client "http://$IP_ECHO/v1"
	expect_drop EGRESS POLICY_DENIED "$IP_CLIENT" "$IP_ECHO" 80
	expect_udp 28 client "$IP_ECHO" 5353
	expect_drop EGRESS POLICY_DENIED "$IP_CLIENT" "$IP_ECHO" 5353
}

scenario egress_deny_world_icmp "egress: [{}] drops traffic to the world and ping"
t_egress_deny_world_icmp() {
	deny_egress_client
	expect_curl 28 client "http://$WORLD_IP/"
	expect_drop EGRESS POLICY_DENIED "$IP_CLIENT" "$WORLD_IP" 80
	expect_icmp 28 client "$IP_ECHO"
	expect_drop EGRESS POLICY_DENIED "$IP_CLIENT" "$IP_ECHO" icmp:8
}

scenario egress_deny_others_unaffected "egress default deny applies only to the selected pod"
t_egress_deny_others_unaffected() {
	deny_egress_client
	expect_curl 0 client2 "http://$IP_ECHO/v1"
	expect_fwd EGRESS "$IP_CLIENT2" "$IP_ECHO" 80
}
