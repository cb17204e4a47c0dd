"""Leaders' view: statistics by period, the chart, the Excel report, the calendar, /report and the Monday digest.

The register is Thường Xuân's with a scripted history; every expected figure below is counted by hand
from the register's 33 assignments due in Q2/2022 (listed in data/register.yaml).
"""

from __future__ import annotations

import asyncio
import io
from datetime import date, datetime, time
from pathlib import Path

import pytest
from icalendar import Calendar
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import Engine, select

from bot.channels.console import ConsoleChannel
from bot.cli import main
from bot.conversation.core import Conversation, Incoming
from scheduler.clock import LOCAL_TZ, FixedClock
from scheduler.outbox.dispatcher import Dispatcher
from scheduler.outbox.queue import WEEKLY
from scheduler.outbox.ratelimit import RateLimiter
from scheduler.register.changes import Actor, change_status, decide_extension, request_extension
from scheduler.register.importer import import_register, load_register
from scheduler.register.links import find_official_id, link_chat
from scheduler.register.models import ACTIVE_STATUSES, ASSIGNMENTS, MESSAGES, UNITS, Status
from scheduler.reporting.chart import stacked_chart
from scheduler.reporting.stats import BUCKETS, PeriodError, parse_period, report_lines, statistics
from scheduler.reporting.weekly import digest_day, plan_weekly
from tests.conftest import REGISTER, assignment_id

Q2 = parse_period("2022-Q2")
JULY_1 = date(2022, 7, 1)


def at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=LOCAL_TZ)


def scripted_history(engine: Engine, clock: FixedClock) -> None:
    """Some closed on time, one late, one extended then closed, one extended and in progress, the rest never."""
    leader = find_official_id(engine, "bi-thu")

    def close(task: str, unit: str, day: date) -> None:
        clock.set(at(day))
        change_status(engine, assignment_id(engine, task, unit), Status.done, Actor("test"), clock)

    def extend(task: str, unit: str, day: date, new_due: date) -> None:
        clock.set(at(day))
        official = find_official_id(engine, "van-phong-du")
        request = request_extension(
            engine, assignment_id(engine, task, unit), official, new_due, "thiếu kinh phí", clock
        )
        decide_extension(engine, request, leader, True, clock)

    close("Q2-04", "cong-doan", date(2022, 4, 28))  # due 30/4: on time
    close("Q2-16", "vp-ubnd", date(2022, 5, 5))  # due 30/4: late
    extend("Q2-19", "mttq", date(2022, 4, 25), date(2022, 5, 31))
    close("Q2-19", "mttq", date(2022, 5, 20))  # within its extension: on time, extended
    clock.set(at(date(2022, 5, 1)))
    change_status(engine, assignment_id(engine, "Q2-20", "doan-tn"), Status.in_progress, Actor("t"), clock, 50)
    close("Q2-02", "cb-co-quan", date(2022, 5, 31))  # on its very due day: on time
    extend("Q2-01", "dang-uy", date(2022, 6, 20), date(2022, 7, 31))
    clock.set(at(date(2022, 6, 21)))
    change_status(engine, assignment_id(engine, "Q2-01", "dang-uy"), Status.in_progress, Actor("t"), clock, 60)
    close("Q2-03", "doan-tn", date(2022, 7, 2))  # after the report day: still overdue on 1/7


@pytest.fixture
def history(engine: Engine, clock: FixedClock) -> Engine:
    import_register(engine, load_register(REGISTER), clock)
    scripted_history(engine, clock)
    clock.set(at(JULY_1, 8))
    return engine


def counts(stats_unit: object) -> tuple[int, ...]:
    names = ("assigned", "done_on_time", "done_late", "in_progress", "not_started", "overdue", "extended")
    return tuple(getattr(stats_unit, n) for n in names)


