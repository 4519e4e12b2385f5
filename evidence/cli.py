"""The `evidence` command group (also `flask --app evidence ...`).

Each domain defines its commands in its own cli.py; COMMANDS names them with
their one-line help, so `evidence --help` imports none of them and a command
imports only its own module (WeasyPrint, openpyxl, gunicorn load only for the
commands that use them). A test checks the help lines against the commands'.
"""

from __future__ import annotations

from importlib import import_module

import click
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup, with_appcontext

# name -> (module:attribute of the command, its one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "init": (
        "evidence.cli:init_command",
        "Create or upgrade the database schema to the newest revision (safe to repeat).",
    ),
    "demo": (
        "evidence.interchange.cli:demo_command",
        "Load the demo data set built from the seed interview.",
    ),
    "import": (
        "evidence.interchange.cli:import_command",
        "Import an evidence/1 JSON file: all of it, or nothing if anything is wrong.",
    ),
    "export": (
        "evidence.interchange.cli:export_command",
        "Write the data set (or one case) as an evidence/1 JSON document for an audience.",
    ),
    "import-sheet": (
        "evidence.interchange.cli:import_sheet_command",
        "Import the rows of FILE (.csv or .xlsx, headers in row 1) as records of one kind.",
    ),
    "audit": ("evidence.audit.cli:audit_group", "The tamper-evident audit log."),
    "users": ("evidence.accounts.cli:users_group", "Accounts and roles."),
    "dossier": (
        "evidence.dossiers.cli:dossier_command",
        "Export a case as a verifiable PDF dossier (or its HTML) for an audience, in a language.",
    ),
    "verify-dossier": (
        "evidence.dossiers.cli:verify_dossier_command",
        "Check a dossier PDF against the database and the audit chain's time-stamp anchor:"
        " exit 0 only if no record changed and nothing was tampered with.",
    ),
    "bundle": (
        "evidence.dossiers.cli:bundle_command",
        "Write a case bundle: a BagIt bag with the dossier, its exhibits, captures and schedule.",
    ),
    "verify-bundle": (
        "evidence.dossiers.cli:verify_bundle_command",
        "Check a case bundle: the bag, the dossier's records and every file against the database.",
    ),
    "links": (
        "evidence.links.cli:links_group",
        "Check that sources' web addresses still answer as they did.",
    ),
    "sources": ("evidence.links.cli:sources_group", "Sources' web pages."),
    "exhibits": ("evidence.exhibits.cli:exhibits_group", "Files held as evidence."),
    "store": (
        "evidence.exhibits.cli:store_group",
        "The file store under EVIDENCE_DATA_DIR (exhibits and web captures).",
    ),
    "report": ("evidence.reports.cli:report_group", "Reports for auditors."),
    "search": (
        "evidence.search.cli:search_group",
        "Search every record for QUERY, in any spelling (see `evidence search query --help`).",
    ),
    "backup": (
        "evidence.backup.cli:backup_command",
        "Write every table and every stored file into one encrypted archive.",
    ),
    "restore": (
        "evidence.backup.cli:restore_command",
        "Restore a backup into an empty database, after checking every hash in it.",
    ),
    "worker": (
        "evidence.jobs.cli:worker_command",
        "Run dossiers, link checks and captures from the task queue until stopped (Ctrl-C).",
    ),
    "serve": (
        "evidence.web.serve:serve_command",
        "Serve the web application with gunicorn (EVIDENCE_WEB_WORKERS x EVIDENCE_WEB_THREADS).",
    ),
    "drafts": (
        "evidence.drafts.cli:drafts_group",
        "Unsaved forms' drafts kept for their owners (pruned after EVIDENCE_DRAFT_DAYS).",
    ),
    "merge": (
        "evidence.merging.cli:merge_command",
        "Merge the record OTHER into KEEP: move every link and citation to KEEP, add OTHER's"
        ' names to KEEP\'s aliases and retract OTHER with "merged into KEEP".',
    ),
}


def load_command(name: str) -> click.Command:
    module, _, attribute = COMMANDS[name][0].partition(":")
    return getattr(import_module(module), attribute)


class _CommandTable(click.Group):
    """A group whose commands come from COMMANDS, imported when one is run."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS:
            return load_command(cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        limit = formatter.width - 6 - max(len(name) for name in self.list_commands(ctx))
        rows = [
            (name, _short(COMMANDS[name][1], limit))
            if name in COMMANDS
            else (name, self.commands[name].get_short_help_str(limit))
            for name in self.list_commands(ctx)
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _short(help_line: str, limit: int) -> str:
    return help_line if len(help_line) <= limit else help_line[: limit - 3].rstrip() + "..."


class _AppCommands(_CommandTable, AppGroup):
    """``app.cli`` for `flask --app evidence ...` and the test runner."""


class _Main(_CommandTable, FlaskGroup):
    """`evidence`: Flask's own commands (run, shell, routes) and ours, without building the
    application to list them."""


@click.command("init")
@with_appcontext
def init_command() -> None:
    """Create or upgrade the database schema to the newest revision (safe to repeat)."""
    from evidence.migrate import upgrade

    upgrade(current_app.config["DATABASE_URL"])
    click.echo("Database is at the newest schema revision.")


def register_commands(app: Flask) -> None:
    app.cli = _AppCommands(app.name)


def _create_app() -> Flask:
    """The application of the command being run: without the web UI for ours (they
    use the database and the settings), with it for Flask's own (run, shell, routes)."""
    from evidence import create_app

    return create_app(web=_top_command() not in COMMANDS)


def _top_command() -> str | None:
    """The name of the subcommand of `evidence` being run (``audit`` for `audit verify`)."""
    context = click.get_current_context(silent=True)
    while context is not None and context.parent is not None and context.parent.parent:
        context = context.parent
    return context.info_name if context is not None and context.parent is not None else None


@click.group(cls=_Main, create_app=_create_app, add_default_commands=True)
def main() -> None:
    """evidence: an accountability evidence database."""
