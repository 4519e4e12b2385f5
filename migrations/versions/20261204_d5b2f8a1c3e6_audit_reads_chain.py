"""Sensitive reads on a hash chain of their own, with its own sealed head; anchors name
their chain; background jobs keep when a worker started them.

Revision ID: d5b2f8a1c3e6
Revises: e7a3f9c2d4b6
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op


revision = 'd5b2f8a1c3e6'
down_revision = 'e7a3f9c2d4b6'
branch_labels = None
depends_on = None


JOB_TABLES = ("dossier_jobs", "link_check_runs", "capture_jobs")


def upgrade() -> None:
    for table in JOB_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table('audit_reads',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('at', sa.String(length=40), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('entity', sa.String(length=32), nullable=True),
    sa.Column('record_key', sa.String(length=80), nullable=True),
    sa.Column('what', sa.JSON(), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('entry_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_reads')),
    sa.UniqueConstraint('entry_hash', name=op.f('uq_audit_reads_entry_hash'))
    )
    with op.batch_alter_table('audit_reads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_reads_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_reads_actor'), ['actor'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_reads_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_reads_record_key'), ['record_key'], unique=False)

    op.create_table('audit_reads_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('entry_hash', sa.String(length=64), nullable=False),
    sa.Column('entries', sa.Integer(), server_default='0', nullable=False),
    sa.Column('seal', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_reads_head'))
    )
    with op.batch_alter_table('audit_anchors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain', sa.String(length=16), server_default='changes', nullable=False))



def downgrade() -> None:
    for table in JOB_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("claimed_at")
    with op.batch_alter_table('audit_anchors', schema=None) as batch_op:
        batch_op.drop_column('chain')

    op.drop_table('audit_reads_head')
    with op.batch_alter_table('audit_reads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_reads_record_key'))
        batch_op.drop_index(batch_op.f('ix_audit_reads_at'))
        batch_op.drop_index(batch_op.f('ix_audit_reads_actor'))
        batch_op.drop_index(batch_op.f('ix_audit_reads_action'))

    op.drop_table('audit_reads')
