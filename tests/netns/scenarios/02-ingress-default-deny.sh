# CNP `ingress: [{}]` on pod 2 (deny-all-ingress, §9 item 1): pod 1's
# connection is dropped at pod 2's ingress with POLICY_DENIED (133); curl
# times out (28).
scenario() {
	pod_add 1 1001
	pod_add 2 1002
	policy 1 ingress,0,any,0,allow egress,0,any,0,allow
	policy 2 egress,0,any,0,allow
	serve 2 --http 80
	expect_curl 28 1 http://10.200.2.2/
	expect_event "type=drop dir=ingress verdict=DROPPED reason=133 ep=2 .*remote=1001 proto=tcp src=10.200.1.2:[0-9]+ dst=10.200.2.2:80"
	expect_event "type=policy-verdict dir=ingress verdict=DROPPED reason=133 ep=2"
	# Pod 2 can still open connections itself: replies are not ingress.
	serve 1 --http 80
	expect_curl 0 2 http://10.200.1.2/
}
