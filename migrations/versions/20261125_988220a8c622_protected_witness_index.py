"""protected witness index: statements (protection, witness_id)

Every page for the public audience looks up the witnesses of protected statements.

Revision ID: 988220a8c622
Revises: 6d1a62da06f9
Create Date: 2026-11-25 00:44:20
"""

from alembic import op

revision = "988220a8c622"
down_revision = "6d1a62da06f9"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("statements", schema=None) as batch_op:
        batch_op.create_index(
            "ix_statements_protection_witness_id", ["protection", "witness_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("statements", schema=None) as batch_op:
        batch_op.drop_index("ix_statements_protection_witness_id")
