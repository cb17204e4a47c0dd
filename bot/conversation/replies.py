"""Reading officials' replies the way they really write them.

"xong 12", "Dạ việc số 34 đã xong rồi ạ", "vc 19 xg r a", "#10 50%", "việc 2 chưa xong, mới được 40%",
"xin gia han 12 den 30/6 vi chua co kinh phi", "Báo cáo:\\n- Việc 5: đã xong\\n- Việc 17: được 70%".

The text is folded for matching (diacritics, case, đ/d, repeated letters, the usual abbreviations and
teencode), while notes and reasons keep the words as written. Polite openers and closers are ignored.
A message is read in clauses (lines, commas, "còn", bullets); each clause may name tasks (`12`, `#12`,
`việc 12`, `việc số 12`, `nhiệm vụ 12`, `vc 12`, lists "12, 15 và 18", "từ 20 đến 23") and say one thing
about them. Negation binds to the verb right after it ("chưa xong"), never to a reason after "vì/do/bởi";
a percentage beside "hoàn thành/xong" is progress, not done. Extension dates come from the deadline
grammar (scheduler/deadlines.py), relative ones ("thêm 10 ngày") from the task's current deadline.

What is not clear enough to act on is marked `unsure` (the bot proposes and asks) or yields no intent
(the bot says what it understands and changes nothing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from scheduler.deadlines import DeadlineError, parse_extension_date
from scheduler.folding import fold, nfc

# --- intents -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Intent:
    """One thing a message says about some tasks (none named: the tasks the reply is about)."""

    action: str  # done | progress | extend
    tasks: tuple[int, ...] = ()
    percent: int | None = None  # progress; None: in progress without a figure
    when: str = ""  # extension: the date phrase as folded, read against the task's deadline
    reason: str = ""  # extension: as written
    note: str = ""  # as written
    all_tasks: bool = False  # "xong hết", "cả 2 việc": every task of the reminder replied to
    count: int | None = None  # "cả 2 việc"
    ordinal: int | None = None  # "việc đầu", "việc thứ 2": by place in the digest
    content: tuple[str, ...] = ()  # folded words that may name a task by its title ("đại hội đoàn")
    weak: bool = False  # a thumb, "đã gửi": propose before acting unless the task is named

    def due(self, today: date, current_due: date) -> date:
        """The requested deadline (raises DeadlineError when the phrase cannot be read)."""
        return parse_extension_date(self.when, today, current_due)


@dataclass(frozen=True)
class Reading:
    """What a message means: its intents, and whether the bot should confirm or only answer a question."""

    intents: tuple[Intent, ...] = ()
    unsure: str = ""  # why the bot should ask before acting
    question: bool = False  # the message asks something ("việc 12 hạn bao giờ?"): nothing to record
    choices: tuple[int, ...] = ()  # "12 hay 13": the tasks it may be
    why: str = ""  # when nothing is understood, what was almost understood
    tasks: tuple[int, ...] = ()  # every task number the message names


# --- folding and tokens --------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    word: str  # canonical folded form
    start: int  # span in the NFC original
    end: int
    kind: str = "w"  # w word, n number, d date, p punctuation, l line break, m done mark


_TOKEN = re.compile(
    r"(?P<d>\d{1,2}[/.\-]\d{1,2}(?:[/.\-]\d{2,4})?(?![\d%]))"
    r"|(?P<n>\d+)"
    r"|(?P<w>[^\W\d_]+)"
    r"|(?P<l>\n)"
    r"|(?P<m>[✅✔☑👍👌💯])"
    r"|(?P<a>->|=>|>)"
    r"|(?P<p>[%#,;:.!?()+\-~/&*])",
)
# Telex typing without an input method leaves the tone key at the end: "roif", "viecj", "hoanf".
_TELEX_TAIL = "fsrxj"
# folded word → canonical word (abbreviations, teencode, English, typos)
_WORDS = {
    "xg": "xong", "xog": "xong", "xonh": "xong", "song": "xong", "xon": "xong", "sg": "xong",
    "ht": "hoanthanh", "htanh": "hoanthanh",
    "done": "xong", "completed": "xong", "complete": "xong", "finished": "xong", "finish": "xong",
    "vc": "viec", "cv": "viec", "task": "viec", "nvu": "viec", "nv": "viec", "nhiemvu": "viec", "viêc": "viec",
    "r": "roi", "rui": "roi", "roai": "roi", "rùi": "roi",
    "dc": "duoc", "dk": "duoc", "dduoc": "duoc", "đc": "duoc",
    "ko": "khong", "k": "khong", "kh": "khong", "hok": "khong", "kg": "khong", "khg": "khong", "kp": "kp",
    "not": "khong",
    "lm": "lam", "e": "em", "a": "a", "ah": "a", "ak": "a", "nhe": "nhe", "nha": "nhe", "nhé": "nhe", "nhá": "nhe",
    "oke": "ok", "okela": "ok", "okie": "ok", "okay": "ok", "oki": "ok", "okey": "ok",
    "gh": "giahan", "extend": "giahan", "extension": "giahan", "postpone": "giahan",
    "bc": "baocao", "tks": "camon", "thanks": "camon", "thank": "camon",
    "percent": "%", "pt": "%",
    "and": "va", "&": "va", "with": "voi",
    "bn": "baonhieu",
}  # fmt: skip
# Phrases (folded words) that act as one word.
_PHRASES = {
    ("hoan", "thanh"): "hoanthanh",
    ("hoan", "tat"): "hoanthanh",
    ("nhiem", "vu"): "viec",
    ("cong", "viec"): "viec",
    ("gia", "han"): "giahan",
    ("phan", "tram"): "%",
    ("mot", "nua"): "half",
    ("1", "nua"): "half",
    ("nua", "chung"): "half",
    ("ly", "do"): "lydo",
    ("bao", "cao"): "baocao",
    ("in", "progress"): "inprogress",
    ("working", "on"): "inprogress",
    ("cam", "on"): "camon",
    ("bao", "gio"): "baogio",
    ("khi", "nao"): "khinao",
    ("may", "gio"): "maygio",
    ("the", "nao"): "thenao",
    ("han", "moi"): "hanmoi",
    ("thuc", "hien"): "thuchien",
    ("trien", "khai"): "trienkhai",
    ("tien", "hanh"): "tienhanh",
    ("tien", "do"): "tiendo",
    ("chuan", "bi"): "chuanbi",
    ("due", "to"): "because",
}
_VOCAB = set(_WORDS.values()) | set(_WORDS) | {w for pair in _PHRASES for w in pair} | {
    "xong", "viec", "roi", "dang", "lam", "chua", "khong", "xin", "den", "toi", "so", "da", "duoc", "dat",
    "thanh", "hoan", "nhe", "ok", "het", "em", "anh", "chi", "lui", "them", "ngay", "tuan", "thang",
}  # fmt: skip


def _canonical(word: str) -> str:
    word = re.sub(r"(.)\1{2,}", r"\1", word)  # "xonggg", "okkk"
    if word in _WORDS:
        return _WORDS[word]
    if len(word) > 2 and word[-1] in _TELEX_TAIL and word not in _VOCAB and word[:-1] in _VOCAB:
        word = word[:-1]
    if len(word) > 2 and word[-1] == word[-2] and word not in _VOCAB and word[:-1] in _VOCAB:
        word = word[:-1]  # "xongg", "okk"
    return _WORDS.get(word, word)


def tokens(original: str) -> list[Token]:
    """The message as canonical tokens, each with its span in `original` (NFC)."""
    folded = fold(original)
    raw: list[Token] = []
    for match in _TOKEN.finditer(folded):
        kind = match.lastgroup or "p"
        text = match.group()
        if kind == "w":
            raw.append(Token(_canonical(text), match.start(), match.end()))
        elif kind == "m":
            raw.append(Token("👍" if text in "👍👌" else "✅", match.start(), match.end(), "m"))
        elif kind == "a":
            raw.append(Token("->", match.start(), match.end(), "p"))
        else:
            raw.append(Token(text, match.start(), match.end(), kind))
    out: list[Token] = []
    i = 0
    while i < len(raw):
        if i + 1 < len(raw):
            pair = (raw[i].word, raw[i + 1].word)
            if pair in _PHRASES:
                out.append(Token(_PHRASES[pair], raw[i].start, raw[i + 1].end))
                i += 2
                continue
        out.append(raw[i])
        i += 1
    return out


# --- vocabulary ----------------------------------------------------------------------------------

_NEGATIONS = {"chua", "khong", "chang", "cha", "never", "no"}
_DONE_WORDS = {"xong", "hoanthanh"}
_PROGRESS_VERBS = {"lam", "thuchien", "trienkhai", "tienhanh", "chuanbi", "inprogress", "xuly"}
_POLITE = {
    "a", "da", "vang", "nhe", "oi", "anh", "chi", "em", "dong", "thua", "kinh", "gui", "ban", "chao", "roi", "nhi",
    "nha", "ha", "camon", "please", "thank", "you", "ok", "minh", "toi", "dc", "huhu", "hihi",
}  # fmt: skip
_REASON_WORDS = {"vi", "do", "boi", "lydo", "because", "since", "as"}
_FILLER = {"la", "thi", "ma", "cung", "con", "moi", "hien", "dang", "da", "duoc", "khoang", "tam", "chung", "gan",
           "co", "le", "at", "is", "it", "on", "so", "dat", "roi", "nay", "nua", "het", "ca", "deu", "all"}  # fmt: skip
# Words that never name a task by content.
_STOP = _POLITE | _FILLER | _NEGATIONS | _DONE_WORDS | {
    "viec", "baocao", "xin", "giahan", "lui", "den", "toi", "sang", "ngay", "thang", "tuan", "nam", "cua", "cho",
    "voi", "va", "hay", "hoac", "len", "gui", "nop", "tu", "qua", "hom", "mai", "sau", "truoc", "trong", "cac",
    "nhung", "lam", "thuchien", "trienkhai", "tienhanh", "chuanbi", "tiendo", "xong", "ben", "phan",
    "biet", "nhan", "the", "nao", "gi", "sao", "vay", "u", "ue", "nhiem", "vu", "khi", "ma", "o", "luc", "h",
}  # fmt: skip
_QUESTION_WORDS = {"baogio", "khinao", "maygio", "thenao", "sao", "baonhieu", "deadline", "nhi", "khong?"}


# --- references to tasks -------------------------------------------------------------------------


@dataclass
class Clause:
    """A piece of a message: the tasks it names and the rest of its tokens."""

    toks: list[Token]
    refs: list[int] = field(default_factory=list)
    line: int = 0
    either: bool = False  # "12 hay 13"
    count: int | None = None  # "2 việc"
    ordinal: int | None = None


_QUANTITY_AFTER = {"ngay", "tuan", "thang", "nam", "%", "h", "gio", "phut", "khu", "to", "nguoi", "ho", "lan",
                   "buoi", "trang", "viec", "half", "nua", "tieng", "km", "m", "ban", "tr", "trieu"}  # fmt: skip
_QUANTITY_BEFORE = {"thu", "quy", "thang", "nam", "ngay", "mung", "luc", "them", "ca", "tu", "len", "khoang",
                    "tam", "dat", "duoc", "lai", "hon", "gan", "moi", "at", "~", "only", "chi",
                    "jan", "feb", "mar", "apr", "may", "jun", "june", "jul", "july", "aug", "sep", "sept", "oct",
                    "nov", "dec", "january", "february", "march", "april", "august", "september", "october",
                    "november", "december"}  # fmt: skip
_SEPARATORS = {",", "va", "voi", "&", "+", ";"}
_UNITS_OF_TIME = {"ngay", "tuan", "thang", "nam", "%", "half", "nua", "viec", "h", "gio"}


def _is_ref_number(toks: list[Token], i: int, line_start: bool) -> bool:
    """Whether the number at i names a task (not a percent, a quantity, a weekday or a list's numbering)."""
    nxt = toks[i + 1].word if i + 1 < len(toks) else ""
    prev = toks[i - 1].word if i > 0 else ""
    if prev in ("viec", "#", "so") and nxt not in ("%", "half"):
        return True
    if prev in ("giahan", "lui", "xong", "hoanthanh", "for") and nxt not in _UNITS_OF_TIME:
        return True
    if nxt in _QUANTITY_AFTER:
        return False
    if nxt == "at" and i + 2 < len(toks) and toks[i + 2].kind == "n":
        return True
    if prev in _QUANTITY_BEFORE:
        return False
    if len(toks[i].word) == 4 and 1990 <= int(toks[i].word) <= 2100:
        return False  # a year
    if line_start and nxt in (".", ")") and i + 2 < len(toks) and toks[i + 2].kind != "l":
        return False  # "1. Việc 20 hoàn thành": a list's numbering
    return len(toks[i].word) <= 6


_CUES = _DONE_WORDS | {"✅", "👍", "%", "dang", "giahan", "lui", "inprogress", "half", "ok"}


def _says_something(toks: list[Token]) -> bool:
    """Whether the tokens after the clause's last task reference say something about it."""
    last = max((k for k, t in enumerate(toks) if t.kind == "r"), default=-1)
    return any(t.word in _CUES for t in toks[last + 1 :])


def _clauses(toks: list[Token]) -> list[Clause]:
    """Split a message into clauses, finding task references and lists of them."""
    clauses: list[Clause] = []
    current = Clause([])
    line = 0
    line_start = True
    i = 0

    def close() -> None:
        nonlocal current
        if current.toks or current.refs:
            clauses.append(current)
        current = Clause([], line=line)

    while i < len(toks):
        tok = toks[i]
        if tok.kind == "l":
            close()
            line += 1
            current.line = line
            line_start = True
            i += 1
            continue
        if (
            tok.kind == "n"
            and i > 0
            and toks[i - 1].word == "tu"
            and i + 2 < len(toks)
            and toks[i + 1].word == "den"
            and toks[i + 2].kind == "n"
            and 0 < int(toks[i + 2].word) - int(tok.word) <= 30
        ):
            current.toks.pop()
            while current.toks and current.toks[-1].word in ("viec", "cac"):
                current.toks.pop()
            current.refs.extend(range(int(tok.word), int(toks[i + 2].word) + 1))
            current.toks.append(Token("§", tok.start, toks[i + 2].end, "r"))
            i += 3
            continue
        if tok.kind == "n" and _is_ref_number(toks, i, line_start or not current.toks):
            if current.refs and _says_something(current.toks):
                close()  # "#1 ✅ #2 ✅ #3 đang làm"
                current.line = line
            numbers = [int(tok.word)]
            j = i + 1
            # a list: "12, 15 và 18", "40 41", "từ 20 đến 23"; "12 hay 13" is one or the other
            while j < len(toks):
                sep = toks[j]
                if sep.kind == "n" and _is_ref_number(toks, j, False):
                    numbers.append(int(sep.word))
                    j += 1
                    continue
                if (
                    sep.word in _SEPARATORS | {"hay", "hoac", "or", "den", "-"}
                    and j + 1 < len(toks)
                    and (toks[j + 1].kind == "n" or (toks[j + 1].word in ("viec", "#") and j + 2 < len(toks)))
                ):
                    k = j + 1
                    while k < len(toks) and toks[k].word in ("viec", "#", "so"):
                        k += 1
                    if k < len(toks) and toks[k].kind == "n" and _is_ref_number(toks, k, False):
                        nxt = toks[k + 1].word if k + 1 < len(toks) else ""
                        if sep.word == "," and nxt in ("at", ":"):  # "done 10 and 11, 12 at 80%"
                            break
                        if (
                            sep.word in (",", ";")
                            and any(t.word in _CUES for t in current.toks)
                            and any(t.word in _CUES | {"duoc", "dat", "tiendo"} for t in toks[k + 1 : k + 4])
                        ):
                            break  # "xong 1, việc 2 được 40%": the second says its own thing
                        if sep.word in ("den", "-"):
                            # "từ 20 đến 23", "việc 41 đến 43 xong": a range, unless a deadline is asked for
                            asking = any(t.word in ("giahan", "lui", "xin", "hanmoi", "khat") for t in toks)
                            after_noun = i > 0 and toks[i - 1].word in ("viec", "tu")
                            if not after_noun or asking or int(toks[k].word) <= numbers[-1]:
                                break
                            numbers = list(range(numbers[-1], int(toks[k].word) + 1))[:50] or numbers
                        elif sep.word in ("hay", "hoac", "or"):
                            current.either = True
                            numbers.append(int(toks[k].word))
                        else:
                            numbers.append(int(toks[k].word))
                        j = k + 1
                        continue
                break
            # the task noun before the number ("việc số 12", "#12") belongs to the reference
            begin = tok.start
            while current.toks and current.toks[-1].word in ("viec", "#", "so", "cac"):
                begin = current.toks.pop().start
            current.refs.extend(numbers)
            current.toks.append(Token("§", begin, toks[j - 1].end, "r"))  # where the reference stood
            line_start = False
            i = j
            continue
        if tok.kind == "n" and i + 1 < len(toks) and toks[i + 1].word == "viec":
            current.count = int(tok.word)
        if (
            tok.word in (",", ";", "+", "!")
            or (tok.word == "." and i + 1 < len(toks))
            or (tok.word == "-" and line_start)
        ):
            if tok.word == "," and i + 1 < len(toks) and toks[i + 1].word in _REASON_WORDS:
                current.toks.append(tok)  # the reason stays with its clause
                i += 1
                continue
            close()
            line_start = tok.word in ("-", "+") or line_start
            i += 1
            continue
        if tok.word == "con" and current.toks and i + 1 < len(toks) and toks[i + 1].kind == "n":
            close()  # "24 xong, còn 25 26 …": the rest
        current.toks.append(tok)
        line_start = False
        i += 1
    close()
    return clauses


# --- reading one clause --------------------------------------------------------------------------


@dataclass
class _Said:
    action: str = ""
    percent: int | None = None
    when: str = ""
    when_start: int = -1
    when_end: int = -1
    reason_at: int = -1  # token index of the reason marker
    all_tasks: bool = False
    weak: bool = False
    negated: bool = False
    question: bool = False
    retract: bool = False
    remaining: bool = False  # "còn 30% nữa"
    ask_date: bool = False
    cue_end: int = -1
    late: bool = False  # "không kịp"
    bad: str = ""  # something said that cannot be recorded ("150%")


def _words(toks: list[Token]) -> list[str]:
    return [t.word for t in toks]


def _negated_before(words: list[str], i: int) -> bool:
    """A negation right before the verb at i ("chưa xong", "không hoàn thành", "chưa làm được")."""
    for back in range(1, 4):
        j = i - back
        if j < 0:
            return False
        if words[j] in _NEGATIONS:
            return True
        if words[j] not in ("the", "co", "duoc", "lam", "kip", "hoan", "da", "van", "xong", "phai"):
            return False
    return False


def _percent(toks: list[Token]) -> tuple[int | None, bool]:
    """The last percentage of a clause ("từ 20% lên 50%" is 50), and whether it is what remains."""
    found: int | None = None
    remaining = False
    words = _words(toks)
    for i, tok in enumerate(toks):
        if tok.kind == "n" and i + 1 < len(toks) and toks[i + 1].word == "%":
            found = int(tok.word)
            remaining = i > 0 and words[i - 1] == "con" or "nua" in words[i + 2 : i + 3] and "con" in words[:i]
        elif tok.word == "half":
            found = 50
    return found, remaining


_EXTEND_CUES = ("giahan", "lui", "hanmoi", "doi")
# words between "xin"/"cho" and "đến …" in a request: "xin phép được hoãn đến", "cho em dời tới"
_ASKING = {"em", "e", "toi", "minh", "anh", "chi", "phep", "duoc", "hoan", "doi", "khat", "lui", "giup", "cho"}


def _read(clause: Clause, original: str) -> _Said:
    toks = clause.toks
    words = _words(toks)
    said = _Said()
    said.question = bool(words) and (
        words[-1] == "?"
        or any(w in _QUESTION_WORDS for w in words)
        or (len(words) >= 2 and words[-1] in ("chua", "khong") and any(w in _DONE_WORDS for w in words[:-1]))
        or (words[-2:] == ["chua", "a"] and any(w in _DONE_WORDS for w in words))
    )
    if "?" in words and "giahan" in words and not any(t.kind in ("d", "n") for t in toks):
        said.question = True
    if "xin" in words and ("den" in words or "them" in words or "giahan" in words or "sang" in words):
        said.question = False  # "Em xin gia hạn … được không ạ?" asks politely: it is a request
    said.late = any(words[i] in _NEGATIONS and words[i + 1] == "kip" for i in range(len(words) - 1))
    said.retract = (
        any(words[i : i + 2] in (["a", "khong"], ["xem", "lai"], ["nham", "roi"]) for i in range(len(words)))
        or "nham" in words
    )
    # extension: "xin gia hạn …", "gh 20/5", "xin lùi …", "xin đến 10/5", "cho em thêm 5 ngày", "xin hạn mới 12/5"
    cue = -1
    for i, w in enumerate(words):
        if w in ("giahan", "lui", "hanmoi", "khat") or (w == "doi" and words[i + 1 : i + 2] == ["han"]):
            cue = i
            break
        if w in ("xin", "cho") and i + 1 < len(words):
            # "xin đến 10/5", "xin hoãn đến …", "xin dời đến …", "cho em đến 15 tháng 5", "cho em thêm 5 ngày"
            rest = [x for x in words[i + 1 : i + 5] if x not in _ASKING]
            if rest[:1] in (["den"], ["toi"], ["them"], ["sang"], ["hanmoi"]) and (
                w == "xin" or rest[0] == "them" or words[i + 1 : i + 2] in (["em"], ["e"], ["toi"], ["minh"])
            ):
                cue = i
                break
    if cue >= 0:
        said.action = "extend"
        start = cue + 1
        while start < len(words) and words[start] in ("han", "duoc", "phep", "lui", "giahan", "giup", "em", "cho", "e"):
            start += 1
        end = start
        while end < len(words):
            w = words[end]
            if w in _REASON_WORDS and _is_reason_marker(toks[end], original):
                said.reason_at = end
                break
            if w in (",", ";", ".", "?", "!") and end > start:
                k = end + 1
                if k < len(words) and words[k] in _REASON_WORDS and _is_reason_marker(toks[k], original):
                    said.reason_at = k
                break
            end += 1
        phrase = [
            t.word for t in toks[start:end] if t.kind not in ("r", "m") and t.word not in ("viec", "#", ":", "(", ")")
        ]
        while phrase and phrase[-1] in _POLITE | {"lam", "nua?", "cho", "giup", "duoc", "khong", "voi", ",", "."}:
            if phrase[-1] == "nua" and len(phrase) > 1 and phrase[-2] in ("sau", "toi", "ngay", "tuan", "thang"):
                break
            phrase.pop()
        while phrase and phrase[0] in ("cho", "em", "e", "anh", "den", "toi", "han", "moi") and len(phrase) > 1:
            if phrase[0] in ("den", "toi") and len(phrase) > 1:
                phrase = phrase[1:]
                continue
            phrase = phrase[1:]
        if (
            phrase
            and phrase[-1] == "nua"
            and (len(phrase) < 2 or phrase[-2] not in ("sau", "toi", "ngay", "tuan", "thang"))
        ):
            phrase.pop()
        said.when = _readable(phrase)
        said.when_start, said.when_end = start, end
        if not said.when:
            said.ask_date = True
        said.cue_end = end
        return said
    cut = next((k for k, t in enumerate(toks) if t.word in ("vi", "boi", "lydo", "because") and k > 0
                and _is_reason_marker(t, original)), len(toks))  # fmt: skip
    toks, words = toks[:cut], words[:cut]  # "… vì chưa in xong tài liệu": a reason says no intent
    percent, said.remaining = _percent(toks)
    done_at = -1
    for i, w in enumerate(words):
        if w in _DONE_WORDS or w == "✅":
            if w != "✅" and _negated_before(words, i):
                said.negated = True
                continue
            if i > 0 and words[i - 1] in ("sap", "gan") or words[max(0, i - 4) : i][:3] == ["con", "ti", "nua"]:
                said.action = "progress"  # "sắp xong", "gần xong", "còn tí nữa là xong"
                continue
            if i > 0 and words[i - 1] in ("khi", "se") or {"se", "mai"} & set(words[max(0, i - 3) : i]):
                continue  # "sẽ báo cáo khi hoàn thành": not yet
            if "kien" in words[max(0, i - 4) : i] and "du" in words[max(0, i - 4) : i]:
                continue  # "dự kiến 28/4 xong"
            if done_at < 0:
                done_at = i
        elif w == "👍" and done_at < 0:
            done_at = i
            said.weak = True
        elif (
            w == "ok"
            and i + 1 < len(words)
            and words[i + 1] in ("roi", "a")
            or w == "duoc"
            and words[i + 1 : i + 2] == ["roi"]
            and i == 0
        ):
            if done_at < 0:
                done_at = i
                said.weak = w == "ok" and words[i + 1] == "a"  # "Ok ạ" may only mean "noted": asked first
        elif (
            w in ("gui", "nop")
            and ((i > 0 and words[i - 1] == "da") or "roi" in words[i + 1 :])
            and not _negated_before(words, i)
            and done_at < 0
        ):
            done_at = i
            said.weak = "xong" not in words
    if done_at >= 0 and said.action != "progress":
        said.action = "done"
        said.cue_end = done_at + 1
        if done_at + 1 < len(words) and words[done_at + 1] == "het":
            said.all_tasks = True
        if "ca" in words and ("deu" in words or clause.count):
            said.all_tasks = True
    for i, w in enumerate(words):
        if w in _PROGRESS_VERBS and i > 0 and words[i - 1] == "dang" and not _negated_before(words, i - 1):
            if said.action != "done" or percent is not None:
                said.action = "progress"
        elif w in ("inprogress", "tiendo") or (w == "dang" and i + 1 < len(words) and words[i + 1] in ("lam", "lm")):
            if said.action != "done" and not (w == "dang" and _negated_before(words, i)):
                said.action = "progress"
        elif w in _PROGRESS_VERBS and _negated_before(words, i) and said.action == "":
            said.negated = True
    if percent is not None and percent > 100:
        said.action, said.bad = "", f"tiến độ {percent}% vượt quá 100%"
    elif percent is not None:
        if percent == 100 and not said.remaining:
            said.action = "done"
            said.percent = None
        else:
            said.action = "progress"
            said.percent = percent
    elif said.negated and said.action == "done":
        said.action = ""
    if said.action == "progress" and said.negated and percent is None:
        said.negated = False
    if said.action in ("done", "progress"):  # a note starts after the last word that said it
        cues = [i + 1 for i, w in enumerate(words) if w in _CUES | _PROGRESS_VERBS | {"roi", "tiendo", "dat"}]
        cues += [i + 2 for i, t in enumerate(toks) if t.kind == "n" and words[i + 1 : i + 2] == ["%"]]
        said.cue_end = max(cues, default=said.cue_end)
    return said


_PROBE_TODAY = date(2022, 1, 3)


def _readable(words: list[str]) -> str:
    """The longest tail of the words after the verb that the date grammar reads ("for until 31/5" → "until 31/5")."""
    words = [w for w in words if w not in ("hanmoi", "moi")] or words
    for k in range(len(words)):
        candidate = " ".join(words[k:])
        try:
            parse_extension_date(candidate, _PROBE_TODAY, _PROBE_TODAY)
        except DeadlineError:
            continue
        return candidate
    return " ".join(words)


def _after_markers(toks: list[Token], at: int) -> int:
    """Where a reason starts: after "vì", "bởi vì", "lý do là", "do là:" and the like."""
    k = at
    while k + 1 < len(toks) and toks[k + 1].word in ("vi", "la", ":", "do", "because", "of"):
        k += 1
    return toks[k].end


def _is_reason_marker(tok: Token, original: str) -> bool:
    """'vì', 'do', 'bởi', 'lý do' — but not 'đó', 'độ', 'vị' written with their marks."""
    written = original[tok.start : tok.end].lower()
    if tok.word == "do":
        return written == "do"
    if tok.word == "vi":
        return written in ("vì", "vi")
    if tok.word == "boi":
        return written in ("bởi", "boi")
    return True


_TRAILING_POLITE = re.compile(
    r"(?:[\s,.;:!]+|\b(?:ạ|a|nhé|nhe|nha|nhá|anh|chị|em|ơi|oi|với|voi|please|thanks?|cảm ơn|cam on|rồi|roi|"
    r"được không|duoc khong|ạ nhé|anh nhé|em cảm ơn|em cam on)\b)+$",
    re.IGNORECASE,
)


def _as_written(original: str, start: int, end: int) -> str:
    text = original[start:end].strip(" \t,.;:-")
    previous = None
    while previous != text:
        previous = text
        text = _TRAILING_POLITE.sub("", text).strip(" \t,.;:-")
        text = re.sub(r"[^\w)\]\"”%]+$", "", text)  # a closing emoji or symbol
    return text


# --- the whole message ---------------------------------------------------------------------------


def read_reply(text: str) -> Reading:
    """What a message means (dates are read later, against each task's deadline)."""
    original = nfc(text).strip()
    toks = tokens(original)
    if not toks:
        return Reading(why="tin nhắn trống")
    clauses = _clauses(toks)
    said = [_read(c, original) for c in clauses]
    all_refs = tuple(dict.fromkeys(r for c in clauses for r in c.refs))
    # a reason on its own clause or line ("…, lý do: …", "\nVì chưa …") belongs to the extension before it
    for i, s in enumerate(said):
        nxt = i + 1
        if (
            s.action == "extend"
            and s.reason_at < 0
            and nxt < len(clauses)
            and clauses[nxt].toks
            and clauses[nxt].toks[0].word in _REASON_WORDS
            and _is_reason_marker(clauses[nxt].toks[0], original)
        ):
            said[nxt] = _Said(action="reason")
            s.reason_at = -2 - nxt  # the reason is that clause
    question = any(s.question for s in said) and not any(s.action for s in said if not s.question)
    if question:
        return Reading(question=True, tasks=all_refs)
    intents: list[tuple[int, Intent]] = []
    either = tuple(r for c in clauses if c.either for r in c.refs)
    unsure = ""
    if any(s.retract for s in said):
        unsure = "đồng chí còn muốn xem lại"
    if any(s.remaining for s in said) and any(s.action == "done" for s in said):
        unsure = "vừa báo xong vừa báo còn việc"
    refs_of: list[list[int]] = [list(c.refs) for c in clauses]
    # a clause that names tasks but says nothing lends them to the clause that says something without naming
    for i, clause in enumerate(clauses):
        if said[i].action in ("", "reason") and clause.refs:
            if i > 0 and said[i - 1].action not in ("", "reason") and not refs_of[i - 1]:
                refs_of[i - 1] = list(clause.refs)
                refs_of[i] = []
            elif i + 1 < len(clauses) and said[i + 1].action not in ("", "reason") and said[i].action == "":
                refs_of[i + 1] = list(clause.refs) + [r for r in refs_of[i + 1] if r not in clause.refs]
                refs_of[i] = []
    last: list[int] = []
    pending: list[int] = []  # intents still without tasks, waiting for a later clause that names some
    for i, clause in enumerate(clauses):
        s = said[i]
        if refs_of[i]:
            last = refs_of[i]
            for k in pending:
                intents[k] = (intents[k][0], replace(intents[k][1], tasks=tuple(last)))
            pending = []
        if s.action in ("", "reason"):
            continue
        tasks = tuple(refs_of[i]) or tuple(last)
        reason = ""
        if s.action == "extend":
            if s.reason_at >= 0:
                after, home = _after_markers(clause.toks, s.reason_at), i
            elif s.reason_at <= -2:
                home = -2 - s.reason_at
                after = _after_markers(clauses[home].toks, 0)
            if s.reason_at >= 0 or s.reason_at <= -2:
                # to the end of the line, or to the next clause that says something of its own ("…, xong 1")
                line_end = original.find("\n", after)
                end = len(original) if line_end < 0 else line_end
                for j in range(home + 1, len(clauses)):
                    if clauses[j].toks and (said[j].action not in ("", "reason") or clauses[j].refs):
                        end = min(end, clauses[j].toks[0].start)
                        break
                reason = _as_written(original, after, end)
        content = tuple(t.word for t in clause.toks if t.kind == "w" and t.word not in _STOP and len(t.word) > 1)
        note = ""
        if s.action in ("done", "progress") and 0 <= s.cue_end < len(clause.toks):
            rest = [t for t in clause.toks[s.cue_end :] if t.kind not in ("r", "p", "n") or t.word == "%"]
            while rest and rest[0].word == "%":
                rest = rest[1:]
            if any(t.kind == "w" and t.word not in _POLITE for t in rest):
                note = _as_written(original, rest[0].start, clause.toks[-1].end)
        intent = Intent(
            s.action,
            tasks,
            percent=s.percent,
            when=s.when,
            reason=reason,
            note=note,
            all_tasks=s.all_tasks,
            count=clause.count,
            ordinal=clause.ordinal if clause.ordinal is not None else _ordinal(clause),
            content=content,
            weak=s.weak,
        )
        if not tasks:
            pending.append(len(intents))
        intents.append((i, intent))
    merged = _merge([it for _i, it in intents])
    if any(s.ask_date for s in said if s.action == "extend") and not unsure:
        pass
    if not merged:
        why = ""
        if any(s.negated for s in said):
            why = "câu có chữ 'chưa'/'không' nên không ghi là xong"
        why = next((s.bad for s in said if s.bad), why)
        return Reading(why=why, tasks=all_refs)
    conflict = _conflicting(merged)
    if conflict and not unsure:
        unsure = conflict
    return Reading(tuple(merged), unsure=unsure, choices=either, tasks=all_refs)


def _ordinal(clause: Clause) -> int | None:
    words = _words(clause.toks)
    for i, w in enumerate(words):
        if w == "viec" and i + 1 < len(words):
            nxt = words[i + 1]
            if nxt in ("dau", "dau-tien", "thu"):
                if nxt == "thu" and i + 2 < len(words) and words[i + 2].isdigit():
                    return int(words[i + 2])
                return 1
            if nxt == "cuoi":
                return -1
    return None


def _merge(intents: list[Intent]) -> list[Intent]:
    """Per task, one intent: a figure beats "in progress", the same thing said twice counts once."""
    out: list[Intent] = []
    for intent in intents:
        same = next(
            (
                k
                for k, other in enumerate(out)
                if other.tasks == intent.tasks and other.action == intent.action and other.all_tasks == intent.all_tasks
            ),
            None,
        )
        if same is not None:
            other = out[same]
            if intent.action == "progress" and other.percent is None:
                out[same] = replace(other, percent=intent.percent)
            continue
        if intent.action == "progress":
            k = next((k for k, o in enumerate(out) if o.tasks == intent.tasks and o.action == "progress"), None)
            if k is not None:
                continue
        out.append(intent)
    # "đang làm" and "xong" for the same task in one message: the figure says which
    return out


def _conflicting(intents: list[Intent]) -> str:
    seen: dict[int, set[str]] = {}
    for intent in intents:
        for task in intent.tasks or (0,):
            seen.setdefault(task, set()).add(intent.action)
    for actions in seen.values():
        if (
            len(actions) > 1
            and actions != {"done", "extend"} | actions - {"done", "extend"}
            or ("done" in actions and "progress" in actions)
        ):
            return "một việc vừa báo xong vừa báo đang làm"
    return ""


# --- the one-intent form the commands use -------------------------------------------------------


@dataclass(frozen=True)
class Done:
    assignment_id: int | None
    note: str = ""


@dataclass(frozen=True)
class Progress:
    assignment_id: int | None
    percent: int | None
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


def parse_reply(text: str, today: date, current_due: date | None = None) -> Reply:
    """A message read as one intent (the /giahan command, answers to a waiting question)."""
    reading = read_reply(text)
    if reading.question or not reading.intents:
        return Unclear(reading.why)
    if len(reading.intents) > 1 or reading.unsure:
        return Unclear(reading.unsure or "câu nói về nhiều việc")
    intent = reading.intents[0]
    task = intent.tasks[0] if len(intent.tasks) == 1 else None
    if len(intent.tasks) > 1:
        return Unclear("câu nói về nhiều việc")
    if intent.action == "done":
        return Done(task, intent.note)
    if intent.action == "progress":
        return Progress(task, intent.percent, intent.note)
    if not intent.when:
        return Unclear("gia hạn cần một ngày, vd. 'gia hạn đến 15/6 vì …'")
    try:
        due = intent.due(today, current_due or today + timedelta(days=0))
    except DeadlineError as exc:
        return Unclear(f"không đọc được ngày gia hạn: {exc.reason}")
    return Extend(task, due, intent.reason)
