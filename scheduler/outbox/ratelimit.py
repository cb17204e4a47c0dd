"""Telegram's limits, kept before sending: 30 messages a second in all, 1 a second to one chat,
20 a minute to one group. Waiting here costs less than a 429 that pauses everything.

The server counts a message when it arrives, which we cannot see; what we can see is when we started
the request and when its answer came back, and the arrival lies between the two. So a send counts in a
window from its start until one window-length after its answer (while it is in flight, it counts for
ever): then no delay on the network, however long, can squeeze 31 arrivals into Telegram's second —
the old approach, a window a little longer than a second on start times alone, let one 429 through in
10,000 when a request was held up for more than its margin.

A 429 is taken as Telegram means it. Telegram does not say whose limit was hit, but the pattern does: a
429 for one chat (1 a second to a chat, 20 a minute to a group, or a server's own hiccup) delays that
chat alone, and the others go on at the full pace; only when most of the latest answers are 429s for
several chats is the bot over its global limit, and then everyone waits `retry_after` and resumes at the
full pace at once (the pacing does not ramp up again).

One budget for every send of a token: the dispatcher's reminders and notices and the answers to the chat
that just spoke. Answers go first (`urgent`): a person waiting for an answer matters more than a reminder
a second later. On PostgreSQL `SharedRateLimiter` keeps the same windows in a table, so that any number of
processes sharing a token stay within one budget.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager


class _Send:
    """One message: when it started and, once answered, when the answer came."""

    __slots__ = ("done", "start")

    def __init__(self, start: float) -> None:
        self.start = start
        self.done = math.inf

    def counts_until(self, window: float) -> float:
        return self.done + window


# The latest answers looked at, and how many of them must be 429s (from at least FLOOD_CHATS chats) to mean
# that the bot, not one chat, is over the limit: ten 429s at random in a hundred answers never reach it.
RECENT_ANSWERS = 10
FLOOD_REFUSALS = 6
FLOOD_CHATS = 3


class RateLimiter:
    """Windows overall, per chat and per group; `sending` waits until a message fits all of them."""

    def __init__(
        self,
        per_second: int = 30,
        per_chat_second: int = 1,
        per_group_minute: int = 20,
        monotonic: Callable[[], float] = time.monotonic,
        margin: float = 0.005,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        poll: float = 0.002,
    ) -> None:
        self.per_second = per_second
        self.per_chat_second = per_chat_second
        self.per_group_minute = per_group_minute
        self._now = monotonic
        self._sleep = sleep
        self._poll = poll
        self._all: deque[_Send] = deque()
        self._chats: dict[str, deque[_Send]] = {}
        self._lock = asyncio.Lock()
        self._lock_loop: asyncio.AbstractEventLoop | None = None
        self._paused_until = 0.0
        self._next_slot = 0.0
        self._chat_paused: dict[str, float] = {}  # a 429 for one chat: that chat waits
        self._answers: deque[str | None] = deque(maxlen=RECENT_ANSWERS)  # chat refused by a 429, or None
        self.floods = 0  # how often the answers meant the bot's global limit
        self._urgent = 0  # answers waiting for a slot: reminders make way
        self.margin = margin  # clocks and rounding: a few milliseconds more than the limit's own window

    def pause(self, seconds: float) -> None:
        """Everyone waits `seconds`: the bot is over its global limit."""
        self._paused_until = max(self._paused_until, self._now() + seconds)

    def answered(self, chat_id: str) -> None:
        """A send went through: one more answer in the recent pattern."""
        self._answers.append(None)

    def refused(self, chat_id: str, retry_after: float, bot_wide: bool = False) -> bool:
        """A 429: that chat waits `retry_after`; True (and everyone waits) when the channel says the limit is
        the bot's, or when most recent answers were 429s for several chats."""
        self._answers.append(chat_id)
        refusals = [c for c in self._answers if c is not None]
        if bot_wide or (len(refusals) >= FLOOD_REFUSALS and len(set(refusals)) >= FLOOD_CHATS):
            self.pause(retry_after)
            self._answers.clear()
            self.floods += 1
            return True
        now = self._now()
        self._chat_paused[chat_id] = max(self._chat_paused.get(chat_id, 0.0), now + retry_after)
        if len(self._chat_paused) > 1_000:
            self._chat_paused = {c: t for c, t in self._chat_paused.items() if t > now}
        return False

    @staticmethod
    def _free_at(history: deque[_Send], limit: int, window: float, now: float) -> float:
        """When the window has room for one more send (math.inf while the blocking send is in flight)."""
        while history and history[0].counts_until(window) <= now:
            history.popleft()
        if len(history) < limit:
            return now
        return sorted(s.counts_until(window) for s in history)[len(history) - limit]

    def _wait_needed(self, chat_id: str, is_group: bool) -> float:
        now = self._now()
        second = 1.0 + self.margin
        ready = max(now, self._paused_until, self._pace(), self._chat_paused.get(chat_id, 0.0))
        ready = max(ready, self._free_at(self._all, self.per_second, second, now))
        window, limit = (60.0 + self.margin, self.per_group_minute) if is_group else (second, self.per_chat_second)
        history = self._chats.setdefault(chat_id, deque())
        ready = max(ready, self._free_at(history, limit, window, now))
        return ready - now

    def _pace(self) -> float:
        """When the next send may start for even pacing (the shared limiter paces in its table instead)."""
        return self._next_slot

    async def _take(self, chat_id: str, is_group: bool, urgent: bool = False) -> _Send:
        loop = asyncio.get_running_loop()
        if self._lock_loop is not loop:  # a lock belongs to one event loop; the demo runs one per morning
            self._lock, self._lock_loop = asyncio.Lock(), loop
        if urgent:
            self._urgent += 1
        try:
            while True:
                async with self._lock:
                    if await self._wait_turn(chat_id, is_group, urgent):
                        return self._record(chat_id)
                await self._sleep(max(self._poll, 0.01))  # an answer is waiting: let it have the lock first
        finally:
            if urgent:
                self._urgent -= 1

    async def _wait_turn(self, chat_id: str, is_group: bool, urgent: bool) -> bool:
        """Under the lock: wait until a message fits every window; False when a reminder must make way."""
        while True:
            if not urgent and self._urgent:
                return False
            wait = await self._wait_for(chat_id, is_group)
            if wait <= 1e-6:  # float noise is not a wait
                return True
            if math.isinf(wait):
                wait = self._poll
            await self._sleep(wait if urgent else min(wait, 0.0625))  # 1/16 s: a waiting answer is seen soon

    async def _wait_for(self, chat_id: str, is_group: bool) -> float:
        """Seconds until a send may start (0 when it may start now); the shared limiter asks the database."""
        return self._wait_needed(chat_id, is_group)

    def _record(self, chat_id: str) -> _Send:
        now = self._now()
        interval = 1.0 / self.per_second
        # The next slot follows the ideal timeline, so that late wake-ups do not add up to a slower rate,
        # catching up gently: never sooner than 0.9 of an interval after this send.
        self._next_slot = max(self._next_slot + interval, now + 0.9 * interval)
        send = _Send(now)
        self._all.append(send)
        self._chats.setdefault(chat_id, deque()).append(send)
        if len(self._chats) > 50_000:  # forget idle chats
            for key in [k for k, v in self._chats.items() if not v or now - v[-1].done > 60.0]:
                del self._chats[key]
        return send

    async def _release(self, send: _Send) -> None:
        """After the answer: the shared limiter records it in the database."""

    @asynccontextmanager
    async def sending(self, chat_id: str, is_group: bool = False, urgent: bool = False) -> AsyncIterator[None]:
        """Wait for a free slot, send inside the block; the answer's time is recorded when it ends.

        `urgent`: an answer to the chat that just spoke; it takes the next slot before any reminder."""
        send = await self._take(chat_id, is_group, urgent)
        try:
            yield
        finally:
            send.done = self._now()
            await self._release(send)

    async def acquire(self, chat_id: str, is_group: bool = False) -> None:
        """Wait for a free slot for a send that takes no time (for callers that cannot say when it ends)."""
        send = await self._take(chat_id, is_group)
        send.done = send.start
        await self._release(send)
