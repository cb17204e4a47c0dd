"""Start-up that never gives up on a transient error, and stops at once on a wrong token.

Every call a channel makes before it can serve (getMe, setWebhook/deleteWebhook, the command menu) goes
through `retry`: a transient failure (network, timeout, 5xx, 429) is logged on one line and tried again
after a back-off that starts at NHACVIEC_STARTUP_BACKOFF seconds (default 1) and doubles up to 32 times
that; an essential call is tried until it succeeds (or the process is told to stop), a non-essential one
(the command menu) is skipped after a few tries. A refused token is a `StartupError`: one Vietnamese line
naming the variable, exit code 3, no traceback and never the token.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

log = logging.getLogger("nhacviec.startup")

T = TypeVar("T")
EXIT_CONFIG = 3
NON_ESSENTIAL_TRIES = 3


class StartupError(Exception):
    """The configuration is refused (a token, a webhook URL): retrying cannot help. Exit code 3."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class StopRequested(Exception):
    """SIGTERM or Ctrl-C arrived while start-up was still waiting for an API."""


@dataclass(frozen=True)
class Verdict:
    """How a failed start-up call is treated: `fatal` text stops the process; otherwise retry (after `wait`)."""

    reason: str
    fatal: str | None = None
    wait: float | None = None


def backoff_base() -> float:
    try:
        return max(0.01, float(os.environ.get("NHACVIEC_STARTUP_BACKOFF", "1")))
    except ValueError:
        return 1.0


async def retry(
    what: str,
    call: Callable[[], Awaitable[T]],
    judge: Callable[[Exception], Verdict],
    stop: asyncio.Event,
    *,
    essential: bool = True,
) -> T | None:
    """Run `call` until it succeeds; None when a non-essential call is given up."""
    base = backoff_base()
    attempt = 0
    while True:
        attempt += 1
        try:
            return await call()
        except Exception as exc:  # judged below: anything not fatal is worth another try
            verdict = judge(exc)
        if verdict.fatal is not None:
            raise StartupError(verdict.fatal) from None
        if not essential and attempt >= NON_ESSENTIAL_TRIES:
            log.warning(
                "start-up: %s failed %d times (%s); skipped, the bot runs without it", what, attempt, verdict.reason
            )
            return None
        delay = max(verdict.wait or 0.0, min(base * 2 ** (attempt - 1), base * 32))
        log.warning("start-up: %s failed (%s); try %d again in %.1f s", what, verdict.reason, attempt + 1, delay)
        try:
            await asyncio.wait_for(stop.wait(), delay)
        except TimeoutError:
            continue
        raise StopRequested(what)
