"""What the outbox holds for people other than the chat that spoke: the messages an answer enqueued."""

from __future__ import annotations

from sqlalchemy import Engine, select

from scheduler.register.models import MESSAGES


def enqueued(engine: Engine, kind: str | None = None) -> list[tuple[str, str, str, str]]:
    """(kind, channel, chat, text) of every message waiting in outbox_message, oldest first."""
    query = select(MESSAGES.c.kind, MESSAGES.c.channel, MESSAGES.c.chat_id, MESSAGES.c.text).order_by(MESSAGES.c.id)
    if kind is not None:
        query = query.where(MESSAGES.c.kind == kind)
    with engine.connect() as conn:
        return [(k, c, str(chat or ""), t) for k, c, chat, t in conn.execute(query)]


def by_chat(engine: Engine, kind: str | None = None) -> dict[str, str]:
    """The text enqueued for each chat."""
    return {chat: text for _kind, _channel, chat, text in enqueued(engine, kind)}
