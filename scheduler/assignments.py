"""Changing an assignment's status, always with a StatusEvent beside it (history is append-only)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session

from scheduler.clock import Clock
from scheduler.models import Assignment, Status, StatusEvent


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
