"""Prints how long `make test` takes on a fresh clone, next to the goal of issue 13 (the
whole suite in <= 5 minutes on a busy machine).

Clones this checkout's HEAD into a temporary folder and runs `.ci/run` there (fresh venv,
npm, ruff, lint-imports, pytest against PostgreSQL and Redis, as CI does), then prints the
whole run's wall time, pytest's own time and its counts, and the machine's load. With
`--busy N`, N processes spin on the CPU for the whole run, as other work on a shared machine
would.
Run: .venv/bin/python bench/suite_bench.py [--busy N] [--keep]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_SECONDS = 5 * 60
ROOT = Path(__file__).resolve().parent.parent
PYTEST_SUMMARY = re.compile(r"=+ (?P<counts>.*?) in (?P<seconds>[\d.]+)s")


def spin() -> None:
    while True:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--busy", type=int, default=0, help="processes spinning meanwhile")
    parser.add_argument("--keep", action="store_true", help="keep the clone and its log")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="suite-bench-"))
    clone = folder / "evidence"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    spinners = [multiprocessing.Process(target=spin, daemon=True) for _ in range(args.busy)]
    for spinner in spinners:
        spinner.start()
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    done = subprocess.run(
        [str(clone / ".ci" / "run")], cwd=clone, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    load_after = os.getloadavg()[0]
    for spinner in spinners:
        spinner.terminate()
    log = folder / "run.log"
    log.write_text(done.stdout + done.stderr)
    summary = None
    for line in done.stdout.splitlines():
        if match := PYTEST_SUMMARY.search(line):
            summary = match
    pytest = (
        f"pytest {float(summary['seconds']) / 60:.1f} min ({summary['counts']})"
        if summary
        else "pytest printed no summary"
    )
    verdict = "met" if elapsed <= GOAL_SECONDS and done.returncode == 0 else "NOT met"
    print(
        f"make test on a fresh clone ({os.cpu_count()} CPUs, {args.busy} spinning beside it,"
        f" load {load_before:.1f} before, {load_after:.1f} after): {elapsed / 60:.1f} min,"
        f" exit {done.returncode}; {pytest} (goal <= {GOAL_SECONDS // 60} min: {verdict})"
    )
    if args.keep or done.returncode:
        print(f"log: {log}", file=sys.stderr)
    else:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
