"""The planner: from assignments, the policy and today, write the reminders that are due into the outbox.

Planning twice plans once (a unique key per assignment × official × kind × day × channel). Only the
latest occasion of each assignment is planned, so after downtime what was missed goes out once; older
rows still waiting are marked skipped. A closed assignment's waiting rows are skipped too, and so are
those of someone who left that channel (`/kenh`) or went on leave, on the same morning. The dry run
(`nhacviec remind --dry-run`) is this planner run in a transaction that is rolled back.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, ClassVar

from sqlalchemy import (
    Connection,
    Engine,
    String,
    bindparam,
    cast,
    func,
    insert,
    or_,
    select,
    type_coerce,
    update,
)

from scheduler.clock import Clock, at_local, local_today, to_utc
from scheduler.outbox.policy import DUE_TODAY, ESCALATION, OVERDUE, ReminderPolicy, is_planner_kind
from scheduler.outbox.queue import enqueue_reminders
from scheduler.register.bots import channel_kind
from scheduler.register.models import (
    ACTIVE_STATUSES,
    ASSIGNMENTS,
    CHATS,
    MEMBERS,
    META,
    OFFICIALS,
    REMINDERS,
    SETTINGS,
    TASKS,
    UNITS,
    ReminderState,
    Role,
    TaskKind,
)
from scheduler.register.occurrences import add_occurrences
from scheduler.register.unit_chats import is_group_recipient, linked_group_units, wants_private_too
from scheduler.workdays import is_working_day

UNLINKED = "chưa liên kết"
HOLIDAY_RUN = 14  # days: longer than any run of Vietnamese days off (Tết with its weekends)
# Rows written in one piece at most: a province's morning is planned in pieces, each its own short
# transaction (memory stays bounded), back to back within one tick (see plan_all).
ROWS_PER_TICK = 10_000  # while a morning is planned in pieces the dispatcher waits (see planning_done)


@dataclass
class PlanReport:
    occurrences_added: int = 0
    planned: int = 0
    skipped: int = 0
    deferred: int = 0  # rows left for the next tick (see ROWS_PER_TICK)


def register_policy(conn: Connection, base: ReminderPolicy | None = None) -> ReminderPolicy:
    """The default policy with the register's `reminders:` section applied."""
    settings = conn.execute(select(META.c.value).where(META.c.key == "reminders")).scalar()
    return (base or ReminderPolicy()).with_settings(settings if isinstance(settings, dict) else None)


@dataclass
class Recipients:
    """Who hears about a unit: its linked officials (minus those on leave), and the leaders."""

    by_unit: dict[int, list[tuple[int, str]]]
    leaders_by_unit: dict[int, list[tuple[int, str]]]
    leaders: list[tuple[int, str]]
    on_leave_units: set[int]
    digest_at: dict[int, time]

    def for_unit(self, unit_id: int) -> list[tuple[int, str]]:
        """The unit's officials; while all of them are on leave, its leaders, so no unit goes silent."""
        people = self.by_unit.get(unit_id)
        if people:
            return people
        if unit_id in self.on_leave_units:
            return self.leaders_by_unit.get(unit_id) or self.leaders
        return []


