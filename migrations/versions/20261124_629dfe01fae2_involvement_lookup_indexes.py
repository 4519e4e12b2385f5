"""involvement lookup indexes: (unit_id, incident_id) and (person_id, incident_id)

They replace the single-column unit_id/person_id indexes, which they also serve.

Revision ID: 629dfe01fae2
Revises: 61bc94ccca26
Create Date: 2026-11-24 23:56:39.472355
"""

from alembic import op

revision = "629dfe01fae2"
down_revision = "61bc94ccca26"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("involvements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_involvements_person_id"))
        batch_op.drop_index(batch_op.f("ix_involvements_unit_id"))
        batch_op.create_index(
            "ix_involvements_person_id_incident_id", ["person_id", "incident_id"], unique=False
        )
        batch_op.create_index(
            "ix_involvements_unit_id_incident_id", ["unit_id", "incident_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("involvements", schema=None) as batch_op:
        batch_op.drop_index("ix_involvements_unit_id_incident_id")
        batch_op.drop_index("ix_involvements_person_id_incident_id")
        batch_op.create_index(batch_op.f("ix_involvements_unit_id"), ["unit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_involvements_person_id"), ["person_id"], unique=False)
