"""Template filters for values people read."""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext

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
}


def action_label(action: str) -> str:
    """An audit action in plain words ("insert" -> "added")."""
    return gettext(ACTION_LABELS[action]) if action in ACTION_LABELS else action
