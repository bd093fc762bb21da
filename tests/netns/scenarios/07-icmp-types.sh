# icmps: [{type: 8}] from pod 1 (§9 item 9): echo passes (the reply via
# conntrack), a timestamp request (type 13) is dropped with 133; from pod 3
# (not selected) echo is dropped too.
scenario() {
	pod_add 1 1001
	pod_add 2 1002
	pod_add 3 1003
	policy 1 egress,0,any,0,allow
	policy 3 egress,0,any,0,allow
	policy 2 ingress,1001,icmp,8,allow,cookie=8
	expect_icmp 0 1 10.200.2.2 8
	expect_event "type=policy-verdict dir=ingress verdict=FORWARDED .*proto=icmp .*icmp=8/0 match=L3-L4 cookie=8"
	expect_icmp 28 1 10.200.2.2 13
	expect_event "type=drop dir=ingress .*reason=133 .*remote=1001 proto=icmp .*icmp=13/0"
	expect_icmp 28 3 10.200.2.2 8
	expect_event "type=drop dir=ingress .*reason=133 .*remote=1003 proto=icmp"
}
