"""The dispatcher: the one loop that sends the outbox. Reminders are claimed one person at a time and go
out as one message; every other message (a notice to admins, an extension request to a leader, a decision
back to the requester, the Monday digest) is one row, one message. All of it shares the rate limiter, the
retries, the unlinking of a dead chat, chat migration and the admins' notice on failure.

A row for a channel this process does not run waits (with one WARNING line) for a process that runs it.

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
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cached_property, partial
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Select,
    Table,
    and_,
    bindparam,
    delete,
    func,
    literal,
    not_,
    or_,
    select,
    tuple_,
    update,
)

from scheduler.clock import Clock, local_now, local_today
from scheduler.outbox.notify import Delivery, DeliveryError, DigestItem, Notifier
from scheduler.outbox.planner import planning_done, register_policy
from scheduler.outbox.policy import ESCALATION, ReminderPolicy
from scheduler.outbox.queue import NOTICE, WEEKLY, Outgoing, enqueue
from scheduler.outbox.ratelimit import RateLimiter
from scheduler.register.models import (
    ASSIGNMENTS,
    CHATS,
    MESSAGES,
    OFFICIALS,
    REMINDERS,
    TASKS,
    UNITS,
    WORKERS,
    ReminderState,
    Role,
)
from scheduler.reporting.weekly import WeeklyReport, weekly_report
from scheduler.workdays import is_working_day

log = logging.getLogger("nhacviec.dispatcher")

# The Monday digest is made once for all leaders; a morning's sends reuse it for this long.
WEEKLY_FRESH = 300.0
# How often a transient failure is retried at once (with back-off) before the row waits for a later tick.
QUICK_RETRIES = 4
# A worker writes its heartbeat this often; one silent for HEARTBEAT_DEAD is gone and its claims are swept.
HEARTBEAT_EVERY = 5.0
HEARTBEAT_DEAD = timedelta(seconds=20)
# Delivered sends wait this long for others before their record is written together (seconds).
SENT_GATHER = 0.01
UNLINKED = "không còn cuộc trò chuyện nào được liên kết"
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
    others_sent: int = 0  # messages that are not reminders (notices, extension requests, Monday digests)


@dataclass(frozen=True)
class Claim:
    """The rows of one person on one channel, claimed together to go out as one message; or one row of
    `outbox_message` (`message` set), which is one message by itself."""

    official_id: int
    channel: str
    ids: tuple[int, ...]
    attempts: int
    message: bool = False

    @property
    def table(self) -> Table:
        return MESSAGES if self.message else REMINDERS


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
        claim_batch_size: int = 8,
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
        # People claimed at a time: each claim waits for its send's turn (at 30 msg/s, 8 is a quarter second)
        self.claim_batch_size = claim_batch_size
        self.stopping = False
        self.in_flight = 0
        self._beat_at = -math.inf  # monotonic time of the last heartbeat
        self._started = False
        self._weekly: tuple[Any, float, WeeklyReport] | None = None  # (day, made at, report)
        self._weekly_lock = threading.Lock()
        self._warned: set[tuple[str, Any]] = set()  # the waiting rows already named in the log

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
        return (REMINDERS, MESSAGES)

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
        """Rows of an outbox table (reminders, other messages) waiting to go out now on our channels."""
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

    @staticmethod
    def _and_lock(pick: Select[tuple[int, str]]) -> Any:
        """PostgreSQL: the pick and the person's advisory lock (taken without waiting) in one statement, one
        round trip fewer a claim; the lock is tried once the row is picked and locked, as two statements did."""
        row = pick.subquery("pick")
        person = func.pg_try_advisory_xact_lock(func.hashtext(literal("claim:") + row.c.channel), row.c.official_id)
        return select(row.c.official_id, row.c.channel, person.label("mine"))

    @cached_property
    def _locking_picks(self) -> tuple[Any, Any]:
        """`_and_lock` of the two cached picks (any channel, one channel)."""
        pick_any, _, _, pick_on = self._claim_statements
        return self._and_lock(pick_any), self._and_lock(pick_on)

    def claim_next(self, on: str | None = None) -> Claim | None:
        """Claim every due row of the next person waiting (on channel `on` only, when given); None when
        nobody is waiting."""
        if self.shared:
            return self._claim_shared(on)
        claims = self._claim_local(on, 1)
        return claims[0] if claims else None

    def _claim_shared(self, on: str | None = None) -> Claim | None:
        """PostgreSQL: pick a row nobody holds, take its person's advisory lock without waiting (another
        claimer has that person: pick again), then claim the person's rows in id order in one statement."""
        busy: set[tuple[int, str]] = set()
        person = tuple_(REMINDERS.c.official_id, REMINDERS.c.channel)
        _, _, take_locked, _ = self._claim_statements
        pick_next = self._locking_picks[0 if on is None else 1]
        while True:
            now = self.clock.now()
            values = {"now": now, "lease_until": now + self.lease, "pick_on": on}
            with self.engine.begin() as conn:
                # rare: another claimer holds a person we picked
                query = self._and_lock(self.pick(now, on).where(not_(person.in_(list(busy))))) if busy else pick_next
                pick: Any = conn.execute(query, values).first()
                if pick is None:
                    return None
                official_id, channel, mine = int(pick[0]), str(pick[1]), bool(pick[2])
                if not mine:  # rolled back at once: this transaction never waits while holding a row
                    busy.add((official_id, channel))
                    continue
                claimed = conn.execute(take_locked, {**values, "person": official_id, "on": channel}).all()
            if claimed:
                return Claim(official_id, channel, tuple(sorted(r[0] for r in claimed)), max(r[1] for r in claimed))

    def claim_batch(self, on: str | None = None, limit: int = 8) -> list[tuple[Claim, Delivery | str]]:
        """Up to `limit` people waiting (on channel `on`, when given), claimed and their messages built in one
        call off the event loop: the claims of a wave cost one thread hop and, on SQLite, one transaction for
        several people instead of one each. Soonest first, as `claim_next`."""
        claims: list[Claim] = []
        if self.shared:  # each person its own short transaction (see _claim_shared), still one hop
            while len(claims) < limit and (claim := self._claim_shared(on)) is not None:
                claims.append(claim)
        else:
            claims = self._claim_local(on, limit)
        if not claims:
            return []
        with self.engine.connect() as conn:
            built = self.build_many(conn, claims)
        return [(claim, delivery or UNLINKED) for claim, delivery in zip(claims, built, strict=True)]

    def _claim_local(self, on: str | None, limit: int) -> list[Claim]:
        """SQLite (one process per file, one writer at a time): the next `limit` people's due rows, claimed in
        one transaction."""
        now = self.clock.now()
        values = {"now": now, "lease_until": now + self.lease, "pick_on": on}
        _, take, _, _ = self._claim_statements
        claims: list[Claim] = []
        with self.engine.begin() as conn:
            while len(claims) < limit:
                picks = conn.execute(self._several[0 if on is None else 1], {**values, "several": limit}).all()
                if not picks:
                    break
                before = len(claims)
                for official_id, channel in dict.fromkeys((int(p[0]), str(p[1])) for p in picks):
                    claimed = conn.execute(take, {**values, "person": official_id, "on": channel}).all()
                    if claimed:
                        ids = tuple(sorted(r[0] for r in claimed))
                        claims.append(Claim(official_id, channel, ids, max(r[1] for r in claimed)))
                    if len(claims) >= limit:
                        break
                if len(claims) == before:  # never seen (pick and take share the filter): no endless loop
                    break
        return claims

    @cached_property
    def _several(self) -> tuple[Any, Any]:
        """The pick of the next people waiting, on any channel or on one (several rows, as a person's rows are
        claimed together)."""
        now = bindparam("now", type_=REMINDERS.c.send_after.type)
        several: Any = bindparam("several")
        return self.pick(now).limit(several), self.pick(now, bindparam("pick_on")).limit(several)

    def claim_message(self, *, weekly: bool = True) -> Claim | None:
        """Claim the next due row of `outbox_message` (one message); the Monday digest only when `weekly`
        (it keeps the reminders' hours), the others (notices, extension requests, decisions) at any time."""
        now = self.clock.now()
        due = self.due(now, MESSAGES)
        if not weekly:
            due = and_(due, MESSAGES.c.kind != WEEKLY)
        with self.engine.begin() as conn:
            pick = conn.execute(
                select(MESSAGES.c.id, MESSAGES.c.official_id, MESSAGES.c.channel)
                .where(due)
                .order_by(MESSAGES.c.send_after, MESSAGES.c.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            ).first()
            if pick is None:
                return None
            took = conn.execute(
                update(MESSAGES)
                .where(MESSAGES.c.id == pick.id, due)
                .values(self.claimed(now, MESSAGES))
                .returning(MESSAGES.c.attempts)
            ).first()
        if took is None:
            return None
        return Claim(int(pick.official_id), str(pick.channel), (int(pick.id),), int(took.attempts), message=True)

    def warn_waiting(self, *, reminders: bool = True) -> int:
        """One WARNING line for each message (and each channel's day of reminders) that is due but waits for a
        channel this process does not run; it is neither failed nor dropped. Returns how many were seen."""
        now = self.clock.now()
        ours_ = list(self.notifiers)
        today = local_today(self.clock)
        count = 0
        with self.engine.connect() as conn:
            for row_id, channel, kind, official_id in conn.execute(
                select(MESSAGES.c.id, MESSAGES.c.channel, MESSAGES.c.kind, MESSAGES.c.official_id)
                .where(
                    MESSAGES.c.state == ReminderState.planned.value,
                    MESSAGES.c.send_after <= now,
                    MESSAGES.c.channel.not_in(ours_),
                )
                .order_by(MESSAGES.c.id)
                .limit(1000)
            ):
                count += 1
                if ("message", row_id) not in self._warned:
                    self._warned.add(("message", row_id))
                    log.warning(
                        "%s message %d for official %d waits for a process running the %s channel (not run here)",
                        kind,
                        row_id,
                        official_id,
                        channel,
                    )
            if not reminders:
                return count
            for (channel,) in conn.execute(
                select(REMINDERS.c.channel)
                .where(
                    REMINDERS.c.state == ReminderState.planned.value,
                    REMINDERS.c.channel.not_in(ours_),
                    REMINDERS.c.send_after <= now,
                )
                .group_by(REMINDERS.c.channel)
            ):
                count += 1
                if (channel, today) not in self._warned:
                    self._warned.add((channel, today))
                    log.warning("reminders for the %s channel wait for a process that runs it (not run here)", channel)
        return count

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
        return self.build_many(conn, [claim])[0]

    @cached_property
    def _build_statements(self) -> tuple[Any, Any, Any]:
        """The three reads of `build_many`, made once (making them cost more than running them)."""
        people: Any = bindparam("people", expanding=True)
        links = (
            select(CHATS.c.official_id, CHATS.c.channel, CHATS.c.chat_id, CHATS.c.is_group)
            .where(CHATS.c.official_id.in_(people), CHATS.c.active.is_(True))
            .order_by(CHATS.c.id)
        )
        names = select(OFFICIALS.c.id, OFFICIALS.c.name).where(OFFICIALS.c.id.in_(people))
        rows = (
            select(
                REMINDERS.c.id,
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
            )
            .join(ASSIGNMENTS, ASSIGNMENTS.c.id == REMINDERS.c.assignment_id)
            .join(TASKS, TASKS.c.id == ASSIGNMENTS.c.task_id)
            .join(UNITS, UNITS.c.id == ASSIGNMENTS.c.unit_id)
            .where(REMINDERS.c.id.in_(bindparam("ids", expanding=True)))
            .order_by(REMINDERS.c.id)
        )
        return links, names, rows

    def build_many(self, conn: Connection, claims: list[Claim]) -> list[Delivery | None]:
        """The messages of several claims in three reads (None for a claim whose person has no chat left on
        its channel): each one digest of the person's tasks, soonest deadline first."""
        links_of, names_of, rows_of = self._build_statements
        people = sorted({claim.official_id for claim in claims})
        links: dict[tuple[int, str], tuple[str, bool]] = {}
        for official_id, channel, chat_id, is_group in conn.execute(links_of, {"people": people}):
            links.setdefault((official_id, channel), (chat_id, bool(is_group)))  # the first linked, as before
        names = dict(conn.execute(names_of, {"people": people}).all())
        rows = {r[0]: r[1:] for r in conn.execute(rows_of, {"ids": [i for c in claims for i in c.ids]})}
        today = local_today(self.clock)
        built: list[Delivery | None] = []
        for claim in claims:
            name = names[claim.official_id]  # an official who is gone is an error, as it always was
            link = links.get((claim.official_id, claim.channel))
            if link is None:
                built.append(None)
                continue
            items: dict[int, DigestItem] = {}
            notices: list[str] = []
            for row_id in claim.ids:
                if row_id not in rows:
                    continue
                kind, note, a_id, code, title, unit, due, original, status, percent = rows[row_id]
                if kind == NOTICE:
                    notices.append(note)
                if kind == NOTICE or (a_id in items and items[a_id].kind == ESCALATION):
                    continue
                items[a_id] = DigestItem(a_id, code, title, unit, due, original, status, percent, kind)
            ordered = tuple(sorted(items.values(), key=lambda i: (i.due, i.unit_name, i.assignment_id)))
            if notices:
                ordered = ()
            built.append(
                Delivery(
                    channel=claim.channel,
                    chat_id=link[0],
                    official_id=claim.official_id,
                    official_name=name,
                    today=today,
                    items=ordered,
                    notice="\n".join(dict.fromkeys(notices)),
                    is_group=link[1],
                )
            )
        return built

    def build_message(self, conn: Connection, claim: Claim) -> Delivery | str:
        """The message of one `outbox_message` row, or why it cannot go out. A row naming a chat goes there
        while that chat is linked; otherwise to the official's chat on the channel."""
        row = conn.execute(
            select(MESSAGES.c.kind, MESSAGES.c.text, MESSAGES.c.buttons, MESSAGES.c.chat_id).where(
                MESSAGES.c.id == claim.ids[0]
            )
        ).one()
        person = conn.execute(
            select(OFFICIALS.c.name, OFFICIALS.c.role).where(OFFICIALS.c.id == claim.official_id)
        ).one()
        linked = select(CHATS.c.chat_id, CHATS.c.is_group).where(
            CHATS.c.channel == claim.channel, CHATS.c.active.is_(True)
        )
        link = None
        if row.chat_id:
            link = conn.execute(linked.where(CHATS.c.chat_id == row.chat_id).limit(1)).first()
        if link is None:
            link = conn.execute(linked.where(CHATS.c.official_id == claim.official_id).order_by(CHATS.c.id)).first()
        if link is None:
            return "không còn cuộc trò chuyện nào được liên kết"
        delivery = Delivery(
            channel=claim.channel,
            chat_id=link.chat_id,
            official_id=claim.official_id,
            official_name=person.name,
            today=local_today(self.clock),
            is_group=bool(link.is_group),
            kind=row.kind,
        )
        if row.kind == WEEKLY:
            if person.role != Role.leader.value:
                return "không còn là lãnh đạo có chat"
            return replace(delivery, weekly=self.weekly(delivery.today))
        if row.kind == NOTICE:
            return replace(delivery, notice=row.text)
        buttons = tuple(tuple((str(label), str(data)) for label, data in line) for line in row.buttons or ())
        return replace(delivery, text=row.text, buttons=buttons)

    def weekly(self, today: Any) -> WeeklyReport:
        """The Monday digest as it stands this morning, made once for all the leaders (with its chart)."""
        with self._weekly_lock:
            cached = self._weekly
            if cached is None or cached[0] != today or time.monotonic() - cached[1] > WEEKLY_FRESH:
                cached = (today, time.monotonic(), weekly_report(self.engine, today))
                self._weekly = cached
            return cached[2]

    def _build(self, claim: Claim) -> Delivery | str:
        with self.engine.connect() as conn:
            if claim.message:
                return self.build_message(conn, claim)
            return self.build(conn, claim) or UNLINKED

    # --- sending ---------------------------------------------------------------------------------

    async def send(self, claim: Claim, report: DispatchReport, built: Delivery | str | None = None) -> None:
        """Send one claim (its message `built` already, or built here); retry transient failures with back-off;
        record the outcome."""
        self.in_flight += 1
        try:
            await self._send(claim, report, built)
        finally:
            self.in_flight -= 1

    async def _send(self, claim: Claim, report: DispatchReport, built: Delivery | str | None = None) -> None:
        delivery = await asyncio.to_thread(self._build, claim) if built is None else built
        if isinstance(delivery, str):
            await asyncio.to_thread(self._finish, claim, ReminderState.failed, error=delivery)
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
                await self._sent.record(claim, delivery.chat_id, message_id)
                report.messages += 1
                if claim.message:
                    report.others_sent += 1
                else:
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
        next_attempt_at: datetime | None = None,
    ) -> None:
        """A claim that did not go out: failed, or planned again (a delivered one is recorded by `_finish_sent`)."""
        values: dict[str, Any] = {"state": state.value, "last_error": error[:500], "lease_until": None}
        if next_attempt_at is not None:
            values["next_attempt_at"] = next_attempt_at
        table = claim.table
        with self.engine.begin() as conn:
            conn.execute(
                update(table).where(table.c.id.in_(claim.ids), ours(table, self.worker_id, state)).values(values)
            )

    @cached_property
    def _sent(self) -> _SentBatch:
        return _SentBatch(self._finish_sent)

    def _finish_sent(self, sent: list[tuple[Claim, str, str]]) -> None:
        """Several delivered claims recorded as sent in one transaction (a wave's answers come side by side)."""
        at = self.clock.now()
        for table, statement in self._sent_statements.items():
            rows = [
                {"row": row_id, "chat": chat_id, "message": message_id, "at": at}
                for claim, chat_id, message_id in sent
                if claim.table is table
                for row_id in claim.ids
            ]
            if rows:
                with self.engine.begin() as conn:
                    conn.execute(statement, rows)

    @cached_property
    def _sent_statements(self) -> dict[Table, Any]:
        """Each outbox table's update of one delivered row, made once."""
        return {
            table: update(table)
            .where(table.c.id == bindparam("row"), ours(table, self.worker_id, ReminderState.sent))
            .values(
                state=ReminderState.sent.value,
                last_error="",
                lease_until=None,
                sent_at=bindparam("at", type_=table.c.sent_at.type),
                chat_id=bindparam("chat"),
                message_id=bindparam("message"),
            )
            for table in self._tables()
        }

    def _give_back(self, claims: list[Claim]) -> None:
        """Claims taken but never sent (the process stops): planned again, the attempt not counted."""
        with self.engine.begin() as conn:
            for claim in claims:
                table = claim.table
                conn.execute(
                    update(table)
                    .where(table.c.id.in_(claim.ids), ours(table, self.worker_id, ReminderState.planned))
                    .values(
                        state=ReminderState.planned.value,
                        claimed_by=None,
                        lease_until=None,
                        attempts=table.c.attempts - 1,
                    )
                )

    def _migrate(self, claim: Claim, old: str, new: str) -> None:
        """The chat moved (a group became a supergroup): its link, and the messages still waiting for it."""
        with self.engine.begin() as conn:
            conn.execute(
                update(CHATS).where(CHATS.c.channel == claim.channel, CHATS.c.chat_id == old).values(chat_id=new)
            )
            conn.execute(
                update(MESSAGES)
                .where(
                    MESSAGES.c.channel == claim.channel,
                    MESSAGES.c.chat_id == old,
                    MESSAGES.c.state.in_((ReminderState.planned.value, ReminderState.sending.value)),
                )
                .values(chat_id=new)
            )
        log.info("chat %s on %s moved to %s", old, claim.channel, new)

    def _unlink(self, claim: Claim, chat_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(CHATS).where(CHATS.c.channel == claim.channel, CHATS.c.chat_id == chat_id).values(active=False)
            )
        log.warning("chat %s on %s unlinked after a permanent failure", chat_id, claim.channel)

    def _tell_admins(self, claim: Claim, delivery: Delivery, error: DeliveryError) -> None:
        """Enqueue a notice for every admin with a chat (once a day per person and channel that failed), on a
        channel this process runs when the admin has one."""
        what = {WEEKLY: "bản tổng hợp đầu tuần", "": "lời nhắc"}.get(delivery.kind, "tin nhắn")
        note = (
            f"Không gửi được {what} tới {delivery.official_name} ({claim.channel}): {error.reason}. "
            "Hãy kiểm tra liên kết của cán bộ này (nhacviec invite)."
        )
        today = local_today(self.clock)
        with self.engine.begin() as conn:
            chats = conn.execute(
                select(CHATS.c.official_id, CHATS.c.channel)
                .join(OFFICIALS, OFFICIALS.c.id == CHATS.c.official_id)
                .where(OFFICIALS.c.role == Role.admin.value, CHATS.c.active.is_(True))
                .order_by(CHATS.c.official_id, CHATS.c.id)
            ).all()
            chosen: dict[int, str] = {}
            for official_id, channel in chats:
                if official_id == claim.official_id:
                    continue
                if official_id not in chosen or (
                    channel in self.notifiers and chosen[official_id] not in self.notifiers
                ):
                    chosen[official_id] = channel
            key = f"{today.isoformat()}:{claim.official_id}:{claim.channel}"
            enqueue(conn, (Outgoing(o, c, NOTICE, key, text=note) for o, c in chosen.items()), self.clock.now())

    async def run_once(self) -> DispatchReport:
        """Send everything that is due now, several people at a time, until told to stop."""
        if time.monotonic() - self._beat_at >= HEARTBEAT_EVERY:
            await asyncio.to_thread(self.heartbeat)
        if self._started:
            swept = await asyncio.to_thread(self.sweep_all)
        else:  # a process that starts takes back what a dead one left, in every outbox table, at once
            swept = await asyncio.to_thread(self.sweep_all, startup=True)
            self._started = True
        report = DispatchReport(swept=swept)
        if self.stopping:
            return report
        await asyncio.to_thread(self.warn_waiting)
        # reminders and the Monday digest keep the working hours; the other messages go out when due
        await self._drain(report, in_hours=await asyncio.to_thread(self.may_send_now))
        return report

    async def send_messages(self) -> DispatchReport:
        """Only what is neither a reminder nor the Monday digest (an extension request, a decision, a notice):
        what an answer just enqueued, sent at once instead of at the next tick."""
        report = DispatchReport()
        if not self.stopping:
            await asyncio.to_thread(partial(self.warn_waiting, reminders=False))
            await self._drain(report, in_hours=False)
        return report

    async def _drain(self, report: DispatchReport, *, in_hours: bool) -> None:
        """Claim and send until nothing is due: first the single messages, then people's reminders."""
        messages_left = True
        running: set[asyncio.Task[None]] = set()
        # Several bot tokens: the next claim is for the channel with the fewest sends running, so that no
        # token's backlog (or its 429 pause) holds the slots the others need; one channel claims as before.
        waiting: list[str | None] = [*self.notifiers] if len(self.notifiers) > 1 else [None]
        busy: dict[str | None, int] = dict.fromkeys(waiting, 0)
        turn: dict[str | None, int] = dict.fromkeys(waiting, 0)  # when each channel last claimed: ties go round
        ready: dict[str | None, deque[tuple[Claim, Delivery | str]]] = {c: deque() for c in waiting}
        while not self.stopping and waiting:
            if len(running) >= self.concurrency:  # a slot first, then the claim: a crash repeats ≤ concurrency
                _done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                continue
            claim = None
            if messages_left:  # the single messages first (requests, decisions, notices, the Monday digest)
                claim = await asyncio.to_thread(partial(self.claim_message, weekly=in_hours))
                messages_left = claim is not None
            if claim is not None:
                running.add(asyncio.create_task(self.send(claim, report)))
                continue
            if not in_hours:
                break
            channel = min(waiting, key=lambda c: (busy[c], turn[c]))
            if not ready[channel]:  # a few people at a time: one thread hop (and on SQLite one transaction)
                room = max(1, min(self.claim_batch_size, self.concurrency - len(running)))
                ready[channel].extend(await asyncio.to_thread(self.claim_batch, channel, room))
                if not ready[channel]:
                    waiting.remove(channel)
                    continue
                if self.stopping:
                    break
            claim, built = ready[channel].popleft()
            busy[channel] += 1
            turn[channel] = max(turn.values()) + 1
            task = asyncio.create_task(self.send(claim, report, built))
            task.add_done_callback(lambda _t, c=channel: busy.__setitem__(c, busy[c] - 1))  # type: ignore[misc]
            running.add(task)
        left = [claim for queue in ready.values() for claim, _built in queue]
        if left:  # claimed, never sent (told to stop meanwhile): waiting again, for the next process
            await asyncio.to_thread(self._give_back, left)
        if running:
            await asyncio.gather(*running)


class _SentBatch:
    """Delivered claims recorded together: while one transaction writes, the next answers gather for the
    next one. Each send waits until its own record is written (a slot stays taken until then, so a crash
    still repeats at most `concurrency` messages), and a failed write fails every send in it."""

    def __init__(self, write: Callable[[list[tuple[Claim, str, str]]], None]) -> None:
        self.write = write
        self.pending: list[tuple[tuple[Claim, str, str], asyncio.Future[None]]] = []
        self.writer: asyncio.Task[None] | None = None

    async def record(self, claim: Claim, chat_id: str, message_id: str) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.pending.append(((claim, chat_id, message_id), future))
        if self.writer is None or self.writer.done():
            self.writer = asyncio.create_task(self._write_all())
        await future

    async def _write_all(self) -> None:
        await asyncio.sleep(SENT_GATHER)
        while self.pending:
            batch, self.pending = self.pending, []
            try:
                await asyncio.to_thread(self.write, [item for item, _future in batch])
            except BaseException as exc:
                for _item, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
            else:
                for _item, future in batch:
                    if not future.done():
                        future.set_result(None)
