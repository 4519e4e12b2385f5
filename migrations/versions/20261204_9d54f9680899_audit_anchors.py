"""audit_anchors: RFC 3161 time-stamp tokens over the audit head

Revision ID: 9d54f9680899
Revises: b7e41c09d2a5
Create Date: 2026-12-04 17:07:18.543082
"""

import sqlalchemy as sa
from alembic import op


revision = '9d54f9680899'
down_revision = 'b7e41c09d2a5'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_anchors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('entry_hash', sa.String(length=64), nullable=False),
    sa.Column('tsa_url', sa.String(length=500), nullable=False),
    sa.Column('stamped_at', sa.String(length=40), nullable=False),
    sa.Column('token', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_anchors'))
    )
    with op.batch_alter_table('audit_anchors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_anchors_seq'), ['seq'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('audit_anchors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_anchors_seq'))

    op.drop_table('audit_anchors')
