"""Real alert receivers on loopback: an SMTP server (aiosmtpd) and an HTTP server that accepts
Slack incoming-webhook posts. Both record what they receive for the tests to assert on."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.helpers import free_port


class WebhookReceiver:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    receiver.messages.append({"path": self.path, "json": json.loads(body)})
                except ValueError:
                    receiver.messages.append({"path": self.path, "raw": body.decode(errors="replace")})
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def texts(self) -> list[str]:
        return [m.get("json", {}).get("text", m.get("raw", "")) for m in self.messages]


class SmtpReceiver:
    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[dict[str, Any]] = []
        receiver = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                receiver.messages.append(
                    {"to": list(envelope.rcpt_tos), "data": envelope.content.decode("utf-8", errors="replace")}
                )
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpReceiver:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    def bodies(self) -> list[str]:
        import email

        out = []
        for m in self.messages:
            msg = email.message_from_string(m["data"])
            parts = [msg] if not msg.is_multipart() else list(msg.walk())
            for p in parts:
                payload = p.get_payload(decode=True)
                if payload:
                    out.append(payload.decode("utf-8", errors="replace"))
            out.append(str(msg.get("Subject", "")))
        return out
