# CIDR rules (Cilium's to-cidr-external, client-egress-to-cidr-deny,
# from-cidr): WORLD_IP and WORLD_IP2 are two addresses of 198.18.0.0/24.

scenario cidr_egress "toCIDR: one address of the world"
t_cidr_egress() {
	policy cidr <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: cidr}
spec:
  endpointSelector: {matchLabels: {name: client}}
  egress: [{toCIDR: [198.18.0.2/32]}]
Y
	expect_curl 0 client "http://$WORLD_IP/"
	expect_fwd EGRESS "$IP_CLIENT" "$WORLD_IP" 80
	expect_curl 28 client "http://$WORLD_IP2/"
	expect_drop EGRESS POLICY_DENIED "$IP_CLIENT" "$WORLD_IP2" 80
}

scenario cidr_except "toCIDRSet with except carves a hole in the allow"
t_cidr_except() {
	policy cidr-except <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: cidr-except}
spec:
  endpointSelector: {matchLabels: {name: client}}
  egress: [{toCIDRSet: [{cidr: 198.18.0.0/24, except: [198.18.0.3/32]}]}]
Y
	expect_curl 0 client "http://$WORLD_IP/"
	expect_udp 0 client "$WORLD_IP" 5353
	expect_curl 28 client "http://$WORLD_IP2/"
	expect_drop EGRESS POLICY_DENIED "$IP_CLIENT" "$WORLD_IP2" 80
}

scenario cidr_deny_except "egressDeny toCIDRSet except: the excepted address stays allowed"
t_cidr_deny_except() {
	policy cidr-deny <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: cidr-deny}
spec:
  endpointSelector: {matchLabels: {name: client}}
  egress: [{toEntities: [all]}]
  egressDeny: [{toCIDRSet: [{cidr: 198.18.0.0/24, except: [198.18.0.2/32]}]}]
Y
	expect_curl 0 client "http://$WORLD_IP/"
	expect_fwd EGRESS "$IP_CLIENT" "$WORLD_IP" 80
	expect_curl 28 client "http://$WORLD_IP2/"
	expect_drop EGRESS POLICY_DENY "$IP_CLIENT" "$WORLD_IP2" 80
	expect_curl 0 client "http://$IP_ECHO/v1"
}

scenario cidr_does_not_match_pods "a CIDR covering the pod CIDR does not select pods"
t_cidr_does_not_match_pods() {
	policy cidr-pods <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: cidr-pods}
spec:
  endpointSelector: {matchLabels: {name: client}}
  egress: [{toCIDR: [10.200.0.0/16, 198.18.0.0/24]}]
Y
	expect_curl 0 client "http://$WORLD_IP2/"
	expect_curl 28 client "http://$IP_ECHO/v1"
	expect_drop EGRESS POLICY_DENIED "$IP_CLIENT" "$IP_ECHO" 80
}

scenario cidr_ingress "fromCIDR admits one world address"
t_cidr_ingress() {
	policy cidr-in <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: cidr-in}
spec:
  endpointSelector: {matchLabels: {kind: echo}}
  ingress: [{fromCIDR: [198.18.0.2/32]}]
Y
	expect_world_curl 0 "$WORLD_IP" "http://$IP_ECHO/v1"
	expect_fwd INGRESS "$WORLD_IP" "$IP_ECHO" 80
	expect_world_curl 28 "$WORLD_IP2" "http://$IP_ECHO/v1"
	expect_drop INGRESS POLICY_DENIED "$WORLD_IP2" "$IP_ECHO" 80
}
