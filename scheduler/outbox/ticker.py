"""The clock that ticks: APScheduler runs one planning-and-dispatch tick a minute, and one at start-up.

No reminder lives in APScheduler's memory: the outbox is the truth, so a restart loses nothing.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import Engine

from scheduler.clock import LOCAL_TZ, Clock
from scheduler.outbox.dispatcher import Dispatcher, DispatchReport
from scheduler.outbox.planner import PlanReport, plan_all
from scheduler.reporting.weekly import WeeklySender

log = logging.getLogger("nhacviec.ticker")


class Ticker:
    """Plans and dispatches; ticks never overlap, and `stop` lets the current one finish."""

    def __init__(self, engine: Engine, dispatcher: Dispatcher, clock: Clock, interval_seconds: int = 60) -> None:
        self.engine = engine
        self.dispatcher = dispatcher
        self.weekly = WeeklySender(engine, dispatcher, clock)
        self.clock = clock
        self.interval = interval_seconds
        self._lock = asyncio.Lock()
        self._scheduler: AsyncIOScheduler | None = None

    async def tick(self) -> tuple[PlanReport, DispatchReport]:
        """One pass: plan what is due, send it, then the leaders' Monday digest when its time has come."""
        async with self._lock:
            planned = await asyncio.to_thread(plan_all, self.engine, self.clock)
            sent = await self.dispatcher.run_once()
            weekly = await self.weekly.run_once()
            if weekly.sent or weekly.failed:
                log.info("tick: %d Monday digests sent, %d failed", weekly.sent, weekly.failed)
            if planned.planned or sent.messages or sent.failed:
                log.info(
                    "tick: planned %d, sent %d messages (%d reminders), failed %d",
                    planned.planned,
                    sent.messages,
                    sent.rows_sent,
                    sent.failed,
                )
            return planned, sent

    async def _safe_tick(self) -> None:
        try:
            await self.tick()
        except Exception:
            log.exception("tick failed; the next one will try again")

    def start(self) -> None:
        """Tick now and then every `interval` seconds."""
        self._scheduler = AsyncIOScheduler(timezone=LOCAL_TZ)
        self._scheduler.add_job(
            self._safe_tick,
            "interval",
            seconds=self.interval,
            id="tick",
            next_run_time=datetime.now(LOCAL_TZ),
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )
        self._scheduler.start()

    async def stop(self) -> None:
        """Stop ticking; wait for a tick in progress to finish."""
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        async with self._lock:
            pass
