"""Dossiers: generate one, choose a case's statements, and queue background render jobs.

A queued job is rendered by a worker of the task queue (evidence.jobs), which
claims it, reports progress and stores the PDF under EVIDENCE_DATA_DIR.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pypdf import PdfReader
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from evidence.audit.log import touch
from evidence.audit.reads import log_read
from evidence.cases.models import Case, CaseIncident
from evidence.core.messages import message
from evidence.core.timestamps import utcnow
from evidence.core.validation import ValidationError
from evidence.dossiers.manifest import manifest_bytes
from evidence.dossiers.models import CaseStatementExclusion, DossierJob
from evidence.dossiers.snapshot import Snapshot, build_snapshot
from evidence.protection import COUNSEL
from evidence.statements.models import Statement, StatementIncident
from evidence.vocabularies import AUDIENCES, LANGUAGES

if TYPE_CHECKING:
    from evidence.dossiers.render import Progress, Renderer

OUTPUT_DIR = "dossiers"


def parse_generated_at(value: str | None) -> str:
    """An ISO 8601 time as the dossier prints it (UTC, seconds); now when not given."""
    if value is None:
        moment = utcnow()
    else:
        try:
            moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError(
                {
                    "generated_at": message(
                        '"%(value)s" is not an ISO 8601 time, e.g. 2026-01-31T12:00:00Z',
                        value=value,
                    )
                }
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_audience(audience: str) -> str:
    if audience not in AUDIENCES:
        raise ValidationError(
            {"audience": message("must be one of %(choices)s", choices=", ".join(AUDIENCES))}
        )
    return audience


def check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise ValidationError(
            {"language": message("must be one of %(choices)s", choices=", ".join(LANGUAGES))}
        )
    return language


@dataclass
class Dossier:
    snapshot: Snapshot
    pdf: bytes
    sealed_annex: bytes | None = None  # counsel only: the identities behind pseudonyms


def snapshot_dossier(
    session: Session,
    case_key: str,
    audience: str,
    *,
    generated_by: str,
    generated_at: str | None = None,
    language: str = "en",
) -> Snapshot:
    """The case as the audience may see it, in ``language``, as plain data (raises
    CaseNotFound).

    Outside the internal audience this may add the dossier's manifest secret (flushes),
    so run it in a write transaction and render afterwards, outside it.
    """
    return build_snapshot(
        session,
        case_key,
        check_audience(audience),
        parse_generated_at(generated_at),
        generated_by,
        check_language(language),
    )


def render_dossier(
    snapshot: Snapshot,
    *,
    progress: Progress | None = None,
    workers: int | None = None,
    renderer: Renderer | None = None,
) -> Dossier:
    """The dossier PDF (and, for counsel, its sealed annex) of a snapshot, laid out by
    ``renderer`` when a command started one; no database."""
    # pikepdf and the templates load only for the commands and jobs that render.
    from evidence.dossiers.render import render_pdfs

    render = renderer.render if renderer else render_pdfs
    pdf, sealed_annex = render(
        snapshot, manifest_bytes(snapshot), workers=workers, progress=progress
    )
    return Dossier(snapshot, pdf, sealed_annex)


def generate_dossier(
    session: Session,
    case_key: str,
    audience: str,
    *,
    generated_by: str,
    generated_at: str | None = None,
    language: str = "en",
    progress: Progress | None = None,
    workers: int | None = None,
) -> Dossier:
    """Snapshot the case for the audience and render it (raises CaseNotFound, RenderError)."""
    snapshot = snapshot_dossier(
        session,
        case_key,
        audience,
        generated_by=generated_by,
        generated_at=generated_at,
        language=language,
    )
    return render_dossier(snapshot, progress=progress, workers=workers)


def log_dossier(
    session: Session, action: str, snapshot: Snapshot, sha256: str, **facts: object
) -> None:
    """Log a dossier taken out (generated, or written into a bundle) on the chain of reads:
    its case, audience and records by key, its PDF's SHA-256, and ``facts``."""
    log_read(
        session,
        action,
        snapshot.generated_by,
        entity="case",
        record_key=snapshot.case_key,
        keys=[entry.key for entry in snapshot.manifest],
        audience=snapshot.audience,
        sha256=sha256,
        dossier=snapshot.dossier_id,
        **facts,
    )


# -- which statements a case's dossiers include --------------------------------------------


@dataclass
class CaseStatement:
    statement: Statement
    included: bool


def case_statements(session: Session, case: Case) -> list[CaseStatement]:
    """Statements about the case's incidents, each with whether dossiers include it."""
    incident_ids = select(CaseIncident.incident_id).where(CaseIncident.case_id == case.id)
    statements = session.scalars(
        select(Statement)
        .where(
            Statement.id.in_(
                select(StatementIncident.statement_id).where(
                    StatementIncident.incident_id.in_(incident_ids)
                )
            )
        )
        .order_by(Statement.key)
    ).all()
    excluded = set(
        session.scalars(
            select(CaseStatementExclusion.statement_id).where(
                CaseStatementExclusion.case_id == case.id
            )
        )
    )
    return [CaseStatement(s, s.id not in excluded) for s in statements]


def set_statement_included(
    session: Session, case: Case, statement: Statement, included: bool
) -> None:
    """Include a statement in the case's dossiers, or leave it out; logged to the audit."""
    linked = {cs.statement.id for cs in case_statements(session, case)}
    if statement.id not in linked:
        raise ValidationError(
            {
                "statement": message(
                    'statement "%(key)s" is not about any incident of this case', key=statement.key
                )
            }
        )
    session.execute(
        delete(CaseStatementExclusion).where(
            CaseStatementExclusion.case_id == case.id,
            CaseStatementExclusion.statement_id == statement.id,
        )
    )
    if not included:
        session.add(CaseStatementExclusion(case_id=case.id, statement_id=statement.id))
    session.flush()
    # The choice is part of the case's record, so the audit hook logs it as a
    # change of the case with before -> after (the delete above is a bulk one).
    touch(session, "case", [case.id])


# -- background jobs ----------------------------------------------------------------------


def queue_job(
    session: Session, case: Case, audience: str, requested_by: str, language: str = "en"
) -> DossierJob:
    job = DossierJob(
        case=case,
        audience=check_audience(audience),
        language=check_language(language),
        requested_by=requested_by,
        state="queued",
        heartbeat_at=utcnow(),
    )
    session.add(job)
    session.flush()
    return job


def jobs_for(session: Session, case: Case, requested_by: str, limit: int = 20) -> list[DossierJob]:
    """A user's latest jobs for a case (a lawyer sees only their own)."""
    return list(
        session.scalars(
            select(DossierJob)
            .where(DossierJob.case_id == case.id, DossierJob.requested_by == requested_by)
            .order_by(DossierJob.id.desc())
            .limit(limit)
        )
    )


def output_file(data_dir: str | Path, job: DossierJob) -> Path:
    return Path(data_dir) / job.output_path


def sealed_path(output: Path) -> Path:
    """Where the sealed annex of the dossier at ``output`` goes: ``<output>-sealed.pdf``."""
    return output.with_name(f"{output.stem}-sealed.pdf")


def sealed_annex_file(data_dir: str | Path, job: DossierJob) -> Path | None:
    """The sealed annex a finished counsel job wrote beside its dossier, if there is one."""
    if job.state != "done" or not job.output_path or job.audience != COUNSEL:
        return None
    path = sealed_path(output_file(data_dir, job))
    return path if path.is_file() else None


def page_count(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)
