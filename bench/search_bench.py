"""Prints p50/p95 of a mix of search queries over 100k incidents, 300k statements, 20k persons.

Run: .venv/bin/python bench/search_bench.py [--url URL] [--scale 1.0]
Without --url, a fresh SQLite file. With a PostgreSQL URL the schema `public`
of that database is DROPPED and rebuilt, so give it a scratch database.

Records are written with bulk inserts (not the services), then
`search.indexing.reindex` builds the index (its time is printed too).
``--reuse`` with a database built by an earlier run (same --scale) skips
generating and indexing and only times the queries, which are the same. Names
are generated in Russian Cyrillic, Belarusian Cyrillic and Latin spellings,
each person carrying aliases in the other scripts; queries use any of them,
misspell some, add filters, and run for the internal and the public audience.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, text  # noqa: E402

from evidence import create_app  # noqa: E402
from evidence.config import Config  # noqa: E402
from evidence.dates import parse  # noqa: E402
from evidence.migrate import upgrade  # noqa: E402
from evidence.models import (  # noqa: E402
    Incident,
    Involvement,
    Person,
    Place,
    Statement,
    StatementIncident,
    Unit,
)
from evidence.protection import Protection  # noqa: E402
from evidence.search.indexing import reindex  # noqa: E402
from evidence.search.services import SearchFilters, search  # noqa: E402

ROOTS = [
    "тарай",
    "лукаш",
    "наум",
    "казул",
    "шчаг",
    "жук",
    "ковал",
    "сидор",
    "петр",
    "мароз",
    "гарб",
    "кушн",
    "шэўч",
    "бяляц",
    "ярмол",
    "зайц",
    "навум",
    "дзмітр",
    "грыц",
    "баран",
]
MIDDLES = ["", "ов", "ев", "ін", "ан", "ук", "ен", "ков", "оўск", "овск", "ич", "эн"]
ENDINGS = ["ский", "скі", "ич", "ка", "ко", "ов", "ин", "ук", "енко", "эня"]
FIRST = ["Александр", "Аляксандр", "Виктор", "Віктар", "Ирина", "Ірына", "Павел", "Юрий", "Юрый"]
LATIN = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "yo",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "і": "i",
    "й": "y",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ў": "w",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "yu",
    "я": "ya",
}
WORDS = [
    "beaten",
    "detained",
    "officers",
    "prison",
    "cell",
    "night",
    "street",
    "protest",
    "shot",
    "metro",
    "riot",
    "police",
    "interrogation",
    "threatened",
    "lawyer",
    "court",
    "hospital",
    "injuries",
    "masks",
    "bus",
    "van",
    "yard",
    "station",
    "district",
    "commander",
    "ordered",
    "kicked",
    "batons",
    "stress",
    "position",
    "hours",
    "floor",
    "wall",
]
GOAL_P95_MS = 50  # issue 13: every query class
DATES = ["2020-08-10", "2020-08", "2003?", "2000/2001", "2002~", "2006-03", "2011-12-19", "2021"]


def latin(name: str, rng: random.Random) -> str:
    """One of the usual English spellings of a Cyrillic name (y or i, w or u ...)."""
    out = "".join(LATIN.get(c, c) for c in name.lower())
    if rng.random() < 0.5:
        out = out.replace("iy", "y").replace("w", "u")
    return out.title()


def surname(rng: random.Random) -> str:
    return (rng.choice(ROOTS) + rng.choice(MIDDLES) + rng.choice(ENDINGS)).title()


def sentence(rng: random.Random, names: list[str], length: int) -> str:
    words = rng.choices(WORDS, k=length)
    words.insert(rng.randrange(length), rng.choice(names))
    return " ".join(words).capitalize() + "."


def bulk(connection, model, rows, batch: int = 10_000) -> None:
    if connection is None:  # --reuse: the rows are only made to replay the random names
        return
    for start in range(0, len(rows), batch):
        connection.execute(insert(model.__table__), rows[start : start + batch])


def generate(connection, scale: float, rng: random.Random) -> list[str]:
    n_persons, n_incidents, n_statements = (
        int(20_000 * scale),
        int(100_000 * scale),
        int(300_000 * scale),
    )
    bulk(
        connection,
        Place,
        [
            {
                "id": n + 1,
                "key": f"place-{n}",
                "name": f"{surname(rng)}sk",
                "aliases": [],
                "kind": "settlement",
                "version": 1,
            }
            for n in range(500)
        ],
    )
    bulk(
        connection,
        Unit,
        [
            {
                "id": n + 1,
                "key": f"unit-{n}",
                "name": f"Unit {surname(rng)}",
                "aliases": [],
                "kind": "police",
                "version": 1,
            }
            for n in range(200)
        ],
    )
    names, persons = [], []
    for n in range(n_persons):
        cyrillic = f"{rng.choice(FIRST)} {surname(rng)}"
        spelled = latin(cyrillic, rng)
        names.append(spelled if rng.random() < 0.5 else cyrillic)
        persons.append(
            {
                "id": n + 1,
                "key": f"person-{n}",
                "name": cyrillic,
                "aliases": [spelled, latin(cyrillic, rng).upper()],
                "notes": None,
                "version": 1,
            }
        )
    bulk(connection, Person, persons)
    bounds = {d: parse(d) for d in DATES}
    incidents, involvements = [], []
    for n in range(n_incidents):
        date = rng.choice(DATES)
        incidents.append(
            {
                "id": n + 1,
                "key": f"incident-{n}",
                "version": 1,
                "title": f"{rng.choice(WORDS).title()} of {rng.choice(names)}",
                "date": date,
                "earliest": bounds[date].earliest,
                "latest": bounds[date].latest,
                "place_id": rng.randint(1, 500),
                "status": rng.choice(["alleged", "corroborated", "verified"]),
                "summary": sentence(rng, names, 25),
            }
        )
        involvements.append(
            {
                "incident_id": n + 1,
                "person_id": rng.randint(1, n_persons),
                "unit_id": None,
                "role": "victim",
                "confidence": "high",
                "position": 0,
            }
        )
        involvements.append(
            {
                "incident_id": n + 1,
                "unit_id": rng.randint(1, 200),
                "person_id": None,
                "role": "perpetrator",
                "confidence": "medium",
                "position": 1,
            }
        )
    bulk(connection, Incident, incidents)
    bulk(connection, Involvement, involvements)
    statements, links = [], []
    for n in range(n_statements):
        # About 1 in 100 statements protected, given by a few hundred witnesses.
        level = rng.choices(["public", "pseudonymous", "confidential"], [198, 1, 1])[0]
        statements.append(
            {
                "id": n + 1,
                "key": f"statement-{n}",
                "version": 1,
                "protection": level,
                "text": sentence(rng, names, 60),
                "witness_id": rng.randint(1, n_persons // 50) if level != "public" else None,
                "pseudonym": f"Witness {n}" if level != "public" else None,
            }
        )
        links.append(
            {
                "statement_id": n + 1,
                "incident_id": rng.randint(1, n_incidents),
                "excerpt": None,
                "position": 0,
            }
        )
    bulk(connection, Statement, statements)
    bulk(connection, StatementIncident, links)
    return names


def misspell(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 2)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def queries(names: list[str], rng: random.Random) -> list[tuple[str, str, SearchFilters]]:
    mix = []
    recent = SearchFilters(date_from=dt.date(2020, 1, 1), date_to=dt.date(2020, 12, 31))
    for _ in range(40):
        name = rng.choice(names)
        last = name.split()[-1]
        mix.append(("surname", last, SearchFilters()))
        mix.append(("full name", name, SearchFilters()))
        mix.append(("typo", misspell(last, rng), SearchFilters()))
        mix.append(("word + filter", f"{rng.choice(WORDS)} {last}", recent))
    # Ten samples each, so that their p95 is not one query's luck on a busy machine.
    for word in rng.sample(WORDS, 10):
        mix.append(("common word", word, SearchFilters()))
    for word in rng.sample(WORDS, 10):
        status = rng.choice(["alleged", "corroborated", "verified"])
        mix.append(("common word + status", word, SearchFilters(status=status)))
    return mix


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def build(url: str, engine, session, scale: float, rng: random.Random) -> list[str]:
    if url.startswith("postgresql"):
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    upgrade(url)
    started = time.perf_counter()
    with engine.begin() as connection:
        names = generate(connection, scale, rng)
    print(f"database {url.split(':')[0]}: generated in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    counts = reindex(session)
    session.commit()
    print(f"reindex: {sum(counts.values())} documents in {time.perf_counter() - started:.0f} s")
    if url.startswith("postgresql"):
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    return names


def bench_arguments(description: str | None) -> argparse.Namespace:
    """--url, --scale and --reuse, as this bench and those built on its data take them."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--url", help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 100k incidents")
    parser.add_argument(
        "--reuse", action="store_true", help="time queries on the database of an earlier run"
    )
    return parser.parse_args()


