# toCIDRSet {cidr: 10.200.0.0/16, except: [10.200.3.0/24]} as ipcache
# identities: the /16 and the /24 each get a CIDR identity and only the /16
# one is allowed; pods 2 and 3 are not in the ipcache as pods (external).
scenario() {
	pod_add 1 1001
	pod_add 2 1002 noipcache
	pod_add 3 1003 noipcache
	dp ipcache set 10.200.0.0/16 16777217 || fail ipcache
	dp ipcache set 10.200.3.0/24 16777218 || fail ipcache
	policy 1 egress,16777217,any,0,allow,cookie=1
	policy 2 ingress,0,any,0,allow
	policy 3 ingress,0,any,0,allow
	serve 2 --http 80
	serve 3 --http 80
	expect_curl 0 1 http://10.200.2.2/
	expect_event "type=policy-verdict dir=egress verdict=FORWARDED .*remote=16777217 .*dst=10.200.2.2:80"
	expect_curl 28 1 http://10.200.3.2/
	expect_event "type=drop dir=egress .*reason=133 .*remote=16777218 .*dst=10.200.3.2:80"
	# Outside the /16 is the world.
	dp ipcache del 10.200.0.0/16 || fail ipcache
	expect_curl 28 1 http://10.200.2.2/
	expect_event "type=drop dir=egress .*reason=133 .*remote=2 .*dst=10.200.2.2:80"
}
