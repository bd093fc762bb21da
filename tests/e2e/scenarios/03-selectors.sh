# Label, expression, service-account and namespace selectors
# (Cilium's client-ingress, client-egress-expression, service-account and
# namespace tests). A CNP's peers are scoped to its own namespace unless the
# selector names one.

scenario label_ingress "fromEndpoints matchLabels allows the labelled pods only"
t_label_ingress() {
	policy label-ingress <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: label-ingress}
spec:
  endpointSelector: {matchLabels: {kind: echo}}
  ingress: [{fromEndpoints: [{matchLabels: {name: client}}]}]
Y
	expect_curl 0 client "http://$IP_ECHO/v1"
	expect_fwd INGRESS "$IP_CLIENT" "$IP_ECHO" 80
	expect_curl 28 client2 "http://$IP_ECHO/v1"
	expect_drop INGRESS POLICY_DENIED "$IP_CLIENT2" "$IP_ECHO" 80
}

scenario label_scoped_to_namespace "a CNP's fromEndpoints does not match same-labelled pods of another namespace"
t_label_scoped_to_namespace() {
	policy label-scoped <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: label-scoped}
spec:
  endpointSelector: {matchLabels: {kind: echo}}
  ingress: [{fromEndpoints: [{matchLabels: {kind: client}}]}]
Y
	expect_curl 0 client2 "http://$IP_ECHO/v1"
	expect_curl 28 other/client3 "http://$IP_ECHO/v1"
	expect_drop INGRESS POLICY_DENIED "$IP_CLIENT3" "$IP_ECHO" 80
	# The policy lives in "default": echo2 in "other" is not selected.
	expect_curl 0 other/client3 "http://$IP_ECHO2/v1"
}

scenario label_egress "toEndpoints matchLabels: egress to the labelled pods only"
t_label_egress() {
	policy label-egress <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: label-egress}
spec:
  endpointSelector: {matchLabels: {name: client}}
  egress: [{toEndpoints: [{matchLabels: {kind: echo}}]}]
Y
	expect_curl 0 client "http://$IP_ECHO:8080/"
	expect_fwd EGRESS "$IP_CLIENT" "$IP_ECHO" 8080
	expect_curl 28 client "http://$IP_ECHO2:8080/"
	expect_drop EGRESS POLICY_DENIED "$IP_CLIENT" "$IP_ECHO2" 8080
	expect_curl 28 client "http://$WORLD_IP/"
	expect_drop EGRESS POLICY_DENIED "$IP_CLIENT" "$WORLD_IP" 80
}

scenario expression_in "matchExpressions In"
t_expression_in() {
	policy expr-in <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: expr-in}
spec:
  endpointSelector: {matchExpressions: [{key: kind, operator: In, values: [echo, db]}]}
  ingress:
    - fromEndpoints:
        - matchExpressions: [{key: name, operator: In, values: [client, client9]}]
Y
	expect_curl 0 client "http://$IP_ECHO/v1"
	expect_curl 28 client2 "http://$IP_ECHO/v1"
	expect_drop INGRESS POLICY_DENIED "$IP_CLIENT2" "$IP_ECHO" 80
}

scenario expression_exists "matchExpressions Exists and DoesNotExist"
t_expression_exists() {
	policy expr-exists <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: expr-exists}
spec:
  endpointSelector: {matchLabels: {kind: echo}}
  ingress:
    - fromEndpoints: [{matchExpressions: [{key: other, operator: Exists}]}]
      toPorts: [{ports: [{port: "80", protocol: TCP}]}]
    - fromEndpoints: [{matchExpressions: [{key: other, operator: DoesNotExist}]}]
      toPorts: [{ports: [{port: "8080", protocol: TCP}]}]
Y
	expect_curl 0 client2 "http://$IP_ECHO/v1"
	expect_curl 28 client2 "http://$IP_ECHO:8080/"
	expect_drop INGRESS POLICY_DENIED "$IP_CLIENT2" "$IP_ECHO" 8080
	expect_curl 0 client "http://$IP_ECHO:8080/"
	expect_curl 28 client "http://$IP_ECHO/v1"
	expect_drop INGRESS POLICY_DENIED "$IP_CLIENT" "$IP_ECHO" 80
}

