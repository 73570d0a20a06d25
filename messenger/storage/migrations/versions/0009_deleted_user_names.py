"""Deleted accounts store no word for their name: "탈퇴한 사용자" becomes "" (clients word it).

Revision ID: 0009_deleted_user_names
Revises: 0008_forwarding
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_deleted_user_names"
down_revision = "0008_forwarding"
branch_labels = None
depends_on = None

OLD_NAME = "탈퇴한 사용자"  # what the previous version stored (Korean data to replace, not a word we show)


def upgrade() -> None:
    op.get_bind().execute(sa.text(
        "UPDATE users SET display_name = '' WHERE deleted_at IS NOT NULL AND display_name = :old"), {"old": OLD_NAME})


def downgrade() -> None:
    op.get_bind().execute(sa.text(
        "UPDATE users SET display_name = :old WHERE deleted_at IS NOT NULL AND display_name = ''"), {"old": OLD_NAME})
