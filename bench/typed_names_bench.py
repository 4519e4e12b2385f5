"""Prints p50/p95 of resolving names typed into reference fields, over 100k incidents and
20k persons (the data set of search_bench.py), and whether any query scans a whole table.

Run: .venv/bin/python bench/typed_names_bench.py [--url URL] [--scale 1.0] [--reuse]
Without --url, a fresh SQLite file. With a PostgreSQL URL the schema `public` of that
database is DROPPED and rebuilt, so give it a scratch database. ``--reuse`` times a
database built by an earlier run of this script (same --scale).

Each typed name is resolved as a record form does (records.names): a title or name in
another case or script (names one record), a surname shared by several persons (offers
them), a misspelt title (offers the nearest), and nonsense (offers nothing); for the
internal and the public audience.
"""

from __future__ import annotations

import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from search_bench import (  # noqa: E402
    bench_arguments,
    bench_database,
    build,
    generate,
    misspell,
    percentile,
)
from sqlalchemy import select, text  # noqa: E402

from evidence.models import Incident, Person  # noqa: E402
from evidence.protection import Protection  # noqa: E402
from evidence.records.names import accepting_names  # noqa: E402
from evidence.search.folded_names import refold  # noqa: E402

GOAL_P95_MS = 100  # one typed name, resolved when a form is saved (not per keystroke)
TRIES = 40


def fold_everything(session) -> None:
    started = time.perf_counter()
    ids = {
        entity: session.scalars(select(model.id)).all()
        for entity, model in (("incident", Incident), ("person", Person))
    }
    refold(session, ids)
    session.commit()
    took = time.perf_counter() - started
    print(f"folded names: {sum(map(len, ids.values()))} records in {took:.0f} s")


def typed(session, rng: random.Random) -> dict[str, list[tuple[type, str]]]:
    titles = session.scalars(select(Incident.title).order_by(Incident.id).limit(5000)).all()
    persons = session.scalars(select(Person.name).order_by(Person.id)).all()
    shared = [name for name, count in Counter(persons).items() if count > 1] or persons
    return {
        "one (other case)": [(Incident, rng.choice(titles).upper()) for _ in range(TRIES)],
        "one person": [(Person, rng.choice(persons).lower()) for _ in range(TRIES)],
        "several": [(Person, rng.choice(shared).upper()) for _ in range(TRIES)],
        "none, misspelt": [(Incident, misspelt(rng.choice(titles), rng)) for _ in range(TRIES)],
        "none, nonsense": [(Person, f"Qwx{rng.randrange(10**6)} Zvb") for _ in range(TRIES)],
    }


def misspelt(title: str, rng: random.Random) -> str:
    """The title with two letters of its longest word swapped."""
    words = title.split()
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    words[longest] = misspell(words[longest], rng) if len(words[longest]) > 4 else "qx"
    return " ".join(words)


def whole_table_scans(session, model: type, typed_text: str) -> list[str]:
    """The plan lines of the resolver's statements that read every row of a table."""
    statements: list[str] = []
    connection = session.connection()

    def note(_conn, _cursor, statement, parameters, *_rest) -> None:
        statements.append((statement, parameters))

    from sqlalchemy import event

    event.listen(connection, "before_cursor_execute", note)
    try:
        with accepting_names(session, Protection.load(session, "internal")) as names:
            names.resolve(session, model, "field", typed_text)
    finally:
        event.remove(connection, "before_cursor_execute", note)
    sqlite = connection.dialect.name == "sqlite"
    scans = []
    for statement, parameters in statements:
        if "set_config" in statement:  # the resolver's planner settings, applied as it ran
            connection.exec_driver_sql(statement, parameters)
            continue
        explain = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
        plan = connection.exec_driver_sql(explain + statement, parameters).all()
        lines = [str(row[-1] if sqlite else row[0]) for row in plan]
        table = model.__tablename__
        scans += [
            line for line in lines if f"SCAN {table}" in line or f"Seq Scan on {table}" in line
        ]
    return scans


def main() -> None:
    args = bench_arguments(__doc__)
    rng = random.Random(7)
    with bench_database(args.url) as (url, engine, session):
        if args.reuse:
            generate(None, args.scale, rng)
        else:
            build(url, engine, session, args.scale, rng)
            fold_everything(session)
            if url.startswith("postgresql"):
                with engine.begin() as connection:
                    connection.execute(text("ANALYZE"))
        cases = typed(session, rng)
        for kind, tries in cases.items():
            model, sample = tries[0]
            scans = whole_table_scans(session, model, sample)
            print(f"plan of {kind!r}: {'; '.join(scans) if scans else 'no whole-table scan'}")
        for audience in ("internal", "public"):
            protection = Protection.load(session, audience)
            print(f"{audience}:")
            for kind, tries in cases.items():
                timings = []
                for model, typed_text in tries:
                    started = time.perf_counter()
                    with accepting_names(session, protection) as names:
                        names.resolve(session, model, "field", typed_text)
                    timings.append((time.perf_counter() - started) * 1000)
                    session.rollback()
                p95 = percentile(timings, 0.95)
                verdict = "met" if p95 <= GOAL_P95_MS else "NOT met"
                print(
                    f"  {kind:18} p50 {percentile(timings, 0.5):6.1f} ms  p95 {p95:6.1f} ms"
                    f"  (goal p95 <= {GOAL_P95_MS} ms: {verdict})"
                )


if __name__ == "__main__":
    main()
