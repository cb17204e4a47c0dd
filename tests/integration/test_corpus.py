"""Drafting real documents nobody here wrote: the labelled corpus in tests/data/documents/.

Collectors who never saw the extractor rewrote public administrative texts and labelled every task
(clause, lead as named, deadline phrase, due date). `dev/` was used while building; `holdout/` was set aside
and scored once at the end; `holdout2/` (a third collector) was scored once as a set-aside, then looked at and
used to fix general misses, so it is no longer a set-aside either: its floors only keep what is true.
`holdout3/` (a fourth collector, conventions in SOURCES-d.md) was set aside the same way and is seen now too,
and so are `holdout4/` and `holdout5/` (a fifth and a sixth collector, SOURCES-e.md and SOURCES-f.md), and
`holdout6/` (two more collectors, SOURCES-g.md and SOURCES-h.md).
The figures are the issue's: due-date precision and recall, and the share of
labelled dated tasks drafted with the right date and the right lead. How a lead counts as right (the same
organisation, compared by folded names and abbreviations) is written in `scheduler/drafting/scoring.py`.
"""

from __future__ import annotations

from datetime import date

import pytest

from scheduler.deadlines import Deadline, FoundDeadline
from scheduler.drafting.extraction import DraftTask
from scheduler.drafting.scoring import Drafted, Label, same_date, same_organisation, score_corpus
from scheduler.register.importer import load_register
from tests.conftest import REGISTER, ROOT

CORPUS = ROOT / "tests" / "data" / "documents"


def _score(folder: str) -> tuple[float, float, float, str]:
    result = score_corpus(CORPUS / folder, load_register(REGISTER))
    return result.precision, result.recall, result.lead_and_date, result.summary()


def test_development_documents_meet_the_issue_figures() -> None:
    precision, recall, lead_and_date, summary = _score("dev")
    assert precision >= 0.9, summary
    assert recall >= 0.85, summary
    assert lead_and_date >= 0.7, summary


@pytest.mark.parametrize(
    ("label", "drafted", "same"),
    [
        ("UBND các tỉnh, thành phố", "UBND các tỉnh, thành phố", True),  # as written
        ("HĐND huyện", "Hội đồng nhân dân huyện", True),  # abbreviation and long form
        ("Thường trực HĐND huyện", "HĐND huyện", True),  # one name inside the other (two words at least)
        ("Mỗi huyện, thành, thị ủy, đảng ủy trực thuộc", "thị ủy, đảng ủy trực thuộc", True),
        ("các cơ sở còn lại", "cơ sở", True),  # counting words aside ("các", "còn lại"), the same
        ("Ban Pháp chế", "Ban", False),  # one word is not a name
        ("HĐND huyện", "HĐND thị trấn", False),  # another level: never the register's unit
        ("Bộ Nội vụ", "Bộ Kế hoạch và Đầu tư", False),
    ],
)
def test_a_lead_is_right_when_it_names_the_same_organisation(label: str, drafted: str, same: bool) -> None:
    assert same_organisation(label, drafted) is same


def test_corpus_files_are_paired() -> None:
    for folder in ("dev", "holdout", "holdout2", "holdout3", "holdout4", "holdout5", "holdout6", "holdout7"):
        texts = sorted(p.stem for p in (CORPUS / folder).glob("*.txt"))
        labels = sorted(p.stem for p in (CORPUS / folder).glob("*.yaml"))
        assert texts == labels and texts, folder


def test_set_aside_documents_meet_the_issue_figures_for_dates() -> None:
    """Scored once at the end (19:05 UTC, first figures in the closing note), then general misses were fixed;
    seen since. Now recall 1.0 (34 of 34), precision 0.872 (34 of 39): floors just under what is true. Precision
    was 0.944 until each engagement of a leader's calendar line became a reminder of its own (the conventions of
    holdout4 and holdout5); b-12's labeller took the whole day as one task, so its later engagements count as
    extra."""
    precision, recall, _lead_and_date, summary = _score("holdout")
    assert precision >= 0.87, summary
    assert recall >= 0.97, summary


def test_set_aside_documents_keep_their_lead_and_date_floor() -> None:
    """First scored at 0.647 (22 of 34), below the issue's 0.7; after general fixes found on holdout2 it is 0.853
    (29 of 34). The holdout has been seen since, so this is a floor on seen data, not a set-aside figure."""
    _precision, _recall, lead_and_date, summary = _score("holdout")
    assert lead_and_date >= 0.85, summary


def test_holdout2_documents_keep_the_figures_reached() -> None:
    """holdout2 was seen (first look: recall 0.693, precision 0.591, lead and date 0.480) and used to fix general
    misses; these floors are the figures reached after (recall 0.987, precision 0.860, lead and date 0.827), not
    figures of an unseen set. Precision stays under the issue's 0.9: see the closing note for the drafted tasks
    the labels leave out (headline summaries, candidates' exam sessions, a citizen's own registration). A headline
    repeating the body's deadline, what citizens do themselves and an exam's timetable are no longer drafted
    (precision 0.974, notes/extract6.md); a half-yearly report's yearless day recurs yearly (recall 1.0, precision
    0.987, lead and date 0.840)."""
    precision, recall, lead_and_date, summary = _score("holdout2")
    assert precision >= 0.98, summary
    assert recall >= 0.99, summary
    assert lead_and_date >= 0.83, summary


