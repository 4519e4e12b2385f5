"""Dossier PDFs read back: protection per audience, verification, identical bytes, safe fetching."""

from __future__ import annotations

import io
import json
import re
import tempfile
import threading
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import event
from sqlalchemy.engine import Engine
from weasyprint import HTML

from evidence.core.records import record_hash
from evidence.dossiers import render as render_module
from evidence.dossiers.layout import RefusedURL, ReportFetcher
from evidence.dossiers.manifest import read_manifest, verify
from evidence.dossiers.render import Renderer, RenderError, plan
from evidence.dossiers.services import (
    generate_dossier,
    render_dossier,
    set_statement_included,
    snapshot_dossier,
)
from evidence.dossiers.snapshot import build_snapshot
from evidence.exhibits.services import add_exhibit
from evidence.incidents.services import update_incident
from evidence.interchange.services import import_document
from evidence.records.editing import retract
from evidence.records.loading import load_records
from evidence.statements.models import Statement
from evidence.store import Store
from tests.dossiers.conftest import throwaway_session
from tests.factories import (
    citation,
    involvement,
    make_case,
    make_incident,
    make_person,
    make_source,
    make_statement,
    make_unit,
)

AT = "2026-02-03T04:05:06Z"


def squeeze(text: str) -> str:
    """Text without spaces or hyphens, so line breaks and hyphenation do not hide words."""
    return re.sub(r"[\s\-\u00ad]+", "", text).lower()


def pdf_text(pdf: bytes) -> str:
    return squeeze("".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))


def render(session, case, audience: str) -> bytes:
    return generate_dossier(
        session, case.key, audience, generated_by="tester", generated_at=AT, workers=1
    ).pdf


@pytest.fixture
def witnessed_case(session):
    return make_witnessed_case(session)


@pytest.fixture(scope="module")
def witnessed_dossiers(
    database_url: str, engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, bytes]:
    """witnessed_case's dossier in each audience, laid out once per database for the tests
    that only read it (each laid out its own before)."""
    data_dir = tmp_path_factory.mktemp("witnessed-dossiers")
    with throwaway_session(database_url, engine, data_dir) as session:
        case = make_witnessed_case(session)
        return {
            audience: render(session, case, audience)
            for audience in ("internal", "counsel", "public")
        }


def make_witnessed_case(session):
    """A case with a public, a pseudonymous and a confidential witness.

    The pseudonymous witness is also a victim, a unit member and named in the narrative.
    """
    source = make_source(session, title="Interview transcripts", publisher="Viasna")
    public = make_person(session, name="Pavel Otkrytov")
    pseudonymous = make_person(session, name="Ivan Petrovsky", aliases=["Ваня Петровский"])
    confidential = make_person(session, name="Olga Sekretova")
    unit = make_unit(
        session,
        name="Almaz",
        parents=[{"unit": make_unit(session, name="Interior Ministry"), "start": "1990"}],
    )
    member_unit = make_unit(session, name="Guard unit")
    from evidence.actors.services import update_person

    update_person(
        session,
        pseudonymous,
        pseudonymous.version,
        memberships=[{"unit": unit, "title": "sergeant", "start": "1999", "end": "2003"}],
    )
    make_person(
        session,
        name="Kommandir Stepanov",
        memberships=[{"unit": member_unit, "title": "commander", "start": "2000", "end": None}],
    )
    incident = make_incident(
        session,
        title="Beating in the yard",
        date="2000/2001",
        summary="Ivan Petrovsky was beaten by officers.\n\nОфицеры избили Ваня Петровский.",
        citations=[citation(source, locator="p. 4")],
        involvements=[
            involvement(unit=unit, citations=[citation(source, locator="p. 5")]),
            involvement(person=pseudonymous, role="victim"),
        ],
    )
    second = make_incident(session, title="Night detention", date="2020-08-10")
    links = [{"incident": incident, "excerpt": None}]
    make_statement(session, witness=public, text="Public account of the yard.", incidents=links)
    make_statement(
        session,
        witness=pseudonymous,
        protection="pseudonymous",
        pseudonym="Witness P",
        text="Pseudonymous account: I, Ivan Petrovsky, saw it.",
        incidents=links,
    )
    make_statement(
        session,
        witness=confidential,
        protection="confidential",
        pseudonym="Witness C",
        text="Confidential account of the yard.",
        incidents=links,
    )
    case = make_case(session, title="Yard beatings", incidents=[incident, second])
    session.commit()  # the audit log then holds each record's state, for verify to compare
    return case


