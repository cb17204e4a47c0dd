"""The draft's fast YAML writer: whatever the strings, the file reads back as the data that was written."""

from __future__ import annotations

from datetime import date
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.register.yaml_format import dump_block, dump_mapping

TRICKY = ["yes", "No", "null", "~", "a: b", "abc:", "a #b", "- y", "", " s", "s ", "'q'", '"q"', "a\x85b",
          "tab\tx", "line\nbreak", "1/2", "2022-01-01", "0x10", "@x", "%x", "`x", "!x", "&a", "*a", "|", ">",
          "? x", "[x]", "{x}", "x,y", "a\u2028b", "Đối với UBND thị trấn: tổ chức", "NV-01"]  # fmt: skip


def _load(text: str) -> Any:
    return yaml.safe_load(text)


def test_tricky_strings_read_back_as_written() -> None:
    data = {"tasks": [{"code": "NV-01", "review": TRICKY, "confidence": 0.95, "ongoing": True,
                       "due": date(2022, 4, 7), "lead": [], "sub": {"k": [1, [2, 3], {}]}}]}  # fmt: skip
    assert _load(dump_block(data)) == _load(dump_mapping(data)) == data


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=40), max_size=6), st.floats(allow_nan=False, allow_infinity=False))
def test_any_text_reads_back_as_written(texts: list[str], number: float) -> None:
    data = {"title": texts[0] if texts else "x", "tasks": [{"quote": t, "confidence": number} for t in texts]}
    assert _load(dump_block(data)) == data
