"""The register as YAML: reading with line numbers for errors, and writing it back."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from scheduler.register.file import SECTIONS, Problem, RawRegister, Register, RegisterError, kind_of_phrase
from scheduler.register.limits import read_bytes

_Parser: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
STR = "tag:yaml.org,2002:str"
Path_ = tuple[str | int, ...]


class _Scalars(yaml.SafeLoader):
    """Resolves and builds plain scalars. Dates stay text, so an impossible date is our error, with its line."""

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


_SCALARS = _Scalars("")


def _line(event: yaml.Event) -> int:
    return event.start_mark.line + 1 if event.start_mark else 1


def _scalar(event: yaml.ScalarEvent) -> Any:
    if event.tag not in (None, "!"):
        tag = event.tag
    elif event.implicit[0]:
        tag = _SCALARS.resolve(yaml.ScalarNode, event.value, (True, False))
    else:
        return event.value
    if tag == STR:
        return event.value
    build = _SCALARS.yaml_constructors.get(tag)
    if build is None:
        raise yaml.constructor.ConstructorError(None, None, f"không hiểu kiểu {tag!r}", event.start_mark)  # type: ignore[arg-type]
    try:
        return build(_SCALARS, yaml.ScalarNode(tag, event.value))
    except (ValueError, TypeError, ArithmeticError, yaml.YAMLError) as exc:  # `!!int abc`, `!!binary ?`
        problem = f"giá trị {event.value[:40]!r} không phải kiểu {tag.rsplit(':', 1)[-1]} ({type(exc).__name__})"
        raise yaml.constructor.ConstructorError(None, None, problem, event.start_mark) from None  # type: ignore[arg-type]


def _walk(text: str) -> Iterator[tuple[Path_, yaml.Event]]:
    """Every event of the document with the path it stands at (keys and list indexes)."""
    path: list[str | int] = []
    # one frame per open collection: [is_mapping, key expected next, next list index]
    frames: list[list[Any]] = []
    for event in yaml.parse(text, Loader=_Parser):
        if isinstance(event, yaml.CollectionEndEvent):
            frames.pop()
            if path and frames:
                path.pop()
            continue
        if not isinstance(event, yaml.NodeEvent):
            continue
        frame = frames[-1] if frames else None
        if frame is not None and frame[0] and frame[1]:
            frame[1] = False
            key = event.value if isinstance(event, yaml.ScalarEvent) else "?"
            yield tuple(path), event
            path.append(key)
            continue
        if frame is not None and not frame[0]:
            path.append(frame[2])
            frame[2] += 1
        yield tuple(path), event
        if isinstance(event, yaml.CollectionStartEvent):
            frames.append([isinstance(event, yaml.MappingStartEvent), True, 0])
        elif frame is not None:
            path.pop()
        if frame is not None and frame[0]:
            frame[1] = True


def _load(text: str, name: str) -> Any:
    """Build the document from parser events, without the node tree (18 MB of YAML stays under 200 MB)."""
    root: Any = None
    stack: list[list[Any]] = []  # [container, pending key, key line]
    anchors: dict[str, Any] = {}

    def attach(value: Any, event: yaml.Event) -> None:
        nonlocal root
        if not stack:
            root = value
            return
        top = stack[-1]
        container = top[0]
        if isinstance(container, list):
            container.append(value)
        elif top[1] is _NO_KEY:
            if isinstance(value, dict | list):
                raise RegisterError([Problem(f"{name}:{_line(event)}", "khóa phải là một chữ")])
            top[1], top[2] = value, _line(event)
        else:
            if top[1] in container:
                raise RegisterError(
                    [
                        Problem(
                            f"{name}:{top[2]}",
                            f"khóa {top[1]!r} được viết hai lần trong cùng một mục; hãy xóa một dòng",
                        )
                    ]
                )
            container[top[1]] = value
            top[1] = _NO_KEY

    for event in yaml.parse(text, Loader=_Parser):
        if isinstance(event, yaml.ScalarEvent):
            value = _scalar(event)
        elif isinstance(event, yaml.AliasEvent):
            if event.anchor not in anchors:
                raise RegisterError([Problem(f"{name}:{_line(event)}", f"không có neo &{event.anchor} trước dòng này")])
            value = anchors[event.anchor]
        elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            stack.append([{} if isinstance(event, yaml.MappingStartEvent) else [], _NO_KEY, 0, event.anchor])
            continue
        elif isinstance(event, yaml.CollectionEndEvent):
            value, anchor = stack[-1][0], stack[-1][3]
            stack.pop()
            if anchor:
                anchors[anchor] = value
            attach(value, event)
            continue
        else:
            continue
        if event.anchor:
            anchors[event.anchor] = value
        attach(value, event)
    return root


_NO_KEY = object()


def decode_utf8(data: bytes, name: str) -> str:
    """Text of a file that must be UTF-8; otherwise a problem that says the line and how to fix it."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise RegisterError(
            [
                Problem(
                    f"{name}:{line}",
                    f"tệp không phải UTF-8 (byte 0x{data[exc.start]:02x} ở vị trí {exc.start}); "
                    "hãy mở tệp và lưu lại với bảng mã UTF-8",
                )
            ]
        ) from None


