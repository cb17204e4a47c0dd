"""The one way into the outbox (`enqueue`) and the transitions of a single message, each against the real
database (SQLite and PostgreSQL): enqueued once, claimed with its owner and a lease, sent, retried, swept."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import Engine, select, update

from scheduler.clock import LOCAL_TZ, FixedClock, to_utc
from scheduler.outbox.dispatcher import Dispatcher
from scheduler.outbox.notify import Delivery, DeliveryError, LoggingNotifier
from scheduler.outbox.queue import EXTENSION_REQUEST, SNOOZE, Outgoing, Remind, enqueue
from scheduler.outbox.ratelimit import RateLimiter
from scheduler.register.importer import import_register, load_register
from scheduler.register.links import find_official_id, link_chat
from scheduler.register.models import MESSAGES, REMINDERS, ReminderState
from tests.conftest import REGISTER, assignment_id

NOW = datetime(2022, 4, 23, 22, 15, tzinfo=LOCAL_TZ)  # a Saturday night: no reminder may go, a request may


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Engine:
    import_register(engine, load_register(REGISTER), clock)
    link_chat(engine, find_official_id(engine, "bi-thu"), "console", "chat-bi-thu", clock)
    clock.set(NOW)
    return engine


def request(engine: Engine, key: str = "1:chat-bi-thu", channel: str = "console") -> Outgoing:
    return Outgoing(find_official_id(engine, "bi-thu"), channel, EXTENSION_REQUEST, key, "📅 Đề nghị gia hạn", (
        (("👍 Đồng ý", "ok:1"), ("👎 Từ chối", "no:1")),
    ))  # fmt: skip


def message_rows(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(MESSAGES).order_by(MESSAGES.c.id)).mappings()]


def dispatcher(engine: Engine, clock: FixedClock, notifier: object | None = None) -> Dispatcher:
    limiter = RateLimiter(per_second=10**6, per_chat_second=10**6, per_group_minute=10**6)
    return Dispatcher(engine, {"console": notifier or LoggingNotifier()}, clock, limiter=limiter)  # type: ignore[dict-item]


def test_enqueueing_the_same_message_twice_writes_it_once(town: Engine, clock: FixedClock) -> None:
    for _ in range(2):
        with town.begin() as conn:
            enqueue(conn, [request(town)], clock.now())
    [row] = message_rows(town)
    assert (
        row["state"] == "planned"
        and row["attempts"] == 0
        and row["buttons"] == [[["👍 Đồng ý", "ok:1"], ["👎 Từ chối", "no:1"]]]
    )
    assert row["send_after"] == clock.now()


def test_a_message_is_written_with_the_change_or_not_at_all(town: Engine, clock: FixedClock) -> None:
    with pytest.raises(RuntimeError), town.begin() as conn:
        enqueue(conn, [request(town)], clock.now())
        raise RuntimeError("the change that caused it failed")
    assert message_rows(town) == []


def test_a_claim_takes_one_message_with_its_owner_and_a_lease_then_finish_records_it(
    town: Engine, clock: FixedClock
) -> None:
    with town.begin() as conn:
        enqueue(conn, [request(town), request(town, "2:chat-bi-thu")], clock.now())
    sender = dispatcher(town, clock)
    claim = sender.claim_message(weekly=False)
    assert claim is not None and claim.message and len(claim.ids) == 1 and claim.attempts == 1
    held = next(r for r in message_rows(town) if r["id"] == claim.ids[0])
    assert held["state"] == "sending" and held["claimed_by"] == sender.worker_id
    assert held["lease_until"] == clock.now() + sender.lease
    sender._finish_sent([(claim, "chat-bi-thu", "m-1")])
    done = next(r for r in message_rows(town) if r["id"] == claim.ids[0])
    assert (done["state"], done["message_id"], done["lease_until"]) == ("sent", "m-1", None)
    second = sender.claim_message(weekly=False)
    assert second is not None and second.ids != claim.ids
    assert sender.claim_message(weekly=False) is None


def test_a_request_goes_out_on_a_saturday_night_when_no_reminder_may(town: Engine, clock: FixedClock) -> None:
    with town.begin() as conn:
        enqueue(conn, [request(town)], clock.now())
    console = LoggingNotifier()
    report = asyncio.run(dispatcher(town, clock, console).run_once())
    assert report.others_sent == 1 and console.delivered[0].text == "📅 Đề nghị gia hạn"
    assert console.delivered[0].buttons == ((("👍 Đồng ý", "ok:1"), ("👎 Từ chối", "no:1")),)


class Flaky:
    channel = "console"

    def __init__(self, error: DeliveryError) -> None:
        self.error = error

    async def deliver(self, delivery: Delivery) -> str:
        raise self.error


def test_a_transient_failure_waits_for_a_later_attempt(town: Engine, clock: FixedClock) -> None:
    with town.begin() as conn:
        enqueue(conn, [request(town)], clock.now())
    sender = dispatcher(town, clock, Flaky(DeliveryError("502 Bad Gateway")))
    sender.quick_retry_base = 0.001
    asyncio.run(sender.run_once())
    [row] = message_rows(town)
    assert row["state"] == "planned" and row["attempts"] == 1 and "502" in str(row["last_error"])
    assert row["next_attempt_at"] is not None and row["next_attempt_at"] > clock.now()
    assert sender.claim_message(weekly=False) is None  # not before its time


def test_a_message_left_in_sending_by_a_dead_process_is_sent_again(town: Engine, clock: FixedClock) -> None:
    with town.begin() as conn:
        enqueue(conn, [request(town)], clock.now())
    dead = dispatcher(town, clock)
    assert dead.claim_message(weekly=False) is not None  # the process dies here
    clock.set(NOW + timedelta(minutes=6))  # past the lease
    console = LoggingNotifier()
    fresh = dispatcher(town, clock, console)
    assert fresh.sweep(MESSAGES) == 1
    [row] = message_rows(town)
    assert row["state"] == "planned" and row["claimed_by"] is None
    asyncio.run(fresh.run_once())
    assert len(console.delivered) == 1


def test_a_message_for_a_channel_not_run_here_waits_with_one_warning(
    town: Engine, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    with town.begin() as conn:
        enqueue(conn, [request(town, "1:z-1", channel="zalo")], clock.now())
    sender = dispatcher(town, clock)
    with caplog.at_level("WARNING", logger="nhacviec.dispatcher"):
        for _ in range(3):
            asyncio.run(sender.run_once())
    [row] = message_rows(town)
    assert row["state"] == "planned" and row["attempts"] == 0
    assert [r.levelname for r in caplog.records if "zalo channel" in r.getMessage()] == ["WARNING"]


def test_snoozing_again_the_same_day_moves_the_snooze(town: Engine, clock: FixedClock) -> None:
    task = assignment_id(town, "Q2-05", "cong-doan")
    official = find_official_id(town, "bi-thu")
    first, later = to_utc(NOW + timedelta(hours=1)), to_utc(NOW + timedelta(hours=2))
    for at in (first, later):
        with town.begin() as conn:
            enqueue(conn, [Remind(task, official, "console", SNOOZE, date(2022, 4, 23), at)], clock.now())
    with town.begin() as conn:
        conn.execute(update(REMINDERS).values(state=ReminderState.sent.value))
        enqueue(conn, [Remind(task, official, "console", SNOOZE, date(2022, 4, 23), first)], clock.now())
    with town.connect() as conn:
        rows = conn.execute(select(REMINDERS.c.send_after, REMINDERS.c.state).where(REMINDERS.c.kind == SNOOZE)).all()
    assert rows == [(first, "planned")]  # one row: pressed again, it waits again at the new time
