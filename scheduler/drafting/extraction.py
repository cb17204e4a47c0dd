"""Drafting a task register from a conclusion, plan or directive: the keeper's first pass, done by machine.

The document is read as sections ("Đối với UBND thị trấn.") of paragraphs, sentences and clauses. A clause
that assigns work ("Chỉ đạo BCH Đoàn TN thị trấn tổ chức …", "… phối hợp với …", "Giao …") becomes a task:
its lead unit is the one the directive names, else the sentence's subject, else the unit of the section,
else the body that issued the document; its deadline comes from the shared grammar, the missing year from
the document's date. Whatever the machine guessed goes into the task's `review` list, so that the keeper
decides it before the draft can be imported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from scheduler.deadlines import Deadline, DeadlineError, FoundDeadline, find_deadlines, normalize, parse_deadline
from scheduler.drafting.datelines import (
    DocumentDate,
    document_date,
    document_name,
    headline_year,
    is_furniture,
    text_year,
    weekday_year,
)
from scheduler.drafting.organisations import Organisation, organisations
from scheduler.folding import fold, nfc
from scheduler.register.file import Register
from scheduler.register.unit_names import Mention, UnitIndex, key

# Verbs a clause that assigns work starts with.
TASK_VERBS = tuple(
    """chỉ đạo|giao|đề nghị|yêu cầu|tổ chức|kiện toàn|xây dựng|hoàn thiện|hoàn thành|thành lập|lập|rà soát|
    triển khai|tập trung|tiếp tục|tăng cường|đẩy mạnh|thực hiện|chuẩn bị|đôn đốc|tổng hợp|bám sát|phấn đấu|
    phối hợp|chủ trì|duy trì|nâng cao|quán triệt|phát động|vận động|khuyến khích|kiểm tra|giải quyết|
    tuyên truyền|đảm bảo|bảo đảm|chấm dứt|xử lý|kiên quyết|thường xuyên|kịp thời|lãnh đạo|ban hành|trình|
    nộp|gửi|báo cáo|cập nhật|sơ kết|tổng kết|hướng dẫn|tham mưu|quản lý|phát triển|thống kê|điều tra|
    huấn luyện|bàn giao|khắc phục|hỗ trợ|khẩn trương|rà soát|tiếp nhận|theo dõi|đánh giá|phổ biến|chi trả|
    cấp phát|phân bổ|nghiệm thu|thẩm định|phê duyệt|công khai|tiếp xúc|giám sát|phòng chống|phòng, chống|
    tu sửa|sửa chữa|vệ sinh|thu|mua|lựa chọn|bầu|kết nạp|treo|trang trí|thu gom|khơi thông|ra quân|phun|
    tiêm|kê khai|đăng ký|lấy ý kiến|rà soát|ký kết|làm việc|tổ chức|họp|in|cấp|đo đạc|cắm mốc|giải ngân|
    quyết toán|phải|công bố|thông qua|tiến hành|hoàn tất|hoàn chỉnh|chuyển|quyết định|thẩm tra|thẩm định|
    gửi về|nộp về|phê chuẩn|ký|hoàn thiện""".replace("\n", "").split("|")
)
TASK_VERBS = tuple(sorted({v.strip() for v in TASK_VERBS if v.strip()}, key=len, reverse=True))
DIRECTIVES = ("chỉ đạo", "giao cho", "giao", "đề nghị", "yêu cầu")
# Verbs that open the next item of a list of tasks inside one clause ("Tổ chức X, kiện toàn Y …").
LIST_VERBS = ("tổ chức", "kiện toàn", "xây dựng", "thành lập", "hoàn thiện", "lập", "tổng hợp")
LEADING = ("trong đó", "đồng thời", "bên cạnh đó", "ngoài ra", "nhất là", "đặc biệt là", "riêng", "tập trung",
           "tiếp tục", "khẩn trương", "kịp thời")  # fmt: skip
NOT_TASKS = ("để ", "nhằm ", "với ", "tuy nhiên", "hội nghị ", "nhiệm vụ công tác", "cần phải", "qua đó", "do ")
_NOT_TASKS = tuple(s.strip() for s in NOT_TASKS)
HEADING = re.compile(
    r"^(?:[-–•+*]\s*)?(?:(?:[IVX]{1,4}|\d{1,2}|[a-zđ])[.)/]\s*)?(?P<body>(?:đối với|về|giao cho|nhiệm vụ của)\b.*)$",
    re.IGNORECASE,
)
# "2. Tổ chức thực hiện", "II/ Kế hoạch và lịch kiểm tra:", "1.8/ Tổ chức …" (not "V/v", về việc)
NUMBERED = re.compile(r"^(?:[IVX]{1,4}|\d{1,2}(?:\.\d{1,2})?)(?:[.)]\s+|[.]?/\s*(?=[^\W\d])(?![vV]\b))(?P<body>.+)$")
BULLET = re.compile(r"^(?:[-–•+*]|[a-zđ]\)|\d{1,2}\))\s*")
_SLASH_MARK = re.compile(r"^\s*(?:\d{1,2}(?:\.\d{1,2})?|[a-zđ])\s*/\s+(?=[^\W\d])")

_PLACE = re.compile(r"(?:thị trấn|xã|phường|huyện|thành phố)\s+([A-ZĐ]\w*(?:\s+[A-ZĐ0-9]\w*)*)")
_PROBE_YEAR = date(2000, 1, 1)
# A schedule's day alone on its line: with its weekday, or ending with a colon.
_DAY_HEADER = re.compile(
    r"^[-*•+\s]*(?:[a-zđ0-9]{1,2}[.)]\s*)?"
    r"(?:(?:(?:(?:ngày\s+(?:làm việc\s+)?)?thứ\s+(?:hai|ba|tư|năm|sáu|bảy|[2-7])"
    r"|ngày\s+(?:làm việc\s+)?thứ\s+(?:nhất|\d)|chủ nhật)\b[\s,.:(\-–]*(?:ngày\s+)?"
    r"\d{1,2}\s*[/.\-]\s*\d{1,2}(?:\s*[/.\-]\s*\d{2,4})?\s*\)?\s*(?:\((?:nhằm|tức)[^)]{0,30}\)\s*)?:?)"
    r"|(?:ngày\s+)?\d{1,2}\s*[/.\-]\s*\d{1,2}(?:\s*[/.\-]\s*\d{2,4})?\s*(?:\([^)]{0,12}\))?\s*:)\s*$",
    re.IGNORECASE,
)  # any leap year: only to see which phrases lack a year
# "sẽ diễn ra vào các ngày 26, 27/6", "dự kiến được công bố vào …": a preamble's sentence about what is to come
_FUTURE = re.compile(r"\b(?:sẽ|dự kiến)\b", re.IGNORECASE)
# "1. Đối với khen thưởng …,", "Theo kế hoạch …,": what the clause is about, or where it comes from
_TOPIC = re.compile(r"^[\W]*(?:(?:\d{1,2}|[ivx]{1,4}|[a-zđ])[.)]\s*)?(?:đối với|(?P<source>theo))\b")
_LINE_DAY = re.compile(r"(?:ngày\s+)?\d{1,2}\s*[/.\-]", re.IGNORECASE)
_CONGRESS = re.compile(
    r"(?:(?:còn|riêng|đồng thời)\s+)?(?:(?:tổ chức|tiến hành)\s+)?"
    r"(?:đại hội\s+(?:đại biểu\s+)?|kỳ họp\s+|phiên họp\s+|hội nghị\s+(?:lần thứ \w+\s+)?(?:của\s+)?)"
)
# Words that may stand before a deadline that opens its clause ("từ tháng 1 đến tháng 3-2020 các chi bộ …").
_OPENERS = frozenset(["từ", "trong", "vào", "đến", "trước", "chậm", "nhất", "là", "theo", "đó", "sau", "đồng", "thời"])
_DEADLINE_WORDS = ("trước", "chậm nhất", "hạn", "đến hết", "hoàn thành", "muộn nhất")
# Verbs of a body that helps another: no task of its own.
_HELPING = ("phối hợp", "tham gia", "giúp", "hỗ trợ", "cùng", "tham mưu", "giúp việc")
# Verbs that only say a task is done by its date ("…, hoàn thành trước ngày 30/6"): no task of their own.
_COMPLETION = frozenset(["hoàn thành", "hoàn tất", "xong", "kết thúc", "thực hiện", "phải", "hoàn thiện", "báo cáo"])
_WHOLE_RANGE = re.compile(
    r"\d{1,2}\s*(?:-|và|,)\s*\d{1,2}\s*(?:[/.]|tháng)| (?:đến|tới) "
    r"|tháng \d{1,2}\s*(?:-|và|,)\s*(?:tháng )?\d{1,2}(?!\d)"
)
_DONE = re.compile(r"\bđã\b", re.IGNORECASE)
_ASKED = re.compile(r"\b(?:đề nghị|yêu cầu|chỉ đạo|giao)\b", re.IGNORECASE)
_CITED = re.compile(r"\bsố\s+[\w/.\-–]+(?:\s+[\w/.\-–]+){0,4}?\s*,?\s*$")
# A short name of the register followed by one of these words is a body of another level or place.
_OTHER_LEVEL = frozenset(["huyện", "tỉnh", "xã", "phường", "quận", "thành", "thị", "các", "khối", "cấp", "trung",
                          "tp", "quốc", "cùng"])  # fmt: skip
# "nhiệm vụ được giao" (the duties assigned) directs nobody
_DIRECTIVE = re.compile(r"(?<!được )\b(?:chỉ đạo|giao cho|giao|đề nghị|yêu cầu|phân công|do)\b(?!\s+(?:của|cho biết))")
# Words after which an organisation is not the doer: it receives, hosts or owns.
_NOT_SUBJECT = frozenset(["về", "của", "với", "tại", "cho", "trình", "gửi", "gởi", "qua", "lên", "tới", "ở", "thuộc",
                          "vào", "đến", "theo", "cùng", "và", "dự", "thăm", "giữa", "từ", "nhận", "mời", "họp",
                          "trường", "sở", "sách"])  # fmt: skip
_PERSON = frozenset(["tịch", "thư", "đốc", "trưởng", "phó", "chí", "đ/c", "ông", "bà"])
# Verbs whose organisation is their object: "nghe các tổ đại biểu", "bỏ cấp huyện", "sáp nhập một số đơn vị".
_OBJECT_VERBS = frozenset(["nghe", "ra", "mời", "chọn", "thăm", "gặp", "giúp", "nhận", "bỏ", "nhập", "xếp"])

# What may stand before a clause's subject: a deadline phrase, a linking word ("Theo đó", "Tiếp đó"), bullets.
_SUBJECT_ZONE = re.compile(
    # "08 giờ 00:", "cả ngày,", "07 giờ 30 ngày 28/01/2021 …" (the clock before its day)
    r"^[\s*•+\-–]*(?:(?:(?:\d{1,2}(?:\s*(?:giờ|g|h)\s*\d{0,2})?\s*[-–]\s*)?\d{1,2}\s*(?:giờ|g|h)(?:\s*\d{1,2}(?:\s*phút)?)?"
    r"|cả ngày|(?:buổi\s+)?(?:sáng|chiều|tối|trưa))"  # "- Sáng: 7h30, Giám đốc Sở …": the time, then the clock
    r"\s*(?:[:,]\s*|(?=ngày\s+\d))){0,2}"
    r"(?:(?:theo đó|tiếp đó|sau đó|đồng thời|riêng|trong đó|ngoài ra|bên cạnh đó|theo kế hoạch|"
    r"theo dự kiến|dự kiến|cụ thể|tất cả|toàn thể)\s*,?\s*)*(?:từ nay\s+)?"
    r"(?:(?:trước|chậm nhất|đến hết|đến|trong|vào)\s+)?"
    r"(?:(?:sáng|chiều|tối)?\s*(?:ngày|thứ \w+)?\s*[\d/.\-]+\s*[:,]?\s*)?"
)

NO_DEADLINE = "không tìm thấy thời hạn: ghi deadline, hoặc giữ ongoing: true nếu là việc thường xuyên"


# --- the draft -----------------------------------------------------------------------------------


@dataclass
class DraftTask:
    """One drafted task with what it came from and what the keeper must still decide."""

    title: str
    quote: str
    section: str
    lead: list[str]
    coordinating: list[str] = field(default_factory=list)
    deadline: FoundDeadline | None = None
    confidence: float = 0.95
    review: list[str] = field(default_factory=list)
    paragraph: int = 0
    code: str = ""
    explicit: bool = False  # the clause itself names its lead unit
    at: int = -1  # where the deadline phrase is in the document's text
    year_guessed: bool = False  # the deadline's year came from the text, not from the document's date

    @property
    def due(self) -> date | None:
        return self.deadline.deadline.due if self.deadline else None

    @property
    def rrule(self) -> str | None:
        return self.deadline.deadline.rrule if self.deadline else None

    @property
    def ongoing(self) -> bool:
        return self.deadline is None

    def record(self) -> dict[str, object]:
        """The task in the import format."""
        out: dict[str, object] = {"code": self.code, "title": self.title, "quote": self.quote}
        if self.deadline is not None:
            out["deadline"] = self.deadline.deadline.text
            if self.year_guessed and self.deadline.deadline.due:
                out["due"] = self.deadline.deadline.due
            if self.year_guessed and self.deadline.deadline.rrule:
                out["rrule"] = self.deadline.deadline.rrule
            elif (self.deadline.deadline.rrule or "").startswith("FREQ=YEARLY") and not _SAYS_EVERY.search(
                self.deadline.deadline.text
            ):
                # "Báo cáo 6 tháng … trước ngày 05/6": every year, as the words around the phrase say
                out["deadline"] = f"{self.deadline.deadline.text} hằng năm"
        else:
            out["ongoing"] = True
        out["lead"] = self.lead
        if self.coordinating:
            out["coordinating"] = self.coordinating
        out["confidence"] = round(self.confidence, 2)
        if self.review:
            out["review"] = self.review
        return out


@dataclass
class Draft:
    """What came out of one document."""

    source: str
    doc_date: date | None
    doc_date_found: bool
    tasks: list[DraftTask]
    notes: list[str] = field(default_factory=list)
    title: str = ""  # what the document is called (datelines.document_name)

    @property
    def dated(self) -> list[DraftTask]:
        return [t for t in self.tasks if not t.ongoing]


# --- reading the document ------------------------------------------------------------------------


_PLACE_ABBREVIATION = re.compile(r"(?<![^\s(])(?:TP|Tp|TX|Tx|TT|Q|P|H|X)\.\s+$")


def sentences(paragraph: str) -> list[str]:
    """Split at . ! ? followed by a capital letter (Vietnamese ones included), not after a place's abbreviation
    ("UBND TP. Bà Rịa", "TX. Phú Mỹ", "Tp. Hồ Chí Minh")."""
    out: list[str] = []
    start = 0
    for match in re.finditer(r"[.!?…]+[\"”']?\s+", paragraph):
        following = paragraph[match.end() : match.end() + 1]
        if _PLACE_ABBREVIATION.search(paragraph, 0, match.end()):
            continue
        if following and (following.isupper() or following in '"“'):
            out.append(paragraph[start : match.end()].strip())
            start = match.end()
    out.append(paragraph[start:].strip())
    return [s for s in out if s]


def _strip_leading(words: list[str]) -> list[str]:
    """Without "Trong đó", "Tập trung", "Tiếp tục" … in front: what is left says who does what."""
    while words and (lead := _starts_with(words, LEADING)) and len(words) > len(lead.split()):
        words = words[len(lead.split()) :]
    return words


# For each tuple of phrases: its phrases, and the word counts of those that begin with a given word.
_PHRASE_SETS: dict[tuple[str, ...], tuple[frozenset[str], dict[str, tuple[int, ...]]]] = {}


def _starts_with(words: list[str], phrases: tuple[str, ...]) -> str | None:
    """The longest of `phrases` (of up to 4 words) the words begin with."""
    known = _PHRASE_SETS.get(phrases)
    if known is None:
        sizes: dict[str, set[int]] = {}
        for phrase in phrases:
            split = phrase.split()
            if 1 <= len(split) <= 4:
                sizes.setdefault(split[0], set()).add(len(split))
        known = _PHRASE_SETS[phrases] = (
            frozenset(phrases),
            {w: tuple(sorted(n, reverse=True)) for w, n in sizes.items()},
        )
    if not words or (lengths := known[1].get(words[0])) is None:
        return None
    for size in lengths:
        if len(words) >= size and (head := " ".join(words[:size])) in known[0]:
            return head
    return None


@dataclass
class _Clause:
    text: str
    sentence: str
    paragraph: int
    continues: bool  # after ";" in the same sentence
    offset: int = 0  # where the clause starts in the document's text


class Extractor:
    """One document against one register's units."""

    def __init__(
        self,
        register: Register,
        doc_date: date | None,
        dateline: tuple[int, int] = (-1, -1),
        year_date: date | None = None,
    ) -> None:
        self.units = UnitIndex(register)
        names = [n for u in register.units for n in (u.name, *u.aliases)]
        names += [n for g in register.groups for n in (g.name, *g.aliases)]
        self.places = {m.group(1).lower() for name in names for m in _PLACE.finditer(name)}
        self.doc_date = doc_date  # what is before it is history
        self.year_date = year_date or doc_date  # where a missing year comes from
        self.dateline = dateline  # the span the document's date was read from: the report's own date
        self.issuer_name: str | None = None
        self.addressed: str | None = None  # the first body a letter is sent to ("Kính gửi: …")
        # Does the document speak of the register's own place? Until a full name ("UBND thị trấn") is seen,
        # a bare "UBND", "HĐND", "Đảng ủy" is somebody else's, not the register's.
        self.local = True
        self.stamped = False  # the date is the page's publishing stamp, not the document's own
        self.yearly = False  # the document sets dates of every year ("hằng năm") and names no year
        self.headline_end = -1  # where the document's first line ends
        self.page_time: tuple[FoundDeadline, int] | None = None  # a "Thời gian: …" line, for a table below it

    # -- sections and clauses --

    def heading(self, paragraph: str) -> str | None:
        """The text of a section heading, or None for an ordinary paragraph."""
        words = paragraph.split()
        if len(words) > 22:
            return None
        match = HEADING.match(paragraph)
        if match and not find_deadlines(paragraph, self.year_date):
            return match["body"].rstrip(".:").strip()
        numbered = NUMBERED.match(paragraph)
        if numbered and len(words) <= 14 and paragraph.rstrip().endswith((":", ".")) is not None:
            body = numbered["body"].rstrip(".:").strip()
            if not find_deadlines(body, self.year_date) and not _starts_with(key(body).split(), TASK_VERBS):
                return body
        return None

    def addressee(self, paragraphs: list[tuple[int, str]]) -> str | None:
        """The first body a letter is sent to ("Kính gửi: - Ban Thường vụ Đoàn các tỉnh;"), a register unit or as
        written; None when the text is no letter."""
        for number, (_at, paragraph) in enumerate(paragraphs[:30]):
            sent = re.match(r"kính gửi\s*:?\s*", paragraph, re.IGNORECASE)
            if sent is None:
                continue
            rest = paragraph[sent.end() :] or (paragraphs[number + 1][1] if number + 1 < len(paragraphs) else "")
            first = re.split(r"\s*[;]\s*|\s+-\s+|,\s*$", BULLET.sub("", rest).strip(), maxsplit=1)[0].strip(" .,;:")
            if not first or len(first.split()) > 16 or not organisations(first):
                return None
            known = self.known(key(first).split())
            return known[0].code if known and known[0].start == 0 else first
        return None

    def issuer(self, text: str) -> str | None:
        """The body that issued the document: the first unit named in its opening lines."""
        for line in text.split("\n")[:6]:
            found = self.known(key(line).split())
            if found:
                return found[0].code
        return None

    # -- one clause --

    def is_task(self, words: list[str], continues: bool) -> bool:
        """Does this clause assign work? A verb first, or a unit then a verb; a clause after ";" follows."""
        text = " ".join(words)
        if not words or any(text.startswith(s) and text[len(s) :][:1] in (" ", "") for s in _NOT_TASKS):
            return False
        words = _strip_leading(words)
        if _starts_with(words, TASK_VERBS):
            return True
        mentions = self.known(words[:12])
        if mentions and mentions[0].start <= 1:
            after = words[mentions[-1].end : mentions[-1].end + 4]
            return any(_starts_with(after[k:], TASK_VERBS) for k in range(len(after)))
        return continues

    def leads(self, words: list[str]) -> tuple[list[str], list[str], str | None]:
        """(lead units, coordinating units, an unknown name after the directive) read from the clause."""
        words = _strip_leading(words)
        mentions = self.known(words)
        coordinating = []
        helps = "hợp" in words or "cho" in words  # most clauses name no body that helps
        for i, w in enumerate(words if helps else ()):  # "phối hợp (với) X", "cho X"
            if (w == "hợp" and i and words[i - 1] == "phối") or w == "cho":
                for m in mentions:
                    if i < m.start <= i + 3:
                        coordinating.append(m.code)
        directive = _starts_with(words, DIRECTIVES)
        leads: list[str] = []
        unknown = None
        if directive:
            after = len(directive.split())
            near = [m for m in mentions if after <= m.start <= after + 2]
            if near:
                leads = [near[0].code] + [m.code for m in mentions if m.start == near[-1].end or self._listed(near, m)]
            elif words[after : after + 1] and words[after] not in ("công", "thực", "nhân", "việc", "các", "lãnh"):
                name = []
                for word in words[after : after + 5]:
                    if _starts_with([word], TASK_VERBS) or word in ("phối", "thực", "tập"):
                        break
                    name.append(word)
                unknown = " ".join(name) or None
        elif mentions and mentions[0].start <= 1:
            leads = [mentions[0].code] + [m.code for m in mentions[1:] if self._listed(mentions[:1], m)]
        if not leads and "tại" in words:
            for i, w in enumerate(words):
                if w == "tại":
                    leads = [m.code for m in mentions if m.start == i + 1][:1]
                    if leads:
                        break
        leads = list(dict.fromkeys(leads))
        coordinating = [c for c in dict.fromkeys(coordinating) if c not in leads]
        return leads, coordinating, unknown

    @staticmethod
    def _listed(first: list[Mention], other: Mention) -> bool:
        """A unit right after the first ones, in the same list (shared-head names are adjacent)."""
        return other.start == first[-1].end

    def found(self, text: str, offset: int = -1, cell: bool = False) -> list[FoundDeadline]:
        """The deadlines of a clause that can be deadlines: not history, not a reference, not a range's start.

        A table's time cell (`cell`) is read as the plan's schedule.
        """
        return [
            _periodic_report(text, _target(text, _period_of(text, _bare_recurrence(f))))
            for f in _next_year_yearly(text, self._read(text))
            if (f.deadline.due is None or self._ahead(f, text, cell))
            and not (_opens_range(text, f) and not (cell and _START_CELL.fullmatch(text)))
            and not _reference(text, f)
            and not _not_a_date(text, f)
            and not _past_or_called_off(text, f)
            and not self._issued(text, f)
            and not (offset >= 0 and offset + f.start < self.dateline[1] and offset + f.end > self.dateline[0])
            and not (0 <= offset < self.headline_end and self._published(f))
        ]

    def _issued(self, text: str, found: FoundDeadline) -> bool:
        """ "Ngày 9/10, UBND huyện Phú Xuyên ra Kế hoạch số 218 …", "UBND xã … thông báo về việc …": the document's
        own day, said of its issuing, is no deadline."""
        if self.doc_date is not None and found.deadline.due != self.doc_date:
            return False
        if not _PLAIN_DAY.fullmatch(found.deadline.text):
            return False  # "(dự kiến tổ chức vào cuối tháng 7-2021)": what the letter is about is still to come
        return _ISSUING.search(text) is not None

    def _published(self, found: FoundDeadline) -> bool:
        """ "Bản tin 1/10: …": in the headline, the document's own day with no deadline word is when it came out."""
        phrase = found.deadline.text.lower()
        return found.deadline.due == self.doc_date and not phrase.startswith(_DEADLINE_WORDS)

    def deadline(self, text: str, found: list[FoundDeadline] | None = None) -> tuple[FoundDeadline | None, list[str]]:
        """The clause's deadline and what the keeper should know about the choice."""
        found = self.found(text) if found is None else found
        strong = [f for f in found if not f.weak]
        notes: list[str] = []
        if not strong:
            if found and _BARE_EVERY.fullmatch(normalize(found[0].deadline.text)):
                phrase = text[found[0].start : found[0].end]
                notes.append(
                    f"chỉ thấy “{phrase}” (có thể chỉ nói việc lặp lại, không phải hạn): "
                    f"nếu là hạn, ghi deadline: {phrase}, rồi bỏ ongoing"
                )
            elif found:
                notes.append(
                    f"chỉ thấy “{text[found[0].start : found[0].end]}” (có thể là năm của kế hoạch, không phải hạn): "
                    f"nếu là hạn, ghi deadline: trong {text[found[0].start : found[0].end]}, rồi bỏ ongoing"
                )
            return None, notes
        dated = [f for f in strong if f.deadline.due is not None]
        # "Tuần cao điểm 26/3: … đến hết ngày 27/3/2020": a bare day that names an occasion gives way to a phrase
        # that says by when
        said = [f for f in dated if not _BARE_DAY.fullmatch(f.deadline.text)]
        dated = said or dated
        chosen = min(dated, key=lambda f: f.deadline.due or date.max) if dated else strong[0]
        if len(strong) > 1:
            listed = "; ".join(text[f.start : f.end] for f in strong)
            notes.append(f"câu có {len(strong)} thời hạn ({listed}): đã chọn “{text[chosen.start : chosen.end]}”")
        return chosen, notes

    def split_by_deadlines(self, text: str, found: list[FoundDeadline]) -> list[str]:
        """ "Sinh hoạt vào ngày 05 hằng tháng, nộp biên bản chậm nhất ngày 10 hằng tháng" is two tasks.

        A clause with two deadlines is cut at a comma (or a "và") between them that opens a new verb phrase;
        without such a comma ("trong quý 2 và cả năm 2022") it stays one task with two deadlines.
        """
        found = [f for f in found if not f.weak]
        if len(found) < 2:
            return [text]
        cuts = []
        for before, after in zip(found, found[1:], strict=False):
            # ", nộp …" or " và hoàn thành … trước ngày …": a new verb phrase with its own deadline
            for comma in re.finditer(r",\s+|\s+và\s+", text[before.end : after.start]):
                start = before.end + comma.end()
                rest = _strip_leading(key(text[start:]).split())
                own_words = len(key(text[start : after.start]).split())  # more than "hoàn thành" before its date
                verb = _starts_with(rest, TASK_VERBS)
                if verb and (own_words >= 3 or verb not in _COMPLETION):
                    cuts.append(before.end + comma.start())
                    break
        if not cuts:
            return [text]
        bounds = [0, *cuts, len(text)]
        parts = [re.sub(r"^và\s+", "", text[a:b].strip(" ,")) for a, b in zip(bounds, bounds[1:], strict=False)]
        return [p for p in parts if p]

    def _year_guessed(self, found: FoundDeadline) -> bool:
        """Did the year of this deadline come from the text rather than from the document's date?"""
        if self.yearly and found.deadline.rrule and not re.search(r"(?:hằng|hàng) năm", found.deadline.text.lower()):
            return True
        return self.year_date is not None and self.year_date != self.doc_date

    def _read(self, text: str) -> list[FoundDeadline]:
        """The grammar's phrases; in a yearly framework with no year at all, a day without a year recurs yearly.

        "ngày tựu trường … là ngày 1-8 hàng năm; … Năm học phải kết thúc trước ngày 31-5": the document sets
        dates of every school year, so "trước ngày 31-5" is every 30 May.
        """
        if self.year_date is not None or not self.yearly:
            return find_deadlines(text, self.year_date)
        out = []
        for f in find_deadlines(text, _PROBE_YEAR):
            if f.deadline.due is None or re.search(r"\d{4}", f.deadline.text):
                out.append(f)
                continue
            try:
                every = parse_deadline(f"{f.deadline.text} hằng năm")
            except DeadlineError:
                continue
            if every.rrule:
                out.append(FoundDeadline(Deadline(f.deadline.text, None, every.rrule), f.start, f.end, f.weak))
        return out

    def _ahead(self, found: FoundDeadline, text: str = "", cell: bool = False) -> bool:
        """A date before the document is history ("kế hoạch số 108 ngày 06/4/2022"), not a deadline.

        Unless the phrase says it is one ("trước ngày 13/4/2021", "chậm nhất đến ngày …") of work not said
        to be done: a report published after the deadline still states it.
        """
        if self.doc_date is None or (found.deadline.due or date.max) >= self.doc_date:
            return True
        phrase = found.deadline.text.lower()
        done = [m.end() for m in _DONE.finditer(text, 0, found.start)]
        # "Sở đã có công văn đề nghị các đơn vị chậm nhất ngày 25.12.2017 phải báo cáo": the letter was sent, the
        # work it asks for is not said to be done
        said_done = bool(done) and not _ASKED.search(text, done[-1], found.start)
        if self.stamped and not said_done and (self.doc_date - (found.deadline.due or date.max)).days <= 7:
            return True  # a page published a few days into the week it schedules
        if self.stamped and not said_done and cell:
            return True  # a plan table's time cell: the page may carry a plan written long before it was posted
        return phrase.startswith(_DEADLINE_WORDS) and not said_done

    # -- the document --

    def clauses(self, paragraph: str, number: int, offset: int = 0) -> list[_Clause]:
        out: list[_Clause] = []
        cursor = 0
        for sentence in sentences(paragraph):
            for k, part in enumerate(_join_named_lists(sentence.split(";"))):
                if part:
                    text = _SLASH_MARK.sub("", BULLET.sub("", part))  # "1/ Tổ chức …", "a/ Các xã …"
                    at = paragraph.find(text, cursor)
                    if at >= 0:
                        cursor = at + len(text)
                    out.append(_Clause(text, sentence, number, continues=k > 0, offset=offset + max(at, 0)))
        return out

    def split_list(self, text: str) -> list[str]:
        """ "Tổ chức Hội nghị CBCC …, kiện toàn Ban thanh tra …" is two tasks; a directive's list is one."""
        words = _strip_leading(key(text).split())
        if not _starts_with(words, LIST_VERBS):
            return [text]
        parts = re.split(r",\s+(?=(?:" + "|".join(LIST_VERBS) + r")\s)", text, flags=re.IGNORECASE)
        return [p for p in parts if p.strip()]

    def run(self, text: str) -> list[DraftTask]:
        self.local = self._speaks_of_the_register(text)
        self.yearly = self.year_date is None and re.search(r"\b(?:hằng|hàng) năm\b", text, re.IGNORECASE) is not None
        paragraphs: list[tuple[int, str]] = []
        offset = 0
        for line in text.split("\n"):
            if line.strip() and line.strip() not in "-–•*+" and not is_furniture(line):
                paragraphs.append((offset + len(line) - len(line.lstrip()), line.strip()))
            offset += len(line) + 1
        # "Thứ năm 27/1/2022" among a page's first lines, a headline and prose below it: the portal's clock (the day
        # the page was read), no schedule's day
        widget = next((i for i, (_o, p) in enumerate(paragraphs[:3]) if _WIDGET.fullmatch(p)), None)
        if widget is not None and widget + 1 < len(paragraphs):
            following = paragraphs[widget + 1][1]
            listed = BULLET.match(following) or _CLOCK_START.match(following) or self.line_person(following)
            if len(following.split()) >= 8 and not listed:
                del paragraphs[widget]
        if paragraphs:
            # the headline: the first line of some words ("Giáo dục", a site's section above it, is no headline)
            title = next((p for p in paragraphs[:4] if len(p[1].split()) >= 4), paragraphs[0])
            self.headline_end = title[0] + len(title[1])
        headings = {i: h for i, (_o, p) in enumerate(paragraphs) if (h := self.heading(p)) is not None}
        # a letter asks its addressees ("Kính gửi: Các tổ chức thành viên …") for its reports
        self.addressed = self.addressee(paragraphs)
        issuer = self.issuer(text) or self.lead_in(paragraphs)
        first = min(headings) if headings else 0
        section_title, section_units = "", [issuer] if issuer else []
        tasks: list[DraftTask] = []
        table: _Table | None = None
        day: tuple[FoundDeadline, int] | None = None
        day_has_items = False
        reviewing = False  # under "Đánh giá công tác tháng 9:": the bullets are what was done
        month_plan = False  # under "Kế hoạch công tác tháng 10/2019": its listed items are that month's
        day_mark = ""  # the bullet of the day's first item ("-"): another one ("+") details the item above
        intro: list[str] = []  # the body a lead-in paragraph ending with ":" names, for the bullets below it
        in_period = False  # the schedule's heading is a month or a quarter, not a day
        plan_item: DraftTask | None = None  # a plan's item without a deadline, whose details may follow as bullets
        item_lead: list[str] = []  # the unit a detail line named
        prose: list[str] = []  # the doer the last paragraph of prose named
        for number, (at, paragraph) in enumerate(paragraphs):
            time_line = _TIME_LINE.match(paragraph) if ":" in paragraph[:30] else None
            if time_line is not None and day is None and plan_item is None:
                rest = paragraph[time_line.end() :]
                times = [f for f in self.found(rest, at + time_line.end()) if not f.weak and f.deadline.due]
                if len(times) == 1 and _only_dates(rest, times):
                    # "Thời gian: 14 giờ ngày 28 tháng 9 năm 2012": when what follows is done, no task of its own
                    self.page_time = (times[0], at + time_line.end())
                    continue
            if " | " in paragraph or paragraph.endswith(" |"):
                table = table if table is not None and table.last == number - 1 else _Table(paragraph, number)
                if table.header is not paragraph:
                    tasks += self.row_tasks(table, paragraph, number, at, section_title, section_units, intro)
                table.last = number
                continue
            if number in headings:
                plan_item, item_lead = None, []
                if day is None or not NUMBERED.match(paragraph):
                    day = None  # "2. Chủ tịch UBND xã …:" under a schedule's day is an item of that day
                day_has_items = False
                section_title = headings[number]
                found = [m.code for m in self.known(key(section_title).split())]
                named = [_with_title(section_title, o).name for o in organisations(section_title)]
                # "Đối với các lớp năm nhất (Chi đoàn mới):": a group the section is for, kept as written
                group = re.match(r"đối với\s+(các\s+.+)$", section_title, re.IGNORECASE)
                section_units = found[:1] or named[:1] or ([group[1]] if group else []) or ([issuer] if issuer else [])
                continue
            if number < first and self.day_header(paragraph, at) is not None:
                first = number  # a schedule's first day ends the preamble, whatever headings come below it
            if _LEGAL_BASIS.match(paragraph) and not _BASIS_THEN.search(paragraph):
                continue  # "Căn cứ Luật … ngày 19 tháng 6 năm 2015 …;": what the document rests on, no task
            if number < first:
                # the preamble: what happened, not what is asked; only what it says is still to come stays
                tasks += [t for t in self.paragraph_tasks(paragraph, number, section_title, section_units, at)
                          if t.deadline is not None and _FUTURE.search(t.quote)]  # fmt: skip
                continue
            if paragraph.endswith(":") and _REVIEW_HEADING.match(paragraph):
                day, reviewing = None, True  # "I. Đánh giá công tác tháng 9:": what was done, no task below it
                continue
            header = self.day_header(paragraph, at)
            if header is not None:
                day = header  # a schedule's day: the items below it happen on it
                day_has_items = False
                day_mark = ""
                reviewing = False
                # "Tháng 3:", "Kế hoạch công tác tháng 10/2019": every line below is an item of that month
                month_plan = _PLAN_PERIOD.match(paragraph) is not None
                in_period = _PERIOD_HEADER.match(paragraph) is not None or month_plan
                continue
            if month_plan and day is not None and not (BULLET.match(paragraph) or NUMBERED.match(paragraph)):
                continue  # a month's plan lists its items; the letterhead, a signature, a caption are none
            if reviewing and not BULLET.match(paragraph):
                reviewing = False
            if reviewing:
                continue
            if in_period and day is not None and paragraph.rstrip().endswith(":") and len(paragraph.split()) <= 6:
                continue  # "2.Nội dung hoạt động:": a sub-heading of the month's plan
            if in_period and day is not None and _THEME.match(paragraph):
                continue  # "Chủ điểm tháng 12: …": the month's theme, no work
            if day is not None and _ROUTINE.match(paragraph):
                continue  # "- 13 giờ 30, đồng chí Phó Bí thư Thành ủy làm việc tại cơ quan.": office hours
            if day is not None:
                body = BULLET.sub("", paragraph).strip()
                mark = paragraph[:1] if paragraph[:1] in "-–•+*" else ""
                if _TIME_OF_DAY.fullmatch(body):
                    continue  # "Buổi sáng từ 8-12h:": the part of the day the items below fall in
                # "- 9-11h: Họp trù bị." then "+ Phổ biến chương trình …": the other mark details the item above
                detail = bool(mark and day_mark and mark != day_mark and day_has_items)
                day_mark = day_mark or mark
                person = self.line_person(body)
                own = [] if person else self.paragraph_tasks(paragraph, number, section_title, section_units, at)
                if detail:
                    tasks += [task for task in own if task.deadline is not None]
                elif own:
                    tasks += [self.on_day(task, day) for task in own]
                    day_has_items = True
                else:
                    item = self.schedule_item(paragraph, number, at, day, section_title, section_units)
                    # "* Buổi sáng: …" belongs to the item above; "09 giờ 00’: Dự lễ …", with its own clock, is an
                    # item, and so is a line with the mark of the day's first item
                    timed = _CLOCK_START.match(paragraph) is not None
                    same_mark = bool(mark) and mark == day_mark
                    if item and (item[0].explicit or timed or in_period or same_mark or not day_has_items):
                        tasks += item
                        day_has_items = True
            else:
                bullet = BULLET.match(paragraph) is not None
                if bullet and self.item_detail(paragraph, at, plan_item, item_lead):
                    continue  # "- Đơn vị chủ trì: …", "- Thời gian thực hiện: …": said of the item above
                if bullet and (unit := _UNIT_LINE.match(BULLET.sub("", paragraph).strip())):
                    item_lead = self.named_as(unit["who"])  # under a heading: the lead of what follows
                    continue
                # a section that names its unit leads its paragraphs; prose carries a doer only outside one
                plain = not bullet and not NUMBERED.match(paragraph) and section_units == ([issuer] if issuer else [])
                own = self.paragraph_tasks(
                    paragraph,
                    number,
                    section_title,
                    section_units,
                    at,
                    carried=(item_lead or intro) if bullet else (prose if plain else None),
                )
                tasks += own
                # "Công an tỉnh, Sở Y tế … báo cáo Thường trực Tỉnh ủy …" then "Báo cáo nhanh gửi trước 14h00 ngày
                # 13/02/2021.": a paragraph of prose that names no doer goes on with the one before it
                subject = self.opening_body(paragraph) if plain else None
                if subject or not plain or not own or own[-1].explicit:
                    prose = [subject] if subject else []  # else the doer carried on stays: "Báo cáo đầy đủ …"
                if not bullet:  # an item ("1. Tổ chức lễ phát động …"): its details may follow as bullets
                    plan_item = own[0] if len(own) == 1 and own[0].deadline is None else None
                    item_lead = []
                if paragraph.rstrip().endswith(":"):
                    # "Đồng chí Bí thư Huyện uỷ tiếp dân định kỳ mỗi tháng, cụ thể:": its doer, for what follows
                    intro = self.intro_lead(paragraph) or (own[-1].lead if own and own[-1].explicit else [])
                elif not bullet:
                    intro = []
        return tasks

    def named_as(self, who: str) -> list[str]:
        """The unit a detail line names ("Phòng Y tế huyện"): the register's, else as written."""
        known = self.known(key(who).split())
        if known and known[0].start == 0:
            return [known[0].code]
        found = organisations(who)
        if found and found[0].start == 0:
            return [found[0].name]
        who = who.strip(" .;,")
        return [who] if who and len(who.split()) <= 10 else []

    def item_detail(self, paragraph: str, at: int, item: DraftTask | None, item_lead: list[str]) -> bool:
        """A plan's item followed by its details: "- Đơn vị chủ trì: Phòng Y tế huyện", "- Thời gian thực hiện: Ngày
        25/4/2024". The unit becomes the item's lead, the time its deadline; no task of their own."""
        if item is None:
            return False
        body = BULLET.sub("", paragraph).strip()
        shift = at + paragraph.find(body)
        unit = _UNIT_LINE.match(body)
        if unit is not None:
            lead = self.named_as(unit["who"])
            if lead and not item.explicit:
                item.lead = lead
                item.explicit = True
                item.review = [r for r in item.review if "đơn vị chủ trì" not in r]
                if lead[0] not in self.units.labels:
                    item.review.append(self._unknown_note(lead[0]))
            return bool(lead)
        if item.deadline is not None or not _TIME_LINE.match(body):
            return False
        found = [f for f in self.found(body, shift) if not f.weak]
        if not found:
            return False
        deadline, notes = self.deadline(body, found)
        if deadline is None:
            return False
        item.deadline = deadline
        item.at = shift + deadline.start
        item.quote = f"{item.quote} {body}"
        item.review += [*notes, "thời hạn lấy từ dòng “Thời gian” của mục: kiểm tra"]
        item.year_guessed = self._year_guessed(deadline)
        if item_lead and not item.explicit:
            item.lead = item_lead
        return True

    def opening_body(self, text: str) -> str | None:
        """The body a clause opens with, as its subject (not a register unit: those are read by `leads`)."""
        lowered = text.lower()
        prefix = len(lowered) - len(_SUBJECT_ZONE.sub("", lowered, count=1))
        found = organisations(text)
        if found and found[0].start <= prefix and not self.known(key(found[0].name).split()):
            return found[0].name
        return None

    def intro_lead(self, paragraph: str) -> list[str]:
        """ "Văn bản ấn định thời hạn để các cơ quan, đơn vị xây dựng … như sau:": the body the items below are for."""
        named = self.directed(paragraph)
        if named:
            return named
        for org in organisations(paragraph):
            if _ends_with(paragraph[: org.start].lower(), ("để", "yêu cầu", "đề nghị", "giao cho"), word=True):
                return [org.name]
        return []

    def directed(self, text: str) -> list[str]:
        """The unit a directive names ("… chỉ đạo: Giao các sở, ngành …"), known or as written."""
        lowered = text.lower()
        # the last directive first: "Thủ tướng đề nghị Bộ Tài chính chỉ đạo quyết liệt …" names Bộ Tài chính
        for directive in reversed(list(_DIRECTIVE.finditer(lowered))):
            words = key(text[directive.end() :]).split()
            known = self.known(words[:8])
            if known and known[0].start <= 2:
                return [known[0].code]
            after = [o for o in organisations(text) if o.start >= directive.end()]
            if after and after[0].start - directive.end() <= 12:
                return [after[0].name]
        return []

    def day_header(self, paragraph: str, at: int) -> tuple[FoundDeadline, int] | None:
        """ "THỨ HAI (ngày 12/6/2023)", "Ngày 07/8/2017:": a schedule's day, alone on its line."""
        if not (_DAY_HEADER.match(paragraph) or _PERIOD_HEADER.match(paragraph) or _PLAN_PERIOD.match(paragraph)) or (
            self.dateline[0] <= at <= self.dateline[1]
        ):
            return None
        found = [f for f in self.found(paragraph, at) if f.deadline.due is not None]
        return (found[0], at) if len(found) == 1 else None

    def on_day(self, task: DraftTask, day: tuple[FoundDeadline, int]) -> DraftTask:
        """A clause under a schedule's day that says no date of its own is done that day."""
        if task.deadline is None:
            task.deadline, task.at = day[0], day[1] + day[0].start
            task.year_guessed = self._year_guessed(day[0])
            task.review.append("ngày lấy từ dòng đầu ngày của lịch: kiểm tra")
            task.confidence -= 0.1
        return task

    def schedule_item(
        self,
        paragraph: str,
        number: int,
        at: int,
        day: tuple[FoundDeadline, int],
        section: str,
        section_units: list[str],
    ) -> list[DraftTask]:
        """An item under a schedule's day (" - 7 giờ 30: Thường trực HĐND dự họp …") is a task of that day."""
        text = BULLET.sub("", paragraph).strip()
        deadline, header_at = day
        if len(text.split()) < 3 or _ITEM_DETAIL.match(text):
            # "Thành phần tham dự: …", "Địa điểm: …": who comes and where, for the item above; a body preparing
            # it there ("(Bảo tàng tỉnh chuẩn bị nội dung)") has its own task
            prepared = [
                self._prepared_by(m[1] or m[2], paragraph, section, section_units, deadline, number, header_at)
                for m in _PREPARATION.finditer(text)
            ]
            return [p for p in prepared if p is not None]
        who = self.line_person(text)
        if who is not None:
            return self._person_items(text, who, number, day, section, section_units)
        words = key(text).split()
        leads, coordinating, _unknown = self.leads(words)
        review = ["ngày lấy từ dòng đầu ngày của lịch: kiểm tra"]
        confidence = 0.75
        if not leads:
            prefix = len(text) - len(_SUBJECT_ZONE.sub("", text.lower(), count=1))
            opening = [o for o in organisations(text) if o.start <= prefix]
            congress = _CONGRESS.match(text.lower(), prefix)
            if not opening and congress:  # "Hội nghị Ban Chấp hành Đảng bộ huyện …": the body that meets
                opening = [o for o in organisations(text) if o.start == congress.end()]
            person = _person_named(text, prefix)
            org = opening[0] if opening else self.header_org(text)
            if person is not None and (org is None or org.start >= person[0]):
                # "Đồng chí Lê Văn Ba dự hội nghị …": the person the line names, as written
                org = Organisation(text[person[0] : person[1]], person[0], person[1], 0)
            if org is not None:
                leads = self._as_written(org, review)
        preparations = [
            self._prepared_by(match[1] or match[2], paragraph, section, section_units, deadline, number, header_at)
            for match in _PREPARATION.finditer(text)
        ]
        return [
            self._dated_task(
                text,
                paragraph,
                section,
                section_units,
                leads,
                coordinating,
                deadline,
                confidence,
                review,
                number,
                header_at,
            )  # fmt: skip
        ] + [p for p in preparations if p is not None]

    def line_person(self, text: str) -> tuple[str, int] | None:
        """ "Chủ tịch, PCT. Thường trực: 13 giờ 30’, họp …", "PCT.CN: Sáng làm việc …": a calendar's line headed by
        the leaders it is for, then their engagements; the first one named, and where the engagements start."""
        match = _WHO_LINE.match(text)
        if match is None:
            return None
        who = match["who"].strip()
        person = _PERSON_HINT.search(who + " ") or _OFFICE.match(who + " ") or _LEADER.search(who)
        if not (person or organisations(who)):
            return None
        return re.split(r"\s*,\s*|\s+và\s+", who)[0], match.end()

    def _person_items(
        self,
        text: str,
        who: tuple[str, int],
        number: int,
        day: tuple[FoundDeadline, int],
        section: str,
        section_units: list[str],
    ) -> list[DraftTask]:
        """Each engagement of a calendar's line, from its clock ("… Hậu Giang. 13 giờ 30’, họp …"), is the line's
        leader's task that day; routine office hours ("Buổi sáng làm việc tại cơ quan") are none, and a bracketed
        "(Phòng Nội vụ chuẩn bị báo cáo)" is that body's own task."""
        name, start = who
        deadline, header_at = day
        known = self.known(key(name).split())
        # each engagement from its clock is a reminder of its own; office hours are none
        cuts = [start, *(m.end() for m in _NEXT_ENGAGEMENT.finditer(text, start)), len(text)]
        parts = [text[a:b].strip() for a, b in zip(cuts, cuts[1:], strict=False)]
        engagements = [p for p in parts if len(p.split()) >= 3 and not _ROUTINE.match(p)]
        out: list[DraftTask] = []
        for n, part in enumerate(engagements):
            review = ["ngày lấy từ dòng đầu ngày của lịch: kiểm tra"]
            if n:
                review.append(f"việc thứ {n + 1} trong ngày của “{name}” trên cùng một dòng lịch: kiểm tra")
            if known and known[0].start == 0:
                leads = [known[0].code]
            else:
                leads = self._as_written(Organisation(name, 0, len(name), 0), review)
            # the first engagement is quoted with the leader it is for; the later ones by themselves
            quote = text if len(engagements) == 1 else (text[:start] + part if n == 0 else part)
            out.append(self._dated_task(part, quote, section, section_units, leads, [], deadline, 0.7, review,
                                        number, header_at))  # fmt: skip
        for match in _PREPARATION.finditer(text):
            if prepared := self._prepared_by(
                match[1] or match[2], text, section, section_units, deadline, number, header_at
            ):
                out.append(prepared)
        return out

    def _prepared_by(
        self,
        inner: str,
        paragraph: str,
        section: str,
        section_units: list[str],
        deadline: FoundDeadline,
        number: int,
        header_at: int,
    ) -> DraftTask | None:
        """ "(Giao Phòng Văn hóa – Xã hội chuẩn bị nội dung)" in a schedule's item: that body's own task, that day."""
        named = organisations(inner) or organisations(inner[:1].upper() + inner[1:])  # "giao phòng Lao động …"
        if not named or named[0].start > 0:
            return None
        review = ["việc chuẩn bị cho mục của lịch, ngày lấy từ dòng đầu ngày: kiểm tra"]
        known = [m.code for m in self.known(key(named[0].name).split())]
        leads = known[:1] or self._as_written(named[0], review)
        return self._dated_task(inner, inner, section, section_units, leads, [], deadline, 0.7, review, number,
                                header_at)  # fmt: skip

    def header_org(self, text: str) -> Organisation | None:
        """The body an item's header names: "Triển khai công tác bầu cử ở cấp huyện: tổ chức hội nghị …"."""
        colon = text.find(":")
        if not 0 < colon <= 100 or self._read(text[:colon]):
            return None  # a header names a topic; "gửi về Văn phòng … trước 14 giờ, ngày 05/12/2017, kèm …:" is none
        named = [o for o in organisations(text[:colon]) if not self.known(key(o.name).split())]
        if not named and re.fullmatch(r"\W*(?:sáng|chiều|tối|buổi sáng|buổi chiều|cả ngày)\W*", text[:colon], re.I):
            # "SÁNG: 1. Chủ tịch, các Phó Chủ tịch UBND xã: Thực hiện …": the time of day, then the item's header
            inner = self.header_org(text[colon + 1 :])
            return (
                Organisation(inner.name, inner.start + colon + 1, inner.end + colon + 1, inner.word) if inner else None
            )
        return named[-1] if named else None

    def _speaks_of_the_register(self, text: str) -> bool:
        """Does the text name the register's place ("Thường Xuân", "Xuân Cao")? Without places, a full name."""
        if self.places:
            head = text[:20000].lower()
            return any(place in head for place in self.places)
        return any(m.end - m.start >= 3 for m in self.known(key(text[:20000]).split()))

    def lead_in(self, paragraphs: list[tuple[int, str]]) -> str | None:
        """The body a report is about: the subject of its first sentences (after the headline)."""
        if paragraphs:
            title = paragraphs[0][1]
            of = re.search(r"\bcủa\s+", title, re.IGNORECASE)
            named = organisations(title[of.end() :]) if of else ()
            if named and named[0].start <= 12:  # "LỊCH LÀM VIỆC CỦA LÃNH ĐẠO UBND HUYỆN"
                return named[0].name
        prose = [p for p in paragraphs[1:] if len(p[1]) >= 60 and " | " not in p[1]]  # not captions, not tables
        for _at, paragraph in prose[:3]:
            for sentence in sentences(paragraph)[:2]:
                org = self.lead_name(sentence)
                if org is not None:
                    return org.name
        return None

    def known(self, words: list[str]) -> list[Mention]:
        """The register's units named in key words, but not a unit of another level or place.

        "HĐND huyện", "UBND các tỉnh" are not the register's "HĐND", "UBND" (those of the town): a short name
        followed by another level is another body, kept as written rather than silently mapped.
        """
        return [
            m
            for m in self.units.mentions(words)
            if not (m.end < len(words) and words[m.end] in _OTHER_LEVEL) and (self.local or m.end - m.start >= 3)
        ]

    def lead_name(self, text: str, deadline_at: int | None = None) -> Organisation | None:
        """The organisation a clause names as its doer: after a directive, else its first subject-like one."""
        found = organisations(text)
        if not found:
            return None
        lowered = text.lower()
        about = _TOPIC.match(lowered)
        topic = -1  # where the topic ends: its first comma that is not inside a name or a list of bodies
        for comma in re.finditer(",", lowered[about.end() :] if about else ""):
            at = (about.end() if about else 0) + comma.start()
            inside = any(o.start <= at < o.end for o in found)
            listed = any(o.end == at for o in found) and any(o.start == at + 2 for o in found)
            if not inside and not listed:  # "… của Bộ Chính trị, Ban Bí thư về …": the list goes on
                topic = at
                break
        if topic >= 0 and about is not None and about.group("source"):
            # "Theo kế hoạch tổ chức đại hội MTTQ các cấp, đại hội Mặt trận cấp xã …": the source first, then
            # the clause itself, read on its own
            rest = text[topic + 1 :]
            shift = len(text) - len(rest)
            inner = self.lead_name(rest, None if deadline_at is None else deadline_at - shift)
            if inner is not None:
                return Organisation(inner.name, inner.start + shift, inner.end + shift, inner.word)
        directives = [m for m in _DIRECTIVE.finditer(lowered) if deadline_at is None or m.start() < deadline_at]
        # the last directive first; "Thủ tướng đề nghị Bộ Tài chính chỉ đạo quyết liệt …": the one naming a body
        for directive in reversed(directives):
            if directive.start() < topic:
                continue  # "Đối với khen thưởng do UBND tỉnh quyết định, …": the topic, not who does the work
            for org in (o for o in found if o.start >= directive.end()):
                between = lowered[directive.end() : org.start]
                words = key(between).split()
                if org.start - directive.end() > 60 or (words and words[-1] in _NOT_SUBJECT):
                    break
                if len(words) <= 2 or between.rstrip().endswith(","):  # "yêu cầu, khi kết thúc Đại hội, các đơn vị"
                    return org
                break
        prefix = len(lowered) - len(_SUBJECT_ZONE.sub("", lowered, count=1))
        if found[0].start <= prefix and not self.known(key(found[0].name).split()):
            return found[0]  # the clause opens with a body: its subject ("cấp tỉnh trước 30/6/2020")
        papers = _PAPERS_OF.match(lowered, prefix)
        if papers is not None:
            # "các tờ trình, đề án … của các đơn vị phải được gửi …", "Báo cáo hoàn thành của các cơ quan, đơn vị gửi
            # …": whoever the papers are of sends them
            owner = next((o for o in found if o.start == papers.end()), None)
            sent = owner is not None and _SENT.search(lowered, owner.end) is not None
            if owner is not None and sent and not self.known(key(owner.name).split()):
                return owner
        opening = key(lowered[prefix:]).split()
        congress = _CONGRESS.match(lowered, prefix)
        if congress:  # "tiến hành đại hội Đảng bộ huyện": a body holds its own congress
            # "… Đại hội chi, Đảng bộ cơ sở": the body may follow a shortened name of another
            own = next((o for o in found if 0 <= o.start - congress.end() <= 6), None)
            if own is not None:
                return own  # a register unit too ("tiến hành đại hội các chi bộ trực thuộc …"): read by clause_tasks
        if _starts_with(_strip_leading(opening), TASK_VERBS):
            return None  # "Tham mưu UBND xã …", "Tổ chức Hội nghị …": the doer is not named, the bodies are objects
        rejected_end = -1
        for org in found:
            before = lowered[: org.start]
            if deadline_at is not None and org.start > deadline_at + 40:
                break
            if rejected_end >= 0 and re.fullmatch(r"\s*(?:,|và)\s*", lowered[rejected_end : org.start]):
                rejected_end = org.end
                continue  # "báo cáo Bộ Chính trị, Ban Bí thư": the list goes on where its first one stood
            if self.known(key(org.name).split()):
                continue  # a unit of the register, not where the register's reading put it
            if org.start < topic or before.count("“") > before.count("”"):
                rejected_end = org.end
                continue  # inside "Đối với …,": what the clause is about; inside “…”: a title's words
            if _THERE_ARE.search(before[-40:]):
                return org  # "trong hai ngày 26 và 27/9 có 4 đơn vị Hội LHPN cấp xã tổ chức đại hội": who does it
            cut = max(before.rfind(":"), before.rfind(","), before.rfind(";"), before.rfind("("))
            then = before.rfind(" thì ")
            cut = max(cut, then + 4 if then >= 0 else -1)  # "Nếu … đồng ý thì UBND tỉnh hoàn thiện hồ sơ"
            zone = key(_SUBJECT_ZONE.sub("", before[cut + 1 :])).split()
            heads = (["chủ", "tịch"], ["phó", "chủ", "tịch"], ["bí", "thư"], ["phó", "bí", "thư"])
            if zone in heads and not org.name.lower().startswith("thường"):
                return org  # "Chủ tịch UBND huyện tiếp công dân", "Bí thư Huyện ủy": the body whose head does it
            delegates = zone[-1:] == ["biểu"] and zone[-4:-2] != ["đại", "hội"]  # "đại biểu Quốc hội"
            delegates = delegates or bool(zone[-1:]) and zone[-1] in _PERSON  # "Phó Chủ tịch Thường trực Đỗ Văn Lô"
            if _starts_with(zone, TASK_VERBS) or any(w in _OBJECT_VERBS for w in zone) or delegates:
                rejected_end = org.end
                continue  # "nghe các tổ đại biểu …": after a verb, a body is an object
            if len(zone) > 8 or (zone and zone[-1] in _NOT_SUBJECT):
                rejected_end = org.end
                continue  # too far from the start to be the subject, or it receives, hosts or owns
            if zone[-2:] and " ".join(zone[-2:]) in ("đối với", "báo cáo", "gửi về", "gửi đến"):
                rejected_end = org.end
                continue
            return org
        return None

    def row_tasks(
        self,
        table: _Table,
        row: str,
        number: int,
        at: int,
        section: str,
        section_units: list[str],
        intro: list[str] | None = None,
    ) -> list[DraftTask]:
        """A table row with a date in one of its cells is a task: the work in its task cell, the unit's cell."""
        cells = [c.strip() for c in row.split("|")]
        if any(_DAY_LIST.match(c) for c in cells):
            return []  # "Tháng 7 | … | Ngày 03; 10; 17; 24; 31 (Thứ 5)": the days a routine falls on, spelled out
        if len(cells) >= 2 and _PLAIN_DAY.fullmatch(cells[0]) and re.match(r"\d{1,2}:\d{2}", cells[1]):
            return []  # "26/12/2013 | 10:17(VP) – Bộ VHTTDL ra Văn bản …": a post's stamp, then its news
        written = list(cells)  # as in the row, to say where a cell is
        cells = table.with_months(cells)
        deadline = None
        dated = table.dated_headings()
        # " |  | (8h) Dự họp … sơ kết 6 tháng đầu năm … | …": its day cells blank, the row is on the day above; a
        # period named in its task cell is what the meeting is about
        under_day = table.day is not None and bool(dated) and all(not cells[i] for i in dated if i < len(cells))
        columns = dated if under_day else table.date_columns(len(cells))
        for index in columns:
            if index >= len(cells):
                continue
            cell = cells[index]
            # a time cell holding only "Năm 2022" is that year's deadline, not a year named in passing
            found = [
                FoundDeadline(f.deadline, f.start, f.end, False) if f.deadline.text == cell.rstrip(".;") else f
                for f in self.found(cell, cell=True)
            ]
            found = [f for f in found if not f.weak]
            if found:
                deadline, _notes = self.deadline(cell, found)
                cell_at = at + max(row.find(written[index]), 0)
                break
        review: list[str] = []
        if deadline is not None and dated and dated[0] < len(cells) and cells[dated[0]]:
            table.day, table.day_at = deadline, cell_at
        elif deadline is None and table.day is not None and dated and not cells[0] and not cells[dated[0]]:
            # " |  | (10h) Họp …": the row opens with the day's cell blank, as if merged: it is on the day above
            # ("3. Xây dựng …, gồm: |", a group's heading with its time cell blank, is not)
            deadline, cell_at = table.day, table.day_at
            review.append(f"ngày lấy từ dòng trên của bảng ({deadline.deadline.text}): kiểm tra")
        elif deadline is None and not dated and self.page_time is not None:
            # "Thời gian: 14 giờ ngày 28/9/2012" above a table with no time column: every row is done then
            deadline, cell_at = self.page_time
            review.append(f"ngày lấy từ dòng “Thời gian” trên bảng ({deadline.deadline.text}): kiểm tra")
        if deadline is None:
            return []
        task_index = table.task_column(cells)
        task_text = cells[task_index] if task_index is not None else row
        if table.papers() or _private_doer(task_text):
            return []  # an exam's timetable ("Ngữ văn | 120 phút"), what candidates or citizens do themselves
        leads: list[str] = []
        confidence = 0.85
        people = table.unit_columns(len(cells))
        columns = [*people, *table.note_columns(len(cells))]
        for index in [*columns, *([task_index] if task_index is not None else [])]:
            if index >= len(cells):
                continue
            known = [m.code for m in self.known(key(cells[index]).split())]
            if known:
                leads = known[:1]
                break
            org = self.lead_name(cells[index]) or self.header_org(cells[index])
            named = _has_work(cells[index], []) or _CLASS.fullmatch(cells[index]) is not None
            if org is None and index in people and named and len(cells[index].split()) <= 12:
                # "PCT Mai Xuân Liêm", "Chủ tịch, Các Phó Chủ tịch liên quan": who the column says acts, as written
                org = Organisation(cells[index], 0, len(cells[index]), 0)
            if org is not None:
                leads = self._as_written(org, review)
                confidence -= 0.2
                break
        if not leads and intro:
            leads = list(intro)  # "Đồng chí Bí thư Huyện ủy tiếp dân định kỳ mỗi tháng, cụ thể:" above the table
        return [
            self._dated_task(
                task_text, row, section, section_units, leads, [], deadline, confidence, review, number, cell_at
            )  # fmt: skip
        ]

    def _dated_task(
        self,
        text: str,
        quote: str,
        section: str,
        section_units: list[str],
        leads: list[str],
        coordinating: list[str],
        deadline: FoundDeadline,
        confidence: float,
        review: list[str],
        paragraph: int,
        at: int,
    ) -> DraftTask:
        """A schedule item's or a table row's task: the date is its line's or its cell's (found at `at`); the
        lead the one it names, else the section's, for the keeper to check."""
        explicit = bool(leads)
        if not leads:
            leads, review, confidence = self._fallback_lead(section_units, review, confidence)
        return DraftTask(
            title=_title(text, None),
            quote=quote,
            section=section,
            lead=leads,
            coordinating=coordinating,
            deadline=deadline,
            confidence=confidence,
            review=review,
            paragraph=paragraph,
            explicit=explicit,
            at=at + deadline.start,
            year_guessed=self._year_guessed(deadline),
        )

    def _as_written(self, org: Organisation, review: list[str]) -> list[str]:
        """An organisation the register does not know, kept as the document names it, with a note to review."""
        review.append(self._unknown_note(org.name))
        return [org.name]

    def _unknown_note(self, name: str) -> str:
        near = self.units.closest(name)
        hint = f"; gần nhất trong sổ: {', '.join(near)}" if near else ""
        return f"đơn vị “{name}” chưa có trong sổ: giữ như văn bản ghi{hint}; thêm vào trang Đơn vị hoặc sửa Chủ trì"

    def _fallback_lead(
        self, section_units: list[str], review: list[str], confidence: float
    ) -> tuple[list[str], list[str], float]:
        if section_units:
            label = self.units.labels.get(section_units[0], section_units[0])
            review = [*review, f"câu không nêu đơn vị chủ trì: tạm lấy đơn vị của mục ({label})"]
            if section_units[0] not in self.units.labels:
                review.append(self._unknown_note(section_units[0]))
            return list(section_units), review, confidence - 0.15
        return [], [*review, "không tìm thấy đơn vị chủ trì: hãy ghi lead"], confidence - 0.4

    def paragraph_tasks(
        self,
        paragraph: str,
        number: int,
        section: str,
        section_units: list[str],
        offset: int = 0,
        carried: list[str] | None = None,
    ) -> list[DraftTask]:
        """The tasks of one paragraph: leads carry over to the sentences that follow, deadlines to those before.

        A clause is a task when it sets a deadline (whatever its verb), or when it assigns work without one
        (an ongoing task); the verb only raises or lowers the confidence.
        """
        tasks: list[DraftTask] = []
        carried = list(carried or [])
        task_sentence = None  # a clause after ";" is a task only when the one before it was
        line_day = self.line_day(paragraph, offset)
        for clause in self.clauses(paragraph, number, offset):
            if _private_doer(clause.text):
                continue  # "Công dân đăng ký trước ngày 10 hằng tháng": a citizen's own step, no unit's task
            words = key(clause.text).split()
            found = self.found(clause.text, clause.offset)
            borrowed = (
                line_day is not None
                and clause.offset > offset + line_day.end
                and not clause.continues
                and clause.text.startswith(clause.sentence[:20])  # a sentence of its own, not its tail
                and not any(not f.weak for f in found)
                and len(words) >= 4
                and (
                    self.opening_body(clause.text) is not None
                    or any(m.start <= 1 for m in self.known(words[:12]))
                    or self.is_task(words, False)
                )
            )
            if borrowed and line_day is not None:
                # "Ngày 11/7/2017: Công bố kết quả …. Các trường cấp giấy chứng nhận …": the line's day is theirs too
                found = [FoundDeadline(line_day.deadline, 0, 0, False)]
            # a deadline anchors a task; a whole year alone ("cả năm 2022") does not
            anchored = any(not f.weak and not _YEAR_ONLY.match(normalize(f.deadline.text)) for f in found)
            by_verb = self.is_task(words, clause.continues and task_sentence == clause.sentence)
            if (
                anchored
                and not by_verb
                and (
                    _only_dates(clause.text, found)
                    or _titled_period(clause.text, words, found, headline=0 <= clause.offset < self.headline_end)
                )
            ):
                anchored = False  # "(Từ ngày 12/6 đến ngày 16/6/2023)": a period line, no work in it
                dated = [f for f in found if not f.weak and f.deadline.due is not None]
                if tasks and tasks[-1].deadline is None and len(dated) == 1 and _only_dates(clause.text, found):
                    # "Tổ chức kiểm tra cuối học kỳ II …. Từ ngày 08/5/2017 – 16/5/2017.": the period of the work
                    # the sentence before names
                    tasks[-1].deadline, tasks[-1].at = dated[0], clause.offset + dated[0].start
                    tasks[-1].year_guessed = self._year_guessed(dated[0])
                    tasks[-1].review.append(f"thời hạn lấy từ câu sau: “{dated[0].deadline.text}”: kiểm tra")
                    tasks[-1].confidence -= 0.1
            if not anchored and not by_verb:
                named = self.directed(clause.text)
                if named:
                    carried = named  # "Chủ tịch UBND tỉnh chỉ đạo: Giao các sở, ngành …" names who does what follows
                elif (subject := self.opening_body(clause.text)) is not None:
                    carried = [subject]  # "Các Ban QLDA … được giao lập báo cáo …; báo cáo gửi về … trước ngày …"
                    task_sentence = clause.sentence
                continue
            task_sentence = clause.sentence
            review: list[str] = []
            confidence = 0.95 if by_verb else 0.8
            for part_text, part_found in self.split_by_organisations(clause.text, found):
                own = self.clause_tasks(clause, part_text, part_found, section, section_units, carried, review,
                                        confidence)  # fmt: skip
                if borrowed and line_day is not None:
                    for task in own:
                        task.at = offset + line_day.start
                        task.review.append(f"ngày lấy từ đầu dòng “{line_day.deadline.text}”: kiểm tra")
                        task.confidence -= 0.1
                tasks += own
                if tasks and tasks[-1].explicit:
                    carried = tasks[-1].lead
        return _share_deadlines(tasks)

    def line_day(self, paragraph: str, offset: int) -> FoundDeadline | None:
        """ "Ngày 11/7/2017: …": a day heading its line, the date of every sentence on it (None otherwise)."""
        text = BULLET.sub("", paragraph)
        if not _LINE_DAY.match(text):
            return None  # most lines open with no date: no need to read one
        shift = len(paragraph) - len(text)
        found = [f for f in self.found(text[:60], offset + shift) if not f.weak and f.deadline.due is not None]
        if not found or found[0].start > 0 or not text[found[0].end :].lstrip().startswith(":"):
            return None
        first = found[0]
        return FoundDeadline(first.deadline, first.start + shift, first.end + shift, False)

    def clause_tasks(
        self,
        clause: _Clause,
        text: str,
        found: list[FoundDeadline],
        section: str,
        section_units: list[str],
        carried: list[str],
        review: list[str],
        confidence: float,
    ) -> list[DraftTask]:
        words = key(text).split()
        leads, coordinating, _unknown = self.leads(words)
        review = list(review)
        first = next((f for f in found if not f.weak), None)
        # the deadline first ("Ngày 14 và 15/8/2022: các chi bộ tổ chức đại hội", "từ tháng 1 đến tháng 3-2020
        # các chi bộ tiến hành đại hội"): the subject follows it
        before = text[: first.start] if first is not None else ""
        before = before[max(before.rfind(":"), before.rfind(",")) + 1 :]  # "Theo dự kiến của Huyện ủy: từ …"
        opening = first is not None and set(key(before).split()) <= _OPENERS
        if not leads and opening and first is not None:
            leads, coordinating, _unknown = self.leads(key(text[first.end :]).split())
        if not leads:
            org = None
            if opening and first is not None:
                org = self.lead_name(text[first.end :].lstrip(" ,:;-–"))
            org = org or self.lead_name(text, first.start if first else None) or self.header_org(text)
            prefix = len(text) - len(_SUBJECT_ZONE.sub("", text.lower(), count=1))
            titled = _titled(text, prefix) if not opening else None
            if titled is not None and (org is None or (" " not in org.name and titled[0] <= org.start < titled[1])):
                # "Giám đốc Sở chủ trì họp giao ban": the title and its body, not "Sở" alone
                org = Organisation(text[titled[0] : titled[1]], titled[0], titled[1], 0)
            if org is None and _PERSON_HINT.search(text[:160]):
                # "Ngày 05/6/2026: Đồng chí Bí thư Huyện ủy tiếp công dân": a person the clause opens with
                rest = text[first.end :].lstrip(" ,:;-–") if opening and first is not None else text
                shift = len(text) - len(rest)
                prefix = len(rest) - len(_SUBJECT_ZONE.sub("", rest.lower(), count=1))
                person = _person_named(rest, prefix)
                if person is not None:
                    org = Organisation(rest[person[0] : person[1]], person[0] + shift, person[1] + shift, 0)
            known = self.known(key(org.name).split()) if org is not None else []
            if org is not None and known and known[0].start == 0:
                leads = [known[0].code]  # the register's unit, named where the clause's subject stands
            elif org is not None:
                leads = self._as_written(org, review)
                confidence -= 0.2
        explicit = bool(leads)
        if not leads and carried:
            leads = carried
        elif not leads and self.addressed and _SENDING.search(text):
            # "Thời gian báo cáo chậm nhất là ngày 20/11": the report a letter asks for is its addressee's
            leads, review, confidence = self._fallback_lead([self.addressed], review, confidence)
        elif not leads:
            leads, review, confidence = self._fallback_lead(section_units, review, confidence)
        base = text.find(text) + clause.text.find(text)
        by_deadline = self.split_by_deadlines(text, found)
        shared, notes = self.deadline(text, found)
        if len(by_deadline) > 1:  # each part keeps its own deadline
            parts = [(part, *self.deadline(part, self.found(part))) for part in by_deadline]
        else:
            parts = [(part, shared, notes) for part in self.split_list(text)]
        out = []
        for part, deadline, part_notes in parts:
            at = -1
            if deadline is not None:
                inside = text.find(part)
                at = clause.offset + base + max(inside, 0) + deadline.start
            out.append(
                DraftTask(
                    title=_title(part, deadline),
                    quote=clause.text if len(clause.text) > len(part) else clause.sentence,
                    section=section,
                    lead=leads,
                    coordinating=coordinating,
                    deadline=deadline,
                    confidence=confidence - 0.1 * len(part_notes),
                    review=review + part_notes,
                    paragraph=clause.paragraph,
                    explicit=explicit,
                    at=at,
                    year_guessed=deadline is not None and self._year_guessed(deadline),
                )
            )
        return out

    def split_by_doers(
        self, text: str, found: list[FoundDeadline], deadline: FoundDeadline
    ) -> list[tuple[str, list[FoundDeadline]]]:
        """ "Ủy ban Pháp luật và Tư pháp thẩm tra và Quốc hội quyết định đề án trước ngày 20/6": two bodies,
        each with its own verb, share the deadline; each has its task. One that only helps ("… và Sở Tài chính
        phối hợp") is no doer of its own.
        """
        lowered = text.lower()
        prefix = len(lowered) - len(_SUBJECT_ZONE.sub("", lowered, count=1))
        orgs = organisations(text[: deadline.start])
        if not orgs or orgs[0].start > prefix:
            return [(text, found)]
        first = orgs[0]
        for sep in re.finditer(r"\s+và\s+", text[first.end : deadline.start]):
            cut, rest = first.end + sep.start(), first.end + sep.end()
            second = next((o for o in orgs if o.start == rest), None)
            if second is None or len(text[first.end : cut].split()) < 1 or any(o.end == cut for o in orgs):
                continue  # "… cấp tỉnh và cấp xã": a list of bodies, not a second doer
            verb = key(text[second.end : deadline.start]).split()
            if not verb or _starts_with(verb, _HELPING) or len(verb) > 12:
                continue
            moved = [FoundDeadline(f.deadline, f.start - rest, f.end - rest, f.weak) for f in found if f.start >= rest]
            return [(text[:cut], found), (text[rest:], moved)]
        return [(text, found)]

    def split_by_organisations(self, text: str, found: list[FoundDeadline]) -> list[tuple[str, list[FoundDeadline]]]:
        """ "Cấp cơ sở … trước 10/3/2020, cấp trên cơ sở trước 30/4/2020": a deadline for each body named.

        Between two deadlines, a comma (or "và") followed by an organisation, or by the next deadline itself
        ("…, và trước ngày 16-11 phải báo cáo"), starts the next one's part. A deadline that opens its part
        ("Trước ngày 25-10, UBND các huyện …") keeps the body right after it: that is its own subject.
        """
        strong = [f for f in found if not f.weak and (f.deadline.due is not None or f.deadline.rrule is not None)]
        if strong and len({(f.deadline.due, f.deadline.rrule) for f in strong}) == 1:
            return self.split_by_doers(text, found, strong[0])
        if len(strong) < 2:
            return [(text, found)]
        cuts: list[int] = []
        part_start = 0
        for k, (before, after) in enumerate(zip(strong, strong[1:], strict=False)):
            gap = text[before.end : after.start]
            opens = len(key(text[part_start : before.start]).split()) <= 2
            until = strong[k + 2].start if k + 2 < len(strong) else len(text)
            after_works = _has_work(text[after.end : until], [])  # "…, và trước ngày 16-11 phải báo cáo"
            for sep in re.finditer(r",?\s+và\s+|,\s+|;\s+|\s*\(\s*", gap):
                rest = gap[sep.end() :]
                if opens and sep.start() == 0 and rest:
                    continue  # the opening deadline's own subject
                orgs = organisations(rest)
                congress = _CONGRESS.match(rest.lower())  # "…, còn Đại hội đại biểu Đảng bộ huyện hoàn thành …"
                body_first = bool(orgs) and orgs[0].start == (congress.end() if congress else 0)
                if body_first or (set(key(rest).split()) <= {"từ", "và", "đến"} and after_works):
                    cut = before.end + sep.start()
                    inside = [FoundDeadline(f.deadline, f.start - part_start, f.end - part_start, f.weak)
                              for f in found if part_start <= f.start < cut]  # fmt: skip
                    if opens and not _has_work(text[part_start:cut], inside):
                        continue  # "Tháng 03/2019: Các phòng GDĐT và …": a period and a body, no work of their own
                    cuts.append(cut)
                    part_start = cut
                    break
        if not cuts:
            return [(text, found)]
        bounds = [0, *cuts, len(text)]
        parts = []
        for a, b in zip(bounds, bounds[1:], strict=False):
            part = text[a:b].strip(" ,;()")
            if part[:3].lower() == "và ":
                part = part[3:]
            shift = text.find(part, a)
            inside = [FoundDeadline(f.deadline, f.start - shift, f.end - shift, f.weak) for f in found
                      if a <= f.start < b]  # fmt: skip
            parts.append((part, inside))
        return parts


