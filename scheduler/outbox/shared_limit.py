"""One token's limits across processes: the limiter's windows kept in a PostgreSQL table.

Each process still keeps its own windows (a subset of the shared ones, and what orders its own answers
before its reminders); before a send starts it also takes a row in `send_slot` under a transaction-level
advisory lock of the token's bucket, and only when the rows counted there leave room: 30 in all, 1 to a
chat in a second, 20 to a group in a minute. A row counts from its start until a window after its answer
(for ever while it is in flight, up to `IN_FLIGHT_LIMIT` for a process that died mid-send), as the local
limiter counts, so that no network delay can squeeze 31 arrivals into Telegram's second. Database time
(`clock_timestamp()`) is the one clock of all processes. Healthchecks keeps its Telegram token buckets
in a table the same way.

A process books its next start rather than polling for a free place: the row is written with the earliest
start the table allows (the pacing after the latest start booked, the moment the window's oldest answered
send leaves it), up to `AHEAD` from now, and the process sleeps until then. Asking "is there room now?"
made every start a transaction late, on a busy machine 5–7 ms after each 30 ms interval: four processes
sent 25–27 a second where one sends 29. Booked, the starts keep the table's timeline, and a process books
while the send before is still going out.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, text

from scheduler.outbox.ratelimit import RateLimiter, _Send

IN_FLIGHT_LIMIT = 45.0  # seconds: longer than any send may take (the channels time out at 30 s)
KEEP = 300.0  # seconds of history kept (the group window is a minute)
AHEAD = 0.1  # seconds: how far ahead a process may book its next start

# Each part reads a short index range: sends in flight (booked ones too), the answers still counting, the
# chat's, the latest start booked.
_COUNTS = text(
    """
    WITH t AS (SELECT clock_timestamp() AS now)
    SELECT t.now,
      (SELECT count(*) FROM send_slot WHERE bucket = :bucket AND done_at IS NULL
         AND started_at > t.now - :in_flight * interval '1 second') AS in_flight,
      (SELECT array_agg(done_at) FROM send_slot WHERE bucket = :bucket
         AND done_at > t.now - :second * interval '1 second') AS answered,
      (SELECT count(*) FROM send_slot WHERE bucket = :bucket AND chat_id = :chat AND done_at IS NULL
         AND started_at > t.now - :in_flight * interval '1 second') AS chat_in_flight,
      (SELECT array_agg(done_at) FROM send_slot WHERE bucket = :bucket AND chat_id = :chat
         AND done_at > t.now - :window * interval '1 second') AS chat_answered,
      (SELECT max(started_at) FROM send_slot WHERE bucket = :bucket) AS last_start
    FROM t
    """
)


def room_in(in_flight: int, answered: list[float], limit: int) -> float | None:
    """Seconds until a window of `limit` has room, given the sends in flight (they count for ever) and when
    each answered one leaves it (`answered`, seconds from now); None while the sends in flight fill it (the
    earliest of them to be answered will free a place, and nobody knows when)."""
    if in_flight >= limit:
        return None
    free = limit - in_flight  # the window has room once no more than free - 1 answered sends still count
    if len(answered) < free:
        return 0.0
    return sorted(answered)[len(answered) - free]


def bucket_for(channel: str, token: str) -> str:
    """The name processes share for one token, without the token itself."""
    return f"{channel}:{hashlib.sha256(token.encode()).hexdigest()[:16]}"


class SharedRateLimiter(RateLimiter):
    """A RateLimiter whose windows hold across every process sharing `bucket` on one PostgreSQL."""

    def __init__(self, engine: Engine, bucket: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.engine = engine
        self.bucket = bucket
        self._slot_ids: dict[int, int] = {}
        self._takes = 0
        self._pending = 0  # the slot just taken, for the send that `_record` makes of it

    def _pace(self) -> float:
        return 0.0  # the table paces every process of the token: see `_reserve`

    async def _wait_for(self, chat_id: str, is_group: bool) -> float:
        wait = self._wait_needed(chat_id, is_group)
        if wait > 1e-6:
            return wait
        wait, slot, read_at = await asyncio.to_thread(self._reserve, chat_id, is_group)
        if slot is None:
            return wait
        # The start is booked `wait` after the database's now, which was read before `read_at`: so the send
        # never starts before its booked time, and the rest of the booking (the insert, the commit, the way
        # back from the thread) takes none of the time until it.
        until = read_at + wait
        try:
            while (left := until - self._now()) > 1e-6:
                await self._sleep(left)
        except BaseException:  # cancelled before it started: the booking frees its place
            await asyncio.shield(asyncio.to_thread(self._forget, slot))
            raise
        self._pending = slot
        return 0.0

    def _reserve(self, chat_id: str, is_group: bool) -> tuple[float, int | None, float]:
        """Book a start in the table: the seconds until it, its row, and the local moment (after it) when the
        database's now was read; or how long to wait before asking again, None and that moment.

        The start booked is the earliest the rows allow, up to `AHEAD` from now: so a process books its next
        send while the one before is going out, and the time a booking takes (a transaction under a lock,
        a few milliseconds on a busy machine) does not add to every interval. A booked row counts as in
        flight from the moment it is written."""
        second = 1.0 + self.margin
        window, limit = (60.0 + self.margin, self.per_group_minute) if is_group else (second, self.per_chat_second)
        with self.engine.begin() as conn:
            conn.execute(
                text("SELECT pg_advisory_xact_lock(hashtext('limit:' || :bucket), 0)"), {"bucket": self.bucket}
            )
            row = conn.execute(
                _COUNTS,
                {
                    "bucket": self.bucket,
                    "chat": chat_id,
                    "second": second,
                    "window": window,
                    "in_flight": IN_FLIGHT_LIMIT,
                },
            ).one()
            read_at = self._now()
            now = row.now

            def leaving(answers: list[Any] | None, length: float) -> list[float]:
                return [(done - now).total_seconds() + length for done in answers or ()]

            rooms = [
                room_in(row.in_flight, leaving(row.answered, second), self.per_second),
                room_in(row.chat_in_flight, leaving(row.chat_answered, window), limit),
            ]
            if None in rooms:  # the sends in flight fill a window: ask again soon
                return self._poll * 5, None, read_at
            waits = [0.0, *(r for r in rooms if r is not None)]
            if row.last_start is not None:  # even pacing across processes: no bursts
                waits.append(0.9 / self.per_second - (now - row.last_start).total_seconds())
            wait = max(waits)
            if wait > AHEAD:
                return wait - AHEAD, None, read_at
            slot = conn.execute(
                text(
                    "INSERT INTO send_slot (bucket, chat_id, is_group, started_at) "
                    "VALUES (:bucket, :chat, :group, GREATEST(clock_timestamp(), :at)) RETURNING id"
                ),
                {"bucket": self.bucket, "chat": chat_id, "group": is_group, "at": now + timedelta(seconds=wait)},
            ).scalar_one()
            self._takes += 1
            if self._takes % 500 == 0:
                conn.execute(
                    text(
                        "DELETE FROM send_slot WHERE bucket = :bucket "
                        "AND started_at < clock_timestamp() - :keep * interval '1 second'"
                    ),
                    {"bucket": self.bucket, "keep": KEEP},
                )
        return max(wait, 0.0), int(slot), read_at

    def _record(self, chat_id: str) -> _Send:
        send = super()._record(chat_id)
        self._slot_ids[id(send)] = self._pending
        return send

    async def _release(self, send: _Send) -> None:
        slot = self._slot_ids.pop(id(send), None)
        if slot is not None:
            await asyncio.to_thread(self._done, slot, send.done)

    def _forget(self, slot: int) -> None:
        """A booking whose send never started."""
        with self.engine.begin() as conn:
            conn.execute(text("DELETE FROM send_slot WHERE id = :id"), {"id": slot})

    def _done(self, slot: int, answered: float) -> None:
        """Record the answer's moment on the database's clock: its now less the time since the answer came
        (a thread, a connection), read before the write, so that the moment recorded is never too early.
        That wait is no sending time: counted, it holds every place of a busy process longer."""
        with self.engine.begin() as conn:
            waited = max(0.0, self._now() - answered)
            conn.execute(
                text(
                    "UPDATE send_slot SET done_at = GREATEST(started_at, clock_timestamp() - :waited * interval "
                    "'1 second') WHERE id = :id"
                ),
                {"id": slot, "waited": waited},
            )
