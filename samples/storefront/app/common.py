"""Shared plumbing of the storefront services: an HTTP server, calls to other services,
and passing on the `kubernetes-route-as` header, as a service written for Bridge to
Kubernetes does."""

import json
import os
import sys
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROUTE_HEADER = "kubernetes-route-as"


def log(message):
    print(message, flush=True)


def call(url, incoming_headers, extra_headers=None):
    """GETs another service's JSON, passing on the routing header it was called with."""
    request = urllib.request.Request(url)
    route = incoming_headers.get(ROUTE_HEADER)
    if route:
        request.add_header(ROUTE_HEADER, route)
    for name, value in (extra_headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        return {"error": f"{url} answered {error.code}", "body": error.read().decode(errors="replace")}
    except (urllib.error.URLError, OSError) as error:
        return {"error": f"cannot reach {url}: {error}"}


def mounted(path):
    """A file the pod mounts. In the kbridge sandbox a container's filesystem root is
    $CONTAINER_ROOT; in a real pod it is /."""
    return os.environ.get("CONTAINER_ROOT", "") + path


def serve(name, routes):
    """Serves `routes` ({path: handler(headers) -> (status, dict)}) on $PORT (default 8080),
    on every address, or on $KBRIDGE_LISTEN_ADDRESS when a platform sets it (the sandbox gives
    each pod its own loopback address there)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            path = self.path.split("?")[0]
            if path == "/healthz":
                return self.reply(200, {"status": "ok"})
            handler = routes.get(path)
            if handler is None:
                return self.reply(404, {"error": f"{name} has no {path}"})
            status, body = handler(self.headers)
            body.setdefault("service", name)
            route = self.headers.get(ROUTE_HEADER)
            if route:
                body["routeAs"] = route
            self.reply(status, body)

        def reply(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format, *args):
            if "/healthz" not in (args[0] if args else ""):
                log(f"{name}: {self.address_string()} {format % args}")

    host = os.environ.get("KBRIDGE_LISTEN_ADDRESS") or "0.0.0.0"
    port = int(os.environ.get("PORT", "8080"))
    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    log(f"{name} listening on {host}:{port}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)
