"""What nobody can do by typing or pressing anything, on SQLite and PostgreSQL: decide an extension of a
closed task or their own request, crash the bot with a number, or touch (or learn of) another unit's task."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from bot.conversation.core import Conversation, Incoming
from scheduler.clock import LOCAL_TZ, FixedClock
from scheduler.register.importer import import_register, load_register
from scheduler.register.links import link_chat
from scheduler.register.models import ASSIGNMENTS, EXTENSIONS, MEMBERS, OFFICIALS, TASKS, UNITS
from tests.conftest import REGISTER, assignment_id


@pytest.fixture
def bot(engine: Engine) -> Conversation:
    """The Thường Xuân register with every official linked on the console (chat id = official's code)."""
    clock = FixedClock(datetime(2022, 4, 22, 9, 0, tzinfo=LOCAL_TZ))
    import_register(engine, load_register(REGISTER), clock)
    with engine.connect() as conn:
        for official_id, code in conn.execute(select(OFFICIALS.c.id, OFFICIALS.c.code)).all():
            link_chat(engine, official_id, "console", code, clock)
    return Conversation(engine, clock)


def say(bot: Conversation, who: str, text: str = "", button: str | None = None) -> str:
    answers = bot.handle(Incoming("console", who, text=text, button=button))
    return "\n".join(a.text for a in answers)  # every answer is to the chat that spoke


def due_and_status(engine: Engine, assignment: int) -> tuple[date, str]:
    with engine.connect() as conn:
        row = conn.execute(select(ASSIGNMENTS.c.due, ASSIGNMENTS.c.status).where(ASSIGNMENTS.c.id == assignment)).one()
    return row[0], row[1]


def last_request(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(EXTENSIONS.c.id).order_by(EXTENSIONS.c.id.desc())).scalar_one())


def test_an_extension_of_a_task_already_done_is_not_granted(bot: Conversation, engine: Engine) -> None:
    target = assignment_id(engine, "Q2-13", "to-ra-soat-dat")
    due, _ = due_and_status(engine, target)
    assert "Đã gửi đề nghị gia hạn" in say(bot, "cong-chuc-dia-chinh", f"gia hạn {target} 15/6 vì mưa lũ")
    request = last_request(engine)
    assert "Đề nghị gia hạn đang chờ: 1" in say(bot, "bi-thu", "/duyet")
    bot.clock.set(datetime(2022, 5, 10, 9, 0, tzinfo=LOCAL_TZ))  # 10 days after its deadline, 30/4
    assert "Đã ghi nhận" in say(bot, "cong-chuc-dia-chinh", f"xong {target}")
    assert "Không có đề nghị gia hạn nào đang chờ" in say(bot, "bi-thu", "/duyet")  # the work is done
    answer = say(bot, "bi-thu", button=f"ok:{request}")
    assert "Không ghi được" in answer and f"việc #{target} đã xong ngày 10/05/2022" in answer
    assert due_and_status(engine, target) == (due, "done")  # still done late, not "on time"
    with engine.connect() as conn:
        assert conn.execute(select(EXTENSIONS.c.state).where(EXTENSIONS.c.id == request)).scalar_one() == "pending"


def test_an_extension_of_a_cancelled_task_is_not_granted(bot: Conversation, engine: Engine) -> None:
    from scheduler.register.changes import Actor, change_status
    from scheduler.register.models import Status

    target = assignment_id(engine, "Q2-13", "to-ra-soat-dat")
    due, _ = due_and_status(engine, target)
    say(bot, "cong-chuc-dia-chinh", f"gia hạn {target} 15/6 vì mưa lũ")
    change_status(engine, target, Status.cancelled, Actor("vp"), bot.clock)
    assert "đã hủy, nên không còn gia hạn được nữa" in say(bot, "pho-bi-thu", f"đồng ý {last_request(engine)}")
    assert due_and_status(engine, target) == (due, "cancelled")


