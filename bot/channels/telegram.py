"""The Telegram channel, on python-telegram-bot: a thin adapter around the conversation core.

It turns updates into `Incoming`, sends the core's answers (split at 4,096 characters, buttons on the
last part), delivers reminders as the dispatcher's `Notifier`, and maps Telegram's failures onto the
dispatcher's rules: only the exact answers that mean a chat is gone are permanent (`GONE`), a migrated
group follows its new id, 429 carries its retry_after, everything else is transient.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import warnings
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from telegram import BotCommand, InputFile, Update
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    ChatMemberHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest
from telegram.warnings import PTBUserWarning
from tornado.httpserver import HTTPServer
from tornado.web import Application as WebApplication

from bot.channels.webhook import SecretWebhook, webhook_http_server
from bot.conversation.core import COMMANDS, Conversation, Incoming
from bot.conversation.deliveries import render_delivery
from bot.conversation.incoming import IncomingFile
from bot.conversation.texts import TELEGRAM, Message, split_text
from bot.startup import Verdict
from scheduler.outbox.notify import Delivery, DeliveryError
from scheduler.outbox.ratelimit import RateLimiter

CHANNEL = "telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
log = logging.getLogger("nhacviec.telegram")

# How long a request waits for Telegram's answer before it counts as "maybe delivered".
ANSWER_TIMEOUT = 30.0
# How often an answer hit by a 429 is tried again (each after the retry_after Telegram gives).
ANSWER_RETRIES = 5


# A send, returning the message id Telegram gave it; `_Through` runs it (at once, or as a limited answer).
_Through = Callable[[Callable[[], Awaitable[str]]], Awaitable[str]]


async def _direct(call: Callable[[], Awaitable[str]]) -> str:
    return await call()


def _keyboard(message: Message) -> dict[str, Any]:
    """The buttons as the Bot API reads them (an InlineKeyboardMarkup, without building one)."""
    return {"inline_keyboard": [[{"text": b.label, "callback_data": b.data} for b in row] for row in message.buttons]}


SEND_MESSAGE = "sendMessage"
# do_api_request("sendMessage") works as send_message does, but PTB suggests send_message each time
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.sendMessage'", category=PTBUserWarning)


def _seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


# The Bot API's exact answers that mean the chat is gone for good (compared without the "Bad Request: " /
# "Forbidden: " prefix and case). Any other 400 or 403 — a message too long, a rights problem, a future
# wording — is transient: retried, and after the dispatcher's attempts marked failed, the chat kept.
GONE = {
    "bot was blocked by the user": "bot đã bị chặn bởi người nhận",
    "chat not found": "không tìm thấy cuộc trò chuyện",
    "bot was kicked from the group chat": "bot đã bị mời ra khỏi nhóm",
    "bot was kicked from the supergroup chat": "bot đã bị mời ra khỏi siêu nhóm",
    "bot was kicked from the channel chat": "bot đã bị mời ra khỏi kênh",
    "user is deactivated": "tài khoản người nhận đã bị xóa",
    "bot can't initiate conversation with a user": "người nhận chưa từng nhắn cho bot",
    "bot is not a member of the group chat": "bot không còn trong nhóm",
    "bot is not a member of the supergroup chat": "bot không còn trong siêu nhóm",
    "the group chat was deleted": "nhóm đã bị xóa",
    "group chat was deactivated": "nhóm đã ngừng hoạt động",
}


def _answer_text(message: str) -> str:
    text = message.strip().lower()
    for prefix in ("bad request: ", "forbidden: "):
        text = text.removeprefix(prefix)
    return text


def delivery_error(exc: TelegramError) -> DeliveryError:
    """Telegram's exceptions in the dispatcher's terms: permanent only for the answers in `GONE`."""
    if isinstance(exc, RetryAfter):
        with warnings.catch_warnings():  # int or timedelta depending on PTB_TIMEDELTA: both are handled
            warnings.simplefilter("ignore")
            wait = _seconds(exc.retry_after)
        # Telegram does not say whose limit it was: the limiter judges from the pattern of answers
        return DeliveryError(f"Telegram 429: chờ {wait:.0f} giây", retry_after=wait)
    if isinstance(exc, ChatMigrated):
        return DeliveryError("nhóm đã chuyển thành siêu nhóm", migrate_to=str(exc.new_chat_id))
    if isinstance(exc, Forbidden | BadRequest):
        gone = GONE.get(_answer_text(exc.message))
        if gone is not None:
            return DeliveryError(f"{gone} ({exc.message})", permanent=True)
        return DeliveryError(f"Telegram từ chối lần này: {exc.message}")
    if isinstance(exc, InvalidToken):  # 401/404 while sending: the token was revoked; the chats are fine
        return DeliveryError("Telegram từ chối token (kiểm tra NHACVIEC_TELEGRAM_TOKEN)")
    if isinstance(exc, TimedOut | NetworkError):
        return DeliveryError(f"lỗi mạng hoặc máy chủ Telegram: {exc.message}")
    return DeliveryError(f"lỗi Telegram: {exc}")


def startup_verdict(
    exc: Exception, token_check: bool = False, webhook: bool = False, variable: str = "NHACVIEC_TELEGRAM_TOKEN"
) -> Verdict:
    """How a failed start-up call is treated (see bot/startup.py). Never puts the token in the text;
    `variable` names where the refused token came from (a unit's own bot has its own)."""
    if isinstance(exc, InvalidToken) and token_check:
        return Verdict("401", fatal=f"Telegram từ chối token: kiểm tra biến {variable} (lấy lại ở @BotFather).")
    if isinstance(exc, BadRequest) and webhook:
        return Verdict(
            exc.message,
            fatal=f"Telegram từ chối địa chỉ webhook ({exc.message}): kiểm tra --webhook (phải là https://…).",
        )
    if isinstance(exc, RetryAfter):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return Verdict("429", wait=_seconds(exc.retry_after))
    if isinstance(exc, TelegramError):
        return Verdict(f"{type(exc).__name__}: {exc.message}")
    return Verdict(f"{type(exc).__name__}: {exc}")


class TelegramChannel:
    """Sends messages and reminders through a PTB application's bot."""

    def __init__(
        self,
        application: Application,
        conversation: Conversation,
        enqueued: Callable[[], None] | None = None,
        limiter: RateLimiter | None = None,
        channel: str = CHANNEL,
    ) -> None:
        # "telegram" for the default bot, "telegram:<bot>" for a unit's own bot (scheduler/register/bots.py):
        # the chats that link here are on this channel, and their reminders come back through this bot.
        self.channel = channel
        self.application = application
        self.conversation = conversation
        # after an answer, what the core enqueued for others (a leader's request) goes out through the outbox
        self.enqueued = enqueued
        # The dispatcher's limiter: answers share the token's one budget, ahead of the reminders.
        self.limiter = limiter
        application.add_handler(CallbackQueryHandler(self.on_button))
        application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, self.on_migrate))
        application.add_handler(MessageHandler(filters.Document.ALL, self.on_document))
        application.add_handler(MessageHandler(filters.TEXT | filters.COMMAND, self.on_message))
        application.add_handler(ChatMemberHandler(self.on_membership, ChatMemberHandler.MY_CHAT_MEMBER))
        application.add_error_handler(self.on_error)

    async def send(
        self, chat_id: str, message: Message, reply_to: int | None = None, answer_in: bool | None = None
    ) -> str:
        """Send one message: its file first (with the text as caption when it fits), then the text in parts;
        the id of the last one sent.

        `answer_in` (the chat is a group or not) makes it an answer: each part waits for the limiter's
        next slot ahead of the reminders, and a 429 is waited out and retried."""
        if answer_in is None:
            return await self._send(chat_id, message, reply_to, _direct)

        async def limited(call: Callable[[], Awaitable[str]]) -> str:
            return await self._answer_call(chat_id, answer_in, call)

        return await self._send(chat_id, message, reply_to, limited)

    async def _answer_call(self, chat_id: str, is_group: bool, call: Callable[[], Awaitable[str]]) -> str:
        for attempt in range(ANSWER_RETRIES + 1):
            try:
                if self.limiter is None:
                    return await call()
                async with self.limiter.sending(chat_id, is_group, urgent=True):
                    sent = await call()
                self.limiter.answered(chat_id)
                return sent
            except RetryAfter as exc:  # not delivered: wait as told, then again
                error = delivery_error(exc)
                if attempt == ANSWER_RETRIES:
                    raise
                wait = error.retry_after or 1.0
                if self.limiter is not None:  # that chat waits, everyone only when the bot is over its limit
                    self.limiter.refused(chat_id, wait, bot_wide=error.pause_all)
                log.info("answer to %s hit 429: again in %.0f s", chat_id, wait)
                await asyncio.sleep(wait)
        raise AssertionError("unreachable")

    async def _send(self, chat_id: str, message: Message, reply_to: int | None, through: _Through) -> str:
        text = message.text
        sent: str | None = None
        if message.attachment is not None:
            fits = len(text) <= TELEGRAM.caption_length
            caption = text if fits else text.split("\n", 1)[0]
            sent = await through(lambda: self._send_file(chat_id, message, caption, reply_to))
            if fits:
                return sent
            reply_to = None
        parts = split_text(text, TELEGRAM.max_length)
        for number, part in enumerate(parts, start=1):
            last = number == len(parts)
            sent = await through(
                lambda part=part, last=last, number=number: self._send_text(  # type: ignore[misc]
                    chat_id, part, message if last else None, reply_to if number == 1 else None
                )
            )
        assert sent is not None
        return sent

    async def _send_text(self, chat_id: str, text: str, buttons_of: Message | None, reply_to: int | None) -> str:
        """One part of a text (with the message's buttons when `buttons_of` is given); only the answer's
        message id is read.

        A morning's wave sends 50,000 of these: building a Message object for each answer, and going through
        `send_message` for the parameters it does not use, cost a tenth of the process's CPU. The call is
        still PTB's (its HTTP client, its errors), so failures are told apart exactly as before."""
        parameters: dict[str, Any] = {"chat_id": chat_id, "text": text}
        if buttons_of is not None and buttons_of.buttons:
            parameters["reply_markup"] = _keyboard(buttons_of)
        if reply_to is not None:
            parameters["reply_parameters"] = {"message_id": reply_to}
        result: Any = await self.application.bot.do_api_request(SEND_MESSAGE, api_kwargs=parameters)
        if not isinstance(result, dict) or "message_id" not in result:
            raise TelegramError(f"sendMessage answered without a message id: {str(result)[:200]}")
        return str(result["message_id"])

    async def _send_file(self, chat_id: str, message: Message, caption: str, reply_to: int | None) -> str:
        attachment = message.attachment
        assert attachment is not None
        upload = InputFile(attachment.data, filename=attachment.filename)
        if attachment.is_photo:
            sent = await self.application.bot.send_photo(
                chat_id=chat_id, photo=upload, caption=caption, reply_to_message_id=reply_to
            )
        else:
            sent = await self.application.bot.send_document(
                chat_id=chat_id, document=upload, caption=caption, reply_to_message_id=reply_to
            )
        return str(sent.message_id)

    async def deliver(self, delivery: Delivery) -> str:
        """The reminders' Notifier."""
        try:
            return await self.send(delivery.chat_id, render_delivery(delivery, TELEGRAM))
        except TelegramError as exc:
            raise delivery_error(exc) from exc

    async def _answer(self, incoming: Incoming, chat_id: str) -> None:
        """The core's answers, sent to the chat that spoke through the token's one budget."""
        answers = await asyncio.to_thread(self.conversation.handle, incoming)
        for message in answers:
            try:
                await self.send(chat_id, message, answer_in=incoming.is_group)
            except TelegramError as exc:
                log.warning("could not send an answer to %s: %s", chat_id, exc)
        if self.enqueued is not None:
            self.enqueued()

    async def on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A typed message or command: to the core, and its answers back."""
        msg = update.effective_message
        chat = update.effective_chat
        if msg is None or chat is None or msg.text is None:
            return
        reply_to = str(msg.reply_to_message.message_id) if msg.reply_to_message else None
        incoming = Incoming(
            self.channel,
            str(chat.id),
            text=msg.text,
            reply_to=reply_to,
            message_id=str(msg.message_id),
            is_group=chat.type != "private",
            sender_id=str(msg.from_user.id) if msg.from_user else None,
        )
        await self._answer(incoming, str(chat.id))

    async def on_document(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A file sent to the bot: the core checks who sent it, its size and type, and only then downloads it."""
        msg = update.effective_message
        chat = update.effective_chat
        if msg is None or chat is None or msg.document is None:
            return
        document = msg.document
        loop = asyncio.get_running_loop()

        async def download() -> bytes:
            file = await self.application.bot.get_file(document.file_id)
            return bytes(await file.download_as_bytearray())

        def fetch() -> bytes:  # called from the core's worker thread
            return asyncio.run_coroutine_threadsafe(download(), loop).result(timeout=120)

        incoming = Incoming(
            self.channel,
            str(chat.id),
            text=msg.caption or "",
            message_id=str(msg.message_id),
            is_group=chat.type != "private",
            sender_id=str(msg.from_user.id) if msg.from_user else None,
            document=IncomingFile(
                document.file_name or "tep", document.file_size, document.mime_type or "", fetch=fetch
            ),
        )
        await self._answer(incoming, str(chat.id))

    async def on_migrate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A group became a supergroup: its links follow the new chat id (Telegram sends this in the old group)."""
        msg = update.effective_message
        if msg is None or not msg.migrate_to_chat_id:
            return
        await asyncio.to_thread(
            self.conversation.chat_moved, self.channel, str(msg.chat.id), str(msg.migrate_to_chat_id)
        )

    async def on_membership(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The bot left or was removed from a chat (or blocked in private): that chat's links end."""
        change = update.my_chat_member
        if change is None or change.new_chat_member.status not in ("left", "kicked"):
            return
        await asyncio.to_thread(self.conversation.chat_gone, self.channel, str(change.chat.id))

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A pressed button: always answered, then handled like a message."""
        query = update.callback_query
        if query is None:
            return
        await query.answer()
        chat = update.effective_chat
        if chat is None or not query.data:
            return
        message_id = str(query.message.message_id) if query.message else None
        incoming = Incoming(
            self.channel,
            str(chat.id),
            button=query.data,
            reply_to=message_id,
            message_id=message_id,
            is_group=chat.type != "private",
            sender_id=str(query.from_user.id),
        )
        await self._answer(incoming, str(chat.id))

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The one error handler: log first, then tell the person something went wrong."""
        log.error("update failed", exc_info=context.error)
        if isinstance(update, Update) and update.effective_chat is not None:
            with contextlib.suppress(TelegramError):
                await self.application.bot.send_message(
                    update.effective_chat.id, "Xin lỗi, có lỗi khi xử lý tin này. Xin thử lại sau."
                )

    async def register_commands(self) -> None:
        """The command menu, in Vietnamese."""
        await self.application.bot.set_my_commands([BotCommand(name, text) for name, text in COMMANDS.items()])


