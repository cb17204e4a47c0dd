"""Import a checked register into the store in one transaction, and read it back out for export.

Re-importing the same file changes nothing. A changed deadline moves the open assignments and is
recorded as a StatusEvent. Nothing is deleted: a unit dropped from a task cancels its assignment,
with a StatusEvent that says why.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, bindparam, insert, select, update

from scheduler.clock import Clock
from scheduler.register.file import (
    GroupSpec,
    OfficialSpec,
    Problem,
    RawRegister,
    Register,
    RegisterError,
    TaskSpec,
    UnitSpec,
    split_list,
    validate,
)
from scheduler.register.limits import size_problems
from scheduler.register.models import (
    ACTIVE_STATUSES,
    ASSIGNMENTS,
    EVENTS,
    GROUPS,
    MEMBERS,
    META,
    OFFICIALS,
    TASKS,
    UNITS,
    Status,
    open_assignment,
)
from scheduler.register.occurrences import MEMO_KEY as OCCURRENCES_MEMO
from scheduler.register.unit_names import key as name_key
from scheduler.register.yaml_format import read_yaml


def read_raw(path: Path) -> RawRegister:
    """What a register file holds, before any checking: `.yaml`/`.yml`, `.xlsx`, or a folder of CSV files."""
    if not path.exists():
        raise RegisterError([Problem(str(path), "không thấy tệp; kiểm tra lại đường dẫn")])
    if path.is_dir():
        from scheduler.register.tables import read_csv_folder  # openpyxl only for tables

        return read_csv_folder(path)
    if path.suffix.lower() in (".yaml", ".yml"):
        return read_yaml(path)
    if path.suffix.lower() == ".xlsx":
        from scheduler.register.tables import read_xlsx

        return read_xlsx(path)
    raise RegisterError([Problem(path.name, "chỉ nhận tệp .yaml, .yml, .xlsx hoặc một thư mục CSV")])


def _split(value: object) -> list[str]:
    """A list field as the register's check reads it: a list, or one text (`split_list`)."""
    if isinstance(value, str):
        return split_list(value)
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _names_to_codes(raw: RawRegister) -> None:
    """«Chủ trì» and «Phối hợp» typed with a unit's or group's name or alias, as a clerk does in a workbook,
    read as its code; a name two units share stays as written and is refused with the codes to choose."""
    codes: dict[str, set[str]] = defaultdict(set)
    known: set[str] = set()
    for section in ("units", "groups"):
        for record in raw.sections.get(section, []):
            code = record.get("code") if isinstance(record, dict) else None
            if not isinstance(code, str):
                continue
            known.add(code)
            for name in [record.get("name"), *_split(record.get("aliases"))]:
                if isinstance(name, str) and name.strip():
                    codes[name_key(name)].add(code)
    for task in raw.sections.get("tasks", []):
        for field_name in ("lead", "coordinating") if isinstance(task, dict) else ():
            written = _split(task.get(field_name))
            read = [ref if ref in known or len(codes.get(name_key(ref), ())) != 1 else min(codes[name_key(ref)])
                    for ref in written]  # fmt: skip
            if read != written:
                task[field_name] = read


def load_register(path: Path, allow_empty: bool = False) -> Register:
    """Read and check a register file: `.yaml`/`.yml`, `.xlsx`, or a folder of CSV files.

    A register with no units and no tasks is refused unless `allow_empty`: an empty or comment-only
    file is far more often a mistake than a wish to import nothing.
    """
    raw = read_raw(path)
    too_big = size_problems(raw)
    if too_big:
        raise RegisterError(too_big)
    _names_to_codes(raw)
    reg = validate(raw)
    if not allow_empty and not reg.units and not reg.tasks:
        raise RegisterError(
            [
                Problem(
                    path.name,
                    "sổ trống: không có đơn vị và nhiệm vụ nào (tệp rỗng, chỉ có chú thích hoặc chỉ có dòng tiêu đề?); "
                    "hãy kiểm tra lại tệp, hoặc thêm --allow-empty nếu thật sự muốn nhập một sổ trống",
                )
            ]
        )
    return reg


