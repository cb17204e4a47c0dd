"""Reading plain-word replies: "xong", "đang làm 50%", "xin gia hạn đến 15/6 vì chưa đủ kinh phí".

A reply that is not clearly one of these is `Unclear`: the bot answers with what it understands and
changes nothing. "chưa xong" (not yet done) is never read as done.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from scheduler.deadlines import DeadlineError, parse_deadline


@dataclass(frozen=True)
class Done:
    assignment_id: int | None
    note: str = ""


@dataclass(frozen=True)
class Progress:
    assignment_id: int | None
    percent: int
    note: str = ""


@dataclass(frozen=True)
class Extend:
    assignment_id: int | None
    due: date
    reason: str


@dataclass(frozen=True)
class Unclear:
    why: str = ""


Reply = Done | Progress | Extend | Unclear

_NEGATION = re.compile(r"\b(chưa|không|ko|k|chẳng|not|no|never)\b")
_DONE = re.compile(
    r"^(?:ok\s+|dạ\s+|vâng\s+|báo cáo\s+)*(?:đã\s+)?(xong|hoàn thành|hoàn tất|done|finished|completed?)\b"
    r"(?:\s+(?:việc\s+|nv\s+)?#?(?P<id>\d+))?(?P<rest>.*)$"
)
_DONE_ANYWHERE = re.compile(r"\b(đã xong|đã hoàn thành|hoàn thành rồi|xong rồi|đã hoàn tất)\b")
_PROGRESS = re.compile(
    r"^(?:đang làm|đang thực hiện|tiến độ|đạt|in progress|progress)\s+(?:việc\s+|#)?(?:(?P<id>\d+)\s+)?"
    r"(?P<pct>\d{1,3})\s*%?(?P<rest>.*)$"
)
_EXTEND = re.compile(
    r"^(?:xin\s+|đề nghị\s+)?(?:gia hạn|lùi hạn|dời hạn|extend)\s+(?:việc\s+|#)?(?:(?P<id>\d+)\s+)?"
    r"(?:đến\s+|tới\s+|to\s+|sang\s+)?(?P<rest>.+)$"
)
_REASON = re.compile(r"\s*(?:,|;|\bvì\b|\bdo\b|\blý do\b|\bbecause\b|\bsince\b)\s*", re.IGNORECASE)


def _clean(text: str) -> str:
    """Single spaces, NFC, no closing punctuation; case is kept (notes keep the writer's capitals)."""
    text = unicodedata.normalize("NFC", text).strip()
    return re.sub(r"\s+", " ", text).strip(" .!")


def _original(original: str, words: str, match: re.Match[str], group: str) -> str:
    """The matched group in the writer's own case (lower() keeps the length of Vietnamese text)."""
    if len(original) != len(words) or match.start(group) < 0:
        return match[group] or ""
    return original[match.start(group) : match.end(group)]


def parse_reply(text: str, today: date) -> Reply:
    """What a person meant by a reply; `today` reads dates without a year (the next such date)."""
    original = _clean(text)
    words = original.lower()
    if not words:
        return Unclear("tin nhắn trống")
    match = _EXTEND.match(words)
    if match:
        return _extension(match, _original(original, words, match, "rest"), today)
    match = _PROGRESS.match(words)
    if match:
        percent = int(match["pct"])
        if percent > 100:
            return Unclear(f"tiến độ {percent}% vượt quá 100%")
        return Progress(
            int(match["id"]) if match["id"] else None, percent, _note(_original(original, words, match, "rest"))
        )
    if _NEGATION.search(words):
        return Unclear("câu có chữ 'chưa'/'không' nên không ghi là xong")
    match = _DONE.match(words)
    if match:
        return Done(int(match["id"]) if match["id"] else None, _note(_original(original, words, match, "rest")))
    if _DONE_ANYWHERE.search(words):
        return Done(None, "")
    return Unclear()


_POLITE = re.compile(r"^(?:rồi|ạ|nhé|nha|ạ nhé|rồi ạ|rồi nhé|rồi nha|em|anh|chị)(?:\s+(?:rồi|ạ|nhé|nha))*$")


def _note(rest: str) -> str:
    """What follows the answer, unless it is only politeness ("rồi ạ")."""
    note = rest.strip(" ,.-:")
    return "" if _POLITE.match(note.lower()) else note


def _extension(match: re.Match[str], rest: str, today: date) -> Reply:
    parts = _REASON.split(rest, maxsplit=1)
    phrase = parts[0].strip()
    reason = parts[1].strip() if len(parts) > 1 else ""
    try:
        found = parse_deadline(phrase, today)
    except DeadlineError as exc:
        return Unclear(f"không đọc được ngày gia hạn: {exc.reason}")
    if found.due is None:
        return Unclear("gia hạn cần một ngày cụ thể, vd. 'gia hạn đến 15/6 vì …'")
    due = found.due
    if due < today and not re.search(r"\d{4}", phrase):  # "15/1" written in December means next January
        due = due.replace(year=due.year + 1)
    return Extend(int(match["id"]) if match["id"] else None, due, reason)
