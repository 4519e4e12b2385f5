"""`evidence import`, `export`, `demo` (evidence/1 JSON) and `import-sheet` (a CSV or XLSX
sheet, reviewed, then imported as evidence/1)."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evidence.commandline import actor_option, cli_session, fail
from evidence.interchange.sheets import KINDS
from evidence.vocabularies import AUDIENCES, ROLES

if TYPE_CHECKING:
    from evidence.interchange.services import ImportSummary

DEMO_FILE = Path(__file__).parents[1] / "demo" / "demo.json"


@click.command("import-sheet")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kind", required=True, type=click.Choice(KINDS), help="What each row is.")
@click.option(
    "--mapping",
    "mapping_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help='JSON object of evidence/1 field names to column headers, e.g. {"title": "Title"}.',
)
@click.option("--dry-run", is_flag=True, help="Print the review and write nothing.")
@click.option(
    "--create-missing", is_flag=True, help="Create the records that names in cells match none of."
)
@actor_option
@with_appcontext
def import_sheet_command(
    file: Path, kind: str, mapping_file: Path, dry_run: bool, create_missing: bool, actor: str
) -> None:
    """Import the rows of FILE (.csv or .xlsx, headers in row 1) as records of one kind.

    Names in reference cells (several separated by ";") are matched to existing
    records across scripts and aliases. Nothing is written when any name matches
    several records, or none without --create-missing, or any cell is wrong: each
    problem is listed by row and column.
    """
    from evidence.interchange.sheets import (
        SheetError,
        accept_review,
        read_mapping,
        read_sheet,
        review_sheet,
    )

    with cli_session(actor) as session:
        try:
            sheet = read_sheet(file)
            mapping = read_mapping(mapping_file, kind, sheet.headers)
            review = review_sheet(session, sheet, kind, mapping, create_missing=create_missing)
        except SheetError as error:
            for problem in error.problems:
                click.echo(problem, err=True)
            fail(f"{file.name}: nothing was imported.")
            return
        if dry_run:
            for line in review.lines():
                click.echo(line)
        if review.problems:
            for problem in review.problems:
                click.echo(problem, err=True)
            fail(f"{file.name}: {len(review.problems)} problem(s); nothing was imported.")
        if dry_run:
            click.echo(f"Dry run: {len(review.rows)} row(s) reviewed; nothing was written.")
            session.rollback()
            return
        try:
            summary = accept_review(session, review)
        except SheetError as error:
            for problem in error.problems:
                click.echo(problem, err=True)
            fail(f"{file.name}: nothing was imported.")
            return
    click.echo(summary.describe())


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
