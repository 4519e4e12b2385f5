"""Writing a sensitive read of the signed-in user to the audit log's chain of reads."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_login import current_user

from evidence.audit.reads import log_read
from evidence.protection import audience_for
from evidence.web.request_context import get_session


def record_read(action: str, **what: Any) -> None:
    """Log that the signed-in user took something out (see evidence.audit.reads.log_read).

    A short write transaction of its own: the request's session only reads (a
    download is a GET), and the entry must be kept whatever the response does next.
    The request's reading transaction is ended first, so that the entry's transaction
    does not run inside one that is rolled back when the request ends (as it is when
    tests share one connection between them).
    """
    what.setdefault("audience", audience_for(current_user))
    get_session().commit()
    with current_app.extensions["evidence.writers"]() as writer:
        log_read(writer, action, current_user.name, **what)
        writer.commit()
