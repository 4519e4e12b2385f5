"""audit head: count of entries and a keyed seal over the chain

The seal (an HMAC keyed by the application's secret key) is computed from the
whole chain at the first write after this upgrade; until then `audit verify`
reports the head as unsealed.

Revision ID: c3f1a9e27b40
Revises: c3d9a1f0e5b2
Create Date: 2026-12-04 18:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "c3f1a9e27b40"
down_revision = "c3d9a1f0e5b2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.add_column(sa.Column("entries", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("seal", sa.String(length=64), nullable=True))
    # Entries are numbered from 1 without gaps, so an intact log holds `seq` of them.
    op.execute("UPDATE audit_head SET entries = seq")


def downgrade() -> None:
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.drop_column("seal")
        batch_op.drop_column("entries")
