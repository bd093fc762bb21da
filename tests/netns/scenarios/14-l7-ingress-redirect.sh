# Ingress L7 rule (proxy port 15002) on pod 2: the packet leaving towards
# pod 2 is bounced back into the host side's tc ingress, assigned to the
# listener there; the proxy forwards with the ingress mark 0xa00, which the
# datapath passes without a second decision or redirect.
scenario() {
	pod_add 1 1001
	pod_add 2 1002
	policy 1 egress,0,any,0,allow
	policy 2 ingress,1001,tcp,80,allow,proxy=15002,cookie=4
	serve 2 --http 80
	bg_node "$T/dfl_tproxy" 15002 --forward 0xa00
	sleep 0.2
	expect_curl 0 1 http://10.200.2.2/
	expect_body "^proxy orig=10.200.2.2:80$"
	expect_body "^server=10.200.2.2:80 peer=10.200.1.2:[0-9]+$"
	expect_event "type=policy-verdict dir=ingress verdict=REDIRECTED reason=0 ep=2 .*remote=1001 .*cookie=4 proxy=15002"
	expect_no_event "type=drop"
	# Pod 3 has no rule: dropped before any proxy.
	pod_add 3 1003
	policy 3 egress,0,any,0,allow
	expect_curl 28 3 http://10.200.2.2/
	expect_event "type=drop dir=ingress .*reason=133 ep=2 .*remote=1003"
}
