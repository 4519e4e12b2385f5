"""Drafts: what a documenter typed into an incident or statement form, kept until it is saved.

Revision ID: a8c3d6e1f2b9
Revises: f1c8e2a9b3d5
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "a8c3d6e1f2b9"
down_revision = "f1c8e2a9b3d5"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=120), nullable=False),
        sa.Column("form", sa.String(length=16), nullable=False),
        sa.Column("record_key", sa.String(length=80), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drafts")),
    )
    op.create_index(op.f("ix_drafts_owner"), "drafts", ["owner"], unique=False)
    op.create_index(op.f("ix_drafts_updated_at"), "drafts", ["updated_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_drafts_updated_at"), table_name="drafts")
    op.drop_index(op.f("ix_drafts_owner"), table_name="drafts")
    op.drop_table("drafts")
