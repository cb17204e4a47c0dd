"""`nhacviec run`: the clock and the channels in one process, until SIGTERM or Ctrl-C.

Tokens come from the environment and never reach a log: the HTTP client's request log (which prints
URLs with the token in them) is silenced, and a filter masks the token in any other record.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import secrets
import signal

from bot.channels.telegram import CHANNEL as TELEGRAM_CHANNEL
from bot.channels.telegram import TelegramChannel, build_application, webhook_server
from bot.core import Conversation
from scheduler.clock import SystemClock
from scheduler.db import make_engine
from scheduler.dispatcher import Dispatcher
from scheduler.notify import LoggingNotifier, Notifier
from scheduler.ticker import Ticker

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
    token = os.environ.get("NHACVIEC_TELEGRAM_TOKEN", "")
    channel = args.channel
    if channel == "auto":
        channel = "telegram" if token else "log"
    if channel == "telegram" and not token:
        raise SystemExit("Thiếu NHACVIEC_TELEGRAM_TOKEN. Đặt biến môi trường này (token từ @BotFather).")
    clock = SystemClock()
    engine = make_engine(args.database)
    notifiers: dict[str, Notifier] = {}
    application = None
    server = None
    if channel == "telegram":
        application = build_application(token, os.environ.get("NHACVIEC_TELEGRAM_API_URL"))
        await application.initialize()
        username = application.bot.username
        telegram = TelegramChannel(application, Conversation(engine, clock, username))
        notifiers[TELEGRAM_CHANNEL] = telegram
        await telegram.register_commands()
        await application.start()
        if args.webhook:
            secret = os.environ.get("NHACVIEC_WEBHOOK_SECRET") or secrets.token_urlsafe(32)
            host, _, port = args.listen.rpartition(":")
            server = webhook_server(application, secret)
            server.listen(int(port), host or "0.0.0.0")
            await application.bot.set_webhook(args.webhook, secret_token=secret)
            log.info("Telegram webhook mode on %s", args.listen)
        else:
            assert application.updater is not None
            await application.bot.delete_webhook()
            await application.updater.start_polling()
            log.info("Telegram long polling as @%s", username)
    else:
        notifiers["console"] = LoggingNotifier("console")
        log.warning("Không có token Telegram: lời nhắc chỉ ghi vào nhật ký. Muốn thử trên màn hình: nhacviec demo")
    ticker = Ticker(engine, Dispatcher(engine, notifiers, clock), clock)
    ticker.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("stopping: letting the current tick finish")
    await ticker.stop()
    if server is not None:
        server.stop()
    if application is not None:
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        await application.stop()
        await application.shutdown()
    engine.dispose()


def run_app(args: argparse.Namespace) -> int:
    configure_logging(os.environ.get("NHACVIEC_TELEGRAM_TOKEN", ""), os.environ.get("NHACVIEC_WEBHOOK_SECRET", ""))
    asyncio.run(serve(args))
    return 0