def test_internal_dossier_names_everyone(witnessed_dossiers):
    text = pdf_text(witnessed_dossiers["internal"])
    for shown in ("Pavel Otkrytov", "Ivan Petrovsky", "Olga Sekretova", "Confidential account"):
        assert squeeze(shown) in text
    assert squeeze("INTERNAL — FOR THE DOCUMENTATION TEAM ONLY") in text


def test_counsel_dossier_shows_protected_witnesses_only_by_pseudonym(witnessed_dossiers):
    text = pdf_text(witnessed_dossiers["counsel"])
    assert squeeze("CONFIDENTIAL — COUNSEL ONLY") in text
    assert squeeze("Pavel Otkrytov") in text
    for shown in ("Witness P", "Witness C", "Confidential account of the yard"):
        assert squeeze(shown) in text
    # Protection follows the person: as witness, victim, member and in free text.
    for hidden in ("Petrovsky", "Петровский", "Olga Sekretova", "Sekretova"):
        assert squeeze(hidden) not in text


def test_public_dossier_leaves_confidential_statements_out(witnessed_dossiers):
    pdf = witnessed_dossiers["public"]
    text = pdf_text(pdf)
    assert squeeze("Pavel Otkrytov") in text
    assert squeeze("Witness P") in text
    for hidden in ("Witness C", "Confidential account", "Sekretova", "Petrovsky", "Петровский"):
        assert squeeze(hidden) not in text
    manifest = read_manifest(pdf)
    assert squeeze("petrovsky") not in squeeze(json.dumps(manifest, ensure_ascii=False))
    assert {r["entity"] for r in manifest["records"]} >= {"case", "incident", "source", "unit"}


def test_pdf_metadata_pages_and_manifest(witnessed_dossiers):
    pdf = witnessed_dossiers["counsel"]
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.metadata.title.startswith("Yard beatings")
    assert reader.metadata.author == "tester"
    assert "counsel" in reader.metadata["/Keywords"]
    assert reader.metadata.subject.startswith("Case dossier D-")
    assert len(reader.pages) >= 6  # cover, contents+summary, 2 chapters, matrix, annexes
    last = reader.pages[-1].extract_text()
    assert f"Page {len(reader.pages)} of {len(reader.pages)}" in last
    manifest = read_manifest(pdf)
    assert manifest["audience"] == "counsel" and manifest["generated_at"] == AT
    assert len(manifest["audit_head"]["hash"]) == 64
    assert manifest["dossier_id"] in reader.pages[0].extract_text()
    statements = [r for r in manifest["records"] if r["entity"] == "statement"]
    assert len(statements) == 3


def test_same_state_and_time_give_identical_bytes(session, witnessed_case, runner, tmp_path):
    paths = [tmp_path / "one.pdf", tmp_path / "two.pdf"]
    for path, workers in zip(paths, ("1", "2"), strict=True):
        result = runner.invoke(
            args=[
                "dossier",
                witnessed_case.key,
                "--audience",
                "public",
                "-o",
                str(path),
                "--generated-at",
                AT,
                "--workers",
                workers,
            ]
        )
        assert result.exit_code == 0, result.output
    assert paths[0].read_bytes() == paths[1].read_bytes()


def test_verify_passes_then_names_edited_and_retracted_records(
    session, witnessed_case, runner, tmp_path
):
    path = tmp_path / "dossier.pdf"
    result = runner.invoke(
        args=["dossier", witnessed_case.key, "--audience", "counsel", "-o", str(path)]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["verify-dossier", str(path)])
    assert result.exit_code == 0 and "OK" in result.output

    incident = witnessed_case.incident_links[0].incident
    update_incident(session, incident, incident.version, summary="Rewritten narrative.")
    session.commit()
    result = runner.invoke(args=["verify-dossier", str(path)])
    assert result.exit_code != 0
    assert f"incident {incident.key}: changed" in result.output
    assert "summary" in result.output

    source = incident.citations[0].source
    retract(session, source, "fabricated", by="tester")
    session.commit()
    report = verify(session, path)
    assert [(p.entity, p.label, p.what) for p in report.problems] == [
        ("incident", incident.key, "changed"),
        ("source", source.key, "retracted"),
    ]


def test_a_left_out_statement_is_not_in_the_dossier(session, witnessed_case):
    statement = session.query(Statement).filter_by(pseudonym="Witness C").one()
    set_statement_included(session, witnessed_case, statement, included=False)
    text = pdf_text(render(session, witnessed_case, "internal"))
    assert squeeze("Confidential account") not in text


