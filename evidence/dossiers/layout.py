"""WeasyPrint's side of a dossier: a document of reports/ laid out with dossier.css.

Only the render processes import this module (render.py hands them their tasks), so
the process that reads the database and merges the parts never loads WeasyPrint, and
a command can load it in its render processes while it reads the case.

WeasyPrint fetches nothing but the bundled assets under reports/ (see ReportFetcher).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import mimetypes
from typing import Any

from weasyprint import CSS, HTML, Attachment
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from evidence.config import REPORTS_DIR
from evidence.dossiers.manifest import MANIFEST_NAME
from evidence.dossiers.render import PartResult
from evidence.dossiers.snapshot import Snapshot

SCHEME = "report:"
PDF_VARIANT = "pdf/a-3b"


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


def _fixed_time(snapshot: Snapshot) -> dt.datetime:
    return dt.datetime.fromisoformat(snapshot.generated_at.replace("Z", "+00:00"))


def _identifier(snapshot: Snapshot) -> bytes:
    return hashlib.sha256(snapshot.dossier_id.encode()).hexdigest()[:32].encode()


@functools.cache
def _stylesheet() -> tuple[CSS, FontConfiguration]:
    """dossier.css parsed and its fonts loaded once per process, for every document it
    lays out (parsing and loading them cost more than laying out a stamp part)."""
    fonts = FontConfiguration()
    css = CSS(url=f"{SCHEME}dossier.css", url_fetcher=ReportFetcher(), font_config=fonts)
    return css, fonts


def lay_out(html: str, snapshot: Snapshot, attachments: list[Attachment] = ()) -> PartResult:
    """Lay out a document of reports/ with dossier.css (its templates do not link it)."""
    css, fonts = _stylesheet()
    document = HTML(string=html, base_url=SCHEME, url_fetcher=ReportFetcher()).render(
        stylesheets=[css], font_config=fonts
    )
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


def manifest_attachment(snapshot: Snapshot, manifest: bytes) -> Attachment:
    return data_attachment(
        snapshot,
        manifest,
        MANIFEST_NAME,
        "Records in this dossier and their SHA-256 (evidence verify-dossier)",
    )
