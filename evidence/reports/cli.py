"""`evidence report sourcing`: the sourcing report for auditors."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from evidence.commandline import cli_session


@click.group("report")
def report_group() -> None:
    """Reports for auditors."""


@report_group.command("sourcing")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@with_appcontext
def report_sourcing_command(as_json: bool) -> None:
    """Facts that rest on no source or a single one, weak sources, unlinked statements."""
    from evidence.protection import INTERNAL, Protection
    from evidence.reports.services import report_as_text, sourcing_report

    with cli_session() as session:
        report = sourcing_report(session, Protection.load(session, INTERNAL))
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(report_as_text(report))
