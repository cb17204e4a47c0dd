"""Properties of the reply grammar and its dialogs, over messages hypothesis writes.

- No message from a member changes another unit's task (#61–#70 belong to UBND thị trấn).
- Every message either changes exactly what it says, or asks, or changes nothing: never something else.
"""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.channels.console import ConsoleChannel
from bot.conversation.core import Conversation, Incoming
from scheduler.db import make_engine
from scheduler.folding import fold
from tests.replies_corpus import CONSOLE_CHAT, OTHER_TASKS, Effect, Scenario

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Scenario, Conversation, ConsoleChannel]:
    folder: Path = tmp_path_factory.mktemp("replies")
    engine = make_engine(f"sqlite:///{folder / 'p.sqlite3'}")
    scenario = Scenario(engine, folder)
    return scenario, Conversation(engine, scenario.clock), ConsoleChannel(write=lambda _t: None)


def play(world, texts: list[str], reminded: list[int]) -> tuple[set[Effect], bool]:
    scenario, talk, console = world
    scenario.reset()
    reply_to = asyncio.run(scenario.send_reminders("console", console, reminded))
    for number, text in enumerate(texts):
        talk.handle(Incoming("console", CONSOLE_CHAT, text, reply_to=reply_to, message_id=f"p{number}"))
    return scenario.effects()


task = st.integers(min_value=1, max_value=70)
reason = st.sampled_from(["chưa có kinh phí", "đang chờ huyện", "không đủ người", "mưa lũ kéo dài quá"])
polite_open = st.sampled_from(["", "Dạ ", "Kính gửi anh,\n", "Báo cáo đồng chí, ", "Em xin báo cáo: "])
polite_close = st.sampled_from(["", " ạ", " nhé", " rồi anh", ".\nTrân trọng!", " 👍"])


@st.composite
def said(draw: st.DrawFn) -> tuple[str, Effect]:
    """One intent about one task, written one of the usual ways, and the change it means."""
    n = draw(task)
    kind = draw(st.sampled_from(["done", "progress", "extend"]))
    if kind == "done":
        form = draw(st.sampled_from(["xong {n}", "việc {n} xong rồi", "vc {n} xg r", "#{n} done", "{n} ✅",
                                     "Đã hoàn thành nhiệm vụ {n}", "viec so {n} da hoan thanh"]))  # fmt: skip
        return form.format(n=n), Effect(n, "done")
    if kind == "progress":
        p = draw(st.integers(min_value=1, max_value=99))
        form = draw(st.sampled_from(["việc {n} được {p}%", "vc {n} dc {p}%", "#{n} {p}%", "tiến độ việc {n}: {p}%",
                                     "{n} đang làm {p}%", "việc {n} chưa xong, mới được {p}%"]))  # fmt: skip
        return form.format(n=n, p=p), Effect(n, "progress", p)
    day = draw(st.integers(min_value=1, max_value=31))
    why = draw(st.one_of(st.just(""), reason))
    form = draw(
        st.sampled_from(["xin gia hạn việc {n} đến {d}/5", "gh vc {n} den {d}/5", "việc {n} xin lùi đến {d}/5"])
    )
    text = form.format(n=n, d=day) + (f" vì {why}" if why else "")
    return text, Effect(n, "extend", extend_to=date(2022, 5, day), reason=why)


@st.composite
def message(draw: st.DrawFn) -> tuple[str, set[Effect]]:
    parts = draw(st.lists(said(), min_size=1, max_size=3, unique_by=lambda p: p[1].task))
    joiner = draw(st.sampled_from([", ", "\n", "; ", "\n- "]))
    text = draw(polite_open) + joiner.join(p[0] for p in parts) + draw(polite_close)
    effects = {p[1] for p in parts}
    if draw(st.booleans()):  # typed without diacritics
        text = fold(text)
        effects = {Effect(e.task, e.kind, e.percent, e.extend_to, fold(e.reason)) for e in effects}
    return text, effects


noise = st.text(alphabet="xongviệc0123456789 #%,.đangàmlùihạnkôữươ\n?", max_size=40)


@SETTINGS
@given(text=st.one_of(noise, message().map(lambda m: m[0])), reminded=st.lists(task, max_size=3, unique=True),
       follow=st.sampled_from(["", "1", "2", "ok", "xong"]))  # fmt: skip
def test_no_message_from_a_member_changes_another_units_task(world, text, reminded, follow) -> None:
    own = [t for t in reminded if t not in OTHER_TASKS]  # reminders reach the speaker only for their own tasks
    effects, _asked = play(world, [text, follow] if follow else [text], own)
    assert not {e for e in effects if e.task in OTHER_TASKS}, (text, effects)


@SETTINGS
@given(said_=message())
def test_every_message_changes_what_it_says_or_asks_or_changes_nothing(world, said_) -> None:
    text, meant = said_
    own = {e for e in meant if e.task not in OTHER_TASKS}
    effects, asked = play(world, [text], [])
    # an extension to a day that is not after the deadline (30/4) is refused: it changes nothing
    own = {e for e in own if e.kind != "extend" or e.extend_to and e.extend_to > date(2022, 4, 30)}
    assert effects <= own, (text, effects, own)  # never a change the message does not say
    assert effects == own or asked or not effects, (text, effects, own)  # what is left out is asked about