@dataclass
class ImportReport:
    """What an import changed; all zeros means the database already held this register."""

    groups_added: int = 0
    groups_updated: int = 0
    units_added: int = 0
    units_updated: int = 0
    officials_added: int = 0
    officials_updated: int = 0
    tasks_added: int = 0
    tasks_updated: int = 0
    assignments_added: int = 0
    deadlines_moved: int = 0
    assignments_cancelled: int = 0
    settings_updated: list[str] = field(default_factory=list)
    tasks_not_in_file: list[str] = field(default_factory=list)
    tasks_changed: list[str] = field(default_factory=list)  # the codes of the tasks the file changes
    units_without_people: list[str] = field(default_factory=list)  # units with work and nobody to remind
    cancelled: list[str] = field(default_factory=list)  # "Q2-20 · Hội Cựu chiến binh thị trấn"

    @property
    def changed(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self) if f.name not in _NOT_CHANGES)

    def summary(self) -> list[str]:
        """Vietnamese lines for the keeper."""
        lines = [
            f"Nhóm: thêm {self.groups_added}, sửa {self.groups_updated}",
            f"Đơn vị: thêm {self.units_added}, sửa {self.units_updated}",
            f"Cán bộ: thêm {self.officials_added}, sửa {self.officials_updated}",
            f"Nhiệm vụ: thêm {self.tasks_added}, sửa {self.tasks_updated}" + _codes(self.tasks_changed),
            f"Giao việc: thêm {self.assignments_added}, dời hạn {self.deadlines_moved}, "
            f"hủy {self.assignments_cancelled}" + _codes(self.cancelled, shown=5),
        ]
        if self.settings_updated:
            names = ", ".join(_SETTING_NAMES[k] for k in self.settings_updated)
            lines.append(f"Thông tin sổ: sửa {names}")
        if not self.changed:
            lines.append("Cơ sở dữ liệu đã có đúng sổ này: không có gì thay đổi.")
        if self.units_without_people:
            alone = self.units_without_people
            lines.append(
                f"{len(alone)} đơn vị có việc nhưng chưa có cán bộ nào để nhắc: {_first(alone)} — thêm cán bộ cho "
                "đơn vị ở mục «Cán bộ» (officials), không thì không ai được nhắc việc của đơn vị đó"
            )
        if self.tasks_not_in_file:
            shown = _first(self.tasks_not_in_file)
            lines.append(
                f"{len(self.tasks_not_in_file)} nhiệm vụ có trong cơ sở dữ liệu nhưng không có trong tệp "
                f"(giữ nguyên): {shown}"
            )
        return lines


_NOT_CHANGES = ("tasks_not_in_file", "tasks_changed", "units_without_people", "cancelled")


def _first(items: list[str], shown: int = 10) -> str:
    """The first items of a long list, and "…" for the rest."""
    return ", ".join(items[:shown]) + (" …" if len(items) > shown else "")


def _codes(codes: list[str], shown: int = 10) -> str:
    """ (Q2-01, Q2-02 …): which ones, so that a keeper sees a task of another document being replaced."""
    return f" ({_first(codes, shown)})" if codes else ""


def _upsert(
    conn: Connection, table: Table, rows: list[dict[str, Any]], key: str = "code"
) -> tuple[dict[str, int], int, list[str]]:
    """Insert new rows and update changed ones, matched on `key`; returns ids by key, how many were added and
    the keys of those changed."""
    columns = [c for c in rows[0] if c != key] if rows else []
    existing = {r[key]: r for r in conn.execute(select(table)).mappings()}
    new = [r for r in rows if r[key] not in existing]
    changed = [
        {**r, "_id": existing[r[key]]["id"]}
        for r in rows
        if r[key] in existing and any(existing[r[key]][c] != r[c] for c in columns)
    ]
    if new:
        conn.execute(insert(table), new)
    if changed:
        conn.execute(
            update(table).where(table.c.id == bindparam("_id")).values({c: bindparam(c) for c in columns}), changed
        )
    ids = {r[key]: r["id"] for r in conn.execute(select(table.c.id, table.c[key])).mappings()}
    return ids, len(new), [r[key] for r in changed]


