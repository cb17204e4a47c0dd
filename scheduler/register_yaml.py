"""The register as YAML: reading with line numbers for errors, and writing it back."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import yaml

from scheduler.register import SECTIONS, Problem, RawRegister, Register, RegisterError

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """libyaml's fast loader, but dates stay text: an impossible date is then our error, with its line."""

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
    }

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """Refuse a key written twice: YAML would silently keep the last one."""
        seen: set[str] = set()
        for key_node, _value in node.value:
            if key_node.value in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"khóa {key_node.value!r} được viết hai lần trong cùng một mục", key_node.start_mark)
            seen.add(key_node.value)
        return dict(super().construct_mapping(node, deep=deep))


_Dumper: type = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def decode_utf8(data: bytes, name: str) -> str:
    """Text of a file that must be UTF-8; otherwise a problem that says the line and how to fix it."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise RegisterError([Problem(
            f"{name}:{line}",
            f"tệp không phải UTF-8 (byte 0x{data[exc.start]:02x} ở vị trí {exc.start}); "
            "hãy mở tệp và lưu lại với bảng mã UTF-8",
        )]) from None


class _Lines:
    """Finds the line of a path in the document, composing the node tree only when an error needs it."""

    def __init__(self, text: str, name: str) -> None:
        self.text = text
        self.name = name
        self._root: yaml.Node | None = None

    def __call__(self, section: str | None, index: int | None, field: str | None) -> str:
        path = ".".join(p for p in (f"{section}[{index}]" if index is not None else section, field) if p)
        return f"{self.name}:{self._line(section, index, field)}: {path or '(đầu tệp)'}"

    def _line(self, section: str | None, index: int | None, field: str | None) -> int:
        if self._root is None:
            self._root = yaml.compose(self.text, Loader=_Loader)
        node: yaml.Node | None = self._root
        best = 1
        for step in (section, index, field):
            if step is None or node is None:
                continue
            best = node.start_mark.line + 1
            node = _child(node, step)
        return node.start_mark.line + 1 if node is not None else best


def _child(node: yaml.Node, step: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == step:
                return value if not isinstance(value, yaml.ScalarNode) or value.value != "" else key
        return None
    if isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
        child: yaml.Node = node.value[step]
        return child
    return None


def read_yaml(path: Path) -> RawRegister:
    """Parse a register file; syntax errors come back as problems with their line."""
    name = path.name
    text = decode_utf8(path.read_bytes(), name)
    try:
        document = yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise RegisterError([Problem(f"{name}:{line}", f"lỗi cú pháp YAML: {exc.problem or exc.context}; "
                                     "kiểm tra thụt lề, dấu ':' và dấu ngoặc kép ở dòng này")]) from None
    except yaml.YAMLError as exc:
        raise RegisterError([Problem(f"{name}:1", f"lỗi cú pháp YAML: {exc}")]) from None
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise RegisterError([Problem(f"{name}:1", "tệp phải là một bảng khóa: giá trị với các phần "
                                     "units, groups, officials, tasks")])
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

    out: dict[str, Any] = clean({
        "title": reg.title, "source_doc": reg.source_doc, "source_date": reg.source_date,
        "reminders": reg.reminders,
    })
    out["groups"] = [clean({"code": g.code, "name": g.name, "aliases": g.aliases}) for g in reg.groups]
    out["units"] = [clean({"code": u.code, "name": u.name, "kind": u.kind, "aliases": u.aliases, "groups": u.groups})
                    for u in reg.units]
    out["officials"] = [clean({"code": o.code, "name": o.name, "title": o.title, "role": o.role, "units": o.units})
                        for o in reg.officials]
    out["tasks"] = []
    for t in reg.tasks:
        out["tasks"].append(clean({
            "code": t.code, "title": t.title, "quote": t.quote,
            "source_doc": t.source_doc if t.source_doc != reg.source_doc else None,
            "source_date": t.source_date if t.source_date != reg.source_date else None,
            "deadline": t.deadline_text, "due": t.due, "rrule": t.rrule,
            "lead": t.lead, "coordinating": t.coordinating, "note": t.note, "reminders": t.reminders,
        }))
    return out


def dump_yaml(reg: Register) -> str:
    """YAML text of the register, Vietnamese kept as it is."""
    return str(yaml.dump(register_to_dict(reg), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=110))


def _date_representer(dumper: yaml.SafeDumper, value: date) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:timestamp", value.isoformat())


_Dumper.add_representer(date, _date_representer)
