"""The Zalo channel: a small async client of the Zalo Bot API on httpx, and a thin adapter to the core.

Zalo's API looks like Telegram's but has no buttons and no reply-to, allows 2,000 characters, returns
one update per poll (or 408 when the long poll ends empty), and may answer HTTP 200 with `ok: false`.
Buttons are shown as numbered choices; typing the number presses the button.

Errors: the Bot API documents its envelope (`ok`, `error_code`, `description`) but no answer that means
a chat is gone, so no Zalo answer unlinks a chat: 401 means our token is refused (start-up stops with
exit code 3; while sending it is retried and reported, the chats kept), 429 carries a wait, and every
other failure is transient — retried, then marked failed by the dispatcher after its attempts.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import httpx
from tornado.httpserver import HTTPServer

from bot.channels.media import LIFETIME, MediaStore, media_route
from bot.channels.webhook import SecretWebhook, webhook_http_server
from bot.conversation.core import Conversation, Incoming
from bot.conversation.deliveries import render_delivery
from bot.conversation.texts import ZALO, Button, Message, split_text
from bot.startup import Verdict
from scheduler.outbox.notify import Delivery, DeliveryError

CHANNEL = "zalo"
DEFAULT_API_URL = "https://bot-api.zaloplatforms.com"
SECRET_HEADER = "X-Bot-Api-Secret-Token"
log = logging.getLogger("nhacviec.zalo")


@dataclass
class ZaloApiError(DeliveryError):
    """A failed call, with Zalo's `error_code` (or the HTTP status); transient unless said otherwise."""

    code: int = 0


class ZaloUnauthorizedError(ZaloApiError):
    """401: the token is wrong. Polling stops and start-up exits; a send is retried, the chat kept."""


def startup_verdict(exc: Exception) -> Verdict:
    """How a failed Zalo start-up call is treated (see bot/startup.py)."""
    if isinstance(exc, ZaloUnauthorizedError) or (isinstance(exc, ZaloApiError) and exc.code in (403, 404)):
        return Verdict(
            str(exc.code), fatal="Zalo từ chối token: kiểm tra biến NHACVIEC_ZALO_TOKEN (lấy ở Zalo Bot Creator)."
        )
    return Verdict(str(exc) or type(exc).__name__)


class ZaloClient:
    """The few Bot API methods we use. Errors become `DeliveryError` with the dispatcher's meaning."""

    def __init__(self, token: str, base_url: str = DEFAULT_API_URL, timeout: float = 40.0) -> None:
        self._url = f"{base_url.rstrip('/')}/bot{token}"
        self._http = httpx.AsyncClient(timeout=timeout)

    async def close(self) -> None:
        await self._http.aclose()

    async def call(self, method: str, payload: dict[str, Any] | None = None) -> Any:
        """POST JSON; return `result`. 408 is an empty long poll (None)."""
        try:
            response = await self._http.post(f"{self._url}/{method}", json=payload or {})
        except httpx.TimeoutException as exc:
            raise ZaloApiError(f"Zalo không trả lời kịp ({type(exc).__name__})") from exc
        except httpx.HTTPError as exc:
            raise ZaloApiError(f"lỗi mạng tới Zalo ({type(exc).__name__})") from exc
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        try:
            code = int(body.get("error_code") or (response.status_code if response.status_code >= 400 else 0))
        except (TypeError, ValueError):
            code = response.status_code
        if response.status_code < 400 and body.get("ok"):
            return body.get("result")
        description = str(body.get("description") or response.reason_phrase or "lỗi không rõ")
        if code == 408:
            return None
        if code == 401:
            raise ZaloUnauthorizedError("Zalo từ chối token (401): kiểm tra NHACVIEC_ZALO_TOKEN", code=401)
        if code == 429:
            retry = body.get("parameters", {}).get("retry_after") if isinstance(body.get("parameters"), dict) else None
            raise ZaloApiError(f"Zalo 429: {description}", retry_after=float(retry or 0.5), code=429)
        if code >= 500 or code == 0:
            raise ZaloApiError(f"máy chủ Zalo lỗi {code}: {description}", code=code)
        raise ZaloApiError(f"Zalo từ chối lần này ({code}): {description}", code=code)

    async def send_message(self, chat_id: str, text: str) -> str:
        result = await self.call("sendMessage", {"chat_id": chat_id, "text": text})
        return str(result.get("message_id")) if isinstance(result, dict) else ""

    async def get_updates(self, timeout: int = 30) -> Any:
        return await self.call("getUpdates", {"timeout": timeout})


def _numbered(message: Message) -> tuple[str, list[Button]]:
    """Buttons become numbered choices at the end of the text."""
    flat = [b for row in message.buttons for b in row]
    if not flat:
        return message.text, []
    choices = "\n".join(f"{n}. {b.label}" for n, b in enumerate(flat, start=1))
    return f"{message.text}\n\nTrả lời bằng số:\n{choices}", flat


