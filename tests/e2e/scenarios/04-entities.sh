# Entities (Cilium's to-entities-world, host-entity, cluster-entity,
# all-entities-deny). The world is a netns outside the pod CIDR, the host
# is the node (the gateway 10.200.0.1).

scenario entity_world_egress "toEntities world: the world only"
t_entity_world_egress() {
	policy world-egress <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: world-egress}
spec:
  endpointSelector: {matchLabels: {name: client}}
  egress: [{toEntities: [world]}]
Y
	expect_curl 0 client "http://$WORLD_IP/"
	expect_fwd EGRESS "$IP_CLIENT" "$WORLD_IP" 80
	expect_curl 28 client "http://$IP_ECHO/v1"
	expect_drop EGRESS POLICY_DENIED "$IP_CLIENT" "$IP_ECHO" 80
	expect_curl 28 client "http://$HOST_IP:$HOST_PORT/"
	expect_drop EGRESS POLICY_DENIED "$IP_CLIENT" "$HOST_IP" "$HOST_PORT"
}

scenario entity_world_ingress "fromEntities world admits the world, not pods"
t_entity_world_ingress() {
	policy world-ingress <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: world-ingress}
spec:
  endpointSelector: {matchLabels: {kind: echo}}
  ingress: [{fromEntities: [world]}]
Y
	expect_world_curl 0 "$WORLD_IP" "http://$IP_ECHO/v1"
	expect_fwd INGRESS "$WORLD_IP" "$IP_ECHO" 80
	expect_curl 28 client "http://$IP_ECHO/v1"
	expect_drop INGRESS POLICY_DENIED "$IP_CLIENT" "$IP_ECHO" 80
}

scenario world_ingress_default_deny "the world is dropped by a policy that allows pods only"
t_world_ingress_default_deny() {
	policy pods-only <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: pods-only}
spec:
  endpointSelector: {matchLabels: {kind: echo}}
  ingress: [{fromEndpoints: [{}]}]
Y
	expect_curl 0 client "http://$IP_ECHO/v1"
	expect_world_curl 28 "$WORLD_IP" "http://$IP_ECHO/v1"
	expect_drop INGRESS POLICY_DENIED "$WORLD_IP" "$IP_ECHO" 80
}

scenario entity_host_egress "toEntities host: the node only"
t_entity_host_egress() {
	policy host-egress <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: host-egress}
spec:
  endpointSelector: {matchLabels: {name: client}}
  egress: [{toEntities: [host]}]
Y
	expect_curl 0 client "http://$HOST_IP:$HOST_PORT/"
	expect_fwd EGRESS "$IP_CLIENT" "$HOST_IP" "$HOST_PORT"
	expect_curl 28 client "http://$WORLD_IP/"
	expect_drop EGRESS POLICY_DENIED "$IP_CLIENT" "$WORLD_IP" 80
}

scenario entity_host_ingress "the node reaches pods under ingress default deny (allow-localhost)"
t_entity_host_ingress() {
	policy deny-all-in <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: deny-all-in}
spec:
  endpointSelector: {matchLabels: {kind: echo}}
  ingress: [{}]
Y
	expect_host_curl 0 "http://$IP_ECHO/v1"
	expect_curl 28 client "http://$IP_ECHO/v1"
	expect_drop INGRESS POLICY_DENIED "$IP_CLIENT" "$IP_ECHO" 80
}

scenario entity_cluster "toEntities cluster: pods of every namespace and the node, not the world"
t_entity_cluster() {
	policy cluster <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: cluster}
spec:
  endpointSelector: {matchLabels: {name: client}}
  egress: [{toEntities: [cluster]}]
Y
	expect_curl 0 client "http://$IP_ECHO/v1"
	expect_curl 0 client "http://$IP_ECHO2/v1"
	expect_fwd EGRESS "$IP_CLIENT" "$IP_ECHO2" 80
	expect_curl 0 client "http://$HOST_IP:$HOST_PORT/"
	expect_curl 28 client "http://$WORLD_IP/"
	expect_drop EGRESS POLICY_DENIED "$IP_CLIENT" "$WORLD_IP" 80
}

scenario entity_all "toEntities all: pods, node and world"
t_entity_all() {
	policy all <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: all}
spec:
  endpointSelector: {matchLabels: {name: client}}
  egress: [{toEntities: [all]}]
Y
	expect_curl 0 client "http://$IP_ECHO/v1"
	expect_curl 0 client "http://$WORLD_IP/"
	expect_fwd EGRESS "$IP_CLIENT" "$WORLD_IP" 80
	expect_udp 0 client "$WORLD_IP" 5353
	expect_icmp 0 client "$IP_ECHO"
}

scenario entity_all_deny "egressDeny toEntities all: denied with POLICY_DENY, no allow needed"
t_entity_all_deny() {
	policy all-deny <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: all-deny}
spec:
  endpointSelector: {matchLabels: {name: client}}
  egressDeny: [{toEntities: [all]}]
Y
	expect_curl 28 client "http://$IP_ECHO/v1"
	expect_drop EGRESS POLICY_DENY "$IP_CLIENT" "$IP_ECHO" 80
	expect_curl 28 client "http://$WORLD_IP/"
	expect_drop EGRESS POLICY_DENY "$IP_CLIENT" "$WORLD_IP" 80
	expect_curl 0 client2 "http://$IP_ECHO/v1"
}