def test_q2_statistics_seen_on_1_july_are_the_hand_counted_ones(history: Engine) -> None:
    stats = statistics(history, Q2, JULY_1)
    #                     giao đúng trễ đang chưa quá gia hạn
    assert counts(stats.total) == (33, 3, 1, 1, 0, 27, 2)
    assert stats.total.not_reported == 1  # the flag ceremony of 18/4 (no planner ran: its only occurrence)
    assert stats.total.on_time_rate == pytest.approx(3 / 31)  # a routine nobody confirmed is not in the rate
    by_code = {u.unit_code: u for u in stats.units}
    assert counts(by_code["cong-doan"]) == (5, 1, 0, 0, 0, 4, 0)  # Q2-04 on time; Q2-05, 06, 19, 20 overdue
    assert counts(by_code["dang-uy"]) == (2, 0, 0, 1, 0, 1, 1)  # Q2-01 extended to 31/7, 60%; Q2-07 overdue
    assert counts(by_code["mttq"]) == (2, 1, 0, 0, 0, 1, 1)
    assert counts(by_code["vp-ubnd"]) == (1, 0, 1, 0, 0, 0, 0)
    assert by_code["vp-ubnd"].on_time_rate == 0.0
    assert counts(by_code["doan-tn"]) == (3, 0, 0, 0, 0, 3, 0)  # Q2-03 closed on 2/7 is not done on 1/7
    assert sum(u.assigned for u in stats.units) == stats.total.assigned
    # worst first: the most overdue unit leads; a unit with nothing overdue and all on time comes last
    assert stats.units[0].unit_code == "cong-doan"
    assert stats.units[-1].unit_code == "cb-co-quan"
    overdue = [u.overdue for u in stats.units]
    assert overdue == sorted(overdue, reverse=True)


def test_the_same_quarter_seen_later_counts_the_late_closing(history: Engine) -> None:
    later = statistics(history, Q2, date(2022, 7, 5))
    assert counts(later.total) == (33, 3, 2, 1, 0, 26, 2)  # Q2-03 closed on 2/7, after its 30/6 deadline


def test_a_month_counts_only_what_it_gave(history: Engine) -> None:
    april = statistics(history, parse_period("2022-04"), date(2022, 4, 29))
    # due in April: Q2-17 (18/4), Q2-12 ×2 (29/4, moved from the holiday 30/4), and eleven due 30/4
    # (Q2-04, 05, 06, 13, 16, 19 ×6)
    assert april.total.assigned == 14
    assert april.total.done_on_time == 1 and april.total.overdue == 0  # Q2-04 closed 28/4
    assert april.total.not_reported == 1  # the flag ceremony of 18/4: an event, counted, not chased
    assert april.total.extended == 1 and april.total.not_started == 12  # Q2-16, closed on 5/5, is not yet


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("2022-04", date(2022, 4, 1), date(2022, 4, 30)),
        ("2022-Q2", date(2022, 4, 1), date(2022, 6, 30)),
        ("q4/2022", date(2022, 10, 1), date(2022, 12, 31)),
        ("2022", date(2022, 1, 1), date(2022, 12, 31)),
        ("2022-02", date(2022, 2, 1), date(2022, 2, 28)),
        ("2022-04-30", date(2022, 4, 30), date(2022, 4, 30)),
    ],
)
def test_periods(text: str, first: date, last: date) -> None:
    period = parse_period(text)
    assert (period.first, period.last) == (first, last)


@pytest.mark.parametrize("text", ["2022-Q5", "2022-13", "tháng 4", "2022-02-30", ""])
def test_a_bad_period_says_how_to_write_one(text: str) -> None:
    with pytest.raises(PeriodError, match="2022-Q2|không có thật"):
        parse_period(text)


