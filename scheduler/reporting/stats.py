"""Statistics by unit for a period, counted the way Vietnamese task-tracking reports count them.

One function, `statistics`, serves the bot's /report, the CLI, the Excel report and the Monday
digest, so every place shows the same numbers.

How an assignment is counted (seen on the day `today`):
- it belongs to a period when its *original* deadline (the one the document set) falls in the period,
  so an extension does not move a task out of the quarter that gave it;
- cancelled assignments are not counted;
- its column is its state on that day, as `scheduler.register.state` defines it (done on time, done late,
  in progress, not started, overdue, and for a recurring event nobody confirmed, not reported);
- extended: its deadline was moved by an approved extension (counted besides its state);
- the on-time rate is done on time ÷ the assignments already due (or closed) on that day; an event not
  reported is not in it (it is neither late work nor a met deadline).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select

from scheduler.collation import vietnamese_key
from scheduler.register.models import ASSIGNMENTS, GROUPS, TASKS, UNITS, Status, TaskKind
from scheduler.register.state import State, extended, local_day, state_case, state_of

BUCKETS = ("done_on_time", "done_late", "in_progress", "not_started", "overdue", "not_reported")
BUCKET_LABELS = {
    "done_on_time": "Xong đúng hạn",
    "done_late": "Xong trễ hạn",
    "in_progress": "Đang làm, trong hạn",
    "not_started": "Chưa bắt đầu",
    "overdue": "Quá hạn",
    "not_reported": "Chưa báo cáo",
}
# The report's column of each state (the state `open` is the column "not started").
_BUCKET_OF_STATE = {State.open: "not_started"}


class PeriodError(ValueError):
    """A period that is not `2022-04`, `2022-Q2`, `2022` or a day `2022-04-30`."""


@dataclass(frozen=True)
class Period:
    """A month, a quarter, a year or a day: first and last day, both inclusive."""

    key: str
    first: date
    last: date

    @property
    def label(self) -> str:
        """The period in Vietnamese: 'tháng 4/2022', 'quý 2/2022', 'năm 2022', 'ngày 30/04/2022'."""
        if re.fullmatch(r"\d{4}", self.key):
            return f"năm {self.key}"
        if "Q" in self.key:
            return f"quý {self.key[-1]}/{self.key[:4]}"
        if self.first == self.last:
            return f"ngày {self.first:%d/%m/%Y}"
        return f"tháng {self.first.month}/{self.first.year}"


def _month_end(year: int, month: int) -> date:
    return (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)


def parse_period(text: str) -> Period:
    """`2022-04`, `2022-Q2` (or `2022-q2`, `Q2/2022`), `2022`, `2022-04-30` → a Period."""
    raw = text.strip()
    if m := re.fullmatch(r"(\d{4})-?[Qq]([1-4])|[Qq]([1-4])[/-](\d{4})", raw):
        year = int(m.group(1) or m.group(4))
        quarter = int(m.group(2) or m.group(3))
        first = date(year, 3 * quarter - 2, 1)
        return Period(f"{year}-Q{quarter}", first, _month_end(year, 3 * quarter))
    if m := re.fullmatch(r"(\d{4})", raw):
        year = int(m.group(1))
        return Period(raw, date(year, 1, 1), date(year, 12, 31))
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})", raw):
        year, month = int(m.group(1)), int(m.group(2))
        if 1 <= month <= 12:
            return Period(f"{year}-{month:02d}", date(year, month, 1), _month_end(year, month))
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        try:
            day = date.fromisoformat(raw)
        except ValueError as exc:
            raise PeriodError(f"ngày không có thật: {raw!r}") from exc
        return Period(raw, day, day)
    raise PeriodError(f"kỳ báo cáo {raw!r} không hiểu được: hãy viết 2022-04 (tháng), 2022-Q2 (quý), 2022 (năm)")


def period_containing(day: date, kind: str = "quarter") -> Period:
    """The month, quarter or year a day falls in: the default period of a report."""
    if kind == "month":
        return parse_period(f"{day.year}-{day.month:02d}")
    if kind == "year":
        return parse_period(str(day.year))
    return parse_period(f"{day.year}-Q{(day.month - 1) // 3 + 1}")


@dataclass
class UnitStats:
    """The counts of one unit (or of everyone, for the total)."""

    unit_code: str
    unit_name: str
    assigned: int = 0
    done_on_time: int = 0
    done_late: int = 0
    in_progress: int = 0
    not_started: int = 0
    overdue: int = 0
    not_reported: int = 0
    extended: int = 0

    @property
    def due_so_far(self) -> int:
        """Assignments whose outcome is known: closed, or past their deadline."""
        return self.done_on_time + self.done_late + self.overdue

    @property
    def on_time_rate(self) -> float | None:
        """Done on time ÷ already due; None when nothing was due yet."""
        return self.done_on_time / self.due_so_far if self.due_so_far else None

    @property
    def within_deadline(self) -> int:
        """In progress or not started, deadline not passed: 'đang thực hiện trong hạn'."""
        return self.in_progress + self.not_started

    def add(self, bucket: str, extended: bool, count: int = 1) -> None:
        self.assigned += count
        setattr(self, bucket, getattr(self, bucket) + count)
        self.extended += count if extended else 0

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {f.name: getattr(self, f.name) for f in fields(self)}
        data["on_time_rate"] = self.on_time_rate
        return data


@dataclass
class Statistics:
    """The report of one period seen on one day: units worst first, and the total."""

    period: Period
    today: date
    units: list[UnitStats] = field(default_factory=list)
    total: UnitStats = field(default_factory=lambda: UnitStats("", "Tổng cộng"))

    def to_json(self) -> dict[str, object]:
        return {
            "period": self.period.key,
            "first": self.period.first.isoformat(),
            "last": self.period.last.isoformat(),
            "today": self.today.isoformat(),
            "total": self.total.to_json(),
            "units": [u.to_json() for u in self.units],
        }


def bucket_of(
    status: str, percent: int, due: date, done_at: datetime | None, today: date, event: bool = False
) -> str | None:
    """Which column of the report an assignment falls in on `today`: its state; None for a cancelled one."""
    state = state_of(status, due, done_at, today, percent, event)
    if state == State.cancelled:
        return None
    return _BUCKET_OF_STATE.get(state, state.value)


def worst_first(unit: UnitStats) -> tuple[object, ...]:
    """Most overdue first, then the lowest on-time rate, then the most done late."""
    rate = unit.on_time_rate
    return (-unit.overdue, 2.0 if rate is None else rate, -unit.done_late, vietnamese_key(unit.unit_name))


def counted_in(period: Period) -> tuple[Any, ...]:
    """The assignments a period counts: not cancelled, original deadline inside it (see the module's rules)."""
    return (
        ASSIGNMENTS.c.original_due >= period.first,
        ASSIGNMENTS.c.original_due <= period.last,
        ASSIGNMENTS.c.status != Status.cancelled.value,
    )


def statistics(engine: Engine, period: Period, today: date, unit_ids: list[int] | None = None) -> Statistics:
    """The per-unit and total counts of `period` as they stood on `today` (see the module's rules).

    Counted by the database, grouped by the state's SQL form: a province's 100,000 rows never travel.
    """
    state = state_case(today).label("state")
    query = (
        select(ASSIGNMENTS.c.unit_id, state, extended().label("extended"), func.count())
        .join(TASKS, TASKS.c.id == ASSIGNMENTS.c.task_id)
        .where(*counted_in(period))
        .group_by(ASSIGNMENTS.c.unit_id, state, extended())
    )
    if unit_ids is not None:
        query = query.where(ASSIGNMENTS.c.unit_id.in_(unit_ids))
    result = Statistics(period, today)
    by_unit: dict[int, UnitStats] = {}
    with engine.connect() as conn:
        names = {uid: (code, name) for uid, code, name in conn.execute(select(UNITS.c.id, UNITS.c.code, UNITS.c.name))}
        for unit_id, state_value, is_extended, count in conn.execute(query):
            bucket = _BUCKET_OF_STATE.get(State(state_value), state_value)
            unit = by_unit.get(unit_id)
            if unit is None:
                unit = by_unit[unit_id] = UnitStats(*names[unit_id])
            unit.add(bucket, bool(is_extended), count)
            result.total.add(bucket, bool(is_extended), count)
    result.units = sorted(by_unit.values(), key=worst_first)
    return result


@dataclass(frozen=True)
class ReportLine:
    """One assignment of the printed table: what an office hands to the Monday briefing."""

    assignment_id: int
    task_code: str
    title: str
    unit_name: str
    coordinating: tuple[str, ...]
    deadline_text: str
    due: date
    original_due: date
    bucket: str
    percent: int
    done_on: date | None
    note: str


def report_lines(engine: Engine, period: Period, today: date) -> Iterator[ReportLine]:
    """Every counted assignment of the period, by deadline, then task, then unit."""
    with engine.connect() as conn:
        names = dict(conn.execute(select(UNITS.c.code, UNITS.c.name)).all())
        names.update(conn.execute(select(GROUPS.c.code, GROUPS.c.name)).all())
        query = (
            select(
                ASSIGNMENTS.c.id,
                TASKS.c.code,
                TASKS.c.title,
                UNITS.c.name,
                TASKS.c.coordinating,
                TASKS.c.deadline_text,
                ASSIGNMENTS.c.due,
                ASSIGNMENTS.c.original_due,
                ASSIGNMENTS.c.status,
                ASSIGNMENTS.c.percent,
                ASSIGNMENTS.c.done_at,
                ASSIGNMENTS.c.note,
                TASKS.c.kind,
            )
            .join(TASKS, TASKS.c.id == ASSIGNMENTS.c.task_id)
            .join(UNITS, UNITS.c.id == ASSIGNMENTS.c.unit_id)
            .where(*counted_in(period))
            .order_by(ASSIGNMENTS.c.original_due, TASKS.c.code, UNITS.c.name, ASSIGNMENTS.c.id)
            .execution_options(yield_per=5000)
        )
        for (
            a_id,
            code,
            title,
            unit,
            coord,
            deadline_text,
            due,
            original,
            status,
            percent,
            done_at,
            note,
            kind,
        ) in conn.execute(query):
            bucket = bucket_of(status, percent, due, done_at, today, kind == TaskKind.event)
            assert bucket is not None
            done_on = local_day(done_at) if done_at is not None and bucket.startswith("done") else None
            yield ReportLine(
                a_id,
                code,
                title,
                unit,
                tuple(names.get(c, c) for c in coord or ()),
                deadline_text,
                due,
                original,
                bucket,
                percent,
                done_on,
                note,
            )