@dataclass
class _Table:
    """Consecutive " | " rows; the first is the header when it has no date."""

    header: str
    start: int
    last: int = -1
    day: FoundDeadline | None = None  # the date of the last dated row, with where it is in the text
    day_at: int = -1

    def __post_init__(self) -> None:
        self.headings = [c.strip().lower() for c in self.header.split("|")]
        if find_deadlines(self.header):
            self.headings = []  # no header row: every row is data
            self.header = ""

    def dated_headings(self) -> list[int]:
        return [i for i, h in enumerate(self.headings) if re.search(r"thời gian|thời hạn|ngày|hạn|hoàn thành", h)]

    def date_columns(self, width: int) -> list[int]:
        dated = self.dated_headings()
        # the last date heading is the deadline ("Ngày chậm nhất phải hoàn thành"), then any other cell
        return list(dict.fromkeys([*reversed(dated), *range(width)]))

    def task_column(self, cells: list[str]) -> int | None:
        for i, h in enumerate(self.headings):
            if re.search(r"nội dung|công việc|nhiệm vụ|hoạt động", h) and i < len(cells):
                return i
        longest = max(range(len(cells)), key=lambda i: len(cells[i]), default=None)
        return longest

    def with_months(self, cells: list[str]) -> list[str]:
        """A reception calendar's row, its month in one cell and its day in another ("Tháng 6 | Ngày 18 (thứ
        Ba)", "1 | Giám đốc Sở | … | Thứ 2, ngày 17" under "Tháng"): the day is read with that month."""
        month = None
        for i, cell in enumerate(cells):
            heading = self.headings[i] if i < len(self.headings) else ""
            named = re.fullmatch(r"tháng\s*(\d{1,2})", cell, re.IGNORECASE)
            if named or (heading == "tháng" and cell.isdigit()):
                month = int(named[1] if named else cell)
                break
        if month is None or not 1 <= month <= 12:
            return cells
        return [_DAY_OF_MONTH.sub(lambda m: f"ngày {m['d']}/{month}", c) if _DAY_OF_MONTH.search(c) else c
                for c in cells]  # fmt: skip

    def papers(self) -> bool:
        """Is this an exam's timetable, a row per paper ("Bài thi", "Môn thi")? The candidates sit it."""
        return any(re.fullmatch(r"bài thi|môn thi|môn", h) for h in self.headings)

    def note_columns(self, width: int) -> list[int]:
        return [i for i, h in enumerate(self.headings) if "ghi chú" in h and i < width]

    def unit_columns(self, width: int) -> list[int]:
        """The columns that say who acts: by their heading's words, or a heading that is itself a body's name
        ("Thường trực UBND tỉnh": the leaders who attend)."""
        raw = [c.strip() for c in self.header.split("|")]
        units = [
            i
            for i, h in enumerate(self.headings)
            if re.search(r"đơn vị|chủ trì|thực hiện|phụ trách|cơ quan|thành phần|lãnh đạo|người dự|tham dự", h)
            or re.fullmatch(r"lớp|khối|tổ|bộ phận|chi đoàn|chi bộ|phòng|ban|khoa", h)
            or (not re.search(r"nội dung|công việc|địa điểm|ghi chú|ngày|thời gian", h) and organisations(raw[i]))
        ]
        return [i for i in units if i < width and "thời gian" not in self.headings[i]]


