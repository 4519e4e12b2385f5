"""Checking that sources' web addresses still answer, and capturing them as WARC files.

Before a run, a probe (EVIDENCE_NETWORK_PROBE) checks that this server can reach the
outside world at all; if it cannot, nothing is fetched and nothing is marked (NoNetwork).
Verdicts of a check, first match wins:
- no usable answer: why, from the outbound guard: dns-failure, conn-refused, tls-error,
  timeout, policy (refused by policy: never fetched), too-large, error (anything else,
  e.g. too many redirects);
- http-5xx / http-4xx: the final answer's status;
- moved: redirects ended on another host than the source's URL names
  (http -> https on the same host is not a move);
- changed: the body's SHA-256 differs from the baseline. The baseline is the
  newest capture's body hash, because a capture is the copy we hold and can
  show; a source never captured is compared with its newest check that got
  a body (so the first check of an uncaptured source is never "changed");
- ok otherwise.
Bodies are hashed after HTTP content decoding (gzip etc.), in checks and in
captures alike, so both hashes describe the same bytes.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any
from urllib.parse import urlsplit

from sqlalchemy import case, func, select, true
from sqlalchemy.orm import Session
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from evidence.core.messages import Message, message
from evidence.core.timestamps import utcnow
from evidence.jobs.models import UNFINISHED
from evidence.links.models import Capture, CaptureJob, LinkCheck, LinkCheckRun
from evidence.outbound import (
    FetchFailed,
    FetchPolicy,
    Page,
    fetch,
    outside_world_reachable,
    probe_targets,
)
from evidence.sources.models import Source
from evidence.store import Store

# Headers that describe the transfer rather than the page; captures store decoded bodies.
TRANSFER_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}
CHUNK_BYTES = 256 * 1024

Progress = Callable[[int], Any]


class CaptureError(ValueError):
    """The page could not be captured; nothing was stored."""


def no_web_address(source: Source) -> Message:
    return message("source %(key)s has no http(s) URL to capture", key=source.key)


class NoNetwork(RuntimeError):
    """The probe reached none of its hosts: a run would only measure our own outage."""

    def __init__(self, targets: Sequence[tuple[str, int]]) -> None:
        tried = " or ".join(f"{host}:{port}" for host, port in targets)
        super().__init__(
            f"no network from this server (could not reach {tried}); no link was checked"
            " and none was marked"
        )


# FetchFailed kinds -> verdicts.
FAILURE_VERDICTS = {
    "dns": "dns-failure",
    "refused": "conn-refused",
    "tls": "tls-error",
    "timeout": "timeout",
    "policy": "policy",
    "too-large": "too-large",
    "error": "error",
}


@dataclass
class Fetched:
    """What one GET of a URL returned (or why it returned nothing)."""

    url: str
    status_code: int | None = None
    final_url: str | None = None
    redirects: list[dict[str, Any]] = field(default_factory=list)
    content_length: int | None = None
    sha256: str | None = None
    error: str | None = None
    # Why nothing usable came back: a FetchFailed kind (policy, dns, refused, tls, ...).
    failure: str | None = None


def checkable(url: str | None) -> bool:
    """Only http(s) addresses are fetched: nothing else (file:, ftp:) ever leaves the server."""
    return bool(url) and urlsplit(url.strip()).scheme in ("http", "https")


def sources_to_check(session: Session) -> list[Source]:
    """Every source that is not retracted and has a web address, by key."""
    stmt = (
        select(Source)
        .where(Source.retracted_at.is_(None), Source.url.is_not(None))
        .order_by(Source.key)
    )
    return [source for source in session.scalars(stmt) if checkable(source.url)]


def host_of(url: str | None) -> str:
    return (urlsplit(url or "").hostname or "").lower()


def _fetch(url: str, timeout: float, policy: FetchPolicy) -> Fetched:
    fetched = Fetched(url=url)
    try:
        with fetch(url, timeout=timeout, policy=policy) as page:
            fetched.status_code = page.status_code
            fetched.final_url = page.final_url
            fetched.redirects = page.redirects
            fetched.content_length = page.size
            fetched.sha256 = page.sha256
    except FetchFailed as failure:
        fetched.failure, fetched.error = failure.kind, str(failure)
    return fetched


def _fetch_all(
    urls: Sequence[str],
    concurrency: int,
    per_host: int,
    timeout: float,
    policy: FetchPolicy,
    progress: Progress | None,
) -> list[Fetched]:
    """Fetch in ``concurrency`` threads, at most ``per_host`` at once per host; ``progress``
    is called in the caller's thread (it may use the caller's database session)."""
    hosts = {host_of(url): threading.BoundedSemaphore(per_host) for url in urls}

    def one(url: str) -> Fetched:
        with hosts[host_of(url)]:
            return _fetch(url, timeout, policy)

    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="link-check") as pool:
        futures = [pool.submit(one, url) for url in urls]
        for _finished in as_completed(futures):
            if progress is not None:
                progress(1)
        return [future.result() for future in futures]


def _baselines(session: Session, source_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """source id -> (body hash to compare with, what it is), per the module's rule."""
    baselines: dict[int, tuple[str, str]] = {}
    newest_check = (
        select(func.max(LinkCheck.id))
        .where(
            LinkCheck.source_id.in_(source_ids),
            LinkCheck.sha256.is_not(None),
            LinkCheck.status_code < 400,
        )
        .group_by(LinkCheck.source_id)
    )
    for check in session.scalars(select(LinkCheck).where(LinkCheck.id.in_(newest_check))):
        baselines[check.source_id] = (check.sha256, f"check of {_day(check.checked_at)}")
    newest_capture = (
        select(func.max(Capture.id))
        .where(Capture.source_id.in_(source_ids))
        .group_by(Capture.source_id)
    )
    for capture in session.scalars(select(Capture).where(Capture.id.in_(newest_capture))):
        baselines[capture.source_id] = (
            capture.body_sha256,
            f"capture of {_day(capture.captured_at)}",
        )
    return baselines


