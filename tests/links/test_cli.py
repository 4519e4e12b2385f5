"""`evidence links check`, `evidence sources capture`, `evidence exhibits add|verify`."""

from __future__ import annotations

import json

from evidence.store import Store
from tests.factories import make_incident, make_source
from tests.links.site import OK_BODY, closed_port


def test_links_check_prints_one_json_object_per_source(runner, session, site):
    make_source(session, key="cli-ok", url=site.url("/ok"))
    make_source(session, key="cli-gone", url=site.url("/missing"))
    make_source(session, key="cli-away", url=site.url("/away"))
    session.commit()
    result = runner.invoke(
        args=["links", "check", "--json", "--concurrency", "2", "--timeout", "2"]
    )
    assert result.exit_code == 1  # problems found
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    verdicts = {line["source"]: line["verdict"] for line in lines}
    assert verdicts == {"cli-ok": "ok", "cli-gone": "http-4xx", "cli-away": "moved"}
    assert "3 source(s) checked, 2 flagged." in result.stderr
    plain = runner.invoke(args=["links", "check", "--timeout", "2"])
    assert "http-4xx     cli-gone" in plain.stdout and "(HTTP 404)" in plain.stdout


def test_links_check_without_network_marks_nothing(runner, session, site, monkeypatch):
    make_source(session, key="cli-offline", url=site.url("/missing"))
    session.commit()
    monkeypatch.setenv("EVIDENCE_NETWORK_PROBE", f"127.0.0.1:{closed_port()}")
    result = runner.invoke(args=["links", "check", "--timeout", "2"])
    assert result.exit_code == 1 and "no network from this server" in result.stderr
    assert "cli-offline" not in result.stdout


def test_sources_capture_by_key(runner, session, site, app):
    make_source(session, key="cli-capture", url=site.url("/ok"))
    make_source(session, key="cli-capture-404", url=site.url("/missing"))
    session.commit()
    result = runner.invoke(args=["sources", "capture", "cli-capture", "--as", "auditor"])
    assert result.exit_code == 0, result.output
    sha = result.stdout.split()[2]
    assert Store(app.config["DATA_DIR"]).exists(sha)
    failed = runner.invoke(args=["sources", "capture", "--all", "--as", "auditor"])
    assert (
        failed.exit_code == 1 and "cli-capture-404" in failed.stderr and "HTTP 404" in failed.stderr
    )
    assert runner.invoke(args=["sources", "capture"]).exit_code == 1
    assert "no source with key" in runner.invoke(args=["sources", "capture", "nope"]).stderr


def test_exhibits_add_and_verify(runner, session, app, tmp_path):
    incident = make_incident(session)
    source = make_source(session)
    session.commit()
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(OK_BODY)
    result = runner.invoke(
        args=["exhibits", "add", str(photo), "--incident", incident.key, "--source", source.key]
    )
    assert result.exit_code == 0, result.output
    assert "text/plain" in result.stdout
    assert runner.invoke(args=["exhibits", "verify"]).stdout.startswith("OK: 1 stored file")

    other = tmp_path / "other.txt"
    other.write_bytes(b"second file")
    runner.invoke(args=["exhibits", "add", str(other), "--incident", incident.key])
    store = Store(app.config["DATA_DIR"])
    hashes = list(store.stored_hashes())
    store.path(hashes[0]).unlink()
    store.path(hashes[1]).chmod(0o644)
    store.path(hashes[1]).write_bytes(b"changed")
    failed = runner.invoke(args=["exhibits", "verify"])
    assert failed.exit_code == 1
    assert f"missing: {hashes[0]}" in failed.stderr and f"altered: {hashes[1]}" in failed.stderr
    assert "exhibit exhibit-" in failed.stderr

    refused = runner.invoke(args=["exhibits", "add", str(other), "--incident", "nope"])
    assert refused.exit_code == 1 and 'No incident has the key or name "nope".' in refused.stderr
    assert "--incident" in runner.invoke(args=["exhibits", "add", str(other)]).stderr
