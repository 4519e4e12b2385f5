"""Snapshot -> HTML -> PDF, in parallel parts, merged into one verifiable PDF/A-3b.

How the parts fit together:
1. The dossier is cut into parts at chapter boundaries (every chapter starts a
   page, so cutting there changes no layout). How it is cut depends only on
   the snapshot, never on the number of CPUs, so the bytes do not either.
2. The body parts are laid out in worker processes, each learning its page
   count and on which of its pages each chapter starts. The front part
   (cover and contents only, so that it is short) is laid out with them using
   placeholder page numbers.
3. Once every part's length is known, the workers lay out, side by side, the
   front once more with the real page numbers (it carries the manifest
   attachment and the PDF metadata) and thin "stamp" documents, each for a
   run of STAMP_PAGES pages, with the running header and "page x of y"
   counted over the whole dossier.
4. qpdf (pikepdf) appends the parts, their bookmarks, and lays each stamp page
   over its page.

The render processes lay out with WeasyPrint (layout.py), which this module loads
only when it starts them (so `evidence dossier --format html` never does); for
counsel they lay out the sealed annex too, once a process has no part left. The
commands fork a Renderer before they read the case, which loads WeasyPrint meanwhile
and starts the render processes itself. Each render has a time limit.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import importlib
import io
import math
import multiprocessing
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import pikepdf
from markupsafe import Markup

from evidence.catalogs import catalog, install_escaped_gettext
from evidence.config import REPORTS_DIR
from evidence.dossiers.figures import chain_svg, timeline_figures
from evidence.dossiers.snapshot import Snapshot
from evidence.vocabularies import CREDIBILITY, RELIABILITY, translatable

if TYPE_CHECKING:
    from weasyprint import Attachment


# What the render processes run: WeasyPrint's side, and the sealed annex beside the dossier.
RENDER_MODULES = ("evidence.dossiers.layout", "evidence.dossiers.sealed")
# Characters of HTML per body part: big enough that the fixed cost of a part
# (fonts, stylesheet) stays small, small enough that two cores share the work.
PART_WEIGHT = 100_000
# Even a short dossier is cut in this many parts of about equal weight, so that two cores
# share it (filling parts up to PART_WEIGHT left one worker with nearly all of the demo).
MIN_PARTS = 2
CHAPTER_BASE_WEIGHT = 1_500
MATRIX_COLUMNS = 10
# Pages per stamp document: few documents (each has a fixed cost), enough of them that
# two workers share the work.
STAMP_PAGES = 60
DEFAULT_TIME_LIMIT = 600.0  # seconds for one whole dossier

Progress = Callable[[int, int], None]


class RenderError(RuntimeError):
    pass


class RenderTimeout(RenderError):
    pass


@dataclass(frozen=True)
class Section:
    kind: str  # front, summary, methodology, incident, matrix, witnesses, sources, ...
    anchor: str
    index: int | None = None  # the incident's position in snapshot.incidents
    column_groups: tuple = ()


@dataclass
class PartResult:
    """A part laid out (layout.py); a plain record, so that this process reads it back
    from a render process without loading WeasyPrint."""

    pdf: bytes
    pages: int
    anchors: dict[str, int] = field(default_factory=dict)  # anchor -> page index in the part


@dataclass(frozen=True)
class TocEntry:
    level: int
    label: str
    title: str
    page: int | str
    anchor: str


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
    body: list[Section] = [Section("summary", "summary"), Section("methodology", "methodology")]
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
    weights = [_weight(snapshot, section) for section in body]
    count = max(MIN_PARTS, math.ceil(sum(weights) / PART_WEIGHT))
    share = sum(weights) / count
    parts: list[list[Section]] = [[]]
    weight = 0
    for section, section_weight in zip(body, weights, strict=True):
        if parts[-1] and weight >= share:
            parts.append([])
            weight = 0
        parts[-1].append(section)
        weight += section_weight
    return front, parts


def _weight(snapshot: Snapshot, section: Section) -> int:
    """About what laying out ``section`` costs: a chapter's fixed cost and the length of its
    HTML (the CPU time of a section follows it closely; rendering it takes a millisecond)."""
    return CHAPTER_BASE_WEIGHT + len(part_html(snapshot, [section]))


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


def part_html(
    snapshot: Snapshot,
    sections: list[Section],
    toc: list[TocEntry] = (),
    stylesheet: Markup | None = None,
) -> str:
    """Dossier HTML holding ``sections``; with ``stylesheet`` inline, else for ``lay_out``,
    which applies dossier.css."""
    return (
        _environment(snapshot.language)
        .get_template("dossier.html")
        .render(snapshot=snapshot, sections=sections, toc=toc, stylesheet=stylesheet)
    )


_BUNDLED_FONT = re.compile(r'url\("report:(fonts/[\w.-]+\.ttf)"\)')


@functools.cache
def _self_contained_stylesheet() -> Markup:
    """dossier.css with its bundled fonts as data: URIs, so the HTML needs no other file."""

    def inline(match: re.Match[str]) -> str:
        font = base64.b64encode((REPORTS_DIR / match.group(1)).read_bytes()).decode("ascii")
        return f'url("data:font/ttf;base64,{font}")'

    return Markup(_BUNDLED_FONT.sub(inline, (REPORTS_DIR / "dossier.css").read_text("utf-8")))


def dossier_html(snapshot: Snapshot) -> str:
    """The whole dossier as one self-contained HTML document: the content the PDF is laid
    out from (all sections, the same protected snapshot), styles and fonts inline, figures
    as inline SVG. Contents entries carry no page numbers; there are no pages."""
    front, parts = plan(snapshot)
    sections = [front] + [section for part in parts for section in part]
    return part_html(snapshot, sections, toc_entries(snapshot, {}), _self_contained_stylesheet())


# -- worker processes --------------------------------------------------------------------

_worker_snapshot: Snapshot | None = None
_worker_manifest: bytes = b""


def _init_worker(snapshot: Snapshot, manifest: bytes, scratch: str) -> None:
    global _worker_snapshot, _worker_manifest
    _worker_snapshot, _worker_manifest = snapshot, manifest
    # WeasyPrint copies the fonts of what it lays out into a temporary folder it removes
    # only when its font configuration is collected, which a render process never is (it
    # ends without collecting): in the render's own folder, they go when the render ends.
    tempfile.tempdir = scratch


@dataclass(frozen=True)
class Stamp:
    """The running header and "page x of y" footer of ``count`` pages from page ``first``."""

    first: int
    count: int
    total: int


def _render_task(task: tuple[list[Section], list[TocEntry], bool]) -> PartResult:
    from evidence.dossiers.layout import lay_out, manifest_attachment

    sections, toc, with_manifest = task
    attachments = [manifest_attachment(_worker_snapshot, _worker_manifest)] if with_manifest else []
    return lay_out(part_html(_worker_snapshot, sections, toc), _worker_snapshot, attachments)


def _stamp_task(stamp: Stamp) -> bytes:
    from evidence.dossiers.layout import lay_out

    return lay_out(_stamp_html(_worker_snapshot, stamp), _worker_snapshot).pdf


def _sealed_annex_task() -> bytes | None:
    from evidence.dossiers.sealed import render_sealed_annex

    return render_sealed_annex(_worker_snapshot)


def _process_context() -> Any:
    """fork when this process has one thread (the CLI): fast, the snapshot and the
    compiled templates are shared as they are, and WeasyPrint is loaded here once for all
    of the render processes.

    With other threads running (a queue worker's heartbeat and recovery, its
    other jobs), a forked child can inherit a lock one of them held, such as
    logging's, and hang forever; the child then comes from a fork server,
    a clean single-threaded process, which loads WeasyPrint once for all of the
    children it forks, this job's and the next ones'.
    """
    if not _forking_is_safe():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__, *RENDER_MODULES])
        return context
    _load_render_modules()
    return multiprocessing.get_context("fork")


def _forking_is_safe() -> bool:
    """Whether this process may fork render processes itself (see _process_context)."""
    return threading.active_count() == 1


def _load_render_modules() -> None:
    for module in RENDER_MODULES:
        importlib.import_module(module)


def _pool_size(tasks: int, workers: int | None) -> int:
    return max(1, min(tasks, workers or os.cpu_count() or 1))


class Renderer:
    """A process forked before a command builds its application and reads the case, which
    loads WeasyPrint meanwhile (on the other core) and then runs render_pdfs on what it
    is sent; its render processes are forked from it, with WeasyPrint loaded.

    Use ``with Renderer.started() as renderer``; None when this process runs other threads
    (see _process_context), and the caller renders itself.
    """

    def __init__(self) -> None:
        context = multiprocessing.get_context("fork")
        self._connection, child = context.Pipe()
        self._process = context.Process(target=_serve_renderer, args=(child,), daemon=False)
        self._process.start()
        child.close()
        self._used = False

    @classmethod
    @contextmanager
    def started(cls) -> Iterator[Renderer | None]:
        if not _forking_is_safe():
            yield None
            return
        renderer = cls()
        try:
            yield renderer
        finally:
            renderer._stop()

    def render(
        self, snapshot: Snapshot, manifest: bytes, *, workers: int | None, progress: Progress | None
    ) -> tuple[bytes, bytes | None]:
        """What render_pdfs returns, laid out by the renderer's processes."""
        self._used = True
        self._connection.send((snapshot, manifest, workers))
        while True:
            try:
                kind, *payload = self._connection.recv()
            except EOFError:
                raise RenderError(
                    "the render process stopped before the dossier was done"
                ) from None
            if kind == "progress":
                if progress:
                    progress(*payload)
            elif kind == "error":
                raise payload[0]
            else:
                return payload[0]

    def _stop(self) -> None:
        if not self._used:  # the command failed before it had anything to render
            self._process.terminate()
        self._connection.close()
        self._process.join()


