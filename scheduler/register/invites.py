"""Single-use, expiring invite codes that link a chat to an official. Only a hash of the code is stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import Engine, insert, select, update

from scheduler.clock import Clock
from scheduler.register.links import link_chat
from scheduler.register.models import INVITES, OFFICIALS, Role

VALID_FOR = timedelta(days=7)


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


def redeem_invite(engine: Engine, code: str, channel: str, chat_id: str, clock: Clock, is_group: bool = False) -> int:
    """Link the chat to the invite's official and spend the code; returns the official's id."""
    now = clock.now()
    digest = _hash(code)
    with engine.begin() as conn:
        rows = conn.execute(select(INVITES).where(INVITES.c.code_hash == digest)).mappings().all()
        found = next((r for r in rows if hmac.compare_digest(r["code_hash"], digest)), None)
        if found is None:
            raise InviteError("mã mời không đúng. Hãy kiểm tra lại hoặc xin Văn phòng Đảng ủy mã mới.")
        if found["used_at"] is not None:
            raise InviteError("mã mời này đã được dùng. Mỗi mã chỉ dùng một lần; hãy xin mã mới.")
        if found["expires_at"] < now:
            raise InviteError("mã mời đã hết hạn (7 ngày). Hãy xin Văn phòng Đảng ủy mã mới.")
        spent = conn.execute(
            update(INVITES)
            .where(INVITES.c.id == found["id"], INVITES.c.used_at.is_(None))
            .values(used_at=now, used_by_chat=f"{channel}:{chat_id}")
        )
        if spent.rowcount != 1:
            raise InviteError("mã mời này vừa được dùng. Hãy xin mã mới.")
        if found["role"]:
            conn.execute(update(OFFICIALS).where(OFFICIALS.c.id == found["official_id"]).values(role=found["role"]))
    link_chat(engine, found["official_id"], channel, chat_id, clock, is_group=is_group)
    return int(found["official_id"])
