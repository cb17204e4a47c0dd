"""What `nhacviec status` checks on the database side: reachable, migrations current, the last tick, the outbox.

The ticker records each tick under the `last_tick` key of `register_meta` (when it started, how long it
took, what it did, which process), so that another process — the Docker health check — can tell whether
the clock is still ticking. Channels (getMe) are checked by `bot/status.py`, which `scheduler` never imports.
"""

from __future__ import annotations

import os
import socket
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, insert, inspect, select, text, update
from sqlalchemy.exc import SQLAlchemyError

from scheduler.db import head_revision, where
from scheduler.register.models import MESSAGES, META, REMINDERS, ReminderState

LAST_TICK = "last_tick"
# A tick runs every minute; one missed is tolerated (a long morning), three are not.
TICK_STALE_AFTER = timedelta(minutes=3)
# A row stays in `sending` for the length of one send; much longer means a stuck process.
SENDING_STALE_AFTER = timedelta(minutes=10)


def record_tick(engine: Engine, started: datetime, seconds: float, summary: dict[str, int]) -> None:
    """Write the `last_tick` record (wall-clock time, whatever the ticker's clock); called after each tick."""
    value: dict[str, Any] = {
        "at": started.isoformat(),
        "seconds": round(seconds, 3),
        "pid": os.getpid(),
        "host": socket.gethostname(),
        **summary,
    }
    with engine.begin() as conn:
        done = conn.execute(update(META).where(META.c.key == LAST_TICK).values(value=value)).rowcount
        if not done:
            conn.execute(insert(META).values(key=LAST_TICK, value=value))


@dataclass
class Check:
    """One line of the status: a name, healthy or not, a Vietnamese sentence, and figures for --json."""

    name: str
    ok: bool
    text: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def database_checks(engine: Engine, now: datetime | None = None) -> list[Check]:
    """Database reachable and current, the last tick, and the outbox by state. Never raises."""
    try:
        with engine.connect() as conn:
            current = (
                set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
                if inspect(conn).has_table("alembic_version")
                else set()
            )
    except SQLAlchemyError as exc:
        reason = (str(getattr(exc, "orig", None) or exc).splitlines() or ["?"])[0]
        return [Check("database", False, f"không kết nối được cơ sở dữ liệu: {reason}")]
    head = head_revision()
    heads = [head] if head else []
    migrated = bool(heads) and current == set(heads)
    checks = [
        Check(
            "database",
            migrated,
            f"cơ sở dữ liệu kết nối được, lược đồ mới nhất ({where(engine)})"
            if migrated
            else f"lược đồ chưa nâng cấp (đang {', '.join(current) or 'trống'}, cần {', '.join(heads)}): lệnh đầu tiên "
            "dùng cơ sở dữ liệu (vd. nhacviec import data/register.yaml, hay nhacviec run) tự nâng cấp",
            {"revision": sorted(current), "head": sorted(heads), "dialect": engine.dialect.name},
        )
    ]
    if not migrated:
        return checks
    now = now or datetime.now(UTC)
    checks.append(_tick_check(engine, now))
    checks.append(_outbox_check(engine, now))
    return checks


def _tick_check(engine: Engine, now: datetime) -> Check:
    with engine.connect() as conn:
        value = conn.execute(select(META.c.value).where(META.c.key == LAST_TICK)).scalar()
    if not isinstance(value, dict) or "at" not in value:
        return Check("tick", False, "đồng hồ chưa chạy lần nào (nhacviec run chưa chạy?)")
    at = datetime.fromisoformat(value["at"])
    age = (now - at).total_seconds()
    ok = age <= TICK_STALE_AFTER.total_seconds()
    text = f"lần chạy gần nhất {_ago(age)} trước, mất {value.get('seconds', 0):.1f} giây"
    if not ok:
        text += f" — quá {TICK_STALE_AFTER.seconds // 60} phút: đồng hồ đã dừng?"
    return Check("tick", ok, text, {**value, "age_seconds": round(age, 1)})


def _outbox_check(engine: Engine, now: datetime) -> Check:
    day_ago = now - timedelta(days=1)
    data: dict[str, Any] = {}
    planned = sending = failed = 0
    oldest: datetime | None = None
    with engine.connect() as conn:
        for name, table in (("reminders", REMINDERS), ("messages", MESSAGES)):
            counts: dict[str, int] = dict(
                conn.execute(
                    select(table.c.state, func.count())
                    .where(table.c.state.in_((ReminderState.planned.value, ReminderState.sending.value)))
                    .group_by(table.c.state)
                ).all()
            )
            due = conn.execute(
                select(func.count()).where(table.c.state == ReminderState.planned.value, table.c.send_after <= now)
            ).scalar_one()
            first_claim = conn.execute(
                select(func.min(table.c.claimed_at)).where(table.c.state == ReminderState.sending.value)
            ).scalar()
            failed_day = conn.execute(
                select(func.count()).where(table.c.state == ReminderState.failed.value, table.c.claimed_at >= day_ago)
            ).scalar_one()
            data[name] = {
                "planned": counts.get(ReminderState.planned.value, 0),
                "planned_due": due,
                "sending": counts.get(ReminderState.sending.value, 0),
                "failed_last_day": failed_day,
            }
            planned += data[name]["planned"]
            sending += data[name]["sending"]
            failed += failed_day
            if first_claim is not None:
                first_claim = _aware(first_claim)
                oldest = first_claim if oldest is None else min(oldest, first_claim)
    oldest_age = (now - oldest).total_seconds() if oldest is not None else None
    data["oldest_sending_seconds"] = round(oldest_age, 1) if oldest_age is not None else None
    ok = oldest_age is None or oldest_age <= SENDING_STALE_AFTER.total_seconds()
    text = f"hàng gửi: {planned} chờ gửi, {sending} đang gửi"
    if oldest_age is not None:
        text += f" (lâu nhất {_ago(oldest_age)})"
    text += f", {failed} thất bại trong 24 giờ qua"
    if not ok:
        text += f" — có tin kẹt ở 'đang gửi' quá {SENDING_STALE_AFTER.seconds // 60} phút"
    return Check("outbox", ok, text, data)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _ago(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} giây"
    if seconds < 7200:
        return f"{seconds / 60:.0f} phút"
    return f"{seconds / 3600:.1f} giờ"