def _has_work(text: str, found: list[FoundDeadline]) -> bool:
    """Is there more in the text than its deadlines and the bodies it names?"""
    rest = text
    for f in sorted(found, key=lambda f: -f.start):
        rest = rest[: f.start] + " " + rest[f.end :]
    for org in sorted(organisations(rest), key=lambda o: -o.start):
        rest = rest[: org.start] + " " + rest[org.end :]
    return bool(re.search(r"[^\W\d_]{2,}", rest))


def _join_named_lists(parts: list[str]) -> list[str]:
    """ "Các sở, ngành tỉnh; UBND các huyện; Các Ban QLDA … được giao lập báo cáo": bodies listed with ";" before
    their verb are one clause's subject, not clauses of their own."""
    if len(parts) == 1:
        return [parts[0].strip()]
    out: list[str] = []
    pending = ""
    for part in (p.strip() for p in parts):
        if pending:
            part = f"{pending}; {part}"
            pending = ""
        piece = part[part.rfind("; ") + 2 :] if "; " in part else part
        names = organisations(piece)
        if piece and names and names[0].start == 0 and names[0].end >= len(piece.rstrip(" ,.")) and len(out) < 20:
            pending = part  # only a body's name: the verb comes after the next ";"
            continue
        out.append(part)
    if pending:
        out.append(pending)
    return out