class _Lines:
    """Finds the line of a path; the map is made by one more pass over the text, only when an error needs it."""

    def __init__(self, text: str, name: str) -> None:
        self.text = text
        self.name = name
        self._lines: dict[Path_, int] | None = None

    def __call__(self, section: str | None, index: int | None, field: str | None) -> str:
        path = ".".join(p for p in (f"{section}[{index}]" if index is not None else section, field) if p)
        return f"{self.name}:{self._line(section, index, field)}: {path or '(đầu tệp)'}"

    def _line(self, section: str | None, index: int | None, field: str | None) -> int:
        if self._lines is None:
            self._lines = {}
            for at, event in _walk(self.text):
                self._lines.setdefault(at, _line(event))
        steps = tuple(s for s in (section, index, field) if s is not None)
        while steps and steps not in self._lines:
            steps = steps[:-1]
        return self._lines.get(steps, 1)


def read_yaml(path: Path) -> RawRegister:
    """Parse a register file; syntax errors come back as problems with their line."""
    name = path.name
    text = decode_utf8(read_bytes(path), name)
    try:
        document = _load(text, name)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise RegisterError(
            [
                Problem(
                    f"{name}:{line}",
                    f"lỗi cú pháp YAML: {exc.problem or exc.context}; "
                    "kiểm tra thụt lề, dấu ':' và dấu ngoặc kép ở dòng này",
                )
            ]
        ) from None
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "?")
        raise RegisterError(
            [Problem(f"{name}:{line}", f"ký tự U+{char:04X} không được có trong tệp YAML; hãy xóa nó")]
        ) from None
    except yaml.YAMLError as exc:
        raise RegisterError([Problem(f"{name}:1", f"lỗi cú pháp YAML: {' '.join(str(exc).split())}")]) from None
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise RegisterError(
            [Problem(f"{name}:1", "tệp phải là một bảng khóa: giá trị với các phần units, groups, officials, tasks")]
        )
    sections: dict[str, list[Any]] = {}
    problems: list[Problem] = []
    locate = _Lines(text, name)
    for key, value in document.items():
        if key in SECTIONS:
            if value is None:
                value = []
            if not isinstance(value, list):
                problems.append(Problem(locate(key, None, None), "cần một danh sách, mỗi mục bắt đầu bằng '- '"))
                value = []
            sections[key] = value
    if problems:
        raise RegisterError(problems)
    meta = {k: v for k, v in document.items() if k not in SECTIONS}
    return RawRegister(meta=meta, sections=sections, locate=locate)


