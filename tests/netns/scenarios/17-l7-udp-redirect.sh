# A DNS rule redirects UDP/53 from pod 1 to the proxy's transparent UDP
# socket (port 15053); the proxy learns the original destination and
# answers from it. Pod 2 runs no UDP server: only the proxy can answer.
# Without the proxy, the datagrams are dropped (178).
scenario() {
	pod_add 1 1001
	pod_add 2 1002
	policy 1 egress,1002,udp,53,allow,proxy=15053,cookie=53
	policy 2 ingress,0,any,0,allow
	expect_udp 28 1 10.200.2.2 53
	expect_event "type=drop dir=egress verdict=DROPPED reason=178 ep=1 .*proto=udp .*dst=10.200.2.2:53 .*proxy=15053"
	bg_node "$T/dfl_tproxy" 15053 --udp
	sleep 0.2
	expect_udp 0 1 10.200.2.2 53
	expect_event "type=policy-verdict dir=egress verdict=REDIRECTED .*proto=udp .*dst=10.200.2.2:53 .*cookie=53 proxy=15053"
	expect_no_event "type=policy-verdict dir=ingress .*ep=2"
}
