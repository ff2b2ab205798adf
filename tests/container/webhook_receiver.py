"""Slack incoming-webhook stand-in for the container test: runs inside the compose network
(standard library only, on the project's image), records every POST and lists them on GET."""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RECEIVED: list[dict] = []
LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode(errors="replace")
        with LOCK:
            RECEIVED.append({"path": self.path, "body": body})
        self._reply(b"ok")

    def do_GET(self) -> None:
        with LOCK:
            self._reply(json.dumps(RECEIVED).encode())

    def _reply(self, payload: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


if __name__ == "__main__":
    ThreadingHTTPServer(("0.0.0.0", int(sys.argv[1])), Handler).serve_forever()
