"""Uploading and serving exhibits through the web UI."""

from __future__ import annotations

import hashlib
import html
import io

import pytest
from sqlalchemy import select

from evidence.models import Exhibit
from evidence.store import Store
from tests.exhibits.test_services import PNG
from tests.factories import make_incident, make_statement
from tests.webclient import make_users, page_without_tokens, sign_in, without_csrf


def _client(app, session, role="documenter"):
    make_users(session)
    client = without_csrf(app).test_client()
    sign_in(client, role)
    return client


def _upload(client, data, name, **fields):
    return client.post(
        "/exhibits/new",
        data={"file": (io.BytesIO(data), name), **fields},
        content_type="multipart/form-data",
    )


def test_upload_detects_the_type_and_keeps_the_name_as_a_label(app, session):
    client = _client(app, session)
    incident = make_incident(session)
    session.commit()
    response = _upload(client, PNG, "../../etc/passwd", incident=incident.key, acquired_from="Aunt")
    assert response.status_code == 302
    exhibit = session.scalar(select(Exhibit))
    assert (exhibit.filename, exhibit.media_type) == ("../../etc/passwd", "image/png")
    page = client.get(response.location).get_data(as_text=True)
    assert "../../etc/passwd" in page and exhibit.sha256 in page and "uploaded" in page
    download = client.get(f"/exhibits/{exhibit.key}/download")
    assert download.data == PNG
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert f"{exhibit.key}.png" in download.headers["Content-Disposition"]
    assert "sandbox" in download.headers["Content-Security-Policy"].split("; ")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    listing = client.get("/exhibits/").get_data(as_text=True)
    assert exhibit.key in listing


def test_an_oversize_upload_is_refused_with_a_clear_message(app, session, tmp_path):
    app.config["MAX_UPLOAD_MB"] = 1
    client = _client(app, session)
    incident = make_incident(session)
    session.commit()
    response = _upload(client, b"a" * (1024 * 1024 + 10), "big.bin", incident=incident.key)
    assert response.status_code == 400
    assert "File: larger than the limit of 1 MB; nothing was stored" in response.get_data(
        as_text=True
    )
    app.config["MAX_CONTENT_LENGTH"] = 2 * 1024 * 1024
    response = _upload(client, b"a" * (3 * 1024 * 1024), "huge.bin", incident=incident.key)
    assert response.status_code == 413
    assert "larger than the limit of 1 MB" in response.get_data(as_text=True)
    assert session.scalars(select(Exhibit)).all() == []
    assert list(Store(app.config["DATA_DIR"]).stored_hashes()) == []


def test_upload_errors_name_the_field(app, session):
    client = _client(app, session)
    response = _upload(client, PNG, "a.png", incident="no-such-incident")
    assert response.status_code == 400
    assert 'Incident: no incident with key "no-such-incident"' in html.unescape(
        response.get_data(as_text=True)
    )
    response = _upload(client, PNG, "a.png")
    assert "link the exhibit to an incident, statement or source" in response.get_data(as_text=True)


def test_custody_and_verification_from_the_exhibit_page(app, session):
    client = _client(app, session)
    incident = make_incident(session)
    session.commit()
    location = _upload(client, PNG, "photo.png", incident=incident.key).location
    key = location.rsplit("/", 1)[1]
    response = client.post(
        f"/exhibits/{key}/custody", data={"action": "transferred", "note": "to counsel"}
    )
    assert response.status_code == 302
    assert client.post(f"/exhibits/{key}/verify").status_code == 403  # documenters do not audit
    auditor = without_csrf(app).test_client()
    sign_in(auditor, "auditor")
    assert auditor.post(f"/exhibits/{key}/verify").status_code == 302
    session.expire_all()
    exhibit = session.scalar(select(Exhibit).where(Exhibit.key == key))
    assert [e.action for e in exhibit.custody] == ["uploaded", "transferred", "verified"]
    assert exhibit.custody[-1].note == f"SHA-256 {hashlib.sha256(PNG).hexdigest()} matches"


