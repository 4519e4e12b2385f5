"""Helpers for the record page tests: signed-in clients and SQL statement counts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from tests.webclient import sign_in, without_csrf


def client_for(app: Flask, role: str) -> FlaskClient:
    """A test client signed in as the account named after ``role`` (see make_users)."""
    client = without_csrf(app).test_client()
    sign_in(client, role)
    return client


@contextmanager
def counting_statements(app: Flask) -> Iterator[list[str]]:
    """Collects the SQL statements the app's sessions send while the block runs."""
    bind = app.extensions["evidence.sessions"].kw["bind"]
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    event.listen(bind, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(bind, "before_cursor_execute", count)


def statements_for(app: Flask, client: FlaskClient, url: str) -> int:
    """How many SQL statements one GET of ``url`` sends (it must answer 200)."""
    with counting_statements(app) as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(statements)
