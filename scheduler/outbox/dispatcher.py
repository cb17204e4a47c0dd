"""The dispatcher: claim due outbox rows one person at a time, send them as one message, record the result.

Delivery guarantee: at least once; a crash repeats at most the messages that were in flight (at most
`concurrency`). A claim moves a person's due rows planned → sending in one statement and stamps them
with the claiming process (`claimed_by`, a worker id) and a lease; the send runs with no transaction
open; then the rows are marked sent with the channel's message id. Rows whose owner is gone go back to
`planned` within seconds: on SQLite (one process per file) every `sending` row at start-up, on PostgreSQL
the rows of a worker whose heartbeat stopped; a lease that runs out (a live but stuck owner) does the same.
On PostgreSQL several processes claim side by side: the pick skips locked rows, a person is claimed under
a transaction-level advisory lock taken without waiting, and the person's rows are locked in id order,
so that two claimers never deadlock and never split one person's morning.

SIGTERM: `request_stop` stops new claims, lets the sends in flight finish, records them (see the ticker).
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import secrets
import socket
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Select,
    Table,
    and_,
    bindparam,
    delete,
    not_,
    or_,
    select,
    text,
    tuple_,
    update,
)

from scheduler.clock import Clock, local_now, local_today
from scheduler.outbox.notify import Delivery, DeliveryError, DigestItem, Notifier
from scheduler.outbox.planner import planning_done, register_policy
from scheduler.outbox.policy import ESCALATION, ReminderPolicy
from scheduler.outbox.ratelimit import RateLimiter
from scheduler.register.models import (
    ASSIGNMENTS,
    CHATS,
    DIGESTS,
    OFFICIALS,
    REMINDERS,
    TASKS,
    UNITS,
    WORKERS,
    ReminderState,
    Role,
)
from scheduler.workdays import is_working_day

log = logging.getLogger("nhacviec.dispatcher")

NOTICE = "notice"
# How often a transient failure is retried at once (with back-off) before the row waits for a later tick.
QUICK_RETRIES = 4
# A worker writes its heartbeat this often; one silent for HEARTBEAT_DEAD is gone and its claims are swept.
HEARTBEAT_EVERY = 5.0
HEARTBEAT_DEAD = timedelta(seconds=20)
SWEPT = "gửi dở dang (tiến trình dừng); gửi lại"


def make_worker_id() -> str:
    """Unique per process start: the host, the process id and a random part (pids are reused)."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{secrets.token_hex(6)}"


@dataclass
class DispatchReport:
    messages: int = 0
    rows_sent: int = 0
    retried: int = 0
    failed: int = 0
    swept: int = 0


@dataclass(frozen=True)
class Claim:
    """The rows of one person on one channel, claimed together to go out as one message."""

    official_id: int
    channel: str
    ids: tuple[int, ...]
    attempts: int


def ours(table: Table, worker_id: str, outcome: ReminderState) -> Any:
    """The rows a worker may record an outcome on: those it still holds; a delivered message also settles
    a row swept back to `planned` meanwhile (not one claimed again by another process: that one is theirs)."""
    held = and_(table.c.state == ReminderState.sending.value, table.c.claimed_by == worker_id)
    if outcome == ReminderState.sent:
        return or_(held, table.c.state == ReminderState.planned.value)
    return held


def backoff(attempt: int, base: float = 2.0, cap: float = 600.0) -> float:
    """Seconds before retry number `attempt` (1, 2, …): doubling, capped."""
    return float(min(cap, base * 2 ** max(0, attempt - 1)))


