"""The dispatcher: claim due outbox rows one person at a time, send them as one message, record the result.

Delivery guarantee: at least once, with at most one repeat per crash. A row is claimed with a
conditional UPDATE (planned → sending, and on PostgreSQL under `FOR UPDATE SKIP LOCKED`, so that several
processes share the outbox), sent with no transaction open, then marked sent with the channel's message
id. A crash between the send and the mark leaves the row in `sending`; the sweeper returns it to
`planned` after `sending_timeout`, and that one message may go out twice.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from sqlalchemy import Connection, Engine, Select, Table, and_, bindparam, or_, select, update

from scheduler.clock import Clock, local_now, local_today
from scheduler.outbox.notify import Delivery, DeliveryError, DigestItem, Notifier
from scheduler.outbox.planner import planning_done, register_policy
from scheduler.outbox.policy import ESCALATION, ReminderPolicy
from scheduler.outbox.ratelimit import RateLimiter
from scheduler.register.models import (
    ASSIGNMENTS,
    CHATS,
    OFFICIALS,
    REMINDERS,
    TASKS,
    UNITS,
    ReminderState,
    Role,
)
from scheduler.workdays import is_working_day

log = logging.getLogger("nhacviec.dispatcher")

NOTICE = "notice"
# How often a transient failure is retried at once (with back-off) before the row waits for a later tick.
QUICK_RETRIES = 4


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
        policy: ReminderPolicy | None = None,
        max_attempts: int = 5,
        concurrency: int = 32,
        sending_timeout: timedelta = timedelta(minutes=5),
        quick_retry_base: float = 0.5,
    ) -> None:
        self.engine = engine
        self.notifiers = notifiers
        self.clock = clock
        self.limiter = limiter or RateLimiter()
        self.policy = policy
        self.max_attempts = max_attempts
        self.concurrency = concurrency
        self.sending_timeout = sending_timeout
        self.quick_retry_base = quick_retry_base

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

    def pick(self, now: Any) -> Select[tuple[int, str]]:
        """The next person waiting: the index ix_reminder_waiting holds this filter's rows in this order, so
        the pick reads one index entry whatever the size of the outbox (tests/integration/test_claim_index.py
        checks both databases' plans)."""
        return (
            select(REMINDERS.c.official_id, REMINDERS.c.channel)
            .where(self.due(now))
            .order_by(REMINDERS.c.send_after, REMINDERS.c.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )

    @cached_property
    def _claim_statements(self) -> tuple[Any, Any]:
        """The claim's two statements, built once (building them cost more than running them)."""
        now = bindparam("now", type_=REMINDERS.c.send_after.type)
        take = (
            update(REMINDERS)
            .where(
                self.due(now), REMINDERS.c.official_id == bindparam("person"), REMINDERS.c.channel == bindparam("on")
            )
            .values(state=ReminderState.sending.value, claimed_at=now, attempts=REMINDERS.c.attempts + 1)
            .returning(REMINDERS.c.id, REMINDERS.c.attempts)
        )
        return self.pick(now), take

    def claim_next(self) -> Claim | None:
        """Claim every due row of the next person waiting; None when nobody is waiting."""
        now = self.clock.now()
        pick_next, take = self._claim_statements
        with self.engine.begin() as conn:
            while True:
                pick = conn.execute(pick_next, {"now": now}).first()
                if pick is None:
                    return None
                official_id, channel = pick
                claimed = conn.execute(take, {"now": now, "person": official_id, "on": channel}).all()
                if claimed:  # another process may have taken them between the two statements
                    return Claim(official_id, channel, tuple(sorted(r[0] for r in claimed)), max(r[1] for r in claimed))

    def sweep(self, table: Table = REMINDERS) -> int:
        """Return rows of an outbox table stuck in `sending` (a crash mid-send) to `planned`; they may repeat once."""
        limit = self.clock.now() - self.sending_timeout
        with self.engine.begin() as conn:
            result = conn.execute(
                update(table)
                .where(table.c.state == ReminderState.sending.value, table.c.claimed_at < limit)
                .values(state=ReminderState.planned.value, last_error="gửi dở dang (tiến trình dừng); gửi lại")
            )
        return result.rowcount or 0

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
        delivery = await asyncio.to_thread(self._build, claim)
        if delivery is None:
            await asyncio.to_thread(
                self._finish, claim, ReminderState.failed, error="không còn cuộc trò chuyện nào được liên kết"
            )
            report.failed += len(claim.ids)
            return
        notifier = self.notifiers[claim.channel]
        error: DeliveryError | None = None
        for attempt in range(QUICK_RETRIES + 1):
            try:
                async with self.limiter.sending(delivery.chat_id, delivery.is_group):
                    message_id = await notifier.deliver(delivery)
                self.limiter.answered(delivery.chat_id)
            except DeliveryError as exc:
                error = exc
                if exc.retry_after:  # that chat waits; everyone only when the bot is over its global limit
                    self.limiter.refused(delivery.chat_id, exc.retry_after, bot_wide=exc.pause_all)
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
                self._migrate(claim, delivery.chat_id, error.migrate_to)
                delivery = replace(delivery, chat_id=error.migrate_to)
                continue
            if error.permanent:
                break
            report.retried += 1
            if attempt < QUICK_RETRIES:
                await asyncio.sleep(error.retry_after or backoff(attempt + 1, self.quick_retry_base, 30.0))
        assert error is not None
        self._failed(claim, delivery, error, report)

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
        values: dict[str, Any] = {"state": state.value, "last_error": error[:500]}
        if state == ReminderState.sent:
            values.update(sent_at=self.clock.now(), chat_id=chat_id, message_id=message_id)
        if next_attempt_at is not None:
            values["next_attempt_at"] = next_attempt_at
        with self.engine.begin() as conn:
            conn.execute(
                update(REMINDERS)
                .where(REMINDERS.c.id.in_(claim.ids), REMINDERS.c.state == ReminderState.sending.value)
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
        """Send everything that is due now, several people at a time."""
        report = DispatchReport(swept=self.sweep())
        if not self.may_send_now():
            return report
        running: set[asyncio.Task[None]] = set()
        while True:
            claim = await asyncio.to_thread(self.claim_next)
            if claim is None:
                break
            if len(running) >= self.concurrency:
                _done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            running.add(asyncio.create_task(self.send(claim, report)))
        if running:
            await asyncio.gather(*running)
        return report
