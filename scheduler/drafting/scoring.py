"""Scoring drafts against a labelled corpus of real documents (tests/data/documents/{dev,holdout}).

Each document `X.txt` has its labels in `X.yaml`: the tasks a person found, each with the clause (an exact
substring of the text), the lead organisation as the document names it (or null), the deadline phrase as
written and its due date (or an RRULE when it recurs). The figures are those of the issue:

- due-date recall: labelled dated tasks that the draft has, with the same due date (or RRULE);
  a recurring label may also give its first occurrence as `due` (holdout2 does): the RRULE decides, and a
  drafted recurring task (which has no `due` of its own) is right when its RRULE is the label's;
- due-date precision: drafted dated tasks that are labelled tasks with the same due date;
- lead and date: labelled dated tasks drafted with the same due date and the right lead.

A drafted task is the labelled one when its quote and the clause share the deadline's place in the text:
the draft's deadline phrase lies inside the clause (or the clause inside the draft's quote), pairs are one
to one, best overlap first.

**The lead rule.** A lead is right when it names the same organisation as the label. Both names are folded
(`key`: lower case, one tone placement, UBND/HĐND/MTTQ/BCH/BTV/Đoàn TN for their long forms, no punctuation;
then without diacritics) and stripped of words that only count or select ("các", "một số", "mỗi", "còn
lại", "toàn bộ", "những"); they are the same when one's words are all in the other's and the shorter has at
least two words or both are equal. A drafted register unit is compared by its name and every alias. A null
label lead is right only when the draft names no organisation of its own (the lead was left for the keeper).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from scheduler.deadlines import DeadlineError, find_deadlines, parse_deadline
from scheduler.drafting.documents import read_document
from scheduler.drafting.extraction import Draft, DraftTask, extract
from scheduler.register.file import Register
from scheduler.register.unit_names import key

_SELECTORS = re.compile(r"\b(?:các|một số|mỗi|còn lại|toàn bộ|những|tất cả)\b")

# The miss categories of the issue, in the order a miss is explained.
CATEGORIES = {
    "grammar": "cụm thời hạn ngữ pháp không đọc được",
    "doc_date": "ngày văn bản sai (năm hoặc mốc bị lệch)",
    "table": "bảng, lịch (ngày là một ô hoặc đầu dòng)",
    "several": "nhiều thời hạn trong một câu",
    "no_task": "ngữ pháp đọc được nhưng mệnh đề không thành việc",
    "wrong_date": "có việc nhưng sai ngày",
}


def fold(name: str) -> list[str]:
    """A name as comparable words: `key`, no counting or selecting words, no diacritics."""
    text = unicodedata.normalize("NFD", _SELECTORS.sub(" ", key(name)).replace("đ", "d"))
    return "".join(c for c in text if unicodedata.category(c) != "Mn").split()


def same_organisation(a: str, b: str) -> bool:
    """The lead rule (see the module's docstring)."""
    wa, wb = fold(a), fold(b)
    if not wa or not wb:
        return False
    if wa == wb:
        return True
    small, large = (set(wa), set(wb)) if len(set(wa)) <= len(set(wb)) else (set(wb), set(wa))
    return len(small) >= 2 and small <= large


@dataclass
class Label:
    clause: str
    lead: str | None
    deadline: str
    due: date | None
    rrule: str | None
    start: int  # where the clause is in the text
    end: int


@dataclass
class Drafted:
    task: DraftTask
    start: int  # where its deadline phrase is in the text (−1 when unknown)
    end: int
    names: list[str]  # every name its lead goes by


@dataclass
class DocumentScore:
    name: str
    labels: list[Label]
    drafted: list[Drafted]
    pairs: list[tuple[Label, Drafted]] = field(default_factory=list)
    misses: dict[str, int] = field(default_factory=dict)
    lead_misses: int = 0
    doc_date: date | None = None
    label_date: date | None = None

    @property
    def dated_labels(self) -> list[Label]:
        return [lab for lab in self.labels if lab.due or lab.rrule]

    @property
    def dated_drafts(self) -> list[Drafted]:
        return [d for d in self.drafted if d.task.due or d.task.rrule]

    def right_date(self) -> list[tuple[Label, Drafted]]:
        return [(lab, d) for lab, d in self.pairs if same_date(lab, d)]

    def right_lead(self) -> list[tuple[Label, Drafted]]:
        return [(lab, d) for lab, d in self.right_date() if lead_right(lab, d)]


def same_date(label: Label, drafted: Drafted) -> bool:
    """The same due date, or the same recurrence (a label's first occurrence aside; see the docstring)."""
    if label.rrule is not None:
        return drafted.task.rrule == label.rrule and drafted.task.due in (None, label.due)
    return (label.due, None) == (drafted.task.due, drafted.task.rrule)


def lead_right(label: Label, drafted: Drafted) -> bool:
    if label.lead is None:
        return not drafted.task.explicit
    return any(same_organisation(label.lead, name) for name in drafted.names)


def _labels(data: dict[str, Any], text: str) -> list[Label]:
    out = []
    for task in data.get("tasks") or []:
        clause = str(task["clause"])
        start = text.find(clause)
        if start < 0:  # the labels promise an exact substring; tolerate spacing differences
            start = " ".join(text.split()).find(" ".join(clause.split()))
        out.append(
            Label(
                clause,
                task.get("lead"),
                str(task.get("deadline") or ""),
                task.get("due"),
                task.get("rrule"),
                start,
                start + len(clause) if start >= 0 else -1,
            )  # fmt: skip
        )
    return out


def _names(task: DraftTask, register: Register) -> list[str]:
    names: list[str] = []
    by_code = {u.code: u for u in register.units} | {g.code: g for g in register.groups}  # type: ignore[operator]
    for lead in task.lead:
        unit = by_code.get(lead)
        names += [unit.name, *unit.aliases] if unit else [lead]
    return names


def score_document(txt: Path, labels: Path, register: Register) -> DocumentScore:
    """Draft one labelled document and pair its tasks with the labels."""
    text = read_document(txt)
    data = yaml.safe_load(labels.read_text(encoding="utf-8")) or {}
    draft = extract(text, register, source=txt.name)
    drafted = [Drafted(t, t.at, t.at + len(t.deadline.deadline.text) if t.deadline else -1, _names(t, register))
               for t in draft.tasks]  # fmt: skip
    result = DocumentScore(txt.stem, _labels(data, text), drafted, doc_date=draft.doc_date,
                           label_date=data.get("doc_date"))  # fmt: skip
    _pair(result)
    _explain(result, draft, text)
    return result


def _overlap(label: Label, drafted: Drafted) -> float:
    if label.start < 0:
        return 0.0
    if drafted.start >= 0 and label.start <= drafted.start < label.end:
        return 2.0 + (1.0 if same_date(label, drafted) else 0.0)
    mine, theirs = set(key(drafted.task.quote).split()), set(key(label.clause).split())
    if not theirs:
        return 0.0
    return len(mine & theirs) / len(theirs)


def _pair(result: DocumentScore) -> None:
    scored = sorted(
        ((_overlap(lab, d), i, j) for i, lab in enumerate(result.labels) for j, d in enumerate(result.drafted)),
        key=lambda s: (-s[0], s[1], s[2]),
    )
    used_l: set[int] = set()
    used_d: set[int] = set()
    for score, i, j in scored:
        if score < 0.6:
            break
        if i in used_l or j in used_d:
            continue
        used_l.add(i)
        used_d.add(j)
        result.pairs.append((result.labels[i], result.drafted[j]))


def _explain(result: DocumentScore, draft: Draft, text: str) -> None:
    """Count each labelled dated task the draft missed by its first cause, as the issue counts them."""
    right = {id(lab) for lab, _d in result.right_date()}
    paired = {id(lab): d for lab, d in result.pairs}
    for label in result.dated_labels:
        if id(label) in right:
            continue
        cause = _cause(label, paired.get(id(label)), result, draft, text)
        result.misses[cause] = result.misses.get(cause, 0) + 1
    result.lead_misses = len(result.right_date()) - len(result.right_lead())


def _cause(label: Label, drafted: Drafted | None, result: DocumentScore, draft: Draft, text: str) -> str:
    reference = result.label_date or (date(label.due.year, 1, 1) if label.due else None)
    try:
        parsed = parse_deadline(label.deadline, reference)
        if parsed.rrule != label.rrule or (label.rrule is None and parsed.due != label.due):
            return "grammar"
    except DeadlineError:
        if not find_deadlines(label.clause, reference):
            return "grammar"
    if result.label_date is not None and (draft.doc_date or date.min).year != result.label_date.year:
        return "doc_date"
    if " | " in label.clause or label.clause.lstrip("*-• ").lower().startswith(("ngày", "thứ")):
        return "table"
    same_place = [lab for lab in result.labels if lab is not label and lab.start >= 0
                  and abs(lab.start - label.start) < 200]  # fmt: skip
    if drafted is None and same_place:
        return "several"  # another deadline, or another body, in the same sentence took the task
    return "no_task" if drafted is None else "wrong_date"


@dataclass
class CorpusScore:
    documents: list[DocumentScore]

    def _count(self, what: str) -> int:
        return sum(len(getattr(d, what)() if callable(getattr(d, what)) else getattr(d, what)) for d in self.documents)

    @property
    def labelled(self) -> int:
        return self._count("dated_labels")

    @property
    def drafted(self) -> int:
        return self._count("dated_drafts")

    @property
    def recall(self) -> float:
        return self._count("right_date") / self.labelled if self.labelled else 1.0

    @property
    def precision(self) -> float:
        right = sum(len({id(d) for _lab, d in doc.right_date()}) for doc in self.documents)
        return right / self.drafted if self.drafted else 1.0

    @property
    def lead_and_date(self) -> float:
        return self._count("right_lead") / self.labelled if self.labelled else 1.0

    def misses(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for doc in self.documents:
            for cause, n in doc.misses.items():
                out[cause] = out.get(cause, 0) + n
        out["lead"] = sum(d.lead_misses for d in self.documents)
        return out

    def summary(self) -> str:
        lines = [
            f"{len(self.documents)} documents, {self.labelled} labelled dated tasks, "
            f"{self.drafted} drafted dated tasks",
            f"due-date recall {self.recall:.1%}, precision {self.precision:.1%}, "
            f"lead and date {self.lead_and_date:.1%}",
        ]
        misses = self.misses()
        lines.append("misses: " + ", ".join(f"{k} {v}" for k, v in misses.items() if v))
        return "\n".join(lines)


def score_corpus(folder: Path, register: Register) -> CorpusScore:
    """Every labelled document of a folder."""
    docs = [score_document(txt, txt.with_suffix(".yaml"), register) for txt in sorted(folder.glob("*.txt"))]
    return CorpusScore(docs)
