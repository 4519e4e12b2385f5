"""Unit and person pages: two blueprints, ``units`` and ``persons``.

Protection: a protected witness (FORMAT.md) never appears by name outside the
internal audience. Their person page does not exist for those audiences (404,
the same answer as for a key nobody has, so it confirms nothing), the person
list leaves them out, and on unit and source pages they appear only under the
pseudonym and are never linked (their key is usually their name).
"""

from __future__ import annotations

from flask import render_template

from evidence.actors.forms import PersonForm, UnitForm
from evidence.actors.models import Person, Unit
from evidence.actors.services import (
    create_person,
    create_unit,
    load_person,
    load_unit,
    update_person,
    update_unit,
)
from evidence.audit.services import history
from evidence.permissions import requires
from evidence.vocabularies import translatable
from evidence.web.pagination import paginate
from evidence.web.record_views import (
    ListFilters,
    RecordRoutes,
    add_write_routes,
    list_query,
    record_blueprint,
    record_id_or_404,
)
from evidence.web.request_context import current_protection, get_session

# Involvements listed on a unit or person page; the rest are one click away in the
# incident list filtered by the unit (rendering hundreds of rows is what made the page slow).
INVOLVEMENTS_SHOWN = 50

units = record_blueprint("units", __name__, "/units")
persons = record_blueprint("persons", __name__, "/persons")
add_write_routes(
    units,
    RecordRoutes(
        Unit,
        UnitForm,
        create_unit,
        update_unit,
        template="units/form.html",
        noun=translatable("unit"),
        merge_kind="unit",
        dialog_fields=("name", "aliases", "kind"),
    ),
)
add_write_routes(
    persons,
    RecordRoutes(
        Person,
        PersonForm,
        create_person,
        update_person,
        template="persons/form.html",
        noun=translatable("person"),
        merge_kind="person",
        dialog_fields=("name", "protected_witness", "aliases"),
    ),
)


# --- units ------------------------------------------------------------------------------


@units.get("/", endpoint="index")
@requires("read")
def unit_index() -> str:
    filters = ListFilters.from_request()
    page = paginate(get_session(), list_query(Unit, Unit.name, filters))
    return render_template("units/index.html", page=page, filters=filters)


@units.get("/<key>", endpoint="show")
@requires("read")
def unit_show(key: str) -> str:
    session = get_session()
    unit_id = record_id_or_404(Unit, key)
    detail = load_unit(session, unit_id, involvement_limit=INVOLVEMENTS_SHOWN)
    return render_template(
        "units/show.html",
        detail=detail,
        unit=detail.unit,
        history_entries=history(session, "unit", unit_id),
    )


# --- persons ----------------------------------------------------------------------------


@persons.get("/", endpoint="index")
@requires("read")
def person_index() -> str:
    filters = ListFilters.from_request()
    page = paginate(get_session(), list_query(Person, Person.name, filters))
    return render_template("persons/index.html", page=page, filters=filters)


def _visible_person_id(key: str) -> int:
    """The person's id, or 404 when they are protected from this audience."""
    return record_id_or_404(Person, key)


@persons.get("/<key>", endpoint="show")
@requires("read")
def person_show(key: str) -> str:
    session = get_session()
    person_id = _visible_person_id(key)
    detail = load_person(session, person_id)
    protection = current_protection()
    return render_template(
        "persons/show.html",
        detail=detail,
        person=detail.person,
        involvements=detail.involvements[-INVOLVEMENTS_SHOWN:],
        statements=protection.filter_statements(detail.statements),
        history_entries=history(session, "person", person_id),
    )
