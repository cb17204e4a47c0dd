"""Who may do what: members act on their own units' assignments; leaders and admins on all."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select

from scheduler.register.models import MEMBERS, OFFICIALS, Role


@dataclass(frozen=True)
class Person:
    """An official as the conversation needs them."""

    id: int
    code: str
    name: str
    title: str
    role: str
    unit_ids: frozenset[int]

    @property
    def sees_everything(self) -> bool:
        return self.role in (Role.leader.value, Role.admin.value)

    @property
    def decides_extensions(self) -> bool:
        return self.role in (Role.leader.value, Role.admin.value)

    def may_act_on(self, unit_id: int) -> bool:
        """A member changes only the assignments of their own units."""
        return self.sees_everything or unit_id in self.unit_ids


def load_person(engine: Engine, official_id: int) -> Person | None:
    with engine.connect() as conn:
        row = conn.execute(select(OFFICIALS).where(OFFICIALS.c.id == official_id)).mappings().first()
        if row is None:
            return None
        units = frozenset(conn.execute(select(MEMBERS.c.unit_id).where(MEMBERS.c.official_id == official_id)).scalars())
    return Person(row["id"], row["code"], row["name"], row["title"], row["role"], units)
