"""Spreadsheet import: the rows of a CSV or XLSX sheet as records of one kind.

A mapping names, for each `evidence/1` field, the column that holds it. Each
row becomes one record; each name in a reference cell (several separated by
`;`) is matched to existing records by the search's folding of their names,
aliases and keys, so "омон" finds "OMON" and "Тарайкоўскі" finds
"Taraikovsky". The review lists every row with each name's match (link, new,
ambiguous) and every problem by sheet row and column; nothing is written
until the review is accepted, and then the rows go through `import_document`
as one evidence/1 document: one transaction, audited, all or nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence import dates
from evidence.core.keys import KEY_RE, slugify_key
from evidence.core.messages import FieldName, Joined, Message, message, plural_message
from evidence.date_phrases import to_edtf
from evidence.interchange.services import FORMAT, ImportRejected, ImportSummary, import_document
from evidence.protection import PUBLIC, protected_person_ids
from evidence.records.editing import key_taken, unreadable_date
from evidence.records.loading import SECTIONS
from evidence.search.normalise import normalise
from evidence.vocabularies import (
    CONFIDENCE_LEVELS,
    INCIDENT_STATUSES,
    INVOLVEMENT_ROLES,
    PLACE_KINDS,
    PROTECTION_LEVELS,
    RELIABILITY,
    SOURCE_KINDS,
    UNIT_KINDS,
)

TEXT, LIST, DATE, DAY, NUMBER = "text", "list", "date", "day", "number"
NAME_SEPARATOR = ";"
MAX_ROWS = 20_000  # rows of one sheet: more is split into several imports
MAX_COLUMNS = 200
PROTECTED = ("pseudonymous", "confidential")


@dataclass(frozen=True)
class Reference:
    """A cell of names of records in ``section``: one name, or several when ``many``."""

    section: str
    many: bool = False


FIELDS: dict[str, dict[str, Any]] = {
    "places": {
        "key": TEXT,
        "name": TEXT,
        "aliases": LIST,
        "kind": PLACE_KINDS,
        "parent": Reference("places"),
        "lat": NUMBER,
        "lon": NUMBER,
    },
    "units": {
        "key": TEXT,
        "name": TEXT,
        "aliases": LIST,
        "kind": UNIT_KINDS,
        "parents": Reference("units", many=True),
    },
    "persons": {
        "key": TEXT,
        "name": TEXT,
        "aliases": LIST,
        "notes": TEXT,
        "memberships": Reference("units", many=True),
    },
    "sources": {
        "key": TEXT,
        "kind": SOURCE_KINDS,
        "title": TEXT,
        "url": TEXT,
        "publisher": TEXT,
        "author": TEXT,
        "published": DATE,
        "accessed": DAY,
        "language": TEXT,
        "reliability": tuple(RELIABILITY),
        "notes": TEXT,
    },
    "incidents": {
        "key": TEXT,
        "title": TEXT,
        "date": DATE,
        "place": Reference("places"),
        "violations": Reference("violation_types", many=True),
        "status": INCIDENT_STATUSES,
        "summary": TEXT,
        "sources": Reference("sources", many=True),
        # Not evidence/1 fields of their own: each name becomes an involvement
        # with the row's role and confidence.
        "units": Reference("units", many=True),
        "persons": Reference("persons", many=True),
        "role": INVOLVEMENT_ROLES,
        "confidence": CONFIDENCE_LEVELS,
    },
    "statements": {
        "key": TEXT,
        "witness": Reference("persons"),
        "pseudonym": TEXT,
        "protection": PROTECTION_LEVELS,
        "taken": DATE,
        "taken_by": TEXT,
        "language": TEXT,
        "text": TEXT,
        "translation": TEXT,
        "source": Reference("sources"),
        "incidents": Reference("incidents", many=True),
    },
}
KINDS = tuple(FIELDS)
REQUIRED = {
    "places": ("name",),
    "units": ("name",),
    "persons": ("name",),
    "sources": ("title",),
    "incidents": ("title", "date"),
    "statements": ("text",),
}
# What an unmapped or empty cell means. A statement's protection is the
# strictest unless the sheet says otherwise: a witness is never exposed by omission.
DEFAULTS = {
    "places": {"kind": "other"},
    "units": {"kind": "other"},
    "sources": {"kind": "other"},
    "incidents": {"status": "alleged", "role": "perpetrator", "confidence": "medium"},
    "statements": {"protection": "confidential"},
}
# The field holding a record's name, by section (what names are matched against).
NAME_FIELDS = {
    "places": "name",
    "units": "name",
    "persons": "name",
    "sources": "title",
    "violation_types": "label",
    "incidents": "title",
}
SINGULAR = {
    "places": "place",
    "units": "unit",
    "persons": "person",
    "sources": "source",
    "violation_types": "violation type",
    "incidents": "incident",
    "statements": "statement",
}


class SheetError(Exception):
    """A sheet or mapping that cannot be read; nothing was written."""

    def __init__(self, problems: list[Message]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class Sheet:
    headers: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (row number as the spreadsheet shows it, cells)


@dataclass(frozen=True)
class Candidate:
    key: str
    name: str
    pseudonym: str | None = None  # set for a protected witness: neither name nor key is shown

    def __str__(self) -> str:
        return self.shown()

    def shown(self) -> Message:
        if self.pseudonym is not None:
            return message('a protected witness ("%(pseudonym)s")', pseudonym=self.pseudonym)
        return message("%(key)s (%(name)s)", key=self.key, name=self.name)


@dataclass
class Problem:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return self.described()

    def described(self) -> Message:
        return message(
            'row %(row)s, column "%(column)s": %(problem)s',
            row=self.row,
            column=self.column,
            problem=self.message,
        )


@dataclass
class NameMatch:
    """One name of a reference cell and the records it matched."""

    column: str
    name: str
    section: str
    candidates: list[Candidate]
    protected: bool = False
    new_key: str | None = None

    @property
    def shown(self) -> str:
        return message("(a protected witness's name)") if self.protected else f'"{self.name}"'

    def describe(self) -> str:
        what = SINGULAR[self.section]
        if self.new_key:
            key = "" if self.protected else f" {self.new_key}"
            return f"{self.column} {self.shown} -> new {what}{key}"
        if len(self.candidates) == 1:
            target = "an existing person" if self.protected else str(self.candidates[0])
            return f"{self.column} {self.shown} -> link to {what} {target}"
        if not self.candidates:
            return f"{self.column} {self.shown} -> new {what} (needs --create-missing)"
        return f"{self.column} {self.shown} -> ambiguous: choose {self._choices()}"

    def _choices(self) -> str:
        if self.protected:
            return plural_message(
                "one of %(num)d person (write its key in the cell)",
                "one of %(num)d persons (write its key in the cell)",
                len(self.candidates),
            )
        return Joined(c.shown() for c in self.candidates)


@dataclass
class RowReview:
    row: int
    record: dict[str, Any]
    updates: bool
    names: list[NameMatch] = field(default_factory=list)
    label: str = ""
    alike: list[Candidate] = field(default_factory=list)


@dataclass
class Review:
    """What an import of the sheet would do, and what stops it."""

    kind: str
    rows: list[RowReview]
    problems: list[Problem]
    new_records: dict[str, list[dict[str, Any]]]

    def lines(self) -> list[str]:
        lines = []
        for row in self.rows:
            verb = "update" if row.updates else "new"
            lines.append(f"row {row.row}: {verb} {SINGULAR[self.kind]} {row.label}")
            if row.alike and not row.updates:
                alike = ", ".join(str(c) for c in row.alike)
                lines.append(f"  (an existing {SINGULAR[self.kind]} has this name: {alike})")
            lines.extend(f"  {match.describe()}" for match in row.names)
        for section, records in self.new_records.items():
            if records:
                lines.append(f"also created: {len(records)} {section} named in cells")
        return lines

    def document(self) -> dict[str, Any]:
        document: dict[str, Any] = {"format": FORMAT}
        for section, records in self.new_records.items():
            document.setdefault(section, []).extend(records)
        document.setdefault(self.kind, []).extend(row.record for row in self.rows)
        return document


# --- reading ------------------------------------------------------------------------------


def read_sheet(path: Path) -> Sheet:
    """The header and rows of a .csv (UTF-8, with or without BOM) or .xlsx (first sheet)."""
    return read_sheet_bytes(path.name, path.read_bytes())


def read_sheet_bytes(name: str, data: bytes) -> Sheet:
    """The header and rows of the sheet ``data``, a file called ``name`` (.csv or .xlsx)."""
    suffix = Path(name).suffix.lower()
    if suffix == ".csv":
        records = _csv_records(name, data)
    elif suffix == ".xlsx":
        records = _xlsx_records(name, data)
    else:
        raise SheetError([message("%(file)s: give a .csv or .xlsx file", file=name)])
    if not records:
        raise SheetError(
            [
                message(
                    "%(file)s: the sheet is empty (row 1 must hold the column headers)", file=name
                )
            ]
        )
    if len(records) > MAX_ROWS + 1:
        raise SheetError(
            [
                plural_message(
                    "%(file)s: more than %(num)d row; split it into several sheets",
                    "%(file)s: more than %(num)d rows; split it into several sheets",
                    MAX_ROWS,
                    file=name,
                )
            ]
        )
    headers = [cell.strip() for cell in records[0]]
    seen: set[str] = set()
    for header in headers:
        if header and header in seen:
            raise SheetError(
                [
                    message(
                        '%(file)s: two columns have the header "%(header)s"',
                        file=name,
                        header=header,
                    )
                ]
            )
        seen.add(header)
    rows = []
    for number, cells in enumerate(records[1:], start=2):
        values = {h: c.strip() for h, c in zip(headers, cells, strict=False) if h and c.strip()}
        if values:
            rows.append((number, values))
    return Sheet([h for h in headers if h], rows)


def _csv_records(name: str, data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SheetError(
            [
                message(
                    "%(file)s: not UTF-8 text (%(reason)s at byte %(byte)s); save it as CSV UTF-8",
                    file=name,
                    reason=error.reason,
                    byte=error.start,
                )
            ]
        ) from None
    first_line = text.split("\n", 1)[0]
    try:  # spreadsheets set to Belarusian or Russian write ";" between cells
        dialect: Any = csv.Sniffer().sniff(first_line, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    records = []
    try:
        for row in csv.reader(io.StringIO(text, newline=""), dialect):
            records.append(row[:MAX_COLUMNS])
            if len(records) > MAX_ROWS + 1:
                break  # read_sheet_bytes refuses it; a sheet of a million rows is not read
    except csv.Error as error:  # e.g. one cell over the csv module's field size limit
        raise SheetError(
            [message("%(file)s: not a readable CSV file (%(error)s)", file=name, error=str(error))]
        ) from None
    return records


def _xlsx_records(name: str, data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook  # reads XML through defusedxml, which is installed

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged or foreign file
        raise SheetError(
            [
                message(
                    "%(file)s: not a readable .xlsx workbook (%(error)s)",
                    file=name,
                    error=str(error),
                )
            ]
        ) from None
    try:
        records = []
        for row in workbook.worksheets[0].iter_rows(values_only=True):
            records.append([_cell_text(v) for v in row[:MAX_COLUMNS]])
            if len(records) > MAX_ROWS + 1:
                break  # read_sheet_bytes refuses it; a sheet of a million rows is not read
        return records
    finally:
        workbook.close()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_mapping(path: Path, kind: str, headers: Iterable[str]) -> dict[str, str]:
    """The mapping file's {field: column header}, checked against the kind and the sheet."""
    try:
        mapping = json.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise SheetError(
            [message("%(file)s: the mapping is not UTF-8 text", file=path.name)]
        ) from None
    except json.JSONDecodeError as error:
        raise SheetError(
            [
                message(
                    "%(file)s: not valid JSON: %(error)s at line %(line)s column %(column)s",
                    file=path.name,
                    error=error.msg,
                    line=error.lineno,
                    column=error.colno,
                )
            ]
        ) from None
    return check_mapping(mapping, kind, headers, path.name)


