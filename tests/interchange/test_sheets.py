"""Spreadsheet import (`evidence import-sheet`): names matched across scripts, reviewed first."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from evidence.audit.models import AuditEntry
from evidence.models import Incident, Person, Place, Statement, Unit
from tests.factories import make_person, make_place, make_statement, make_unit

HEADERS = ["Title", "When", "Where", "Unit", "Person"]
MAPPING = {"title": "Title", "date": "When", "place": "Where", "units": "Unit", "persons": "Person"}


@pytest.fixture
def known(session):
    """The records the sheet's names must be matched to."""
    make_person(session, name="Taraikovsky", aliases=["Тарайковский"])
    make_unit(session, name="OMON", aliases=["ОМОН"])
    make_place(session, name="Minsk", aliases=["Мінск"])
    session.commit()


def write_csv(path: Path, rows: list[list[str]], headers: list[str] = HEADERS) -> Path:
    lines = [",".join(headers)] + [",".join(row) for row in rows]
    path.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")  # Excel writes a BOM
    return path


def write_xlsx(path: Path, rows: list[list[object]], headers: list[str] = HEADERS) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def write_mapping(path: Path, mapping: object = MAPPING) -> Path:
    path.write_text(json.dumps(mapping, ensure_ascii=False), encoding="utf-8")
    return path


def counts(session) -> tuple[int, ...]:
    models = (Incident, Person, Place, Unit, Statement, AuditEntry)
    return tuple(session.scalar(select(func.count()).select_from(m)) for m in models)


def import_sheet(runner, sheet: Path, mapping: Path, *options: str, kind: str = "incidents"):
    args = ["import-sheet", str(sheet), "--kind", kind, "--mapping", str(mapping), *options]
    return runner.invoke(args=[*args, "--as", "sheet-tester"])


ROWS = [
    ["Shooting of Taraikovsky", "10.08.2020", "Минск", "омон", "Тарайкоўскі"],
    ["Beatings at Pushkinskaya", "каля жніўня 2020", "minsk", "OMON", ""],
]


@pytest.mark.parametrize("write", [write_csv, write_xlsx], ids=["csv", "xlsx"])
def test_dry_run_reviews_cyrillic_and_latin_matches_and_writes_nothing(
    runner, session, known, tmp_path, write
):
    sheet = write(tmp_path / f"incidents.{'csv' if write is write_csv else 'xlsx'}", ROWS)
    before = counts(session)
    result = import_sheet(runner, sheet, write_mapping(tmp_path / "map.json"), "--dry-run")
    assert result.exit_code == 0, result.output
    assert 'row 2: new incident shooting-of-taraikovsky "Shooting of Taraikovsky"' in result.output
    assert 'Where "Минск" -> link to place minsk (Minsk)' in result.output
    assert 'Unit "омон" -> link to unit omon (OMON)' in result.output
    assert 'Person "Тарайкоўскі" -> link to person taraikovsky (Taraikovsky)' in result.output
    assert "row 3: new incident" in result.output
    assert counts(session) == before


@pytest.mark.parametrize("write", [write_csv, write_xlsx], ids=["csv", "xlsx"])
def test_import_links_matched_records_in_one_audited_write(runner, session, known, tmp_path, write):
    sheet = write(tmp_path / f"incidents.{'csv' if write is write_csv else 'xlsx'}", ROWS)
    result = import_sheet(runner, sheet, write_mapping(tmp_path / "map.json"))
    assert result.exit_code == 0, result.output
    assert "Created 2 incidents" in result.output
    shooting = session.scalar(select(Incident).where(Incident.key == "shooting-of-taraikovsky"))
    assert shooting.date == "2020-08-10"
    assert shooting.place.key == "minsk"
    involved = {(i.unit.key if i.unit else i.person.key) for i in shooting.involvements}
    assert involved == {"omon", "taraikovsky"}
    beatings = session.scalar(select(Incident).where(Incident.title == "Beatings at Pushkinskaya"))
    assert beatings.date == "2020-08~"
    audited = session.scalars(
        select(AuditEntry.record_key).where(
            AuditEntry.entity == "incident", AuditEntry.actor == "sheet-tester"
        )
    ).all()
    assert sorted(audited) == sorted([shooting.key, beatings.key])
    assert session.scalar(select(func.count()).select_from(Unit)) == 1  # no second OMON


