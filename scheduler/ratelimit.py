"""Telegram's limits, kept before sending: 30 messages a second in all, 1 a second to one chat,
20 a minute to one group. Waiting here costs less than a 429 that pauses everything."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable


class RateLimiter:
    """Sliding windows per chat and overall; `acquire` waits until a send fits all of them."""

    def __init__(
        self,
        per_second: int = 30,
        per_chat_second: int = 1,
        per_group_minute: int = 20,
        monotonic: Callable[[], float] = time.monotonic,
        margin: float = 0.06,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.per_second = per_second
        self.per_chat_second = per_chat_second
        self.per_group_minute = per_group_minute
        self._now = monotonic
        self._sleep = sleep
        self._all: deque[float] = deque()
        self._chats: dict[str, deque[float]] = {}
        self._lock = asyncio.Lock()
        self._lock_loop: asyncio.AbstractEventLoop | None = None
        self._paused_until = 0.0
        self._next_slot = 0.0
        # Windows are a little longer than Telegram's, so that network jitter cannot squeeze
        # 31 messages into the server's second: 30 per 1.06 s is still above 28 a second.
        self.margin = margin

    def pause(self, seconds: float) -> None:
        """Obey a 429's retry_after for everyone: Telegram counts the bot, not the chat."""
        self._paused_until = max(self._paused_until, self._now() + seconds)

    def _wait_needed(self, chat_id: str, is_group: bool) -> float:
        now = self._now()
        wait = max(0.0, self._paused_until - now)
        second = 1.0 + self.margin
        while self._all and now - self._all[0] >= second:
            self._all.popleft()
        if len(self._all) >= self.per_second:
            wait = max(wait, second - (now - self._all[0]))
        wait = max(wait, self._next_slot - now)  # even pacing: no bursts for the network to squeeze together
        window, limit = (60.0 + self.margin, self.per_group_minute) if is_group else (second, self.per_chat_second)
        history = self._chats.setdefault(chat_id, deque())
        while history and now - history[0] >= window:
            history.popleft()
        if len(history) >= limit:
            wait = max(wait, window - (now - history[0]))
        return wait

    async def acquire(self, chat_id: str, is_group: bool = False) -> None:
        """Wait for a free slot, then take it."""
        loop = asyncio.get_running_loop()
        if self._lock_loop is not loop:  # a lock belongs to one event loop; the demo runs one per morning
            self._lock, self._lock_loop = asyncio.Lock(), loop
        async with self._lock:
            while (wait := self._wait_needed(chat_id, is_group)) > 1e-6:  # float noise is not a wait
                await self._sleep(wait)
            now = self._now()
            interval = (1.0 + self.margin) / self.per_second
            # The next slot follows the ideal timeline, so that late wake-ups do not add up to a slower rate,
            # catching up gently: never sooner than 0.9 of an interval after this send.
            self._next_slot = max(self._next_slot + interval, now + 0.9 * interval)
            self._all.append(now)
            self._chats[chat_id].append(now)
            if len(self._chats) > 50_000:  # forget idle chats
                for key in [k for k, v in self._chats.items() if not v or now - v[-1] > 60.0]:
                    del self._chats[key]