def _only_dates(text: str, found: list[FoundDeadline]) -> bool:
    """Is the clause nothing but its dates (and brackets, "từ", "đến")?"""
    rest = text
    for f in sorted(found, key=lambda f: -f.start):
        rest = rest[: f.start] + " " + rest[f.end :]
    return len([w for w in re.findall(r"[^\W\d_]+", rest) if w.lower() not in ("từ", "đến", "ngày", "tới")]) < 2


def _titled_period(text: str, words: list[str], found: list[FoundDeadline], headline: bool = False) -> bool:
    """ "Lịch làm việc tuần 21 của Thường trực … (từ ngày 21/5/2018 đến ngày 28/5/2018)": a schedule's or a
    plan's title with its period in brackets names what follows, it is no task; as the document's headline, with
    its period unbracketed too ("LỊCH TIẾP CÔNG DÂN THÁNG 6/2024")."""
    # "Đại hội … kéo dài 2 ngày (6-7/12/2015), nội dung và lịch trình cụ thể như sau:": the lead-in to a programme
    lead_in = text.rstrip().endswith("như sau:") and _PROGRAMME.search(text) is not None
    if not lead_in and (words[:1] not in (["lịch"], ["chương"], ["kế"]) or words[:2] == ["kế", "toán"]):
        return False
    strong = [f for f in found if not f.weak]
    if headline and strong and all(not f.deadline.text.lower().startswith(_DEADLINE_WORDS) for f in strong):
        return True
    return bool(strong) and all(text.rfind("(", 0, f.start) > text.rfind(")", 0, f.start) for f in strong)


