"""Prints seconds, archive MB and peak memory (RSS) of `evidence backup` and `evidence restore`
on the 100k-incident data set of pages_bench.py (issue 12, item 4).

Run: .venv/bin/python bench/backup_bench.py [--incidents N] [--files N] [--keep FILE]
                                             [--target-url URL]

The data set is the one pages_bench.py generates (100k incidents, 300k statements,
500k citations, ... with bulk inserts), plus ``--files`` stored files of 1 MB of random
bytes (they do not compress). Both commands run as real `evidence` processes; the
backup is encrypted to a freshly generated age key. Peak memory is each process's
maximum resident set size, so a command that loaded a whole table or file would show
it. The restore goes into a fresh SQLite file, or with ``--target-url`` into that
PostgreSQL database, whose schema `public` is DROPPED and rebuilt (give it a scratch
database). ``--keep FILE`` keeps the generated SQLite file and reuses it next time.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pyrage import x25519  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from bench.pages_bench import generate  # noqa: E402
from evidence.backup.services import backed_up_tables  # noqa: E402
from evidence.db import make_engine  # noqa: E402
from evidence.migrate import upgrade  # noqa: E402
from evidence.store import Store  # noqa: E402

EVIDENCE = Path(sys.executable).parent / "evidence"


def run(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Runs one `evidence` command; its wall seconds and peak RSS in MB."""
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        process = subprocess.Popen([str(EVIDENCE), *args], env=env, stderr=errors)
        _pid, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            errors.seek(0)
            sys.exit(f"evidence {args[0]} failed:\n{errors.read().decode()[-2000:]}")
    return seconds, usage.ru_maxrss / 1024  # ru_maxrss is in KB on Linux


def row_count(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as connection:
        total = sum(
            connection.scalar(select(func.count()).select_from(table))
            for table in backed_up_tables()
        )
    engine.dispose()
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--files", type=int, default=20, help="stored files of 1 MB each")
    parser.add_argument("--keep", help="the source SQLite file (reused when it exists)")
    parser.add_argument("--target-url", help="a scratch PostgreSQL database to restore into")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = Path(args.keep) if args.keep else folder / "source.sqlite"
        source_url = f"sqlite:///{source}"
        data_dir = folder / "data"
        if source.exists():
            print(f"reusing {source} (generated for --incidents {args.incidents}?)")
            upgrade(source_url)
        else:
            upgrade(source_url)
            engine = make_engine(source_url)
            started = time.perf_counter()
            generate(engine, args.incidents)
            engine.dispose()
            print(
                f"generated {args.incidents:,} incidents in {time.perf_counter() - started:.0f} s"
            )
        store = Store(data_dir)
        for _ in range(args.files):
            store.put(io.BytesIO(os.urandom(1024 * 1024)))

        target_url = args.target_url or f"sqlite:///{folder / 'restored.sqlite'}"
        if args.target_url:
            engine = make_engine(target_url)
            with engine.begin() as connection:
                connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
            engine.dispose()

        identity = x25519.Identity.generate()
        key_file = folder / "key.txt"
        key_file.write_text(f"{identity}\n")
        archive = folder / "backup.age"
        common = {**os.environ, "EVIDENCE_SECRET_KEY": "bench", "EVIDENCE_INSTANCE_DIR": tmp}
        backup_env = {
            **common,
            "EVIDENCE_DATABASE_URL": source_url,
            "EVIDENCE_DATA_DIR": str(data_dir),
        }
        restore_env = {
            **common,
            "EVIDENCE_DATABASE_URL": target_url,
            "EVIDENCE_DATA_DIR": str(folder / "restored-data"),
        }
        rows = row_count(source_url)
        source_mb = (source.stat().st_size + args.files * 1024 * 1024) / 1e6
        print(f"source: {rows:,} rows, {args.files} files; {source_mb:.0f} MB on disk")

        seconds, peak = run(
            ["backup", "-o", str(archive), "--recipient", str(identity.to_public())], backup_env
        )
        size = archive.stat().st_size / 1e6
        print(f"backup:  {seconds:6.1f} s, archive {size:.0f} MB, peak RSS {peak:.0f} MB")
        seconds, peak = run(["restore", str(archive), "--identity", str(key_file)], restore_env)
        engine_name = "PostgreSQL" if args.target_url else "SQLite"
        print(f"restore: {seconds:6.1f} s into {engine_name}, peak RSS {peak:.0f} MB")
        restored = row_count(target_url)
        print(f"restored {restored:,} rows ({'all' if restored == rows else 'NOT ALL'})")


if __name__ == "__main__":
    main()
