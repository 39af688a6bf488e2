"""A small local HTTP server implementing the send APIs of the three providers (as documented): Telegram
`/bot<token>/sendMessage`, WhatsApp Cloud `/<version>/<phone id>/messages`, SMS Gateway for Android `/message`.
It records every request and can be told to fail the next N requests with a status."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = "123456:TEST-bot-token"
WA_TOKEN = "wa-access-token"
WA_PHONE_ID = "1098765"
SMS_USER, SMS_PASS = "gw-user", "gw-pass"


class ProviderFake:
    def __init__(self, port: int):
        self.port = port
        self.requests: list[dict] = []
        self.fail_next: list[int] = []
        self._n = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status: int, body: dict):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    return self._answer(400, {"error": "bad json"})
                fake.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                if fake.fail_next:
                    return self._answer(fake.fail_next.pop(0), {"ok": False, "description": "try later"})
                fake._n += 1
                n = fake._n
                if self.path == f"/bot{TOKEN}/sendMessage":
                    if "chat_id" not in body or not body.get("text"):
                        return self._answer(400, {"ok": False, "description": "Bad Request: chat_id/text"})
                    return self._answer(200, {"ok": True, "result": {"message_id": 1000 + n,
                                                                     "chat": {"id": body["chat_id"]},
                                                                     "text": body["text"]}})
                if self.path == f"/v21.0/{WA_PHONE_ID}/messages":
                    if self.headers.get("Authorization") != f"Bearer {WA_TOKEN}":
                        return self._answer(401, {"error": {"message": "Invalid OAuth access token"}})
                    if body.get("messaging_product") != "whatsapp" or body.get("type") != "text":
                        return self._answer(400, {"error": {"message": "bad payload"}})
                    return self._answer(200, {"messaging_product": "whatsapp",
                                              "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                                              "messages": [{"id": f"wamid.TEST{n}"}]})
                if self.path == "/sms/message":
                    cred = base64.b64encode(f"{SMS_USER}:{SMS_PASS}".encode()).decode()
                    if self.headers.get("Authorization") != f"Basic {cred}":
                        return self._answer(401, {"message": "unauthorized"})
                    if not body.get("phoneNumbers") or not (body.get("textMessage") or {}).get("text"):
                        return self._answer(400, {"message": "bad payload"})
                    return self._answer(202, {"id": f"sms-{n}", "state": "Pending"})
                return self._answer(404, {"error": "not found"})

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
