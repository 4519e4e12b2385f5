"""Many people saving at once: writers wait their turn, nobody gets a 500, the chain holds.

Each thread drives its own Flask test client against a real database (a
SQLite file or PostgreSQL), so the writes really overlap.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from flask import Flask
from sqlalchemy import func, select

from evidence.audit.models import AuditEntry
from evidence.audit.verify import verify
from evidence.places.models import Place
from tests.factories import make_place
from tests.webclient import PASSWORD, make_users, sign_in

WRITERS = 20


def _setup(app: Flask) -> None:
    with app.extensions["evidence.writers"]() as session:
        session.info["actor"] = "tester"
        make_users(session)
        make_place(session, name="Minsk region", kind="region")
        session.commit()


def _all_at_once(count: int, work: Callable[[int], list[int]]) -> list[int]:
    """Run ``work(i)`` in ``count`` threads released together; every status they saw."""
    start = threading.Barrier(count)

    def run(index: int) -> list[int]:
        start.wait()
        return work(index)

    with ThreadPoolExecutor(count) as pool:
        return [status for statuses in pool.map(run, range(count)) for status in statuses]


def test_twenty_writers_at_once_all_succeed_and_the_audit_chain_holds(live_app: Flask):
    _setup(live_app)

    def writer(index: int) -> list[int]:
        client = live_app.test_client()
        statuses = [client.post("/sign-in", data={"name": "documenter", "password": PASSWORD})]
        for n in range(2):
            statuses.append(
                client.post(
                    "/places/new",
                    # "Place 3-0" and "Place 4-0" are likely duplicates of each other: this
                    # test is about saving at once, so the second save's answer is given.
                    data={
                        "name": f"Place {index}-{n}",
                        "kind": "settlement",
                        "parent": "",
                        "save_anyway": "y",
                    },
                )
            )
        statuses.append(
            client.post(
                f"/places/place-{index}-0/edit",
                data={"name": f"Place {index}-0 edited", "kind": "settlement", "version": "1"},
            )
        )
        return [response.status_code for response in statuses]

    statuses = _all_at_once(WRITERS, writer)

    assert statuses == [302] * (WRITERS * 4)
    with live_app.extensions["evidence.sessions"]() as session:
        names = set(session.scalars(select(Place.name)))
        assert {f"Place {i}-0 edited" for i in range(WRITERS)} <= names
        assert {f"Place {i}-1" for i in range(WRITERS)} <= names
        logins = session.scalar(select(func.count()).where(AuditEntry.action == "login"))
        assert logins == WRITERS
        report = verify(session)
    assert report.ok, report.problems


def test_two_saves_of_one_record_at_once_one_saves_the_other_sees_the_conflict(live_app: Flask):
    _setup(live_app)
    clients = []
    for _ in range(2):
        client = live_app.test_client()
        sign_in(client, "documenter")
        clients.append(client)

    def save(index: int) -> list[int]:
        response = clients[index].post(
            "/places/minsk-region/edit",
            data={"name": f"Minsk region {index}", "kind": "region", "version": "1"},
        )
        return [response.status_code]

    statuses = sorted(_all_at_once(2, save))

    assert statuses == [302, 409]
    with live_app.extensions["evidence.sessions"]() as session:
        assert session.scalar(select(Place.name).where(Place.key == "minsk-region")) in {
            "Minsk region 0",
            "Minsk region 1",
        }
        assert verify(session).ok
