"""Checking that sources' web addresses still answer, and capturing them as WARC files.

Verdicts of a check, first match wins:
- dead: no answer (DNS failure, refused connection, timeout, too many redirects)
  or an HTTP status of 400 or more;
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

import asyncio
import datetime as dt
import hashlib
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from evidence.jobs.models import UNFINISHED
from evidence.links.models import PROBLEM_VERDICTS, Capture, CaptureJob, LinkCheck, LinkCheckRun
from evidence.records import utcnow
from evidence.sources.models import Source
from evidence.store import Store

USER_AGENT = "evidence-link-check/1 (+accountability archive)"
MAX_REDIRECTS = 10
# Headers that describe the transfer rather than the page; captures store decoded bodies.
TRANSFER_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}

Progress = Callable[[int], Any]


class CaptureError(ValueError):
    """The page could not be captured; nothing was stored."""


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


async def _fetch(client: httpx.AsyncClient, url: str, timeout: float) -> Fetched:
    fetched = Fetched(url=url)
    digest = hashlib.sha256()
    size = 0
    try:
        # The client's timeouts bound each read; this bounds a server that trickles forever.
        async with asyncio.timeout(timeout * 3):
            async with client.stream("GET", url) as response:
                fetched.redirects = [
                    {"url": str(hop.url), "status": hop.status_code} for hop in response.history
                ]
                fetched.status_code = response.status_code
                fetched.final_url = str(response.url)
                async for chunk in response.aiter_bytes():
                    digest.update(chunk)
                    size += len(chunk)
        fetched.content_length = size
        fetched.sha256 = digest.hexdigest()
    except (TimeoutError, httpx.TimeoutException):
        fetched.error = f"no answer within {timeout:g} seconds"
    except httpx.TooManyRedirects:
        fetched.error = f"more than {MAX_REDIRECTS} redirects"
    except httpx.ConnectError as error:
        fetched.error = f"could not connect: {error}".rstrip(": ")
    except (httpx.HTTPError, httpx.InvalidURL) as error:
        fetched.error = f"{type(error).__name__}: {error}".rstrip(": ")
    return fetched


async def _fetch_all(
    urls: Sequence[str], concurrency: int, per_host: int, timeout: float, progress: Progress | None
) -> list[Fetched]:
    overall = asyncio.Semaphore(concurrency)
    hosts: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(per_host))

    async with httpx.AsyncClient(
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        timeout=httpx.Timeout(timeout),
        headers={"User-Agent": USER_AGENT},
    ) as client:

        async def one(url: str) -> Fetched:
            async with hosts[host_of(url)], overall:
                fetched = await _fetch(client, url, timeout)
            if progress is not None:
                progress(1)
            return fetched

        return list(await asyncio.gather(*(one(url) for url in urls)))


def _run_to_completion(coroutine: Any) -> Any:
    """asyncio.run, also from a thread that already runs an event loop (then in a helper
    thread, since a loop cannot be nested)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as helper:
        return helper.submit(asyncio.run, coroutine).result()


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
    if fetched.error:
        return "dead", fetched.error
    if fetched.status_code is not None and fetched.status_code >= 400:
        return "dead", f"HTTP {fetched.status_code}"
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
) -> list[LinkCheck]:
    """Fetch every source's URL (at most ``concurrency`` at once, ``per_host`` per host),
    store one LinkCheck per source and return them in the sources' order.

    ``progress(1)`` is called as each fetch finishes. Sources without an http(s)
    URL are skipped.
    """
    targets = [source for source in sources if checkable(source.url)]
    if not targets:
        return []
    urls = [source.url.strip() for source in targets]
    results = _run_to_completion(_fetch_all(urls, concurrency, per_host, timeout, progress))
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


def latest_checks_query(filters: ProblemFilters, *, problems_only: bool = True) -> Any:
    """Each source's newest check, newest first; by default only those flagged."""
    newest = select(func.max(LinkCheck.id)).group_by(LinkCheck.source_id)
    stmt = (
        select(LinkCheck)
        .join(Source, Source.id == LinkCheck.source_id)
        .where(LinkCheck.id.in_(newest), Source.retracted_at.is_(None))
        .order_by(LinkCheck.checked_at.desc(), LinkCheck.id.desc())
    )
    if filters.verdict:
        stmt = stmt.where(LinkCheck.verdict == filters.verdict)
    elif problems_only:
        stmt = stmt.where(LinkCheck.verdict.in_(PROBLEM_VERDICTS))
    if filters.host:
        stmt = stmt.where(func.lower(LinkCheck.url).contains(filters.host.lower()))
    if filters.text:
        pattern = f"%{filters.text.lower()}%"
        stmt = stmt.where(
            func.lower(Source.title).like(pattern) | func.lower(Source.key).like(pattern)
        )
    return stmt