def _day(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def judge(fetched: Fetched, baseline: tuple[str, str] | None) -> tuple[str, str | None]:
    """The verdict of one fetch and why (see the module's rules)."""
    if fetched.failure:
        return FAILURE_VERDICTS[fetched.failure], fetched.error
    if fetched.status_code is not None and fetched.status_code >= 500:
        return "http-5xx", f"HTTP {fetched.status_code}"
    if fetched.status_code is not None and fetched.status_code >= 400:
        return "http-4xx", f"HTTP {fetched.status_code}"
    if host_of(fetched.final_url) != host_of(fetched.url):
        return "moved", f"redirected to {host_of(fetched.final_url)}"
    if baseline is not None and baseline[0] != fetched.sha256:
        return "changed", f"content differs from the {baseline[1]}"
    return "ok", None


def check_links(
    session: Session,
    sources: Iterable[Source],
    *,
    concurrency: int = 8,
    per_host: int = 2,
    timeout: float = 10.0,
    progress: Progress | None = None,
    run: LinkCheckRun | None = None,
    policy: FetchPolicy | None = None,
) -> list[LinkCheck]:
    """Fetch every source's URL (at most ``concurrency`` at once, ``per_host`` per host),
    store one LinkCheck per source and return them in the sources' order.

    ``progress(1)`` is called as each fetch finishes. Sources without an http(s)
    URL are skipped. Fetches go through the outbound guard, under ``policy`` (by
    default the environment's). Raises NoNetwork, before any fetch, when the network
    probe fails.
    """
    targets = [source for source in sources if checkable(source.url)]
    if not targets:
        return []
    probe = probe_targets()
    if not outside_world_reachable(probe):
        raise NoNetwork(probe)
    urls = [source.url.strip() for source in targets]
    policy = FetchPolicy.from_environment() if policy is None else policy
    results = _fetch_all(urls, concurrency, per_host, timeout, policy, progress)
    baselines = _baselines(session, [source.id for source in targets])
    checks = []
    for source, fetched in zip(targets, results, strict=True):
        verdict, reason = judge(fetched, baselines.get(source.id))
        checks.append(
            LinkCheck(
                source_id=source.id,
                source=source,
                run_id=run.id if run else None,
                checked_at=utcnow(),
                url=fetched.url,
                status_code=fetched.status_code,
                final_url=fetched.final_url,
                redirects=fetched.redirects,
                content_length=fetched.content_length,
                sha256=fetched.sha256,
                error=fetched.error,
                verdict=verdict,
                reason=reason,
            )
        )
    session.add_all(checks)
    session.flush()
    return checks


def check_as_json(check: LinkCheck) -> dict[str, Any]:
    """One check as the CLI's ``--json`` prints it."""
    return {
        "source": check.source.key,
        "url": check.url,
        "verdict": check.verdict,
        "reason": check.reason,
        "status_code": check.status_code,
        "final_url": check.final_url,
        "redirects": check.redirects,
        "content_length": check.content_length,
        "sha256": check.sha256,
        "error": check.error,
        "checked_at": check.checked_at.isoformat(),
    }


# --- runs started from the dashboard ----------------------------------------------------


def active_run(session: Session, stale_after: dt.timedelta) -> LinkCheckRun | None:
    """The newest run still queued or running, unless its worker stopped reporting.

    Only reads: a stuck run is shown as such, and a worker queues it again.
    """
    run = session.scalar(
        select(LinkCheckRun)
        .where(LinkCheckRun.state.in_(UNFINISHED))
        .order_by(LinkCheckRun.id.desc())
        .limit(1)
    )
    if run is None or run.stale(utcnow(), stale_after):
        return None
    return run


def latest_run(session: Session) -> LinkCheckRun | None:
    return session.scalar(select(LinkCheckRun).order_by(LinkCheckRun.id.desc()).limit(1))


def start_run(session: Session, by: str) -> LinkCheckRun:
    """A new run over every checkable source; finished at once when there is none."""
    total = len(sources_to_check(session))
    run = LinkCheckRun(
        started_by=by, total=total, state="queued" if total else "done", heartbeat_at=utcnow()
    )
    if not total:
        run.finished_at = utcnow()
    session.add(run)
    session.flush()
    return run


# --- what the pages show ----------------------------------------------------------------


@dataclass(frozen=True)
class ProblemFilters:
    verdict: str | None = None
    host: str | None = None
    text: str | None = None


def _has_web_url() -> Any:
    # Saved URLs are trimmed; older rows may hold other schemes, which are never fetched.
    url = func.lower(Source.url)
    return url.like("http://%") | url.like("https://%")


def _sources_with_status() -> tuple[Any, Any]:
    """(select of live sources with their newest check or None, and the status column):
    the newest check's verdict, or "unchecked", or "no-url"."""
    newest = (
        select(LinkCheck.source_id, func.max(LinkCheck.id).label("check_id"))
        .group_by(LinkCheck.source_id)
        .subquery()
    )
    status = case(
        (Source.url.is_(None) | ~_has_web_url(), "no-url"),
        (LinkCheck.id.is_(None), "unchecked"),
        else_=LinkCheck.verdict,
    )
    stmt = (
        select(Source, LinkCheck, status.label("status"))
        .outerjoin(newest, newest.c.source_id == Source.id)
        .outerjoin(LinkCheck, LinkCheck.id == newest.c.check_id)
        .where(Source.retracted_at.is_(None))
    )
    return stmt, status


def link_status_query(filters: ProblemFilters) -> Any:
    """Rows (source, newest check or None, status) for every live source: problems first
    (newest first), then sources not checked yet, then those without a web address. By
    default sources whose newest verdict is ok are left out; ``filters.verdict`` picks
    one status instead."""
    stmt, status = _sources_with_status()
    rank = case((status == "no-url", 2), (status == "unchecked", 1), else_=0)
    stmt = stmt.order_by(rank, LinkCheck.checked_at.desc(), LinkCheck.id.desc(), Source.key)
    stmt = stmt.where(status == filters.verdict) if filters.verdict else stmt.where(status != "ok")
    if filters.host:
        stmt = stmt.where(func.lower(Source.url).contains(filters.host.lower()))
    if filters.text:
        pattern = f"%{filters.text.lower()}%"
        stmt = stmt.where(
            func.lower(Source.title).like(pattern) | func.lower(Source.key).like(pattern)
        )
    return stmt


def status_counts(session: Session) -> dict[str, int]:
    """How many live sources have each status (see link_status_query)."""
    stmt, status = _sources_with_status()
    counted = stmt.with_only_columns(status, func.count()).group_by(status)
    return dict(session.execute(counted).all())


@dataclass(frozen=True)
class SourceLinks:
    checks: list[LinkCheck]
    captures: list[Capture]
    capture_jobs: list[CaptureJob]  # asked for and not done: queued, running or failed


def source_links(
    session: Session, source_id: int, limit: int = 20, *, visible: Any = None
) -> SourceLinks:
    """A source's newest checks and its captures that are ``visible`` (the audience's
    condition from evidence.protection), newest first (two queries)."""
    checks = session.scalars(
        select(LinkCheck)
        .where(LinkCheck.source_id == source_id)
        .order_by(LinkCheck.id.desc())
        .limit(limit)
    )
    captures = session.scalars(
        select(Capture)
        .where(Capture.source_id == source_id, true() if visible is None else visible)
        .order_by(Capture.id.desc())
    )
    capture_jobs = session.scalars(
        select(CaptureJob)
        .where(CaptureJob.source_id == source_id, CaptureJob.state != "done")
        .order_by(CaptureJob.id.desc())
        .limit(limit)
    )
    return SourceLinks(list(checks), list(captures), list(capture_jobs))


def queue_capture(session: Session, source: Source, by: str) -> CaptureJob:
    """Ask the workers to capture the source's page; CaptureError if it has no http(s) URL."""
    if not checkable(source.url):
        raise CaptureError(no_web_address(source))
    job = CaptureJob(source=source, requested_by=by, state="queued", heartbeat_at=utcnow())
    session.add(job)
    session.flush()
    return job


# --- capture ----------------------------------------------------------------------------


def capture(
    session: Session,
    source: Source,
    store: Store,
    *,
    by: str,
    timeout: float = 30.0,
    policy: FetchPolicy | None = None,
) -> Capture:
    """Fetch the source's page through the outbound guard and keep it as a WARC file in the
    store; CaptureError if the page does not answer with a success (nothing is stored)."""
    if not checkable(source.url):
        raise CaptureError(no_web_address(source))
    url = source.url.strip()
    try:
        with fetch(url, timeout=timeout, policy=policy) as page:
            if page.status_code >= 400:
                raise CaptureError(f"{url}: the server answered HTTP {page.status_code}")
            with _warc_of(page) as warc:
                stored = store.put(warc, session=session)
    except FetchFailed as failure:
        raise CaptureError(f"{url}: {failure}") from None
    record = Capture(
        source_id=source.id,
        source=source,
        captured_at=utcnow(),
        captured_by=by,
        url=url,
        final_url=page.final_url,
        status_code=page.status_code,
        content_type=page.content_type,
        sha256=stored.sha256,
        size=stored.size,
        body_sha256=page.sha256,
    )
    session.add(record)
    session.flush()
    return record


@contextmanager
def _warc_of(page: Page) -> Iterator[IO[bytes]]:
    """A temporary gzipped WARC file (positioned at 0) holding the page as one response."""
    headers = [
        (name, value) for name, value in page.headers if name.lower() not in TRANSFER_HEADERS
    ] + [("Content-Length", str(page.size))]
    status = StatusAndHeaders(
        f"{page.status_code} {page.reason_phrase}", headers, protocol="HTTP/1.1"
    )
    with tempfile.TemporaryFile() as warc:
        writer = WARCWriter(warc, gzip=True)
        writer.write_record(
            writer.create_warc_record(
                page.final_url, "response", payload=page.body, length=page.size, http_headers=status
            )
        )
        warc.seek(0)
        yield warc


@dataclass(frozen=True)
class CapturedPage:
    url: str
    status: str
    content_type: str | None
    # The page's bytes, read from the store as they are consumed.
    chunks: Iterator[bytes]


def read_capture(store: Store, kept: Capture) -> CapturedPage:
    """The page a capture holds, streamed back from its WARC file."""
    stream = store.open(kept.sha256)
    for record in ArchiveIterator(stream):
        if record.rec_type == "response":
            return CapturedPage(
                url=record.rec_headers.get_header("WARC-Target-URI"),
                status=record.http_headers.get_statuscode(),
                content_type=record.http_headers.get_header("Content-Type"),
                chunks=_read_in_chunks(stream, record.content_stream()),
            )
    stream.close()
    raise CaptureError(f"capture {kept.id} holds no response record")


def _read_in_chunks(stream: IO[bytes], content: Any) -> Iterator[bytes]:
    with stream:
        while piece := content.read(CHUNK_BYTES):
            yield piece
