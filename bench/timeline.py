"""A clock for benchmark processes: real seconds since a shared start, laid onto a working morning.

Retries and the sweeper need time to pass, and several processes (restarts after SIGKILL) must share one
timeline; 22/04/2022 08:00 is a working day, outside the quiet hours.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from scheduler.clock import LOCAL_TZ

MORNING = datetime(2022, 4, 22, 8, 0, tzinfo=LOCAL_TZ)


class Timeline:
    def __init__(self, epoch: float) -> None:
        self.epoch = epoch

    def now(self) -> datetime:
        return MORNING + timedelta(seconds=time.time() - self.epoch)
