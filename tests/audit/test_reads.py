"""Sensitive reads in the audit log: who took which dossier, file or export out, and when.

Each read is one entry on a chain of its own, with the record keys, the audience and
the file's hash, and never a protected witness's name; the chain is covered by
`audit verify`, and keeping it apart leaves dossiers of the same data byte-identical.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from evidence.audit.models import AuditAnchor, AuditEntry, AuditRead
from evidence.audit.verify import verify
from evidence.exhibits.services import add_exhibit
from evidence.links.models import Capture
from evidence.store import Store
from tests.audit.tsa import serve_tsa
from tests.factories import (
    citation,
    make_case,
    make_incident,
    make_person,
    make_source,
    make_statement,
)
from tests.links.site import Site, allowing_local_fetches, serve_site
from tests.webclient import make_users, sign_in, without_csrf

WITNESS = "Aliaksandr Hrybouski"
AT = "2026-02-03T04:05:06Z"


@pytest.fixture
def case(app, session):
    """A case whose incident cites a captured web source, carries an exhibit, and has a
    statement of a pseudonymous witness (whose name must never reach the log)."""
    make_users(session)
    store = Store(app.config["DATA_DIR"])
    source = make_source(session, key="yard-report", title="Yard report", url="https://ex.org/r")
    incident = make_incident(
        session, key="yard-beating", title="Beating at the yard", citations=[citation(source)]
    )
    witness = make_person(session, name=WITNESS)
    make_statement(
        session,
        key="yard-account",
        witness=witness,
        protection="pseudonymous",
        pseudonym="Witness Y",
        text=f"I, {WITNESS}, saw the beating.",
        incidents=[{"incident": incident}],
    )
    exhibit = add_exhibit(
        session, store, io.BytesIO(b"medical certificate"), filename="certificate.txt",
        by="documenter", incidents=[incident],
    )  # fmt: skip
    warc = store.put(io.BytesIO(b"WARC/1.1 captured page"))
    session.add(
        Capture(
            source_id=source.id, captured_by="tester", url=source.url, final_url=source.url,
            status_code=200, sha256=warc.sha256, size=warc.size, body_sha256="0" * 64,
            content_type="text/html",
        )
    )  # fmt: skip
    made = make_case(session, key="yard-case", title="Yard case", incidents=[incident])
    session.commit()
    return Taken(made.key, exhibit.key)


@dataclass(frozen=True)
class Taken:
    key: str  # the case's
    exhibit: str


def reads(session) -> list[AuditRead]:
    session.expire_all()
    return list(session.scalars(select(AuditRead).order_by(AuditRead.seq)))


def only_new_read(session, before: int, action: str) -> AuditRead:
    """The one entry written since ``before`` entries, checked to name no protected witness."""
    new = reads(session)[before:]
    assert [entry.action for entry in new] == [action]
    entry = new[0]
    row = json.dumps([entry.actor, entry.entity, entry.record_key, entry.what, entry.detail])
    for word in WITNESS.split():
        assert word not in row
    return entry


def client_of(app, role: str):
    client = without_csrf(app).test_client()
    sign_in(client, role)
    return client


def test_web_dossier_generated_and_downloaded(app, session, case):
    lawyer = client_of(app, "lawyer")
    lawyer.post(f"/cases/{case.key}/dossiers", data={"audience": "counsel"})
    [job] = lawyer.get(f"/cases/{case.key}/dossiers/jobs").get_json()
    generated = only_new_read(session, 0, "dossier-generated")
    assert (generated.actor, generated.entity, generated.record_key) == (
        "lawyer",
        "case",
        "yard-case",
    )
    assert generated.what["audience"] == "counsel"
    assert generated.what["sha256"] == job["sha256"]
    assert generated.what["job"] == job["id"]
    assert {"yard-case", "yard-beating", "yard-account", "yard-report"} <= set(
        generated.what["keys"]
    )

    pdf = lawyer.get(job["download_url"])
    assert pdf.status_code == 200
    downloaded = only_new_read(session, 1, "dossier-downloaded")
    assert (downloaded.actor, downloaded.record_key) == ("lawyer", "yard-case")
    assert downloaded.what["sha256"] == hashlib.sha256(pdf.data).hexdigest()
    assert downloaded.what["audience"] == "counsel"
    sealed = lawyer.get(job["sealed_download_url"])
    assert sealed.status_code == 200
    taken = only_new_read(session, 2, "sealed-annex-downloaded")
    assert (taken.actor, taken.record_key) == ("lawyer", "yard-case")
    assert taken.what["sha256"] == hashlib.sha256(sealed.data).hexdigest()

    other = client_of(app, "viewer")
    assert other.get(job["download_url"]).status_code == 403
    assert other.get(job["sealed_download_url"]).status_code == 403
    assert len(reads(session)) == 3  # a refused download takes nothing out


def test_exhibit_and_capture_downloads(app, session, case):
    documenter = client_of(app, "documenter")
    response = documenter.get(f"/exhibits/{case.exhibit}/download")
    assert response.status_code == 200
    exhibit = only_new_read(session, 0, "exhibit-downloaded")
    assert (exhibit.actor, exhibit.entity, exhibit.record_key) == (
        "documenter",
        "exhibit",
        case.exhibit,
    )
    assert exhibit.what["sha256"] == hashlib.sha256(response.data).hexdigest()
    assert exhibit.what["audience"] == "internal"

    capture_id = session.scalar(select(Capture.id))
    viewer = client_of(app, "auditor")
    assert viewer.get(f"/links/captures/{capture_id}.warc.gz").status_code == 200
    warc = only_new_read(session, 1, "capture-downloaded")
    assert (warc.entity, warc.record_key, warc.what["capture"]) == (
        "source",
        "yard-report",
        capture_id,
    )
    assert warc.what["form"] == "warc"
    assert viewer.get("/links/captures/999.warc.gz").status_code == 404
    assert len(reads(session)) == 2


def test_cli_export_and_bundle(runner, session, case, tmp_path):
    output = tmp_path / "export.json"
    result = runner.invoke(
        args=[
            "export",
            "--case",
            case.key,
            "--audience",
            "public",
            "-o",
            str(output),
            "--as",
            "ana",
        ]
    )
    assert result.exit_code == 0, result.output
    export = only_new_read(session, 0, "export")
    assert (export.actor, export.entity, export.record_key) == ("ana", "case", "yard-case")
    assert export.what["audience"] == "public"
    assert export.what["sha256"] == hashlib.sha256(output.read_bytes()).hexdigest()

    bag = tmp_path / "bag"
    result = runner.invoke(
        args=["bundle", case.key, "--audience", "counsel", "-o", str(bag), "--generated-at", AT,
              "--as", "ana", "--workers", "1"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    bundle = only_new_read(session, 1, "bundle-written")
    assert (bundle.actor, bundle.record_key, bundle.what["audience"]) == (
        "ana",
        "yard-case",
        "counsel",
    )
    pdf = (bag / "data" / "dossier.pdf").read_bytes()
    assert bundle.what["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert (bundle.what["exhibits"], bundle.what["captures"]) == (1, 1)


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with serve_site() as running, allowing_local_fetches(running):
        yield running


def test_a_link_check_run_from_the_web(app, session, site):
    make_users(session)
    make_source(session, key="web-ok", title="Good page", url=site.url("/ok"))
    session.commit()
    auditor = client_of(app, "auditor")
    assert auditor.post("/links/check").status_code == 302
    run = only_new_read(session, 0, "link-check")
    assert run.actor == "auditor"
    assert (run.what["checked"], run.what["problems"]) == (1, 0)


def dossier(runner, case, output: Path) -> bytes:
    result = runner.invoke(
        args=["dossier", case.key, "--audience", "counsel", "-o", str(output),
              "--generated-at", AT, "--workers", "1"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return output.read_bytes()


def test_taking_dossiers_out_leaves_the_next_one_byte_identical(
    app, runner, session, case, tmp_path
):
    first = dossier(runner, case, tmp_path / "first.pdf")
    lawyer = client_of(app, "lawyer")
    lawyer.post(f"/cases/{case.key}/dossiers", data={"audience": "counsel"})
    [job] = lawyer.get(f"/cases/{case.key}/dossiers/jobs").get_json()
    assert lawyer.get(job["download_url"]).status_code == 200
    assert client_of(app, "documenter").get(f"/exhibits/{case.exhibit}/download").status_code == 200
    assert len(reads(session)) == 4
    assert dossier(runner, case, tmp_path / "second.pdf") == first


def test_verify_covers_the_chain_of_reads(app, session, case):
    documenter = client_of(app, "documenter")
    for _ in range(3):
        documenter.get(f"/exhibits/{case.exhibit}/download")
    report = verify(session)
    assert report.ok, report.problems
    assert report.reads_checked == 3

    session.execute(text("UPDATE audit_reads SET actor = 'someone-else' WHERE seq = 2"))
    problems = verify(session).problems
    assert problems == [
        f"read entry #2 (exhibit-downloaded exhibit {case.exhibit}) was altered:"
        " its hash does not match its content"
    ]


def test_cutting_the_last_read_and_forging_the_head_is_caught_by_the_seal(app, session, case):
    documenter = client_of(app, "documenter")
    for _ in range(2):
        documenter.get(f"/exhibits/{case.exhibit}/download")
    session.execute(text("DELETE FROM audit_reads WHERE seq = 2"))
    session.execute(
        text(
            "UPDATE audit_reads_head SET seq = 1, entries = 1,"
            " entry_hash = (SELECT entry_hash FROM audit_reads WHERE seq = 1)"
        )
    )
    problems = verify(session).problems
    assert len(problems) == 1 and problems[0].startswith("the read head's seal does not match")


def test_reads_never_enter_the_chain_of_changes(app, session, case):
    changes = session.scalar(select(func.count()).select_from(AuditEntry))
    client_of(app, "documenter").get(f"/exhibits/{case.exhibit}/download")
    # the sign-in is a change-chain (security) event; the download is not
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == changes + 1
    assert [entry.action for entry in reads(session)] == ["exhibit-downloaded"]


@pytest.fixture(scope="module")
def tsa(tmp_path_factory):
    with serve_tsa(tmp_path_factory.mktemp("tsa")) as running:
        yield running


def test_anchor_stamps_both_heads_and_a_rewritten_read_breaks_its_anchor(
    app, runner, session, case, tsa
):
    client_of(app, "documenter").get(f"/exhibits/{case.exhibit}/download")
    result = runner.invoke(args=["audit", "anchor", "--tsa", tsa.url])
    assert result.exit_code == 0, result.output
    assert f"Anchored read entry #1 at {tsa.url}" in result.output
    chains = sorted(row.chain for row in session.scalars(select(AuditAnchor)))
    assert chains == ["changes", "reads"]
    app.config["TSA_CA_FILE"] = str(tsa.root_file)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "2 time-stamp anchors hold" in result.output

    # A consistent rewrite of the only read (new hash, head moved to match) is caught by
    # the anchor, which a database administrator cannot forge.
    session.execute(text("UPDATE audit_reads SET entry_hash = :h"), {"h": "f" * 64})
    session.execute(text("UPDATE audit_reads_head SET entry_hash = :h"), {"h": "f" * 64})
    problems = verify(session).problems
    assert any(
        problem.startswith("the anchor of read entry #1") and "rewritten" in problem
        for problem in problems
    ), problems


def test_the_review_filters_by_kind_and_record_pages_show_what_was_taken_out(app, session, case):
    lawyer = client_of(app, "lawyer")
    lawyer.post(f"/cases/{case.key}/dossiers", data={"audience": "public"})
    [job] = lawyer.get(f"/cases/{case.key}/dossiers/jobs").get_json()
    lawyer.get(job["download_url"])
    auditor = client_of(app, "auditor")

    def listed(kind: str) -> str:
        return auditor.get(f"/audit/?kind={kind}").get_data(as_text=True)

    reads_page, changes_page, security_page = listed("reads"), listed("changes"), listed("security")
    assert "dossier downloaded" in reads_page and "dossier generated" in reads_page
    assert "signed in" not in reads_page and "yard-beating" not in reads_page
    assert "yard-beating" in changes_page and "dossier downloaded" not in changes_page
    assert "signed in" in security_page and "yard-beating" not in security_page
    everything = auditor.get("/audit/").get_data(as_text=True)
    assert all(word in everything for word in ("dossier downloaded", "yard-beating", "signed in"))

    read = reads(session)[-1]
    entry_page = auditor.get(f"/audit/reads/{read.seq}").get_data(as_text=True)
    assert read.what["sha256"] in entry_page and "public" in entry_page
    assert auditor.get("/audit/reads/999").status_code == 404
    assert client_of(app, "viewer").get(f"/audit/reads/{read.seq}").status_code == 403

    case_page = lawyer.get(f"/cases/{case.key}").get_data(as_text=True)
    history = case_page[case_page.index('class="history"') :]
    assert "taken out" in history and "dossier downloaded" in history
