"""Short-lived, unguessable URLs for the files a channel can only send by link (Zalo's sendPhoto takes a URL).

The bot's own webhook server serves them: each file gets a random token (192 bits) and lives a few minutes,
long enough for Zalo's servers to fetch it, then it is gone. Nothing is written to disk; a restart forgets
them (the person asks again).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from tornado.web import RequestHandler

from bot.conversation.texts import Attachment

PATH = "/tep"
LIFETIME = 15 * 60.0  # seconds
MAX_FILES = 200  # oldest dropped first
_TYPES = {".png": "image/png", ".ics": "text/calendar; charset=utf-8", ".xlsx": "application/octet-stream"}


@dataclass(frozen=True)
class _Stored:
    filename: str
    data: bytes
    expires: float


class MediaStore:
    """Files kept in memory behind random URLs under `public_url` + /tep/."""

    def __init__(self, public_url: str, lifetime: float = LIFETIME, now: Callable[[], float] = time.monotonic) -> None:
        self.public_url = public_url.rstrip("/")
        self.lifetime = lifetime
        self.now = now
        self._files: dict[str, _Stored] = {}

    def put(self, attachment: Attachment) -> str:
        """Keep a file for `lifetime` seconds; its URL."""
        self._forget_expired()
        while len(self._files) >= MAX_FILES:
            self._files.pop(next(iter(self._files)))
        token = secrets.token_urlsafe(24)
        self._files[token] = _Stored(attachment.filename, attachment.data, self.now() + self.lifetime)
        return f"{self.public_url}{PATH}/{token}/{quote(attachment.filename)}"

    def get(self, token: str) -> _Stored | None:
        """The file behind a token while it lives (compared in constant time)."""
        self._forget_expired()
        for known, stored in self._files.items():
            if secrets.compare_digest(known, token):
                return stored
        return None

    def _forget_expired(self) -> None:
        now = self.now()
        for token in [t for t, s in self._files.items() if s.expires <= now]:
            del self._files[token]


class MediaHandler(RequestHandler):
    """GET /tep/<token>/<name>: the file while it lives, 404 otherwise (no hint which)."""

    def initialize(self, store: MediaStore) -> None:  # type: ignore[override]
        self.store = store

    def get(self, token: str, _name: str) -> None:
        stored = self.store.get(token)
        if stored is None:
            self.set_status(404)
            return
        suffix = stored.filename[stored.filename.rfind(".") :].lower() if "." in stored.filename else ""
        self.set_header("Content-Type", _TYPES.get(suffix, "application/octet-stream"))
        self.set_header("Cache-Control", "no-store")
        self.write(stored.data)


def media_route(store: MediaStore) -> tuple[str, type[MediaHandler], dict[str, MediaStore]]:
    """The route to add to a tornado application serving the store."""
    return (rf"{PATH}/([A-Za-z0-9_-]{{20,64}})/([^/]+)", MediaHandler, {"store": store})


def public_origin(webhook_url: str) -> str:
    """https://bot.example.vn/zalo → https://bot.example.vn: the files are served beside the webhook."""
    parts = urlsplit(webhook_url)
    return f"{parts.scheme}://{parts.netloc}"
