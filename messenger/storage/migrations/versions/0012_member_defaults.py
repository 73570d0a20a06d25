"""Server-side defaults for every room_members column that had a Python-side one only (role,
last_read_message_id, muted, pinned; notify has had its server default since 0006).

A row inserted by plain SQL (a later migration, a copy between databases) then gets the same values
as one inserted through the tables: a Python-side default is not there for such a statement, and a
NOT NULL column without a server default refuses the row.

Revision ID: 0012_member_defaults
Revises: 0011_threads
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_member_defaults"
down_revision = "0011_threads"
branch_labels = None
depends_on = None

COLUMNS = (
    ("role", sa.String(16), sa.text("'member'")),
    ("last_read_message_id", sa.Integer(), sa.text("0")),
    ("muted", sa.Boolean(), sa.false()),
    ("pinned", sa.Boolean(), sa.false()),
    ("notify", sa.String(16), sa.text("'all'")),
)


def upgrade() -> None:
    with op.batch_alter_table("room_members") as batch:
        for name, type_, default in COLUMNS:
            batch.alter_column(name, existing_type=type_, existing_nullable=False, server_default=default)


def downgrade() -> None:
    with op.batch_alter_table("room_members") as batch:
        for name, type_, _default in COLUMNS[:-1]:
            batch.alter_column(name, existing_type=type_, existing_nullable=False, server_default=None)
