"""What a request carries for the pages: its database session and its audience's
Protection, each made once per request and kept on ``flask.g``.

They live here, not beside the session factory (evidence/db.py) or the protection
rules (evidence/protection.py), so that services and models, which use those two
modules, never reach Flask, not even through them (the import-linter contracts).
"""

from __future__ import annotations

from flask import current_app, g, has_request_context, request
from flask_login import current_user
from sqlalchemy.orm import Session

from evidence.db import SAFE_METHODS
from evidence.protection import INTERNAL, PUBLIC, Protection, audience_for


def get_session() -> Session:
    """The request's session: one per request, committed once at its end by the view.

    GET and HEAD requests only read; any other method writes, so its
    transaction waits for the write lock from its start.
    """
    if "db_session" not in g:
        writes = has_request_context() and request.method not in SAFE_METHODS
        factory = "evidence.writers" if writes else "evidence.sessions"
        g.db_session = current_app.extensions[factory]()
    return g.db_session


def close_session(_exc: BaseException | None = None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


PREVIEW_ARGUMENT = "preview"


def previewing_public() -> bool:
    """Whether a team member asked to see this page as the public sees it (?preview=public)."""
    asked = request.args.get(PREVIEW_ARGUMENT) == PUBLIC
    return asked and audience_for(current_user) == INTERNAL


def public_protection() -> Protection:
    """The public audience's Protection, loaded once per request (for the team's notices)."""
    if "public_protection" not in g:
        g.public_protection = Protection.load(get_session(), PUBLIC)
    return g.public_protection


def current_protection() -> Protection:
    """The Protection of the request's audience, loaded once per request: the signed-in
    user's, or the public one while a team member previews the page as the public."""
    if "protection" not in g:
        audience = PUBLIC if previewing_public() else audience_for(current_user)
        g.protection = Protection.load(get_session(), audience)
    return g.protection
