"""A command loads only what it uses: the heavy libraries stay out of the commands that do not need them.

Each case runs the real CLI in a fresh interpreter and lists the libraries it loaded.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from scheduler.db import head_revision, is_current

HEAVY = ("openpyxl", "xlsxwriter", "matplotlib", "numpy", "PIL", "alembic", "docx", "pypdf", "telegram", "icalendar")

PROBE = f"""
import json, sys
from bot.cli import main
code = main(sys.argv[1:])
print(json.dumps({{"code": code, "loaded": [m for m in {HEAVY!r} if m in sys.modules]}}))
"""


def _loaded(args: list[str], env_dir: Path) -> tuple[int, set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        check=True,
        env={"NHACVIEC_DATA_DIR": str(env_dir), "NHACVIEC_NOW": "2022-04-22T08:00", "PATH": "/usr/bin:/bin"},
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["code"], set(result["loaded"])


def test_deadline_loads_no_database_and_no_heavy_library(tmp_path: Path) -> None:
    code, loaded = _loaded(["deadline", "trong tháng 5/2022"], tmp_path)
    assert code == 0
    assert loaded == set()
    probe = "import sys; import bot.cli; print('sqlalchemy' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True).stdout.strip() == "False"


@pytest.mark.parametrize(
    "args",
    [
        ["tasks"],  # the register's list: SQL, no spreadsheet, no Alembic once the schema is current
        ["overdue", "--summary"],  # counts per unit
        ["upcoming"],
    ],
)
def test_queries_load_no_spreadsheet_chart_or_migrations_once_the_schema_is_current(
    tmp_path: Path, args: list[str]
) -> None:
    from scheduler.db import make_engine

    make_engine(f"sqlite:///{tmp_path / 'nhacviec.sqlite3'}").dispose()  # the first use migrates
    code, loaded = _loaded(args, tmp_path)
    assert code == 0
    assert loaded == set()


def test_a_new_database_is_still_migrated_by_the_first_command(tmp_path: Path) -> None:
    code, loaded = _loaded(["tasks"], tmp_path)
    assert code == 0
    assert loaded == {"alembic"}


def test_the_head_read_from_the_files_is_alembics_head(engine: Engine) -> None:
    from alembic.script import ScriptDirectory

    from scheduler.db import alembic_config

    assert head_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert is_current(engine)


def test_the_bot_process_loads_no_spreadsheet_chart_document_or_migration_library() -> None:
    probe = f"import sys, bot.app; print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "['telegram']"


def test_the_bot_asks_for_days_off_and_sorts_nothing_without_the_country_registry_or_icu() -> None:
    """The long-running bot keeps what it imports for months: a day-off question loads Vietnam's holidays
    alone (not the library's 300 countries), and ICU waits for the first sort."""
    probe = (
        "import sys, datetime, bot.app\n"
        "from scheduler.workdays import is_working_day\n"
        "assert not is_working_day(datetime.date(2022, 5, 2))  # Labour Day observed\n"
        "print(sorted(m for m in ('icu', 'holidays.countries') if m in sys.modules))\n"
        "from scheduler.collation import sorted_vietnamese\n"
        "print(sorted_vietnamese(['Xã', 'Đoàn']), 'icu' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ["[]", "['Đoàn', 'Xã'] True"]


def test_vietnams_days_off_are_the_librarys_days_off() -> None:
    """Read from Vietnam's module alone, every year's days off are those `holidays.country_holidays` gives."""
    import holidays

    from scheduler.workdays import is_holiday

    for year in range(2000, 2041):
        first = date(year, 1, 1)
        days = [first + timedelta(days=n) for n in range((date(year + 1, 1, 1) - first).days)]
        assert {day for day in days if is_holiday(day)} == set(holidays.country_holidays("VN", years=year))
