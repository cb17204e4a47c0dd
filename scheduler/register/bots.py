"""Several Telegram bots: a unit (or a group of units) may have a bot of its own, with its own token.

The register names a bot (`bot: huyen_a`), never its token: the token lives in the environment variable
NHACVIEC_TELEGRAM_TOKEN_<NAME> (NHACVIEC_TELEGRAM_TOKEN_HUYEN_A), its username for t.me links in
NHACVIEC_TELEGRAM_BOT_<NAME>. A chat linked through bot `huyen_a` is on the channel "telegram:huyen_a", and
so are the outbox rows planned for it: every row goes out through the bot its chat was linked on, under
that bot's own limits. Units with no bot of their own use the default bot (NHACVIEC_TELEGRAM_TOKEN,
channel "telegram").
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from sqlalchemy import Connection, select

from scheduler.register.models import GROUPS, MEMBERS, UNITS

TELEGRAM = "telegram"
TOKEN_VARIABLE = "NHACVIEC_TELEGRAM_TOKEN"
USERNAME_VARIABLE = "NHACVIEC_TELEGRAM_BOT"
BOT_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")
# What a Telegram token looks like (digits, a colon, 35 characters): it must never be written in the register.
LOOKS_LIKE_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")


def bot_name_problem(value: str) -> str | None:
    """Why `value` cannot name a bot (in Vietnamese, without repeating a token), or None when it can."""
    if LOOKS_LIKE_TOKEN.search(value):
        return (
            "trông như token của bot: đừng ghi token vào sổ (ai có sổ là dùng được bot). Ghi tên bot, vd. "
            f"bot: huyen_a, và đặt token vào biến môi trường {TOKEN_VARIABLE}_HUYEN_A; hãy lấy token mới ở "
            "@BotFather (/revoke) vì token này đã lộ"
        )
    if not BOT_NAME.fullmatch(value):
        shown = value if len(value) <= 40 else value[:40] + "…"
        return (
            f"tên bot {shown!r} chỉ được gồm chữ thường không dấu, số và '_', bắt đầu bằng chữ, tối đa 32 ký tự, "
            f"vd. huyen_a (token đặt trong biến môi trường {TOKEN_VARIABLE}_HUYEN_A)"
        )
    return None


def token_variable(bot: str) -> str:
    """The environment variable that holds a bot's token ("" is the default bot)."""
    return f"{TOKEN_VARIABLE}_{bot.upper()}" if bot else TOKEN_VARIABLE


def username_variable(bot: str) -> str:
    """The environment variable that holds a bot's username, for t.me links."""
    return f"{USERNAME_VARIABLE}_{bot.upper()}" if bot else USERNAME_VARIABLE


def api_url_variable(bot: str) -> str:
    """The environment variable that points one bot at another Bot API server (a local fake in the tests)."""
    return f"NHACVIEC_TELEGRAM_API_URL_{bot.upper()}" if bot else "NHACVIEC_TELEGRAM_API_URL"


def channel_of_bot(bot: str) -> str:
    """The channel of the chats linked through a bot: "telegram" for the default one."""
    return f"{TELEGRAM}:{bot}" if bot else TELEGRAM


def bot_of_channel(channel: str) -> str:
    """The bot a Telegram channel names ("" for the default bot and for other channels)."""
    kind, _, bot = channel.partition(":")
    return bot if kind == TELEGRAM else ""


def channel_kind(channel: str) -> str:
    """What kind of channel this is ("telegram" for every Telegram bot): its capabilities and its name."""
    return channel.partition(":")[0]


def effective_bots(units: Mapping[str, tuple[str, list[str]]], group_bots: Mapping[str, str]) -> dict[str, str]:
    """Unit code → the bot it uses: its own, else the one its groups name ("" for the default bot)."""
    found: dict[str, str] = {}
    for code, (own, groups) in units.items():
        found[code] = own or next((group_bots[g] for g in groups if group_bots.get(g)), "")
    return found


def unit_bots(conn: Connection) -> dict[int, str]:
    """Unit id → the bot its officials link through ("" for the default bot)."""
    group_bots = {code: bot for code, bot in conn.execute(select(GROUPS.c.code, GROUPS.c.bot)) if bot}
    rows = conn.execute(select(UNITS.c.id, UNITS.c.code, UNITS.c.bot, UNITS.c.groups)).all()
    by_code = effective_bots({r.code: (r.bot, list(r.groups or [])) for r in rows}, group_bots)
    return {r.id: by_code[r.code] for r in rows}


def bots_in_use(conn: Connection) -> dict[str, list[str]]:
    """Every bot the register names → the codes of the units that use it (for the start-up's messages)."""
    group_bots = {code: bot for code, bot in conn.execute(select(GROUPS.c.code, GROUPS.c.bot)) if bot}
    rows = conn.execute(select(UNITS.c.code, UNITS.c.bot, UNITS.c.groups).order_by(UNITS.c.id)).all()
    used: dict[str, list[str]] = {}
    for code, bot in effective_bots({r.code: (r.bot, list(r.groups or [])) for r in rows}, group_bots).items():
        if bot:
            used.setdefault(bot, []).append(code)
    return used


def bot_of_official(conn: Connection, official_id: int) -> str:
    """The bot an official links through: the bot of their first unit that has one ("" for the default)."""
    bots = unit_bots(conn)
    units = conn.execute(
        select(MEMBERS.c.unit_id).where(MEMBERS.c.official_id == official_id).order_by(MEMBERS.c.unit_id)
    ).scalars()
    return next((bots[u] for u in units if bots.get(u)), "")
