"""What plan a database chose for a statement: the claim must read an index, not scan or sort the outbox."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection


def query_plan(conn: Connection, statement: Any) -> list[str]:
    """The database's plan for `statement`, one line per step (SQLite's EXPLAIN QUERY PLAN, PostgreSQL's EXPLAIN)."""
    compiled = statement.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
    if conn.dialect.name == "sqlite":
        return [row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}")]
    return [row[0] for row in conn.exec_driver_sql(f"EXPLAIN {compiled}")]