def check_mapping(
    mapping: Any, kind: str, headers: Iterable[str], where: str = "mapping"
) -> dict[str, str]:
    """``mapping`` ({field: column}) as a dict, or SheetError listing what is wrong."""
    if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
        raise SheetError(
            [
                message(
                    "%(where)s: %(problem)s",
                    where=where,
                    problem=message(
                        "must be a JSON object of field names to column headers,"
                        ' like {"title": "Title"}'
                    ),
                )
            ]
        )
    problems = mapping_problems(mapping, kind, headers)
    if problems:
        raise SheetError(
            [
                message("%(where)s: %(problem)s", where=where, problem=problem)
                for problem in problems.values()
            ]
        )
    return dict(mapping)


def mapping_problems(
    mapping: dict[str, str], kind: str, headers: Iterable[str]
) -> dict[str, Message]:
    """What is wrong with a mapping of a sheet of ``kind``, under the field each problem
    is about (a form shows it beside that field); empty when nothing is."""
    fields = FIELDS[kind]
    headers = list(headers)
    problems: dict[str, Message] = {}
    for name, header in mapping.items():
        if name not in fields:
            problems[name] = message(
                '"%(name)s" is not a field of %(kind)s; fields are: %(fields)s',
                name=name,
                kind=kind,
                fields=", ".join(fields),
            )
        elif header not in headers:
            problems[name] = message(
                'field "%(name)s" names the column "%(header)s", which the sheet does'
                " not have; its columns are: %(headers)s",
                name=name,
                header=header,
                headers=", ".join(headers),
            )
    for name in REQUIRED[kind]:
        if name not in mapping:
            problems[name] = message(
                '%(kind)s need the field "%(name)s"; map it to a column', kind=kind, name=name
            )
    return problems


