"""`nhacviec run`: the clock and the channels in one process, until SIGTERM or Ctrl-C.

Tokens come from the environment and never reach a log: the HTTP client's request log (which prints
URLs with the token in them) is silenced, and the log formatter masks tokens and webhook secrets in
everything it writes, tracebacks included. Start-up calls are retried (bot/startup.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import secrets
import signal
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial

from sqlalchemy import Engine
from telegram.ext import Application
from tornado.httpserver import HTTPServer

from bot.channels.media import MediaStore, public_origin
from bot.channels.telegram import TelegramChannel, add_webhook, build_application, webhook_server
from bot.channels.telegram import startup_verdict as telegram_verdict
from bot.channels.zalo import CHANNEL as ZALO_CHANNEL
from bot.channels.zalo import DEFAULT_API_URL as ZALO_DEFAULT_URL
from bot.channels.zalo import ZaloChannel, ZaloClient, zalo_webhook_server
from bot.channels.zalo import startup_verdict as zalo_verdict
from bot.conversation.core import Conversation
from bot.startup import EXIT_CONFIG, StartupError, StopRequested, retry
from scheduler.clock import Clock, running_clock_from_env
from scheduler.db import make_engine
from scheduler.outbox.dispatcher import Dispatcher
from scheduler.outbox.notify import LoggingNotifier, Notifier
from scheduler.outbox.ratelimit import RateLimiter
from scheduler.outbox.ticker import Ticker
from scheduler.register.bots import TOKEN_VARIABLE, api_url_variable, bots_in_use, channel_of_bot, token_variable

log = logging.getLogger("nhacviec")


class RedactingFormatter(logging.Formatter):
    """Formats a record as usual — message, arguments, traceback, stack — then masks every secret with ***."""

    def __init__(self, secrets_: list[str], fmt: str) -> None:
        super().__init__(fmt)
        self.secrets = secrets_

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self.secrets:
            if secret:
                text = text.replace(secret, "***")
        return text


def configure_logging(*secrets_: str) -> None:
    """Logs to stderr at NHACVIEC_LOG_LEVEL (default INFO); tokens and webhook secrets never come out."""
    level = os.environ.get("NHACVIEC_LOG_LEVEL", "INFO").upper()
    logging.basicConfig(level=level if level in logging.getLevelNamesMapping() else "INFO")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    formatter = RedactingFormatter([s for s in secrets_ if s], "%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.setFormatter(formatter)


@dataclass(frozen=True)
class Settings:
    """What `run` reads from the environment, read once before logging starts (so that it can be masked)."""

    telegram_token: str
    zalo_token: str
    telegram_secret: str
    zalo_secret: str
    # the units' own bots: NHACVIEC_TELEGRAM_TOKEN_<NAME> → {name: token} (scheduler/register/bots.py)
    bot_tokens: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> Settings:
        prefix = TOKEN_VARIABLE + "_"
        return cls(
            telegram_token=os.environ.get(TOKEN_VARIABLE, ""),
            zalo_token=os.environ.get("NHACVIEC_ZALO_TOKEN", ""),
            telegram_secret=os.environ.get("NHACVIEC_WEBHOOK_SECRET") or secrets.token_urlsafe(32),
            zalo_secret=os.environ.get("NHACVIEC_ZALO_WEBHOOK_SECRET") or secrets.token_urlsafe(32),
            bot_tokens={
                name.removeprefix(prefix).lower(): value
                for name, value in os.environ.items()
                if name.startswith(prefix) and value
            },
        )

    def secrets(self) -> tuple[str, ...]:
        """Every token and secret the log must never show, the units' bots' included."""
        return (self.telegram_token, self.zalo_token, self.telegram_secret, self.zalo_secret, *self.bot_tokens.values())


def wanted_channels(channel: str, settings: Settings) -> set[str]:
    """The channels to start; a channel asked for by name needs its token (exit code 3 without it)."""
    tokens = {"telegram": settings.telegram_token, "zalo": settings.zalo_token}
    if channel == "auto":
        found = {name for name, token in tokens.items() if token}
        if not found:  # a forgotten `export` must not give a bot that looks healthy and reminds nobody
            raise StartupError(
                "Thiếu token: đặt NHACVIEC_TELEGRAM_TOKEN (bot Telegram, lấy ở @BotFather) hoặc NHACVIEC_ZALO_TOKEN "
                "(bot Zalo) trước khi chạy. Muốn thử trên màn hình: nhacviec demo; chỉ ghi lời nhắc ra nhật ký: "
                "nhacviec run --channel log."
            )
        return found
    wanted = {"telegram", "zalo"} if channel == "all" else {channel}
    for name in sorted(wanted & tokens.keys()):
        if not tokens[name]:
            variable = f"NHACVIEC_{name.upper()}_TOKEN"
            raise StartupError(f"Thiếu {variable}: đặt biến môi trường này trước khi chạy kênh {name}.")
    return wanted


@dataclass
class Running:
    """What the channels being started share: the options, where they register, how they close, when to stop."""

    args: argparse.Namespace
    settings: Settings
    engine: Engine
    clock: Clock
    stop: asyncio.Event
    limiter: RateLimiter
    notifiers: dict[str, Notifier] = field(default_factory=dict)
    limiters: dict[str, RateLimiter] = field(default_factory=dict)  # the units' own bots: one each
    usernames: dict[str, str] = field(default_factory=dict)  # bot name ("" the default) → its @username
    webhook: HTTPServer | None = None  # the Telegram webhook server every bot shares
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    ticker: Ticker | None = None

    def enqueued(self) -> None:
        """An answer may have enqueued messages for others (a leader's request): the outbox sends them now."""
        if self.ticker is not None:
            self.ticker.nudge()


async def serve(args: argparse.Namespace, settings: Settings | None = None) -> None:
    """Start the chosen channels and the ticker; stop cleanly on SIGTERM or Ctrl-C."""
    settings = settings or Settings.from_env()
    wanted = wanted_channels(args.channel, settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    clock = running_clock_from_env()
    engine = make_engine(args.database)
    limiter = shared_limiter(engine, settings.telegram_token)

    run = Running(args, settings, engine, clock, stop, limiter)
    notifiers, closers = run.notifiers, run.closers
    try:
        if "telegram" in wanted:
            units_bots = unit_bot_tokens(engine, settings)  # a missing token is said before any network wait
            await _start_telegram(run)
            for bot, token in units_bots.items():
                await _start_telegram(run, bot, token)
        if "zalo" in wanted:
            await _start_zalo(run)
        if "log" in wanted:
            notifiers["console"] = LoggingNotifier("console")
            log.warning("channel log: reminders go to this log only; to try the bot on screen, run: nhacviec demo")
        ticker = run.ticker = Ticker(
            engine, Dispatcher(engine, notifiers, clock, limiter=limiter, limiters=run.limiters), clock
        )
        ticker.start()
        log.info("ready: %s", ", ".join(sorted(wanted)))
        await stop.wait()
        log.info("stopping: taking no new reminders, letting the sends in flight finish")
        await ticker.stop()
    except StopRequested as exc:
        log.info("stopped during start-up (while waiting for %s)", exc)
    finally:
        for close in reversed(closers):
            with contextlib.suppress(Exception):
                await close()
        engine.dispose()
        log.info("stopped")


def unit_bot_tokens(engine: Engine, settings: Settings) -> dict[str, str]:
    """The register's own bots and their tokens; one missing stops the start (exit code 3, the variable named)."""
    with engine.connect() as conn:
        used = bots_in_use(conn)
    tokens: dict[str, str] = {}
    for bot, units in sorted(used.items()):
        token = settings.bot_tokens.get(bot, "")
        if not token:
            shown = ", ".join(units[:3]) + (f" và {len(units) - 3} đơn vị khác" if len(units) > 3 else "")
            raise StartupError(
                f"Thiếu {token_variable(bot)}: sổ giao bot {bot!r} cho {shown}; đặt token của bot này "
                "(lấy ở @BotFather) vào biến môi trường đó trước khi chạy."
            )
        tokens[bot] = token
    return tokens


def shared_limiter(engine: Engine, token: str) -> RateLimiter:
    """One budget per token: in the database on PostgreSQL (several processes may share the token),
    in memory on SQLite (one process per file)."""
    if engine.dialect.name != "postgresql":
        return RateLimiter()
    from scheduler.outbox.shared_limit import SharedRateLimiter, bucket_for

    return SharedRateLimiter(engine, bucket_for("telegram", token))


async def _start_telegram(run: Running, bot: str = "", token: str = "") -> None:
    """Start one Telegram bot: the default one, or a unit's own (`bot`), with its own token and limits."""
    channel = channel_of_bot(bot)
    if bot:
        limiter = shared_limiter(run.engine, token)
        run.limiters[channel] = limiter
    else:
        token, limiter = run.settings.telegram_token, run.limiter
    api_url = os.environ.get(api_url_variable(bot)) or os.environ.get("NHACVIEC_TELEGRAM_API_URL")
    application = build_application(token, api_url)
    run.closers.append(lambda: _stop_telegram(application))
    verdict = partial(telegram_verdict, token_check=True, variable=token_variable(bot))
    named = f" (bot {bot})" if bot else ""
    await retry(f"Telegram getMe{named}", application.initialize, verdict, run.stop)
    run.usernames[bot] = application.bot.username
    conversation = Conversation(run.engine, run.clock, application.bot.username)
    conversation.bot_usernames = run.usernames  # /moi links to the invited official's own bot
    telegram = TelegramChannel(application, conversation, run.enqueued, limiter=limiter, channel=channel)
    run.notifiers[channel] = telegram
    await retry(
        f"Telegram setMyCommands (command menu){named}",
        telegram.register_commands,
        telegram_verdict,
        run.stop,
        essential=False,
    )
    await application.start()
    if run.args.webhook:
        # one server for every bot: the default bot at /telegram, a unit's own at /telegram/<bot>
        url = f"{run.args.webhook.rstrip('/')}/{bot}" if bot else run.args.webhook
        if run.webhook is None:
            host, _, port = run.args.listen.rpartition(":")
            server = webhook_server(application, run.settings.telegram_secret)
            server.listen(int(port), host or "0.0.0.0")
            run.closers.append(lambda: _stop_server(server))
            run.webhook = server
        else:
            add_webhook(run.webhook, application, run.settings.telegram_secret, f"/telegram/{bot}")
        await retry(
            f"Telegram setWebhook{named}",
            lambda: application.bot.set_webhook(url, secret_token=run.settings.telegram_secret),
            partial(telegram_verdict, webhook=True),
            run.stop,
        )
        log.info("Telegram webhook mode on %s as @%s", run.args.listen, application.bot.username)
    else:
        assert application.updater is not None
        updater = application.updater
        await retry(
            f"Telegram deleteWebhook and long polling{named}", updater.start_polling, telegram_verdict, run.stop
        )
        log.info("Telegram long polling as @%s", application.bot.username)


async def _start_zalo(run: Running) -> None:
    client = ZaloClient(run.settings.zalo_token, os.environ.get("NHACVIEC_ZALO_API_URL") or ZALO_DEFAULT_URL)
    run.closers.append(client.close)
    me = await retry("Zalo getMe", lambda: client.call("getMe"), zalo_verdict, run.stop)
    # with a webhook the bot has a public address: charts and calendars go to Zalo by short-lived URLs
    media = MediaStore(public_origin(run.args.zalo_webhook)) if run.args.zalo_webhook else None
    zalo = ZaloChannel(client, Conversation(run.engine, run.clock), run.enqueued, media)
    run.notifiers[ZALO_CHANNEL] = zalo
    name = me.get("account_name", "") if isinstance(me, dict) else ""
    if run.args.zalo_webhook:
        host, _, port = run.args.zalo_listen.rpartition(":")
        zalo_server = zalo_webhook_server(zalo, run.settings.zalo_secret)
        zalo_server.listen(int(port), host or "0.0.0.0")
        run.closers.append(lambda: _stop_server(zalo_server))
        payload = {"url": run.args.zalo_webhook, "secret_token": run.settings.zalo_secret}
        await retry("Zalo setWebhook", lambda: client.call("setWebhook", payload), zalo_verdict, run.stop)
        log.info("Zalo webhook mode on %s as %s", run.args.zalo_listen, name)
    else:
        await retry("Zalo deleteWebhook", lambda: client.call("deleteWebhook"), zalo_verdict, run.stop)
        polling = asyncio.create_task(zalo.poll(run.stop))
        run.closers.append(lambda: _wait(polling))
        log.info("Zalo long polling as %s", name)


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
    """`nhacviec run`: 0 after a clean stop, 3 when a token is missing or refused (one line, no traceback)."""
    settings = Settings.from_env()
    configure_logging(*settings.secrets())
    try:
        asyncio.run(serve(args, settings))
    except StartupError as exc:
        print(exc.text, file=sys.stderr)
        return EXIT_CONFIG
    return 0