def _serve_renderer(connection: Any) -> None:
    _load_render_modules()
    try:
        snapshot, manifest, workers = connection.recv()
    except EOFError:
        return

    def progress(done: int, total: int) -> None:
        connection.send(("progress", done, total))

    try:
        result = render_pdfs(snapshot, manifest, workers=workers, progress=progress)
    except RenderError as error:
        connection.send(("error", error))
    except Exception as error:  # noqa: BLE001 - told to the command, which has the terminal
        connection.send(("error", RenderError(f"{type(error).__name__}: {error}")))
    else:
        connection.send(("done", result))


def render_pdfs(
    snapshot: Snapshot,
    manifest: bytes,
    *,
    workers: int | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT,
    progress: Progress | None = None,
    with_annex: bool = True,
) -> tuple[bytes, bytes | None]:
    """The dossier PDF and, ``with_annex``, its sealed annex (None but for counsel), laid
    out by the same processes when one of them has no part of the dossier left. Same
    snapshot and manifest -> same bytes, whatever ``workers`` is.

    ``progress(done, total)`` is told the weight of the sections laid out so far, as
    each part finishes in whatever order, then of the contents and the merge: steps
    in proportion to the work, so a bar moves evenly rather than waiting on part one.
    """
    deadline = time.monotonic() + time_limit
    front, parts = plan(snapshot)
    placeholder_toc = toc_entries(snapshot, {})  # page numbers do not change the layout
    tasks = [([front], placeholder_toc, False)] + [(part, [], False) for part in parts]
    size = _pool_size(len(tasks), workers)
    weights = [sum(_weight(snapshot, section) for section in task[0]) for task in tasks]
    # After the parts: the contents again with their page numbers beside the running
    # header and footer, then merging.
    finishing = weights[0] + CHAPTER_BASE_WEIGHT * len(tasks)
    total_weight = sum(weights) + finishing
    # The heaviest parts first, so that no worker is left with a long one at the end.
    heaviest_first = sorted(range(len(tasks)), key=lambda index: -weights[index])
    with (
        tempfile.TemporaryDirectory(prefix="evidence-render-") as scratch,
        _process_context().Pool(size, _init_worker, (snapshot, manifest, scratch)) as pool,
    ):
        started = {
            index: pool.apply_async(_render_task, (tasks[index],)) for index in heaviest_first
        }
        pending = [started[index] for index in range(len(tasks))]
        annex = pool.apply_async(_sealed_annex_task) if with_annex else None
        _report_parts(pending, weights, total_weight, deadline, progress)
        results = [_wait(result, deadline, pool) for result in pending]
        pages: dict[str, int | str] = {}
        offsets = [0]
        for result in results:
            offsets.append(offsets[-1] + result.pages)
        for result, offset in zip(results[1:], offsets[1:], strict=False):
            for anchor, index in result.anchors.items():
                pages.setdefault(anchor, offset + index + 1)
        total = offsets[-1]
        final_task = ([front], toc_entries(snapshot, pages), True)
        final_front = pool.apply_async(_render_task, (final_task,))
        stamps = [
            pool.apply_async(
                _stamp_task, (Stamp(first, min(STAMP_PAGES, total - first + 1), total),)
            )
            for first in range(1, total + 1, STAMP_PAGES)
        ]
        front_result = _wait(final_front, deadline, pool)
        stamp_pdfs = [_wait(stamp, deadline, pool) for stamp in stamps]
        sealed_annex = _wait(annex, deadline, pool) if annex else None
    if front_result.pages != results[0].pages:
        raise RenderError("the contents changed length once page numbers were filled in")
    if time.monotonic() > deadline:
        raise RenderTimeout(f"the dossier took longer than {time_limit:.0f} s to render")
    if progress:
        progress(sum(weights) + weights[0], total_weight)
    pdf = _merge([front_result.pdf] + [result.pdf for result in results[1:]], stamp_pdfs)
    if progress:
        progress(total_weight, total_weight)
    return pdf, sealed_annex