def suggested_mapping(kind: str, headers: Iterable[str]) -> dict[str, str]:
    """Each field of ``kind`` whose name a column header spells (any case and script)."""
    by_folded = {normalise(header): header for header in headers}
    return {
        name: by_folded[normalise(name)] for name in FIELDS[kind] if normalise(name) in by_folded
    }


def choice_id(row: int, column: str, name: str) -> str:
    """A short stable id for one ambiguous name of one cell (a form field name)."""
    return hashlib.sha256(f"{row}\x1f{column}\x1f{name}".encode()).hexdigest()[:16]


def with_choices(sheet: Sheet, kind: str, mapping: dict[str, str], chosen: dict[str, str]) -> Sheet:
    """The sheet with each name in ``chosen`` (by ``choice_id``) replaced by the chosen
    record's key, which the review then matches exactly."""
    references = {
        header: FIELDS[kind][name]
        for name, header in mapping.items()
        if isinstance(FIELDS[kind][name], Reference)
    }
    rows = []
    for number, cells in sheet.rows:
        changed = dict(cells)
        for header, spec in references.items():
            if header in cells:
                parts = [
                    chosen.get(choice_id(number, header, part), part)
                    for part in _names(cells[header], spec.many)
                ]
                changed[header] = f"{NAME_SEPARATOR} ".join(parts)
        rows.append((number, changed))
    return Sheet(sheet.headers, rows)


