"""The register as a file says it: units, groups, officials, tasks, and their validation.

Readers (YAML, Excel, CSV) turn a file into `RawRegister` records that know where they came from;
`validate` checks the whole of it and returns either a `Register` or every problem with its place,
so that an import writes all or nothing.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from scheduler.deadlines import (
    DOC_DATE_HINT,
    DeadlineError,
    first_routine_day,
    next_occurrence,
    parse_deadline,
    validate_rrule,
)
from scheduler.outbox.policy import PolicyError, ReminderPolicy
from scheduler.register.bots import bot_name_problem
from scheduler.register.models import ROLE_NAMES, Role

SECTIONS = ("groups", "units", "officials", "tasks")

FIELDS: dict[str, tuple[str, ...]] = {
    "groups": ("code", "name", "aliases", "bot"),
    "units": ("code", "name", "kind", "aliases", "groups", "bot"),
    "officials": ("code", "name", "title", "role", "units"),
    "tasks": (
        "code",
        "title",
        "quote",
        "source_doc",
        "source_date",
        "deadline",
        "due",
        "rrule",
        "kind",
        "lead",
        "coordinating",
        "note",
        "reminders",
        "ongoing",
        "confidence",
        "review",
    ),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "groups": ("code", "name"),
    "units": ("code", "name"),
    "officials": ("code", "name", "units"),
    "tasks": ("code", "title", "lead"),
}
META_FIELDS = ("title", "source_doc", "source_date", "reminders")

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # what no spreadsheet or chat shows; \t and \n are kept
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the file: where, and what to do about it."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class RegisterError(Exception):
    """The file cannot be imported; `problems` lists every reason with its place."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


# A locator turns (section, index, field) into a place a person can find: "register.yaml:42: tasks[3].due".
Locator = Callable[[str | None, int | None, str | None], str]


def split_list(text: str) -> list[str]:
    """A list written as one text ("ubnd, cong-doan", a workbook's cell): its items, separated by , ; or lines."""
    return [item.strip() for item in re.split(r"[,;\n]", text) if item.strip()]


@dataclass
class RawRegister:
    """What a reader found, before any checking."""

    meta: dict[str, Any]
    sections: dict[str, list[dict[str, Any]]]
    locate: Locator
    # how the file's own words say a message (a workbook has columns, not YAML fields); None: as written
    words: Callable[[str | None, str], str] | None = None


@dataclass
class GroupSpec:
    code: str
    name: str
    aliases: list[str] = field(default_factory=list)
    bot: str = ""  # the group's units link through this bot (scheduler/register/bots.py)


@dataclass
class UnitSpec:
    code: str
    name: str
    kind: str = ""
    aliases: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    bot: str = ""  # its own bot; else its groups' bot; else the default bot


@dataclass
class OfficialSpec:
    code: str
    name: str
    title: str = ""
    role: str = Role.member.value
    units: list[str] = field(default_factory=list)


@dataclass
class TaskSpec:
    code: str
    title: str
    lead: list[str]
    deadline_text: str = ""
    due: date | None = None
    rrule: str | None = None
    quote: str = ""
    source_doc: str = ""
    source_date: date | None = None
    coordinating: list[str] = field(default_factory=list)
    note: str = ""
    reminders: dict[str, Any] | None = None
    ongoing: bool = False  # "thường xuyên": kept in the register with no deadline and no reminders
    # "event" (held on its day: reminded, then counted "not reported" if nobody confirms it) or "deadline"
    # (chased until met). The file may say so; otherwise the deadline phrase decides (see `kind_of_phrase`).
    kind: str = "deadline"

    @property
    def event(self) -> bool:
        return self.kind == "event"


YES = (True, "có", "co", "x", "yes", "true", "1", 1)
# A task's `kind` as a keeper may write it (Excel and CSV cells are often Vietnamese).
KINDS = {
    "event": "event",
    "sự kiện": "event",
    "su kien": "event",
    "deadline": "deadline",
    "thời hạn": "deadline",
    "thoi han": "deadline",
    "hạn": "deadline",
}


