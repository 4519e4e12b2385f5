"""`evidence drafts prune`: delete drafts older than EVIDENCE_DRAFT_DAYS (also done at
each sign-in), for a server whose users seldom sign in."""

from __future__ import annotations

import datetime as dt

import click
from flask import current_app
from flask.cli import with_appcontext

from evidence.commandline import cli_session
from evidence.core.timestamps import utcnow


@click.group("drafts")
def drafts_group() -> None:
    """Unsaved forms' drafts kept for their owners (pruned after EVIDENCE_DRAFT_DAYS)."""


@drafts_group.command("prune")
@with_appcontext
def drafts_prune_command() -> None:
    """Delete every draft not changed for EVIDENCE_DRAFT_DAYS days."""
    from evidence.drafts.services import prune_drafts

    days = current_app.config["DRAFT_DAYS"]
    with cli_session(write=True) as session:
        pruned = prune_drafts(session, older_than=utcnow() - dt.timedelta(days=days))
    click.echo(f"Deleted {pruned} draft(s) older than {days} days.")
