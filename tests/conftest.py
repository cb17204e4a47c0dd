"""Shared fixtures: a real SQLite file, and a real PostgreSQL database when NHACVIEC_TEST_DATABASE_URL is set."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url, select, text

from scheduler.clock import LOCAL_TZ, FixedClock
from scheduler.db import make_engine
from scheduler.register.importer import import_register, load_register
from scheduler.register.links import link_chat
from scheduler.register.models import ASSIGNMENTS, OFFICIALS, TASKS, UNITS

ROOT = Path(__file__).resolve().parent.parent
REGISTER = ROOT / "data" / "register.yaml"
PG_URL = os.environ.get("NHACVIEC_TEST_DATABASE_URL")
PG_SKIP_REASON = "PostgreSQL not configured: set NHACVIEC_TEST_DATABASE_URL=postgresql+psycopg://… (.ci/run does)"


def _sqlite_url(tmp_path: Path) -> Iterator[str]:
    yield f"sqlite:///{tmp_path / 'nhacviec.sqlite3'}"


def _postgres_url() -> Iterator[str]:
    if not PG_URL:
        pytest.skip(PG_SKIP_REASON)
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"nv_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh, empty database of each kind the store supports."""
    if request.param == "sqlite":
        yield from _sqlite_url(tmp_path)
    else:
        yield from _postgres_url()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path / 'nhacviec.sqlite3'}")
    yield eng
    eng.dispose()


@pytest.fixture
def clock() -> FixedClock:
    """The morning after the conclusion was signed: 08/04/2022 08:00 in Vietnam."""
    return FixedClock(datetime(2022, 4, 8, 8, 0, tzinfo=LOCAL_TZ))


@pytest.fixture
def linked(engine: Engine, clock: FixedClock) -> Engine:
    """The Thường Xuân register with every official linked on the console channel."""
    import_register(engine, load_register(REGISTER), clock)
    with engine.connect() as conn:
        officials = conn.execute(select(OFFICIALS.c.id, OFFICIALS.c.code)).all()
    for official_id, code in officials:
        link_chat(engine, official_id, "console", f"chat-{code}", clock)
    return engine


def assignment_id(engine: Engine, task: str, unit: str) -> int:
    """The id of a task's assignment to a unit (its latest occurrence, for a recurring task)."""
    query = (
        select(ASSIGNMENTS.c.id)
        .join(TASKS, TASKS.c.id == ASSIGNMENTS.c.task_id)
        .join(UNITS, UNITS.c.id == ASSIGNMENTS.c.unit_id)
        .where(TASKS.c.code == task, UNITS.c.code == unit)
        .order_by(ASSIGNMENTS.c.due.desc())
    )
    with engine.connect() as conn:
        return int(conn.execute(query).scalars().first() or 0)
