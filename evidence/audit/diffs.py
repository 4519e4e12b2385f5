"""Word-level differences between a field's value before and after a change.

An auditor reading "the summary changed" needs the words that changed, not the
whole field struck out and inserted again. Values are split into words,
spaces and punctuation; ``difflib`` aligns the two sequences; long unchanged
stretches are shortened to a few words of context on each side.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from typing import Any, Literal

TOKEN = re.compile(r"\s+|\w+|[^\w\s]")
# Unchanged words kept on each side of a change; longer unchanged runs are elided.
CONTEXT_TOKENS = 16
ELLIPSIS = "…"

Kind = Literal["same", "removed", "added", "elided"]


@dataclass(frozen=True)
class Segment:
    kind: Kind
    text: str


def as_text(value: Any) -> str:
    """A field's value as text: strings as they are, nothing as "", the rest as JSON."""
    if value is None or value == [] or value == {}:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _shorten(tokens: list[str], *, at_start: bool, at_end: bool) -> list[Segment]:
    """An unchanged run, cut to its context next to the changes around it."""
    keep_head = 0 if at_start else CONTEXT_TOKENS
    keep_tail = 0 if at_end else CONTEXT_TOKENS
    if len(tokens) <= keep_head + keep_tail + 1:
        return [Segment("same", "".join(tokens))]
    segments = []
    if keep_head:
        segments.append(Segment("same", "".join(tokens[:keep_head])))
    segments.append(Segment("elided", ELLIPSIS))
    if keep_tail:
        segments.append(Segment("same", "".join(tokens[-keep_tail:])))
    return segments


def _changes(old: list[str], new: list[str]) -> list[tuple[str, int, int, int, int]]:
    """difflib's opcodes, with a mere space between two changes made part of the change,
    so "on arrival" -> "at night" reads as one change, not two words apart."""
    merged: list[tuple[str, int, int, int, int]] = []
    opcodes = difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes()
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        between_changes = 0 < index < len(opcodes) - 1
        if tag == "equal" and between_changes and "".join(old[i1:i2]).isspace():
            tag = "replace"
        if merged and tag != "equal" and merged[-1][0] != "equal":
            _, start_i, _, start_j, _ = merged.pop()
            i1, j1 = start_i, start_j
            tag = "replace"
        merged.append((tag, i1, i2, j1, j2))
    return merged


def word_diff(before: Any, after: Any) -> list[Segment]:
    """The change from ``before`` to ``after`` as unchanged, removed and added stretches."""
    old, new = TOKEN.findall(as_text(before)), TOKEN.findall(as_text(after))
    opcodes = _changes(old, new)
    segments: list[Segment] = []
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            at_start, at_end = index == 0, index == len(opcodes) - 1
            segments.extend(_shorten(old[i1:i2], at_start=at_start, at_end=at_end))
            continue
        if i2 > i1:
            segments.append(Segment("removed", "".join(old[i1:i2])))
        if j2 > j1:
            segments.append(Segment("added", "".join(new[j1:j2])))
    return segments
