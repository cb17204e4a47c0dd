"""Dialogs that never stick, confirmations before unsure changes, and the leaders' desk (/duyet)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from bot.conversation.core import Conversation, Incoming
from bot.conversation.texts import Message
from scheduler.outbox.queue import EXTENSION_DECIDED, EXTENSION_DECISION, EXTENSION_REQUEST
from scheduler.register.links import find_official_id, link_chat
from scheduler.register.models import ASSIGNMENTS, EVENTS, EXTENSIONS
from tests.outbox_rows import by_chat, enqueued
from tests.replies_corpus import Scenario

SPEAKER, LEADER, DEPUTY = "speaker", "leader", "deputy"


@pytest.fixture
def world(sqlite_engine: Engine, tmp_path: Path) -> tuple[Scenario, Conversation]:
    scenario = Scenario(sqlite_engine, tmp_path)
    link_chat(sqlite_engine, scenario.leader, "console", LEADER, scenario.clock)
    link_chat(sqlite_engine, find_official_id(sqlite_engine, "pho-bi-thu"), "console", DEPUTY, scenario.clock)
    return scenario, Conversation(sqlite_engine, scenario.clock)


def say(talk: Conversation, chat: str, text: str, button: str | None = None) -> list[Message]:
    return talk.handle(Incoming("console", chat, text, button=button, message_id="m"))


def status(engine: Engine, task: int) -> str:
    with engine.connect() as conn:
        return str(conn.execute(select(ASSIGNMENTS.c.status).where(ASSIGNMENTS.c.id == task)).scalar_one())


def test_a_task_named_by_its_title_is_proposed_and_recorded_after_yes(world) -> None:
    scenario, talk = world
    asked = say(talk, SPEAKER, "việc đại hội đoàn xong rồi")[0]
    assert "#3 Đại hội Đoàn thanh niên thị trấn: xong" in asked.text and status(scenario.engine, 3) == "open"
    assert [b.data for row in asked.buttons for b in row] == ["cf:1", "cf:2"]
    assert "Đã ghi nhận: #3" in say(talk, SPEAKER, "1")[0].text
    assert status(scenario.engine, 3) == "done"


def test_no_to_a_proposal_records_nothing(world) -> None:
    scenario, talk = world
    say(talk, SPEAKER, "ra soat dat dai khu pho xong roi a")
    assert "không ghi gì" in say(talk, SPEAKER, "", button="cf:2")[0].text
    assert status(scenario.engine, 13) == "open"


def test_numbered_choices_are_places_in_the_list_never_task_numbers(world) -> None:
    scenario, talk = world
    question = say(talk, SPEAKER, "12 hay 13 gi do xong roi")[0].text
    assert "1. việc #12" in question and "2. việc #13" in question
    assert "#13" in say(talk, SPEAKER, "2")[0].text  # the second choice, not task 2
    assert (status(scenario.engine, 13), status(scenario.engine, 2), status(scenario.engine, 12)) == (
        "done",
        "open",
        "open",
    )


def test_a_new_intent_drops_the_waiting_question_and_says_so(world) -> None:
    scenario, talk = world
    assert say(talk, SPEAKER, "xong")[0].text.startswith("Việc nào ạ?")
    answers = say(talk, SPEAKER, "xin gia hạn 12 đến 15/5 vì chưa có kinh phí")
    assert "bỏ câu hỏi trước" in answers[0].text and "Đã gửi đề nghị gia hạn #12" in answers[1].text
    say(talk, SPEAKER, "1")  # no question is waiting any more: '1' alone records nothing
    assert status(scenario.engine, 1) == "open"


def test_a_waiting_question_expires(world) -> None:
    scenario, talk = world
    say(talk, SPEAKER, "xong")
    scenario.clock.set(scenario.clock.now() + timedelta(minutes=11))
    say(talk, SPEAKER, "1")
    with scenario.engine.connect() as conn:
        assert conn.execute(select(EVENTS.c.id).where(EVENTS.c.id > scenario.baseline)).first() is None


def test_a_repeated_request_updates_the_pending_one_and_reaches_leaders_once(world) -> None:
    scenario, talk = world
    first = say(talk, SPEAKER, "xin gia hạn 12 đến 15/5")
    assert len(first) == 1 and "Đã gửi đề nghị gia hạn #12" in first[0].text  # the leaders' go through the outbox
    asked = enqueued(scenario.engine, EXTENSION_REQUEST)
    assert {chat for _kind, _channel, chat, _text in asked} >= {LEADER, DEPUTY}
    again = say(talk, SPEAKER, "xin gia hạn 12 đến 20/5 vì chờ huyện")
    assert len(again) == 1 and "Đã cập nhật đề nghị gia hạn #12" in again[0].text
    assert enqueued(scenario.engine, EXTENSION_REQUEST) == asked  # not asked twice
    with scenario.engine.connect() as conn:
        rows = conn.execute(select(EXTENSIONS.c.requested_due, EXTENSIONS.c.reason)).all()
    assert [(r[0].isoformat(), r[1]) for r in rows] == [("2022-05-20", "chờ huyện")]


def test_the_desk_lists_pending_requests_oldest_first_in_pages(world) -> None:
    scenario, talk = world
    for number in range(20, 27):
        scenario.clock.set(scenario.clock.now() + timedelta(minutes=1))
        say(talk, SPEAKER, f"xin gia hạn {number} đến 15/5")
    desk = say(talk, LEADER, "/duyet")[0]
    assert "đang chờ: 7 (cũ nhất trước) — trang 1 trên 2" in desk.text
    assert desk.text.index("#20") < desk.text.index("#24") and "#25" not in desk.text
    labels = [b.label for row in desk.buttons for b in row]
    assert "👍 Đồng ý #20" in labels and labels[-1] == "Trang sau ▶"
    second = say(talk, LEADER, "", button="dv:2")[0]
    assert "#25" in second.text and "#26" in second.text and "trang 2 trên 2" in second.text
    assert "chỉ lãnh đạo" in say(talk, SPEAKER, "/approvals")[0].text


def test_a_refusal_asks_a_reason_that_reaches_the_requester_and_the_other_leaders_see_it(world) -> None:
    scenario, talk = world
    say(talk, SPEAKER, "xin gia hạn 12 đến 15/5")
    with scenario.engine.connect() as conn:
        request = conn.execute(select(EXTENSIONS.c.id)).scalar_one()
    assert "Lý do từ chối" in say(talk, LEADER, "", button=f"no:{request}")[0].text
    answers = say(talk, LEADER, "phải xong trước đại hội")
    assert len(answers) == 1 and "Đã từ chối đề nghị gia hạn #12" in answers[0].text
    assert "Lý do: phải xong trước đại hội" in by_chat(scenario.engine, EXTENSION_DECISION)["speaker"]
    told = by_chat(scenario.engine, EXTENSION_DECIDED)
    assert "Nguyễn Văn An đã từ chối đề nghị gia hạn #12" in told[DEPUTY]
    assert LEADER not in told
    with scenario.engine.connect() as conn:
        assert conn.execute(select(EXTENSIONS.c.state)).scalar_one() == "refused"


def test_a_unit_is_found_by_part_of_its_name_with_or_without_diacritics(world) -> None:
    from scheduler.register.queries import UnknownUnitError, find_unit_id

    scenario, _talk = world
    union = find_unit_id(scenario.engine, "Công đoàn thị trấn")
    assert find_unit_id(scenario.engine, "công đoàn") == union
    assert find_unit_id(scenario.engine, "cong doan") == union
    with pytest.raises(UnknownUnitError, match="khớp nhiều đơn vị: Công đoàn thị trấn, Đảng ủy thị trấn, UBND"):
        find_unit_id(scenario.engine, "thị trấn")
