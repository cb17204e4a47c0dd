"""Vietnamese alphabetical order, from ICU's collation for the `vi` locale (PyICU, packaged with ICU by
pyicu-wheels): a ă â b c d đ e ê … u ư v x y, tones after letters. A plain code-point sort puts "Ủy ban"
after "Ưu" and "Đoàn" after "Xã"; the generic Unicode order (DUCET, pyuca) puts "Ăn" between "An" and "Anh".

ICU is imported at the first sort, not with the module: its libraries and data are 15 MB of a process's
memory, and the long-running bot sorts only when it lists tasks or writes a report.
"""

from __future__ import annotations

import threading
from typing import Any

_LOCAL = threading.local()  # ICU collators are not safe to share between threads


def _collator() -> Any:
    collator = getattr(_LOCAL, "collator", None)
    if collator is None:
        import icu  # type: ignore[import-untyped]

        collator = _LOCAL.collator = icu.Collator.createInstance(icu.Locale("vi"))
    return collator


def vietnamese_key(text: str) -> bytes:
    """A sort key that orders names as a Vietnamese dictionary does."""
    return bytes(_collator().getSortKey(text))


def sorted_vietnamese(names: list[str]) -> list[str]:
    return sorted(names, key=vietnamese_key)
