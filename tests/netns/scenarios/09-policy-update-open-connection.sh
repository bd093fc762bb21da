# A policy change while a connection is open: re-writing an allowing policy
# keeps it flowing; a deny cuts the established flow (§3.7), reported with
# the deny's reason and ct=established.
scenario() {
	pod_add 1 1001
	pod_add 2 1002
	policy 1 egress,1002,tcp,7000,allow
	policy 2 ingress,1001,tcp,7000,allow
	serve 2 --echo 7000
	pod 1 "$T/dfl_probe" stream 10.200.2.2 7000 30 50 &
	local kept=$!
	sleep 0.3
	policy 1 egress,1002,tcp,7000,allow,cookie=2 egress,1002,udp,53,allow
	wait $kept || fail "stream broke while the policy still allowed it"

	pod 1 "$T/dfl_probe" stream 10.200.2.2 7000 60 50 &
	local cut=$!
	sleep 0.5
	policy 1 egress,1002,any,0,deny,cookie=99
	wait $cut
	[ $? = 28 ] || fail "stream was not cut by the deny"
	expect_event "type=drop dir=egress verdict=DROPPED reason=181 ep=1 .*dst=10.200.2.2:7000 .*cookie=99 .*ct=established"
}
