"""Source pages: list, page (everything citing the source), form, retract/restore."""

from __future__ import annotations

from flask import render_template

from evidence.audit.services import history
from evidence.permissions import requires
from evidence.sources.forms import SourceForm
from evidence.sources.models import Source
from evidence.sources.services import (
    create_source,
    load_source,
    update_source,
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
from evidence.web.request_context import current_protection, get_session

bp = record_blueprint("sources", __name__, "/sources")
add_write_routes(
    bp,
    RecordRoutes(
        Source,
        SourceForm,
        create_source,
        update_source,
        template="sources/form.html",
        noun=translatable("source"),
        merge_kind="source",
        dialog_fields=("title", "kind", "url", "published", "reliability"),
    ),
)


@bp.get("/")
@requires("read")
def index() -> str:
    filters = ListFilters.from_request()
    page = paginate(get_session(), list_query(Source, Source.title, filters))
    return render_template("sources/index.html", page=page, filters=filters)


@bp.get("/<key>")
@requires("read")
def show(key: str) -> str:
    session = get_session()
    source_id = record_id_or_404(Source, key)
    detail = load_source(session, source_id)
    return render_template(
        "sources/show.html",
        detail=detail,
        source=detail.source,
        statements=current_protection().filter_statements(detail.statements),
        history_entries=history(session, "source", source_id),
    )