_PROGRAMME = re.compile(r"\b(?:lịch trình|chương trình|lịch làm việc|lịch công tác)\b", re.IGNORECASE)


def _opens_range(text: str, found: FoundDeadline) -> bool:
    """ "từ ngày 02/5 đến ngày 25/5": the first date starts the work, the second is the deadline.

    A phrase that is itself a range or a pair of days ("từ ngày 12-17/6", "từ tháng 7 đến tháng 12-2019")
    is no opening.
    """
    before = text[: found.start].rstrip().lower()
    if _ends_with(before, ("sớm nhất", "sớm nhất là", "sớm nhất vào", "sớm nhất từ"), word=True):
        return True  # "sớm nhất là ngày 1-8": the earliest start, not a deadline
    if not before.endswith("từ"):
        return False
    return not _WHOLE_RANGE.search(normalize(found.deadline.text))


_PERIOD_NOUNS = ("nhiệm vụ", "công tác", "giao ban", "hội nghị", "báo cáo", "kế hoạch", "chương trình", "kỳ họp",
                 "phiên họp", "kết quả", "tình hình", "chỉ tiêu", "sơ kết", "tổng kết", "đánh giá", "lệ kỳ",
                 "thường lệ")  # fmt: skip
_PERIOD = re.compile(r"^(?:tháng|quý|năm)\b")
_HALF_YEAR = re.compile(r"^\d{1,2} tháng (?:đầu|cuối) năm\b")
_REVIEWED = re.compile(r"\b(?:sơ kết|tổng kết|báo cáo|kết quả|tình hình|đánh giá)\b")  # not "chỉ tiêu …": a target
_PART_OF_YEAR = re.compile(r"^(?:đầu|giữa|cuối) năm\b")
_MEETING = ("kỳ họp", "phiên họp", "hội nghị", "thường lệ", "lệ kỳ")  # "kỳ họp thường lệ cuối năm 2020"
_YEAR_ONLY = re.compile(r"^(?:(?:trong|cả|suốt|hết|đến hết) )*năm(?: \d{4}| nay)?$")


