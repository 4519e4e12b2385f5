"""The `evidence` command group (also `flask --app evidence ...`)."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from evidence.audit.log import default_actor, set_actor
from evidence.auditing_cli import COMMANDS as AUDITING_COMMANDS
from evidence.backup.cli import COMMANDS as BACKUP_COMMANDS
from evidence.dossiers.cli import (
    bundle_command,
    dossier_command,
    verify_bundle_command,
    verify_dossier_command,
)
from evidence.interchange.cli import import_sheet_command
from evidence.jobs.cli import worker_command
from evidence.merging.cli import merge_command
from evidence.search.cli import search_group
from evidence.vocabularies import AUDIENCES, ROLES
from evidence.web.serve import serve_command

if TYPE_CHECKING:
    from evidence.interchange.services import ImportSummary

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

    Commands report what they wrote only after this block, once the commit succeeded;
    a commit the database refuses ends the command with a message, not a traceback.
    Commands that write say so: their transaction then waits its turn for the
    write lock from the start instead of failing when it upgrades from reading.
    """
    factory = "evidence.writers" if write else "evidence.sessions"
    session: Session = current_app.extensions[factory]()
    if actor:
        set_actor(session, actor)
    try:
        yield session
        try:
            session.commit()
        except SQLAlchemyError as error:
            session.rollback()
            cause = getattr(error, "orig", None) or error
            fail(f"The database did not accept the changes ({cause}); nothing was written.")
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

    report = []
    with cli_session(actor, write=True) as session:
        if if_empty and session.scalar(select(func.count()).select_from(Incident)):
            report.append("The database already holds data; demo data not loaded.")
        else:
            report.append(_import_file(session, DEMO_FILE).describe())
        if with_accounts:
            password = os.environ.get("EVIDENCE_DEMO_PASSWORD") or DEMO_PASSWORD
            existing = set(session.scalars(select(User.name)))
            for role in ROLES:
                if f"demo-{role}" not in existing:
                    create_user(session, name=f"demo-{role}", role=role, password=password)
                    report.append(f"Created demo account demo-{role} ({role}).")
    click.echo("\n".join(report))


def _import_file(session: Session, path: Path) -> ImportSummary:
    """Import a file in the session; the caller prints the summary once it has committed."""
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
    return summary


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@actor_option
@with_appcontext
def import_command(file: Path, actor: str) -> None:
    """Import an evidence/1 JSON file: all of it, or nothing if anything is wrong."""
    from evidence.interchange.services import collector_paused

    with collector_paused(), cli_session(actor, write=True) as session:
        summary = _import_file(session, file)
    click.echo(summary.describe())


@click.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--case", "case_key", help="Only this case and the records it needs.")
@click.option(
    "--audience",
    type=click.Choice(AUDIENCES),
    default="internal",
    show_default=True,
    help="Apply witness protection for this audience (counsel, public).",
)
@actor_option
@with_appcontext
def export_command(output: Path | None, case_key: str | None, audience: str, actor: str) -> None:
    """Write the data set (or one case) as an evidence/1 JSON document for an audience."""
    from evidence.audit.reads import log_read
    from evidence.interchange.services import ExportError, export_document

    with cli_session() as session:
        try:
            document = export_document(session, case_key=case_key, audience=audience)
        except ExportError as error:
            fail(str(error))
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    # Logged in a short write of its own: the export itself holds no write lock.
    with cli_session(write=True) as session:
        log_read(
            session,
            "export",
            actor,
            entity="case" if case_key else None,
            record_key=case_key,
            audience=audience,
            sha256=hashlib.sha256(text.encode()).hexdigest(),
            records=sum(len(section) for section in document.values() if isinstance(section, list)),
        )
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"Wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


@click.group("audit")
def audit_group() -> None:
    """The tamper-evident audit log."""


def tsa_roots() -> list[Any] | None:
    """The trusted time-stamp roots (EVIDENCE_TSA_CA_FILE); exits with a message when unreadable."""
    from evidence.audit.anchors import AnchorError, configured_roots

    try:
        return configured_roots(current_app.config.get("TSA_CA_FILE"))
    except AnchorError as error:
        fail(str(error))
        raise


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


def _account(session: Session, name: str) -> Any:
    from evidence.accounts.services import find_user

    user = find_user(session, name)
    if user is None:
        fail(f"NAME: no account named {name!r}")
    return user