def recipients(conn: Connection, today: date, include_unlinked: bool = False) -> Recipients:
    # Rows are read as they come and kept as tuples, not lists of Row objects: the garbage collector's full
    # passes grow with the objects a tick keeps, and a province has 15,000 officials and 100,000 assignments.
    heard_on: dict[int, tuple[tuple[int, str], ...]] = {}  # official → (official, channel) pairs
    links = select(CHATS.c.official_id, CHATS.c.channel).where(CHATS.c.active.is_(True)).distinct()
    for official_id, channel in conn.execute(links):
        heard_on[official_id] = (*heard_on.get(official_id, ()), (official_id, channel))
    if include_unlinked:  # the dry run names who cannot be reached yet
        for official_id, code in conn.execute(select(OFFICIALS.c.id, OFFICIALS.c.code)):
            if not is_group_recipient(code):
                heard_on.setdefault(official_id, ((official_id, UNLINKED),))
    leaders = set(conn.execute(select(OFFICIALS.c.id).where(OFFICIALS.c.role == Role.leader.value)).scalars())
    settings = conn.execute(
        select(SETTINGS.c.official_id, SETTINGS.c.muted_until, SETTINGS.c.digest_at, SETTINGS.c.channels)
    ).all()
    on_leave = {o for o, muted, _, _ in settings if muted is not None and muted >= today}
    digest_at = {o: at for o, _, at, _ in settings if at is not None}
    for official_id, _, _, preferred in settings:  # /kenh: where an official linked twice wants reminders
        if preferred and any(channel_kind(c) == preferred for _, c in heard_on.get(official_id, ())):
            heard_on[official_id] = tuple(p for p in heard_on[official_id] if channel_kind(p[1]) == preferred)
    found = Recipients(defaultdict(list), defaultdict(list), [], set(), digest_at)
    groups = linked_group_units(conn)  # a unit's group chat hears instead of its members (unless they asked)
    private_too = wants_private_too(conn) if groups else set()
    for official_id, unit_id in conn.execute(select(MEMBERS.c.official_id, MEMBERS.c.unit_id)):
        if official_id in on_leave:
            found.on_leave_units.add(unit_id)
            continue
        pairs = heard_on.get(official_id)
        if not pairs:
            continue
        if groups.get(unit_id, official_id) == official_id or official_id in private_too:  # not heard via a group
            found.by_unit[unit_id] += pairs
        if official_id in leaders:
            found.leaders_by_unit[unit_id] += pairs
    found.leaders = [pair for o, pairs in heard_on.items() if o in leaders and o not in on_leave for pair in pairs]
    return found


@dataclass
class Occasion:
    """One assignment's reminder due today, and everyone who hears of it (official, channel, kind).

    The rows are tuples shared by the occasions of one unit (see occasions): nothing can change one
    occasion's rows through another."""

    assignment_id: int
    day: date
    targets: Sequence[tuple[int, str, str]]
    send_after: Sequence[datetime]

    def row_keys(self) -> Iterator[tuple[tuple[int, int, str, str, str], datetime]]:
        """Each row's outbox key (assignment, official, channel, kind, day) and when it should go out."""
        day = self.day.isoformat()
        for (official_id, channel, kind), send_after in zip(self.targets, self.send_after, strict=True):
            yield (self.assignment_id, official_id, channel, kind, day), send_after

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "assignment_id": self.assignment_id,
                "official_id": official_id,
                "channel": channel,
                "kind": kind,
                "planned_for": self.day,
                "send_after": send_after,
            }
            for (official_id, channel, kind), send_after in zip(self.targets, self.send_after, strict=True)
        ]


_Rows = tuple[tuple[tuple[int, str, str], ...], tuple[datetime, ...]]  # an occasion's targets and send times


