"""Names found in any case and script, by autocomplete and every list filter.

A person, unit or place is found by its name, key and aliases, a source, incident or case
by its title and key, however the text is typed: each value is stored folded twice in the
record's ``folded_names`` column, by Unicode case folding (ОМОН and омон are омон) and
as its search keys (normalise.py: Тарайковский and Taraikovsky are taraikovski), and
typed text matches a record when either of its own two folded forms is inside it.

The column is kept by session hooks: after each flush for the records the ORM wrote, and
just before each commit for every record the audit hook noted as touched, so every writer
(services, views, CLI, the bulk import's Core statements, merges) is covered. Records the
audit hook was told of as created (the bulk import's new ones) are inserted with their
folded names (names_of), which the commit hook only indexes. The column is indexed for
"contains": on PostgreSQL by a trigram GIN index per table, on SQLite by one FTS5 table
with the trigram tokenizer, ``search_fts_folded_names``, whose rows are numbered as
search documents are (engine.py), so one table serves every record type.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    bindparam,
    column,
    delete,
    or_,
    select,
    table,
    union_all,
)
from sqlalchemy import update as sql_update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from evidence.audit.log import pending_changes
from evidence.core.records import BATCH, Record, chunks
from evidence.search.engine import ENGINES, SqliteEngine
from evidence.search.normalise import folded, needles

FTS = table("search_fts_folded_names", column("rowid"), column("names"))
_GLOB_SPECIAL = {"*": "[*]", "?": "[?]", "[": "[[]"}


def _models() -> dict[str, Any]:
    from evidence.models import Case, Incident, Person, Place, Source, Unit

    return {
        "person": Person,
        "unit": Unit,
        "place": Place,
        "source": Source,
        "incident": Incident,
        "case": Case,
    }


def _folded_columns(model: Any) -> list[Any]:
    """The columns a record is found by: name or title, key, and aliases if it has them."""
    columns = model.__table__.c
    label = columns.name if "name" in columns else columns.title
    return [label, columns.key, *([columns.aliases] if "aliases" in columns else [])]


def _fold(label: str, key: str, aliases: Iterable[str] | None = None) -> str:
    """The ``folded_names`` of a record with this name or title, key and aliases."""
    return folded([label, key, *(aliases or [])])


def names_containing(session: Session, model: Any, text: str) -> ColumnElement[bool]:
    """Condition on ``model``: its name, aliases or title contain ``text`` in some folding."""
    found = needles(text.strip())
    if not found:
        return model.id.is_(None)
    if session.get_bind().dialect.name != "sqlite":
        return or_(*(model.folded_names.like(_like(needle), "\\") for needle in found))
    sqlite = ENGINES["sqlite"]
    entity = _entity_of(model)
    first = sqlite.document_id(entity, 0)
    # GLOB, not LIKE: FTS5 hands a LIKE with an ESCAPE clause back to a full scan; one
    # SELECT per needle: FTS5 is given the conditions joined by AND only.
    matching = [
        select(FTS.c.rowid - first).where(
            FTS.c.names.op("GLOB")(_glob(needle)),
            FTS.c.rowid.between(first, first + SqliteEngine.ID_RANGE - 1),
        )
        for needle in found
    ]
    return model.id.in_(union_all(*matching))


def _entity_of(model: Any) -> str:
    return next(entity for entity, known in _models().items() if known is model)


def _like(needle: str) -> str:
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _glob(needle: str) -> str:
    return "*" + "".join(_GLOB_SPECIAL.get(char, char) for char in needle) + "*"


def refold(session: Session, ids: Mapping[str, Iterable[int]]) -> None:
    """Recompute ``folded_names`` (and on SQLite its index rows) of these records."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    for entity, model in _models().items():
        for chunk in chunks(sorted(set(ids.get(entity, ())))):
            rows = session.execute(
                select(model.__table__.c.id, *_folded_columns(model)).where(
                    model.__table__.c.id.in_(chunk)
                )
            ).all()
            values = [{"row_id": row.id, "folded": _fold(*row[1:])} for row in rows]
            if values:
                stmt = (
                    sql_update(model.__table__)
                    .where(model.__table__.c.id == bindparam("row_id"))
                    .values(folded_names=bindparam("folded"))
                )
                session.execute(stmt, values)
            if sqlite:
                _reindex_sqlite(session, entity, chunk, values)


def _reindex_sqlite(
    session: Session, entity: str, chunk: list[int], values: list[dict[str, Any]]
) -> None:
    number = ENGINES["sqlite"].document_id
    session.execute(delete(FTS).where(FTS.c.rowid.in_([number(entity, i) for i in chunk])))
    rows = [{"rowid": number(entity, v["row_id"]), "names": v["folded"]} for v in values]
    for batch in chunks(rows, BATCH):
        session.execute(FTS.insert(), batch)


def rebuild_sqlite_index(connection: Connection) -> None:
    """SQLite: the index rebuilt from the ``folded_names`` columns, after rows were
    written without the session hook (a restore copies the columns as they were)."""
    if connection.dialect.name != "sqlite":
        return
    connection.execute(delete(FTS))
    for entity, model in _models().items():
        _copy_column_to_sqlite_index(connection, entity, model, None)


def _copy_column_to_sqlite_index(
    connection: Connection, entity: str, model: Any, ids: Sequence[int] | None
) -> None:
    """Index rows copied from the ``folded_names`` column of these records (None: all)."""
    columns = model.__table__.c
    first = ENGINES["sqlite"].document_id(entity, 0)
    rows = select(columns.id + first, columns.folded_names)
    for chunk in [None] if ids is None else chunks(ids):
        chosen = rows if chunk is None else rows.where(columns.id.in_(chunk))
        connection.execute(FTS.insert().from_select(["rowid", "names"], chosen))


def names_of(record: Record) -> str:
    """The ``folded_names`` of a new person, unit, place, source, incident or case, from its
    evidence/1 form: what a bulk writer inserts with it (see refold_pending)."""
    label = record["name"] if "name" in record else record["title"]
    return _fold(label, record["key"], record.get("aliases"))


def refold_pending(session: Session) -> None:
    """Fold the names of every record the audit log noted as touched (including the bulk
    import's direct SQL writes); run before a commit, ahead of the audit hook, which
    consumes them. Records noted as created were inserted with their folded names
    (names_of): on SQLite their index rows are copied from the column in bulk."""
    touched, created = pending_changes(session)
    ids = {entity: set(touched.get(entity, ())) for entity in _models()}
    if any(ids.values()):
        refold(session, ids)
    if session.get_bind().dialect.name == "sqlite":
        for entity, model in _models().items():
            new = sorted(set(created.get(entity, ())) - ids[entity])
            _copy_column_to_sqlite_index(session.connection(), entity, model, new)


def refold_flushed(session: Session) -> None:
    # Records written through the ORM are folded as soon as they are flushed, so a list
    # filtered before the commit (in the same transaction) already finds them.
    entities = {model: entity for entity, model in _models().items()}
    ids: dict[str, set[int]] = {}
    for record in (*session.new, *session.dirty):
        entity = entities.get(type(record))
        if entity is not None:
            ids.setdefault(entity, set()).add(record.id)
    if ids:
        with session.no_autoflush:
            refold(session, ids)
