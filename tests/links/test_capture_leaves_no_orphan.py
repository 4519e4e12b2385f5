"""A capture whose transaction does not commit leaves no WARC behind in the store."""

from __future__ import annotations

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from evidence.links.services import capture
from evidence.store import Store
from tests.factories import make_source


def _files(store: Store) -> list[str]:
    return sorted(p.name for p in store.objects.rglob("*") if p.is_file())


def test_a_capture_whose_commit_fails_leaves_nothing_in_the_store(session, site, tmp_path):
    store = Store(tmp_path)
    source = make_source(session, key="capture-then-fail", url=site.url("/here"))
    session.commit()
    capture(session, source, store, by="auditor")
    assert _files(store) and all(name.startswith(".staged-") for name in _files(store))

    def disk_full(_session: Session) -> None:
        raise OperationalError("COMMIT", {}, Exception("database or disk is full"))

    event.listen(Session, "before_commit", disk_full)
    try:
        with pytest.raises(OperationalError):
            session.commit()
    finally:
        event.remove(Session, "before_commit", disk_full)
    session.rollback()
    assert _files(store) == []


def test_a_committed_capture_is_in_place_and_nothing_else(session, site, tmp_path):
    store = Store(tmp_path)
    source = make_source(session, key="capture-and-keep", url=site.url("/here"))
    kept = capture(session, source, store, by="auditor")
    session.commit()
    assert _files(store) == [kept.sha256] and store.check(kept.sha256) is None