def import_register(
    engine: Engine, reg: Register, clock: Clock, actor: str = "import", *, dry_run: bool = False
) -> ImportReport:
    """Write a checked register in one transaction; on any error nothing is written. With `dry_run` the
    transaction is rolled back: the report says what an import would change (`import --check`)."""
    with engine.connect() as conn:
        transaction = conn.begin()
        report = _write_register(conn, reg, clock.now(), actor)
        if dry_run:
            transaction.rollback()
        else:
            transaction.commit()
    return report


def _write_register(conn: Connection, reg: Register, now: datetime, actor: str) -> ImportReport:
    report = ImportReport()
    _, report.groups_added, groups = _upsert(
        conn, GROUPS, [{"code": g.code, "name": g.name, "aliases": g.aliases, "bot": g.bot} for g in reg.groups]
    )
    unit_ids, report.units_added, units = _upsert(
        conn,
        UNITS,
        [
            {"code": u.code, "name": u.name, "kind": u.kind, "aliases": u.aliases, "groups": u.groups, "bot": u.bot}
            for u in reg.units
        ],
    )
    official_ids, report.officials_added, officials = _upsert(
        conn, OFFICIALS, [{"code": o.code, "name": o.name, "title": o.title, "role": o.role} for o in reg.officials]
    )
    report.groups_updated, report.units_updated = len(groups), len(units)
    memberships = _sync_memberships(conn, reg, unit_ids, official_ids, report.officials_added)
    report.officials_updated = len(officials) + memberships
    task_ids, report.tasks_added, report.tasks_changed = _upsert(conn, TASKS, [_task_row(t) for t in reg.tasks])
    report.tasks_updated = len(report.tasks_changed)
    _sync_assignments(conn, reg, unit_ids, task_ids, now, actor, report)
    report.settings_updated = _write_meta(conn, reg)
    conn.execute(META.delete().where(META.c.key == OCCURRENCES_MEMO))  # routines may have changed
    report.units_without_people = _units_without_people(conn)
    in_file = {t.code for t in reg.tasks}
    report.tasks_not_in_file = sorted(code for code in task_ids if code not in in_file)
    return report


def _task_row(task: TaskSpec) -> dict[str, Any]:
    return {
        "code": task.code,
        "title": task.title,
        "quote": task.quote,
        "source_doc": task.source_doc,
        "source_date": task.source_date,
        "deadline_text": task.deadline_text,
        "due": task.due,
        "rrule": task.rrule,
        "kind": task.kind,
        "lead": task.lead,
        "coordinating": task.coordinating,
        "note": task.note,
        "reminders": task.reminders,
    }


def _units_without_people(conn: Connection) -> list[str]:
    """Units that have work to do and no official of theirs: their reminders would reach nobody."""
    staffed = select(MEMBERS.c.unit_id)
    busy = select(ASSIGNMENTS.c.unit_id).where(ASSIGNMENTS.c.status.in_(ACTIVE_STATUSES))
    query = select(UNITS.c.name).where(UNITS.c.id.in_(busy), UNITS.c.id.not_in(staffed)).order_by(UNITS.c.id)
    return list(conn.execute(query).scalars())


def _sync_memberships(
    conn: Connection, reg: Register, unit_ids: dict[str, int], official_ids: dict[str, int], added: int
) -> int:
    """Make each official of the file belong to exactly the units the file lists; returns officials changed."""
    current: dict[int, set[int]] = defaultdict(set)
    for official_id, unit_id in conn.execute(select(MEMBERS.c.official_id, MEMBERS.c.unit_id)):
        current[official_id].add(unit_id)
    changed = 0
    to_add: list[dict[str, int]] = []
    to_remove: list[dict[str, int]] = []
    for official in reg.officials:
        oid = official_ids[official.code]
        wanted = {unit_ids[u] for u in official.units}
        had = current.get(oid, set())
        if wanted != had:
            changed += 1 if had else 0
            to_add += [{"official_id": oid, "unit_id": u} for u in wanted - had]
            to_remove += [{"o": oid, "u": u} for u in had - wanted]
    if to_add:
        conn.execute(insert(MEMBERS), to_add)
    if to_remove:
        conn.execute(
            MEMBERS.delete().where((MEMBERS.c.official_id == bindparam("o")) & (MEMBERS.c.unit_id == bindparam("u"))),
            to_remove,
        )
    return changed


