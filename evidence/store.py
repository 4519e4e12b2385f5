"""The content-addressed file store: every file is kept under the SHA-256 of its bytes.

Layout: ``DATA_DIR/objects/ab/cd/abcd...`` (the hash's first two byte pairs as
folders, so no folder grows huge). A file is streamed into a temporary file in
the objects folder while it is hashed, then renamed into place in one atomic
step: a reader never sees half a file, and a failed or refused upload leaves
nothing behind. Names given by users never reach a path; only hashes do.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 1024 * 1024
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

    def put(self, stream: BinaryIO, max_bytes: int | None = None) -> Stored:
        """Stream ``stream`` into the store, hashing as it goes; TooLarge past ``max_bytes``."""
        self.objects.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        head = b""
        descriptor, temporary = tempfile.mkstemp(dir=self.objects, prefix=".incoming-")
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
            target = self.path(sha256)
            if target.exists():  # same bytes already held
                os.unlink(temporary)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                os.chmod(temporary, 0o444)  # fixity: nothing should ever write to it again
                os.replace(temporary, target)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise
        return Stored(sha256=sha256, size=size, head=head)

    def put_file(self, path: str | os.PathLike[str], max_bytes: int | None = None) -> Stored:
        with open(path, "rb") as stream:
            return self.put(stream, max_bytes)

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
