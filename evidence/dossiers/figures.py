"""The dossier's figures as SVG markup: a timeline of the case and chains of command.

Drawn here rather than by a plotting library so the bytes depend only on the data
(dossiers are byte-identical for the same snapshot) and so the same markup serves
the PDF and the case page. Every label is escaped here; labels arrive with witness
protection already applied (evidence/dossiers/snapshot.py). No script, no style
attribute: the web pages' Content-Security-Policy allows neither.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from gettext import NullTranslations as Words
from typing import Protocol

from markupsafe import Markup, escape

from evidence.catalogs import catalog
from evidence.dossiers.snapshot import ChainNode, Snapshot

ENGLISH = catalog("en")

FONT = "Dossier Sans, DejaVu Sans, sans-serif"
TIMELINE_WIDTH = 480
TIMELINE_LABEL_WIDTH = 230
TIMELINE_ROW = 15
TIMELINE_ROWS_PER_FIGURE = 40
CHAIN_WIDTH = 480
CHAIN_INDENT = 22
CHAIN_LINE = 11
MAX_PEOPLE_DRAWN = 4  # the text beside the diagram lists everyone


class Dated(Protocol):
    number: int
    title: str
    earliest: str | None
    latest: str | None


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _text(x: float, y: float, text: str, size: float = 7.5, weight: str = "normal") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-family="{FONT}" font-size="{size}"'
        f' font-weight="{weight}" fill="#111">{escape(text)}</text>'
    )


def _svg(width: int, height: int, body: list[str], title: str) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="figure" role="img"'
        f' width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _years(items: Sequence[Dated]) -> tuple[int, int] | None:
    years = [
        int(date[:4]) for item in items for date in (item.earliest, item.latest) if date is not None
    ]
    return (min(years), max(years) + 1) if years else None


def timeline_figures(items: Sequence[Dated], words: Words = ENGLISH) -> list[Markup]:
    """The case timeline cut into figures of at most TIMELINE_ROWS_PER_FIGURE rows (an SVG
    cannot break across pages), all on the same time axis."""
    span = _years(items)
    return [
        timeline_svg(items[start : start + TIMELINE_ROWS_PER_FIGURE], span, words)
        for start in range(0, max(len(items), 1), TIMELINE_ROWS_PER_FIGURE)
    ]


def timeline_svg(
    items: Sequence[Dated], span: tuple[int, int] | None = None, words: Words = ENGLISH
) -> Markup:
    """One row per incident: a dot for a known day, a bar from the earliest to the latest
    possible day for an uncertain date, "date unknown" where nothing is known."""
    span = span or _years(items)
    axis_left, axis_right = TIMELINE_LABEL_WIDTH + 8, TIMELINE_WIDTH - 10
    top = 22
    height = top + TIMELINE_ROW * len(items) + 8
    body: list[str] = []
    if span is None:
        nothing = [_text(4, 18, words.gettext("No incident has a known date."))]
        return _svg(TIMELINE_WIDTH, 30, nothing, words.gettext("Timeline"))
    first, last = span
    step = max(1, -(-(last - first) // 8))
    origin = dt.date(first, 1, 1).toordinal()
    scale = (axis_right - axis_left) / (dt.date(last, 1, 1).toordinal() - origin)

    def x_of(day: str) -> float:
        return axis_left + (dt.date.fromisoformat(day).toordinal() - origin) * scale

    for year in range(first, last + 1, step):
        x = x_of(f"{year}-01-01")
        body.append(
            f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - 6}"'
            ' stroke="#ccc" stroke-width="0.5"/>'
        )
        body.append(_text(x - 10, top - 9, str(year), 7))
    for row, item in enumerate(items):
        y = top + TIMELINE_ROW * row + TIMELINE_ROW / 2
        body.append(_text(4, y + 3, _shorten(f"{item.number}. {item.title}", 52)))
        if item.earliest is None or item.latest is None:
            body.append(_text(axis_left, y + 3, words.gettext("date unknown"), 7))
        elif item.earliest == item.latest:
            body.append(f'<circle cx="{x_of(item.earliest):.1f}" cy="{y:.1f}" r="3" fill="#333"/>')
        else:
            left, right = x_of(item.earliest), max(x_of(item.latest), x_of(item.earliest) + 3)
            body.append(
                f'<rect x="{left:.1f}" y="{y - 3:.1f}" width="{right - left:.1f}" height="6"'
                ' fill="#9db4cc" stroke="#333" stroke-width="0.5"/>'
            )
    return _svg(
        TIMELINE_WIDTH, height, body, words.gettext("Timeline of the incidents in this case")
    )


def _people_line(node: ChainNode, words: Words) -> str:
    if not node.people:
        return words.gettext("no post holders recorded for these dates")
    not_fully_known = words.gettext(" [dates not fully known]")
    shown = [
        f"{p.label}{' (' + p.title + ')' if p.title else ''}"
        + ("" if p.dates_known else not_fully_known)
        for p in node.people[:MAX_PEOPLE_DRAWN]
    ]
    more = len(node.people) - MAX_PEOPLE_DRAWN
    return "; ".join(shown) + (
        words.gettext("; and %(more)s more") % {"more": more} if more > 0 else ""
    )


def chain_svg(nodes: Sequence[ChainNode], words: Words = ENGLISH) -> Markup:
    """The unit involved at the top, each superior below it and indented one step, joined
    by a line labelled with the dates the link held."""
    body: list[str] = []
    y = 4
    last_box_at: dict[int, float] = {}
    for node in nodes:
        x = 4 + node.depth * CHAIN_INDENT
        lines = [(f"{node.name} ({words.gettext(node.kind)})", 8, "bold")]
        if node.link:
            above = words.gettext("superior of the unit above: %(period)s") % {"period": node.link}
            lines.append((above, 7, "normal"))
        lines.append((_people_line(node, words), 7, "normal"))
        box_height = 6 + CHAIN_LINE * len(lines)
        width = CHAIN_WIDTH - x - 4
        if node.depth and node.depth - 1 in last_box_at:
            elbow_x = x - CHAIN_INDENT + 8
            body.append(
                f'<path d="M{elbow_x:.1f},{last_box_at[node.depth - 1]:.1f}'
                f' V{y + box_height / 2:.1f} H{x:.1f}"'
                ' fill="none" stroke="#555" stroke-width="0.8"/>'
            )
        body.append(
            f'<rect x="{x}" y="{y}" width="{width}" height="{box_height}" rx="2" fill="#f6f6f6"'
            ' stroke="#555" stroke-width="0.8"/>'
        )
        chars = int(width / 4.1)
        for index, (text, size, weight) in enumerate(lines):
            body.append(
                _text(x + 5, y + 11 + CHAIN_LINE * index, _shorten(text, chars), size, weight)
            )
        last_box_at[node.depth] = y + box_height
        y += box_height + 6
    title = (
        words.gettext("Chain of command of %(unit)s") % {"unit": nodes[0].name}
        if nodes
        else words.gettext("Chain of command")
    )
    return _svg(CHAIN_WIDTH, y, body, title)


@dataclass(frozen=True)
class ChainFigure:
    incident_number: int
    incident_title: str
    unit: str
    svg: Markup


@dataclass(frozen=True)
class CaseFigures:
    """The figures of a case as its dossier draws them, for the case page."""

    timeline: list[Markup]
    chains: list[ChainFigure]


def case_figures(snapshot: Snapshot) -> CaseFigures:
    words = catalog(snapshot.language)
    chains = [
        ChainFigure(incident.number, incident.title, actor.label, chain_svg(actor.chain, words))
        for incident in snapshot.incidents
        for actor in incident.units
    ]
    return CaseFigures(timeline_figures(snapshot.incidents, words), chains)