class ZaloChannel:
    """Delivers reminders and answers on Zalo through the shared conversation core."""

    channel = CHANNEL

    def __init__(
        self,
        client: ZaloClient,
        conversation: Conversation,
        enqueued: Callable[[], None] | None = None,
        media: MediaStore | None = None,
    ) -> None:
        self.client = client
        self.conversation = conversation
        # after an answer, what the core enqueued for others (a leader's request) goes out through the outbox
        self.enqueued = enqueued
        self.media = media  # with a public URL to serve files from, charts and calendars go out by link
        self.caps = replace(ZALO, files=True, caption_length=ZALO.max_length) if media else ZALO
        conversation.capabilities[CHANNEL] = self.caps
        self._choices: dict[str, list[Button]] = {}  # the numbered buttons last shown in each chat
        self._seen: OrderedDict[str, None] = OrderedDict()  # deliveries repeat: event name + message id
        self._lock = asyncio.Lock()

    async def send(self, chat_id: str, message: Message) -> str:
        """Send one answer, split at 2,000 characters on line boundaries; returns the last part's id."""
        text, choices = _numbered(message)
        self._choices[chat_id] = choices
        message_id = ""
        attachment = message.attachment if self.media is not None else None
        if attachment is not None and self.media is not None:
            url = self.media.put(attachment)
            if attachment.is_photo:  # the Bot API's sendPhoto takes the picture by URL
                fits = len(text) <= self.caps.caption_length
                result = await self.client.call(
                    "sendPhoto", {"chat_id": chat_id, "photo": url, "caption": text if fits else text.split("\n", 1)[0]}
                )
                message_id = str(result.get("message_id")) if isinstance(result, dict) else ""
                if fits:
                    return message_id
            else:  # no documents on the Bot API: a link to fetch it from, for a few minutes
                text = f"{text}\n📎 Tải tệp {attachment.filename} (trong {int(LIFETIME // 60)} phút): {url}"
        for part in split_text(text, ZALO.max_length):
            message_id = await self.client.send_message(chat_id, part)
        return message_id

    async def deliver(self, delivery: Delivery) -> str:
        """The reminders' Notifier: the digest as text, ending with short typed answers (the chart by URL)."""
        return await self.send(delivery.chat_id, render_delivery(delivery, self.caps))

    def _first_time(self, key: str) -> bool:
        if key in self._seen:
            return False
        self._seen[key] = None
        while len(self._seen) > 10_000:
            self._seen.popitem(last=False)
        return True

    async def handle_event(self, event: dict[str, Any]) -> None:
        """One update (polled or pushed); repeated deliveries are applied once."""
        if "result" in event and isinstance(event["result"], dict):  # the documented, wrapped shape
            event = event["result"]
        message = event.get("message")
        if not isinstance(message, dict) or not isinstance(message.get("chat"), dict):
            return  # not a message we can answer: ignored
        chat: dict[str, Any] = message["chat"]
        if isinstance(chat.get("id"), bool) or not isinstance(chat.get("id"), str | int):
            return
        chat_id = str(chat["id"])
        if not chat_id:
            return
        async with self._lock:
            if not self._first_time(f"{event.get('event_name')}:{message.get('message_id')}"):
                log.info("repeated Zalo delivery of %s ignored", message.get("message_id"))
                return
        if event.get("event_name") != "message.text.received" or not isinstance(message.get("text"), str):
            await self.send(chat_id, Message("Nhắc việc chỉ đọc được tin nhắn chữ. Gõ /help để xem cách dùng."))
            return
        text = message["text"].strip()
        button = None
        choices = self._choices.get(chat_id, [])
        if text.isascii() and text.isdigit() and len(text) <= 3 and 1 <= int(text) <= len(choices):
            button = choices[int(text) - 1].data
        is_group = str(chat.get("chat_type", "PRIVATE")).upper() == "GROUP"
        incoming = Incoming(
            CHANNEL,
            chat_id,
            text="" if button else text,
            button=button,
            message_id=str(message.get("message_id")),
            is_group=is_group,
            sender_id=str((message.get("from") or {}).get("id") or "") or None,
        )
        answers = await asyncio.to_thread(self.conversation.handle, incoming)
        for answer in answers:
            try:
                await self.send(chat_id, answer)
            except DeliveryError as exc:
                log.warning("could not answer on Zalo: %s", exc)
        if self.enqueued is not None:
            self.enqueued()

    async def poll(self, stop: asyncio.Event, timeout: int = 30) -> None:
        """Long polling until `stop` is set; 401 stops the channel with a clear log line."""
        while not stop.is_set():
            try:
                update = await self.client.get_updates(timeout)
            except ZaloUnauthorizedError:
                log.error("Zalo channel stopped: the token was refused (401). Check NHACVIEC_ZALO_TOKEN.")
                return
            except DeliveryError as exc:
                log.warning("Zalo polling: %s; trying again", exc)
                await asyncio.sleep(exc.retry_after or 2.0)
                continue
            if isinstance(update, dict):
                try:
                    await self.handle_event(update)
                except Exception:
                    log.exception("a Zalo update failed")


class _ZaloWebhook(SecretWebhook):
    """Receives Zalo's POSTs (the checks before the body are in `bot.channels.webhook`)."""

    secret_header = SECRET_HEADER

    def initialize(self, secret: str, zalo: ZaloChannel) -> None:  # type: ignore[override]
        super().initialize(secret)
        self.zalo = zalo

    async def handle(self, data: Any) -> int:
        if not isinstance(data, dict):
            return 400
        try:
            await self.zalo.handle_event(data)
        except Exception:  # like a polled update: logged, and Zalo is not asked to send it again
            log.exception("a Zalo update failed")
        return 200


def zalo_webhook_server(zalo: ZaloChannel, secret: str, path: str = "/zalo") -> HTTPServer:
    """The webhook endpoint for Zalo, and the short-lived file URLs when the channel has them."""
    server = webhook_http_server(path, _ZaloWebhook, secret, zalo=zalo)
    if zalo.media is not None:
        server.request_callback.add_handlers(r".*", [media_route(zalo.media)])  # type: ignore[union-attr]
    return server