def test_a_leader_cannot_approve_their_own_request_but_another_leader_can(bot: Conversation, engine: Engine) -> None:
    target = assignment_id(engine, "Q2-01", "dang-uy")  # the Bí thư's own unit
    due, _ = due_and_status(engine, target)
    assert "Đã gửi đề nghị gia hạn" in say(bot, "bi-thu", f"gia hạn {target} 15/7 vì chờ Huyện ủy")
    request = last_request(engine)
    answer = say(bot, "bi-thu", button=f"ok:{request}")
    assert "không ai tự quyết định đề nghị gia hạn của chính mình" in answer
    assert due_and_status(engine, target)[0] == due
    assert "Đã đồng ý gia hạn" in say(bot, "pho-bi-thu", button=f"ok:{request}")
    assert due_and_status(engine, target)[0] == date(2022, 7, 15)


@pytest.mark.parametrize(
    ("who", "text", "button", "expected"),
    [
        ("ct-cong-doan", "/caidat giờ 99:99", None, "Không có giờ 99:99"),
        ("ct-cong-doan", "/caidat giờ 23:75", None, "Không có giờ 23:75"),
        ("ct-cong-doan", "/sapden ²", None, "Số ngày phải là một số từ 1 đến 366"),
        ("ct-cong-doan", "/sapden " + "9" * 5000, None, "Số này dài quá"),
        ("ct-cong-doan", "/sapden 0", None, "trong 1 ngày tới"),  # at least one day
        ("ct-cong-doan", "xong 99999999999", None, "Không có việc số 99999999999"),
        ("ct-cong-doan", "/xong 2147483648", None, "Không có việc số 2147483648"),
        ("ct-cong-doan", "/lichsu 99999999999", None, "Không có việc số 99999999999"),
        ("ct-cong-doan", "đang làm 99999999999 50%", None, ""),  # no crash; the reply grammar decides what to ask
        ("ct-cong-doan", "", "d:99999999999", "Nút này không còn dùng được"),  # no button carries such an id
        ("ct-cong-doan", "", "k:99999999999:50", "Nút này không còn dùng được"),
        ("ct-cong-doan", "", "d:999999999999999", "Nút này không còn dùng được"),
        ("bi-thu", "", "ok:99999999999", "Nút này không còn dùng được"),
        ("bi-thu", "đồng ý 99999999999", None, "không có yêu cầu gia hạn số 99999999999"),
        ("ct-cong-doan", "xong ٣", None, ""),  # an Arabic-Indic digit: no crash
    ],
)
def test_every_number_typed_is_range_checked_politely(
    bot: Conversation, who: str, text: str, button: str | None, expected: str
) -> None:
    assert expected in say(bot, who, text, button)


def test_a_refusal_does_not_name_another_units_task(bot: Conversation, engine: Engine) -> None:
    other = assignment_id(engine, "Q2-13", "to-ra-soat-dat")
    with engine.connect() as conn:
        title, unit = conn.execute(
            select(TASKS.c.title, UNITS.c.name)
            .join(ASSIGNMENTS, ASSIGNMENTS.c.task_id == TASKS.c.id)
            .join(UNITS, UNITS.c.id == ASSIGNMENTS.c.unit_id)
            .where(ASSIGNMENTS.c.id == other)
        ).one()
    for text in (f"xong {other}", f"/lichsu {other}", f"gia hạn {other} 15/6 vì mưa", f"đang làm {other} 40%"):
        answer = say(bot, "ct-cong-doan", text)
        assert "không thuộc đơn vị của đồng chí" in answer
        assert title[:20] not in answer and unit not in answer


# --- property tests --------------------------------------------------------------------------------

MEMBERS_ = ["cong-chuc-dia-chinh", "ct-cong-doan", "truong-kp-tien-son-1", "ke-toan", "bi-thu-doan"]
IDS = st.one_of(st.integers(0, 80), st.integers(0, 2**63), st.integers(-(2**63), 0))
WORDS = ["xong", "đang làm", "gia hạn", "đồng ý", "từ chối", "/xong", "/tiendo", "/giahan", "/lichsu", "/viec",
         "/quahan", "/sapden", "/caidat", "/caidat giờ", "/nghiphep", "/kenh", "/huy", "/baocao", "/lich", "/start",
         "/toila", "/help", "/khong-co"]  # fmt: skip
