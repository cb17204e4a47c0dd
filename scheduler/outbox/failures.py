"""What the keeper must fix: deliveries that failed for good, and chats that stopped listening. Newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select

from scheduler.register.models import CHATS, MESSAGES, OFFICIALS, REMINDERS, ReminderState


@dataclass(frozen=True)
class FailedDelivery:
    official_code: str
    official_name: str
    channel: str
    at: datetime | None
    error: str
    rows: int  # outbox rows that went down together (one morning message)


@dataclass(frozen=True)
class UnlinkedChat:
    official_code: str
    official_name: str
    channel: str
    is_group: bool
    linked_at: datetime | None


def failed_deliveries(engine: Engine, limit: int = 20) -> list[FailedDelivery]:
    """Failed reminders and other messages (Monday digests, notices, extension requests), one line per
    person, channel and error, newest first."""
    found: list[FailedDelivery] = []
    with engine.connect() as conn:
        for table in (REMINDERS, MESSAGES):
            at = func.max(func.coalesce(table.c.claimed_at, table.c.send_after))
            query = (
                select(OFFICIALS.c.code, OFFICIALS.c.name, table.c.channel, at, table.c.last_error, func.count())
                .join(OFFICIALS, OFFICIALS.c.id == table.c.official_id)
                .where(table.c.state == ReminderState.failed.value)
                .group_by(OFFICIALS.c.code, OFFICIALS.c.name, table.c.channel, table.c.last_error)
                .order_by(at.desc())
                .limit(limit)
            )
            found += [FailedDelivery(*row) for row in conn.execute(query)]
    found.sort(key=lambda f: f.at.timestamp() if f.at else 0.0, reverse=True)
    return found[:limit]


def unlinked_chats(engine: Engine, limit: int = 20) -> list[UnlinkedChat]:
    """Chats unlinked (blocked, removed from a group, chat gone) whose official has no other chat, newest first."""
    with engine.connect() as conn:
        still = select(CHATS.c.official_id).where(CHATS.c.active.is_(True))
        query = (
            select(OFFICIALS.c.code, OFFICIALS.c.name, CHATS.c.channel, CHATS.c.is_group, CHATS.c.linked_at)
            .join(OFFICIALS, OFFICIALS.c.id == CHATS.c.official_id)
            .where(CHATS.c.active.is_(False), CHATS.c.official_id.not_in(still))
            .order_by(CHATS.c.linked_at.desc(), CHATS.c.id.desc())
            .limit(limit)
        )
        return [UnlinkedChat(*row) for row in conn.execute(query)]


def never_linked(engine: Engine) -> list[tuple[str, str]]:
    """Officials (code, name) who have never linked a chat: they get no reminders until invited."""
    with engine.connect() as conn:
        query = (
            select(OFFICIALS.c.code, OFFICIALS.c.name)
            .where(OFFICIALS.c.id.not_in(select(CHATS.c.official_id)))
            .order_by(OFFICIALS.c.id)
        )
        return [(code, name) for code, name in conn.execute(query)]
