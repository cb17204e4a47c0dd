"""One engine factory and the schema, brought up to date by Alembic on first use."""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, Table, create_engine, event, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.dialects.sqlite import Insert

MIGRATIONS = Path(__file__).parent / "migrations"
DEFAULT_DATA_DIR = Path("data")


def default_url() -> str:
    """`NHACVIEC_DATABASE_URL`, else a SQLite file under `data/` (or `NHACVIEC_DATA_DIR`)."""
    url = os.environ.get("NHACVIEC_DATABASE_URL")
    if url:
        return url
    folder = Path(os.environ.get("NHACVIEC_DATA_DIR", DEFAULT_DATA_DIR))
    return f"sqlite:///{folder / 'nhacviec.sqlite3'}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def where(engine: Engine) -> str:
    """The database as a keeper finds it: a SQLite file's full path, else the URL without its password."""
    if engine.dialect.name == "sqlite" and engine.url.database:
        return str(Path(engine.url.database).resolve())
    return engine.url.render_as_string(hide_password=True)


def upsert(conn: Connection, table: Table) -> Insert:
    """The INSERT that takes ON CONFLICT clauses, in this connection's dialect. PostgreSQL's dialect module
    (2 MB, 19 modules) is imported only by a process that talks to PostgreSQL."""
    if conn.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        from sqlalchemy.dialects.postgresql import insert  # type: ignore[assignment]
    return insert(table)


def make_engine(url: str | None = None, *, migrate: bool = True) -> Engine:
    """Create the engine for `url` (default: `default_url()`) and apply pending migrations."""
    url = url or default_url()
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, pool_pre_ping=not url.startswith("sqlite"))
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    if migrate:
        upgrade(engine)
    return engine


def alembic_config() -> Config:
    """Alembic's configuration, pointing at the migrations shipped inside the package."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


@cache
def head_revision() -> str | None:
    """The newest migration, read from the migration files themselves (no Alembic import: a command that
    finds its database current starts in a fraction of the time); None unless there is exactly one head."""
    revisions, parents = set(), set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        found = re.search(r'^revision: str = "([^"]+)"', source, re.MULTILINE)
        if found:
            revisions.add(found.group(1))
        parents.update(re.findall(r'^down_revision: [^=]+= "([^"]+)"', source, re.MULTILINE))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def is_current(engine: Engine) -> bool:
    """True when the database already stands at the newest migration."""
    head = head_revision()
    if head is None:
        return False
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return False
        return set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars()) == {head}


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision`; safe to call on every start (and quick when nothing is pending)."""
    if revision == "head" and is_current(engine):
        return
    from alembic import command

    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