def register_to_dict(reg: Register) -> dict[str, Any]:
    """The register in the import format; empty fields are left out so the file stays readable."""

    def clean(record: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in record.items() if v not in (None, "", [], {})}

    out: dict[str, Any] = clean(
        {
            "title": reg.title,
            "source_doc": reg.source_doc,
            "source_date": reg.source_date,
            "reminders": reg.reminders,
        }
    )
    out["groups"] = [clean({"code": g.code, "name": g.name, "aliases": g.aliases, "bot": g.bot}) for g in reg.groups]
    out["units"] = [
        clean({"code": u.code, "name": u.name, "kind": u.kind, "aliases": u.aliases, "groups": u.groups, "bot": u.bot})
        for u in reg.units
    ]
    out["officials"] = [
        clean({"code": o.code, "name": o.name, "title": o.title, "role": o.role, "units": o.units})
        for o in reg.officials
    ]
    out["tasks"] = []
    for t in reg.tasks:
        out["tasks"].append(
            clean(
                {
                    "code": t.code,
                    "title": t.title,
                    "quote": t.quote,
                    "source_doc": t.source_doc if t.source_doc != reg.source_doc else None,
                    "source_date": t.source_date if t.source_date != reg.source_date else None,
                    "deadline": t.deadline_text,
                    "due": t.due,
                    "rrule": t.rrule,
                    # written only where it differs from what the phrase says, so a re-import reads the same
                    "kind": t.kind if t.kind != kind_of_phrase(t.deadline_text, t.source_date) else None,
                    "lead": t.lead,
                    "coordinating": t.coordinating,
                    "note": t.note,
                    "reminders": t.reminders,
                    "ongoing": t.ongoing or None,
                }
            )
        )
    return out


def dump_yaml(reg: Register) -> str:
    """YAML text of the register, Vietnamese kept as it is."""
    return dump_mapping(register_to_dict(reg))


def dump_mapping(data: dict[str, Any]) -> str:
    """YAML text in the register's style: keys in order, Vietnamese as it is, dates as dates."""
    return str(yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=110))


def _date_representer(dumper: yaml.SafeDumper, value: date) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:timestamp", value.isoformat())


_Dumper.add_representer(date, _date_representer)


# --- a fast block emitter for big drafts ------------------------------------------------------------------
# PyYAML represents every value as a node in Python before its C emitter writes it: a 5 MB document's draft
# (20 000 tasks) spent longer in that than in reading the document. Drafts hold only mappings, lists,
# strings, numbers, booleans and dates, so they are written directly: a string plain when YAML reads it
# back as the same string, else double-quoted with escapes (JSON's escapes are YAML's too).

_PLAIN = re.compile(r"[^\W\d_][^\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]*")
_NOT_PLAIN = frozenset(["yes", "no", "true", "false", "on", "off", "null", "y", "n"])  # YAML 1.1's booleans, null
_ESCAPE = re.compile(r"[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")


@lru_cache(maxsize=4096)  # codes, unit names and review notes recur from task to task
def _short_string(value: str) -> str:
    return _string(value)


def _string(value: str) -> str:
    if (
        _PLAIN.fullmatch(value)
        and value.lower() not in _NOT_PLAIN
        and ": " not in value
        and " #" not in value
        and not value.endswith((" ", ":"))
    ):
        return value
    return _ESCAPE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(value, ensure_ascii=False))


def _block_scalar(value: Any) -> str:
    if isinstance(value, str):
        return _short_string(value) if len(value) <= 200 else _string(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and "." in repr(value) and "e" not in repr(value):
        return repr(value)
    if isinstance(value, date):
        return value.isoformat()
    if value == {} or value == []:
        return "{}" if isinstance(value, dict) else "[]"
    flow = yaml.dump([value], Dumper=_Dumper, allow_unicode=True, default_flow_style=True, width=10**9)
    return str(flow).strip()[1:-1]  # anything else as PyYAML writes it, inside a one-item flow list


def _block(value: dict[Any, Any] | list[Any], indent: str, out: list[str]) -> None:
    """`value` as block YAML lines at `indent`; a list item's mapping or list opens on its dash."""
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, dict | list) and v:
                out.append(f"{indent}{_block_scalar(k)}:\n")
                _block(v, indent if isinstance(v, list) else indent + "  ", out)
            else:
                out.append(f"{indent}{_block_scalar(k)}: {_block_scalar(v)}\n")
        return
    for item in value:
        if isinstance(item, dict | list) and item:
            lines: list[str] = []
            _block(item, indent + "  ", lines)
            lines[0] = f"{indent}- {lines[0][len(indent) + 2 :]}"
            out += lines
        else:
            out.append(f"{indent}- {_block_scalar(item)}\n")


def dump_block(data: dict[str, Any]) -> str:
    """YAML text of a mapping of mappings, lists and scalars, read back as `dump_mapping`'s; no line folding,
    and many times faster (the draft of a big document)."""
    out: list[str] = []
    _block(data, "", out)
    return "".join(out)