def occasions(conn: Connection, today: date, policy: ReminderPolicy, include_unlinked: bool = False) -> list[Occasion]:
    """Today's occasion of every open assignment that has one, with its recipients."""
    people = recipients(conn, today, include_unlinked)
    if not people.by_unit and not people.leaders:
        return []
    overrides: dict[int, ReminderPolicy] = {}
    events: list[int] = []  # a recurring event is reminded before and on its day, never after
    for task_id, settings, kind in conn.execute(
        select(TASKS.c.id, TASKS.c.reminders, TASKS.c.kind).where(
            or_(TASKS.c.reminders.is_not(None), TASKS.c.kind == TaskKind.event.value)
        )
    ):
        event = kind == TaskKind.event.value
        if event:
            events.append(task_id)
        if settings or event:
            overrides[task_id] = policy.for_task(event, settings or None)
    # Only deadlines close enough to have an occasion today: the earliest "before" reminder, moved back over
    # the longest run of days off (Tết), is within HOLIDAY_RUN days of it. Far deadlines cost nothing.
    horizon = max((*policy.before_days, *(d for p in overrides.values() for d in p.before_days), 0)) + HOLIDAY_RUN
    # Dates come back as ISO text and are parsed once per distinct value: 100,000 rows, a few hundred days.
    query = select(
        ASSIGNMENTS.c.id, ASSIGNMENTS.c.unit_id, cast(ASSIGNMENTS.c.due, String), ASSIGNMENTS.c.task_id
    ).where(ASSIGNMENTS.c.status.in_(ACTIVE_STATUSES), ASSIGNMENTS.c.due <= today + timedelta(days=horizon))
    if events:  # an event whose day has passed is counted ("not reported"), not reminded: not even read
        query = query.where(or_(ASSIGNMENTS.c.due >= today, ASSIGNMENTS.c.task_id.not_in(events)))
    query = query.order_by(ASSIGNMENTS.c.id)  # a stable order: a morning is planned in pieces, by assignment
    # Thousands of assignments share a unit and a deadline: the occasion of each (policy, due date) and the
    # rows of each (unit, occasion, send time) are made once per tick, and occasions share those tuples.
    latest: dict[tuple[int, str], Any] = {}
    shared: dict[tuple[int, str, date, time], _Rows | None] = {}
    targets_of: dict[tuple[int, str], tuple[tuple[int, str, str], ...]] = {}
    times_of: dict[tuple[int, bool, date, time], tuple[datetime, ...]] = {}
    send_times: dict[tuple[date, time], datetime] = {}
    own_time = people.digest_at

    def send_time(day: date, at: time) -> datetime:
        moment = send_times.get((day, at))
        if moment is None:
            moment = send_times[(day, at)] = to_utc(at_local(day, at))
        return moment

    def rows_of(unit_id: int, kind: str, day: date, at: time) -> _Rows | None:
        unit_people = people.for_unit(unit_id)
        escalating_to = people.leaders_by_unit.get(unit_id) or people.leaders
        if not unit_people and not escalating_to:
            return None
        targets = targets_of.get((unit_id, kind))
        if targets is None:
            unit_kind = OVERDUE if kind == ESCALATION else kind
            targets = tuple([(o, c, unit_kind) for o, c in unit_people])
            if kind == ESCALATION:
                targets += tuple([(o, c, ESCALATION) for o, c in escalating_to])
            targets_of[(unit_id, kind)] = targets
        times_key = (unit_id, kind == ESCALATION, day, at)  # the same people, in the same order
        times = times_of.get(times_key)
        if times is None:
            usual = send_time(day, at)  # everyone at the set time, but those who chose their own (/caidat giờ)
            times = tuple([usual if o not in own_time else send_time(day, own_time[o]) for o, _c, _k in targets])
            times_of[times_key] = times
        return targets, times

    found: list[Occasion] = []
    for assignment_id, unit_id, due_text, task_id in conn.execute(query):  # read as they come (see recipients)
        task_policy = overrides.get(task_id, policy)
        schedule_key = (id(task_policy), due_text)
        occasion = latest.get(schedule_key, False)
        if occasion is False:
            occasion = latest[schedule_key] = task_policy.latest(date.fromisoformat(due_text[:10]), today)
        if occasion is None:
            continue
        rows_key = (unit_id, occasion.kind, occasion.day, task_policy.send_at)
        if rows_key not in shared:
            shared[rows_key] = rows_of(*rows_key)
        rows = shared[rows_key]
        if rows is not None:
            found.append(Occasion(assignment_id, occasion.day, rows[0], rows[1]))
    return found


def plan(engine: Engine, clock: Clock, policy: ReminderPolicy | None = None) -> PlanReport:
    """One planning pass (one piece of a big morning), its own transaction; safe every minute, from several
    processes."""
    with engine.begin() as conn:
        return plan_in(conn, clock, policy)


def plan_in(
    conn: Connection, clock: Clock, policy: ReminderPolicy | None = None, include_unlinked: bool = False
) -> PlanReport:
    """One planning pass in the caller's transaction: a tick commits it, the dry run rolls it back.

    Today's occasions are compared with the outbox row by row — (assignment, official, channel, kind, day)
    — so that a `/kenh`, a leave or a new morning time counts on the same morning: rows no occasion calls
    for any more are skipped, skipped ones called for again are planned again, a changed time is moved,
    and what was already sent (or is being sent) on any channel is never planned a second time.
    """
    report = PlanReport()
    now, today = clock.now(), local_today(clock)
    active_policy = register_policy(conn, policy)
    report.occurrences_added = add_occurrences(conn, today, now, active_policy)
    found = occasions(conn, today, active_policy, include_unlinked)
    if not found:
        report.skipped += _skip_unwanted(conn, before=None)
    else:
        memo = _Memo.load(conn, today, found)
        comparison: _Comparison | None = None
        to_write: list[Occasion] = []
        if memo.through is not None and not memo.done:  # the morning's next piece, compared before written
            to_write = [f for f in found if f.assignment_id > memo.through]
            piece = {f.assignment_id for f in _piece(to_write, ROWS_PER_TICK)}
            comparison = _compare(conn, found, active_policy, today, piece)
        elif not memo.done:  # something changed since the last tick (or it is the day's first tick)
            changed = memo.changed()
            comparison = _compare(conn, found, active_policy, today, changed)
            if changed is None:  # a whole comparison: what is older than every occasion is nobody's any more
                report.skipped += _skip_unwanted(conn, before=min(f.day for f in found))
            to_write = found if changed is None else [f for f in found if f.assignment_id in changed]
        if comparison is not None:
            skipped, revived = comparison.apply(conn)
            report.skipped += skipped
            report.planned += revived
        fresh, report.deferred, last = _budget(to_write, comparison, ROWS_PER_TICK)
        enqueue_reminders(conn, fresh)
        report.planned += len(fresh)
        memo.save(conn, last, report.deferred)
    report.skipped += _skip_closed(conn)
    return report


