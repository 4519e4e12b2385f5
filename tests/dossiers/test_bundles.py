"""Case bundles: a BagIt bag with the dossier, exhibits, captures and the exhibit schedule,
written by `evidence bundle` and checked by `evidence verify-bundle` (and by bagit)."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import bagit
import pytest
from pypdf import PdfReader

from evidence.exhibits.services import add_exhibit
from evidence.incidents.services import update_incident
from evidence.links.models import Capture
from evidence.store import Store
from tests.factories import citation, make_case, make_incident, make_source

AT = "2026-02-03T04:05:06Z"


@pytest.fixture
def bundled_case(app, session):
    """A case whose incident cites a web source with one capture and has one exhibit."""
    store = Store(app.config["DATA_DIR"])
    source = make_source(session, title="News report", url="https://news.example/report")
    incident = make_incident(
        session, title="Beating at the yard", citations=[citation(source, quote="they beat us")]
    )
    add_exhibit(
        session, store, io.BytesIO(b"medical certificate"), filename="Certificate_Ivanov.txt",
        by="tester", incidents=[incident], acquired="2020-08-12", acquired_from="a clinic",
    )  # fmt: skip
    warc = store.put(io.BytesIO(b"WARC/1.1 captured page"))
    session.add(
        Capture(
            source_id=source.id, captured_by="tester", url=source.url, final_url=source.url,
            status_code=200, sha256=warc.sha256, size=warc.size, body_sha256="0" * 64,
        )
    )  # fmt: skip
    case = make_case(session, title="Yard case", incidents=[incident])
    session.commit()
    return case, incident, warc.sha256


def bundle(runner, case, audience: str, output: Path):
    return runner.invoke(
        args=["bundle", case.key, "--audience", audience, "-o", str(output),
              "--generated-at", AT, "--workers", "1"]
    )  # fmt: skip


def verify(runner, path: Path):
    return runner.invoke(args=["verify-bundle", str(path)])


def _text_of(pdf: bytes) -> bytes:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).encode()


def test_counsel_bundle_is_a_valid_bag_that_verifies(runner, bundled_case, tmp_path):
    case, _incident, capture_hash = bundled_case
    output = tmp_path / "counsel-bag"
    result = bundle(runner, case, "counsel", output)
    assert result.exit_code == 0, result.output
    assert "1 exhibit(s), 1 capture(s)" in result.output
    bagit.Bag(str(output)).validate()
    payload = output / "data"
    assert (payload / "dossier.pdf").read_bytes().startswith(b"%PDF")
    assert b"UNDER SEAL" in _text_of((payload / "dossier-sealed.pdf").read_bytes())
    assert (payload / "exhibits/E1.txt").read_bytes() == b"medical certificate"
    assert (payload / f"captures/{capture_hash}.warc.gz").is_file()
    rows = list(csv.DictReader((payload / "exhibits.csv").open(encoding="utf-8")))
    assert [row["number"] for row in rows] == ["E1"]
    assert rows[0]["date"] and rows[0]["source"] == "a clinic"
    assert "upload" in rows[0]["custody"] or "event" in rows[0]["custody"]
    schedule = json.loads((payload / "exhibits.json").read_text())["exhibits"]
    assert schedule[0]["sha256"] == rows[0]["sha256"]
    result = verify(runner, output)
    assert result.exit_code == 0, result.output
    assert "OK:" in result.output


def test_zip_bundles_are_identical_for_the_same_data_and_time(runner, bundled_case, tmp_path):
    case, _incident, _capture = bundled_case
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    assert bundle(runner, case, "internal", first).exit_code == 0
    assert bundle(runner, case, "internal", second).exit_code == 0
    assert first.read_bytes() == second.read_bytes()
    result = verify(runner, first)
    assert result.exit_code == 0, result.output


def test_public_bundle_carries_no_capture_and_no_file_name(runner, bundled_case, tmp_path):
    case, _incident, _capture = bundled_case
    output = tmp_path / "public-bag"
    assert bundle(runner, case, "public", output).exit_code == 0
    assert not (output / "data/captures").exists()
    assert not (output / "data/dossier-sealed.pdf").exists()
    schedule = (output / "data/exhibits.csv").read_text(encoding="utf-8")
    assert "Ivanov" not in schedule and "Exhibit E1" in schedule
    assert verify(runner, output).exit_code == 0


@pytest.fixture
def counsel_bag(runner, bundled_case, tmp_path):
    output = tmp_path / "bag"
    assert bundle(runner, bundled_case[0], "counsel", output).exit_code == 0
    return output


def test_altered_exhibit_is_named(runner, counsel_bag):
    (counsel_bag / "data/exhibits/E1.txt").write_bytes(b"forged certificate")
    result = verify(runner, counsel_bag)
    assert result.exit_code == 1
    assert "exhibits/E1.txt sha256 validation failed" in result.output
    assert "exhibit E1: exhibits/E1.txt was altered" in result.output


def test_altered_exhibit_in_a_rehashed_bag_is_caught_by_the_database(runner, counsel_bag):
    (counsel_bag / "data/exhibits/E1.txt").write_bytes(b"forged certificate")
    schedule_file = counsel_bag / "data/exhibits.json"
    schedule = json.loads(schedule_file.read_text())
    forged_hash = __import__("hashlib").sha256(b"forged certificate").hexdigest()
    schedule["exhibits"][0]["sha256"] = forged_hash
    schedule_file.write_text(json.dumps(schedule))
    bagit.Bag(str(counsel_bag)).save(manifests=True)  # the bag itself is valid again
    result = verify(runner, counsel_bag)
    assert result.exit_code == 1
    assert f"exhibit E1: {forged_hash} is not an exhibit in the database" in result.output


def test_removed_capture_is_named(runner, bundled_case, counsel_bag):
    capture_hash = bundled_case[2]
    shutil.rmtree(counsel_bag / "data/captures")
    result = verify(runner, counsel_bag)
    assert result.exit_code == 1
    assert f"captures/{capture_hash}.warc.gz exists in manifest but was not found" in result.output


def test_changed_record_is_named(runner, session, bundled_case, counsel_bag):
    _case, incident, _capture = bundled_case
    update_incident(session, incident, incident.version, summary="Rewritten afterwards")
    session.commit()
    result = verify(runner, counsel_bag)
    assert result.exit_code == 1
    assert f"incident {incident.key}: changed since the dossier was generated" in result.output


def test_existing_output_and_foreign_files_are_refused(runner, bundled_case, tmp_path):
    case = bundled_case[0]
    (tmp_path / "taken").mkdir()
    result = bundle(runner, case, "counsel", tmp_path / "taken")
    assert result.exit_code == 1 and "already exists" in result.output
    (tmp_path / "not-a-bundle.zip").write_bytes(b"hello")
    result = verify(runner, tmp_path / "not-a-bundle.zip")
    assert result.exit_code == 1 and "neither a bag directory nor a zip" in result.output
