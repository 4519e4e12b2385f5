"""Template filters for values people read."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext

from evidence.audit.reads import READ_ACTIONS
from evidence.vocabularies import translatable


def when(value: str | dt.datetime | None) -> str:
    """A timestamp as "2024-05-01 14:03 UTC" (accepts ISO text as the audit log stores it)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _clock(iso: str | None) -> str:
    return f"{iso[:10]} {iso[11:19]} UTC" if iso else ""


def _duration(seconds: int) -> str:
    minutes, rest = divmod(seconds, 60)
    if minutes:
        return gettext("%(minutes)s min %(seconds)s s", minutes=minutes, seconds=rest)
    return gettext("%(seconds)s s", seconds=rest)


def describe_times(status: dict[str, Any]) -> str:
    """A job's times from its progress status ("queued … · started … · took 12 s"), in the
    page's language; static/js/progress.js shows the status's ``times_text`` when it
    updates the page."""
    parts = [gettext("queued %(time)s", time=_clock(status["queued_at"]))]
    if status["started_at"]:
        parts.append(gettext("started %(time)s", time=_clock(status["started_at"])))
    if status["finished_at"]:
        parts.append(gettext("finished %(time)s", time=_clock(status["finished_at"])))
    if status["elapsed_seconds"] is not None:
        duration = _duration(status["elapsed_seconds"])
        if status["finished_at"]:
            parts.append(gettext("took %(duration)s", duration=duration))
        else:
            parts.append(gettext("running for %(duration)s", duration=duration))
    return " · ".join(parts)


def progress_texts(status: dict[str, Any]) -> dict[str, str]:
    """The words static/js/progress.js and dossiers.js show for a job's progress status,
    in the page's language."""
    return {
        "times_text": describe_times(status),
        "state_text": gettext(status["state"]),
        "sealed_text": gettext("Sealed annex (UNDER SEAL: the identities behind the pseudonyms)"),
    }


ACTION_LABELS = {
    "insert": translatable("added"),
    "update": translatable("changed"),
    "retract": translatable("retracted"),
    "restore": translatable("restored"),
    "merge": translatable("merged"),
    "delete": translatable("removed"),
    "login": translatable("signed in"),
    "login-failed": translatable("sign-in refused"),
    "logout": translatable("signed out"),
    "denied": translatable("refused"),
    **READ_ACTIONS,
}


def action_label(action: str) -> str:
    """An audit action in plain words ("insert" -> "added")."""
    return gettext(ACTION_LABELS[action]) if action in ACTION_LABELS else action
