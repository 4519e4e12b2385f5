"""Prints pages/s of bare WeasyPrint on the dossier HTML (the anchor) and of our
`render_pdfs` with 1 and 2 workers, the ratio to the anchor and peak memory, in one run.

Builds a generated case of about 235 pages in a fresh SQLite database, then, each in a
fresh process so that peak memory is its own:
1. the anchor: the dossier's self-contained HTML (`evidence dossier --format html`)
   laid out by bare WeasyPrint, one pass, one process;
2. `render_pdfs` as `evidence dossier` runs it (less the counsel's sealed annex, which the
   command's render processes lay out beside it), with 1 and with 2 workers.
Goals (issue 13): ours >= 1.8x the anchor on 2 cores; peak memory <= 1 GB.
Run: .venv/bin/python bench/dossier_bench.py [--incidents N] [--profile FILE]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evidence import create_app  # noqa: E402
from evidence.config import Config  # noqa: E402
from evidence.dossiers.snapshot import Snapshot, build_snapshot  # noqa: E402
from evidence.interchange.services import import_document  # noqa: E402
from evidence.migrate import upgrade  # noqa: E402
from tests.generate import document  # noqa: E402

CASE = "bench-case"
AT = "2026-01-01T00:00:00Z"
GOAL_RATIO = 1.8
GOAL_PEAK_MIB = 1024
WORDS = [
    "officers", "detainees", "corridor", "batons", "prison", "yard", "statement", "night",
    "guards", "cell", "beaten", "ordered", "district", "protest", "minsk", "zhodino", "almaz",
    "omon", "witness", "commander", "unit", "hours", "wall",
]  # fmt: skip


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
            "key": CASE,
            "title": "Generated case for the dossier benchmark",
            "summary": narrative(rng, 2),
            "incidents": [i["key"] for i in doc["incidents"]],
        }
    ]
    return doc


def writer(url: str):  # noqa: ANN201
    app = create_app(
        Config(DATABASE_URL=url, DATA_DIR=str(Path(url[10:]).parent), SECRET_KEY="bench")
    )
    session = app.extensions["evidence.writers"]()
    session.info["actor"] = "bench"
    return session


def create_database(path: Path, incidents: int) -> str:
    url = f"sqlite:///{path}"
    upgrade(url)
    session = writer(url)
    import_document(session, bench_document(incidents))
    session.commit()
    return url


def load_snapshot(url: str) -> Snapshot:
    session = writer(url)
    snapshot = build_snapshot(session, CASE, "counsel", AT, "bench")
    session.commit()
    return snapshot


def pages_of(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def measure(url: str, run: str, workers: int, profile: str | None) -> dict:
    """One measurement, in this (fresh) process."""
    snapshot = load_snapshot(url)
    if run == "anchor":
        from weasyprint import HTML
        from weasyprint.urls import URLFetcher

        from evidence.dossiers.render import dossier_html

        page = dossier_html(snapshot)
        # The HTML carries everything it needs as data: URIs, which the stock fetcher reads.
        job = lambda: HTML(string=page, url_fetcher=URLFetcher()).write_pdf()  # noqa: E731
    else:
        from evidence.dossiers import layout  # noqa: F401  (WeasyPrint loads before the clock, as for the anchor)
        from evidence.dossiers.manifest import manifest_bytes
        from evidence.dossiers.render import render_pdfs

        manifest = manifest_bytes(snapshot)
        job = lambda: render_pdfs(snapshot, manifest, workers=workers, with_annex=False)[0]  # noqa: E731
    profiler = cProfile.Profile() if profile else None
    cpu_before = cpu_seconds()
    start = time.perf_counter()
    pdf = profiler.runcall(job) if profiler else job()
    seconds = time.perf_counter() - start
    cpu = cpu_seconds() - cpu_before
    if profiler:
        profiler.dump_stats(profile)
    return {
        "pages": pages_of(pdf),
        "seconds": seconds,
        "cpu": cpu,
        "self_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "child_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


def cpu_seconds() -> float:
    """CPU time of this process and its finished children: on a machine shared with other
    work, wall time says how busy it was; this says what the render cost."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def in_fresh_process(url: str, run: str, workers: int = 1) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--measure", run, "--url", url, "--workers", str(workers)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--incidents", type=int, default=78)
    parser.add_argument("--profile", help="write a cProfile of render_pdfs (2 workers) here")
    parser.add_argument("--measure", choices=["anchor", "ours"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.url, args.measure, args.workers, args.profile)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        url = create_database(Path(tmp) / "bench.sqlite", args.incidents)
        if args.profile:
            measure(url, "ours", 2, args.profile)
            print(f"profile of render_pdfs with 2 workers written to {args.profile}")
            return
        anchor = in_fresh_process(url, "anchor")
        ours = {workers: in_fresh_process(url, "ours", workers) for workers in (1, 2)}
    anchor_rate = anchor["pages"] / anchor["seconds"]
    print(f"case: {args.incidents} incidents, counsel audience")
    print(
        f"anchor, bare WeasyPrint on the dossier HTML (1 pass, 1 process): {anchor['pages']}"
        f" pages in {anchor['seconds']:.1f} s = {anchor_rate:.1f} pages/s"
        f" (CPU {anchor['cpu']:.1f} s);"
        f" peak RSS {anchor['self_mib']:.0f} MiB"
    )
    for workers, result in ours.items():
        rate = result["pages"] / result["seconds"]
        peak = result["self_mib"] + workers * result["child_mib"]
        print(
            f"render_pdfs, {workers} worker{'s' if workers > 1 else ''}: {result['pages']} pages"
            f" in {result['seconds']:.1f} s = {rate:.1f} pages/s (CPU {result['cpu']:.1f} s)"
            f" = {rate / anchor_rate:.2f}x"
            f" the anchor (goal >= {GOAL_RATIO}x with 2 workers on 2 cores);"
            f" peak RSS parent {result['self_mib']:.0f} MiB + {workers} x largest worker"
            f" {result['child_mib']:.0f} MiB = at most {peak:.0f} MiB (goal <= {GOAL_PEAK_MIB})"
        )


if __name__ == "__main__":
    main()
