#!/usr/bin/env python3
"""Drives tests/k8s/apiserver.py and compares the agent's store with it.

k8sctl.py PORT put FILE.json         sends an object (JSON) to the server
k8sctl.py PORT delete KIND NS NAME [silent]
k8sctl.py PORT bookmark|drop|expire
k8sctl.py PORT stats                 prints the server's counters
k8sctl.py PORT match SOCKET          waits (10 s) until the agent's store
                                     (op "get" of every kind) holds exactly
                                     the server's objects; prints the diff
                                     and exits 1 when it never does
k8sctl.py PORT patch NS NAME VALID [MESSAGE-SUBSTRING]
                                     waits (10 s) for a PATCH of the status
                                     of CNP NS/NAME (NS "-": a CCNP) saying
                                     Valid=VALID
"""
import json
import socket
import sys
import time
import urllib.request

KINDS = {"CiliumNetworkPolicy": "cnp", "CiliumClusterwideNetworkPolicy": "ccnp",
         "NetworkPolicy": "netpol", "Pod": "pods", "Namespace": "ns",
         "Service": "svc"}


def http(port, method, path, body=None):
    req = urllib.request.Request("http://127.0.0.1:%s%s" % (port, path), method=method,
                                 data=json.dumps(body).encode() if body is not None else None)
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.loads(r.read() or b"null")


def agent_get(sock, kind):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(sock)
    s.sendall(json.dumps({"op": "get", "kind": kind}).encode() + b"\n")
    line = s.makefile("rb").readline()
    s.close()
    return json.loads(line)["result"]["items"]


def store(sock):
    out = set()
    for kind, short in KINDS.items():
        for it in agent_get(sock, short):
            out.add((kind, it.get("namespace") or "", it["name"]))
    return out


def main():
    port, cmd, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    if cmd == "put":
        with open(args[0]) as f:
            http(port, "POST", "/_ctl/put", json.load(f))
    elif cmd == "delete":
        q = "?silent=1" if len(args) > 3 else ""
        http(port, "POST", "/_ctl/delete" + q,
             {"kind": args[0], "namespace": "" if args[1] == "-" else args[1], "name": args[2]})
    elif cmd in ("bookmark", "drop", "expire"):
        http(port, "POST", "/_ctl/" + cmd, {})
    elif cmd == "stats":
        print(json.dumps(http(port, "GET", "/_ctl/stats")))
    elif cmd == "match":
        want = got = None
        for _ in range(100):
            want = {tuple(k) for k in http(port, "GET", "/_ctl/objects")}
            got = store(args[0])
            if want == got:
                return 0
            time.sleep(0.1)
        print("  missing in the agent: %s" % sorted(want - got))
        print("  only in the agent:    %s" % sorted(got - want))
        return 1
    elif cmd == "patch":
        ns, name, valid = args[0], args[1], args[2]
        sub = args[3] if len(args) > 3 else ""
        path = ("/apis/cilium.io/v2/namespaces/%s/ciliumnetworkpolicies/%s/status" % (ns, name)
                if ns != "-" else
                "/apis/cilium.io/v2/ciliumclusterwidenetworkpolicies/%s/status" % name)
        for _ in range(100):
            for p in http(port, "GET", "/_ctl/patches"):
                if p["path"] != path or p["contentType"] != "application/merge-patch+json":
                    continue
                for c in p["body"].get("status", {}).get("conditions", []):
                    if c.get("type") == "Valid" and c.get("status") == valid and \
                            sub in c.get("message", ""):
                        return 0
            time.sleep(0.1)
        print("  patches received: %s" % json.dumps(http(port, "GET", "/_ctl/patches")))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
