"""claim owners and leases, workers with heartbeats, the shared limiter's send slots

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OUTBOX_TABLES = ("reminder", "leader_digest")


def upgrade() -> None:
    for table in OUTBOX_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("claimed_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
            batch_op.add_column(sa.Column("lease_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.create_table(
        "worker",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("started_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("heartbeat_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "send_slot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bucket", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("chat_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("is_group", sa.Boolean(), nullable=False),
        sa.Column("started_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("done_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("send_slot", schema=None) as batch_op:
        batch_op.create_index("ix_send_slot_bucket_started", ["bucket", "started_at"], unique=False)
        batch_op.create_index("ix_send_slot_bucket_chat", ["bucket", "chat_id"], unique=False)
        batch_op.create_index("ix_send_slot_bucket_done", ["bucket", "done_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("send_slot", schema=None) as batch_op:
        batch_op.drop_index("ix_send_slot_bucket_done")
        batch_op.drop_index("ix_send_slot_bucket_chat")
        batch_op.drop_index("ix_send_slot_bucket_started")
    op.drop_table("send_slot")
    op.drop_table("worker")
    for table in OUTBOX_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("lease_until")
            batch_op.drop_column("claimed_by")
