"""Benchmark routines (issue 13, item 4): a planning tick when every unit of a province has routines.

    python bench/routines.py

The province register of bench/dispatch.py's `plan` (3,000 units, 15,000 officials, 100,000 open
assignments) plus, for all 3,000 units, the Monday flag ceremony (an event) and a report before the 20th of
every month (a deadline). The bot is first started a quarter after the document, nobody ever confirms a
ceremony: the first tick writes the quarter's occurrences (at most `CATCH_UP` days back), and the ticks after
it read none of the past ceremonies. Prints each tick's time, the same without the routines (that day most
of the province's one-off deadlines are overdue and chased, which costs most of a tick), the routines' own
share of a tick, and the process's peak memory. Everything on SQLite in a temporary folder.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from bench.dispatch import link_everyone  # noqa: E402
from bench.province import write_province_register  # noqa: E402
from scheduler.clock import LOCAL_TZ, FixedClock  # noqa: E402
from scheduler.db import make_engine  # noqa: E402
from scheduler.outbox.planner import plan, register_policy  # noqa: E402
from scheduler.register.importer import import_register, load_register  # noqa: E402
from scheduler.register.models import ASSIGNMENTS, TASKS  # noqa: E402
from scheduler.register.occurrences import add_occurrences  # noqa: E402
from scheduler.register.state import State, in_state  # noqa: E402

UNITS = 3_000


def run(with_routines: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'routines.sqlite3'}"
        path = Path(folder) / "register.yaml"
        write_province_register(path, units=UNITS, officials=15_000, tasks=50_000, units_per_task=2)
        every_unit = ", ".join(f"u{i:05d}" for i in range(UNITS))
        if with_routines:
            with path.open("a", encoding="utf-8") as out:
                out.write(
                    f'  - {{code: r-flag, title: "Giao ban, chào cờ", deadline: "sáng thứ 2 hằng tuần", '
                    f"lead: [{every_unit}]}}\n"
                    f'  - {{code: r-report, title: "Báo cáo tháng", deadline: "trước ngày 20 hằng tháng", '
                    f"lead: [{every_unit}]}}\n"
                )
        engine = make_engine(url)
        clock = FixedClock(datetime(2022, 4, 8, 8, 0, tzinfo=LOCAL_TZ))
        import_register(engine, load_register(path), clock)
        link_everyone(engine, clock, "telegram", 0)
        if with_routines:
            print(f"with routines: {UNITS:,} units each with a weekly event and a monthly deadline, besides")
        else:
            print("without routines (the same province, the same day, for comparison):")
        print("  100,000 assignments; the bot first starts a quarter after the document (Friday 22/7/2022)")
        for label, hour in (("first tick", 7), ("next tick", 7), ("a tick at noon", 12)):
            clock.set(datetime(2022, 7, 22, hour, 31, tzinfo=LOCAL_TZ))
            start = time.perf_counter()
            report = plan(engine, clock)
            took = time.perf_counter() - start
            print(
                f"  {label}: {took:.2f} s, {report.occurrences_added:,} occurrences written, "
                f"{report.planned:,} reminders planned"
            )
        if with_routines:
            start = time.perf_counter()
            with engine.begin() as conn:
                add_occurrences(conn, clock.now().date(), clock.now(), register_policy(conn))
            print(
                f"  of which the routines' share in a tick once the day is written: {time.perf_counter() - start:.4f} s"
            )
            today = clock.now().date()
            with engine.connect() as conn:
                counts = dict(
                    conn.execute(
                        select(TASKS.c.code, func.count())
                        .select_from(ASSIGNMENTS.join(TASKS, TASKS.c.id == ASSIGNMENTS.c.task_id))
                        .where(TASKS.c.code.in_(("r-flag", "r-report")))
                        .group_by(TASKS.c.code)
                    ).all()
                )
                not_reported = conn.execute(
                    select(func.count())
                    .select_from(ASSIGNMENTS.join(TASKS, TASKS.c.id == ASSIGNMENTS.c.task_id))
                    .where(in_state(State.not_reported, today))
                ).scalar_one()
            print(
                f"  occurrences: {counts.get('r-flag', 0):,} ceremonies ({not_reported:,} not reported), "
                f"{counts.get('r-report', 0):,} monthly reports"
            )
        engine.dispose()


def main() -> None:
    run(with_routines=True)
    run(with_routines=False)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak memory of the process: {peak:.0f} MB")


if __name__ == "__main__":
    main()
