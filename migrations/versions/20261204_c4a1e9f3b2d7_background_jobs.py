"""Background jobs on a task queue: attempts and heartbeats on every job, capture jobs.

Revision ID: c4a1e9f3b2d7
Revises: c3f1a9e27b40
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "c4a1e9f3b2d7"
down_revision = "c3f1a9e27b40"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dossier_jobs") as batch:
        batch.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("link_check_runs") as batch:
        batch.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("worker", sa.String(length=120), nullable=True))
        batch.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "capture_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.String(length=120), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("capture_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("worker", sa.String(length=120), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["capture_id"], ["captures.id"], name=op.f("fk_capture_jobs_capture_id_captures")
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_capture_jobs_source_id_sources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capture_jobs")),
    )
    op.create_index(op.f("ix_capture_jobs_source_id"), "capture_jobs", ["source_id"])
    op.create_index(op.f("ix_capture_jobs_state"), "capture_jobs", ["state"])


def downgrade() -> None:
    op.drop_index(op.f("ix_capture_jobs_state"), table_name="capture_jobs")
    op.drop_index(op.f("ix_capture_jobs_source_id"), table_name="capture_jobs")
    op.drop_table("capture_jobs")
    with op.batch_alter_table("link_check_runs") as batch:
        batch.drop_column("heartbeat_at")
        batch.drop_column("worker")
        batch.drop_column("attempts")
    with op.batch_alter_table("dossier_jobs") as batch:
        batch.drop_column("attempts")