def _sync_assignments(
    conn: Connection,
    reg: Register,
    unit_ids: dict[str, int],
    task_ids: dict[str, int],
    now: Any,
    actor: str,
    report: ImportReport,
) -> None:
    """Give every lead unit its assignment, follow changed deadlines, cancel units no longer assigned."""
    latest: dict[int, dict[int, dict[str, Any]]] = defaultdict(dict)
    for found in conn.execute(select(ASSIGNMENTS).order_by(ASSIGNMENTS.c.original_due)).mappings():
        latest[found["task_id"]][found["unit_id"]] = dict(found)
    new_rows: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    dropped: list[tuple[str, int]] = []
    for task in reg.tasks:
        task_id = task_ids[task.code]
        first_due = reg.first_due(task)
        wanted = {unit_ids[c] for c in reg.unit_codes_for(task.lead)}
        current = latest.get(task_id, {})
        for unit_id in sorted(wanted):
            row = current.get(unit_id)
            if row is None:
                if first_due is not None:
                    new_rows.append(open_assignment(task_id, unit_id, first_due, now))
                    if len(new_rows) >= _BATCH:  # bounded memory on province-scale registers
                        report.assignments_added += len(new_rows)
                        conn.execute(insert(ASSIGNMENTS), new_rows)
                        new_rows = []
                continue
            change = {
                "_id": row["id"],
                "status": row["status"],
                "note": row["note"],
                "original_due": row["original_due"],
                "due": row["due"],
                "updated_at": now,
            }
            if row["status"] == Status.cancelled.value and row["note"] == _DROPPED:
                change.update(status=Status.open.value, note="")
                events.append(
                    _event(
                        row,
                        now,
                        actor,
                        "status",
                        old_status=row["status"],
                        new_status=Status.open.value,
                        note="Đơn vị được giao lại nhiệm vụ này trong sổ",
                    )
                )
            if task.rrule is None and task.due is not None and row["original_due"] != task.due:
                new_due = _moved_due(row, task.due)
                change.update(original_due=task.due, due=new_due)
                report.deadlines_moved += 1
                events.append(
                    _event(
                        row,
                        now,
                        actor,
                        "deadline_changed",
                        old_due=row["due"],
                        new_due=new_due,
                        note=f"Thời hạn trong sổ đổi: {row['original_due']:%d/%m/%Y} → {task.due:%d/%m/%Y}",
                    )
                )
            if any(change[k] != row[k] for k in ("status", "original_due", "due")):
                changes.append(change)
        for unit_id, row in current.items():
            if unit_id not in wanted and row["status"] in ACTIVE_STATUSES:
                report.assignments_cancelled += 1
                dropped.append((task.code, unit_id))
                changes.append(
                    {
                        "_id": row["id"],
                        "status": Status.cancelled.value,
                        "note": _DROPPED,
                        "original_due": row["original_due"],
                        "due": row["due"],
                        "updated_at": now,
                    }
                )
                events.append(
                    _event(
                        row,
                        now,
                        actor,
                        "status",
                        old_status=row["status"],
                        new_status=Status.cancelled.value,
                        note=_DROPPED,
                    )
                )
    if new_rows:
        conn.execute(insert(ASSIGNMENTS), new_rows)
    if changes:
        conn.execute(
            update(ASSIGNMENTS)
            .where(ASSIGNMENTS.c.id == bindparam("_id"))
            .values({c: bindparam(c) for c in ("status", "note", "original_due", "due", "updated_at")}),
            changes,
        )
    if events:
        conn.execute(insert(EVENTS), events)
    report.assignments_added += len(new_rows)
    if dropped:  # which ones, so the keeper sees a row deleted by mistake
        units = select(UNITS.c.id, UNITS.c.name).where(UNITS.c.id.in_({u for _, u in dropped}))
        names = dict(conn.execute(units).all())
        report.cancelled = [f"{code} · {names.get(unit_id, unit_id)}" for code, unit_id in dropped]


