"""`nhacviec status`: is the bot healthy? The database side comes from `scheduler.health`; here each
configured channel (a token in the environment) answers getMe. Exit code 0 when everything is healthy,
1 otherwise — the Dockerfile's HEALTHCHECK runs it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os

import httpx
from sqlalchemy import Engine

from bot.channels.zalo import DEFAULT_API_URL as ZALO_DEFAULT_URL
from scheduler.db import make_engine
from scheduler.health import Check, database_checks
from scheduler.register.bots import api_url_variable, bots_in_use, channel_of_bot, token_variable

TELEGRAM_DEFAULT_URL = "https://api.telegram.org"
CHANNELS = (
    ("telegram", "NHACVIEC_TELEGRAM_TOKEN", "NHACVIEC_TELEGRAM_API_URL", TELEGRAM_DEFAULT_URL),
    ("zalo", "NHACVIEC_ZALO_TOKEN", "NHACVIEC_ZALO_API_URL", ZALO_DEFAULT_URL),
)


async def channel_check(name: str, token: str, base_url: str, timeout: float = 5.0) -> Check:
    """One getMe. The URL holds the token: it is never printed, and httpx's request log stays off."""
    try:
        async with httpx.AsyncClient(timeout=timeout) as http:
            response = await http.post(f"{base_url.rstrip('/')}/bot{token}/getMe", json={})
    except httpx.HTTPError as exc:
        return Check(name, False, f"{name}: không gọi được getMe ({type(exc).__name__})")
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code == 401 or body.get("error_code") == 401:
        return Check(name, False, f"{name}: token bị từ chối (401) — kiểm tra biến token của kênh")
    if response.status_code >= 400 or not body.get("ok"):
        return Check(name, False, f"{name}: getMe trả lỗi {response.status_code}", {"status": response.status_code})
    result = body.get("result") or {}
    who = result.get("username") or result.get("account_name") or result.get("id") or "?"
    return Check(name, True, f"{name}: getMe trả lời, bot {who}", {"bot": str(who)})


def register_bots(engine: Engine) -> list[str]:
    """The bots the register names (scheduler/register/bots.py)."""
    with engine.connect() as conn:
        return sorted(bots_in_use(conn))


def run_status(args: argparse.Namespace) -> int:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    engine = make_engine(args.database, migrate=False)
    try:
        checks = database_checks(engine)
        bots = register_bots(engine) if checks[0].ok else []  # readable even before the first tick
    finally:
        engine.dispose()
    if not args.no_channels:
        wanted = [
            (name, os.environ[token], os.environ.get(url) or default)
            for name, token, url, default in CHANNELS
            if os.environ.get(token)
        ]
        for bot in bots:  # the units' own bots: each must have its token, and its getMe must answer
            name, token = channel_of_bot(bot), os.environ.get(token_variable(bot), "")
            if not token:
                checks.append(Check(name, False, f"{name}: thiếu {token_variable(bot)} (sổ giao bot {bot!r})"))
                continue
            url = os.environ.get(api_url_variable(bot)) or os.environ.get("NHACVIEC_TELEGRAM_API_URL")
            wanted.append((name, token, url or TELEGRAM_DEFAULT_URL))

        async def all_channels() -> list[Check]:
            return list(await asyncio.gather(*(channel_check(*w) for w in wanted)))

        checks += asyncio.run(all_channels())
    healthy = all(c.ok for c in checks)
    if args.json:
        print(json.dumps({"healthy": healthy, "checks": [c.to_json() for c in checks]}, ensure_ascii=False))
    else:
        for check in checks:
            print(f"{'✓' if check.ok else '✗'} {check.text}")
        print("Khỏe." if healthy else "Có vấn đề: xem các dòng ✗ ở trên.")
    return 0 if healthy else 1
