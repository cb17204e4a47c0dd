"""When a document was written, and which of its lines are only the web page around it.

The date comes, in this order, from the letterhead's dateline ("Xuân Cao, ngày 20 tháng 4 năm 2023"), from
the line that issues it ("(Theo Công văn số 6202/UBND-KT, ngày 23/11/2023)", "Ngày 27 tháng 5 năm 2022, …
đã ký Công văn số …"), from the opening of a report ("Sáng ngày 22/10/2019, Ban Thường trực …"), and only
then from the page's own stamp ("Ngày đăng bài: 12/05/2020", "Đăng lúc: 07:54:42 16/04/2021",
"THỨ BA, 25/02/2020 08:51:00"); never from a date further in the body. A date without its year takes the
latest year the text names (not the years of a term such as "nhiệm kỳ 2021 - 2026"), and says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_D = r"(?P<d>\d{1,2})"
_M = r"(?P<m>\d{1,2})"
_Y = r"(?P<y>\d{4})"
_NUMERIC = _D + r"\s*[/.\-]\s*" + _M + r"(?:\s*[/.\-]\s*" + _Y + r")?"
_WORDS = r"(?P<d2>\d{1,2})\s+tháng\s+(?P<m2>\d{1,2})(?:\s+năm\s+(?P<y2>\d{4}))?"
_ANY = rf"(?:{_NUMERIC}|{_WORDS})"

# "Xuân Cao, ngày 20 tháng 4 năm 2023" or a line that is only "Ngày 07 tháng 4 năm 2022"
_LETTERHEAD = re.compile(rf"^(?:[^\d,;:.]{{2,60}},\s*)?ngày\s*(?:{_NUMERIC}|{_WORDS})\s*\.?$", re.IGNORECASE)
_ISSUING = re.compile(
    r"(?:(?:ký|ban hành)\b.{0,40}\b(?:công văn|kế hoạch|thông báo|quyết định|chỉ thị|nghị quyết|hướng dẫn)"
    r"|(?:theo|tại)\s+(?:công văn|kế hoạch|thông báo|quyết định|chỉ thị|nghị quyết)\s+số)",
    re.IGNORECASE,
)
_OPENING = re.compile(
    rf"^(?:\([\w.]+\)\s*-\s*)?(?:(?:sáng|chiều|tối|trưa)\s+)?(?:ngày\s+)?{_ANY}(?:\s*,|\s+(?=[^\W\d_]))",
    re.IGNORECASE,
)
# "Căn cứ …, chiều ngày 5.11.2020, đồng chí … chủ trì": a report's event, said with its time of day
_EVENT = re.compile(rf"\b(?:sáng|chiều|tối|trưa)\s+ngày\s+{_NUMERIC}\s*,", re.IGNORECASE)
_DATE_IN = re.compile(rf"ngày\s*,?\s*{_ANY}", re.IGNORECASE)
# The web page around the text: publishing stamps, counters, navigation.
FURNITURE = re.compile(
    # "Chính trị - Ngày đăng : 21:37, 09/03/2021": a section's name may come first
    r"^[\s•*+\-–]*(?:[^\W\d]+(?:\s+[^\W\d]+){0,3}\s+[-–]\s+)?"
    r"(?:(?:ngày\s+)?(?:cập nhật|ngày đăng(?: bài)?|đăng lúc|đăng ngày|lượt xem|thống kê truy cập|"
    r"ngày xuất bản|"
    r"xuất bản|lượt truy cập|tags|chia sẻ(?: bài viết)?|in bài|tin liên quan|xem thêm|nguồn tin|tác giả)\b.*"
    # words of running text too ("Tất cả các sở, ban, ngành …", "Ý kiến chỉ đạo …"): a counter or a comment box
    # only when a number, a colon or nothing follows ("Tất cả: 120.345", "Bình luận (0)")
    r"|(?:đang online|hôm nay|trong tuần|tất cả|bình luận|ý kiến(?: bạn đọc)?)"
    r"\s*(?:[:(]\s*[\d.,]*\)?\s*|\d[\d.,]*\s*)?$"
    r"|(?:thứ\s+(?:hai|ba|tư|năm|sáu|bảy)|chủ nhật)\s*[,\-–]?\s*\d{1,2}/\d{1,2}/\d{4},?\s+(?:-\s*)?\d{1,2}:\d{2}.*"
    # "Chủ nhật, ngày 17 tháng 10 năm 2021 | 15:8:30", "author Thứ Tư, ngày 23/05/2012 05:36 AM (GMT+7)"
    r"|(?:[a-z]{2,12}\s+)?(?:thứ\s+(?:hai|ba|tư|năm|sáu|bảy)|chủ nhật)\s*,?\s*(?:ngày\s+)?"
    r"(?:\d{1,2}/\d{1,2}/\d{4}|\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4})\s*[,|\-]?\s*\d{1,2}:\d{1,2}.*"
    # "3/3/2021 12:00:00 AM | 0": the post's clock and its view counter
    r"|\d{1,2}/\d{1,2}/\d{4}(?:\s*[-,|]?\s*\d{1,2}:\d{2}(?::\d{2})?(?:\s*[ap]m)?)?(?:\s*\(?gmt[^)]*\)?|\s*\[gmt[^\]]*\])?"
    r"(?:\s*\|\s*(?:(?:view count|cms-view-count|lượt xem|lượt đọc)\s*:?\s*)?\d[\d.]*)*"
    r"|(?:ngày\s+)?\d{1,2}/\d{1,2}/\d{4}\s+\d{1,2}:\d{2}(?::\d{2})?"
    r"|[•*]?\s*(?:đang online|hôm nay|trong tuần|tất cả)\s*:.*"
    # a citation of the source: "… Đại hội điểm cấp xã / A.V. // daidoanket.vn. -ngày 27/11/2018"
    r"|.*\s//\s*[\w.\-]+\.(?:vn|com|net|org)\b.*"
    # a photo's caption: "Các đại biểu cắt băng khai trương …. (Ảnh: Vạn Xuân)"
    r"|[^()]{0,300}\(\s*ảnh(?: minh họa| minh hoạ)?\s*:[^()]{1,80}\)\s*\.?)$",
    re.IGNORECASE,
)
_STAMP = re.compile(rf"{_D}\s*/\s*{_M}\s*/\s*{_Y}|{_WORDS}")
_TERM = re.compile(r"\b(?:19|20)\d{2}\s*[-–]\s*(?:19|20)\d{2}\b")
_YEARS = re.compile(r"(?<!\d)(?:19[5-9]\d|20\d{2})(?![\d/])")
# A document cited with its date ("Kế hoạch số 176 ngày 26.8.2019") was written before this one.
_CITED = re.compile(
    r"\bsố\s+\S+(?:\s+\S+){0,3}?,?\s+ngày\s+\d{1,2}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*(\d{4})", re.IGNORECASE
)
_FULL_DATE = re.compile(r"\b\d{1,2}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*((?:19|20)\d{2})\b")
_FUTURE = re.compile(r"\b(?:sẽ|dự kiến|chuẩn bị)\b", re.IGNORECASE)
_ASKED_BY = re.compile(r"\b(?:trước|chậm nhất(?: là| vào)?|hạn|đến(?: hết)?|hết|từ|trong|vào)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class DocumentDate:
    """The document's date, where it was read (its span in the text) and how sure the reading is."""

    day: date
    start: int
    end: int
    source: str  # "letterhead", "issuing", "opening", "stamp"
    year_guessed: bool = False


