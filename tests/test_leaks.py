"""The adversary's test: a viewer crawls everything and must never read a protected name.

Two protected witnesses (one named in Latin script with a Cyrillic alias, one named in
Cyrillic) have every spelling in SPELLINGS written into every text field of every record
type, into an exhibit's file name and content and into a web capture. Then, signed in as
a viewer, the test requests every GET route of ``app.url_map`` with every real key and
id (pages, JSON, downloads, lists and search with the names as queries, lookups, history,
error pages), reads a public dossier back from its PDF (text and attachments), and reads
the public and counsel dossiers in their HTML version. No name form may occur anywhere.
It also checks that every record hidden from the viewer answers exactly like a missing
one on every route that takes its key or id.

The crawl runs once per database (a module fixture); each spelling is its own test.
"""

from __future__ import annotations

import gzip
import html
import io
import json
import re
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from evidence import create_app
from evidence.actors.models import Person, Unit
from evidence.audit.models import AuditEntry
from evidence.cases.models import Case
from evidence.config import config_for_tests
from evidence.dossiers.render import dossier_html, part_html, plan
from evidence.dossiers.services import generate_dossier, snapshot_dossier
from evidence.exhibits.models import Exhibit, ExhibitLink
from evidence.exhibits.services import add_exhibit
from evidence.incidents.models import Incident, ViolationType
from evidence.interchange.services import import_document
from evidence.links.models import Capture
from evidence.lookup.services import AUTOCOMPLETE_KINDS
from evidence.permissions import required_action
from evidence.places.models import Place
from evidence.sources.models import Source
from evidence.statements.models import Statement
from evidence.store import Store
from tests.conftest import share_connection
from tests.generate import document
from tests.webclient import make_users, sign_in, without_csrf

# --- the spellings --------------------------------------------------------------------------

# Every way the two protected witnesses are written. "must" forms are replaced by the
# scrubber of this branch; "folding" forms need the name folding of branch `names`.
SPELLINGS: list[tuple[str, str, str]] = [
    # (spelling, what it is, must | folding)
    ("Pavel Kuzmich", "exact name", "must"),
    ("Павел Кузьмич", "exact alias (Cyrillic)", "must"),
    ("Ольга Сидорова", "exact name (Cyrillic)", "must"),
    ("PAVEL KUZMICH", "upper case", "must"),
    ("pavel kuzmich", "lower case", "must"),
    ("ОЛЬГА СИДОРОВА", "upper case (Cyrillic)", "must"),
    ("ольга сидорова", "lower case (Cyrillic)", "must"),
    ("KUZMICH", "surname alone", "folding"),
    ("P. Kuzmich", "initial and surname", "folding"),
    ("Kuzmich's", "possessive", "folding"),
    ("Павла Кузьмича", "Russian genitive", "folding"),
    ("Кузьмич", "Cyrillic surname alone", "folding"),
    ("Сидоровой", "Russian case ending of the surname", "folding"),
    ("О. Сидорова", "Cyrillic initial and surname", "folding"),
    ("Pavel Kuzm\u0456ch", "Cyrillic letter in a Latin name", "folding"),
    ("Pavel Kuz\u00admich", "soft hyphen inside", "folding"),
    ("Pavel Kuz\u200bmich", "zero-width space inside", "folding"),
    (
        "\uff30\uff41\uff56\uff45\uff4c \uff2b\uff55\uff5a\uff4d\uff49\uff43\uff48",
        "fullwidth",
        "folding",
    ),
    ("PavelKuzmich", "joined without space", "folding"),
]
MUST = [s for s, _what, kind in SPELLINGS if kind == "must"]
FOLDING = [s for s, _what, kind in SPELLINGS if kind == "folding"]

# Fields of the evidence/1 format that hold free text (keys, dates and choices do not).
TEXT_FIELDS = {
    "name", "title", "summary", "notes", "label", "description", "publisher", "author",
    "locator", "quote", "text", "translation", "excerpt", "taken_by", "acquired_from",
    "note", "reason",
}  # fmt: skip

INVISIBLE = re.compile(r"[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
                       r"\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]")  # fmt: skip


def fold(text: str) -> str:
    """What a reader sees, whatever the bytes: compatibility forms, invisibles, case."""
    return INVISIBLE.sub("", unicodedata.normalize("NFKC", text)).casefold()


# --- seeding ---------------------------------------------------------------------------


def _with_spellings(value: Any, spellings: str, field: str | None = None) -> Any:
    if isinstance(value, dict):
        return {name: _with_spellings(item, spellings, name) for name, item in value.items()}
    if isinstance(value, list):
        items = [_with_spellings(item, spellings, field) for item in value]
        return items + [spellings] if field == "aliases" else items
    if isinstance(value, str) and field in TEXT_FIELDS:
        return f"{value} | {spellings}"
    return value


