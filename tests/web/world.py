"""A world of records for walking every route: one of each kind a route can name."""

from __future__ import annotations

import io
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from evidence.accounts.services import create_user
from evidence.dossiers.services import output_file, queue_job
from evidence.drafts.services import save_draft
from evidence.exhibits.services import add_exhibit
from evidence.interchange.uploads import create_upload
from evidence.links.services import start_run
from evidence.store import store_for
from tests.factories import (
    make_case,
    make_incident,
    make_person,
    make_place,
    make_source,
    make_statement,
    make_unit,
    make_violation_type,
)
from tests.webclient import PASSWORD, make_users

SHEET = b"Title,When\nAt the gates,about August 2020\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(200)


def make_world(app: Flask, session: Session) -> dict[str, Any]:
    """One record of every kind a route can name, and the value of each route argument."""
    make_users(session)
    target = create_user(session, name="header-target", role="viewer", password=PASSWORD)
    source = make_source(session)
    incident = make_incident(session)
    case = make_case(session, incidents=[incident])
    exhibit = add_exhibit(
        session,
        store_for(app.config),
        io.BytesIO(PNG),
        filename="photo.png",
        by="documenter",
        incidents=[incident.key],
    )
    job = queue_job(session, case, "internal", "lawyer")
    job.state, job.output_path = "done", f"dossiers/{job.id}.pdf"
    pdf = output_file(app.config["DATA_DIR"], job)
    pdf.parent.mkdir(parents=True, exist_ok=True)
    pdf.write_bytes(b"%PDF-1.7\n%%EOF\n")
    upload = create_upload(
        session, filename="sheet.csv", data=SHEET, kind="incidents", by="documenter"
    )
    upload.mapping = {"title": "Title", "date": "When"}
    draft = save_draft(
        session, owner="documenter", form="incident", record_key=None, fields=[["title", "x"]]
    )
    keys = {
        "places": make_place(session).key,
        "units": make_unit(session).key,
        "persons": make_person(session).key,
        "sources": source.key,
        "links": source.key,
        "incidents": incident.key,
        "statements": make_statement(session).key,
        "cases": case.key,
        "violation_types": make_violation_type(session).key,
        "exhibits": exhibit.key,
    }
    run = start_run(session, "auditor")
    session.commit()
    return {
        "keys": keys,
        "user_id": target.id,
        "seq": 1,
        "case_key": case.key,
        "job_id": job.id,
        "upload_id": upload.id,
        "draft_id": draft.id,
        "capture_id": 1,
        "run_id": run.id,
        # someone else's session: ending it answers 404, and its headers are checked too
        "session_id": 1,
        "kind": "units",
        "filename": "css/app.css",
    }
