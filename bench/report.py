"""Benchmark: the leaders' report on the province-scale register (3,000 units, 300,000 assignments).

Run:  python bench/report.py                 (SQLite)
      NHACVIEC_BENCH_PG_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test python bench/report.py

Targets (issue 7): statistics for a quarter < 1 s; the chart < 1 s; the Excel file < 15 s and < 500 MB.
A history is written first: of the assignments, a third closed (one in four of those late), one in ten
in progress, one in fifty extended. Each measurement runs in a child process, so its peak memory is its own.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.province import write_province_register  # noqa: E402
from bench.register_scale import run_import  # noqa: E402

HISTORY = """
import sys
from datetime import date, timedelta
from sqlalchemy import select, update, bindparam
from scheduler.db import make_engine
from scheduler.clock import at_local, to_utc
from scheduler.register.models import ASSIGNMENTS
engine = make_engine(sys.argv[1])
with engine.begin() as conn:
    rows = conn.execute(select(ASSIGNMENTS.c.id, ASSIGNMENTS.c.due)).all()
    done, progress, extended = [], [], []
    for a_id, due in rows:
        if a_id % 3 == 0:
            late = a_id % 12 == 0
            done.append({"i": a_id, "at": to_utc(at_local(due + timedelta(days=5 if late else -2)))})
        elif a_id % 10 == 1:
            progress.append({"i": a_id})
        elif a_id % 50 == 2:
            extended.append({"i": a_id, "d": due + timedelta(days=30)})
    conn.execute(update(ASSIGNMENTS).where(ASSIGNMENTS.c.id == bindparam("i"))
                 .values(status="done", percent=100, done_at=bindparam("at")), done)
    conn.execute(update(ASSIGNMENTS).where(ASSIGNMENTS.c.id == bindparam("i"))
                 .values(status="in_progress", percent=50), progress)
    conn.execute(update(ASSIGNMENTS).where(ASSIGNMENTS.c.id == bindparam("i")).values(due=bindparam("d")), extended)
print(len(done), len(progress), len(extended))
"""

MEASURE = """
import resource, sys, time
from datetime import date
from pathlib import Path
from scheduler.db import make_engine
from scheduler.reporting.stats import parse_period, statistics, report_lines
engine = make_engine(sys.argv[1])
what, out = sys.argv[2], sys.argv[3]
period, today = parse_period("2022-Q2"), date(2022, 7, 1)
if what == "stats":
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        stats = statistics(engine, period, today)
        samples.append(time.perf_counter() - start)
    print(f"stats median {sorted(samples)[2]:.3f} s, first {samples[0]:.3f} s, "
          f"{stats.total.assigned:,} assignments in the quarter, {len(stats.units):,} units")
elif what == "chart":
    stats = statistics(engine, period, today)
    start = time.perf_counter()
    from scheduler.reporting.chart import stacked_chart
    png = stacked_chart(stats).png
    cold = time.perf_counter() - start
    start = time.perf_counter()
    png = stacked_chart(stats).png
    warm = time.perf_counter() - start
    print(f"chart {warm:.3f} s warm (in the running bot), {cold:.3f} s cold (matplotlib imported), {len(png):,} bytes")
else:
    from scheduler.reporting.excel import write_report
    start = time.perf_counter()
    stats = statistics(engine, period, today)
    rows = write_report(Path(out), stats, report_lines(engine, period, today))
    took = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    size = Path(out).stat().st_size / 1e6
    print(f"xlsx {took:.2f} s, peak {peak:.0f} MB, {rows:,} task rows, {size:.1f} MB file")
"""


def child(script: str, *args: str) -> str:
    out = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, cwd=ROOT, check=False)
    if out.returncode:
        raise SystemExit(out.stderr)
    return out.stdout.strip()


def bench(url: str, folder: Path, label: str) -> None:
    register = folder / "province.yaml"
    if not register.exists():
        counts = write_province_register(register)
        print(f"register: {counts}")
    read, write, _peak, added = run_import(url, register)
    print(f"[{label}] imported {added:,} assignments in {read + write:.1f} s")
    done, progress, extended = child(HISTORY, url).split()
    print(f"[{label}] history: {int(done):,} closed, {int(progress):,} in progress, {int(extended):,} extended")
    for what in ("stats", "chart", "xlsx"):
        print(f"[{label}] {child(MEASURE, url, what, str(folder / 'report.xlsx'))}")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="nhacviec-report-") as tmp:
        folder = Path(tmp)
        bench(f"sqlite:///{folder / 'bench.sqlite3'}", folder, "SQLite")
        pg = os.environ.get("NHACVIEC_BENCH_PG_URL")
        if pg:
            from sqlalchemy import create_engine, make_url, text

            admin = create_engine(pg, isolation_level="AUTOCOMMIT")
            name = f"nv_bench_{uuid.uuid4().hex[:8]}"
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                bench(make_url(pg).set(database=name).render_as_string(hide_password=False), folder, "PostgreSQL")
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