@pytest.mark.parametrize("level", ["pseudonymous", "confidential"])
def test_exhibits_of_protected_statements_do_not_exist_for_viewers(app, session, level):
    # The file cannot be scrubbed: it may hold the witness's name, face or signature.
    from evidence.exhibits.services import add_exhibit

    statement = make_statement(session, protection=level)
    exhibit = add_exhibit(
        session,
        Store(app.config["DATA_DIR"]),
        io.BytesIO(PNG),
        filename="face.png",
        by="x",
        statements=[statement.key],
    )
    client = _client(app, session, role="viewer")
    missing = client.get("/exhibits/exhibit-000000000000")
    for url in (f"/exhibits/{exhibit.key}", f"/exhibits/{exhibit.key}/download"):
        hidden = client.get(url)
        assert hidden.status_code == 404, url
        assert page_without_tokens(hidden) == page_without_tokens(missing)
    assert exhibit.key not in client.get("/exhibits/").get_data(as_text=True)
    auditor = without_csrf(app).test_client()
    sign_in(auditor, "auditor")
    assert auditor.get(f"/exhibits/{exhibit.key}").status_code == 200


def _protected_exhibit(app, session, client):
    statement = make_statement(session, protection="pseudonymous", pseudonym="Witness R")
    session.commit()
    response = _upload(
        client, b"Signed: Pavel Kuzmich\n", "Kuzmich_signed.txt", statement=statement.key
    )
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    return session.scalar(select(Exhibit).where(Exhibit.filename == "Kuzmich_signed.txt"))


def test_a_redacted_copy_is_what_viewers_see(app, session):
    documenter = _client(app, session)
    original = _protected_exhibit(app, session, documenter)
    page = documenter.get(f"/exhibits/{original.key}").get_data(as_text=True)
    assert "Viewers do not see this file" in page
    response = documenter.post(
        f"/exhibits/{original.key}/redacted-copy",
        data={"file": (io.BytesIO(b"Signed: [removed]\n"), "redacted.txt")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    copy = session.scalar(select(Exhibit).where(Exhibit.redacts_id == original.id))
    assert copy.sha256 == hashlib.sha256(b"Signed: [removed]\n").hexdigest()
    # Both files keep their hash; the custody chain of each names the other.
    for exhibit in (original, copy):
        session.refresh(exhibit)
        note = exhibit.custody[-1].note
        assert exhibit.custody[-1].action == "redacted"
        assert original.sha256 in note and copy.sha256 in note
    assert copy.key in documenter.get(f"/exhibits/{original.key}").get_data(as_text=True)

    viewer = without_csrf(app).test_client()
    sign_in(viewer, "viewer")
    assert viewer.get(f"/exhibits/{original.key}").status_code == 404
    assert viewer.get(f"/exhibits/{original.key}/download").status_code == 404
    shown = viewer.get(f"/exhibits/{copy.key}").get_data(as_text=True)
    assert f"Exhibit {copy.id}" in shown
    assert "redacted.txt" not in shown and "Kuzmich" not in shown
    assert viewer.get(f"/exhibits/{copy.key}/download").data == b"Signed: [removed]\n"
    listing = viewer.get("/exhibits/").get_data(as_text=True)
    assert copy.key in listing and original.key not in listing


def test_a_redacted_copy_must_differ_and_there_is_only_one(app, session):
    documenter = _client(app, session)
    original = _protected_exhibit(app, session, documenter)

    def send(data):
        return documenter.post(
            f"/exhibits/{original.key}/redacted-copy",
            data={"file": (io.BytesIO(data), "copy.txt")},
            content_type="multipart/form-data",
        )

    same = send(b"Signed: Pavel Kuzmich\n")
    assert same.status_code == 400
    assert "Redacted copy: this is the original file itself" in html.unescape(
        same.get_data(as_text=True)
    )
    assert session.scalar(select(Exhibit).where(Exhibit.redacts_id == original.id)) is None
    assert send(b"Signed: [removed]\n").status_code == 302
    again = send(b"Signed: [gone]\n")
    assert again.status_code == 400
    assert "already has a redacted copy" in again.get_data(as_text=True)


def test_a_viewer_never_sees_an_exhibit_file_name(app, session):
    documenter = _client(app, session)
    incident = make_incident(session)
    session.commit()
    _upload(documenter, PNG, "Ivan_Petrov_face.png", incident=incident.key)
    exhibit = session.scalar(select(Exhibit))
    viewer = without_csrf(app).test_client()
    sign_in(viewer, "viewer")
    for url in ("/exhibits/", f"/exhibits/{exhibit.key}", f"/incidents/{incident.key}"):
        page = viewer.get(url).get_data(as_text=True)
        assert "Ivan_Petrov_face" not in page, url
    assert f"Exhibit {exhibit.id}" in viewer.get("/exhibits/").get_data(as_text=True)
    # Nor can a viewer probe file names through the filter.
    assert exhibit.key not in viewer.get("/exhibits/?q=Petrov").get_data(as_text=True)
    assert exhibit.key in documenter.get("/exhibits/?q=Petrov").get_data(as_text=True)