scenario expression_notin "matchExpressions NotIn (egress)"
t_expression_notin() {
	policy expr-notin <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: expr-notin}
spec:
  endpointSelector: {matchLabels: {name: client}}
  egress:
    - toEndpoints: [{matchExpressions: [{key: kind, operator: NotIn, values: [echo]}]}]
Y
	expect_curl 28 client "http://$IP_ECHO/v1"
	expect_drop EGRESS POLICY_DENIED "$IP_CLIENT" "$IP_ECHO" 80
	expect_udp 28 client "$IP_ECHO" 5353
}

scenario service_account "a service-account selector"
t_service_account() {
	policy sa <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: sa}
spec:
  endpointSelector: {matchLabels: {kind: echo}}
  ingress:
    - fromEndpoints: [{matchLabels: {io.cilium.k8s.policy.serviceaccount: client2-sa}}]
Y
	expect_curl 0 client2 "http://$IP_ECHO/v1"
	expect_curl 28 client "http://$IP_ECHO/v1"
	expect_drop INGRESS POLICY_DENIED "$IP_CLIENT" "$IP_ECHO" 80
}

scenario namespace_label_selector "fromEndpoints naming another namespace"
t_namespace_label_selector() {
	policy ns-sel <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: ns-sel}
spec:
  endpointSelector: {matchLabels: {kind: echo}}
  ingress:
    - fromEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: other}}]
Y
	expect_curl 0 other/client3 "http://$IP_ECHO/v1"
	expect_fwd INGRESS "$IP_CLIENT3" "$IP_ECHO" 80
	expect_curl 28 client "http://$IP_ECHO/v1"
	expect_drop INGRESS POLICY_DENIED "$IP_CLIENT" "$IP_ECHO" 80
}

scenario namespace_labels "fromEndpoints by the labels of the peer's namespace"
t_namespace_labels() {
	policy ns-labels <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: ns-labels}
spec:
  endpointSelector: {matchLabels: {kind: echo}}
  ingress:
    - fromEndpoints: [{matchLabels: {io.cilium.k8s.namespace.labels.team: blue}}]
Y
	expect_curl 0 other/client3 "http://$IP_ECHO/v1"
	expect_curl 28 client2 "http://$IP_ECHO/v1"
	expect_drop INGRESS POLICY_DENIED "$IP_CLIENT2" "$IP_ECHO" 80
}

scenario ccnp_cluster_wide "a CCNP selects pods of every namespace, peers of every namespace"
t_ccnp_cluster_wide() {
	policy ccnp <<'Y'
apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata: {name: e2e-ccnp}
spec:
  endpointSelector: {matchLabels: {kind: echo}}
  ingress: [{fromEndpoints: [{matchLabels: {name: client3}}]}]
Y
	expect_curl 0 other/client3 "http://$IP_ECHO/v1"
	expect_curl 0 other/client3 "http://$IP_ECHO2/v1"
	expect_curl 28 client "http://$IP_ECHO2/v1"
	expect_drop INGRESS POLICY_DENIED "$IP_CLIENT" "$IP_ECHO2" 80
}

scenario cnp_other_namespace "a CNP in namespace other selects only that namespace's pods"
t_cnp_other_namespace() {
	policy cnp-other <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: cnp-other, namespace: other}
spec:
  endpointSelector: {matchLabels: {kind: echo}}
  ingress: [{fromEndpoints: [{matchLabels: {kind: client}}]}]
Y
	expect_curl 0 other/client3 "http://$IP_ECHO2/v1"
	expect_curl 28 client "http://$IP_ECHO2/v1"
	expect_drop INGRESS POLICY_DENIED "$IP_CLIENT" "$IP_ECHO2" 80
	expect_curl 0 client "http://$IP_ECHO/v1"
}
