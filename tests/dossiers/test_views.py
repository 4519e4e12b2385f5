"""Exporting from the browser: queue, poll, download; only the requester sees a job."""

from __future__ import annotations

import io

from pypdf import PdfReader

from evidence.dossiers.models import DossierJob
from tests.factories import make_case, make_incident
from tests.webclient import make_users, sign_in, without_csrf


def test_a_lawyer_exports_polls_and_downloads_and_nobody_else_can(app, session):
    make_users(session)
    from evidence.accounts.services import create_user
    from tests.webclient import PASSWORD

    create_user(session, name="other-lawyer", role="lawyer", password=PASSWORD)
    case = make_case(session, title="Web case", incidents=[make_incident(session)])
    session.commit()
    client = without_csrf(app).test_client()
    sign_in(client, "lawyer")

    response = client.post(f"/cases/{case.key}/dossiers", data={"audience": "counsel"})
    assert response.status_code == 302
    jobs = client.get(f"/cases/{case.key}/dossiers/jobs").get_json()
    assert [(j["audience"], j["state"], j["progress"]) for j in jobs] == [("counsel", "done", 100)]
    status = client.get(f"/dossiers/jobs/{jobs[0]['id']}").get_json()
    assert (status["state"], status["percent"]) == ("done", 100)
    assert status["queued_at"] <= status["started_at"] <= status["finished_at"]
    assert status["elapsed_seconds"] >= 0 and status["status_url"].endswith(str(jobs[0]["id"]))
    pdf = client.get(status["download_url"])
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert "COUNSEL ONLY" in PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()
    sealed = client.get(status["sealed_download_url"])
    assert sealed.status_code == 200 and sealed.mimetype == "application/pdf"
    assert "UNDER SEAL" in PdfReader(io.BytesIO(sealed.data)).pages[0].extract_text()
    assert client.get(f"/cases/{case.key}/dossiers").status_code == 200

    other = without_csrf(app).test_client()
    sign_in(other, "other-lawyer")
    assert other.get(status["download_url"]).status_code == 404
    assert other.get(status["sealed_download_url"]).status_code == 404
    assert other.get(f"/dossiers/jobs/{jobs[0]['id']}").status_code == 404
    assert other.get(f"/cases/{case.key}/dossiers/jobs").get_json() == []
    viewer = without_csrf(app).test_client()
    sign_in(viewer, "viewer")
    assert viewer.get(status["download_url"]).status_code == 403
    assert viewer.get(status["sealed_download_url"]).status_code == 403


def test_only_a_counsel_dossier_has_a_sealed_annex_to_download(app, session):
    make_users(session)
    case = make_case(session, title="Public case", incidents=[make_incident(session)])
    session.commit()
    client = without_csrf(app).test_client()
    sign_in(client, "lawyer")
    client.post(f"/cases/{case.key}/dossiers", data={"audience": "public"})
    [job] = client.get(f"/cases/{case.key}/dossiers/jobs").get_json()
    assert job["state"] == "done" and job["sealed_download_url"] is None
    assert client.get(f"/dossiers/jobs/{job['id']}/sealed").status_code == 404


def test_an_unknown_audience_is_refused_with_a_message(app, session):
    make_users(session)
    case = make_case(session)
    session.commit()
    client = without_csrf(app).test_client()
    sign_in(client, "lawyer")
    response = client.post(f"/cases/{case.key}/dossiers", data={"audience": "press"})
    assert response.status_code == 302
    assert session.query(DossierJob).count() == 0


def test_the_export_form_chooses_the_dossiers_language(app, session):
    make_users(session)
    case = make_case(session, title="Справа", incidents=[make_incident(session)])
    session.commit()
    client = without_csrf(app).test_client()
    sign_in(client, "lawyer")
    client.post("/language", data={"language": "ru", "next": "/"})
    form = client.get(f"/cases/{case.key}").get_data(as_text=True)
    assert '<option value="ru" lang="ru" selected>' in form  # the page's language first

    client.post(f"/cases/{case.key}/dossiers", data={"audience": "public", "language": "be"})
    [job] = client.get(f"/cases/{case.key}/dossiers/jobs").get_json()
    assert job["language"] == "be" and job["label"].endswith("Беларуская: готово")
    pdf = client.get(job["download_url"]).data
    assert "ПУБЛІЧНАЯ ВЕРСІЯ" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    refused = client.post(
        f"/cases/{case.key}/dossiers", data={"audience": "public", "language": "de"}
    )
    assert refused.status_code == 302
    assert session.query(DossierJob).count() == 1
