"""Read-only questions to the register: a unit's tasks, what is overdue, what is coming."""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Select, func, select

from scheduler.collation import vietnamese_key
from scheduler.folding import fold
from scheduler.register.models import ACTIVE_STATUSES, ASSIGNMENTS, TASKS, UNITS, TaskKind
from scheduler.register.state import PENDING, State, in_state, in_states, state_of


class UnknownUnitError(LookupError):
    """A unit name that matches nothing; the message suggests the closest ones."""


@dataclass(frozen=True)
class AssignmentRow:
    """One unit's task as a person sees it."""

    id: int
    task_code: str
    title: str
    deadline_text: str
    unit_code: str
    unit_name: str
    status: str
    percent: int
    due: date
    original_due: date
    done_at: datetime | None
    kind: str = TaskKind.deadline.value

    def state(self, today: date) -> State:
        return state_of(self.status, self.due, self.done_at, today, self.percent, self.kind == TaskKind.event)

    def to_json(self, today: date) -> dict[str, object]:
        return {
            "id": self.id,
            "task": self.task_code,
            "title": self.title,
            "deadline": self.deadline_text,
            "unit": self.unit_code,
            "unit_name": self.unit_name,
            "status": self.status,
            "state": self.state(today).value,
            "percent": self.percent,
            "due": self.due.isoformat(),
            "original_due": self.original_due.isoformat(),
            "days_left": (self.due - today).days,
            "done_at": self.done_at.isoformat() if self.done_at else None,
        }


def _base() -> Select:
    return (
        select(
            ASSIGNMENTS.c.id,
            TASKS.c.code,
            TASKS.c.title,
            TASKS.c.deadline_text,
            UNITS.c.code,
            UNITS.c.name,
            ASSIGNMENTS.c.status,
            ASSIGNMENTS.c.percent,
            ASSIGNMENTS.c.due,
            ASSIGNMENTS.c.original_due,
            ASSIGNMENTS.c.done_at,
            TASKS.c.kind,
        )
        .join(TASKS, TASKS.c.id == ASSIGNMENTS.c.task_id)
        .join(UNITS, UNITS.c.id == ASSIGNMENTS.c.unit_id)
        .order_by(ASSIGNMENTS.c.due, UNITS.c.code, ASSIGNMENTS.c.id)
    )


def _rows(engine: Engine, query: Select) -> list[AssignmentRow]:
    with engine.connect() as conn:
        return [AssignmentRow(*row) for row in conn.execute(query)]


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold().strip()


def _name_of(units: Any, unit_id: int) -> str:
    return next(str(name) for uid, _code, name, _aliases in units if uid == unit_id)


def find_unit_id(engine: Engine, text: str) -> int:
    """A unit by code, name or alias (any case); raises UnknownUnitError with suggestions."""
    wanted = _fold(text)
    with engine.connect() as conn:
        units = conn.execute(select(UNITS.c.id, UNITS.c.code, UNITS.c.name, UNITS.c.aliases)).all()
    names: dict[str, int] = {}
    for unit_id, code, name, aliases in units:
        for label in (code, name, *aliases):
            names.setdefault(_fold(label), unit_id)
    if wanted in names:
        return names[wanted]
    # part of a name, with or without diacritics: "công đoàn", "cong doan" → "Công đoàn thị trấn"
    words = fold(wanted).split()
    partial = {unit_id for label, unit_id in names.items() if words and all(w in fold(label).split() for w in words)}
    if len(partial) == 1:
        return partial.pop()
    if len(partial) > 1:
        labels = sorted({n for u in partial for n in [_name_of(units, u)]}, key=vietnamese_key)
        raise UnknownUnitError(f"{text!r} khớp nhiều đơn vị: {', '.join(labels[:5])}; hãy ghi rõ hơn")
    close = {names[label] for label in difflib.get_close_matches(wanted, list(names), n=3, cutoff=0.75)}
    shown = ", ".join(sorted((_name_of(units, u) for u in close), key=vietnamese_key))
    hint = f"; có phải: {shown}?" if close else "; xem danh sách bằng lệnh nhacviec tasks"
    raise UnknownUnitError(f"không có đơn vị {text!r}{hint}")


