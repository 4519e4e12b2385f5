"""Prints p50/p95 latency of the main pages on a generated archive of about 100k incidents,
300k statements and 500k citations in a fresh SQLite file (issue 4, item 8).

Run: .venv/bin/python bench/pages_bench.py [--incidents N] [--requests N] [--keep FILE]
                                            [--role documenter|viewer]

Rows are written with bulk Core inserts (no audit entries, no search index): the pages
read only the record tables. ``--keep FILE`` writes the archive there and, when FILE
already exists, measures it again without generating (to iterate quickly). Requests go
through the Flask test client signed in as a documenter, or as a viewer (``--role
viewer``: the public audience, so witness protection and name scrubbing are at work; every
50th statement is pseudonymous, which protects 100 persons at the default size). Pages
that do not exist in this build are skipped and named in the output.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from evidence import create_app  # noqa: E402
from evidence.accounts.models import User  # noqa: E402
from evidence.accounts.services import create_user  # noqa: E402
from evidence.config import config_for_tests  # noqa: E402
from evidence.db import Base, make_engine  # noqa: E402
from evidence.migrate import upgrade  # noqa: E402
from evidence.vocabularies import INCIDENT_STATUSES, INVOLVEMENT_ROLES  # noqa: E402

PASSWORD = "bench password 123"
CHUNK = 20_000
START = dt.date(2000, 1, 1)


def chunks(rows: Iterator[dict], size: int = CHUNK) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def fill(engine: Engine, table: str, rows: Iterator[dict]) -> int:
    """Insert rows in batches; every row carries every column (absent ones as NULL) so that
    one executemany serves a whole batch."""
    columns = [column.name for column in Base.metadata.tables[table].columns]
    rows = (
        {name: row.get(name) for name in columns if name in row or name != "id"} for row in rows
    )
    count = 0
    with engine.begin() as connection:
        for batch in chunks(rows):
            connection.execute(insert(Base.metadata.tables[table]), batch)
            count += len(batch)
    return count


def generate(engine: Engine, incidents: int, seed: int = 11) -> dict[str, int]:
    """Every table the pages read, with ids assigned here so links need no lookups."""
    rng = random.Random(seed)
    n_places, n_units = max(incidents // 50, 10), max(incidents // 200, 5)
    n_persons, n_sources = max(incidents // 20, 10), max(incidents // 10, 10)
    record = {"version": 1}
    counts: dict[str, int] = {}

    def day(offset: int) -> dt.date:
        return START + dt.timedelta(days=offset)

    counts["violation_types"] = fill(
        engine,
        "violation_types",
        (
            {"id": i, "key": f"violation-{i}", "label": f"Violation {i}", **record}
            for i in range(1, 10)
        ),
    )
    counts["places"] = fill(
        engine,
        "places",
        (
            {
                "id": i,
                "key": f"place-{i}",
                "name": f"Place {i}",
                "aliases": [f"Место {i}"],
                "kind": "settlement",
                "parent_id": (i // 10) or None,
                **record,
            }
            for i in range(1, n_places + 1)
        ),
    )
    counts["units"] = fill(
        engine,
        "units",
        (
            {
                "id": i,
                "key": f"unit-{i}",
                "name": f"Unit {i}",
                "aliases": [f"Отряд {i}"],
                "kind": "police",
                **record,
            }
            for i in range(1, n_units + 1)
        ),
    )
    fill(
        engine,
        "unit_parents",
        (
            {"unit_id": i, "parent_id": i // 5, "start": "2000", "valid_from": START, "position": 0}
            for i in range(5, n_units + 1)
        ),
    )
    counts["persons"] = fill(
        engine,
        "persons",
        (
            {
                "id": i,
                "key": f"person-{i}",
                "name": f"Person {i}",
                "aliases": [f"Лицо {i}"],
                **record,
            }
            for i in range(1, n_persons + 1)
        ),
    )
    counts["memberships"] = fill(
        engine,
        "memberships",
        (
            {
                "id": i,
                "person_id": i,
                "unit_id": 1 + i % n_units,
                "title": "officer",
                "start": "2001",
                "valid_from": day(366),
                "position": 0,
            }
            for i in range(1, n_persons + 1)
        ),
    )
    counts["sources"] = fill(
        engine,
        "sources",
        (
            {"id": i, "key": f"source-{i}", "title": f"Source {i}", "kind": "document", **record}
            for i in range(1, n_sources + 1)
        ),
    )

    def incident_rows() -> Iterator[dict]:
        for i in range(1, incidents + 1):
            offset = rng.randrange(7300)
            yield {
                "id": i,
                "key": f"incident-{i}",
                "title": f"Incident {i}",
                "date": day(offset).isoformat(),
                "earliest": day(offset),
                "latest": day(offset),
                "place_id": rng.randint(1, n_places),
                "status": rng.choice(INCIDENT_STATUSES),
                "summary": "Generated for the page benchmark.",
                **record,
            }

    counts["incidents"] = fill(engine, "incidents", incident_rows())
    fill(
        engine,
        "incident_violations",
        (
            {"incident_id": i, "violation_type_id": 1 + i % 9, "position": 0}
            for i in range(1, incidents + 1)
        ),
    )

    def involvement_rows() -> Iterator[dict]:
        for i in range(1, incidents + 1):
            yield {
                "id": 2 * i - 1,
                "incident_id": i,
                "unit_id": 1 + i % n_units,
                "role": "perpetrator",
                "confidence": "medium",
                "position": 0,
            }
            yield {
                "id": 2 * i,
                "incident_id": i,
                "person_id": 1 + i % n_persons,
                "role": rng.choice(INVOLVEMENT_ROLES),
                "confidence": "high",
                "position": 1,
            }

    counts["involvements"] = fill(engine, "involvements", involvement_rows())

    def citation_rows() -> Iterator[dict]:
        for i in range(1, incidents + 1):
            yield {
                "source_id": rng.randint(1, n_sources),
                "incident_id": i,
                "locator": "p. 1",
                "position": 0,
            }
            for involvement in (2 * i - 1, 2 * i):
                for position in range(2):
                    yield {
                        "source_id": rng.randint(1, n_sources),
                        "involvement_id": involvement,
                        "locator": f"p. {position + 2}",
                        "position": position,
                    }

    counts["citations"] = fill(engine, "citations", citation_rows())

    def statement_rows() -> Iterator[dict]:
        for i in range(1, 3 * incidents + 1):
            protected = i % 50 == 0
            yield {
                "id": i,
                "key": f"statement-{i}",
                "witness_id": 1 + i % n_persons,
                "protection": "pseudonymous" if protected else "public",
                "pseudonym": f"W-{i}" if protected else None,
                "text": f"Statement {i} about what the witness saw.",
                "source_id": 1 + i % n_sources,
                **record,
            }

    counts["statements"] = fill(engine, "statements", statement_rows())
    fill(
        engine,
        "statement_incidents",
        (
            {
                "statement_id": i,
                "incident_id": 1 + i % incidents,
                "excerpt": "I saw it",
                "position": 0,
            }
            for i in range(1, 3 * incidents + 1)
        ),
    )
    return counts


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument(
        "--keep", help="write the SQLite file here (reused without generating when it exists)"
    )
    parser.add_argument("--role", choices=("documenter", "viewer"), default="documenter")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.keep) if args.keep else Path(tmp) / "pages.sqlite"
        url = f"sqlite:///{path}"
        reuse = path.exists()
        upgrade(url)  # also brings a kept archive up to the newest indexes
        if reuse:
            print(f"reusing {path} (generated for --incidents {args.incidents}?)")
        else:
            engine = make_engine(url)
            started = time.perf_counter()
            counts = generate(engine, args.incidents)
            engine.dispose()
            figures = ", ".join(f"{count:,} {name}" for name, count in counts.items())
            print(f"generated in {time.perf_counter() - started:.0f} s: {figures}")
        run_requests(url, Path(tmp), args.incidents, args.requests, args.role)


def sign_in(app: Flask, role: str) -> FlaskClient:
    """A test client signed in with the bench account of this role (created when missing)."""
    name = f"bench-{role}"
    with app.app_context():
        session = app.extensions["evidence.sessions"]()
        session.info["actor"] = "bench"
        if session.scalar(select(User.id).where(User.name == name)) is None:
            create_user(session, name=name, role=role, password=PASSWORD)
            session.commit()
        session.close()
    client = app.test_client()
    response = client.post("/sign-in", data={"name": name, "password": PASSWORD})
    assert response.status_code == 302, "sign-in failed"
    return client


def run_requests(url: str, folder: Path, incidents: int, requests: int, role: str) -> None:
    app = create_app(config_for_tests(url, str(folder / "data")))
    app.config["WTF_CSRF_ENABLED"] = False
    client = sign_in(app, role)
    rng = random.Random(5)
    n_places = max(incidents // 50, 10)
    n_units, n_persons = max(incidents // 200, 5), max(incidents // 20, 10)

    def person_id() -> int:
        # Witnesses of the pseudonymous statements (ids 1, 51, 101, ...) have no page for
        # a viewer, so the viewer asks only for the others.
        while True:
            chosen = rng.randint(1, n_persons)
            if role != "viewer" or chosen % 50 != 1:
                return chosen

    pages = [
        ("dashboard", "dashboard.index", lambda: "/"),
        (
            "filtered incident list",
            "incidents.index",
            lambda: (
                f"/incidents/?status=alleged&date_from=2010-01-01&date_to=2012-12-31"
                f"&unit=unit-{rng.randint(1, n_units)}"
            ),
        ),
        (
            "incident page",
            "incidents.show",
            lambda: f"/incidents/incident-{rng.randint(1, incidents)}",
        ),
        ("unit page", "units.show", lambda: f"/units/unit-{rng.randint(1, n_units)}"),
        ("person page", "persons.show", lambda: f"/persons/person-{person_id()}"),
        # Places 1-9 are the top level; place 1 holds 1,110 places (10-19, 100-199, 1000-1999).
        ("top-level place page", "places.show", lambda: f"/places/place-{rng.randint(1, 9)}"),
        ("place page", "places.show", lambda: f"/places/place-{rng.randint(10, n_places)}"),
    ]
    print(f"{'page':<24} {'p50 ms':>8} {'p95 ms':>8}   ({requests} requests each, SQLite, {role})")
    for label, endpoint, make_url in pages:
        if endpoint not in app.view_functions:
            print(f"{label:<24} skipped: endpoint {endpoint} does not exist in this build")
            continue
        client.get(make_url())  # warm caches and templates
        timings = []
        for _ in range(requests):
            target = make_url()
            began = time.perf_counter()
            response = client.get(target)
            timings.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200, f"{target}: {response.status_code}"
        print(f"{label:<24} {statistics.median(timings):8.1f} {percentile(timings, 0.95):8.1f}")


if __name__ == "__main__":
    main()
