"""`evidence import-sheet`: a CSV or XLSX sheet, reviewed, then imported as evidence/1."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from evidence.audit.log import default_actor
from evidence.interchange.sheets import KINDS


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
@click.option(
    "--as",
    "actor",
    default=default_actor,
    show_default="the OS user name",
    help="Name the audit log records for these writes.",
)
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
    from evidence.cli import cli_session, fail
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
