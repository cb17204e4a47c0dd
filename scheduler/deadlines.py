"""The Vietnamese deadline grammar, shared by import, extraction and the bot's replies.

Every phrase resolves to the last day that still meets it ("trong tháng 5/2022" → 31/5/2022,
"trước ngày 15/6" → 14/6). Recurring phrases give an RFC 5545 RRULE read with dateutil.
A phrase the grammar does not know raises `DeadlineError`: it is reported, never guessed.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from dateutil.rrule import rrulestr

from scheduler.workdays import add_working_days, is_holiday, is_working_day, lunar_new_year, previous_working_day

# How the messages below name the document's date; the register's check says it in the register's words.
DOC_DATE_HINT = "(--doc-date)"


class DeadlineError(ValueError):
    """A deadline phrase that cannot be read; the message says which phrase and what to write."""

    def __init__(self, phrase: str, reason: str) -> None:
        self.phrase = phrase
        self.reason = reason
        super().__init__(f"thời hạn {phrase!r}: {reason}")


@dataclass(frozen=True)
class Deadline:
    """A deadline phrase as written, its resolved inclusive due date, and its recurrence."""

    text: str
    due: date | None
    rrule: str | None = None
    # A recurring *event* happens on its day (a meeting, a flag ceremony): reminded, then only counted.
    # Otherwise the phrase sets a deadline ("trước ngày 20 hằng tháng"), chased until it is met.
    event: bool = field(default=False, compare=False)

    @property
    def kind(self) -> str:
        """'event' or 'deadline' (the values of the task's `kind`)."""
        return "event" if self.event else "deadline"

    def to_json(self) -> dict[str, str | None]:
        return {
            "text": self.text,
            "due": self.due.isoformat() if self.due else None,
            "rrule": self.rrule,
            "kind": self.kind,
        }


UNKNOWN_HINT = (
    "không nhận ra cách ghi thời hạn này; hãy viết ví dụ 'ngày 15/10/2023', 'trước ngày 20/5', "
    "'trong tháng 5/2022', 'quý 2/2022', '6 tháng đầu năm', 'cuối năm 2022', 'trong 15 ngày kể từ ngày 07/4/2022', "
    "'sáng thứ 2 hằng tuần' hoặc 'trước ngày 20 hằng tháng'"
)

# --- normalisation -----------------------------------------------------------------------------

_SPACES = re.compile(r"\s+")
_FILLER = re.compile(  # whole words only: "và" must not eat the start of "vào"
    r"^(?:(?:(?:dự kiến|phải|cần|sẽ|được|thời hạn|thời gian|hạn chót|hạn|hoàn thành|hoàn thiện|xong|thực hiện|"
    r"diễn ra|tổ chức|và|là|khoảng)\b|[:,-])\s*)+"
)
# "vào" before a period says nothing more than the period ("vào quý IV-2019", "vào khoảng giữa tháng 4/2025");
# before a day it stays, for the recurrences ("vào ngày 05 hằng tháng") and "trước hoặc vào".
_VAO = re.compile(r"^vào (?:khoảng )?(?=(?:đầu |giữa |cuối |trung tuần |thượng tuần |hạ tuần )?(?:tháng|quý|năm|dịp))")
# A number spelled out in brackets repeats it ("ngày 06 (sáu) tháng 06 (sáu)"); "./." ends a document.
_SPELLED = re.compile(
    r"(?<=\d)\s*\((?:(?:một|hai|ba|bốn|tư|năm|lăm|sáu|bảy|tám|chín|mười|mươi|mốt|linh|lẻ|nghìn|ngàn|trăm)\s*)+\)"
)
_END_MARK = re.compile(r"\.?/\.\s*$")
# "chậm nhất là cuối tháng 6/2023", "chậm nhất trong quý III": at the latest a period is the period itself.
_LATEST = re.compile(
    r"^(?:chậm nhất|muộn nhất|hạn chót)(?: là)?(?: vào| trong| đến)? (?=(?:đầu |giữa |cuối |hết |trong |nửa |tuần "
    r"|trung tuần |thượng tuần |hạ tuần |\d{1,2} )*(?:tháng|quý|năm))"
)
# "ngày 15/6/2023 (thứ Năm)": the weekday in brackets repeats the date
_WEEKDAY_NOTE = re.compile(r"\s*\((?:thứ (?:hai|ba|tư|năm|sáu|bảy|[2-7])|chủ nhật|cn)\)")
# A time of day on a date ("trước 14 giờ, ngày 05/12/2017", "17 giờ ngày 10-5", "lúc 06g 00 phút, ngày …"):
# the task is due that day, so the time goes, and with it a "trước" that only bounds the hour.
_TIME = re.compile(
    r"(?:\b(?P<before>trước) )?(?:\b(?:vào )?lúc )?\b\d{1,2} ?(?:giờ|g|h)(?: ?\d{1,2}(?: ?phút|p)?)?"
    r"(?: (?:sáng|trưa|chiều|tối))?,? (?=(?:ngày )?\d)"
)
_DAYTIME = re.compile(r"\b(?:sáng|trưa|chiều|tối) (?=ngày \d)")
# (a substring that must be present, the pattern, its replacement): the check skips most regexes cheaply
_SPELLING = [
    ("hàng", re.compile(r"\bhàng (ngày|tuần|tháng|quý|năm)\b"), r"hằng \1"),
    ("nghĩ", re.compile(r"\bnghĩ hè\b"), "nghỉ hè"),
    ("quí", re.compile(r"\bquí\b"), "quý"),
    ("trưóc", re.compile(r"\btrưóc\b"), "trước"),  # a tone mark slipped: "trưóc ngày 13/02"
    ("thứ ", re.compile(r"\bthứ (hai|ba|tư|năm|sáu|bảy)\b"), None),
    (" ", re.compile(r"\s*([/\-.])\s*(?=\d)"), r"\1"),
]
_WEEKDAY_WORDS = {"hai": "2", "ba": "3", "tư": "4", "năm": "5", "sáu": "6", "bảy": "7"}


@lru_cache(maxsize=16384)  # the scan, the parse and the extractor normalise the same phrase
def normalize(text: str) -> str:
    """Lower case, NFC, single spaces, common spelling variants, no filler words or times of day."""
    out = unicodedata.normalize("NFC", text).lower().replace("–", "-").replace("—", "-")
    out = _SPACES.sub(" ", out).strip()
    if "/." in out:
        out = _END_MARK.sub("", out)
    out = out.rstrip(".;,").strip()
    for trigger, pattern, repl in _SPELLING:
        if trigger in out:
            out = pattern.sub(repl or (lambda m: f"thứ {_WEEKDAY_WORDS[m.group(1)]}"), out)
    if "(" in out:
        out = _WEEKDAY_NOTE.sub("", _SPELLED.sub("", out))
    if "giờ" in out or "g " in out or "h " in out or "lúc" in out:
        out = _TIME.sub("", out)
    if "sáng" in out or "chiều" in out or "tối" in out or "trưa" in out:
        out = _DAYTIME.sub("", out)
    out = _FILLER.sub("", out).strip()
    if out.startswith(("chậm", "muộn", "hạn")):
        out = _LATEST.sub("", out)
    if out.startswith("vào "):
        out = _VAO.sub("", out)
    return out


# --- building blocks ---------------------------------------------------------------------------

_DATE = (
    # a two-digit year only after the same mark ("2/8/11"): "2-8/11" is the days 2 to 8 of November
    r"(?:ngày )?(?P<d>\d{1,2})(?:(?P<sep>[/\-.])(?P<m>\d{1,2})"
    r"(?:(?:[/\-.](?=\d{4}$|\d{4}\D)|(?P=sep))(?P<y>\d{4}|\d{2})| năm (?P<y3>\d{4}))?"
    r"| (?:của )?tháng (?P<m2>\d{1,2})(?: năm (?P<y2>\d{4}))?)"
)
_YEAR = r"(?:[/\-.](?P<y>\d{4})| năm (?P<y2>\d{4})| năm nay)?"
_YEAR_AFTER_NAM = r"(?: (?P<y>\d{4})| nay)?"
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_WEEKDAYS = {"2": "MO", "3": "TU", "4": "WE", "5": "TH", "6": "FR", "7": "SA", "chủ nhật": "SU"}


def _year(phrase: str, groups: dict[str, str | None], doc_date: date | None) -> int:
    text = groups.get("y") or groups.get("y2") or groups.get("y3")
    if text:
        year = int(text)
        return year + 2000 if year < 100 else year
    if doc_date is None:
        raise DeadlineError(phrase, f"thiếu năm; hãy ghi năm (vd. 15/6/2022) hoặc cho ngày văn bản {DOC_DATE_HINT}")
    return doc_date.year


def _make_date(phrase: str, year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise DeadlineError(phrase, f"ngày {day}/{month}/{year} không có thật; hãy kiểm tra ngày và tháng") from None


def _date(phrase: str, g: dict[str, str | None], doc_date: date | None) -> date:
    month = g.get("m") or g.get("m2")
    if month is None:
        raise DeadlineError(phrase, "thiếu tháng; hãy viết ngày/tháng/năm")
    return _make_date(phrase, _year(phrase, g, doc_date), int(month), int(g["d"] or 0))


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _check_month(phrase: str, month: int) -> int:
    if not 1 <= month <= 12:
        raise DeadlineError(phrase, f"không có tháng {month}; tháng đi từ 1 đến 12")
    return month


def _quarter(phrase: str, text: str) -> int:
    number = _ROMAN.get(text) or (int(text) if text.isdigit() else 0)
    if not 1 <= number <= 4:
        raise DeadlineError(phrase, f"không có quý {text}; quý đi từ 1 (I) đến 4 (IV)")
    return number


# --- the grammar: (pattern, resolver) tried in order ---------------------------------------------

Resolver = Callable[[str, dict[str, str | None], date | None], Deadline]
_RULES: list[tuple[re.Pattern[str], Resolver]] = []


def _rule(pattern: str) -> Callable[[Resolver], Resolver]:
    def register(fn: Resolver) -> Resolver:
        _RULES.append((re.compile(pattern), fn))
        return fn

    return register


def _anchor(phrase: str, g: dict[str, str | None], doc_date: date | None) -> date:
    if g.get("d"):
        return _date(phrase, g, doc_date)
    if doc_date is None:
        raise DeadlineError(phrase, f"thời hạn tương đối cần ngày văn bản {DOC_DATE_HINT} hoặc 'kể từ ngày …'")
    return doc_date


@_rule(
    r"(?:trong(?: thời hạn| vòng)?|không quá|chậm nhất(?: là)?) (?P<n>\d{1,4}) ngày(?P<work> làm việc)?"
    r"(?: kể từ(?: ngày)? (?:" + _DATE.replace("(?:ngày )?", "") + r"|ký|ban hành|văn bản|nhận được[^,;]*))?"
)
def _relative(phrase: str, g: dict[str, str | None], doc_date: date | None) -> Deadline:
    start = _anchor(phrase, g, doc_date)
    count = int(g["n"] or 0)
    if g.get("work"):
        return Deadline(phrase, add_working_days(start, count))
    # Vietnamese civil law counts a period in days from the day after the event.
    return Deadline(phrase, start + timedelta(days=count))


@_rule(r"trước(?: ngày)? " + _DATE.replace("(?:ngày )?", ""))
def _before_date(phrase: str, g: dict[str, str | None], doc_date: date | None) -> Deadline:
    return Deadline(phrase, _date(phrase, g, doc_date) - timedelta(days=1))


_BARE_DATE = _DATE.replace("(?:ngày )?", "")


@_rule(r"trước ngày (?:[^\d()]{2,40}) \(" + _BARE_DATE + r"\)?")
def _before_named_day(phrase: str, g: dict[str, str | None], doc_date: date | None) -> Deadline:
    """ "trước ngày Sinh nhật Bác (19/5)": the day is named, its date in brackets."""
    return Deadline(phrase, _date(phrase, g, doc_date) - timedelta(days=1))


_TET = r"t[ếe]t(?: nguyên đán)?(?: (?:[^\W\d]+ [^\W\d]+ )?(?P<ty>\d{4}))?"


def _tet(phrase: str, g: dict[str, str | None], doc_date: date | None) -> date:
    """Which Tết: the year's the phrase names, else the first one on or after the document's date."""
    if g.get("ty"):
        return lunar_new_year(int(g["ty"] or 0))
    if doc_date is None:
        raise DeadlineError(
            phrase, f"không biết Tết năm nào; hãy ghi năm (vd. trước Tết Nguyên đán 2024) {DOC_DATE_HINT}"
        )
    first = lunar_new_year(doc_date.year)
    return first if first >= doc_date else lunar_new_year(doc_date.year + 1)


@_rule(
    r"(?P<before>trước |(?:chậm nhất|muộn nhất)(?: là)? trước )?(?:(?:từ|đến|vào|trong) )?(?:ngày )?"
    r"(?:(?:mùng|mồng) \d{1,2} ?(?:-|đến|tới) ?(?:(?:ngày )?(?:mùng|mồng) )?)?"
    r"(?:(?:mùng|mồng) (?P<n>\d{1,2}) )?" + _TET
)
def _lunar_new_year(phrase: str, g: dict[str, str | None], doc_date: date | None) -> Deadline:
    """ "trước Tết Nguyên đán", "mùng 6 Tết", "từ mùng 3 - mùng 5 Tết": days counted from the first day of Tết."""
    if g.get("n") is None and not g.get("before"):
        raise DeadlineError(phrase, UNKNOWN_HINT)  # "Tết Nguyên đán 2024" alone names the holiday, not a day
    number = int(g["n"] or 1)
    if not 1 <= number <= 10:
        raise DeadlineError(phrase, f"không có mùng {number} Tết trong các ngày Tết; hãy ghi ngày dương lịch")
    day = _tet(phrase, g, doc_date) + timedelta(days=number - 1)
    return Deadline(phrase, day - timedelta(days=1) if g.get("before") else day)


@_rule(
    r"(?:(?:chậm nhất|muộn nhất|hạn chót)(?: là)?(?: vào| đến| trong)? "
    r"|(?:trước hoặc trong|trước hoặc vào|đến hết|đến|vào|trong) )?" + _DATE
)
def _on_date(phrase: str, g: dict[str, str | None], doc_date: date | None) -> Deadline:
    return Deadline(phrase, _date(phrase, g, doc_date))


@_rule(
    r"(?:thứ (?P<wd>[2-7])|(?P<cn>chủ nhật)),? \(?(?:ngày )?"
    r"(?P<d>\d{1,2})[/\-.](?P<m>\d{1,2})(?:[/\-.](?P<y>\d{4}))?\)?"
)
def _weekday_date(phrase: str, g: dict[str, str | None], doc_date: date | None) -> Deadline:
    """ "Thứ 2 14/7", "THỨ HAI (09/02/2026)": a calendar's day heading; the weekday must be the date's."""
    day = _date(phrase, g, doc_date)
    if day.weekday() != (6 if g["cn"] else int(g["wd"] or 2) - 2):
        raise DeadlineError(phrase, f"ngày {day:%d/%m/%Y} không phải thứ đã ghi; hãy kiểm tra ngày hoặc thứ")
    return Deadline(phrase, day)


@_rule(
    r"từ (?:ngày )?(?P<first>nay|bây giờ|.{1,30}?) (?:đến|tới)(?: hết)? (?P<last>.{1,40})"
    r"|từ (?:ngày )?(?P<first2>\d{1,2}[/.]\d{1,2}(?:[/.]\d{4})?) ?- ?(?P<last2>(?:ngày )?\d{1,2}[/.]\d{1,2}[/.]\d{4})"
)
def _range(phrase: str, g: dict[str, str | None], doc_date: date | None) -> Deadline:
    """ "từ ngày 5-5-2021 đến 18-5-2021", "từ tháng 7 đến tháng 12-2019": the work ends with the range."""
    first, last = g["first"] or g["first2"] or "", g["last"] or g["last2"] or ""
    if first not in ("nay", "bây giờ"):
        try:
            start = parse_deadline(first if first[:1].isdigit() is False else f"ngày {first}", doc_date)
        except DeadlineError:
            start = None
        if start is None or start.due is None:
            raise DeadlineError(phrase, UNKNOWN_HINT)
    end = parse_deadline(last if not last[:1].isdigit() else f"ngày {last}", doc_date)
    if end.due is None:
        raise DeadlineError(phrase, UNKNOWN_HINT)
    return Deadline(phrase, end.due)


@_rule(
    r"(?:(?:trong|vào|chậm nhất|đến) )?(?:ngày )?(?P<fd>\d{1,2})[/.](?P<fm>\d{1,2})(?:[/.](?P<fy>\d{4}))?"
    r"(?: ?- ?| (?:đến|tới)(?: hết)? )(?:ngày )?(?P<d>\d{1,2})[/\-.](?P<m>\d{1,2})[/\-.](?P<y>\d{4})"
)
def _date_to_date(phrase: str, g: dict[str, str | None], doc_date: date | None) -> Deadline:
    """ "24/9/2018 đến ngày 27/10/2018", "Ngày 8/7-17/7/2017": a period without "từ" ends on its last day."""
    last = _date(phrase, g, doc_date)
    first = _make_date(phrase, int(g["fy"] or last.year), int(g["fm"] or 0), int(g["fd"] or 0))
    if first > last:
        raise DeadlineError(phrase, "ngày đầu phải trước ngày cuối; hãy viết 'từ ngày … đến ngày …'")
    if (last - first).days > 366:  # "30/4/1975 - 30/4/2022": an anniversary and its day, not a period
        raise DeadlineError(phrase, "hai ngày cách nhau hơn một năm: không phải một khoảng thời gian")
    return Deadline(phrase, last)


@_rule(
    r"(?:(?:chậm nhất|muộn nhất|hạn chót)(?: là)?(?: vào| đến| trong)? |(?P<before>trước )(?:ngày )?"
    r"|(?:đến hết|đến|vào|trong) )?(?:ngày )?(?P<d>\d{1,2})[/\-.](?P<m>\d{1,2}) năm (?:sau|tới)"
)
def _date_next_year(phrase: str, g: dict[str, str | None], doc_date: date | None) -> Deadline:
    """ "chậm nhất ngày 15/3 năm sau": that day of the year after the document's, not of its own year."""
    if doc_date is None:
        raise DeadlineError(phrase, f"'năm sau' cần ngày văn bản {DOC_DATE_HINT}; hoặc ghi năm (vd. 15/3/2024)")
    day = _make_date(phrase, doc_date.year + 1, int(g["m"] or 0), int(g["d"] or 0))
    return Deadline(phrase, day - timedelta(days=1) if g.get("before") else day)


@_rule(
    r"(?:(?:trong|vào|chậm nhất|từ) )?(?:\d{1,2} ngày |các ngày )?(?:ngày )?(?P<d1>\d{1,2})(?:(?:, ?| và )\d{1,2})*"
    r"(?: và |, ?| - |-)(?:ngày )?" + _BARE_DATE
)
def _two_days(phrase: str, g: dict[str, str | None], doc_date: date | None) -> Deadline:
    """ "ngày 14 và 15/8/2017", "trong 02 ngày 13,14 tháng 12 năm 2018", "12-17/6": the last of the days."""
    if int(g["d1"] or 0) >= int(g["d"] or 0):
        raise DeadlineError(phrase, "ngày đầu phải trước ngày cuối; hãy viết 'từ ngày … đến ngày …'")
    return Deadline(phrase, _date(phrase, g, doc_date))


@_rule(
    r"(?:trong |đến hết |hết |cuối |vào )?(?:các )?tháng (?P<m1>\d{1,2})(?: và |, ?| - |-| đến (?:hết )?)(?:tháng )?"
    r"(?P<m>\d{1,2})" + _YEAR
)
def _two_months(phrase: str, g: dict[str, str | None], doc_date: date | None) -> Deadline:
    """ "trong tháng 3 và 4 năm 2010", "tháng 7 đến tháng 12-2019": the end of the last month."""
    first, month = int(g["m1"] or 0), _check_month(phrase, int(g["m"] or 0))
    if not 1 <= first < month:
        raise DeadlineError(phrase, f"tháng {first} không đứng trước tháng {month}")
    return Deadline(phrase, _month_end(_year(phrase, g, doc_date), month))


_PARTS_OF_MONTH = {"đầu": 10, "thượng tuần": 10, "giữa": 20, "trung tuần": 20}


@_rule(
    r"(?P<part>trong |cuối |hết |đến hết |đến |đầu |giữa |trước cuối |trước |trung tuần |thượng tuần |hạ tuần )?"
    r"tháng (?P<m>\d{1,2})" + _YEAR
)
def _month(phrase: str, g: dict[str, str | None], doc_date: date | None) -> Deadline:
    month = _check_month(phrase, int(g["m"] or 0))
    year = _year(phrase, g, doc_date)
    part = (g.get("part") or "").strip()
    if part in _PARTS_OF_MONTH:  # thượng tuần: days 1–10, trung tuần: 11–20
        return Deadline(phrase, date(year, month, _PARTS_OF_MONTH[part]))
    if part == "trước":
        return Deadline(phrase, date(year, month, 1) - timedelta(days=1))
    if part == "trước cuối":  # before the month's last day
        return Deadline(phrase, _month_end(year, month) - timedelta(days=1))
    return Deadline(phrase, _month_end(year, month))


@_rule(r"(?:trong )?tuần (?P<part>đầu|cuối) (?:của )?tháng (?P<m>\d{1,2})" + _YEAR)
def _week_of_month(phrase: str, g: dict[str, str | None], doc_date: date | None) -> Deadline:
    """ "trong tuần đầu tháng 5": by the 7th; "tuần cuối tháng 6": by the month's end."""
    month = _check_month(phrase, int(g["m"] or 0))
    year = _year(phrase, g, doc_date)
    return Deadline(phrase, date(year, month, 7) if g["part"] == "đầu" else _month_end(year, month))


@_rule(
    r"(?:trong |đến hết |hết |cuối )?(?:các )?quý (?P<q1>iv|i{1,3}|\d)(?: và |, ?| - |-| đến (?:hết )?)(?:quý )?"
    r"(?P<q>iv|i{1,3}|\d)" + _YEAR
)
def _two_quarters(phrase: str, g: dict[str, str | None], doc_date: date | None) -> Deadline:
    """ "trong quý I và quý II năm 2024", "quý III, IV/2023": the end of the last quarter."""
    first, quarter = _quarter(phrase, g["q1"] or ""), _quarter(phrase, g["q"] or "")
    if first >= quarter:
        raise DeadlineError(phrase, f"quý {g['q1']} không đứng trước quý {g['q']}")
    return Deadline(phrase, _month_end(_year(phrase, g, doc_date), 3 * quarter))


@_rule(r"(?:trong )?tháng (?P<m1>\d{1,2})[/\-.](?P<y1>\d{4}) và tháng (?P<m>\d{1,2})[/\-.](?P<y>\d{4})")
def _two_months_with_years(phrase: str, g: dict[str, str | None], doc_date: date | None) -> Deadline:
    """ "trong tháng 12/2023 và tháng 1/2024": the end of the later month."""
    first = date(int(g["y1"] or 0), _check_month(phrase, int(g["m1"] or 0)), 1)
    last = date(int(g["y"] or 0), _check_month(phrase, int(g["m"] or 0)), 1)
    if first >= last:
        raise DeadlineError(phrase, "tháng đầu phải trước tháng sau")
    return Deadline(phrase, _month_end(last.year, last.month))


@_rule(r"(?P<part>trong |cuối |hết |đến hết |đầu |giữa |trước )?quý (?P<q>\d|iv|i{1,3})" + _YEAR)
def _quarter_end(phrase: str, g: dict[str, str | None], doc_date: date | None) -> Deadline:
    quarter = _quarter(phrase, g["q"] or "")
    year = _year(phrase, g, doc_date)
    part = (g.get("part") or "").strip()
    if part == "trước":
        return Deadline(phrase, date(year, 3 * quarter - 2, 1) - timedelta(days=1))
    if part == "đầu":  # the quarter's first month
        return Deadline(phrase, _month_end(year, 3 * quarter - 2))
    if part == "giữa":  # its middle month
        return Deadline(phrase, _month_end(year, 3 * quarter - 1))
    return Deadline(phrase, _month_end(year, 3 * quarter))


@_rule(r"(?:trong )?(?P<n>\d{1,2}) tháng (?P<side>đầu|cuối) năm" + _YEAR_AFTER_NAM)
def _months_of_year(phrase: str, g: dict[str, str | None], doc_date: date | None) -> Deadline:
    count = int(g["n"] or 0)
    if not 1 <= count <= 12:
        raise DeadlineError(phrase, f"một năm chỉ có 12 tháng, không phải {count}")
    year = _year(phrase, g, doc_date)
    month = count if g["side"] == "đầu" else 12
    return Deadline(phrase, _month_end(year, month))


@_rule(r"(?:trong |vào |đến |hết )?(?P<before>trước )?(?P<part>đầu|giữa|cuối|nửa đầu|nửa cuối) năm" + _YEAR_AFTER_NAM)
def _part_of_year(phrase: str, g: dict[str, str | None], doc_date: date | None) -> Deadline:
    """ "cuối năm 2022" → 31/12; "nửa đầu năm 2024" → 30/6; "trước cuối năm" → the day before the last."""
    year = _year(phrase, g, doc_date)
    month = {"đầu": 3, "giữa": 6, "cuối": 12, "nửa đầu": 6, "nửa cuối": 12}[g["part"] or "cuối"]
    end = _month_end(year, month)
    return Deadline(phrase, end - timedelta(days=1) if g.get("before") else end)


@_rule(r"(?:trong |đến hết |hết |trong cả )?năm" + _YEAR_AFTER_NAM)
def _whole_year(phrase: str, g: dict[str, str | None], doc_date: date | None) -> Deadline:
    return Deadline(phrase, date(_year(phrase, g, doc_date), 12, 31))


@_rule(r"(?:trong |vào )?(?:dịp |kỳ |thời gian )?nghỉ hè" + _YEAR)
def _summer(phrase: str, g: dict[str, str | None], doc_date: date | None) -> Deadline:
    # The summer break of Vietnamese schools ends with August; the new school year opens on 5/9.
    return Deadline(phrase, date(_year(phrase, g, doc_date), 8, 31))


# --- recurrences ---------------------------------------------------------------------------------

_EVERY = r"(?:hằng|mỗi)"


@_rule(r"(?:định kỳ )?(?:vào )?(?:(?:sáng|chiều|tối) )?(?:thứ (?P<wd>[2-7])|(?P<sun>chủ nhật)) " + _EVERY + " tuần")
def _weekday_weekly(phrase: str, g: dict[str, str | None], doc_date: date | None) -> Deadline:
    day = _WEEKDAYS["chủ nhật" if g.get("sun") else g["wd"] or "2"]
    return Deadline(phrase, None, f"FREQ=WEEKLY;BYDAY={day}", event=True)  # "sáng thứ 2 hằng tuần": held that day


@_rule(r"(?:định kỳ )?" + _EVERY + r" tuần")
def _weekly(phrase: str, g: dict[str, str | None], doc_date: date | None) -> Deadline:
    return Deadline(phrase, None, "FREQ=WEEKLY;BYDAY=SU")


@_rule(
    r"(?:định kỳ )?(?:(?P<before>trước )|(?P<by>chậm nhất )|vào )?(?:các )?ngày (?P<d>\d{1,2})"
    r"(?P<more>(?:(?:, ?| và )\d{1,2})*) " + _EVERY + r" tháng"
    r"(?:,? \(?(?:từ )?tháng (?P<m1>\d{1,2}) (?:đến|tới)(?: hết)? tháng (?P<m2>\d{1,2})\)?)?"
)
def _day_monthly(phrase: str, g: dict[str, str | None], doc_date: date | None) -> Deadline:
    """ "trước ngày 20 hằng tháng" is a deadline; "(định kỳ) ngày 5 hằng tháng" is the day something is held.

    "ngày 15 và 25 hằng tháng" names two days of each month; "ngày 05 hằng tháng (từ tháng 02 đến tháng 9)"
    only the months of the range, every year.
    """
    days = [int(g["d"] or 0), *(int(n) for n in re.findall(r"\d{1,2}", g.get("more") or ""))]
    for day in days:
        if not 1 <= day <= 31:
            raise DeadlineError(phrase, f"không có ngày {day} trong tháng")
    if days != sorted(set(days)):
        raise DeadlineError(phrase, "các ngày phải theo thứ tự, ngày đầu trước ngày sau")
    if g.get("before"):
        days = [day - 1 if day > 1 else -1 for day in days]
    event = not (g.get("before") or g.get("by"))
    by_day = ",".join(str(day) for day in days)
    if g.get("m1"):
        first, last = _check_month(phrase, int(g["m1"] or 0)), _check_month(phrase, int(g["m2"] or 0))
        if first >= last:
            raise DeadlineError(phrase, f"tháng {first} không đứng trước tháng {last}")
        if -1 in days:
            raise DeadlineError(phrase, UNKNOWN_HINT)
        months = ",".join(str(m) for m in range(first, last + 1))
        return Deadline(phrase, None, f"FREQ=YEARLY;BYMONTH={months};BYMONTHDAY={by_day}", event=event)
    return Deadline(phrase, None, f"FREQ=MONTHLY;BYMONTHDAY={by_day}", event=event)


@_rule(r"(?:định kỳ )?(?:(?P<before>trước )|(?P<by>chậm nhất )|vào )?ngày (?P<d>\d{1,2}) của (?:mỗi |hằng )?tháng")
def _day_of_the_month(phrase: str, g: dict[str, str | None], doc_date: date | None) -> Deadline:
    """ "Báo cáo tháng gửi trước ngày 15 của tháng": of each month ("của tháng sau" is not read: see the scan)."""
    day = int(g["d"] or 0)
    if not 1 <= day <= 31:
        raise DeadlineError(phrase, f"không có ngày {day} trong tháng")
    if g.get("before"):
        day = day - 1 if day > 1 else -1
    event = not (g.get("before") or g.get("by"))
    return Deadline(phrase, None, f"FREQ=MONTHLY;BYMONTHDAY={day}", event=event)


@_rule(
    r"(?:định kỳ )?(?:(?P<before>trước )|(?P<by>chậm nhất )|vào )?ngày (?P<d>\d{1,2}) (?:của )?tháng "
    r"(?P<which>đầu|cuối)(?: cùng)? (?:của )?" + _EVERY + " quý"
)
def _day_of_quarter_month(phrase: str, g: dict[str, str | None], doc_date: date | None) -> Deadline:
    """ "trước ngày 05 tháng cuối cùng của mỗi quý": by the 4th of March, June, September and December."""
    day = int(g["d"] or 0)
    if not 1 <= day <= 31:
        raise DeadlineError(phrase, f"không có ngày {day} trong tháng")
    months = [1, 4, 7, 10] if g["which"] == "đầu" else [3, 6, 9, 12]
    if g.get("before"):
        day -= 1
        if day == 0:  # the day before the 1st: the last day of the month before
            months, day = [(m - 2) % 12 + 1 for m in months], -1
    event = not (g.get("before") or g.get("by"))
    listed = ",".join(str(m) for m in sorted(months))
    return Deadline(phrase, None, f"FREQ=YEARLY;BYMONTH={listed};BYMONTHDAY={day}", event=event)


@_rule(r"(?:định kỳ )?(?:vào )?(?:cuối )?" + _EVERY + " tháng")
def _monthly(phrase: str, g: dict[str, str | None], doc_date: date | None) -> Deadline:
    return Deadline(phrase, None, "FREQ=MONTHLY;BYMONTHDAY=-1")


@_rule(r"(?:định kỳ )?(?:vào )?(?:cuối )?" + _EVERY + " quý")
def _quarterly(phrase: str, g: dict[str, str | None], doc_date: date | None) -> Deadline:
    return Deadline(phrase, None, "FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=-1")


@_rule(
    r"(?:định kỳ )?(?:(?P<before>trước )|(?P<by>chậm nhất )|vào )?(?:ngày )?(?P<d>\d{1,2})(?:[/\-.](?P<m>\d{1,2})"
    r"| tháng (?P<m2>\d{1,2})) " + _EVERY + " năm"
)
def _date_yearly(phrase: str, g: dict[str, str | None], doc_date: date | None) -> Deadline:
    """ "trước ngày 20 tháng 10 hằng năm": every year by 19 October; "vào ngày 5-9 hằng năm": held on 5 September."""
    month = _check_month(phrase, int(g.get("m") or g.get("m2") or 0))
    day = _make_date(phrase, 2000, month, int(g["d"] or 0)).day  # 2000 is a leap year: 29/2 is allowed
    if g.get("before"):
        if day == 1:
            month, day = (month - 2) % 12 + 1, -1
        else:
            day -= 1
    event = not (g.get("before") or g.get("by"))
    return Deadline(phrase, None, f"FREQ=YEARLY;BYMONTH={month};BYMONTHDAY={day}", event=event)


@_rule(r"(?:định kỳ )?(?:trong |vào |cuối |hết )?tháng (?P<m>\d{1,2}) " + _EVERY + " năm")
def _month_yearly(phrase: str, g: dict[str, str | None], doc_date: date | None) -> Deadline:
    month = _check_month(phrase, int(g["m"] or 0))
    return Deadline(phrase, None, f"FREQ=YEARLY;BYMONTH={month};BYMONTHDAY=-1")


@_rule(r"(?:định kỳ )?(?:vào )?(?:cuối )?" + _EVERY + " năm")
def _yearly(phrase: str, g: dict[str, str | None], doc_date: date | None) -> Deadline:
    return Deadline(phrase, None, "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31")


@_rule(r"(?:định kỳ )?" + _EVERY + " ngày")
def _daily(phrase: str, g: dict[str, str | None], doc_date: date | None) -> Deadline:
    return Deadline(phrase, None, "FREQ=DAILY", event=True)  # a daily routine: chasing each day's would be noise


# --- public API --------------------------------------------------------------------------------


def parse_deadline(text: str, doc_date: date | None = None) -> Deadline:
    """Resolve a deadline phrase; `doc_date` supplies a missing year and anchors relative phrases."""
    phrase = text.strip()
    if not phrase:
        raise DeadlineError(phrase, "thời hạn trống; hãy ghi thời hạn hoặc bỏ trường này")
    normal = normalize(phrase)
    for pattern, resolve in _RULES:
        match = pattern.fullmatch(normal)
        if match:
            return resolve(phrase, match.groupdict(), doc_date)
    raise DeadlineError(phrase, UNKNOWN_HINT)


def validate_rrule(rule: str) -> str:
    """Check an RRULE string with dateutil; returns it stripped, raises DeadlineError otherwise."""
    rule = rule.strip()
    try:
        rrulestr(rule, dtstart=date(2000, 1, 1))
    except (ValueError, TypeError) as exc:
        raise DeadlineError(rule, f"RRULE không hợp lệ ({exc}); xem RFC 5545, vd. FREQ=WEEKLY;BYDAY=MO") from None
    return rule


def occurrences_between(rule: str, start: date, end: date) -> list[date]:
    """The occurrence dates of `rule` (anchored at `start`) from `start` to `end`, inclusive."""
    recurrence = rrulestr(rule, dtstart=datetime.combine(start, time()))
    return [
        d.date() for d in recurrence.between(datetime.combine(start, time()), datetime.combine(end, time()), inc=True)
    ]


def next_occurrence(rule: str, dtstart: date, on_or_after: date) -> date | None:
    """The first occurrence of `rule` (anchored at `dtstart`) on or after a day; None when it has ended."""
    recurrence = rrulestr(rule, dtstart=datetime.combine(dtstart, time()))
    found = recurrence.after(datetime.combine(on_or_after, time()), inc=True)
    return found.date() if found else None


# Longer than any run of Vietnamese days off (Tết with its weekends): how far a day may move back.
_LONGEST_DAYS_OFF = 14


def _names_weekend(rule: str) -> bool:
    """A rule that names Saturday or Sunday ("chủ nhật hằng tuần") means that day, days off or not."""
    return bool(re.search(r"BYDAY=[^;]*(?:SA|SU)", rule.upper()))


@lru_cache(maxsize=4096)
def routine_days(rule: str, dtstart: date, first: date, last: date, event: bool) -> tuple[date, ...]:
    """The days a routine falls on from `first` to `last` (inclusive), with days off applied.

    An event does not take place on a day off (a public holiday, observed days included; a weekend unless
    the rule names it): that occurrence is skipped. A deadline that falls on a day off moves to the working
    day before, so that it is met by a day the office works. Two dates moved onto one day are one occurrence.
    """
    recurrence = rrulestr(rule, dtstart=datetime.combine(dtstart, time()))
    moments = recurrence.between(
        datetime.combine(first, time()), datetime.combine(last + timedelta(days=_LONGEST_DAYS_OFF), time()), inc=True
    )
    weekend_named = _names_weekend(rule)
    found: list[date] = []
    for moment in moments:
        day = moment.date()
        if event:
            if is_holiday(day) or (day.weekday() >= 5 and not weekend_named):
                continue
        elif not is_working_day(day):
            day = previous_working_day(day)
        if first <= day <= last and (not found or found[-1] < day):
            found.append(day)
    return tuple(found)


def first_routine_day(rule: str, dtstart: date, event: bool) -> date | None:
    """A routine's first occurrence on or after `dtstart` (days off applied); None if it never occurs."""
    start = dtstart
    for _ in range(20):  # a rule with COUNT or UNTIL may end; one that occurs looks a few years ahead at most
        end = start + timedelta(days=400)
        days = routine_days(rule, dtstart, start, end, event)
        if days:
            return days[0]
        if next_occurrence(rule, dtstart, end) is None:
            return None
        start = end + timedelta(days=1)
    return None


# --- finding deadlines inside a sentence ----------------------------------------------------------

# Words a deadline phrase may start with; a phrase is tried from each of them, longest first.
_STARTERS = frozenset(
    [
        "trong",
        "trước",
        "trưóc",
        "chậm",
        "muộn",
        "hạn",
        "đến",
        "vào",
        "hết",
        "cuối",
        "đầu",
        "giữa",
        "ngày",
        "tháng",
        "quý",
        "quí",
        "năm",
        "dịp",
        "kỳ",
        "nghỉ",
        "nghĩ",
        "sáng",
        "chiều",
        "tối",
        "thứ",
        "hằng",
        "hàng",
        "mỗi",
        "định",
        "nửa",
        "tuần",
        "không",
        "hoàn",
        "dự",
        "mùng",
        "mồng",
    ]
)
# Words a phrase of the grammar may end with (besides a number): trying only those keeps a 5 MB text fast.
_ENDINGS = frozenset(["năm", "tuần", "tháng", "quý", "quí", "hè", "nay", "ngày", "ký", "hành", "bản", "nhật"])
_ENDINGS |= {"i", "ii", "iii", "iv", "sau", "tới", "tết", "đán"}  # a quarter's numeral; "năm sau"; "trước Tết"
# A phrase without a number needs one of these words ("giữa năm", "dịp nghỉ hè", "hằng tuần").
_WORDY = frozenset(["hè", "hằng", "hàng", "mỗi", "giữa", "cuối", "đầu", "tết"])
_LONGEST = 12  # words ("dự kiến được tổ chức vào đầu quý III năm 2021")
# A number's characters: the digits \d reads and the other ones str.isdigit knows (superscripts, circled …).
_DIGITS = (
    r"\d\u00b2\u00b3\u00b9\u1369-\u1371\u19da\u2070\u2074-\u2079\u2080-\u2089\u2460-\u2468\u2474-\u247c"
    r"\u2488-\u2490\u24ea\u24f5-\u24fd\u24ff\u2776-\u277e\u2780-\u2788\u278a-\u2792\U00010a40-\U00010a43"
    r"\U00010e60-\U00010e68\U00011052-\U0001105a\U0001f100-\U0001f10a"
)
# Where a word that makes a phrase possible can be: a number (one match for "06/4/2022") or one of _WORDY's
# words; the scan then checks the whole word.
_NEAR = re.compile(
    rf"[{_DIGITS}][{_DIGITS}/.\-]*|(?i:giữa|cuối|đầu|hằng|hàng|hè|mỗi|tết)|(?i:(?<=quý |quí )(?:iv|i{{1,3}}))\b"
)
_WORD = re.compile(r"\S+")
_WEAK_YEAR = re.compile(r"năm(?: \d{4}| nay)|trong năm")
_HINT = re.compile(r"\d|qu[ýí] (?:iv|i{1,3})\b|" + "|".join(sorted(_WORDY)), re.IGNORECASE)
_ROMAN_QUARTERS = frozenset(["i", "ii", "iii", "iv"])  # "trong quý III": a quarter without a digit
_WHOLE = frozenset(["cả", "suốt", "hết", "đến", "trong"])
_RANGE = re.compile(r"\d{1,2}\s*-\s*\d{1,2}")  # "05 - 12 tuổi" is a range, not a date
# "tổ chức không quá 1 ngày", "diễn ra trong 02 ngày": a duration with nothing to count from, in running text
_UNANCHORED = re.compile(r"(?:trong(?: thời hạn| vòng)?|không quá|chậm nhất(?: là)?) \d{1,4} ngày(?: làm việc)?")


@dataclass(frozen=True)
class FoundDeadline:
    """A deadline phrase found in running text, where it is, and whether it is only a bare year.

    A bare year ("… đóng góp năm 2022", "trong năm") usually names the year a plan belongs to, not a
    deadline: it is `weak`, and the extractor asks the keeper instead of trusting it.
    """

    deadline: Deadline
    start: int
    end: int
    weak: bool


@lru_cache(maxsize=16384)
def _read_or_none(phrase: str, doc_date: date | None) -> Deadline | None:
    """A phrase tried while scanning: most tries fail, and the same phrases recur from one line to the next."""
    try:
        return parse_deadline(phrase, doc_date)
    except DeadlineError:
        return None


_TRIM = '("“”,.;:)'
_WHICH_MONTH = frozenset(["sau", "tới", "này", "trước", "kế", "tiếp"])


def _clean_next(text: str, spans: list[tuple[int, int]], k: int) -> str:
    """The k-th word of the text, lower case, without punctuation ("" past the end)."""
    return text[spans[k][0] : spans[k][1]].lower().strip(_TRIM) if k < len(spans) else ""


_BLANKS = re.compile(_SPELLED.pattern + r"|(?<=\d)\.?/\.(?=\s|$)", re.IGNORECASE)
# "9.1. Đơn vị sự nghiệp": an outline number opening its line, not the 9th of January
_OUTLINE = re.compile(r"(?m)^[ \t*•\-]*\d{1,2}(?:\.\d{1,2})+\.(?=[ \t]+[^\W\d_])")


def find_deadlines(text: str, doc_date: date | None = None) -> list[FoundDeadline]:
    """Every deadline phrase the grammar reads in `text`, left to right, the longest reading at each place."""
    if not _HINT.search(text):  # no number and no "giữa", "hằng", "hè"…: no phrase of the grammar
        return []
    original = text
    if "(" in text or "/." in text:  # "06 (sáu)", "8/6/2021./.": blanked in place, so positions stay
        text = _BLANKS.sub(lambda m: " " * len(m.group()), text)
    if "." in text:
        text = _OUTLINE.sub(lambda m: " " * len(m.group()), text)
    spans = [m.span() for m in _WORD.finditer(text)]
    count = len(spans)
    # Only words near a hint can be in a phrase: a word with a number at either end, or a wordy one. Every
    # such word holds a match of _NEAR, so the words are read only around those matches.
    near = sorted({bisect_right(spans, (m.start(), len(text))) - 1 for m in _NEAR.finditer(text)})
    words: dict[int, str] = {}
    hinted: list[int] = []
    for h in near:
        for k in range(max(0, h - _LONGEST), min(count, h + _LONGEST)):
            if k not in words:
                a, b = spans[k]
                words[k] = text[a:b].lower().strip(_TRIM)
        w = words[h]
        if w[:1].isdigit() or w[-1:].isdigit() or w in _WORDY or w in _ROMAN_QUARTERS:
            hinted.append(h)
    if not hinted:
        return []
    ends = {k for k, w in words.items() if w[-1:].isdigit() or w in _ENDINGS}  # where a phrase may end
    found: list[FoundDeadline] = []
    after = 0  # the first word not inside a phrase already found
    for i in sorted(k for k, w in words.items() if w in _STARTERS or w[:1].isdigit()):
        if i < after:
            continue
        nxt = bisect_left(hinted, i)  # a phrase needs a hint within its first _LONGEST words
        if nxt == len(hinted) or hinted[nxt] >= i + _LONGEST:
            continue
        start, word = spans[i][0], words[i]
        if original[start] == "(":
            start += 1  # "vào ngày điều tra đầu tiên (1-4-2019)": the date in brackets, without its bracket
        for j in range(min(_LONGEST, count - i), 0, -1):
            if i + j - 1 not in ends or (j == 1 and not word[:1].isdigit()):
                continue  # one word alone ("năm") is no deadline; "30/4/2022" is
            phrase = original[start : spans[i + j - 1][1]].rstrip(',.;:"”')
            if phrase.endswith(")") and phrase.count("(") < phrase.count(")"):
                phrase = phrase[:-1]
            if _RANGE.fullmatch(phrase):
                continue
            deadline = _read_or_none(phrase, doc_date)
            if deadline is None:
                continue
            following = _clean_next(text, spans, i + j)
            if phrase.lower().endswith("của tháng") and (following in _WHICH_MONTH or following[:1].isdigit()):
                continue  # "trước ngày 15 của tháng sau": one month, which one the grammar does not guess
            if following[:1].isdigit() and phrase.lower().endswith(("tết", "đán")):
                continue  # "trước Tết 2 tuần": so long before it, which the grammar does not count
            normal = normalize(phrase)  # "hoàn thành năm 2022" says more than "năm 2022": filler was stripped
            before = words.get(i - 1, text[spans[i - 1][0] : spans[i - 1][1]].lower().strip(_TRIM)) if i else ""
            # "cả năm 2022", "suốt năm 2022" name the whole year
            weak = (
                _WEAK_YEAR.fullmatch(normal) is not None
                and normal == " ".join(phrase.lower().split())
                and before not in _WHOLE
            ) or (_UNANCHORED.fullmatch(normal) is not None)
            found.append(FoundDeadline(deadline, start, start + len(phrase), weak))
            after = i + j
            break
    return found


# --- extension dates in replies ---------------------------------------------------------------------

# The grammar's own words as people type them without diacritics, restored before matching.
_RESTORE = {
    "ngay": "ngày",
    "thang": "tháng",
    "nam": "năm",
    "quy": "quý",
    "qui": "quý",
    "truoc": "trước",
    "den": "đến",
    "het": "hết",
    "cuoi": "cuối",
    "dau": "đầu",
    "giua": "giữa",
    "cham": "chậm",
    "nhat": "nhất",
}
_LEAD = re.compile(r"^(?:(?:den|toi|sang|qua|to|until|till|by|on|->|>|=>|lui|vao|hen|la|moi)\s+)+")
_AMOUNT = re.compile(r"^(?:them\s+)?(?P<n>\d{1,3}|mot|hai|ba|bon|nam|muoi)\s+(?P<unit>ngay|tuan|thang)(?:\s+nua)?$")
_NUMBER_WORDS = {"mot": 1, "hai": 2, "ba": 3, "bon": 4, "nam": 5, "muoi": 10}
_WEEK = re.compile(r"^(?:(?:cuoi|het)\s+)?tuan\s+(?P<which>sau|toi|nay)(?P<more>\s+nua)?$")
_WEEKDAY_OF = re.compile(
    r"^(?:(?:thu\s+(?P<wd>[2-7]|hai|ba|tu|nam|sau|bay))|(?P<sun>chu nhat|cn))\s+(?:tuan\s+)?(?P<which>sau|toi|nay)"
    r"(?P<more>\s+nua)?$"
)
_NEXT_MONTH = re.compile(r"^(?:(?P<part>dau|giua|cuoi|het|trong)\s+)?thang\s+(?:sau|toi)(?P<more>\s+nua)?$")
_MUNG = re.compile(r"\bmung\s+(?=\d)")
_WEEKDAY_NUMBER = {"hai": 2, "ba": 3, "tu": 4, "nam": 5, "sau": 6, "bay": 7}


_MONTHS = {name: n for n, names in enumerate(
    [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")], start=1) for name in names}  # fmt: skip
_MONTH_NAME = "|".join(sorted(_MONTHS, key=len, reverse=True))
_ENGLISH_DATE = re.compile(
    rf"^(?:(?P<m1>{_MONTH_NAME})\.? (?P<d1>\d{{1,2}})(?:st|nd|rd|th)?|(?P<d2>\d{{1,2}})(?:st|nd|rd|th)? (?:of )?"
    rf"(?P<m2>{_MONTH_NAME})\.?)(?:,? (?P<y>\d{{4}}))?$"
)


def _english_date(match: re.Match[str]) -> str:
    """ "May 15", "15th of May 2022" → "15/5" (or "15/5/2022") for the grammar."""
    month = _MONTHS[match["m1"] or match["m2"]]
    day = match["d1"] or match["d2"]
    return f"{day}/{month}" + (f"/{match['y']}" if match["y"] else "")


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def parse_extension_date(text: str, today: date, due: date) -> date:
    """The new deadline an official asks for: "15/5", "thêm 10 ngày" (from the current deadline), "thêm 1
    tuần", "sang tuần sau", "thứ 6 tuần sau", "đầu tháng sau", "hết quý II", "cuối quý 1", with or without
    diacritics. A date without a year that has already passed means next year's. Raises DeadlineError."""
    from scheduler.folding import fold, nfc

    phrase = " ".join(fold(nfc(text)).replace("–", "-").split()).strip(" .,;:!")
    phrase = _LEAD.sub("", phrase)
    if not phrase:
        raise DeadlineError(text, "thiếu ngày; hãy viết vd. 'đến 15/6' hoặc 'thêm 10 ngày'")
    match = _AMOUNT.match(phrase)
    if match:
        count = int(match["n"]) if match["n"].isdigit() else _NUMBER_WORDS[match["n"]]
        if match["unit"] == "thang":
            return _add_months(due, count)
        return due + timedelta(days=count * (7 if match["unit"] == "tuan" else 1))
    monday = today - timedelta(days=today.weekday())
    match = _WEEK.match(phrase)
    if match:
        weeks = (0 if match["which"] == "nay" else 1) + (1 if match["more"] else 0)
        return monday + timedelta(days=7 * weeks + 6)
    match = _WEEKDAY_OF.match(phrase)
    if match:
        if match["sun"]:
            offset = 6
        else:
            wd = match["wd"]
            offset = (int(wd) if wd.isdigit() else _WEEKDAY_NUMBER[wd]) - 2
        weeks = (0 if match["which"] == "nay" else 1) + (1 if match["more"] else 0)
        return monday + timedelta(days=7 * weeks + offset)
    match = _NEXT_MONTH.match(phrase)
    if match:
        first = _add_months(today.replace(day=1), 2 if match["more"] else 1)
        part = match["part"]
        if part == "dau":
            return first.replace(day=10)
        if part == "giua":
            return first.replace(day=20)
        return _month_end(first.year, first.month)
    phrase = _ENGLISH_DATE.sub(_english_date, phrase)
    phrase = _MUNG.sub("ngày ", phrase)
    phrase = re.sub(r"^het ngay\b", "ngay", phrase)
    phrase = re.sub(r"^(?:het|cuoi) nam$", "het nam", phrase)
    restored = " ".join(_RESTORE.get(word, word) for word in phrase.split())
    found = parse_deadline(restored, today)
    if found.due is None:
        raise DeadlineError(text, "gia hạn cần một ngày cụ thể, vd. 'đến 15/6'")
    if found.due < today and not re.search(r"\d{4}", phrase):  # "15/1" written in December: next January
        return found.due.replace(year=found.due.year + 1)
    return found.due
