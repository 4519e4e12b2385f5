"""Prints how long `evidence dossier` takes for the demo case, from the shell prompt to the
written PDF (start-up, snapshot, layout, merge and, for counsel, the sealed annex), next
to the goal of issue 13: a 20-page demo dossier from the CLI in <= 2 s.

Loads the demo data set into a fresh SQLite database, then runs the command several times
in fresh processes and prints the best and median wall time, the CPU time the command
and its render processes used (on a machine shared with other work the wall time says
how busy it was; the CPU time says what the command cost) and the page count. It also
checks that 1 and 2 render processes write the same bytes.
Run: .venv/bin/python bench/dossier_cli_bench.py [--runs N] [--audience counsel]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

GOAL_SECONDS = 2.0
CASE = "almaz-abuses"  # the demo data set's case
AT = "2026-01-01T00:00:00Z"
EVIDENCE = Path(sys.executable).parent / "evidence"


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(env: dict[str, str], *arguments: str) -> tuple[float, float]:
    """Wall and CPU seconds of one `evidence` command (with its render processes)."""
    cpu_before = children_cpu()
    start = time.perf_counter()
    subprocess.run([str(EVIDENCE), *arguments], env=env, check=True, capture_output=True)
    return time.perf_counter() - start, children_cpu() - cpu_before


@contextmanager
def demo_database() -> Iterator[tuple[Path, dict[str, str]]]:
    """A temporary folder with the demo data set in a fresh SQLite database, and the
    environment that points `evidence` at it."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = {
            **os.environ,
            "EVIDENCE_DATABASE_URL": f"sqlite:///{folder / 'demo.sqlite'}",
            "EVIDENCE_DATA_DIR": str(folder / "data"),
            "EVIDENCE_SECRET_KEY": "bench",
        }
        run(env, "init")
        run(env, "demo")
        yield folder, env


def pages_of(path: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(path.read_bytes())).pages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--audience", default="counsel", choices=["internal", "counsel", "public"])
    args = parser.parse_args()
    with demo_database() as (folder, env):
        output = folder / "dossier.pdf"

        def dossier(workers: int | None = None) -> tuple[float, float]:
            output.unlink(missing_ok=True)
            output.with_name("dossier-sealed.pdf").unlink(missing_ok=True)
            extra = ["--workers", str(workers)] if workers else []
            return run(
                env,
                "dossier", CASE, "--audience", args.audience, "--generated-at", AT,
                "-o", str(output), *extra,
            )  # fmt: skip

        timings = [dossier() for _ in range(args.runs)]
        pages = pages_of(output)
        digests = set()
        for workers in (1, 2):
            dossier(workers)
            digests.add(hashlib.sha256(output.read_bytes()).hexdigest())
    walls = [wall for wall, _cpu in timings]
    cpus = [cpu for _wall, cpu in timings]
    annex = " + sealed annex" if args.audience == "counsel" else ""
    print(
        f"evidence dossier {CASE} --audience {args.audience} (demo data, {pages} pages{annex},"
        f" {os.cpu_count()} CPUs), {args.runs} runs: best {min(walls):.2f} s,"
        f" median {statistics.median(walls):.2f} s wall (goal <= {GOAL_SECONDS:.1f} s);"
        f" CPU median {statistics.median(cpus):.2f} s;"
        f" same bytes with 1 and 2 render processes: {'yes' if len(digests) == 1 else 'NO'}"
    )


if __name__ == "__main__":
    main()
