# CNP `egress: [{}]` on pod 1 (§9 item 2): dropped at pod 1's egress, 133.
scenario() {
	pod_add 1 1001
	pod_add 2 1002
	policy 1 ingress,0,any,0,allow
	policy 2 ingress,0,any,0,allow egress,0,any,0,allow
	serve 2 --http 80 --udp 53
	expect_curl 28 1 http://10.200.2.2/
	expect_udp 28 1 10.200.2.2 53
	expect_event "type=drop dir=egress verdict=DROPPED reason=133 ep=1 .*remote=1002 proto=tcp"
	expect_event "type=drop dir=egress verdict=DROPPED reason=133 ep=1 .*proto=udp .*dst=10.200.2.2:53"
}
