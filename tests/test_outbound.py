"""The outbound guard, as an attacker who edits a source's URL would try it, against a site
this test process serves on 127.0.0.1."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from evidence.links.models import Capture
from evidence.links.services import CaptureError, capture, check_links
from evidence.outbound import FetchFailed, FetchPolicy, SettingError, fetch
from evidence.store import Store
from tests.factories import make_source
from tests.links.site import Site, closed_port, probing, serve_site

LOOPBACK = "127.0.0.0/8"


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with serve_site() as running, probing(running):
        yield running


@pytest.fixture
def no_allow_list(monkeypatch):
    monkeypatch.delenv("EVIDENCE_FETCH_ALLOW_NETWORKS", raising=False)


@pytest.fixture
def allow_loopback(monkeypatch):
    monkeypatch.setenv("EVIDENCE_FETCH_ALLOW_NETWORKS", LOOPBACK)


def _get(url: str, **options) -> None:
    with fetch(url, **options):
        pass


def _stored_objects(store_dir) -> list:
    return list((store_dir / "objects").glob("??/??/*")) if (store_dir / "objects").exists() else []


def test_loopback_is_refused_without_the_allow_list_and_fetched_with_it(
    session, site, tmp_path, monkeypatch
):
    source = make_source(session, key="internal-secret", url=site.url("/ok"))
    monkeypatch.delenv("EVIDENCE_FETCH_ALLOW_NETWORKS", raising=False)
    before = len(site.hits)
    with pytest.raises(CaptureError, match="refused by policy"):
        capture(session, source, Store(tmp_path), by="auditor")
    assert len(site.hits) == before  # not even a connection
    assert _stored_objects(tmp_path) == []
    assert session.scalar(select(func.count()).select_from(Capture)) == 0

    monkeypatch.setenv("EVIDENCE_FETCH_ALLOW_NETWORKS", f"10.0.0.0/8, {LOOPBACK}")
    kept = capture(session, source, Store(tmp_path), by="auditor")
    assert kept.status_code == 200 and site.hits[-1] == "/ok"


ODD_SPELLINGS = [
    "http://127.0.0.1:{port}/ok",
    "http://localhost:{port}/ok",
    "http://2130706433:{port}/ok",
    "http://0x7f.1:{port}/ok",
    "http://0177.0.0.1:{port}/ok",
    "http://0.0.0.0:{port}/ok",
    "http://[::1]:{port}/ok",
    "http://[::ffff:127.0.0.1]:{port}/ok",
    "http://evil.example@127.0.0.1:{port}/ok",
    "http://evil.example:pass@localhost:{port}/ok",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.1.2.3/",
    "http://192.168.0.1/",
    "http://[fe80::1]/",
    "http://224.0.0.1/",
    "http://240.0.0.1/",
]


@pytest.mark.parametrize("spelling", ODD_SPELLINGS)
def test_internal_addresses_in_any_spelling_are_refused(site, no_allow_list, spelling):
    before = len(site.hits)
    with pytest.raises(FetchFailed, match="refused by policy") as refused:
        _get(spelling.format(port=site.port), timeout=1)
    assert refused.value.kind == "policy"
    assert len(site.hits) == before


@pytest.mark.parametrize("url", ["javascript:alert(1)", "file:///etc/passwd", "gopher://x/"])
def test_other_schemes_are_refused(url):
    with pytest.raises(FetchFailed, match="refused by policy: URL must start with http"):
        _get(url)


@pytest.mark.parametrize("page", ["/to-metadata", "/to-file"])
def test_a_redirect_to_a_refused_address_is_not_followed(site, allow_loopback, page):
    with pytest.raises(FetchFailed, match="refused by policy") as refused:
        _get(site.url(page), timeout=1)
    assert refused.value.kind == "policy"


def test_the_connection_goes_to_the_address_that_was_checked(site, monkeypatch):
    """DNS rebinding: the name first resolves to an allowed address where nothing listens,
    then to the site. A second lookup at connection time would reach the site."""
    monkeypatch.setenv("EVIDENCE_FETCH_ALLOW_NETWORKS", "127.0.0.2/32")
    real_lookup = socket.getaddrinfo
    answers = iter(["127.0.0.2", "127.0.0.1", "127.0.0.1"])

    def rebinding_lookup(host, port, *args, **kwargs):
        if host == "rebind.example":
            host = next(answers)
        return real_lookup(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_lookup)
    before = len(site.hits)
    with pytest.raises(FetchFailed) as failed:
        _get(f"http://rebind.example:{site.port}/ok", timeout=1)
    assert failed.value.kind == "refused"  # 127.0.0.2 has no listener
    assert len(site.hits) == before


def test_the_host_name_is_kept_for_the_host_header_sni_and_certificate(site, allow_loopback):
    with fetch(f"http://localhost:{site.port}/ok", timeout=1) as page:
        assert page.status_code == 200
    assert site.host_headers[-1] == f"localhost:{site.port}"
    with serve_site(tls=True) as tls_site:
        with pytest.raises(FetchFailed, match="certificate verify failed") as failed:
            _get(f"https://localhost:{tls_site.port}/ok", timeout=1)
        assert failed.value.kind == "tls"
        # The connection went to the vetted 127.0.0.1, the handshake named the host.
        assert tls_site.server_names == ["localhost"]


def test_a_decompression_bomb_stops_at_the_default_cap(session, site, tmp_path, allow_loopback):
    source = make_source(session, key="bomb", url=site.url("/bomb"))
    with pytest.raises(CaptureError, match="larger than the 50 MB limit"):
        capture(session, source, Store(tmp_path), by="auditor")
    assert _stored_objects(tmp_path) == []


@pytest.mark.parametrize("page", ["/huge", "/endless", "/bomb"])
def test_big_bodies_stop_at_the_configured_cap(
    session, site, tmp_path, allow_loopback, monkeypatch, page
):
    monkeypatch.setenv("EVIDENCE_MAX_CAPTURE_MB", "1")
    source = make_source(session, key="big", url=site.url(page))
    with pytest.raises(CaptureError, match="larger than the 1 MB limit"):
        capture(session, source, Store(tmp_path), by="auditor")
    assert _stored_objects(tmp_path) == []
    checked = check_links(session, [source], timeout=1)[0]
    assert checked.verdict == "too-large" and "larger than the 1 MB limit" in checked.reason
    assert checked.sha256 is None


def test_a_slow_drip_stops_at_the_deadline(session, site, tmp_path, allow_loopback, monkeypatch):
    monkeypatch.setenv("EVIDENCE_FETCH_DEADLINE_SECONDS", "1")
    source = make_source(session, key="drip", url=site.url("/drip"))
    with pytest.raises(CaptureError, match="stopped at the 1-second deadline"):
        capture(session, source, Store(tmp_path), by="auditor", timeout=5)
    assert _stored_objects(tmp_path) == []


def test_a_refused_check_does_not_tell_an_open_port_from_a_closed_one(session, site, no_allow_list):
    open_source = make_source(session, key="open-port", url=site.url("/ok"))
    closed_source = make_source(
        session, key="closed-port", url=f"http://127.0.0.1:{closed_port()}/ok"
    )
    opened, closed = check_links(session, [open_source, closed_source], timeout=1)
    assert opened.verdict == closed.verdict == "policy"
    assert opened.reason == closed.reason == "refused by policy: 127.0.0.1 is not a public address"
    assert opened.status_code is closed.status_code is None


def test_settings_that_cannot_be_understood_are_named():
    with pytest.raises(SettingError, match="EVIDENCE_FETCH_ALLOW_NETWORKS: 'intranet'"):
        FetchPolicy.from_environment({"EVIDENCE_FETCH_ALLOW_NETWORKS": "10.0.0.0/8,intranet"})
    with pytest.raises(SettingError, match="EVIDENCE_MAX_CAPTURE_MB: '-1'"):
        FetchPolicy.from_environment({"EVIDENCE_MAX_CAPTURE_MB": "-1"})
    assert FetchPolicy.from_environment({}).max_bytes == 50 * 1024 * 1024
