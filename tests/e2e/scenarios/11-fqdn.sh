# toFQDNs (reference §5.3): the client's DNS goes through the proxy (a DNS
# rule on port 53 of the world's resolver, WORLD_IP2); every name resolves
# to WORLD_IP with a TTL of DNS_TTL seconds, or N seconds for "ttlN.*" names.
# An address is allowed only once a selected name resolved to it, and only
# until its TTL runs out. The policy is deleted after each scenario, which
# unmaps every learned address, so scenarios stay independent.

fqdn_policy() {
	policy fqdn <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: fqdn}
spec:
  endpointSelector: {matchLabels: {name: client}}
  egress:
  - toCIDR: [198.18.0.3/32]
    toPorts:
    - ports: [{port: "53", protocol: ANY}]
      rules: {dns: [{matchPattern: "**.example"}]}
  - toFQDNs: [{matchName: api.example}, {matchPattern: "*.api.example"}]
    toPorts: [{ports: [{port: "80", protocol: TCP}, {port: "7", protocol: TCP}]}]
Y
}

# resolve NAME: dig through the proxy; WORLD_IP is the only answer.
resolve() {
	local out

	out=$(in_pod client dig +short +tries=1 +time=2 "@$WORLD_IP2" "$1")
	[ "$out" = "$WORLD_IP" ] || fail "dig $1: '$out', expected $WORLD_IP"
	say "$1 resolved to $WORLD_IP through the proxy"
}

scenario fqdn_allowed_after_resolution "toFQDNs: an address is allowed only after its name resolved, until the TTL ends"
t_fqdn_allowed_after_resolution() {
	fqdn_policy
	expect_curl 28 client "http://$WORLD_IP/"
	expect_drop EGRESS POLICY_DENIED "$IP_CLIENT" "$WORLD_IP" 80
	# Allowed by the DNS rule but selected by no toFQDNs: still denied.
	resolve other.example
	expect_curl 28 client "http://$WORLD_IP/"
	resolve api.example
	expect_flow "DNS answer for api.example" \
		'.l7.dns.query == "api.example." and .l7.type == "RESPONSE" and
		 (.l7.dns.ips | index("198.18.0.2") != null) and .verdict == "FORWARDED"'
	# Checked at once: the name lives DNS_TTL seconds only.
	"$E2E_BIN" identity list -o json | jq -e '.[] | select(.labels |
		index("fqdn:api.example")) | select(.labels | index("reserved:world"))' \
		>/dev/null || fail "no identity with fqdn:api.example and reserved:world"
	say "identity with fqdn:api.example + reserved:world listed"
	expect_curl 0 client "http://$WORLD_IP/"
	expect_fwd EGRESS "$IP_CLIENT" "$WORLD_IP" 80
	# Only the policy's ports: the toFQDNs rule names 80 and 7.
	expect_udp 28 client "$WORLD_IP" 5353
	sleep $((DNS_TTL + 3))
	expect_curl 28 client "http://$WORLD_IP/"
	expect_drop EGRESS POLICY_DENIED "$IP_CLIENT" "$WORLD_IP" 80
}

scenario fqdn_open_connection_outlives_ttl "an open connection keeps its address allowed past the TTL (Cilium's zombies), until it closes"
t_fqdn_open_connection_outlives_ttl() {
	local stream

	fqdn_policy
	resolve api.example
	in_pod client "$E2E_TOOLS/dfl_probe" stream "$WORLD_IP" 7 80 100 &
	stream=$!
	sleep $((DNS_TTL + 3))
	expect_curl 0 client "http://$WORLD_IP/"
	say "still allowed $((DNS_TTL + 3)) s after a TTL of $DNS_TTL s: a connection is open"
	wait "$stream" || fail "the open connection was cut (exit $?)"
	say "the 8 s connection was never cut"
	sleep 4
	expect_curl 28 client "http://$WORLD_IP/"
	expect_drop EGRESS POLICY_DENIED "$IP_CLIENT" "$WORLD_IP" 80
}

scenario fqdn_dns_rules "DNS rule: names outside matchPattern are REFUSED and reported DROPPED"
t_fqdn_dns_rules() {
	local out

	fqdn_policy
	flow_mark
	out=$(in_pod client dig +tries=1 +time=2 "@$WORLD_IP2" www.cilium.io)
	grep -q "status: REFUSED" <<<"$out" || fail "www.cilium.io not refused: $out"
	say "www.cilium.io refused"
	expect_flow "DNS query for www.cilium.io dropped" \
		'.l7.dns.query == "www.cilium.io." and .verdict == "DROPPED"'
	expect_curl 28 client "http://$WORLD_IP/"
}

scenario fqdn_kept_across_restart "names learned before kill -9 are enforced by the restarted agent"
t_fqdn_kept_across_restart() {
	fqdn_policy
	resolve ttl60.api.example
	expect_curl 0 client "http://$WORLD_IP/"
	agent_stop KILL
	say "agent killed"
	DIRECT=1 expect_curl 0 client "http://$WORLD_IP/"
	agent_start
	say "agent restarted"
	expect_curl 0 client "http://$WORLD_IP/"
	expect_fwd EGRESS "$IP_CLIENT" "$WORLD_IP" 80
	"$E2E_BIN" status -o json | jq -e '.engine.fqdn.addresses >= 1' >/dev/null ||
		fail "agent status does not report the restored address"
}
