"""A drafted register as a file the keeper reviews, and how a draft compares with a reference register.

The comparison serves `nhacviec extract --diff` (what the machine missed, task by task) and the quality
figures: recall and precision of the dated tasks, and how often the due date and the lead unit are right.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from scheduler.deadlines import DeadlineError, find_deadlines, parse_deadline
from scheduler.drafting.extraction import Draft
from scheduler.register.file import Register, split_list
from scheduler.register.tables import DRAFT_HEADINGS, HEADINGS, table_words, tables_from_dict, write_sheets
from scheduler.register.unit_names import key
from scheduler.register.yaml_format import dump_block, register_to_dict

HEADER = """\
# BẢN NHÁP sổ nhắc việc, do máy đọc từ văn bản: {source}
# Ngày văn bản: {doc_date}. {count}
# Mỗi nhiệm vụ giữ câu trích (quote), độ tin cậy (confidence) và danh sách cần xem lại (review).
# Văn phòng xem từng mục, sửa thời hạn / đơn vị nếu cần, rồi XÓA trường review; khi không còn review
# nào, tệp nhập được bằng: nhacviec import {name}
"""


def draft_data(draft: Draft, register: Register) -> dict[str, Any]:
    """The draft in the import format, with the units and officials of `register` so it imports alone.

    The document's name and date go on each task, not on the register: importing the draft adds its tasks
    and leaves the register's own title, document and reminder settings as they were."""
    data: dict[str, Any] = register_to_dict(register)
    source: dict[str, Any] = {"source_doc": draft.title or draft.source}
    if draft.doc_date:
        source["source_date"] = draft.doc_date
    out = {k: v for k, v in data.items() if k in ("groups", "units", "officials")}
    out["tasks"] = [{**t.record(), **source} for t in draft.tasks]
    return out


def draft_yaml(draft: Draft, register: Register, name: str = "draft.yaml") -> str:
    """The draft as a commented YAML file in the import format."""
    data = draft_data(draft, register)
    reviewed = sum(1 for t in draft.tasks if t.review)
    count = (
        f"{len(draft.tasks)} nhiệm vụ ({len(draft.dated)} có thời hạn), {reviewed} cần xem lại."
        if draft.tasks
        else "Không có nhiệm vụ nào: " + "; ".join(draft.notes)
    )
    day = f"{draft.doc_date:%d/%m/%Y}" if draft.doc_date else "không rõ"
    if draft.doc_date and draft.doc_date_found:
        day += " (đọc từ văn bản)"
    header = HEADER.format(source=draft.source or "?", doc_date=day, count=count, name=name)
    notes = "".join(f"# Lưu ý: {n}\n" for n in draft.notes)
    return header + notes + "\n" + dump_block(data)


# The draft's task sheet: the register's columns, with what to review first and the quote beside the task.
DRAFT_TASK_COLUMNS = ("code", "review", "title", "quote", "deadline", "due", "rrule", "lead", "coordinating",
                      "ongoing", "confidence", "note", "source_doc", "source_date", "reminders")  # fmt: skip


def write_draft_xlsx(draft: Draft, register: Register, path: Path) -> None:
    """The draft as the register's workbook (the sheets of `nhacviec export --format xlsx`) plus "Cần xem lại".

    Each task row shows its resolved due date beside the phrase, so the keeper checks the reading at a glance;
    a row still to review is shaded. Once the keeper has emptied every "Cần xem lại" cell, the workbook
    imports as it is.
    """
    data = draft_data(draft, register)
    for task in data["tasks"]:
        deadline = task.get("deadline")
        if deadline:
            try:
                parsed = parse_deadline(str(deadline), draft.doc_date)
                task["due"], task["rrule"] = parsed.due, parsed.rrule
            except DeadlineError:
                pass
        if task.get("review"):  # what to do, in the workbook's words («Thời hạn», not deadline)
            task["review"] = [table_words("tasks", item) for item in task["review"]]
    labels = {**HEADINGS["tasks"], **DRAFT_HEADINGS}
    headings = {f: labels[f] for f in DRAFT_TASK_COLUMNS}
    write_sheets(tables_from_dict(data, headings), path, flag=DRAFT_HEADINGS["review"])


# --- comparing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """A task reduced to what the comparison looks at."""

    code: str
    title: str
    quote: str
    deadline: str
    due: date | None
    rrule: str | None
    lead: frozenset[str]
    doc_date: date | None = None

    @property
    def dated(self) -> bool:
        return self.due is not None or self.rrule is not None

    @property
    def stated(self) -> bool:
        """The document itself gives the deadline (not only a bare year, not the keeper's own reading)."""
        return any(not f.weak for f in find_deadlines(self.deadline, self.doc_date)) if self.deadline else False

    def when(self) -> str:
        if self.due:
            return f"{self.due:%d/%m/%Y}"
        return self.rrule or "không có hạn"


def _item(record: dict[str, Any], doc_date: date | None) -> Item:
    deadline = str(record.get("deadline") or "")
    due = _day(record.get("due"))
    rrule = record.get("rrule")
    if deadline and due is None and rrule is None:
        try:
            parsed = parse_deadline(deadline, doc_date)
            due, rrule = parsed.due, parsed.rrule
        except DeadlineError:
            pass
    lead = record.get("lead") or []
    if isinstance(lead, str):  # a workbook's or CSV's cell, split as the register's check splits it
        lead = split_list(lead)
    return Item(
        str(record.get("code", "")),
        str(record.get("title", "")),
        str(record.get("quote", "")),
        deadline,
        due,
        rrule,
        frozenset(lead if isinstance(lead, list) else [lead]),
        doc_date,
    )


