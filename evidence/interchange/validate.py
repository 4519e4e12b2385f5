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

import jsonschema_rs
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence import dates, limits
from evidence.core.records import chunks
from evidence.outbound import web_address_problem
from evidence.records.loading import SECTIONS

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
    "cases": [
        (("incidents", "*"), "incidents"),
        (("excluded_statements", "*"), "statements"),
    ],
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

CONTROL_CHARACTER_PATTERNS = (
    limits.control_character_pattern(multiline=True),
    limits.control_character_pattern(multiline=False),
)

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
    if error.validator == "maxLength":
        return f"at most {error.validator_value:,} characters (this has {len(error.instance):,})"
    if error.validator == "maxItems":
        return f"at most {error.validator_value} items (this has {len(error.instance)})"
    if error.validator == "pattern" and error.validator_value in CONTROL_CHARACTER_PATTERNS:
        multiline = error.validator_value == CONTROL_CHARACTER_PATTERNS[0]
        refused = limits.control_character(error.instance, multiline=multiline)
        return f"contains a control character ({refused}) that cannot be stored"
    return error.message


@cache
def _fast_validator() -> Any:
    return jsonschema_rs.validator_for(schema(), validate_formats=True)


def schema_problems(document: Any) -> list[str]:
    # The compiled validator answers "valid?" quickly for large files; the
    # pure-Python one then explains each problem of an invalid file in words.
    if _fast_validator().is_valid(document):
        return []
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
    for chunk in chunks(sorted(wanted)):
        found.update(session.scalars(select(model.key).where(model.key.in_(chunk))))
    return found


def values_at(record: Any, path: tuple[str, ...]) -> list[Any]:
    """The values at ``path`` in a record, without their JSON paths (the fast pass)."""
    current = [record]
    for part in path:
        if part == "*":
            current = [item for value in current for item in (value or [])]
        else:
            current = [value.get(part) for value in current if isinstance(value, dict)]
    return current


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

    # References to keys outside the file are looked up in the database in one
    # pass; JSON paths are worked out only for the records that fail.
    wanted: dict[str, set[str]] = {section: set() for section in SECTIONS}
    outside: list[tuple[str, int, tuple[str, ...], str]] = []
    for section, rules in REFERENCES.items():
        for index, record in enumerate(document.get(section, [])):
            for path, target in rules:
                missing = {
                    value
                    for value in values_at(record, path)
                    if value is not None and value not in keys_in_file[target]
                }
                if missing:
                    wanted[target] |= missing
                    outside.append((section, index, path, target))
    known = {
        section: _existing_keys(session, section, keys) for section, keys in wanted.items() if keys
    }
    for section, index, path, target in outside:
        record = document[section][index]
        for value, where in walk(record, path, [section, index]):
            unknown = value not in keys_in_file[target] and value not in known[target]
            if value is not None and unknown:
                problems.append(f"{json_path(where)}: no {SINGULAR[target]} with key {value!r}")

    for section, paths in EDTF_FIELDS.items():
        for index, record in enumerate(document.get(section, [])):
            for path in paths:
                if all(dates.is_valid(v) for v in values_at(record, path) if v is not None):
                    continue
                for value, where in walk(record, path, [section, index]):
                    if value is not None and not dates.is_valid(value):
                        problems.append(f"{json_path(where)}: {_date_error(value)}")
    problems.extend(_rule_problems(document))
    return problems


def _date_error(value: str) -> str:
    try:
        dates.parse(value)
    except dates.InvalidDate as error:
        return str(error)
    return ""


def _rule_problems(document: Document) -> list[str]:
    problems = []
    for index, source in enumerate(document.get("sources", [])):
        if problem := web_address_problem(source["url"]):
            problems.append(f"sources[{index}].url: {problem}")
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
    """Records that would be their own ancestor (depth-first search, linear time)."""
    graph = {
        record["key"]: [p for p in parents_of(record) if p] for record in document.get(section, [])
    }
    in_cycle: set[str] = set()
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    for root in graph:
        if root in state:
            continue
        path, stack = [root], [iter(graph[root])]
        state[root] = 1
        while stack:
            parent = next(stack[-1], None)
            if parent is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(parent) == 1:
                in_cycle.update(path[path.index(parent) :])
            elif parent not in state and parent in graph:
                state[parent] = 1
                path.append(parent)
                stack.append(iter(graph[parent]))
    return [
        f"{section}[{index}]: {record['key']!r} would be its own ancestor"
        for index, record in enumerate(document.get(section, []))
        if record["key"] in in_cycle
    ]
