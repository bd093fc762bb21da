# A policy that does not fit the endpoint's map (here 4 entries) is never
# applied in part: the endpoint goes to deny-all, the writer fails loudly and
# an overflow event is reported; a policy that fits restores traffic.
scenario() {
	pod_add 1 1001
	pod_add 2 1002
	policy 2 ingress,0,any,0,allow
	serve 2 --http 80
	dp --policy-max 4 policy 1 egress,1002,tcp,80,allow egress,1,any,0,allow \
		egress,2,any,0,allow egress,3,any,0,allow egress,4,any,0,allow \
		2>"$WORK/err" && fail "an oversized policy was accepted"
	grep -q "NOT applied" "$WORK/err" || fail "no loud error: $(cat "$WORK/err")"
	expect_curl 28 1 http://10.200.2.2/
	expect_event "type=drop dir=egress .*reason=133 ep=1"
	dp --policy-max 4 policy 1 egress,1002,tcp,80,allow || fail "policy that fits"
	expect_curl 0 1 http://10.200.2.2/
}
