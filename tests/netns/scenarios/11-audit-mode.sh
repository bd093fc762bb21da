# Audit mode on pod 2: what the policy would drop is let through and
# reported as AUDIT with audited=1; switching audit off enforces.
scenario() {
	pod_add 1 1001
	pod_add 2 1002 audit
	policy 1 egress,0,any,0,allow
	policy 2 egress,0,any,0,allow
	serve 2 --http 80
	expect_curl 0 1 http://10.200.2.2/
	expect_event "type=policy-verdict dir=ingress verdict=AUDIT reason=133 ep=2 .*audited=1"
	expect_no_event "type=drop"
	dp audit dfl-h2 off || fail "audit off"
	expect_curl 28 1 http://10.200.2.2/
	expect_event "type=drop dir=ingress verdict=DROPPED reason=133 ep=2"
}
