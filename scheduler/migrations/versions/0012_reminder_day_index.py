"""the planner's comparison of a morning's rows answered from an index

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 20:40:00

The planner compares today's occasions with the outbox rows of their days row by row (planned_for ≥ the
earliest occasion's day); without an index on planned_for that read was a scan of the whole outbox.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.create_index("ix_reminder_day", ["planned_for"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.drop_index("ix_reminder_day")
