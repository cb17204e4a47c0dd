"""Changing an assignment's status, always with a StatusEvent beside it (history is append-only)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlmodel import Session

from scheduler.clock import LOCAL_TZ, Clock
from scheduler.outbox.queue import Outgoing, enqueue
from scheduler.register.models import (
    ACTIVE_STATUSES,
    ASSIGNMENTS,
    EVENTS,
    EXTENSIONS,
    OFFICIALS,
    Assignment,
    Status,
    StatusEvent,
)


class AssignmentNotFoundError(LookupError):
    """No assignment with that id."""


@dataclass(frozen=True)
class Actor:
    """Who made a change and through what: an official on a channel, the CLI, an import."""

    name: str
    official_id: int | None = None
    channel: str = "cli"
    message_id: str | None = None


def change_status(
    engine: Engine,
    assignment_id: int,
    status: Status,
    actor: Actor,
    clock: Clock,
    percent: int | None = None,
    note: str = "",
) -> StatusEvent:
    """Set the status (and percent) of one assignment and record who did it, in one transaction."""
    now = clock.now()
    with Session(engine, expire_on_commit=False) as session:
        assignment = session.get(Assignment, assignment_id, with_for_update=True)
        if assignment is None:
            raise AssignmentNotFoundError(f"không có việc số {assignment_id}")
        event = StatusEvent(
            assignment_id=assignment_id,
            at=now,
            kind="status",
            actor=actor.name,
            actor_official_id=actor.official_id,
            channel=actor.channel,
            message_id=actor.message_id,
            old_status=assignment.status,
            new_status=status.value,
            percent=percent,
            note=note,
        )
        assignment.status = status.value
        if percent is not None:
            assignment.percent = percent
        if status == Status.done:
            assignment.done_at = now
            assignment.percent = 100
        elif assignment.done_at is not None:
            assignment.done_at = None
        if note:
            assignment.note = note
        assignment.updated_at = now
        session.add(assignment)
        session.add(event)
        session.commit()
    return event


class ExtensionError(ValueError):
    """An extension request or decision that cannot be made; the message says why."""


def request_extension(
    engine: Engine,
    assignment_id: int,
    official_id: int,
    new_due: date,
    reason: str,
    clock: Clock,
    channel: str = "",
    chat_id: str = "",
    tell: Callable[[Connection, int], Iterable[Outgoing]] | None = None,
) -> int:
    """Record a request; the due date moves only when a leader approves it. `tell(conn, request_id)` gives
    the messages to the leaders, enqueued in the same transaction (a request asked again is not re-sent)."""
    now = clock.now()
    with engine.begin() as conn:
        row = conn.execute(
            select(ASSIGNMENTS.c.due, ASSIGNMENTS.c.status).where(ASSIGNMENTS.c.id == assignment_id)
        ).first()
        if row is None:
            raise AssignmentNotFoundError(f"không có việc số {assignment_id}")
        if row.status not in ACTIVE_STATUSES:
            raise ExtensionError("việc này đã xong hoặc đã hủy, không cần gia hạn")
        if new_due <= row.due:
            raise ExtensionError(f"ngày xin gia hạn ({new_due:%d/%m/%Y}) phải sau hạn hiện tại ({row.due:%d/%m/%Y})")
        values = {"requested_due": new_due, "reason": reason, "requested_by": official_id, "channel": channel,
                  "chat_id": chat_id}  # fmt: skip
        pending = conn.execute(
            select(EXTENSIONS.c.id).where(EXTENSIONS.c.assignment_id == assignment_id, EXTENSIONS.c.state == "pending")
        ).scalar()
        if pending is not None:  # asked again: the pending request changes, leaders are not asked twice
            conn.execute(update(EXTENSIONS).where(EXTENSIONS.c.id == pending).values(values))
            request_id, kind = int(pending), "extension_updated"
        else:
            inserted = conn.execute(
                insert(EXTENSIONS).values(assignment_id=assignment_id, state="pending", created_at=now, **values)
            ).inserted_primary_key
            assert inserted is not None
            request_id, kind = int(inserted[0]), "extension_requested"
            if tell is not None:
                enqueue(conn, tell(conn, request_id), now)
        conn.execute(
            insert(EVENTS).values(
                assignment_id=assignment_id,
                at=now,
                kind=kind,
                actor_official_id=official_id,
                actor="",
                channel=channel,
                old_due=row.due,
                new_due=new_due,
                note=reason,
            )
        )
    return request_id


@dataclass(frozen=True)
class Decision:
    request_id: int
    assignment_id: int
    approved: bool
    old_due: date
    new_due: date
    requested_by: int
    channel: str
    chat_id: str


def pending_extension(engine: Engine, assignment_id: int) -> int | None:
    """The id of the assignment's request waiting for a leader, if any."""
    with engine.connect() as conn:
        found = conn.execute(
            select(EXTENSIONS.c.id).where(EXTENSIONS.c.assignment_id == assignment_id, EXTENSIONS.c.state == "pending")
        ).scalar()
    return int(found) if found is not None else None


@dataclass(frozen=True)
class PendingRequest:
    id: int
    assignment_id: int
    requested_due: date
    reason: str
    created_at: datetime
    requester: str