def seeded_document(spellings: str) -> dict[str, Any]:
    doc = document(incidents=12, with_exhibits=False)
    retraction = {"at": "2021-01-01T00:00:00+00:00", "by": "documenter", "reason": "wrong"}
    for section in ("places", "units", "persons", "sources", "incidents", "violation_types"):
        doc[section][-1]["retracted"] = dict(retraction)
    doc["persons"] += [
        {
            "key": key,
            "name": name,
            "aliases": aliases,
            "notes": f"notes on {key}",
            "memberships": [],
        }
        for key, name, aliases in (
            ("witness-k1", "Pavel Kuzmich", ["Павел Кузьмич"]),
            ("witness-s2", "Ольга Сидорова", []),
        )
    ]
    for key, witness, level in (
        ("stmt-k1", "witness-k1", "pseudonymous"),
        ("stmt-s2", "witness-s2", "confidential"),
    ):
        doc["statements"].append(
            {
                **doc["statements"][0],
                "key": key,
                "witness": witness,
                "pseudonym": f"Witness {key[-2:].upper()}",
                "protection": level,
                "taken": "2020-09",
                "text": "What I saw",
                "source": "source-0",
                "incidents": [{"incident": "incident-0", "excerpt": "the beating"}],
            }
        )
    seeded = _with_spellings(doc, spellings)
    # Persons keep their own names: a person named with the spellings would make them a
    # protected name themselves whenever that person gave a protected statement.
    for person, original in zip(seeded["persons"], doc["persons"], strict=True):
        person.update(name=original["name"], aliases=original["aliases"])
    return seeded


@dataclass
class World:
    app: Flask
    session: Session
    client: FlaskClient
    pages: dict[str, str]  # what the viewer read, by URL
    hidden: dict[type, list[Any]]  # records the viewer may not see, by type


def _seed(session: Session, app: Flask, spellings: str) -> None:
    import_document(session, seeded_document(spellings))
    store = Store(app.config["DATA_DIR"])
    content = f"Signed: {spellings}\n".encode()
    statement = session.scalar(select(Statement).where(Statement.key == "stmt-k1"))
    for filename, statements in (
        (f"{spellings}_signed_statement.txt", [statement.key]),
        (f"photo of {spellings}.txt", []),
    ):
        add_exhibit(
            session,
            store,
            io.BytesIO(content if statements else b"A photograph of the yard.\n"),
            filename=filename,
            by="documenter",
            incidents=["incident-0"],
            statements=statements,
            acquired_from=f"given by {spellings}",
        )
    warc = store.put(io.BytesIO(gzip.compress(content)), None)
    source = session.scalar(select(Source).where(Source.key == "source-0"))
    session.add(
        Capture(
            source_id=source.id,
            captured_by="auditor",
            url="https://example.org/0",
            final_url="https://example.org/0",
            status_code=200,
            content_type="text/html",
            sha256=warc.sha256,
            size=warc.size,
            body_sha256=warc.sha256,
        )
    )
    session.commit()


# --- crawling --------------------------------------------------------------------------

MODEL_OF_SECTION = {
    "incidents": Incident,
    "statements": Statement,
    "persons": Person,
    "units": Unit,
    "places": Place,
    "sources": Source,
    "cases": Case,
    "exhibits": Exhibit,
    "violation_types": ViolationType,
    "links": Source,
    "dossiers": Case,
}
QUERIES = ["Pavel Kuzmich", "Кузьмич", "Kuzmich", "Ольга Сидорова", "Сидорова", "Kuz"]


def readable_text(response: Any) -> str:
    """Everything a response says, decoded the way a reader would decode it."""
    body = response.get_data()
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    if response.mimetype == "application/json":
        text = " ".join(_strings(json.loads(body)))
    else:
        text = html.unescape(body.decode("utf-8", "replace"))
    headers = " ".join(f"{name}: {value}" for name, value in response.headers.items())
    return unquote(f"{headers}\n{text}")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    else:
        yield str(value)


def _values(session: Session, rule: Any) -> list[dict[str, Any]]:
    """Every real value of each argument of a route (all keys, all ids)."""
    section = rule.endpoint.split(".")[0]
    choices: dict[str, list[Any]] = {}
    for argument in rule.arguments:
        if argument in ("key", "case_key"):
            model = MODEL_OF_SECTION[section]
            choices[argument] = list(session.scalars(select(model.key)))
        elif argument == "capture_id":
            choices[argument] = list(session.scalars(select(Capture.id)))
        elif argument == "seq":
            choices[argument] = list(session.scalars(select(AuditEntry.seq)))[-40:]
        elif argument == "kind":
            choices[argument] = [*AUTOCOMPLETE_KINDS, "date"]
        elif argument in ("job_id", "user_id", "upload_id", "run_id", "draft_id"):
            choices[argument] = [1, 2, 3]
        else:
            raise AssertionError(f"the leak test does not know the argument {argument!r}")
    combos: list[dict[str, Any]] = [{}]
    for argument, values in choices.items():
        combos = [{**combo, argument: value} for combo in combos for value in values]
    return combos


