# Port 53 protocol ANY expands to TCP, UDP and SCTP entries (§3.3): TCP and
# UDP 53 pass, ICMP does not; an L3-only rule (protocol 0) admits ICMP too.
scenario() {
	pod_add 1 1001
	pod_add 2 1002
	policy 1 egress,0,any,0,allow
	policy 2 ingress,1001,tcp,53,allow ingress,1001,udp,53,allow \
		ingress,1001,sctp,53,allow
	serve 2 --http 53 --udp 53
	expect_curl 0 1 http://10.200.2.2:53/
	expect_udp 0 1 10.200.2.2 53
	expect_icmp 28 1 10.200.2.2 8
	expect_event "type=drop dir=ingress .*reason=133 .*proto=icmp"
	policy 2 ingress,1001,any,0,allow
	expect_icmp 0 1 10.200.2.2 8
}
