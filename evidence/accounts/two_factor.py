"""Two-factor sign-in: TOTP (RFC 6238, 30-second steps, 6 digits) and one-time recovery codes.

A TOTP code is accepted one step early or late (clock drift), and only for a
time step after the newest one already used, so a code seen over a shoulder or
in a proxy log cannot be replayed. Ten recovery codes are made at enrolment
and shown once; the table keeps only their SHA-256 (each has 80 random bits,
so the hash cannot be reversed by trying codes); each works once.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets

import pyotp
import segno
from pyotp.utils import strings_equal
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from evidence.accounts.models import RecoveryCode, User
from evidence.core.messages import message
from evidence.core.validation import ValidationError

ISSUER = "evidence"
RECOVERY_CODE_COUNT = 10
ALLOWED_DRIFT_STEPS = 1


def new_secret() -> str:
    """A 160-bit secret in base32, the size RFC 4226 recommends."""
    return pyotp.random_base32()


def enrolment_secret(secret_key: str, session_token_hash: str) -> str:
    """The secret offered while enrolling in one signed-in session, until a code confirms it.

    Derived (HMAC of the session's token hash under the application's secret key) rather
    than stored, so showing the enrolment page writes nothing; no one without both the key
    and the session's token can compute it, and another session is offered another one.
    """
    digest = hmac.new(
        secret_key.encode(), b"totp-enrolment:" + session_token_hash.encode(), "sha256"
    ).digest()
    return base64.b32encode(digest[:20]).decode()


def provisioning_uri(secret: str, account_name: str, issuer: str = ISSUER) -> str:
    """The ``otpauth://`` URI that authenticator apps read from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=account_name, issuer_name=issuer)


def qr_code_svg(uri: str) -> str:
    """The URI as an inline SVG QR code, made here (the secret never leaves the server)."""
    return segno.make(uri, error="m").svg_inline(
        scale=5, border=4, dark="#000", light="#fff", title="QR code for your authenticator app"
    )


def _step_of(secret: str, code: str, at: dt.datetime) -> int | None:
    """The time step ``code`` belongs to (within the allowed drift), or None."""
    try:
        return pyotp.TOTP(secret).verify_and_get_timecode(
            code, for_time=at, valid_window=ALLOWED_DRIFT_STEPS
        )
    except (pyotp.exceptions.OTPVerificationError, ValueError):
        return None


def _clean_code(code: str) -> str:
    return "".join(code.split()).replace("-", "").upper()


def _code_hash(code: str) -> str:
    return hashlib.sha256(_clean_code(code).encode()).hexdigest()


def new_recovery_codes(session: Session, user: User) -> list[str]:
    """Ten fresh recovery codes (the old ones stop working); shown once, stored hashed."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = base64.b32encode(secrets.token_bytes(10)).decode()  # 80 bits, 16 characters
        codes.append("-".join(raw[i : i + 4] for i in range(0, 16, 4)).lower())
    session.add_all(RecoveryCode(user_id=user.id, code_hash=_code_hash(code)) for code in codes)
    session.flush()
    return codes


def unused_recovery_codes(session: Session, user: User) -> int:
    return session.scalar(
        select(func.count()).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


def enable(
    session: Session, user: User, secret: str, *, code: str | None, at: dt.datetime
) -> list[str]:
    """Turn TOTP on with ``secret``; ``code`` from the user's app proves they hold it.

    ``code=None`` is for an admin enrolling on the command line, who passes
    the URI on. Returns the new recovery codes.
    """
    if user.has_two_factor:
        raise ValidationError(
            {"code": message("two-factor sign-in is already on for this account")}
        )
    if code is not None:
        step = _step_of(secret, _clean_code(code), at)
        if step is None:
            raise ValidationError(
                {
                    "code": message(
                        "this is not the code your app shows now; check the app's clock"
                        " and type the 6 digits again"
                    )
                }
            )
        user.totp_last_step = step
    user.totp_secret = secret
    user.totp_enabled_at = at
    session.flush()
    return new_recovery_codes(session, user)


def disable(session: Session, user: User) -> None:
    """Remove TOTP and the recovery codes; the next sign-in needs the password only."""
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.flush()


def check_code(session: Session, user: User, code: str, at: dt.datetime) -> str | None:
    """Accept a TOTP code or an unused recovery code: returns "totp" or "recovery", else None.

    A TOTP code is accepted once; a recovery code is used up.
    """
    if not user.has_two_factor:
        return None
    cleaned = _clean_code(code)
    if cleaned.isdigit():
        step = _step_of(user.totp_secret, cleaned, at)
        if step is None or step <= (user.totp_last_step or -1):
            return None
        user.totp_last_step = step
        session.flush()
        return "totp"
    candidates = session.scalars(
        select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )
    wanted = _code_hash(cleaned)
    for candidate in candidates:
        if strings_equal(candidate.code_hash, wanted):
            candidate.used_at = at
            session.flush()
            return "recovery"
    return None
