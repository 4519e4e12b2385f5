"""What the import encodes ahead (a new record's state and changes, field by field; the
entry hash from changes encoded beforehand) equals what verify computes from the stored row."""

from hypothesis import given
from hypothesis import strategies as st

from evidence.audit.log import _body, diff, entry_hash
from evidence.core.records import canonical_json, record_hash

TRICKY = st.sampled_from(['"changes":null', '","changes":null,"', "\\", '"', "«Алмаз»", ""])
TEXT = st.one_of(TRICKY, st.text(max_size=20))
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=12,
)


@given(
    action=TEXT,
    actor=TEXT,
    at=TEXT,
    changes=st.dictionaries(TEXT, st.lists(JSON, min_size=2, max_size=2), max_size=4),
    detail=st.one_of(st.none(), TEXT),
    record_key=st.one_of(st.none(), TEXT),
    seq=st.integers(min_value=1, max_value=10**9),
)
def test_pre_encoded_changes_give_the_same_hash(
    action, actor, at, changes, detail, record_key, seq
):
    body = {
        "at": at,
        "actor": actor,
        "action": action,
        "entity": "incident",
        "record_id": 7,
        "record_key": record_key,
        "changes": changes,
        "state": "{}",
        "record_hash": None,
        "detail": detail,
    }
    prev = "ab" * 32
    assert entry_hash(prev, seq, body, canonical_json(changes)) == entry_hash(prev, seq, body)


@given(record=st.dictionaries(TEXT, JSON, max_size=6), record_key=st.one_of(st.none(), TEXT))
def test_a_new_records_state_and_changes_are_its_canonical_json(record, record_key):
    record = {**record, "key": record_key}
    body = _body("2026-12-01T12:00:00.000000Z", "tester", "incident", 7, None, record)
    assert body["state"] == canonical_json(record).decode()
    assert body["changes"] == canonical_json(diff(None, record)).decode()
    assert body["record_hash"] == record_hash(record)
