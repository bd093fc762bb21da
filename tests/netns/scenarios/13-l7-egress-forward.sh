# The proxy forwards upstream from pod 1's address (IP_TRANSPARENT, another
# port) with the egress mark 0xb00: pod 2's ingress policy still decides,
# pod 2 sees pod 1 as the client, and its replies reach the proxy's socket
# (assigned at pod 2's veth) instead of pod 1.
scenario() {
	pod_add 1 1001
	pod_add 2 1002
	policy 1 egress,1002,tcp,80,allow,proxy=15001
	policy 2 ingress,1001,tcp,80,allow,cookie=3
	serve 2 --http 80
	bg_node "$T/dfl_tproxy" 15001 --forward 0xb00
	sleep 0.2
	expect_curl 0 1 http://10.200.2.2/
	expect_body "^proxy orig=10.200.2.2:80$"
	expect_body "^server=10.200.2.2:80 peer=10.200.1.2:[0-9]+$"
	expect_event "type=policy-verdict dir=ingress verdict=FORWARDED reason=0 ep=2 .*remote=1001 .*cookie=3 .*from_proxy=1"

	# Pod 2's ingress policy applies to the proxied connection too.
	policy 2 ingress,1003,tcp,80,allow
	expect_curl 0 1 http://10.200.2.2/
	expect_body "^upstream failed$"
	expect_event "type=drop dir=ingress verdict=DROPPED reason=133 ep=2 .*from_proxy=1"
}
