# A ClusterIP service 10.96.0.10:80 with backends in pods 2 and 3 (port
# 8080): pod 1 reaches it by the service address, the answer comes from a
# backend and looks like it comes from the service; policy is decided on the
# backend (pod 1 may only talk to 1002:8080, so connections that land on
# pod 3 drop); ingress of the backend sees pod 1.
scenario() {
	pod_add 1 1001
	pod_add 2 1002
	pod_add 3 1003
	policy 1 egress,1002,tcp,8080,allow,cookie=1
	policy 2 ingress,1001,tcp,8080,allow
	policy 3 ingress,1001,tcp,8080,allow
	serve 2 --http 8080
	serve 3 --http 8080
	# Route the service address out of the pod (any address would do).
	dp service set 10.96.0.10:80 tcp 10.200.2.2:8080 || fail service
	expect_curl 0 1 http://10.96.0.10/
	expect_body "server=10.200.2.2:8080 peer=10.200.1.2:"
	expect_event "type=policy-verdict dir=egress verdict=FORWARDED .*remote=1002 proto=tcp src=10.200.1.2:[0-9]+ dst=10.200.2.2:8080 orig=10.96.0.10:80"
	expect_event "type=policy-verdict dir=ingress verdict=FORWARDED reason=0 ep=2 .*remote=1001"

	dp service set 10.96.0.10:80 tcp 10.200.3.2:8080 || fail service
	expect_curl 28 1 http://10.96.0.10/
	expect_event "type=drop dir=egress .*reason=133 .*remote=1003 .*dst=10.200.3.2:8080 orig=10.96.0.10:80"

	dp service set 10.96.0.10:80 tcp || fail service
	expect_curl 28 1 http://10.96.0.10/
	expect_event "type=drop dir=egress .*reason=158 "

	# UDP service.
	serve 2 --udp 5353
	dp service set 10.96.0.10:53 udp 10.200.2.2:5353 || fail service
	policy 1 egress,1002,udp,5353,allow
	policy 2 ingress,1001,udp,5353,allow
	expect_udp 0 1 10.96.0.10 53
}
