"""The interface language each account chose; the language of each dossier job.

Revision ID: d5b2f0a4c8e1
Revises: d5b2f8a1c3e6
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "d5b2f0a4c8e1"
down_revision = "d5b2f8a1c3e6"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("language", sa.String(length=8), nullable=True))
    with op.batch_alter_table("dossier_jobs") as batch:
        batch.add_column(
            sa.Column("language", sa.String(length=8), server_default="en", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("dossier_jobs") as batch:
        batch.drop_column("language")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("language")