PROGRESS_POLL_SECONDS = 0.2


def _report_parts(
    pending: list[Any],
    weights: list[int],
    total_weight: int,
    deadline: float,
    progress: Progress | None,
) -> None:
    """Until every part is laid out (or the deadline passes), report the weight done: one
    report per part, as each finishes, in whatever order."""
    if progress is None:
        return
    reported: set[int] = set()
    done = 0
    while time.monotonic() < deadline:
        for index, result in enumerate(pending):
            if index not in reported and result.ready():
                reported.add(index)
                done += weights[index]
                progress(done, total_weight)
        waiting = [result for result in pending if not result.ready()]
        if not waiting:
            return
        waiting[0].wait(PROGRESS_POLL_SECONDS)


def render_document(template: str, snapshot: Snapshot, attachments: list[Attachment]) -> bytes:
    """A one-part document (such as the sealed annex) from a template under reports/, in a
    render process."""
    from evidence.dossiers.layout import lay_out

    html = _environment(snapshot.language).get_template(template).render(snapshot=snapshot)
    return lay_out(html, snapshot, attachments).pdf


def _wait(result: Any, deadline: float, pool: Any) -> Any:
    try:
        return result.get(timeout=max(0.0, deadline - time.monotonic()))
    except multiprocessing.TimeoutError:
        pool.terminate()
        raise RenderTimeout("the dossier took too long to render; it was stopped") from None


