"""Search index: character bigrams of the normalised message text.

SQLite: contentless FTS5 table ``search_fts`` (ASCII-encoded bigram tokens, rowid = message id).
PostgreSQL: ``search_docs.grams`` text[] with a GIN index (no extension needed).
``search_docs`` keeps the normalised text, sender and has-file flag on both (the FTS5 tokens of a row
can be recomputed from it, which a contentless table needs to delete the row).

Revision ID: 0002_search
Revises: 0001_initial
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_search"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_docs",
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.Integer(), nullable=True),
        sa.Column("has_file", sa.Boolean(), nullable=False),
        sa.Column("norm", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_search_docs_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_search_docs")),
    )
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE search_fts USING fts5("
            "tokens, content='', columnsize=0, tokenize='ascii')"
        )
    else:
        op.execute("ALTER TABLE search_docs ADD COLUMN grams text[] NOT NULL DEFAULT '{}'")
        # fastupdate off: a GIN pending list is scanned linearly by every lookup (one per room).
        op.execute("CREATE INDEX ix_search_docs_grams ON search_docs USING gin (grams) WITH (fastupdate = off)")
        op.execute("CREATE INDEX ix_search_docs_room_id ON search_docs (room_id, message_id)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE search_fts")
    op.drop_table("search_docs")
