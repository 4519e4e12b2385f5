"""Every kind of bad import is refused whole, each problem named by its JSON path."""

import copy
import gc
import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from evidence import create_app
from evidence.config import config_for_tests
from evidence.db import Base
from evidence.interchange.services import ImportRejected, import_document
from evidence.migrate import upgrade
from tests.generate import document


def database_dump(session) -> list:
    return [
        (table.name, session.execute(select(table).order_by(*table.primary_key.columns)).all())
        for table in Base.metadata.sorted_tables
    ]


@pytest.fixture
def loaded(session):
    base = document(incidents=5)
    import_document(session, copy.deepcopy(base))
    session.commit()
    return base


def broken(base: dict, breakage) -> dict:
    doc = copy.deepcopy(base)
    doc["incidents"][0]["title"] = "A change that must not be written"
    doc["places"].append({**doc["places"][0], "key": "new-place"})
    breakage(doc)
    return doc


def set_path(path, value):
    def apply(doc):
        *parents, last = path
        target = doc
        for part in parents:
            target = target[part]
        target[last] = value

    return apply


CASES = {
    "schema: wrong type": (
        set_path(["incidents", 3, "summary"], 42),
        "incidents[3].summary: 42 is not of type 'string'",
    ),
    "schema: missing field": (
        lambda doc: doc["sources"][1].pop("title"),
        "sources[1]: missing required field 'title'",
    ),
    "schema: unknown field": (
        set_path(["units", 0, "colour"], "red"),
        "units[0]: unknown field(s) ('colour' was unexpected)",
    ),
    "schema: bad key": (
        set_path(["places", 1, "key"], "Bad Key"),
        "places[1].key: 'Bad Key' is not a valid key",
    ),
    "unknown reference": (
        set_path(["incidents", 3, "involvements", 0, "unit"], "amaz"),
        'incidents[3].involvements[0].unit: no unit with key "amaz"'.replace('"', "'"),
    ),
    "duplicate key": (
        lambda doc: doc["persons"].append(copy.deepcopy(doc["persons"][0])),
        "persons[3].key: duplicate key 'person-0' (also at persons[0])",
    ),
    "bad EDTF": (
        set_path(["incidents", 2, "date"], "2020-13-45"),
        'incidents[2].date: "2020-13-45" is not a valid EDTF date',
    ),
    "bad vocabulary value": (
        set_path(["incidents", 1, "status"], "proven"),
        "incidents[1].status: 'proven' is not allowed; use one of: alleged, corroborated,"
        " verified, disputed",
    ),
    "involvement with unit and person": (
        set_path(["incidents", 0, "involvements", 0, "person"], "person-1"),
        "incidents[0].involvements[0]: set exactly one of 'unit' and 'person'",
    ),
    "pseudonym missing": (
        lambda doc: doc["statements"][0].update(protection="confidential", pseudonym=None),
        "statements[0].pseudonym: required when protection is 'confidential'",
    ),
    "source URL not a web address": (
        set_path(["sources", 2, "url"], "javascript:alert(1)"),
        "sources[2].url: URL must start with http:// or https://",
    ),
    "place cycle": (
        set_path(["places", 0, "parent"], "place-2"),
        "places[0]: 'place-0' would be its own ancestor",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_import_is_refused_with_its_path_and_changes_nothing(session, loaded, case):
    breakage, expected = CASES[case]
    before = database_dump(session)
    with pytest.raises(ImportRejected) as rejected:
        import_document(session, broken(loaded, breakage))
    session.commit()
    assert any(problem.startswith(expected) for problem in rejected.value.problems), (
        rejected.value.problems
    )
    assert database_dump(session) == before


def test_every_problem_is_listed_not_just_the_first(session, loaded):
    def many(doc):
        doc["incidents"][0]["date"] = "not a date"
        doc["incidents"][1]["place"] = "nowhere"
        doc["cases"][0]["incidents"].append("ghost")

    with pytest.raises(ImportRejected) as rejected:
        import_document(session, broken(loaded, many))
    assert len(rejected.value.problems) == 3


def test_cli_rejection_leaves_the_sqlite_file_byte_for_byte_unchanged(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'evidence.sqlite'}"
    upgrade(url)
    app = create_app(config_for_tests(url, str(tmp_path / "data")))
    runner = app.test_cli_runner()
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    base = document(incidents=5)
    good.write_text(json.dumps(base))
    bad.write_text(json.dumps(broken(base, set_path(["incidents", 4, "date"], "someday"))))
    assert runner.invoke(args=["import", str(good), "--as", "alice"]).exit_code == 0
    app.extensions["evidence.engine"].dispose()
    digest = hashlib.sha256((tmp_path / "evidence.sqlite").read_bytes()).hexdigest()

    result = runner.invoke(args=["import", str(bad)])

    assert result.exit_code != 0
    assert 'incidents[4].date: "someday" is not a valid EDTF date' in result.output
    assert "nothing was written" in result.output
    assert gc.isenabled()  # the import paused the cycle collector only while it ran
    app.extensions["evidence.engine"].dispose()
    assert hashlib.sha256((tmp_path / "evidence.sqlite").read_bytes()).hexdigest() == digest


def test_not_json_is_refused_with_line_and_column(runner, tmp_path: Path):
    path = tmp_path / "broken.json"
    path.write_text('{"format": "evidence/1",\n "places": [}')
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code != 0
    assert "not valid JSON" in result.output and "line 2" in result.output
