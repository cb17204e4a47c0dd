"""Our corpus of malformed register files (tests/data/fuzz, written by its make_corpus.py) against the import:
each is refused with exit code 2 and a message that names the file and the place, in bounded time and
memory, and the database stays byte for byte what it was. Random bytes never give a traceback."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.cli import main
from scheduler.db import make_engine
from scheduler.register.file import RegisterError
from scheduler.register.importer import import_register, load_register
from scheduler.register.models import META
from scheduler.register.tables import write_csv_folder, write_xlsx
from tests.conftest import REGISTER
from tests.data.fuzz.make_corpus import build_large

FUZZ = Path(__file__).resolve().parents[1] / "data" / "fuzz"
CASES = sorted(
    [
        *(FUZZ / "yaml").glob("*.yaml"),
        *(FUZZ / "xlsx").glob("*.xlsx"),
        *(p for p in (FUZZ / "csv").iterdir() if p.is_dir()),
    ]
)
NHACVIEC = Path(sys.executable).with_name("nhacviec")


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A SQLite database holding the Thường Xuân register, shared by every case (none may change it)."""
    from datetime import datetime

    from scheduler.clock import LOCAL_TZ, FixedClock

    path = tmp_path_factory.mktemp("fuzz") / "nhacviec.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    import_register(engine, load_register(REGISTER), FixedClock(datetime(2022, 4, 8, 8, tzinfo=LOCAL_TZ)))
    with engine.connect() as conn:  # settle WAL into the main file so that its bytes can be compared
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    yield f"sqlite:///{path}", path


