# L7 HTTP rules through the agent's proxy: ingress to the echo pod's
# deathstar (GET /v1 and POST /v1/request-landing allowed; its PUT
# /v1/exhaust-port is never sent: it would stop the server), egress to the
# world's server, keep-alive with mixed verdicts, and the proxy going away
# with its agent under load without ever letting a request through unfiltered.

l7_ingress_policy() {
	policy l7-ingress <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: l7-ingress}
spec:
  endpointSelector: {matchLabels: {kind: echo}}
  ingress:
  - fromEndpoints: [{matchLabels: {name: client}}]
    toPorts:
    - ports: [{port: "80", protocol: TCP}]
      rules:
        http:
        - {method: GET, path: /v1}
        - {method: POST, path: /v1/request-landing}
Y
}

# http_code POD METHOD URL [CURL-ARG...]: the status, 000 when no answer.
http_code() {
	local pod=$1 method=$2 url=$3

	shift 3
	in_pod "$pod" curl -s -o /dev/null -w '%{http_code}' --connect-timeout $CT \
		--max-time 5 -X "$method" "$@" "$url"
}

expect_code() { # WANT POD METHOD URL
	local got

	flow_mark
	got=$(http_code "$2" "$3" "$4")
	[ "$got" = "$1" ] || fail "$3 $4 from $2: HTTP $got, expected $1"
	say "$3 $4 from $2: HTTP $got"
}

scenario l7_http_ingress "HTTP rules on ingress: allowed, 403 with Access denied, L3 still enforced"
t_l7_http_ingress() {
	local body

	l7_ingress_policy
	expect_code 200 client GET "http://$IP_ECHO/v1"
	expect_flow "http-request FORWARDED GET /v1" \
		'.Type == "L7" and .l7.type == "REQUEST" and .l7.http.method == "GET" and
		 (.l7.http.url | endswith("/v1")) and .verdict == "FORWARDED"'
	expect_code 200 client POST "http://$IP_ECHO/v1/request-landing"
	expect_code 403 client GET "http://$IP_ECHO/v1/secret"
	expect_flow "http-request DROPPED GET /v1/secret" \
		'.Type == "L7" and .l7.type == "REQUEST" and
		 (.l7.http.url | endswith("/v1/secret")) and .verdict == "DROPPED"'
	body=$(in_pod client curl -s --max-time 5 -X DELETE "http://$IP_ECHO/v1" | tr -d '\r')
	[ "$body" = "Access denied" ] || fail "403 body: '$body'"
	say "403 body: Access denied"
	expect_curl 28 client2 "http://$IP_ECHO/v1"
	expect_drop INGRESS POLICY_DENIED "$IP_CLIENT2" "$IP_ECHO" 80
}

scenario l7_http_keepalive "one keep-alive connection: allowed, denied, allowed"
t_l7_http_keepalive() {
	local codes

	l7_ingress_policy
	# curl reuses one connection for the three URLs.
	codes=$(in_pod client curl -s -o /dev/null -o /dev/null -o /dev/null \
		-w '%{http_code} %{num_connects}\n' --max-time 5 \
		"http://$IP_ECHO/v1" "http://$IP_ECHO/v1/x" "http://$IP_ECHO/v1" | tr '\n' ' ')
	[ "$codes" = "200 1 403 0 200 0 " ] ||
		fail "keep-alive codes and connects: '$codes', expected '200 1 403 0 200 0 '"
	say "keep-alive: 200, 403, 200 on one connection"
}

scenario l7_http_egress "HTTP rules on egress to the world: path and method enforced"
t_l7_http_egress() {
	local out

	policy l7-egress <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: l7-egress}
spec:
  endpointSelector: {matchLabels: {name: client}}
  egress:
  - toCIDR: [198.18.0.2/32]
    toPorts:
    - ports: [{port: "80", protocol: TCP}]
      rules: {http: [{method: GET, path: "/public(/.*)?"}]}