def verdict_counts(session: Session) -> dict[str, int]:
    """How many sources' newest check has each verdict."""
    newest = select(func.max(LinkCheck.id)).group_by(LinkCheck.source_id)
    stmt = (
        select(LinkCheck.verdict, func.count())
        .join(Source, Source.id == LinkCheck.source_id)
        .where(LinkCheck.id.in_(newest), Source.retracted_at.is_(None))
        .group_by(LinkCheck.verdict)
    )
    return dict(session.execute(stmt).all())


@dataclass(frozen=True)
class SourceLinks:
    checks: list[LinkCheck]
    captures: list[Capture]
    capture_jobs: list[CaptureJob]  # asked for and not done: queued, running or failed


def source_links(session: Session, source_id: int, limit: int = 20) -> SourceLinks:
    """A source's newest checks and all its captures, newest first (two queries)."""
    checks = session.scalars(
        select(LinkCheck)
        .where(LinkCheck.source_id == source_id)
        .order_by(LinkCheck.id.desc())
        .limit(limit)
    )
    captures = session.scalars(
        select(Capture).where(Capture.source_id == source_id).order_by(Capture.id.desc())
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
        raise CaptureError(f"source {source.key} has no http(s) URL to capture")
    job = CaptureJob(source=source, requested_by=by, state="queued", heartbeat_at=utcnow())
    session.add(job)
    session.flush()
    return job


# --- capture ----------------------------------------------------------------------------


def capture(
    session: Session, source: Source, store: Store, *, by: str, timeout: float = 30.0
) -> Capture:
    """Fetch the source's page and keep it as a WARC file in the store; CaptureError if the
    page does not answer with a success."""
    if not checkable(source.url):
        raise CaptureError(f"source {source.key} has no http(s) URL to capture")
    url = source.url.strip()
    digest = hashlib.sha256()
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as body:
        try:
            with (
                httpx.Client(
                    follow_redirects=True,
                    max_redirects=MAX_REDIRECTS,
                    timeout=httpx.Timeout(timeout),
                    headers={"User-Agent": USER_AGENT},
                ) as client,
                client.stream("GET", url) as response,
            ):
                for chunk in response.iter_bytes():
                    digest.update(chunk)
                    body.write(chunk)
        except httpx.HTTPError as error:
            raise CaptureError(f"{url}: {type(error).__name__}: {error}".rstrip(": ")) from None
        if response.status_code >= 400:
            raise CaptureError(f"{url}: the server answered HTTP {response.status_code}")
        length = body.tell()
        body.seek(0)
        headers = [
            (name, value)
            for name, value in response.headers.multi_items()
            if name.lower() not in TRANSFER_HEADERS
        ] + [("Content-Length", str(length))]
        status = StatusAndHeaders(
            f"{response.status_code} {response.reason_phrase}", headers, protocol="HTTP/1.1"
        )
        with tempfile.TemporaryFile() as warc:
            writer = WARCWriter(warc, gzip=True)
            writer.write_record(
                writer.create_warc_record(
                    str(response.url), "response", payload=body, length=length, http_headers=status
                )
            )
            warc.seek(0)
            stored = store.put(warc)
    record = Capture(
        source_id=source.id,
        source=source,
        captured_at=utcnow(),
        captured_by=by,
        url=url,
        final_url=str(response.url),
        status_code=response.status_code,
        content_type=response.headers.get("content-type"),
        sha256=stored.sha256,
        size=stored.size,
        body_sha256=digest.hexdigest(),
    )
    session.add(record)
    session.flush()
    return record


@dataclass(frozen=True)
class CapturedPage:
    url: str
    status: str
    content_type: str | None
    body: bytes


def read_capture(store: Store, kept: Capture) -> CapturedPage:
    """The page a capture holds, read back from its WARC file."""
    with store.open(kept.sha256) as stream:
        for record in ArchiveIterator(stream):
            if record.rec_type == "response":
                return CapturedPage(
                    url=record.rec_headers.get_header("WARC-Target-URI"),
                    status=record.http_headers.get_statuscode(),
                    content_type=record.http_headers.get_header("Content-Type"),
                    body=record.content_stream().read(),
                )
    raise CaptureError(f"capture {kept.id} holds no response record")