def test_xlsx_holds_the_rows_the_colours_and_the_unit_sheet(history: Engine, tmp_path: Path) -> None:
    out = tmp_path / "bao-cao.xlsx"
    assert main(["--database", str(history.url), "report", "--period", "2022-Q2", "--today", "2022-07-01",
                 "--format", "xlsx", "-o", str(out)]) == 0  # fmt: skip
    book = load_workbook(out)
    assert book.sheetnames == ["Nhiệm vụ", "Thống kê"]
    sheet = book["Nhiệm vụ"]
    headings = [c.value for c in sheet[3]]
    assert headings == [
        "STT", "Nhiệm vụ", "Đơn vị chủ trì", "Đơn vị phối hợp", "Thời hạn", "Tình trạng", "Ngày hoàn thành", "Ghi chú"
    ]  # fmt: skip
    assert sheet.freeze_panes == "A4"
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=4)]
    assert len(rows) == 33 and [r[0] for r in rows] == list(range(1, 34))
    by_key = {(r[1], r[2]): (r, sheet.cell(row=4 + n, column=6)) for n, r in enumerate(rows)}

    def find(code: str, unit: str) -> tuple[list[object], object]:
        return next(v for (title, u), v in by_key.items() if f"({code})" in title and u == unit)

    late, late_cell = find("Q2-16", "Văn phòng UBND thị trấn")
    assert late[5] == "Xong trễ hạn" and late[6].date() == date(2022, 5, 5)
    assert late_cell.fill.fgColor.rgb.endswith("FFE0B2")
    extended, extended_cell = find("Q2-19", "Ủy ban MTTQ thị trấn")
    assert extended[4].date() == date(2022, 5, 31) and extended[5] == "Xong đúng hạn"
    assert str(extended[7]).startswith("Đã gia hạn; hạn gốc 30/04/2022")
    assert extended_cell.fill.fgColor.rgb.endswith("C8E6C9")
    overdue, overdue_cell = find("Q2-03", "Đoàn TNCS Hồ Chí Minh thị trấn")
    assert overdue[5] == "Quá hạn" and overdue[6] is None and overdue_cell.fill.fgColor.rgb.endswith("FFCDD2")
    progress, progress_cell = find("Q2-01", "Đảng ủy thị trấn Thường Xuân")
    assert progress[5] == "Đang làm, trong hạn (60%)" and progress_cell.fill.fgColor.rgb.endswith("BBDEFB")
    assert sheet.column_dimensions["B"].width >= 40  # the task column fits its Vietnamese titles
    assert sheet.column_dimensions["F"].width >= len("Đang làm, trong hạn (60%)")  # a state never wraps
    dates = [c for row in sheet.iter_rows(min_row=4, min_col=5, max_col=7) for c in row if c.column in (5, 7)]
    assert dates and all(c.is_date and c.number_format == "dd/mm/yyyy" for c in dates if c.value is not None)
    summary = book["Thống kê"]
    table = [[c.value for c in row] for row in summary.iter_rows(min_row=4)]
    assert table[0][1] == "Công đoàn cơ quan thị trấn" and table[0][2:9] == [5, 1, 0, 0, 0, 4, 0]
    assert table[-1][1] == "Tổng cộng" and table[-1][2:9] == [33, 3, 1, 1, 0, 27, 2]
    assert table[-1][9] == pytest.approx(3 / 31) and table[-1][10] == 1  # the 18/4 flag ceremony: not reported


def test_the_chart_is_a_png_of_the_expected_size_labelled_from_the_data(history: Engine) -> None:
    stats = statistics(history, Q2, JULY_1)
    chart = stacked_chart(stats)
    image = Image.open(io.BytesIO(chart.png))
    assert image.format == "PNG" and image.size == (1200, 800)
    assert list(chart.labels) == [u.unit_name for u in stats.units[:15]]
    totals = [sum(getattr(u, b) for b in BUCKETS) for u in stats.units[:15]]
    assert list(chart.totals) == totals  # each bar ends with its count
    drawn = [f"{label}: {total}" for label, total in zip(chart.labels, totals, strict=True)]
    assert image.info["Description"].split("\n") == drawn  # what is drawn, read back from the file
    assert "Công đoàn cơ quan thị trấn" in chart.labels and len(stats.units) > 15


