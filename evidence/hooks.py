"""The session hooks, installed on each session factory through one dispatcher.

After a flush the audit log notes which records the flushed rows belong to,
and the folded names of flushed records are brought up to date (so a list
filtered before the commit finds them). Before a commit the folded names and
the search index are brought up to date with the noted records, then the
audit log appends its entries: in that order, since the audit hook consumes
what it noted. A rolled-back savepoint forgets only what was noted inside
it; a whole rollback forgets everything. Importing a module installs nothing; the app factory
installs these on the sessionmakers it builds, so the web app, the CLI, the
worker and the tests' sessions all run the same hooks, once each.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from evidence.audit.log import (
    append_entries,
    collect_touched,
    end_savepoint,
    forget_touched,
    note_savepoint,
)
from evidence.search.folded_names import refold_flushed, refold_pending
from evidence.search.indexing import index_pending


def install_hooks(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """Run the hooks on every session ``factory`` makes; returns it."""
    event.listen(factory, "after_flush", _after_flush)
    event.listen(factory, "after_transaction_create", note_savepoint)
    event.listen(factory, "after_transaction_end", end_savepoint)
    event.listen(factory, "after_soft_rollback", forget_touched)
    event.listen(factory, "before_commit", _before_commit)
    return factory


def _after_flush(session: Session, _flush_context: Any) -> None:
    collect_touched(session)
    refold_flushed(session)


def _before_commit(session: Session) -> None:
    # Flushing first lets the audit log note what the pending changes touch.
    session.flush()
    refold_pending(session)
    index_pending(session)
    append_entries(session)
