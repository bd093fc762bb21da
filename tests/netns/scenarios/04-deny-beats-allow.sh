# Docs "Deny Policies" (§9 item 37): allow everything from pod 1, deny
# TCP/80. Port 80 is dropped with POLICY_DENY (181, the deny entry's cookie
# reported); port 8080 and ICMP pass. Also a wildcard deny (any identity,
# TCP/81) beats the specific allow by precedence.
scenario() {
	pod_add 1 1001
	pod_add 2 1002
	policy 1 egress,0,any,0,allow
	policy 2 egress,0,any,0,allow ingress,1001,any,0,allow,cookie=10 \
		ingress,1001,tcp,80,deny,cookie=20 ingress,0,tcp,81,deny,cookie=30
	serve 2 --http 80 --http 81 --http 8080
	expect_curl 28 1 http://10.200.2.2:80/
	expect_event "type=drop dir=ingress verdict=DROPPED reason=181 ep=2 .*dst=10.200.2.2:80 .*match=L3-L4 cookie=20"
	expect_curl 28 1 http://10.200.2.2:81/
	expect_event "type=drop dir=ingress verdict=DROPPED reason=181 ep=2 .*dst=10.200.2.2:81 .*match=L4-Only cookie=30"
	expect_curl 0 1 http://10.200.2.2:8080/
	expect_event "type=policy-verdict dir=ingress verdict=FORWARDED .*dst=10.200.2.2:8080 .*match=L3-Only cookie=10"
	expect_icmp 0 1 10.200.2.2 8
}
