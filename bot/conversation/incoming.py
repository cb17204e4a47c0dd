"""What a channel hands the conversation core: one message, typed or a button, with the channel's capabilities."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class IncomingFile:
    """A document sent to the bot: what the channel says about it, and how to fetch its bytes.

    The core checks who sent it, its size and its type first, and only then calls `fetch` (a download).
    """

    filename: str
    size: int | None = None
    mime_type: str = ""
    fetch: Callable[[], bytes] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Incoming:
    """A message from a chat: text typed, a button pressed or a document sent, perhaps replying to one of ours.

    In a group, `chat_id` is the group and `sender_id` the person who wrote (their own user id).
    """

    channel: str
    chat_id: str
    text: str = ""
    button: str | None = None
    reply_to: str | None = None
    message_id: str | None = None
    is_group: bool = False
    sender_id: str | None = None
    document: IncomingFile | None = None
