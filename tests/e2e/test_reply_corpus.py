"""The labelled reply corpus through the conversation core and through Telegram over real HTTP.

Every message of tests/data/replies is played in the scenario it was written for (tests/replies_corpus.py):
at least 97 % must do exactly what their label says, and none may change anything the label does not
(a wrong change is worse than a question).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.replies_corpus import load, play

CORPORA = ["dev", "holdout"]
THRESHOLD = 0.97


@pytest.mark.parametrize("channel", ["core", "telegram"])
async def test_the_reply_corpus_is_understood(engine: Engine, tmp_path: Path, channel: str) -> None:
    if channel == "telegram" and engine.dialect.name != "sqlite":
        pytest.skip("the Telegram adapter is the same on both databases; the core runs on PostgreSQL too")
    cases = [case for name in CORPORA for case in load(name)]
    score = (await play(engine, tmp_path, cases, [channel]))[channel]
    assert not score.wrong, score.report()
    assert score.rate >= THRESHOLD, score.report()
