"""The content-addressed store: hash while streaming, atomic placement, limits, fixity."""

from __future__ import annotations

import hashlib
import io
import stat

import pytest

from evidence.store import Store, TooLarge, describe_size


def test_a_file_is_kept_under_its_hash_and_read_only(tmp_path):
    store = Store(tmp_path)
    data = b"x" * 3_000_000  # several chunks
    stored = store.put(io.BytesIO(data))
    sha = hashlib.sha256(data).hexdigest()
    assert (stored.sha256, stored.size, stored.head) == (sha, len(data), data[:8192])
    path = tmp_path / "objects" / sha[:2] / sha[2:4] / sha
    assert store.path(sha) == path and path.read_bytes() == data
    assert not stat.S_IMODE(path.stat().st_mode) & 0o222
    assert store.put(io.BytesIO(data)).sha256 == sha  # the same bytes twice: one file
    assert list(store.stored_hashes()) == [sha]
    assert [p.name for p in (tmp_path / "objects").iterdir()] == [sha[:2]]  # no temporary left


def test_a_file_past_the_limit_leaves_nothing(tmp_path):
    store = Store(tmp_path)
    with pytest.raises(TooLarge, match="larger than the limit of 1 KB"):
        store.put(io.BytesIO(b"y" * 1025), max_bytes=1024)
    assert list((tmp_path / "objects").iterdir()) == []
    assert store.put(io.BytesIO(b"y" * 1024), max_bytes=1024).size == 1024


def test_only_hashes_make_paths(tmp_path):
    with pytest.raises(ValueError, match="not a SHA-256"):
        Store(tmp_path).path("../../etc/passwd")


def test_verify_all_names_missing_and_altered_files(tmp_path):
    store = Store(tmp_path)
    kept = store.put(io.BytesIO(b"kept")).sha256
    altered = store.put(io.BytesIO(b"original")).sha256
    path = store.path(altered)
    path.chmod(0o644)
    path.write_bytes(b"tampered")
    missing = hashlib.sha256(b"gone").hexdigest()
    problems = store.verify_all({kept: ["exhibit a"], missing: ["exhibit b"]})
    assert {(p.sha256, p.problem) for p in problems} == {(altered, "altered"), (missing, "missing")}
    assert "missing: " + missing + " (exhibit b)" in [str(p) for p in problems]


@pytest.mark.parametrize(
    ("size", "words"),
    [
        (0, "0 bytes"),
        (1023, "1023 bytes"),
        (1024, "1 KB"),
        (2_478_000, "2.36 MB"),
        (50 * 1024**2, "50 MB"),
        (3 * 1024**3 + 1, "3 GB"),
    ],
)
def test_sizes_read_in_the_largest_unit_with_three_figures(size, words):
    assert describe_size(size) == words