def _whole_morning(piece: Callable[[], PlanReport]) -> PlanReport:
    """Plan piece after piece until the morning is whole (or, never seen, a piece makes no progress)."""
    total = PlanReport()
    while True:
        one = piece()
        total.occurrences_added += one.occurrences_added
        total.planned += one.planned
        total.skipped += one.skipped
        went_on = one.deferred < total.deferred if total.deferred else True
        total.deferred = one.deferred
        if not one.deferred or not (one.planned or went_on):
            return total


def _spread_if_early(conn: Connection, clock: Clock, policy: ReminderPolicy | None) -> None:
    """Before the send time, a big morning is spread so that it is delivered by that time (see deliver_by)."""
    active = register_policy(conn, policy)
    if clock.now() < to_utc(at_local(local_today(clock), active.send_at)):  # later, all is due anyway
        deliver_by(conn, local_today(clock), active)


def plan_all(engine: Engine, clock: Clock, policy: ReminderPolicy | None = None) -> PlanReport:
    """Plan piece after piece until the morning is whole: a bot started at 07:31 before a province's morning
    (50,000 people) sends within seconds instead of waiting one tick a piece. Each piece is one `plan`
    (its own transaction, at most ROWS_PER_TICK rows), so memory stays bounded and other writers get in
    between; the caller runs this off the event loop."""
    total = _whole_morning(lambda: plan(engine, clock, policy))
    if total.planned and not total.deferred:
        with engine.begin() as conn:
            _spread_if_early(conn, clock, policy)
    return total


def dry_run(engine: Engine, clock: Clock) -> list[dict[str, Any]]:
    """What today's ticks would send: the planner itself (plan_all's pieces and spreading, the same
    functions) run in one transaction that is rolled back, then the rows waiting to go out today read from
    it. Officials not linked yet are planned on the channel "chưa liên kết", so a keeper sees who would be
    missed; nothing is ever sent there. On a day off nothing goes out, so nothing is listed."""
    today = local_today(clock)
    with engine.connect() as conn:
        conn.begin()
        try:
            total = _whole_morning(lambda: plan_in(conn, clock, include_unlinked=True))
            if total.planned and not total.deferred:
                _spread_if_early(conn, clock, None)
            return going_out(conn, today) if is_working_day(today) else []
        finally:
            conn.rollback()


def going_out(conn: Connection, today: date) -> list[dict[str, Any]]:
    """The outbox rows waiting to go out by the end of `today`, with what a person would read of them."""
    return [dict(row._mapping) for row in conn.execute(_going_out_query(today))]


def _going_out_query(today: date) -> Any:
    tomorrow = to_utc(at_local(today + timedelta(days=1), time(0, 0)))
    return (
        select(
            REMINDERS.c.official_id,
            OFFICIALS.c.name.label("official_name"),
            REMINDERS.c.channel,
            REMINDERS.c.chat_id,
            REMINDERS.c.assignment_id,
            REMINDERS.c.kind,
            REMINDERS.c.planned_for,
            REMINDERS.c.send_after,
            ASSIGNMENTS.c.due,
            TASKS.c.code,
            TASKS.c.title,
            UNITS.c.name.label("unit_name"),
        )
        .join(OFFICIALS, OFFICIALS.c.id == REMINDERS.c.official_id)
        .join(ASSIGNMENTS, ASSIGNMENTS.c.id == REMINDERS.c.assignment_id)
        .join(TASKS, TASKS.c.id == ASSIGNMENTS.c.task_id)
        .join(UNITS, UNITS.c.id == ASSIGNMENTS.c.unit_id)
        .where(REMINDERS.c.state == ReminderState.planned.value, REMINDERS.c.send_after < tomorrow)
        .order_by(REMINDERS.c.send_after, REMINDERS.c.id)
    )


