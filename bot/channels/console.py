"""The console channel: the phone in a terminal, and the in-memory fake that end-to-end tests read.

Buttons show as numbered choices; typing the number presses the button.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.conversation.deliveries import render_delivery
from bot.conversation.texts import CONSOLE, Attachment, Button, Message, file_size
from scheduler.outbox.notify import Delivery

CHANNEL = "console"


@dataclass
class Shown:
    """A message as it reached a console chat, with its id (for replies) and numbered buttons."""

    message_id: str
    chat_id: str
    text: str
    buttons: list[Button] = field(default_factory=list)  # numbered in order, across the rows
    is_reminder: bool = False
    attachment: Attachment | None = None
    saved_to: Path | None = None
    row_lengths: list[int] = field(default_factory=list)  # one line of choices per row, as a phone shows them


class ConsoleChannel:
    """Keeps each chat's messages; prints those of the chat being watched."""

    channel = CHANNEL

    def __init__(self, write: Callable[[str], None] = print, files_dir: Path | None = None) -> None:
        self.write = write
        self.files_dir = files_dir  # where the chart and calendar files land, so a terminal user can open them
        self.inbox: dict[str, list[Shown]] = defaultdict(list)
        self.watching: str | None = None
        self._next_id = 0

    def show(self, chat_id: str, message: Message, is_reminder: bool = False) -> Shown:
        """Put a message into a chat; print it if that chat is on screen."""
        self._next_id += 1
        flat = [b for row in message.buttons for b in row]
        shown = Shown(str(self._next_id), chat_id, message.text, flat, is_reminder, message.attachment)
        shown.row_lengths = [len(row) for row in message.buttons]
        if message.attachment is not None and self.files_dir is not None:
            self.files_dir.mkdir(parents=True, exist_ok=True)
            shown.saved_to = self.files_dir / f"{shown.message_id}-{message.attachment.filename}"
            shown.saved_to.write_bytes(message.attachment.data)
        self.inbox[chat_id].append(shown)
        if chat_id == self.watching:
            self.write(self.render(shown))
        return shown

    def render(self, shown: Shown) -> str:
        lines = [f"┌─ nhắc việc (tin #{shown.message_id})"]
        lines += [f"│ {line}" for line in shown.text.split("\n")]
        if shown.attachment is not None:
            where = f" → {shown.saved_to}" if shown.saved_to else ""
            lines.append(f"│ 📎 {shown.attachment.filename} ({file_size(len(shown.attachment.data))}){where}")
        numbered = [f"[{n}] {b.label}" for n, b in enumerate(shown.buttons, start=1)]
        start = 0
        for length in shown.row_lengths or ([len(numbered)] if numbered else []):
            lines.append("│ " + "  ".join(numbered[start : start + length]))
            start += length
        lines.append("└─")
        return "\n".join(lines)

    def last_with_buttons(self, chat_id: str) -> Shown | None:
        return next((s for s in reversed(self.inbox[chat_id]) if s.buttons), None)

    def last_reminder(self, chat_id: str) -> Shown | None:
        return next((s for s in reversed(self.inbox[chat_id]) if s.is_reminder), None)

    async def deliver(self, delivery: Delivery) -> str:
        """The reminders' Notifier: a digest lands in the person's console chat."""
        shown = self.show(delivery.chat_id, render_delivery(delivery, CONSOLE), is_reminder=not delivery.kind)
        return shown.message_id