def read_items(path: Path) -> list[Item]:
    """The tasks of a register or draft (YAML, workbook or CSV folder), without refusing a draft's review fields."""
    from scheduler.register.importer import read_raw

    raw = read_raw(path)
    doc_date = _day(raw.meta.get("source_date"))
    tasks = [t for t in raw.sections.get("tasks") or [] if isinstance(t, dict)]
    return [_item(t, _day(t.get("source_date")) or doc_date) for t in tasks]


def _day(value: Any) -> date | None:
    """A date as YAML, a workbook cell or a CSV field gives it."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip()[:10]) if value else None
    except ValueError:
        return None


def _words(text: str) -> set[str]:
    return set(key(text).split())


def _score(draft: Item, reference: Item) -> float:
    """How well a drafted task matches a reference one: its words found in the reference, then titles."""
    mine = _words(draft.title) or _words(draft.quote)
    theirs = _words(reference.quote) | _words(reference.title)
    if not mine:
        return 0.0
    contained = len(mine & theirs) / len(mine)
    titles = _words(reference.title) | mine
    return contained + 0.5 * len(_words(reference.title) & mine) / max(1, len(titles))


@dataclass
class Comparison:
    """Pairs of (reference, draft) tasks, and what is only on one side."""

    pairs: list[tuple[Item, Item]] = field(default_factory=list)
    missed: list[Item] = field(default_factory=list)
    extra: list[Item] = field(default_factory=list)
    reference: list[Item] = field(default_factory=list)
    draft: list[Item] = field(default_factory=list)

    def _stated_pairs(self) -> list[tuple[Item, Item]]:
        return [(r, d) for r, d in self.pairs if r.stated]

    @property
    def recall(self) -> float:
        stated = [r for r in self.reference if r.stated]
        return len(self._stated_pairs()) / len(stated) if stated else 1.0

    @property
    def precision(self) -> float:
        dated = [d for d in self.draft if d.dated]
        matched = {d.code for _r, d in self.pairs if d.dated}
        return len(matched) / len(dated) if dated else 1.0

    @property
    def due_accuracy(self) -> float:
        pairs = self._stated_pairs()
        return sum((r.due, r.rrule) == (d.due, d.rrule) for r, d in pairs) / len(pairs) if pairs else 1.0

    @property
    def lead_accuracy(self) -> float:
        pairs = self._stated_pairs()
        return sum(r.lead == d.lead for r, d in pairs) / len(pairs) if pairs else 1.0

    def figures(self) -> dict[str, float | int]:
        return {
            "reference_stated": sum(1 for r in self.reference if r.stated),
            "reference_inferred": sum(1 for r in self.reference if not r.stated),
            "draft_dated": sum(1 for d in self.draft if d.dated),
            "recall": self.recall,
            "precision": self.precision,
            "due_accuracy": self.due_accuracy,
            "lead_accuracy": self.lead_accuracy,
        }


def compare(draft: list[Item], reference: list[Item], threshold: float = 0.5) -> Comparison:
    """Pair each reference task with the drafted task most like it, one to one, best pairs first."""
    scored = sorted(
        ((_score(d, r), i, j) for i, r in enumerate(reference) for j, d in enumerate(draft)),
        reverse=True,
    )
    used_r: set[int] = set()
    used_d: set[int] = set()
    result = Comparison(reference=reference, draft=draft)
    for score, i, j in scored:
        if score < threshold:
            break
        if i in used_r or j in used_d:
            continue
        used_r.add(i)
        used_d.add(j)
        result.pairs.append((reference[i], draft[j]))
    order = {r.code: n for n, r in enumerate(reference)}
    result.pairs.sort(key=lambda p: order[p[0].code])
    result.missed = [r for i, r in enumerate(reference) if i not in used_r]
    result.extra = [d for j, d in enumerate(draft) if j not in used_d]
    return result


def diff_text(result: Comparison) -> str:
    """Task by task: what matches, what differs, what the machine missed, what it added."""
    lines = []
    for ref, got in result.pairs:
        problems = []
        if (ref.due, ref.rrule) != (got.due, got.rrule):
            problems.append(f"hạn: nháp {got.when()}, sổ {ref.when()}")
        if ref.lead != got.lead:
            problems.append(f"chủ trì: nháp {', '.join(sorted(got.lead))}, sổ {', '.join(sorted(ref.lead))}")
        mark = "✓" if not problems else ("≈" if not ref.stated else "✗")
        detail = "; ".join(problems) if problems else f"hạn {ref.when()}, chủ trì {', '.join(sorted(ref.lead))}"
        note = " (sổ tự suy ra thời hạn: văn bản không ghi rõ)" if not ref.stated else ""
        lines.append(f"{mark} {ref.code} ↔ {got.code}: {detail}{note}")
    for ref in result.missed:
        lines.append(f"− {ref.code} không có trong nháp: {ref.title} (hạn {ref.when()})")
    for got in result.extra:
        if got.dated:
            lines.append(f"+ {got.code} chỉ có trong nháp: {got.title[:90]} (hạn {got.when()})")
    undated_extra = sum(1 for d in result.extra if not d.dated)
    if undated_extra:
        lines.append(f"+ và {undated_extra} việc thường xuyên (không có hạn) chỉ có trong nháp")
    f = result.figures()
    lines.append(
        f"Tìm thấy {f['recall']:.0%} việc có hạn của sổ ({f['reference_stated']} việc); "
        f"{f['precision']:.0%} việc có hạn của nháp là việc thật ({f['draft_dated']} việc); "
        f"đúng hạn {f['due_accuracy']:.0%}, đúng đơn vị chủ trì {f['lead_accuracy']:.0%}"
    )
    return "\n".join(lines)