Y
	expect_code 200 client GET "http://$WORLD_IP/public/a?b=c"
	expect_flow "egress http-request FORWARDED" \
		'.Type == "L7" and .traffic_direction == "EGRESS" and .verdict == "FORWARDED" and
		 .l7.type == "REQUEST"'
	expect_code 403 client GET "http://$WORLD_IP/private"
	expect_code 403 client POST "http://$WORLD_IP/public"
	# Leaving the cluster, the proxy connects from the node's address.
	out=$(in_pod client curl -s --max-time 5 "http://$WORLD_IP/public")
	[[ $out == *"peer=$WORLD_GW:"* ]] || fail "world server saw: '$out'"
	say "the world server saw the node's address: $out"
	expect_curl 28 client "http://$WORLD_IP2/public"
}

scenario l7_http_both_sides "egress rules of the client and ingress rules of the server: a request must pass both"
t_l7_http_both_sides() {
	l7_ingress_policy
	policy l7-client-egress <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: l7-client-egress}
spec:
  endpointSelector: {matchLabels: {name: client}}
  egress:
  - toEndpoints: [{matchLabels: {kind: echo}}]
    toPorts:
    - ports: [{port: "80", protocol: TCP}]
      rules: {http: [{method: GET, path: "/v1(/.*)?"}]}
Y
	expect_code 200 client GET "http://$IP_ECHO/v1"
	# The server's rules allow it, the client's egress rules do not.
	expect_code 403 client POST "http://$IP_ECHO/v1/request-landing"
	expect_flow "denied by the client's egress rules" \
		'.Type == "L7" and .verdict == "DROPPED" and .traffic_direction == "EGRESS" and
		 (.egress_denied_by | map(.name) | index("l7-client-egress") != null)'
	# The client's rules allow it, the server's ingress rules do not.
	expect_code 403 client GET "http://$IP_ECHO/v1/secret"
	expect_flow "denied by the server's ingress rules" \
		'.Type == "L7" and .verdict == "DROPPED" and .traffic_direction == "INGRESS" and
		 (.ingress_denied_by | map(.name) | index("l7-ingress") != null)'
}

scenario l7_proxy_restart_under_load "kill -9 of the agent (and its proxy) under L7 load: never fails open, enforced again after restart"
t_l7_proxy_restart_under_load() {
	local log=$E2E_RUN/l7-load.log phase=$E2E_RUN/l7-phase loader n

	l7_ingress_policy
	expect_code 200 client GET "http://$IP_ECHO/v1"
	echo before >"$phase"
	: >"$log"
	# Each round: an allowed and a denied request on new connections,
	# straight into the pod's netns (the agent will be down).
	(
		while [ -f "$phase" ]; do
			p=$(cat "$phase" 2>/dev/null)
			a=$(DIRECT=1 http_code client GET "http://$IP_ECHO/v1" --connect-timeout 1)
			d=$(DIRECT=1 http_code client GET "http://$IP_ECHO/v1/secret" --connect-timeout 1)
			echo "$p $a $d" >>"$log"
		done
	) &
	loader=$!
	sleep 2
	agent_stop KILL
	echo down >"$phase"
	say "agent killed"
	sleep 3
	echo restarting >"$phase"
	agent_start
	echo after >"$phase"
	say "agent restarted"
	sleep 3
	rm -f "$phase"
	wait "$loader"
	say "rounds: $(grep -c ^before "$log") before, $(grep -c ^down "$log") while down, $(grep -c ^after "$log") after"
	# Never fail open: the denied path only ever got 403 or no answer.
	n=$(awk '$3 != "403" && $3 != "000"' "$log" | wc -l)
	[ "$n" -eq 0 ] || fail "denied path answered without the proxy: $(awk '$3 != "403" && $3 != "000"' "$log" | head -3)"
	say "denied path: only 403 or no answer in every round"
	# While down, redirected traffic is dropped, allowed requests included.
	n=$(awk '$1 == "down" && $2 != "000"' "$log" | wc -l)
	[ "$n" -eq 0 ] || fail "$n requests answered while the proxy was down"
	[ "$(grep -c '^down' "$log")" -gt 0 ] || fail "no round while the agent was down"
	say "while down: every request dropped"
	grep -q '^before 200 403' "$log" || fail "no allowed round before the kill"
	[ "$(grep '^after' "$log" | tail -n 1)" = "after 200 403" ] ||
		fail "not enforcing after the restart: $(grep '^after' "$log" | tail -n 3)"
	say "after the restart: 200 and 403 again"
	expect_code 200 client GET "http://$IP_ECHO/v1"
	expect_code 403 client GET "http://$IP_ECHO/v1/secret"
}
