#!/usr/bin/env python3
"""A fake Kubernetes API server that answers only API discovery, so that
`kubectl apply --dry-run=client` can map our manifests' kinds to resources
without a cluster. Usage: discovery.py PORTFILE (writes the port it bound)."""
import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

RESOURCES = {
    "v1": [("namespaces", "Namespace", False), ("pods", "Pod", True),
           ("services", "Service", True), ("serviceaccounts", "ServiceAccount", True),
           ("configmaps", "ConfigMap", True)],
    "apps/v1": [("daemonsets", "DaemonSet", True), ("deployments", "Deployment", True)],
    "rbac.authorization.k8s.io/v1": [("clusterroles", "ClusterRole", False),
                                     ("clusterrolebindings", "ClusterRoleBinding", False)],
    "apiextensions.k8s.io/v1": [("customresourcedefinitions", "CustomResourceDefinition", False)],
    "networking.k8s.io/v1": [("networkpolicies", "NetworkPolicy", True)],
    "cilium.io/v2": [("ciliumnetworkpolicies", "CiliumNetworkPolicy", True),
                     ("ciliumclusterwidenetworkpolicies", "CiliumClusterwideNetworkPolicy", False)],
}


def resource_list(gv):
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
            "resources": [{"name": n, "singularName": "", "namespaced": ns, "kind": k,
                           "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"]}
                          for n, k, ns in RESOURCES[gv]]}


def group_list():
    groups = []
    for gv in RESOURCES:
        if "/" not in gv:
            continue
        g, v = gv.split("/")
        groups.append({"name": g, "versions": [{"groupVersion": gv, "version": v}],
                       "preferredVersion": {"groupVersion": gv, "version": v}})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        path = self.path.split("?")[0].rstrip("/")
        if path == "/api":
            body = {"kind": "APIVersions", "versions": ["v1"],
                    "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}
        elif path == "/apis":
            body = group_list()
        elif path == "/api/v1":
            body = resource_list("v1")
        elif path.startswith("/apis/") and path[6:] in RESOURCES:
            body = resource_list(path[6:])
        else:
            self.send_response(404)
            self.end_headers()
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


server = HTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[1], "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
