"""Notification level per room member (all | mentions | none), replacing the plain muted flag.

``muted`` stays, kept equal to ``notify == 'none'`` by the rooms service, so older clients and
backups keep working; a muted membership becomes ``none``.

Revision ID: 0006_notify
Revises: 0005_people
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_notify"
down_revision = "0005_people"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("room_members") as batch:
        batch.add_column(sa.Column("notify", sa.String(16), nullable=False, server_default="all"))
    op.execute(sa.text("UPDATE room_members SET notify = 'none' WHERE muted = :muted").bindparams(muted=True))


def downgrade() -> None:
    with op.batch_alter_table("room_members") as batch:
        batch.drop_column("notify")
