"""Accounts: creation, password hashing (argon2id) and checking."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evidence.accounts.models import User
from evidence.vocabularies import ROLES

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_.@-]{1,80}$")
MIN_PASSWORD_LENGTH = 10


class AccountError(ValueError):
    """A user-caused problem with account data; the message names the field."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def validate_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"password: must be at least {MIN_PASSWORD_LENGTH} characters long")


def create_user(session: Session, *, name: str, role: str, password: str) -> User:
    if not NAME_PATTERN.match(name):
        raise AccountError("name: use 1-80 letters, digits, '.', '_', '-' or '@'")
    if role not in ROLES:
        raise AccountError(f"role: must be one of {', '.join(ROLES)}")
    validate_password(password)
    if session.scalar(select(User.id).where(User.name == name)):
        raise AccountError(f"name: an account named {name!r} already exists")
    user = User(name=name, role=role, password_hash=hash_password(password), active=True)
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, name: str, password: str) -> User | None:
    """The active account with this name and password, or None.

    A hash is checked even for unknown names so timing does not reveal which
    names exist.
    """
    user = session.scalar(select(User).where(User.name == name))
    stored = user.password_hash if user else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


_DUMMY_HASH = _hasher.hash("not a real password")


def _active_admins(session: Session) -> int:
    return session.scalar(
        select(func.count()).select_from(User).where(User.role == "admin", User.active)
    )


def _keep_an_admin(session: Session, user: User, field: str) -> None:
    if user.role == "admin" and user.active and _active_admins(session) <= 1:
        raise AccountError(f"{field}: {user.name} is the last active admin; make another first")


def change_role(session: Session, user: User, role: str) -> None:
    """Give the account another role; the last active admin keeps theirs."""
    if role not in ROLES:
        raise AccountError(f"role: must be one of {', '.join(ROLES)}")
    if role != user.role:
        _keep_an_admin(session, user, "role")
        user.role = role
        session.flush()


def set_active(session: Session, user: User, active: bool) -> None:
    """Disable (refuse further sign-ins and end open sessions) or enable an account."""
    if not active:
        _keep_an_admin(session, user, "active")
    user.active = active
    session.flush()


def set_password(session: Session, user: User, password: str) -> None:
    validate_password(password)
    user.password_hash = hash_password(password)
    session.flush()


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name)))
