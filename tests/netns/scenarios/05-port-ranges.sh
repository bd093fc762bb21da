# toPorts 8080-8095 is one key with a 12-bit port prefix: 8080 and 8095 pass,
# 8079 and 8096 do not.
scenario() {
	pod_add 1 1001
	pod_add 2 1002
	policy 1 egress,0,any,0,allow
	policy 2 ingress,1001,tcp,8080/12,allow,cookie=5
	serve 2 --http 8080 --http 8095 --http 8079 --http 8096
	expect_curl 0 1 http://10.200.2.2:8080/
	expect_curl 0 1 http://10.200.2.2:8095/
	expect_curl 28 1 http://10.200.2.2:8079/
	expect_curl 28 1 http://10.200.2.2:8096/
	expect_event "type=drop dir=ingress .*reason=133 .*dst=10.200.2.2:8096"
	expect_event "type=policy-verdict dir=ingress verdict=FORWARDED .*dst=10.200.2.2:8095 .*match=L3-L4 cookie=5"
}
