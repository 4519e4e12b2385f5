"""The `evidence` command group (also `flask --app evidence ...`)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evidence.audit.log import default_actor, set_actor
from evidence.auditing_cli import COMMANDS as AUDITING_COMMANDS
from evidence.dossiers.cli import dossier_command, verify_dossier_command
from evidence.jobs.cli import worker_command
from evidence.search.cli import search_group
from evidence.vocabularies import ROLES
from evidence.web.serve import serve_command

DEMO_FILE = Path(__file__).parent / "demo" / "demo.json"


def actor_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--as",
        "actor",
        default=default_actor,
        show_default="the OS user name",
        help="Name the audit log records for these writes.",
    )(command)


@contextmanager
def cli_session(actor: str | None = None, *, write: bool = False) -> Iterator[Session]:
    """One transaction for one command: committed when it succeeds, rolled back otherwise.

    Commands that write say so: their transaction then waits its turn for the
    write lock from the start instead of failing when it upgrades from reading.
    """
    factory = "evidence.writers" if write else "evidence.sessions"
    session: Session = current_app.extensions[factory]()
    if actor:
        set_actor(session, actor)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def fail(message: str) -> None:
    click.secho(message, fg="red", err=True)
    sys.exit(1)


@click.command("init")
@with_appcontext
def init_command() -> None:
    """Create or upgrade the database schema to the newest revision (safe to repeat)."""
    from evidence.migrate import upgrade

    upgrade(current_app.config["DATABASE_URL"])
    click.echo("Database is at the newest schema revision.")


DEMO_PASSWORD = "demo-password-change-me"


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Load only when the database holds no incidents.")
@click.option(
    "--with-accounts",
    is_flag=True,
    help="Also create demo-<role> accounts (password: EVIDENCE_DEMO_PASSWORD or a default"
    " that must be changed before real use).",
)
@actor_option
@with_appcontext
def demo_command(if_empty: bool, with_accounts: bool, actor: str) -> None:
    """Load the demo data set built from the seed interview."""
    from evidence.accounts.services import create_user
    from evidence.models import Incident, User

    with cli_session(actor, write=True) as session:
        if if_empty and session.scalar(select(func.count()).select_from(Incident)):
            click.echo("The database already holds data; demo data not loaded.")
        else:
            _import_file(session, DEMO_FILE)
        if with_accounts:
            password = os.environ.get("EVIDENCE_DEMO_PASSWORD") or DEMO_PASSWORD
            existing = set(session.scalars(select(User.name)))
            for role in ROLES:
                if f"demo-{role}" not in existing:
                    create_user(session, name=f"demo-{role}", role=role, password=password)
                    click.echo(f"Created demo account demo-{role} ({role}).")


def _import_file(session: Session, path: Path) -> None:
    from evidence.interchange.services import (
        ImportRejected,
        count_records,
        import_document,
        read_document,
    )

    try:
        document = read_document(path)
        with click.progressbar(
            length=max(count_records(document), 1), label="Importing", file=sys.stderr
        ) as bar:
            summary = import_document(session, document, progress=bar.update)
    except ImportRejected as rejected:
        for problem in rejected.problems:
            click.echo(problem, err=True)
        fail(f"{path}: rejected, {len(rejected.problems)} problem(s); nothing was written.")
    click.echo(summary.describe())


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@actor_option
@with_appcontext
def import_command(file: Path, actor: str) -> None:
    """Import an evidence/1 JSON file: all of it, or nothing if anything is wrong."""
    with cli_session(actor, write=True) as session:
        _import_file(session, file)


@click.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--case", "case_key", help="Only this case and the records it needs.")
@with_appcontext
def export_command(output: Path | None, case_key: str | None) -> None:
    """Write the data set (or one case) as an evidence/1 JSON document."""
    from evidence.interchange.services import ExportError, export_document

    with cli_session() as session:
        try:
            document = export_document(session, case_key=case_key)
        except ExportError as error:
            fail(str(error))
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"Wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


@click.group("audit")
def audit_group() -> None:
    """The tamper-evident audit log."""


@audit_group.command("verify")
@with_appcontext
def audit_verify_command() -> None:
    """Check the hash chain and every record against its latest entry."""
    from evidence.audit.verify import verify

    with cli_session() as session:
        report = verify(session)
    if report.ok:
        click.echo(
            f"OK: {report.entries_checked} audit entries chained,"
            f" {report.records_checked} records match their latest entry."
        )
        return
    for problem in report.problems:
        click.echo(problem, err=True)
    fail(f"FAILED: {len(report.problems)} problem(s); first: {report.problems[0]}")


@click.group("users")
def users_group() -> None:
    """Accounts and roles."""


@users_group.command("create")
@click.argument("name")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["admin", "documenter", "lawyer", "auditor", "viewer"]),
)
@actor_option
@with_appcontext
def users_create_command(name: str, role: str, actor: str) -> None:
    """Create an account; the password comes from EVIDENCE_PASSWORD or a prompt."""
    from evidence.accounts.services import AccountError, create_user

    password = os.environ.get("EVIDENCE_PASSWORD") or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    with cli_session(actor, write=True) as session:
        try:
            create_user(session, name=name, role=role, password=password)
        except AccountError as error:
            fail(str(error))
    click.echo(f"Created {role} account {name!r}.")


@users_group.command("password")
@click.argument("name")
@actor_option
@with_appcontext
def users_password_command(name: str, actor: str) -> None:
    """Set an account's password (from EVIDENCE_PASSWORD or a prompt)."""
    from evidence.accounts.services import AccountError, hash_password, validate_password
    from evidence.models import User

    password = os.environ.get("EVIDENCE_PASSWORD") or click.prompt(
        "New password", hide_input=True, confirmation_prompt=True
    )
    with cli_session(actor, write=True) as session:
        user = session.scalar(select(User).where(User.name == name))
        if user is None:
            fail(f"NAME: no account named {name!r}")
        try:
            validate_password(password)
        except AccountError as error:
            fail(str(error))
        user.password_hash = hash_password(password)
    click.echo(f"Password of {name!r} changed.")


@users_group.command("list")
@with_appcontext
def users_list_command() -> None:
    """List accounts with their roles."""
    from evidence.models import User

    with cli_session() as session:
        for user in session.scalars(select(User).order_by(User.name)):
            state = "active" if user.active else "disabled"
            click.echo(f"{user.name}\t{user.role}\t{state}")


COMMANDS = [
    init_command,
    demo_command,
    import_command,
    export_command,
    audit_group,
    users_group,
    dossier_command,
    verify_dossier_command,
    *AUDITING_COMMANDS,
    search_group,
    worker_command,
    serve_command,
]


def register_commands(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)


def _create_app() -> Flask:
    from evidence import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=True)
def main() -> None:
    """evidence: an accountability evidence database."""
