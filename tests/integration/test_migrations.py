"""The schema is owned by Alembic: migrations build exactly what the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from scheduler.db import make_engine, upgrade
from scheduler.register.models import SQLModel


def test_first_use_creates_the_schema_through_migrations(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert {"alembic_version", "unit", "task", "assignment", "status_event"} <= tables


def test_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata)
    assert diff == [], "the models changed without a migration: run alembic revision --autogenerate"


def test_upgrading_twice_is_harmless(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    assert "assignment" in inspect(engine).get_table_names()
    engine.dispose()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