# Messages a second one bot sends at most (Telegram's 30, a little below): how long a morning's wave takes.
WAVE_PACE = 28.0


def deliver_by(conn: Connection, today: date, policy: ReminderPolicy, pace: float = WAVE_PACE) -> int:
    """A big morning starts early enough that its last digest goes out by the set time (07:30), not from it.

    The people waiting for the morning's send time, on each channel, are spread from as early as needed
    (never inside the quiet hours) up to that time, soonest deadline first: 50,000 people at 28 a second
    start at 07:00. Returns how many people were moved; a morning that fits in a minute is left alone.
    """
    send_at = to_utc(at_local(today, policy.send_at))
    opens = to_utc(at_local(today, policy.quiet_until))
    waiting = conn.execute(_waiting_at(today, send_at)).all()
    by_channel: dict[str, list[tuple[date, int]]] = defaultdict(list)
    for official_id, channel, soonest in waiting:
        by_channel[channel].append((soonest, official_id))
    moves = []
    for channel, people in by_channel.items():
        needed = timedelta(seconds=len(people) / pace)
        if needed <= timedelta(minutes=1):
            continue
        start = max(opens, send_at - needed) if opens < send_at else send_at - needed
        step = (send_at - start) / len(people)
        for rank, (_soonest, official_id) in enumerate(sorted(people)):
            moves.append({"person": official_id, "on": channel, "at": start + step * rank})
    if moves:
        conn.execute(_move_from(today, send_at), moves)
    return len(moves)


def _at_the_send_time(send_at: datetime) -> tuple[Any, Any]:
    # Within a second rather than equal: SQLite keeps the bulk-inserted times in a text form of their own.
    second = timedelta(seconds=1)
    return REMINDERS.c.send_after > send_at - second, REMINDERS.c.send_after < send_at + second


def _waiting_at(today: date, send_at: datetime) -> Any:
    """Who waits for the morning's set time, on which channel, and their soonest deadline."""
    return (
        select(REMINDERS.c.official_id, REMINDERS.c.channel, func.min(ASSIGNMENTS.c.due))
        .join(ASSIGNMENTS, ASSIGNMENTS.c.id == REMINDERS.c.assignment_id)
        .where(
            REMINDERS.c.state == ReminderState.planned.value,
            REMINDERS.c.planned_for == today,
            *_at_the_send_time(send_at),
        )
        .group_by(REMINDERS.c.official_id, REMINDERS.c.channel)
    )


def _move_from(today: date, send_at: datetime, person: Any = None, on: Any = None, at: Any = None) -> Any:
    """One person's rows on one channel moved from the set time to `at` (bound per person unless given)."""
    return (
        update(REMINDERS)
        .where(
            REMINDERS.c.official_id == (bindparam("person") if person is None else person),
            REMINDERS.c.channel == (bindparam("on") if on is None else on),
            REMINDERS.c.state == ReminderState.planned.value,
            *_at_the_send_time(send_at),
            REMINDERS.c.planned_for == today,
        )
        .values(send_after=bindparam("at") if at is None else at)
    )


@dataclass
class _Memo:
    """What the last tick of the day left: each occasion's rows in 8 bytes, and how far it got.

    Each occasion's rows (day, official, channel, kind, send time of every row) are hashed as one tuple
    (64 bits of Python's tuple hash, which mixes every element in order: no structure to collide on,
    unlike sums of ids). When every occasion hashes as at the last tick,
    a finished morning needs no look at the outbox at all, and an unfinished one (planned in pieces, by
    assignment) goes on after the last assignment written. When some changed (a task closed, a chat
    linked, a `/kenh`, a leave), exactly those occasions' rows are compared with the outbox, row by row.
    """

    day: str
    hashes: dict[int, int]
    through: int | None = None  # last assignment written while the morning is unfinished
    done: bool = False
    before: dict[int, int] | None = None  # the last tick's hashes, today

    KEY: ClassVar[str] = "planner"

    @classmethod
    def load(cls, conn: Connection, today: date, found: list[Occasion]) -> _Memo:
        fresh = cls(today.isoformat(), _hashes(found))
        stored = conn.execute(select(META.c.value).where(META.c.key == cls.KEY)).scalar()
        if not isinstance(stored, dict) or stored.get("day") != fresh.day or "ids" not in stored:
            return fresh
        before = dict(zip(stored["ids"], stored["hashes"], strict=True))
        if before == fresh.hashes:
            fresh.before, fresh.through, fresh.done = before, stored.get("through"), bool(stored.get("done"))
        elif stored.get("done"):  # a finished morning since changed: only what changed is compared
            fresh.before = before
        return fresh  # (a morning left unfinished and changed meanwhile is compared whole)

    def changed(self) -> set[int] | None:
        """The assignments whose occasion changed, appeared or went since the last tick; None: compare all."""
        if self.before is None:
            return None
        before, now = self.before, self.hashes
        return {a for a, h in now.items() if before.get(a) != h} | (before.keys() - now.keys())

    def save(self, conn: Connection, last: int | None, deferred: int) -> None:
        """Remember today's occasions, and while rows wait for the next piece the last assignment taken."""
        if self.done and deferred == 0 and self.before == self.hashes:
            return  # nothing new to remember
        value = {
            "day": self.day,
            "ids": list(self.hashes),
            "hashes": list(self.hashes.values()),
            "done": deferred == 0,
            "through": last if deferred else None,
        }
        if conn.execute(update(META).where(META.c.key == self.KEY).values(value=value)).rowcount == 0:
            conn.execute(insert(META).values(key=self.KEY, value=value))


