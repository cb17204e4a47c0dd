"""Ad-hoc assignments (/giaoviec): how a line is read, the typed confirmation, and the task in the register."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine

from bot.conversation.core import Conversation
from bot.conversation.incoming import Incoming
from scheduler.clock import FixedClock, local_today
from scheduler.register.adhoc import AdhocError, read_adhoc
from scheduler.register.importer import import_register, load_register, read_register
from scheduler.register.links import find_official_id, link_chat
from scheduler.reporting.stats import parse_period, statistics
from tests.conftest import REGISTER

TODAY = date(2022, 4, 8)


@pytest.mark.parametrize(
    ("line", "lead", "title", "due"),
    [
        # the issue's own example: the unit by the start of its name, "trước X" is the day before X
        ("Công đoàn: tổ chức hội nghị CBCC trước 30/6", "cong-doan", "Tổ chức hội nghị CBCC", date(2022, 6, 29)),
        # a group of units
        ("các chi bộ: nộp báo cáo sơ kết chậm nhất 15/5", "cac-chi-bo", "Nộp báo cáo sơ kết", date(2022, 5, 15)),
        # no colon: the unit's full name opens the line
        ("Khu phố Tiến Sơn 1 dọn vệ sinh trong tháng 5", "kp-tien-son-1", "Dọn vệ sinh", date(2022, 5, 31)),
        # an abbreviation and an explicit year
        ("UBND thị trấn: hoàn thiện hồ sơ đất ngày 20/5/2022", "ubnd", "Hoàn thiện hồ sơ đất", date(2022, 5, 20)),
    ],
)
def test_a_line_gives_its_unit_title_and_deadline(line: str, lead: str, title: str, due: date) -> None:
    task = read_adhoc(None, line, TODAY, load_register(REGISTER))  # type: ignore[arg-type]
    assert (task.lead, task.title, task.due, task.quote) == (lead, title, due, line)


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("Đoàn phường: họp trước 30/6", "không thấy đơn vị"),  # unknown unit, with the closest names
        ("Công đoàn: tổ chức hội nghị", "chưa thấy hạn"),  # no deadline
        ("tổ chức hội nghị trước 30/6", "chưa thấy đơn vị"),  # no unit
        ("Công đoàn: họp ngày 1/3/2022", "đã qua"),  # a deadline in the past
        ("Công đoàn: trước 30/6", "chưa thấy việc"),  # nothing to do
    ],
)
def test_a_line_that_cannot_be_read_says_what_is_missing(line: str, says: str) -> None:
    with pytest.raises(AdhocError, match=says):
        read_adhoc(None, line, TODAY, load_register(REGISTER))  # type: ignore[arg-type]


def test_on_zalo_the_assignment_is_confirmed_by_typing_and_counts_in_statistics_and_export(
    engine: Engine, clock: FixedClock
) -> None:
    import_register(engine, load_register(REGISTER), clock)
    link_chat(engine, find_official_id(engine, "chu-tich-ubnd"), "zalo", "z-leader", clock)
    talk = Conversation(engine, clock)
    before = _assigned_to_the_union(engine, clock)
    asked = talk.handle(Incoming("zalo", "z-leader", text="/giaoviec Công đoàn: tổ chức hội nghị CBCC trước 30/6"))
    assert asked[0].buttons == [] and 'Gõ "đồng ý" để ghi vào sổ' in asked[0].text
    done = talk.handle(Incoming("zalo", "z-leader", text="đồng ý", message_id="77"))
    assert done[0].text.startswith("✅ Đã giao việc GV-20220408-1")
    exported = {t.code: t for t in read_register(engine).tasks}
    assert exported["GV-20220408-1"].lead == ["cong-doan"] and exported["GV-20220408-1"].due == date(2022, 6, 29)
    assert _assigned_to_the_union(engine, clock) == before + 1


def _assigned_to_the_union(engine: Engine, clock: FixedClock) -> int:
    stats = statistics(engine, parse_period("2022-Q2"), local_today(clock))
    return next(u.assigned for u in stats.units if u.unit_code == "cong-doan")
