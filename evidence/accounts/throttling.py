"""Sign-in throttling per account name and per client address, kept in the database.

Every refused sign-in (wrong password, wrong second-factor code) is a row in
``sign_in_failures``. Once an account name, or an address, has ``limit``
failures within ``memory``, every further attempt must wait a cool-down after
the newest failure: ``first_cooldown``, doubled with each further failure, at
most ``memory``. While it waits, attempts are answered 429 without checking the
password (so the right password does not get through either) and are not
counted, so waiting out the cool-down is always enough. A successful sign-in
clears the account's failures (not the address's); ``evidence users unlock``
clears them by hand.

Why our own table rather than Flask-Limiter: its storages (memory, Redis,
Memcached, MongoDB) have no SQL backend, and the default deployment is one
SQLite file with no Redis; a per-process dict would be a separate counter per
gunicorn worker. Flask-Limiter also counts requests per route, while here the
count is of failures per account and per address, with a growing cool-down
and a command that clears it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from evidence.accounts.models import SignInFailure
from evidence.accounts.sessions import aware


@dataclass(frozen=True)
class ThrottlePolicy:
    limit: int = 10
    address_limit: int = 10
    first_cooldown: dt.timedelta = dt.timedelta(minutes=1)
    memory: dt.timedelta = dt.timedelta(hours=24)


@dataclass(frozen=True)
class Pause:
    """How long sign-in must wait, and whether the account or the address caused it."""

    seconds: int
    by_account: bool


def address_hash(secret_key: str, address: str) -> str:
    """A keyed hash of a client address: countable, not a readable list of addresses."""
    return hmac.new(secret_key.encode(), address.encode(), hashlib.sha256).hexdigest()


def _cooldown(policy: ThrottlePolicy, failures: int, limit: int) -> dt.timedelta:
    if failures < limit:
        return dt.timedelta(0)
    doublings = min(failures - limit, 30)  # beyond 2**30 minutes the cap applies anyway
    return min(policy.first_cooldown * 2**doublings, policy.memory)


def _wait(
    session: Session,
    policy: ThrottlePolicy,
    column: Any,
    value: str,
    limit: int,
    at: dt.datetime,
) -> dt.timedelta:
    count, newest = session.execute(
        select(func.count(), func.max(SignInFailure.at)).where(
            column == value, SignInFailure.at > at - policy.memory
        )
    ).one()
    if newest is None:
        return dt.timedelta(0)
    return max(aware(newest) + _cooldown(policy, count, limit) - at, dt.timedelta(0))


def pause(
    session: Session, policy: ThrottlePolicy, *, account: str, address: str, at: dt.datetime
) -> Pause | None:
    """The cool-down still to wait before this account name may try from this address, if any."""
    by_account = _wait(session, policy, SignInFailure.account_name, account, policy.limit, at)
    by_address = _wait(
        session, policy, SignInFailure.address_hash, address, policy.address_limit, at
    )
    longest = max(by_account, by_address)
    if not longest:
        return None
    seconds = int(longest.total_seconds() + 0.999)
    return Pause(seconds=max(seconds, 1), by_account=by_account >= by_address)


def record_failure(
    session: Session, policy: ThrottlePolicy, *, account: str, address: str, at: dt.datetime
) -> Pause | None:
    """Count a refused attempt; returns the cool-down it starts, if it starts one."""
    session.execute(
        delete(SignInFailure).where(SignInFailure.at <= at - policy.memory),
        execution_options={"synchronize_session": "fetch"},
    )
    session.add(SignInFailure(at=at, account_name=account[:80], address_hash=address))
    session.flush()
    return pause(session, policy, account=account, address=address, at=at)


def clear_account(session: Session, account: str) -> int:
    """Forget the account's failures (after a sign-in, or `evidence users unlock`)."""
    stmt = delete(SignInFailure).where(SignInFailure.account_name == account)
    cleared = session.execute(stmt).rowcount
    session.flush()
    return cleared


def clear_address(session: Session, address: str) -> int:
    cleared = session.execute(
        delete(SignInFailure).where(SignInFailure.address_hash == address)
    ).rowcount
    session.flush()
    return cleared
