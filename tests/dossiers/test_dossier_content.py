"""What a lawyer reads in a dossier: footnotes, chains of command, figures, plain words."""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass

import pikepdf
import pytest
from pypdf import PdfReader
from sqlalchemy.engine import Engine

from evidence.dossiers.manifest import read_manifest
from tests.dossiers.conftest import make_command_case, throwaway_session
from tests.dossiers.test_dossiers import AT, render, squeeze

AUDIENCES = ("internal", "counsel", "public")


def raw_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@dataclass(frozen=True)
class Read:
    pdf: bytes
    text: str


@pytest.fixture(scope="module")
def command_dossiers(
    database_url: str, engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Read]:
    """command_case's dossier in each audience, laid out and read once per database for the
    tests below that only read it (nine layouts and text extractions of three PDFs before).
    Its transaction is rolled back before any test runs, so no test sees its rows."""
    data_dir = tmp_path_factory.mktemp("command-dossiers")
    with throwaway_session(database_url, engine, data_dir) as session:
        case = make_command_case(session)
        pdfs = {audience: render(session, case, audience) for audience in AUDIENCES}
    return {audience: Read(pdf, raw_text(pdf)) for audience, pdf in pdfs.items()}


def test_each_cited_passage_has_one_footnote_number_and_repeats_refer_back(command_dossiers):
    text = command_dossiers["counsel"].text
    numbers = [int(n) for n in re.findall(r"(?m)^(\d+)\. S\d+ \(Annex A\)", text)]
    assert numbers == list(range(1, len(numbers) + 1))
    assert len(numbers) == 3  # p. 4 (twice), p. 9, p. 5
    assert squeeze("see note 1") in squeeze(text)
    assert squeeze("“they beat him”") in squeeze(text)
    assert squeeze("credibility of this information: 2 — probably true") in squeeze(text)
    assert "[1]" not in text


def test_chain_of_command_covers_the_whole_date_range(command_dossiers):
    text = squeeze(command_dossiers["counsel"].text)
    assert squeeze("Chain of command between 2000 and 2003") in text
    # Both superiors in the range, each with the dates of the link, and the level above.
    for shown in (
        "Interior Ministry (ministry), superior 1990 – 2001",
        "State Security Committee (ministry), superior 2002 – end unknown",
        "Security Council",
        "Kommandir Neizvestny, commander (dates unknown; listed because",
        "Minister Ivanov, chairman (2001 – 2005)",
    ):
        assert squeeze(shown) in text
    assert squeeze("Staryi Komandir") not in text.split(squeeze("Annex C"))[0]
    # Protection follows the person into the chain: the member appears under the pseudonym.
    assert squeeze("Witness K., sergeant") in text
    assert squeeze("Petrovsky") not in text


def test_counsel_and_public_read_plain_words(command_dossiers):
    for audience in ("counsel", "public"):
        pdf, text = command_dossiers[audience].pdf, command_dossiers[audience].text
        assert "EDTF" not in text
        assert "2020-08~" not in text
        keys = [r["key"] for r in read_manifest(pdf)["records"] if r["key"] and "-" in r["key"]]
        assert keys
        for key in keys:
            assert key not in text, f"record key {key} printed for {audience}"
        assert "Witness K.." not in text
        assert squeeze("about August 2020") in squeeze(text)
    internal = command_dossiers["internal"].text
    assert "2020-08~" in internal
    assert "almaz-abuses" in internal


def test_the_dossier_leaves_out_units_it_does_not_cite(command_dossiers):
    text = squeeze(command_dossiers["internal"].text)
    assert squeeze("Almaz") in text
    assert squeeze("Unrelated Border Guard") not in text


SECTIONS = (
    "Summary",
    "Methodology",
    "Grading scales",
    "Protection of witnesses in this version",
    "Corroboration matrix",
    "Witness schedule",
    "Annex A. Sources",
    "Annex B. Exhibit schedule",
    "Annex C. Units",
    "Annex D. Records and their fingerprints",
    "Attestation",
)