def _without_own_query(text: str, query: str) -> str:
    """The page without the echo of what the viewer typed, exactly as typed: seeing their own
    words teaches them nothing (and echoing them altered would be an oracle). An echo in
    any other form, scrubbed or changed, still counts."""
    typed = unquote(query.removeprefix("?q=").removesuffix("&retracted=1"))
    return text.replace(typed, "") if typed else text


def crawl(app: Flask, session: Session, client: FlaskClient) -> dict[str, str]:
    pages: dict[str, str] = {}
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        for values in _values(session, rule):
            url = adapter.build(rule.endpoint, values)
            queries = [""] + [f"?q={quote(q)}&retracted=1" for q in QUERIES]
            for query in queries if not rule.arguments or "kind" in values else [""]:
                response = client.get(url + query)
                pages[url + query] = _without_own_query(readable_text(response), query)
    for missing in ("/incidents/no-such-record", "/exhibits/no-such/download", "/nowhere"):
        pages[missing] = readable_text(client.get(missing))
    return pages


# High bytes of the UTF-16 code units pypdf leaves undecoded when a font's ToUnicode map
# gives two bytes per glyph (here: once a font lacks a glyph, such as fullwidth letters):
# Latin, Cyrillic, fullwidth forms.
_HIGH_BYTES = "\x00\x04\xff"


def _two_byte_glyphs(text: str) -> str:
    """pypdf's text with the two-byte glyph codes it left as pairs of characters joined."""
    out, i = [], 0
    while i < len(text):
        if text[i] in _HIGH_BYTES and i + 1 < len(text) and ord(text[i + 1]) < 256:
            out.append(chr(ord(text[i]) << 8 | ord(text[i + 1])))
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def public_dossier_text(session: Session) -> str:
    """The public dossier's PDF text and attachments, and the HTML it was rendered from
    (pypdf's text extraction of Cyrillic is not reliable enough to prove an absence)."""
    dossier = generate_dossier(session, "case-0", "public", generated_by="lawyer")
    front, parts = plan(dossier.snapshot)
    sources = [html.unescape(part_html(dossier.snapshot, part)) for part in [[front], *parts]]
    reader = PdfReader(io.BytesIO(dossier.pdf))
    texts = [_two_byte_glyphs(page.extract_text()) for page in reader.pages]
    for name, contents in reader.attachments.items():
        texts.append(name)
        texts.extend(content.decode("utf-8", "replace") for content in contents)
    return "\n".join(texts + sources)


def dossier_html_text(session: Session, audience: str) -> str:
    """The HTML version of the dossier (`evidence dossier --format html`) as a browser
    shows its text, with the stylesheet and fonts it carries."""
    snapshot = snapshot_dossier(session, "case-0", audience, generated_by="lawyer")
    return html.unescape(dossier_html(snapshot))


@contextmanager
def crawled_world(
    database_url: str, engine: Engine, data_dir: Path, spellings: list[str]
) -> Iterator[World]:
    """A database seeded with the spellings, and what a viewer read of it."""
    connection = engine.connect()
    transaction = connection.begin()
    app = share_connection(create_app(config_for_tests(database_url, str(data_dir))), connection)
    session = app.extensions["evidence.sessions"]()
    session.info["actor"] = "tester"
    make_users(session)
    _seed(session, app, " | ".join(spellings))
    client = without_csrf(app).test_client()
    sign_in(client, "viewer")
    pages = crawl(app, session, client)
    pages["public dossier (PDF text and attachments)"] = public_dossier_text(session)
    for audience in ("public", "counsel"):
        pages[f"{audience} dossier (HTML)"] = dossier_html_text(session, audience)
    hidden = {
        Statement: list(session.scalars(select(Statement).where(Statement.key == "stmt-s2"))),
        Person: list(session.scalars(select(Person).where(Person.key.like("witness-%")))),
        Exhibit: list(
            session.scalars(
                select(Exhibit)
                .join(ExhibitLink, ExhibitLink.exhibit_id == Exhibit.id)
                .join(Statement, Statement.id == ExhibitLink.statement_id)
                .where(Statement.key == "stmt-k1")
            )
        ),
        Capture: list(session.scalars(select(Capture))),
    }
    try:
        yield World(app, session, client, pages, hidden)
    finally:
        session.close()
        transaction.rollback()
        connection.close()


