"""Server-side defaults for every remaining column that had a Python-side default only: users.is_admin,
is_active, must_change_password, status_message; rooms.name, topic; messages.content;
polls.multiple_choice, anonymous; files.purpose, scan_status; upload_jobs.detail, attempts;
audit_logs.details; notices.require_ack; search_docs.has_file (room_members' came in 0012).

A row inserted by plain SQL (a later migration, a copy between databases, an administrator's script)
then gets the values a row inserted through the tables gets, instead of being refused by NOT NULL.
On SQLite each table is rebuilt (batch mode); env.py turns foreign keys off for that.

Revision ID: 0013_server_defaults
Revises: 0012_member_defaults
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_server_defaults"
down_revision = "0012_member_defaults"
branch_labels = None
depends_on = None

DEFAULTS = {
    "users": (
        ("is_admin", sa.Boolean(), sa.false()),
        ("is_active", sa.Boolean(), sa.true()),
        ("must_change_password", sa.Boolean(), sa.false()),
        ("status_message", sa.String(200), sa.text("''")),
    ),
    "rooms": (
        ("name", sa.String(100), sa.text("''")),
        ("topic", sa.String(500), sa.text("''")),
    ),
    "messages": (("content", sa.Text(), sa.text("''")),),
    "polls": (
        ("multiple_choice", sa.Boolean(), sa.false()),
        ("anonymous", sa.Boolean(), sa.false()),
    ),
    "files": (
        ("purpose", sa.String(16), sa.text("'message'")),
        ("scan_status", sa.String(16), sa.text("'clean'")),
    ),
    "upload_jobs": (
        ("detail", sa.String(255), sa.text("''")),
        ("attempts", sa.Integer(), sa.text("0")),
    ),
    "audit_logs": (("details", sa.Text(), sa.text("'{}'")),),
    "notices": (("require_ack", sa.Boolean(), sa.false()),),
    "search_docs": (("has_file", sa.Boolean(), sa.false()),),
}


def _set(with_defaults: bool) -> None:
    for table, columns in DEFAULTS.items():
        with op.batch_alter_table(table) as batch:
            for name, type_, default in columns:
                batch.alter_column(name, existing_type=type_, existing_nullable=False,
                                   server_default=default if with_defaults else None)


def upgrade() -> None:
    _set(True)


def downgrade() -> None:
    _set(False)
