"""Prints the time and the peak memory of guarded fetches of hostile and large pages.

Serves the test site on 127.0.0.1 (tests/links/site.py) and fetches, through
evidence.outbound with loopback allowed:
1. a 40 MB page (under the 50 MB cap): time, and peak Python memory (bodies go to a
   temporary file, so it should stay near one decoding step, not 40 MB);
2. the gzip bomb (200 MB of zeros in about 200 KB): stopped at the cap;
3. a page that claims 300 MB: refused on its Content-Length.
Run: .venv/bin/python bench/outbound_bench.py
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evidence.outbound import FetchFailed, FetchPolicy, fetch, parse_networks  # noqa: E402
from tests.links import site as test_site  # noqa: E402


def measure(label: str, url: str, policy: FetchPolicy) -> None:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with fetch(url, policy=policy, timeout=30) as page:
            outcome = f"{page.size / 1024 / 1024:.1f} MB fetched"
    except FetchFailed as failure:
        outcome = f"stopped: {failure}"
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{label:28} {elapsed:6.2f} s  peak {peak / 1024 / 1024:6.1f} MB  {outcome}")


def main() -> None:
    test_site.gzip_bomb()  # made before measuring, as the site serves it from memory
    policy = FetchPolicy(allow_networks=parse_networks("127.0.0.0/8"))
    with test_site.serve_site() as running:
        measure(f"{test_site.LARGE_MB} MB page", running.url("/large"), policy)
        measure(f"gzip bomb ({test_site.BOMB_MB} MB)", running.url("/bomb"), policy)
        measure("claims 300 MB", running.url("/huge"), policy)
        measure("endless body", running.url("/endless"), policy)


if __name__ == "__main__":
    main()
