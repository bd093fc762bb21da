# ICMP rules (Cilium's client-ingress-icmp and the ICMP deny test): types
# are matched exactly; echo replies pass through conntrack.

scenario icmp_echo_allowed "icmps type 8: ping passes, timestamp and TCP do not"
t_icmp_echo_allowed() {
	policy icmp8 <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: icmp8}
spec:
  endpointSelector: {matchLabels: {kind: echo}}
  ingress:
    - fromEndpoints: [{matchLabels: {kind: client}}]
      icmps: [{fields: [{family: IPv4, type: 8}]}]
Y
	expect_icmp 0 client "$IP_ECHO" 8
	expect_fwd INGRESS "$IP_CLIENT" "$IP_ECHO" icmp:8
	expect_icmp 28 client "$IP_ECHO" 13
	expect_drop INGRESS POLICY_DENIED "$IP_CLIENT" "$IP_ECHO" icmp:13
	expect_curl 28 client "http://$IP_ECHO/v1"
	expect_drop INGRESS POLICY_DENIED "$IP_CLIENT" "$IP_ECHO" 80
}

# Conntrack keys ICMP messages other than echo without an identifier (one
# entry per address pair, as Cilium's does), so a timestamp that another
# scenario sent within the CT lifetime would not be a new flow with a policy
# verdict: this pair (client3 -> echo) sends timestamps nowhere else.
scenario icmp_type_by_name "icmps type Timestamp (by name) on egress: timestamp passes, ping does not"
t_icmp_type_by_name() {
	policy icmp-ts <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: icmp-ts, namespace: other}
spec:
  endpointSelector: {matchLabels: {name: client3}}
  egress:
    - toEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: default, kind: echo}}]
      icmps: [{fields: [{type: Timestamp}]}]
Y
	expect_icmp 0 other/client3 "$IP_ECHO" 13
	expect_fwd EGRESS "$IP_CLIENT3" "$IP_ECHO" icmp:13
	expect_icmp 28 other/client3 "$IP_ECHO" 8
	expect_drop EGRESS POLICY_DENIED "$IP_CLIENT3" "$IP_ECHO" icmp:8
}

scenario icmp_deny "ingressDeny icmps type 8 beats an allow-all; TCP still passes"
t_icmp_deny() {
	policy icmp-deny <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: icmp-deny}
spec:
  endpointSelector: {matchLabels: {kind: echo}}
  ingress: [{fromEndpoints: [{}]}]
  ingressDeny:
    - fromEndpoints: [{matchLabels: {other: client}}]
      icmps: [{fields: [{family: IPv4, type: 8}]}]
Y
	expect_icmp 28 client2 "$IP_ECHO"
	expect_drop INGRESS POLICY_DENY "$IP_CLIENT2" "$IP_ECHO" icmp:8
	expect_icmp 0 client "$IP_ECHO"
	expect_curl 0 client2 "http://$IP_ECHO/v1"
}
