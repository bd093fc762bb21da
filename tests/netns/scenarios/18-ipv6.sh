# The same decisions over IPv6: neighbour discovery passes, ingress allows
# pod 1 on TCP/80 only, replies pass via conntrack.
scenario() {
	pod_add 1 1001
	pod_add 2 1002
	local n
	nsx sysctl -qw net.ipv6.conf.all.forwarding=1
	for n in 1 2; do
		nsx ip -6 addr add "fd00:200:$n::1/64" dev "dfl-h$n" nodad
		pod "$n" ip -6 addr add "fd00:200:$n::2/64" dev eth0 nodad
		pod "$n" ip -6 route add default via "fd00:200:$n::1"
		dp ipcache set "fd00:200:$n::2/128" "100$n" || fail ipcache
	done
	# Link-local addresses go through duplicate address detection, and
	# neighbour discovery waits for it.
	for n in $(seq 60); do
		[ -z "$(pod 1 ip -6 addr show tentative)$(pod 2 ip -6 addr show tentative)$(nsx ip -6 addr show tentative)" ] &&
			break
		sleep 0.1
	done
	policy 1 egress,0,any,0,allow
	policy 2 ingress,1001,tcp,80,allow,cookie=6
	serve 2 --http 80 --http 81
	expect_curl 0 1 "http://[fd00:200:2::2]:80/"
	expect_body "server=fd00:200:2::2:80 peer=fd00:200:1::2:"
	expect_event "type=policy-verdict dir=ingress verdict=FORWARDED reason=0 ep=2 .*remote=1001 proto=tcp src=\[fd00:200:1::2\]:[0-9]+ dst=\[fd00:200:2::2\]:80 .*cookie=6"
	expect_curl 28 1 "http://[fd00:200:2::2]:81/"
	expect_event "type=drop dir=ingress verdict=DROPPED reason=133 ep=2 .*dst=\[fd00:200:2::2\]:81"
}