def test_markup_in_user_text_is_printed_not_loaded(session, witnessed_case):
    make_statement(
        session,
        text='<img src="file:///etc/passwd"> and <b>bold</b>',
        incidents=[{"incident": witnessed_case.incident_links[0].incident, "excerpt": None}],
    )
    text = pdf_text(render(session, witnessed_case, "public"))
    assert squeeze('<img src="file:///etc/passwd">') in text
    assert "root:" not in text


class RecordingFetcher(ReportFetcher):
    def __init__(self) -> None:
        super().__init__()
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        try:
            return super().fetch(url, headers)
        except RefusedURL:
            self.refused.append(url)
            raise


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1:9/x.png",
        "https://example.org/x.png",
        "data:image/png;base64,iVBORw0KGgo=",
        "report:../evidence/config.py",
        "report:/etc/passwd",
    ],
)
def test_the_fetcher_refuses_everything_but_bundled_assets(url):
    with pytest.raises(RefusedURL):
        ReportFetcher().fetch(url)


def test_raw_markup_cannot_fetch_and_does_not_break_a_render():
    fetcher = RecordingFetcher()
    html = (
        '<link rel="stylesheet" href="report:dossier.css">'
        '<p>x<img src="file:///etc/passwd"><img src="http://127.0.0.1:9/a.png"></p>'
    )
    pdf = HTML(string=html, base_url="report:", url_fetcher=fetcher).write_pdf()
    assert pdf.startswith(b"%PDF")
    assert fetcher.refused == ["file:///etc/passwd", "http://127.0.0.1:9/a.png"]
    assert ReportFetcher().fetch("report:fonts/DejaVuSerif.ttf").read()[:4] == b"\x00\x01\x00\x00"


def _case_of(session, store: Store, size: int):
    source = make_source(session)
    unit = make_unit(session, parents=[{"unit": make_unit(session)}])
    incidents = []
    for _ in range(size):
        person = make_person(session, memberships=[{"unit": unit, "start": "2000"}])
        incident = make_incident(
            session,
            citations=[citation(source)],
            involvements=[involvement(unit=unit), involvement(person=person, role="victim")],
        )
        statement = make_statement(
            session, witness=person, incidents=[{"incident": incident, "excerpt": "x"}]
        )
        add_evidence_file(session, store, f"photo of {incident.key}", incidents=[incident])
        add_evidence_file(session, store, f"recording of {statement.key}", statements=[statement])
        incidents.append(incident)
    case = make_case(session, incidents=incidents)
    session.flush()
    return case


def _statements_to_snapshot(session, case) -> int:
    count = 0

    def counter(*_args) -> None:
        nonlocal count
        count += 1

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", counter)
    try:
        build_snapshot(session, case.key, "public", AT, "tester")
    finally:
        event.remove(engine, "before_cursor_execute", counter)
    return count


def test_snapshot_takes_the_same_number_of_statements_whatever_the_size(session, tmp_path):
    store = Store(tmp_path)
    small, large = _case_of(session, store, 3), _case_of(session, store, 30)
    assert len(build_snapshot(session, large.key, "public", AT, "tester").exhibits) == 60
    build_snapshot(session, small.key, "public", AT, "tester")  # each makes its manifest key
    assert _statements_to_snapshot(session, small) == _statements_to_snapshot(session, large)


def add_evidence_file(session, store: Store, content: str, **fields):
    fields.setdefault("filename", "file.txt")
    return add_exhibit(session, store, io.BytesIO(content.encode()), by="tester", **fields)


@pytest.fixture
def exhibits(session, witnessed_case, tmp_path):
    """A video of the first incident, acquired from a protected witness (named in its
    file name and acquisition), and a recording tied only to the confidential statement."""
    store = Store(tmp_path)
    incident = witnessed_case.incident_links[0].incident
    video = add_evidence_file(
        session,
        store,
        "video of the yard",
        filename="ivan_petrovsky_yard.mp4",
        incidents=[incident],
        acquired="2021-03",
        acquired_from="Ivan Petrovsky, by hand",
    )
    confidential = session.query(Statement).filter_by(pseudonym="Witness C").one()
    recording = add_evidence_file(
        session, store, "recording of the interview", statements=[confidential]
    )
    session.commit()
    return video, recording