def is_furniture(line: str) -> bool:
    """A line of the web page, not of the document: it never becomes a task."""
    return bool(FURNITURE.match(line.strip()))


# "Lịch tiếp công dân … năm 2025", "Kế hoạch tổ chức Đại hội năm 2020": the year the headline says it is about
_TITLE_YEAR = re.compile(r"\bnăm\s+((?:19|20)\d{2})\b(?!\s*[-–]\s*(?:19|20)\d{2})", re.IGNORECASE)


def headline_year(text: str) -> int | None:
    """The one year the first lines name ("LỊCH TIẾP CÔNG DÂN … NĂM 2024"), None when they name none or several."""
    lines = [line for line in text.split("\n") if line.strip()][:3]
    lines = [line for line in lines if not re.search(r"\bngày\s+\d", line, re.IGNORECASE)]  # not the dateline
    years = {int(y) for line in lines for y in _TITLE_YEAR.findall(line[:300])}
    return years.pop() if len(years) == 1 else None


def text_year(text: str) -> int | None:
    """The year the headline says the document is about ("Lịch tiếp công dân … năm 2025"), else the year of the latest
    document the text cites, else the latest year it names (not a term's years)."""
    headline = next((line for line in text.split("\n") if line.strip()), "")
    titled = _TITLE_YEAR.findall(headline[:300])
    if len(titled) == 1:
        return int(titled[0])
    cited = [int(y) for y in _CITED.findall(text)]
    if cited:
        return max(cited)
    dated = [int(y) for y in _FULL_DATE.findall(text)]
    if dated:
        return max(dated)
    cleaned = _TERM.sub(" ", text)
    years = [int(y) for y in _YEARS.findall(cleaned)]
    return max(years) if years else None


