"""Template filters for values people read."""

from __future__ import annotations

import datetime as dt

from evidence.audit.reads import READ_ACTIONS


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


ACTION_LABELS = {
    "insert": "added",
    "update": "changed",
    "retract": "retracted",
    "restore": "restored",
    "merge": "merged",
    "delete": "removed",
    "login": "signed in",
    "login-failed": "sign-in refused",
    "logout": "signed out",
    "denied": "refused",
    **READ_ACTIONS,
}


def action_label(action: str) -> str:
    """An audit action in plain words ("insert" -> "added")."""
    return ACTION_LABELS.get(action, action)
