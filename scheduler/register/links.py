"""Which chats speak for which official."""

from __future__ import annotations

import difflib

from sqlalchemy import Engine, insert, select, update

from scheduler.clock import Clock
from scheduler.folding import fold, nfc
from scheduler.register.models import CHATS, OFFICIALS


class UnknownOfficialError(LookupError):
    """No official with that code or name."""


def _plain(text: str) -> str:
    """A name as typed without tones or case: "bui thi k" is "Bùi Thị K"."""
    return " ".join(fold(nfc(text)).split())


def find_official_id(engine: Engine, code_or_name: str) -> int:
    """An official by code, or by full name (case and tones aside); several or none are told apart, with
    the codes to use, because an invite for the wrong person links their phone as someone else."""
    wanted = code_or_name.strip()
    with engine.connect() as conn:
        found = conn.execute(select(OFFICIALS.c.id).where(OFFICIALS.c.code == wanted)).scalar()
        if found is not None:
            return int(found)
        rows = conn.execute(select(OFFICIALS.c.id, OFFICIALS.c.code, OFFICIALS.c.name)).all()
    exact = [r for r in rows if r.name.casefold() == wanted.casefold()]
    plain = exact or [r for r in rows if _plain(r.name) == _plain(wanted)]
    if len(plain) == 1:
        return int(plain[0].id)
    words = set(_plain(wanted).split())
    partial = plain or [r for r in rows if words and words <= set(_plain(r.name).split())]
    if partial:
        listed = ", ".join(f"{r.name} ({r.code})" for r in partial[:8]) + (" …" if len(partial) > 8 else "")
        raise UnknownOfficialError(f"có {len(partial)} cán bộ ứng với {code_or_name!r}: {listed}; dùng mã người cần")
    close = difflib.get_close_matches(_plain(wanted), [_plain(r.name) for r in rows], n=1, cutoff=0.75)
    hint = next((f" Có phải {r.name} ({r.code})?" for r in rows if close and _plain(r.name) == close[0]), "")
    example = f" (vd. {rows[0].code})" if rows else ""
    raise UnknownOfficialError(f"không có cán bộ {code_or_name!r}; dùng mã{example} hoặc họ tên đầy đủ.{hint}")


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