def _hashes(found: list[Occasion]) -> dict[int, int]:
    """Each occasion's rows hashed: every row as integers (the official; the channel and kind, and the
    instant, by codes of their own, the same in every process), the day first. Python's hash of a tuple
    of integers is not salted per process (only strings are), so every process computes the same."""
    pairs: dict[tuple[str, str], int] = {}
    instants: dict[datetime, int] = {}
    hashed: dict[int, int] = {}
    alike: dict[tuple[int, int, date], int] = {}  # occasions share their tuples of rows (see occasions)
    for f in found:
        same = (id(f.targets), id(f.send_after), f.day)
        value = alike.get(same)
        if value is None:
            numbers = [f.day.toordinal()]
            for (official_id, channel, kind), at in zip(f.targets, f.send_after, strict=True):
                pair = pairs.get((channel, kind))
                if pair is None:
                    pair = pairs[(channel, kind)] = _code(f"{channel}|{kind}")
                moment = instants.get(at)
                if moment is None:
                    moment = instants[at] = int(at.timestamp())
                numbers += (official_id, pair, moment)
            value = alike[same] = hash(tuple(numbers))
        hashed[f.assignment_id] = value
    return hashed


def _code(text: str) -> int:
    """A stable 56-bit code for a string (str's own hash is salted per process)."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=7).digest())


Key = tuple[int, int, str, str, str]  # the outbox's unique key: assignment, official, channel, kind, day (ISO)


@dataclass
class _Comparison:
    """Today's occasions against the outbox, row by row: what to write, skip, plan again or move."""

    scope: set[int] | None = None  # the assignments compared (None: all of today's)
    held: set[Key] = field(default_factory=set)  # every key the outbox has, in any state
    delivered: set[tuple[int, int, str, str]] = field(default_factory=set)  # (assignment, official, kind, day)
    unwanted: list[int] = field(default_factory=list)  # planned rows no occasion calls for any more
    revive: list[dict[str, Any]] = field(default_factory=list)  # skipped rows called for again
    retime: list[dict[str, Any]] = field(default_factory=list)  # planned rows whose send time changed

    def missing(self, key: Key) -> bool:
        """A row to write: not in the outbox, and not sent (nor being sent) to this person on another channel."""
        return key not in self.held and (key[0], key[1], key[3], key[4]) not in self.delivered

    def apply(self, conn: Connection) -> tuple[int, int]:
        """Skip, plan again and move what the comparison found; returns (skipped, planned again)."""
        skipped = 0
        for start in range(0, len(self.unwanted), 500):
            skipped += (
                conn.execute(
                    update(REMINDERS)
                    .where(
                        REMINDERS.c.id.in_(self.unwanted[start : start + 500]),
                        REMINDERS.c.state == ReminderState.planned.value,
                    )
                    .values(state=ReminderState.skipped.value, last_error=NOT_WANTED)
                ).rowcount
                or 0
            )
        revived = 0
        if self.revive:
            revived = (
                conn.execute(
                    update(REMINDERS)
                    .where(REMINDERS.c.id == bindparam("row"), REMINDERS.c.state == ReminderState.skipped.value)
                    .values(
                        state=ReminderState.planned.value,
                        send_after=bindparam("at"),
                        attempts=0,
                        next_attempt_at=None,
                        last_error="",
                    ),
                    self.revive,
                ).rowcount
                or 0
            )
        if self.retime:
            conn.execute(
                update(REMINDERS)
                .where(REMINDERS.c.id == bindparam("row"), REMINDERS.c.state == ReminderState.planned.value)
                .values(send_after=bindparam("at")),
                self.retime,
            )
        return skipped, revived


