"""Backup and restore of everything: every table (in one snapshot) and every stored file.

Generic over the models: every table of ``Base.metadata`` is backed up, in
foreign-key order, except the few that must not travel (server-side sessions
and sign-in throttling, which would revive signed-in sessions and lock-outs on
another server). Rows are written as JSON lines in batches and restored with
their ids, so the hash-chained audit log, accounts, link checks, captures and
job history come back exactly; a restore into PostgreSQL then moves each
sequence past the restored ids.

A restore reads the archive twice: once to check every member against the
manifest before anything is written, then to write, in one transaction, with
the files staged beside the data directory and moved into place just before
the commit. A failure rolls the transaction back and removes the files placed.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import (
    Column,
    Connection,
    Date,
    DateTime,
    Engine,
    LargeBinary,
    Numeric,
    Table,
    Time,
    Uuid,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

import evidence.models  # noqa: F401  (fills the metadata with every table)
from evidence.backup.archive import (
    CHUNK,
    HEADER,
    MANIFEST,
    ArchiveWriter,
    HashingReader,
    Member,
    members,
)
from evidence.backup.encryption import BackupDamaged
from evidence.db import Base
from evidence.migrate import head_revision, upgrade
from evidence.search.folded_names import rebuild_sqlite_index
from evidence.search.indexing import reindex
from evidence.store import SHA256_PATTERN

FORMAT = "evidence-backup/1"
# Server-side sign-in state: restoring it would revive sessions and lock-outs elsewhere.
# The search index is derived from the records and numbered by the database it lives in
# (SQLite's document ids do not fit PostgreSQL's): rebuilt after a restore, not copied.
EXCLUDED_TABLES = frozenset(
    {"user_sessions", "sign_in_failures", "search_documents", "search_terms"}
)
ROWS_PER_MEMBER = 5000  # the most rows held in memory at once, either way

OpenArchive = Callable[[], AbstractContextManager[BinaryIO]]
Progress = Callable[[int], None]


class RestoreRefused(ValueError):
    """The archive or the target is not fit for a restore; nothing was written."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(problems[0])


def backed_up_tables() -> list[Table]:
    """Every model table but the excluded ones, parents before the tables referring to them."""
    return [table for table in Base.metadata.sorted_tables if table.name not in EXCLUDED_TABLES]


# -- backup -------------------------------------------------------------------------------


@dataclass
class BackupSummary:
    rows: dict[str, int] = field(default_factory=dict)
    files: int = 0
    # Store files whose bytes no longer match their hash: kept as they are, reported.
    altered: list[str] = field(default_factory=list)


class Snapshot:
    """One consistent read of every table, plus the files of the data directory."""

    def __init__(self, connection: Connection, data_dir: str | os.PathLike[str]) -> None:
        self.connection = connection
        self.data_dir = Path(data_dir)
        self.tables = backed_up_tables()
        self.revision = connection.scalar(text("SELECT version_num FROM alembic_version"))
        counts = {
            table.name: connection.scalar(select(func.count()).select_from(table))
            for table in self.tables
        }
        self.files = sorted(data_files(self.data_dir))
        self.total = sum(counts.values()) + len(self.files)  # the progress bar's length
        self.summary = BackupSummary()

    def chunks(self, progress: Progress) -> Iterator[bytes]:
        """The archive, compressed, in chunks; ``summary`` is complete once they are read."""
        writer = ArchiveWriter()
        header = {
            "format": FORMAT,
            "created_at": dt.datetime.now(dt.UTC).isoformat(),
            "engine": self.connection.dialect.name,
            "schema_revision": self.revision,
            "tables": [
                {"name": table.name, "columns": [column.name for column in table.columns]}
                for table in self.tables
            ],
            "excluded_tables": sorted(EXCLUDED_TABLES),
        }
        yield from writer.add_bytes(HEADER, json.dumps(header, indent=1).encode())
        for table in self.tables:
            yield from self._table(writer, table, progress)
        for path in self.files:
            name = f"files/{path.relative_to(self.data_dir).as_posix()}"
            yield from writer.add_file(name, path)
            if SHA256_PATTERN.match(path.name) and writer.members[name].sha256 != path.name:
                self.summary.altered.append(path.name)
            self.summary.files += 1
            progress(1)
        yield from writer.finish(
            {"format": FORMAT, "rows": self.summary.rows, "files": self.summary.files}
        )

    def _table(self, writer: ArchiveWriter, table: Table, progress: Progress) -> Iterator[bytes]:
        statement = select(*table.columns).order_by(*table.primary_key.columns)
        result = self.connection.execute(
            statement, execution_options={"yield_per": ROWS_PER_MEMBER}
        )
        self.summary.rows[table.name] = 0
        for number, batch in enumerate(result.partitions(), start=1):
            lines = "".join(_ROW_ENCODER.encode(list(row)) + "\n" for row in batch)
            yield from writer.add_bytes(f"tables/{table.name}/{number:06d}.jsonl", lines.encode())
            self.summary.rows[table.name] += len(batch)
            progress(len(batch))


