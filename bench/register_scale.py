"""Benchmark: import and query a province-scale register on SQLite (and PostgreSQL when configured).

Run:  python bench/register_scale.py            (SQLite)
      NHACVIEC_BENCH_PG_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test python bench/register_scale.py

Targets (issue 2): import ≤ 20 s with peak memory < 500 MB; overdue for one unit < 5 ms p95;
all-units overdue summary < 500 ms; deadline grammar ≥ 50,000 phrases/s.
"""

from __future__ import annotations

import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.province import phrases, write_province_register  # noqa: E402

IMPORT_SNIPPET = """
import resource, sys, time
from pathlib import Path
from scheduler.clock import FixedClock, at_local
from scheduler.db import make_engine
from scheduler.register.importer import import_register, load_register
from datetime import date
engine = make_engine(sys.argv[1])
start = time.perf_counter()
reg = load_register(Path(sys.argv[2]))
loaded = time.perf_counter()
report = import_register(engine, reg, FixedClock(at_local(date(2022, 4, 8))))
done = time.perf_counter()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{loaded - start:.2f} {done - loaded:.2f} {peak:.0f} {report.assignments_added}")
"""


def run_import(url: str, path: Path) -> tuple[float, float, float, int]:
    """Import in a child process so that its peak memory is measured alone."""
    out = subprocess.run(
        [sys.executable, "-c", IMPORT_SNIPPET, url, str(path)], capture_output=True, text=True, cwd=ROOT, check=True
    )
    read, write, peak, added = out.stdout.split()
    return float(read), float(write), float(peak), int(added)


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1]


def bench_queries(url: str) -> None:
    from scheduler.db import make_engine
    from scheduler.register.queries import find_unit_id, overdue, overdue_summary

    engine = make_engine(url)
    today = date(2022, 6, 1)
    rng = random.Random(1)
    units = [find_unit_id(engine, f"u{rng.randrange(3000):05d}") for _ in range(300)]
    overdue(engine, today, units[0])  # warm the connection pool
    times = []
    for unit_id in units:
        start = time.perf_counter()
        overdue(engine, today, unit_id)
        times.append((time.perf_counter() - start) * 1000)
    print(
        f"  overdue for one unit:     p50 {statistics.median(times):.2f} ms, p95 {p95(times):.2f} ms"
        "  (target < 5 ms p95)"
    )
    summary = []
    for _ in range(5):
        start = time.perf_counter()
        rows = overdue_summary(engine, today)
        summary.append((time.perf_counter() - start) * 1000)
    print(
        f"  all-units overdue summary: median {statistics.median(summary):.0f} ms over {len(rows)} units"
        "  (target < 500 ms)"
    )
    engine.dispose()


def bench_grammar() -> None:
    from scheduler.deadlines import parse_deadline

    sample = phrases(100_000)
    start = time.perf_counter()
    for phrase in sample:
        parse_deadline(phrase, date(2022, 4, 7))
    rate = len(sample) / (time.perf_counter() - start)
    print(f"deadline grammar: {rate:,.0f} phrases/s over {len(sample):,} phrases  (target ≥ 50,000/s)")


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "province.yaml"
        counts = write_province_register(path)
        size = path.stat().st_size / 1e6
        print(f"province register: {counts} ({size:.1f} MB of YAML)")
        bench_grammar()
        targets = [("SQLite", f"sqlite:///{Path(folder) / 'province.sqlite3'}")]
        pg = os.environ.get("NHACVIEC_BENCH_PG_URL") or os.environ.get("NHACVIEC_TEST_DATABASE_URL")
        pg_db = None
        if pg:
            from sqlalchemy import create_engine, make_url, text

            pg_db = f"nv_bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(pg, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{pg_db}"'))
            targets.append(("PostgreSQL", make_url(pg).set(database=pg_db).render_as_string(hide_password=False)))
        try:
            for name, url in targets:
                read, write, peak, added = run_import(url, path)
                print(f"{name}:")
                print(
                    f"  import: {read + write:.1f} s (read+check {read:.1f} s, write {write:.1f} s), "
                    f"peak memory {peak:.0f} MB, {added:,} assignments  (target ≤ 20 s, < 500 MB)"
                )
                again = run_import(url, path)
                print(f"  re-import of the same file: {again[0] + again[1]:.1f} s, {again[3]} assignments added")
                bench_queries(url)
        finally:
            if pg_db:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{pg_db}" WITH (FORCE)'))
    print(f"bench process peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
