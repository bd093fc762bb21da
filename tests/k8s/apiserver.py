#!/usr/bin/env python3
"""A small fake Kubernetes API server for the Kubernetes-mode tests.

apiserver.py PORTFILE

Serves LIST (with resourceVersion), WATCH (chunked, bookmarks, 410 Gone for
compacted versions) and PATCH of .../status (merge patch, recorded, followed
by a MODIFIED event as a real server does) for the resources deflector
watches. The test drives it on the same port:

  POST /_ctl/put       body: an object (kind, metadata) -> ADDED/MODIFIED
  POST /_ctl/delete    body: {"kind", "namespace"?, "name"}; "?silent=1"
                       removes it without a watch event (seen after a relist)
  POST /_ctl/bookmark  a BOOKMARK event on every watch
  POST /_ctl/drop      closes every watch in the middle of its chunked body
  POST /_ctl/expire    compacts history: watches resuming from an older
                       resourceVersion get 410 Gone; closes every watch
  GET  /_ctl/patches   the PATCH requests received [{path, body}]
  GET  /_ctl/stats     {"lists": N, "watches": N, "gone": N}
"""
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

RESOURCES = {
    "/apis/cilium.io/v2/ciliumnetworkpolicies": ("CiliumNetworkPolicy", "cilium.io/v2", True),
    "/apis/cilium.io/v2/ciliumclusterwidenetworkpolicies": ("CiliumClusterwideNetworkPolicy", "cilium.io/v2", False),
    "/apis/networking.k8s.io/v1/networkpolicies": ("NetworkPolicy", "networking.k8s.io/v1", True),
    "/api/v1/pods": ("Pod", "v1", True),
    "/api/v1/namespaces": ("Namespace", "v1", False),
    "/api/v1/services": ("Service", "v1", True),
}
KIND_PATH = {v[0]: k for k, v in RESOURCES.items()}

lock = threading.Condition()
rv = 100
compacted = 0
objects = {}     # (kind, ns, name) -> object
events = []      # (rv, kind, type, object)
generation = 0   # bumped by drop/expire: watches of an older one end
patches = []
stats = {"lists": 0, "watches": 0, "gone": 0}


def key_of(kind, obj):
    m = obj.get("metadata", {})
    return (kind, m.get("namespace") or "", m["name"])


def record(kind, typ, obj):
    global rv
    rv += 1
    obj["metadata"]["resourceVersion"] = str(rv)
    events.append((rv, kind, typ, json.loads(json.dumps(obj))))
    lock.notify_all()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(n) or b"{}")

    def do_GET(self):
        u = urlparse(self.path)
        q = parse_qs(u.query)
        if u.path == "/_ctl/patches":
            with lock:
                return self.reply(200, patches)
        if u.path == "/_ctl/objects":
            with lock:
                return self.reply(200, sorted(list(k) for k in objects))
        if u.path == "/_ctl/stats":
            with lock:
                return self.reply(200, stats)
        if u.path not in RESOURCES:
            return self.reply(404, {"kind": "Status", "code": 404})
        kind, api, _ = RESOURCES[u.path]
        if q.get("watch"):
            return self.watch(kind, int(q.get("resourceVersion", ["0"])[0] or 0))
        with lock:
            stats["lists"] += 1
            items = [o for (k, _, _), o in sorted(objects.items()) if k == kind]
            field = q.get("fieldSelector", [""])[0]
            if field.startswith("spec.nodeName="):
                node = field.split("=", 1)[1]
                items = [o for o in items if o.get("spec", {}).get("nodeName") == node]
            self.reply(200, {"kind": kind + "List", "apiVersion": api,
                             "metadata": {"resourceVersion": str(rv)}, "items": items})

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def watch(self, kind, since):
        with lock:
            stats["watches"] += 1
            if since < compacted:
                stats["gone"] += 1
                return self.reply(410, {"kind": "Status", "code": 410,
                                        "reason": "Expired", "message": "too old resource version"})
            gen = generation
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        sent = since
        try:
            while True:
                with lock:
                    while gen == generation and not any(
                            r > sent and k in (kind, "*") for r, k, _, _ in events):
                        lock.wait(1)
                    if gen != generation:
                        # Dropped: the connection ends without the last chunk.
                        self.close_connection = True
                        return
                    todo = [e for e in events if e[0] > sent and e[1] in (kind, "*")]
                for r, _, typ, obj in todo:
                    sent = r
                    if typ == "BOOKMARK":
                        obj = {"kind": kind, "metadata": {"resourceVersion": str(r)}}
                    self.chunk(json.dumps({"type": typ, "object": obj}).encode() + b"\n")
        except (BrokenPipeError, ConnectionResetError):
            return

    def do_PATCH(self):
        u = urlparse(self.path)
        body = self.body()
        with lock:
            patches.append({"path": u.path, "body": body,
                            "contentType": self.headers.get("Content-Type")})
            parts = u.path.rstrip("/").split("/")
            if parts[-1] != "status" or "ciliumnetworkpolicies" not in u.path and \
                    "ciliumclusterwidenetworkpolicies" not in u.path:
                return self.reply(404, {"kind": "Status", "code": 404})
            name = parts[-2]
            ns = parts[parts.index("namespaces") + 1] if "namespaces" in parts else ""
            kind = "CiliumNetworkPolicy" if ns else "CiliumClusterwideNetworkPolicy"
            obj = objects.get((kind, ns, name))
            if obj is None:
                return self.reply(404, {"kind": "Status", "code": 404})
            obj["status"] = body.get("status", {})
            record(kind, "MODIFIED", obj)
            self.reply(200, obj)

    def do_POST(self):
        global compacted, generation, rv
        u = urlparse(self.path)
        body = self.body()
        with lock:
            if u.path == "/_ctl/put":
                kind = body["kind"]
                body.setdefault("apiVersion", RESOURCES[KIND_PATH[kind]][1])
                k = key_of(kind, body)
                typ = "MODIFIED" if k in objects else "ADDED"
                if k in objects and "status" in objects[k] and "status" not in body:
                    body["status"] = objects[k]["status"]
                objects[k] = body
                record(kind, typ, body)
            elif u.path == "/_ctl/delete":
                k = (body["kind"], body.get("namespace") or "", body["name"])
                obj = objects.pop(k, None)
                if obj is None:
                    return self.reply(404, {})
                if "silent=1" not in (u.query or ""):
                    record(body["kind"], "DELETED", obj)
            elif u.path == "/_ctl/bookmark":
                record_bookmark()
            elif u.path == "/_ctl/drop":
                generation += 1
                lock.notify_all()
            elif u.path == "/_ctl/expire":
                rv += 1
                compacted = rv
                generation += 1
                lock.notify_all()
            else:
                return self.reply(404, {})
        self.reply(200, {"resourceVersion": str(rv)})


def record_bookmark():
    global rv
    rv += 1
    events.append((rv, "*", "BOOKMARK", None))
    lock.notify_all()


def main():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    srv.serve_forever()


if __name__ == "__main__":
    main()