_WEEKDAYS = {"hai": 0, "2": 0, "ba": 1, "3": 1, "tư": 2, "4": 2, "năm": 3, "5": 3, "sáu": 4, "6": 4, "bảy": 5, "7": 5}
# "THỨ HAI, NGÀY 27/5", "Thứ năm (05/3)", "Chủ nhật 2/6": a weekday beside a day that has no year
_WEEKDAY_DAY = re.compile(
    r"(?<!ngày )(?<!việc )\b(?:thứ\s+(?P<w>hai|ba|tư|năm|sáu|bảy|[2-7])|(?P<sun>chủ nhật))\s*[,(\-–]?\s*(?:ngày\s+)?"
    r"(?P<d>\d{1,2})\s*[/.\-]\s*(?P<m>\d{1,2})(?!\s*[/.\-]\s*\d)(?!\d)",
    re.IGNORECASE,
)


def weekday_year(text: str, near: int | None) -> int | None:
    """The year a page's weekdays give its yearless days ("THỨ HAI, NGÀY 27/5" is a Monday in 2013, 2019, 2024):
    of the years they fit, the one nearest to `near` (the year the text names), else to any year it names, a
    term's too ("giai đoạn 2016 - 2020"). None when no weekday is written or the text names no year at all."""
    days = []
    for match in _WEEKDAY_DAY.finditer(text[:20000]):
        weekday = 6 if match["sun"] else _WEEKDAYS[match["w"].lower()]
        days.append((int(match["d"]), int(match["m"]), weekday))
        if len(days) == 8:
            break
    if not days:
        return None
    hints = [near] if near is not None else [int(y) for y in _YEARS.findall(text[:20000])]
    if not hints:
        return None

    def fits(year: int) -> bool:
        try:
            return all(date(year, m, d).weekday() == w for d, m, w in days)
        except ValueError:
            return False

    candidates = [y for y in range(min(hints) - 6, max(hints) + 7) if fits(y)]
    if not candidates:
        return None
    return min(candidates, key=lambda y: (min(abs(y - h) for h in hints), -y))


def _group(match: re.Match[str], name: str) -> str | None:
    groups = match.groupdict()
    return groups.get(name) or groups.get(name + "2")


def _make(
    match: re.Match[str], offset: int, source: str, text: str, stamp_year: int | None = None
) -> DocumentDate | None:
    year_text = _group(match, "y")
    guessed = False
    if year_text:
        year = int(year_text)
    else:
        found = stamp_year or text_year(text)
        if found is None:
            return None
        year, guessed = found, True
    try:
        day = date(year, int(_group(match, "m") or 0), int(_group(match, "d") or 0))
    except ValueError:
        return None
    return DocumentDate(day, offset + match.start(), offset + match.end(), source, guessed)


