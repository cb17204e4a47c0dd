"""The dry run is the planner's own answer, and a change at 07:20 (/kenh, leave, a new time) counts that morning."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time

import pytest
from sqlalchemy import Engine, select

from bot.cli import main
from bot.conversation.core import Conversation, Incoming
from scheduler.clock import LOCAL_TZ, FixedClock
from scheduler.outbox.dispatcher import Dispatcher
from scheduler.outbox.notify import LoggingNotifier
from scheduler.outbox.planner import dry_run, plan_all
from scheduler.outbox.ratelimit import RateLimiter
from scheduler.register.importer import import_register, load_register
from scheduler.register.links import find_official_id, link_chat
from scheduler.register.models import OFFICIALS, REMINDERS, ReminderState
from tests.conftest import REGISTER


def unlimited() -> RateLimiter:
    return RateLimiter(per_second=10**6, per_chat_second=10**6, per_group_minute=10**6)


def at(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LOCAL_TZ)


APRIL_29, APRIL_30 = date(2022, 4, 29), date(2022, 4, 30)


def outbox(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return sorted(
            tuple(r)
            for r in conn.execute(
                select(
                    REMINDERS.c.official_id,
                    REMINDERS.c.channel,
                    REMINDERS.c.assignment_id,
                    REMINDERS.c.kind,
                    REMINDERS.c.planned_for,
                    REMINDERS.c.state,
                )
            )
        )


def test_the_dry_run_on_29_and_30_april_is_exactly_what_the_planner_then_sends(
    linked: Engine, clock: FixedClock
) -> None:
    notifier = LoggingNotifier("console")
    dispatcher = Dispatcher(linked, {"console": notifier}, clock, limiter=unlimited())
    # Friday 29/4: the day before the holiday, the busiest morning of the quarter
    clock.set(at(APRIL_29, 7, 31))
    shown = dry_run(linked, clock)
    assert outbox(linked) == []  # the dry run wrote nothing
    # 12: the 18/4 flag ceremony is an event, counted "not reported", no longer nagged to UBND's two officials
    assert len(shown) >= 12 and {r["kind"] for r in shown} >= {"due_today"}
    plan_all(linked, clock)
    asyncio.run(dispatcher.run_once())
    sent = [
        (r[0], r[1], r[2], r[3], r[4]) for r in outbox(linked) if r[5] == ReminderState.sent.value
    ]  # what the planner wrote and the dispatcher sent that morning
    assert sorted(
        (r["official_id"], r["channel"], r["assignment_id"], r["kind"], r["planned_for"]) for r in shown
    ) == sorted(sent)
    assert sorted((d.official_name, i.task_code, i.kind) for d in notifier.delivered for i in d.items) == sorted(
        (r["official_name"], r["code"], r["kind"]) for r in shown
    )
    # Saturday 30/4, a public holiday: the on-the-day reminders went out on Friday; nothing is listed, nothing sent
    clock.set(at(APRIL_30, 7, 31))
    before = outbox(linked)
    assert dry_run(linked, clock) == []
    plan_all(linked, clock)
    asyncio.run(Dispatcher(linked, {"console": notifier}, clock, limiter=unlimited()).run_once())
    assert outbox(linked) == before and len(notifier.delivered) == len({r[0] for r in sent})


def test_the_dry_run_command_on_the_holiday_says_nothing_goes_out(
    engine: Engine, clock: FixedClock, capsys: pytest.CaptureFixture[str]
) -> None:
    """Measured on main before: 14 reminders "[đến hạn]" for 10 people on Saturday 30/4, which nobody sends."""
    import_register(engine, load_register(REGISTER), clock)
    url = engine.url.render_as_string(hide_password=False)
    assert main(["--database", url, "remind", "--dry-run", "--today", "2022-04-30"]) == 0
    out = capsys.readouterr().out
    assert out.strip() == "Hôm nay (30/04/2022) là ngày nghỉ: không gửi lời nhắc nào." and "[đến hạn]" not in out
    assert main(["--database", url, "remind", "--dry-run", "--today", "2022-04-30", "--json"]) == 0
    assert capsys.readouterr().out.strip() == "[]"


def test_kenh_zalo_at_0720_moves_that_mornings_reminders(engine: Engine, clock: FixedClock) -> None:
    import_register(engine, load_register(REGISTER), clock)
    k = find_official_id(engine, "ct-cong-doan")  # Bùi Thị K: Công đoàn's four tasks due Saturday 30/4
    link_chat(engine, k, "telegram", "111", clock)
    link_chat(engine, k, "zalo", "z111", clock)
    talk = Conversation(engine, clock)
    assert (
        talk.handle(Incoming("telegram", "111", text="/kenh telegram"))[0].text == "Từ nay lời nhắc gửi qua Telegram."
    )
    telegram, zalo = LoggingNotifier("telegram"), LoggingNotifier("zalo")
    dispatcher = Dispatcher(engine, {"telegram": telegram, "zalo": zalo}, clock, limiter=unlimited())

    def hers(state: str) -> dict[str, int]:
        found: dict[str, int] = {}
        for official, channel, _a, _kind, _day, row_state in outbox(engine):
            if official == k and row_state == state:
                found[channel] = found.get(channel, 0) + 1
        return found

    clock.set(at(APRIL_29, 7, 0))
    plan_all(engine, clock)
    assert hers("planned") == {"telegram": 4}
    clock.set(at(APRIL_29, 7, 20))
    assert talk.handle(Incoming("telegram", "111", text="/kenh zalo"))[0].text == "Từ nay lời nhắc gửi qua Zalo."
    clock.set(at(APRIL_29, 7, 21))
    plan_all(engine, clock)
    assert hers("planned") == {"zalo": 4} and hers("skipped") == {"telegram": 4}
    clock.set(at(APRIL_29, 7, 31))
    plan_all(engine, clock)
    asyncio.run(dispatcher.run_once())
    assert telegram.delivered == []
    assert [(d.official_name, len(d.items)) for d in zalo.delivered] == [("Bùi Thị K", 4)]
    # back to Telegram after the morning went out on Zalo: nothing is sent twice
    clock.set(at(APRIL_29, 7, 40))
    talk.handle(Incoming("zalo", "z111", text="/kenh telegram"))
    plan_all(engine, clock)
    asyncio.run(dispatcher.run_once())
    assert telegram.delivered == [] and len(zalo.delivered) == 1 and hers("planned") == {}


def test_leave_and_a_new_morning_time_at_0720_count_that_morning(engine: Engine, clock: FixedClock) -> None:
    import_register(engine, load_register(REGISTER), clock)
    codes = ("ct-cong-doan", "bi-thu", "cong-chuc-dia-chinh")
    for code in codes:
        link_chat(engine, find_official_id(engine, code), "console", code, clock)
    notifier = LoggingNotifier("console")
    dispatcher = Dispatcher(engine, {"console": notifier}, clock, limiter=unlimited())
    talk = Conversation(engine, clock)
    clock.set(at(APRIL_29, 7, 0))
    plan_all(engine, clock)
    clock.set(at(APRIL_29, 7, 20))
    assert (
        "nghỉ phép đến hết 30/04/2022"
        in talk.handle(Incoming("console", "ct-cong-doan", text="/nghiphep đến 30/4"))[0].text
    )
    later = talk.handle(Incoming("console", "cong-chuc-dia-chinh", text="/caidat giờ 08:15"))[0].text
    assert later == "Đã đổi giờ nhận tin buổi sáng thành 08:15."
    clock.set(at(APRIL_29, 7, 21))
    plan_all(engine, clock)
    clock.set(at(APRIL_29, 7, 31))
    plan_all(engine, clock)
    asyncio.run(dispatcher.run_once())
    first = {d.official_name: {i.unit_name for i in d.items} for d in notifier.delivered}
    assert "Bùi Thị K" not in first  # on leave from this morning
    assert "Vũ Thị G" not in first  # she asked for 08:15
    assert "Công đoàn cơ quan thị trấn" in first["Nguyễn Văn A"]  # the leader hears of Công đoàn's tasks meanwhile
    clock.set(at(APRIL_29, 8, 16))
    plan_all(engine, clock)
    asyncio.run(dispatcher.run_once())
    assert [d.official_name for d in notifier.delivered].count("Vũ Thị G") == 1


def test_a_big_morning_planned_in_pieces_never_sends_again_on_the_new_channel(
    engine: Engine, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Wednesday 4/5 K hears of her four overdue tasks on Telegram, then chooses Zalo. On Thursday 5/5 their
    latest reminder is still Wednesday's, and everyone else is linked that morning: the morning is planned
    3 rows a piece, each piece compared with the outbox before it is written, so Zalo does not get
    Wednesday's reminders again (K's tasks come after the first piece)."""
    import scheduler.outbox.planner as planner

    monkeypatch.setattr(planner, "ROWS_PER_TICK", 3)
    import_register(engine, load_register(REGISTER), clock)
    k = find_official_id(engine, "ct-cong-doan")
    link_chat(engine, k, "telegram", "111", clock)
    link_chat(engine, k, "zalo", "z111", clock)
    talk = Conversation(engine, clock)
    talk.handle(Incoming("telegram", "111", text="/kenh telegram"))
    notifiers = {c: LoggingNotifier(c) for c in ("console", "telegram", "zalo")}
    clock.set(at(date(2022, 5, 4), 7, 31))
    plan_all(engine, clock)
    asyncio.run(Dispatcher(engine, notifiers, clock, limiter=unlimited()).run_once())
    assert [(d.official_name, len(d.items)) for d in notifiers["telegram"].delivered] == [("Bùi Thị K", 4)]
    clock.set(at(date(2022, 5, 4), 16, 0))
    talk.handle(Incoming("telegram", "111", text="/kenh zalo"))
    clock.set(at(date(2022, 5, 5), 7, 0))
    with engine.connect() as conn:
        officials = conn.execute(select(OFFICIALS.c.id, OFFICIALS.c.code)).all()
    for official_id, code in officials:
        if official_id != k:
            link_chat(engine, official_id, "console", code, clock)
    clock.set(at(date(2022, 5, 5), 7, 31))
    report = plan_all(engine, clock)
    asyncio.run(Dispatcher(engine, notifiers, clock, limiter=unlimited()).run_once())
    assert report.deferred == 0 and notifiers["console"].delivered  # the others' Thursday went out
    assert notifiers["zalo"].delivered == [] and len(notifiers["telegram"].delivered) == 1