@pytest.fixture(scope="module")
def worlds(
    database_url: str, engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[World, dict[str, str]]]:
    """Two crawls, one after the other (both seed the same keys, so they cannot be open
    at once): every spelling, then only those this branch must hide. A folding form such
    as the name with a zero-width space inside prints exactly like the name, so the
    second world must not contain it. Yields the second world and the first's pages."""
    every = tmp_path_factory.mktemp("leak-data-all")
    with crawled_world(database_url, engine, every, MUST + FOLDING) as crawled:
        pages_of_every_spelling = crawled.pages
    must = tmp_path_factory.mktemp("leak-data")
    with crawled_world(database_url, engine, must, MUST) as crawled:
        yield crawled, pages_of_every_spelling


@pytest.fixture(scope="module")
def world(worlds: tuple[World, dict[str, str]]) -> World:
    return worlds[0]


@pytest.fixture(scope="module")
def pages_of_every_spelling(worlds: tuple[World, dict[str, str]]) -> dict[str, str]:
    return worlds[1]


def _around(text: str, spelling: str) -> str:
    at = text.casefold().find(spelling.casefold())
    return text[max(at - 700, 0) : at + 40]


def _normalised(pages: dict[str, str], norm: Callable[[str], str]) -> dict[str, str]:
    return {url: norm(text) for url, text in pages.items()}


# Each page normalised once per crawl rather than once per spelling (~0.7 s a test).
@pytest.fixture(scope="module")
def casefolded_pages(world: World) -> dict[str, str]:
    return _normalised(world.pages, str.casefold)


@pytest.fixture(scope="module")
def folded_pages_of_every_spelling(pages_of_every_spelling: dict[str, str]) -> dict[str, str]:
    return _normalised(pages_of_every_spelling, fold)


def _leaks(normalised_pages: dict[str, str], wanted: str) -> list[str]:
    """The pages that hold ``wanted``, normalised as the pages were."""
    return [url for url, text in normalised_pages.items() if wanted in text]


def test_the_crawl_saw_every_kind_of_output(world: World) -> None:
    # Guards the test itself: the crawl read pages, JSON, downloads and the dossier.
    assert len(world.pages) > 150
    assert any("/lookup/persons" in url for url in world.pages)
    assert any(url.endswith("/download") for url in world.pages)
    dossier = world.pages["public dossier (PDF text and attachments)"]
    assert "PUBLIC VERSION" in dossier and "Witness K1" in dossier
    for audience in ("public", "counsel"):
        assert "Witness K1" in world.pages[f"{audience} dossier (HTML)"]
    assert "Witness K1" in world.pages["/incidents/incident-0"]
    assert "Exhibit " in world.pages["/exhibits/"]


@pytest.mark.parametrize("spelling", MUST)
def test_no_page_json_file_or_dossier_shows_the_name(
    world: World, casefolded_pages: dict[str, str], spelling: str
) -> None:
    leaks = _leaks(casefolded_pages, spelling.casefold())
    context = {url: _around(world.pages[url], spelling) for url in leaks}
    assert context == {}


@pytest.mark.parametrize("spelling", FOLDING)
def test_no_output_shows_any_spelling_of_the_name(
    folded_pages_of_every_spelling: dict[str, str], spelling: str
) -> None:
    assert _leaks(folded_pages_of_every_spelling, fold(spelling)) == []


# --- hidden means missing --------------------------------------------------------------

ROUTE_OF = {
    Statement: "statements",
    Person: "persons",
    Exhibit: "exhibits",
    Capture: "links",
}


def _page(response: Any) -> str:
    """A response's body without its per-request CSRF token."""
    return re.sub(r'value="[^"]*"', "", response.get_data(as_text=True))


def _routes_taking(app: Flask, model: type) -> list[Any]:
    argument = "capture_id" if model is Capture else "key"
    return [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] == ROUTE_OF[model] and argument in rule.arguments
    ]


@pytest.mark.parametrize("model", [Statement, Person, Exhibit, Capture], ids=lambda m: m.__name__)
def test_a_hidden_record_answers_like_a_missing_one_on_every_route(
    world: World, model: type
) -> None:
    adapter = world.app.url_map.bind("localhost")
    rules = _routes_taking(world.app, model)
    assert rules and world.hidden[model]
    for record in world.hidden[model]:
        for rule in rules:
            argument = "capture_id" if model is Capture else "key"
            real = record.id if model is Capture else record.key
            missing = 999999 if model is Capture else "no-such-record"
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                hidden = world.client.open(
                    adapter.build(rule.endpoint, {argument: real}), method=method
                )
                absent = world.client.open(
                    adapter.build(rule.endpoint, {argument: missing}), method=method
                )
                assert hidden.status_code == absent.status_code, (rule.rule, method)
                assert _page(hidden) == _page(absent), (rule.rule, method)
                if (
                    method == "GET"
                    and required_action(world.app.view_functions[rule.endpoint]) == "read"
                ):
                    assert hidden.status_code == 404, rule.rule