def document_date(text: str) -> DocumentDate | None:
    """The document's date by the order of the module docstring; None when the text gives none."""
    lines = []
    offset = 0
    for line in text.split("\n"):
        lines.append((offset, line))
        offset += len(line) + 1
    head = [(o, ln) for o, ln in lines if ln.strip()][:40]
    stamp = _stamp(head, text)
    year = stamp.day.year if stamp else None
    for o, line in head[:15]:
        match = _LETTERHEAD.match(line.strip())
        weekday = re.match(r"\s*(?:thứ\s+\w+|chủ nhật)\b", line, re.IGNORECASE)
        if match and not weekday and not re.search(r"\d{1,2}:\d{2}", line):
            found = _make(match, o + line.index(line.strip()), "letterhead", text)
            if found:
                return found
    for o, line in head[:8]:
        if is_furniture(line):
            continue
        for sentence in re.finditer(r"[^.;]*(?:\.\d[^.;]*)*", line):
            piece = sentence.group()
            if _ISSUING.search(piece) and not _FUTURE.search(piece):
                for match in _DATE_IN.finditer(piece):
                    if _ASKED_BY.search(piece[: match.start()]):
                        continue  # "trước ngày 31/12/2023, UBND các huyện ban hành quyết định …": a deadline
                    found = _make(match, o + sentence.start(), "issuing", text, year)
                    if found:
                        return found
    for o, line in head[:12]:
        stripped = line.strip()
        if is_furniture(line) or len(stripped) < 40:
            continue
        match = _OPENING.match(stripped) or _EVENT.search(stripped[:300])
        if match:
            found = _make(match, o + line.index(stripped), "opening", text, year)
            if found:
                return found
    return stamp


def _stamp(head: list[tuple[int, str]], text: str) -> DocumentDate | None:
    """The page's publishing stamp, the last resort for the date and the best witness of a missing year.

    A stamp above the headline is the site's clock (the day the page was read); one below it, the article's.
    """
    stamps: list[tuple[DocumentDate, bool]] = []
    headline = False  # a line of the text itself was seen
    for o, line in head[:15]:
        if is_furniture(line) or re.fullmatch(r"\s*\d{1,2}/\d{1,2}/\d{4}\s*", line):
            match = _STAMP.search(line)
            found = _make(match, o, "stamp", text) if match else None
            if found:
                stamps.append((found, headline))
        elif line.strip():
            headline = True
    if len(stamps) > 1 and not stamps[0][1]:
        below = [found for found, after in stamps if after]
        if below:
            return below[0]
    return stamps[0][0] if stamps else None


_KIND = re.compile(
    r"^(?:thông báo|kế hoạch|công văn|quyết định|nghị quyết|chỉ thị|chương trình|báo cáo|kết luận|tờ trình"
    r"|hướng dẫn|lịch|thông tri|công điện)\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"^số\s*:?\s*([0-9][\w/.\-]*)", re.IGNORECASE)


def document_name(text: str, fallback: str) -> str:
    """What the keeper calls the document: its kind line ("THÔNG BÁO KẾT LUẬN", with the next line when the
    kind stands alone) and its number ("số 52-TB/ĐU"); never the letterhead or the dateline above it."""
    lines = [line.strip() for line in text.split("\n")[:40] if line.strip() and not is_furniture(line)]
    number = next((m[1].rstrip(".") for line in lines[:12] if (m := _NUMBER.match(line))), "")
    for index, line in enumerate(lines):
        if _KIND.match(line) and not _LETTERHEAD.match(line):
            name = line
            if len(line.split()) <= 2 and index + 1 < len(lines) and not _NUMBER.match(lines[index + 1]):
                name += " " + lines[index + 1]
            return (f"{name[:150]} số {number}" if number else name[:160]).strip()
    return f"{fallback} số {number}" if number else fallback
