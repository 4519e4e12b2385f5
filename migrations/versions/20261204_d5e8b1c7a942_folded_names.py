"""folded names: persons, units, places, sources, incidents, cases found in any case and script

Each table gets ``folded_names`` (evidence/search/folded_names.py), filled here from
the names or titles, keys and aliases, and an index serving "contains": PostgreSQL a trigram
GIN index per table; SQLite one FTS5 trigram table ``search_fts_folded_names``, its
rows numbered as search documents are. Both are named ``search_fts...`` so the model
comparison leaves them out.

Revision ID: d5e8b1c7a942
Revises: 5e1d2c3b4a90
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

from evidence.search.normalise import folded

revision = "d5e8b1c7a942"
down_revision = "5e1d2c3b4a90"
branch_labels = None
depends_on = None

# Table -> (record type, folded columns); record types numbered as in search documents.
TABLES = {
    "incidents": ("incident", ("title", "key")),
    "persons": ("person", ("name", "key", "aliases")),
    "units": ("unit", ("name", "key", "aliases")),
    "places": ("place", ("name", "key", "aliases")),
    "sources": ("source", ("title", "key")),
    "cases": ("case", ("title", "key")),
}
SEARCHED = ("incident", "statement", "person", "unit", "place", "source", "case")
ID_RANGE = 2**40
BATCH = 1000


def upgrade() -> None:
    bind = op.get_bind()
    dialect = bind.dialect.name
    for name in TABLES:
        with op.batch_alter_table(name) as batch:
            batch.add_column(
                sa.Column("folded_names", sa.Text(), server_default="", nullable=False)
            )
    if dialect == "postgresql":
        schema = bind.scalar(
            sa.text(
                "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n"
                " ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"
            )
        )
        for name in TABLES:
            op.execute(
                f"CREATE INDEX search_fts_{name}_folded ON {name}"
                f" USING gin (folded_names {schema}.gin_trgm_ops)"
            )
    elif dialect == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE search_fts_folded_names USING fts5(names,"
            " tokenize='trigram case_sensitive 1')"
        )
    for name, (entity, columns) in TABLES.items():
        _fill(bind, name, entity, columns)


def _fill(bind: sa.Connection, name: str, entity: str, columns: tuple[str, ...]) -> None:
    table = sa.table(
        name,
        sa.column("id", sa.Integer),
        sa.column("folded_names", sa.Text),
        *(sa.column(c, sa.JSON if c == "aliases" else sa.Text) for c in columns),
    )
    rows = bind.execute(sa.select(table.c.id, *(table.c[c] for c in columns))).all()
    values = []
    for row in rows:
        names = [row.name, row.key, *(row.aliases or [])] if "aliases" in columns else [row.title, row.key]
        values.append({"row_id": row.id, "folded": folded(names)})
    update = (
        table.update()
        .where(table.c.id == sa.bindparam("row_id"))
        .values(folded_names=sa.bindparam("folded"))
    )
    first = (SEARCHED.index(entity) + 1) * ID_RANGE
    for start in range(0, len(values), BATCH):
        batch = values[start : start + BATCH]
        bind.execute(update, batch)
        if bind.dialect.name == "sqlite":
            bind.execute(
                sa.text("INSERT INTO search_fts_folded_names (rowid, names) VALUES (:id, :names)"),
                [{"id": first + v["row_id"], "names": v["folded"]} for v in batch],
            )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TABLE search_fts_folded_names")
    for name in TABLES:
        if dialect == "postgresql":
            op.execute(f"DROP INDEX search_fts_{name}_folded")
        with op.batch_alter_table(name) as batch:
            batch.drop_column("folded_names")
