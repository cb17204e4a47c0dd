"""one outbox for every message: outbox_message replaces leader_digest and the notices kept as reminders

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DELIVERED = ("state", "attempts", "next_attempt_at", "claimed_at", "claimed_by", "lease_until", "sent_at",
             "last_error", "chat_id", "message_id")  # fmt: skip


def _delivered_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("claimed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("claimed_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("lease_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("chat_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("message_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    ]


def _plain(name: str, *columns: str) -> sa.TableClause:
    return sa.table(name, *(sa.column(c) for c in columns))


def upgrade() -> None:
    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("official_id", sa.Integer(), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=48), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=96), nullable=False),
        sa.Column("send_after", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("buttons", sa.JSON(), nullable=False),
        *_delivered_columns(),
        sa.ForeignKeyConstraint(["official_id"], ["official.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("official_id", "channel", "kind", "key", name="uq_outbox_message"),
    )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_message_waiting", ["state", "send_after", "id"], unique=False)

    columns = ("official_id", "channel", "kind", "key", "send_after", "text", "buttons", *DELIVERED)
    target = _plain("outbox_message", *columns)
    digest = _plain("leader_digest", "official_id", "channel", "week_of", "send_after", *DELIVERED)
    reminder = _plain("reminder", "id", "assignment_id", "official_id", "channel", "kind", "planned_for",
                      "send_after", "note", *DELIVERED)  # fmt: skip
    empty = sa.cast(sa.literal("[]"), sa.JSON())
    op.execute(
        target.insert().from_select(
            list(columns),
            sa.select(
                digest.c.official_id,
                digest.c.channel,
                sa.literal("weekly"),
                sa.cast(digest.c.week_of, sa.String()),
                digest.c.send_after,
                sa.literal(""),
                empty,
                *(digest.c[c] for c in DELIVERED),
            ),
        )
    )
    # the admins' notices were reminder rows borrowing an assignment: one a day per admin and failed reminder
    op.execute(
        target.insert().from_select(
            list(columns),
            sa.select(
                reminder.c.official_id,
                reminder.c.channel,
                sa.literal("notice"),
                sa.cast(reminder.c.planned_for, sa.String()) + sa.literal(":") + sa.cast(reminder.c.id, sa.String()),
                reminder.c.send_after,
                reminder.c.note,
                empty,
                *(reminder.c[c] for c in DELIVERED),
            ).where(reminder.c.kind == "notice"),
        )
    )
    op.execute(reminder.delete().where(reminder.c.kind == "notice"))
    with op.batch_alter_table("leader_digest", schema=None) as batch_op:
        batch_op.drop_index("ix_leader_digest_state_send_after")
    op.drop_table("leader_digest")


def downgrade() -> None:
    op.create_table(
        "leader_digest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("official_id", sa.Integer(), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=48), nullable=False),
        sa.Column("week_of", sa.Date(), nullable=False),
        sa.Column("send_after", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        *_delivered_columns(),
        sa.ForeignKeyConstraint(["official_id"], ["official.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("official_id", "channel", "week_of", name="uq_leader_digest"),
    )
    with op.batch_alter_table("leader_digest", schema=None) as batch_op:
        batch_op.create_index("ix_leader_digest_state_send_after", ["state", "send_after"], unique=False)
    message = _plain("outbox_message", "official_id", "channel", "kind", "key", "send_after", *DELIVERED)
    digest = _plain("leader_digest", "official_id", "channel", "week_of", "send_after", *DELIVERED)
    op.execute(
        digest.insert().from_select(
            ["official_id", "channel", "week_of", "send_after", *DELIVERED],
            sa.select(
                message.c.official_id,
                message.c.channel,
                sa.cast(message.c.key, sa.Date()),
                message.c.send_after,
                *(message.c[c] for c in DELIVERED),
            ).where(message.c.kind == "weekly"),
        )
    )
    # the other messages (notices, extension requests and decisions) have no place in the older schema
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_message_waiting")
    op.drop_table("outbox_message")