NOT_WANTED = "không còn cần gửi (đã có lời nhắc mới hơn, đổi kênh, nghỉ phép hoặc đổi người nhận)"


def _compare(
    conn: Connection, found: list[Occasion], policy: ReminderPolicy, today: date, only: set[int] | None = None
) -> _Comparison:
    """Compare today's occasions (or `only` those of these assignments) with their outbox rows, exactly.

    A whole comparison reads the rows of the occasions' days (the index ix_reminder_day); a partial one
    reads every row of the changed assignments (the unique key, which starts with the assignment). A row
    of the morning's set time that deliver_by moved earlier (a big morning's spread) keeps its time.
    """
    planned, skipped = ReminderState.planned.value, ReminderState.skipped.value
    delivering = (ReminderState.sent.value, ReminderState.sending.value)
    set_time = to_utc(at_local(today, policy.send_at))
    opens = to_utc(at_local(today, policy.quiet_until))
    spread_from = opens if opens < set_time else set_time - timedelta(hours=1)
    second = timedelta(seconds=1)
    result = _Comparison(scope=only)
    revivable: list[tuple[Key, int]] = []
    instants: dict[Any, datetime] = {}
    ours: dict[str, bool] = {}
    rows: list[Any] = []
    if only is None:
        rows = [tuple(row) for row in conn.execute(_day_rows(min(f.day for f in found)))]  # (see recipients)
    else:
        ids = sorted(only)
        for start in range(0, len(ids), 500):
            rows += [tuple(row) for row in conn.execute(_assignment_rows(ids[start : start + 500]))]
    present = {row[1] for row in rows}  # only rows are looked up in `wanted`: the first tick of a day has few
    wanted: dict[Key, datetime] = {}
    for f in found:
        if f.assignment_id in present and (only is None or f.assignment_id in only):
            day = f.day.isoformat()
            for (official_id, channel, kind), at in zip(f.targets, f.send_after, strict=True):
                wanted[(f.assignment_id, official_id, channel, kind, day)] = at
    for row_id, assignment_id, official_id, channel, kind, day_text, state, raw_at in rows:
        mine = ours.get(kind)
        if mine is None:
            mine = ours[kind] = is_planner_kind(kind)
        if not mine:
            continue
        key = (assignment_id, official_id, channel, kind, day_text[:10])
        result.held.add(key)
        if state in delivering:
            result.delivered.add((assignment_id, official_id, kind, key[4]))
        want = wanted.get(key)
        if state == planned:
            if want is None:
                result.unwanted.append(row_id)
                continue
            held_at = instants.get(raw_at)
            if held_at is None:
                held_at = instants[raw_at] = _instant(raw_at)
            spread = want == set_time and spread_from - second <= held_at <= want
            if abs(held_at - want) > second and not spread:
                result.retime.append({"row": row_id, "at": want})
        elif state == skipped and want is not None:
            revivable.append((key, row_id))
    result.revive = [
        {"row": row_id, "at": wanted[key]}
        for key, row_id in revivable
        if (key[0], key[1], key[3], key[4]) not in result.delivered
    ]
    return result


def _day_rows(since: date) -> Any:
    """The outbox rows of the days from `since` (ix_reminder_day), as the comparison reads them."""
    return select(
        REMINDERS.c.id,
        REMINDERS.c.assignment_id,
        REMINDERS.c.official_id,
        REMINDERS.c.channel,
        REMINDERS.c.kind,
        cast(REMINDERS.c.planned_for, String),
        REMINDERS.c.state,
        type_coerce(REMINDERS.c.send_after, String),  # parsed once per distinct value (_instants)
    ).where(REMINDERS.c.planned_for >= since)


def _assignment_rows(assignment_ids: list[int]) -> Any:
    """Every outbox row of these assignments (uq_reminder), as the comparison reads them."""
    return select(*_day_rows(date.min).selected_columns).where(REMINDERS.c.assignment_id.in_(assignment_ids))


