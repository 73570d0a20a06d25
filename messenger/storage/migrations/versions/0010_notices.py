"""Notices (공지) and the company-wide announcement room.

- ``rooms.kind``: ``chat`` or ``announcement`` (the built-in room every active account is in; only
  server admins post there, its other members have the role ``reader``); ``rooms.members_post_notices``:
  a room setting letting every member post notices, not only room admins.
- ``notices`` and ``notice_receipts`` (per user: acknowledged, hidden with "다시 열지 않기").
- The announcement room is created here, with every active account as a member.

Revision ID: 0010_notices
Revises: 0009_deleted_user_names
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0010_notices"
down_revision = "0009_deleted_user_names"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE ADD COLUMN, never a batch "copy and move" on SQLite: dropping the old rooms
    # table would cascade to room_members, messages, pins... (foreign keys are on).
    op.add_column("rooms", sa.Column("kind", sa.String(16), nullable=False, server_default="chat"))
    op.add_column("rooms", sa.Column("members_post_notices", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_index("ix_rooms_kind", "rooms", ["kind"], unique=False)
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("room_id", sa.Integer(), sa.ForeignKey("rooms.id", name="fk_notices_room_id_rooms", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("author_id", sa.Integer(), sa.ForeignKey("users.id", name="fk_notices_author_id_users",
                                                            ondelete="SET NULL"), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("event_message_id", sa.Integer(), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("require_ack", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("reminded_at", sa.DateTime(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_notices"),
    )
    op.create_index("ix_notices_room_id_id", "notices", ["room_id", "id"], unique=False)
    op.create_table(
        "notice_receipts",
        sa.Column("notice_id", sa.Integer(), sa.ForeignKey("notices.id", name="fk_notice_receipts_notice_id_notices",
                                                            ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", name="fk_notice_receipts_user_id_users",
                                                          ondelete="CASCADE"), nullable=False),
        sa.Column("acked_at", sa.DateTime(), nullable=True),
        sa.Column("hidden_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("notice_id", "user_id", name="pk_notice_receipts"),
    )
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    bind = op.get_bind()
    rooms = sa.table("rooms", sa.column("id", sa.Integer), sa.column("type", sa.String), sa.column("name", sa.String),
                     sa.column("topic", sa.String), sa.column("kind", sa.String), sa.column("created_at", sa.DateTime),
                     sa.column("last_activity_at", sa.DateTime))
    bind.execute(sa.insert(rooms).values(type="group", name="", topic="", kind="announcement", created_at=now,
                                         last_activity_at=now))
    room_id = bind.execute(sa.select(rooms.c.id).where(rooms.c.kind == "announcement")).scalar_one()
    bind.execute(sa.text(
        "INSERT INTO room_members (room_id, user_id, role, joined_at, last_read_message_id, muted, pinned, notify) "
        "SELECT :room, id, CASE WHEN is_admin THEN 'admin' ELSE 'reader' END, :now, 0, :no, :no, 'all' FROM users "
        "WHERE is_active = :yes AND deleted_at IS NULL").bindparams(room=room_id, now=now, no=False, yes=True))


# What deleting the announcement room takes with it, children first. Migrations on SQLite run with foreign
# keys off (migrations/env.py), so the cascade the schema declares is done here by hand.
_ROOM = "SELECT id FROM rooms WHERE kind = 'announcement'"
_MESSAGES = f"SELECT id FROM messages WHERE room_id IN ({_ROOM})"
_POLLS = f"SELECT id FROM polls WHERE room_id IN ({_ROOM})"
_FILES = f"SELECT id FROM files WHERE room_id IN ({_ROOM})"
_CASCADE = [
    ("message_mentions", f"message_id IN ({_MESSAGES})"),
    ("reactions", f"message_id IN ({_MESSAGES})"),
    ("pins", f"room_id IN ({_ROOM}) OR message_id IN ({_MESSAGES})"),
    ("search_docs", f"message_id IN ({_MESSAGES})"),
    ("poll_votes", f"poll_id IN ({_POLLS})"),
    ("poll_options", f"poll_id IN ({_POLLS})"),
    ("polls", f"room_id IN ({_ROOM})"),
    ("upload_jobs", f"room_id IN ({_ROOM}) OR file_id IN ({_FILES})"),
    ("files", f"room_id IN ({_ROOM})"),
    ("notice_receipts", f"notice_id IN (SELECT id FROM notices WHERE room_id IN ({_ROOM}))"),
    ("notices", f"room_id IN ({_ROOM})"),
    ("messages", f"room_id IN ({_ROOM})"),
    ("room_members", f"room_id IN ({_ROOM})"),
]


def downgrade() -> None:
    present = set(sa.inspect(op.get_bind()).get_table_names())
    for table, where in _CASCADE:
        if table in present:
            op.execute(sa.text(f"DELETE FROM {table} WHERE {where}"))
    op.execute(sa.text("DELETE FROM rooms WHERE kind = 'announcement'"))
    op.drop_table("notice_receipts")
    op.drop_index("ix_notices_room_id_id", table_name="notices")
    op.drop_table("notices")
    op.drop_index("ix_rooms_kind", table_name="rooms")
    op.drop_column("rooms", "members_post_notices")
    op.drop_column("rooms", "kind")
