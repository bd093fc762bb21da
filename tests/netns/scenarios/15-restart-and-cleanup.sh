# Enforcement outlives the process that attached it (every dfl_dp call is a
# short-lived "agent"); a new process re-attaches its programs while a
# connection flows, without a gap; purge leaves no filter, qdisc or pin.
scenario() {
	pod_add 1 1001
	pod_add 2 1002
	policy 1 egress,1002,tcp,7000,allow
	policy 2 ingress,1001,tcp,7000,allow
	serve 2 --echo 7000 --http 80
	expect_curl 28 1 http://10.200.2.2/ # still enforced, no process left
	pod 1 "$T/dfl_probe" stream 10.200.2.2 7000 40 25 &
	local flow=$!
	sleep 0.2
	dp reattach || fail reattach
	dp reattach || fail reattach
	wait $flow || fail "the connection stalled while programs were replaced"

	dp purge || fail purge
	nsx tc filter show dev dfl-h1 ingress | grep -q bpf && fail "filter left"
	nsx tc qdisc show dev dfl-h1 | grep -q clsact && fail "clsact left"
	[ -e "$DFL_ROOT" ] && fail "pin root left"
	expect_curl 0 1 http://10.200.2.2/ # nothing filters any more

	nsx ip rule | grep -q "fwmark 0x200/0xf00 lookup 2004" || fail "no rule"
	nsx ip route show table 2004 | grep -q "local default dev lo" ||
		fail "no local route"
	dp node-setup || fail "node setup is not idempotent"
	dp node-teardown || fail "node teardown"
	nsx ip rule | grep -q "lookup 2004" && fail "rule left"
	nsx ip -6 rule | grep -q "lookup 2004" && fail "IPv6 rule left"
	nsx ip route show table 2004 | grep -q . && fail "route left"
	return 0
}
