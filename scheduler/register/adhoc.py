"""Ad-hoc assignments: a leader assigns work in one line — "Công đoàn: tổ chức hội nghị CBCC trước 30/6".

The unit is read with the register's names (scheduler.register.unit_names, the extractor's), the deadline
with the one deadline grammar (scheduler.deadlines), the year from today. The task is stored like one from
a document: its words verbatim as the quote, the leader as the issuer, the chat message as the source; a
group ("các chi bộ") gives one assignment per member unit. From then on it is reminded like any other task,
and statistics and exports see it.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine, func, insert, select

from scheduler.clock import Clock, local_today
from scheduler.deadlines import find_deadlines
from scheduler.register.changes import Actor
from scheduler.register.file import Register
from scheduler.register.importer import read_register
from scheduler.register.models import ASSIGNMENTS, EVENTS, TASKS, UNITS, Status, open_assignment
from scheduler.register.unit_names import UnitIndex, key

CODE_PREFIX = "GV-"  # giao việc
_EDGE = " \t,.;:-–—"


class AdhocError(ValueError):
    """The line could not be read as an assignment; the message says what is missing and gives an example."""


EXAMPLE = 'vd. "/giaoviec Công đoàn: tổ chức hội nghị CBCC trước 30/6"'


@dataclass(frozen=True)
class AdhocTask:
    """What the bot understood, shown to the leader before anything is written."""

    lead: str  # a unit or group code
    lead_name: str
    units: tuple[str, ...]  # the unit codes it gives assignments to
    unit_names: tuple[str, ...]
    title: str
    deadline_text: str
    due: date
    quote: str

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["due"] = self.due.isoformat()
        data["units"], data["unit_names"] = list(self.units), list(self.unit_names)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AdhocTask:
        values = {**data, "due": date.fromisoformat(data["due"])}
        values["units"], values["unit_names"] = tuple(data["units"]), tuple(data["unit_names"])
        return cls(**values)


def _unit_at_start(index: UnitIndex, text: str) -> tuple[str, str] | None:
    """The unit or group named by the first words of `text` (longest name first), and the words after it."""
    words = text.split()
    for length in range(min(len(words), index.longest + 2), 0, -1):
        code = index.names.get(key(" ".join(words[:length])))
        if code:
            return code, " ".join(words[length:])
    return None


def _named(index: UnitIndex, text: str) -> str | None:
    """A unit or group by its name or alias, or by the start of one when only one name starts so ("Công đoàn")."""
    wanted = key(text)
    if wanted in index.names:
        return index.names[wanted]
    starting = {code for name, code in index.names.items() if name.startswith(wanted + " ")}
    return starting.pop() if len(starting) == 1 else None


def read_adhoc(engine: Engine, text: str, today: date, register: Register | None = None) -> AdhocTask:
    """Read "<đơn vị>: <việc> <hạn>" (the colon may be left out); AdhocError says what is missing."""
    line = " ".join(text.split())
    if not line:
        raise AdhocError(f"hãy gõ đơn vị, việc và hạn, {EXAMPLE}")
    register = register or read_register(engine)
    index = UnitIndex(register)
    head, colon, tail = line.partition(":")
    found = None
    if colon:
        code = _named(index, head)
        found = (code, tail) if code else None
        if found is None:
            near = index.closest(head)
            hint = f" Có phải: {', '.join(near)}?" if near else ""
            raise AdhocError(f"không thấy đơn vị {head.strip()!r} trong sổ.{hint} {EXAMPLE}")
    else:
        found = _unit_at_start(index, line)
        if found is None:
            raise AdhocError(f"chưa thấy đơn vị nào ở đầu câu. Gõ tên đơn vị rồi dấu hai chấm, {EXAMPLE}")
    lead, rest = found
    deadlines = [d for d in find_deadlines(rest, today) if d.deadline.due is not None]
    if not deadlines:
        raise AdhocError(f'chưa thấy hạn. Thêm hạn vào cuối câu, vd. "trước 30/6", "trong tháng 5". {EXAMPLE}')
    chosen = next((d for d in reversed(deadlines) if not d.weak), deadlines[-1])
    due = chosen.deadline.due
    assert due is not None
    if due < today:
        raise AdhocError(f"hạn {due:%d/%m/%Y} đã qua. Hãy ghi rõ năm nếu là năm sau, vd. 30/6/{today.year + 1}")
    title = (rest[: chosen.start].strip(_EDGE) + " " + rest[chosen.end :].strip(_EDGE)).strip(_EDGE)
    title = re.sub(r"\s+(?:hoàn thành|xong)$", "", title)
    if not title:
        raise AdhocError(f"chưa thấy việc cần làm. {EXAMPLE}")
    units = tuple(register.unit_codes_for([lead]))
    names = {u.code: u.name for u in register.units}
    return AdhocTask(
        lead=lead,
        lead_name=index.labels.get(lead, lead),
        units=units,
        unit_names=tuple(names[u] for u in units),
        title=title[:1].upper() + title[1:],
        deadline_text=chosen.deadline.text,
        due=due,
        quote=line,
    )


def create_adhoc(
    engine: Engine, task: AdhocTask, issuer: Actor, issuer_title: str, clock: Clock
) -> tuple[str, list[int]]:
    """Write the task and one open assignment per unit, with a StatusEvent each naming the issuer and message."""
    now = clock.now()
    today = local_today(clock)
    with engine.begin() as conn:
        prefix = f"{CODE_PREFIX}{today:%Y%m%d}-"
        count = conn.execute(select(func.count()).where(TASKS.c.code.startswith(prefix))).scalar_one()
        code = f"{prefix}{count + 1}"
        source = f"Giao việc qua {issuer.channel.capitalize()} của đồng chí {issuer.name}"
        task_id = conn.execute(
            insert(TASKS)
            .values(
                code=code,
                title=task.title,
                quote=task.quote,
                source_doc=source + (f" ({issuer_title})" if issuer_title else ""),
                source_date=today,
                deadline_text=task.deadline_text,
                due=task.due,
                rrule=None,
                lead=[task.lead],
                coordinating=[],
                note=f"Người giao: {issuer.name}; tin nhắn {issuer.channel} số {issuer.message_id or '?'}",
                reminders=None,
            )
            .returning(TASKS.c.id)
        ).scalar_one()
        unit_ids = dict(conn.execute(select(UNITS.c.code, UNITS.c.id).where(UNITS.c.code.in_(task.units))).all())
        ids = []
        for unit in task.units:
            ids.append(
                conn.execute(
                    insert(ASSIGNMENTS)
                    .values(open_assignment(task_id, unit_ids[unit], task.due, now))
                    .returning(ASSIGNMENTS.c.id)
                ).scalar_one()
            )
        conn.execute(
            insert(EVENTS),
            [
                {
                    "assignment_id": assignment_id,
                    "at": now,
                    "kind": "assigned",
                    "actor": issuer.name,
                    "actor_official_id": issuer.official_id,
                    "channel": issuer.channel,
                    "message_id": issuer.message_id,
                    "old_status": None,
                    "new_status": Status.open.value,
                    "note": f"giao việc trong chat: {task.quote}"[:1000],
                }
                for assignment_id in ids
            ],
        )
    return code, ids
