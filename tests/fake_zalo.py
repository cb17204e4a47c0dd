"""A fake Zalo Bot API server on 127.0.0.1, in the documented shapes.

JSON bodies, `{ok, result, description, error_code}` answers (an HTTP 200 may still say `ok: false`),
getUpdates returns ONE update or 408, sendMessage takes 1–2,000 characters and answers
`{message_id, date}` with the date in milliseconds. Failures on demand: 429, 5xx, `ok: false`.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "zalo-test-token-0000"


class FakeZaloApi:
    def __init__(self, one_in_three_429: bool = False, port: int = 0) -> None:
        self.one_in_three_429 = one_in_three_429
        self.method_failures: dict[str, deque[tuple[int, dict[str, Any]]]] = {}
        self.lock = threading.Lock()
        self.sent: list[dict[str, Any]] = []
        self.calls: list[str] = []
        self.updates: deque[dict[str, Any]] = deque()
        self.failures: deque[tuple[int, dict[str, Any]]] = deque()
        self.webhook: dict[str, Any] = {}
        self.too_many = 0
        self._count = 0
        self._next_id = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeZaloApi:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail_next(self, count: int, status: int, ok_false: bool = False, description: str = "") -> None:
        """The next `count` sendMessage calls fail: HTTP `status`, or HTTP 200 with ok false."""
        body = {
            "ok": False,
            "error_code": status,
            "description": description
            or {429: "Quota exceeded", 502: "Bad Gateway", 500: "Internal error"}.get(status, "error"),
        }
        for _ in range(count):
            self.failures.append((200 if ok_false else status, body))

    def fail_method(self, method: str, count: int, status: int, description: str = "") -> None:
        """The next `count` calls of `method` (getMe, deleteWebhook…) fail with this status."""
        body = {"ok": False, "error_code": status, "description": description or f"error {status}"}
        queue = self.method_failures.setdefault(method, deque())
        for _ in range(count):
            queue.append((status, body))

    def messages_to(self, chat_id: str) -> list[dict[str, Any]]:
        return [m for m in self.sent if m["chat_id"] == chat_id]

    def text_event(self, chat_id: str, text: str, message_id: str | None = None) -> dict[str, Any]:
        """An update as Zalo delivers it (unwrapped, as seen in practice)."""
        with self.lock:
            self._next_id += 1
            return {
                "event_name": "message.text.received",
                "message": {
                    "message_id": message_id or f"in{self._next_id}",
                    "date": int(time.time() * 1000),
                    "text": text,
                    "from": {"id": chat_id, "display_name": f"Người dùng {chat_id}", "is_bot": False},
                    "chat": {"id": chat_id, "chat_type": "PRIVATE"},
                },
            }

    def _answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if method == "getUpdates":
            deadline = time.monotonic() + min(float(params.get("timeout", 0) or 0), 0.2)
            while time.monotonic() < deadline:
                with self.lock:
                    if self.updates:
                        return 200, {"ok": True, "result": self.updates.popleft()}
                time.sleep(0.01)
            return 408, {"ok": False, "error_code": 408, "description": "Request timeout"}
        with self.lock:
            self.calls.append(method)
            if self.method_failures.get(method):
                return self.method_failures[method].popleft()
            if method == "getMe":
                return 200, {"ok": True, "result": {"id": "bot1", "account_name": "nhacviec", "can_join_groups": False}}
            if method in ("setWebhook", "deleteWebhook", "getWebhookInfo"):
                if method == "setWebhook":
                    self.webhook = params
                return 200, {"ok": True, "result": {"url": self.webhook.get("url", "")}}
            if method == "sendPhoto":  # the picture by URL, an optional caption
                photo = params.get("photo")
                if not isinstance(photo, str) or not photo.startswith(("http://", "https://")):
                    return 400, {"ok": False, "error_code": 400, "description": "photo must be a URL"}
                self._next_id += 1
                message_id = f"zm{self._next_id}"
                self.sent.append(
                    {
                        "chat_id": str(params.get("chat_id")),
                        "text": str(params.get("caption") or ""),
                        "photo": photo,
                        "message_id": message_id,
                        "at": time.monotonic(),
                    }
                )
                return 200, {"ok": True, "result": {"message_id": message_id, "date": int(time.time() * 1000)}}
            if method == "sendMessage":
                if self.failures:
                    return self.failures.popleft()
                self._count += 1
                if self.one_in_three_429 and self._count % 3 == 0:
                    self.too_many += 1
                    return 429, {"ok": False, "error_code": 429, "description": "Quota exceeded"}
                text = params.get("text")
                if not isinstance(text, str) or not 1 <= len(text) <= 2000:
                    return 400, {"ok": False, "error_code": 400, "description": "text must have 1-2000 characters"}
                self._next_id += 1
                message_id = f"zm{self._next_id}"
                self.sent.append(
                    {
                        "chat_id": str(params.get("chat_id")),
                        "text": text,
                        "message_id": message_id,
                        "at": time.monotonic(),
                    }
                )
                return 200, {"ok": True, "result": {"message_id": message_id, "date": int(time.time() * 1000)}}
        return 404, {"ok": False, "error_code": 404, "description": "Not found"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                try:
                    params = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    params = None
                parts = self.path.strip("/").split("/")
                if not isinstance(params, dict):
                    status, body = 400, {"ok": False, "error_code": 400, "description": "JSON body expected"}
                elif len(parts) != 2 or parts[0] != f"bot{TOKEN}":
                    status, body = 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
                else:
                    status, body = api._answer(parts[1], params)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