def _instant(raw: Any) -> datetime:
    """A stored send time as an aware UTC instant (SQLite gives text, PostgreSQL a datetime)."""
    value = raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _skip_unwanted(conn: Connection, before: date | None) -> int:
    """Planned rows of the planner's kinds older than every occasion of today (or all, with no occasion):
    nothing calls for them any more (e.g. yesterday's row on a channel the official has left)."""
    return conn.execute(_unwanted_rows(before)).rowcount or 0


def _unwanted_rows(before: date | None) -> Any:
    kinds = or_(
        REMINDERS.c.kind.in_((DUE_TODAY, OVERDUE, ESCALATION)),
        REMINDERS.c.kind.like("before\\_%d", escape="\\"),
    )
    where = [REMINDERS.c.state == ReminderState.planned.value, kinds]
    if before is not None:
        where.append(REMINDERS.c.planned_for < before)
    return update(REMINDERS).where(*where).values(state=ReminderState.skipped.value, last_error=NOT_WANTED)


def _budget(
    to_write: list[Occasion], comparison: _Comparison | None, limit: int
) -> tuple[list[dict[str, Any]], int, int | None]:
    """The rows to write this tick (those the comparison finds missing), whole occasions in assignment
    order up to about `limit`; how many rows wait; and the last assignment taken.

    Only occasions the comparison covered are written; the others wait for the next piece, which compares
    them first. A person's rows may land in two ticks; the dispatcher holds the morning until the planner
    says it is done (`planning_done`), so that each person still gets one message.
    """
    rows: list[dict[str, Any]] = []
    waiting, last = 0, None
    scope = comparison.scope if comparison is not None else None
    for f in to_write:
        if comparison is None or (scope is not None and f.assignment_id not in scope) or len(rows) >= limit:
            waiting += len(f.targets)
            continue
        rows += [r for r, (key, _at) in zip(f.rows(), f.row_keys(), strict=True) if comparison.missing(key)]
        last = f.assignment_id
    return rows, waiting, last


def _piece(to_write: list[Occasion], limit: int) -> list[Occasion]:
    """The first occasions whose rows add up to about `limit`: the next piece of a morning."""
    taken, count = [], 0
    for f in to_write:
        if count >= limit:
            break
        taken.append(f)
        count += len(f.targets)
    return taken


def planning_done(conn: Connection, today: date) -> bool:
    """False while today's reminders are still being written in pieces: nothing should go out meanwhile."""
    stored = conn.execute(select(META.c.value).where(META.c.key == _Memo.KEY)).scalar()
    return not (isinstance(stored, dict) and stored.get("day") == today.isoformat() and not stored.get("done"))


def _skip_closed(conn: Connection) -> int:
    """Waiting rows of closed assignments, whatever their kind (a snoozed reminder of a task done, too).

    Rows a newer occasion replaced, or that nobody calls for any more, the comparison skips (_compare)."""
    return conn.execute(_closed_rows()).rowcount or 0


def _closed_rows() -> Any:
    return (
        update(REMINDERS)
        .where(
            REMINDERS.c.state == ReminderState.planned.value,
            REMINDERS.c.assignment_id.in_(
                select(ASSIGNMENTS.c.id).where(ASSIGNMENTS.c.status.not_in(ACTIVE_STATUSES)).scalar_subquery()
            ),
        )
        .values(state=ReminderState.skipped.value, last_error="việc đã xong hoặc đã hủy")
    )


def outbox_statements(today: date, policy: ReminderPolicy | None = None) -> dict[str, Any]:
    """Every statement by which the planner searches the outbox, built as it runs them (with sample values
    where it binds one per row): tests/integration/test_outbox_indexes.py checks that an index serves each
    on SQLite and PostgreSQL. The rest of its writes go by primary key or are inserts."""
    send_at = to_utc(at_local(today, (policy or ReminderPolicy()).send_at))
    return {
        "comparison: the rows of today's occasions' days": _day_rows(today),
        "comparison: the rows of the assignments that changed": _assignment_rows([1, 2, 3]),
        "skip: older rows nobody calls for": _unwanted_rows(today),
        "skip: rows of closed assignments": _closed_rows(),
        "spread: who waits for the set time": _waiting_at(today, send_at),
        "spread: one person's rows moved": _move_from(today, send_at, 1, "telegram", send_at),
        "dry run: what goes out today": _going_out_query(today),
    }
