"""What every command shares: one transaction per command, the `--as` option, failing
with a message, the trusted time-stamp roots."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click
from flask import current_app
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from evidence.audit.log import default_actor, set_actor


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


def tsa_roots() -> list[Any] | None:
    """The trusted time-stamp roots (EVIDENCE_TSA_CA_FILE); exits with a message when unreadable."""
    from evidence.audit.anchors import AnchorError, configured_roots

    try:
        return configured_roots(current_app.config.get("TSA_CA_FILE"))
    except AnchorError as error:
        fail(str(error))
        raise
