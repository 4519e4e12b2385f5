"""Every page and every JSON response passes through the audience's Protection.

Templates do not have to remember to scrub: the Jinja ``finalize`` hook scrubs every
``{{ ... }}`` (record fields, page titles, flash messages, error pages, form options),
and the JSON provider scrubs every string of every JSON body. What is scrubbed and how
is decided in evidence.protection; this module only installs it.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from flask import Flask, Response, g, has_request_context, request
from flask.json.provider import DefaultJSONProvider
from flask_login import current_user

from evidence.protection import ViewerInput
from evidence.web.request_context import current_protection, previewing_public, public_protection


def scrub_for_request(value: Any) -> Any:
    """A template value as the request's audience may see it (outside a request: as is).

    On a record page seen by the team, the words that viewers and counsel will not see
    are noted on the way, for the notice at the end of the page (``hidden_on_page``).
    """
    if not has_request_context():
        return value
    protection = current_protection()
    if protection.is_internal and _is_record_page() and isinstance(value, str):
        words = g.setdefault("hidden_on_page", {})
        for word in public_protection().hidden_words(str(value)):
            words.setdefault(word.casefold(), word)
    return protection.scrub_output(value)


def _is_record_page() -> bool:
    return bool(request.endpoint) and request.endpoint.endswith(".show")


def hidden_on_page() -> list[str]:
    """The words of this page that viewers and counsel see only as a pseudonym (so far:
    call it after the page's content)."""
    return sorted(g.get("hidden_on_page", {}).values(), key=str.casefold)


class ProtectedJSONProvider(DefaultJSONProvider):
    """JSON responses (jsonify, a view returning a dict or list) scrubbed for the audience.
    Only responses: the session cookie is serialised through ``dumps`` too."""

    def response(self, *args: Any, **kwargs: Any) -> Response:
        if has_request_context():
            scrub = current_protection().scrub_tree
            args = tuple(scrub(arg) for arg in args)
            kwargs = {name: scrub(value) for name, value in kwargs.items()}
        return super().response(*args, **kwargs)


def shown_user() -> Any:
    """The user pages are drawn for: a viewer while a team member previews the public view,
    so buttons and navigation are the viewer's too."""
    if has_request_context() and current_user.is_authenticated and previewing_public():
        return SimpleNamespace(is_authenticated=True, role="viewer", name=current_user.name)
    return current_user


def install_output_protection(app: Flask) -> None:
    # finalize is read when a template is compiled: set it before any is loaded.
    app.jinja_env.finalize = scrub_for_request
    # What the reader typed, shown back as typed (see ViewerInput).
    app.jinja_env.filters["viewer_input"] = ViewerInput
    app.json = ProtectedJSONProvider(app)
    app.jinja_env.globals["previewing_public"] = previewing_public
    app.jinja_env.globals["hidden_on_page"] = hidden_on_page
