"""`evidence dossier` and `evidence bundle` hold no write lock while they render.

Rendering a large case takes minutes; a command that kept its write transaction open
meanwhile would stop every other writer (web, import, workers) on SQLite. The snapshot
is taken in a short write transaction, and pages are laid out after it committed.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

import evidence.dossiers.render as dossier_render
from evidence import create_app
from evidence.config import config_for_tests
from evidence.migrate import upgrade
from tests.dossiers.test_dossiers import AT
from tests.generate import document


@pytest.fixture
def case_on_a_file(tmp_path: Path) -> tuple[object, Path]:
    """A CLI runner on an SQLite file of its own (no test transaction holding the lock)."""
    path = tmp_path / "evidence.sqlite"
    upgrade(f"sqlite:///{path}")
    runner = create_app(
        config_for_tests(f"sqlite:///{path}", str(tmp_path / "data"))
    ).test_cli_runner()
    source = tmp_path / "case.json"
    source.write_text(json.dumps(document(incidents=6, with_exhibits=False)))
    assert runner.invoke(args=["import", str(source), "--as", "tester"]).exit_code == 0
    return runner, path


def commit_elsewhere(path: Path) -> None:
    """Another writer: takes the write lock and commits, or fails within a second."""
    other = sqlite3.connect(path, timeout=1.0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("UPDATE cases SET title = title || ' (renamed meanwhile)'")
        other.execute("COMMIT")
    finally:
        other.close()


@pytest.mark.parametrize("command", ["dossier", "bundle"])
def test_another_writer_commits_while_the_cli_renders(
    case_on_a_file, tmp_path, monkeypatch, command
):
    runner, path = case_on_a_file
    render_pdfs = dossier_render.render_pdfs

    # Runs in the command's renderer, a process of its own: what it did shows in the database.
    def render_while_someone_writes(*args, **kwargs):
        commit_elsewhere(path)  # raises "database is locked" if the CLI held the lock
        return render_pdfs(*args, **kwargs)

    monkeypatch.setattr(dossier_render, "render_pdfs", render_while_someone_writes)
    case_key = sqlite3.connect(path).execute("SELECT key FROM cases").fetchone()[0]
    output = tmp_path / ("out.pdf" if command == "dossier" else "bag")
    result = runner.invoke(
        args=[command, case_key, "--audience", "public", "--generated-at", AT, "--workers", "1"]
        + ["-o", str(output)]
    )
    assert result.exit_code == 0, result.output
    assert output.exists()
    title = sqlite3.connect(path).execute("SELECT title FROM cases").fetchone()[0]
    assert title.endswith("(renamed meanwhile)")