class Dispatcher:
    """Sends the outbox through the channels' notifiers, keeping Telegram's limits."""

    def __init__(
        self,
        engine: Engine,
        notifiers: dict[str, Notifier],
        clock: Clock,
        *,
        limiter: RateLimiter | None = None,
        limiters: dict[str, RateLimiter] | None = None,
        policy: ReminderPolicy | None = None,
        max_attempts: int = 5,
        concurrency: int = 32,
        lease: timedelta = timedelta(minutes=5),
        quick_retry_base: float = 0.5,
        send_timeout: float = 60.0,
        worker_id: str | None = None,
    ) -> None:
        self.engine = engine
        self.notifiers = notifiers
        self.clock = clock
        self.limiter = limiter or RateLimiter()
        # Several bot tokens: each channel ("telegram:<bot>") keeps its own limits; the others share `limiter`.
        self.limiters = dict(limiters or {})
        self.policy = policy
        self.max_attempts = max_attempts
        self.concurrency = concurrency
        self.lease = lease
        self.quick_retry_base = quick_retry_base
        # The channel's own HTTP timeouts come first (30 s for Telegram); this only guards against a hang.
        self.send_timeout = send_timeout
        self.worker_id = worker_id or make_worker_id()
        self.stopping = False
        self.in_flight = 0
        self._beat_at = -math.inf  # monotonic time of the last heartbeat
        self._started = False

    # --- the process that claims ---------------------------------------------------------------

    @property
    def shared(self) -> bool:
        """Several processes may share this database (PostgreSQL); SQLite is one process per file."""
        return self.engine.dialect.name == "postgresql"

    def heartbeat(self) -> None:
        """Say this worker is alive (first call registers it); forget workers silent for an hour."""
        self._beat_at = time.monotonic()
        now = self.clock.now()
        with self.engine.begin() as conn:
            updated = conn.execute(
                update(WORKERS).where(WORKERS.c.id == self.worker_id).values(heartbeat_at=now)
            ).rowcount
            if not updated:
                conn.execute(WORKERS.insert().values(id=self.worker_id, started_at=now, heartbeat_at=now))
            conn.execute(delete(WORKERS).where(WORKERS.c.heartbeat_at < now - timedelta(hours=1)))

    def retire(self) -> int:
        """At exit: give back any row still ours in `sending` (a send that outlived the grace) and leave."""
        returned = 0
        with self.engine.begin() as conn:
            for table in self._tables():
                returned += (
                    conn.execute(
                        update(table)
                        .where(table.c.state == ReminderState.sending.value, table.c.claimed_by == self.worker_id)
                        .values(state=ReminderState.planned.value, claimed_by=None, lease_until=None, last_error=SWEPT)
                    ).rowcount
                    or 0
                )
            conn.execute(delete(WORKERS).where(WORKERS.c.id == self.worker_id))
        return returned

    def request_stop(self) -> None:
        """Take no new rows; the sends in flight finish and are recorded."""
        self.stopping = True

    @staticmethod
    def _tables() -> tuple[Table, ...]:
        return (REMINDERS, DIGESTS)

    # --- when ------------------------------------------------------------------------------------

    def may_send_now(self) -> bool:
        """Reminders go out on working days, never in the quiet hours (21:00–07:00), and not while the
        planner is still writing today's reminders in pieces (a person's morning is one message)."""
        now = local_now(self.clock)
        with self.engine.connect() as conn:
            policy = register_policy(conn, self.policy)
            planned = planning_done(conn, now.date())
        return planned and is_working_day(now.date()) and not policy.is_quiet(now.time())

    # --- claiming --------------------------------------------------------------------------------

    def due(self, now: Any, table: Table = REMINDERS) -> Any:
        """Rows of an outbox table (reminders, Monday digests) waiting to go out now on our channels."""
        return and_(
            table.c.state == ReminderState.planned.value,
            table.c.send_after <= now,
            or_(table.c.next_attempt_at.is_(None), table.c.next_attempt_at <= now),
            table.c.channel.in_(list(self.notifiers)),
        )

    def limiter_of(self, channel: str) -> RateLimiter:
        """The limits a channel's sends keep: its own token's, or the one shared limiter."""
        return self.limiters.get(channel, self.limiter)

    def pick(self, now: Any, on: Any = None) -> Select[tuple[int, str]]:
        """The next person waiting: the index ix_reminder_waiting holds this filter's rows in this order, so
        the pick reads one index entry whatever the size of the outbox (tests/integration/test_claim_index.py
        checks both databases' plans)."""
        query = select(REMINDERS.c.official_id, REMINDERS.c.channel).where(self.due(now))
        if on is not None:  # one channel's next person (several tokens take turns; the same index)
            query = query.where(REMINDERS.c.channel == on)
        return query.order_by(REMINDERS.c.send_after, REMINDERS.c.id).limit(1).with_for_update(skip_locked=True)

    def claimed(self, now: Any, table: Table = REMINDERS, lease_until: Any = None) -> dict[str, Any]:
        """The values that move a row planned → sending, held by this worker under a lease."""
        return {
            "state": ReminderState.sending.value,
            "claimed_at": now,
            "claimed_by": self.worker_id,
            "lease_until": now + self.lease if lease_until is None else lease_until,
            "attempts": table.c.attempts + 1,
        }

    @cached_property
    def _claim_statements(self) -> tuple[Any, Any, Any, Any]:
        """The claim's statements, built once (building them cost more than running them): the pick, the
        update of a person's rows (SQLite), and the same locking the rows in id order first (PostgreSQL)."""
        now = bindparam("now", type_=REMINDERS.c.send_after.type)
        lease_until = bindparam("lease_until", type_=REMINDERS.c.send_after.type)
        persons = and_(
            self.due(now), REMINDERS.c.official_id == bindparam("person"), REMINDERS.c.channel == bindparam("on")
        )
        take = (
            update(REMINDERS)
            .where(persons)
            .values(self.claimed(now, lease_until=lease_until))
            .returning(REMINDERS.c.id, REMINDERS.c.attempts)
        )
        in_order = select(REMINDERS.c.id).where(persons).order_by(REMINDERS.c.id).with_for_update()
        take_locked = (
            update(REMINDERS)
            .where(REMINDERS.c.id.in_(in_order.scalar_subquery()))
            .values(self.claimed(now, lease_until=lease_until))
            .returning(REMINDERS.c.id, REMINDERS.c.attempts)
        )
        return self.pick(now), take, take_locked, self.pick(now, bindparam("pick_on"))

    def claim_next(self, on: str | None = None) -> Claim | None:
        """Claim every due row of the next person waiting (on channel `on` only, when given); None when
        nobody is waiting."""
        if self.shared:
            return self._claim_shared(on)
        now = self.clock.now()
        values = {"now": now, "lease_until": now + self.lease, "pick_on": on}
        pick_any, take, _, pick_on = self._claim_statements
        pick_next = pick_any if on is None else pick_on
        with self.engine.begin() as conn:  # SQLite: one process per file, one writer at a time
            while True:
                pick = conn.execute(pick_next, values).first()
                if pick is None:
                    return None
                official_id, channel = pick
                claimed = conn.execute(take, {**values, "person": official_id, "on": channel}).all()
                if claimed:
                    return Claim(official_id, channel, tuple(sorted(r[0] for r in claimed)), max(r[1] for r in claimed))

    def _claim_shared(self, on: str | None = None) -> Claim | None:
        """PostgreSQL: pick a row nobody holds, take its person's advisory lock without waiting (another
        claimer has that person: pick again), then claim the person's rows in id order in one statement."""
        busy: set[tuple[int, str]] = set()
        person = tuple_(REMINDERS.c.official_id, REMINDERS.c.channel)
        pick_any, _, take_locked, pick_on = self._claim_statements
        pick_next = pick_any if on is None else pick_on
        while True:
            now = self.clock.now()
            values = {"now": now, "lease_until": now + self.lease, "pick_on": on}
            with self.engine.begin() as conn:
                # rare: another claimer holds a person we picked
                query = self.pick(now, on).where(not_(person.in_(list(busy)))) if busy else pick_next
                pick: Any = conn.execute(query, values).first()
                if pick is None:
                    return None
                official_id, channel = int(pick[0]), str(pick[1])
                mine = conn.execute(
                    text("SELECT pg_try_advisory_xact_lock(hashtext('claim:' || :channel), :official)"),
                    {"channel": channel, "official": official_id},
                ).scalar()
                if not mine:  # rolled back at once: this transaction never waits while holding a row
                    busy.add((official_id, channel))
                    continue
                claimed = conn.execute(take_locked, {**values, "person": official_id, "on": channel}).all()
            if claimed:
                return Claim(official_id, channel, tuple(sorted(r[0] for r in claimed)), max(r[1] for r in claimed))

    def sweep(self, table: Table = REMINDERS, *, startup: bool = False) -> int:
        """Return rows stuck in `sending` to `planned`; they may repeat once (the send may have arrived).

        A row is stuck when its lease ran out, or when its owner is gone: at start-up on SQLite every
        `sending` row (one process per file, and this one has claimed nothing yet); on PostgreSQL any row
        whose owner's heartbeat stopped (or that has no owner: written before owners were recorded)."""
        now = self.clock.now()
        stuck = or_(
            table.c.lease_until < now, and_(table.c.lease_until.is_(None), table.c.claimed_at < now - self.lease)
        )
        if startup and not self.shared:
            stuck = table.c.claimed_by.is_distinct_from(self.worker_id)
        elif self.shared:
            alive = select(WORKERS.c.id).where(WORKERS.c.heartbeat_at >= now - HEARTBEAT_DEAD)
            stuck = or_(stuck, table.c.claimed_by.is_(None), table.c.claimed_by.not_in(alive))
        with self.engine.begin() as conn:
            result = conn.execute(
                update(table)
                .where(table.c.state == ReminderState.sending.value, stuck)
                .values(state=ReminderState.planned.value, claimed_by=None, lease_until=None, last_error=SWEPT)
            )
        swept = result.rowcount or 0
        if swept:
            log.warning(
                "%d %s rows were left in sending by a process that stopped: sending them again", swept, table.name
            )
        return swept

    def sweep_all(self, *, startup: bool = False) -> int:
        return sum(self.sweep(table, startup=startup) for table in self._tables())

    # --- building the message --------------------------------------------------------------------

    def build(self, conn: Connection, claim: Claim) -> Delivery | None:
        """The message for a claim: one digest of the person's tasks, soonest deadline first."""
        link = conn.execute(
            select(CHATS.c.chat_id, CHATS.c.is_group)
            .where(CHATS.c.official_id == claim.official_id, CHATS.c.channel == claim.channel, CHATS.c.active.is_(True))
            .order_by(CHATS.c.id)
        ).first()
        name = conn.execute(select(OFFICIALS.c.name).where(OFFICIALS.c.id == claim.official_id)).scalar_one()
        if link is None:
            return None
        rows = conn.execute(
            select(
                REMINDERS.c.kind,
                REMINDERS.c.note,
                ASSIGNMENTS.c.id,
                TASKS.c.code,
                TASKS.c.title,
                UNITS.c.name,
                ASSIGNMENTS.c.due,
                ASSIGNMENTS.c.original_due,
                ASSIGNMENTS.c.status,
                ASSIGNMENTS.c.percent,
                REMINDERS.c.planned_for,
            )
            .join(ASSIGNMENTS, ASSIGNMENTS.c.id == REMINDERS.c.assignment_id)
            .join(TASKS, TASKS.c.id == ASSIGNMENTS.c.task_id)
            .join(UNITS, UNITS.c.id == ASSIGNMENTS.c.unit_id)
            .where(REMINDERS.c.id.in_(claim.ids))
        ).all()
        items: dict[int, DigestItem] = {}
        notices: list[str] = []
        for kind, note, a_id, code, title, unit, due, original, status, percent, _day in rows:
            if kind == NOTICE:
                notices.append(note)
            if kind == NOTICE or (a_id in items and items[a_id].kind == ESCALATION):
                continue
            items[a_id] = DigestItem(a_id, code, title, unit, due, original, status, percent, kind)
        ordered = tuple(sorted(items.values(), key=lambda i: (i.due, i.unit_name, i.assignment_id)))
        if notices:
            ordered = ()
        return Delivery(
            channel=claim.channel,
            chat_id=link.chat_id,
            official_id=claim.official_id,
            official_name=name,
            today=local_today(self.clock),
            items=ordered,
            notice="\n".join(dict.fromkeys(notices)),
            is_group=bool(link.is_group),
        )

    def _build(self, claim: Claim) -> Delivery | None:
        with self.engine.connect() as conn:
            return self.build(conn, claim)

    # --- sending ---------------------------------------------------------------------------------

    async def send(self, claim: Claim, report: DispatchReport) -> None:
        """Send one claim; retry transient failures with back-off; record the outcome."""
        self.in_flight += 1
        try:
            await self._send(claim, report)
        finally:
            self.in_flight -= 1

    async def _send(self, claim: Claim, report: DispatchReport) -> None:
        delivery = await asyncio.to_thread(self._build, claim)
        if delivery is None:
            await asyncio.to_thread(
                self._finish, claim, ReminderState.failed, error="không còn cuộc trò chuyện nào được liên kết"
            )
            report.failed += len(claim.ids)
            return
        notifier = self.notifiers[claim.channel]
        limiter = self.limiter_of(claim.channel)
        error: DeliveryError | None = None
        for attempt in range(QUICK_RETRIES + 1):
            try:
                async with limiter.sending(delivery.chat_id, delivery.is_group):
                    message_id = await asyncio.wait_for(notifier.deliver(delivery), self.send_timeout)
                limiter.answered(delivery.chat_id)
            except DeliveryError as exc:
                error = exc
                if exc.retry_after:  # that chat waits; everyone only when the bot is over its global limit
                    limiter.refused(delivery.chat_id, exc.retry_after, bot_wide=exc.pause_all)
            except TimeoutError:
                error = DeliveryError(f"không có trả lời sau {self.send_timeout:.0f} giây (có thể đã tới)")
            except Exception as exc:  # a channel bug must not stop the other messages
                log.exception("channel %s failed unexpectedly", claim.channel)
                error = DeliveryError(f"{type(exc).__name__}: {exc}")
            else:  # database work runs off the event loop, so that sends keep their pace
                await asyncio.to_thread(
                    self._finish, claim, ReminderState.sent, chat_id=delivery.chat_id, message_id=message_id
                )
                report.messages += 1
                report.rows_sent += len(claim.ids)
                return
            if error.migrate_to:
                await asyncio.to_thread(self._migrate, claim, delivery.chat_id, error.migrate_to)
                delivery = replace(delivery, chat_id=error.migrate_to)
                continue
            if error.permanent:
                break
            report.retried += 1
            if attempt < QUICK_RETRIES and not self.stopping:  # stopping: the row waits for the next process
                await asyncio.sleep(error.retry_after or backoff(attempt + 1, self.quick_retry_base, 30.0))
            else:
                break
        assert error is not None
        await asyncio.to_thread(self._failed, claim, delivery, error, report)

    def _failed(self, claim: Claim, delivery: Delivery, error: DeliveryError, report: DispatchReport) -> None:
        if error.permanent or claim.attempts >= self.max_attempts:
            log.warning("giving up on %s for %s: %s", claim.ids, delivery.official_name, error.reason)
            self._finish(claim, ReminderState.failed, error=error.reason)
            report.failed += len(claim.ids)
            if error.permanent:
                self._unlink(claim, delivery.chat_id)
            if not delivery.notice:  # never a notice about a failed notice
                self._tell_admins(claim, delivery, error)
            return
        wait = max(error.retry_after or 0.0, backoff(claim.attempts))
        self._finish(
            claim, ReminderState.planned, error=error.reason, next_attempt_at=self.clock.now() + timedelta(seconds=wait)
        )

    def _finish(
        self,
        claim: Claim,
        state: ReminderState,
        *,
        error: str = "",
        chat_id: str | None = None,
        message_id: str | None = None,
        next_attempt_at: datetime | None = None,
    ) -> None:
        values: dict[str, Any] = {"state": state.value, "last_error": error[:500], "lease_until": None}
        if state == ReminderState.sent:
            values.update(sent_at=self.clock.now(), chat_id=chat_id, message_id=message_id)
        if next_attempt_at is not None:
            values["next_attempt_at"] = next_attempt_at
        with self.engine.begin() as conn:
            conn.execute(
                update(REMINDERS)
                .where(REMINDERS.c.id.in_(claim.ids), ours(REMINDERS, self.worker_id, state))
                .values(values)
            )

    def _migrate(self, claim: Claim, old: str, new: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(CHATS).where(CHATS.c.channel == claim.channel, CHATS.c.chat_id == old).values(chat_id=new)
            )
        log.info("chat %s on %s moved to %s", old, claim.channel, new)

    def _unlink(self, claim: Claim, chat_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(CHATS).where(CHATS.c.channel == claim.channel, CHATS.c.chat_id == chat_id).values(active=False)
            )
        log.warning("chat %s on %s unlinked after a permanent failure", chat_id, claim.channel)

    def _tell_admins(self, claim: Claim, delivery: Delivery, error: DeliveryError) -> None:
        """Queue a notice for every admin with a chat: a reminder that could not be delivered."""
        now = self.clock.now()
        note = (
            f"Không gửi được lời nhắc tới {delivery.official_name} ({claim.channel}): {error.reason}. "
            "Hãy kiểm tra liên kết của cán bộ này (nhacviec invite)."
        )
        with self.engine.begin() as conn:
            admins = conn.execute(
                select(CHATS.c.official_id, CHATS.c.channel)
                .join(OFFICIALS, OFFICIALS.c.id == CHATS.c.official_id)
                .where(
                    OFFICIALS.c.role == Role.admin.value,
                    CHATS.c.active.is_(True),
                    CHATS.c.channel.in_(list(self.notifiers)),
                )
                .distinct()
            ).all()
            first = conn.execute(select(REMINDERS.c.assignment_id).where(REMINDERS.c.id == claim.ids[0])).scalar_one()
            for official_id, channel in admins:
                if official_id == claim.official_id:
                    continue
                exists = conn.execute(
                    select(REMINDERS.c.id).where(
                        REMINDERS.c.assignment_id == first,
                        REMINDERS.c.official_id == official_id,
                        REMINDERS.c.kind == NOTICE,
                        REMINDERS.c.planned_for == local_today(self.clock),
                        REMINDERS.c.channel == channel,
                    )
                ).first()
                if exists is None:
                    conn.execute(
                        REMINDERS.insert().values(
                            assignment_id=first,
                            official_id=official_id,
                            channel=channel,
                            kind=NOTICE,
                            planned_for=local_today(self.clock),
                            send_after=now,
                            state=ReminderState.planned.value,
                            attempts=0,
                            last_error="",
                            note=note,
                        )
                    )

    async def run_once(self) -> DispatchReport:
        """Send everything that is due now, several people at a time, until told to stop."""
        if time.monotonic() - self._beat_at >= HEARTBEAT_EVERY:
            await asyncio.to_thread(self.heartbeat)
        if self._started:
            swept = await asyncio.to_thread(self.sweep)
        else:  # a process that starts takes back what a dead one left, in every outbox table, at once
            swept = await asyncio.to_thread(self.sweep_all, startup=True)
            self._started = True
        report = DispatchReport(swept=swept)
        if self.stopping or not await asyncio.to_thread(self.may_send_now):
            return report
        running: set[asyncio.Task[None]] = set()
        # Several bot tokens: the next claim is for the channel with the fewest sends running, so that no
        # token's backlog (or its 429 pause) holds the slots the others need; one channel claims as before.
        waiting: list[str | None] = [*self.notifiers] if len(self.notifiers) > 1 else [None]
        busy: dict[str | None, int] = dict.fromkeys(waiting, 0)
        while not self.stopping and waiting:
            if len(running) >= self.concurrency:  # a slot first, then the claim: a crash repeats ≤ concurrency
                _done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                continue
            channel = min(waiting, key=lambda c: busy[c])
            claim = await asyncio.to_thread(self.claim_next, channel)
            if claim is None:
                waiting.remove(channel)
                continue
            busy[channel] += 1
            task = asyncio.create_task(self.send(claim, report))
            task.add_done_callback(lambda _t, c=channel: busy.__setitem__(c, busy[c] - 1))  # type: ignore[misc]
            running.add(task)
        if running:
            await asyncio.gather(*running)
        return report
