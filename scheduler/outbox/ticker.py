"""The clock that ticks: APScheduler runs one planning-and-dispatch tick a minute, and one at start-up.

No reminder lives in APScheduler's memory: the outbox is the truth, so a restart loses nothing.
The tick runs as a task of our own, shielded from APScheduler (whose shutdown cancels the jobs it runs):
`stop` tells the dispatcher to take no new rows and waits, up to a grace period, for the sends in flight.
Beside the ticks, a heartbeat every few seconds tells other processes that this one's claims are held
(and, on PostgreSQL, sweeps the claims of processes whose heartbeat stopped).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import astuple
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import Engine

from scheduler.clock import LOCAL_TZ, Clock
from scheduler.health import record_tick
from scheduler.outbox.dispatcher import HEARTBEAT_EVERY, Dispatcher, DispatchReport
from scheduler.outbox.planner import PlanReport, plan_all
from scheduler.reporting.weekly import plan_weekly

log = logging.getLogger("nhacviec.ticker")

# How long SIGTERM waits for the sends in flight: above the channels' own answer timeout (30 s).
STOP_GRACE = 35.0


class Ticker:
    """Plans and dispatches; ticks never overlap, and `stop` lets the sends in flight finish."""

    def __init__(
        self,
        engine: Engine,
        dispatcher: Dispatcher,
        clock: Clock,
        interval_seconds: int = 60,
        grace: float = STOP_GRACE,
    ) -> None:
        self.engine = engine
        self.dispatcher = dispatcher
        self.clock = clock
        self.interval = interval_seconds
        self.grace = grace
        self._lock = asyncio.Lock()
        self._scheduler: AsyncIOScheduler | None = None
        self._task: asyncio.Task[None] | None = None
        self._beats: asyncio.Task[None] | None = None
        self._ticked = False
        self._nudged: asyncio.Task[None] | None = None
        self._again = False

    async def tick(self) -> tuple[PlanReport, DispatchReport]:
        """One pass: plan what is due (the reminders, the leaders' Monday digest when its time has come), send it."""
        early: DispatchReport | None = None
        async with self._lock:
            started, began = datetime.now(UTC), time.monotonic()
            if not self._ticked:  # a restart: what a dead process left goes out before the (slow) planning
                self._ticked = True
                early = await self.dispatcher.run_once()
            planned = await asyncio.to_thread(plan_all, self.engine, self.clock)
            await asyncio.to_thread(plan_weekly, self.engine, self.clock)
            sent = await self.dispatcher.run_once()
            if early is not None:
                sent = DispatchReport(*(a + b for a, b in zip(astuple(early), astuple(sent), strict=True)))
            if planned.planned or sent.messages or sent.failed:
                log.info(
                    "tick: planned %d, sent %d messages (%d reminders, %d others), failed %d",
                    planned.planned,
                    sent.messages,
                    sent.rows_sent,
                    sent.others_sent,
                    sent.failed,
                )
            summary = {"planned": planned.planned, "sent": sent.messages, "failed": sent.failed}
            await asyncio.to_thread(record_tick, self.engine, started, time.monotonic() - began, summary)
            return planned, sent

    def nudge(self) -> None:
        """Something was just enqueued (an extension request to a leader, say): send it now rather than at
        the next tick. Sends only such messages, never beside a tick or another pass."""
        if self.dispatcher.stopping:
            return
        if self._nudged is not None and not self._nudged.done():
            self._again = True  # enqueued while a pass runs: one more pass after it
            return
        self._nudged = asyncio.get_running_loop().create_task(self._send_now())

    async def settled(self) -> None:
        """What a nudge started has been sent (tests and the demo wait for it)."""
        if self._nudged is not None:
            await asyncio.shield(self._nudged)

    async def _send_now(self) -> None:
        try:
            async with self._lock:
                self._again = True
                while self._again and not self.dispatcher.stopping:
                    self._again = False
                    await self.dispatcher.send_messages()
        except Exception:
            log.exception("sending what was just enqueued failed; the next tick will try again")

    async def _safe_tick(self) -> None:
        try:
            await self.tick()
        except Exception:
            log.exception("tick failed; the next one will try again")

    async def _job(self) -> None:
        """APScheduler's job: start a tick unless one is running, and wait for it without owning it."""
        if self.dispatcher.stopping:
            return
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._safe_tick())
        with contextlib.suppress(asyncio.CancelledError):  # APScheduler's shutdown: the tick goes on
            await asyncio.shield(self._task)

    async def _heartbeats(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_EVERY)
            try:
                await asyncio.to_thread(self.dispatcher.heartbeat)
                if self.dispatcher.shared:
                    await asyncio.to_thread(self.dispatcher.sweep_all)
            except Exception:
                log.exception("heartbeat failed; trying again in %.0f s", HEARTBEAT_EVERY)

    def start(self) -> None:
        """Tick now and then every `interval` seconds; beat every few seconds."""
        self._scheduler = AsyncIOScheduler(timezone=LOCAL_TZ)
        self._scheduler.add_job(
            self._job,
            "interval",
            seconds=self.interval,
            id="tick",
            next_run_time=datetime.now(LOCAL_TZ),
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )
        self._scheduler.start()
        self._beats = asyncio.get_running_loop().create_task(self._heartbeats())

    async def stop(self) -> int:
        """Stop ticking and claiming; wait up to `grace` for the sends in flight; give back what is left.

        Returns the number of rows given back to `planned` (sends that outlived the grace)."""
        self.dispatcher.request_stop()
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        if self._task is not None and not self._task.done():
            log.info(
                "stopping: no new sends; waiting up to %.0f s for %d in flight", self.grace, self.dispatcher.in_flight
            )
        try:
            await asyncio.wait_for(self._quiet(), self.grace)
        except TimeoutError:
            log.warning("stopping: %d sends still in flight after %.0f s", self.dispatcher.in_flight, self.grace)
        if self._beats is not None:
            self._beats.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._beats
            self._beats = None
        returned = await asyncio.to_thread(self.dispatcher.retire)
        if returned:
            log.warning("stopping: %d rows given back to planned; the next start sends them", returned)
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        return returned

    async def _quiet(self) -> None:
        """The tick in progress, and one started by hand (tests, the demo) or by a nudge, have finished."""
        if self._task is not None:
            await asyncio.shield(self._task)
        if self._nudged is not None:
            await asyncio.shield(self._nudged)
        async with self._lock:
            pass