# --- matching names -----------------------------------------------------------------------


class _Names:
    """Existing (not retracted) records of one section, found by any folded name or alias."""

    def __init__(self, session: Session, section: str) -> None:
        model = SECTIONS[section].model
        name_column = getattr(model, NAME_FIELDS[section])
        columns = [model.key, name_column]
        if hasattr(model, "aliases"):
            columns.append(model.aliases)
        self.keys: dict[str, Candidate] = {}
        self.folded: dict[str, list[Candidate]] = {}
        hidden = protected_person_ids(session, PUBLIC) if section == "persons" else {}
        # By id: candidates are listed in the order the records were made, on every database.
        not_retracted = select(model.id, *columns).where(model.retracted_at.is_(None))
        rows = session.execute(not_retracted.order_by(model.id))
        for record_id, key, name, *aliases in rows:
            candidate = Candidate(key, name, hidden.get(record_id))
            self.keys[key] = candidate
            for spelling in {normalise(n) for n in [name, *(aliases[0] if aliases else [])]}:
                if spelling:
                    self.folded.setdefault(spelling, []).append(candidate)

    def match(self, name: str) -> list[Candidate]:
        """Records whose key is exactly ``name``, else those with a name or alias folding alike."""
        if name in self.keys:
            return [self.keys[name]]
        return self.folded.get(normalise(name), [])


