"""Who may do what: the one permission table, and the checks every route makes.

Every view function declares the action it performs with ``@requires(action)``.
The decorator checks the table before the view does any work, and records the
action on the function (``view.required_action``) so tests/test_permissions.py
can walk ``app.url_map`` and check every endpoint for every role. A view that
loads a record then checks the record itself with ``authorize(action, obj)``.

Actions:
- ``public``   no sign-in needed (the sign-in page, static files).
- ``session``  any signed-in user (sign-out).
- ``read``     browse records (protection applied for the user's audience).
- ``edit``     create and change records.
- ``retract``  retract and restore records.
- ``merge``    merge a duplicate person, unit, place or source into another.
- ``cases``    create and change cases.
- ``dossiers`` export dossiers.
- ``audit``    the audit log, verification and link/hash checks.
- ``accounts`` manage accounts and roles.

Denied requests of signed-in users are written to the audit log ("denied")
and answered 403; anonymous requests are sent to the sign-in page.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, request
from flask_login import current_user

from evidence.vocabularies import ROLES

PUBLIC = "public"
SESSION = "session"
ACTIONS = (
    PUBLIC,
    SESSION,
    "read",
    "edit",
    "retract",
    "merge",
    "cases",
    "dossiers",
    "audit",
    "accounts",
)

_EVERYONE = frozenset({SESSION, "read"})

# The permission table: role -> the actions it may perform (besides "public").
PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": _EVERYONE | {"accounts", "audit"},
    "documenter": _EVERYONE | {"edit", "retract", "merge"},
    "lawyer": _EVERYONE | {"cases", "dossiers"},
    "auditor": _EVERYONE | {"audit"},
    "viewer": _EVERYONE,
}
assert set(PERMISSIONS) == set(ROLES), "every role needs a row in the permission table"
assert all(actions <= set(ACTIONS) for actions in PERMISSIONS.values())

View = TypeVar("View", bound=Callable[..., Any])


def role_allows(role: str | None, action: str) -> bool:
    """The permission table alone: may this role (None = anonymous) perform the action?"""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; known: {', '.join(ACTIONS)}")
    if action == PUBLIC:
        return True
    return role is not None and action in PERMISSIONS.get(role, frozenset())


def can(user: Any, action: str, obj: Any = None) -> bool:
    """The table plus the object: may this user perform the action on this record?

    Object rules: a dossier job is seen only by the user who requested it, an uploaded
    sheet only by its uploader, a form's draft only by its owner. What an audience may
    see of the evidence is not a permission: evidence.protection decides it, and a hidden
    record answers 404 like a missing one.
    """
    signed_in = user is not None and getattr(user, "is_authenticated", False)
    if not role_allows(user.role if signed_in else None, action):
        return False
    return obj is None or _object_allows(user, obj)


def _object_allows(user: Any, obj: Any) -> bool:
    from evidence.dossiers.models import DossierJob
    from evidence.drafts.models import Draft
    from evidence.interchange.models import SheetUpload

    if isinstance(obj, DossierJob):
        # A dossier job and its PDF belong to whoever requested it.
        return obj.requested_by == user.name
    if isinstance(obj, SheetUpload):
        # An uploaded sheet may name protected witnesses: only its uploader sees it.
        return obj.uploaded_by == user.name
    if isinstance(obj, Draft):
        # What someone typed, perhaps a protected witness's name: only its owner sees it.
        return obj.owner == user.name
    return True


def deny(action: str, obj: Any = None, *, status: int = 403) -> None:
    """Refuse the request: anonymous users go to sign-in; others get ``status``, logged to
    the audit."""
    from flask import current_app

    from evidence.audit.log import log_event
    from evidence.web.request_context import get_session

    if not current_user.is_authenticated:
        abort(current_app.login_manager.unauthorized())
    what = f" {type(obj).__name__.lower()} {getattr(obj, 'key', '')}".rstrip() if obj else ""
    actor = current_user.name
    detail = f"{current_user.role} {actor}: {action}{what} ({request.method} {request.path})"
    get_session().rollback()  # never commit half-done work together with the denial
    # Logged by a writer of its own: the request's session may be a reader (a GET).
    with current_app.extensions["evidence.writers"]() as writer:
        log_event(writer, "denied", detail, actor=actor)
        writer.commit()
    abort(status)


def authorize(action: str, obj: Any = None) -> None:
    """Check the current user against the table and the object; deny (never returns) if not.

    A role without the action gets 403. An object of someone else's that the role could
    otherwise act on (another lawyer's dossier job, another documenter's sheet) answers
    404, exactly as an id that does not exist: a 403 would confirm that the id exists.
    """
    if not can(current_user, action):
        deny(action, obj)
    if obj is not None and not _object_allows(current_user, obj):
        deny(action, obj, status=404)


def requires(action: str) -> Callable[[View], View]:
    """Declare and enforce the action a view performs; checked before the view runs."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; known: {', '.join(ACTIONS)}")

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            if action != PUBLIC:
                authorize(action)
            return view(*args, **kwargs)

        checked.required_action = action  # type: ignore[attr-defined]
        return checked  # type: ignore[return-value]

    return decorate


def required_action(view: Callable[..., Any]) -> str | None:
    """The action a view function declared with @requires, or None if it declared none."""
    return getattr(view, "required_action", None)
