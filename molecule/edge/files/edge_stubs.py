#!/usr/bin/env python3
"""Test stand-ins for the edge scenario, all in one process (systemd unit edge-stubs).

- web upstream (Odoo's 8069): /web/health answers {"status": "pass"}; every other path echoes
  what it received (path, headers) as JSON, padded so that compression is measurable.
- websocket upstream (Odoo's 8072): answers a websocket upgrade with 101 (RFC 6455 accept key).
- fake Patroni REST APIs: GET /primary answers 200 when the member's role file says "primary",
  else 503; /replica the opposite. The role file is /run/edge-stubs/<api port>.
- fake PostgreSQL ports: send the member's name and close, so a test sees which member a
  connection through the router reached.
Every response names its upstream in the X-Upstream header.
"""

import base64
import hashlib
import json
import socketserver
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROLE_DIR = Path("/run/edge-stubs")
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def make_http_handler(kind, api_port=None):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _send(self, status, body, content_type="application/json", extra=None):
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-Upstream", kind)
            for key, value in (extra or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):  # noqa: N802 (http.server API)
            if kind == "patroni":
                role_file = ROLE_DIR / str(api_port)
                role = role_file.read_text().strip() if role_file.exists() else "replica"
                wanted = self.path.split("?")[0].strip("/")
                self._send(200 if wanted == role else 503, json.dumps({"role": role}))
                return
            if kind == "websocket" and self.headers.get("Upgrade", "").lower() == "websocket":
                key = self.headers.get("Sec-WebSocket-Key", "")
                accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()  # noqa: S324 (RFC 6455)
                self.send_response(101)
                self.send_header("Upgrade", "websocket")
                self.send_header("Connection", "Upgrade")
                self.send_header("Sec-WebSocket-Accept", accept)
                self.send_header("X-Upstream", kind)
                self.end_headers()
                self.wfile.flush()
                self.close_connection = True
                return
            if kind == "web" and self.path.startswith("/web/health"):
                self._send(200, json.dumps({"status": "pass"}))
                return
            body = {"upstream": kind, "path": self.path, "headers": dict(self.headers.items()), "padding": "x" * 4096}
            self._send(200, json.dumps(body))

    return Handler


class Banner(socketserver.BaseRequestHandler):
    name = ""

    def handle(self):
        self.request.sendall((self.name + "\n").encode())


def serve_http(port, kind, api_port=None):
    ThreadingHTTPServer(("0.0.0.0", port), make_http_handler(kind, api_port)).serve_forever()


def serve_banner(port, name):
    handler = type("NamedBanner", (Banner,), {"name": name})
    socketserver.ThreadingTCPServer.allow_reuse_address = True
    socketserver.ThreadingTCPServer(("0.0.0.0", port), handler).serve_forever()


def main(argv):
    # argv: web_port ws_port then members as name:pg_port:api_port:initial_role
    ROLE_DIR.mkdir(parents=True, exist_ok=True)
    threads = [
        threading.Thread(target=serve_http, args=(int(argv[0]), "web")),
        threading.Thread(target=serve_http, args=(int(argv[1]), "websocket")),
    ]
    for member in argv[2:]:
        name, pg_port, api_port, role = member.split(":")
        role_file = ROLE_DIR / api_port
        if not role_file.exists():
            role_file.write_text(role + "\n")
        threads.append(threading.Thread(target=serve_http, args=(int(api_port), "patroni", int(api_port))))
        threads.append(threading.Thread(target=serve_banner, args=(int(pg_port), name)))
    for t in threads:
        t.daemon = True
        t.start()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main(sys.argv[1:])
