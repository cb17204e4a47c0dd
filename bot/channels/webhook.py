"""What both webhook servers (Telegram, Zalo) check before a request reaches the bot.

The secret header is compared in constant time as soon as the headers have arrived, so that an
unauthenticated sender never makes us read (or hold) its body; an authenticated body is read in pieces
and refused with 413 past `MAX_BODY` bytes. Idle and slow connections are closed by the server's
timeouts. A JSON body of any shape gets 200 (what we do not understand is ignored) or 400, never 500.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from tornado.httpserver import HTTPServer
from tornado.web import Application as WebApplication
from tornado.web import RequestHandler, stream_request_body

log = logging.getLogger("nhacviec.webhook")

MAX_BODY = 1024 * 1024  # Telegram's and Zalo's updates are a few kilobytes
HEADER_TIMEOUT = 10.0  # seconds for a connection to send its request line and headers (idle keep-alive too)
BODY_TIMEOUT = 10.0  # seconds for the whole body once the headers are in


@stream_request_body
class SecretWebhook(RequestHandler):
    """A POST endpoint behind a secret header. Subclasses implement `handle(data) -> status`."""

    secret_header = ""

    def initialize(self, secret: str) -> None:  # type: ignore[override]
        self.secret = secret.encode()
        self._chunks: list[bytes] = []
        self._size = 0
        self._refused = False

    def prepare(self) -> None:
        """Runs when the headers are in, before any of the body is read."""
        given = self.request.headers.get(self.secret_header, "").encode("utf-8", "replace")
        if not hmac.compare_digest(given, self.secret):
            log.warning("webhook request with a wrong secret token from %s", self.request.remote_ip)
            self._refuse(403)
            return
        length = self.request.headers.get("Content-Length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            self._refuse(413 if length.isdigit() else 400)

    def _refuse(self, status: int) -> None:
        """Answer now; the server then closes the connection instead of reading the rest."""
        self._refused = True
        self._chunks = []
        self.set_status(status)
        self.finish()

    def data_received(self, chunk: bytes) -> None:
        if self._refused:
            return
        self._size += len(chunk)
        if self._size > MAX_BODY:
            self._refuse(413)
            return
        self._chunks.append(chunk)

    async def post(self) -> None:
        if self._refused:
            return
        try:
            data = json.loads(b"".join(self._chunks))
        except (ValueError, RecursionError):
            self.set_status(400)
            return
        finally:
            self._chunks = []
        status = await self.handle(data)
        self.set_status(status)
        if status == 200:
            self.finish(json.dumps({"ok": True}))

    async def handle(self, data: Any) -> int:
        """Act on one update; 200 (done or ignored) or 400 (not an update)."""
        raise NotImplementedError


def webhook_http_server(path: str, handler: type[SecretWebhook], secret: str, **extra: Any) -> HTTPServer:
    """An HTTP server for one webhook path with the timeouts and size limit above."""
    web = WebApplication([(path, handler, {"secret": secret, **extra})])
    return HTTPServer(
        web,
        idle_connection_timeout=HEADER_TIMEOUT,
        body_timeout=BODY_TIMEOUT,
        max_body_size=MAX_BODY * 100,  # the handler refuses past MAX_BODY with 413; this is the server's backstop
        max_header_size=64 * 1024,
    )
