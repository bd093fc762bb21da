# No policy: every kind of traffic passes and is reported FORWARDED at
# egress and ingress (Cilium's no-policies test).

scenario no_policy_tcp "pod to pod TCP passes with no policy"
t_no_policy_tcp() {
	expect_curl 0 client "http://$IP_ECHO/v1"
	expect_fwd EGRESS "$IP_CLIENT" "$IP_ECHO" 80
	expect_fwd INGRESS "$IP_CLIENT" "$IP_ECHO" 80
}

scenario no_policy_udp "pod to pod UDP passes with no policy"
t_no_policy_udp() {
	expect_udp 0 client "$IP_ECHO" 5353
	expect_fwd INGRESS "$IP_CLIENT" "$IP_ECHO" 5353
}

scenario no_policy_icmp "ping between pods passes with no policy"
t_no_policy_icmp() {
	expect_icmp 0 client "$IP_ECHO"
	expect_fwd INGRESS "$IP_CLIENT" "$IP_ECHO" icmp:8
}

scenario no_policy_cross_namespace "pod to a pod of another namespace passes"
t_no_policy_cross_namespace() {
	expect_curl 0 client "http://$IP_ECHO2:8080/"
	expect_fwd INGRESS "$IP_CLIENT" "$IP_ECHO2" 8080
}

scenario no_policy_world_and_host "pod to the world and to the node pass"
t_no_policy_world_and_host() {
	expect_curl 0 client "http://$WORLD_IP/"
	expect_fwd EGRESS "$IP_CLIENT" "$WORLD_IP" 80
	expect_curl 0 client "http://$HOST_IP:$HOST_PORT/"
	expect_fwd EGRESS "$IP_CLIENT" "$HOST_IP" "$HOST_PORT"
}