def test_missing_and_ambiguous_names_exit_naming_row_column_and_candidates(
    runner, session, known, tmp_path
):
    make_unit(session, name="Alfa", kind="special-forces")
    make_unit(session, name="Альфа", kind="security-service")
    session.commit()
    rows = [
        ["Detentions", "2020-08-11", "Minsk", "OMON", ""],
        ["Zhodino beatings", "2000–2001", "Жодино", "Alfa", "Pavel Kuzmich"],
    ]
    sheet = write_csv(tmp_path / "incidents.csv", rows)
    before = counts(session)
    result = import_sheet(runner, sheet, write_mapping(tmp_path / "map.json"))
    assert result.exit_code != 0
    assert 'row 3, column "Where": "Жодино" matches no place' in result.output
    assert 'row 3, column "Person": "Pavel Kuzmich" matches no person' in result.output
    assert 'row 3, column "Unit": "Alfa" matches several units: alfa (Alfa), alfa-2 (Альфа)' in (
        result.output
    )
    assert "nothing was imported" in result.output
    assert counts(session) == before

    dry = import_sheet(runner, sheet, write_mapping(tmp_path / "map.json"), "--dry-run")
    assert dry.exit_code != 0
    assert 'Unit "Alfa" -> ambiguous: choose alfa (Alfa), alfa-2 (Альфа)' in dry.output
    assert 'Where "Жодино" -> new place (needs --create-missing)' in dry.output
    assert counts(session) == before


def test_create_missing_creates_each_missing_name_once(runner, session, known, tmp_path):
    rows = [
        ["Zhodino beatings", "2000–2001", "Жодино", "OMON;SOBR", "Pavel Kuzmich"],
        ["Zhodino stress positions", "2002 or 2003", "жодино", "sobr", ""],
    ]
    sheet = write_csv(tmp_path / "incidents.csv", rows)
    mapping = write_mapping(tmp_path / "map.json")
    dry = import_sheet(runner, sheet, mapping, "--dry-run", "--create-missing")
    assert dry.exit_code == 0, dry.output
    assert 'Where "Жодино" -> new place zhodino' in dry.output
    result = import_sheet(runner, sheet, mapping, "--create-missing")
    assert result.exit_code == 0, result.output
    zhodino = session.scalar(select(Place).where(Place.key == "zhodino"))
    assert zhodino.name == "Жодино"
    assert session.scalar(select(func.count()).select_from(Unit).where(Unit.name == "SOBR")) == 1
    assert session.scalar(select(Person.key).where(Person.name == "Pavel Kuzmich"))
    stress = session.scalar(select(Incident).where(Incident.title == "Zhodino stress positions"))
    assert stress.date == "[2002,2003]"
    assert stress.place_id == zhodino.id
    created = session.scalars(
        select(AuditEntry.entity).where(
            AuditEntry.actor == "sheet-tester", AuditEntry.action == "insert"
        )
    ).all()
    assert sorted(created) == ["incident", "incident", "person", "place", "unit"]


def test_bad_date_cell_is_named_by_row_and_column(runner, session, known, tmp_path):
    rows = [ROWS[0], ["Later", "sometime soon", "Minsk", "OMON", ""]]
    sheet = write_xlsx(tmp_path / "incidents.xlsx", rows)
    before = counts(session)
    result = import_sheet(runner, sheet, write_mapping(tmp_path / "map.json"))
    assert result.exit_code != 0
    assert 'row 3, column "When": "sometime soon" was not understood as a date' in result.output
    assert counts(session) == before


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({**MAPPING, "colour": "Title"}, '"colour" is not a field of incidents; fields are: key'),
        ({**MAPPING, "date": "Date"}, 'field "date" names the column "Date", which the sheet'),
        ({"title": "Title"}, 'incidents need the field "date"'),
        (["Title"], "must be a JSON object of field names to column headers"),
    ],
)
def test_bad_mapping_gets_a_clear_message(runner, session, known, tmp_path, mapping, message):
    sheet = write_csv(tmp_path / "incidents.csv", ROWS)
    before = counts(session)
    result = import_sheet(runner, sheet, write_mapping(tmp_path / "map.json", mapping))
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert counts(session) == before


def test_mapping_that_is_not_json_names_the_place(runner, session, known, tmp_path):
    sheet = write_csv(tmp_path / "incidents.csv", ROWS)
    broken = tmp_path / "map.json"
    broken.write_text('{"title": "Title",\n "date": }', encoding="utf-8")
    result = import_sheet(runner, sheet, broken)
    assert result.exit_code != 0
    assert "map.json: not valid JSON: Expecting value at line 2 column 10" in result.output


