"""`evidence users`: accounts, roles, passwords, lock-outs and two-factor sign-in."""

from __future__ import annotations

import os
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.commandline import actor_option, cli_session, fail
from evidence.core.validation import ValidationError


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
    from evidence.accounts.services import create_user

    password = os.environ.get("EVIDENCE_PASSWORD") or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    with cli_session(actor, write=True) as session:
        try:
            create_user(session, name=name, role=role, password=password)
        except ValidationError as error:
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
    from evidence.accounts.services import set_password

    password = os.environ.get("EVIDENCE_PASSWORD") or click.prompt(
        "New password", hide_input=True, confirmation_prompt=True
    )
    with cli_session(actor, write=True) as session:
        try:
            set_password(session, _account(session, name), password)
        except ValidationError as error:
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
    from evidence.core.timestamps import utcnow

    with cli_session(actor, write=True) as session:
        user = _account(session, name)
        secret = totp.new_secret()
        try:
            codes = totp.enable(session, user, secret, code=None, at=utcnow())
        except ValidationError as error:
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
