"""Which chats speak for which official."""

from __future__ import annotations

from sqlalchemy import Engine, insert, select, update

from scheduler.clock import Clock
from scheduler.register.models import CHATS, OFFICIALS


class UnknownOfficialError(LookupError):
    """No official with that code or name."""


def find_official_id(engine: Engine, code_or_name: str) -> int:
    """An official by code, or by exact name (case-insensitive)."""
    wanted = code_or_name.strip()
    with engine.connect() as conn:
        found = conn.execute(select(OFFICIALS.c.id).where(OFFICIALS.c.code == wanted)).scalar()
        if found is None:
            rows = conn.execute(select(OFFICIALS.c.id, OFFICIALS.c.name)).all()
            matches = [i for i, name in rows if name.casefold() == wanted.casefold()]
            if len(matches) == 1:
                found = matches[0]
    if found is None:
        raise UnknownOfficialError(f"không có cán bộ {code_or_name!r}; dùng mã (vd. ct-cong-doan) hoặc họ tên đầy đủ")
    return int(found)


def link_chat(
    engine: Engine, official_id: int, channel: str, chat_id: str, clock: Clock, is_group: bool = False
) -> None:
    """Make a chat speak for an official (again, if it had been unlinked)."""
    with engine.begin() as conn:
        existing = conn.execute(
            select(CHATS.c.id).where(
                CHATS.c.official_id == official_id, CHATS.c.channel == channel, CHATS.c.chat_id == chat_id
            )
        ).scalar()
        if existing is None:
            conn.execute(
                insert(CHATS).values(
                    official_id=official_id,
                    channel=channel,
                    chat_id=chat_id,
                    is_group=is_group,
                    active=True,
                    linked_at=clock.now(),
                )
            )
        else:
            conn.execute(update(CHATS).where(CHATS.c.id == existing).values(active=True, linked_at=clock.now()))


def officials_of_chat(engine: Engine, channel: str, chat_id: str) -> list[int]:
    """The officials an incoming chat speaks for; empty for an unknown chat."""
    with engine.connect() as conn:
        return [
            r[0]
            for r in conn.execute(
                select(CHATS.c.official_id).where(
                    CHATS.c.channel == channel, CHATS.c.chat_id == chat_id, CHATS.c.active.is_(True)
                )
            )
        ]
