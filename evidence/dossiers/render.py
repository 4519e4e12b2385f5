"""Snapshot -> HTML -> PDF, in parallel parts, merged into one verifiable PDF/A-3b.

How the parts fit together:
1. The dossier is cut into parts at chapter boundaries (every chapter starts a
   page, so cutting there changes no layout). How it is cut depends only on
   the snapshot, never on the number of CPUs, so the bytes do not either.
2. The body parts are laid out in worker processes, each learning its page
   count and on which of its pages each chapter starts. The front part
   (cover, contents, summary) is laid out with them using placeholder page
   numbers, then once more with the real ones; it carries the manifest
   attachment and the PDF metadata.
3. The parts are merged with pypdf, and a thin "stamp" document with the
   running header and "page x of y" (so it counts the whole dossier) is laid
   over every page.

WeasyPrint fetches nothing but the bundled assets under reports/ (see
ReportFetcher), and each render has a time limit.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import mimetypes
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from pypdf import PdfReader, PdfWriter
from weasyprint import HTML, Attachment
from weasyprint.urls import URLFetcher, URLFetcherResponse

from evidence.catalogs import catalog, install_escaped_gettext
from evidence.config import REPORTS_DIR
from evidence.dossiers.figures import chain_svg, timeline_figures
from evidence.dossiers.snapshot import Snapshot
from evidence.vocabularies import CREDIBILITY, RELIABILITY, translatable

SCHEME = "report:"
PDF_VARIANT = "pdf/a-3b"
MANIFEST_NAME = "manifest.json"
# Characters of text per body part: big enough that the fixed cost of a part
# (fonts, stylesheet) stays small, small enough that two cores share the work.
PART_WEIGHT = 60_000
CHAPTER_BASE_WEIGHT = 1_500
MATRIX_COLUMNS = 10
DEFAULT_TIME_LIMIT = 600.0  # seconds for one whole dossier

Progress = Callable[[int, int], None]


class RenderError(RuntimeError):
    pass


class RenderTimeout(RenderError):
    pass


class RefusedURL(ValueError):
    pass


class ReportFetcher(URLFetcher):
    """Serves the files under reports/ at report:<path>; refuses every other URL.

    User text is escaped, so it cannot add markup; this is the second wall:
    even markup that got in could not read local files or call out.
    """

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if not url.startswith(SCHEME):
            raise RefusedURL(f"dossiers load only bundled assets, not {url[:80]!r}")
        relative = url[len(SCHEME) :].split("?", 1)[0].split("#", 1)[0].lstrip("/")
        path = (REPORTS_DIR / relative).resolve()
        if not path.is_relative_to(REPORTS_DIR.resolve()) or not path.is_file():
            raise RefusedURL(f"no bundled asset {relative!r}")
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if path.suffix == ".ttf":
            media_type = "font/ttf"
        return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": media_type})


@dataclass(frozen=True)
class Section:
    kind: str  # front, incident, matrix, sources, exhibits, units, manifest
    anchor: str
    index: int | None = None  # the incident's position in snapshot.incidents
    column_groups: tuple = ()


@dataclass(frozen=True)
class TocEntry:
    level: int
    label: str
    title: str
    page: int | str
    anchor: str


@dataclass
class PartResult:
    pdf: bytes
    pages: int
    anchors: dict[str, int] = field(default_factory=dict)  # anchor -> page index in the part


PROTECTION_WORDS = {
    "public": translatable("none (named)"),
    "pseudonymous": translatable("pseudonym"),
    "confidential": translatable("confidential"),
}
PROTECTION_POLICY = {
    "internal": translatable(
        "This is the documentation team's internal version: every witness is named, including"
        " those who gave their statements under protection. It must not leave the team."
    ),
    "counsel": translatable(
        "In this version for counsel, a witness who asked for protection appears only under a"
        " pseudonym, wherever they appear (as witness, victim or member of a unit), and none of"
        " their names is printed. Confidential statements are included. The identities behind"
        " the pseudonyms are in a separate sealed annex."
    ),
    "public": translatable(
        "In this public version, a witness who asked for protection appears only under a"
        " pseudonym, wherever they appear, and none of their names is printed. Confidential"
        " statements, and files linked to them, are left out."
    ),
}


@functools.cache
def _environment(language: str) -> jinja2.Environment:
    """The dossier templates with every word of their own in ``language``."""
    words = catalog(language)
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(REPORTS_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        extensions=["jinja2.ext.i18n"],
    )
    install_escaped_gettext(environment, lambda: words)
    environment.filters["translated"] = words.gettext
    environment.filters["timeline_figures"] = functools.partial(timeline_figures, words=words)
    environment.filters["chain_svg"] = functools.partial(chain_svg, words=words)
    environment.globals.update(
        reliability_scale={grade: words.gettext(text) for grade, text in RELIABILITY.items()},
        credibility_scale={grade: words.gettext(text) for grade, text in CREDIBILITY.items()},
        protection_words={level: words.gettext(text) for level, text in PROTECTION_WORDS.items()},
        protection_policy={
            audience: words.gettext(text) for audience, text in PROTECTION_POLICY.items()
        },
    )
    return environment


def _matrix_columns(snapshot: Snapshot) -> tuple:
    columns = [
        {"label": f"S{src.number}", "source": src.number, "witness": None}
        for src in snapshot.sources
    ]
    columns += [
        {"label": f"W{n}", "source": None, "witness": witness}
        for n, witness in enumerate(snapshot.witnesses, start=1)
    ]
    return tuple(
        tuple(columns[start : start + MATRIX_COLUMNS])
        for start in range(0, len(columns), MATRIX_COLUMNS)
    ) or ((),)


def plan(snapshot: Snapshot) -> tuple[Section, list[list[Section]]]:
    """The front section and the body cut into parts, from the snapshot alone."""
    front = Section("front", "front")
    body: list[Section] = [Section("methodology", "methodology")]
    body += [
        Section("incident", incident.anchor, index=index)
        for index, incident in enumerate(snapshot.incidents)
    ]
    body.append(Section("matrix", "matrix", column_groups=_matrix_columns(snapshot)))
    body.append(Section("witnesses", "witnesses"))
    body += [
        Section("sources", "annex-sources"),
        Section("exhibits", "annex-exhibits"),
        Section("units", "annex-units"),
    ]
    body.append(Section("manifest", "annex-manifest"))
    body.append(Section("attestation", "attestation"))
    parts: list[list[Section]] = [[]]
    weight = 0
    for section in body:
        if parts[-1] and weight >= PART_WEIGHT:
            parts.append([])
            weight = 0
        parts[-1].append(section)
        weight += _weight(snapshot, section)
    return front, parts


def _weight(snapshot: Snapshot, section: Section) -> int:
    if section.kind != "incident":
        return CHAPTER_BASE_WEIGHT * 4
    incident = snapshot.incidents[section.index]
    text = sum(len(p) for p in incident.paragraphs) + sum(len(e.text) for e in incident.excerpts)
    return CHAPTER_BASE_WEIGHT + text


def toc_entries(snapshot: Snapshot, pages: dict[str, int | str]) -> list[TocEntry]:
    _ = catalog(snapshot.language).gettext
    summary = TocEntry(
        1,
        "",
        _("Summary and list of incidents"),
        pages.get("summary", ""),
        "summary",
    )
    methodology = TocEntry(1, "", _("Methodology"), pages.get("methodology", ""), "methodology")
    entries = [summary, methodology]
    entries += [
        TocEntry(2, f"{i.number}.", i.title, pages.get(i.anchor, ""), i.anchor)
        for i in snapshot.incidents
    ]
    entries += [
        TocEntry(1, "", _("Corroboration matrix"), pages.get("matrix", ""), "matrix"),
        TocEntry(1, "", _("Witness schedule"), pages.get("witnesses", ""), "witnesses"),
        TocEntry(
            1,
            _("Annex A"),
            _("Sources"),
            pages.get("annex-sources", ""),
            "annex-sources",
        ),
        TocEntry(
            1,
            _("Annex B"),
            _("Exhibit schedule"),
            pages.get("annex-exhibits", ""),
            "annex-exhibits",
        ),
        TocEntry(
            1,
            _("Annex C"),
            _("Units"),
            pages.get("annex-units", ""),
            "annex-units",
        ),
        TocEntry(
            1,
            _("Annex D"),
            _("Records and their fingerprints"),
            pages.get("annex-manifest", ""),
            "annex-manifest",
        ),
        TocEntry(1, "", _("Attestation"), pages.get("attestation", ""), "attestation"),
    ]
    return entries


def part_html(snapshot: Snapshot, sections: list[Section], toc: list[TocEntry] = ()) -> str:
    return (
        _environment(snapshot.language)
        .get_template("dossier.html")
        .render(snapshot=snapshot, sections=sections, toc=toc)
    )


def _fixed_time(snapshot: Snapshot) -> dt.datetime:
    return dt.datetime.fromisoformat(snapshot.generated_at.replace("Z", "+00:00"))


def _identifier(snapshot: Snapshot) -> bytes:
    return hashlib.sha256(snapshot.dossier_id.encode()).hexdigest()[:32].encode()


def _write(html: str, snapshot: Snapshot, attachments: list[Attachment] = ()) -> PartResult:
    document = HTML(string=html, base_url=SCHEME, url_fetcher=ReportFetcher()).render()
    anchors: dict[str, int] = {}
    for number, page in enumerate(document.pages):
        for name in page.anchors:
            anchors.setdefault(name, number)
    pdf = document.write_pdf(
        pdf_variant=PDF_VARIANT,
        pdf_identifier=_identifier(snapshot),
        attachments=list(attachments),
    )
    return PartResult(pdf=pdf, pages=len(document.pages), anchors=anchors)


# -- worker processes --------------------------------------------------------------------

_worker_snapshot: Snapshot | None = None


def _init_worker(snapshot: Snapshot) -> None:
    global _worker_snapshot
    _worker_snapshot = snapshot


def _render_task(task: tuple[list[Section], list[TocEntry]]) -> PartResult:
    sections, toc = task
    return _write(part_html(_worker_snapshot, sections, toc), _worker_snapshot)


def _process_context() -> Any:
    """fork when this process has one thread (the CLI): fast, the snapshot is shared as is.

    With other threads running (a queue worker's heartbeat and recovery, its
    other jobs), a forked child can inherit a lock one of them held, such as
    logging's, and hang forever; the child then comes from a fork server,
    a clean single-threaded process.
    """
    return multiprocessing.get_context("fork" if threading.active_count() == 1 else "forkserver")


def _pool_size(tasks: int, workers: int | None) -> int:
    return max(1, min(tasks, workers or os.cpu_count() or 1))


def render_pdf(
    snapshot: Snapshot,
    manifest: bytes,
    *,
    workers: int | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT,
    progress: Progress | None = None,
) -> bytes:
    """The dossier PDF. Same snapshot and manifest -> same bytes, whatever ``workers`` is."""
    deadline = time.monotonic() + time_limit
    front, parts = plan(snapshot)
    placeholder_toc = toc_entries(snapshot, {})  # page numbers do not change the layout
    tasks = [([front], placeholder_toc)] + [(part, []) for part in parts]
    total_steps = len(tasks) + 2
    size = _pool_size(len(tasks), workers)
    with _process_context().Pool(size, _init_worker, (snapshot,)) as pool:
        pending = [pool.apply_async(_render_task, (task,)) for task in tasks]
        results = []
        for step, result in enumerate(pending, start=1):
            results.append(_wait(result, deadline, pool))
            if progress:
                progress(step, total_steps)
    front_pages = results[0].pages
    pages: dict[str, int | str] = {}
    offset = front_pages
    for result in results[1:]:
        for anchor, index in result.anchors.items():
            pages.setdefault(anchor, offset + index + 1)
        offset += result.pages
    pages["summary"] = results[0].anchors.get("summary", 0) + 1
    attachment = data_attachment(
        snapshot,
        manifest,
        MANIFEST_NAME,
        "Records in this dossier and their SHA-256 (evidence verify-dossier)",
    )
    front_html = part_html(snapshot, [front], toc_entries(snapshot, pages))
    final_front = _write(front_html, snapshot, [attachment])
    if final_front.pages != front_pages:
        raise RenderError("the contents changed length once page numbers were filled in")
    if time.monotonic() > deadline:
        raise RenderTimeout(f"the dossier took longer than {time_limit:.0f} s to render")
    if progress:
        progress(total_steps - 1, total_steps)
    pdf = _merge(snapshot, final_front, results[1:], offset)
    if progress:
        progress(total_steps, total_steps)
    return pdf


def data_attachment(snapshot: Snapshot, data: bytes, name: str, description: str) -> Attachment:
    """A file attached to a dossier PDF, dated with the dossier so the bytes stay the same."""
    return Attachment(
        string=data,
        name=name,
        description=description,
        created=_fixed_time(snapshot),
        modified=_fixed_time(snapshot),
        relationship="Data",
    )


def render_document(template: str, snapshot: Snapshot, attachments: list[Attachment]) -> bytes:
    """A one-part document (such as the sealed annex) from a template under reports/."""
    html = _environment(snapshot.language).get_template(template).render(snapshot=snapshot)
    return _write(html, snapshot, attachments).pdf


def _wait(result: Any, deadline: float, pool: Any) -> PartResult:
    try:
        return result.get(timeout=max(0.0, deadline - time.monotonic()))
    except multiprocessing.TimeoutError:
        pool.terminate()
        raise RenderTimeout("the dossier took too long to render; it was stopped") from None


def _stamp_html(snapshot: Snapshot, total: int) -> str:
    return (
        _environment(snapshot.language)
        .get_template("stamp.html")
        .render(snapshot=snapshot, total=total)
    )


def _merge(snapshot: Snapshot, front: PartResult, body: list[PartResult], total: int) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(front.pdf)))
    for part in body:
        writer.append(PdfReader(io.BytesIO(part.pdf)))
    stamp = PdfReader(io.BytesIO(_write(_stamp_html(snapshot, total), snapshot).pdf))
    for page, stamp_page in zip(writer.pages, stamp.pages, strict=True):
        page.merge_page(stamp_page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def write_pdf(pdf: bytes, path: Path) -> str:
    """Write the PDF atomically; returns its SHA-256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(pdf)
    partial.replace(path)
    return hashlib.sha256(pdf).hexdigest()