@contextmanager
def open_snapshot(engine: Engine, data_dir: str | os.PathLike[str]) -> Iterator[Snapshot]:
    """A snapshot whose reads all see one moment, however long the backup takes.

    PostgreSQL: a read-only REPEATABLE READ transaction. SQLite (WAL): a read
    transaction sees the database as of its first read until it ends.
    """
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        with connection.begin():
            yield Snapshot(connection, data_dir)


def data_files(data_dir: Path) -> Iterator[Path]:
    """Every file kept under the data directory (store objects, rendered dossiers), without
    temporary and hidden ones (an upload or restore in progress)."""
    if not data_dir.is_dir():
        return
    for path in data_dir.rglob("*"):
        relative = path.relative_to(data_dir)
        if path.is_file() and not any(part.startswith(".") for part in relative.parts):
            yield path


def _encode(value: Any) -> Any:
    """JSON for what JSON lacks; timestamps in UTC, whatever the engine handed back."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    raise TypeError(f"cannot back up a value of type {type(value).__name__}")


# One encoder for every row: json.dumps with options would build a new one per call.
_ROW_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_encode)


# -- restore ------------------------------------------------------------------------------


@dataclass
class VerifiedBackup:
    header: dict[str, Any]
    manifest: dict[str, Any]

    def sha256_of(self, name: str) -> str | None:
        """The member's hash in the manifest (None when it lists no such member)."""
        return self.manifest["members"].get(name, {}).get("sha256")


def verify_backup(open_archive: OpenArchive) -> VerifiedBackup:
    """Read the whole archive and check every member against the manifest, and the schema
    against this version of the code. RestoreRefused naming each problem."""
    seen: dict[str, tuple[str, int]] = {}
    documents: dict[str, Any] = {}
    problems: list[str] = []
    with open_archive() as plaintext:
        for member in members(plaintext):
            if member.name in seen:
                problems.append(f"{member.name}: appears twice in the archive")
            if member.name in (HEADER, MANIFEST):
                documents[member.name] = _read_json(member)
            member.reader.drain()
            seen[member.name] = (member.reader.sha256, member.reader.size)
    header, manifest = documents.get(HEADER), documents.get(MANIFEST)
    if manifest is None or header is None:
        missing = MANIFEST if manifest is None else HEADER
        raise RestoreRefused([f"{missing}: missing from the archive", *problems])
    listed = manifest.get("members", {})
    for name, entry in listed.items():
        if name not in seen:
            problems.append(f"{name}: listed in the manifest but missing from the archive")
        elif seen[name] != (entry["sha256"], entry["size"]):
            problems.append(f"{name}: its SHA-256 does not match the manifest (altered)")
    problems += [
        f"{name}: in the archive but not in the manifest"
        for name in seen
        if name not in listed and name != MANIFEST
    ]
    problems += _schema_problems(header)
    if problems:
        raise RestoreRefused(problems)
    return VerifiedBackup(header, manifest)


def _read_json(member: Member) -> Any:
    try:
        return json.loads(member.reader.read())
    except ValueError as error:
        raise BackupDamaged(f"{member.name}: not valid JSON ({error})") from None