@pytest.mark.parametrize("audience", AUDIENCES)
def test_every_section_is_present(command_dossiers, audience):
    text = squeeze(command_dossiers[audience].text)
    for title in SECTIONS:
        assert squeeze(title) in text, title
    # The witness schedule gives the pseudonym, its protection, statements and incidents.
    if audience != "internal":
        assert squeeze("W1 Witness K. pseudonym 1 1") in text
    assert squeeze("Prepared by tester") in text
    assert squeeze("2 — probably true") in text  # the credibility scale


def test_only_counsel_gets_a_sealed_annex_naming_the_witness(session, command_case):
    from evidence.dossiers.sealed import SEALED_MANIFEST_NAME
    from evidence.dossiers.services import generate_dossier

    def dossier(audience):
        return generate_dossier(
            session, command_case.key, audience, generated_by="tester", generated_at=AT, workers=1
        )

    counsel = dossier("counsel")
    assert "Petrovsky" not in raw_text(counsel.pdf)
    sealed = PdfReader(io.BytesIO(counsel.sealed_annex))
    for page in sealed.pages:
        assert "UNDER SEAL" in page.extract_text()
    sealed_text = squeeze(raw_text(counsel.sealed_annex))
    assert squeeze("Witness K. Ivan Petrovsky") in sealed_text
    manifest = json.loads(sealed.attachments[SEALED_MANIFEST_NAME][0])
    assert manifest["dossier"] == counsel.snapshot.dossier_id
    assert [x["pseudonym"] for x in manifest["identities"]] == ["Witness K."]
    for audience in ("internal", "public"):
        assert dossier(audience).sealed_annex is None


def test_the_dossier_command_writes_the_sealed_annex_beside_the_pdf(
    session, command_case, runner, tmp_path
):
    output = tmp_path / "case.pdf"
    result = runner.invoke(
        args=[
            "dossier",
            command_case.key,
            "--audience",
            "counsel",
            "--generated-at",
            AT,
            "--workers",
            "1",
            "-o",
            str(output),
        ]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "case-sealed.pdf").exists()
    assert "UNDER SEAL" in raw_text((tmp_path / "case-sealed.pdf").read_bytes())


def test_page_numbers_and_bookmarks_run_across_parts(session, command_case, monkeypatch):
    """Each part is laid out alone and stamped with its own pages' numbers; cut the dossier
    at every chapter and the merged document must still count 1..N, bookmark every
    chapter on its page, and keep the manifest."""
    from evidence.dossiers import render as render_module
    from evidence.dossiers.services import generate_dossier

    front, parts = render_module.plan(
        generate_dossier(
            session, command_case.key, "counsel", generated_by="tester", generated_at=AT, workers=1
        ).snapshot
    )
    assert len(parts) == render_module.MIN_PARTS
    monkeypatch.setattr(render_module, "PART_WEIGHT", 1)
    dossier = generate_dossier(
        session, command_case.key, "counsel", generated_by="tester", generated_at=AT, workers=2
    )
    assert len(render_module.plan(dossier.snapshot)[1]) > 5
    reader = PdfReader(io.BytesIO(dossier.pdf))
    total = len(reader.pages)
    for number, page in enumerate(reader.pages, start=1):
        *_, header, footer = page.extract_text().splitlines()
        assert footer.startswith(f"Dossier {dossier.snapshot.dossier_id} · counsel")
        assert footer.endswith(f"Page {number} of {total}"), (number, footer)
        assert (header == "Almaz abuses") == (number > 1), number  # no header on the cover
    chapters = {item.title: reader.get_destination_page_number(item) for item in reader.outline
                if not isinstance(item, list)}  # fmt: skip
    for title in ("Methodology", "Corroboration matrix", "Annex D. Records and their fingerprints"):
        assert title in reader.pages[chapters[title]].extract_text(), title
    assert read_manifest(dossier.pdf)["dossier_id"] == dossier.snapshot.dossier_id
    assert pikepdf.open(io.BytesIO(dossier.pdf)).open_metadata().pdfa_status == "3B"
