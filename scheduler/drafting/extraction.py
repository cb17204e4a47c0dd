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

from scheduler.deadlines import FoundDeadline, find_deadlines
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
    quyết toán|phải""".replace("\n", "").split("|")
)
TASK_VERBS = tuple(sorted({v.strip() for v in TASK_VERBS if v.strip()}, key=len, reverse=True))
DIRECTIVES = ("chỉ đạo", "giao cho", "giao", "đề nghị", "yêu cầu")
# Verbs that open the next item of a list of tasks inside one clause ("Tổ chức X, kiện toàn Y …").
LIST_VERBS = ("tổ chức", "kiện toàn", "xây dựng", "thành lập", "hoàn thiện", "lập", "tổng hợp")
LEADING = ("trong đó", "đồng thời", "bên cạnh đó", "ngoài ra", "nhất là", "đặc biệt là", "riêng", "tập trung",
           "tiếp tục", "khẩn trương", "kịp thời")  # fmt: skip
NOT_TASKS = ("để ", "nhằm ", "với ", "tuy nhiên", "hội nghị ", "nhiệm vụ công tác", "cần phải", "qua đó", "do ")
HEADING = re.compile(
    r"^(?:[-–•+*]\s*)?(?:(?:[IVX]{1,4}|\d{1,2}|[a-zđ])[.)/]\s*)?(?P<body>(?:đối với|về|giao cho|nhiệm vụ của)\b.*)$",
    re.IGNORECASE,
)
NUMBERED = re.compile(r"^(?:[IVX]{1,4}|\d{1,2}(?:\.\d{1,2})?)[.)]\s+(?P<body>.+)$")
BULLET = re.compile(r"^(?:[-–•+*]|[a-zđ]\)|\d{1,2}\))\s*")
DOC_DATE = re.compile(
    r"ngày\s+(?P<d>\d{1,2})\s*(?:[/.-]|\s+tháng\s+)(?P<m>\d{1,2})\s*(?:[/.-]|\s+năm\s+)(?P<y>\d{4})"
    r"(?!\s*\d{1,2}:\d{2})",
    re.IGNORECASE,
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
    title: str = ""  # the document's first line

    @property
    def dated(self) -> list[DraftTask]:
        return [t for t in self.tasks if not t.ongoing]


# --- reading the document ------------------------------------------------------------------------


def document_date(text: str) -> date | None:
    """The date the document was signed: the first "ngày 07/4/2022" that is not a publishing timestamp."""
    for match in DOC_DATE.finditer(text[:5000]):
        try:
            return date(int(match["y"]), int(match["m"]), int(match["d"]))
        except ValueError:
            continue
    return None


def sentences(paragraph: str) -> list[str]:
    """Split at . ! ? followed by a capital letter (Vietnamese ones included)."""
    out: list[str] = []
    start = 0
    for match in re.finditer(r"[.!?…]+[\"”']?\s+", paragraph):
        following = paragraph[match.end() : match.end() + 1]
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


_PHRASE_SETS: dict[tuple[str, ...], frozenset[str]] = {}


def _starts_with(words: list[str], phrases: tuple[str, ...]) -> str | None:
    """The longest of `phrases` (of up to 4 words) the words begin with."""
    known = _PHRASE_SETS.get(phrases)
    if known is None:
        known = _PHRASE_SETS[phrases] = frozenset(phrases)
    for size in (4, 3, 2, 1):
        if len(words) >= size and (head := " ".join(words[:size])) in known:
            return head
    return None


@dataclass
class _Clause:
    text: str
    sentence: str
    paragraph: int
    continues: bool  # after ";" in the same sentence


class Extractor:
    """One document against one register's units."""

    def __init__(self, register: Register, doc_date: date | None) -> None:
        self.units = UnitIndex(register)
        self.doc_date = doc_date

    # -- sections and clauses --

    def heading(self, paragraph: str) -> str | None:
        """The text of a section heading, or None for an ordinary paragraph."""
        words = paragraph.split()
        if len(words) > 22:
            return None
        match = HEADING.match(paragraph)
        if match and not find_deadlines(paragraph, self.doc_date):
            return match["body"].rstrip(".:").strip()
        numbered = NUMBERED.match(paragraph)
        if numbered and len(words) <= 14 and paragraph.rstrip().endswith((":", ".")) is not None:
            body = numbered["body"].rstrip(".:").strip()
            if not find_deadlines(body, self.doc_date) and not _starts_with(key(body).split(), TASK_VERBS):
                return body
        return None

    def issuer(self, text: str) -> str | None:
        """The body that issued the document: the first unit named in its opening lines."""
        for line in text.split("\n")[:6]:
            found = self.units.mentions(key(line).split())
            if found:
                return found[0].code
        return None

    # -- one clause --

    def is_task(self, words: list[str], continues: bool) -> bool:
        """Does this clause assign work? A verb first, or a unit then a verb; a clause after ";" follows."""
        text = " ".join(words)
        if not words or any(text.startswith(s.strip()) and text[len(s.strip()) :][:1] in (" ", "") for s in NOT_TASKS):
            return False
        words = _strip_leading(words)
        if _starts_with(words, TASK_VERBS):
            return True
        mentions = self.units.mentions(words[:12])
        if mentions and mentions[0].start <= 1:
            after = words[mentions[-1].end : mentions[-1].end + 4]
            return any(_starts_with(after[k:], TASK_VERBS) for k in range(len(after)))
        return continues

    def leads(self, words: list[str]) -> tuple[list[str], list[str], str | None]:
        """(lead units, coordinating units, an unknown name after the directive) read from the clause."""
        words = _strip_leading(words)
        mentions = self.units.mentions(words)
        coordinating = []
        for i, w in enumerate(words):  # "phối hợp (với) X", "cho X"
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
        if not leads:
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

    def found(self, text: str) -> list[FoundDeadline]:
        """The deadlines of a clause that can be deadlines: not history, not the start of a range."""
        return [
            f
            for f in find_deadlines(text, self.doc_date)
            if (f.deadline.due is None or self._ahead(f)) and not _opens_range(text, f)
        ]

    def deadline(self, text: str, found: list[FoundDeadline] | None = None) -> tuple[FoundDeadline | None, list[str]]:
        """The clause's deadline and what the keeper should know about the choice."""
        found = self.found(text) if found is None else found
        strong = [f for f in found if not f.weak]
        notes: list[str] = []
        if not strong:
            if found:
                notes.append(
                    f"chỉ thấy “{text[found[0].start : found[0].end]}” (có thể là năm của kế hoạch, không phải hạn): "
                    f"nếu là hạn, ghi deadline: trong {text[found[0].start : found[0].end]}, rồi bỏ ongoing"
                )
            return None, notes
        dated = [f for f in strong if f.deadline.due is not None]
        chosen = min(dated, key=lambda f: f.deadline.due or date.max) if dated else strong[0]
        if len(strong) > 1:
            listed = "; ".join(text[f.start : f.end] for f in strong)
            notes.append(f"câu có {len(strong)} thời hạn ({listed}): đã chọn “{text[chosen.start : chosen.end]}”")
        return chosen, notes

    def split_by_deadlines(self, text: str, found: list[FoundDeadline]) -> list[str]:
        """ "Sinh hoạt vào ngày 05 hằng tháng, nộp biên bản chậm nhất ngày 10 hằng tháng" is two tasks.

        A clause with two deadlines is cut at a comma between them that opens a new verb phrase;
        without such a comma ("trong quý 2 và cả năm 2022") it stays one task with two deadlines.
        """
        found = [f for f in found if not f.weak]
        if len(found) < 2:
            return [text]
        cuts = []
        for before, after in zip(found, found[1:], strict=False):
            for comma in re.finditer(r",\s+", text[before.end : after.start]):
                start = before.end + comma.end()
                rest = key(text[start:]).split()
                own_words = len(key(text[start : after.start]).split())  # more than "hoàn thành" before its date
                if _starts_with(rest, TASK_VERBS) and own_words >= 3:
                    cuts.append(before.end + comma.start())
                    break
        if not cuts:
            return [text]
        bounds = [0, *cuts, len(text)]
        return [text[a:b].strip(" ,") for a, b in zip(bounds, bounds[1:], strict=False) if text[a:b].strip(" ,")]

    def _ahead(self, found: FoundDeadline) -> bool:
        """A date before the document is a reference ("kế hoạch số 108 ngày 06/4/2022"), not a deadline."""
        return self.doc_date is None or (found.deadline.due or date.max) >= self.doc_date

    # -- the document --

    def clauses(self, paragraph: str, number: int) -> list[_Clause]:
        out: list[_Clause] = []
        for sentence in sentences(paragraph):
            for k, part in enumerate(p.strip() for p in sentence.split(";")):
                if part:
                    out.append(_Clause(BULLET.sub("", part), sentence, number, continues=k > 0))
        return out

    def split_list(self, text: str) -> list[str]:
        """ "Tổ chức Hội nghị CBCC …, kiện toàn Ban thanh tra …" is two tasks; a directive's list is one."""
        words = _strip_leading(key(text).split())
        if not _starts_with(words, LIST_VERBS):
            return [text]
        parts = re.split(r",\s+(?=(?:" + "|".join(LIST_VERBS) + r")\s)", text, flags=re.IGNORECASE)
        return [p for p in parts if p.strip()]

    def run(self, text: str) -> list[DraftTask]:
        paragraphs = [p for p in text.split("\n") if p.strip() and p.strip() not in "-–•*+"]
        headings = {i: h for i, p in enumerate(paragraphs) if (h := self.heading(p)) is not None}
        issuer = self.issuer(text)
        first = min(headings) if headings else 0
        section_title, section_units = "", [issuer] if issuer else []
        tasks: list[DraftTask] = []
        for number, paragraph in enumerate(paragraphs):
            if number in headings:
                section_title = headings[number]
                found = [m.code for m in self.units.mentions(key(section_title).split())]
                section_units = found[:1] if found else ([issuer] if issuer else [])
                continue
            if number < first:
                continue  # the preamble: what happened, not what is asked
            tasks += self.paragraph_tasks(paragraph, number, section_title, section_units)
        return tasks

    def paragraph_tasks(self, paragraph: str, number: int, section: str, section_units: list[str]) -> list[DraftTask]:
        """The tasks of one paragraph: leads carry over to the sentences that follow, deadlines to those before."""
        tasks: list[DraftTask] = []
        carried: list[str] = []
        task_sentence = None  # a clause after ";" is a task only when the one before it was
        for clause in self.clauses(paragraph, number):
            words = key(clause.text).split()
            if not self.is_task(words, clause.continues and task_sentence == clause.sentence):
                continue
            task_sentence = clause.sentence
            leads, coordinating, unknown = self.leads(words)
            review: list[str] = []
            confidence = 0.95
            if unknown:
                near = self.units.closest(unknown)
                hint = f"; gần nhất: {', '.join(near)}" if near else ""
                review.append(f"đơn vị “{unknown}” chưa có trong sổ{hint}")
                confidence -= 0.3
            explicit = bool(leads)
            if leads:
                carried = leads
            elif carried:
                leads = carried
            elif section_units:
                leads = list(section_units)
                review.append(f"câu không nêu đơn vị chủ trì: tạm lấy đơn vị của mục ({self.units.labels[leads[0]]})")
                confidence -= 0.15
            else:
                review.append("không tìm thấy đơn vị chủ trì: hãy ghi lead")
                confidence -= 0.4
            found = self.found(clause.text)
            by_deadline = self.split_by_deadlines(clause.text, found)
            shared, notes = self.deadline(clause.text, found)
            if len(by_deadline) > 1:  # each part keeps its own deadline
                parts = [(part, *self.deadline(part)) for part in by_deadline]
            else:
                parts = [(part, shared, notes) for part in self.split_list(clause.text)]
            for part, deadline, part_notes in parts:
                tasks.append(
                    DraftTask(
                        title=_title(part, deadline),
                        quote=clause.text if len(clause.text) > len(part) else clause.sentence,
                        section=section,
                        lead=leads,
                        coordinating=coordinating,
                        deadline=deadline,
                        confidence=confidence - 0.1 * len(part_notes),
                        review=review + part_notes,
                        paragraph=number,
                        explicit=explicit,
                    )
                )
        return _share_deadlines(tasks)


