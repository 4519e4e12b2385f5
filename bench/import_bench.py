"""Prints records/s of `evidence import` for a generated file of about 100k records.

Run: make bench (or .venv/bin/python bench/import_bench.py [--records N] [--url URL]).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evidence import create_app  # noqa: E402
from evidence.config import Config  # noqa: E402
from evidence.interchange.services import (  # noqa: E402
    collector_paused,
    count_records,
    import_document,
)
from evidence.migrate import upgrade  # noqa: E402
from tests.generate import document  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--url", help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--distinct-dates", type=int, default=3000)
    parser.add_argument("--profile", help="write a cProfile of the first import to this file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        upgrade(url)
        app = create_app(Config(DATABASE_URL=url, DATA_DIR=tmp, SECRET_KEY="bench"))
        # incidents are 1/1.5 of the records; the other sections scale with them
        doc = document(
            incidents=int(args.records / 1.5),
            with_exhibits=False,
            distinct_dates=args.distinct_dates,
        )
        path = Path(tmp) / "bench.json"
        path.write_text(json.dumps(doc))
        records = count_records(doc)
        size_mb = path.stat().st_size / 1e6
        print(f"file: {records} records, {size_mb:.1f} MB, database {url.split(':')[0]}")
        for attempt in ("first import (all new)", "second import (all unchanged)"):
            session = app.extensions["evidence.sessions"]()
            session.info["actor"] = "bench"
            started, cpu_started = time.perf_counter(), time.process_time()
            profiler = (
                cProfile.Profile(time.process_time)
                if args.profile and attempt.startswith("first")
                else None
            )
            if profiler:
                profiler.enable()
            with collector_paused():  # as `evidence import` does
                parsed = json.loads(path.read_text())
                summary = import_document(session, parsed)
                session.commit()
            if profiler:
                profiler.disable()
                profiler.dump_stats(args.profile)
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu_started
            session.close()
            print(
                f"{attempt}: {elapsed:.2f} s, {records / elapsed:,.0f} records/s;"
                f" CPU {cpu:.2f} s, {records / cpu:,.0f} records/s per busy core"
                f" ({summary.written} written, audit included; goal 20,000 records/s)"
            )


if __name__ == "__main__":
    main()
