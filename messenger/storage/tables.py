"""Every table, defined once (SQLAlchemy Core). Migrations in ``migrations/versions`` create them."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy import (
    false as sa_false,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(100), nullable=False),
    Column("password_hash", String(255), nullable=True),  # NULL for SSO-only accounts
    Column("is_admin", Boolean, nullable=False, default=False, server_default=false()),
    Column("is_active", Boolean, nullable=False, default=True, server_default=true()),
    Column("must_change_password", Boolean, nullable=False, default=False, server_default=false()),
    Column("status_message", String(200), nullable=False, default="", server_default=""),
    Column("avatar_file_id", Integer, nullable=True),
    Column("oidc_issuer", String(255), nullable=True),
    Column("oidc_subject", String(255), nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("last_seen_at", DateTime, nullable=True),
    Column("deleted_at", DateTime, nullable=True),
    # 0005_people: directory fields and the manual availability (online | away | busy | dnd)
    Column("department", String(100), nullable=False, server_default=""),
    Column("title", String(100), nullable=False, server_default=""),
    Column("extension", String(32), nullable=False, server_default=""),
    Column("email", String(255), nullable=False, server_default=""),
    Column("availability", String(16), nullable=False, server_default="online"),
    UniqueConstraint("oidc_issuer", "oidc_subject"),
    Index("ix_users_department", "department"),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Column("revoked_at", DateTime, nullable=True),
    Column("revoke_reason", String(32), nullable=True),
    Column("client_ip", String(64), nullable=True),
    Column("user_agent", String(255), nullable=True),
)

rooms = Table(
    "rooms",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("type", String(16), nullable=False),  # direct | group
    Column("name", String(100), nullable=False, default="", server_default=""),
    Column("topic", String(500), nullable=False, default="", server_default=""),
    Column("direct_key", String(64), nullable=True, unique=True),  # "<min_user_id>:<max_user_id>"
    Column("created_by", Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("last_message_id", Integer, nullable=True),
    Column("last_activity_at", DateTime, nullable=False),
    # chat | announcement (0007: the built-in room of every active account; only server admins post)
    Column("kind", String(16), nullable=False, default="chat", server_default="chat"),
    Column("members_post_notices", Boolean, nullable=False, default=False, server_default=sa_false()),  # 0007
    Index("ix_rooms_kind", "kind"),
)

room_members = Table(
    "room_members",
    metadata,
    Column("room_id", Integer, ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    # Server defaults too (0012): a row inserted by plain SQL gets the same values.
    Column("role", String(16), nullable=False, default="member", server_default="member"),  # admin | member | reader
    Column("joined_at", DateTime, nullable=False),
    Column("last_read_message_id", Integer, nullable=False, default=0, server_default="0"),
    Column("muted", Boolean, nullable=False, default=False, server_default=false()),  # kept equal to notify == "none"
    Column("pinned", Boolean, nullable=False, default=False, server_default=false()),
    Column("notify", String(16), nullable=False, default="all", server_default="all"),  # all|mentions|none (0006)
    Index("ix_room_members_user_room", "user_id", "room_id"),
)

messages = Table(
    "messages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("room_id", Integer, ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
    Column("sender_id", Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("type", String(16), nullable=False),  # text | file | system | poll
    Column("content", Text, nullable=False, default="", server_default=""),
    Column("reply_to_id", Integer, nullable=True),
    Column("file_id", Integer, nullable=True),
    Column("poll_id", Integer, nullable=True),
    Column("client_msg_id", String(64), nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("edited_at", DateTime, nullable=True),
    Column("deleted_at", DateTime, nullable=True),
    Column("forwarded_from_id", Integer, nullable=True),  # 0008_forwarding: the original message
    # 0011_threads: a reply's root (and whether it was also sent to the room); a root's reply summary
    Column("thread_root_id", Integer, nullable=True),
    Column("thread_channel", Boolean, nullable=False, server_default=false()),
    Column("thread_reply_count", Integer, nullable=False, server_default="0"),
    Column("thread_last_reply_id", Integer, nullable=True),
    Column("thread_repliers", String(64), nullable=True),  # up to 3 user ids, most recent first
    Index("ix_messages_room_id_id", "room_id", "id"),
    Index("ix_messages_thread_root_id_id", "thread_root_id", "id"),
    Index("ix_messages_sender_client", "sender_id", "client_msg_id", unique=True),
    Index("ix_messages_created_at", "created_at"),
    Index("ix_messages_file_id", "file_id"),  # 0003_files
)

thread_reads = Table(
    "thread_reads",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("root_id", Integer, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True),
    Column("last_read_id", Integer, nullable=False, server_default="0"),
)

message_mentions = Table(
    "message_mentions",
    metadata,
    Column("message_id", Integer, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_message_mentions_user", "user_id", "message_id"),
)

reactions = Table(
    "reactions",
    metadata,
    Column("message_id", Integer, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("emoji", String(32), primary_key=True),
    Column("created_at", DateTime, nullable=False),
)

pins = Table(
    "pins",
    metadata,
    Column("room_id", Integer, ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
    Column("message_id", Integer, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True),
    Column("pinned_by", Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("pinned_at", DateTime, nullable=False),
)

polls = Table(
    "polls",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("room_id", Integer, ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("creator_id", Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("question", String(500), nullable=False),
    Column("multiple_choice", Boolean, nullable=False, default=False, server_default=false()),
    Column("anonymous", Boolean, nullable=False, default=False, server_default=false()),
    Column("ends_at", DateTime, nullable=True),
    Column("closed_at", DateTime, nullable=True),
    Column("created_at", DateTime, nullable=False),
    Index("ix_polls_open_ends", "closed_at", "ends_at"),
)

poll_options = Table(
    "poll_options",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("poll_id", Integer, ForeignKey("polls.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("position", Integer, nullable=False),
    Column("text", String(200), nullable=False),
)

poll_votes = Table(
    "poll_votes",
    metadata,
    Column("option_id", Integer, ForeignKey("poll_options.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("poll_id", Integer, ForeignKey("polls.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Index("ix_poll_votes_poll_user", "poll_id", "user_id"),
)

files = Table(
    "files",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("room_id", Integer, ForeignKey("rooms.id", ondelete="CASCADE"), nullable=True, index=True),
    Column("uploader_id", Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("purpose", String(16), nullable=False, default="message", server_default="message"),  # message | avatar
    Column("original_name", String(255), nullable=False),
    Column("stored_path", String(255), nullable=False),  # relative to the upload dir
    Column("size", Integer, nullable=False),
    Column("mime", String(100), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("width", Integer, nullable=True),
    Column("height", Integer, nullable=True),
    Column("thumbnail_path", String(255), nullable=True),
    Column("scan_status", String(16), nullable=False, default="clean", server_default="clean"),  # pending|clean|infected|error
    Column("created_at", DateTime, nullable=False),
    Column("deleted_at", DateTime, nullable=True),
)

upload_jobs = Table(
    "upload_jobs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("file_id", Integer, ForeignKey("files.id", ondelete="CASCADE"), nullable=True),
    Column("uploader_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("room_id", Integer, ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
    Column("status", String(16), nullable=False),  # pending|clean|infected|error
    Column("detail", String(255), nullable=False, default="", server_default=""),
    Column("attempts", Integer, nullable=False, default=0, server_default="0"),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Index("ix_upload_jobs_status", "status", "created_at"),
)

audit_logs = Table(
    "audit_logs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("scope", String(16), nullable=False),  # server | room
    Column("room_id", Integer, nullable=True),
    Column("actor_id", Integer, nullable=True),
    Column("action", String(64), nullable=False),
    Column("target_user_id", Integer, nullable=True),
    Column("target_id", String(64), nullable=True),
    Column("details", Text, nullable=False, default="{}", server_default="{}"),  # JSON
    Column("client_ip", String(64), nullable=True),
    Column("created_at", DateTime, nullable=False),
    Index("ix_audit_logs_scope_room_id", "scope", "room_id", "id"),
    Index("ix_audit_logs_action", "action", "id"),
    Index("ix_audit_logs_created_at", "created_at"),
)

# Per-user preferences (migration 0004_user_preferences). NULL in a column = not set: the default applies
# (messenger/preferences/service.py).
user_preferences = Table(
    "user_preferences",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("language", String(8), nullable=True),
    Column("sound", Boolean, nullable=True),
    Column("quiet_enabled", Boolean, nullable=True),
    Column("quiet_start", String(5), nullable=True),  # "HH:MM"
    Column("quiet_end", String(5), nullable=True),
    Column("quiet_weekends", Boolean, nullable=True),
    Column("time_zone", String(64), nullable=True),  # IANA name
    Column("updated_at", DateTime, nullable=False),
)

notices = Table(
    "notices",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("room_id", Integer, ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
    Column("author_id", Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("message_id", Integer, nullable=True),  # the promoted message, if any
    Column("event_message_id", Integer, nullable=True),  # the room's system event for it
    Column("content", Text, nullable=False),
    Column("require_ack", Boolean, nullable=False, default=False, server_default=false()),
    Column("created_at", DateTime, nullable=False),
    Column("reminded_at", DateTime, nullable=True),
    Column("deleted_at", DateTime, nullable=True),
    Index("ix_notices_room_id_id", "room_id", "id"),
)

notice_receipts = Table(
    "notice_receipts",
    metadata,
    Column("notice_id", Integer, ForeignKey("notices.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("acked_at", DateTime, nullable=True),
    Column("hidden_at", DateTime, nullable=True),  # "다시 열지 않기"
)

server_settings = Table(
    "server_settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

job_locks = Table(
    "job_locks",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("holder", String(64), nullable=False),
    Column("expires_at", DateTime, nullable=False),
)

# Search index (migration 0002_search). SQLite also has the FTS5 table ``search_fts`` and PostgreSQL
# the column ``search_docs.grams`` (text[], GIN); both are created in the migration only and used
# through messenger/search/store.py.
search_docs = Table(
    "search_docs",
    metadata,
    Column("message_id", Integer, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True),
    Column("room_id", Integer, nullable=False),
    Column("sender_id", Integer, nullable=True),
    Column("has_file", Boolean, nullable=False, default=False, server_default=false()),
    Column("norm", Text, nullable=False),
)