def _opens_range(text: str, found: FoundDeadline) -> bool:
    """ "từ ngày 02/5 đến ngày 25/5": the first date starts the work, the second is the deadline."""
    return text[: found.start].rstrip().lower().endswith("từ")


def _title(text: str, deadline: FoundDeadline | None) -> str:
    """The clause as a task name: without its deadline phrase and trailing punctuation, capitalised."""
    title = text
    if deadline is not None:
        phrase = deadline.deadline.text
        title = title.replace(phrase, "").strip()
    title = re.sub(r"\s+", " ", title).strip(" ,.;:-–")
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
            if sum(1 for t in tasks if t.quote == nxt.quote) == 1:
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


def _similar(a: DraftTask, b: DraftTask) -> bool:
    wa, wb = set(key(a.title).split()), set(key(b.title).split())
    return len(wa & wb) / max(1, len(wa | wb)) >= 0.35


def _dedupe(tasks: list[DraftTask]) -> list[DraftTask]:
    """The same task said in two sections (the party's, then the chi bộ's) is kept once."""
    kept: list[DraftTask] = []
    alike: dict[tuple[object, ...], list[DraftTask]] = {}  # same lead and deadline: the only candidates
    for task in tasks:
        if task.deadline is None:
            kept.append(task)
            continue
        same = alike.setdefault((tuple(task.lead), task.due, task.rrule), [])
        twin = next((k for k in same if k.section != task.section and _similar(k, task)), None)
        if twin is None:
            kept.append(task)
            same.append(task)
        else:
            twin.review.append(f"cũng được nêu ở mục “{task.section}”")
    return kept


def extract(text: str, register: Register, doc_date: date | None = None, source: str = "") -> Draft:
    """Draft the tasks of a document; `doc_date` overrides the date read from the text."""
    found_date = document_date(text)
    day = doc_date or found_date
    notes = []
    if day is None:
        notes.append("không thấy ngày văn bản: năm còn thiếu trong thời hạn không suy ra được (dùng --doc-date)")
    tasks = _dedupe(Extractor(register, day).run(text))
    for number, task in enumerate(tasks, start=1):
        task.code = f"NV-{number:02d}"
        if task.deadline is None:
            task.review.insert(
                0, "không tìm thấy thời hạn: ghi deadline, hoặc giữ ongoing: true nếu là việc thường xuyên"
            )
            task.confidence = min(task.confidence, 0.5)
        task.confidence = max(0.1, min(0.99, task.confidence))
    if not tasks:
        notes.append("không tìm thấy câu giao việc nào (Chỉ đạo …, Giao …, Đề nghị …, … phối hợp …)")
    first_line = next((line for line in text.split("\n") if line.strip()), "")[:200]
    return Draft(source, day, found_date is not None and doc_date is None, tasks, notes, first_line)
