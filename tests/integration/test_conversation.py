"""The conversation core, channel-free: replies in plain words, commands, and what nobody may do."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from bot.conversation.core import Conversation, Incoming
from bot.conversation.replies import Done, Extend, Progress, Unclear, parse_reply
from scheduler.clock import LOCAL_TZ, FixedClock
from scheduler.db import make_engine
from scheduler.register.importer import import_register, load_register
from scheduler.register.links import find_official_id, link_chat
from scheduler.register.models import ASSIGNMENTS, EVENTS, EXTENSIONS, MEMBERS, OFFICIALS, SETTINGS
from tests.conftest import REGISTER

TODAY = date(2022, 4, 8)

REPLIES = [
    # (what an official types, what it means)
    ("xong", Done(None)),
    ("đã xong", Done(None)),
    ("hoàn thành", Done(None)),
    ("done", Done(None)),
    ("ok đã hoàn thành rồi ạ", Done(None)),  # politeness is not a note
    ("Dạ em báo cáo đã xong rồi ạ", Done(None)),
    ("xong 12", Done(12)),
    ("xong #12 đã nộp báo cáo", Done(12, "đã nộp báo cáo")),
    ("đang làm 50%", Progress(None, 50)),
    ("đang làm 12 60% còn thiếu kinh phí", Progress(12, 60, "còn thiếu kinh phí")),
    ("xin gia hạn đến 15/6 vì chưa đủ kinh phí", Extend(None, date(2022, 6, 15), "chưa đủ kinh phí")),
    ("gia hạn 12 15/6", Extend(12, date(2022, 6, 15), "")),
    ("xin gia hạn đến 15/1 do nghỉ Tết", Extend(None, date(2023, 1, 15), "nghỉ Tết")),  # 15/1 comes next year
]


@pytest.mark.parametrize(("text", "meaning"), REPLIES)
def test_plain_word_replies_are_understood(text: str, meaning: object) -> None:
    assert parse_reply(text, TODAY if "15/1" not in text else date(2022, 12, 20)) == meaning


@pytest.mark.parametrize(
    "text",
    [
        "chưa xong",
        "không xong được",
        "vẫn chưa hoàn thành",
        "not done yet",
        "đang làm 150%",
        "gia hạn đến khi nào xong",
        "hello",
        "",
    ],
)
def test_unclear_or_negative_replies_change_nothing(text: str) -> None:
    assert isinstance(parse_reply(text, TODAY), Unclear)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Engine, FixedClock]:
    """One register for the property tests: every official linked on the console."""
    folder: Path = tmp_path_factory.mktemp("world")
    engine = make_engine(f"sqlite:///{folder / 'w.sqlite3'}")
    clock = FixedClock(datetime(2022, 5, 2, 9, 0, tzinfo=LOCAL_TZ))
    import_register(engine, load_register(REGISTER), clock)
    with engine.connect() as conn:
        for official_id, code in conn.execute(select(OFFICIALS.c.id, OFFICIALS.c.code)).all():
            link_chat(engine, official_id, "console", code, clock)
    return engine, clock


def _own_units(engine: Engine, code: str) -> set[int]:
    with engine.connect() as conn:
        return set(
            conn.execute(
                select(MEMBERS.c.unit_id)
                .join(OFFICIALS, OFFICIALS.c.id == MEMBERS.c.official_id)
                .where(OFFICIALS.c.code == code)
            ).scalars()
        )


def _changed_units(engine: Engine, since: int) -> set[int]:
    with engine.connect() as conn:
        return set(
            conn.execute(
                select(ASSIGNMENTS.c.unit_id)
                .join(EVENTS, EVENTS.c.assignment_id == ASSIGNMENTS.c.id)
                .where(EVENTS.c.id > since)
            ).scalars()
        )


def _last_event(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(EVENTS.c.id).order_by(EVENTS.c.id.desc())).scalar() or 0)


commands = st.sampled_from(
    [
        "/xong",
        "/done",
        "/tiendo",
        "/giahan",
        "/lichsu",
        "/viec",
        "/quahan",
        "/sapden",
        "/baocao",
        "/huy",
        "/caidat",
        "/nghiphep",
        "/whoami",
        "/start",
        "xong",
        "đang làm",
        "gia hạn",
        "đồng ý",
        "từ chối",
        "",
    ]
)
arguments = st.one_of(
    st.text(max_size=40),
    st.integers(0, 60).map(str),
    st.tuples(st.integers(0, 60), st.integers(-5, 200)).map(lambda t: f"{t[0]} {t[1]}"),
    st.tuples(st.integers(0, 60), st.sampled_from(["15/6 vì mưa", "31/4", "mai"])).map(lambda t: f"{t[0]} {t[1]}"),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    who=st.sampled_from(["cong-chuc-dia-chinh", "ct-cong-doan", "truong-kp-tien-son-1", "ke-toan"]),
    command=commands,
    argument=arguments,
)
def test_any_command_from_a_member_never_crashes_nor_touches_other_units(world, who, command, argument) -> None:
    engine, clock = world
    before = _last_event(engine)
    answers = Conversation(engine, clock).handle(Incoming("console", who, text=f"{command} {argument}".strip()))
    assert answers and all(a.text for a in answers)
    assert _changed_units(engine, before) <= _own_units(engine, who)
    with engine.connect() as conn:  # a member never decides an extension
        decided = conn.execute(select(EXTENSIONS.c.decided_by).where(EXTENSIONS.c.decided_by.is_not(None))).all()
    assert decided == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    who=st.sampled_from(["cong-chuc-dia-chinh", "ke-toan"]),
    data=st.one_of(
        st.text(max_size=64),
        st.tuples(st.sampled_from(["d", "p", "e", "s", "s2", "sm", "ok", "no", "k"]), st.integers(0, 10**6)).map(
            lambda t: f"{t[0]}:{t[1]}"
        ),
    ),
)
def test_any_button_data_never_crashes_nor_changes_what_the_sender_may_not(world, who, data) -> None:
    engine, clock = world
    before = _last_event(engine)
    answers = Conversation(engine, clock).handle(Incoming("console", who, button=data))
    assert answers
    assert _changed_units(engine, before) <= _own_units(engine, who)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=60))
def test_an_unknown_chat_sees_only_how_to_link(world, text) -> None:
    engine, clock = world
    before = _last_event(engine)
    answers = Conversation(engine, clock).handle(Incoming("console", "stranger", text=text))
    assert len(answers) == 1
    assert "chưa được liên kết" in answers[0].text or "Không liên kết được" in answers[0].text
    assert _last_event(engine) == before


def test_leave_mutes_the_official_and_their_unit_falls_back_to_leaders(engine: Engine, clock: FixedClock) -> None:
    from scheduler.outbox.planner import dry_run

    import_register(engine, load_register(REGISTER), clock)
    for code in ("cong-chuc-dia-chinh", "bi-thu"):
        link_chat(engine, find_official_id(engine, code), "console", code, clock)
    talk = Conversation(engine, clock)
    answer = talk.handle(Incoming("console", "cong-chuc-dia-chinh", text="/nghiphep đến 30/4"))[0].text
    assert "nghỉ phép đến hết 30/04/2022" in answer
    clock.set(datetime(2022, 4, 22, 7, 31, tzinfo=LOCAL_TZ))
    names = {r["official_id"] for r in dry_run(engine, clock) if r["channel"] == "console"}
    assert find_official_id(engine, "cong-chuc-dia-chinh") not in names
    assert find_official_id(engine, "bi-thu") in names  # the land review still reaches someone
    with engine.connect() as conn:
        assert conn.execute(select(SETTINGS.c.muted_until)).scalar_one() == date(2022, 4, 30)


def test_history_shows_who_changed_what_and_through_which_channel(engine: Engine, clock: FixedClock) -> None:
    import_register(engine, load_register(REGISTER), clock)
    link_chat(engine, find_official_id(engine, "cong-chuc-dia-chinh"), "console", "g", clock)
    talk = Conversation(engine, clock)
    with engine.connect() as conn:
        target = conn.execute(
            select(ASSIGNMENTS.c.id)
            .join(MEMBERS, MEMBERS.c.unit_id == ASSIGNMENTS.c.unit_id)
            .join(OFFICIALS, OFFICIALS.c.id == MEMBERS.c.official_id)
            .where(OFFICIALS.c.code == "cong-chuc-dia-chinh")
        ).scalar_one()
    talk.handle(Incoming("console", "g", text=f"/tiendo {target} 40 đã rà 3 khu phố"))
    talk.handle(Incoming("console", "g", text=f"/xong {target}"))
    lines = talk.handle(Incoming("console", "g", text=f"/lichsu {target}"))[0].text.splitlines()
    assert "chưa làm → đang làm 40% qua bản chạy thử trên máy — đã rà 3 khu phố" in lines[1]
    assert "Vũ Thị G: đang làm → xong qua bản chạy thử trên máy" in lines[2]


def test_cancel_forgets_the_question_being_waited_on(engine: Engine, clock: FixedClock) -> None:
    import_register(engine, load_register(REGISTER), clock)
    link_chat(engine, find_official_id(engine, "cong-chuc-dia-chinh"), "console", "g", clock)
    talk = Conversation(engine, clock)
    asked = talk.handle(Incoming("console", "g", text="xong"))[0].text
    assert asked.startswith("Việc nào ạ?")
    assert talk.handle(Incoming("console", "g", text="/huy"))[0].text == "Đã hủy câu hỏi đang chờ."
    assert "chưa hiểu" in talk.handle(Incoming("console", "g", text="1"))[0].text


def test_kenh_chooses_where_reminders_go_for_someone_linked_twice(engine: Engine, clock: FixedClock) -> None:
    from scheduler.outbox.planner import dry_run

    import_register(engine, load_register(REGISTER), clock)
    official = find_official_id(engine, "cong-chuc-dia-chinh")
    link_chat(engine, official, "telegram", "111", clock)
    link_chat(engine, official, "zalo", "z111", clock)
    talk = Conversation(engine, clock)
    clock.set(datetime(2022, 4, 22, 7, 31, tzinfo=LOCAL_TZ))

    def channels() -> set[str]:
        return {r["channel"] for r in dry_run(engine, clock) if r["official_id"] == official}

    assert channels() == {"telegram", "zalo"}  # both, by default
    assert talk.handle(Incoming("telegram", "111", text="/kenh zalo"))[0].text == "Từ nay lời nhắc gửi qua Zalo."
    assert channels() == {"zalo"}
    talk.handle(Incoming("zalo", "z111", text="/kenh ca-hai"))
    assert channels() == {"telegram", "zalo"}
    refused = Conversation(engine, clock).handle(Incoming("console", "nobody", text="/kenh zalo"))[0].text
    assert "chưa được liên kết" in refused
