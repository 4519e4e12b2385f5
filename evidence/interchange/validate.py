"""Checks an evidence/1 document before anything is written: schema, then meaning.

Every problem is reported with its JSON path, e.g.
``incidents[3].involvements[0].unit: no unit with key "amaz"``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence import dates
from evidence.interchange.records import SECTIONS

Document = dict[str, Any]

# Where each section refers to another: (path inside a record, target section).
# "*" walks every item of a list.
REFERENCES: dict[str, list[tuple[tuple[str, ...], str]]] = {
    "places": [(("parent",), "places")],
    "units": [(("parents", "*", "unit"), "units")],
    "persons": [
        (("memberships", "*", "unit"), "units"),
        (("memberships", "*", "sources", "*", "source"), "sources"),
    ],
    "incidents": [
        (("place",), "places"),
        (("violations", "*"), "violation_types"),
        (("sources", "*", "source"), "sources"),
        (("involvements", "*", "unit"), "units"),
        (("involvements", "*", "person"), "persons"),
        (("involvements", "*", "sources", "*", "source"), "sources"),
    ],
    "statements": [
        (("witness",), "persons"),
        (("source",), "sources"),
        (("incidents", "*", "incident"), "incidents"),
    ],
    "cases": [(("incidents", "*"), "incidents")],
    "exhibits": [
        (("incidents", "*"), "incidents"),
        (("statements", "*"), "statements"),
        (("sources", "*"), "sources"),
    ],
}

EDTF_FIELDS: dict[str, list[tuple[str, ...]]] = {
    "units": [("parents", "*", "start"), ("parents", "*", "end")],
    "persons": [("memberships", "*", "start"), ("memberships", "*", "end")],
    "sources": [("published",)],
    "incidents": [("date",)],
    "statements": [("taken",)],
    "exhibits": [("acquired",)],
}

SINGULAR = {
    "violation_types": "violation type",
    "places": "place",
    "units": "unit",
    "persons": "person",
    "sources": "source",
    "incidents": "incident",
    "statements": "statement",
    "cases": "case",
    "exhibits": "exhibit",
}


@cache
def schema() -> dict[str, Any]:
    text = resources.files("evidence.interchange").joinpath("schema.json").read_text("utf-8")
    return json.loads(text)


def json_path(parts: Any) -> str:
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(document)"


def _schema_message(error: ValidationError) -> str:
    if error.validator == "enum":
        allowed = ", ".join(str(value) for value in error.validator_value if value is not None)
        return f"{error.instance!r} is not allowed; use one of: {allowed}"
    if error.validator == "required":
        missing = error.message.split("'")[1]
        return f"missing required field {missing!r}"
    if error.validator == "additionalProperties":
        return error.message.replace("Additional properties are not allowed", "unknown field(s)")
    if error.validator == "pattern" and error.path and error.path[-1] in ("key", "unit", "parent"):
        return f"{error.instance!r} is not a valid key (lower-case letters, digits and '-')"
    return error.message


def schema_problems(document: Any) -> list[str]:
    validator = Draft202012Validator(schema(), format_checker=FormatChecker())
    errors = sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.path)))
    return [f"{json_path(error.path)}: {_schema_message(error)}" for error in errors]


def walk(record: Any, path: tuple[str, ...], where: list[Any]) -> Iterator[tuple[Any, list]]:
    """Values found at ``path`` in a record, with their JSON paths."""
    if not path:
        yield record, where
        return
    head, rest = path[0], path[1:]
    if head == "*":
        for index, item in enumerate(record or []):
            yield from walk(item, rest, [*where, index])
    elif isinstance(record, dict):
        yield from walk(record.get(head), rest, [*where, head])


def _existing_keys(session: Session, section: str, wanted: set[str]) -> set[str]:
    model = SECTIONS[section].model
    found: set[str] = set()
    wanted_list = sorted(wanted)
    for start in range(0, len(wanted_list), 900):
        chunk = wanted_list[start : start + 900]
        found.update(session.scalars(select(model.key).where(model.key.in_(chunk))))
    return found


def meaning_problems(session: Session, document: Document) -> list[str]:
    """Duplicate keys, unknown references, bad dates and rule breaches in a schema-valid file."""
    problems: list[str] = []
    keys_in_file: dict[str, set[str]] = {}
    for section in SECTIONS:
        seen: dict[str, int] = {}
        for index, record in enumerate(document.get(section, [])):
            if record["key"] in seen:
                problems.append(
                    f"{section}[{index}].key: duplicate key {record['key']!r}"
                    f" (also at {section}[{seen[record['key']]}])"
                )
            seen.setdefault(record["key"], index)
        keys_in_file[section] = set(seen)

    wanted: dict[str, set[str]] = {section: set() for section in SECTIONS}
    references = []
    for section, rules in REFERENCES.items():
        for index, record in enumerate(document.get(section, [])):
            for path, target in rules:
                for value, where in walk(record, path, [section, index]):
                    if value is not None:
                        references.append((value, where, target))
                        if value not in keys_in_file[target]:
                            wanted[target].add(value)
    known = {
        section: keys_in_file[section] | _existing_keys(session, section, keys)
        for section, keys in wanted.items()
        if keys
    }
    for value, where, target in references:
        if value not in keys_in_file[target] and value not in known.get(target, set()):
            problems.append(f"{json_path(where)}: no {SINGULAR[target]} with key {value!r}")

    for section, paths in EDTF_FIELDS.items():
        for index, record in enumerate(document.get(section, [])):
            for path in paths:
                for value, where in walk(record, path, [section, index]):
                    if value is not None:
                        try:
                            dates.parse(value)
                        except dates.InvalidDate as error:
                            problems.append(f"{json_path(where)}: {error}")
    problems.extend(_rule_problems(document))
    return problems


def _rule_problems(document: Document) -> list[str]:
    problems = []
    for index, source in enumerate(document.get("sources", [])):
        if source["accessed"]:
            try:
                dt.date.fromisoformat(source["accessed"])
            except ValueError:
                problems.append(
                    f"sources[{index}].accessed: {source['accessed']!r} is not a real date"
                )
    for index, incident in enumerate(document.get("incidents", [])):
        for number, involvement in enumerate(incident["involvements"]):
            if (involvement["unit"] is None) == (involvement["person"] is None):
                problems.append(
                    f"incidents[{index}].involvements[{number}]: set exactly one of"
                    " 'unit' and 'person'"
                )
    for index, statement in enumerate(document.get("statements", [])):
        if statement["protection"] != "public" and not (statement["pseudonym"] or "").strip():
            problems.append(
                f"statements[{index}].pseudonym: required when protection is"
                f" {statement['protection']!r}"
            )
    problems.extend(_cycle_problems(document, "places", lambda r: [r["parent"]]))
    problems.extend(_cycle_problems(document, "units", lambda r: [p["unit"] for p in r["parents"]]))
    return problems


def _cycle_problems(document: Document, section: str, parents_of: Any) -> list[str]:
    graph = {
        record["key"]: [p for p in parents_of(record) if p] for record in document.get(section, [])
    }
    problems = []
    for index, record in enumerate(document.get(section, [])):
        stack, seen = list(graph.get(record["key"], [])), set()
        while stack:
            current = stack.pop()
            if current == record["key"]:
                problems.append(f"{section}[{index}]: {record['key']!r} would be its own ancestor")
                break
            if current not in seen:
                seen.add(current)
                stack.extend(graph.get(current, []))
    return problems
