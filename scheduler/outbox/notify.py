"""The contract between the dispatcher and the channels: what a delivery holds and how a send fails.

`scheduler` never imports `bot`: channels implement `Notifier`, and render a `Delivery` their own way
(buttons on Telegram, typed answers on Zalo, numbered choices on the console).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from scheduler.reporting.weekly import WeeklyReport

log = logging.getLogger("nhacviec.notify")


@dataclass(frozen=True)
class DigestItem:
    """One task in a morning message."""

    assignment_id: int
    task_code: str
    title: str
    unit_name: str
    due: date
    original_due: date
    status: str
    percent: int
    kind: str


@dataclass(frozen=True)
class Delivery:
    """Everything one person gets in one message: a digest of tasks, a notice for admins, the Monday digest,
    or a message written when it was enqueued (an extension request to a leader, a decision back)."""

    channel: str
    chat_id: str
    official_id: int
    official_name: str
    today: date
    items: tuple[DigestItem, ...] = ()
    notice: str = ""
    is_group: bool = False
    weekly: WeeklyReport | None = None  # the leaders' Monday digest, with its chart
    # a message written when it was enqueued (an extension request, a decision): its text and button rows
    text: str = ""
    buttons: tuple[tuple[tuple[str, str], ...], ...] = ()
    kind: str = ""  # the outbox_message kind; "" for a morning's reminders


@dataclass
class DeliveryError(Exception):
    """A failed send. Permanent (blocked, chat not found) unlinks the chat; transient is retried.

    `retry_after` (seconds) comes from a 429; `pause_all` when the channel knows the limit is the bot's,
    not the chat's (otherwise the limiter judges from the pattern of answers); `migrate_to` from a group
    that became a supergroup.
    """

    reason: str
    permanent: bool = False
    retry_after: float | None = None
    pause_all: bool = False
    migrate_to: str | None = None
    details: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.reason


class Notifier(Protocol):
    """A channel able to deliver reminders; returns the channel's message id."""

    channel: str

    async def deliver(self, delivery: Delivery) -> str: ...


class LoggingNotifier:
    """The embedded default when no channel is configured: reminders go to the log."""

    def __init__(self, channel: str = "console") -> None:
        self.channel = channel
        self.delivered: list[Delivery] = []

    async def deliver(self, delivery: Delivery) -> str:
        self.delivered.append(delivery)
        lines = [f"{i.task_code} #{i.assignment_id} {i.unit_name}: hạn {i.due:%d/%m/%Y}" for i in delivery.items]
        log.info("→ %s (%s): %s", delivery.official_name, delivery.chat_id, delivery.notice or "; ".join(lines))
        return f"log-{len(self.delivered)}"
