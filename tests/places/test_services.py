import pytest
from sqlalchemy import func, select

from evidence.audit.models import AuditEntry
from evidence.core.validation import ValidationError
from evidence.places.models import Place
from evidence.places.services import (
    load_place,
    update_place,
)
from evidence.records.editing import Conflict, restore, retract
from tests.factories import make_place


def audit_actions(session, entity, record_id):
    stmt = select(AuditEntry.action).where(
        AuditEntry.entity == entity, AuditEntry.record_id == record_id
    )
    return list(session.scalars(stmt.order_by(AuditEntry.seq)))


def test_create_generates_key_and_cleans_aliases(session):
    minsk = make_place(session, name="Минск", aliases="Minsk\n  Mińsk \n\nMinsk")
    assert minsk.key == "minsk"
    assert minsk.aliases == ["Minsk", "Mińsk"]
    again = make_place(session, name="Minsk")
    assert again.key == "minsk-2"


def test_update_retract_restore_are_audited(session):
    place = make_place(session, name="Zhodino")
    session.commit()
    update_place(session, place, place.version, name="Жодино", aliases=["Zhodino"])
    session.commit()
    retract(session, place, "duplicate entry", by="tester")
    session.commit()
    assert place.is_retracted and place.retraction_reason == "duplicate entry"
    restore(session, place)
    session.commit()
    assert audit_actions(session, "place", place.id) == ["insert", "update", "retract", "restore"]


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"kind": "jail"}, "kind", ["prison", "police-station"]),
        ({"name": "  "}, "name", ["required"]),
        ({"key": "Bad Key"}, "key", ["lower-case"]),
        ({"lat": 91}, "lat", ["between"]),
        ({"parent": "nowhere"}, "parent", ['no place with key "nowhere"']),
    ],
)
def test_invalid_input_names_the_field_and_writes_nothing(session, fields, field, words):
    place = make_place(session, name="Original")
    session.commit()
    version = place.version
    with pytest.raises(ValidationError) as caught:
        update_place(session, place, version, **fields)
    assert set(caught.value.errors) == {field}
    for word in words:
        assert word in caught.value.errors[field]
    session.rollback()
    session.refresh(place)
    assert (place.name, place.kind, place.version) == ("Original", "settlement", version)


def test_key_must_be_unique(session):
    make_place(session, key="zhodino")
    before = session.scalar(select(func.count()).select_from(Place))
    with pytest.raises(ValidationError) as caught:
        make_place(session, key="zhodino")
    assert "already used" in caught.value.errors["key"]
    assert session.scalar(select(func.count()).select_from(Place)) == before


def test_a_place_cannot_lie_inside_itself(session):
    country = make_place(session, name="Belarus", kind="region")
    city = make_place(session, name="Minsk", parent=country)
    street = make_place(session, name="Pushkinskaya", kind="street", parent=city)
    with pytest.raises(ValidationError) as caught:
        update_place(session, country, country.version, parent=street)
    assert "inside itself" in caught.value.errors["parent"]
    with pytest.raises(ValidationError):
        update_place(session, country, country.version, parent=country.key)


def test_stale_version_raises_conflict_with_both_versions(session):
    place = make_place(session, name="Okrestina")
    session.commit()
    seen = place.version
    update_place(session, place, seen, name="Okrestina detention centre")
    session.commit()
    with pytest.raises(Conflict) as caught:
        update_place(session, place, seen, name="Akrestsina")
    conflict = caught.value
    assert conflict.current["name"] == "Okrestina detention centre"
    assert conflict.attempted == {"name": "Akrestsina"}
    assert conflict.current_version == place.version != seen
    assert place.name == "Okrestina detention centre"


def test_retract_requires_a_reason(session):
    place = make_place(session)
    with pytest.raises(ValidationError) as caught:
        retract(session, place, "  ", by="tester")
    assert "reason" in caught.value.errors
    assert not place.is_retracted


def test_place_detail_lists_children_and_ancestors(session):
    country = make_place(session, name="Belarus", kind="region")
    city = make_place(session, name="Minsk", parent=country)
    detail = load_place(session, country.id)
    assert [c.name for c in detail.children] == ["Minsk"]
    assert [a.name for a in load_place(session, city.id).ancestors] == ["Belarus"]