class OneChatInOrder(BaseUpdateProcessor):
    """Updates of different chats are handled side by side (a wave of replies is answered in parallel), those of
    one chat one after another, in the order they came (a conversation's state moves one step at a time)."""

    def __init__(self, max_concurrent_updates: int = 16) -> None:
        super().__init__(max_concurrent_updates)
        self._chats: dict[object, tuple[asyncio.Lock, int]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat.id if isinstance(update, Update) and update.effective_chat else None
        lock, users = self._chats.get(chat, (asyncio.Lock(), 0))
        self._chats[chat] = (lock, users + 1)
        try:
            async with lock:
                await coroutine
        finally:
            lock, users = self._chats[chat]
            if users == 1:
                del self._chats[chat]
            else:
                self._chats[chat] = (lock, users - 1)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""


class _LenientRequest(HTTPXRequest):
    """PTB's HTTP client, tolerant of two differences found in a Bot API emulator: a getMe without `is_bot`,
    and message dates in milliseconds. Without this a message that was delivered would raise while its
    answer is read — and a delivered reminder counted as failed is a reminder sent twice.
    """

    async def do_request(self, url: str, *args: Any, **kwargs: Any) -> tuple[int, bytes]:  # type: ignore[override]
        code, payload = await super().do_request(url, *args, **kwargs)
        is_get_me = url.endswith("/getMe")
        if code == 200 and (is_get_me or _MILLISECOND_DATE.search(payload)):
            with contextlib.suppress(ValueError, AttributeError, TypeError):
                body = json.loads(payload)
                result = body.get("result")
                if is_get_me and isinstance(result, dict) and "is_bot" not in result:
                    result["is_bot"] = True  # getMe always describes a bot
                _dates_in_seconds(result)
                payload = json.dumps(body).encode()
        return code, payload


_MILLISECOND_DATE = re.compile(rb'"date"\s*:\s*\d{13}')


def _dates_in_seconds(value: Any) -> None:
    """Telegram's dates are Unix seconds; a 13-digit one can only be milliseconds."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "date" and isinstance(item, int) and item > 10**11:
                value[key] = item // 1000
            else:
                _dates_in_seconds(item)
    elif isinstance(value, list):
        for item in value:
            _dates_in_seconds(item)


def build_application(token: str, base_url: str | None = None) -> Application:
    """A PTB application; `base_url` points it at another Bot API server (a local one in tests).

    Answers are waited for up to ANSWER_TIMEOUT: Telegram sometimes answers after tens of seconds, and a
    send given up on may still have been delivered (one repeat when it is retried)."""
    request = _LenientRequest(
        read_timeout=ANSWER_TIMEOUT,
        write_timeout=ANSWER_TIMEOUT,
        connect_timeout=10.0,
        pool_timeout=ANSWER_TIMEOUT,
        media_write_timeout=ANSWER_TIMEOUT,
    )
    builder = ApplicationBuilder().token(token).request(request)
    builder = builder.concurrent_updates(OneChatInOrder())
    if base_url:
        root = base_url.rstrip("/")
        builder = builder.base_url(f"{root}/bot").base_file_url(f"{root}/file/bot")
    return builder.build()


class _WebhookHandler(SecretWebhook):
    """Receives Telegram's POSTs (the checks before the body are in `bot.channels.webhook`)."""

    secret_header = SECRET_HEADER

    def initialize(self, secret: str, bot_application: Application) -> None:  # type: ignore[override]
        super().initialize(secret)
        self.bot_app = bot_application

    async def handle(self, data: Any) -> int:
        if not isinstance(data, dict):
            return 400
        try:
            update = Update.de_json(data, self.bot_app.bot)
        except Exception as exc:  # PTB raises whatever a malformed field makes it raise
            log.info("webhook body is not an update: %s", type(exc).__name__)
            return 400
        await self.bot_app.update_queue.put(update)
        return 200


def webhook_server(application: Application, secret: str, path: str = "/telegram") -> HTTPServer:
    """A small HTTP server for webhook mode; start it with `.listen(port, address)`."""
    return webhook_http_server(path, _WebhookHandler, secret, bot_application=application)


def add_webhook(server: HTTPServer, application: Application, secret: str, path: str) -> None:
    """Another bot's webhook on the same server (a unit's own bot: /telegram/<bot>), same checks."""
    web = server.request_callback
    assert isinstance(web, WebApplication)
    web.add_handlers(r".*", [(path, _WebhookHandler, {"secret": secret, "bot_application": application})])
