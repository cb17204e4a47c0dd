"""The one way into the outbox: every message the system originates becomes a row here, written on the
connection (so in the transaction) of the change that causes it, and sent by the one dispatcher loop.

Two tables, one entry: a reminder of an assignment (`reminder`: the planner's morning rows, escalations,
snoozes) goes where the dispatcher gathers a person's morning into one message; every other message
(`outbox_message`: notices to admins, extension requests to leaders, decisions back to the requester, the
Monday digest) is one row, one message. Each table has a unique key, and the conflict rule is decided
here for both: enqueueing the same thing twice writes it once, except that snoozing again moves the
snooze to its new time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Table

from scheduler.db import upsert
from scheduler.register.models import MESSAGES, REMINDERS, ReminderState

# kinds of `outbox_message`
NOTICE = "notice"  # to admins: a message could not be delivered
EXTENSION_REQUEST = "extension_request"  # to a leader: someone asks for more time, with the decision buttons
EXTENSION_DECISION = "extension_decision"  # back to the requester: approved or refused
EXTENSION_DECIDED = "extension_decided"  # to the other leaders asked: who decided what
WEEKLY = "weekly"  # the leaders' Monday digest, made when it is sent

SNOOZE = "snooze"  # a reminder kind: "nhắc lại sau" moves it when pressed again

Buttons = tuple[tuple[tuple[str, str], ...], ...]  # rows of (label, data)


@dataclass(frozen=True)
class Remind:
    """A reminder of one assignment for one official on one channel, planned for one day."""

    assignment_id: int
    official_id: int
    channel: str
    kind: str
    planned_for: date
    send_after: datetime
    note: str = ""


@dataclass(frozen=True)
class Outgoing:
    """A message that is not a reminder of an assignment; `key` tells two enqueues of the same one apart.

    `chat_id` names the chat when the message answers a particular one (a decision goes back where the
    request came from); otherwise the official's chat on `channel` gets it, as for reminders."""

    official_id: int
    channel: str
    kind: str
    key: str
    text: str = ""
    buttons: Buttons = ()
    chat_id: str | None = None
    send_after: datetime | None = None  # None: now


def enqueue(conn: Connection, items: Iterable[Remind | Outgoing], now: datetime) -> int:
    """Write these messages to the outbox on `conn`, each once; returns how many were given."""
    reminders: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, Remind):
            reminders.append(
                {
                    "assignment_id": item.assignment_id,
                    "official_id": item.official_id,
                    "channel": item.channel,
                    "kind": item.kind,
                    "planned_for": item.planned_for,
                    "send_after": item.send_after,
                    "note": item.note,
                }
            )
        else:
            messages.append(
                {
                    "official_id": item.official_id,
                    "channel": item.channel,
                    "kind": item.kind,
                    "key": item.key,
                    "text": item.text,
                    "buttons": [[list(button) for button in row] for row in item.buttons],
                    "chat_id": item.chat_id,
                    "send_after": item.send_after or now,
                    **_WAITING,
                }
            )
    enqueue_reminders(conn, reminders)
    if messages:
        insert_ignoring_duplicates(conn, MESSAGES, messages)
    return len(reminders) + len(messages)


_WAITING = {"state": ReminderState.planned.value, "attempts": 0, "last_error": ""}


def enqueue_reminders(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """The bulk form of `enqueue` for reminders (the planner's morning: 100,000 rows in one tick).

    Each row holds assignment_id, official_id, channel, kind, planned_for, send_after (and may hold a
    note); a row already in the outbox is left as it is, but a snooze moves to its new time."""
    if not rows:
        return
    plain = [{**row, **_WAITING} for row in rows if row["kind"] != SNOOZE]
    snoozes = [{"note": "", **row, **_WAITING} for row in rows if row["kind"] == SNOOZE]
    if plain:
        insert_ignoring_duplicates(conn, REMINDERS, plain)
    for row in snoozes:
        _snooze(conn, row)


def _snooze(conn: Connection, row: dict[str, Any]) -> None:
    """Pressed again the same day: the snooze waits again, for the new time."""
    statement = upsert(conn, REMINDERS).values(row)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["assignment_id", "official_id", "kind", "planned_for", "channel"],
            set_={"send_after": statement.excluded.send_after, "state": ReminderState.planned.value},
        )
    )


def insert_ignoring_duplicates(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows, skipping those whose unique key is already there (SQLite and PostgreSQL)."""
    if not rows:
        return
    if conn.dialect.name == "sqlite":
        _sqlite_insert_or_ignore(conn, table, rows)
        return
    statement = upsert(conn, table).on_conflict_do_nothing()
    for start in range(0, len(rows), 5000):
        conn.execute(statement, rows[start : start + 5000])


def _sqlite_insert_or_ignore(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """The first tick of a morning writes 100,000 rows: straight to the driver's executemany.

    Each value goes through its column's own bind processor (so dates and UTC datetimes are stored
    exactly as the ORM stores them), once per distinct value: a morning has a handful of days and times.
    """
    given = list(rows[0])
    defaults = {  # what Core would fill in for a column the rows leave out (e.g. note = "")
        c.name: c.default.arg  # type: ignore[attr-defined]
        for c in table.columns
        if c.name not in given and c.default is not None and getattr(c.default, "is_scalar", False)
    }
    columns = given + list(defaults)
    processors = [table.c[name].type.bind_processor(conn.dialect) for name in columns]
    bound = [
        _bound([row.get(name, defaults[name]) for row in rows] if name in defaults else [row[name] for row in rows], p)
        for name, p in zip(columns, processors, strict=True)
    ]  # column by column: no call per value

    sql = f"INSERT OR IGNORE INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
    conn.exec_driver_sql(sql, list(zip(*bound, strict=True)))


def _bound(column: list[Any], process: Callable[[Any], Any] | None) -> list[Any]:
    """One column's values through its bind processor, once per distinct value (the first of equal ones)."""
    if process is None:
        return column
    try:
        seen = {raw: None if raw is None else process(raw) for raw in dict.fromkeys(column)}
    except TypeError:  # JSON (buttons): lists are not hashable, and rare
        return [None if raw is None else process(raw) for raw in column]
    return [seen[raw] for raw in column]
