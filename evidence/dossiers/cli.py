"""`evidence dossier` and `evidence verify-dossier`."""

from __future__ import annotations

import functools
import hashlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from flask import current_app
from flask.cli import with_appcontext

from evidence.audit.log import default_actor
from evidence.commandline import cli_session, fail, tsa_roots
from evidence.vocabularies import AUDIENCES, LANGUAGES

if TYPE_CHECKING:
    from evidence.dossiers.services import Dossier
    from evidence.dossiers.snapshot import Snapshot


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


RENDERER = "evidence.renderer"


def with_early_renderer(command: Callable[..., Any]) -> Callable[..., Any]:
    """Fork the dossier's renderer before the command builds its application and reads the
    case (with_appcontext, under this decorator): it loads WeasyPrint meanwhile, on the
    other core (see evidence.dossiers.render.Renderer). Not for HTML, which needs no layout."""

    @functools.wraps(command)
    def start_then_run(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("output_format", "pdf") != "pdf":
            return command(*args, **kwargs)
        from evidence.dossiers.render import Renderer

        with Renderer.started() as renderer:
            click.get_current_context().meta[RENDERER] = renderer
            return command(*args, **kwargs)

    return start_then_run


def take_snapshot(
    case_key: str, audience: str, generated_at: str | None, actor: str, language: str = "en"
) -> Snapshot:
    """The case for the audience, in a short write transaction of its own (the snapshot may
    add the dossier's manifest secret), so that no lock is held while pages are laid out;
    a clear message and exit 1 on error."""
    from evidence.core.validation import ValidationError
    from evidence.dossiers.services import snapshot_dossier
    from evidence.dossiers.snapshot import CaseNotFound

    with cli_session(write=True) as session:
        try:
            return snapshot_dossier(
                session,
                case_key,
                audience,
                generated_by=actor,
                generated_at=generated_at,
                language=language,
            )
        except (ValidationError, CaseNotFound) as error:
            fail(str(error))
            raise


def render_with_progress(snapshot: Snapshot, workers: int | None) -> Dossier:
    """Render a snapshot with a progress bar on stderr; a clear message and exit 1 on error."""
    from evidence.dossiers.render import RenderError
    from evidence.dossiers.services import render_dossier

    with click.progressbar(length=100, label="Rendering", file=sys.stderr) as bar:
        done = [0]

        def progress(step: int, total: int) -> None:
            percent = int(100 * step / total)
            bar.update(percent - done[0])
            done[0] = percent

        try:
            return render_dossier(
                snapshot,
                progress=progress,
                workers=workers,
                renderer=click.get_current_context().meta.get(RENDERER),
            )
        except RenderError as error:
            fail(str(error))
            raise


@click.command("dossier")
@generation_options
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["pdf", "html"]),
    default="pdf",
    show_default=True,
    help="pdf: the verifiable PDF/A (and, for counsel, the sealed annex beside it);"
    " html: the same dossier as one self-contained HTML file to read in a browser.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write [default: CASE_KEY-AUDIENCE.pdf or .html].",
)
@with_early_renderer
@with_appcontext
def dossier_command(
    case_key: str,
    audience: str,
    output_format: str,
    output: Path | None,
    generated_at: str | None,
    actor: str,
    workers: int | None,
    language: str,
) -> None:
    """Export a case as a verifiable PDF dossier (or its HTML) for an audience, in a language."""
    from evidence.dossiers.render import dossier_html, write_file
    from evidence.dossiers.services import log_dossier, sealed_path

    output = output or Path(f"{case_key}-{audience}.{output_format}")
    snapshot = take_snapshot(case_key, audience, generated_at, actor, language)
    if output_format == "html":
        digest = write_file(dossier_html(snapshot).encode("utf-8"), output)
        with cli_session(actor, write=True) as session:
            log_dossier(session, "dossier-generated", snapshot, digest, format="html")
        click.echo(
            f"Wrote {output}: dossier {snapshot.dossier_id} ({audience}, HTML),"
            f" {len(snapshot.manifest)} records, SHA-256 {digest}"
        )
        return
    dossier = render_with_progress(snapshot, workers)
    digest = write_file(dossier.pdf, output)
    sealed = sealed_path(output)
    annex = {}
    if dossier.sealed_annex is not None:
        annex["sealed_annex"] = write_file(dossier.sealed_annex, sealed)
    # Logged in a short write of its own: the render held no lock.
    with cli_session(actor, write=True) as session:
        log_dossier(session, "dossier-generated", snapshot, digest, **annex)
    click.echo(
        f"Wrote {output}: dossier {snapshot.dossier_id} ({audience}),"
        f" {len(snapshot.manifest)} records, SHA-256 {digest}"
    )
    if annex:
        click.echo(f"Wrote {sealed}: sealed annex (UNDER SEAL), SHA-256 {annex['sealed_annex']}")


@click.command("verify-dossier")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def verify_dossier_command(file: Path) -> None:
    """Check a dossier PDF against the database and the audit chain's time-stamp anchor:
    exit 0 only if no record changed and nothing was tampered with."""
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
@with_early_renderer
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
    from evidence.dossiers.bundle import BundleError, write_bundle
    from evidence.dossiers.services import log_dossier
    from evidence.store import store_for

    snapshot = take_snapshot(case_key, audience, generated_at, actor, language)
    dossier = render_with_progress(snapshot, workers)
    with cli_session() as session:
        try:
            report = write_bundle(session, store_for(current_app.config), dossier, output)
        except BundleError as error:
            fail(str(error))
    with cli_session(actor, write=True) as session:
        log_dossier(
            session,
            "bundle-written",
            dossier.snapshot,
            hashlib.sha256(dossier.pdf).hexdigest(),
            exhibits=report.exhibits,
            captures=report.captures,
        )
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