def test_protected_witness_is_never_printed_and_statement_needs_a_pseudonym(
    runner, session, known, tmp_path
):
    headers = ["Witness", "Pseudonym", "Protection", "Text"]
    rows = [
        ["Тарайкоўскі", "Witness T", "confidential", "I saw it."],
        ["Taraikovsky", "", "pseudonymous", "I was there."],
    ]
    sheet = write_csv(tmp_path / "statements.csv", rows, headers)
    mapping = write_mapping(
        tmp_path / "map.json",
        {
            "witness": "Witness",
            "pseudonym": "Pseudonym",
            "protection": "Protection",
            "text": "Text",
        },
    )
    result = import_sheet(runner, sheet, mapping, "--dry-run", kind="statements")
    assert result.exit_code != 0
    assert "Witness (a protected witness's name) -> link to person an existing person" in (
        result.output
    )
    assert 'row 3, column "Pseudonym": a pseudonymous statement needs a pseudonym' in result.output
    assert "araik" not in result.output.lower() and "арайк" not in result.output.lower()


def test_existing_protected_witness_is_shown_only_by_pseudonym(runner, session, known, tmp_path):
    petrov = make_person(session, name="Ivan Petrov")
    make_statement(session, witness=petrov.key, protection="confidential", pseudonym="Witness P")
    session.commit()
    sheet = write_csv(
        tmp_path / "incidents.csv", [["Detentions", "2020-08-11", "", "", "Иван Петров"]]
    )
    result = import_sheet(runner, sheet, write_mapping(tmp_path / "map.json"), "--dry-run")
    assert result.exit_code == 0, result.output
    assert 'Person "Иван Петров" -> link to person a protected witness ("Witness P")' in (
        result.output
    )
    assert "ivan-petrov" not in result.output


def test_new_protected_witness_gets_no_key_made_of_the_name(runner, session, known, tmp_path):
    headers = ["Witness", "Pseudonym", "Protection", "Text"]
    rows = [["Hanna Sidorava", "Witness H", "confidential", "They came at night."]]
    sheet = write_csv(tmp_path / "statements.csv", rows, headers)
    mapping = write_mapping(
        tmp_path / "map.json",
        {
            "witness": "Witness",
            "pseudonym": "Pseudonym",
            "protection": "Protection",
            "text": "Text",
        },
    )
    result = import_sheet(runner, sheet, mapping, "--create-missing", kind="statements")
    assert result.exit_code == 0, result.output
    hanna = session.scalar(select(Person).where(Person.name == "Hanna Sidorava"))
    assert "sidorava" not in hanna.key and "hanna" not in hanna.key
    statement = session.scalar(select(Statement).where(Statement.witness_id == hanna.id))
    assert statement.key == "statement-witness-h"
    assert statement.protection == "confidential"


def test_person_row_like_an_existing_person_is_pointed_out(runner, session, known, tmp_path):
    sheet = write_csv(tmp_path / "persons.csv", [["Тарайковский"]], ["Name"])
    result = import_sheet(
        runner,
        sheet,
        write_mapping(tmp_path / "map.json", {"name": "Name"}),
        "--dry-run",
        kind="persons",
    )
    assert result.exit_code == 0, result.output
    assert "(an existing person has this name: taraikovsky (Taraikovsky))" in result.output


def test_semicolon_separated_csv_is_read(runner, session, known, tmp_path):
    sheet = tmp_path / "incidents.csv"
    sheet.write_text("Title;When;Where\nDetentions;11.08.2020;Мінск\n", encoding="utf-8")
    mapping = {"title": "Title", "date": "When", "place": "Where"}
    result = import_sheet(runner, sheet, write_mapping(tmp_path / "map.json", mapping))
    assert result.exit_code == 0, result.output
    detentions = session.scalar(select(Incident).where(Incident.title == "Detentions"))
    assert (detentions.date, detentions.place.key) == ("2020-08-11", "minsk")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("incidents.xlsx", b"not a workbook", "incidents.xlsx: not a readable .xlsx workbook"),
        ("incidents.ods", b"", "incidents.ods: give a .csv or .xlsx file"),
        ("incidents.csv", "Title\n".encode("cp1251") + "Жодино".encode("cp1251"), "not UTF-8"),
    ],
)
def test_unreadable_sheet_gets_a_clear_message(runner, session, tmp_path, name, content, message):
    sheet = tmp_path / name
    sheet.write_bytes(content)
    result = import_sheet(runner, sheet, write_mapping(tmp_path / "map.json"))
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_xlsx_date_cells_become_days(runner, session, known, tmp_path):
    rows = [["Shooting", dt.datetime(2020, 8, 10), "Minsk", "OMON", ""]]
    sheet = write_xlsx(tmp_path / "incidents.xlsx", rows)
    result = import_sheet(runner, sheet, write_mapping(tmp_path / "map.json"))
    assert result.exit_code == 0, result.output
    assert session.scalar(select(Incident.date).where(Incident.title == "Shooting")) == "2020-08-10"