def _ends_with(text: str, phrases: tuple[str, ...], word: bool = False) -> bool:
    """Does the text end with one of the phrases (spaces aside), as a whole word when `word`?

    The same as searching "(?:…)\\s*$" in the text, without trying the pattern at every place of a long one.
    """
    text = text.rstrip()
    for phrase in phrases:
        if text.endswith(phrase):
            at = len(text) - len(phrase)
            if not word or at == 0 or not (text[at - 1].isalnum() or text[at - 1] == "_"):
                return True
    return False


def _period_of(text: str, found: FoundDeadline) -> FoundDeadline:
    """ "nhiệm vụ quý 2/2022", "Hội nghị giao ban tháng 4/2023": a period that names what it belongs to."""
    phrase, before = found.deadline.text.lower(), text[: found.start].lower()
    if not found.weak and _PART_OF_YEAR.match(phrase) and _ends_with(before, _MEETING):
        return FoundDeadline(found.deadline, found.start, found.end, True)
    if not found.weak and _HALF_YEAR.match(phrase) and _REVIEWED.search(re.split(r"[.;]", before)[-1][-150:]):
        # "sơ kết tình hình thực hiện nghị quyết … 6 tháng đầu năm 2020": the half-year a review covers
        return FoundDeadline(found.deadline, found.start, found.end, True)
    if found.weak or not _PERIOD.match(phrase):
        return found
    if _ends_with(before, _PERIOD_NOUNS):
        return FoundDeadline(found.deadline, found.start, found.end, True)
    return found


_TARGET_YEAR = re.compile(r"^(?:(?:đến|trong|hết|đến hết|vào)\s+)?năm \d{4}$")
# figures a target states ("… có 100% xã đạt chuẩn" is a figure; "phải hoàn thiện … đạt chuẩn năm 2022" is work)
_TARGET = re.compile(r"%|\b(?:tỷ lệ|tỉ lệ|bình quân|tăng trưởng|giảm còn)\b", re.IGNORECASE)


def _target(text: str, found: FoundDeadline) -> FoundDeadline:
    """ "Phấn đấu đến năm 2025, tỷ lệ hộ nghèo giảm còn dưới 3%": a resolution's target year, not a deadline anyone
    is reminded of; weak, so the keeper is asked."""
    if found.weak or "năm" not in found.deadline.text.lower() or not _TARGET.search(text):
        return found
    if not _TARGET_YEAR.match(normalize(found.deadline.text)):
        return found
    return FoundDeadline(found.deadline, found.start, found.end, True)


# "Báo cáo 6 tháng được gửi trước ngày 05/6", "báo cáo năm gửi trước 25/11": a report due every half-year or year
_PERIODIC_REPORT = re.compile(r"\bbáo cáo (?:6 tháng|sáu tháng|năm)\b(?!\s*(?:\d{4}|nay|học))", re.IGNORECASE)


_SAYS_EVERY = re.compile(r"\b(?:hằng|hàng|mỗi|định kỳ)\b|thứ|chủ nhật", re.IGNORECASE)


def _periodic_report(text: str, found: FoundDeadline) -> FoundDeadline:
    """The yearless day of a half-yearly or yearly report is every year's: the rule recurs, it is not one date."""
    phrase = found.deadline.text
    if found.weak or found.deadline.due is None or re.search(r"\d{4}", phrase) or not _BARE_DATE_PHRASE.match(phrase):
        return found
    if "báo cáo" not in text.lower() or not _PERIODIC_REPORT.search(text):
        return found
    try:
        every = parse_deadline(f"{phrase} hằng năm")
    except DeadlineError:
        return found
    if every.rrule is None:
        return found
    return FoundDeadline(Deadline(phrase, None, every.rrule, every.event), found.start, found.end, found.weak)


_BARE_DATE_PHRASE = re.compile(r"^(?:(?:trước|chậm nhất|hạn|vào|đến)\s+)*(?:ngày\s+)?\d{1,2}\s*[/.\-]\s*\d{1,2}$")
_COUNT = re.compile(r"\d{1,3}/\d{1,3}")
# "kế hoạch cải cách hành chính hàng năm", "ngày nghỉ hàng tuần": a bare recurrence says how often a thing is,
# not by when; "định kỳ hằng quý", "vào cuối hằng tháng", "trước ngày 20 hằng tháng" say when.
_BARE_EVERY = re.compile(r"(?:hằng|mỗi) (?:ngày|tuần|tháng|quý|năm)")
_EVERY_YEAR = re.compile(r"\b(?:hằng|hàng|mỗi) năm\b", re.IGNORECASE)
_NEXT_YEAR = re.compile(r"\bnăm (?:sau|tới)$", re.IGNORECASE)


def _bare_recurrence(found: FoundDeadline) -> FoundDeadline:
    """A bare "hằng năm" is weak: the keeper is asked whether it is a deadline, nothing is guessed."""
    if not found.weak and _BARE_EVERY.fullmatch(normalize(found.deadline.text)):
        return FoundDeadline(found.deadline, found.start, found.end, True)
    return found


def _next_year_yearly(text: str, found: list[FoundDeadline]) -> list[FoundDeadline]:
    """ "Khen thưởng hằng năm …, hồ sơ gửi chậm nhất ngày 15/3 năm sau": in a rule of every year, "năm sau" is the
    year after each one, so the deadline recurs every year on that day (from the first one, next year)."""
    if not any(_NEXT_YEAR.search(f.deadline.text) for f in found) or not _EVERY_YEAR.search(text):
        return found
    out = []
    for f in found:
        if f.deadline.due is not None and _NEXT_YEAR.search(f.deadline.text):
            try:
                every = parse_deadline(_NEXT_YEAR.sub("hằng năm", f.deadline.text))
            except DeadlineError:
                every = None
            if every is not None and every.rrule:
                f = FoundDeadline(Deadline(f.deadline.text, None, every.rrule, every.event), f.start, f.end, f.weak)
        out.append(f)
    return out


def _not_a_date(text: str, found: FoundDeadline) -> bool:
    """Numbers that look like dates: "8/8 huyện" (a count), a date before 1990 (history), a day off.

    An anniversary's date of this year ("30/4/1975 - 30/4/2022") stays: the celebration is due that day.
    """
    phrase = found.deadline.text
    if found.deadline.due is not None and found.deadline.due.year < 1990:
        return True  # history
    if _BARE_DAY.fullmatch(phrase) and _ends_with(text[: found.start].lower(), _OCCASION, word=True):
        return True  # "tuần cao điểm 26/3", "kỷ niệm 2/9": the day names an occasion, it sets no deadline
    if _BARE_DAY.fullmatch(phrase) and _named_day(text, found.start):
        return True  # "chào mừng ngày Nhà giáo Việt Nam 20/11", "Ngày sách Việt Nam (21/4)": a day's name, no deadline
    before = text[: found.start]
    if re.search(
        r"\btức(?:\s+là)?\s*$|\d{1,2}\s*[/.\-]\s*\d{1,2}(?:\s*[/.\-]\s*\d{2,4})?\s*\(\s*(?:từ\s+|nhằm\s+|tức(?:\s+là)?\s+)?(?:ngày\s+)?$",
        before,
        re.I,
    ):
        # "ngày 16/02/2021 (tức ngày mùng 5 Tết)", "THỨ BẢY 11/01/2025 (nhằm 12/12 ÂL)", "Ngày 17/01 - 25/02/2019 (Từ
        # ngày 01/12/2018 - 10/01/2019 Tháng chạp …)": the same days said again in the lunar calendar
        return True
    after = text[found.end :]
    if re.match(r"\s*lần\b", after, re.IGNORECASE):
        return True  # "tiếp công dân định kỳ 01 tháng 01 lần": how often, not a day
    if re.match(r"\s*[:,\-–]?\s*nghỉ\s+(?:lễ|tết|bù)\b", after, re.IGNORECASE):
        return True  # "Ngày 11/02/2021 Nghỉ Tết Nguyên đán": a day off in a calendar, no work due
    return bool(_COUNT.fullmatch(phrase) and re.match(r"\s+[^\W\d_]", after)) and not re.match(
        r"\s+(?:năm|hằng|hàng|và|đến|tới)\b", after
    )


