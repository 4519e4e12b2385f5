"""The evidence/1 schema bounds every text field exactly as the web forms do."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from evidence import limits
from evidence.interchange.services import ImportRejected, import_document
from evidence.interchange.validate import schema
from tests.interchange.test_rejections import broken, database_dump, loaded, set_path

__all__ = ["loaded"]  # the fixture, shared with the rejection tests


def _free_text(node: Any, name: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """(property name, schema) of every string that is not a key, hash, fixed format or
    closed vocabulary."""
    if not isinstance(node, dict):
        return
    types = node.get("type") if isinstance(node.get("type"), list) else [node.get("type")]
    fixed = {"enum", "const", "format"} & set(node) or str(node.get("pattern", "")).startswith(
        ("^[a-z0-9]", "^[0-9")
    )
    if "string" in types and not fixed:
        yield name, node
    for key, child in node.get("properties", {}).items():
        yield from _free_text(child, key)
    if "items" in node:
        yield from _free_text(node["items"], f"{name}[]")
    for key, child in node.get("$defs", {}).items():
        yield from _free_text(child, key)


def test_every_text_field_of_the_schema_has_the_forms_limit() -> None:
    found = list(_free_text(schema()))
    assert len(found) > 40
    for name, node in found:
        field = name.removesuffix("[]")
        limit = limits.NAME if name == "aliases[]" else limits.TEXT_LIMITS[field]
        assert node.get("maxLength") == limit, name
        multiline = field in limits.MULTILINE and name != "aliases[]"  # one alias, one line
        assert node.get("pattern") == limits.control_character_pattern(multiline=multiline), name


@pytest.mark.parametrize(
    "path, value, expected",
    [
        (
            ["incidents", 3, "summary"],
            "x" * (limits.LONG_TEXT + 1),
            "incidents[3].summary: at most 20,000 characters (this has 20,001)",
        ),
        (
            ["places", 0, "name"],
            "Minsk\x00",
            "places[0].name: contains a control character (U+0000)",
        ),
        (
            ["places", 0, "name"],
            "Minsk\tb",
            "places[0].name: contains a control character (U+0009)",
        ),
        (["places", 0, "aliases"], ["x"] * (limits.ALIASES + 1), "places[0].aliases: at most 100"),
        (
            ["statements", 0, "text"],
            "y" * (limits.STATEMENT + 1),
            "statements[0].text: at most 200,000 characters",
        ),
    ],
)
def test_over_long_or_control_character_text_is_refused_and_changes_nothing(
    session, loaded, path: list, value: Any, expected: str
) -> None:
    before = database_dump(session)
    with pytest.raises(ImportRejected) as rejected:
        import_document(session, broken(loaded, set_path(path, value)))
    session.commit()
    assert any(p.startswith(expected) for p in rejected.value.problems), rejected.value.problems
    assert database_dump(session) == before


def test_line_breaks_and_tabs_are_kept_in_long_text(session, loaded) -> None:
    doc = broken(loaded, set_path(["incidents", 3, "summary"], "One.\n\tTwo.\r\nThree."))
    doc["places"].pop()  # keep the document valid: only the summary changes
    import_document(session, doc)
