"""`evidence merge KIND KEEP OTHER [--as USER]`."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from evidence.commandline import actor_option, cli_session, fail
from evidence.merging.services import KINDS


@click.command("merge")
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("keep")
@click.argument("other")
@actor_option
@with_appcontext
def merge_command(kind: str, keep: str, other: str, actor: str) -> None:
    """Merge the record OTHER into KEEP: move every link and citation to KEEP, add OTHER's
    names to KEEP's aliases and retract OTHER with "merged into KEEP"."""
    from evidence.core.validation import ValidationError
    from evidence.merging.services import merge_records
    from evidence.records.editing import Conflict

    try:
        with cli_session(actor) as session:
            summary = merge_records(session, kind, keep, other, by=actor)
    except ValidationError as error:
        fail("Not merged: " + "; ".join(f"{name}: {text}" for name, text in error.errors.items()))
        return
    except Conflict:
        fail("Not merged: someone changed one of these records meanwhile. Try again.")
        return
    click.echo(f"Merged {kind} {summary.other_key} into {summary.keep_key}.")
    for line in summary.lines():
        click.echo(f"  {line}")
    click.echo(f"{summary.other_key} is retracted: merged into {summary.keep_key}.")
