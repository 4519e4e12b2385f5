"""The landing page until the web UI arrives."""

from __future__ import annotations

from flask import Blueprint
from sqlalchemy import func, select

from evidence.db import get_session
from evidence.interchange.records import SECTIONS

bp = Blueprint("home", __name__)


@bp.get("/")
def index() -> str:
    session = get_session()
    counts = {
        section: session.scalar(select(func.count()).select_from(entity.model))
        for section, entity in SECTIONS.items()
    }
    rows = "".join(f"<li>{name}: {count}</li>" for name, count in counts.items())
    return f"<!doctype html><title>evidence</title><h1>evidence</h1><ul>{rows}</ul>"
