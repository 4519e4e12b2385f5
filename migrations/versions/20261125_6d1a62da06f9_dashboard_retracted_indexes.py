"""retracted_at indexes on incidents and statements for dashboard counts

The dashboard counts records in use as all rows minus the retracted ones, and unsourced
incidents and involvements as all minus the cited ones corrected by the retracted ones.

Revision ID: 6d1a62da06f9
Revises: 629dfe01fae2
Create Date: 2026-11-25 00:37:53.218479
"""

from alembic import op

revision = "6d1a62da06f9"
down_revision = "629dfe01fae2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index("ix_incidents_retracted_at", ["retracted_at"], unique=False)

    with op.batch_alter_table("statements", schema=None) as batch_op:
        batch_op.create_index("ix_statements_retracted_at", ["retracted_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("statements", schema=None) as batch_op:
        batch_op.drop_index("ix_statements_retracted_at")

    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_incidents_retracted_at")
