"""Threads: replies carry thread_root_id (and whether they were also sent to the room); the root keeps
its reply count, last reply and last repliers; per-user thread read markers.

Revision ID: 0011_threads
Revises: 0010_notices
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_threads"
down_revision = "0010_notices"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("thread_root_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("thread_channel", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("thread_reply_count", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("thread_last_reply_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("thread_repliers", sa.String(64), nullable=True))
    op.create_index("ix_messages_thread_root_id_id", "messages", ["thread_root_id", "id"], unique=False)
    op.create_table(
        "thread_reads",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("root_id", sa.Integer(), sa.ForeignKey("messages.id", ondelete="CASCADE"), nullable=False),
        sa.Column("last_read_id", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("user_id", "root_id", name="pk_thread_reads"),
    )


def downgrade() -> None:
    op.drop_table("thread_reads")
    op.drop_index("ix_messages_thread_root_id_id", table_name="messages")
    with op.batch_alter_table("messages") as batch:
        for name in ("thread_repliers", "thread_last_reply_id", "thread_reply_count", "thread_channel",
                     "thread_root_id"):
            batch.drop_column(name)
