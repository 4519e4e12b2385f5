"""`evidence dossier` and `evidence verify-dossier`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from flask import current_app
from flask.cli import with_appcontext

from evidence.audit.log import default_actor
from evidence.vocabularies import AUDIENCES, LANGUAGES

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from evidence.dossiers.services import Dossier


def generation_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options of every command that generates a dossier."""
    options = [
        click.argument("case_key"),
        click.option(
            "--audience", required=True, type=click.Choice(AUDIENCES), help="Who it is for."
        ),
        click.option(
            "--generated-at",
            help="Time printed in the dossier (ISO 8601); the same time and data give the same"
            " bytes.",
        ),
        click.option(
            "--as",
            "actor",
            default=default_actor,
            show_default="the OS user name",
            help="Name printed as the dossier's author.",
        ),
        click.option(
            "--lang",
            "language",
            type=click.Choice(LANGUAGES),
            default="en",
            show_default=True,
            help="Language of everything the dossier prints but the records themselves.",
        ),
        click.option(
            "--workers", type=click.IntRange(1), help="Render processes [default: CPU count]."
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def generate_with_progress(
    session: Session,
    case_key: str,
    audience: str,
    generated_at: str | None,
    actor: str,
    workers: int | None,
    language: str = "en",
) -> Dossier:
    """Generate a dossier with a progress bar on stderr; a clear message and exit 1 on error."""
    from evidence.cli import fail
    from evidence.dossiers.render import RenderError
    from evidence.dossiers.services import generate_dossier
    from evidence.dossiers.snapshot import CaseNotFound
    from evidence.services_common import ValidationError

    with click.progressbar(length=100, label="Rendering", file=sys.stderr) as bar:
        done = [0]

        def progress(step: int, total: int) -> None:
            percent = int(100 * step / total)
            bar.update(percent - done[0])
            done[0] = percent

        try:
            return generate_dossier(
                session,
                case_key,
                audience,
                generated_by=actor,
                generated_at=generated_at,
                language=language,
                progress=progress,
                workers=workers,
            )
        except (ValidationError, CaseNotFound, RenderError) as error:
            fail(str(error))
            raise


@click.command("dossier")
@generation_options
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="PDF file to write [default: CASE_KEY-AUDIENCE.pdf].",
)
@with_appcontext
def dossier_command(
    case_key: str,
    audience: str,
    output: Path | None,
    generated_at: str | None,
    actor: str,
    workers: int | None,
    language: str,
) -> None:
    """Export a case as a verifiable PDF dossier for an audience, in a language."""
    from evidence.cli import cli_session
    from evidence.dossiers.render import write_pdf
    from evidence.dossiers.sealed import sealed_path

    output = output or Path(f"{case_key}-{audience}.pdf")
    with cli_session(write=True) as session:
        dossier = generate_with_progress(
            session, case_key, audience, generated_at, actor, workers, language
        )
    digest = write_pdf(dossier.pdf, output)
    snapshot = dossier.snapshot
    click.echo(
        f"Wrote {output}: dossier {snapshot.dossier_id} ({audience}),"
        f" {len(snapshot.manifest)} records, SHA-256 {digest}"
    )
    if dossier.sealed_annex is not None:
        sealed = sealed_path(output)
        digest = write_pdf(dossier.sealed_annex, sealed)
        click.echo(f"Wrote {sealed}: sealed annex (UNDER SEAL), SHA-256 {digest}")


@click.command("verify-dossier")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def verify_dossier_command(file: Path) -> None:
    """Check a dossier PDF against the database and the audit chain's time-stamp anchor:
    exit 0 only if no record changed and nothing was tampered with."""
    from evidence.cli import cli_session, fail, tsa_roots
    from evidence.dossiers.manifest import ManifestError, verify

    roots = tsa_roots()
    with cli_session() as session:
        try:
            report = verify(session, file, roots)
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
    if report.tampered:
        fail(f"TAMPERED: {described}: the audit log cannot account for what changed.")
    fail(
        f"FAILED: {described}: {len(report.problems)} of {report.checked} records"
        " changed or retracted since it was generated."
    )


@click.command("bundle")
@generation_options
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path),
    help="Bag to write: a directory, or a .zip file when the name ends so.",
)
@with_appcontext
def bundle_command(
    case_key: str,
    audience: str,
    output: Path,
    generated_at: str | None,
    actor: str,
    workers: int | None,
    language: str,
) -> None:
    """Write a case bundle: a BagIt bag with the dossier, its exhibits, captures and schedule."""
    from evidence.cli import cli_session, fail
    from evidence.dossiers.bundle import BundleError, write_bundle
    from evidence.store import store_for

    with cli_session(write=True) as session:
        dossier = generate_with_progress(
            session, case_key, audience, generated_at, actor, workers, language
        )
        try:
            report = write_bundle(session, store_for(current_app.config), dossier, output)
        except BundleError as error:
            fail(str(error))
    click.echo(
        f"Wrote {report.path}: dossier {dossier.snapshot.dossier_id} ({audience}),"
        f" {report.exhibits} exhibit(s), {report.captures} capture(s)"
    )


@click.command("verify-bundle")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@with_appcontext
def verify_bundle_command(path: Path) -> None:
    """Check a case bundle: the bag, the dossier's records and every file against the
    database. Exit 0 only if everything matches."""
    from evidence.cli import cli_session, fail, tsa_roots
    from evidence.dossiers.bundle import BundleError, verify_bundle

    roots = tsa_roots()
    with cli_session() as session:
        try:
            report = verify_bundle(session, path, roots)
        except BundleError as error:
            fail(f"{path}: {error}")
    if report.ok:
        click.echo(f"OK: {path}: the bag is complete and all {report.checked} items match.")
        return
    for problem in report.problems:
        click.echo(problem, err=True)
    fail(f"FAILED: {path}: {len(report.problems)} problem(s).")
