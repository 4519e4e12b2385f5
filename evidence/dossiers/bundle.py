"""Case bundles: a dossier with the files it cites, as a BagIt bag (RFC 8493).

A court or a UN mechanism receives one package that carries everything: the
dossier PDF, each exhibit the audience may see, the WARC captures of the cited
web sources, the exhibit schedule as CSV and JSON, and the dossier's manifest.
BagIt gives every payload file a SHA-256 any archivist's tool can check
offline; `verify_bundle` also checks each of them against the database, so a
file replaced and re-hashed in the bag is still caught.

Layout of the bag's payload (``data/``)::

    dossier.pdf                 the dossier, as `evidence dossier` writes it
    dossier-sealed.pdf          counsel only: the sealed annex naming protected witnesses
    manifest.json               the manifest embedded in the PDF, for tools that cannot read PDFs
    exhibits.csv, exhibits.json the exhibit schedule
    exhibits/E<n>.<ext>         each exhibit, numbered as in the dossier
    captures/<sha256>.warc.gz   each capture of a cited source (internal and counsel only)
"""

from __future__ import annotations

import csv
import json
import mimetypes
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import bagit
from cryptography import x509
from pypdf import PdfReader
from pypdf.errors import PdfReadError
from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.dossiers.manifest import ManifestError, manifest_bytes, read_manifest
from evidence.dossiers.manifest import verify as verify_dossier
from evidence.dossiers.services import Dossier
from evidence.dossiers.snapshot import ExhibitView, Snapshot
from evidence.exhibits.models import Exhibit
from evidence.links.models import Capture
from evidence.protection import COUNSEL, INTERNAL
from evidence.store import Store, file_sha256

DOSSIER_NAME = "dossier.pdf"
SEALED_ANNEX_NAME = "dossier-sealed.pdf"
MANIFEST_NAME = "manifest.json"
SCHEDULE_CSV = "exhibits.csv"
SCHEDULE_JSON = "exhibits.json"
SCHEDULE_FIELDS = (
    "number",
    "title",
    "date",
    "type",
    "source",
    "confidentiality",
    "pages",
    "size",
    "sha256",
    "custody",
    "paragraphs",
    "file",
)
# Captures hold whole web pages as they were fetched: text the dossier's scrubber never
# saw. They travel to the team and to counsel, not to the public.
CAPTURE_AUDIENCES = (INTERNAL, COUNSEL)
# Limits for reading a bundle someone hands us (a zip bomb must not fill the disk).
MAX_BUNDLE_MEMBERS = 100_000
MAX_BUNDLE_BYTES = 64 * 1024**3


class BundleError(ValueError):
    """The bundle cannot be written or read; the message says why."""


@dataclass
class BundleReport:
    path: Path
    exhibits: int
    captures: int


def _extension(media_type: str) -> str:
    return mimetypes.guess_extension(media_type.split(";")[0].strip()) or ".bin"


def _pages(path: Path, media_type: str) -> int | None:
    if media_type != "application/pdf":
        return None
    try:
        return len(PdfReader(path).pages)
    except (PdfReadError, OSError, ValueError):
        return None


def _schedule_row(
    exhibit: ExhibitView, file: str, pages: int | None, custody: str, audience: str
) -> dict[str, Any]:
    return {
        "number": f"E{exhibit.number}",
        "title": exhibit.filename or f"Exhibit E{exhibit.number}",
        "date": exhibit.acquired or "",
        "type": exhibit.media_type,
        "source": exhibit.acquired_from or "",
        "confidentiality": f"released for the {audience} audience",
        "pages": pages,
        "size": exhibit.size,
        "sha256": exhibit.sha256,
        "custody": custody,
        "paragraphs": ", ".join(str(n) for n in exhibit.incident_numbers),
        "file": file,
    }


def _cited_captures(session: Session, snapshot: Snapshot) -> list[Capture]:
    if snapshot.audience not in CAPTURE_AUDIENCES:
        return []
    source_ids = [entry.id for entry in snapshot.manifest if entry.entity == "source"]
    stmt = (
        select(Capture)
        .where(Capture.source_id.in_(source_ids or [-1]))
        .order_by(Capture.source_id, Capture.captured_at, Capture.id)
    )
    return list(session.scalars(stmt))


def _copy_from_store(store: Store, sha256: str, target: Path) -> None:
    if store.check(sha256) is not None:
        raise BundleError(
            f"the stored file {sha256} is {store.check(sha256)}: run `evidence exhibits verify`"
        )
    with store.open(sha256) as source, target.open("wb") as copy:
        shutil.copyfileobj(source, copy)


