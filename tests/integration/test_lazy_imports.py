"""A command loads only what it uses: the heavy libraries stay out of the commands that do not need them.

Each case runs the real CLI in a fresh interpreter and lists the libraries it loaded.
"""

from __future__ import annotations

import json
import subprocess
import sys
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