class _Keys:
    """New keys from titles: unique in the database and among the keys this sheet uses."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.used: dict[str, set[str]] = {}

    def reserve(self, section: str, key: str) -> None:
        self.used.setdefault(section, set()).add(key)

    def new(self, section: str, title: str) -> str:
        in_database = key_taken(self.session, SECTIONS[section].model)
        used = self.used.setdefault(section, set())
        key = slugify_key(
            title,
            lambda k: k in used or in_database(k),
            fallback=SINGULAR[section].replace(" ", "-"),
        )
        used.add(key)
        return key


# --- the review ---------------------------------------------------------------------------


def review_sheet(
    session: Session,
    sheet: Sheet,
    kind: str,
    mapping: dict[str, str],
    *,
    create_missing: bool = False,
) -> Review:
    """What importing the sheet would write, and every problem by row and column."""
    return _Reviewer(session, kind, mapping, create_missing).review(sheet)


def accept_review(session: Session, review: Review) -> ImportSummary:
    """Import a review without problems as one evidence/1 document (atomic, audited)."""
    if review.problems:
        raise SheetError([problem.described() for problem in review.problems])
    try:
        return import_document(session, review.document())
    except ImportRejected as rejected:
        raise SheetError([_row_of(review, p) for p in rejected.problems]) from None


_JSON_PATH = re.compile(r"^(\w+)\[(\d+)\](.*)$")


def _row_of(review: Review, problem: str) -> Message:
    """A JSON-path problem of the built document, named by the sheet row it came from."""
    found = _JSON_PATH.match(problem)
    if found and found.group(1) == review.kind:
        index = int(found.group(2)) - len(review.new_records.get(review.kind, []))
        if 0 <= index < len(review.rows):
            return message(
                "row %(row)s: %(problem)s",
                row=review.rows[index].row,
                problem=found.group(3).lstrip("."),
            )
    return message("%(problem)s", problem=problem)


class _Reviewer:
    def __init__(
        self, session: Session, kind: str, mapping: dict[str, str], create_missing: bool
    ) -> None:
        self.session = session
        self.kind = kind
        self.mapping = mapping
        self.create_missing = create_missing
        self.names: dict[str, _Names] = {}
        self.keys = _Keys(session)
        self.problems: list[Problem] = []
        self.new_records: dict[str, list[dict[str, Any]]] = {}
        self.new_keys: dict[tuple[str, str], str] = {}

    def review(self, sheet: Sheet) -> Review:
        rows = [self._row(number, cells) for number, cells in sheet.rows]
        return Review(self.kind, rows, self.problems, self.new_records)

    def _row(self, number: int, cells: dict[str, str]) -> RowReview:
        values: dict[str, Any] = dict(DEFAULTS.get(self.kind, {}))
        matches: dict[str, list[NameMatch]] = {}
        protected = self._protected(cells)
        for name, header in self.mapping.items():
            cell = cells.get(header)
            if cell is None:
                continue
            spec = FIELDS[self.kind][name]
            problem = Problem(number, header, "")
            if isinstance(spec, Reference):
                matches[name] = [
                    self._match(problem, spec.section, part, protected and name == "witness")
                    for part in _names(cell, spec.many)
                ]
            else:
                value = _value(problem, spec, cell)
                if problem.message:
                    self.problems.append(problem)
                else:
                    values[name] = value
        for name in REQUIRED[self.kind]:
            if self.mapping[name] not in cells:
                self.problems.append(
                    Problem(
                        number,
                        self.mapping[name],
                        message("%(field)s is required", field=FieldName(name)),
                    )
                )
        if protected and not values.get("pseudonym"):
            column = self.mapping.get("pseudonym") or self.mapping.get("protection") or "protection"
            self.problems.append(
                Problem(
                    number,
                    column,
                    message(
                        "a %(protection)s statement needs a pseudonym"
                        ' (map "pseudonym" to a column, or set protection to public)',
                        protection=Message(str(values.get("protection"))),
                    ),
                )
            )
        key, updates = self._key(number, values)
        record = self._record(key, values, matches)
        names = [m for found in matches.values() for m in found]
        return RowReview(
            number, record, updates, names, self._label(key, values), self._alike(values)
        )

    def _alike(self, values: dict[str, Any]) -> list[Candidate]:
        """Existing records the row's own name matches: a likely duplicate to point out."""
        name = values.get(NAME_FIELDS.get(self.kind, ""))
        return self._names(self.kind).match(name) if name else []

    def _names(self, section: str) -> _Names:
        if section not in self.names:
            self.names[section] = _Names(self.session, section)
        return self.names[section]

    def _protected(self, cells: dict[str, str]) -> bool:
        """Whether a statement row's witness must not be named (unknown protection: assume so)."""
        if self.kind != "statements":
            return False
        level = cells.get(self.mapping.get("protection", ""), "").casefold()
        return level not in PROTECTION_LEVELS or level in PROTECTED

    def _label(self, key: str, values: dict[str, Any]) -> str:
        name_field = NAME_FIELDS.get(self.kind)
        title = values.get(name_field) if name_field else None
        return f'{key} "{title}"' if title else key

    def _key(self, number: int, values: dict[str, Any]) -> tuple[str, bool]:
        given = values.pop("key", None)
        if given is not None:
            if not KEY_RE.match(given):
                self.problems.append(
                    Problem(
                        number,
                        self.mapping["key"],
                        message(
                            'key "%(key)s" must be 1-80 lower-case letters, digits and hyphens',
                            key=given,
                        ),
                    )
                )
            elif given in self.keys.used.get(self.kind, set()):
                self.problems.append(
                    Problem(
                        number,
                        self.mapping["key"],
                        message('key "%(key)s" is used by another row', key=given),
                    )
                )
            self.keys.reserve(self.kind, given)
            exists = key_taken(self.session, SECTIONS[self.kind].model)(given)
            return given, exists
        if self.kind == "statements":  # never from the witness's name, which may be protected
            title = f"statement {values.get('pseudonym') or ''} {values.get('taken') or ''}"
        else:
            title = values.get(NAME_FIELDS[self.kind]) or ""
        return self.keys.new(self.kind, title), False

    def _match(self, problem: Problem, section: str, name: str, protected: bool) -> NameMatch:
        found = NameMatch(
            problem.column, name, section, self._names(section).match(name), protected
        )
        shown = found.shown
        if len(found.candidates) > 1:
            self.problems.append(
                Problem(
                    problem.row,
                    problem.column,
                    message(
                        "%(name)s matches several %(section)s: %(choices)s;"
                        " write the key of the one you mean",
                        name=shown,
                        section=Message(section.replace("_", " ")),
                        choices=found._choices(),
                    ),
                )
            )
        elif not found.candidates:
            if section == "incidents":
                self.problems.append(
                    Problem(
                        problem.row,
                        problem.column,
                        message(
                            "%(name)s matches no incident; incidents are not created from a"
                            " cell: import them first or write an existing incident's key",
                            name=shown,
                        ),
                    )
                )
            elif self.create_missing:
                found.new_key = self._new_record(section, name, protected)
            else:
                self.problems.append(
                    Problem(
                        problem.row,
                        problem.column,
                        message(
                            "%(name)s matches no %(noun)s; correct it, or give"
                            " --create-missing to create it",
                            name=shown,
                            noun=Message(SINGULAR[section]),
                        ),
                    )
                )
        return found

    def _new_record(self, section: str, name: str, protected: bool) -> str:
        """The key of the record a missing name creates: one per name however often it is used."""
        folded = (section, normalise(name) or name)
        if folded not in self.new_keys:
            key = self.keys.new(section, "" if protected else name)  # no key from a hidden name
            self.new_keys[folded] = key
            record = _blank(section, key)
            record[NAME_FIELDS[section]] = name
            self.new_records.setdefault(section, []).append(record)
        return self.new_keys[folded]

    def _record(
        self, key: str, values: dict[str, Any], matches: dict[str, list[NameMatch]]
    ) -> dict[str, Any]:
        def keys(name: str) -> list[str]:
            return [_chosen(m) for m in matches.get(name, []) if _chosen(m)]

        def one(name: str) -> str | None:
            return next(iter(keys(name)), None)

        record = _blank(self.kind, key)
        role, confidence = values.pop("role", None), values.pop("confidence", None)
        record.update(values)
        if self.kind == "places":
            record["parent"] = one("parent")
        elif self.kind == "units":
            record["parents"] = [{"unit": k, "start": None, "end": None} for k in keys("parents")]
        elif self.kind == "persons":
            record["memberships"] = [
                {"unit": k, "title": None, "start": None, "end": None, "sources": []}
                for k in keys("memberships")
            ]
        elif self.kind == "incidents":
            record["place"] = one("place")
            record["violations"] = keys("violations")
            record["sources"] = [_citation(k) for k in keys("sources")]
            record["involvements"] = [
                {
                    "unit": k if column == "units" else None,
                    "person": k if column == "persons" else None,
                    "role": role,
                    "confidence": confidence,
                    "sources": [],
                }
                for column in ("units", "persons")
                for k in keys(column)
            ]
        elif self.kind == "statements":
            record["witness"] = one("witness")
            record["source"] = one("source")
            record["incidents"] = [{"incident": k, "excerpt": None} for k in keys("incidents")]
        return record


