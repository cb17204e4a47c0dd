"""One token's limits across processes: the limiter's windows kept in a PostgreSQL table.

Each process still keeps its own windows (a subset of the shared ones, and what orders its own answers
before its reminders); before a send starts it also takes a row in `send_slot` under a transaction-level
advisory lock of the token's bucket, and only when the rows counted there leave room: 30 in all, 1 to a
chat in a second, 20 to a group in a minute. A row counts from its start until a window after its answer
(for ever while it is in flight, up to `IN_FLIGHT_LIMIT` for a process that died mid-send), as the local
limiter counts, so that no network delay can squeeze 31 arrivals into Telegram's second. Database time
(`clock_timestamp()`) is the one clock of all processes. Healthchecks keeps its Telegram token buckets
in a table the same way.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

from sqlalchemy import Engine, text

from scheduler.outbox.ratelimit import RateLimiter, _Send

IN_FLIGHT_LIMIT = 45.0  # seconds: longer than any send may take (the channels time out at 30 s)
KEEP = 300.0  # seconds of history kept (the group window is a minute)

# Each part reads a short index range: answers of the last window, sends in flight, the chat's rows, the last start.
_COUNTS = text(
    """
    WITH t AS (SELECT clock_timestamp() AS now)
    SELECT t.now,
      (SELECT count(*) FROM send_slot WHERE bucket = :bucket AND done_at > t.now - :second * interval '1 second')
        + (SELECT count(*) FROM send_slot WHERE bucket = :bucket AND done_at IS NULL
             AND started_at > t.now - :in_flight * interval '1 second') AS everyone,
      (SELECT min(done_at) FROM send_slot WHERE bucket = :bucket AND done_at > t.now - :second * interval '1 second')
        AS first_done,
      (SELECT count(*) FROM send_slot WHERE bucket = :bucket AND chat_id = :chat
         AND ((done_at IS NULL AND started_at > t.now - :in_flight * interval '1 second')
              OR done_at > t.now - :window * interval '1 second')) AS chat,
      (SELECT min(done_at) FROM send_slot WHERE bucket = :bucket AND chat_id = :chat
         AND done_at > t.now - :window * interval '1 second') AS chat_first_done,
      (SELECT max(started_at) FROM send_slot WHERE bucket = :bucket) AS last_start
    FROM t
    """
)


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

    async def _wait_for(self, chat_id: str, is_group: bool) -> float:
        wait = self._wait_needed(chat_id, is_group)
        if wait > 1e-6:
            return wait
        return await asyncio.to_thread(self._reserve, chat_id, is_group)

    def _reserve(self, chat_id: str, is_group: bool) -> float:
        """Take a slot in the table now (0.0), or say how long to wait before asking again."""
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
            now = row.now
            waits = [0.0]
            if row.last_start is not None:  # even pacing across processes: no bursts
                waits.append(0.9 / self.per_second - (now - row.last_start).total_seconds())
            if row.everyone >= self.per_second:
                waits.append(self._free_in(row.first_done, second, now))
            if row.chat >= limit:
                waits.append(self._free_in(row.chat_first_done, window, now))
            wait = max(waits)
            if wait > 1e-6:
                return wait
            slot = conn.execute(
                text(
                    "INSERT INTO send_slot (bucket, chat_id, is_group, started_at) "
                    "VALUES (:bucket, :chat, :group, clock_timestamp()) RETURNING id"
                ),
                {"bucket": self.bucket, "chat": chat_id, "group": is_group},
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
        self._pending = int(slot)
        return 0.0

    def _free_in(self, first_done: Any, window: float, now: Any) -> float:
        """Seconds until the oldest answered send leaves the window; a short poll when all are in flight
        (the earliest to be answered frees the place)."""
        if first_done is None:
            return self._poll * 5
        return max(self._poll, window - (now - first_done).total_seconds())

    def _record(self, chat_id: str) -> _Send:
        send = super()._record(chat_id)
        self._slot_ids[id(send)] = self._pending
        return send

    async def _release(self, send: _Send) -> None:
        slot = self._slot_ids.pop(id(send), None)
        if slot is not None:
            await asyncio.to_thread(self._done, slot)

    def _done(self, slot: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(text("UPDATE send_slot SET done_at = clock_timestamp() WHERE id = :id"), {"id": slot})
