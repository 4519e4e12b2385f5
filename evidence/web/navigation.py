"""The main navigation, links to records by key, and URLs of the current page with new args.

Conventions domain blueprints follow so links appear by themselves:
- the list page of a record type is the endpoint ``<section>.index``
  (``incidents.index``, ``units.index``, ``persons.index``, ``places.index``,
  ``sources.index``, ``statements.index``, ``cases.index``);
- a record's page is ``<section>.show`` taking ``key``.
A navigation entry shows once its endpoint exists and the user may perform
its action, so nothing here changes when a blueprint is added.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app, request, url_for
from werkzeug.routing import BuildError

from evidence.permissions import can
from evidence.records.loading import ENTITIES
from evidence.vocabularies import translatable


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    action: str


NAVIGATION = (
    NavItem(translatable("Dashboard"), "dashboard.index", "read"),
    NavItem(translatable("Incidents"), "incidents.index", "read"),
    NavItem(translatable("Units"), "units.index", "read"),
    NavItem(translatable("Persons"), "persons.index", "read"),
    NavItem(translatable("Places"), "places.index", "read"),
    NavItem(translatable("Sources"), "sources.index", "read"),
    NavItem(translatable("Statements"), "statements.index", "read"),
    NavItem(translatable("Cases"), "cases.index", "read"),
    NavItem(translatable("Exhibits"), "exhibits.index", "read"),
    NavItem(translatable("Import"), "sheets.new", "edit"),
    NavItem(translatable("Drafts"), "drafts.index", "edit"),
    NavItem(translatable("Audit"), "audit.index", "audit"),
    NavItem(translatable("Links"), "links.index", "audit"),
    NavItem(translatable("Sourcing"), "reports.sourcing", "audit"),
    NavItem(translatable("Accounts"), "accounts.index", "accounts"),
)


def navigation_for(user: Any) -> list[tuple[NavItem, str]]:
    """The entries this user may open, each with its URL."""
    views = current_app.view_functions
    return [
        (item, url_for(item.endpoint))
        for item in NAVIGATION
        if item.endpoint in views and can(user, item.action)
    ]


def current_section() -> str | None:
    """The blueprint of the current page, to mark its navigation entry."""
    return request.blueprint


def record_url(entity: str, key: str | None) -> str | None:
    """The page of a record (entity name such as "incident", or section "incidents"), if any.

    None when there is no key or no page for that kind of record yet, so
    templates can write ``{% if url %}<a href="{{ url }}">{% endif %}``. None too when
    the key contains a name protected from the user's audience (keys are often made
    from titles such as "Beating of Ivan Petrov"): the address would reveal it.
    """
    if not key or _names_protected_person(key):
        return None
    section = ENTITIES[entity].section if entity in ENTITIES else entity
    try:
        return url_for(f"{section}.show", key=key)
    except BuildError:
        return None


def url_with(**changes: Any) -> str:
    """The current page's URL with some query arguments replaced (None removes one)."""
    args = request.args.to_dict(flat=False)
    for name, value in changes.items():
        if value is None:
            args.pop(name, None)
        else:
            args[name] = [value]
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def _names_protected_person(key: str) -> bool:
    from evidence.web.request_context import current_protection

    protection = current_protection()
    return not protection.is_internal and protection.scrub(key) != key
