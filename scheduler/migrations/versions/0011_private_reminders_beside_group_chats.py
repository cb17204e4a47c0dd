"""private reminders beside a unit's group chat

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("official_setting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("private_too", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("official_setting", schema=None) as batch_op:
        batch_op.drop_column("private_too")