def _stamp_html(snapshot: Snapshot, stamp: Stamp) -> str:
    return (
        _environment(snapshot.language)
        .get_template("stamp.html")
        .render(
            snapshot=snapshot,
            numbers=range(stamp.first, stamp.first + stamp.count),
            total=stamp.total,
        )
    )


def _merge(parts: list[bytes], stamps: list[bytes]) -> bytes:
    """The parts one after the other, each page under its stamp, with every part's
    bookmarks; the first part (the front) brings the catalogue: PDF/A metadata, output
    intent and the manifest attachment. qpdf (C++) does the page work."""
    merged = pikepdf.open(io.BytesIO(parts[0]))
    with merged.open_outline() as outline:
        for data in parts[1:]:
            part = pikepdf.open(io.BytesIO(data))
            offset = len(merged.pages)
            merged.pages.extend(part.pages)
            with part.open_outline() as part_outline:
                outline.root.extend(
                    _moved(item, part, merged, offset) for item in part_outline.root
                )
        stamp_documents = [pikepdf.open(io.BytesIO(data)) for data in stamps]
        stamp_pages = [page for document in stamp_documents for page in document.pages]
        for number, (page, stamp_page) in enumerate(
            zip(merged.pages, stamp_pages, strict=True), start=1
        ):
            _lay_over(merged, number, page, stamp_page)
    out = io.BytesIO()
    merged.save(out, deterministic_id=True)
    return out.getvalue()


def _lay_over(merged: pikepdf.Pdf, number: int, page: pikepdf.Page, stamp: pikepdf.Page) -> None:
    """Draw ``stamp`` over page ``number``. Its resource is named after the page: the pages
    of a part share one resource dictionary, and pikepdf's own overlay picks random names
    (the bytes must not change from one run to the next)."""
    name = pikepdf.Name(f"/Stamp{number}")
    form = merged.copy_foreign(stamp.as_form_xobject())
    page.add_resource(form, pikepdf.Name.XObject, name)
    page.contents_add(b"q", prepend=True)
    page.contents_add(b"Q q " + bytes(name) + b" Do Q")


def _moved(item: pikepdf.OutlineItem, part: pikepdf.Pdf, merged: pikepdf.Pdf, offset: int) -> Any:
    """A part's bookmark pointing at the same place in the merged document."""
    destination = item.destination
    index = part.pages.index(pikepdf.Page(destination[0]))
    moved = pikepdf.OutlineItem(
        str(item.title),
        offset + index,
        "XYZ",
        left=float(destination[2]),
        top=float(destination[3]),
    )
    moved.children.extend(_moved(child, part, merged, offset) for child in item.children)
    return moved


def write_file(data: bytes, path: Path) -> str:
    """Write a dossier file (PDF or HTML) atomically; returns its SHA-256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    partial.replace(path)
    return hashlib.sha256(data).hexdigest()