TEXTS = st.one_of(
    st.text(max_size=60),
    st.tuples(st.sampled_from(WORDS), IDS, st.text(max_size=20)).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
    st.tuples(st.sampled_from(WORDS), IDS, st.integers(-1000, 10**6)).map(lambda t: f"{t[0]} {t[1]} {t[2]}%"),
    st.tuples(st.sampled_from(WORDS), st.text(alphabet="0123456789:/²³٣#%-. ", max_size=30)).map(" ".join),
)
BUTTONS = st.one_of(
    st.text(max_size=64),
    st.tuples(st.sampled_from(["d", "p", "e", "s", "s2", "sm", "ok", "no", "k", "x"]), IDS).map(
        lambda t: f"{t[0]}:{t[1]}"
    ),
    st.tuples(st.sampled_from(["k", "d"]), IDS, st.integers(-5, 2000)).map(lambda t: f"{t[0]}:{t[1]}:{t[2]}"),
)


def _others(engine: Engine, who: str) -> list[tuple[object, ...]]:
    """Every assignment of the units `who` does not belong to, as stored."""
    with engine.connect() as conn:
        own = (
            select(MEMBERS.c.unit_id)
            .join(OFFICIALS, OFFICIALS.c.id == MEMBERS.c.official_id)
            .where(OFFICIALS.c.code == who)
        )
        rows = conn.execute(select(ASSIGNMENTS).where(ASSIGNMENTS.c.unit_id.not_in(own)).order_by(ASSIGNMENTS.c.id))
        return [tuple(r) for r in rows]


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    who=st.sampled_from(MEMBERS_), steps=st.lists(st.one_of(TEXTS, BUTTONS.map(lambda b: ("button", b))), max_size=4)
)
def test_no_message_or_button_crashes_the_bot_or_touches_another_unit(
    bot: Conversation, engine: Engine, who: str, steps: list[object]
) -> None:
    before = _others(engine, who)
    for step in steps:
        if isinstance(step, tuple):
            answers = bot.handle(Incoming("console", who, button=step[1]))
        else:
            answers = bot.handle(Incoming("console", who, text=str(step)))
        assert all(isinstance(a.text, str) and a.text for a in answers)
    assert _others(engine, who) == before


# --- linking ---------------------------------------------------------------------------------------


def test_wrong_invite_codes_are_limited_per_chat(bot: Conversation, engine: Engine) -> None:
    from scheduler.register.invites import create_invite
    from scheduler.register.links import find_official_id

    good = create_invite(engine, find_official_id(engine, "ke-toan"), bot.clock)
    for attempt in range(5):
        assert "mã mời không đúng" in say(bot, "9001", f"/start sai-ma-{attempt:02d}-xxxxxxxx")
    answer = say(bot, "9001", f"/start {good}")  # even the right code waits now
    assert "đã nhập sai mã mời 5 lần trong một giờ" in answer and "Xin đợi đến 10:00" in answer
    assert "mã mời không đúng" in say(bot, "9002", "/start sai-ma-khac-xxxxxxxx")  # another chat is not held up
    bot.clock.set(datetime(2022, 4, 22, 10, 1, tzinfo=LOCAL_TZ))
    assert "Đã liên kết" in say(bot, "9001", f"/start {good}")


def test_a_linked_chat_is_asked_before_it_changes_official(bot: Conversation, engine: Engine) -> None:
    from scheduler.register.invites import create_invite
    from scheduler.register.links import find_official_id

    code = create_invite(engine, find_official_id(engine, "ke-toan"), bot.clock)
    question = say(bot, "ct-cong-doan", f"/start {code}")
    assert "Chat này đang liên kết với đồng chí" in question and "Đổi chat này sang đồng chí" in question
    assert "vẫn liên kết" in say(bot, "ct-cong-doan", "2")
    assert "Bùi Thị K" in say(bot, "ct-cong-doan", "/toila")
    say(bot, "ct-cong-doan", f"/start {code}")  # the code was not spent: ask again, and this time change
    assert "Đã liên kết chat này với đồng chí" in say(bot, "ct-cong-doan", "1")
    assert "Đỗ Văn H" in say(bot, "ct-cong-doan", "/toila")
