"""several bot tokens: a unit's or group's own bot, channels wide enough to name it

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column, width before): "telegram:<bot>" needs up to 41 characters
CHANNEL_COLUMNS = (
    ("chat_link", "channel", 16),
    ("reminder", "channel", 16),
    ("leader_digest", "channel", 16),
    ("invite_attempt", "channel", 16),
    ("extension_request", "channel", 16),
    ("chat_state", "channel", 16),
    ("status_event", "channel", 32),
    ("official_setting", "channels", 32),
)


def upgrade() -> None:
    for table in ("unit", "unit_group"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("bot", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False, server_default="")
            )
    for table, column, before in CHANNEL_COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                column,
                existing_type=sqlmodel.sql.sqltypes.AutoString(length=before),
                type_=sqlmodel.sql.sqltypes.AutoString(length=48),
            )
    with op.batch_alter_table("reminder", schema=None) as batch_op:  # each channel's next person, in order
        batch_op.drop_index("ix_reminder_waiting")
        batch_op.create_index("ix_reminder_waiting", ["state", "channel", "send_after", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.drop_index("ix_reminder_waiting")
        batch_op.create_index("ix_reminder_waiting", ["state", "send_after", "id"], unique=False)
    for table, column, before in CHANNEL_COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                column,
                existing_type=sqlmodel.sql.sqltypes.AutoString(length=48),
                type_=sqlmodel.sql.sqltypes.AutoString(length=before),
            )
    for table in ("unit", "unit_group"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("bot")
