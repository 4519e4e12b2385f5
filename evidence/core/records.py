"""Records as canonical bytes: the form hashes are computed over, and batching of ids.

The evidence/1 form of each record (loaded by evidence.records.loading) is
hashed here for the audit log, `audit verify` and dossier manifests.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from json.encoder import encode_basestring
from typing import Any, TypeVar

Record = dict[str, Any]
CHUNK = 900


_CANONICAL_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(data: Any) -> bytes:
    """The byte form that hashes are computed over: sorted keys, no spaces, UTF-8."""
    # One encoder for every call: json.dumps with options builds a new one each time.
    return _CANONICAL_ENCODER.encode(data).encode()


def canonical_fields(record: Record) -> list[tuple[str, str]]:
    """A record's fields as (key, value) JSON texts in canonical order: joined as
    ``{k:v,...}`` they are its canonical JSON, and each value is encoded once however
    many documents it goes into (an audit entry's state and its changes)."""
    encode = _CANONICAL_ENCODER.encode
    return [(encode_basestring(key), encode(value)) for key, value in sorted(record.items())]


def record_hash(record: Record) -> str:
    return hashlib.sha256(canonical_json(record)).hexdigest()


T = TypeVar("T")
# Rows per executemany batch, so a large import never builds one huge statement.
BATCH = 5000


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most ``size`` items (CHUNK stays below bound-parameter limits)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