# A document's code right before a date: "24/2021/QĐ-TTg", "05-NQ/TU", "3145/BKHĐT-KTĐPLT", "Nghị quyết 05-NQ/TU".
_CODE = re.compile(r"\b\d{1,5}[\w]*(?:[/-][\w.\-–]*)*[/-][\w.\-–]*[A-ZĐ]{2,}[\w.\-–]*\s*,?\s*$")
_HELD = re.compile(r"\bđã\s+(?:được\s+)?(?:\w+\s+){0,2}?(?:vào\s+)?$")


def _reference(text: str, found: FoundDeadline) -> bool:
    """ "Kế hoạch số 75/KH-UBND ngày 21/3/2022", "Tính đến 31/3": a date that names a paper or a moment past."""
    before = text[: found.start].lower()
    dated = found.deadline.text.lower().startswith(("ngày", "0", "1", "2", "3"))
    if dated and (_CITED.search(before[-60:]) or _CODE.search(text[max(0, found.start - 60) : found.start])):
        return True  # "Quyết định 24/2021/QĐ-TTg ngày 16-7-2021": a paper's date, with or without "số"
    if (dated or found.deadline.text.lower().startswith("vào")) and _HELD.search(before[-40:]):
        return True  # "Hội nghị đã diễn ra ngày 10/5": an event already held
    if found.deadline.text.lower().startswith(("đến", "từ")) and _ends_with(before, ("tính",), word=True):
        return True  # "tính đến ngày 22.4": as of, not by
    if found.deadline.text.lower().startswith("đến") and _DATA_PERIOD.search(before[-80:]):
        return True  # "số liệu … tính từ tháng 9/2016 đến hết tháng 6/2021": the period the figures cover
    tail = before[-90:]
    if dated and any(w in tail for w in _PAPER_WORDS) and _PAPER.search(tail):
        return (
            True  # "Thực hiện Công văn ngày 05/3/2024 của UBND tỉnh", "Kế hoạch của Ban Chỉ đạo ngày …": a paper's date
        )
    if dated and _LAW.search(tail):
        return True  # "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015": a law's date
    if "thời điểm" in tail and _INSTANT.search(before[-60:]):
        return True  # "Thời điểm điều tra là 0 giờ ngày 1-4-2019": the moment a count refers to, no work due
    as_of = found.deadline.text.lower().startswith(("đến", "tới")) or _ends_with(before, ("đến", "tới"), word=True)
    if as_of and _STATUS.match(text, found.end):
        return True  # "đến ngày 02/01/2019 vẫn còn nhiều đơn vị chưa nộp": how things stood that day
    return _ends_with(before, ("tính đến", "tính từ", "đến nay", "căn cứ"))


# A paper named right before a date, with its issuer or number: "Công văn ngày …", "Kế hoạch của Ban Chỉ đạo ngày …"
# (not across a comma: "Theo hướng dẫn, ngày 25/5 là hạn cuối …")
_PAPER = re.compile(
    r"\b(?:công văn|văn bản|kế hoạch|quyết định|thông báo|nghị quyết|chỉ thị|hướng dẫn|tờ trình|thông tư|nghị định|"
    r"kết luận|công điện|giấy mời)(?:\s+(?:số|của)\s+[^,;:.()]{1,60}?)?\s*$"
)
# Papers a clause opens with, then whose they are: "các báo cáo của UBND tỉnh, …", "Báo cáo hoàn thành của …"
_PAPERS_OF = re.compile(
    r"(?:các\s+)?(?:báo cáo|tờ trình|đề án|hồ sơ|dự thảo|văn bản|danh sách|kế hoạch|bản đăng ký)\b[^.;:]{0,80}?\bcủa\s+"
)
_SENT = re.compile(r"\b(?:phải được|được gửi|gửi|gởi|nộp|trình)\b")
# A law or decree named by its title right before a date ("Luật Tổ chức chính quyền địa phương ngày …")
_LAW = re.compile(
    r"\b(?:bộ luật|luật|hiến pháp|pháp lệnh|nghị định|thông tư)\s+(?:[^,;:.()]|,\s(?=[^\W\d_]+\s)){1,80}?\s*$"
)
_PAPER_WORDS = ("công văn", "văn bản", "kế hoạch", "quyết định", "thông báo", "nghị quyết", "chỉ thị", "hướng dẫn",
                "tờ trình", "thông tư", "nghị định", "kết luận", "công điện", "giấy mời")  # fmt: skip
# "Thời điểm điều tra là …", "thời điểm thống kê là …": a reference instant (not "thời điểm hoàn thành là …")
_INSTANT = re.compile(
    r"\bthời điểm\s+(?!hoàn thành|hoàn tất|nộp|gửi|kết thúc|cuối|hạn|báo cáo)(?:[^\W\d_]+\s+){1,4}?là\s*$"
)
_STATUS = re.compile(r"\s*,?\s*(?:vẫn|mới|chỉ|còn|chưa|đã)\b", re.IGNORECASE)
# After a day that opens its clause: what was done on it ("…, UBND tỉnh đã giao 833 nhiệm vụ", "…, Văn phòng UBND
# tỉnh ban hành Văn bản số 404 …"), or that nothing is done on it ("… Đoàn ĐBQH tỉnh không tiếp công dân").
_SUBJECT_THEN = r"[\s,:\-–]*(?:[^\s,;:.]+\s+){0,10}?"
_HAPPENED = re.compile(
    _SUBJECT_THEN + r"(?:(?:đã|vừa)\s|(?:ban hành|ký|có)\s+(?:văn bản|công văn|quyết định|kế hoạch|thông báo|chỉ thị|"
    r"nghị quyết|hướng dẫn)\s+số\b)",
    re.IGNORECASE,
)
_CALLED_OFF = re.compile(
    _SUBJECT_THEN + r"(?:không|tạm dừng|tạm hoãn|hoãn|ngừng|hủy|huỷ)\s+(?!được|quá|muộn|chậm|để|phải|ít|kịp|còn)",
    re.IGNORECASE,
)
_HAPPENED_WORDS = ("đã", "vừa", "ban hành", "ký", "có", "không", "hoãn", "ngừng", "hủy", "huỷ", "dừng")
_OPENING_WORDS = _OPENERS | {"ngày", "tháng", "năm", "sáng", "chiều", "tối", "giờ", "đầu", "nay"}


def _past_or_called_off(text: str, found: FoundDeadline) -> bool:
    """A day that opens its clause and is followed by what was done then, or by what is not done then.

    "Ngày 08/4/2021, Văn phòng UBND tỉnh ban hành Văn bản số 404 …", "Từ ngày 1.1 đến ngày 6.7, UBND tỉnh đã giao
    833 nhiệm vụ": a past event, or a period the counts after it cover. "Ngày 11/3/2021 Đoàn ĐBQH … không tiếp
    công dân": a session called off. None of them is work due by that day. "Trước ngày …" always asks.
    """
    if found.deadline.text.lower().startswith(_DEADLINE_WORDS):
        return False
    cut = max(text.rfind(":", 0, found.start), text.rfind(",", 0, found.start), text.rfind(";", 0, found.start))
    before = text[cut + 1 : found.start]
    if len(before) > 40 or not all(
        w in _OPENING_WORDS or w[:1].isdigit() for w in before.lower().strip(" *•-–(").split()
    ):
        return False  # the day does not open its clause
    head = text[found.end : found.end + 160]
    low = head.lower()
    if not any(w in low for w in _HAPPENED_WORDS):
        return False  # nothing done, issued or called off is said after the day
    if re.match(r"[^.;]{0,160}?\b(?:sẽ|dự kiến)\b", head, re.IGNORECASE) and not _HAPPENED.match(head):
        return False
    return bool(_HAPPENED.match(head) or _CALLED_OFF.match(head))


# The figures of a report cover a period: "số liệu từ tháng 1/2021 đến …", "lấy số liệu 5 năm đến hết …".
_DATA_PERIOD = re.compile(
    r"(?:\bsố liệu\b|\btính\b)[^;:]{0,40}?\btừ\s+(?:ngày\s+|tháng\s+)?[\d/.\-]+\s*$|\blấy số liệu\b[^;:]{0,30}$"
)


def _title(text: str, deadline: FoundDeadline | None) -> str:
    """The clause as a task name: without its deadline phrase and trailing punctuation, capitalised."""
    title = text
    if deadline is not None:
        phrase = deadline.deadline.text
        title = title.replace(phrase, "").strip()
    title = " ".join(title.split()).strip(" ,.;:-–")
    if title.lower().endswith(" từ"):  # "… kiểm tra từ" once "ngày 2/5 đến ngày 25/5" is gone
        title = title[:-3].rstrip(" ,")
    if len(title) > 160:
        title = title[:159].rsplit(" ", 1)[0] + "…"
    return title[:1].upper() + title[1:]


def _share_deadlines(tasks: list[DraftTask]) -> list[DraftTask]:
    """A directive that names its unit but no deadline takes the deadline of the sentence right after it.

    "Chỉ đạo Tổ rà soát đất đai … Kịp thời tổng hợp … trong tháng 4/2022": when that sentence holds a
    single task it only elaborates the directive, and the two become one task; when it lists several
    ("Tổ chức Hội nghị CBCC …, kiện toàn Ban thanh tra … trong tháng 4/2022"), the directive stands beside
    them with the shared deadline.
    """
    out: list[DraftTask] = []
    i = 0
    while i < len(tasks):
        task = tasks[i]
        nxt = tasks[i + 1] if i + 1 < len(tasks) else None
        if (
            task.deadline is None
            and task.explicit
            and nxt
            and nxt.deadline
            and not nxt.explicit
            and nxt.lead == task.lead
        ):
            bare = len(re.findall(r"\w+", nxt.title)) < 3  # "…; hoàn thành trước ngày 10/12/2023": only the deadline
            if bare or sum(1 for t in tasks if t.quote == nxt.quote) == 1:
                nxt.title = task.title
                nxt.quote = f"{task.quote} {nxt.quote}"
                nxt.review = [r for r in task.review if r not in nxt.review] + nxt.review
                nxt.explicit = True
                i += 1
                continue
            task.deadline = nxt.deadline
            task.review.append(f"thời hạn lấy từ câu sau trong cùng đoạn: “{nxt.deadline.deadline.text}”")
            task.confidence -= 0.2
        out.append(task)
        i += 1
    return out


def _similar(a: DraftTask, b: DraftTask, words: dict[int, set[str]] | None = None) -> bool:
    """Do the two titles share enough words? `words` keeps each task's words, read once per task."""
    words = {} if words is None else words
    wa = words.setdefault(id(a), set(key(a.title).split()))
    wb = words.setdefault(id(b), set(key(b.title).split()))
    return len(wa & wb) / max(1, len(wa | wb)) >= 0.35


def _dedupe(tasks: list[DraftTask]) -> list[DraftTask]:
    """The same task said in two sections (the party's, then the chi bộ's) is kept once."""
    kept: list[DraftTask] = []
    alike: dict[tuple[object, ...], list[DraftTask]] = {}  # same lead and deadline: the only candidates
    words: dict[int, set[str]] = {}
    for task in tasks:
        if task.deadline is None:
            kept.append(task)
            continue
        same = alike.setdefault((tuple(task.lead), task.due, task.rrule), [])
        twin = next((k for k in same if k.section != task.section and _similar(k, task, words)), None)
        if twin is None:
            kept.append(task)
            same.append(task)
        else:
            note = f"cũng được nêu ở mục “{task.section}”"
            if note not in twin.review:
                twin.review.append(note)
    return kept


_OCCASION = ("cao điểm", "kỷ niệm", "chào mừng", "mừng")
_BARE_DAY = re.compile(r"\d{1,2}\s*[/.\-]\s*\d{1,2}")
# What a letter asks its addressees to send: a report, a file, a list
_SENDING = re.compile(r"\b(?:báo cáo|gửi|gởi|nộp|hồ sơ|đăng ký|danh sách)\b", re.IGNORECASE)
# "… có 4 đơn vị Hội …", "… có 12 chi bộ …": the bodies counted are the doers
_THERE_ARE = re.compile(r"(?:^|[\s,])có\s+(?:\d+\s+|một số\s+|nhiều\s+)(?:đơn vị\s+)?$")
# A plan item's detail lines: who does it, and when
_UNIT_LINE = re.compile(
    r"(?:đơn vị|cơ quan|bộ phận)\s+(?:chủ trì|thực hiện|phụ trách|chịu trách nhiệm)(?:\s+thực hiện)?\s*:"
    r"\s*(?P<who>.+)$",
    re.IGNORECASE,
)
_TIME_LINE = re.compile(r"(?:thời gian|thời hạn|tiến độ)(?:\s+(?:thực hiện|hoàn thành|tổ chức))?\s*:", re.IGNORECASE)
# A cell listing the days of a month a routine falls on: "Ngày 03; 10; 17; 24; 31 (Thứ 5)", "07, 14, 21, 28"
_DAY_LIST = re.compile(r"(?:ngày\s+)?\d{1,2}(?:\s*[;,]\s*\d{1,2}){2,}\s*(?:\([^)]*\))?\s*$", re.IGNORECASE)
# The lines under a schedule's item that say who attends and where: no task of their own
_ITEM_DETAIL = re.compile(
    r"(?:thành phần|địa điểm|thời gian, địa điểm|chủ trì|mời dự|cùng dự|cùng đi|tham dự|dự họp)\b[^:]{0,30}:",
    re.IGNORECASE,
)
# A day said as such, with no word of a deadline: "Ngày 9/10", "26/12/2013", "ngày 03/02/2026"
_PLAIN_DAY = re.compile(r"(?:ngày\s+)?\d{1,2}\s*[/.\-]\s*\d{1,2}(?:\s*[/.\-]\s*\d{2,4})?", re.IGNORECASE)
# A document said to be issued: "ra Kế hoạch số 218", "ban hành Công văn", "có văn bản", "thông báo về việc"
_ISSUING = re.compile(
    r"\b(?:ra|ban hành|có|ký)\s+(?:văn bản|công văn|kế hoạch|thông báo|quyết định|chỉ thị|hướng dẫn)\b"
    r"|\bthông báo về việc\b|\bphát động\b",
    re.IGNORECASE,
)
# "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015": the legal basis a document cites
_LEGAL_BASIS = re.compile(r"^[\s\-–•*+]*căn cứ\b", re.IGNORECASE)
# "Căn cứ …, Văn phòng UBND tỉnh đề nghị Sở …": the basis, then what is asked
_BASIS_THEN = re.compile(
    r"[,;]\s+[^,;]{0,80}\b(?:đề nghị|yêu cầu|giao|chỉ đạo|có trách nhiệm|sẽ|tổ chức|thực hiện|báo cáo|xây dựng|"
    r"hoàn thành|trước ngày|chậm nhất|gửi|nộp)\b",
    re.IGNORECASE,
)
# Office hours in a calendar ("Buổi sáng làm việc tại cơ quan", "- 13 giờ 30, đồng chí Phó Bí thư làm việc tại cơ
# quan."), whoever they are for: no task
_ROUTINE = re.compile(r"^[^.;]{0,80}\blàm việc tại (?:cơ quan|trụ sở|văn phòng)\W*$", re.IGNORECASE)
# A table's time cell that only says when the work starts ("Từ ngày 25/01/2024"): the row is due to start then
_START_CELL = re.compile(r"\s*từ\s+(?:ngày\s+)?[\d/.\-]+\s*", re.IGNORECASE)
# A day of a month said without the month: "Ngày 18 (thứ Ba)", "Thứ 2, ngày 17"
_DAY_OF_MONTH = re.compile(r"\bngày\s+(?P<d>\d{1,2})\b(?!\s*[/.\-]\s*\d|\s+tháng)", re.IGNORECASE)
# A class as a school's table names it: "9A", "10A1", "5/3"
_CLASS = re.compile(r"\d{1,2}\s?[A-ZĐ]\d{0,2}|\d{1,2}/\d{1,2}")
# Who prepares a schedule's item: "(Giao Văn phòng UBND xã bảo đảm các điều kiện)", "(Phòng Nội vụ chuẩn bị báo
# cáo)", "(Phòng Nông nghiệp và Phát triển nông thôn tham mưu sắp xếp lịch trình …)"
_PREPARATION = re.compile(
    r"\(\s*(?:(?:giao|đề nghị)\s+([^()]{3,200})|([^()]{3,120}?\s(?:chuẩn\s+b(?:ị|áo)|tham mưu)\b[^()]{0,120}))\)",
    re.IGNORECASE,
)
# "Đồng chí Lê Văn Ba", "Đ/c Hà", "Ông Nguyễn Văn Nam", "PCT Mai Xuân Liêm": a person a schedule's line names
_PERSON_HINT = re.compile(r"(?i:đồng chí|đ/c|ông|bà)\s|(?:CT|BT|GĐ)\s")
_PERSON_TITLE = re.compile(r"(?i:đồng chí|đ/c|ông|bà)\s+|(?:P?CT|PCTTT|P?BT|P?GĐ)\s+")