def _chosen(match: NameMatch) -> str | None:
    if match.new_key:
        return match.new_key
    return match.candidates[0].key if len(match.candidates) == 1 else None


def _citation(source_key: str) -> dict[str, Any]:
    return {"source": source_key, "locator": None, "quote": None, "credibility": None}


def _names(cell: str, many: bool) -> list[str]:
    parts = cell.split(NAME_SEPARATOR) if many else [cell]
    return [part.strip() for part in parts if part.strip()]


def _value(problem: Problem, spec: Any, cell: str) -> Any:
    """A cell's value for its field; on a bad value the problem gets its message instead."""
    if spec == TEXT:
        return cell
    if spec == LIST:
        return list(dict.fromkeys(_names(cell, many=True)))
    if spec in (DATE, DAY):
        try:
            edtf = to_edtf(cell)
        except dates.InvalidDate as error:
            problem.message = unreadable_date(error)
            return None
        if spec == DAY:
            try:
                return dt.date.fromisoformat(edtf).isoformat()
            except ValueError:
                problem.message = message(
                    '"%(cell)s" must be one day, such as 10.08.2020', cell=cell
                )
                return None
        return edtf
    if spec == NUMBER:
        try:
            return float(cell.replace(",", "."))
        except ValueError:
            problem.message = message('"%(cell)s" is not a number', cell=cell)
            return None
    by_folded = {choice.casefold(): choice for choice in spec}
    if cell.casefold() not in by_folded:
        problem.message = message(
            '"%(cell)s" must be one of: %(choices)s', cell=cell, choices=", ".join(spec)
        )
        return None
    return by_folded[cell.casefold()]


def _blank(section: str, key: str) -> dict[str, Any]:
    """A record of ``section`` with every field the format requires, empty."""
    blanks: dict[str, dict[str, Any]] = {
        "places": {
            "name": "",
            "aliases": [],
            "kind": "other",
            "parent": None,
            "lat": None,
            "lon": None,
        },
        "units": {"name": "", "aliases": [], "kind": "other", "parents": []},
        "persons": {"name": "", "aliases": [], "notes": None, "memberships": []},
        "sources": {
            "kind": "other",
            "title": "",
            **dict.fromkeys(
                (
                    "url",
                    "publisher",
                    "author",
                    "published",
                    "accessed",
                    "language",
                    "reliability",
                    "notes",
                )
            ),
        },
        "violation_types": {"label": "", "description": None},
        "incidents": {
            "title": "",
            "date": "",
            "place": None,
            "violations": [],
            "status": "alleged",
            "summary": None,
            "sources": [],
            "involvements": [],
        },
        "statements": {
            **dict.fromkeys(
                ("witness", "pseudonym", "taken", "taken_by", "language", "translation", "source")
            ),
            "protection": "confidential",
            "text": "",
            "incidents": [],
        },
    }
    return {"key": key, **blanks[section]}