def _in_units(query: Select, unit_id: int | None, unit_ids: Collection[int] | None) -> Select:
    if unit_id is not None:
        query = query.where(ASSIGNMENTS.c.unit_id == unit_id)
    if unit_ids is not None:
        query = query.where(ASSIGNMENTS.c.unit_id.in_(list(unit_ids)))
    return query


def assignment_row(engine: Engine, assignment_id: int) -> AssignmentRow | None:
    """One assignment with its task and unit; None if there is no such id."""
    rows = _rows(engine, _base().where(ASSIGNMENTS.c.id == assignment_id))
    return rows[0] if rows else None


def unit_of(engine: Engine, assignment_id: int) -> int | None:
    """The unit an assignment belongs to: what decides who may act on it."""
    with engine.connect() as conn:
        return conn.execute(select(ASSIGNMENTS.c.unit_id).where(ASSIGNMENTS.c.id == assignment_id)).scalar()


def tasks(
    engine: Engine,
    today: date,
    unit_id: int | None = None,
    state: str | None = None,
    unit_ids: Collection[int] | None = None,
) -> list[AssignmentRow]:
    """Assignments, soonest first; `state` filters by stored status or derived state (e.g. overdue)."""
    query = _in_units(_base(), unit_id, unit_ids)
    if state in ("open", "in_progress", "done", "cancelled"):
        query = query.where(ASSIGNMENTS.c.status == state)
    elif state in ("active", None):
        query = query.where(ASSIGNMENTS.c.status.in_(ACTIVE_STATUSES))
    elif state != "all":
        query = query.where(in_state(State(state), today))
    return _rows(engine, query)


def overdue(
    engine: Engine, today: date, unit_id: int | None = None, unit_ids: Collection[int] | None = None
) -> list[AssignmentRow]:
    """Assignments overdue on `today` (see `scheduler.register.state`), oldest first."""
    query = _base().where(in_state(State.overdue, today))
    return _rows(engine, _in_units(query, unit_id, unit_ids))


def upcoming(
    engine: Engine, today: date, days: int = 7, unit_id: int | None = None, unit_ids: Collection[int] | None = None
) -> list[AssignmentRow]:
    """Assignments still to do on `today` and due from today through `days` days ahead."""
    query = _base().where(
        in_states(PENDING, today),
        ASSIGNMENTS.c.due >= today,
        ASSIGNMENTS.c.due <= today + timedelta(days=days),
    )
    return _rows(engine, _in_units(query, unit_id, unit_ids))


@dataclass(frozen=True)
class UnitOverdue:
    unit_code: str
    unit_name: str
    count: int
    oldest_due: date


def overdue_summary(engine: Engine, today: date) -> list[UnitOverdue]:
    """Per unit: how many assignments are overdue and since when; the most behind first."""
    count = func.count(ASSIGNMENTS.c.id)
    query = (
        select(UNITS.c.code, UNITS.c.name, count, func.min(ASSIGNMENTS.c.due))
        .join(UNITS, UNITS.c.id == ASSIGNMENTS.c.unit_id)
        .join(TASKS, TASKS.c.id == ASSIGNMENTS.c.task_id)
        .where(in_state(State.overdue, today))
        .group_by(UNITS.c.code, UNITS.c.name)
        .order_by(count.desc(), func.min(ASSIGNMENTS.c.due), UNITS.c.code)
    )
    with engine.connect() as conn:
        found = [UnitOverdue(*row) for row in conn.execute(query)]
    return sorted(found, key=lambda u: (-u.count, u.oldest_due, vietnamese_key(u.unit_name)))  # ties: a b c … đ …
