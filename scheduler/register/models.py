"""The tables of the task register.

Facts only: a deadline, a status, who changed what. States such as "overdue" or "done late" are
derived from these facts and a day (see `scheduler.register.state`), never stored.
"""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, Table, UniqueConstraint
from sqlmodel import Field, SQLModel

# "telegram", "zalo", "console", or "telegram:<bot>" for a unit's own bot (scheduler/register/bots.py)
CHANNEL_LENGTH = 48


class Role(StrEnum):
    """What an official may do: members act on their units, leaders see all, admins keep the register."""

    member = "member"
    head = "head"
    leader = "leader"
    admin = "admin"


# What the office calls each role; the register takes these words as well as the codes.
ROLE_NAMES = {Role.member: "cán bộ", Role.head: "phụ trách đơn vị", Role.leader: "lãnh đạo", Role.admin: "quản trị sổ"}


class Status(StrEnum):
    """The stored status of an assignment. "Overdue" is not here: it is derived."""

    open = "open"
    in_progress = "in_progress"
    done = "done"
    cancelled = "cancelled"


ACTIVE_STATUSES = (Status.open.value, Status.in_progress.value)


class TaskKind(StrEnum):
    """A deadline is chased until it is met; an event (a meeting on its day) is reminded, then only counted."""

    deadline = "deadline"
    event = "event"


class Unit(SQLModel, table=True):
    """A chi bộ, UBND, a school, a khu phố …; aliases help match how documents name it."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=64)
    name: str = Field(max_length=255)
    kind: str = Field(default="", max_length=64)
    aliases: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    groups: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    bot: str = Field(default="", max_length=32, sa_column_kwargs={"server_default": ""})  # its own Telegram bot


class UnitGroup(SQLModel, table=True):
    """A named set of units ("các chi bộ trực thuộc"); a task for a group is one assignment per member."""

    __tablename__ = "unit_group"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=64)
    name: str = Field(max_length=255)
    aliases: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    bot: str = Field(default="", max_length=32, sa_column_kwargs={"server_default": ""})  # its units' Telegram bot


class Official(SQLModel, table=True):
    """A person of one or more units."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=64)
    name: str = Field(max_length=255)
    title: str = Field(default="", max_length=255)
    role: str = Field(default=Role.member.value, max_length=16)


class OfficialUnit(SQLModel, table=True):
    """Membership of an official in a unit."""

    __tablename__ = "official_unit"

    official_id: int = Field(foreign_key="official.id", primary_key=True, ondelete="CASCADE")
    unit_id: int = Field(foreign_key="unit.id", primary_key=True, index=True, ondelete="CASCADE")


