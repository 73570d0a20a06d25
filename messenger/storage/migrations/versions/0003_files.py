"""Files: index messages.file_id (orphaned-upload clean-up and file lookups by message).

Revision ID: 0003_files
Revises: 0002_search
"""

from alembic import op

revision = "0003_files"
down_revision = "0002_search"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_messages_file_id", "messages", ["file_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_messages_file_id", table_name="messages")