def kind_of_phrase(deadline_text: str, source_date: date | None) -> str:
    """What the grammar reads a task's deadline phrase as: 'event' for "sáng thứ 2 hằng tuần", else 'deadline'."""
    if not deadline_text:
        return "deadline"
    try:
        return parse_deadline(deadline_text, source_date).kind
    except DeadlineError:
        return "deadline"


NO = (False, None, "", "không", "khong", "no", "false", "0", 0)


@dataclass
class Register:
    """A checked register: every reference resolves and every deadline is readable."""

    title: str = ""
    source_doc: str = ""
    source_date: date | None = None
    reminders: dict[str, Any] | None = None
    groups: list[GroupSpec] = field(default_factory=list)
    units: list[UnitSpec] = field(default_factory=list)
    officials: list[OfficialSpec] = field(default_factory=list)
    tasks: list[TaskSpec] = field(default_factory=list)
    # the settings (title, source_doc, source_date, reminders) the file wrote; those it left out stay as
    # the database has them. None: all of them (a register made in code).
    settings_given: frozenset[str] | None = field(default=None, compare=False, repr=False)
    _positions: dict[str, list[int]] | None = field(default=None, init=False, compare=False, repr=False)

    def unit_codes_for(self, refs: Iterable[str]) -> list[str]:
        """Expand unit and group codes to unit codes, in register order, without repeats."""
        if self._positions is None:
            positions: dict[str, list[int]] = defaultdict(list)
            for index, unit in enumerate(self.units):
                positions[unit.code].append(index)
                for group in unit.groups:
                    positions[group].append(index)
            self._positions = positions
        found = sorted({i for ref in refs for i in self._positions.get(ref, ())})
        return [self.units[i].code for i in found]

    def first_due(self, task: TaskSpec) -> date | None:
        """The due date of a task's first (or only) occurrence."""
        if task.due is not None:
            return task.due
        if task.rrule and task.source_date:
            return first_routine_day(task.rrule, task.source_date, task.event)
        return None


# --- coercion helpers: each returns a value or records a problem ----------------------------------


class _Checker:
    def __init__(self, raw: RawRegister) -> None:
        self.raw = raw
        self.problems: list[Problem] = []

    def problem(self, section: str | None, index: int | None, name: str | None, message: str) -> None:
        said = self.raw.words(section, message) if self.raw.words else message
        self.problems.append(Problem(self.raw.locate(section, index, name), said))

    def text(self, section: str | None, index: int | None, record: dict[str, Any], name: str) -> str:
        value = record.get(name)
        if value is None:
            return ""
        if isinstance(value, bool | dict | list):
            self.problem(section, index, name, f"cần một đoạn chữ, không phải {type(value).__name__}")
            return ""
        if isinstance(value, datetime | date):
            return value.isoformat()[:10]
        text = str(value).replace("\r\n", "\n").replace("\r", "\n").strip()
        control = _CONTROL.search(text)
        if control:
            self.problem(
                section,
                index,
                name,
                f"có ký tự điều khiển U+{ord(control.group()):04X} ở vị trí {control.start() + 1}; hãy xóa nó",
            )
            return ""
        return text

    def strings(self, section: str, index: int, record: dict[str, Any], name: str) -> list[str]:
        value = record.get(name)
        if value is None or value == "":
            return []
        if isinstance(value, str):
            items = split_list(value)
        elif isinstance(value, list):
            items = []
            for item in value:
                if isinstance(item, dict | list) or item is None:
                    self.problem(section, index, name, "mỗi phần tử phải là một đoạn chữ")
                    return []
                items.append(str(item).strip())
        else:
            self.problem(section, index, name, "cần một danh sách, vd. [ubnd, cong-doan] hoặc 'ubnd, cong-doan'")
            return []
        for item in items:
            if _CONTROL.search(item):
                self.problem(section, index, name, f"phần tử {item[:40]!r} có ký tự điều khiển; hãy xóa nó")
                return []
        return [i for i in items if i]

    def day(self, section: str | None, index: int | None, record: dict[str, Any], name: str) -> date | None:
        value = record.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        text = str(value).strip()
        match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})|(\d{1,2})/(\d{1,2})/(\d{4})", text)
        if not match:
            self.problem(section, index, name, f"ngày {text!r} không đúng dạng; hãy viết YYYY-MM-DD, vd. 2022-05-31")
            return None
        y, m, d = (
            (match.group(1), match.group(2), match.group(3))
            if match.group(1)
            else (match.group(6), match.group(5), match.group(4))
        )
        try:
            return date(int(y), int(m), int(d))
        except ValueError:
            self.problem(section, index, name, f"ngày {text!r} không có thật; hãy kiểm tra ngày và tháng")
            return None

    def code(self, section: str, index: int, record: dict[str, Any]) -> str:
        code = self.text(section, index, record, "code")
        if code and not _CODE.fullmatch(code):
            self.problem(
                section,
                index,
                "code",
                f"mã {code!r} chỉ được gồm chữ không dấu, số, '.', '_', '-' (tối đa 64 ký tự), vd. chi-bo-tien-son-1",
            )
        return code

    def bot(self, section: str, index: int, record: dict[str, Any]) -> str:
        """A bot's name (never its token: that stays in the environment); lower case is the same name."""
        name = self.text(section, index, record, "bot")
        if not name:
            return ""
        problem = bot_name_problem(name.lower())
        if problem:
            self.problem(section, index, "bot", problem)
            return ""
        return name.lower()


