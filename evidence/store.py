"""The content-addressed file store: every file is kept under the SHA-256 of its bytes.

Layout: ``DATA_DIR/objects/ab/cd/abcd...`` (the hash's first two byte pairs as
folders, so no folder grows huge). A file is streamed into a temporary file in
the objects folder while it is hashed, then renamed into place in one atomic
step: a reader never sees half a file. Names given by users never reach a path;
only hashes do.

A file stored for a database session (``put(..., session=...)``) waits as
``.staged-<sha256>-<nonce>`` and is renamed into place only after that session
commits; if it rolls back, or ends without committing, the staged file is
deleted. So no failure path leaves an object the database does not know.
``find_strays`` finds what a crash could still leave (a staged file whose commit
happened, leftovers, unreferenced objects) and, asked to sweep, repairs it.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

CHUNK = 1024 * 1024
INCOMING = ".incoming-"  # being written
STAGED = ".staged-"  # written, waiting for its database transaction to commit
PENDING = "store_staged"  # session.info: the files staged for that session
GRACE_SECONDS = 3600  # check leaves younger files alone: their transaction may be running
HEAD_BYTES = 8192  # kept from the start of a file, for type detection
SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")


class TooLarge(ValueError):
    """The file is larger than the store accepts; nothing was kept."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"larger than the limit of {describe_size(limit)}")


@dataclass(frozen=True)
class Stored:
    sha256: str
    size: int
    head: bytes  # the first HEAD_BYTES bytes


@dataclass(frozen=True)
class FixityProblem:
    sha256: str
    problem: str  # "missing" or "altered"
    owners: tuple[str, ...] = ()  # what refers to it, e.g. "exhibit photo-1"

    def __str__(self) -> str:
        owners = f" ({', '.join(self.owners)})" if self.owners else ""
        return f"{self.problem}: {self.sha256}{owners}"


def describe_size(size: int) -> str:
    for unit, factor in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= factor:
            return f"{size / factor:.3g} {unit}"
    return f"{size} bytes"


class Store:
    def __init__(self, data_dir: str | os.PathLike[str]) -> None:
        self.objects = Path(data_dir) / "objects"

    def path(self, sha256: str) -> Path:
        if not SHA256_PATTERN.match(sha256):
            raise ValueError(f"not a SHA-256 hash: {sha256!r}")
        return self.objects / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def put(
        self, stream: BinaryIO, max_bytes: int | None = None, *, session: Session | None = None
    ) -> Stored:
        """Stream ``stream`` into the store, hashing as it goes; TooLarge past ``max_bytes``.

        With a ``session``, the file takes its place only when the session commits.
        """
        self.objects.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        head = b""
        descriptor, temporary = tempfile.mkstemp(dir=self.objects, prefix=INCOMING)
        try:
            with os.fdopen(descriptor, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise TooLarge(max_bytes)
                    if len(head) < HEAD_BYTES:
                        head += chunk[: HEAD_BYTES - len(head)]
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            sha256 = digest.hexdigest()
            os.chmod(temporary, 0o444)  # fixity: nothing should ever write to it again
            target = self.path(sha256)
            if target.exists():  # same bytes already held; fresh again for check's grace period
                os.unlink(temporary)
                os.utime(target)
            elif session is None:
                self._place(Path(temporary), sha256)
            else:
                staged = self.objects / f"{STAGED}{sha256}-{uuid.uuid4().hex}"
                os.replace(temporary, staged)
                session.info.setdefault(PENDING, []).append((self, sha256, staged))
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise
        return Stored(sha256=sha256, size=size, head=head)

    def _place(self, path: Path, sha256: str) -> None:
        target = self.path(sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)

    def put_file(
        self,
        path: str | os.PathLike[str],
        max_bytes: int | None = None,
        *,
        session: Session | None = None,
    ) -> Stored:
        with open(path, "rb") as stream:
            return self.put(stream, max_bytes, session=session)

    def open(self, sha256: str) -> BinaryIO:
        return self.path(sha256).open("rb")

    def hash_of(self, sha256: str) -> str | None:
        """The SHA-256 of the bytes now stored under ``sha256`` (None when missing)."""
        path = self.path(sha256)
        return file_sha256(path) if path.is_file() else None

    def check(self, sha256: str) -> str | None:
        """None when the file is present and intact, else "missing" or "altered"."""
        actual = self.hash_of(sha256)
        if actual is None:
            return "missing"
        return None if actual == sha256 else "altered"

    def stored_hashes(self) -> Iterator[str]:
        """Every hash with a file in the store (temporary files excluded)."""
        if not self.objects.is_dir():
            return
        for path in self.objects.glob("??/??/*"):
            if SHA256_PATTERN.match(path.name):
                yield path.name

    def verify_all(self, expected: dict[str, Iterable[str]]) -> list[FixityProblem]:
        """Re-hash every file the database refers to (``expected``: hash -> owners) and every
        other file in the store; report each one missing or altered."""
        problems = []
        for sha256 in sorted(set(expected) | set(self.stored_hashes())):
            problem = self.check(sha256)
            if problem:
                problems.append(FixityProblem(sha256, problem, tuple(expected.get(sha256, ()))))
        return problems

    def find_strays(self, referenced: Iterable[str], *, sweep: bool = False) -> StoreCheck:
        """Files the database does not know: unreferenced objects, staged and temporary
        files. With ``sweep``: a staged file whose hash the database refers to is put in
        place (its commit happened, the rename did not); the rest is deleted once older
        than GRACE_SECONDS (younger ones may belong to a transaction still running)."""
        wanted = set(referenced)
        found = StoreCheck()
        cutoff = time.time() - GRACE_SECONDS
        leftovers = self.objects.glob(f"{STAGED}*") if self.objects.is_dir() else iter(())
        for path in sorted([*leftovers, *self.objects.glob(f"{INCOMING}*")]):
            sha256 = path.name.removeprefix(STAGED)[:64]
            if path.name.startswith(STAGED) and sha256 in wanted and not self.exists(sha256):
                found.unplaced.append(sha256)
                if sweep:
                    self._place(path, sha256)
            elif path.stat().st_mtime < cutoff:
                found.leftovers.append(path.name)
                if sweep:
                    path.unlink()
        for sha256 in sorted(set(self.stored_hashes()) - wanted):
            path = self.path(sha256)
            if path.stat().st_mtime < cutoff:
                found.unreferenced.append(sha256)
                if sweep:
                    path.unlink()
        return found


@dataclass
class StoreCheck:
    """What `evidence store check` found (and, with --sweep, repaired)."""

    unreferenced: list[str] = field(default_factory=list)  # objects nothing refers to
    leftovers: list[str] = field(default_factory=list)  # staged or temporary files
    unplaced: list[str] = field(default_factory=list)  # committed, but never renamed in

    @property
    def clean(self) -> bool:
        return not (self.unreferenced or self.leftovers or self.unplaced)


@event.listens_for(Session, "after_commit")
def _place_staged_files(session: Session) -> None:
    for store, sha256, staged in session.info.pop(PENDING, []):
        if staged.exists():
            store._place(staged, sha256)


@event.listens_for(Session, "after_transaction_end")
def _drop_staged_files(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:  # a savepoint: the outer transaction decides
        return
    for _store, _sha256, staged in session.info.pop(PENDING, []):
        staged.unlink(missing_ok=True)


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def store_for(config: dict[str, object]) -> Store:
    """The store of an application (``app.config``)."""
    return Store(str(config["DATA_DIR"]))
