"""`evidence audit`: verify the tamper-evident audit log and anchor its head."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from evidence.commandline import cli_session, fail, tsa_roots


@click.group("audit")
def audit_group() -> None:
    """The tamper-evident audit log."""


@audit_group.command("verify")
@with_appcontext
def audit_verify_command() -> None:
    """Check the hash chain, its time-stamp anchors and every record against its latest entry.

    Anchor signatures are checked against the roots in EVIDENCE_TSA_CA_FILE (PEM).
    """
    from evidence.audit.verify import verify

    roots = tsa_roots()
    with cli_session() as session:
        report = verify(session, roots)
    for note in report.notes:
        click.echo(f"Note: {note}", err=True)
    if report.ok:
        click.echo(
            f"OK: {report.entries_checked} audit entries and {report.reads_checked} read entries"
            f" chained, {report.anchors_checked} time-stamp anchors hold,"
            f" {report.records_checked} records match their latest entry."
        )
        return
    for problem in report.problems:
        click.echo(problem, err=True)
    fail(f"FAILED: {len(report.problems)} problem(s); first: {report.problems[0]}")


@audit_group.command("anchor")
@click.option(
    "--tsa",
    "tsa_urls",
    multiple=True,
    metavar="URL",
    help="RFC 3161 time-stamp authority (repeatable); default: EVIDENCE_TSA_URLS.",
)
@with_appcontext
def audit_anchor_command(tsa_urls: tuple[str, ...]) -> None:
    """Time-stamp the current heads of the audit log (changes, and reads once there are any)
    at one or more authorities and keep the tokens."""
    from evidence.audit.anchors import AnchorError, anchor
    from evidence.audit.log import head
    from evidence.audit.models import AuditReadHead

    urls = list(tsa_urls) or current_app.config.get("TSA_URLS") or []
    if not urls:
        fail("No time-stamp authority: give --tsa URL or set EVIDENCE_TSA_URLS.")
    anchored = []
    with cli_session(write=True) as session:
        chains = ["changes"] + (["reads"] if head(session, AuditReadHead)[0] else [])
        for url in urls:
            try:
                anchored.extend(anchor(session, url, chain=chain) for chain in chains)
            except AnchorError as error:
                fail(f"Nothing anchored: {error}")
    for row in anchored:
        entry = "audit entry" if row.chain == "changes" else "read entry"
        click.echo(f"Anchored {entry} #{row.seq} at {row.tsa_url}, time-stamped {row.stamped_at}")