def test_the_calendar_holds_one_event_per_open_task_of_the_unit(history: Engine, tmp_path: Path) -> None:
    union = find_unit(history, "cong-doan")
    out = tmp_path / "cong-doan.ics"
    assert main(["--database", str(history.url), "ical", "--unit", "cong-doan", "-o", str(out)]) == 0
    calendar = Calendar.from_ical(out.read_bytes())
    events = list(calendar.walk("VEVENT"))
    with history.connect() as conn:
        open_ids = set(
            conn.execute(
                select(ASSIGNMENTS.c.id).where(
                    ASSIGNMENTS.c.unit_id == union, ASSIGNMENTS.c.status.in_(ACTIVE_STATUSES)
                )
            ).scalars()
        )
    assert len(events) == len(open_ids) == 4  # Q2-05, 06, 19, 20; Q2-04 is closed
    assert {int(str(e["uid"]).split("-")[1].split("@")[0]) for e in events} == open_ids
    for event in events:
        assert event["dtstart"].dt.isoformat() in ("2022-04-30", "2022-05-19")
        assert list(event.walk("VALARM"))  # a phone reminder the day before


def find_unit(engine: Engine, code: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(UNITS.c.id).where(UNITS.c.code == code)).scalar_one())


def ask(engine: Engine, clock: FixedClock, who: str, text: str) -> list:
    """Link `who` on the console and send `text`; returns the core's answers."""
    chat = f"chat-{who}"
    link_chat(engine, find_official_id(engine, who), "console", chat, clock)
    return Conversation(engine, clock).handle(Incoming("console", chat, text=text))


def test_a_member_asking_for_the_report_is_refused(history: Engine, clock: FixedClock) -> None:
    [answer] = ask(history, clock, "ct-cong-doan", "/report")
    assert "dành cho lãnh đạo" in answer.text and answer.attachment is None


def test_a_leader_gets_the_chart_and_a_short_summary(history: Engine, clock: FixedClock) -> None:
    [answer] = ask(history, clock, "bi-thu", "/baocao 2022-Q2")
    assert answer.attachment is not None and answer.attachment.is_photo
    assert Image.open(io.BytesIO(answer.attachment.data)).size == (1200, 800)
    assert "quý 2/2022" in answer.text and "Được giao 33" in answer.text and "10% (3 trên 31 việc)" in answer.text
    assert "1. Công đoàn cơ quan thị trấn — quá hạn 4 trên 5 việc" in answer.text
    assert "20 đơn vị" not in answer.text and "5 đơn vị còn lại" in answer.text  # 20 units: 15 drawn, 5 counted
    assert len(answer.text) <= 1024  # fits a Telegram photo caption
    [current] = ask(history, clock, "bi-thu", "/baocao")  # on 1 July the default is the quarter just begun
    assert "quý 3/2022" in current.text and "/baocao 2022-Q2" in current.text
    [bad] = ask(history, clock, "bi-thu", "/baocao quý năm")
    assert "2022-Q2" in bad.text and bad.attachment is None


def test_lich_sends_the_members_own_units_calendar_and_refuses_another_unit(history: Engine, clock: FixedClock) -> None:
    [answer] = ask(history, clock, "ct-cong-doan", "/lich")
    assert answer.attachment is not None and answer.attachment.filename.endswith(".ics")
    assert len(list(Calendar.from_ical(answer.attachment.data).walk("VEVENT"))) == 4
    [refused] = ask(history, clock, "ct-cong-doan", "/lich UBND thị trấn")
    assert refused.attachment is None and "đơn vị mình" in refused.text


def test_zalo_gets_the_summary_without_a_picture(history: Engine, clock: FixedClock) -> None:
    link_chat(history, find_official_id(history, "bi-thu"), "zalo", "z-1", clock)
    [answer] = Conversation(history, clock).handle(Incoming("zalo", "z-1", text="/baocao 2022-Q2"))
    assert answer.attachment is None and "Được giao 33" in answer.text and "Telegram" in answer.text


# --- the Monday digest ---------------------------------------------------------------------------


