# Ports: ranges (endPort), protocol ANY (TCP+UDP+SCTP, never ICMP), and
# L4-only rules, which allow every peer (Cilium pitfall §11.1).

scenario port_range_tcp "port 4000 endPort 4200 allows 4100, not 5000 or 80"
t_port_range_tcp() {
	policy range <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: range}
spec:
  endpointSelector: {matchLabels: {kind: echo}}
  ingress:
    - fromEndpoints: [{matchLabels: {kind: client}}]
      toPorts: [{ports: [{port: "4000", endPort: 4200, protocol: TCP}]}]
Y
	expect_curl 0 client "http://$IP_ECHO:4100/"
	expect_fwd INGRESS "$IP_CLIENT" "$IP_ECHO" 4100
	expect_curl 28 client "http://$IP_ECHO:5000/"
	expect_drop INGRESS POLICY_DENIED "$IP_CLIENT" "$IP_ECHO" 5000
	expect_curl 28 client "http://$IP_ECHO/v1"
	expect_drop INGRESS POLICY_DENIED "$IP_CLIENT" "$IP_ECHO" 80
}

scenario port_range_udp_egress "an egress UDP range 5000-5999: 5353 passes, 7000 and TCP do not"
t_port_range_udp_egress() {
	policy range-udp <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: range-udp}
spec:
  endpointSelector: {matchLabels: {name: client}}
  egress:
    - toEndpoints: [{matchLabels: {kind: echo}}]
      toPorts: [{ports: [{port: "5000", endPort: 5999, protocol: UDP}]}]
Y
	expect_udp 0 client "$IP_ECHO" 5353
	expect_fwd EGRESS "$IP_CLIENT" "$IP_ECHO" 5353
	expect_udp 28 client "$IP_ECHO" 7000
	expect_drop EGRESS POLICY_DENIED "$IP_CLIENT" "$IP_ECHO" 7000
	expect_curl 28 client "http://$IP_ECHO:5353/"
	expect_drop EGRESS POLICY_DENIED "$IP_CLIENT" "$IP_ECHO" 5353
}

scenario deny_port_range "ingressDeny of range 4096-8191 beats an allow-all"
t_deny_port_range() {
	policy deny-range <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: deny-range}
spec:
  endpointSelector: {matchLabels: {kind: echo}}
  ingress: [{fromEndpoints: [{}]}]
  ingressDeny:
    - fromEndpoints: [{}]
      toPorts: [{ports: [{port: "4096", endPort: 8191, protocol: TCP}]}]
Y
	expect_curl 28 client "http://$IP_ECHO:5000/"
	expect_drop INGRESS POLICY_DENY "$IP_CLIENT" "$IP_ECHO" 5000
	expect_curl 0 client "http://$IP_ECHO/v1"
	expect_curl 28 client "http://$IP_ECHO:8080/"
	expect_drop INGRESS POLICY_DENY "$IP_CLIENT" "$IP_ECHO" 8080
}

scenario protocol_any "protocol ANY on 5353 allows TCP and UDP 5353, not other ports"
t_protocol_any() {
	policy any <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: any}
spec:
  endpointSelector: {matchLabels: {kind: echo}}
  ingress:
    - fromEndpoints: [{matchLabels: {kind: client}}]
      toPorts: [{ports: [{port: "5353", protocol: ANY}]}]
Y
	expect_udp 0 client "$IP_ECHO" 5353
	expect_fwd INGRESS "$IP_CLIENT" "$IP_ECHO" 5353
	expect_curl 0 client "http://$IP_ECHO:5353/"
	expect_udp 28 client "$IP_ECHO" 7000
	expect_drop INGRESS POLICY_DENIED "$IP_CLIENT" "$IP_ECHO" 7000
}

scenario protocol_any_not_icmp "an all-ports ANY rule does not allow ICMP; an L3-only rule does"
t_protocol_any_not_icmp() {
	policy any-all <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: any-all}
spec:
  endpointSelector: {matchLabels: {kind: echo}}
  ingress:
    - fromEndpoints: [{matchLabels: {name: client}}]
      toPorts: [{ports: [{port: "0", protocol: ANY}]}]
    - fromEndpoints: [{matchLabels: {other: client}}]
Y
	expect_curl 0 client "http://$IP_ECHO:8080/"
	expect_udp 0 client "$IP_ECHO" 7000
	expect_icmp 28 client "$IP_ECHO"
	expect_drop INGRESS POLICY_DENIED "$IP_CLIENT" "$IP_ECHO" icmp:8
	expect_icmp 0 client2 "$IP_ECHO"
	expect_fwd INGRESS "$IP_CLIENT2" "$IP_ECHO" icmp:8
}

scenario l4_only_rule_is_global "toPorts without fromEndpoints admits every peer, the world included"
t_l4_only_rule_is_global() {
	policy l4-only <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: l4-only}
spec:
  endpointSelector: {matchLabels: {kind: echo}}
  ingress: [{toPorts: [{ports: [{port: "80", protocol: TCP}]}]}]
Y
	expect_curl 0 other/client3 "http://$IP_ECHO/v1"
	expect_world_curl 0 "$WORLD_IP" "http://$IP_ECHO/v1"
	expect_curl 28 client "http://$IP_ECHO:8080/"
	expect_drop INGRESS POLICY_DENIED "$IP_CLIENT" "$IP_ECHO" 8080
}