def _fill_payload(
    session: Session, store: Store, dossier: Dossier, folder: Path
) -> tuple[int, int]:
    snapshot = dossier.snapshot
    (folder / DOSSIER_NAME).write_bytes(dossier.pdf)
    if dossier.sealed_annex is not None:
        (folder / SEALED_ANNEX_NAME).write_bytes(dossier.sealed_annex)
    (folder / MANIFEST_NAME).write_bytes(manifest_bytes(snapshot))
    (folder / "exhibits").mkdir()
    custody = {x.id: x.custody for x in snapshot.exhibits}
    rows = []
    for exhibit in snapshot.exhibits:
        name = f"exhibits/E{exhibit.number}{_extension(exhibit.media_type)}"
        _copy_from_store(store, exhibit.sha256, folder / name)
        pages = _pages(folder / name, exhibit.media_type)
        rows.append(
            _schedule_row(exhibit, name, pages, custody.get(exhibit.id, ""), snapshot.audience)
        )
    with (folder / SCHEDULE_CSV).open("w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=SCHEDULE_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    (folder / SCHEDULE_JSON).write_text(
        json.dumps({"exhibits": rows}, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    captures = _cited_captures(session, snapshot)
    if captures:
        (folder / "captures").mkdir()
    for capture in captures:
        _copy_from_store(store, capture.sha256, folder / f"captures/{capture.sha256}.warc.gz")
    return len(rows), len(captures)


def _zip_directory(folder: Path, target: Path, fixed_time: tuple[int, ...]) -> None:
    """A zip whose bytes depend only on the files: sorted names, one fixed time."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(str(PurePosixPath(path.relative_to(folder.parent))), fixed_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            with path.open("rb") as source, archive.open(info, "w") as member:
                shutil.copyfileobj(source, member)


def write_bundle(session: Session, store: Store, dossier: Dossier, output: Path) -> BundleReport:
    """Write the bag for a generated dossier to ``output`` (a directory, or a .zip file).

    Built in a temporary directory beside ``output`` and moved into place only when
    complete, so a failure leaves nothing half-written.
    """
    output = output.resolve()
    if output.exists():
        raise BundleError(f"{output} already exists; choose a new path")
    snapshot = dossier.snapshot
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=".bundle-") as scratch:
        # Inside a zip the folder is named after the dossier, so the bytes do not depend on
        # the file name chosen.
        bag_dir = Path(scratch) / f"dossier-{snapshot.dossier_id}"
        bag_dir.mkdir()
        exhibits, captures = _fill_payload(session, store, dossier, bag_dir)
        bagit.make_bag(
            str(bag_dir),
            bag_info={
                "Bagging-Date": snapshot.generated_at[:10],
                "Bag-Software-Agent": "evidence (bagit-python)",
                "External-Identifier": snapshot.dossier_id,
                "External-Description": f"Case bundle for the {snapshot.audience} audience",
            },
            checksums=["sha256"],
        )
        if output.suffix.lower() == ".zip":
            stamp = tuple(int(part) for part in snapshot.generated_at[:10].split("-")) + (0, 0, 0)
            _zip_directory(bag_dir, output, stamp)
        else:
            os.replace(bag_dir, output)
    return BundleReport(path=output, exhibits=exhibits, captures=captures)


# -- verification --------------------------------------------------------------------------


@dataclass
class BundleVerification:
    checked: int = 0
    problems: list[str] = field(default_factory=list)
    dossier: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def _safe_extract(archive: zipfile.ZipFile, target: Path) -> None:
    members = archive.infolist()
    if len(members) > MAX_BUNDLE_MEMBERS:
        raise BundleError(f"the zip holds more than {MAX_BUNDLE_MEMBERS} files")
    if sum(member.file_size for member in members) > MAX_BUNDLE_BYTES:
        raise BundleError("the zip unpacks to more than 64 GB")
    for member in members:
        path = PurePosixPath(member.filename)
        if path.is_absolute() or ".." in path.parts:
            raise BundleError(f"the zip holds an unsafe path: {member.filename}")
    archive.extractall(target)


@contextmanager
def _opened(path: Path) -> Iterator[Path]:
    """The bag directory of ``path``: itself, or the one folder of a bundle zip, unpacked."""
    if path.is_dir():
        yield path
        return
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise BundleError(f"{path} is neither a bag directory nor a zip: {error}") from None
    with archive, tempfile.TemporaryDirectory(prefix="evidence-bundle-") as scratch:
        _safe_extract(archive, Path(scratch))
        folders = [p for p in Path(scratch).iterdir() if p.is_dir()]
        if len(folders) != 1:
            raise BundleError(f"{path} should hold exactly one bag folder")
        yield folders[0]


def _bag_problems(bag_dir: Path) -> list[str]:
    """Each payload file missing, altered or unexpected by the bag's own manifest, then
    anything else bagit finds (tag files, structure). bagit alone stops at the first
    size mismatch; an auditor needs every item named."""
    try:
        bag = bagit.Bag(str(bag_dir))
    except bagit.BagError as error:
        return [f"not a valid BagIt bag: {error}"]
    problems = []
    entries = bag.payload_entries()
    for name, hashes in sorted(entries.items()):
        file = bag_dir / name
        if not file.is_file():
            problems.append(f"{name} exists in manifest but was not found")
        elif "sha256" in hashes and file_sha256(file) != hashes["sha256"]:
            problems.append(f"{name} sha256 validation failed")
    for name in sorted(set(bag.payload_files()) - set(entries)):
        problems.append(f"{name} exists in the bag but is not in its manifest")
    if problems:
        return problems
    try:
        bag.validate()
    except bagit.BagValidationError as error:
        return [str(detail) for detail in error.details] or [f"the bag is invalid: {error}"]
    return []


def _file_problems(
    session: Session, payload: Path, schedule: list[dict[str, Any]]
) -> tuple[int, list[str]]:
    """Every exhibit and capture in the payload against the hashes the database holds."""
    problems = []
    known_exhibits = set(
        session.scalars(
            select(Exhibit.sha256).where(
                Exhibit.sha256.in_([row.get("sha256") for row in schedule] or ["-"])
            )
        )
    )
    checked = 0
    for row in schedule:
        checked += 1
        name, expected = row.get("file", ""), row.get("sha256", "")
        file = payload / name
        if not file.is_file():
            problems.append(f"exhibit {row.get('number')}: {name} is missing from the bundle")
            continue
        if expected not in known_exhibits:
            problems.append(
                f"exhibit {row.get('number')}: {expected} is not an exhibit in the database"
            )
        if file_sha256(file) != expected:
            problems.append(f"exhibit {row.get('number')}: {name} was altered")
    captures = sorted((payload / "captures").glob("*.warc.gz")) if payload.is_dir() else []
    hashes = [path.name.removesuffix(".warc.gz") for path in captures]
    known_captures = set(
        session.scalars(select(Capture.sha256).where(Capture.sha256.in_(hashes or ["-"])))
    )
    for path, expected in zip(captures, hashes, strict=True):
        checked += 1
        if expected not in known_captures:
            problems.append(f"capture {path.name} is not a capture in the database")
        elif file_sha256(path) != expected:
            problems.append(f"capture {path.name} was altered")
    return checked, problems


def verify_bundle(
    session: Session, path: Path, tsa_roots: Iterable[x509.Certificate] | None = None
) -> BundleVerification:
    """Check the bag (completeness, its own hashes), then the dossier's records and every
    file against the database. Raises BundleError when ``path`` is no bundle at all."""
    report = BundleVerification()
    with _opened(path) as bag_dir:
        report.problems.extend(_bag_problems(bag_dir))
        payload = bag_dir / "data"
        pdf = payload / DOSSIER_NAME
        if not pdf.is_file():
            report.problems.append(f"{DOSSIER_NAME} is missing from the bundle")
            return report
        try:
            dossier = verify_dossier(session, pdf.read_bytes(), tsa_roots)
        except ManifestError as error:
            report.problems.append(f"{DOSSIER_NAME}: {error}")
            return report
        report.dossier = dossier.manifest
        report.checked += dossier.checked
        report.problems.extend(f"{DOSSIER_NAME}: {problem}" for problem in dossier.problems)
        manifest_copy = payload / MANIFEST_NAME
        if not manifest_copy.is_file():
            report.problems.append(f"{MANIFEST_NAME} is missing from the bundle")
        elif json.loads(manifest_copy.read_bytes()) != read_manifest(pdf.read_bytes()):
            report.problems.append(f"{MANIFEST_NAME} differs from the manifest inside the PDF")
        schedule = _read_schedule(payload, report)
        checked, problems = _file_problems(session, payload, schedule)
        report.checked += checked
        report.problems.extend(problems)
    return report


def _read_schedule(payload: Path, report: BundleVerification) -> list[dict[str, Any]]:
    try:
        document = json.loads((payload / SCHEDULE_JSON).read_text(encoding="utf-8"))
        rows = [row for row in document["exhibits"] if isinstance(row, dict)]
    except (OSError, ValueError, KeyError, TypeError):
        report.problems.append(f"{SCHEDULE_JSON} is missing or unreadable")
        return []
    try:
        with (payload / SCHEDULE_CSV).open(encoding="utf-8", newline="") as stream:
            listed = [row.get("sha256") for row in csv.DictReader(stream)]
    except (OSError, ValueError):
        listed = None
    if listed != [row.get("sha256") for row in rows]:
        report.problems.append(f"{SCHEDULE_CSV} and {SCHEDULE_JSON} list different exhibits")
    return rows