@contextmanager
def bench_database(url: str | None) -> Iterator[tuple[str, Any, Any]]:
    """The database at ``url`` (default: a fresh SQLite file): its URL, engine and a session."""
    with tempfile.TemporaryDirectory() as tmp:
        url = url or f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        app = create_app(Config(DATABASE_URL=url, DATA_DIR=tmp, SECRET_KEY="bench"))
        session = app.extensions["evidence.sessions"]()
        try:
            yield url, app.extensions["evidence.engine"], session
        finally:
            session.close()


def _server_cpu(session: Any, url: str) -> Callable[[], float]:
    """Seconds of CPU the PostgreSQL server process of this session has used so far,
    read from /proc when that process runs here; zero on SQLite or a remote server."""
    if not url.startswith("postgresql"):
        return lambda: 0.0
    pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    stat = Path(f"/proc/{pid}/schedstat")
    if not stat.exists():
        return lambda: 0.0
    return lambda: int(stat.read_text().split()[0]) / 1e9


def main() -> None:
    args = bench_arguments(__doc__)
    rng = random.Random(7)
    with bench_database(args.url) as (url, engine, session):
        if args.reuse:
            names = generate(None, args.scale, rng)
        else:
            names = build(url, engine, session, args.scale, rng)
        # A shared machine's waits are in the wall-clock figures (the goal's); the CPU
        # time beside them is what the search itself cost: this process's, plus on
        # PostgreSQL its server process's when that runs on this machine.
        server_cpu = _server_cpu(session, url)
        gc.freeze()  # as `evidence serve` does in each worker once the application is built
        print(f"load average before: {os.getloadavg()[0]:.1f}")
        for audience in ("internal", "public"):
            protection = Protection.load(session, audience)
            timings: dict[str, list[float]] = {}
            cpu: dict[str, list[float]] = {}
            for kind, query, filters in queries(names, rng):
                started, started_cpu = time.perf_counter(), time.process_time() + server_cpu()
                search(session, query, protection=protection, filters=filters, per_page=5)
                timings.setdefault(kind, []).append((time.perf_counter() - started) * 1000)
                spent = time.process_time() + server_cpu() - started_cpu
                cpu.setdefault(kind, []).append(spent * 1000)
            every = [t for values in timings.values() for t in values]
            print(
                f"{audience:8} all {len(every)} queries: p50 {percentile(every, 0.5):.0f} ms,"
                f" p95 {percentile(every, 0.95):.0f} ms"
            )
            for kind, values in timings.items():
                p95 = percentile(values, 0.95)
                verdict = "met" if p95 <= GOAL_P95_MS else "NOT met"
                print(
                    f"  {kind:22} p50 {percentile(values, 0.5):6.0f} ms  p95 {p95:6.0f} ms"
                    f"  (goal p95 <= {GOAL_P95_MS} ms: {verdict})"
                    f"  cpu p95 {percentile(cpu[kind], 0.95):4.0f} ms"
                )
        print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