def test_holdout3_documents_keep_the_figures_reached() -> None:
    """holdout3 was set aside and scored once at 01:55 UTC (recall 0.698, precision 0.674, lead and date 0.500),
    then used for general fixes; these floors are what was reached after (recall 0.849, precision 0.802, lead
    and date 0.651), on seen data. Still under the issue's figures: see notes/extract2.md for the misses that
    are the labeller's conventions (a schedule's person as lead, days taken from a heading line, consequences).
    notes/extract6.md: past events, called-off sessions, reference instants and repeating headlines are no longer
    drafted, a bracketed date is read; a schedule's day heads its numbered items, a table's leaders column is the
    lead as written, "(Giao X chuẩn bị …)" is X's task that day; an undated page takes its headline's year, a row
    spelling out a routine's days is no task; a letter's report without a sender is its addressee's, a day naming an
    occasion ("tuần cao điểm 26/3") is no deadline; a congress after its period ("tháng 1-2020, tiến hành đại hội các
    chi bộ …") is led by the body holding it, bodies counted with "có" are doers (recall 0.942, precision 0.964,
    lead and date 0.895)."""
    precision, recall, lead_and_date, summary = _score("holdout3")
    assert precision >= 0.96, summary
    assert recall >= 0.94, summary
    assert lead_and_date >= 0.89, summary


@pytest.mark.parametrize(
    ("folder", "floors"),
    [
        ("holdout4", (0.90, 0.81, 0.79)),
        ("holdout5", (0.90, 0.91, 0.83)),
    ],
)
def test_holdout4_and_holdout5_keep_the_figures_reached(folder: str, floors: tuple[float, float, float]) -> None:
    """Written from a brief by two helpers who saw no code, kept off main, and scored once at 04:26 UTC on
    2026-12-02 (code 883ee5a): holdout4 recall 0.542, precision 0.727, lead and date 0.373; holdout5 recall
    0.438, precision 0.722, lead and date 0.348 — far under the issue's figures. Seen since; these floors keep
    what is reached (precision, recall, lead and date). notes/extract7.md: a yearless calendar takes the year its
    weekdays fit, a leader's calendar line is that leader's task, a programme's "Ngày thứ nhất (…)" heads its
    items, sections numbered "I/" are headings, a holiday's name sets no deadline, a portal's clock and a view
    counter are furniture, a month's plan dates its items by the month's end, a "Thời gian:" line dates the table
    below it (holdout4 recall 0.746, precision 0.898, lead and date 0.441; holdout5 0.854, 0.894, 0.708).
    Seventh session: each engagement of a calendar line is its own task and "(X chuẩn bị báo cáo)" is X's; school
    levels, grades and "HND" are bodies; a table's "Lớp" column is the doer; prose naming no doer goes on with the
    one before; "Tất cả …" and "Ý kiến …" open running text, not only a page counter; "TP. Bà Rịa" ends no
    sentence; "1/ Tổ chức …" is read; a period in the next sentence dates the work before it; "từ ngày 1-18.11"
    is a range; Tết phrases are read; a calendar line opening with a title ("Giám đốc Sở …", "Phó Giám đốc Nguyễn
    Văn An …") is led by it (holdout4 0.814, 0.906, 0.797; holdout5 0.910, 0.900, 0.831)."""
    precision, recall, lead_and_date, summary = _score(folder)
    assert precision >= floors[0] and recall >= floors[1] and lead_and_date >= floors[2], summary


def _drafted(due: date | None, rrule: str | None) -> Drafted:
    found = FoundDeadline(Deadline("hạn", due, rrule), 0, 3, False)
    return Drafted(DraftTask("việc", "việc", "", [], deadline=found), 0, 3, [])


def test_a_recurring_label_is_met_by_its_rrule_whatever_first_occurrence_it_gives() -> None:
    yearly = "FREQ=YEARLY;BYMONTH=11;BYMONTHDAY=19"
    label = Label("việc", None, "trước ngày 20/11 hằng năm", date(2012, 11, 19), yearly, 0, 10)
    assert same_date(label, _drafted(None, yearly))  # the draft gives the rule, its first day follows from it
    assert not same_date(label, _drafted(date(2012, 11, 19), None))  # once is not every year
    assert not same_date(label, _drafted(None, "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31"))
    once = Label("việc", None, "trước ngày 20/11/2012", date(2012, 11, 19), None, 0, 10)
    assert same_date(once, _drafted(date(2012, 11, 19), None))
    assert not same_date(once, _drafted(None, yearly))


def test_holdout6_keeps_the_figures_reached() -> None:
    """Written from a brief by two helpers who saw no code (g-: letters, conclusions, plans and news; h-: calendars,
    reception calendars, plan tables), kept off main and scored once at 08:55 UTC on 2026-12-02 (code aaeba03):
    41 documents, 139 labelled dated tasks, recall 0.619, precision 0.619, lead and date 0.439 (g- 0.900 / 0.662 /
    0.600; h- 0.461 / 0.577 / 0.348). Seen since; general fixes found on it: a month cell and a day cell make one
    date, a headline's later year dates yearless days, lunar restatements in brackets, post stamps, a legal basis,
    issuing lines, source citations and office hours are no tasks, a lead-in's doer leads the table below it
    (recall 0.914, precision 0.841, lead and date 0.763); a body preparing an item in its attendance line, a law's
    date, a post's stamp row, "trưóc"; papers to send are led by whose they are (recall 0.935, precision 0.861,
    lead and date 0.813). Floors on seen data,
    not set-aside figures."""
    precision, recall, lead_and_date, summary = _score("holdout6")
    assert precision >= 0.86 and recall >= 0.93 and lead_and_date >= 0.81, summary
