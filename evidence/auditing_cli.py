"""Auditor commands: link checks, web captures, exhibits and their fixity, the file store,
sourcing report."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from evidence.audit.log import default_actor
from evidence.links.models import PROBLEM_VERDICTS
from evidence.store import store_for

# evidence.cli imports this module for its COMMANDS, so its helpers are imported where used.
actor_option = click.option(
    "--as",
    "actor",
    default=default_actor,
    show_default="the OS user name",
    help="Name the audit log records for these writes.",
)


@click.group("links")
def links_group() -> None:
    """Check that sources' web addresses still answer as they did."""


@links_group.command("check")
@click.option("--concurrency", default=8, show_default=True, help="Fetches at once, overall.")
@click.option("--per-host", default=2, show_default=True, help="Fetches at once per host.")
@click.option("--timeout", default=10.0, show_default=True, help="Seconds to wait for answers.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per source.")
@actor_option
@with_appcontext
def links_check_command(
    concurrency: int, per_host: int, timeout: float, as_json: bool, actor: str
) -> None:
    """Fetch every source's URL; store and print the verdicts (ok, moved, changed, http-4xx,
    http-5xx, dns-failure, conn-refused, tls-error, timeout, policy, too-large, error).

    Exits with status 1 when any link is flagged, or when this server cannot reach the
    internet at all (EVIDENCE_NETWORK_PROBE; then nothing is checked or marked).
    """
    from evidence.audit.reads import log_read
    from evidence.cli import cli_session, fail
    from evidence.links.services import NoNetwork, check_as_json, check_links, sources_to_check
    from evidence.outbound import SettingError

    if concurrency < 1 or per_host < 1:
        fail("--concurrency and --per-host must be at least 1")
    with cli_session(write=True) as session:
        sources = sources_to_check(session)
        try:
            with click.progressbar(length=len(sources), label="Checking", file=sys.stderr) as bar:
                checks = check_links(
                    session,
                    sources,
                    concurrency=concurrency,
                    per_host=per_host,
                    timeout=timeout,
                    progress=bar.update,
                )
        except (NoNetwork, SettingError) as error:
            fail(str(error))
        for check in checks:
            if as_json:
                click.echo(json.dumps(check_as_json(check), ensure_ascii=False))
            else:
                reason = f"  ({check.reason})" if check.reason else ""
                click.echo(f"{check.verdict:12} {check.source.key}  {check.url}{reason}")
        problems = sum(check.verdict in PROBLEM_VERDICTS for check in checks)
        log_read(session, "link-check", actor, checked=len(checks), problems=problems)
    click.echo(f"{len(checks)} source(s) checked, {problems} flagged.", err=True)
    if problems:
        sys.exit(1)


@click.group("sources")
def sources_group() -> None:
    """Sources' web pages."""


@sources_group.command("capture")
@click.argument("key", required=False)
@click.option("--all", "capture_all", is_flag=True, help="Capture every source with a URL.")
@click.option("--timeout", default=30.0, show_default=True, help="Seconds to wait for answers.")
@actor_option
@with_appcontext
def sources_capture_command(key: str | None, capture_all: bool, timeout: float, actor: str) -> None:
    """Keep a source's page (KEY, or --all) as a WARC file in the store."""
    from evidence.cli import cli_session, fail
    from evidence.links.services import CaptureError, capture, sources_to_check
    from evidence.sources.models import Source

    if bool(key) == capture_all:
        fail("Give a source KEY or --all (not both).")
    store = store_for(current_app.config)
    failures = 0
    with cli_session(actor, write=True) as session:
        if capture_all:
            sources = sources_to_check(session)
        else:
            source = session.scalar(select(Source).where(Source.key == key))
            if source is None:
                fail(f"KEY: no source with key {key!r}")
            sources = [source]
        for source in sources:
            try:
                kept = capture(session, source, store, by=actor, timeout=timeout)
            except CaptureError as error:
                failures += 1
                click.echo(f"failed   {source.key}: {error}", err=True)
                continue
            click.echo(f"captured {source.key}  {kept.sha256}  {kept.size} bytes")
    if failures:
        fail(f"{failures} of {len(sources)} source(s) could not be captured.")


@click.group("exhibits")
def exhibits_group() -> None:
    """Files held as evidence."""


@exhibits_group.command("add")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--incident", "incidents", multiple=True, help="Incident key (repeatable).")
@click.option("--source", "sources", multiple=True, help="Source key (repeatable).")
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
    from evidence.cli import cli_session, fail
    from evidence.exhibits.services import add_exhibit
    from evidence.services_common import ValidationError

    if not incidents:
        fail("--incident: give the key of the incident the exhibit belongs to")
    store = store_for(current_app.config)
    with cli_session(actor, write=True) as session, file.open("rb") as stream:
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
    from evidence.cli import cli_session, fail
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
    from evidence.cli import cli_session, fail
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


@click.group("report")
def report_group() -> None:
    """Reports for auditors."""


@report_group.command("sourcing")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@with_appcontext
def report_sourcing_command(as_json: bool) -> None:
    """Facts that rest on no source or a single one, weak sources, unlinked statements."""
    from evidence.cli import cli_session
    from evidence.protection import INTERNAL, Protection
    from evidence.reports.services import report_as_text, sourcing_report

    with cli_session() as session:
        report = sourcing_report(session, Protection.load(session, INTERNAL))
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(report_as_text(report))


COMMANDS = [links_group, sources_group, exhibits_group, store_group, report_group]
