"""`evidence exhibits` and `evidence store`: files held as evidence, their fixity and the
file store."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from evidence.commandline import actor_option, cli_session, fail
from evidence.store import store_for


@click.group("exhibits")
def exhibits_group() -> None:
    """Files held as evidence."""


@exhibits_group.command("add")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--incident", "incidents", multiple=True, help="Incident key or title (repeatable).")
@click.option("--source", "sources", multiple=True, help="Source key or title (repeatable).")
@click.option("--statement", "statements", multiple=True, help="Statement key (repeatable).")
@click.option("--acquired", help="When it was acquired (EDTF date).")
@click.option("--acquired-from", help="From whom it was acquired.")
@click.option("--how", "acquired_how", help="How it was acquired.")
@actor_option
@with_appcontext
def exhibits_add_command(
    file: Path,
    incidents: tuple[str, ...],
    sources: tuple[str, ...],
    statements: tuple[str, ...],
    acquired: str | None,
    acquired_from: str | None,
    acquired_how: str | None,
    actor: str,
) -> None:
    """Store FILE as an exhibit linked to incidents, sources or statements."""
    from evidence.core.validation import ValidationError
    from evidence.exhibits.services import add_exhibit
    from evidence.protection import INTERNAL, Protection
    from evidence.records.names import accepting_names

    if not incidents:
        fail("--incident: give the key or title of the incident the exhibit belongs to")
    store = store_for(current_app.config)
    with (
        cli_session(actor, write=True) as session,
        file.open("rb") as stream,
        accepting_names(session, Protection.load(session, INTERNAL)),
    ):
        try:
            exhibit = add_exhibit(
                session,
                store,
                stream,
                filename=file.name,
                by=actor,
                incidents=incidents,
                sources=sources,
                statements=statements,
                acquired=acquired,
                acquired_from=acquired_from,
                acquired_how=acquired_how,
                max_bytes=current_app.config["MAX_UPLOAD_MB"] * 1024 * 1024,
            )
        except ValidationError as error:
            fail("\n".join(f"{field}: {message}" for field, message in error.errors.items()))
        click.echo(
            f"Added exhibit {exhibit.key}: {exhibit.media_type}, {exhibit.size} bytes,"
            f" SHA-256 {exhibit.sha256}"
        )


@exhibits_group.command("verify")
@with_appcontext
def exhibits_verify_command() -> None:
    """Re-hash every stored file of exhibits and captures; exit 1 naming any missing or altered."""
    from evidence.exhibits.services import fixity_problems, stored_files

    store = store_for(current_app.config)
    with cli_session() as session:
        checked = len(stored_files(session))
        problems = fixity_problems(session, store)
    if not problems:
        click.echo(f"OK: {checked} stored file(s) match their SHA-256.")
        return
    for problem in problems:
        click.echo(str(problem), err=True)
    fail(f"FAILED: {len(problems)} file(s) missing or altered.")


@click.group("store")
def store_group() -> None:
    """The file store under EVIDENCE_DATA_DIR (exhibits and web captures)."""


@store_group.command("check")
@click.option(
    "--sweep",
    is_flag=True,
    help="Delete unreferenced objects and left-over files (older than an hour) and put"
    " committed files in place.",
)
@with_appcontext
def store_check_command(sweep: bool) -> None:
    """Find files the database does not know; exit 1 naming them unless --sweep repairs them."""
    from evidence.exhibits.services import stored_files

    store = store_for(current_app.config)
    with cli_session() as session:
        referenced = stored_files(session)
    found = store.find_strays(referenced, sweep=sweep)
    if found.clean:
        known = len(referenced)
        click.echo(f"OK: every file in the store is one of the {known} the database refers to.")
        return
    done = "swept" if sweep else "found"
    for sha256 in found.unreferenced:
        click.echo(f"{done}: unreferenced object {sha256} (nothing in the database refers to it)")
    for name in found.leftovers:
        click.echo(f"{done}: left-over file {name} (an upload or capture that did not complete)")
    for sha256 in found.unplaced:
        placed = "put in place" if sweep else "not in place"
        click.echo(f"{done}: committed file {sha256} {placed} (its rename was interrupted)")
    if not sweep:
        fail(
            "FAILED: the store holds files the database does not know;"
            " `evidence store check --sweep` repairs it."
        )