def test_exhibits_are_listed_with_their_full_hash_and_in_the_manifest(
    session, witnessed_case, exhibits
):
    video, recording = exhibits
    pdf = render(session, witnessed_case, "counsel")
    text = pdf_text(pdf)
    assert squeeze("Annex B. Exhibit schedule") in text
    assert squeeze("Exhibit E1") in text and squeeze("Exhibit E2") in text
    assert squeeze(video.key) not in text  # record keys are for the team's version only
    assert video.sha256 in text and recording.sha256 in text
    assert squeeze("Exhibits E1, E2 (Annex B)") in text  # the first incident's chapter
    assert squeeze("March 2021") in text and squeeze("Source Witness P, by hand") in text
    assert "petrovsky" not in text  # neither the file name nor the acquisition names him
    listed = {r["key"]: r for r in read_manifest(pdf)["records"] if r["entity"] == "exhibit"}
    current = load_records(session, "exhibit", [video.id, recording.id])
    assert listed[recording.key]["hash"] == record_hash(current[recording.id])
    # The video's record names the witness (file name, acquisition): its hash is keyed.
    assert "hash" not in listed[video.key] and len(listed[video.key]["hmac"]) == 64


def test_the_internal_dossier_gives_the_original_file_name(session, witnessed_case, exhibits):
    text = pdf_text(render(session, witnessed_case, "internal"))
    assert squeeze("ivan_petrovsky_yard.mp4") in text


def test_an_exhibit_of_a_confidential_statement_is_not_in_the_public_dossier(
    session, witnessed_case, exhibits, tmp_path
):
    video, recording = exhibits
    # Linked to an incident too, but the web hides it from the public as well.
    also_confidential = add_evidence_file(
        session,
        Store(tmp_path),
        "photo handed over with the interview",
        incidents=[witnessed_case.incident_links[0].incident],
        statements=[session.query(Statement).filter_by(pseudonym="Witness C").one()],
    )
    pdf = render(session, witnessed_case, "public")
    text = pdf_text(pdf)
    assert video.sha256 in text
    for hidden in (recording, also_confidential):
        assert hidden.sha256 not in text
        assert hidden.key not in json.dumps(read_manifest(pdf))
    assert also_confidential.sha256 in pdf_text(render(session, witnessed_case, "counsel"))


def test_verify_names_an_exhibit_changed_by_an_import(
    session, witnessed_case, exhibits, runner, tmp_path
):
    video, _ = exhibits
    path = tmp_path / "dossier.pdf"
    result = runner.invoke(
        args=["dossier", witnessed_case.key, "--audience", "counsel", "-o", str(path)]
    )
    assert result.exit_code == 0, result.output
    record = load_records(session, "exhibit", [video.id])[video.id]
    import_document(
        session,
        {"format": "evidence/1", "exhibits": [{**record, "acquired_from": "a journalist"}]},
    )
    session.commit()
    result = runner.invoke(args=["verify-dossier", str(path)])
    assert result.exit_code != 0
    assert f"exhibit {video.key}: changed" in result.output and "acquired_from" in result.output


def test_fonts_are_bundled_with_their_licence():
    fonts = Path(__file__).resolve().parents[2] / "reports" / "fonts"
    assert (fonts / "LICENSE").read_text().count("Bitstream") > 0
    assert (fonts / "DejaVuSerif.ttf").is_file()


# --- keyed hashes: a guessed record cannot be checked against a non-internal manifest ---


def _entries(pdf: bytes, entity: str) -> list[dict]:
    return [e for e in read_manifest(pdf)["records"] if e["entity"] == entity]


@pytest.mark.parametrize("audience", ["counsel", "public"])
def test_protected_records_carry_keyed_hashes_only(session, witnessed_case, audience):
    pdf = render(session, witnessed_case, audience)
    witness = session.query(Statement).filter_by(pseudonym="Witness P").one()
    person = load_records(session, "person", [witness.witness_id])[witness.witness_id]
    statement = load_records(session, "statement", [witness.id])[witness.id]
    guessable = {record_hash(person), record_hash(statement)}
    # The adversary's check: hash the guessed record and look for it in the PDF.
    pdf_bytes_and_text = pdf.decode("latin-1") + pdf_text(pdf) + json.dumps(read_manifest(pdf))
    for plain in guessable:
        assert plain not in pdf_bytes_and_text
    keyed = {e["id"] for e in _entries(pdf, "person") if "hmac" in e}
    assert witness.witness_id in keyed
    assert witness.id in {e["id"] for e in _entries(pdf, "statement") if "hmac" in e}
    # The incident's narrative names the witness: its plain hash would confirm the name.
    assert all("hmac" in e for e in _entries(pdf, "incident") if e["key"] != "night-detention")
    assert all("hash" in e and "hmac" not in e for e in _entries(pdf, "source"))
    assert verify(session, pdf).ok


