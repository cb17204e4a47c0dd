"""A unit's group chat: one recipient for the whole unit, so that its reminders go once to the group.

The group is kept as a recipient of its own — an official row with a code no register file can write
(`@nhom:<unit id>`), member of that unit only, linked to the group chat — so the planner, the outbox and
the dispatcher treat it like anyone else (one message a morning, the group limit of 20 a minute, a
migrated group followed, a removed bot unlinked). While the group is linked, the unit's members get no
private reminders for that unit unless they asked for them too (`private_too`). In the group, each
message is attributed to the person who wrote it, never to the group.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, insert, select, update

from scheduler.register.models import CHATS, MEMBERS, OFFICIALS, SETTINGS, UNITS, Role

PREFIX = "@nhom:"


def is_group_recipient(code: str) -> bool:
    """True for the stand-in of a unit's group chat (never an official of the register file)."""
    return code.startswith(PREFIX)


def group_recipient(engine: Engine, unit_id: int) -> int:
    """The id of the unit's group-chat recipient, created on first use."""
    code = f"{PREFIX}{unit_id}"
    with engine.begin() as conn:
        found = conn.execute(select(OFFICIALS.c.id).where(OFFICIALS.c.code == code)).scalar()
        if found is not None:
            return int(found)
        name = conn.execute(select(UNITS.c.name).where(UNITS.c.id == unit_id)).scalar_one()
        official_id = conn.execute(
            insert(OFFICIALS)
            .values(code=code, name=f"Nhóm chat {name}", title="nhóm chat của đơn vị", role=Role.member.value)
            .returning(OFFICIALS.c.id)
        ).scalar_one()
        conn.execute(insert(MEMBERS).values(official_id=official_id, unit_id=unit_id))
    return int(official_id)


def unit_of_recipient(engine: Engine, official_id: int) -> tuple[int, str] | None:
    """(unit id, unit name) when this official is a unit's group chat; None for a person."""
    with engine.connect() as conn:
        code = conn.execute(select(OFFICIALS.c.code).where(OFFICIALS.c.id == official_id)).scalar()
        if code is None or not is_group_recipient(code):
            return None
        unit_id = int(code[len(PREFIX) :])
        name = conn.execute(select(UNITS.c.name).where(UNITS.c.id == unit_id)).scalar_one()
    return unit_id, name


def linked_group_units(conn: Connection) -> dict[int, int]:
    """Units whose group chat is linked and active: unit id → the group's recipient id."""
    rows = conn.execute(
        select(OFFICIALS.c.code, OFFICIALS.c.id)
        .join(CHATS, CHATS.c.official_id == OFFICIALS.c.id)
        .where(OFFICIALS.c.code.startswith(PREFIX), CHATS.c.active.is_(True))
        .distinct()
    ).all()
    return {int(code[len(PREFIX) :]): official_id for code, official_id in rows}


def wants_private_too(conn: Connection) -> set[int]:
    """Officials who asked for private reminders beside their unit's group chat."""
    return set(conn.execute(select(SETTINGS.c.official_id).where(SETTINGS.c.private_too.is_(True))).scalars())


def chat_moved(engine: Engine, channel: str, old: str, new: str) -> int:
    """A group became a supergroup: every link to the old chat id follows the new one."""
    with engine.begin() as conn:
        result = conn.execute(
            update(CHATS).where(CHATS.c.channel == channel, CHATS.c.chat_id == old).values(chat_id=new)
        )
    return result.rowcount or 0


def chat_gone(engine: Engine, channel: str, chat_id: str) -> int:
    """The bot left or was removed from a chat: its links end (a new invite links it again)."""
    with engine.begin() as conn:
        result = conn.execute(
            update(CHATS).where(CHATS.c.channel == channel, CHATS.c.chat_id == chat_id).values(active=False)
        )
    return result.rowcount or 0
