"""Drafts: save what a form holds, list a user's drafts, discard, and prune old ones.

Services take a Session and never commit. Who may open a draft is decided by
evidence.permissions (only its owner); these functions trust their caller on that.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from evidence import limits
from evidence.core.messages import message, plural_message
from evidence.core.timestamps import utcnow
from evidence.core.validation import ValidationError
from evidence.drafts.models import Draft

DRAFT_FORMS = ("incident", "statement")
# The form's security token belongs to the session that showed it; the draft's own id
# travels in the form so saving it can discard the draft.
NOT_KEPT = frozenset({"csrf_token", "draft"})
MAX_FIELDS = 2_000
# The longest statement and its translation, with room for every other field.
MAX_CHARACTERS = 2 * limits.STATEMENT + 100_000
# What the drafts list shows of a draft, by form: the first of these fields with text.
HEADLINE_FIELDS = {"incident": ("title", "summary"), "statement": ("pseudonym", "text")}
HEADLINE_CHARACTERS = 120


def clean_fields(fields: Any) -> list[list[str]]:
    """The [name, value] pairs of a form as a browser sent them, bounded; NUL characters,
    which no database keeps, are dropped."""
    if not isinstance(fields, list) or len(fields) > MAX_FIELDS:
        raise ValidationError(
            {"fields": message("a list of at most %(count)d [name, value] pairs", count=MAX_FIELDS)}
        )
    pairs: list[list[str]] = []
    total = 0
    for pair in fields:
        if not (
            isinstance(pair, list | tuple)
            and len(pair) == 2
            and all(isinstance(part, str) for part in pair)
        ):
            raise ValidationError(
                {"fields": message("each field is a [name, value] pair of texts")}
            )
        name, value = (part.replace("\x00", "") for part in pair)
        if name in NOT_KEPT or len(name) > limits.KEY:
            continue
        total += len(name) + len(value)
        if total > MAX_CHARACTERS:
            raise ValidationError(
                {
                    "fields": plural_message(
                        "at most %(num)d character", "at most %(num)d characters", MAX_CHARACTERS
                    )
                }
            )
        pairs.append([name, value])
    return pairs


def save_draft(
    session: Session,
    *,
    owner: str,
    form: str,
    record_key: str | None,
    fields: Sequence[Any],
    draft: Draft | None = None,
) -> Draft:
    """Keep the form's fields in ``draft`` (the owner's), or in a new draft."""
    if form not in DRAFT_FORMS:
        raise ValidationError(
            {"form": message("must be one of %(choices)s", choices=", ".join(DRAFT_FORMS))}
        )
    if record_key is not None and len(record_key) > limits.KEY:
        raise ValidationError(
            {
                "record": plural_message(
                    "at most %(num)d character", "at most %(num)d characters", limits.KEY
                )
            }
        )
    pairs = clean_fields(fields)
    if draft is None:
        draft = Draft(owner=owner, form=form, record_key=record_key or None, fields=pairs)
        session.add(draft)
    else:
        draft.fields = pairs
        draft.updated_at = utcnow()
    session.flush()
    return draft


def drafts_of(session: Session, owner: str) -> list[Draft]:
    """The owner's drafts, the latest first."""
    stmt = select(Draft).where(Draft.owner == owner).order_by(Draft.updated_at.desc(), Draft.id)
    return list(session.scalars(stmt))


def headline(draft: Draft) -> str:
    """A line that tells the owner which draft this is (what they typed first)."""
    values = dict(reversed(draft.fields))  # the first value of a repeated name
    for name in HEADLINE_FIELDS[draft.form]:
        text = " ".join((values.get(name) or "").split())
        if text:
            return text if len(text) <= HEADLINE_CHARACTERS else text[:HEADLINE_CHARACTERS] + "…"
    return ""


def discard_draft(session: Session, draft: Draft) -> None:
    session.delete(draft)
    session.flush()


def discard_saved_form(session: Session, *, owner: str, draft_id: str | None) -> None:
    """The form was saved: its draft (if it is the owner's) is no longer needed."""
    if draft_id and draft_id.isascii() and draft_id.isdigit() and len(draft_id) <= 18:
        session.execute(delete(Draft).where(Draft.id == int(draft_id), Draft.owner == owner))


def prune_drafts(session: Session, *, older_than: dt.datetime) -> int:
    """Delete every draft last saved before ``older_than``; returns how many."""
    result = session.execute(delete(Draft).where(Draft.updated_at < older_than))
    return result.rowcount or 0