@users_group.command("password")
@click.argument("name")
@actor_option
@with_appcontext
def users_password_command(name: str, actor: str) -> None:
    """Set an account's password (from EVIDENCE_PASSWORD or a prompt); its sessions end."""
    from evidence.accounts.services import AccountError, set_password

    password = os.environ.get("EVIDENCE_PASSWORD") or click.prompt(
        "New password", hide_input=True, confirmation_prompt=True
    )
    with cli_session(actor, write=True) as session:
        try:
            set_password(session, _account(session, name), password)
        except AccountError as error:
            fail(str(error))
    click.echo(f"Password of {name!r} changed; its open sessions were ended.")


@users_group.command("unlock")
@click.argument("name")
@click.option(
    "--address", help="Also clear the failed sign-ins counted against this client address."
)
@actor_option
@with_appcontext
def users_unlock_command(name: str, address: str | None, actor: str) -> None:
    """Clear the failed sign-ins that make NAME wait (the cool-down) before signing in."""
    from evidence.accounts.throttling import address_hash, clear_account, clear_address
    from evidence.audit.log import log_event

    with cli_session(actor, write=True) as session:
        cleared = clear_account(session, name)
        if address:
            cleared += clear_address(session, address_hash(current_app.secret_key, address))
        where = f" and address {address}" if address else ""
        log_event(session, "unlocked", f"failed sign-ins of {name!r}{where} cleared ({cleared})")
    click.echo(f"Unlocked {name!r}: {cleared} failed sign-in(s) cleared.")


@users_group.group("totp")
def totp_group() -> None:
    """Two-factor sign-in (TOTP) of an account."""


@totp_group.command("enable")
@click.argument("name")
@actor_option
@with_appcontext
def totp_enable_command(name: str, actor: str) -> None:
    """Turn on two-factor sign-in; prints the otpauth:// URI and ten recovery codes.

    Pass both to the account's owner over a safe channel; they are shown only once.
    """
    from evidence.accounts import two_factor as totp
    from evidence.audit.log import log_event
    from evidence.records import utcnow

    with cli_session(actor, write=True) as session:
        user = _account(session, name)
        secret = totp.new_secret()
        try:
            codes = totp.enable(session, user, secret, code=None, at=utcnow())
        except totp.TwoFactorError as error:
            fail(f"NAME: {str(error).partition(': ')[2]}; turn it off first to replace it")
        log_event(session, "totp-enrolled", f"two-factor sign-in turned on for {name}")
    click.echo(f"Two-factor sign-in is on for {name!r}. Add this to an authenticator app:")
    click.echo(totp.provisioning_uri(secret, name, current_app.config["TOTP_ISSUER"]))
    click.echo("Recovery codes (each works once; shown only now):")
    for code in codes:
        click.echo(f"  {code}")


@totp_group.command("disable")
@click.argument("name")
@actor_option
@with_appcontext
def totp_disable_command(name: str, actor: str) -> None:
    """Turn off two-factor sign-in (a lost phone); the owner can set it up again."""
    from evidence.accounts import two_factor as totp
    from evidence.audit.log import log_event

    with cli_session(actor, write=True) as session:
        user = _account(session, name)
        if not user.has_two_factor:
            fail(f"NAME: {name!r} has no two-factor sign-in")
        totp.disable(session, user)
        log_event(session, "totp-removed", f"two-factor sign-in turned off for {name}")
    click.echo(f"Two-factor sign-in is off for {name!r}; its recovery codes no longer work.")


@users_group.command("list")
@with_appcontext
def users_list_command() -> None:
    """List accounts with their roles."""
    from evidence.models import User

    with cli_session() as session:
        for user in session.scalars(select(User).order_by(User.name)):
            state = "active" if user.active else "disabled"
            two_factor = "2fa" if user.has_two_factor else "no-2fa"
            click.echo(f"{user.name}\t{user.role}\t{state}\t{two_factor}")


COMMANDS = [
    init_command,
    demo_command,
    import_command,
    export_command,
    audit_group,
    users_group,
    dossier_command,
    verify_dossier_command,
    bundle_command,
    verify_bundle_command,
    *AUDITING_COMMANDS,
    search_group,
    *BACKUP_COMMANDS,
    worker_command,
    serve_command,
    import_sheet_command,
    merge_command,
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
