"""Vietnamese text folded for matching: no diacritics, lower case, đ → d, one character for one.

People type on phones with and without diacritics ("hoàn thành", "hoan thanh", "Viêc"); matching
compares folded forms, while what is stored (notes, reasons) keeps the words as written. Folding keeps
the length of the NFC text, so a position in the folded text is the same position in the original.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    lower = char.lower()
    if len(lower) != 1:
        return char
    if lower == "đ":
        return "d"
    base = unicodedata.normalize("NFD", lower)[0]
    return base if base.isascii() or not lower.isascii() and base.isalpha() else lower


def fold(text: str) -> str:
    """NFC text folded character by character: `len(fold(t)) == len(nfc(t))`."""
    return "".join(_fold_char(c) for c in text)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)