def test_internal_dossier_keeps_plain_hashes(witnessed_dossiers):
    pdf = witnessed_dossiers["internal"]
    assert all("hash" in e and "hmac" not in e for e in read_manifest(pdf)["records"])


def test_verify_detects_tampering_with_keyed_records(session, witnessed_case, runner, tmp_path):
    path = tmp_path / "public.pdf"
    result = runner.invoke(
        args=["dossier", witnessed_case.key, "--audience", "public", "-o", str(path)]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["verify-dossier", str(path)])
    assert result.exit_code == 0 and "OK" in result.output, result.output

    witness = session.query(Statement).filter_by(pseudonym="Witness P").one()
    from evidence.statements.services import update_statement

    update_statement(session, witness, witness.version, text="A rewritten account.")
    session.commit()
    report = verify(session, path)
    assert [(p.entity, p.what, p.fields) for p in report.problems] == [
        ("statement", "changed", ("text",))
    ]


def test_verify_refuses_a_keyed_dossier_without_its_key(session, witnessed_case):
    from evidence.dossiers.manifest import ManifestError
    from evidence.dossiers.models import DossierSecret

    pdf = render(session, witnessed_case, "public")
    session.query(DossierSecret).delete()
    session.flush()
    with pytest.raises(ManifestError, match="no key"):
        verify(session, pdf)


def test_public_dossiers_list_only_the_redacted_copy_of_a_witness_file(
    session, witnessed_case, tmp_path
):
    from evidence.exhibits.services import add_redacted_copy

    store = Store(tmp_path)
    pseudonymous = session.query(Statement).filter_by(pseudonym="Witness P").one()
    signed = add_evidence_file(session, store, "signed: Ivan Petrovsky", statements=[pseudonymous])
    session.commit()

    def listed(audience: str) -> set[str]:
        snapshot = build_snapshot(session, witnessed_case.key, audience, AT, "tester")
        return {x.key for x in snapshot.exhibits}

    assert signed.key not in listed("public")  # the file may carry the name: not shown
    copy = add_redacted_copy(
        session, store, signed, io.BytesIO(b"signed: [removed]"), filename="r.txt", by="tester"
    )
    session.commit()
    public = listed("public")
    assert copy.key in public and signed.key not in public
    assert {signed.key, copy.key} <= listed("internal")


def _cost_of_snapshot(session, case) -> tuple[int, int]:
    """(statements run, rows fetched) to snapshot the case for the team."""
    statements = rows = 0

    def counting(state):
        nonlocal statements, rows
        frozen = state.invoke_statement().freeze()
        statements += 1
        rows += len(frozen().all())
        return frozen()

    event.listen(session, "do_orm_execute", counting)
    try:
        build_snapshot(session, case.key, "internal", AT, "tester")
    finally:
        event.remove(session, "do_orm_execute", counting)
    return statements, rows


def test_the_snapshot_reads_what_the_case_touches_not_the_archive(session, witnessed_case):
    before = _cost_of_snapshot(session, witnessed_case)
    for n in range(200):
        unit = make_unit(session, name=f"Unrelated unit {n}")
        make_incident(
            session,
            title=f"Unrelated incident {n}",
            citations=[citation(make_source(session, title=f"Unrelated source {n}"))],
            involvements=[
                involvement(unit=unit),
                involvement(person=make_person(session, name=f"Unrelated person {n}")),
            ],
        )
    session.flush()
    assert _cost_of_snapshot(session, witnessed_case) == before


def test_rendering_reports_progress_in_even_steps_as_parts_finish(session):
    """A dossier of several parts reports the weight of what is laid out, part by part,
    then the contents and the merge: no step carries half the work."""
    paragraph = "The detainees were made to stand against the wall for hours. " * 40
    incidents = [
        make_incident(session, title=f"Long incident {n}", summary=paragraph * 12) for n in range(8)
    ]
    case = make_case(session, title="Long case", incidents=incidents)
    session.commit()
    reports: list[tuple[int, int]] = []
    generate_dossier(
        session,
        case.key,
        "internal",
        generated_by="tester",
        generated_at=AT,
        workers=2,
        progress=lambda done, total: reports.append((done, total)),
    )
    done = [step for step, _total in reports]
    total = reports[-1][1]
    assert len(plan_parts(session, case)) >= 3
    assert done == sorted(set(done)) and done[-1] == total
    assert len(done) >= len(plan_parts(session, case)) + 2
    jumps = [later - earlier for earlier, later in zip([0, *done], done, strict=False)]
    assert max(jumps) < total / 2, reports


