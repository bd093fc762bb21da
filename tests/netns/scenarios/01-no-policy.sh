# No policy selects the pods: the compiler writes allow-all in both
# directions, and TCP, UDP and ICMP all pass, with a verdict per connection.
scenario() {
	pod_add 1 1001
	pod_add 2 1002
	policy 1 ingress,0,any,0,allow egress,0,any,0,allow
	policy 2 ingress,0,any,0,allow egress,0,any,0,allow
	serve 2 --http 80 --udp 53
	expect_curl 0 1 http://10.200.2.2/
	expect_body "peer=10.200.1.2:"
	expect_udp 0 1 10.200.2.2 53
	expect_icmp 0 1 10.200.2.2 8
	expect_event "type=policy-verdict dir=egress verdict=FORWARDED .* remote=1002 proto=tcp .*dst=10.200.2.2:80 .*match=all"
	expect_event "type=policy-verdict dir=ingress verdict=FORWARDED .*ep=2 .*remote=1001 proto=tcp"
	expect_no_event "type=drop"
}
