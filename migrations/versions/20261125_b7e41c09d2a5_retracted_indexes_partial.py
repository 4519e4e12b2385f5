"""retracted_at indexes hold only the retracted rows

With every row in them SQLite chose them for "retracted_at IS NULL" over selective
indexes (a place's incidents: 16 -> 32 ms); the dashboard only counts retracted rows.

Revision ID: b7e41c09d2a5
Revises: 988220a8c622
Create Date: 2026-11-25 00:52:00
"""

import sqlalchemy as sa
from alembic import op

revision = "b7e41c09d2a5"
down_revision = "988220a8c622"
branch_labels = None
depends_on = None

TABLES = ("incidents", "statements")


def upgrade() -> None:
    retracted = sa.text("retracted_at IS NOT NULL")
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f"ix_{table}_retracted_at")
            batch_op.create_index(
                f"ix_{table}_retracted_at",
                ["retracted_at"],
                unique=False,
                sqlite_where=retracted,
                postgresql_where=retracted,
            )


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f"ix_{table}_retracted_at")
            batch_op.create_index(f"ix_{table}_retracted_at", ["retracted_at"], unique=False)
