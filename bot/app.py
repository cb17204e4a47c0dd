"""`nhacviec run`: the clock and the channels in one process, until SIGTERM or Ctrl-C.

Tokens come from the environment and never reach a log: the HTTP client's request log (which prints
URLs with the token in them) is silenced, and a filter masks the token in any other record.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import secrets
import signal
from collections.abc import Awaitable, Callable

from sqlalchemy import Engine
from telegram.ext import Application
from tornado.httpserver import HTTPServer

from bot.channels.telegram import CHANNEL as TELEGRAM_CHANNEL
from bot.channels.telegram import TelegramChannel, build_application, webhook_server
from bot.channels.zalo import CHANNEL as ZALO_CHANNEL
from bot.channels.zalo import DEFAULT_API_URL as ZALO_DEFAULT_URL
from bot.channels.zalo import ZaloChannel, ZaloClient, zalo_webhook_server
from bot.conversation.core import Conversation
from bot.conversation.texts import Message
from scheduler.clock import running_clock_from_env
from scheduler.db import make_engine
from scheduler.outbox.dispatcher import Dispatcher
from scheduler.outbox.notify import LoggingNotifier, Notifier
from scheduler.outbox.ratelimit import RateLimiter
from scheduler.outbox.ticker import Ticker

log = logging.getLogger("nhacviec")


class RedactSecrets(logging.Filter):
    """Replaces secrets with *** in every log record."""

    def __init__(self, *secrets_: str) -> None:
        super().__init__()
        self.secrets = [s for s in secrets_ if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(s in message for s in self.secrets):
            for secret in self.secrets:
                message = message.replace(secret, "***")
            record.msg, record.args = message, None
        return True


def configure_logging(*secrets_: str) -> None:
    logging.basicConfig(
        level=os.environ.get("NHACVIEC_LOG_LEVEL", "INFO"), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    redact = RedactSecrets(*secrets_)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)


async def serve(args: argparse.Namespace) -> None:
    """Start the chosen channels and the ticker; stop cleanly on SIGTERM or Ctrl-C."""
    telegram_token = os.environ.get("NHACVIEC_TELEGRAM_TOKEN", "")
    zalo_token = os.environ.get("NHACVIEC_ZALO_TOKEN", "")
    wanted = {args.channel}
    if args.channel == "auto":
        wanted = {name for name, token in (("telegram", telegram_token), ("zalo", zalo_token)) if token} or {"log"}
    elif args.channel == "all":
        wanted = {"telegram", "zalo"}
    for name, token, variable in (
        ("telegram", telegram_token, "NHACVIEC_TELEGRAM_TOKEN"),
        ("zalo", zalo_token, "NHACVIEC_ZALO_TOKEN"),
    ):
        if name in wanted and not token:
            raise SystemExit(f"Thiếu {variable}. Đặt biến môi trường này trước khi chạy kênh {name}.")
    clock = running_clock_from_env()
    engine = make_engine(args.database)
    limiter = shared_limiter(engine, telegram_token)
    notifiers: dict[str, Notifier] = {}
    senders: dict[str, TelegramChannel | ZaloChannel] = {}
    stop = asyncio.Event()
    closers: list[Callable[[], Awaitable[None]]] = []

    async def forward(message: Message) -> None:
        """An answer for another channel (an extension request to a leader who uses Zalo, say)."""
        target = senders.get(message.channel or "")
        if target is not None and message.chat_id:
            await target.send(message.chat_id, message)

    if "telegram" in wanted:
        application = build_application(telegram_token, os.environ.get("NHACVIEC_TELEGRAM_API_URL"))
        await application.initialize()
        telegram = TelegramChannel(
            application, Conversation(engine, clock, application.bot.username), forward, limiter=limiter
        )
        notifiers[TELEGRAM_CHANNEL] = senders[TELEGRAM_CHANNEL] = telegram
        await telegram.register_commands()
        await application.start()
        if args.webhook:
            secret = os.environ.get("NHACVIEC_WEBHOOK_SECRET") or secrets.token_urlsafe(32)
            host, _, port = args.listen.rpartition(":")
            server = webhook_server(application, secret)
            server.listen(int(port), host or "0.0.0.0")
            await application.bot.set_webhook(args.webhook, secret_token=secret)
            log.info("Telegram webhook mode on %s", args.listen)
            closers.append(lambda: _stop_server(server))
        else:
            assert application.updater is not None
            await application.bot.delete_webhook()
            await application.updater.start_polling()
            log.info("Telegram long polling as @%s", application.bot.username)
        closers.append(lambda: _stop_telegram(application))
    if "zalo" in wanted:
        client = ZaloClient(zalo_token, os.environ.get("NHACVIEC_ZALO_API_URL") or ZALO_DEFAULT_URL)
        zalo = ZaloChannel(client, Conversation(engine, clock), forward)
        notifiers[ZALO_CHANNEL] = senders[ZALO_CHANNEL] = zalo
        if args.zalo_webhook:
            secret = os.environ.get("NHACVIEC_ZALO_WEBHOOK_SECRET") or secrets.token_urlsafe(32)
            host, _, port = args.zalo_listen.rpartition(":")
            zalo_server = zalo_webhook_server(zalo, secret)
            zalo_server.listen(int(port), host or "0.0.0.0")
            await client.call("setWebhook", {"url": args.zalo_webhook, "secret_token": secret})
            log.info("Zalo webhook mode on %s", args.zalo_listen)
            closers.append(lambda: _stop_server(zalo_server))
        else:
            await client.call("deleteWebhook")
            polling = asyncio.create_task(zalo.poll(stop))
            closers.append(lambda: _wait(polling))
            log.info("Zalo long polling")
        closers.append(client.close)
    if "log" in wanted:
        notifiers["console"] = LoggingNotifier("console")
        log.warning("Không có token: lời nhắc chỉ ghi vào nhật ký. Muốn thử trên màn hình: nhacviec demo")
    ticker = Ticker(engine, Dispatcher(engine, notifiers, clock, limiter=limiter), clock)
    ticker.start()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("stopping: taking no new reminders, letting the sends in flight finish")
    await ticker.stop()
    for close in reversed(closers):
        await close()
    engine.dispose()
    log.info("stopped")


def shared_limiter(engine: Engine, token: str) -> RateLimiter:
    """One budget per token: in the database on PostgreSQL (several processes may share the token),
    in memory on SQLite (one process per file)."""
    if engine.dialect.name != "postgresql":
        return RateLimiter()
    from scheduler.outbox.shared_limit import SharedRateLimiter, bucket_for

    return SharedRateLimiter(engine, bucket_for("telegram", token))


async def _stop_server(server: HTTPServer) -> None:
    server.stop()


async def _stop_telegram(application: Application) -> None:
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    await application.stop()
    await application.shutdown()


async def _wait(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def run_app(args: argparse.Namespace) -> int:
    configure_logging(
        *(
            os.environ.get(name, "")
            for name in (
                "NHACVIEC_TELEGRAM_TOKEN",
                "NHACVIEC_WEBHOOK_SECRET",
                "NHACVIEC_ZALO_TOKEN",
                "NHACVIEC_ZALO_WEBHOOK_SECRET",
            )
        )
    )
    asyncio.run(serve(args))
    return 0
