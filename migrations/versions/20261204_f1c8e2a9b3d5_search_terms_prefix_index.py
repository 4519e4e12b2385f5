"""PostgreSQL: the vocabulary's prefix index in place of its trigram index; a short GIN pending list

A query word is looked up in ``search_terms`` by prefix (is it indexed; which keys
start with it; near spellings: the keys with its first letter). ``LIKE 'key%'``
can use a b-tree only with ``text_pattern_ops`` unless the database collation is
C, so without it every look-up read the 100k-key vocabulary (8 ms each at 100k
incidents). The trigram index served only the near spellings, which are now
found as on SQLite (same first letter, length within two), so it goes: one index
fewer to fill on import. SQLite compares bytes and needs neither.

New documents wait in the GIN index's pending list until it reaches
``gin_pending_list_limit`` (4 MB by default), and every full-text query reads the
whole list: after a reindex at 100k incidents, 20k entries left there made each
match 10-20 ms slower (``gin_clean_pending_list`` took a two-word count from 24 ms
to 2 ms). 256 kB bounds that read; inserts still go in batches, only smaller ones.

Revision ID: f1c8e2a9b3d5
Revises: a8c4e2f6b1d3
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "f1c8e2a9b3d5"
down_revision = "a8c4e2f6b1d3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE INDEX search_fts_terms_prefix ON search_terms (term text_pattern_ops)")
    op.execute("DROP INDEX search_fts_terms")
    op.execute("ALTER INDEX search_fts_documents SET (gin_pending_list_limit = 256)")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    # The extension may live in another schema than this one (it is per database).
    schema = bind.scalar(
        sa.text(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n"
            " ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"
        )
    )
    op.execute(
        f"CREATE INDEX search_fts_terms ON search_terms USING gin (term {schema}.gin_trgm_ops)"
    )
    op.execute("DROP INDEX search_fts_terms_prefix")
    op.execute("ALTER INDEX search_fts_documents RESET (gin_pending_list_limit)")