class Task(SQLModel, table=True):
    """What a document asks, with its words kept verbatim next to what we resolved them to."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=64)
    title: str
    quote: str = ""
    source_doc: str = ""
    source_date: date | None = None
    deadline_text: str = ""
    due: date | None = None
    rrule: str | None = Field(default=None, max_length=255)
    kind: str = Field(default=TaskKind.deadline.value, max_length=16, sa_column_kwargs={"server_default": "deadline"})
    lead: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    coordinating: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    note: str = ""
    reminders: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON(none_as_null=True), nullable=True))


class Assignment(SQLModel, table=True):
    """A task for one unit (one occurrence of it, for a recurring task). Status lives here."""

    __table_args__ = (
        UniqueConstraint("task_id", "unit_id", "original_due", name="uq_assignment_occurrence"),
        Index("ix_assignment_unit_status_due", "unit_id", "status", "due"),
        Index("ix_assignment_status_due", "status", "due"),
    )

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    unit_id: int = Field(foreign_key="unit.id")
    status: str = Field(default=Status.open.value, max_length=16)
    percent: int = 0
    note: str = ""
    due: date
    original_due: date
    done_at: datetime | None = None
    updated_at: datetime | None = None


class StatusEvent(SQLModel, table=True):
    """Append-only history: who changed what, when, through which channel and message."""

    __tablename__ = "status_event"

    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int = Field(foreign_key="assignment.id", index=True)
    at: datetime
    kind: str = Field(max_length=32)
    actor_official_id: int | None = Field(default=None, foreign_key="official.id")
    actor: str = Field(default="", max_length=255)
    channel: str = Field(default="", max_length=CHANNEL_LENGTH)
    message_id: str | None = Field(default=None, max_length=64)
    old_status: str | None = Field(default=None, max_length=16)
    new_status: str | None = Field(default=None, max_length=16)
    old_due: date | None = None
    new_due: date | None = None
    percent: int | None = None
    note: str = ""


class RegisterMeta(SQLModel, table=True):
    """Register-wide settings read from the file (title, source document, reminder policy)."""

    __tablename__ = "register_meta"

    key: str = Field(primary_key=True, max_length=64)
    value: dict[str, Any] | list[Any] | str | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class ChatLink(SQLModel, table=True):
    """A chat (Telegram chat id, Zalo user id, console) that speaks for an official; several per official."""

    __tablename__ = "chat_link"
    __table_args__ = (UniqueConstraint("channel", "chat_id", "official_id", name="uq_chat_link"),)

    id: int | None = Field(default=None, primary_key=True)
    official_id: int = Field(foreign_key="official.id", index=True)
    channel: str = Field(max_length=CHANNEL_LENGTH)
    chat_id: str = Field(max_length=64)
    is_group: bool = False
    active: bool = True
    linked_at: datetime | None = None


class ReminderState(StrEnum):
    """planned → sending → sent | failed; `skipped` when a newer reminder of the same assignment replaced it."""

    planned = "planned"
    sending = "sending"
    sent = "sent"
    failed = "failed"
    skipped = "skipped"


class Delivered(SQLModel):
    """How an outbox row went out: its state, its attempts, and the chat and message it became."""

    state: str = Field(default=ReminderState.planned.value, max_length=16)
    attempts: int = 0
    next_attempt_at: datetime | None = None
    claimed_at: datetime | None = None
    # who holds a row in `sending` (a worker's id) and until when: a dead owner's rows are swept at once
    claimed_by: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = None
    sent_at: datetime | None = None
    last_error: str = ""
    chat_id: str | None = Field(default=None, max_length=64)
    message_id: str | None = Field(default=None, max_length=64)


class Reminder(Delivered, table=True):
    """An outbox row: one reminder of one assignment for one official on one channel, on one day."""

    __table_args__ = (
        UniqueConstraint("assignment_id", "official_id", "kind", "planned_for", "channel", name="uq_reminder"),
        # The claim's two statements, each answered from one index at any outbox size: the pick of the next
        # person waiting (state, then send_after and id in the claim's order: no sort on PostgreSQL) and the
        # update of that person's due rows (all four columns, so that SQLite never prefers the first one).
        # (the channel second: with several bot tokens the dispatcher picks each channel's next in turn)
        Index("ix_reminder_waiting", "state", "channel", "send_after", "id"),
        Index("ix_reminder_person_waiting", "official_id", "channel", "state", "send_after"),
        Index("ix_reminder_message", "channel", "chat_id", "message_id"),
        # the planner's row-by-row comparison reads the rows of today's occasions' days (planned_for ≥ …)
        Index("ix_reminder_day", "planned_for"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # no index of its own: the unique key starts with it, and one index fewer makes the morning's inserts faster
    assignment_id: int = Field(foreign_key="assignment.id")
    official_id: int = Field(foreign_key="official.id")
    channel: str = Field(max_length=CHANNEL_LENGTH)
    kind: str = Field(max_length=16)
    planned_for: date
    send_after: datetime
    note: str = ""


class OutboxMessage(Delivered, table=True):
    """An outbox row that is not a reminder of an assignment: a notice to admins, an extension request to a
    leader, a leader's decision back to the requester, the Monday digest. One row is one message.

    `key` makes enqueueing idempotent: the same (official, channel, kind, key) is enqueued once. `chat_id`
    is the chat it goes to when the message answers a particular chat (a decision goes back where the
    request came from); empty, it goes to the official's chat on that channel, like a reminder. The text
    and buttons are written when the message is enqueued, except the Monday digest's, made when it is sent.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (
        UniqueConstraint("official_id", "channel", "kind", "key", name="uq_outbox_message"),
        Index("ix_outbox_message_waiting", "state", "send_after", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    official_id: int = Field(foreign_key="official.id")
    channel: str = Field(max_length=CHANNEL_LENGTH)
    kind: str = Field(max_length=24)
    key: str = Field(default="", max_length=96)
    send_after: datetime
    text: str = ""
    # rows of buttons, each [label, data]: the channel shows them as buttons or as numbered choices
    buttons: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class Worker(SQLModel, table=True):
    """A running `nhacviec run` process: its heartbeat tells the others whether its claims are still held."""

    id: str = Field(primary_key=True, max_length=64)  # host:pid:random, unique per process start
    started_at: datetime
    heartbeat_at: datetime


class SendSlot(SQLModel, table=True):
    """One send under a bot token, shared by every process on one PostgreSQL: the limiter's memory.

    A send counts from `started_at` until a window after `done_at` (for ever while `done_at` is empty,
    up to a minute for a process that died mid-send)."""

    __tablename__ = "send_slot"
    __table_args__ = (
        Index("ix_send_slot_bucket_started", "bucket", "started_at"),
        Index("ix_send_slot_bucket_chat", "bucket", "chat_id"),
        Index("ix_send_slot_bucket_done", "bucket", "done_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    bucket: str = Field(max_length=64)
    chat_id: str = Field(max_length=64)
    is_group: bool = False
    started_at: datetime
    done_at: datetime | None = None


class Invite(SQLModel, table=True):
    """A single-use, expiring code that links a chat to an official; only its hash is stored."""

    id: int | None = Field(default=None, primary_key=True)
    official_id: int = Field(foreign_key="official.id", index=True)
    code_hash: str = Field(unique=True, max_length=64)
    role: str | None = Field(default=None, max_length=16)
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    used_by_chat: str | None = Field(default=None, max_length=96)


class InviteAttempt(SQLModel, table=True):
    """A wrong invite code typed in a chat: a chat gets a few an hour."""

    __tablename__ = "invite_attempt"
    __table_args__ = (Index("ix_invite_attempt_chat", "channel", "chat_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=CHANNEL_LENGTH)
    chat_id: str = Field(max_length=64)
    at: datetime


class ExtensionRequest(SQLModel, table=True):
    """A request to move a deadline; leaders decide. The assignment keeps its original deadline."""

    __tablename__ = "extension_request"

    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int = Field(foreign_key="assignment.id", index=True)
    requested_by: int = Field(foreign_key="official.id")
    requested_due: date
    reason: str = ""
    state: str = Field(default="pending", max_length=16)
    created_at: datetime
    decided_by: int | None = Field(default=None, foreign_key="official.id")
    decided_at: datetime | None = None
    channel: str = Field(default="", max_length=CHANNEL_LENGTH)
    chat_id: str = Field(default="", max_length=64)


class OfficialSetting(SQLModel, table=True):
    """Personal settings: the morning digest time, leave (muted until), language."""

    __tablename__ = "official_setting"

    official_id: int = Field(foreign_key="official.id", primary_key=True)
    digest_at: time | None = None
    muted_until: date | None = None
    language: str = Field(default="vi", max_length=8)
    channels: str = Field(default="", max_length=CHANNEL_LENGTH)  # "telegram", "zalo", or "" for every linked channel
    private_too: bool = False  # reminders privately as well, when the unit's group chat gets them


class ChatState(SQLModel, table=True):
    """A question the bot is waiting on in one chat (e.g. the reason for an extension); /huy clears it."""

    __tablename__ = "chat_state"

    channel: str = Field(primary_key=True, max_length=CHANNEL_LENGTH)
    chat_id: str = Field(primary_key=True, max_length=64)
    waiting_for: str = Field(max_length=32)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime


def open_assignment(task_id: int, unit_id: int, due: date, now: datetime) -> dict[str, Any]:
    """The row of a fresh assignment (or occurrence) for bulk inserts: open, due as the register says."""
    return {
        "task_id": task_id,
        "unit_id": unit_id,
        "status": Status.open.value,
        "percent": 0,
        "note": "",
        "due": due,
        "original_due": due,
        "updated_at": now,
    }


# Core table handles, for bulk statements where the ORM would be slow (imports of 300,000 rows).
UNITS: Table = Unit.__table__  # type: ignore[attr-defined]
GROUPS: Table = UnitGroup.__table__  # type: ignore[attr-defined]
OFFICIALS: Table = Official.__table__  # type: ignore[attr-defined]
MEMBERS: Table = OfficialUnit.__table__  # type: ignore[attr-defined]
TASKS: Table = Task.__table__  # type: ignore[attr-defined]
ASSIGNMENTS: Table = Assignment.__table__  # type: ignore[attr-defined]
EVENTS: Table = StatusEvent.__table__  # type: ignore[attr-defined]
META: Table = RegisterMeta.__table__  # type: ignore[attr-defined]
CHATS: Table = ChatLink.__table__  # type: ignore[attr-defined]
REMINDERS: Table = Reminder.__table__  # type: ignore[attr-defined]
WORKERS: Table = Worker.__table__  # type: ignore[attr-defined]
SEND_SLOTS: Table = SendSlot.__table__  # type: ignore[attr-defined]
INVITES: Table = Invite.__table__  # type: ignore[attr-defined]
INVITE_ATTEMPTS: Table = InviteAttempt.__table__  # type: ignore[attr-defined]
EXTENSIONS: Table = ExtensionRequest.__table__  # type: ignore[attr-defined]
SETTINGS: Table = OfficialSetting.__table__  # type: ignore[attr-defined]
CHAT_STATES: Table = ChatState.__table__  # type: ignore[attr-defined]
MESSAGES: Table = OutboxMessage.__table__  # type: ignore[attr-defined]
