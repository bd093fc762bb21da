# Deny rules beat allows (Cilium's echo-ingress-from-other-client-deny,
# client-egress-to-echo-deny, the Deny Policies table): drops carry
# POLICY_DENY (181); a deny-only policy still default-denies the rest (133).

allow_all_from_clients() {
	policy allow-clients <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: allow-clients}
spec:
  endpointSelector: {matchLabels: {kind: echo}}
  ingress: [{fromEndpoints: [{matchLabels: {kind: client}}]}]
Y
}

scenario deny_beats_allow_l3 "ingressDeny of one client beats the allow of all clients"
t_deny_beats_allow_l3() {
	allow_all_from_clients
	policy deny-client2 <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: deny-client2}
spec:
  endpointSelector: {matchLabels: {kind: echo}}
  ingressDeny: [{fromEndpoints: [{matchLabels: {other: client}}]}]
Y
	expect_curl 0 client "http://$IP_ECHO/v1"
	expect_fwd INGRESS "$IP_CLIENT" "$IP_ECHO" 80
	expect_curl 28 client2 "http://$IP_ECHO/v1"
	expect_drop INGRESS POLICY_DENY "$IP_CLIENT2" "$IP_ECHO" 80
	expect_udp 28 client2 "$IP_ECHO" 5353
	expect_drop INGRESS POLICY_DENY "$IP_CLIENT2" "$IP_ECHO" 5353
}

scenario deny_beats_allow_l4 "a deny on one port beats an L3 allow; other ports pass"
t_deny_beats_allow_l4() {
	policy allow-deny-port <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: allow-deny-port}
spec:
  endpointSelector: {matchLabels: {kind: echo}}
  ingress: [{fromEndpoints: [{matchLabels: {name: client}}]}]
  ingressDeny:
    - fromEndpoints: [{matchLabels: {name: client}}]
      toPorts: [{ports: [{port: "8080", protocol: TCP}]}]
Y
	expect_curl 0 client "http://$IP_ECHO/v1"
	expect_curl 28 client "http://$IP_ECHO:8080/"
	expect_drop INGRESS POLICY_DENY "$IP_CLIENT" "$IP_ECHO" 8080
	expect_icmp 0 client "$IP_ECHO"
}

scenario deny_egress_beats_l4_allow "egressDeny to a pod beats an L4 allow to it"
t_deny_egress_beats_l4_allow() {
	policy egress-allow-deny <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: egress-allow-deny}
spec:
  endpointSelector: {matchLabels: {name: client}}
  egress:
    - toEndpoints: [{matchLabels: {kind: echo}}]
      toPorts: [{ports: [{port: "80", protocol: TCP}, {port: "8080", protocol: TCP}]}]
  egressDeny:
    - toEndpoints: [{matchLabels: {kind: echo, name: echo}}]
Y
	expect_curl 28 client "http://$IP_ECHO/v1"
	expect_drop EGRESS POLICY_DENY "$IP_CLIENT" "$IP_ECHO" 80
	expect_curl 28 client "http://$IP_ECHO:8080/"
	expect_drop EGRESS POLICY_DENY "$IP_CLIENT" "$IP_ECHO" 8080
}

scenario deny_only_default_denies "a deny-only policy default-denies what it does not name"
t_deny_only_default_denies() {
	policy deny-only <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: deny-only}
spec:
  endpointSelector: {matchLabels: {kind: echo}}
  ingressDeny: [{fromEndpoints: [{matchLabels: {other: client}}]}]
Y
	expect_curl 28 client2 "http://$IP_ECHO/v1"
	expect_drop INGRESS POLICY_DENY "$IP_CLIENT2" "$IP_ECHO" 80
	expect_curl 28 client "http://$IP_ECHO/v1"
	expect_drop INGRESS POLICY_DENIED "$IP_CLIENT" "$IP_ECHO" 80
}

scenario deny_without_default_deny "enableDefaultDeny.ingress false: only the deny applies"
t_deny_without_default_deny() {
	policy deny-no-default <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: deny-no-default}
spec:
  endpointSelector: {matchLabels: {kind: echo}}
  enableDefaultDeny: {ingress: false}
  ingressDeny: [{fromEndpoints: [{matchLabels: {other: client}}]}]
Y
	expect_curl 28 client2 "http://$IP_ECHO/v1"
	expect_drop INGRESS POLICY_DENY "$IP_CLIENT2" "$IP_ECHO" 80
	expect_curl 0 client "http://$IP_ECHO/v1"
	expect_curl 0 other/client3 "http://$IP_ECHO/v1"
}
