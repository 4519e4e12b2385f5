"""The search page through the test client: grouped results, filters, protection, errors."""

from __future__ import annotations

import pytest

import evidence.search.services as services
from tests.webclient import make_users, sign_in, without_csrf


@pytest.fixture
def client(app, session, world):
    make_users(session)
    return without_csrf(app).test_client()


def test_results_are_grouped_by_record_type_with_highlights(client):
    sign_in(client, "documenter")
    page = client.get("/search?q=Taraykovsky").get_data(as_text=True)
    assert 'id="results-person"' in page and 'id="results-incident"' in page
    assert "Александр Тарайковский" in page
    assert "<mark>Taraykovsky</mark>" in page
    assert 'href="/persons/taraikovsky"' in page or "/persons/" in page


def test_one_record_type_with_filters(client):
    sign_in(client, "documenter")
    page = client.get("/search?q=Almaz&type=incident&date_from=2010-01-01").get_data(as_text=True)
    assert "Raid in Tarasovo" in page and "Beatings of prisoners" not in page
    assert 'id="results-statement"' not in page


def test_viewer_never_sees_a_protected_name(client):
    sign_in(client, "viewer")
    assert "Nothing matches" in client.get("/search?q=Petrov").get_data(as_text=True)
    page = client.get("/search?q=Zhodino").get_data(as_text=True)
    assert "Witness P" in page
    assert "Petrov" not in page and "Confidential account" not in page


def test_bad_filters_name_the_field(client):
    sign_in(client, "documenter")
    response = client.get("/search?q=Almaz&date_from=yesterday&status=sure")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "From: &#34;yesterday&#34; is not a date like 2020-08-10" in page
    assert "Status: must be one of" in page


def test_a_count_from_the_newest_matches_only_says_at_least(client, monkeypatch):
    # Two incidents hold "Almaz", one is checked more than is ranked: the count found
    # among them is a lower bound, and the page says why.
    monkeypatch.setattr(services, "RANKED_AT_MOST", 1)
    sign_in(client, "documenter")
    page = client.get("/search?q=Almaz&type=incident&date_from=2010-01-01").get_data(as_text=True)
    assert "Raid in Tarasovo" in page
    assert '<span class="count">at least 1</span>' in page
    assert "the filters were checked on the newest of them only" in page
