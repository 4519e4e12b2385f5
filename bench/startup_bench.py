"""Prints how long `evidence --help` and `evidence audit verify` take from the shell prompt,
next to the goal of issue 13 (a CLI that starts at once: `evidence --help` in <= 0.5 s), and
which heavy libraries each command imported (neither may import WeasyPrint).

Each command runs in fresh processes, several times; the best and median wall time and the
median CPU time are printed (on a machine shared with other work the wall time says how busy
it was; the CPU time says what the command cost).
Run: .venv/bin/python bench/startup_bench.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dossier_cli_bench import EVIDENCE, demo_database, run  # noqa: E402

GOAL_HELP_SECONDS = 0.5
HEAVY = ("weasyprint", "openpyxl", "gunicorn", "huey", "redis", "sqlalchemy")


def imported_heavy(env: dict[str, str], *arguments: str) -> list[str]:
    """The heavy top-level packages `evidence ARGUMENTS` imported (from `-X importtime`)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", str(EVIDENCE), *arguments],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    modules = {line.rpartition("|")[2].strip() for line in done.stderr.splitlines()}
    return [name for name in HEAVY if name in modules]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with demo_database() as (_folder, env):
        for arguments, goal in ((("--help",), GOAL_HELP_SECONDS), (("audit", "verify"), None)):
            timings = [run(env, *arguments) for _ in range(args.runs)]
            walls = [wall for wall, _cpu in timings]
            cpus = [cpu for _wall, cpu in timings]
            median = statistics.median(walls)
            verdict = ""
            if goal is not None:
                verdict = f" (goal <= {goal:.1f} s: {'met' if median <= goal else 'NOT met'})"
            heavy = ", ".join(imported_heavy(env, *arguments)) or "none of them"
            print(
                f"evidence {' '.join(arguments)}, {args.runs} runs: best {min(walls):.2f} s,"
                f" median {median:.2f} s wall{verdict}; CPU median {statistics.median(cpus):.2f} s;"
                f" imported of {', '.join(HEAVY)}: {heavy}"
            )


if __name__ == "__main__":
    main()
