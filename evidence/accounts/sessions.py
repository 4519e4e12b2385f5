"""Server-side sessions: a row per signed-in browser, ended by deleting it.

The browser's cookie carries a random token; the table keeps only its SHA-256,
so reading the table (a backup, a seized disk) gives no usable session. A
session ends at sign-out, when the account's password or role changes, when it
is disabled, when its owner ends it from their account page, after
``idle`` without a request and ``lifetime`` after sign-in. A session is bound to
the browser's User-Agent: the cookie replayed from another browser is refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from evidence.accounts.models import User, UserSession

COMPLETE = "complete"
SECOND_FACTOR = "second-factor"
# last_seen_at is written at most this often, so reading pages does not write on every request.
LAST_SEEN_RESOLUTION = dt.timedelta(minutes=1)

IDLE = "idle"
LIFETIME = "lifetime"
ENDED = "ended"


@dataclass(frozen=True)
class SessionLimits:
    idle: dt.timedelta
    lifetime: dt.timedelta
    # The time allowed between the password step and the second factor.
    second_factor: dt.timedelta = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class Lookup:
    """The live session a token names, or why it is no longer valid (IDLE, LIFETIME, ENDED).

    ``stale``: its last_seen_at is old enough to be rewritten (``touch_session``).
    """

    record: UserSession | None
    ended: str | None = None
    stale: bool = False


def aware(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive UTC times; PostgreSQL aware ones."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def start_session(
    session: Session, user: User, *, stage: str, user_agent: str, at: dt.datetime
) -> tuple[UserSession, str]:
    """A new session for ``user``; returns it and the token for the cookie (not stored)."""
    token = secrets.token_urlsafe(32)
    record = UserSession(
        user=user,
        token_hash=_digest(token),
        stage=stage,
        created_at=at,
        last_seen_at=at,
        client=describe_client(user_agent),
        agent_hash=_digest(user_agent),
    )
    session.add(record)
    session.flush()
    return record, token


def complete_session(session: Session, record: UserSession, at: dt.datetime) -> str:
    """The second factor passed: the session is signed in, under a new token."""
    token = secrets.token_urlsafe(32)
    record.token_hash = _digest(token)
    record.stage = COMPLETE
    record.last_seen_at = at
    session.flush()
    return token


def find_session(
    session: Session,
    token: str | None,
    *,
    user_agent: str,
    at: dt.datetime,
    limits: SessionLimits,
    stage: str = COMPLETE,
) -> Lookup:
    """The live session of this token at ``stage``; reads only.

    A timed-out session is left for ``purge_expired_sessions``: it stays refused because
    its times do not change any more.
    """
    if not token:
        return Lookup(None)
    record = session.scalar(select(UserSession).where(UserSession.token_hash == _digest(token)))
    if record is None or not record.user.active:
        return Lookup(None, ENDED)
    if record.stage != stage or record.agent_hash != _digest(user_agent):
        return Lookup(None)
    lifetime = limits.lifetime if stage == COMPLETE else limits.second_factor
    if at - aware(record.last_seen_at) > limits.idle:
        return Lookup(None, IDLE)
    if at - aware(record.created_at) > lifetime:
        return Lookup(None, LIFETIME)
    return Lookup(record, stale=at - aware(record.last_seen_at) >= LAST_SEEN_RESOLUTION)


def touch_session(session: Session, record: UserSession, at: dt.datetime) -> None:
    """Note that the session was used now (a lone UPDATE; none if it was ended meanwhile).

    Run it in a transaction of its own: on SQLite a transaction that read before
    writing fails at once when another connection wrote in between.
    """
    session.execute(
        update(UserSession).where(UserSession.id == record.id).values(last_seen_at=at),
        execution_options={"synchronize_session": False},
    )
    set_committed_value(record, "last_seen_at", at)


def end_session(session: Session, record: UserSession) -> None:
    session.delete(record)
    session.flush()


def end_sessions(session: Session, user: User, keep: UserSession | None = None) -> int:
    """End every session of ``user`` (but ``keep``); returns how many were open."""
    stmt = delete(UserSession).where(UserSession.user_id == user.id)
    if keep is not None:
        stmt = stmt.where(UserSession.id != keep.id)
    ended = session.execute(stmt.execution_options(synchronize_session="fetch")).rowcount
    session.flush()
    return ended


def open_sessions(
    session: Session, user: User, *, at: dt.datetime, limits: SessionLimits
) -> list[UserSession]:
    """The user's signed-in sessions that have not timed out, most recently used first."""
    stmt = (
        select(UserSession)
        .where(
            UserSession.user_id == user.id,
            UserSession.stage == COMPLETE,
            UserSession.last_seen_at >= at - limits.idle,
            UserSession.created_at >= at - limits.lifetime,
        )
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    )
    return list(session.scalars(stmt))


def purge_expired_sessions(session: Session, *, at: dt.datetime, limits: SessionLimits) -> None:
    """Delete every timed-out session (also the ones nobody came back to)."""
    oldest_start = at - max(limits.lifetime, limits.second_factor)
    session.execute(
        delete(UserSession).where(
            or_(
                UserSession.last_seen_at < at - limits.idle,
                UserSession.created_at < oldest_start,
                (UserSession.stage != COMPLETE)
                & (UserSession.created_at < at - limits.second_factor),
            )
        ),
        execution_options={"synchronize_session": "fetch"},
    )
    session.flush()


_BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def describe_client(user_agent: str) -> str:
    """A short, recognisable name for a browser ("Firefox on Linux") from its User-Agent."""
    browser = next((name for token, name in _BROWSERS if token in user_agent), None)
    system = next((name for token, name in _SYSTEMS if token in user_agent), None)
    if browser is None:
        product = user_agent.split("/", 1)[0].strip()[:40]
        browser = product or "Unknown browser"
    return f"{browser} on {system}" if system else browser
