"""Counts per unit for leaders: done, in progress, open, overdue, and the on-time rate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine, select

from scheduler.models import ASSIGNMENTS, UNITS
from scheduler.status import State, state_of


@dataclass
class UnitCounts:
    unit_code: str
    unit_name: str
    done: int = 0
    done_late: int = 0
    in_progress: int = 0
    open: int = 0
    overdue: int = 0

    @property
    def on_time_rate(self) -> float | None:
        """Done on time ÷ everything already due or done; None when nothing was due yet."""
        due = self.done + self.overdue
        return (self.done - self.done_late) / due if due else None


def unit_report(engine: Engine, today: date) -> list[UnitCounts]:
    """Every unit with assignments, the most behind first."""
    counts: dict[str, UnitCounts] = {}
    query = select(UNITS.c.code, UNITS.c.name, ASSIGNMENTS.c.status, ASSIGNMENTS.c.due, ASSIGNMENTS.c.done_at).join(
        UNITS, UNITS.c.id == ASSIGNMENTS.c.unit_id
    )
    with engine.connect() as conn:
        for code, name, status, due, done_at in conn.execute(query):
            unit = counts.setdefault(code, UnitCounts(code, name))
            state = state_of(status, due, done_at, today)
            if state in (State.done_on_time, State.done_late):
                unit.done += 1
                unit.done_late += state == State.done_late
            elif state == State.overdue:
                unit.overdue += 1
            elif state == State.in_progress:
                unit.in_progress += 1
            elif state == State.open:
                unit.open += 1
    return sorted(counts.values(), key=lambda u: (-u.overdue, u.on_time_rate or 0.0, u.unit_name))