def _schema_problems(header: dict[str, Any]) -> list[str]:
    if header.get("format") != FORMAT:
        return [f"{HEADER}: format {header.get('format')!r} is not {FORMAT!r}"]
    head = head_revision()
    if header.get("schema_revision") != head:
        return [
            f"the backup is of schema revision {header.get('schema_revision')}, this version of"
            f" evidence is at {head}: restore with the version that made the backup, then upgrade"
        ]
    tables = {table.name: table for table in backed_up_tables()}
    problems = []
    for entry in header.get("tables", []):
        table = tables.get(entry["name"])
        if table is None or [column.name for column in table.columns] != entry["columns"]:
            problems.append(f"table {entry['name']}: its columns differ from this version's")
    return problems


def target_problems(engine: Engine) -> list[str]:
    """Why the target database is not empty (no problems: it may be restored into)."""
    existing = set(inspect(engine).get_table_names())
    with engine.connect() as connection:
        counts = {
            table.name: connection.scalar(select(func.count()).select_from(table))
            for table in Base.metadata.sorted_tables
            if table.name in existing
        }
    held = ", ".join(f"{name}: {rows}" for name, rows in counts.items() if rows)
    if not held:
        return []
    return [f"the target database is not empty (rows in {held}); restore only into an empty one"]


def _file_conflicts(verified: VerifiedBackup, data_dir: Path) -> list[str]:
    """Files the restore would have to overwrite with other bytes (same bytes are kept)."""
    problems = []
    for name, entry in verified.manifest["members"].items():
        target = data_dir / name.removeprefix("files/")
        if name.startswith("files/") and target.exists():
            with target.open("rb") as stream:
                reader = HashingReader(stream)
                reader.drain()
            if reader.sha256 != entry["sha256"]:
                problems.append(f"{target}: already holds other bytes than the backup's")
    return problems


@dataclass
class RestoreSummary:
    rows: dict[str, int] = field(default_factory=dict)
    files: int = 0


def restore_backup(
    engine: Engine,
    data_dir: str | os.PathLike[str],
    open_archive: OpenArchive,
    verified: VerifiedBackup,
) -> RestoreSummary:
    """Restore a verified backup into an empty database and data directory: all or nothing.

    The archive is read again and every member re-checked, so a file changed
    since ``verify_backup`` read it rolls everything back.
    """
    data_dir = Path(data_dir)
    problems = target_problems(engine) + _file_conflicts(verified, data_dir)
    if problems:
        raise RestoreRefused(problems)
    upgrade(engine.url.render_as_string(hide_password=False))
    data_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=data_dir, prefix=".restore-"))
    placed: list[Path] = []
    summary = RestoreSummary()
    try:
        with engine.begin() as connection:
            loader = TableLoader(connection, verified.header)
            staged: list[str] = []
            with open_archive() as plaintext:
                for member in members(plaintext):
                    # A batch of rows is read whole and checked before it is inserted.
                    batch = member.reader.read() if member.name.startswith("tables/") else None
                    if member.name.startswith("files/"):
                        staged.append(_stage(member, staging))
                    member.reader.drain()
                    if member.name != MANIFEST and (
                        member.reader.sha256 != verified.sha256_of(member.name)
                    ):
                        raise BackupDamaged(f"{member.name}: changed since it was checked")
                    if batch is not None:
                        table_name = member.name.split("/")[1]
                        rows = loader.load(table_name, member.name, batch)
                        summary.rows[table_name] = summary.rows.get(table_name, 0) + rows
            loader.finish()
            _rebuild_search_indexes(connection)
            for relative in staged:
                target = data_dir / relative
                if not target.exists():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(staging / relative, target)
                    placed.append(target)
            summary.files = len(staged)
    except BaseException:
        for path in placed:
            path.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return summary


def _rebuild_search_indexes(connection: Connection) -> None:
    """The search index from the restored records, and SQLite's index of folded names
    from the restored columns, in the restore's transaction."""
    with Session(bind=connection) as session:
        reindex(session)
        session.flush()
    rebuild_sqlite_index(connection)


