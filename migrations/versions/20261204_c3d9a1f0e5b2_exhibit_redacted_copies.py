"""exhibits.redacts_id: a redacted copy of an exhibit, shown outside the team instead

Revision ID: c3d9a1f0e5b2
Revises: 3f9c2a7d51e8
Create Date: 2026-12-04 17:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "c3d9a1f0e5b2"
down_revision = "3f9c2a7d51e8"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("exhibits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("redacts_id", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_exhibits_redacts_id"), ["redacts_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_exhibits_redacts_id_exhibits"), "exhibits", ["redacts_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("exhibits", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_exhibits_redacts_id_exhibits"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_exhibits_redacts_id"), type_="unique")
        batch_op.drop_column("redacts_id")
