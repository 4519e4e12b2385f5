"""Accounts: creation, roles, disabling, passwords and checking them.

Every change that alters who may do what ends the account's open sessions:
a new password (except the session that set it, when the owner changed their
own), a new role, disabling. Those endings are written to the audit log.
"""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evidence.accounts.models import User, UserSession
from evidence.accounts.passwords import (
    hash_password,
    needs_rehash,
    password_matches,
    password_problem,
    waste_a_check,
)
from evidence.accounts.sessions import end_sessions
from evidence.audit.log import log_event
from evidence.core.messages import message
from evidence.core.validation import ValidationError
from evidence.vocabularies import LANGUAGES, ROLES

NAME_PATTERN = re.compile(r"^[A-Za-z0-9_.@-]{1,80}$")


def validate_password(password: str, account_name: str = "", field: str = "password") -> None:
    problem = password_problem(password, account_name)
    if problem:
        raise ValidationError({field: problem})


def create_user(session: Session, *, name: str, role: str, password: str) -> User:
    if not NAME_PATTERN.match(name):
        raise ValidationError({"name": message("use 1-80 letters, digits, '.', '_', '-' or '@'")})
    if role not in ROLES:
        raise ValidationError(
            {"role": message("must be one of %(choices)s", choices=", ".join(ROLES))}
        )
    validate_password(password, name)
    if session.scalar(select(User.id).where(User.name == name)):
        raise ValidationError(
            {"name": message("an account named %(name)r already exists", name=name)}
        )
    user = User(name=name, role=role, password_hash=hash_password(password), active=True)
    session.add(user)
    session.flush()
    return user


def find_user(session: Session, name: str) -> User | None:
    return session.scalar(select(User).where(User.name == name))


def authenticate(session: Session, name: str, password: str) -> User | None:
    """The active account with this name and password, or None.

    A hash is checked even for unknown names so timing does not reveal which
    names exist.
    """
    user = find_user(session, name)
    if user is None:
        waste_a_check(password)
        return None
    if not password_matches(user.password_hash, password) or not user.active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def end_all_sessions(
    session: Session, user: User, reason: str, keep: UserSession | None = None
) -> int:
    """End the user's sessions (but ``keep``) and say so in the audit log when any were open."""
    ended = end_sessions(session, user, keep=keep)
    if ended:
        log_event(session, "sessions-ended", f"{ended} session(s) of {user.name} ended: {reason}")
    return ended


def _active_admins(session: Session) -> int:
    return session.scalar(
        select(func.count()).select_from(User).where(User.role == "admin", User.active)
    )


def _keep_an_admin(session: Session, user: User, field: str) -> None:
    if user.role == "admin" and user.active and _active_admins(session) <= 1:
        raise ValidationError(
            {
                field: message(
                    "%(name)s is the last active admin; make another first", name=user.name
                )
            }
        )


def change_role(session: Session, user: User, role: str) -> None:
    """Give the account another role (ending its sessions); the last active admin keeps theirs."""
    if role not in ROLES:
        raise ValidationError(
            {"role": message("must be one of %(choices)s", choices=", ".join(ROLES))}
        )
    if role != user.role:
        _keep_an_admin(session, user, "role")
        user.role = role
        session.flush()
        end_all_sessions(session, user, f"role changed to {role}")


def set_language(session: Session, user: User, language: str | None) -> None:
    """The account's interface language (one of LANGUAGES), or None to follow the browser."""
    if language is not None and language not in LANGUAGES:
        raise ValidationError(
            {"language": message("must be one of %(choices)s", choices=", ".join(LANGUAGES))}
        )
    user.language = language
    session.flush()


def set_active(session: Session, user: User, active: bool) -> None:
    """Disable (refuse sign-ins, end open sessions) or enable an account.

    Enabling opens nothing: the sessions ended when it was disabled stay ended.
    """
    if not active:
        _keep_an_admin(session, user, "active")
        end_all_sessions(session, user, "account disabled")
    user.active = active
    session.flush()


def set_password(
    session: Session, user: User, password: str, *, keep: UserSession | None = None
) -> None:
    """A new password (by an admin, the CLI or the owner); every other session ends."""
    validate_password(password, user.name)
    user.password_hash = hash_password(password)
    session.flush()
    end_all_sessions(session, user, "password changed", keep=keep)


def change_own_password(
    session: Session, user: User, *, current: str, new: str, keep: UserSession
) -> None:
    """The owner changes their password: the current one is required; other sessions end."""
    if not password_matches(user.password_hash, current):
        raise ValidationError({"current_password": message("this is not your current password")})
    if new == current:
        raise ValidationError({"password": message("must differ from the current password")})
    validate_password(new, user.name)
    set_password(session, user, new, keep=keep)


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name)))
