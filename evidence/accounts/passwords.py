"""Password hashing (argon2id) and the password policy (length and guessability).

Hashing cost: argon2id with time_cost=3, memory_cost=64 MiB, parallelism=4,
a 16-byte salt and a 32-byte hash (RFC 9106's second recommended option,
argon2-cffi's default, written out so an upgrade of the library cannot
silently change it). The test suite switches to the cheapest parameters with
``use_cheap_hashing()``; hashes made with other parameters are upgraded at the
next sign-in (``needs_rehash``).

Policy: at least MIN_PASSWORD_LENGTH characters, and zxcvbn (which knows
common and breached passwords, keyboard walks, repeats, dates and names) must
score it at least MIN_STRENGTH of 4.
"""

from __future__ import annotations

import base64
import secrets

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.low_level import ARGON2_VERSION
from zxcvbn import zxcvbn

from evidence.core.messages import Message, message, plural_message

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
MIN_STRENGTH = 3
# zxcvbn refuses longer input; what follows the first 72 characters only adds strength.
_STRENGTH_CHECKED_LENGTH = 72

ARGON2_PARAMETERS = {
    "time_cost": 3,
    "memory_cost": 65536,  # KiB
    "parallelism": 4,
    "hash_len": 32,
    "salt_len": 16,
}
_CHEAP_PARAMETERS = {**ARGON2_PARAMETERS, "time_cost": 1, "memory_cost": 8, "parallelism": 1}


def _unmatchable_hash(hasher: PasswordHasher) -> str:
    """An encoded argon2id hash with ``hasher``'s parameters and random bytes that no
    password hashes to: checking a password against it costs exactly a real check, and
    making it costs nothing (hashing a dummy password instead cost every process a full
    hash at import and another for each application built)."""

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode("ascii").rstrip("=")

    return (
        f"$argon2id$v={ARGON2_VERSION}"
        f"$m={hasher.memory_cost},t={hasher.time_cost},p={hasher.parallelism}"
        f"${b64(secrets.token_bytes(hasher.salt_len))}"
        f"${b64(secrets.token_bytes(hasher.hash_len))}"
    )


_hasher = PasswordHasher(**ARGON2_PARAMETERS, type=Type.ID)
_unknown_account_hash = _unmatchable_hash(_hasher)


def use_cheap_hashing(cheap: bool) -> None:
    """Cheapest argon2id for the test suite (``TESTING``); the full cost otherwise."""
    global _hasher, _unknown_account_hash
    _hasher = PasswordHasher(**(_CHEAP_PARAMETERS if cheap else ARGON2_PARAMETERS), type=Type.ID)
    _unknown_account_hash = _unmatchable_hash(_hasher)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


def waste_a_check(password: str) -> None:
    """Spend the time of one real check, so refusing an unknown name is not faster."""
    password_matches(_unknown_account_hash, password)


def password_problem(password: str, account_name: str = "") -> Message | None:
    """Why this password is refused (a sentence for the user), or None when it is good."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return plural_message(
            "must be at least %(num)d character long",
            "must be at least %(num)d characters long",
            MIN_PASSWORD_LENGTH,
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        return plural_message(
            "must be at most %(num)d character long",
            "must be at most %(num)d characters long",
            MAX_PASSWORD_LENGTH,
        )
    user_inputs = [account_name, "evidence"] if account_name else ["evidence"]
    verdict = zxcvbn(password[:_STRENGTH_CHECKED_LENGTH], user_inputs=user_inputs)
    if verdict["score"] >= MIN_STRENGTH:
        return None
    warning = verdict["feedback"].get("warning", "").rstrip(".")
    if warning:
        # zxcvbn's warning exists in English only: other languages leave it out.
        return message(
            "is too easy to guess (%(warning)s). Use a passphrase of four or more unrelated"
            " words: easy to remember, hard to guess",
            warning=warning,
        )
    return message(
        "is too easy to guess. Use a passphrase of four or more unrelated words:"
        " easy to remember, hard to guess"
    )
