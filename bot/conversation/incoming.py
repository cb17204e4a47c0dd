"""What a channel hands the conversation core: one message, typed or a button, with the channel's capabilities."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Incoming:
    """A message from a chat: text typed, or a button pressed, perhaps replying to one of ours."""

    channel: str
    chat_id: str
    text: str = ""
    button: str | None = None
    reply_to: str | None = None
    message_id: str | None = None
    is_group: bool = False
