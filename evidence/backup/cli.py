"""`evidence backup` and `evidence restore`."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import DBAPIError

from evidence.commandline import fail

if TYPE_CHECKING:
    from evidence.backup.services import OpenArchive

PASSPHRASE_VARIABLE = "EVIDENCE_BACKUP_PASSPHRASE"
NO_KEY = (
    "backup: no key given. Encrypt to age public keys with --recipient age1... (repeatable),"
    f" or with a passphrase (--passphrase-file FILE or {PASSPHRASE_VARIABLE});"
    " or write an unencrypted archive with --no-encrypt."
)


def _passphrase(passphrase_file: Path | None, confirm: bool) -> str | None:
    """From the file, else the environment, else a prompt when someone is at the terminal."""
    if passphrase_file:
        return passphrase_file.read_text(encoding="utf-8").rstrip("\r\n")
    if os.environ.get(PASSPHRASE_VARIABLE):
        return os.environ[PASSPHRASE_VARIABLE]
    if sys.stdin.isatty():
        return click.prompt("Backup passphrase", hide_input=True, confirmation_prompt=confirm)
    return None


passphrase_file_option = click.option(
    "--passphrase-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=f"File whose first line is the passphrase [or {PASSPHRASE_VARIABLE}, or a prompt].",
)


@click.command("backup")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--recipient",
    "recipients",
    multiple=True,
    help="Encrypt to this age public key (age1...); repeat for several key holders.",
)
@passphrase_file_option
@click.option("--no-encrypt", is_flag=True, help="Write the archive unencrypted (tar.gz).")
@with_appcontext
def backup_command(
    output: Path, recipients: tuple[str, ...], passphrase_file: Path | None, no_encrypt: bool
) -> None:
    """Write every table and every stored file into one encrypted archive."""
    from evidence.backup import encryption
    from evidence.backup.archive import ChunkReader
    from evidence.backup.services import open_snapshot

    if no_encrypt and (recipients or passphrase_file):
        fail("--no-encrypt: cannot be combined with --recipient or --passphrase-file")
    if recipients and passphrase_file:
        fail("--recipient: give either age recipients or a passphrase, not both")
    partial = output.with_name(output.name + ".partial")
    if output.exists():
        fail(f"--output: {output} already exists; choose a new file name")
    if partial.exists():
        fail(f"--output: {partial} exists: a backup is being written there, or one was cut short")
    passphrase = None
    if not recipients and not no_encrypt:
        passphrase = _passphrase(passphrase_file, confirm=True)
        if passphrase is None:
            fail(NO_KEY)
    try:
        how = encryption.Encryption(recipients=recipients, passphrase=passphrase)
    except encryption.BackupKeyError as error:
        fail(str(error))
    engine = current_app.extensions["evidence.engine"]
    try:
        with (
            open_snapshot(engine, current_app.config["DATA_DIR"]) as snapshot,
            click.progressbar(
                length=max(snapshot.total, 1), label="Backing up", file=sys.stderr
            ) as bar,
            open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out,
        ):
            encryption.write(ChunkReader(snapshot.chunks(bar.update)), out, how)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, output)
    except BaseException as error:
        partial.unlink(missing_ok=True)
        if isinstance(error, DBAPIError):
            fail(f"backup: the database cannot be read ({error.orig}); run evidence init?")
        raise
    summary = snapshot.summary
    for sha256 in summary.altered:
        click.secho(
            f"warning: stored file {sha256} no longer matches its hash (altered); backed up as"
            " it is. Run `evidence exhibits verify`.",
            fg="yellow",
            err=True,
        )
    state = "encrypted" if how.encrypted else "NOT encrypted"
    click.echo(
        f"Wrote {output} ({state}): {sum(summary.rows.values())} rows of"
        f" {len(summary.rows)} tables, {summary.files} files."
    )


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--identity",
    "identity_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="age identity file (AGE-SECRET-KEY-1...) of a recipient of the backup.",
)
@passphrase_file_option
@with_appcontext
def restore_command(
    file: Path, identity_files: tuple[Path, ...], passphrase_file: Path | None
) -> None:
    """Restore a backup into an empty database, after checking every hash in it."""
    from evidence.backup import encryption
    from evidence.backup.services import (
        RestoreRefused,
        restore_backup,
        target_problems,
        verify_backup,
    )

    engine = current_app.extensions["evidence.engine"]
    size = max(file.stat().st_size, 1)

    def opener(bar: Any) -> OpenArchive:
        return lambda: encryption.open_plaintext(file, keys, progress=bar.update)

    try:
        problems = target_problems(engine)
        if problems:
            raise RestoreRefused(problems)
        kind = encryption.kind_of(file)
        identities = tuple(
            identity for path in identity_files for identity in encryption.read_identities(path)
        )
        passphrase = _passphrase(passphrase_file, confirm=False) if kind == "passphrase" else None
        keys = encryption.Keys(identities=identities, passphrase=passphrase)
        with click.progressbar(length=size, label="Checking ", file=sys.stderr) as bar:
            verified = verify_backup(opener(bar))
        with click.progressbar(length=size, label="Restoring", file=sys.stderr) as bar:
            summary = restore_backup(engine, current_app.config["DATA_DIR"], opener(bar), verified)
    except RestoreRefused as refused:
        for problem in refused.problems:
            click.echo(problem, err=True)
        fail(f"{file}: not restored, {len(refused.problems)} problem(s); nothing was written.")
    except (encryption.BackupKeyError, encryption.BackupDamaged) as error:
        fail(f"{file}: not restored: {error}; nothing was written.")
    except DBAPIError as error:
        fail(
            f"{file}: not restored: the database refused a row of the backup ({error.orig});"
            " everything was rolled back."
        )
    click.echo(
        f"Restored {sum(summary.rows.values())} rows of {len(summary.rows)} tables"
        f" and {summary.files} files from {file}."
    )
