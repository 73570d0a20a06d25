"""Forwarding: messages.forwarded_from_id (the original message a forwarded copy came from).

Revision ID: 0008_forwarding
Revises: 0007_system_events
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_forwarding"
down_revision = "0007_system_events"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("forwarded_from_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("forwarded_from_id")