def _person_named(text: str, at: int) -> tuple[int, int] | None:
    """Where the person named at `at` is: a title, then the person's name ("Đồng chí Lê Văn Ba", "PCT Mai Xuân Liêm")
    or office ("Đồng chí Bí thư Huyện ủy"), with an office said beside the name ("Ông Trần Nam - Chủ tịch UBND
    huyện"); None when there is none."""
    title = _PERSON_TITLE.match(text, at)
    if title is None:
        return _titled(text, at)
    end = title.end()
    office = _OFFICE.match(text, end)
    if office is not None:  # "Đồng chí Bí thư Huyện ủy": the office names the person
        named = next((o for o in organisations(text) if o.start == office.end()), None)
        return (at, named.end if named else office.end() - 1)
    names = 0
    for word in re.finditer(r"\S+", text[end:]):
        clean = word.group().strip(",.:;()")
        if not clean[:1].isupper() or names == 4:
            break
        names += 1
        end = title.end() + word.start() + len(word.group().rstrip(",.:;"))
        if word.group() != word.group().rstrip(",.:;"):
            break
    if not names:
        return None
    beside = re.match(r"\s*(?:,|-|–)\s*", text[end:])
    office = _OFFICE.match(text, end + beside.end()) if beside else None
    if office is not None:  # "…, Phó Chủ tịch UBND huyện"
        named = next((o for o in organisations(text) if o.start == office.end()), None)
        if named is not None:
            end = named.end
    return (at, end)


def _titled(text: str, at: int) -> tuple[int, int] | None:
    """A calendar's line opening with a title, not "Đồng chí": "Giám đốc Sở chủ trì …", "Phó Giám đốc Nguyễn Văn
    An dự …": the title with the body or the name that follows it."""
    office = _OFFICE.match(text, at)
    if office is None or not text[at : at + 1].isupper():
        return None
    named = next((o for o in organisations(text) if o.start == office.end()), None)
    if named is not None:
        return (at, named.end)
    name = re.match(r"(?:[A-ZĐ\u00c0-\u1ef9][^\s,.:;()]*\s*){1,4}", text[office.end() :])
    if name is not None and all(w[:1].isupper() for w in name.group().split()):
        return (at, office.end() + len(name.group().rstrip()))
    return (at, office.end() - 1)


# A work programme's period alone on its line: "Tháng 3:", "Tháng 01/2026:", "Quý II năm 2026:"
_PERIOD_HEADER = re.compile(
    r"^[-*•+\s]*(?:tháng\s+\d{1,2}|quý\s+(?:i{1,3}|iv|[1-4]))(?:\s*[/.\-]\s*\d{4}|\s+năm\s+\d{4})?\s*:\s*$",
    re.IGNORECASE,
)
# A month's plan, on its own line: "KẾ HOẠCH CÔNG TÁC ĐỘI THÁNG 10/ 2019", "II. Kế hoạch công tác tháng 10/2019",
# "Kế hoạch hoạt động liên đội tháng 12"
_PLAN_PERIOD = re.compile(
    r"^(?:(?:[IVX]{1,4}|\d{1,2})[.)/]\s*)?(?:kế hoạch|chương trình)\b[^:.;,]{0,50}?\btháng\s+\d{1,2}"
    r"(?:\s*/\s*\d{4}|\s+năm\s+\d{4})?\s*:?\s*$",
    re.IGNORECASE,
)
# "I. Đánh giá công tác tháng 9:", "1. Kết quả thực hiện tháng trước:": a review of what was done
_REVIEW_HEADING = re.compile(
    r"^(?:(?:[IVX]{1,4}|\d{1,2})[.)/]\s*)?(?:đánh giá|kết quả|tình hình|sơ kết|tổng kết)\b[^:]{0,60}:\s*$", re.I
)
_THEME = re.compile(r"^[\W\d]*chủ điểm\b", re.IGNORECASE)
# A schedule's line opening with its own clock: "08 giờ 00’: …", "- 14 giờ: …", "(8h30) …"
_CLOCK = r"\d{1,2}\s*(?:giờ|g|h)\s*(?:\d{1,2})?\s*(?:phút|’|')?"
_CLOCKS = rf"(?:(?:\d{{1,2}}|{_CLOCK})\s*[-–]\s*)?{_CLOCK}"  # "8 giờ", "7-9h", "15h30-17h", "17h30 – 19h"
_CLOCK_START = re.compile(rf"^[\s*•+\-–]*\(?{_CLOCKS}\s*\)?\s*[:,\-–)]", re.I)
# A calendar's line for its leaders: "Chủ tịch, PCT. Thường trực: 13 giờ 30’, …", "PCT.CN: Sáng làm việc tại cơ quan"
_WHO_LINE = re.compile(
    rf"^(?P<who>[^\W\d][^:\d()]{{0,60}}?)\s*:\s*(?=(?:{_CLOCKS}|(?:buổi\s+)?(?:sáng|chiều|tối)\b|cả ngày\b))", re.I
)
_LEADER = re.compile(r"\b(?:P?CT|PBT|BT|P?GĐ|PCTTT)\b|\b(?:chủ tịch|bí thư|giám đốc|thường trực|lãnh đạo)\b", re.I)
# The next engagement on a calendar's line: a sentence that opens with its clock
_NEXT_ENGAGEMENT = re.compile(rf"[.;]\s+(?={_CLOCKS}\s*[,:])", re.I)
# A portal's clock: "Thứ năm 27/1/2022"
_WIDGET = re.compile(r"(?:thứ\s+(?:hai|ba|tư|năm|sáu|bảy|[2-7])|chủ nhật)\s*,?\s*\d{1,2}/\d{1,2}/\d{4}", re.IGNORECASE)
# A part of the day alone on its line, above the items in it: "Buổi sáng:", "Buổi sáng từ 8-12h:", "Chiều:"
_TIME_OF_DAY = re.compile(rf"(?:buổi\s+)?(?:sáng|chiều|tối|trưa)(?:\s+(?:từ\s+)?{_CLOCKS})?\s*:?", re.I)
# A person's title before the body they head: "Giám đốc Sở", "Phó Chủ tịch UBND tỉnh", "Chủ tịch, các Phó Chủ tịch".
_ONE_TITLE = (
    r"(?:(?:các|đồng chí|đ/c)\s+)?(?:phó\s+)?(?:chủ tịch|bí thư|giám đốc|tổng giám đốc|trưởng ban|trưởng phòng|"
    r"hiệu trưởng|thủ trưởng|chánh văn phòng|chánh thanh tra|cục trưởng|viện trưởng|trưởng|lãnh đạo)"
)
_OFFICE = re.compile(rf"(?i:{_ONE_TITLE})\s+")
_TITLES = re.compile(rf"(?:^|(?<=[\s:;(]))(?:{_ONE_TITLE})(?:\s*(?:,|và)\s*{_ONE_TITLE})*\s+$", re.IGNORECASE)


def _with_title(text: str, org: Organisation) -> Organisation:
    """A body named by one word ("Sở", "Bộ", "Trường") after a person's title is kept with it: "Giám đốc Sở" says
    who acts, "Sở" alone names no body. Longer names stay as they are ("Chủ tịch UBND huyện" → "UBND huyện")."""
    if len(org.name.split()) > 1:
        return org
    title = _TITLES.search(text[: org.start])
    if title is None:
        return org
    return Organisation(text[title.start() : org.end], title.start(), org.end, org.word)


# "ngày Nhà giáo Việt Nam ", "Ngày sách Việt Nam năm 2021 (": a named day right before its date
_NAMED_DAY = re.compile(r"\bngày\s+((?:[^\W\d]+\s+){1,6}?)(?:năm\s+\d{4}\s*)?\(?\s*$", re.IGNORECASE)
_BEFORE_NAMED = ("trước", "đến", "tới", "chậm nhất", "hạn", "vào", "từ", "sau", "hết")


def _named_day(text: str, at: int) -> bool:
    """Does a holiday's or an observance's name stand right before `at` ("ngày Phụ nữ Việt Nam 20/10")? Not a
    festival that is held ("Ngày hội …"), nor a day a deadline word points to ("trước ngày Quốc khánh 2/9")."""
    before = text[max(0, at - 80) : at]
    if "ngày" not in before.lower():
        return False
    match = _NAMED_DAY.search(before)
    if match is None:
        return False
    words = match[1].split()
    if words[0].lower() == "hội" or not any(w[:1].isupper() for w in words):
        return False
    return not _ends_with(before[: match.start()].lower(), _BEFORE_NAMED, word=True)


# Citizens acting for themselves, not units: "cử tri cả nước đi bầu", "công dân ứng cử nộp hồ sơ" (candidates and
# pupils stay: a school organises their registration, and collectors label it)
_PRIVATE = re.compile(
    r"(?:^|[,:;]\s+|\d\s+)(?:các\s+|những\s+)?(?:cử tri|công dân|người dân)\b",
    re.IGNORECASE,
)


def _private_doer(text: str) -> bool:
    """Does the clause's first doer stand for citizens or voters acting on their own (not "được …")?

    The register reminds units: "Công dân đăng ký trước ngày 10 hằng tháng" is the citizen's step; "công dân được
    tiếp vào thứ 5" is the unit's.
    """
    low = text.lower()
    if "cử tri" not in low and "dân" not in low:
        return False  # most clauses name neither: no need to search
    match = _PRIVATE.search(text)
    if match is None:
        return False
    rest = text[match.end() :]
    clause_rest = re.split(r"[,;.]", rest, maxsplit=1)[0]
    if re.search(r"\bđược\b", clause_rest, re.IGNORECASE):
        return False
    return not any(o.start < match.start() for o in organisations(text))


def _headline_repeats(tasks: list[DraftTask], headline_end: int) -> list[DraftTask]:
    """A headline that repeats a deadline the body states ("Giãn cách xã hội đến hết 15/8" above "… thời gian thực
    hiện đến hết ngày 15/8") only announces that task: the body's sentence is the task, the headline is dropped."""

    def words(task: DraftTask) -> set[str]:
        return {w for w in key(task.title).split() if not w[:1].isdigit()}

    body = [t for t in tasks if t.deadline is not None and t.at >= headline_end]
    return [
        t
        for t in tasks
        if not (
            t.deadline is not None
            and 0 <= t.at < headline_end
            and any((b.due, b.rrule) == (t.due, t.rrule) and len(words(b) & words(t)) >= 2 for b in body)
        )
    ]


def draft_codes(source: str, count: int, taken: set[str]) -> list[str]:
    """Task codes named after the document ("ke-hoach-12-01" for ke-hoach-12.docx), none the register has.

    The register matches tasks by code, so drafts of two documents that both numbered from NV-01 would
    overwrite each other's tasks on import; a draft of the same file again updates its own tasks."""
    stem = re.sub(r"[^a-z0-9]+", "-", fold(nfc(Path(source).stem))).strip("-")
    if len(stem) > 24:  # short enough for a task list's code column, cut between words
        stem = stem[:25].rsplit("-", 1)[0] if "-" in stem[:25] else stem[:24]
    stem = stem or "nv"
    codes: list[str] = []
    number = 0
    while len(codes) < count:
        number += 1
        code = f"{stem}-{number:02d}"
        if code not in taken:
            codes.append(code)
    return codes


def extract(text: str, register: Register, doc_date: date | None = None, source: str = "") -> Draft:
    """Draft the tasks of a document; `doc_date` overrides the date read from the text."""
    found: DocumentDate | None = document_date(text)
    day = doc_date or (found.day if found else None)
    notes = []
    year_date = day
    if day is None:
        named = text_year(text)
        year = weekday_year(text, named) or named  # "THỨ HAI, NGÀY 27/5": the year in which that day is a Monday
        if year is not None:
            year_date = date(year, 1, 1)
            why = "năm mới nhất văn bản nêu" if year == named else "năm có thứ trong tuần khớp với ngày của lịch"
            notes.append(
                f"không thấy ngày văn bản: năm còn thiếu trong thời hạn tạm lấy {year} ({why}); "
                "kiểm tra, hoặc dùng --doc-date"
            )
        else:
            notes.append("không thấy ngày văn bản: năm còn thiếu trong thời hạn không suy ra được (dùng --doc-date)")
    elif (titled := headline_year(text)) is not None and titled > day.year:
        # "Lịch tiếp công dân năm 2024", issued on 18/12/2023: its days without a year are of the year it plans
        year_date = date(titled, 1, 1)
        notes.append(f"năm còn thiếu trong thời hạn lấy theo tiêu đề ({titled}), không theo ngày văn bản: kiểm tra")
    elif doc_date is None and found is not None and (found.year_guessed or found.source == "stamp"):
        how = "năm suy ra từ văn bản" if found.year_guessed else "lấy từ ngày đăng trang"
        notes.append(f"ngày văn bản {found.day:%d/%m/%Y} ({how}): kiểm tra, hoặc dùng --doc-date")
    dateline = (found.start, found.end) if found is not None and doc_date is None else (-1, -1)
    extractor = Extractor(register, day, dateline, year_date)
    extractor.stamped = doc_date is None and found is not None and found.source == "stamp"
    tasks = _headline_repeats(_dedupe(extractor.run(text)), extractor.headline_end)
    codes = draft_codes(source, len(tasks), {t.code for t in register.tasks})
    for task, code in zip(tasks, codes, strict=True):
        task.code = code
        if task.deadline is None:
            task.review.insert(
                0, "không tìm thấy thời hạn: ghi deadline, hoặc giữ ongoing: true nếu là việc thường xuyên"
            )
            task.confidence = min(task.confidence, 0.5)
        elif task.year_guessed and task.rrule:
            task.review.append(
                "văn bản đặt ngày của mọi năm (hằng năm): thời hạn lặp lại hằng năm, kiểm tra; "
                "văn bản không có ngày: ghi Ngày văn bản (source_date) để biết lần nhắc đầu tiên"
            )
        elif task.year_guessed:
            task.review.append(f"năm của thời hạn suy ra từ văn bản ({year_date:%Y}): kiểm tra")  # type: ignore[union-attr]
        task.confidence = max(0.1, min(0.99, task.confidence))
    if not tasks:
        notes.append("không tìm thấy câu giao việc nào (Chỉ đạo …, Giao …, Đề nghị …, … phối hợp …)")
    return Draft(source, day, found is not None and doc_date is None, tasks, notes, document_name(text, source))
