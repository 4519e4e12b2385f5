"""Spreadsheets uploaded for import from the browser, and column mappings saved by name.

Revision ID: 5e1d2c3b4a90
Revises: c4a1e9f3b2d7
Create Date: 2026-12-04
"""

from alembic import op
import sqlalchemy as sa


revision = "5e1d2c3b4a90"
down_revision = "c4a1e9f3b2d7"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sheet_mappings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("saved_by", sa.String(length=120), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sheet_mappings")),
        sa.UniqueConstraint("kind", "name", name=op.f("uq_sheet_mappings_kind_name")),
    )
    op.create_table(
        "sheet_uploads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=120), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("mapping", sa.JSON(), nullable=True),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("create_missing", sa.Boolean(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sheet_uploads")),
    )
    with op.batch_alter_table("sheet_uploads", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sheet_uploads_uploaded_by"), ["uploaded_by"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("sheet_uploads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sheet_uploads_uploaded_by"))

    op.drop_table("sheet_uploads")
    op.drop_table("sheet_mappings")