def fingerprint(path: Path) -> tuple[str, dict[str, int], list[tuple[str, object]]]:
    """The database file's bytes (and its WAL's), the row count of every table and register_meta."""
    digest = hashlib.sha256()
    for part in (path, path.with_name(path.name + "-wal")):
        if part.exists():
            digest.update(part.read_bytes())
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        tables = [r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'")]
        counts = {t: conn.exec_driver_sql(f'SELECT count(*) FROM "{t}"').scalar_one() for t in tables}
        meta = sorted((r.key, r.value) for r in conn.execute(select(META.c.key, META.c.value)))
        assert conn.execute(select(func.count()).select_from(META)).scalar_one() == len(meta)
    engine.dispose()
    return digest.hexdigest(), counts, meta


def _problem_lines(err: str) -> list[str]:
    return [line.strip() for line in err.splitlines() if line.startswith("  ")]


def test_the_corpus_has_over_100_files_of_each_kind_together() -> None:
    kinds = {kind: sum(1 for c in CASES if c.parent.name == kind) for kind in ("yaml", "xlsx", "csv")}
    assert sum(kinds.values()) >= 100 and min(kinds.values()) >= 25, kinds


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES])
def test_a_malformed_file_is_refused_with_its_place_and_changes_nothing(
    case: Path, database: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    url, path = database
    before = fingerprint(path)
    start = time.perf_counter()
    assert main(["--database", url, "import", str(case)]) == 2
    elapsed = time.perf_counter() - start
    err = capsys.readouterr().err
    assert "không có gì được ghi" in err
    problems = _problem_lines(err)
    assert problems
    for line in problems:
        assert line.startswith(case.name) or line.startswith("…"), line  # every message starts with the file
    assert "Traceback" not in err
    assert elapsed < 5
    assert fingerprint(path) == before


_MEASURE = """
import os, resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
seconds = time.perf_counter() - start
sys.stdout.write(f"{done.returncode} {seconds} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}\\n")
sys.stdout.write(done.stderr.decode())
"""


def _run_installed(args: list[str]) -> tuple[int, str, float, float]:
    """Run the installed `nhacviec`; exit code, stderr, seconds and its peak memory in MB.

    It is started from a small Python of its own, so that the peak is the command's and not that of a copy
    of this (large) test process made by fork.
    """
    out = subprocess.run([sys.executable, "-c", _MEASURE, str(NHACVIEC), *args], capture_output=True, text=True)
    head, _, err = out.stdout.partition("\n")
    code, seconds, megabytes = head.split()
    return int(code), err, float(seconds), float(megabytes)


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return build_large(tmp_path_factory.mktemp("large"))


LARGE = [
    # (case, what the message must say, seconds allowed)
    ("zip-bomb.xlsx", r"zip-bomb\.xlsx: xl/worksheets/sheet1\.xml: phần này giải nén ra 1024 MB", 5),
    ("forty-mb.yaml", r"forty-mb\.yaml: tệp lớn 40 MB, quá giới hạn 32 MB", 5),
    # 25 MB of YAML must be parsed to find the field (about 3 s on a busy machine)
    ("long-title.yaml", r"long-title\.yaml:5: tasks\[0\]\.title: dài 25,000,000 ký tự, quá giới hạn 10,000", 20),
    ("dev-zero.yaml", r"dev-zero\.yaml: không phải một tệp thường", 5),
    ("dev-zero.xlsx", r"dev-zero\.xlsx: không phải một tệp thường", 5),
    ("fifo.yaml", r"fifo\.yaml: không phải một tệp thường", 5),
    ("csv-long-field", r"csv-long-field/don-vi\.csv:\d+: một ô quá dài", 5),
    ("csv-dev-zero", r"csv-dev-zero/nhiem-vu\.csv: không phải một tệp thường", 5),
]


@pytest.mark.parametrize(("case", "message", "limit"), LARGE, ids=[c for c, _, _ in LARGE])
def test_a_large_or_strange_file_is_refused_in_bounded_time_and_memory(
    case: str,
    message: str,
    limit: float,
    large: dict[str, Path],
    database: tuple[str, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, path = database
    before = fingerprint(path)
    tracemalloc.start()
    start = time.perf_counter()
    try:
        assert main(["--database", url, "import", str(large[case])]) == 2
        seconds = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    err = capsys.readouterr().err
    assert re.search(message, err), err
    assert seconds < limit and peak < 300 * 1024 * 1024
    assert fingerprint(path) == before


INSTALLED = [
    # (case, what the message must say): the installed command, in a process of its own, measured
    ("zip-bomb.xlsx", LARGE[0][1]),
    ("dev-zero.yaml", LARGE[3][1]),
]


@pytest.mark.parametrize(("case", "message"), INSTALLED, ids=[c for c, _ in INSTALLED])
def test_the_installed_command_refuses_a_zip_bomb_and_dev_zero_fast_and_small(
    case: str, message: str, large: dict[str, Path], database: tuple[str, Path]
) -> None:
    url, path = database
    before = fingerprint(path)
    code, err, seconds, megabytes = _run_installed(["--database", url, "import", str(large[case])])
    assert code == 2, err
    assert re.search(message, err) and "Traceback" not in err, err
    assert seconds < 5 + 5  # the command's own start-up (about a second when the machine is idle) comes on top
    assert megabytes < 300
    assert fingerprint(path) == before


@pytest.mark.parametrize("case", ["xlsx/truncated-half.xlsx", "csv/headers-only"])
def test_the_installed_command_exits_2_on_the_corpus(case: str, database: tuple[str, Path]) -> None:
    url, path = database
    before = fingerprint(path)
    code, err, _, _ = _run_installed(["--database", url, "import", str(FUZZ / case)])
    assert code == 2 and Path(case).name in err and "Traceback" not in err
    assert fingerprint(path) == before


def test_an_empty_register_imports_only_when_asked(database: tuple[str, Path], tmp_path: Path) -> None:
    url, _ = database
    empty = tmp_path / "trong.yaml"
    empty.write_text("# chưa có gì\n", encoding="utf-8")
    assert main(["import", "--check", str(empty)]) == 2
    assert main(["import", "--check", "--allow-empty", str(empty)]) == 0


# --- random bytes ----------------------------------------------------------------------------------


def _loads_or_refuses(path: Path) -> None:
    try:
        load_register(path)
    except RegisterError as exc:
        assert exc.problems and all(p.where for p in exc.problems)


@pytest.fixture(scope="module")
def valid_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("valid")
    reg = load_register(REGISTER)
    write_xlsx(reg, folder / "so.xlsx")
    write_csv_folder(reg, folder / "csv")
    return {
        "yaml": REGISTER.read_bytes(),
        "xlsx": (folder / "so.xlsx").read_bytes(),
        "csv": (folder / "csv" / "nhiem-vu.csv").read_bytes(),
    }


@st.composite
def mutated(draw: st.DrawFn, original: bytes) -> bytes:
    """A valid file with a few bytes changed, cut short, or spliced with random bytes."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, len(data) - 1))
        how = draw(st.sampled_from(["flip", "cut", "insert"]))
        if how == "flip":
            data[at] ^= draw(st.integers(1, 255))
        elif how == "cut":
            del data[at : at + draw(st.integers(1, 2000))]
        else:
            data[at:at] = draw(st.binary(min_size=1, max_size=50))
        if not data:
            break
    return bytes(data)


FUZZ_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))


@FUZZ_SETTINGS
@given(data=st.data())
def test_random_bytes_as_a_register_file_never_give_a_traceback(
    data: st.DataObject, valid_files: dict[str, bytes], tmp_path_factory: pytest.TempPathFactory
) -> None:
    kind = data.draw(st.sampled_from(["yaml", "xlsx", "csv"]))
    raw = data.draw(st.one_of(st.binary(max_size=3000), mutated(valid_files[kind])))
    folder = tmp_path_factory.mktemp("random")
    if kind == "csv":
        (folder / "nhiem-vu.csv").write_bytes(raw)
        _loads_or_refuses(folder)
    else:
        path = folder / f"so.{kind}"
        path.write_bytes(raw)
        _loads_or_refuses(path)


@FUZZ_SETTINGS
@given(text=st.text(max_size=400))
def test_random_text_as_yaml_never_gives_a_traceback(text: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    path = tmp_path_factory.mktemp("text") / "so.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    _loads_or_refuses(path)
