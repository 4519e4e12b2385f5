"""Exhibits: stored by hash, typed by content, named only as metadata, custody appended."""

from __future__ import annotations

import hashlib
import io

import pytest
from sqlalchemy import select

from evidence.audit.models import AuditEntry
from evidence.core.validation import ValidationError
from evidence.exhibits.services import (
    add_custody_event,
    add_exhibit,
    detect_media_type,
    fixity_problems,
    load_exhibit,
    verify_exhibit,
)
from evidence.models import Exhibit
from evidence.store import Store
from tests.factories import make_incident, make_source, make_statement

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(200)
PDF = b"%PDF-1.7\n" + b"1 0 obj\n<<>>\nendobj\n" * 20


def _add(session, store, data, **fields):
    fields.setdefault("filename", "file.bin")
    fields.setdefault("by", "documenter")
    return add_exhibit(session, store, io.BytesIO(data), **fields)


def test_type_comes_from_the_content_not_the_name(session, tmp_path):
    incident = make_incident(session)
    exhibit = _add(session, Store(tmp_path), PNG, filename="report.pdf", incidents=[incident.key])
    assert (exhibit.media_type, exhibit.filename) == ("image/png", "report.pdf")
    assert detect_media_type(PDF) == "application/pdf"
    assert detect_media_type("Свидетельство\n".encode()) == "text/plain"
    assert detect_media_type(bytes(range(256))) == "application/octet-stream"


def test_a_path_traversal_name_is_only_a_label(session, tmp_path):
    store = Store(tmp_path / "data")
    exhibit = _add(
        session, store, PDF, filename="../../etc/passwd", incidents=[make_incident(session)]
    )
    session.commit()
    sha = hashlib.sha256(PDF).hexdigest()
    assert exhibit.filename == "../../etc/passwd" and exhibit.sha256 == sha
    assert exhibit.key == f"exhibit-{sha[:12]}"
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert files == [tmp_path / "data" / "objects" / sha[:2] / sha[2:4] / sha]
    assert not (tmp_path / "etc").exists()


def test_an_oversize_file_is_refused_and_nothing_is_kept(session, tmp_path):
    incident = make_incident(session)
    with pytest.raises(ValidationError) as refused:
        _add(session, Store(tmp_path), b"z" * 2048, incidents=[incident], max_bytes=1024)
    assert refused.value.errors == {"file": "larger than the limit of 1 KB; nothing was stored"}
    assert not list((tmp_path / "objects").glob("??/??/*"))
    assert session.scalars(select(Exhibit)).all() == []


def test_bad_links_are_refused_before_anything_is_stored(session, tmp_path):
    with pytest.raises(ValidationError) as refused:
        _add(session, Store(tmp_path), PDF, incidents=["no-such-incident"], acquired="yesterday")
    assert refused.value.errors["incidents"] == 'no incident with key "no-such-incident"'
    assert "acquired" in refused.value.errors
    with pytest.raises(ValidationError, match="link the exhibit"):
        _add(session, Store(tmp_path), PDF)
    assert not (tmp_path / "objects").exists() or not list((tmp_path / "objects").glob("??/??/*"))


def test_links_and_custody_events_are_recorded_and_appended(session, tmp_path):
    store = Store(tmp_path)
    incident, source = make_incident(session), make_source(session)
    statement = make_statement(session)
    exhibit = _add(
        session,
        store,
        PDF,
        incidents=[incident.key],
        statements=[statement.key],
        sources=[source.key],
        acquired="2020-08-11",
        acquired_from="a witness's relative",
        acquired_how="handed over on a USB stick",
    )
    detail = load_exhibit(session, exhibit.key)
    assert (detail.incidents, detail.statements, detail.sources) == (
        [incident],
        [statement],
        [source],
    )
    assert [e.action for e in exhibit.custody] == ["acquired", "uploaded"]
    assert exhibit.custody[0].note == (
        "from a witness's relative; on 2020-08-11; handed over on a USB stick"
    )
    assert "detected application/pdf" in exhibit.custody[1].note
    session.commit()  # the file takes its place in the store
    add_custody_event(session, exhibit, action="transferred", by="lawyer", note="to counsel")
    assert verify_exhibit(session, store, exhibit, by="auditor") is None
    session.commit()
    assert [(e.action, e.position) for e in exhibit.custody] == [
        ("acquired", 0),
        ("uploaded", 1),
        ("transferred", 2),
        ("verified", 3),
    ]
    with pytest.raises(ValidationError, match="action must be one of"):
        add_custody_event(session, exhibit, action="destroyed", by="x")
    entries = session.scalars(select(AuditEntry).where(AuditEntry.entity == "exhibit")).all()
    assert entries and entries[-1].state["custody"][-1]["action"] == "verified"


def test_fixity_names_missing_and_altered_files(session, tmp_path):
    store = Store(tmp_path)
    incident = make_incident(session)
    intact = _add(session, store, PDF, incidents=[incident])
    altered = _add(session, store, PNG, incidents=[incident])
    gone = _add(session, store, b"statement text", incidents=[incident])
    session.commit()
    store.path(altered.sha256).chmod(0o644)
    store.path(altered.sha256).write_bytes(b"edited")
    store.path(gone.sha256).unlink()
    problems = {(p.problem, p.owners) for p in fixity_problems(session, store)}
    assert problems == {
        ("altered", (f"exhibit {altered.key}",)),
        ("missing", (f"exhibit {gone.key}",)),
    }
    assert verify_exhibit(session, store, gone, by="auditor") == "missing"
    assert gone.custody[-1].note == "FAILED: file missing"
    assert store.check(intact.sha256) is None