def test_a_bot_started_late_in_the_week_waits_for_next_monday(engine: Engine, clock: FixedClock) -> None:
    import_register(engine, load_register(REGISTER), clock)
    link_chat(engine, find_official_id(engine, "bi-thu"), "console", "chat-bi-thu", clock)
    clock.set(at(date(2022, 4, 8)))  # a Friday
    assert plan_weekly(engine, clock) == 0
    clock.set(at(date(2022, 4, 6)))  # a Wednesday: two days after Monday 4/4, still caught up
    assert plan_weekly(engine, clock) == 1


def test_digest_day_moves_past_a_monday_holiday() -> None:
    assert digest_day(date(2022, 4, 11)) == date(2022, 4, 12)  # Hùng Kings' day, observed
    assert digest_day(date(2022, 4, 18)) == date(2022, 4, 18)


def test_the_monday_digest_of_11_april_goes_out_on_tuesday_12_april_once(engine: Engine, clock: FixedClock) -> None:
    import_register(engine, load_register(REGISTER), clock)
    console = ConsoleChannel(write=lambda _text: None)
    leaders = ("bi-thu", "pho-bi-thu", "chu-tich-ubnd")
    for code in (*leaders, "ct-cong-doan"):
        link_chat(engine, find_official_id(engine, code), "console", f"chat-{code}", clock)
    clock.set(at(date(2022, 4, 8), 10))  # a change before the week, reported as "since last Monday"
    change_status(engine, assignment_id(engine, "Q2-04", "cong-doan"), Status.done, Actor("Bùi Thị K"), clock)
    limiter = RateLimiter(per_second=1000, per_chat_second=1000)
    dispatcher = Dispatcher(engine, {"console": console}, clock, limiter=limiter)

    def tick(day: date, hour: int, minute: int = 0, sender: Dispatcher = dispatcher) -> None:
        clock.set(datetime.combine(day, time(hour, minute), tzinfo=LOCAL_TZ))
        plan_weekly(engine, clock)
        asyncio.run(sender.run_once())

    def digests() -> dict[str, list[str]]:
        return {c: [s.text for s in console.inbox[f"chat-{c}"] if s.text.startswith("📅")] for c in leaders}

    for hour in (7, 8, 12, 17):  # Monday 11/4 is a holiday: nothing
        tick(date(2022, 4, 11), hour, 31)
    assert all(not texts for texts in digests().values())
    tick(date(2022, 4, 12), 7, 0)  # too early
    assert all(not texts for texts in digests().values())
    tick(date(2022, 4, 12), 7, 30)
    tick(date(2022, 4, 12), 7, 31)
    tick(date(2022, 4, 12), 7, 32, Dispatcher(engine, {"console": console}, clock, limiter=limiter))  # a restart

    sent = digests()
    assert all(len(texts) == 1 for texts in sent.values())  # each leader once
    assert not [s for s in console.inbox["chat-ct-cong-doan"] if s.text.startswith("📅")]  # members get none
    text = sent["bi-thu"][0]
    assert "tuần 11/04–17/04/2022" in text
    assert "Quá hạn: 0 việc" in text  # 11/4 was a holiday: no flag ceremony, nothing overdue
    assert "(Q2-04) Công đoàn cơ quan thị trấn: ✅ xong (08/04)" in text  # the number to type beside the code
    shown = next(s for s in console.inbox["chat-bi-thu"] if s.text.startswith("📅"))
    assert shown.attachment is not None and Image.open(io.BytesIO(shown.attachment.data)).size == (1200, 800)
    with engine.connect() as conn:
        rows = conn.execute(
            select(MESSAGES.c.key, MESSAGES.c.state, MESSAGES.c.sent_at).where(MESSAGES.c.kind == WEEKLY)
        ).all()
    assert len(rows) == 3 and {r.key for r in rows} == {"2022-04-11"} and {r.state for r in rows} == {"sent"}
    assert {r.sent_at.astimezone(LOCAL_TZ).date() for r in rows} == {date(2022, 4, 12)}


def test_report_lines_follow_the_deadlines(history: Engine) -> None:
    lines = list(report_lines(history, Q2, JULY_1))
    assert len(lines) == 33
    assert [line.original_due for line in lines] == sorted(line.original_due for line in lines)
