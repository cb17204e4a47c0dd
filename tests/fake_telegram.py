"""A fake Telegram Bot API server on 127.0.0.1, answering in the Bot API's exact shapes.

python-telegram-bot talks to it over real HTTP (`ApplicationBuilder().base_url(...)`). It records what
was sent, queues updates for getUpdates, fails on demand (429 with retry_after, 502, 403; any method with
`fail_method`, e.g. 500 on setMyCommands), and can enforce Telegram's limits (30 messages a second, 1 a
second per chat) by answering 429 when broken. `port` fixes the port, so that a test can start the bot
while nothing listens there yet (the API unreachable) and bring the fake up later.
"""

from __future__ import annotations

import contextlib
import json
import random
import threading
import time
from collections import deque
from email.parser import BytesParser
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote

TOKEN = "123456:TEST-fake-token-for-tests-only"
BOT_USER = {
    "id": 123456,
    "is_bot": True,
    "first_name": "Nhắc việc",
    "username": "nhacviec_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


class FakeBotApi:
    """Start with `with FakeBotApi() as api:`; `api.base_url` goes to PTB's base_url."""

    def __init__(
        self,
        enforce_limits: bool = False,
        delay: tuple[float, float] | None = None,
        slow: tuple[float, float] = (0.0, 0.0),
        long_poll: float = 0.0,
        seed: int = 7,
        port: int = 0,
        token: str = TOKEN,
        username: str = "nhacviec_test_bot",
    ) -> None:
        """`delay`: a send is recorded on arrival, then answered after a uniform delay in this range (s);
        `slow`: (share, seconds) of answers that come that late instead; `long_poll`: an empty getUpdates
        waits up to this long for an update, as Telegram's does; `token` and `username`: another bot."""
        self.token = token
        self.user = {**BOT_USER, "id": int(token.split(":")[0]), "username": username}
        self.enforce_limits = enforce_limits
        self.method_failures: dict[str, deque[tuple[int, dict[str, Any]]]] = {}
        self.delay = delay
        self.slow = slow
        self.long_poll = long_poll
        self.rng = random.Random(seed)
        self.in_flight = 0  # sends received whose answer has not gone back yet
        self.lock = threading.Lock()
        self.sent: list[dict[str, Any]] = []
        self.calls: list[str] = []
        self.failures: deque[tuple[int, dict[str, Any]]] = deque()
        self.failed: list[dict[str, Any]] = []  # the sends that `fail_next` answered: chat and time
        self.updates: deque[dict[str, Any]] = deque()
        self.webhook: dict[str, Any] = {}
        self.files: dict[str, tuple[str, bytes]] = {}  # file_id → (file_path, content), for getFile and downloads
        self.downloads: list[str] = []
        self.too_many = 0
        self.too_many_at: list[float] = []
        self._message_id = 1000
        self._update_id = 0
        self._all: deque[float] = deque()
        self._per_chat: dict[str, float] = {}
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeBotApi:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- test helpers ----------------------------------------------------------------------------

    def fail_next(
        self,
        count: int,
        status: int,
        retry_after: int | None = None,
        description: str = "",
        migrate_to: int | None = None,
    ) -> None:
        """The next `count` sendMessage calls fail with this status."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": status,
            "description": description
            or {
                429: "Too Many Requests: retry after 1",
                502: "Bad Gateway",
                403: "Forbidden: bot was blocked by the user",
                400: "Bad Request: chat not found",
            }.get(status, "error"),
        }
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        if migrate_to is not None:
            body["description"] = "Bad Request: group chat was upgraded to a supergroup chat"
            body["parameters"] = {"migrate_to_chat_id": migrate_to}
        for _ in range(count):
            self.failures.append((status, body))

    def fail_method(self, method: str, count: int, status: int, description: str = "") -> None:
        """The next `count` calls of `method` (any method: getMe, setMyCommands…) fail with this status."""
        body = {"ok": False, "error_code": status, "description": description or f"error {status}"}
        queue = self.method_failures.setdefault(method, deque())
        for _ in range(count):
            queue.append((status, body))

    def messages_to(self, chat_id: int | str) -> list[dict[str, Any]]:
        return [m for m in self.sent if str(m["chat_id"]) == str(chat_id)]

    def next_update_id(self) -> int:
        self._update_id += 1
        return self._update_id

    def _message(self, chat_id: int, chat_type: str, sender: int | None) -> dict[str, Any]:
        """A message's envelope: in a group the chat is the group and `from` the person who wrote."""
        self._message_id += 1
        user_id = sender if sender is not None else chat_id
        user = {"id": user_id, "is_bot": False, "first_name": f"Người dùng {user_id}", "language_code": "vi"}
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = user["first_name"]
        else:
            chat["title"] = f"Nhóm {chat_id}"
        return {"message_id": self._message_id, "date": int(time.time()), "from": user, "chat": chat}

    def text_update(
        self,
        chat_id: int,
        text: str,
        reply_to: int | None = None,
        chat_type: str = "private",
        sender: int | None = None,
    ) -> dict[str, Any]:
        """An update as Telegram sends it when a person types (in a group: `sender` wrote in `chat_id`)."""
        message = {**self._message(chat_id, chat_type, sender), "text": text}
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        if reply_to is not None:
            original = next((m for m in self.sent if m["message_id"] == reply_to), None)
            message["reply_to_message"] = {
                "message_id": reply_to,
                "date": int(time.time()),
                "from": self.user,
                "chat": message["chat"],
                "text": original["text"] if original else "",
            }
        return {"update_id": self.next_update_id(), "message": message}

    def document_update(
        self,
        chat_id: int,
        filename: str,
        content: bytes,
        mime_type: str = "application/octet-stream",
        chat_type: str = "private",
        sender: int | None = None,
    ) -> dict[str, Any]:
        """An update as Telegram sends it when a person sends a file; the file is then served for download."""
        message = self._message(chat_id, chat_type, sender)
        file_id = f"file{self._message_id}"
        suffix = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
        self.files[file_id] = (f"documents/{file_id}.{suffix}", content)  # as Telegram does: no name in the path
        message["document"] = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": filename,
            "mime_type": mime_type,
            "file_size": len(content),
        }
        return {"update_id": self.next_update_id(), "message": message}

    def membership_update(self, chat_id: int, status: str, chat_type: str = "group") -> dict[str, Any]:
        """The bot's own membership changed (`left`, `kicked`, `member`), as Telegram reports it."""
        bot = {"user": self.user, "status": status}
        if status == "kicked":
            bot["until_date"] = 0
        return {
            "update_id": self.next_update_id(),
            "my_chat_member": {
                "chat": {"id": chat_id, "type": chat_type, "title": f"Nhóm {chat_id}"},
                "from": {"id": 1, "is_bot": False, "first_name": "Quản trị nhóm"},
                "date": int(time.time()),
                "old_chat_member": {"user": self.user, "status": "member"},
                "new_chat_member": bot,
            },
        }

    def migrate_update(self, chat_id: int, new_chat_id: int) -> dict[str, Any]:
        """The service message Telegram posts in a group that became a supergroup."""
        message = {**self._message(chat_id, "group", 1), "migrate_to_chat_id": new_chat_id}
        return {"update_id": self.next_update_id(), "message": message}

    def button_update(self, chat_id: int, data: str, message_id: int) -> dict[str, Any]:
        """An update as Telegram sends it when a person presses an inline button."""
        user = {"id": chat_id, "is_bot": False, "first_name": f"Người dùng {chat_id}"}
        return {
            "update_id": self.next_update_id(),
            "callback_query": {
                "id": f"cq{self._update_id}",
                "from": user,
                "chat_instance": f"ci{chat_id}",
                "data": data,
                "message": {
                    "message_id": message_id,
                    "date": int(time.time()),
                    "from": self.user,
                    "chat": {"id": chat_id, "type": "private"},
                    "text": "…",
                },
            },
        }

    # --- the server ------------------------------------------------------------------------------

    def _answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if method == "getUpdates":  # a short long poll, so that a polling bot does not spin
            deadline = time.monotonic() + min(float(params.get("timeout", 0) or 0), 0.3)
            while not self.updates and time.monotonic() < deadline:
                time.sleep(0.01)
        with self.lock:
            self.calls.append(method)
            if self.method_failures.get(method):
                return self.method_failures[method].popleft()
            if method == "getMe":
                return 200, {"ok": True, "result": self.user}
            if method in ("setMyCommands", "deleteWebhook", "answerCallbackQuery", "setWebhook"):
                if method == "setWebhook":
                    self.webhook = params
                return 200, {"ok": True, "result": True}
            if method == "getFile":
                found = self.files.get(str(params.get("file_id")))
                if found is None:
                    return 400, {"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"}
                path, content = found
                file = {"file_id": params["file_id"], "file_unique_id": f"u{params['file_id']}"}
                return 200, {"ok": True, "result": {**file, "file_size": len(content), "file_path": path}}
            if method == "getUpdates":
                if not self.updates and self.long_poll:
                    self.lock.release()
                    try:
                        until = time.monotonic() + min(self.long_poll, float(params.get("timeout") or 0))
                        while not self.updates and time.monotonic() < until:
                            time.sleep(0.02)
                    finally:
                        self.lock.acquire()
                result = list(self.updates)
                self.updates.clear()
                return 200, {"ok": True, "result": result}
            if method in ("sendMessage", "editMessageText", "sendPhoto", "sendDocument"):
                if "chat_id" not in params:  # a request cut short by a killed client
                    return 400, {"ok": False, "error_code": 400, "description": "Bad Request: chat_id is empty"}
                if self.failures:
                    self.failed.append({"chat_id": params["chat_id"], "at": time.monotonic()})
                    return self.failures.popleft()
                if self.enforce_limits and method == "sendMessage":
                    refused = self._over_limit(str(params.get("chat_id")))
                    if refused:
                        self.too_many += 1
                        self.too_many_at.append(time.monotonic())
                        return 429, {
                            "ok": False,
                            "error_code": 429,
                            "description": "Too Many Requests: retry after 1",
                            "parameters": {"retry_after": 1},
                        }
                self._message_id += 1
                record = {**params, "message_id": self._message_id, "method": method, "at": time.monotonic()}
                self.sent.append(record)
                chat = {"id": int(params["chat_id"]), "type": "private"}
                return 200, {
                    "ok": True,
                    "result": {
                        "message_id": self._message_id,
                        "date": int(time.time()),
                        "chat": chat,
                        "from": self.user,
                        "text": params.get("text", ""),
                    },
                }
            return 404, {"ok": False, "error_code": 404, "description": f"Not Found: method {method}"}

    def _over_limit(self, chat_id: str) -> bool:
        now = time.monotonic()
        while self._all and now - self._all[0] >= 1.0:
            self._all.popleft()
        if len(self._all) >= 30 or now - self._per_chat.get(chat_id, -10.0) < 1.0:
            return True
        self._all.append(now)
        self._per_chat[chat_id] = now
        return False

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output quiet
                pass

            def do_GET(self) -> None:  # noqa: N802 (http.server's name): file downloads
                prefix = f"/file/bot{api.token}/"
                content = None
                path = unquote(self.path)
                if path.startswith(prefix):
                    wanted = path[len(prefix) :]
                    content = next((c for p, c in api.files.values() if p == wanted), None)
                if content is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                with api.lock:
                    api.downloads.append(path[len(prefix) :])
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                kind = self.headers.get("Content-Type", "")
                if "multipart/form-data" in kind:
                    params = _multipart(kind, body)
                elif "json" in kind:
                    params = json.loads(body.decode() or "{}")
                else:
                    params = {k: _maybe_json(v[0]) for k, v in parse_qs(body.decode()).items()}
                parts = self.path.strip("/").split("/")
                sending = len(parts) == 2 and parts[1] in ("sendMessage", "sendPhoto", "sendDocument")
                if sending:
                    with api.lock:
                        api.in_flight += 1
                try:
                    if len(parts) != 2 or parts[0] != f"bot{api.token}":
                        status, body = 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
                    else:
                        status, body = api._answer(parts[1], params)
                    if sending and api.delay is not None:
                        with api.lock:
                            late = api.rng.random() < api.slow[0]
                            wait = api.slow[1] if late else api.rng.uniform(*api.delay)
                        time.sleep(wait)
                    with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client died (crash tests)
                        self._reply(status, body)
                finally:
                    if sending:
                        with api.lock:
                            api.in_flight -= 1

            def _reply(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


def _multipart(content_type: str, body: bytes) -> dict[str, Any]:
    """Fields of a multipart/form-data upload (sendPhoto, sendDocument): text as str, files as bytes."""
    message = BytesParser(policy=default).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if part.get_filename():
            fields[str(name)] = payload
            fields[f"{name}_filename"] = part.get_filename()
        else:
            fields[str(name)] = _maybe_json(payload.decode())
    return fields


def _maybe_json(value: str) -> Any:
    if value[:1] in "{[" or value.lstrip("-").isdigit():
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
