# Egress L7 rule (proxy port 15001) on pod 1 towards pod 2:80. The
# connection is assigned to the transparent listener in the node namespace,
# which sees the original destination in getsockname(). Without a listener
# the connection is dropped (178), never let through.
scenario() {
	pod_add 1 1001
	pod_add 2 1002
	policy 1 egress,1002,tcp,80,allow,proxy=15001,cookie=7
	policy 2 ingress,1001,tcp,80,allow
	serve 2 --http 80
	expect_curl 28 1 http://10.200.2.2/
	expect_event "type=drop dir=egress verdict=DROPPED reason=178 ep=1 .*dst=10.200.2.2:80 .*proxy=15001 .*to_proxy=1"

	bg_node "$T/dfl_tproxy" 15001
	sleep 0.2
	expect_curl 0 1 http://10.200.2.2/
	expect_body "^proxy orig=10.200.2.2:80$"
	expect_event "type=policy-verdict dir=egress verdict=REDIRECTED .*dst=10.200.2.2:80 .*cookie=7 proxy=15001"
	# The connection never reached pod 2 itself.
	expect_no_event "type=policy-verdict dir=ingress .*ep=2"
}
