"""claims answered from an index at any outbox size

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 17:40:00

The pick of the next person orders by (send_after, id) under state: the old (state, send_after) index made
PostgreSQL sort every due row. The update of that person's rows got SQLite's (state, send_after) index and
scanned every waiting row; (official_id, channel, state, send_after) matches all of its conditions.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.drop_index("ix_reminder_state_send_after")
        batch_op.drop_index("ix_reminder_official_state")
        batch_op.create_index("ix_reminder_waiting", ["state", "send_after", "id"], unique=False)
        batch_op.create_index(
            "ix_reminder_person_waiting", ["official_id", "channel", "state", "send_after"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.drop_index("ix_reminder_person_waiting")
        batch_op.drop_index("ix_reminder_waiting")
        batch_op.create_index("ix_reminder_official_state", ["official_id", "channel", "state"], unique=False)
        batch_op.create_index("ix_reminder_state_send_after", ["state", "send_after"], unique=False)
