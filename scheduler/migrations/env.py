"""Alembic environment: the target is SQLModel's metadata; the connection comes from `scheduler.db`."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import scheduler.register.models  # noqa: F401  (registers the tables)
from scheduler.db import make_engine

target_metadata = SQLModel.metadata


def run_migrations(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    engine = make_engine(migrate=False)
    with engine.begin() as conn:
        run_migrations(conn)
