"""People: directory fields on users (department, title, extension, e-mail) and the manual availability.

Revision ID: 0005_people
Revises: 0004_user_preferences
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_people"
down_revision = "0004_user_preferences"
branch_labels = None
depends_on = None

COLUMNS = (
    ("department", 100, ""),
    ("title", 100, ""),
    ("extension", 32, ""),
    ("email", 255, ""),
    ("availability", 16, "online"),
)


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        for name, length, default in COLUMNS:
            batch.add_column(sa.Column(name, sa.String(length), nullable=False, server_default=default))
    op.create_index("ix_users_department", "users", ["department"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_users_department", table_name="users")
    with op.batch_alter_table("users") as batch:
        for name, _length, _default in reversed(COLUMNS):
            batch.drop_column(name)