def _suggest(value: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(value, list(known), n=3, cutoff=0.5)
    if close:  # name the runners-up only when they are nearly as close as the best one
        best = difflib.SequenceMatcher(None, value, close[0]).ratio()
        close = [c for c in close if difflib.SequenceMatcher(None, value, c).ratio() >= best - 0.1]
    return f"; có phải: {', '.join(close)}?" if close else ""


def validate(raw: RawRegister) -> Register:
    """Check the whole register; raise `RegisterError` with every problem, or return it checked."""
    check = _Checker(raw)
    reg = Register()
    _read_meta(check, raw, reg)
    for section in raw.sections:
        if section not in SECTIONS:
            check.problem(section, None, None, f"phần lạ {section!r}; các phần là: {', '.join(SECTIONS)}")
    for section in SECTIONS:
        for index, record in enumerate(raw.sections.get(section, [])):
            if not isinstance(record, dict):
                check.problem(section, index, None, "mỗi mục phải là một bảng khóa: giá trị (code: …, name: …)")
                continue
            for name in record:
                if name not in FIELDS[section]:
                    check.problem(
                        section,
                        index,
                        str(name),
                        f"trường lạ{_suggest(str(name), FIELDS[section])} (các trường: {', '.join(FIELDS[section])})",
                    )
            for name in REQUIRED[section]:
                if record.get(name) in (None, "", []):
                    check.problem(section, index, name, f"thiếu trường bắt buộc {name!r}")
    _read_groups(check, raw, reg)
    _read_units(check, raw, reg)
    _read_officials(check, raw, reg)
    _read_tasks(check, raw, reg)
    if check.problems:
        raise RegisterError(check.problems)
    return reg


def _read_meta(check: _Checker, raw: RawRegister, reg: Register) -> None:
    for key in raw.meta:
        name = str(key)
        if key not in META_FIELDS and key not in SECTIONS:
            check.problem(None, None, name, f"khóa lạ ở đầu tệp{_suggest(name, META_FIELDS + SECTIONS)}")
    reg.settings_given = frozenset(name for name in META_FIELDS if name in raw.meta)
    reg.title = check.text(None, None, raw.meta, "title")
    reg.source_doc = check.text(None, None, raw.meta, "source_doc")
    reg.source_date = check.day(None, None, raw.meta, "source_date")
    reminders = raw.meta.get("reminders")
    if reminders is not None and not isinstance(reminders, dict):
        check.problem(None, None, "reminders", "cần một bảng khóa: giá trị, vd. before_days: [7, 3, 1]")
        return
    try:
        ReminderPolicy().with_settings(reminders)
    except PolicyError as exc:
        check.problem(None, None, "reminders", str(exc))
    reg.reminders = reminders


def _unique(check: _Checker, section: str, index: int, code: str, seen: dict[str, int], other: set[str]) -> bool:
    if not code:
        return False
    if code in seen:
        check.problem(
            section, index, "code", f"mã {code!r} trùng với mục {section}[{seen[code]}]; mỗi mã chỉ dùng một lần"
        )
        return False
    if code in other:
        check.problem(section, index, "code", f"mã {code!r} đã là mã của một nhóm hoặc đơn vị khác; hãy đổi mã")
        return False
    seen[code] = index
    return True


def _read_groups(check: _Checker, raw: RawRegister, reg: Register) -> None:
    seen: dict[str, int] = {}
    for index, record in enumerate(raw.sections.get("groups", [])):
        if not isinstance(record, dict):
            continue
        code = check.code("groups", index, record)
        spec = GroupSpec(
            code,
            check.text("groups", index, record, "name"),
            check.strings("groups", index, record, "aliases"),
            check.bot("groups", index, record),
        )
        if _unique(check, "groups", index, code, seen, set()):
            reg.groups.append(spec)


def _read_units(check: _Checker, raw: RawRegister, reg: Register) -> None:
    seen: dict[str, int] = {}
    groups = {g.code for g in reg.groups}
    group_bots = {g.code: g.bot for g in reg.groups}
    for index, record in enumerate(raw.sections.get("units", [])):
        if not isinstance(record, dict):
            continue
        code = check.code("units", index, record)
        spec = UnitSpec(
            code,
            check.text("units", index, record, "name"),
            check.text("units", index, record, "kind"),
            check.strings("units", index, record, "aliases"),
            check.strings("units", index, record, "groups"),
            check.bot("units", index, record),
        )
        named = sorted({group_bots[g] for g in spec.groups if group_bots.get(g)})
        if not spec.bot and len(named) > 1:
            check.problem(
                "units",
                index,
                "bot",
                f"các nhóm của đơn vị giao cho những bot khác nhau ({', '.join(named)}); "
                "hãy ghi bot của chính đơn vị này vào trường bot",
            )
        for group_code in spec.groups:
            if group_code not in groups:
                check.problem(
                    "units",
                    index,
                    "groups",
                    f"nhóm {group_code!r} chưa có trong phần groups{_suggest(group_code, groups)}",
                )
        if _unique(check, "units", index, code, seen, groups):
            reg.units.append(spec)
    for group in reg.groups:
        if not any(group.code in u.groups for u in reg.units):
            index = next(
                i for i, r in enumerate(raw.sections["groups"]) if isinstance(r, dict) and r.get("code") == group.code
            )
            check.problem(
                "groups",
                index,
                "code",
                f"nhóm {group.code!r} chưa có đơn vị nào; hãy ghi nhóm này vào trường groups của các đơn vị thuộc nhóm",
            )


_ROLE_WORDS = {name: r.value for r, name in ROLE_NAMES.items()} | {
    "thành viên": Role.member.value,
    "phụ trách": Role.head.value,
    "trưởng đơn vị": Role.head.value,
    "quản trị": Role.admin.value,
}


def _read_officials(check: _Checker, raw: RawRegister, reg: Register) -> None:
    seen: dict[str, int] = {}
    units = {u.code for u in reg.units}
    roles = [r.value for r in Role]
    for index, record in enumerate(raw.sections.get("officials", [])):
        if not isinstance(record, dict):
            continue
        code = check.code("officials", index, record)
        written = check.text("officials", index, record, "role")
        role = _ROLE_WORDS.get(" ".join(written.lower().split()), written) if written else Role.member.value
        if role not in roles:
            names = ", ".join(f"{name} ({r.value})" for r, name in ROLE_NAMES.items())
            check.problem("officials", index, "role", f"vai trò {written!r} không có; chọn một trong: {names}")
        spec = OfficialSpec(
            code,
            check.text("officials", index, record, "name"),
            check.text("officials", index, record, "title"),
            role,
            check.strings("officials", index, record, "units"),
        )
        for unit in spec.units:
            if unit not in units:
                check.problem(
                    "officials", index, "units", f"đơn vị {unit!r} chưa có trong phần units{_suggest(unit, units)}"
                )
        if _unique(check, "officials", index, code, seen, set()):
            reg.officials.append(spec)


def _read_tasks(check: _Checker, raw: RawRegister, reg: Register) -> None:
    seen: dict[str, int] = {}
    refs = {u.code for u in reg.units} | {g.code for g in reg.groups}
    for index, record in enumerate(raw.sections.get("tasks", [])):
        if not isinstance(record, dict):
            continue
        code = check.code("tasks", index, record)
        spec = TaskSpec(
            code=code,
            title=check.text("tasks", index, record, "title"),
            lead=check.strings("tasks", index, record, "lead"),
            coordinating=check.strings("tasks", index, record, "coordinating"),
            quote=check.text("tasks", index, record, "quote"),
            source_doc=check.text("tasks", index, record, "source_doc") or reg.source_doc,
            source_date=check.day("tasks", index, record, "source_date") or reg.source_date,
            note=check.text("tasks", index, record, "note"),
        )
        for name in ("lead", "coordinating"):
            for ref in getattr(spec, name):
                if ref not in refs:
                    check.problem(
                        "tasks", index, name, f"đơn vị hoặc nhóm {ref!r} chưa có trong sổ{_suggest(ref, refs)}"
                    )
        reminders = record.get("reminders")
        if reminders is not None and not isinstance(reminders, dict):
            check.problem("tasks", index, "reminders", "cần một bảng khóa: giá trị, vd. before_days: [3, 1]")
        else:
            try:
                ReminderPolicy().with_settings(reminders)
            except PolicyError as exc:
                check.problem("tasks", index, "reminders", str(exc))
            spec.reminders = reminders
        _read_draft_fields(check, index, record)
        _read_deadline(check, index, record, spec)
        if _unique(check, "tasks", index, code, seen, set()):
            reg.tasks.append(spec)


def _read_draft_fields(check: _Checker, index: int, record: dict[str, Any]) -> None:
    """A drafted task carries a confidence and what the keeper must still decide; it imports once decided."""
    confidence = record.get("confidence")
    if isinstance(confidence, str) and re.fullmatch(r"\s*\d+(?:[.,]\d+)?\s*", confidence):  # a CSV cell
        confidence = float(confidence.replace(",", "."))
    if confidence is not None and not (isinstance(confidence, int | float) and 0 <= confidence <= 1):
        check.problem("tasks", index, "confidence", "độ tin cậy là một số từ 0 đến 1, vd. 0.8")
    review = record.get("review")
    if review in (None, "", []):
        return
    items = review if isinstance(review, list) else [line for line in str(review).splitlines() if line.strip()]
    listed = "; ".join(str(i) for i in items)
    check.problem(
        "tasks",
        index,
        "review",
        f"bản nháp còn {len(items)} điều cần xem lại: {listed}. Sửa xong thì xóa trường review của nhiệm vụ này",
    )


def _read_deadline(check: _Checker, index: int, record: dict[str, Any], spec: TaskSpec) -> None:
    """The phrase is kept verbatim; an explicit `due` or `rrule` is the keeper's reading of it and must agree."""
    spec.deadline_text = check.text("tasks", index, record, "deadline")
    explicit_due = check.day("tasks", index, record, "due")
    explicit_rule = check.text("tasks", index, record, "rrule") or None
    ongoing = record.get("ongoing")
    if isinstance(ongoing, str):
        ongoing = ongoing.strip().lower()
    if ongoing not in YES and ongoing not in NO:
        check.problem("tasks", index, "ongoing", "ghi true (có) nếu là nhiệm vụ thường xuyên, không có thời hạn")
        return
    if ongoing in YES:
        if spec.deadline_text or explicit_due or explicit_rule:
            check.problem(
                "tasks", index, "ongoing", "nhiệm vụ thường xuyên không có thời hạn: bỏ ongoing hoặc bỏ thời hạn"
            )
        spec.ongoing = True
        return
    if explicit_rule:
        try:
            explicit_rule = validate_rrule(explicit_rule)
        except DeadlineError as exc:
            check.problem("tasks", index, "rrule", exc.reason)
            return
    parsed = None
    if spec.deadline_text:
        try:
            parsed = parse_deadline(spec.deadline_text, spec.source_date)
        except DeadlineError as exc:
            if explicit_due is None and explicit_rule is None:
                reason = str(exc).replace(DOC_DATE_HINT, "(source_date của sổ hay của nhiệm vụ: «Ngày văn bản»)")
                check.problem("tasks", index, "deadline", f"{reason}; hoặc ghi thẳng ngày hạn ở trường due")
                return
    elif explicit_due is None and explicit_rule is None:
        check.problem(
            "tasks",
            index,
            "deadline",
            "thiếu thời hạn: ghi deadline (vd. 'trong tháng 5/2022'), due hoặc rrule; "
            "hoặc ongoing: true nếu là nhiệm vụ thường xuyên",
        )
        return
    if parsed and parsed.due and explicit_due and parsed.due != explicit_due:
        check.problem(
            "tasks",
            index,
            "due",
            f"ngày {explicit_due:%d/%m/%Y} không khớp thời hạn "
            f"{spec.deadline_text!r} (= {parsed.due:%d/%m/%Y}); sửa một trong hai hoặc bỏ trường due",
        )
        return
    if parsed and parsed.rrule and explicit_rule and parsed.rrule != explicit_rule:
        check.problem(
            "tasks",
            index,
            "rrule",
            f"{explicit_rule!r} không khớp thời hạn {spec.deadline_text!r} "
            f"(= {parsed.rrule}); sửa một trong hai hoặc bỏ trường rrule",
        )
        return
    spec.due = explicit_due or (parsed.due if parsed else None)
    spec.rrule = explicit_rule or (parsed.rrule if parsed else None)
    written = check.text("tasks", index, record, "kind").lower()
    if written and written not in KINDS:
        check.problem(
            "tasks",
            index,
            "kind",
            f"loại {written!r} không có; ghi event (sự kiện: họp, chào cờ… diễn ra đúng ngày) "
            "hoặc deadline (thời hạn phải hoàn thành), hoặc bỏ trống để đọc theo thời hạn",
        )
    spec.kind = KINDS.get(written) or (parsed.kind if parsed else "deadline")
    if spec.due and spec.rrule:
        check.problem("tasks", index, "rrule", "một nhiệm vụ có hạn một lần (due) hoặc lặp lại (rrule), không cả hai")
    elif spec.rrule and spec.source_date is None:
        check.problem("tasks", index, "source_date", "nhiệm vụ lặp lại cần ngày văn bản để biết lần đầu tiên")
    elif spec.rrule and next_occurrence(spec.rrule, spec.source_date or date.min, spec.source_date or date.min) is None:
        check.problem("tasks", index, "rrule", "quy tắc lặp lại không còn lần nào sau ngày văn bản")
    elif spec.rrule and spec.source_date and first_routine_day(spec.rrule, spec.source_date, spec.event) is None:
        check.problem("tasks", index, "rrule", "mọi lần của quy tắc lặp lại đều rơi vào ngày nghỉ")
