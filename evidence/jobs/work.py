"""The work of each kind of job: read in one session, do the slow part, write in another.

The slow part (rendering, fetching) runs outside any write transaction, so
it never holds the SQLite write lock; the results are written at the end in
a transaction of their own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from evidence.audit.anchors import AnchorError, stamp, unanchored
from evidence.audit.log import data_head, head
from evidence.audit.models import AuditAnchor, AuditReadHead
from evidence.audit.reads import log_read
from evidence.core.timestamps import utcnow
from evidence.dossiers.models import DossierJob
from evidence.dossiers.services import (
    OUTPUT_DIR,
    log_dossier,
    page_count,
    render_dossier,
    sealed_path,
    snapshot_dossier,
)
from evidence.jobs.runner import JobContext, JobFailed, register_kind, write
from evidence.links.models import PROBLEM_VERDICTS, CaptureJob, LinkCheckRun
from evidence.links.services import (
    CaptureError,
    NoNetwork,
    capture,
    check_links,
    sources_to_check,
)
from evidence.outbound import SettingError
from evidence.store import Store

log = logging.getLogger(__name__)

LINK_CHECK_SETTINGS = ("concurrency", "per_host", "timeout")

Heads = Callable[[Session], dict[str, tuple[int, str]]]


def anchor_moved_heads(context: JobContext, heads_of: Heads) -> list[AuditAnchor]:
    """Time-stamp at every authority of EVIDENCE_TSA_URLS each head ``heads_of`` names that
    is not anchored yet; nothing when no authority is set. The authorities are asked
    outside any transaction; one that cannot be reached is logged and skipped, so it
    never stops the work that asked for the anchor."""
    urls = context.settings.get("tsa_urls") or []
    if not urls:
        return []
    with context.readers() as session:
        moved = unanchored(session, heads_of(session))
    anchors = []
    for chain, (seq, entry_hash) in sorted(moved.items()):
        for url in urls:
            try:
                anchors.append(stamp(url, chain, seq, entry_hash))
            except AnchorError as error:
                log.warning("audit %s head #%s not anchored: %s", chain, seq, error)
    if anchors:
        with write(context) as session:
            session.add_all(anchors)
    return anchors


def anchor_audit_heads(context: JobContext) -> list[AuditAnchor]:
    """The daily anchor: both chains' heads, where they moved since their last anchor."""
    return anchor_moved_heads(
        context, lambda session: {"changes": head(session), "reads": head(session, AuditReadHead)}
    )


def render_dossier_job(context: JobContext, job_id: int) -> dict[str, Any]:
    """Render the job's dossier to a file under the data directory, reporting each step."""
    from evidence.dossiers.render import write_file  # WeasyPrint: loaded by the jobs that render

    reported = [0]

    def progress(done: int, total: int) -> None:
        percent = min(99, int(100 * done / max(total, 1)))
        if percent > reported[0]:
            reported[0] = percent
            with write(context) as session:
                session.execute(
                    update(DossierJob)
                    .where(DossierJob.id == job_id)
                    .values(progress=percent, heartbeat_at=utcnow())
                )

    # The dossier carries an anchor of the data it prints when an authority is set.
    anchor_moved_heads(context, lambda session: {"changes": data_head(session)})
    # The snapshot may add the dossier's manifest secret: a short write transaction, so
    # the render that follows holds no lock while it lays out pages.
    with write(context) as session:
        job = session.get(DossierJob, job_id)
        snapshot = snapshot_dossier(
            session,
            job.case.key,
            job.audience,
            generated_by=job.requested_by,
            language=job.language,
        )
        relative = Path(OUTPUT_DIR) / f"{job.id}-{job.case.key}-{job.audience}-{job.language}.pdf"
    dossier = render_dossier(snapshot, progress=progress)
    sha256 = write_file(dossier.pdf, Path(context.data_dir) / relative)
    if dossier.sealed_annex is not None:
        # Counsel: the identities behind the pseudonyms, lodged apart from the dossier.
        write_file(dossier.sealed_annex, Path(context.data_dir) / sealed_path(relative))
    with write(context) as session:
        log_dossier(session, "dossier-generated", snapshot, sha256, job=job_id)
    return {
        "sha256": sha256,
        "output_path": str(relative),
        "pages": page_count(dossier.pdf),
        "progress": 100,
    }


def check_run(context: JobContext, run_id: int) -> dict[str, Any]:
    """Check every source's address for the run, counting each answer as it comes."""

    def advance(count: int) -> None:
        with write(context) as session:
            session.execute(
                update(LinkCheckRun)
                .where(LinkCheckRun.id == run_id)
                .values(done=LinkCheckRun.done + count, updated_at=utcnow(), heartbeat_at=utcnow())
            )

    with context.readers() as session:
        run = session.get(LinkCheckRun, run_id)
        sources = sources_to_check(session)
        started_by = run.started_by
    options = {key: context.settings[key] for key in LINK_CHECK_SETTINGS if key in context.settings}
    # The writer's transaction begins at its first statement, after the fetches.
    try:
        with write(context) as session:
            checks = check_links(session, sources, progress=advance, run=run, **options)
            problems = sum(check.verdict in PROBLEM_VERDICTS for check in checks)
            log_read(
                session,
                "link-check",
                started_by,
                checked=len(checks),
                problems=problems,
                run=run_id,
            )
    except (NoNetwork, SettingError) as error:
        # "no network from this server": nothing was checked or marked; said as it is.
        raise JobFailed(str(error)) from None
    return {"problems": problems, "updated_at": utcnow()}


def capture_page(context: JobContext, job_id: int) -> dict[str, Any]:
    """Keep the source's page as a WARC file; a page that does not answer fails the job."""
    with context.readers() as session:
        job = session.get(CaptureJob, job_id)
        source, requested_by = job.source, job.requested_by
    try:
        with write(context) as session:
            kept = capture(session, source, Store(context.data_dir), by=requested_by)
    except CaptureError as error:
        raise JobFailed(f"Not captured: {error}") from None
    return {"capture_id": kept.id}


register_kind("dossier", DossierJob, render_dossier_job)
register_kind("link-check", LinkCheckRun, check_run)
register_kind("capture", CaptureJob, capture_page)