def plan_parts(session, case):
    return plan(build_snapshot(session, case.key, "internal", AT, "tester"))[1]


def test_a_belarusian_dossier_speaks_belarusian_and_keeps_its_protection(
    session, witnessed_case, runner, tmp_path
):
    paths = [tmp_path / "one-be.pdf", tmp_path / "two-be.pdf", tmp_path / "en.pdf"]
    for path, language in zip(paths, ("be", "be", "en"), strict=True):
        result = runner.invoke(
            args=[
                "dossier",
                witnessed_case.key,
                "--audience",
                "public",
                "--lang",
                language,
                "-o",
                str(path),
                "--generated-at",
                AT,
            ]
        )
        assert result.exit_code == 0, result.output
    belarusian = paths[0].read_bytes()
    assert belarusian == paths[1].read_bytes()  # same data, time and language: same bytes
    assert belarusian != paths[2].read_bytes()
    text = pdf_text(belarusian)
    for shown in (
        "ПУБЛІЧНАЯ ВЕРСІЯ — АСОБЫ СВЕДАК АБАРОНЕНЫЯ",
        "Метадалогія",
        "Матрыца пацвярджэння",
        "з 2000 па 2001",  # 2000/2001
        "10 жніўня 2020",
        "Дадатак A",
    ):
        assert squeeze(shown) in text, shown
    for english in ("Methodology", "Corroboration matrix", "between 2000 and 2001", "Annex A"):
        assert squeeze(english) not in text, english
    for hidden in ("Ivan Petrovsky", "Olga Sekretova", "Confidential account"):
        assert squeeze(hidden) not in text


def test_a_dossier_in_an_unknown_language_is_refused(session, witnessed_case):
    with pytest.raises(Exception, match="language"):
        generate_dossier(
            session, witnessed_case.key, "public", generated_by="t", generated_at=AT, language="de"
        )


def test_the_early_renderer_gives_the_same_files_and_reports_progress(session, witnessed_case):
    """`evidence dossier` forks its renderer before it reads the case and sends it the
    snapshot: the dossier and the sealed annex are those rendered in the process itself."""
    snapshot = snapshot_dossier(
        session, witnessed_case.key, "counsel", generated_by="tester", generated_at=AT
    )
    reports: list[tuple[int, int]] = []
    with Renderer.started() as renderer:
        assert renderer is not None  # the test process runs no other thread
        early = render_dossier(
            snapshot,
            workers=2,
            renderer=renderer,
            progress=lambda done, total: reports.append((done, total)),
        )
    here = render_dossier(snapshot, workers=1)
    assert (early.pdf, early.sealed_annex) == (here.pdf, here.sealed_annex)
    assert early.sealed_annex is not None
    assert reports and reports[-1][0] == reports[-1][1]


def test_a_failure_in_the_renderer_reaches_the_command_as_a_render_error(
    session, witnessed_case, monkeypatch
):
    snapshot = snapshot_dossier(
        session, witnessed_case.key, "public", generated_by="tester", generated_at=AT
    )

    def broken(*_args, **_kwargs):
        raise ValueError("no fonts")

    monkeypatch.setattr(render_module, "render_pdfs", broken)
    with Renderer.started() as renderer, pytest.raises(RenderError, match="ValueError: no fonts"):
        render_dossier(snapshot, renderer=renderer)


def test_rendering_leaves_no_temporary_files_behind(session, witnessed_case, monkeypatch, tmp_path):
    """WeasyPrint copies a document's fonts into a temporary folder that it removes only when
    its font configuration is collected, which never happens in a render process: a server
    rendering dossiers every day filled its disk, 3 MB for each render process."""
    snapshot = snapshot_dossier(
        session, witnessed_case.key, "counsel", generated_by="tester", generated_at=AT
    )
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert threading.active_count() == 1  # render processes are forked from this one
    rendered = render_dossier(snapshot, workers=2)
    assert rendered.pdf.startswith(b"%PDF") and rendered.sealed_annex
    assert list(tmp_path.iterdir()) == []
