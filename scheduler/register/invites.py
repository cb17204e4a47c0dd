"""Single-use, expiring invite codes that link a chat to an official. Only a hash of the code is stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, insert, select, update

from scheduler.clock import LOCAL_TZ, Clock
from scheduler.register.links import link_chat
from scheduler.register.models import CHATS, INVITE_ATTEMPTS, INVITES, OFFICIALS, Role

VALID_FOR = timedelta(days=7)
MAX_FAILURES = 5  # wrong codes one chat may try …
FAILURE_WINDOW = timedelta(hours=1)  # … in this long (codes are 96 random bits: this only stops a flood)


class InviteError(ValueError):
    """The code cannot be used; the message says why, politely."""


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().encode()).hexdigest()


def create_invite(engine: Engine, official_id: int, clock: Clock, role: str | None = None) -> str:
    """A fresh code for one official, valid 7 days; printed once, never stored in clear."""
    if role is not None and role not in [r.value for r in Role]:
        raise InviteError(f"vai trò {role!r} không có; chọn: {', '.join(r.value for r in Role)}")
    code = secrets.token_urlsafe(12)
    now = clock.now()
    with engine.begin() as conn:
        conn.execute(
            insert(INVITES).values(
                official_id=official_id, code_hash=_hash(code), role=role, created_at=now, expires_at=now + VALID_FOR
            )
        )
    return code


def _recent_failures(conn: Connection, channel: str, chat_id: str, since: datetime) -> list[datetime]:
    return list(
        conn.execute(
            select(INVITE_ATTEMPTS.c.at)
            .where(
                INVITE_ATTEMPTS.c.channel == channel,
                INVITE_ATTEMPTS.c.chat_id == chat_id,
                INVITE_ATTEMPTS.c.at > since,
            )
            .order_by(INVITE_ATTEMPTS.c.at)
        ).scalars()
    )


def check_invite(engine: Engine, code: str, channel: str, chat_id: str, clock: Clock) -> tuple[str, int]:
    """The code's hash and official, without spending it. A chat gets `MAX_FAILURES` wrong codes an hour."""
    now = clock.now()
    digest = _hash(code)
    with engine.connect() as conn:
        failures = _recent_failures(conn, channel, chat_id, now - FAILURE_WINDOW)
        if len(failures) >= MAX_FAILURES:
            again = (failures[0] + FAILURE_WINDOW).astimezone(LOCAL_TZ)
            raise InviteError(
                f"chat này đã nhập sai mã mời {MAX_FAILURES} lần trong một giờ. Xin đợi đến {again:%H:%M} rồi thử "
                "lại, hoặc xin Văn phòng Đảng ủy một mã mới."
            )
        rows = conn.execute(select(INVITES).where(INVITES.c.code_hash == digest)).mappings().all()
    found = next((r for r in rows if hmac.compare_digest(r["code_hash"], digest)), None)
    problem = None
    if found is None:
        problem = "mã mời không đúng. Hãy kiểm tra lại hoặc xin Văn phòng Đảng ủy mã mới."
    elif found["used_at"] is not None:
        problem = "mã mời này đã được dùng. Mỗi mã chỉ dùng một lần; hãy xin mã mới."
    elif found["expires_at"] < now:
        problem = "mã mời đã hết hạn (7 ngày). Hãy xin Văn phòng Đảng ủy mã mới."
    if problem is not None or found is None:
        with engine.begin() as conn:
            conn.execute(insert(INVITE_ATTEMPTS).values(channel=channel, chat_id=chat_id, at=now))
        raise InviteError(problem or "")
    return digest, int(found["official_id"])


def redeem_invite(engine: Engine, code: str, channel: str, chat_id: str, clock: Clock, is_group: bool = False) -> int:
    """Check the code, link the chat to the invite's official and spend it; returns the official's id."""
    digest, _ = check_invite(engine, code, channel, chat_id, clock)
    return redeem_digest(engine, digest, channel, chat_id, clock, is_group)


def redeem_digest(
    engine: Engine,
    digest: str,
    channel: str,
    chat_id: str,
    clock: Clock,
    is_group: bool = False,
    replace: bool = False,
) -> int:
    """Spend a checked code, known by its hash (what a waiting confirmation keeps).

    `replace` first unlinks the chat from the officials it spoke for (the chat changes hands)."""
    now = clock.now()
    with engine.begin() as conn:
        found = conn.execute(select(INVITES).where(INVITES.c.code_hash == digest)).mappings().first()
        if found is None or found["expires_at"] < now:
            raise InviteError("mã mời đã hết hạn. Hãy xin Văn phòng Đảng ủy mã mới.")
        spent = conn.execute(
            update(INVITES)
            .where(INVITES.c.id == found["id"], INVITES.c.used_at.is_(None))
            .values(used_at=now, used_by_chat=f"{channel}:{chat_id}")
        )
        if spent.rowcount != 1:
            raise InviteError("mã mời này vừa được dùng. Hãy xin mã mới.")
        if found["role"]:
            conn.execute(update(OFFICIALS).where(OFFICIALS.c.id == found["official_id"]).values(role=found["role"]))
        if replace:
            conn.execute(
                update(CHATS)
                .where(
                    CHATS.c.channel == channel, CHATS.c.chat_id == chat_id, CHATS.c.official_id != found["official_id"]
                )
                .values(active=False)
            )
    link_chat(engine, found["official_id"], channel, chat_id, clock, is_group=is_group)
    return int(found["official_id"])


def invite_official(engine: Engine, code: str) -> int | None:
    """Whom a code would link, without spending it (None for an unknown code)."""
    with engine.connect() as conn:
        found = conn.execute(select(INVITES.c.official_id).where(INVITES.c.code_hash == _hash(code))).scalar()
    return int(found) if found is not None else None
