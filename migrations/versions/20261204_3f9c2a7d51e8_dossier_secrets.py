"""dossier_secrets: the keys of non-internal dossiers' keyed manifest hashes

Revision ID: 3f9c2a7d51e8
Revises: 5696b23fff0e
Create Date: 2026-12-04 17:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "3f9c2a7d51e8"
down_revision = "5696b23fff0e"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dossier_secrets",
        sa.Column("dossier_id", sa.String(length=32), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("dossier_id", name=op.f("pk_dossier_secrets")),
    )


def downgrade() -> None:
    op.drop_table("dossier_secrets")
