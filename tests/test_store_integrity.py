"""No orphan in the file store on any failure path, and `evidence store check` for the rest."""

from __future__ import annotations

import io
import json
import os
import time
from pathlib import Path

from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from evidence.exhibits.services import add_exhibit
from evidence.models import Exhibit, ViolationType
from evidence.store import GRACE_SECONDS, Store, store_for
from tests.factories import make_incident
from tests.webclient import make_users, sign_in, without_csrf

PDF = b"%PDF-1.7\n" + b"1 0 obj\n<<>>\nendobj\n" * 20


def _files(store: Store) -> list[str]:
    return sorted(p.name for p in store.objects.rglob("*") if p.is_file())


def _age(path: Path) -> None:
    old = time.time() - GRACE_SECONDS - 60
    os.utime(path, (old, old))


def test_an_empty_upload_leaves_no_object(app, session):
    make_users(session)
    incident = make_incident(session)
    session.commit()
    client = without_csrf(app).test_client()
    sign_in(client, "documenter")
    response = client.post(
        "/exhibits/new",
        data={"file": (io.BytesIO(b""), "empty.pdf"), "incident": incident.key},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400 and "the file is empty" in response.get_data(as_text=True)
    assert _files(store_for(app.config)) == []
    assert session.scalar(select(func.count()).select_from(Exhibit)) == 0


def test_an_upload_whose_transaction_rolls_back_leaves_no_object(session, tmp_path):
    store = Store(tmp_path)
    incident = make_incident(session)
    add_exhibit(session, store, io.BytesIO(PDF), filename="a.pdf", by="x", incidents=[incident])
    assert [name[:8] for name in _files(store)] == [".staged-"]  # waiting for the commit
    session.rollback()
    assert _files(store) == []


def test_a_committed_upload_takes_its_place(session, tmp_path):
    store = Store(tmp_path)
    incident = make_incident(session)
    exhibit = add_exhibit(
        session, store, io.BytesIO(PDF), filename="a.pdf", by="x", incidents=[incident]
    )
    session.commit()
    assert _files(store) == [exhibit.sha256] and store.check(exhibit.sha256) is None


def test_store_check_finds_and_sweeps_what_the_database_does_not_know(app, session, runner):
    store = store_for(app.config)
    incident = make_incident(session)
    kept = add_exhibit(
        session, store, io.BytesIO(PDF), filename="a.pdf", by="x", incidents=[incident]
    )
    session.commit()
    assert runner.invoke(args=["store", "check"]).exit_code == 0
    orphan = store.put(io.BytesIO(b"nobody refers to me"))
    leftover = store.objects / ".incoming-abc123"
    leftover.write_bytes(b"half an upload")
    young = store.put(io.BytesIO(b"an upload whose transaction is still running"))
    for path in (store.path(orphan.sha256), leftover):
        _age(path)

    found = runner.invoke(args=["store", "check"])
    assert found.exit_code == 1
    assert f"found: unreferenced object {orphan.sha256}" in found.output
    assert "found: left-over file .incoming-abc123" in found.output
    assert young.sha256 not in found.output  # within the grace period
    assert store.exists(orphan.sha256) and leftover.exists()  # only reported

    swept = runner.invoke(args=["store", "check", "--sweep"])
    assert swept.exit_code == 0 and f"swept: unreferenced object {orphan.sha256}" in swept.output
    assert not store.exists(orphan.sha256) and not leftover.exists()
    assert store.exists(kept.sha256) and store.exists(young.sha256)


def test_store_check_completes_a_rename_interrupted_after_the_commit(app, session, runner):
    store = store_for(app.config)
    incident = make_incident(session)
    exhibit = add_exhibit(
        session, store, io.BytesIO(PDF), filename="a.pdf", by="x", incidents=[incident]
    )
    staged = next(store.objects.glob(".staged-*"))
    interrupted = staged.with_name(staged.name + "-copy")
    os.link(staged, interrupted)  # what a crash between the commit and the rename leaves
    session.commit()
    store.path(exhibit.sha256).unlink()
    assert runner.invoke(args=["store", "check"]).exit_code == 1
    swept = runner.invoke(args=["store", "check", "--sweep"])
    assert f"swept: committed file {exhibit.sha256} put in place" in swept.output
    assert store.check(exhibit.sha256) is None


def test_import_reports_created_only_after_the_commit(session, runner, tmp_path):
    path = tmp_path / "one.json"
    path.write_text(
        json.dumps(
            {
                "format": "evidence/1",
                "violation_types": [{"key": "beating", "label": "Beating", "description": None}],
            }
        )
    )

    def disk_full(_session: Session) -> None:
        raise OperationalError("COMMIT", {}, Exception("database or disk is full"))

    event.listen(Session, "before_commit", disk_full)
    try:
        failed = runner.invoke(args=["import", str(path)])
    finally:
        event.remove(Session, "before_commit", disk_full)
    assert failed.exit_code == 1
    assert "Created" not in failed.output
    assert "did not accept the changes (database or disk is full); nothing was written" in (
        failed.output
    )
    assert session.scalar(select(func.count()).select_from(ViolationType)) == 0
    succeeded = runner.invoke(args=["import", str(path)])
    assert succeeded.exit_code == 0 and "Created" in succeeded.output