def _stage(member: Member, staging: Path) -> str:
    relative = member.name.removeprefix("files/")
    path = staging / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("xb") as out:
        while chunk := member.reader.read(CHUNK):
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    path.chmod(member.mode & 0o777)
    return relative


class TableLoader:
    """Inserts restored rows with their ids, batch by batch, in the archive's (FK) order.

    A reference to a row of the same table (a place's parent) may point to a
    row with a higher id, not inserted yet: such columns are inserted empty and
    set once every table is in.
    """

    def __init__(self, connection: Connection, header: dict[str, Any]) -> None:
        self.connection = connection
        self.tables = {table.name: table for table in backed_up_tables()}
        self.columns = {entry["name"]: entry["columns"] for entry in header["tables"]}
        self.loaded: set[str] = set()
        self.late: list[tuple[Table, dict[str, Any], dict[str, Any]]] = []

    def load(self, table_name: str, member_name: str, batch: bytes) -> int:
        table = self.tables[table_name]
        names = self.columns[table_name]
        decoders = [_decoder(table.c[name]) for name in names]
        late = {
            foreign_key.parent.name
            for foreign_key in table.foreign_keys
            if foreign_key.parent.nullable
            and (
                foreign_key.column.table is table
                or foreign_key.column.table.name not in self.loaded
            )
        }
        rows = []
        # Split on "\n" only: JSON escapes it in strings, not U+2028 or U+0085 (which
        # splitlines would cut).
        try:
            lines = [line for line in batch.decode().split("\n") if line]
        except UnicodeDecodeError:
            raise BackupDamaged(f"{member_name}: not UTF-8 text") from None
        for number, line in enumerate(lines, start=1):
            try:
                row = {
                    name: value if decode is None or value is None else decode(value)
                    for name, decode, value in zip(names, decoders, json.loads(line), strict=True)
                }
            except (ValueError, TypeError) as error:
                problem = f"{member_name}: row {number} cannot be read ({error})"
                raise BackupDamaged(problem) from None
            later = {name: row[name] for name in late if row[name] is not None}
            if later:
                key = {column.name: row[column.name] for column in table.primary_key.columns}
                self.late.append((table, key, later))
                row.update(dict.fromkeys(later))
            rows.append(row)
        if rows:
            self.connection.execute(insert(table), rows)
        self.loaded.add(table_name)
        return len(rows)

    def finish(self) -> None:
        for table, key, values in self.late:
            condition = [table.c[name] == value for name, value in key.items()]
            self.connection.execute(update(table).where(*condition).values(values))
        if self.connection.dialect.name == "postgresql":
            for table in self.tables.values():
                for column in table.primary_key.columns:
                    self._move_sequence_past(table, column)

    def _move_sequence_past(self, table: Table, column: Column[Any]) -> None:
        """Explicit ids leave a PostgreSQL sequence behind: the next insert would collide."""
        sequence = self.connection.scalar(
            select(func.pg_get_serial_sequence(table.name, column.name))
        )
        if sequence:
            after = select(func.coalesce(func.max(column), 0) + 1).scalar_subquery()
            self.connection.execute(select(func.setval(sequence, after, False)))


def _decoder(column: Column[Any]) -> Callable[[Any], Any] | None:
    """How a JSON value of this column becomes the Python value it was (None: as it is)."""
    kind = column.type
    if isinstance(kind, DateTime):
        return _timestamp_in_utc if kind.timezone else dt.datetime.fromisoformat
    if isinstance(kind, Date):
        return dt.date.fromisoformat
    if isinstance(kind, Time):
        return dt.time.fromisoformat
    if isinstance(kind, LargeBinary):
        return base64.b64decode
    if isinstance(kind, Uuid):
        return uuid.UUID
    if isinstance(kind, Numeric) and kind.asdecimal:
        return Decimal
    return None


def _timestamp_in_utc(value: str) -> dt.datetime:
    """SQLite hands back time-zone-aware columns without their zone, which is UTC here."""
    parsed = dt.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
