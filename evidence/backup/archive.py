"""The backup archive: a gzip-compressed tar stream, written and read member by member.

Members, in this order: ``backup.json`` (what was backed up), ``tables/<table>/
<batch>.jsonl`` (rows, in foreign-key order), ``files/<path under the data
directory>`` and last ``manifest.json``: the SHA-256 and size of every other
member. Nothing is ever held whole in memory but one batch of rows.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import tarfile
import time
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from evidence.backup.encryption import BackupDamaged

HEADER = "backup.json"
MANIFEST = "manifest.json"
CHUNK = 1024 * 1024
BLOCK = tarfile.BLOCKSIZE
COMPRESSION_LEVEL = 3  # JSON lines shrink 5-10 times already; higher levels cost CPU, not size
# A member's name: one of the two JSON files, a batch of a table, or a safe relative path.
# No path part may start with a dot, so neither ".." nor hidden files can appear.
MEMBER_NAME = re.compile(
    r"^(backup\.json|manifest\.json|tables/[a-z0-9_]+/[0-9]{6}\.jsonl"
    r"|files/(?:[^/\x00.][^/\x00]*/)*[^/\x00.][^/\x00]*)$"
)


@dataclass(frozen=True)
class Entry:
    sha256: str
    size: int


class ArchiveWriter:
    """Yields the compressed archive in chunks and remembers every member's hash."""

    def __init__(self) -> None:
        self.members: dict[str, Entry] = {}
        self._compressor = zlib.compressobj(COMPRESSION_LEVEL, wbits=31)  # 31: gzip framing
        self._written = 0
        self._mtime = int(time.time())

    def add_bytes(self, name: str, data: bytes) -> Iterator[bytes]:
        yield from self._add(name, len(data), [data], mode=0o600)

    def add_file(self, name: str, path: Path) -> Iterator[bytes]:
        status = path.stat()
        with path.open("rb") as stream:
            yield from self._add(
                name, status.st_size, iter(lambda: stream.read(CHUNK), b""), status.st_mode & 0o777
            )

    def finish(self, manifest: dict[str, Any]) -> Iterator[bytes]:
        """The manifest member, the end-of-archive blocks and the end of the gzip stream."""
        entries = {name: {"sha256": e.sha256, "size": e.size} for name, e in self.members.items()}
        data = json.dumps({**manifest, "members": entries}, indent=1).encode()
        yield from self.add_bytes(MANIFEST, data)
        end = b"\0" * (2 * BLOCK)
        padding = -(self._written + len(end)) % tarfile.RECORDSIZE
        yield from self._raw(end + b"\0" * padding)
        yield self._compressor.flush()

    def _add(self, name: str, size: int, chunks: Iterable[bytes], mode: int) -> Iterator[bytes]:
        if not MEMBER_NAME.match(name) or name in self.members:
            raise ValueError(f"not a fitting member name: {name!r}")
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime = size, mode, self._mtime
        yield from self._raw(info.tobuf(format=tarfile.PAX_FORMAT))
        digest, written = hashlib.sha256(), 0
        for chunk in chunks:
            digest.update(chunk)
            written += len(chunk)
            yield from self._raw(chunk)
        if written != size:
            raise BackupDamaged(
                f"{name}: changed while it was backed up ({size} -> {written} bytes)"
            )
        yield from self._raw(b"\0" * (-size % BLOCK))
        self.members[name] = Entry(digest.hexdigest(), size)

    def _raw(self, data: bytes) -> Iterator[bytes]:
        self._written += len(data)
        compressed = self._compressor.compress(data)
        if compressed:
            yield compressed


class ChunkReader(io.RawIOBase):
    """A readable stream over an iterator of byte chunks (what pyrage and copyfileobj pull)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            self._pending = next(self._chunks, b"")
            if not self._pending:
                return 0
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


class HashingReader:
    """Reads a member while hashing it; ``sha256`` and ``size`` are final once it is read."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self._digest.update(data)
        self.size += len(data)
        return data

    def drain(self) -> None:
        while self.read(CHUNK):
            pass

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()


@dataclass
class Member:
    name: str
    mode: int
    reader: HashingReader


def members(plaintext: BinaryIO) -> Iterator[Member]:
    """Each member of the archive in order, with a hashing reader of its bytes.

    The caller reads what it needs; the rest is read (and hashed) before the next
    member. BackupDamaged for anything but regular members with expected names.
    """
    current = "the start of the archive"
    try:
        with tarfile.open(fileobj=plaintext, mode="r|gz") as archive:
            for info in archive:
                current = info.name
                if not info.isreg() or not MEMBER_NAME.match(info.name):
                    raise BackupDamaged(f"{info.name}: not a member an evidence backup holds")
                extracted = archive.extractfile(info)
                assert extracted is not None  # a regular member always has a stream
                member = Member(info.name, info.mode, HashingReader(extracted))
                yield member
                member.reader.drain()
    except (tarfile.TarError, EOFError, OSError, zlib.error) as error:
        raise BackupDamaged(f"{current}: the archive is damaged or cut short ({error})") from None
