"""Prints pages/s of our dossier render and of bare WeasyPrint on the same HTML, and peak memory.

Builds a generated case of about 300 pages in a fresh SQLite database, then
1. renders it as `evidence dossier` does (parts in parallel, merged, stamped);
2. renders the same dossier HTML as one document with bare WeasyPrint in this process.
Run: .venv/bin/python bench/dossier_bench.py [--incidents N] [--workers N]
"""

from __future__ import annotations

import argparse
import io
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pypdf import PdfReader  # noqa: E402
from weasyprint import HTML  # noqa: E402

from evidence.db import make_engine, make_session_factory  # noqa: E402
from evidence.dossiers.manifest import manifest_bytes  # noqa: E402
from evidence.dossiers.render import (  # noqa: E402
    SCHEME,
    ReportFetcher,
    part_html,
    plan,
    render_pdf,
    toc_entries,  # noqa: E402
)
from evidence.dossiers.snapshot import build_snapshot  # noqa: E402
from evidence.hooks import install_hooks  # noqa: E402
from evidence.interchange.services import import_document  # noqa: E402
from evidence.migrate import upgrade  # noqa: E402
from tests.generate import document  # noqa: E402

WORDS = [
    "officers",
    "detainees",
    "corridor",
    "batons",
    "prison",
    "yard",
    "statement",
    "night",
    "guards",
    "cell",
    "beaten",
    "ordered",
    "district",
    "protest",
    "minsk",
    "zhodino",
    "almaz",
    "omon",
    "witness",
    "commander",
    "unit",
    "hours",
    "wall",
]


def narrative(rng: random.Random, paragraphs: int = 6, words: int = 130) -> str:
    return "\n\n".join(
        " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."
        for _ in range(paragraphs)
    )


def bench_document(incidents: int) -> dict:
    rng = random.Random(5)
    doc = document(incidents=incidents, with_exhibits=False)
    for incident in doc["incidents"]:
        incident["summary"] = narrative(rng)
    doc["cases"] = [
        {
            "key": "bench-case",
            "title": "Generated case for the dossier benchmark",
            "summary": narrative(rng, 2),
            "incidents": [i["key"] for i in doc["incidents"]],
        }
    ]
    return doc


def peak_mib(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--incidents", type=int, default=110)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        upgrade(url)
        engine = make_engine(url)
        session = install_hooks(make_session_factory(engine))()
        import_document(session, bench_document(args.incidents))
        session.commit()
        snapshot = build_snapshot(session, "bench-case", "counsel", "2026-01-01T00:00:00Z", "bench")
        manifest = manifest_bytes(snapshot)

        start = time.perf_counter()
        pdf = render_pdf(snapshot, manifest, workers=args.workers)
        ours = time.perf_counter() - start
        pages = len(PdfReader(io.BytesIO(pdf)).pages)
        ours_parent, ours_child = peak_mib(resource.RUSAGE_SELF), peak_mib(resource.RUSAGE_CHILDREN)

        front, parts = plan(snapshot)
        html = part_html(
            snapshot, [front] + [s for part in parts for s in part], toc_entries(snapshot, {})
        )
        start = time.perf_counter()
        bare_pdf = HTML(string=html, base_url=SCHEME, url_fetcher=ReportFetcher()).write_pdf()
        bare = time.perf_counter() - start
        bare_pages = len(PdfReader(io.BytesIO(bare_pdf)).pages)
        bare_peak = peak_mib(resource.RUSAGE_SELF)

    print(f"case: {args.incidents} incidents, {len(snapshot.manifest)} records")
    print(
        f"ours ({args.workers} workers): {pages} pages in {ours:.1f} s ="
        f" {pages / ours:.1f} pages/s;"
        f" peak RSS parent {ours_parent:.0f} MiB, largest worker {ours_child:.0f} MiB"
    )
    print(
        f"bare WeasyPrint (1 process): {bare_pages} pages in {bare:.1f} s ="
        f" {bare_pages / bare:.1f} pages/s; peak RSS {bare_peak:.0f} MiB"
    )
    print(f"speed-up: {(pages / ours) / (bare_pages / bare):.2f}x")


if __name__ == "__main__":
    main()
