"""Link checks and captures against a local site: verdicts, stored history, WARC files."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select
from warcio.archiveiterator import ArchiveIterator

from evidence.links.models import LinkCheck
from evidence.links.services import (
    CaptureError,
    NoNetwork,
    capture,
    check_links,
    read_capture,
    source_links,
    sources_to_check,
)
from evidence.store import Store
from tests.factories import make_source
from tests.links.site import OK_BODY, closed_port

TIMEOUT = 0.5


def _check(session, sources, **options):
    return {c.source.key: c for c in check_links(session, sources, timeout=TIMEOUT, **options)}


def test_verdicts_of_each_kind_of_answer(session, site):
    pages = {
        "ok": site.url("/ok"),
        "missing": site.url("/missing"),
        "broken": site.url("/broken"),
        "away": site.url("/away"),
        "here": site.url("/here"),
        "slow": site.url("/slow"),
        "nowhere": "http://no-such-host.invalid/",
        "closed": f"http://127.0.0.1:{closed_port()}/",
        "not-tls": site.url("/ok").replace("http:", "https:"),
        "metadata": "http://169.254.169.254/latest/meta-data/",
    }
    sources = [make_source(session, key=f"site-{name}", url=url) for name, url in pages.items()]
    ticks = []
    checks = _check(session, sources, progress=ticks.append)

    assert len(ticks) == len(sources)
    assert checks["site-ok"].verdict == "ok"
    assert checks["site-ok"].status_code == 200
    assert checks["site-ok"].sha256 == hashlib.sha256(OK_BODY).hexdigest()
    assert checks["site-ok"].content_length == len(OK_BODY)
    verdicts = {key: (check.verdict, check.reason) for key, check in checks.items()}
    assert verdicts["site-missing"] == ("http-4xx", "HTTP 404")
    assert verdicts["site-broken"] == ("http-5xx", "HTTP 500")
    assert verdicts["site-away"] == ("moved", "redirected to localhost")
    away = checks["site-away"]
    assert away.final_url == site.url("/ok", host="localhost")
    assert away.redirects == [{"url": site.url("/away"), "status": 302}]
    here = checks["site-here"]
    assert here.verdict == "ok" and here.redirects == [{"url": site.url("/here"), "status": 302}]
    slow = checks["site-slow"]
    assert slow.verdict == "timeout" and "no answer within 0.5 seconds" in slow.reason
    assert slow.status_code is None
    assert verdicts["site-nowhere"][0] == "dns-failure"
    assert verdicts["site-nowhere"][1].startswith("DNS failure: no-such-host.invalid")
    assert verdicts["site-closed"] == ("conn-refused", "connection refused by 127.0.0.1")
    assert verdicts["site-not-tls"][0] == "tls-error"
    assert verdicts["site-metadata"] == (
        "policy",
        "refused by policy: 169.254.169.254 is not a public address",
    )


def test_without_network_a_run_stops_and_marks_nothing(session, site, monkeypatch):
    source = make_source(session, key="site-unprobed", url=site.url("/missing"))
    monkeypatch.setenv("EVIDENCE_NETWORK_PROBE", f"127.0.0.1:{closed_port()},no-such.invalid:80")
    before = len(site.hits)
    with pytest.raises(NoNetwork, match="no network from this server"):
        check_links(session, [source], timeout=TIMEOUT)
    assert len(site.hits) == before
    assert session.scalars(select(LinkCheck).where(LinkCheck.source_id == source.id)).all() == []


def test_a_changed_body_is_flagged_against_the_last_check_then_the_capture(session, site, tmp_path):
    source = make_source(session, key="site-changing", url=site.url("/changing"))
    first = _check(session, [source])["site-changing"]
    assert first.verdict == "ok"  # nothing to compare with yet
    second = _check(session, [source])["site-changing"]
    assert second.verdict == "changed"
    assert second.reason.startswith("content differs from the check of")

    stable = make_source(session, key="site-stable", url=site.url("/ok"))
    _check(session, [stable])
    assert _check(session, [stable])["site-stable"].verdict == "ok"

    kept = capture(session, source, Store(tmp_path), by="auditor")
    third = _check(session, [source])["site-changing"]
    assert third.verdict == "changed" and "capture of" in third.reason
    assert third.sha256 != kept.body_sha256

    history = source_links(session, source.id)
    assert [c.verdict for c in history.checks] == ["changed", "changed", "ok"]
    assert history.captures == [kept]
    stored = session.scalars(select(LinkCheck).where(LinkCheck.source_id == source.id)).all()
    assert len(stored) == 3


def test_only_web_addresses_of_live_sources_are_checked(session, site):
    web = make_source(session, key="site-web", url=site.url("/ok"))
    legacy = make_source(session, key="site-file")
    legacy.url = "file:///etc/passwd"  # stored before such URLs were refused on save
    session.flush()
    make_source(session, key="site-none")
    assert [s.key for s in sources_to_check(session) if s.key.startswith("site-")] == [web.key]
    assert (
        check_links(session, [s for s in sources_to_check(session) if s.key == "site-file"]) == []
    )


def test_capture_stores_a_readable_warc_by_its_hash(session, site, tmp_path):
    store = Store(tmp_path)
    source = make_source(session, key="site-capture", url=site.url("/here"))
    kept = capture(session, source, store, by="auditor")
    session.commit()  # the WARC takes its place in the store

    path = store.path(kept.sha256)
    assert path.relative_to(tmp_path).parts[:3] == ("objects", kept.sha256[:2], kept.sha256[2:4])
    assert (
        hashlib.sha256(path.read_bytes()).hexdigest() == kept.sha256
        and kept.size == path.stat().st_size
    )
    with path.open("rb") as stream:
        types = [record.rec_type for record in ArchiveIterator(stream)]
    assert types == ["response"]
    page = read_capture(store, kept)
    assert (page.url, page.status, b"".join(page.chunks)) == (site.url("/ok"), "200", OK_BODY)
    assert kept.final_url == site.url("/ok") and kept.url == site.url("/here")
    assert kept.body_sha256 == hashlib.sha256(OK_BODY).hexdigest()
    assert kept.content_type.startswith("text/html")


def test_a_failing_page_is_not_captured(session, site, tmp_path):
    source = make_source(session, key="site-capture-404", url=site.url("/missing"))
    with pytest.raises(CaptureError, match="HTTP 404"):
        capture(session, source, Store(tmp_path), by="auditor")
    assert not (tmp_path / "objects").exists() or not list((tmp_path / "objects").glob("??/??/*"))
