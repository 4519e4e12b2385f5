"""search index

Besides the two tables, each engine gets its full-text objects (all named
``search_fts...``, which the model comparison skips): SQLite an FTS5 table
over ``search_documents.terms`` kept in step by triggers; PostgreSQL a stored
``tsvector`` column with a GIN index, and a pg_trgm index on the vocabulary
for misspelt words. A later batch migration of ``search_documents`` on SQLite
must recreate the triggers.

Revision ID: 61bc94ccca26
Revises: 11252466a0a6
Create Date: 2026-11-24 23:39:05.626490
"""

import sqlalchemy as sa
from alembic import op

revision = "61bc94ccca26"
down_revision = "11252466a0a6"
branch_labels = None
depends_on = None

SQLITE_OBJECTS = [
    "CREATE VIRTUAL TABLE search_fts USING fts5(terms, content='search_documents',"
    " content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER search_fts_insert AFTER INSERT ON search_documents BEGIN"
    " INSERT INTO search_fts(rowid, terms) VALUES (new.id, new.terms); END",
    "CREATE TRIGGER search_fts_delete AFTER DELETE ON search_documents BEGIN"
    " INSERT INTO search_fts(search_fts, rowid, terms) VALUES ('delete', old.id, old.terms);"
    " END",
    "CREATE TRIGGER search_fts_update AFTER UPDATE OF terms ON search_documents BEGIN"
    " INSERT INTO search_fts(search_fts, rowid, terms) VALUES ('delete', old.id, old.terms);"
    " INSERT INTO search_fts(rowid, terms) VALUES (new.id, new.terms); END",
]
POSTGRESQL_OBJECTS = [
    "ALTER TABLE search_documents ADD COLUMN search_fts tsvector"
    " GENERATED ALWAYS AS (to_tsvector('simple', terms)) STORED",
    "CREATE INDEX search_fts_documents ON search_documents USING gin (search_fts)",
    "CREATE INDEX search_fts_terms ON search_terms USING gin (term {schema}.gin_trgm_ops)",
]


def upgrade() -> None:
    op.create_table(
        "search_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("retracted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_documents")),
        sa.UniqueConstraint(
            "entity", "record_id", name=op.f("uq_search_documents_entity_record_id")
        ),
    )
    op.create_table(
        "search_terms",
        sa.Column("term", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("term", name=op.f("pk_search_terms")),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_OBJECTS:
            op.execute(statement)
    elif dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        # The extension may live in another schema than this one (it is per database).
        schema = op.get_bind().scalar(
            sa.text(
                "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n"
                " ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"
            )
        )
        for statement in POSTGRESQL_OBJECTS:
            op.execute(statement.format(schema=schema))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE search_fts")
    op.drop_table("search_terms")
    op.drop_table("search_documents")
