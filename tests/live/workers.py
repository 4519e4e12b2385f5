"""Real `evidence worker` (and `evidence serve`) processes for tests and benchmarks."""

from __future__ import annotations

import fcntl
import hashlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
REDIS_URL = os.environ.get("EVIDENCE_TEST_REDIS_URL", DEFAULT_REDIS_URL)
REDIS_REQUIRED = "EVIDENCE_TEST_REDIS_URL" in os.environ
EVIDENCE = str(Path(sys.executable).with_name("evidence"))


@contextmanager
def private_redis() -> Iterator[str]:
    """EVIDENCE_TEST_REDIS_URL, emptied and ours alone until the block ends.

    Emptying it would pull the queue from under another test using it at the same
    time (another pytest-xdist worker, another run on this machine), so the tests
    using it take turns: a lock on a file named after the URL, released by the
    system even if the holder is killed. Skipped when unreachable, failed when set.
    """
    import redis

    digest = hashlib.sha256(REDIS_URL.encode()).hexdigest()[:16]
    with open(Path(tempfile.gettempdir()) / f"evidence-test-redis-{digest}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).flushdb()
        except redis.RedisError as error:
            message = f"Redis at {REDIS_URL} is unreachable: {error}"
            if REDIS_REQUIRED:
                pytest.fail(message + " (EVIDENCE_TEST_REDIS_URL is set, so this is a failure)")
            pytest.skip(message)
        yield REDIS_URL


def stack_environment(
    database_url: str, queue_url: str, directory: Path, **settings: str
) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        EVIDENCE_DATABASE_URL=database_url,
        EVIDENCE_QUEUE_URL=queue_url,
        EVIDENCE_DATA_DIR=str(directory / "data"),
        EVIDENCE_INSTANCE_DIR=str(directory),
        EVIDENCE_SECRET_KEY="live-test-secret",
        # The test's own pages are on 127.0.0.1, which the outbound guard refuses otherwise.
        EVIDENCE_FETCH_ALLOW_NETWORKS="127.0.0.0/8",
        **settings,
    )
    return env


@contextmanager
def processes(commands: list[list[str]], env: dict[str, str], logs: Path) -> Iterator[list]:
    """Start the commands (each in its own process group); stopped, however the block ends."""
    logs.mkdir(parents=True, exist_ok=True)
    started = []
    try:
        for index, command in enumerate(commands):
            log = (logs / f"{index}-{command[1]}.log").open("wb")
            started.append(
                subprocess.Popen(
                    command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
                )
            )
        yield started
    finally:
        for process in started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> object:
    """Poll ``condition`` until it returns something true; fail naming ``what`` after timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
