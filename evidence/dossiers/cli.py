"""`evidence dossier` and `evidence verify-dossier`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from evidence.audit.log import default_actor
from evidence.vocabularies import AUDIENCES


@click.command("dossier")
@click.argument("case_key")
@click.option("--audience", required=True, type=click.Choice(AUDIENCES), help="Who it is for.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="PDF file to write [default: CASE_KEY-AUDIENCE.pdf].",
)
@click.option(
    "--generated-at",
    help="Time printed in the dossier (ISO 8601); the same time and data give the same bytes.",
)
@click.option(
    "--as",
    "actor",
    default=default_actor,
    show_default="the OS user name",
    help="Name printed as the dossier's author.",
)
@click.option("--workers", type=click.IntRange(1), help="Render processes [default: CPU count].")
@with_appcontext
def dossier_command(
    case_key: str,
    audience: str,
    output: Path | None,
    generated_at: str | None,
    actor: str,
    workers: int | None,
) -> None:
    """Export a case as a verifiable PDF dossier for an audience."""
    from evidence.cli import cli_session, fail
    from evidence.dossiers.render import RenderError, write_pdf
    from evidence.dossiers.services import generate_dossier
    from evidence.dossiers.snapshot import CaseNotFound
    from evidence.services_common import ValidationError

    output = output or Path(f"{case_key}-{audience}.pdf")
    bar = click.progressbar(length=100, label="Rendering", file=sys.stderr)
    with cli_session() as session, bar:
        done = [0]

        def progress(step: int, total: int) -> None:
            percent = int(100 * step / total)
            bar.update(percent - done[0])
            done[0] = percent

        try:
            dossier = generate_dossier(
                session,
                case_key,
                audience,
                generated_by=actor,
                generated_at=generated_at,
                progress=progress,
                workers=workers,
            )
        except (ValidationError, CaseNotFound, RenderError) as error:
            fail(str(error))
    digest = write_pdf(dossier.pdf, output)
    snapshot = dossier.snapshot
    click.echo(
        f"Wrote {output}: dossier {snapshot.dossier_id} ({audience}),"
        f" {len(snapshot.manifest)} records, SHA-256 {digest}"
    )


@click.command("verify-dossier")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def verify_dossier_command(file: Path) -> None:
    """Check a dossier PDF against the database: exit 0 only if no record changed."""
    from evidence.cli import cli_session, fail
    from evidence.dossiers.manifest import ManifestError, verify

    with cli_session() as session:
        try:
            report = verify(session, file)
        except ManifestError as error:
            fail(f"{file}: {error}")
    manifest = report.manifest
    described = f"dossier {manifest['dossier_id']} of case {manifest['case']}"
    described += f" ({manifest['audience']})"
    if report.ok:
        click.echo(f"OK: {described}: all {report.checked} records match the database.")
        return
    for problem in report.problems:
        click.echo(problem, err=True)
    fail(
        f"FAILED: {described}: {len(report.problems)} of {report.checked} records"
        " changed or retracted since it was generated."
    )
