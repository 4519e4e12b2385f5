"""Declarative base, naming convention, engine and session setup."""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Collection, Iterator, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import MetaData, Table, create_engine, event, func, insert, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not pysqlite, decide when transactions begin, so that
    # SAVEPOINTs (used by tests and nested services) work as documented.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    # 64 MiB of page cache (default 2 MiB): a bulk import spills far less of its
    # transaction to the WAL and reads it back less.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


# Rows per executemany batch, so a bulk write never holds one huge parameter list.
INSERT_BATCH = 5000


def insert_rows(
    connection: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    serialised: Collection[str] = (),
) -> None:
    """INSERT many rows, all with the keys of the first: through the driver's executemany,
    or on PostgreSQL as one COPY.

    SQLAlchemy's own executemany builds and processes a parameter set per row,
    about half the CPU time of a plain bulk insert; here the statement is
    compiled once and each row only passes through its columns' bind processors.
    PostgreSQL runs an INSERT per row of an executemany; COPY writes the rows at
    once, with the same constraints, defaults and triggers.
    ``serialised`` names JSON columns whose values are given as JSON text
    already: they skip their bind processors, which would encode them again.
    """
    if not rows:
        return
    dialect = connection.dialect
    names = list(rows[0])
    compiled = insert(table).compile(dialect=dialect, column_keys=names, for_executemany=True)
    defaulted = sorted(set(compiled.binds) - set(names))
    if defaulted:  # Python-side defaults are applied by SQLAlchemy's executemany only
        raise ValueError(f"insert_rows into {table.name}: rows must name {', '.join(defaulted)}")
    order = list(compiled.positiontup) if compiled.positional else names
    values_of = itemgetter(*order) if len(order) > 1 else lambda row: (row[order[0]],)
    processed = [
        (index, process)
        for index, name in enumerate(order)
        if name not in serialised
        and (process := table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
        is not None
    ]
    copying = dialect.name == "postgresql"
    as_tuples = copying or compiled.positional
    parameters: list[Any] = []
    for row in rows:
        if len(row) != len(names):
            raise ValueError(f"insert_rows into {table.name}: a row without the columns {names}")
        values = values_of(row)
        if processed:
            values = list(values)
            for index, process in processed:
                values[index] = process(values[index])
            values = tuple(values)
        parameters.append(values if as_tuples else dict(zip(order, values, strict=True)))
    if copying:
        _copy_rows(connection, table, order, parameters)
        return
    for start in range(0, len(parameters), INSERT_BATCH):
        connection.exec_driver_sql(compiled.string, parameters[start : start + INSERT_BATCH])


def _copy_rows(
    connection: Connection, table: Table, names: list[str], rows: list[tuple[Any, ...]]
) -> None:
    """PostgreSQL: the rows (values in the order of ``names``) written by one COPY."""
    quote = connection.dialect.identifier_preparer
    columns = ", ".join(quote.quote(table.c[name].name) for name in names)
    statement = f"COPY {quote.format_table(table)} ({columns}) FROM STDIN"
    cursor = connection.connection.cursor()
    try:
        with cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    except connection.dialect.loaded_dbapi.Error as error:
        # As SQLAlchemy reports a failed statement (IntegrityError...), so callers and
        # is_transient see the same errors as from an INSERT.
        raise DBAPIError.instance(
            statement, None, error, connection.dialect.loaded_dbapi.Error
        ) from error
    finally:
        cursor.close()


def reserve_ids(connection: Connection, table: Table, count: int) -> list[int]:
    """Primary keys for ``count`` rows about to be inserted into ``table``, in order.

    Cheaper than reading keys back after a bulk insert. PostgreSQL: drawn from the
    column's sequence in one statement, as its inserts would (other transactions
    may draw between them). SQLite: after the largest id, as SQLite numbers rows of
    an INTEGER PRIMARY KEY itself; a writer holds the write lock (BEGIN IMMEDIATE),
    and any other transaction fails its first write once another committed since it
    read, so no two can take the same ids.
    """
    if count == 0:
        return []
    column = table.c.id
    if connection.dialect.name == "sqlite":
        start = (connection.scalar(select(func.max(column))) or 0) + 1
        return list(range(start, start + count))
    sequence = connection.scalar(select(func.pg_get_serial_sequence(table.name, column.name)))
    drawn = connection.exec_driver_sql(
        "SELECT nextval(%(sequence)s::regclass) FROM generate_series(1, %(count)s)",
        {"sequence": sequence, "count": count},
    )
    return [value for (value,) in drawn]


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Execution option of a writer's connections: its SQLite transactions begin IMMEDIATE.
WRITER = "evidence_writer"
# PostgreSQL: serialization failure, deadlock detected. Retrying the whole transaction is safe.
TRANSIENT_SQLSTATES = {"40001", "40P01"}
# Bounded: a writer waits busy_timeout per attempt, then backs off and tries again.
RETRY_DELAYS = (0.05, 0.2, 0.5, 1.0, 2.0)


def _sqlite_begin(connection: Any) -> None:
    """Readers begin deferred; writers take the write lock at BEGIN.

    A deferred transaction that reads and then writes cannot wait for the lock
    in WAL mode: if another writer committed since its first read, SQLite
    fails it at once with "database is locked" (busy_timeout is not consulted).
    Taking the lock at BEGIN makes writers queue on busy_timeout instead; a
    BEGIN that still times out did nothing yet, so it is simply tried again.
    """
    if not connection.get_execution_options().get(WRITER):
        connection.exec_driver_sql("BEGIN")
        return
    for delay in retry_delays():
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            return
        except DBAPIError as error:
            if delay is None or not is_transient(error):
                raise
            time.sleep(delay)


def retry_delays() -> Iterator[float | None]:
    """The pauses between attempts of a transaction, with jitter; None marks the last attempt."""
    for delay in RETRY_DELAYS:
        yield delay * random.uniform(0.5, 1.5)
    yield None


def is_transient(error: BaseException) -> bool:
    """A failure that says "try again": SQLite busy, PostgreSQL serialization or deadlock."""
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    original = error.orig
    if getattr(original, "sqlstate", None) in TRANSIENT_SQLSTATES:
        return True
    return isinstance(original, sqlite3.OperationalError) and (
        "locked" in str(original) or "busy" in str(original)
    )


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for reading: on SQLite their transactions begin deferred."""
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


def make_writer_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that will write: every transaction they begin takes the SQLite write lock.

    Requests with an unsafe method, CLI commands that write and background
    jobs' write steps use these; everything else reads without blocking anyone.
    """
    return sessionmaker(
        bind=engine.execution_options(**{WRITER: True}), expire_on_commit=False, autoflush=True
    )