_BATCH = 20_000
_DROPPED = "Đơn vị không còn được giao nhiệm vụ này trong sổ"


def _moved_due(row: dict[str, Any], new_original: date) -> date:
    """A new register deadline replaces the old one, but never cuts short an extension already granted."""
    extended = row["due"] > row["original_due"]
    return max(new_original, row["due"]) if extended else new_original


def _event(row: dict[str, Any], now: Any, actor: str, kind: str, **values: Any) -> dict[str, Any]:
    base = {
        "assignment_id": row["id"],
        "at": now,
        "kind": kind,
        "actor": actor,
        "channel": "import",
        "actor_official_id": None,
        "message_id": None,
        "old_status": None,
        "new_status": None,
        "old_due": None,
        "new_due": None,
        "percent": None,
        "note": "",
    }
    base.update(values)
    return base


_SETTING_NAMES = {
    "title": "tên sổ",
    "source_doc": "văn bản nguồn",
    "source_date": "ngày văn bản",
    "reminders": "lịch nhắc",
}


def _write_meta(conn: Connection, reg: Register) -> list[str]:
    """Write the settings the file gives (a file that leaves one out keeps it); returns those changed."""
    wanted: dict[str, Any] = {
        "title": reg.title,
        "source_doc": reg.source_doc,
        "source_date": reg.source_date.isoformat() if reg.source_date else None,
        "reminders": reg.reminders,
    }
    if reg.settings_given is not None:
        wanted = {k: v for k, v in wanted.items() if k in reg.settings_given}
    existing = {r.key: r.value for r in conn.execute(select(META.c.key, META.c.value))}
    changed = []
    for key, value in wanted.items():
        if key not in existing:
            conn.execute(insert(META).values(key=key, value=value))
        elif existing[key] != value:
            conn.execute(update(META).where(META.c.key == key).values(value=value))
        else:
            continue
        if existing.get(key) != value:
            changed.append(key)
    return changed


def read_register(engine: Engine) -> Register:
    """The register as the database holds it, in the order it was imported; the export format."""
    with engine.connect() as conn:
        meta = {r.key: r.value for r in conn.execute(select(META.c.key, META.c.value))}
        unit_codes = {r.id: r.code for r in conn.execute(select(UNITS.c.id, UNITS.c.code))}
        memberships: dict[int, list[str]] = defaultdict(list)
        for r in conn.execute(select(MEMBERS.c.official_id, MEMBERS.c.unit_id).order_by(MEMBERS.c.unit_id)):
            memberships[r.official_id].append(unit_codes[r.unit_id])
        source_date = meta.get("source_date")
        reg = Register(
            title=meta.get("title") or "",
            source_doc=meta.get("source_doc") or "",
            source_date=date.fromisoformat(source_date) if source_date else None,
            reminders=meta.get("reminders"),
        )
        reg.groups = [
            GroupSpec(r.code, r.name, list(r.aliases), r.bot)
            for r in conn.execute(select(GROUPS).order_by(GROUPS.c.id))
        ]
        reg.units = [
            UnitSpec(r.code, r.name, r.kind, list(r.aliases), list(r.groups), r.bot)
            for r in conn.execute(select(UNITS).order_by(UNITS.c.id))
        ]
        reg.officials = [
            OfficialSpec(r.code, r.name, r.title, r.role, memberships.get(r.id, []))
            for r in conn.execute(select(OFFICIALS).order_by(OFFICIALS.c.id))
            if not r.code.startswith("@")  # a unit's group chat (scheduler.register.unit_chats), not a person
        ]
        reg.tasks = [
            TaskSpec(
                code=r.code,
                title=r.title,
                lead=list(r.lead),
                deadline_text=r.deadline_text,
                due=r.due,
                rrule=r.rrule,
                quote=r.quote,
                source_doc=r.source_doc,
                source_date=r.source_date,
                coordinating=list(r.coordinating),
                note=r.note,
                reminders=r.reminders,
                ongoing=not (r.deadline_text or r.due or r.rrule),
                kind=r.kind,
            )
            for r in conn.execute(select(TASKS).order_by(TASKS.c.id))
        ]
    return reg
