"""Place pages: list, page (ancestors, places inside, incidents), form, retract/restore."""

from __future__ import annotations

from flask import render_template, request
from sqlalchemy.orm import joinedload

from evidence.audit.services import history
from evidence.incidents.services import IncidentFilters, list_incidents
from evidence.permissions import requires
from evidence.places.forms import PlaceForm
from evidence.places.models import Place
from evidence.places.services import (
    create_place,
    load_place,
    update_place,
)
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
from evidence.web.request_context import get_session

bp = record_blueprint("places", __name__, "/places")
add_write_routes(
    bp,
    RecordRoutes(
        Place,
        PlaceForm,
        create_place,
        update_place,
        template="places/form.html",
        noun=translatable("place"),
        merge_kind="place",
        dialog_fields=("name", "aliases", "kind"),
    ),
)


@bp.get("/")
@requires("read")
def index() -> str:
    filters = ListFilters.from_request()
    stmt = list_query(Place, Place.name, filters).options(joinedload(Place.parent))
    return render_template("places/index.html", page=paginate(get_session(), stmt), filters=filters)


@bp.get("/<key>")
@requires("read")
def show(key: str) -> str:
    session = get_session()
    place_id = record_id_or_404(Place, key)
    include_retracted = request.args.get("retracted") == "1"
    detail = load_place(session, place_id, include_retracted=include_retracted)
    inside = IncidentFilters(place=place_id, include_retracted=include_retracted)
    return render_template(
        "places/show.html",
        detail=detail,
        incidents=list_incidents(session, inside),
        place=detail.place,
        include_retracted=include_retracted,
        history_entries=history(session, "place", place_id),
    )
