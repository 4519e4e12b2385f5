"""SQLite search documents numbered in a range per record type; the vocabulary completed

SQLite only (engine.py says why): a document's id becomes
(n + 1) * 2**40 + record id, n the record type's place in the list below, and
the FTS5 index is rebuilt on the new ids. The vocabulary gains what the
engine now relies on to spell prefixes out: keys longer than 120 characters,
and the plain runs of keys the tokenizer cuts in pieces. The downgrade keeps
the ids: the code before this revision works with any.

Revision ID: e7a3f9c2d4b6
Revises: d5e8b1c7a942
Create Date: 2026-12-04
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "e7a3f9c2d4b6"
down_revision = "d5e8b1c7a942"
branch_labels = None
depends_on = None

SEARCHED = ("incident", "statement", "person", "unit", "place", "source", "case")
ID_RANGE = 2**40
PLAIN = re.compile(r"[a-z0-9]+")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    ranges = " ".join(f"WHEN '{entity}' THEN {n + 1}" for n, entity in enumerate(SEARCHED))
    op.execute(
        f"UPDATE search_documents SET id = (CASE entity {ranges} END) * {ID_RANGE} + record_id"
    )
    op.execute("INSERT INTO search_fts(search_fts) VALUES ('rebuild')")
    missing = set()
    for (term,) in bind.execute(sa.text("SELECT term FROM search_terms")):
        if not PLAIN.fullmatch(term):
            missing.update(PLAIN.findall(term))
    for (terms,) in bind.execute(sa.text("SELECT terms FROM search_documents")):
        long = [term for term in terms.split() if len(term) > 120]
        missing.update(long, *(PLAIN.findall(term) for term in long))
    if missing:
        bind.execute(
            sa.text("INSERT OR IGNORE INTO search_terms (term) VALUES (:term)"),
            [{"term": term} for term in sorted(missing)],
        )


def downgrade() -> None:
    pass