def pending_extensions(engine: Engine, offset: int = 0, limit: int = 5) -> tuple[list[PendingRequest], int]:
    """Requests waiting for a leader, oldest first: one page, and how many there are in all. A request whose
    work has been done or cancelled since waits for nothing, and is not shown."""
    waiting = (
        EXTENSIONS.c.state == "pending",
        EXTENSIONS.c.assignment_id.in_(select(ASSIGNMENTS.c.id).where(ASSIGNMENTS.c.status.in_(ACTIVE_STATUSES))),
    )
    with engine.connect() as conn:
        total = int(conn.execute(select(func.count()).select_from(EXTENSIONS).where(*waiting)).scalar() or 0)
        rows = conn.execute(
            select(
                EXTENSIONS.c.id,
                EXTENSIONS.c.assignment_id,
                EXTENSIONS.c.requested_due,
                EXTENSIONS.c.reason,
                EXTENSIONS.c.created_at,
                OFFICIALS.c.name,
            )
            .join(OFFICIALS, OFFICIALS.c.id == EXTENSIONS.c.requested_by)
            .where(*waiting)
            .order_by(EXTENSIONS.c.created_at, EXTENSIONS.c.id)
            .offset(offset)
            .limit(limit)
        ).all()
    return [PendingRequest(*r) for r in rows], total


def _already_decided(conn: Connection, request: Any) -> str:
    """Who decided what, for the leader who pressed a button a moment too late."""
    who = conn.execute(select(OFFICIALS.c.name).where(OFFICIALS.c.id == request["decided_by"])).scalar()
    what = "đã đồng ý" if request["state"] == "approved" else "đã từ chối"
    when = f" lúc {request['decided_at'].astimezone(LOCAL_TZ):%H:%M ngày %d/%m/%Y}" if request["decided_at"] else ""
    extra = f" (gia hạn đến {request['requested_due']:%d/%m/%Y})" if request["state"] == "approved" else ""
    return f"yêu cầu này đã được quyết định rồi: đồng chí {who or 'lãnh đạo khác'} {what}{extra}{when}"


def decide_extension(
    engine: Engine,
    request_id: int,
    leader_id: int,
    approve: bool,
    clock: Clock,
    channel: str = "",
    message_id: str | None = None,
    note: str = "",
    tell: Callable[[Connection, Decision], Iterable[Outgoing]] | None = None,
) -> Decision:
    """Approve (the due date moves; the original deadline stays) or refuse, with the leader's reason in
    `note` (it replaces the request's reason in the history); decided once. `tell(conn, decision)` gives
    the messages to the requester and the other leaders, enqueued in the same transaction."""
    now = clock.now()
    with engine.begin() as conn:
        request = conn.execute(select(EXTENSIONS).where(EXTENSIONS.c.id == request_id)).mappings().first()
        if request is None:
            raise ExtensionError(f"không có yêu cầu gia hạn số {request_id}")
        if request["state"] != "pending":
            raise ExtensionError(_already_decided(conn, request))
        if request["requested_by"] == leader_id:
            raise ExtensionError(
                "không ai tự quyết định đề nghị gia hạn của chính mình; một lãnh đạo khác sẽ quyết định"
            )
        task = conn.execute(
            select(ASSIGNMENTS.c.status, ASSIGNMENTS.c.done_at).where(ASSIGNMENTS.c.id == request["assignment_id"])
        ).first()
        if task is not None and task.status not in ACTIVE_STATUSES:  # a late close must stay late
            when = f" ngày {task.done_at.astimezone(LOCAL_TZ):%d/%m/%Y}" if task.done_at else ""
            closed = f"đã xong{when}" if task.status == Status.done.value else "đã hủy"
            raise ExtensionError(f"việc #{request['assignment_id']} {closed}, nên không còn gia hạn được nữa")
        decided = conn.execute(
            update(EXTENSIONS)
            .where(EXTENSIONS.c.id == request_id, EXTENSIONS.c.state == "pending")
            .values(state="approved" if approve else "refused", decided_by=leader_id, decided_at=now)
        )
        if decided.rowcount != 1:
            raise ExtensionError("yêu cầu này vừa được quyết định")
        old_due = conn.execute(
            select(ASSIGNMENTS.c.due).where(ASSIGNMENTS.c.id == request["assignment_id"])
        ).scalar_one()
        new_due = request["requested_due"] if approve else old_due
        if approve:
            conn.execute(
                update(ASSIGNMENTS)
                .where(ASSIGNMENTS.c.id == request["assignment_id"])
                .values(due=new_due, updated_at=now)
            )
        conn.execute(
            insert(EVENTS).values(
                assignment_id=request["assignment_id"],
                at=now,
                kind="extension_approved" if approve else "extension_refused",
                actor_official_id=leader_id,
                actor="",
                channel=channel,
                message_id=message_id,
                old_due=old_due,
                new_due=new_due,
                note=note or request["reason"],
            )
        )
        decision = Decision(
            request_id,
            request["assignment_id"],
            approve,
            old_due,
            new_due,
            request["requested_by"],
            request["channel"],
            request["chat_id"],
        )
        if tell is not None:
            enqueue(conn, tell(conn, decision), now)
    return decision


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    kind: str
    who: str
    channel: str
    old_status: str | None
    new_status: str | None
    old_due: date | None
    new_due: date | None
    percent: int | None
    note: str


def history(engine: Engine, assignment_id: int) -> list[HistoryLine]:
    """Every recorded change of an assignment, oldest first."""
    with engine.connect() as conn:
        rows = (
            conn.execute(
                select(EVENTS, OFFICIALS.c.name.label("official"))
                .outerjoin(OFFICIALS, OFFICIALS.c.id == EVENTS.c.actor_official_id)
                .where(EVENTS.c.assignment_id == assignment_id)
                .order_by(EVENTS.c.at, EVENTS.c.id)
            )
            .mappings()
            .all()
        )
    return [
        HistoryLine(
            r["at"],
            r["kind"],
            r["official"] or r["actor"],
            r["channel"],
            r["old_status"],
            r["new_status"],
            r["old_due"],
            r["new_due"],
            r["percent"],
            r["note"],
        )
        for r in rows
    ]
