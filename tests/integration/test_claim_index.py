"""A claim costs the same at any outbox size: both of its statements are answered from an index, on both databases.

The figures (ms per claim at 10,000, 50,000 and 100,000 waiting rows) are printed by
`python bench/dispatch.py claims`; here the plans are checked, which is what keeps those figures flat.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, update

from bench.dispatch import fill_outbox
from scheduler.clock import LOCAL_TZ, FixedClock
from scheduler.outbox.dispatcher import Dispatcher
from scheduler.outbox.explain import query_plan
from scheduler.outbox.notify import LoggingNotifier
from scheduler.register.models import REMINDERS

NOW = datetime(2022, 4, 22, 7, 31, tzinfo=LOCAL_TZ)


def _dispatcher(engine: Engine) -> Dispatcher:
    return Dispatcher(engine, {"telegram": LoggingNotifier("telegram")}, FixedClock(NOW))


def test_the_pick_of_the_next_person_reads_the_waiting_index_in_order_without_sorting(engine: Engine) -> None:
    fill_outbox(engine, 20_000, NOW)
    dispatcher = _dispatcher(engine)
    with engine.connect() as conn:
        plan = "\n".join(query_plan(conn, dispatcher.pick(NOW)))
    assert "ix_reminder_waiting" in plan, plan
    assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan  # the index gives the claim's order


def test_the_update_of_a_persons_rows_reads_the_persons_index(engine: Engine) -> None:
    fill_outbox(engine, 20_000, NOW)
    dispatcher = _dispatcher(engine)
    claim = update(REMINDERS).where(
        dispatcher.due(NOW), REMINDERS.c.official_id == 12_345, REMINDERS.c.channel == "telegram"
    )
    with engine.connect() as conn:
        plan = "\n".join(query_plan(conn, claim.values(state="sending")))
    assert "ix_reminder_person_waiting" in plan, plan


def test_claims_take_the_soonest_rows_first_one_person_each(engine: Engine) -> None:
    fill_outbox(engine, 2_000, NOW)
    dispatcher = _dispatcher(engine)
    first, second = dispatcher.claim_next(), dispatcher.claim_next()
    assert first is not None and second is not None
    assert first.ids < second.ids and len(first.ids) == len(second.ids) == 1


def test_on_postgresql_the_pick_that_also_tries_the_persons_lock_reads_the_same_index(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        return  # the advisory lock is PostgreSQL's; SQLite picks with the plain statement above
    fill_outbox(engine, 20_000, NOW)
    dispatcher = _dispatcher(engine)
    with engine.connect() as conn:
        plan = "\n".join(query_plan(conn, dispatcher._and_lock(dispatcher.pick(NOW))))
    assert "ix_reminder_waiting" in plan and "Sort" not in plan, plan


def test_a_batch_of_claims_takes_the_soonest_people_in_order_each_with_its_message(engine: Engine) -> None:
    fill_outbox(engine, 2_000, NOW)
    dispatcher = _dispatcher(engine)
    single = dispatcher.claim_next()
    batch = dispatcher.claim_batch("telegram", 5)
    assert single is not None and [c.official_id for c, _ in batch] == list(range(5_002, 5_007))
    assert all(isinstance(built, str) for _, built in batch)  # fill_outbox links nobody: no chat to send to
