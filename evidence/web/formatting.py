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
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def describe_times(status: dict[str, Any]) -> str:
    """A job's times from its progress status ("queued … · started … · took 12 s"), as
    static/js/progress.js writes them when it updates the page."""
    parts = [f"queued {_clock(status['queued_at'])}"]
    if status["started_at"]:
        parts.append(f"started {_clock(status['started_at'])}")
    if status["finished_at"]:
        parts.append(f"finished {_clock(status['finished_at'])}")
    if status["elapsed_seconds"] is not None:
        verb = "took" if status["finished_at"] else "running for"
        parts.append(f"{verb} {_duration(status['elapsed_seconds'])}")
    return " · ".join(parts)


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
